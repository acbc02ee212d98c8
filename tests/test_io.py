"""fastlogreg.io: load() and open_chunks() for every format, compression and delimiter, their
errors (file, line or row, column), zero-copy .npy, and the chunk sources' re-iteration and
read-ahead."""

import bz2
import gzip
import io
import lzma
import mmap
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from fastlogreg import io as fio  # noqa: E402
from fastlogreg.io import ChunkSource, load, open_chunks  # noqa: E402

N, D = 257, 4  # rows, features: chunk sizes below do not divide N


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, D))
    y = rng.integers(0, 2, N)
    return X, y


def csv_text(X, y, names=None, delimiter=","):
    names = names or [f"f{j}" for j in range(X.shape[1])]
    lines = [delimiter.join([*names, "label"])]
    for row, label in zip(X, y, strict=True):
        lines.append(delimiter.join([*(repr(float(v)) for v in row), str(label)]))
    return "\n".join(lines) + "\n"


def write(path, text, compression=None):
    raw = text.encode() if isinstance(text, str) else text
    if compression == ".gz":
        raw = gzip.compress(raw)
    elif compression == ".bz2":
        raw = bz2.compress(raw)
    elif compression == ".xz":
        raw = lzma.compress(raw)
    elif compression == ".zst":
        raw = pa.compress(raw, codec="zstd", asbytes=True)  # one frame with its size
    path.write_bytes(raw)
    return path


def dense(X):
    return X.toarray() if hasattr(X, "toarray") else np.asarray(X)


def concatenated(source):
    chunks = list(source)
    return np.vstack([dense(X) for X, _ in chunks]), np.concatenate([y for _, y in chunks]), chunks


def message(excinfo):
    err = excinfo.value
    # pyarrow's ArrowInvalid is a ValueError too: the user must get ours, not it
    assert type(err) is ValueError, type(err)
    return str(err)


# ---------------------------------------------------------------------------------------------
# CSV


@pytest.mark.parametrize("compression", ["", ".gz", ".bz2", ".zst", ".xz"])
def test_csv_every_compression(tmp_path, data, compression):
    X, y = data
    path = write(tmp_path / f"data.csv{compression}", csv_text(X, y), compression or None)
    ds = load(path, target="label")
    np.testing.assert_array_equal(ds.X, X)  # repr() round-trips float64 exactly
    np.testing.assert_array_equal(ds.y, y)
    assert ds.X.dtype == np.float64 and ds.X.flags.c_contiguous and ds.y.dtype == np.int64
    assert ds.feature_names == [f"f{j}" for j in range(D)] and ds.target_name == "label"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiter_is_detected(tmp_path, data, delimiter):
    X, y = data
    path = write(tmp_path / "data.csv", csv_text(X, y, delimiter=delimiter))
    ds = load(path, target="label")
    np.testing.assert_array_equal(ds.X, X)
    assert ds.feature_names == [f"f{j}" for j in range(D)]


def test_csv_delimiter_given_and_decimal_commas_are_not_numbers(tmp_path):
    # ';' splits the header into the most fields, ',' the data lines: the header decides
    path = write(tmp_path / "data.csv", "a;b;label\n1,5;2;x\n3;4;y\n")
    with pytest.raises(ValueError) as excinfo:
        load(path, target="label")
    assert "data.csv, line 2, column 'a': '1,5' is not a number" in message(excinfo)
    path = write(tmp_path / "pipes.txt", "a|b,c|label\n1|2|x\n3|4|y\n")
    ds = load(path, target="label", delimiter="|")
    assert ds.feature_names == ["a", "b,c"]
    np.testing.assert_array_equal(ds.X, [[1, 2], [3, 4]])


def test_csv_tsv_extension_whitespace_blank_lines_and_bom(tmp_path):
    text = "\ufeff a \t b\t label \n\n1\t 2 \t x \n\n3\t4\ty\n"
    ds = load(write(tmp_path / "data.tsv", text), target="label")
    assert ds.feature_names == ["a", "b"] and ds.target_name == "label"
    np.testing.assert_array_equal(ds.X, [[1, 2], [3, 4]])
    assert ds.y.tolist() == ["x", "y"]  # labels trimmed, kept as text


def test_csv_stdin(tmp_path, data, monkeypatch):
    X, y = data
    for raw in (csv_text(X, y).encode(), gzip.compress(csv_text(X, y).encode())):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
        ds = load("-", target="label")
        np.testing.assert_array_equal(ds.X, X)
        np.testing.assert_array_equal(ds.y, y)


def test_csv_stdin_error_names_stdin(monkeypatch):
    raw = b"a,b,label\n1,2,x\n3,,y\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    with pytest.raises(ValueError) as excinfo:
        load("-", target="label")
    assert message(excinfo).startswith("<stdin>, line 3, column 'b': missing value")


def test_csv_stdin_through_a_real_pipe(tmp_path, data):
    X, y = data
    code = (
        "import sys; from fastlogreg.io import load; ds = load('-', target=0);"
        "print(ds.X.shape, ds.target_name)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        input=gzip.compress(csv_text(X, y, names=["t", "a", "b", "c"]).encode()),
        capture_output=True,
        check=True,
    )
    assert result.stdout.decode().split() == ["(257,", "4)", "t"]


