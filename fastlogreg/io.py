"""Reading training data into what the estimator takes: a dense C-contiguous float64 or float32
matrix (or scipy CSR for LIBSVM files), the labels as a 1-D array and the feature names.

- `load(path, ...)` reads a whole file into a `Dataset(X, y, feature_names, target_name)`;
- `open_chunks(path, chunk_rows=...)` returns a re-iterable `ChunkSource` of (X, y) chunks for
  out-of-core training: each pass reads the file again, the next chunk on a background thread;
- `read_csv(path, target)` is the command line's plain-Python CSV reader, kept until it
  switches to `load`.

The format comes from the file's extension: CSV (.csv, .tsv, .txt; also compressed as .gz,
.bz2, .zst or .xz; `-` is standard input), Parquet (.parquet, .pq), NumPy (.npy, .npz) and
LIBSVM/svmlight (.svm, .svmlight, .libsvm; also compressed). CSV and Parquet need pyarrow
(the `io` extra), LIBSVM needs scikit-learn; neither is imported before a file needs it, so
that importing this module (and the command line's --help) stays fast.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
import sys
from dataclasses import dataclass

import numpy as np

from . import _chunk_source

__all__ = ["ChunkSource", "Dataset", "load", "open_chunks", "read_csv"]

_INSTALL_HINT = 'pip install "fastlogreg[io]"'
# why a float32 X holds infinity where the file or array it came from may not (the checks of
# io and of _validation add it to their messages)
FLOAT32_OVERFLOW = (
    "float32 X: where the source holds a finite number beyond float32's range, about 3.4e38, "
    "it becomes infinity when cast; then keep X in float64 (dtype=float64)"
)
_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".npy": "npy",
    ".npz": "npz",
    ".svm": "svmlight",
    ".svmlight": "svmlight",
    ".libsvm": "svmlight",
}
_COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd", ".xz": "xz"}
_DELIMITERS = (",", ";", "\t", "|")
# pyarrow parses blocks of this many bytes in parallel (its default; 16 MiB took 0.72 s
# against 0.49 s for 295 MB on 2 cores)
_CSV_BLOCK_BYTES = 1 << 20
# chunked CSV reads parse blocks of a 64th of a chunk's text, within these bounds: pyarrow's
# streaming reader holds about 35 blocks (_csv_chunks)
_CSV_STREAM_BLOCK_BYTES = (1 << 16, 1 << 20)
_COPY_BLOCK_BYTES = 1 << 20
# Parquet row groups are read this many decoded bytes of columns at a time (_parquet_fill)
_PARQUET_READ_BYTES = 4 << 20


@dataclass(eq=False)
class Dataset:
    """What `load` returns.

    X: (n_samples, n_features) C-contiguous float64 or float32 ndarray (a read-only np.memmap
       for a .npy file used as it is), or a scipy.sparse CSR matrix for LIBSVM files.
    y: (n_samples,) labels as the file holds them (int64, float64, bool or str); None when
       loaded with require_labels=False and no labels.
    feature_names: the names of X's columns in order, or None for formats without names
       (.npy, .npz, LIBSVM).
    target_name: the label column's name, or None (labels from `labels=`, unnamed formats).
    zero_based: LIBSVM only (else None): whether feature index 0 is X's first column (True)
       or index 1 is (False), as given or as found (zero_based='auto').
    """

    X: object
    y: np.ndarray | None
    feature_names: list[str] | None
    target_name: str | None
    zero_based: bool | None = None  # LIBSVM: whether the file's feature indices start at 0


def load(
    path,
    *,
    target=None,
    features=None,
    dtype=np.float64,
    delimiter=None,
    labels=None,
    n_features=None,
    require_labels=True,
    zero_based="auto",
):
    """Read a whole data file into a `Dataset(X, y, feature_names, target_name)`.

    path: a file name (str or os.PathLike) whose extension gives the format, or "-" for CSV on
        standard input (read into memory; gzip, bzip2, zstd and xz input is recognised by its
        first bytes).
    target: the label column, by name or by index (an int, or a string of digits when no
        column has that name; negative indices count from the end). CSV, Parquet, and .npy or
        .npz matrices (by index only: their columns are copied, without the label column).
    features: names or indices of the columns to keep, in that order (default: every column
        but the target). For .npy and .npz indices only, and X is then a copy.
    dtype: np.float64 (default) or np.float32 for X. CSV is parsed straight into it; Parquet
        columns stored as float64 are converted a few columns at a time.
    delimiter: CSV only: one character; by default the first of ',', ';', tab, '|' that splits
        the header into the most fields, consistently with the next lines.
    labels: instead of target: an array or the path of a .npy file with one label per row.
    n_features: LIBSVM only: the number of columns of X (default: the largest index found).
    zero_based: LIBSVM only: True when feature indices start at 0, False when at 1 (the
        format's own convention), 'auto' (default): at 0 when some index is 0, as scikit-learn's
        load_svmlight_file decides. Give it when reading new data for a model trained on
        another file: a file that happens to use no index 0 is otherwise read one column over.
    require_labels: False for data to predict on: the labels are not read (a target column
        is only left out of X, whatever it holds) and y is None, unless labels= is given
        (LIBSVM files and .npz archives with a 'y' array still give theirs).

    Per format: CSV (header row required, parsed by pyarrow on every core; labels int64
    when every label is an integer, else float64 when every one is a number, else str; a
    label's surrounding spaces are trimmed, quoted or not, so "1, 0" rows give 0, and " z"
    and "z" are one class, where pandas keeps them apart);
    Parquet (labels as stored); .npy (memory-mapped: with `labels=`, no `target` or
    `features` and the file's dtype equal to `dtype` and C order, X is the read-only memory
    map itself, not a copy); .npz (arrays named 'X' and 'y', read into memory); LIBSVM
    (scipy CSR of dtype `dtype`, float64 labels, as sklearn.datasets.load_svmlight_file).

    Raises ValueError naming the file and, for CSV, the line (Parquet: the row, counted from
    0) and the column: a missing value (empty field, NA, NaN, null) or text in a feature
    column, a row with the wrong number of fields, a missing label, an unknown column (the
    error lists the file's columns), an empty file, a file without data rows, an unknown
    extension. FileNotFoundError for a missing file; ImportError when pyarrow (CSV, Parquet)
    is not installed.
    """
    fmt, compression = _format_of(path)
    dtype = _float_dtype(dtype)
    _check_options(
        fmt, path, delimiter=delimiter, labels=labels, n_features=n_features, zero_based=zero_based
    )
    if target is not None and labels is not None:
        raise ValueError("pass either target= (a column of the file) or labels=, not both")
    need = require_labels
    if fmt == "csv":
        inp = _Input(path, compression)
        return _load_csv(inp, target, features, dtype, delimiter, labels, need)
    if fmt == "parquet":
        return _load_parquet(os.fspath(path), target, features, dtype, labels, need)
    if fmt in ("npy", "npz"):
        return _load_numpy(os.fspath(path), fmt, target, features, dtype, labels, need)
    if target is not None or features is not None:
        raise ValueError(
            f"{os.fspath(path)}: a LIBSVM file holds its labels and features in its own "
            "format; target= and features= do not apply (n_features= sets the width of X)"
        )
    return _load_svmlight(_Input(path, compression), dtype, n_features, zero_based)


class ChunkSource(_chunk_source.ChunkSource):
    """A re-iterable source of (X_chunk, y_chunk) pairs for out-of-core training.

    Every `iter(source)` reads the data from its start again (one pass of a solver per
    iteration). X_chunk is a C-contiguous (m, n_features) float ndarray of `dtype` with
    m <= chunk_rows (for LIBSVM files a scipy CSR matrix), y_chunk a (m,) array of labels.
    With `read_ahead` (default True) a background thread reads the next chunk while the
    consumer works on the current one, so at most two chunks are held by the source at a
    time. The two overlap only while the consumer releases the GIL: pyarrow's parsing and
    NumPy's large operations do, a Numba function compiled without nogil=True does not (the
    reader then waits for it to return).

    Attributes: n_features, feature_names (None for unnamed formats), dtype, target_name,
    n_rows (None where it is known only after a pass: CSV), name, read_ahead.

    `open_chunks` builds these; `read` may also be any function returning a fresh iterator of
    (X, y) pairs (each call reading from the start).
    """

    def __init__(
        self,
        read,
        *,
        n_features,
        feature_names=None,
        dtype=np.float64,
        target_name=None,
        n_rows=None,
        name=None,
        read_ahead=True,
    ):
        self._read = read
        self.n_features = int(n_features)
        self.feature_names = feature_names
        self.dtype = np.dtype(dtype)
        self.target_name = target_name
        self.n_rows = n_rows
        self.name = name
        self.read_ahead = read_ahead

    def __iter__(self):
        if self.read_ahead:
            return _read_ahead(self._read)
        return iter(self._read())

    def __repr__(self):
        return (
            f"ChunkSource({self.name!r}, n_features={self.n_features}, dtype={self.dtype.name}, "
            f"n_rows={self.n_rows}, read_ahead={self.read_ahead})"
        )


def open_chunks(
    path,
    *,
    chunk_rows,
    target=None,
    features=None,
    dtype=np.float64,
    delimiter=None,
    labels=None,
    n_features=None,
    read_ahead=True,
    require_labels=True,
    zero_based="auto",
):
    """A re-iterable `ChunkSource` of (X_chunk, y_chunk) pairs of at most `chunk_rows` rows.

    path: as for `load` (CSV, also compressed and "-", which is read into memory once,
        Parquet, .npy, .npz, LIBSVM), or a list of .npy files read one after the other (each
        split into chunks of chunk_rows rows; a chunk never spans two files).
    target, features, dtype, delimiter, n_features, zero_based: as for `load` (the source's
        zero_based attribute gives LIBSVM's as found).
    labels: instead of target: an array or a .npy path with one label per row of the whole
        source, or for a list of .npy files a list of as many label arrays or .npy paths.
    read_ahead: read the next chunk on a background thread (ChunkSource.read_ahead).
    require_labels: False for data to predict on, as for `load`: the chunks' y is None.

    Memory per chunk: CSV is parsed by pyarrow's streaming reader in blocks of a 64th of a
    chunk's text (64 KiB to 1 MiB; blank lines are not rows), each block copied into the
    chunk as it comes; Parquet is read a row group at a time, a few columns at a time into
    the group's X, which is cut into chunks (a row group larger than chunk_rows is held whole:
    write the file with row groups of at most chunk_rows rows); .npy chunks are slices
    of a memory map: views of it, not copies, when no target or features are given and the
    file holds `dtype` in C order (the read-ahead thread touches the next slice's pages, so
    they are read from disk ahead of use); .npz is read into memory whole; LIBSVM is parsed
    chunk_rows lines at a time, after a first pass at open that finds the number of features
    and whether indices start at 0.

    Errors are those of `load`: a chunk's errors are raised by the iteration that reaches
    that chunk (read-ahead included), CSV errors naming the line in the
    whole file, Parquet errors the row (counted from 0); errors in the file's structure
    (unknown columns, an empty file, a LIBSVM parse error) are raised by open_chunks itself.
    """
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int | np.integer):
        raise TypeError(f"chunk_rows must be an integer >= 1, got {chunk_rows!r}")
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be an integer >= 1, got {chunk_rows!r}")
    chunk_rows = int(chunk_rows)
    dtype = _float_dtype(dtype)
    if target is not None and labels is not None:
        raise ValueError("pass either target= (a column of the file) or labels=, not both")
    if isinstance(path, list | tuple):
        _check_options("npy", "the list of files", delimiter=delimiter, n_features=n_features)
        per_file = isinstance(labels, list | tuple)
        source = _npy_list_chunks(
            path, chunk_rows, target, features, dtype, labels, per_file, require_labels
        )
    else:
        fmt, compression = _format_of(path)
        _check_options(
            fmt,
            path,
            delimiter=delimiter,
            labels=labels,
            n_features=n_features,
            zero_based=zero_based,
        )
        if fmt == "csv":
            source = _csv_chunk_source(
                _Input(path, compression),
                chunk_rows,
                target,
                features,
                dtype,
                delimiter,
                labels,
                require_labels,
            )
        elif fmt == "parquet":
            source = _parquet_chunks(
                os.fspath(path), chunk_rows, target, features, dtype, labels, require_labels
            )
        elif fmt == "npy":
            source = _npy_list_chunks(
                [path], chunk_rows, target, features, dtype, labels, False, require_labels
            )
        elif fmt == "npz":
            data = _load_numpy(
                os.fspath(path), "npz", target, features, dtype, labels, require_labels
            )
            source = _memory_chunks(data, os.fspath(path), chunk_rows)
        else:
            if target is not None or features is not None:
                raise ValueError(
                    f"{os.fspath(path)}: a LIBSVM file holds its labels and features in its own "
                    "format; target= and features= do not apply"
                )
            source = _svmlight_chunks(
                _Input(path, compression), chunk_rows, dtype, n_features, zero_based
            )
    source.read_ahead = read_ahead
    return source


# ---------------------------------------------------------------------------------------------
# formats, inputs and options


def _arrow():
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pcsv
    except ImportError as err:
        raise ImportError(f"reading CSV and Parquet files needs pyarrow: {_INSTALL_HINT}") from err
    return pa, pc, pcsv


def _parquet():
    _arrow()
    import pyarrow.parquet as pq

    return pq


def _format_of(path):
    """(format, compression or None) from the file name's extension."""
    if isinstance(path, str) and path == "-":
        return "csv", None
    name = os.fspath(path)
    root, ext = os.path.splitext(name.lower())
    compression = _COMPRESSIONS.get(ext)
    if compression is not None:
        root, ext = os.path.splitext(root)
    fmt = _FORMATS.get(ext)
    if fmt is None:
        known = ", ".join(sorted(_FORMATS))
        raise ValueError(
            f"{name}: unknown file type {ext or '(no extension)'!r}; fastlogreg reads {known} "
            "(CSV and LIBSVM also compressed: .gz, .bz2, .zst, .xz) and '-' (CSV on stdin)"
        )
    if compression is not None and fmt not in ("csv", "svmlight"):
        raise ValueError(
            f"{name}: {fmt} files are read uncompressed (Parquet compresses its own pages); "
            "decompress it first"
        )
    return fmt, compression


def _float_dtype(dtype):
    dt = np.dtype(dtype)
    if dt not in (np.float64, np.float32):
        raise ValueError(f"dtype must be np.float64 or np.float32, got {dt}")
    return dt


def _check_options(fmt, path, *, delimiter=None, labels=None, n_features=None, zero_based="auto"):
    name = path if isinstance(path, str) else os.fspath(path)
    if not (isinstance(zero_based, bool) or (isinstance(zero_based, str) and zero_based == "auto")):
        raise ValueError(f"zero_based must be True, False or 'auto', got {zero_based!r}")
    if zero_based != "auto" and fmt != "svmlight":
        raise ValueError(f"{name}: zero_based= applies to LIBSVM/svmlight files only")
    if delimiter is not None:
        if fmt != "csv":
            raise ValueError(f"{name}: delimiter= applies to CSV files only")
        if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '\r\n"':
            raise ValueError(
                f"delimiter must be one character (e.g. ',', ';', '\\t'), got {delimiter!r}"
            )
    if n_features is not None and fmt != "svmlight":
        raise ValueError(f"{name}: n_features= applies to LIBSVM/svmlight files only")
    if labels is not None and fmt == "svmlight":
        raise ValueError(f"{name}: a LIBSVM file holds its own labels; labels= does not apply")


def _magic_compression(data):
    if data.startswith(b"\x1f\x8b"):
        return "gzip"
    if data.startswith(b"BZh"):
        return "bz2"
    if data.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    if data.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    return None


def _check_compressed(path, compression):
    """ValueError for a file whose name says `compression` but whose first bytes do not (a
    plain CSV named .csv.gz: the decompressors' own errors name neither file nor fix, and
    lzma's is no OSError)."""
    with open(path, "rb") as f:
        head = f.read(6)
    found = _magic_compression(head)
    if head and found != compression:
        ext = os.path.splitext(path)[1]
        what = f"{found}-compressed" if found else f"not compressed (it starts {head!r})"
        raise ValueError(
            f"{path}: the name says {compression} ({ext}), but the file is {what}; rename it "
            "to match what it holds"
        )


class _Input:
    """The bytes of a text file: a path (maybe compressed) or standard input, read into memory
    once (a pipe cannot be read twice, and errors are located by reading again)."""

    def __init__(self, path, compression):
        if isinstance(path, str) and path == "-":
            self.name = "<stdin>"
            self.path = None
            self.data = sys.stdin.buffer.read()
            self.compression = _magic_compression(self.data)
        else:
            self.name = os.fspath(path)
            self.path = self.name
            self.data = None
            self.compression = compression
            if compression is not None:
                _check_compressed(self.name, compression)

    def arrow(self):
        """A new stream of the decompressed bytes for pyarrow (a context manager)."""
        pa = _arrow()[0]
        if self.compression == "xz":  # not one of pyarrow's codecs: Python's lzma, as a file
            import lzma

            return lzma.open(self.path if self.data is None else io.BytesIO(self.data))
        raw = pa.BufferReader(self.data) if self.data is not None else pa.OSFile(self.path)
        if self.compression is None:
            return raw
        return pa.CompressedInputStream(raw, self.compression)

    def python(self):
        """A new binary Python file object of the decompressed bytes (for sniffing, locating
        errors and LIBSVM)."""
        if self.compression is None:
            return open(self.path, "rb") if self.data is None else io.BytesIO(self.data)
        source = self.path if self.data is None else io.BytesIO(self.data)
        if self.compression == "gzip":
            import gzip

            return gzip.open(source)
        if self.compression == "bz2":
            import bz2

            return bz2.open(source)
        if self.compression == "xz":
            import lzma

            return lzma.open(source)
        pa = _arrow()[0]  # zstd: not in Python's standard library before 3.14
        raw = pa.BufferReader(self.data) if self.data is not None else pa.OSFile(self.path)
        return io.BufferedReader(pa.CompressedInputStream(raw, "zstd"), 1 << 16)


# ---------------------------------------------------------------------------------------------
# column selection


def _preview(names, limit=30):
    shown = ", ".join(repr(n) for n in names[:limit])
    more = f", ... ({len(names) - limit} more)" if len(names) > limit else ""
    return f"[{shown}{more}]"


def _column_index(names, key, n_columns, where, role):
    """The index of column `key` (a name, an int, or a string of digits naming no column)."""
    hint = (
        "Pass the label column's name or index as target."
        if role == "target"
        else "Pass names or indices of the file's columns in features."
    )
    if isinstance(key, bool | np.bool_):
        raise TypeError(f"{role}: a column is named by a string or an int index, not {key!r}")
    if isinstance(key, int | np.integer):
        j = int(key)
        if not -n_columns <= j < n_columns:
            raise ValueError(
                f"{where} has no column {j}: it has {n_columns} columns (indices 0 to "
                f"{n_columns - 1}). {hint}"
            )
        return j % n_columns
    if isinstance(key, str):
        hits = [] if names is None else [j for j, n in enumerate(names) if n == key]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise ValueError(
                f"{where}: the name {key!r} is the header of {len(hits)} columns ({hits}); pass "
                "the column's index instead"
            )
        text = key.strip()
        if text.lstrip("-").isdigit():
            return _column_index(names, int(text), n_columns, where, role)
        if names is None:
            raise ValueError(f"{where} has no column names; pass {role} as column indices (ints)")
        raise ValueError(
            f"{where} has no column {key!r}; its columns are {_preview(names)}. {hint}"
        )
    raise TypeError(f"{role}: a column is named by a string or an int index, got {key!r}")


def _select(names, n_columns, target, features, where):
    """(target index or None, feature indices) of a file's columns."""
    t = None if target is None else _column_index(names, target, n_columns, where, "target")
    if features is None:
        feats = [j for j in range(n_columns) if j != t]
        unnamed = [j for j in feats if names is not None and names[j] == ""]
        if unnamed:  # most often not data: a row index, or the field after a final delimiter
            j = unnamed[0]
            hints = {0: " (a row index, as pandas' DataFrame.to_csv writes?)"}
            hints[n_columns - 1] = " (a delimiter at the end of every line?)"
            hint = hints.get(j, "")
            raise ValueError(
                f"{where}: column {j} has no name in the header{hint}; name it there, or pass "
                "the columns to use as features="
            )
    else:
        if isinstance(features, str | bytes | int | np.integer):
            raise TypeError(f"features must be a list of column names or indices, got {features!r}")
        feats = [_column_index(names, f, n_columns, where, "features") for f in features]
        if len(set(feats)) != len(feats):
            twice = next(j for j in feats if feats.count(j) > 1)
            label = names[twice] if names is not None else twice
            raise ValueError(f"features lists the column {label!r} more than once")
        if t is not None and t in feats:
            label = names[t] if names is not None else t
            raise ValueError(f"the target column {label!r} is also in features; drop it there")
    if not feats:
        raise ValueError(f"{where} has no feature columns (besides the target)")
    return t, feats


def _need_labels(target, labels, where, required=True):
    if required and target is None and labels is None:
        raise ValueError(
            f"{where}: pass target= (the label column's name or index) or labels= (an array "
            "or .npy file of one label per row)"
        )


def _label_array(labels, mmap=False):
    """labels= as a 1-D array: an array-like or the path of a .npy file."""
    if isinstance(labels, str | os.PathLike):
        y = np.load(os.fspath(labels), mmap_mode="r" if mmap else None, allow_pickle=False)
    else:
        y = np.asarray(labels)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"labels must be 1-D, one label per row; got shape {y.shape}")
    return y


def _given_labels(labels, n_rows, where):
    """labels= as an array of n_rows labels, or None when not given."""
    if labels is None:
        return None
    y = _label_array(labels)
    _check_label_count(n_rows, y, where)
    return y


def _check_label_count(n_rows, y, where):
    if y.shape[0] != n_rows:
        raise ValueError(
            f"{where} has {n_rows} rows but labels has {y.shape[0]}; pass one label per row"
        )


# ---------------------------------------------------------------------------------------------
# errors in cells: found while converting, located (CSV line, Parquet row) by the caller


class _Cell(Exception):
    """A bad cell at `row` (0-based within the data handed to the converter) of column `column`
    (an index in the file). problem: 'missing', 'text', 'no label', 'label mix', 'label too
    large' or 'nonfinite'."""

    def __init__(self, row, column, problem, value=None, kind=None):
        super().__init__(row, column, problem, value)
        self.row, self.column, self.problem, self.value, self.kind = (
            row,
            column,
            problem,
            value,
            kind,
        )


def _cell_message(where, column_name, cell):
    if cell.problem == "no label":
        return f"{where}: no label in column {column_name!r}; fill in the label or drop the row."
    if cell.problem == "label too large":
        return (
            f"{where}, column {column_name!r}: the label {cell.value} is an integer beyond "
            "2^53, which float64 labels cannot keep exact (neighbouring values would become "
            "one class); write such IDs as text, e.g. with a letter in front"
        )
    if cell.problem == "label mix":
        this, others = cell.kind
        return (
            f"{where}, column {column_name!r}: the label {cell.value!r} is {this}, where the "
            f"other labels are {others}; write every label the same way (a typo, or a "
            "missing value written as text?)"
        )
    if cell.problem == "missing":
        what = "missing value (an empty field or NA/NaN/null)"
    elif cell.problem == "nonfinite":
        what = f"{cell.value} is not a finite number"
        if np.isinf(cell.value) and np.asarray(cell.value).dtype == np.float32:
            what += f" ({FLOAT32_OVERFLOW})"
    else:
        what = f"{cell.value!r} is not a number"
    if column_name == "":  # most often the empty field after a delimiter that ends each line
        column = f"column {cell.column} (unnamed in the header: a delimiter at the line ends?)"
    else:
        column = f"column {column_name!r}"
    return (
        f"{where}, {column}: {what}; fill in or drop missing values and encode "
        "text columns as numbers, or leave the column out with features="
    )