def test_csv_target_by_name_index_and_digit_string(tmp_path):
    path = write(tmp_path / "data.csv", "a,b,c\n1,2,0\n3,4,1\n")
    for target in ("c", 2, "2", -1, " 2 "):
        ds = load(path, target=target)
        assert ds.target_name == "c" and ds.y.tolist() == [0, 1]
        np.testing.assert_array_equal(ds.X, [[1, 2], [3, 4]])
    ds = load(path, target=0)
    assert ds.feature_names == ["b", "c"] and ds.y.tolist() == [1, 3]
    # a column named "1" is that column, not the index 1
    path = write(tmp_path / "digits.csv", "0,1,label\n5,6,7\n8,9,10\n")
    assert load(path, target="1").y.tolist() == [6, 9]


def test_csv_feature_subsets_keep_the_given_order(tmp_path, data):
    X, y = data
    path = write(tmp_path / "data.csv", csv_text(X, y))
    ds = load(path, target="label", features=["f3", 0, "2"])
    assert ds.feature_names == ["f3", "f0", "f2"]
    np.testing.assert_array_equal(ds.X, X[:, [3, 0, 2]])
    assert ds.X.flags.c_contiguous


def test_csv_float32_is_parsed_directly(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.integers(-1000, 1000, (50, 3)) / 8  # exact in float32
    text = "a,b,c,label\n" + "".join(f"{r[0]},{r[1]},{r[2]},1\n" for r in X)
    ds = load(write(tmp_path / "data.csv", text), target="label", dtype=np.float32)
    assert ds.X.dtype == np.float32 and ds.X.flags.c_contiguous
    np.testing.assert_array_equal(ds.X, X.astype(np.float32))


def test_csv_labels_keep_their_kind(tmp_path):
    def labels(column):
        text = "a,label\n" + "".join(f"{i},{v}\n" for i, v in enumerate(column))
        return load(write(tmp_path / "labels.csv", text), target="label").y

    assert labels(["1", "0", "-1"]).dtype == np.int64
    y = labels(["1.5", "0", "2"])
    assert y.dtype == np.float64 and y.tolist() == [1.5, 0.0, 2.0]
    y = labels(["cat", "dog", "1a"])
    assert y.dtype.kind == "U" and y.tolist() == ["cat", "dog", "1a"]


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (["0", "1"] * 30 + ["true"] + ["1"] * 9, "line 62, column 'label': the label 'true' is"),
        (["yes", "no"] * 30 + ["1"] + ["no"] * 9, "line 62, column 'label': the label '1' is a"),
        (["0", "1"] * 30 + [" +1.5e0 "] + ["1"] * 9, None),  # int then float: float64 classes
        (["7", "1"] * 30 + ["100000000000000000001"] + ["1"] * 9, "line 62, column 'label': the"
         " label 100000000000000000001 is an integer beyond 2^53"),
        (["16", "1"] * 30 + ["0x10"] + ["1"] * 9, "line 62, column 'label': the label '0x10' is"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("chunk_rows", [None, 5, 60, 1000])
def test_csv_labels_that_mix_text_and_numbers(tmp_path, column, expected, chunk_rows):
    """Numbers among text labels (or text among numbers) are an error naming the line, read
    whole or in chunks of any size; integers then non-integers give float64 labels both ways."""
    path = write(
        tmp_path / "l.csv", "a,label\n" + "".join(f"{i},{v}\n" for i, v in enumerate(column))
    )
    if expected is None:
        if chunk_rows is None:
            y = load(path, target="label").y
        else:
            y = concatenated(open_chunks(path, chunk_rows=chunk_rows, target="label"))[1]
        assert y.dtype == np.float64 and sorted(set(y.tolist())) == [0.0, 1.0, 1.5]
        return
    with pytest.raises(ValueError) as excinfo:
        if chunk_rows is None:
            load(path, target="label")
        else:
            list(open_chunks(path, chunk_rows=chunk_rows, target="label"))
    assert f"l.csv, {expected}" in message(excinfo)


def test_csv_labels_from_an_array_or_npy(tmp_path, data):
    X, y = data
    path = write(tmp_path / "data.csv", csv_text(X, y))
    np.save(tmp_path / "y.npy", y)
    for labels in (y, tmp_path / "y.npy"):
        ds = load(path, features=list(range(D)), labels=labels)
        np.testing.assert_array_equal(ds.X, X)
        np.testing.assert_array_equal(ds.y, y)
        assert ds.target_name is None
    with pytest.raises(ValueError, match="has 257 rows but labels has 256"):
        load(path, features=list(range(D)), labels=y[1:])
    with pytest.raises(ValueError, match="pass target="):
        load(path)
    with pytest.raises(ValueError, match=r"either target= .* or labels="):
        load(path, target="label", labels=y)


@pytest.mark.parametrize(
    ("content", "kwargs", "expected"),
    [
        # the command line's messages (tests/test_cli.py), kept
        ("a,b,label\n1,2,x\n3,4,y\n", {"target": "nope"}, "has no column 'nope'"),
        ("a,b,label\n1,,x\n3,4,y\n", {"target": "label"}, "line 2, column 'b'"),
        ("", {"target": "label"}, "is empty"),
        ("a,b,label\n1,2,x\n3,4,\n5,6,y\n", {"target": "label"}, "line 3: no label in"),
        # and each error with its line
        (
            "a,b,label\n1,2,x\n3,4,y\n",
            {"target": "nope"},
            "data.csv has no column 'nope'; its columns are ['a', 'b', 'label']",
        ),
        (
            "a,b,label\n1,2,x\n3,4,y\n",
            {"target": "label", "features": ["a", "zz"]},
            "data.csv has no column 'zz'; its columns are ['a', 'b', 'label']",
        ),
        ("a,b,label\n1,2,x\n", {"target": 7}, "data.csv has no column 7: it has 3 columns"),
        (
            "a,b,label\n1,2,x\n\n3,NA,y\n",
            {"target": "label"},
            "data.csv, line 4, column 'b': missing value (an empty field or NA/NaN/null)",
        ),
        (
            "a,b,label\n1,2,x\n3,abc,y\n",
            {"target": "label"},
            "data.csv, line 3, column 'b': 'abc' is not a number; ",
        ),
        (
            "a,b,label\n1,2,x\n3,4\n",
            {"target": "label"},
            "data.csv, line 3: 2 fields, but the header has 3 (delimiter ','",
        ),
        (
            "a,b,label\n1,2,x\n3,4,y,9\n",
            {"target": "label"},
            "data.csv, line 3: 4 fields, but the header has 3",
        ),
        ("a,b,label\n1,2,x\n3,4,NA\n", {"target": "label"}, "data.csv, line 3: no label in"),
        ("a,b,label\n1,2,x\n3,4, \n", {"target": "label"}, "data.csv, line 3: no label in"),
        ("\n\n\n", {"target": "label"}, "data.csv is empty; expected a header row"),
        ("a,b,label\n", {"target": "label"}, "data.csv has a header but no data rows"),
        ("a,b,label\n\n\n", {"target": "label"}, "data.csv has a header but no data rows"),
        ("label\n1\n", {"target": "label"}, "data.csv has no feature columns"),
        (
            "a,a,label\n1,2,x\n",
            {"target": "label", "features": ["a"]},
            "the name 'a' is the header of 2 columns ([0, 1])",
        ),
    ],
)
def test_csv_errors(tmp_path, content, kwargs, expected):
    path = write(tmp_path / "data.csv", content)
    with pytest.raises(ValueError) as excinfo:
        load(path, **kwargs)
    assert expected in message(excinfo)


def test_csv_error_lines_count_across_pyarrow_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(fio, "_CSV_BLOCK_BYTES", 1 << 10)  # many blocks, parsed in parallel
    rows = [f"{i},{i + 1},{i % 2}" for i in range(3000)]
    rows[2345] = "7,oops,1"  # the header is line 1, two blank lines follow, then the rows
    path = write(tmp_path / "data.csv.gz", "a,b,label\n\n\n" + "\n".join(rows) + "\n", ".gz")
    with pytest.raises(ValueError) as excinfo:
        load(path, target="label")
    assert "data.csv.gz, line 2349, column 'b': 'oops' is not a number" in message(excinfo)
    rows[2345] = "7,,1"
    path = write(tmp_path / "data.csv", "a,b,label\n" + "\n".join(rows) + "\n")
    with pytest.raises(ValueError) as excinfo:
        load(path, target="label")
    assert "data.csv, line 2347, column 'b': missing value" in message(excinfo)


def test_csv_read_csv_of_the_command_line_still_works(tmp_path):
    path = write(tmp_path / "data.csv", "a,b,label\n1,2,x\n3,4,y\n")
    X, y, names = fio.read_csv(path, "label")
    np.testing.assert_array_equal(X, [[1, 2], [3, 4]])
    assert y.tolist() == ["x", "y"] and names == ["a", "b"]


# ---------------------------------------------------------------------------------------------
# Parquet


def write_parquet(path, X, y, **extra):
    columns = {f"f{j}": X[:, j] for j in range(X.shape[1])} | extra | {"label": y}
    pq.write_table(pa.table(columns), path, row_group_size=100)
    return path


def test_parquet(tmp_path, data):
    X, y = data
    labels = np.array(["no", "yes"])[y]
    path = write_parquet(tmp_path / "data.parquet", X, labels)
    ds = load(path, target="label")
    np.testing.assert_array_equal(ds.X, X)
    assert ds.y.tolist() == labels.tolist() and ds.feature_names == [f"f{j}" for j in range(D)]
    ds = load(path, target=-1, features=["f2", 1], dtype=np.float32)
    assert ds.X.dtype == np.float32 and ds.X.flags.c_contiguous
    np.testing.assert_array_equal(ds.X, X[:, [2, 1]].astype(np.float32))


def test_parquet_integer_boolean_and_numeric_text_columns(tmp_path):
    table = pa.table(
        {
            "i": pa.array([1, 2, 3], pa.int32()),
            "b": [True, False, True],
            "s": [" 1.5", "2", "-3e1"],
            "label": pa.array([0, 1, 0], pa.int8()),
        }
    )
    pq.write_table(table, tmp_path / "data.pq")
    ds = load(tmp_path / "data.pq", target="label")
    np.testing.assert_array_equal(ds.X, [[1, 1, 1.5], [2, 0, 2], [3, 1, -30]])
    assert ds.y.dtype == np.int8


@pytest.mark.parametrize("chunk_rows", [1, 37, 100, 250, 10**6])
def test_parquet_read_a_few_columns_at_a_time(tmp_path, data, monkeypatch, chunk_rows):
    monkeypatch.setattr(fio, "_PARQUET_READ_BYTES", 1)  # one column per read
    X, y = data
    path = write_parquet(tmp_path / "data.parquet", X, y, i=np.arange(len(y)) % 5)  # groups: 100
    expected = np.column_stack([X, np.arange(len(y)) % 5])
    np.testing.assert_array_equal(load(path, target="label").X, expected)
    Xc, yc, chunks = concatenated(open_chunks(path, chunk_rows=chunk_rows, target="label"))
    np.testing.assert_array_equal(Xc, expected)
    np.testing.assert_array_equal(yc, y)
    sizes = [c[0].shape[0] for c in chunks]
    assert sizes[:-1] == [chunk_rows] * (len(sizes) - 1) and 0 < sizes[-1] <= chunk_rows


ROW = "(rows counted from 0), column"


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        # the first missing value by row, whichever column read finds it
        ({"a": [1.0, 2.0, 3.0, None], "b": [1.0, None, 3.0, 4.0]}, f"row 1 {ROW} 'b': missing"),
        # missing values before text, as in one read of the whole table
        ({"a": ["1", "x", "3", "4"], "b": [1.0, 2.0, 3.0, None]}, f"row 3 {ROW} 'b': missing"),
        ({"a": [1.0, 2.0, 3.0, 4.0], "b": ["1", "2", "y", "z"]}, f"row 2 {ROW} 'b': 'y' is"),
    ],
)
def test_parquet_errors_read_a_column_at_a_time(tmp_path, monkeypatch, columns, expected):
    monkeypatch.setattr(fio, "_PARQUET_READ_BYTES", 1)
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table(columns | {"label": [0, 1, 0, 1]}), path)
    for read in (load, lambda p, **kw: list(open_chunks(p, chunk_rows=2, **kw))):
        with pytest.raises(ValueError) as excinfo:
            read(path, target="label")
        assert f"data.parquet, {expected}" in message(excinfo)


@pytest.mark.parametrize(
    ("columns", "target", "expected"),
    [
        (
            {"a": [1.0, 2.0, None], "label": [0, 1, 0]},
            "label",
            "data.parquet, row 2 (rows counted from 0), column 'a': missing value",
        ),
        (
            {"a": ["1", "x2", "3"], "label": [0, 1, 0]},
            "label",
            "data.parquet, row 1 (rows counted from 0), column 'a': 'x2' is not a number",
        ),
        (
            {"a": [1.0, 2.0, 3.0], "label": ["u", None, "v"]},
            "label",
            "data.parquet, row 1 (rows counted from 0): no label in column 'label'",
        ),
        (
            {"a": [1.0, 2.0, 3.0], "label": [0, 1, 0]},
            "y",
            "data.parquet has no column 'y'; its columns are ['a', 'label']",
        ),
        ({"a": pa.array([], pa.float64()), "label": pa.array([], pa.int64())}, "label", "no rows"),
    ],
)
def test_parquet_errors(tmp_path, columns, target, expected):
    pq.write_table(pa.table(columns), tmp_path / "data.parquet")
    with pytest.raises(ValueError) as excinfo:
        load(tmp_path / "data.parquet", target=target)
    assert expected in message(excinfo)


# ---------------------------------------------------------------------------------------------
# NumPy