def _first_null(column):
    """The index of the first null of an Arrow (chunked) array, or None."""
    offset = 0
    for chunk in getattr(column, "chunks", [column]):
        if chunk.null_count:
            mask = chunk.is_null().to_numpy(zero_copy_only=False)
            return offset + int(np.argmax(mask))
        offset += len(chunk)
    return None


def _castable(pa, pc, array, to_type):
    try:
        pc.cast(array, to_type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return False
    return True


def _first_uncastable(pa, pc, array, to_type):
    """The index of the first value of a string Array that does not convert to `to_type`, or
    None (bisection: about two conversions of the array)."""
    if _castable(pa, pc, array, to_type):
        return None
    lo, hi = 0, len(array)  # array[:lo] converts; the first failure is in array[lo:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _castable(pa, pc, array.slice(lo, mid - lo), to_type):
            lo = mid
        else:
            hi = mid
    return lo


def _check_no_nulls(columns, indices):
    """Raise _Cell('missing') for the first row holding a null in any of `columns`."""
    first = None
    for column, j in zip(columns, indices, strict=True):
        if column.null_count:
            row = _first_null(column)
            if first is None or (row, j) < (first.row, first.column):
                first = _Cell(row, j, "missing")
    if first is not None:
        raise first


# a label that reads as a number (pyarrow's cast decides which kind; this only tells text that
# looks like a number from text that does not, to report labels that mix the two)
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$"


def _text_labels(pa, pc, column, t, kind=None):
    """Labels read as text (a string ChunkedArray) -> (y, kind): int64 when every label is an
    integer, else float64 when every one is a number, else str (whitespace trimmed).
    `kind`: that of the labels before (earlier chunks): int64 labels may be followed by
    float64 ones (kind becomes float64, as reading the whole file at once would give), numbers
    never by text nor text by numbers. Raises _Cell('no label') at the first missing label,
    _Cell('label mix') at the first label that is a number among text or text among numbers
    (in this column, or against `kind`)."""
    if column.null_count:
        raise _Cell(_first_null(column), t, "no label")
    uniques = pc.unique(column)
    trimmed = pc.utf8_trim_whitespace(uniques)
    if pc.any(pc.equal(trimmed, "")).as_py():
        blank = uniques[int(np.flatnonzero(trimmed.to_numpy(zero_copy_only=False) == "")[0])]
        rows = pc.equal(column, blank).to_numpy(zero_copy_only=False)
        raise _Cell(int(np.argmax(rows)), t, "no label")
    own = next(
        (k for k, ty in (("int64", pa.int64()), ("float64", pa.float64()))
         if _castable(pa, pc, trimmed, ty)),
        "str",
    )  # fmt: skip
    if own != "str" and not pc.all(_looks_numeric(pc, trimmed)).as_py():
        own = "str"  # pyarrow reads '0x10' as 16: labels in other notations stay text
    if own == "float64":
        integral = pc.match_substring_regex(trimmed, r"^[+-]?\d{16,}$")
        for value in pc.filter(trimmed, integral).to_pylist():
            if abs(int(value)) > 2**53:  # float64 would merge neighbouring IDs into one class
                row = int(np.argmax(pc.equal(pc.utf8_trim_whitespace(column), value)
                                    .to_numpy(zero_copy_only=False)))  # fmt: skip
                raise _Cell(row, t, "label too large", value=value)
    text = None  # the column trimmed, when a row must be found
    if own == "str" and pc.any(_looks_numeric(pc, trimmed)).as_py():
        text = pc.utf8_trim_whitespace(column.combine_chunks())
        numeric = _looks_numeric(pc, text).to_numpy(zero_copy_only=False)
        first_is_number = bool(numeric[0])
        if kind in ("int64", "float64") or (kind is None and first_is_number):
            row = _first_uncastable(pa, pc, text, pa.float64())  # text among numbers
            raise _Cell(row, t, "label mix", value=text[row].as_py(), kind=("text", "numbers"))
        row = int(np.argmax(numeric))  # a number among text
        raise _Cell(row, t, "label mix", value=text[row].as_py(), kind=("a number", "text"))
    if kind == "str" and own != "str":
        raise _Cell(0, t, "label mix", value=trimmed[0].as_py(), kind=("a number", "text"))
    if kind in ("int64", "float64") and own == "str":
        text = pc.utf8_trim_whitespace(column.combine_chunks())
        row = _first_uncastable(pa, pc, text, pa.float64())
        raise _Cell(row, t, "label mix", value=text[row].as_py(), kind=("text", "numbers"))
    if kind == "float64" or own == "float64":
        own = "float64"
    if own == "str":
        values = np.array(trimmed.to_pylist(), dtype=str)
    else:
        values = pc.cast(trimmed, pa.int64() if own == "int64" else pa.float64()).to_numpy()
    codes = pc.index_in(column, value_set=uniques).to_numpy()
    return values[codes], own


def _looks_numeric(pc, strings):
    return pc.match_substring_regex(strings, _NUMBER, ignore_case=True)


def _arrow_labels(pa, pc, column, t):
    """Labels from a typed Arrow column (Parquet) as stored: numbers and booleans as NumPy
    numbers, text as str. _Cell('no label') at the first null."""
    if column.null_count:
        raise _Cell(_first_null(column), t, "no label")
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        uniques = pc.unique(column)
        values = np.array(uniques.to_pylist(), dtype=str)
        return values[pc.index_in(column, value_set=uniques).to_numpy()]
    return column.to_numpy()


def _arrow_features(pa, pc, columns, indices, names, where):
    """Typed Arrow columns (Parquet) -> numeric columns for _to_matrix: numbers and booleans as
    they are, text converted (_Cell('text') at the first non-number), nulls _Cell('missing')."""
    _check_no_nulls(columns, indices)
    out = []
    for column, j in zip(columns, indices, strict=True):
        ty = column.type
        if pa.types.is_dictionary(ty):
            column = column.cast(ty.value_type)
            ty = column.type
        if pa.types.is_integer(ty) or pa.types.is_floating(ty) or pa.types.is_boolean(ty):
            out.append(column)
        elif pa.types.is_string(ty) or pa.types.is_large_string(ty):
            text = pc.utf8_trim_whitespace(column.combine_chunks())
            row = _first_uncastable(pa, pc, text, pa.float64())
            if row is not None:
                raise _Cell(row, j, "text", value=column[row].as_py())
            out.append(pc.cast(text, pa.float64()))
        elif pa.types.is_decimal(ty):
            out.append(pc.cast(column, pa.float64()))
        else:
            raise ValueError(
                f"{where}, column {names[j]!r} has type {ty}; feature columns must be numeric "
                "(or text of numbers); leave it out with features="
            )
    return out


def _to_matrix(columns, dtype):
    """Arrow columns of equal length (numeric or boolean, no nulls) -> a new C-contiguous
    (n, len(columns)) ndarray of `dtype`. `columns` (a list) is emptied: each record batch is
    released once copied, so that the Arrow data and X are not both held whole (when the
    caller holds no other reference to them)."""
    pa = _arrow()[0]
    pool = pa.default_memory_pool()
    d = len(columns)
    batches = pa.table(columns, names=[str(j) for j in range(d)]).to_batches()  # aligned
    columns.clear()
    X = np.empty((sum(b.num_rows for b in batches), d), dtype=dtype)
    start = 0
    for i in range(len(batches)):
        batch, batches[i] = batches[i], None
        _copy_rows(X[start : start + batch.num_rows], batch)
        start += batch.num_rows
        del batch
        if i % 64 == 63:
            pool.release_unused()  # mimalloc keeps the freed batches' pages otherwise
    return X


def _first_nonfinite(X, columns):
    """_Cell('nonfinite') at the first row (then column) of X holding inf or NaN, or None;
    columns[j] is X's column j's index in the file. Checked in row blocks of about 1 MiB, so
    that no mask of X's size is made."""
    step = max(1, _COPY_BLOCK_BYTES // max(1, X.shape[1] * X.itemsize))
    for s in range(0, X.shape[0], step):
        block = X[s : s + step]
        finite = np.isfinite(block)
        if not finite.all():
            row, j = np.argwhere(~finite)[0]
            return _Cell(s + int(row), columns[int(j)], "nonfinite", value=block[row, j])
    return None


def _copy_rows(X, batch):
    """Copy a record batch's columns (numeric or boolean, no nulls; X.shape[1] of them) into
    the rows X (m, d), C-contiguous, converting to X's dtype."""
    pa = _arrow()[0]
    m, d = X.shape
    if not m:
        return
    # Arrow transposes a batch whose columns all have X's type itself (RecordBatch.to_tensor,
    # about 2x faster here than NumPy's copy column by column); others are copied by NumPy,
    # which converts (e.g. Parquet's float64 or integer columns into a float32 X) as it goes
    arrow_type = pa.from_numpy_dtype(X.dtype)
    if all(batch.column(j).type == arrow_type for j in range(d)):
        X[:] = np.asarray(batch.to_tensor(row_major=True))
        return
    cols = [batch.column(j).to_numpy(zero_copy_only=False) for j in range(d)]
    # NumPy's copy writes X in row blocks of about this many bytes, which stay in the cache
    # while each column's slice is written into them
    step = max(1, _COPY_BLOCK_BYTES // (d * X.itemsize))
    for s in range(0, m, step):
        block = X[s : s + step]
        for j, col in enumerate(cols):
            block[:, j] = col[s : s + step]


# ---------------------------------------------------------------------------------------------
# CSV


@dataclass
class _CsvLayout:
    names: list[str]  # the header's fields, stripped of surrounding whitespace
    delimiter: str
    header_line: int  # the header's line number (1-based): leading blank lines come first
    bytes_per_row: float  # of the first lines: sizes the blocks of a chunked read

    def skip_rows(self):
        return self.header_line  # the header and the blank lines before it


def _csv_layout(inp, delimiter):
    """The header, delimiter and line sizes from the first lines of a CSV file."""
    with inp.python() as f:
        head, eof = b"", False
        while True:  # until the header line and some data lines are complete (or the end)
            more = f.read(1 << 16)
            eof = not more
            head += more
            lines = head.split(b"\n")
            if eof or (len(head) >= 1 << 16 and any(line.strip() for line in lines[:-1])):
                break
    lines = head.split(b"\n")
    if not eof:
        lines = lines[:-1]  # the last one may be cut short
    lines = [line.rstrip(b"\r") for line in lines]
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise ValueError(f"{inp.name} is empty; expected a header row and data rows")
    header = lines[first].decode("utf-8", errors="replace").lstrip("\ufeff")
    sample = [
        line.decode("utf-8", errors="replace") for line in lines[first + 1 : first + 21] if line
    ]
    try:
        if delimiter is None:
            delimiter = _sniff_delimiter(header, sample)
        names = [name.strip() for name in next(csv.reader([header], delimiter=delimiter))]
    except csv.Error as err:  # e.g. a lone carriage return inside a line, or binary data
        raise ValueError(f"{inp.name}: not readable as CSV ({err})") from None
    sizes = [len(line) + 1 for line in lines[first + 1 : first + 21] if line]
    per_row = float(np.mean(sizes)) if sizes else float(len(lines[first]) + 1)
    return _CsvLayout(names, delimiter, first + 1, per_row)


def _fields(line, delimiter):
    return len(next(csv.reader([line], delimiter=delimiter), []))


def _sniff_delimiter(header, sample):
    """The candidate that splits the header into the most fields, preferring one that splits
    every sample line into as many; ',' when none splits the header."""
    best_key, best = None, ","
    for c in _DELIMITERS:
        n = _fields(header, c)
        if n < 2:
            continue
        key = (all(_fields(line, c) == n for line in sample), n)
        if best_key is None or key > best_key:
            best_key, best = key, c
    return best


def _csv_options(pa, pcsv, layout, t, feats, float_type, block_size):
    # our own column names: a header's may repeat, be empty or carry spaces
    names = [str(j) for j in range(len(layout.names))]
    types = {names[j]: float_type for j in feats}
    include = [names[j] for j in feats]
    if t is not None:
        types[names[t]] = pa.string()  # labels are typed by _text_labels, from their values
        include.append(names[t])
    return dict(
        read_options=pcsv.ReadOptions(
            column_names=names, skip_rows=layout.skip_rows(), block_size=block_size
        ),
        parse_options=pcsv.ParseOptions(delimiter=layout.delimiter),
        convert_options=pcsv.ConvertOptions(
            column_types=types, include_columns=include, strings_can_be_null=True
        ),
    )


def _data_lines(inp, layout):
    """(line number, line) of every non-blank line after the header, as pyarrow counts rows
    (it skips empty lines)."""
    with inp.python() as f:
        for number, line in enumerate(f, start=1):
            if number > layout.header_line and line.strip(b"\r\n"):
                yield number, line


def _line_of_row(inp, layout, row):
    """The line number of data row `row` (0-based), or None past the end."""
    for i, (number, _) in enumerate(_data_lines(inp, layout)):
        if i == row:
            return number
    return None


def _csv_located(inp, layout, cell, offset=0):
    """The ValueError for a bad cell at data row offset + cell.row."""
    row = offset + cell.row
    line = _line_of_row(inp, layout, row)
    where = f"{inp.name}, line {line}" if line is not None else f"{inp.name}, data row {row}"
    return ValueError(_cell_message(where, layout.names[cell.column], cell))


def _csv_error(err, inp, layout, t, feats, float_type):
    """A ValueError naming the line and column for pyarrow's error `err`, which names at
    most the column: the file is read again to find the line."""
    pa, pc, pcsv = _arrow()
    text = str(err)
    if "Expected" in text and "columns, got" in text:
        n = len(layout.names)
        for number, line in _data_lines(inp, layout):
            got = _fields(line.rstrip(b"\r\n").decode("utf-8", errors="replace"), layout.delimiter)
            if got != n:
                return ValueError(
                    f"{inp.name}, line {number}: {got} fields, but the header has {n} "
                    f"(delimiter {layout.delimiter!r}; pass delimiter= if that is not the file's)"
                )
    match = re.search(r"In CSV column #(\d+)", text)
    if match and int(match.group(1)) in feats:
        j = int(match.group(1))
        cell = _find_text_cell(pa, pc, pcsv, inp, layout, j, float_type)
        if cell is not None:
            return _csv_located(inp, layout, cell)
    return ValueError(f"{inp.name}: could not be read as CSV: {text}")


def _find_text_cell(pa, pc, pcsv, inp, layout, j, float_type):
    """The first cell of column j that is not a number, read again as text (that column
    only, in blocks): a _Cell('text') or None."""
    names = [str(k) for k in range(len(layout.names))]
    options = dict(
        read_options=pcsv.ReadOptions(column_names=names, skip_rows=layout.skip_rows()),
        parse_options=pcsv.ParseOptions(delimiter=layout.delimiter),
        convert_options=pcsv.ConvertOptions(
            include_columns=[names[j]],
            column_types={names[j]: pa.string()},
            strings_can_be_null=True,
        ),
    )
    offset = 0
    try:
        with inp.arrow() as stream:
            for batch in pcsv.open_csv(stream, **options):
                raw = batch.column(0)
                row = _first_uncastable(pa, pc, pc.utf8_trim_whitespace(raw), float_type)
                if row is not None:
                    return _Cell(offset + row, j, "text", value=raw[row].as_py())
                offset += len(raw)
    except pa.ArrowException:
        return None
    return None


def _read_csv_table(inp, layout, t, feats, float_type):
    pa, _, pcsv = _arrow()
    options = _csv_options(pa, pcsv, layout, t, feats, float_type, _CSV_BLOCK_BYTES)
    try:
        with inp.arrow() as stream:
            return pcsv.read_csv(stream, **options)
    except pa.ArrowException as err:
        raise _csv_error(err, inp, layout, t, feats, float_type) from None


def _load_csv(inp, target, features, dtype, delimiter, labels, require_labels):
    pa, pc, _ = _arrow()
    layout = _csv_layout(inp, delimiter)
    t, feats = _select(layout.names, len(layout.names), target, features, inp.name)
    _need_labels(t, labels, inp.name, require_labels)
    float_type = pa.float32() if dtype == np.float32 else pa.float64()
    target_name = None if t is None else layout.names[t]
    if not require_labels:
        t = None  # left out of X, not read
    table = _read_csv_table(inp, layout, t, feats, float_type)
    if table.num_rows == 0:
        raise ValueError(f"{inp.name} has a header but no data rows")
    k = len(feats)
    try:
        _check_no_nulls(table.columns[:k], feats)
        if t is not None:
            y, _ = _text_labels(pa, pc, table.column(k), t)
        else:
            y = _given_labels(labels, table.num_rows, inp.name)
        columns = table.columns[:k]
        del table  # every reference to the Arrow data but `columns`, which _to_matrix empties
        X = _to_matrix(columns, dtype)
        cell = _first_nonfinite(X, feats)  # 'inf' parses as a number; NaN is a missing value
        if cell is not None:
            raise cell
    except _Cell as cell:
        raise _csv_located(inp, layout, cell) from None
    return Dataset(X, y, [layout.names[j] for j in feats], target_name)


def _csv_chunk_source(
    inp, chunk_rows, target, features, dtype, delimiter, labels, require_labels=True
):
    pa = _arrow()[0]
    layout = _csv_layout(inp, delimiter)
    t, feats = _select(layout.names, len(layout.names), target, features, inp.name)
    _need_labels(t, labels, inp.name, require_labels)
    float_type = pa.float32() if dtype == np.float32 else pa.float64()
    y_all = None if labels is None else _label_array(labels, mmap=True)
    read_t = t if require_labels else None  # the target column is left out of X, not read

    def read():
        chunks = _csv_chunks(inp, layout, read_t, feats, chunk_rows, dtype, float_type)
        return chunks if y_all is None else _with_labels(chunks, y_all, inp.name)

    return ChunkSource(
        read,
        n_features=len(feats),
        feature_names=[layout.names[j] for j in feats],
        dtype=dtype,
        target_name=None if t is None else layout.names[t],
        name=inp.name,
    )


def _csv_batches(inp, layout, t, feats, float_type, block_bytes):
    """pyarrow's streaming CSV reader over the whole input: record batches of about
    block_bytes of text each. Its errors become _csv_error's ValueError."""
    pa, _, pcsv = _arrow()
    options = _csv_options(pa, pcsv, layout, t, feats, float_type, block_bytes)
    with inp.arrow() as stream:
        try:
            reader = pcsv.open_csv(stream, **options)
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                if batch.num_rows:
                    yield batch
        except pa.ArrowException as err:
            raise _csv_error(err, inp, layout, t, feats, float_type) from None


def _csv_chunks(inp, layout, t, feats, chunk_rows, dtype, float_type):
    """Chunks of chunk_rows rows (the last may hold fewer), each record batch of pyarrow's
    streaming reader copied into the chunk's X as it arrives. Small blocks keep pyarrow's own
    buffers small (it holds about 35 blocks: 35 MiB at 1 MiB) and parse about as fast (376 MB
    on 2 cores: 1.46 s at 1 MiB, 1.48 s at 512 KiB, 1.58 s at 256 KiB; the multi-threaded
    read_csv of the whole file 1.44 s). Errors name lines counted in the whole file."""
    pa, pc, _ = _arrow()
    low, high = _CSV_STREAM_BLOCK_BYTES
    block_bytes = int(min(high, max(low, chunk_rows * layout.bytes_per_row / 64)))
    k = len(feats)
    kind = None  # of the labels: the first chunk's
    done = 0  # rows in the chunks before
    X, filled, labels = None, 0, []  # the chunk being filled, its rows so far, label columns

    def labels_of_chunk():
        nonlocal kind
        if t is None:
            return None
        try:
            y, kind = _text_labels(pa, pc, pa.chunked_array(labels, pa.string()), t, kind)
        except _Cell as cell:
            raise _csv_located(inp, layout, cell, offset=done) from None
        return y

    for batch in _csv_batches(inp, layout, t, feats, float_type, block_bytes):
        start = 0
        while start < batch.num_rows:
            take = min(batch.num_rows - start, chunk_rows - filled)
            if X is None or filled + take > X.shape[0]:
                # grown as rows come (to at most chunk_rows): a chunk_rows far above the
                # file's rows allocates what the file holds, not chunk_rows
                rows = max(filled + take, 64 * batch.num_rows, 0 if X is None else 2 * len(X))
                grown = np.empty((min(chunk_rows, rows), k), dtype=dtype)
                if filled:
                    grown[:filled] = X[:filled]
                X = grown
            piece = batch.slice(start, take)
            try:
                _check_no_nulls(piece.columns[:k], feats)
            except _Cell as cell:
                raise _csv_located(inp, layout, cell, offset=done + filled) from None
            _copy_rows(X[filled : filled + take], piece.select(range(k)))
            cell = _first_nonfinite(X[filled : filled + take], feats)
            if cell is not None:
                raise _csv_located(inp, layout, cell, offset=done + filled) from None
            if t is not None:
                labels.append(piece.column(k))
            filled += take
            start += take
            if filled == chunk_rows:
                y = labels_of_chunk()
                out, X, filled, labels = (X, y), None, 0, []
                done += chunk_rows
                pa.default_memory_pool().release_unused()  # mimalloc keeps freed blocks
                yield out
                out = None
    if filled:
        yield X[:filled], labels_of_chunk()
    elif done == 0:
        raise ValueError(f"{inp.name} has a header but no data rows")


def _with_labels(chunks, y_all, name):
    """(X, None) chunks -> (X, labels of those rows) from one array over the whole source."""
    offset = 0
    for X, _ in chunks:
        m = X.shape[0]
        if offset + m > y_all.shape[0]:
            raise ValueError(
                f"{name} has more than {y_all.shape[0]} rows but labels has {y_all.shape[0]}; "
                "pass one label per row"
            )
        yield X, np.asarray(y_all[offset : offset + m])
        offset += m
    _check_label_count(offset, y_all, name)


# ---------------------------------------------------------------------------------------------
# Parquet


def _open_parquet(path):
    pa = _arrow()[0]
    pq = _parquet()
    try:
        return pq.ParquetFile(path)
    except FileNotFoundError:
        raise
    except (pa.ArrowException, OSError) as err:
        raise ValueError(f"{path}: not a readable Parquet file ({err})") from None


def _parquet_plan(pf, path, target, features, labels, require_labels=True):
    names = pf.schema_arrow.names
    t, feats = _select(names, len(names), target, features, path)
    _need_labels(t, labels, path, require_labels)
    columns = [names[j] for j in feats] + ([] if t is None else [names[t]])
    if len(set(columns)) != len(columns):  # they are read by name
        raise ValueError(f"{path}: its selected columns' names repeat; select others")
    return names, t, feats


def _parquet_fill(pa, pc, pf, group, X, names, feats, path, offset):
    """Fill X (m, len(feats)), the rows of row group `group`, from its feature columns, read a
    few at a time (about _PARQUET_READ_BYTES decoded): the group is never held whole as Arrow
    data beside X. Errors as for the whole table: the first missing value (by row, then
    column) over every column, else the first text cell of the first column holding one."""
    m, k = X.shape
    width = max(1, _PARQUET_READ_BYTES // max(1, m * 8))
    missing = text = None
    for start in range(0, k, width):
        indices = feats[start : start + width]
        try:
            table = pf.read_row_group(group, columns=[names[j] for j in indices])
        except pa.ArrowException as err:
            raise ValueError(f"{path}: could not be read as Parquet: {err}") from None
        try:
            columns = _arrow_features(pa, pc, table.columns, indices, names, path)
        except _Cell as cell:
            if cell.problem == "missing":
                if missing is None or (cell.row, cell.column) < (missing.row, missing.column):
                    missing = cell
            elif text is None:
                text = cell
            continue
        del table
        with np.errstate(over="ignore"):  # beyond float32: inf, named by the check below
            for i, column in enumerate(columns):
                X[:, start + i] = column.to_numpy()
        del columns
    cell = missing or text or _first_nonfinite(X, feats)
    if cell is not None:
        where = f"{path}, row {offset + cell.row} (rows counted from 0)"
        raise ValueError(_cell_message(where, names[cell.column], cell))


def _parquet_group_labels(pa, pc, pf, group, names, t, path, offset):
    try:
        column = pf.read_row_group(group, columns=[names[t]]).column(0)
    except pa.ArrowException as err:
        raise ValueError(f"{path}: could not be read as Parquet: {err}") from None
    try:
        return _arrow_labels(pa, pc, column, t)
    except _Cell as cell:
        where = f"{path}, row {offset + cell.row} (rows counted from 0)"
        raise ValueError(_cell_message(where, names[cell.column], cell)) from None


def _parquet_groups(pf, names, t, feats, dtype, path, X=None):
    """(X_g, y_g or None) for each row group in order: X_g a new (m_g, len(feats)) array of
    `dtype`, or when X (n, len(feats)) is given, X's rows of that group, filled."""
    pa, pc, _ = _arrow()
    offset = 0
    for group in range(pf.num_row_groups):
        m = pf.metadata.row_group(group).num_rows
        if m == 0:
            continue
        if X is None:
            X_g = np.empty((m, len(feats)), dtype=dtype)
        else:
            X_g = X[offset : offset + m]
        _parquet_fill(pa, pc, pf, group, X_g, names, feats, path, offset)
        y_g = None
        if t is not None:
            y_g = _parquet_group_labels(pa, pc, pf, group, names, t, path, offset)
        yield X_g, y_g
        offset += m


def _load_parquet(path, target, features, dtype, labels, require_labels):
    pf = _open_parquet(path)
    names, t, feats = _parquet_plan(pf, path, target, features, labels, require_labels)
    n = pf.metadata.num_rows
    if n == 0:
        raise ValueError(f"{path} has no rows")
    X = np.empty((n, len(feats)), dtype=dtype)
    read_t = t if require_labels else None  # the target column is left out of X, not read
    y_groups = [y_g for _, y_g in _parquet_groups(pf, names, read_t, feats, dtype, path, X)]
    y = _given_labels(labels, n, path) if read_t is None else np.concatenate(y_groups)
    return Dataset(X, y, [names[j] for j in feats], None if t is None else names[t])


def _rechunked(pieces, chunk_rows):
    """(X, y or None) pieces of any sizes -> chunks of chunk_rows rows (the last may be
    shorter): row slices of a piece (views) where one holds a whole chunk, else copies
    joining the end of one piece to the start of the next."""
    pending, held = [], 0
    for X, y in pieces:
        start = 0
        while start < X.shape[0]:
            stop = min(X.shape[0], start + chunk_rows - held)
            pending.append((X[start:stop], None if y is None else y[start:stop]))
            held += stop - start
            start = stop
            if held == chunk_rows:
                yield _joined(pending)
                pending, held = [], 0
    if held:
        yield _joined(pending)


def _joined(pieces):
    if len(pieces) == 1:
        return pieces[0]
    X = np.concatenate([X for X, _ in pieces])
    y = None if pieces[0][1] is None else np.concatenate([y for _, y in pieces])
    return X, y


def _parquet_chunks(path, chunk_rows, target, features, dtype, labels, require_labels=True):
    pf = _open_parquet(path)
    names, t, feats = _parquet_plan(pf, path, target, features, labels, require_labels)
    y_all = None if labels is None else _label_array(labels, mmap=True)
    if pf.metadata.num_rows == 0:
        raise ValueError(f"{path} has no rows")
    read_t = t if require_labels else None  # the target column is left out of X, not read

    def read():
        # A row group at a time, its columns read a few at a time into the group's X. So a
        # pass holds one group's X and a few decoded columns beside the consumer's chunk, where
        # reading whole groups as tables held about 3 groups (408 MB peak for groups of 38 MB),
        # and ParquetFile.iter_batches 1.8 GB (its pool kept the whole file).
        groups = _parquet_groups(pf, names, read_t, feats, dtype, path)
        chunks = _rechunked(groups, chunk_rows)
        return chunks if y_all is None else _with_labels(chunks, y_all, path)

    return ChunkSource(
        read,
        n_features=len(feats),
        feature_names=[names[j] for j in feats],
        dtype=dtype,
        target_name=None if t is None else names[t],
        n_rows=pf.metadata.num_rows,
        name=path,
    )


# ---------------------------------------------------------------------------------------------
# NumPy


def _npy_matrix(path):
    """A .npy file's 2-D array, memory-mapped (read-only)."""
    try:
        A = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as err:
        raise ValueError(f"{path}: not a NumPy array of numbers ({err})") from None
    _check_matrix(A, path)
    return A


def _check_matrix(A, where):
    if A.ndim != 2:
        raise ValueError(
            f"{where} holds an array of shape {A.shape}; X must be 2-D (n_samples, n_features)"
        )
    if A.dtype.kind not in "biuf":
        raise ValueError(f"{where} holds {A.dtype} values; X must be numeric")
    if A.shape[0] == 0:
        raise ValueError(f"{where} has no rows")


def _take_columns(A, t, feats, dtype):
    """(X, y) from rows of a matrix: X the `feats` columns as a new C-contiguous `dtype` array
    (in row blocks: no copy of the whole selection first), y column t or None; or X = A itself
    when it is the whole matrix in `dtype` and C order."""
    if t is None and feats == list(range(A.shape[1])) and A.dtype == dtype and A.flags.c_contiguous:
        return A, None
    X = np.empty((A.shape[0], len(feats)), dtype=dtype)
    step = max(1, (16 << 20) // max(1, A.shape[1] * A.itemsize))
    whole = feats == list(range(A.shape[1]))
    with np.errstate(over="ignore"):  # beyond float32: inf, which the fit's check names
        for s in range(0, A.shape[0], step):
            X[s : s + step] = A[s : s + step] if whole else A[s : s + step][:, feats]
    y = None if t is None else np.array(A[:, t])
    return X, y


def _load_numpy(path, fmt, target, features, dtype, labels, require_labels=True):
    y = None
    if fmt == "npy":
        A = _npy_matrix(path)
        _need_labels(target, labels, path, require_labels)
    else:
        try:
            with np.load(path, allow_pickle=False) as f:
                files = list(f.files)
                if "X" not in files:
                    raise ValueError(
                        f"{path} has no array named 'X' (its arrays: {files}); save it with "
                        "np.savez(path, X=X, y=y)"
                    )
                A = f["X"]
                if "y" in files and target is None and labels is None:
                    y = f["y"]
        except ValueError as err:
            if "has no array named" in str(err):
                raise
            raise ValueError(f"{path}: not a NumPy .npz archive of numbers ({err})") from None
        if require_labels and y is None and target is None and labels is None:
            raise ValueError(
                f"{path} has no array named 'y' (its arrays: {files}); save it with "
                "np.savez(path, X=X, y=y), or pass labels= or target= (a column index)"
            )
        _check_matrix(A, f"{path}['X']")
        named = isinstance(target, str) and not target.strip().lstrip("-").isdigit()
        if named and "y" in files:
            raise ValueError(
                f"{path} holds its labels in its array 'y'; leave out target= (which would "
                "take a column of its X by index)"
            )
    t, feats = _select(None, A.shape[1], target, features, path)
    X, y_col = _take_columns(A, t, feats, dtype)
    if y_col is not None:
        y = y_col
    elif labels is not None:
        y = _label_array(labels)
    if y is not None:
        if y.ndim != 1:
            raise ValueError(f"{path}: y must be 1-D, one label per row; got shape {y.shape}")
        _check_label_count(X.shape[0], y, path)
    return Dataset(X, y, None, None)


def _touch_pages(A):
    """Read one element per 4 KiB page of a C-contiguous array: a memory map's pages are read
    from disk here (on the read-ahead thread) rather than by the consumer."""
    flat = A.reshape(-1)
    flat[:: max(1, 4096 // A.itemsize)].sum()


def _npy_list_chunks(
    paths, chunk_rows, target, features, dtype, labels, per_file, require_labels=True
):
    """Chunks of one or more .npy files; labels one array over every row, or (per_file) a list
    of one label array or .npy path per file."""
    if not paths:
        raise ValueError("the list of .npy files is empty")
    paths = [os.fspath(p) for p in paths]
    for p in paths:
        if _format_of(p)[0] != "npy":
            raise ValueError(f"{p}: a list of files must hold .npy files only")
    shapes = [_npy_matrix(p).shape for p in paths]
    n_cols = shapes[0][1]
    for p, shape in zip(paths, shapes, strict=True):
        if shape[1] != n_cols:
            raise ValueError(f"{p} has {shape[1]} columns, but {paths[0]} has {n_cols}")
    name = paths[0] if len(paths) == 1 else f"{paths[0]} and {len(paths) - 1} more"
    _need_labels(target, labels, name, require_labels)
    t, feats = _select(None, n_cols, target, features, name)
    n_rows = sum(shape[0] for shape in shapes)
    if labels is None:
        file_labels = [None] * len(paths)
    elif per_file:
        if len(labels) != len(paths):
            raise ValueError(
                f"labels lists {len(labels)} label files or arrays for {len(paths)} .npy files; "
                "pass one per file (or one array for every row)"
            )
        file_labels = [_label_array(lab, mmap=True) for lab in labels]
        for p, shape, y in zip(paths, shapes, file_labels, strict=True):
            _check_label_count(shape[0], y, p)
    else:
        y_all = _label_array(labels, mmap=True)
        _check_label_count(n_rows, y_all, name)
        starts = np.cumsum([0] + [shape[0] for shape in shapes])
        file_labels = [y_all[a:b] for a, b in itertools.pairwise(starts)]

    def read():
        for p, y_file in zip(paths, file_labels, strict=True):
            A = _npy_matrix(p)
            for s in range(0, A.shape[0], chunk_rows):
                rows = A[s : s + chunk_rows]
                X, y = _take_columns(rows, t, feats, dtype)
                if X is rows:  # a view of the memory map: read its pages here
                    _touch_pages(X)
                if y_file is not None:
                    y = np.asarray(y_file[s : s + chunk_rows])
                yield X, y

    return ChunkSource(read, n_features=len(feats), dtype=dtype, n_rows=n_rows, name=name)


def _memory_chunks(data, name, chunk_rows):
    X, y = data.X, data.y

    def read():
        for s in range(0, X.shape[0], chunk_rows):
            yield X[s : s + chunk_rows], y[s : s + chunk_rows]

    return ChunkSource(read, n_features=X.shape[1], dtype=X.dtype, n_rows=X.shape[0], name=name)


# ---------------------------------------------------------------------------------------------
# LIBSVM / svmlight


def _svmlight_parse(lines, first_line, name, **kwargs):
    """(X CSR, y) of a block of LIBSVM lines (bytes) by sklearn's parser; a ValueError naming
    the line of the first one it rejects."""
    from sklearn.datasets import load_svmlight_file

    try:
        return load_svmlight_file(io.BytesIO(b"".join(lines)), **kwargs)
    except (ValueError, OverflowError) as err:
        for number, line in enumerate(lines, start=first_line):
            try:
                load_svmlight_file(io.BytesIO(line), zero_based=True)
            except (ValueError, OverflowError) as line_err:
                raise ValueError(f"{name}, line {number}: {line_err}") from None
        raise ValueError(f"{name}: {err}") from None


def _svmlight_blocks(inp, lines_per_block):
    """(first line number, lines) in blocks of the file's lines."""
    with inp.python() as f:
        block, first = [], 1
        for number, line in enumerate(f, start=1):
            if not block:
                first = number
            block.append(line if line.endswith(b"\n") else line + b"\n")
            if len(block) == lines_per_block:
                yield first, block
                block = []
        if block:
            yield first, block


def _svmlight_layout(name, low, high, n_features, zero_based):
    """(zero_based, n_features) of a LIBSVM file whose feature indices (as written) range over
    [low, high] (low None: no feature at all): 'auto' takes 0-based when some index is 0."""
    if zero_based == "auto":
        zero_based = low is None or low == 0
    elif not zero_based and low == 0:
        raise ValueError(
            f"{name} holds feature index 0, but zero_based=False (indices from 1); pass "
            "zero_based=True or 'auto'"
        )
    width = high + 1 if zero_based else high
    if n_features is None:
        n_features = max(width, 1)
    elif n_features < width:
        raise ValueError(
            f"{name} holds feature index {high} ({'0' if zero_based else '1'}-based: {width} "
            f"features), but X is to have {n_features} columns (n_features=)"
        )
    return zero_based, n_features


def _load_svmlight(inp, dtype, n_features, zero_based="auto"):
    import scipy.sparse as sp
    from sklearn.datasets import load_svmlight_file

    try:
        with inp.python() as f:
            # read 0-based, so that the indices are as written; the indexing is decided below
            X, y = load_svmlight_file(f, dtype=dtype, zero_based=True)
    except (ValueError, OverflowError) as err:
        for first, block in _svmlight_blocks(inp, 1 << 14):  # find the line
            _svmlight_parse(block, first, inp.name, zero_based=True)
        raise ValueError(f"{inp.name}: {err}") from None
    if X.shape[0] == 0:
        raise ValueError(f"{inp.name} has no rows (an empty LIBSVM file)")
    X = X.tocsr()
    low, high = (int(X.indices.min()), int(X.indices.max())) if X.nnz else (None, -1)
    zero_based, n_features = _svmlight_layout(inp.name, low, high, n_features, zero_based)
    indices = X.indices if zero_based else X.indices - 1
    X = sp.csr_matrix((X.data, indices, X.indptr), shape=(X.shape[0], n_features))
    return Dataset(X, y, None, None, zero_based)


def _svmlight_chunks(inp, chunk_rows, dtype, n_features, zero_based="auto"):
    # one pass to fix what load_svmlight_file decides per call: the width of X and whether
    # indices start at 0 (zero_based='auto' then decides for the whole file)
    rows, low, high = 0, None, -1
    for first, block in _svmlight_blocks(inp, 1 << 14):
        X, _ = _svmlight_parse(block, first, inp.name, zero_based=True, dtype=dtype)
        rows += X.shape[0]
        if X.nnz:
            low = int(X.indices.min()) if low is None else min(low, int(X.indices.min()))
            high = max(high, int(X.indices.max()))
    if rows == 0:
        raise ValueError(f"{inp.name} has no rows (an empty LIBSVM file)")
    zero_based, n_features = _svmlight_layout(inp.name, low, high, n_features, zero_based)

    def read():
        for first, block in _svmlight_blocks(inp, chunk_rows):
            X, y = _svmlight_parse(
                block, first, inp.name, n_features=n_features, zero_based=zero_based, dtype=dtype
            )
            if X.shape[0]:
                yield X.tocsr(), y

    source = ChunkSource(read, n_features=n_features, dtype=dtype, n_rows=rows, name=inp.name)
    source.zero_based = zero_based
    return source


# ---------------------------------------------------------------------------------------------
# read-ahead

_END = object()


def _read_ahead(read):
    """Iterate read()'s chunks, reading each next one on a worker thread while the consumer
    holds the current one (one chunk ahead, never more)."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fastlogreg-read-ahead")
    chunks, future = None, None
    try:
        chunks = iter(read())
        future = pool.submit(next, chunks, _END)
        while True:
            chunk = future.result()
            if chunk is _END:
                return
            future = pool.submit(next, chunks, _END)
            yield chunk
            chunk = None
    finally:
        if future is not None:
            future.cancel()
        pool.shutdown(wait=True)  # the worker is done with the iterator before it is closed
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


# ---------------------------------------------------------------------------------------------
# the command line's reader (plain Python), until it switches to load()


def read_csv(path, target):
    """A CSV file with a header row -> (X float64 (n, d), y labels (n,), feature names).

    The `target` column holds the labels (any two values: text or numbers; none may be empty);
    every other column must be numeric. Errors name the file, the line and the column."""
    with open(path, newline="") as f:
        reader = csv.reader(f)
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            raise ValueError(f"{path} is empty; expected a header row and data rows") from None
        if target not in header:
            raise ValueError(
                f"{path} has no column {target!r}; its columns are {header}. Pass the label "
                "column's name with --target."
            )
        t = header.index(target)
        features = [name for i, name in enumerate(header) if i != t]
        rows, labels = [], []
        for line, record in enumerate(reader, start=2):
            if not record:
                continue
            if len(record) != len(header):
                raise ValueError(
                    f"{path}, line {line}: {len(record)} fields, but the header has {len(header)}"
                )
            label = record[t].strip()
            if not label:
                raise ValueError(
                    f"{path}, line {line}: no label in column {target!r}; fill in the label or "
                    "drop the row."
                )
            labels.append(label)
            values = record[:t] + record[t + 1 :]
            try:
                rows.append([float(v) for v in values])
            except ValueError:
                j = next(j for j, v in enumerate(values) if not _is_float(v))
                raise ValueError(
                    f"{path}, line {line}, column {features[j]!r}: {values[j]!r} is not a number; "
                    "fill in or drop missing values and encode text columns as numbers."
                ) from None
    if not rows:
        raise ValueError(f"{path} has a header but no data rows")
    return np.array(rows, dtype=np.float64), _labels(labels), features


def _is_float(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _labels(values):
    """Numeric labels become numbers (integers where they all are), anything else stays text."""
    if all(_is_float(v) for v in values):
        y = np.array(values, dtype=np.float64)
        return y.astype(np.int64) if np.all(y == np.round(y)) else y
    return np.array(values)