def test_npy_with_labels_is_the_memory_map_itself(tmp_path, data):
    X, y = data
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    ds = load(tmp_path / "X.npy", labels=tmp_path / "y.npy")
    assert isinstance(ds.X, np.memmap) and isinstance(ds.X.base, mmap.mmap)
    assert Path(ds.X.filename) == (tmp_path / "X.npy").resolve()
    assert not ds.X.flags.writeable and ds.X.flags.c_contiguous
    np.testing.assert_array_equal(ds.X, X)
    np.testing.assert_array_equal(ds.y, y)
    assert ds.feature_names is None and ds.target_name is None
    # the estimator's validation takes the memory map without a copy
    from fastlogreg._validation import as_float_matrix

    assert np.shares_memory(as_float_matrix(ds.X, check_finite=False), ds.X)


def test_npy_copies_when_it_must(tmp_path, data):
    X, y = data
    Xy = np.column_stack([X, y])
    np.save(tmp_path / "Xy.npy", Xy)
    ds = load(tmp_path / "Xy.npy", target=D)  # the label column: the others are copied
    assert not isinstance(ds.X, np.memmap) and ds.X.flags.c_contiguous
    np.testing.assert_array_equal(ds.X, X)
    np.testing.assert_array_equal(ds.y, y)
    ds = load(tmp_path / "Xy.npy", target="-1", features=[2, 0], dtype=np.float32)
    np.testing.assert_array_equal(ds.X, X[:, [2, 0]].astype(np.float32))
    np.save(tmp_path / "X32.npy", X.astype(np.float32))
    ds = load(tmp_path / "X32.npy", labels=y)  # float32 file, float64 asked: converted
    assert ds.X.dtype == np.float64 and not isinstance(ds.X, np.memmap)
    ds = load(tmp_path / "X32.npy", labels=y, dtype=np.float32)
    assert isinstance(ds.X, np.memmap)


def test_npz(tmp_path, data):
    X, y = data
    np.savez(tmp_path / "data.npz", X=X, y=y)
    ds = load(tmp_path / "data.npz")
    np.testing.assert_array_equal(ds.X, X)
    np.testing.assert_array_equal(ds.y, y)
    np.savez(tmp_path / "noy.npz", X=X)
    with pytest.raises(ValueError, match=r"noy.npz has no array named 'y' \(its arrays: \['X'\]\)"):
        load(tmp_path / "noy.npz")
    np.testing.assert_array_equal(load(tmp_path / "noy.npz", labels=y).y, y)
    np.savez(tmp_path / "nox.npz", data=X, y=y)
    with pytest.raises(ValueError, match="has no array named 'X'"):
        load(tmp_path / "nox.npz")


@pytest.mark.parametrize(
    ("array", "kwargs", "expected"),
    [
        (np.zeros((3, 2)), {}, "pass target= (the label column's name or index) or labels="),
        (np.zeros((3, 2)), {"target": "y"}, "has no column names; pass target as column indices"),
        (np.zeros((3, 2)), {"labels": [0, 1]}, "has 3 rows but labels has 2"),
        (np.zeros(3), {"labels": [0, 1, 0]}, "holds an array of shape (3,); X must be 2-D"),
        (np.zeros((3, 2)), {"target": 2}, "has no column 2: it has 2 columns"),
    ],
)
def test_npy_errors(tmp_path, array, kwargs, expected):
    np.save(tmp_path / "X.npy", array)
    with pytest.raises(ValueError) as excinfo:
        load(tmp_path / "X.npy", **kwargs)
    assert expected in message(excinfo)


# ---------------------------------------------------------------------------------------------
# LIBSVM / svmlight


@pytest.mark.parametrize("name", ["data.svm", "data.libsvm", "data.svmlight.gz", "data.svm.zst"])
def test_svmlight(tmp_path, data, name):
    from sklearn.datasets import dump_svmlight_file

    X, y = data
    X = np.where(np.abs(X) > 1, X, 0.0)  # sparse
    buffer = io.BytesIO()
    dump_svmlight_file(X, y, buffer)
    compression = next((c for c in (".gz", ".zst") if name.endswith(c)), None)
    path = write(tmp_path / name, buffer.getvalue(), compression)
    ds = load(path)
    assert ds.X.format == "csr" and ds.X.dtype == np.float64
    np.testing.assert_allclose(ds.X.toarray(), X, rtol=1e-15)  # written with 16 digits
    np.testing.assert_array_equal(ds.y, y)
    ds = load(path, dtype=np.float32, n_features=10)
    assert ds.X.dtype == np.float32 and ds.X.shape == (N, 10)


def test_svmlight_indexing(tmp_path):
    """zero_based: 'auto' takes 0-based only when some index is 0; True and False read as told,
    in memory and in chunks; the source and Dataset report the indexing used."""
    path = write(tmp_path / "d.svm", "1 1:0.5 3:2\n0 2:1\n")
    expected = {"auto": [[0.5, 0, 2], [0, 1, 0]], False: [[0.5, 0, 2], [0, 1, 0]],
                True: [[0, 0.5, 0, 2], [0, 0, 1, 0]]}  # fmt: skip
    for zero_based, X in expected.items():
        ds = load(path, zero_based=zero_based)
        assert ds.X.toarray().tolist() == X and ds.zero_based is (zero_based is True)
        source = open_chunks(path, chunk_rows=1, zero_based=zero_based)
        assert concatenated(source)[0].tolist() == X and source.zero_based is (zero_based is True)
    zero = write(tmp_path / "z.svm", "1 0:0.5 3:2\n")
    assert load(zero).zero_based is True and load(zero).X.shape == (1, 4)
    with pytest.raises(ValueError, match="holds feature index 0, but zero_based=False"):
        load(zero, zero_based=False)
    with pytest.raises(ValueError, match=r"index 3 \(0-based: 4 features\), but X is to have 3"):
        load(zero, n_features=3)
    with pytest.raises(ValueError, match="zero_based= applies to LIBSVM"):
        load(write(tmp_path / "d.csv", "a,b\n1,2\n"), target="b", zero_based=True)
    with pytest.raises(ValueError, match="zero_based must be True, False or 'auto'"):
        load(path, zero_based="yes")


def test_svmlight_errors(tmp_path):
    path = write(tmp_path / "data.svm", "1 1:0.5 3:2\n0 2:1\n1 2:x\n")
    with pytest.raises(ValueError) as excinfo:
        load(path)
    assert "data.svm, line 3: could not convert" in message(excinfo)
    with pytest.raises(ValueError, match="target= and features= do not apply"):
        load(path, target=0)
    with pytest.raises(ValueError, match="n_features= applies to LIBSVM"):
        load(write(tmp_path / "data.csv", "a,b\n1,2\n"), target="b", n_features=3)


def test_data_without_labels_to_predict(tmp_path, data):
    X, y = data
    csv = write(tmp_path / "data.csv", csv_text(X, y))
    parquet = write_parquet(tmp_path / "data.parquet", X, y)
    np.save(tmp_path / "X.npy", X)
    np.savez(tmp_path / "X.npz", X=X)
    for path, features in [(csv, [0, 1, 2, 3]), (parquet, ["f0", "f1", "f2", "f3"])]:
        ds = load(path, features=features, require_labels=False)
        assert ds.y is None and ds.target_name is None
        np.testing.assert_array_equal(ds.X, X)
        ds = load(path, target="label", require_labels=False)  # left out of X, not read
        assert ds.y is None and ds.target_name == "label"
        np.testing.assert_array_equal(ds.X, X)
    # new data for predict: an empty or odd label column does not matter (break test 15)
    path = write(tmp_path / "new.csv", "a,b,label\n1,2,\n3,4,\n5,6,yes\n")
    ds = load(path, target="label", require_labels=False)
    assert ds.y is None and ds.X.tolist() == [[1, 2], [3, 4], [5, 6]]
    chunks = list(open_chunks(path, chunk_rows=2, target="label", require_labels=False))
    assert [X.tolist() for X, _ in chunks] == [[[1, 2], [3, 4]], [[5, 6]]]
    assert all(y is None for _, y in chunks)
    for path in (tmp_path / "X.npy", tmp_path / "X.npz"):
        ds = load(path, require_labels=False)
        assert ds.y is None
        np.testing.assert_array_equal(ds.X, X)
    assert isinstance(load(tmp_path / "X.npy", require_labels=False).X, np.memmap)


def test_file_types(tmp_path):
    with pytest.raises(ValueError, match=r"data.xlsx: unknown file type '.xlsx'; fastlogreg reads"):
        load(tmp_path / "data.xlsx", target=0)
    with pytest.raises(ValueError, match="npy files are read uncompressed"):
        load(tmp_path / "data.npy.gz", labels=[0])
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.csv", target=0)
    with pytest.raises(ValueError, match=r"dtype must be np\.float64 or np\.float32"):
        load(tmp_path / "data.csv", target=0, dtype=np.int64)


def test_without_pyarrow_the_error_says_what_to_install(tmp_path, monkeypatch):
    for name in ("pyarrow", "pyarrow.csv", "pyarrow.compute", "pyarrow.parquet"):
        monkeypatch.setitem(sys.modules, name, None)  # `import pyarrow` raises ImportError
    path = write(tmp_path / "data.csv", "a,label\n1,0\n")
    with pytest.raises(ImportError, match=r'pip install "fastlogreg\[io\]"'):
        load(path, target="label")


def test_importing_the_module_imports_neither_pyarrow_nor_sklearn():
    # `import fastlogreg` is lazy (PEP 562), so fastlogreg.io alone is what this measures
    code = (
        "import sys, fastlogreg.io;"
        "print(sorted(k for k in ('pyarrow', 'sklearn', 'pandas', 'numba') if k in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    assert out.stdout.decode().strip() == "[]"


# ---------------------------------------------------------------------------------------------
# chunk sources


@pytest.fixture(scope="module")
def files(tmp_path_factory, data):
    """Every format of the same data; (path, load kwargs)."""
    from sklearn.datasets import dump_svmlight_file

    X, y = data
    root = tmp_path_factory.mktemp("chunks")
    write(root / "data.csv", csv_text(X, y))
    write(root / "data.csv.zst", csv_text(X, y), ".zst")
    write_parquet(root / "data.parquet", X, y)
    np.save(root / "X.npy", X)
    np.save(root / "y.npy", y)
    np.save(root / "Xy.npy", np.column_stack([X, y]))
    np.savez(root / "data.npz", X=X, y=y)
    dump_svmlight_file(X, y, str(root / "data.svm"))
    return {
        "csv": (root / "data.csv", {"target": "label"}),
        "csv.zst": (root / "data.csv.zst", {"target": "label"}),
        "parquet": (root / "data.parquet", {"target": "label"}),
        "npy": (root / "X.npy", {"labels": root / "y.npy"}),
        "npy-target": (root / "Xy.npy", {"target": D}),
        "npz": (root / "data.npz", {}),
        "svmlight": (root / "data.svm", {}),
    }


@pytest.mark.parametrize(
    "kind", ["csv", "csv.zst", "parquet", "npy", "npy-target", "npz", "svmlight"]
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_chunks_concatenate_to_load_and_repeat(files, kind, dtype):
    path, kwargs = files[kind]
    whole = load(path, dtype=dtype, **kwargs)
    source = open_chunks(path, chunk_rows=60, dtype=dtype, **kwargs)
    X, y, chunks = concatenated(source)
    np.testing.assert_array_equal(X, dense(whole.X))
    np.testing.assert_array_equal(y, whole.y)
    assert [c[0].shape[0] for c in chunks] == [60, 60, 60, 60, 17]
    for Xc, yc in chunks:
        assert Xc.dtype == dtype and yc.ndim == 1 and Xc.shape[1] == source.n_features == D
        if kind == "svmlight":
            assert Xc.format == "csr"
        else:
            assert isinstance(Xc, np.ndarray) and Xc.flags.c_contiguous
    assert source.dtype == dtype and source.feature_names == whole.feature_names
    again = list(source)  # a second pass reads from the start
    assert len(again) == len(chunks)
    for (X1, y1), (X2, y2) in zip(chunks, again, strict=True):
        np.testing.assert_array_equal(dense(X1), dense(X2))
        np.testing.assert_array_equal(y1, y2)


def test_npy_chunks_are_views_of_the_memory_map(files):
    path, kwargs = files["npy"]
    for Xc, _ in open_chunks(path, chunk_rows=100, **kwargs):
        assert isinstance(Xc, np.memmap) and not Xc.flags.writeable and Xc.flags.c_contiguous


def test_npy_list_chunks(tmp_path, data):
    X, y = data
    paths, label_paths = [], []
    for i, (a, b) in enumerate([(0, 100), (100, 110), (110, N)]):
        paths.append(tmp_path / f"X{i}.npy")
        label_paths.append(tmp_path / f"y{i}.npy")
        np.save(paths[-1], X[a:b])
        np.save(label_paths[-1], y[a:b])
    for labels in (label_paths, y):
        source = open_chunks(paths, chunk_rows=64, labels=labels)
        Xc, yc, chunks = concatenated(source)
        np.testing.assert_array_equal(Xc, X)
        np.testing.assert_array_equal(yc, y)
        assert [c[0].shape[0] for c in chunks] == [64, 36, 10, 64, 64, 19]  # split per file
        assert source.n_rows == N
    np.save(tmp_path / "wide.npy", np.zeros((3, D + 1)))
    with pytest.raises(ValueError, match=r"wide\.npy has 5 columns, but .*X0\.npy has 4"):
        open_chunks([*paths, tmp_path / "wide.npy"], chunk_rows=10, labels=y)
    with pytest.raises(ValueError, match=r"labels lists 2 label files or arrays for 3 \.npy files"):
        open_chunks(paths, chunk_rows=10, labels=label_paths[:2])


def test_csv_chunks_from_stdin_and_with_a_labels_array(data, monkeypatch, tmp_path):
    X, y = data
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(csv_text(X, y).encode())))
    source = open_chunks("-", chunk_rows=100, target="label")
    for _ in range(2):  # stdin is held in memory: every pass reads it again
        Xc, yc, _ = concatenated(source)
        np.testing.assert_array_equal(Xc, X)
        np.testing.assert_array_equal(yc, y)
    path = write(tmp_path / "data.csv", csv_text(X, y))
    source = open_chunks(path, chunk_rows=100, features=[0, 1, 2, 3], labels=y[::-1])
    np.testing.assert_array_equal(concatenated(source)[1], y[::-1])
    source = open_chunks(path, chunk_rows=100, features=[0, 1, 2, 3], labels=y[:-1])
    with pytest.raises(ValueError, match="more than 256 rows but labels has 256"):
        list(source)


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 10])
def test_csv_chunks_blank_lines_crlf_and_no_final_newline(tmp_path, chunk_rows):
    text = "\r\n\r\na,b,label\r\n1,2,0\r\n\r\n\r\n3,4,1\r\n5,6,0\r\n\r\n7,8,1"
    path = write(tmp_path / "data.csv", text)
    X, y, chunks = concatenated(open_chunks(path, chunk_rows=chunk_rows, target="label"))
    np.testing.assert_array_equal(X, load(path, target="label").X)
    np.testing.assert_array_equal(y, [0, 1, 0, 1])
    assert all(0 < c[0].shape[0] <= chunk_rows for c in chunks)
    bad = write(tmp_path / "bad.csv", text.replace("7,8,1", "7,x,1"))
    with pytest.raises(ValueError) as excinfo:
        list(open_chunks(bad, chunk_rows=chunk_rows, target="label"))
    assert "bad.csv, line 10, column 'b': 'x' is not a number" in message(excinfo)
    with pytest.raises(ValueError) as excinfo:
        load(bad, target="label")
    assert "bad.csv, line 10, column 'b': 'x' is not a number" in message(excinfo)


@pytest.mark.parametrize("chunk_rows", [1, 7, 333, 10**6])
def test_csv_chunks_gather_and_split_the_readers_blocks(data, tmp_path, monkeypatch, chunk_rows):
    monkeypatch.setattr(fio, "_CSV_STREAM_BLOCK_BYTES", (1 << 10, 1 << 10))  # 10 rows a block
    X, y = data
    path = write(tmp_path / "data.csv", csv_text(X, y))
    Xc, yc, chunks = concatenated(open_chunks(path, chunk_rows=chunk_rows, target="label"))
    np.testing.assert_array_equal(Xc, X)
    np.testing.assert_array_equal(yc, y)
    sizes = [c[0].shape[0] for c in chunks]
    assert sizes[:-1] == [chunk_rows] * (len(sizes) - 1) and 0 < sizes[-1] <= chunk_rows


def test_csv_chunk_rows_far_above_the_files_rows(tmp_path, data):
    """A chunk is allocated as its rows come: chunk_rows = 10**12 on a 256-row file reads it
    as one chunk (it had asked NumPy for chunk_rows x columns up front: TiBs)."""
    X, y = data
    path = write(tmp_path / "data.csv", csv_text(X, y))
    for chunk_rows in (10**9, 2**63 - 1, 10**20):
        (X_c, y_c), *rest = list(open_chunks(path, chunk_rows=chunk_rows, target="label"))
        assert rest == [] and X_c.shape == X.shape
        np.testing.assert_array_equal(X_c, X)
        np.testing.assert_array_equal(y_c, y)


@pytest.mark.parametrize("chunk_rows", [None, 1, 2, 100])
def test_infinity_and_nan_values_are_named_where_they_are(tmp_path, chunk_rows):
    """CSV 'inf' (a number to pyarrow) and Parquet NaN (a value, not a null) are errors that
    name the line or row and the column, read whole or in chunks (they had reached the fit,
    which named only a row of X)."""
    csv = write(tmp_path / "d.csv", "a,b,label\n1,2,0\n3,4,1\n5,-inf,1\n")
    pq.write_table(
        pa.table({"a": [1.0, 2.0, 3.0], "b": [1.0, float("nan"), 3.0], "label": [0, 1, 0]}),
        tmp_path / "d.parquet",
    )
    cases = [
        (csv, "d.csv, line 4, column 'b': -inf is not a finite number"),
        (tmp_path / "d.parquet", "row 1 (rows counted from 0), column 'b': nan is not"),
    ]
    for path, expected in cases:
        with pytest.raises(ValueError) as excinfo:
            if chunk_rows is None:
                load(path, target="label")
            else:
                list(open_chunks(path, chunk_rows=chunk_rows, target="label"))
        assert expected in message(excinfo)


def test_csv_chunks_of_a_header_only_file(tmp_path):
    source = open_chunks(write(tmp_path / "data.csv", "a,label\n\n"), chunk_rows=5, target=1)
    with pytest.raises(ValueError, match=r"data\.csv has a header but no data rows"):
        list(source)


def lines_with(bad, n=20_000):
    rows = [f"{i},{i % 7},{i % 2}" for i in range(n)]
    for i, row in bad.items():
        rows[i] = row
    return "a,b,label\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ({15_000: "5,x7,1"}, "line 15002, column 'b': 'x7' is not a number"),
        ({15_000: "5,,1"}, "line 15002, column 'b': missing value"),
        ({15_000: "5,6"}, "line 15002: 2 fields, but the header has 3"),
        ({15_000: "5,6,"}, "line 15002: no label in column 'label'"),
        ({15_000: "5,6,cat"}, "line 15002, column 'label': the label 'cat' is text, where the"),
    ],
)
def test_csv_chunk_errors_name_the_line_in_the_whole_file(tmp_path, monkeypatch, bad, expected):
    monkeypatch.setattr(fio, "_CSV_STREAM_BLOCK_BYTES", (1 << 12, 1 << 12))  # 400 rows a block
    path = write(tmp_path / "data.csv", lines_with(bad))  # about 200 kB: many blocks
    source = open_chunks(path, chunk_rows=500, target="label")
    seen = 0
    with pytest.raises(ValueError) as excinfo:
        for X, _ in source:
            seen += X.shape[0]
    assert f"data.csv, {expected}" in message(excinfo)
    # every chunk before the bad one came through, unless its last block holds the bad line
    assert seen in (14_500, 15_000)


def test_parquet_chunk_errors_name_the_row(tmp_path):
    a = np.arange(500, dtype=np.float64).tolist()
    a[333] = None
    table = pa.table({"a": a, "label": [0, 1] * 250})
    pq.write_table(table, tmp_path / "d.parquet", row_group_size=100)  # errors come by group
    source = open_chunks(tmp_path / "d.parquet", chunk_rows=100, target="label")
    seen = 0
    with pytest.raises(ValueError) as excinfo:
        for X, _ in source:
            seen += X.shape[0]
    assert "d.parquet, row 333 (rows counted from 0), column 'a': missing value" in message(excinfo)
    assert seen == 300


def test_svmlight_chunk_errors_name_the_line(tmp_path):
    text = "".join(f"{i % 2} 1:{i} 2:1\n" for i in range(300))
    path = write(tmp_path / "d.svm", text + "1 1:2 2:oops\n")
    with pytest.raises(ValueError, match=r"d.svm, line 301: "):
        open_chunks(path, chunk_rows=50)  # the first pass at open finds it


def test_open_chunks_arguments(tmp_path):
    path = write(tmp_path / "data.csv", "a,label\n1,0\n")
    with pytest.raises(ValueError, match="chunk_rows must be an integer >= 1"):
        open_chunks(path, chunk_rows=0, target="label")
    with pytest.raises(TypeError, match="chunk_rows must be an integer >= 1"):
        open_chunks(path, chunk_rows=1.5, target="label")
    with pytest.raises(ValueError, match="has no column 'nope'"):
        open_chunks(path, chunk_rows=10, target="nope")  # at open, not at the first pass


# ---------------------------------------------------------------------------------------------
# read-ahead


def recording_source(n_chunks, read_ahead=True):
    """A ChunkSource whose reader sets an event as it starts each chunk and records its
    thread."""
    started = [threading.Event() for _ in range(n_chunks)]
    threads = []

    def read():
        for k in range(n_chunks):
            started[k].set()
            threads.append(threading.get_ident())
            yield np.full((2, 3), float(k)), np.array([0, 1])

    source = ChunkSource(read, n_features=3, read_ahead=read_ahead)
    return source, started, threads


def test_read_ahead_reads_the_next_chunk_while_the_consumer_holds_this_one():
    source, started, threads = recording_source(4)
    for k, (X, _) in enumerate(source):
        assert X[0, 0] == k
        if k + 1 < 4:
            # the next chunk's read starts without the consumer asking for it ...
            assert started[k + 1].wait(timeout=30)
        if k + 2 < 4:
            # ... and no further: two chunks at a time
            time.sleep(0.05)
            assert not started[k + 2].is_set()
    assert set(threads) != {threading.get_ident()}
    assert len(set(threads)) == 1  # one worker thread per pass


def test_without_read_ahead_the_consumer_reads():
    source, started, threads = recording_source(3, read_ahead=False)
    for k, _ in enumerate(source):
        if k + 1 < 3:
            assert not started[k + 1].is_set()
    assert set(threads) == {threading.get_ident()}


def test_read_ahead_overlaps_reading_with_work():
    def read():
        for _ in range(4):
            time.sleep(0.2)  # I/O: sleeps, like pyarrow's parsing, release the GIL
            yield np.zeros((1, 1)), np.zeros(1)

    timings = {}
    for read_ahead in (False, True):
        start = time.perf_counter()
        for _ in ChunkSource(read, n_features=1, read_ahead=read_ahead):
            time.sleep(0.2)  # the consumer's work
        timings[read_ahead] = time.perf_counter() - start
    assert timings[False] >= 1.6  # 4 reads + 4 chunks' work, one after the other
    assert timings[True] < 1.4  # the first read, then 4 chunks' work with the reads under it


def test_npy_pages_are_read_on_the_read_ahead_thread(files, monkeypatch):
    threads = []
    touch = fio._touch_pages

    def recording(A):
        threads.append(threading.get_ident())
        touch(A)

    monkeypatch.setattr(fio, "_touch_pages", recording)
    path, kwargs = files["npy"]
    list(open_chunks(path, chunk_rows=100, **kwargs))
    assert len(threads) == 3 and threading.get_ident() not in threads


def test_breaking_out_of_a_pass_stops_the_worker_and_errors_reach_the_consumer():
    source, _, _ = recording_source(10)
    before = threading.active_count()
    for _ in source:
        break
    deadline = time.monotonic() + 10
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before

    def failing():
        yield np.zeros((1, 1)), np.zeros(1)
        raise ValueError("data.csv, line 9: broken")

    with pytest.raises(ValueError, match="line 9: broken"):
        list(ChunkSource(failing, n_features=1))
