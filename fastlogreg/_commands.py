"""The command line's commands (cli.py parses the arguments; these run them): train,
predict, evaluate, info. Data comes in through fastlogreg.io, models through
fastlogreg.persist, metrics from scikit-learn, the progress bar from tqdm."""

from __future__ import annotations

import json
import math
import os
import re
import sys
import time
import warnings
from pathlib import Path

import numpy as np


class UserError(ValueError):
    """An error in what the user asked for (cli.main prints it as one line, exit status 2;
    a ValueError, so that `python -m fastlogreg.cli`, where cli runs as __main__, catches it
    too)."""


UNNAMED_FORMATS = (".npy", ".npz", ".svm", ".svmlight", ".libsvm")
LIBSVM_FORMATS = (".svm", ".svmlight", ".libsvm")
LABELLED_FORMATS = (".npz", *LIBSVM_FORMATS)  # the file holds its labels


# The library's messages name keyword arguments and hyperparameters (target=, max_iter,
# solver='lbfgs'); on the command line they are options
_PARAMETERS = (
    "C|l1_ratio|max_iter|tol|learning_rate|eta0|power_t|average|n_iter_no_change|"
    "class_weight|random_state|n_jobs|verbose"
)
_OPTION_WORDS = [
    (re.compile(r"(?<![\w-])(target|features|labels|delimiter)="), r"--\1"),
    (re.compile(r"\b(as|in) (target|features)\b"), r"\1 --\2"),
    (re.compile(r"\b(features lists|labels has)\b"), r"--\1"),
    (re.compile(r"\(n_features=\)"), "(the model's features)"),
    (
        re.compile(r"(?<![\w-])zero_based=(True|False|'auto')"),
        lambda m: "--zero-based " + m.group(1).strip("'").lower(),
    ),
    (re.compile(r"(?<![\w-])zero_based="), "--zero-based"),
    (
        re.compile(
            r"^class (.+) has only rows of weight 0 \(sample_weight \* class_weight\)(.*)"
            r"; give its rows a positive weight or drop the class from y$"
        ),
        r"--class-weight gives class \1 the weight 0\2; give it a positive weight or drop its "
        r"rows from DATA",
    ),
    (
        re.compile(
            rf"(?<![\w.'-])({_PARAMETERS})(?=( must\b|=| =|\)|,|;| has\b| gives\b| >| or\b|\.|$))"
        ),
        lambda m: "--" + m.group(1).replace("_", "-"),
    ),
    (re.compile(r"(?<![\w-])solver='(\w+)'"), r"--solver \1"),
    (re.compile(r"np\.inf\b"), "inf"),
    (re.compile(r"then keep X in float64 \(dtype=float64\)"), "then leave out --float32"),
    (re.compile(r"^Seed must be\b"), "--random-state must be"),
    (re.compile(r"2\*\*32 - 1"), "4294967295"),
    (re.compile(r"(--[\w-]+) must be None or\b"), r"\1 must be left out or"),
    (re.compile(r"\buse None or -1\b"), "leave it out or use -1"),
    (
        re.compile(r"must be None, a bool or an integer >= 0"),
        "must be true, false or an integer >= 0",
    ),
    (re.compile(r"^labels must be 1-D"), "--labels must hold a 1-D array"),
    (re.compile(r" \(n_features= sets the width of X\)"), ""),
]


def option_words(message):
    """A library message in the command line's words (cli.main prints errors through it)."""
    for pattern, replacement in _OPTION_WORDS:
        message = pattern.sub(replacement, message)
    return message


def run(args):
    command = {"train": train, "predict": predict, "evaluate": evaluate, "info": info}
    return command[args.command](args)


# ------------------------------------------------------------------------------ train


def train(args):
    """Fit, report, save. Returns the exit status."""
    from .estimator import LogisticRegression

    model = LogisticRegression(**_hyperparameters(args))
    if args.out:  # before the fit, not after it
        _check_writable(args.out)
        _check_model_name(args.out)
        _check_not_an_input(args.out, {"DATA": args.data, "--labels": args.labels})
    read = _read_options(args)
    started = time.perf_counter()
    if args.chunk_rows:
        if args.standardize:
            raise UserError(
                "--standardize needs the data in memory: drop --chunk-rows, or scale the "
                "columns before writing the file"
            )
        from .io import open_chunks

        X = open_chunks(args.data, chunk_rows=args.chunk_rows, **read)
        y, names, zero_based = None, X.feature_names, getattr(X, "zero_based", None)
    else:
        from .io import load

        data = load(args.data, **read)
        X, y, names, zero_based = data.X, data.y, data.feature_names, data.zero_based
    loaded = time.perf_counter()
    scaling = None
    if args.standardize:
        X, scaling = _standardized(X, model.fit_intercept)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with _progress_bar(args, X):
            model.fit(X, y)  # y None: a chunk source, which carries its labels
    fitted = time.perf_counter()
    if scaling is not None:
        _fold_scaling(model, *scaling)
        X = data.X  # the report's scores are on the raw columns, as the saved model takes
    if zero_based is not None:  # LIBSVM: predict reads new files with this indexing
        model.libsvm_zero_based_ = zero_based
    if names is not None and len(set(map(str, names))) == len(names):
        model.feature_names_in_ = np.asarray(names, dtype=object)
    elif names is not None:  # predict could not pick them by name: by position, then
        twice = sorted({str(n) for n in names if list(map(str, names)).count(str(n)) > 1})
        print(
            f"warning: columns share the names {twice}: the model keeps no feature names, "
            "and predict takes the columns by position",
            file=sys.stderr,
        )
    log_loss, accuracy, n_rows = _training_scores(model, X, y)
    if args.out:
        model.save(args.out)
    report = {
        "data": str(args.data),
        "rows": n_rows,
        "features": int(model.n_features_in_),
        "classes": model.classes_.tolist(),
        "objective": float(model.loss_history_[-1]),
        "log_loss": log_loss,
        "accuracy": accuracy,
        "solver": model.solver_,
        "iterations": int(model.n_iter_.max()),
        "converged": bool(model.converged_),
        "seconds_reading": round(loaded - started, 6),
        "seconds_fitting": round(fitted - loaded, 6),
        "model": args.out,
        "warnings": [str(w.message) for w in caught],
    }
    for message in report["warnings"]:
        print(f"warning: {option_words(message)}", file=sys.stderr)
    if args.json:
        print(json.dumps(report))
    elif not args.quiet:
        unit = "epochs" if model.solver_ in ("sgd", "gd") else "iterations"
        print(
            f"data      {args.data}: {n_rows} rows, {report['features']} features, "
            f"classes {report['classes']}"
        )
        print(f"objective {report['objective']:.6f}  (sum of log-losses + penalty)")
        print(f"log-loss  {log_loss:.6f}  (mean, training data)")
        print(f"accuracy  {accuracy:.4f}  (training data)")
        print(f"{unit:<9} {report['iterations']}")
        print(f"solver    {model.solver_}")
        # no warmup(): it would compile every kernel, where the fit compiles only those it runs
        print(
            f"time      {report['seconds_fitting']:.3f} s  (reading {report['seconds_reading']:.3f}"
            " s; a first fit after installing includes compiling kernels)"
        )
        print(f"model     {args.out if args.out else 'not saved (pass --out MODEL)'}")
    return 0


def _hyperparameters(args):
    learning_rate = args.learning_rate
    try:
        learning_rate = float(learning_rate)
    except ValueError:
        pass  # 'auto' or a schedule name, validated by the estimator
    class_weight = args.class_weight
    if class_weight is not None and class_weight != "balanced":
        try:
            class_weight = json.loads(class_weight)
        except json.JSONDecodeError:
            raise UserError(
                f"--class-weight must be 'balanced' or a JSON object such as "
                f"'{{\"yes\": 3}}', got {class_weight!r}"
            ) from None
        if not isinstance(class_weight, dict):
            raise UserError(f"--class-weight must be a JSON object, got {args.class_weight!r}")
        # JSON keys are strings; the loaders read integer labels as int64, numbers as float64
        class_weight = {_label_key(k): v for k, v in class_weight.items()}
    average = args.average
    if average is not None:
        lowered = average.lower()
        if lowered in ("true", "false"):
            average = lowered == "true"
        else:
            try:
                average = int(average)
            except ValueError:
                raise UserError(
                    f"--average must be true, false or an integer, got {args.average!r}"
                ) from None
    return dict(
        C=args.C,
        l1_ratio=args.l1_ratio,
        solver=args.solver,
        max_iter=args.max_iter,
        tol=args.tol,
        learning_rate=learning_rate,
        eta0=args.eta0,
        power_t=args.power_t,
        average=average,
        n_iter_no_change=args.n_iter_no_change,
        shuffle=not args.no_shuffle,
        class_weight=class_weight,
        fit_intercept=not args.no_intercept,
        random_state=args.random_state,
        n_jobs=args.n_jobs,
        verbose=args.verbose,
    )


def _label_key(text):
    """A --class-weight key as the loaders type a label: int, else float, else the text."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _read_options(args, target=True, features=None):
    """fastlogreg.io's keyword arguments for the data options (target=True: the labels are
    required, from --target or --labels)."""
    carries_labels = bool(set(Path(str(args.data).lower()).suffixes) & set(LABELLED_FORMATS))
    if target and args.target is None and args.labels is None and not carries_labels:
        raise UserError(
            f"{args.data}: pass --target COL (the label column, by name or index) or --labels "
            "FILE.npy (one label per row)"
        )
    float32 = args.float32 or args.dtype == "float32"
    options = dict(
        features=args.features if args.features is not None else features,
        dtype=np.float32 if float32 else np.float64,
    )
    if target:
        options["target"] = args.target
    if args.delimiter is not None:
        options["delimiter"] = args.delimiter
    if args.zero_based is not None:
        options["zero_based"] = {"auto": "auto", "true": True, "false": False}[args.zero_based]
    if args.labels is not None:
        options["labels"] = args.labels
    return options


def _standardized(X, fit_intercept):
    """X scaled to unit variance per column (and centred when dense with an intercept: a
    sparse X keeps its zeros), and (mean, scale) to fold back into the coefficients."""
    from sklearn.preprocessing import StandardScaler

    center = fit_intercept and not hasattr(X, "tocsr")
    scaler = StandardScaler(with_mean=center).fit(X)
    scale = scaler.scale_  # 1 for constant columns (scikit-learn's convention)
    mean = scaler.mean_ if center else np.zeros(X.shape[1])
    return scaler.transform(X).astype(X.dtype, copy=False), (mean, scale)


def _fold_scaling(model, mean, scale):
    """The model fitted on (X - mean) / scale as a model on X: w / scale and b - (w / scale)
    . mean give the same scores (up to rounding)."""
    W = model.coef_.astype(np.float64) / scale
    b = model.intercept_.astype(np.float64) - W @ mean
    model.coef_ = W.astype(model.coef_.dtype)
    model.intercept_ = b.astype(model.intercept_.dtype)


def _training_scores(model, X, y):
    """(mean log-loss, accuracy, rows) of the fitted model on the training data: one more read
    of a chunk source, which yields its labels with its rows."""
    pairs = [(X, y)] if y is not None else X
    total_loss, correct, n_rows = 0.0, 0, 0
    for X_c, y_c in pairs:
        codes = _class_codes(model, y_c)
        log_proba = _unnamed(model.predict_log_proba, X_c)
        total_loss -= float(log_proba[np.arange(codes.shape[0]), codes].sum())
        correct += int(np.count_nonzero(log_proba.argmax(axis=1) == codes))
        n_rows += codes.shape[0]
    return total_loss / n_rows, correct / n_rows, n_rows


def _unnamed(predict, X):
    """predict(X) for an array X whose columns the command line picked by the model's
    feature names: scikit-learn's warning that X has no names does not apply."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        return predict(X)


def _class_codes(model, y, where="the data", offset=0):
    """The index in model.classes_ of every label of y; UserError naming labels that are not
    among the model's classes (and the first one's row, counted from 0 plus offset)."""
    classes = model.classes_
    y = _like_classes(np.asarray(y), classes)
    codes = np.searchsorted(classes, y)
    codes = np.minimum(codes, classes.shape[0] - 1)
    unknown = classes[codes] != y
    if np.any(unknown):
        first = int(np.flatnonzero(unknown)[0])
        extra = np.unique(y[unknown])[:5].tolist()
        raise UserError(
            f"{where} has labels the model was not trained on: {extra} (first in row "
            f"{offset + first}, counting data rows from 0); its classes are {classes.tolist()}"
        )
    return codes


def _like_classes(y, classes):
    """y in the classes' dtype where the values allow it (a CSV's 0/1 labels read as int64
    for a model trained on 0.0/1.0, or the reverse; 'True'/'false' text for bool classes)."""
    if classes.dtype.kind == "b" and y.dtype.kind in "OUS":
        lowered = np.char.lower(y.astype(str))
        if np.isin(lowered, ["true", "false"]).all():
            return lowered == "true"
        return y
    if y.dtype.kind == classes.dtype.kind or y.dtype.kind not in "biuf":
        if y.dtype.kind in "OUS" and classes.dtype.kind in "OUS":
            return y.astype(str)
        return y
    if classes.dtype.kind in "biuf":
        converted = y.astype(classes.dtype)
        if np.array_equal(converted, y):
            return converted
        return y
    return y.astype(str)


class _progress_bar:
    """A tqdm bar of iterations with the objective and rows/s, when standard error is a
    terminal and neither --quiet nor --json is given; nothing otherwise."""

    def __init__(self, args, X):
        self.active = sys.stderr.isatty() and not args.quiet and not args.json
        self.rows = getattr(X, "shape", (None,))[0]
        self.bar = None

    def __enter__(self):
        if not self.active:
            return self
        from tqdm import tqdm

        from ._progress import listening

        self.bar = tqdm(desc="fitting", unit="it", file=sys.stderr, leave=False)
        self.started = time.perf_counter()
        self.listening = listening(self.update)
        self.listening.__enter__()
        return self

    def update(self, kind, n_iter, loss):
        self.bar.update(n_iter - self.bar.n)
        postfix = {"objective/row": f"{loss:.6g}"}
        if self.rows:
            seconds = max(time.perf_counter() - self.started, 1e-9)
            postfix["rows/s"] = f"{self.rows * n_iter / seconds:.3g}"  # one pass per iteration
        self.bar.set_postfix(postfix, refresh=False)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.listening.__exit__(*exc)
            self.bar.close()
        return False


# ---------------------------------------------------------------------------- predict


def predict(args):
    """Write the predictions of every row of DATA (CSV or Parquet, or CSV on stdout); with
    --chunk-rows, chunk by chunk as DATA is read."""
    model = _load_model(args.model)
    if not (args.json and args.out == "-"):
        _check_writable(args.out)
        _check_not_an_input(args.out, {"DATA": args.data, "MODEL": args.model})
        _output_format(args.out)  # before any reading
    data = _data_for(model, args, labels=False)
    blocks = _numbered_chunks(data) if args.chunk_rows else [(0, data.X)]
    tables = (
        _located(lambda X: _prediction_table(model, X, args.proba), X, first) for first, X in blocks
    )
    if args.json and args.out == "-":  # one JSON object: every column as a list
        import pyarrow as pa

        table = pa.concat_tables(tables)
        print(json.dumps({"rows": table.num_rows, **table.to_pydict()}))
        return 0
    rows = _write_tables(tables, args.out)
    if args.out != "-" and not args.quiet:
        summary = {"rows": rows, "out": args.out}
        print(json.dumps(summary) if args.json else f"wrote {rows} rows to {args.out}")
    return 0


def _numbered_chunks(data):
    """(the number of its first row in DATA, rows) for the row chunks of a ChunkSource."""
    rows = 0
    for X, _ in data:
        yield rows, X
        rows += X.shape[0]


def _located(predict, X, first_row):
    """predict(X) for a chunk of DATA whose first row is row first_row of DATA. The
    estimator's check names a NaN or infinity by its row in the chunk; on its error the chunk
    is checked again (only then: no second read of every chunk) to name the row in DATA, as a
    whole-file read does."""
    import scipy.sparse as sp

    from . import _validation as V

    try:
        return predict(X)
    except ValueError:
        if sp.issparse(X):
            V.as_csr(X, first_row=first_row)
        else:
            V.check_finite_matrix(V.as_float_matrix(X, check_finite=False), first_row=first_row)
        raise


def _check_writable(path):
    """UserError for an output path that is a directory or in a missing one."""
    if path == "-":
        return
    target = Path(path)
    if target.is_dir():
        raise UserError(f"cannot write to {path!r}: it is a directory; give a file name")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"cannot write to {path!r}: no directory {str(parent)!r}")


def _check_not_an_input(out, inputs):
    """UserError when the output path names one of the command's input files ({role: path}):
    writing it would replace the data (or model) being read."""
    for role, path in inputs.items():
        if path in (None, "-") or out == "-":
            continue
        try:
            same = os.path.samefile(out, path)
        except OSError:  # either does not exist (yet)
            continue
        if same:
            raise UserError(
                f"--out {out} is the {role} file {path}: writing there would replace it; "
                "name the output differently"
            )


def _check_model_name(out):
    """UserError for a model file named like a data file (train --out data.csv), or '-'. A
    model file is a ZIP archive (.npz by convention); the names io.load reads as data (but
    .npz) would have it mistaken for data, or written over some."""
    from .io import _COMPRESSIONS, _FORMATS

    if out == "-":
        raise UserError("--out -: a model file cannot go to standard output; give a file name")
    suffixes = [s.lower() for s in Path(out).suffixes]
    data_names = (set(_FORMATS) - {".npz"}) | set(_COMPRESSIONS)
    if suffixes and suffixes[-1] in data_names:
        stem = Path(out).name.split(".")[0] or "model"
        raise UserError(
            f"--out {out}: a model file is a ZIP archive, but {suffixes[-1]} names a data "
            f"format (a data file there would be replaced); name it e.g. {stem}.npz"
        )


def _load_model(path):
    from .persist import load_model

    return load_model(path)


def _data_for(model, args, labels):
    """fastlogreg.io's Dataset of DATA for the model (with --chunk-rows, its ChunkSource): the
    columns it was trained on, picked by name when it knows them (in its order; other
    columns, such as the target, left out), else every column but --target (or --features).
    Raises UserError when the columns' names or count do not match the model's."""
    from .io import load, open_chunks

    names = getattr(model, "feature_names_in_", None)
    suffixes = set(Path(str(args.data).lower()).suffixes)
    options = _read_options(args, target=labels)
    if not labels:
        options["target"] = args.target
    if suffixes & set(LIBSVM_FORMATS):
        options["n_features"] = int(model.n_features_in_)  # trailing columns may be empty
        if args.zero_based is None:  # the training file's indexing, where the model has it
            options["zero_based"] = getattr(model, "libsvm_zero_based_", "auto")
    if names is not None and not suffixes & set(UNNAMED_FORMATS):
        if args.features is not None and sorted(map(str, args.features)) == sorted(names):
            options["features"] = list(names)  # the model's columns, by name: its order
        elif args.features is None:
            options["features"] = list(names)
        if not labels and "features" in options:
            options["target"] = None  # the columns are picked by name: a target may be absent
    try:
        if args.chunk_rows:
            data = open_chunks(
                args.data, chunk_rows=args.chunk_rows, require_labels=labels, **options
            )
            n_features = data.n_features
        else:
            data = load(args.data, require_labels=labels, **options)
            n_features = data.X.shape[1]
    except ValueError as err:
        if args.zero_based is None and "zero_based=False" in str(err):
            raise UserError(
                f"{args.data} uses feature index 0, but the model was trained on a LIBSVM file "
                "whose indices start at 1, so this file's columns may not be the model's: check "
                "how it was written (--zero-based true reads it from 0)"
            ) from None
        raise
    if n_features != model.n_features_in_:
        raise UserError(
            f"{args.data} gives {n_features} feature columns, the model takes "
            f"{model.n_features_in_}: pass --features (and --target for the label column)"
        )
    if names is not None and data.feature_names is not None:
        if list(data.feature_names) != list(names):
            raise UserError(
                f"{args.data}: the columns given are {_preview(data.feature_names)}, but the "
                f"model was trained on {_preview(names)} (in that order); leave out --features "
                "and the model picks its columns by name"
            )
    return data


def _preview(names, limit=8):
    names = [str(n) for n in names]
    return str(names if len(names) <= limit else [*names[:limit], "..."])


def _prediction_table(model, X, proba):
    import pyarrow as pa

    columns = {}
    if proba:
        P = _unnamed(model.predict_proba, X)
        labels = model.classes_[P.argmax(axis=1)]
        columns["prediction"] = labels
        for k, label in enumerate(model.classes_.tolist()):
            columns[f"proba_{label}"] = P[:, k]
    else:
        columns["prediction"] = _unnamed(model.predict, X)
    return pa.table({name: pa.array(_plain(values)) for name, values in columns.items()})


def _plain(values):
    """An array pyarrow converts: object arrays of str as str."""
    return values.astype(str) if values.dtype == object else values


# predict's output by extension: the format (and CSV's delimiter), then a compression that
# pyarrow writes (xz it reads but does not write)
_OUTPUT_FORMATS = {".csv": ("csv", ","), ".txt": ("csv", ","), ".tsv": ("csv", "\t"),
                   ".parquet": ("parquet", None)}  # fmt: skip
_OUTPUT_COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd"}
_OUTPUT_ROWS = 1 << 16  # predictions are written this many rows at a time, or more


def _output_format(out):
    """(format, delimiter, compression or None) of predict's --out FILE ('-': CSV); UserError
    for an extension it cannot write."""
    if out == "-":
        return "csv", ",", None
    suffixes = [x.lower() for x in Path(out).suffixes]
    compression = _OUTPUT_COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    if compression:
        suffixes = suffixes[:-1]
    found = _OUTPUT_FORMATS.get(suffixes[-1]) if suffixes else None
    if found is None or (compression and found[0] == "parquet"):
        raise UserError(
            f"cannot tell how to write {out!r}: name it .csv, .tsv or .txt (comma-separated "
            "but .tsv), optionally with .gz, .bz2 or .zst, or .parquet (compressed inside)"
        )
    return (*found, compression)


def _write_tables(tables, out):
    """Write the tables (of one schema) one after the other to `out` as one CSV or Parquet
    file, or as CSV to stdout ('-'); returns the number of rows. A file is written under a
    temporary name beside it and renamed at the end: an error midway leaves no partial
    output (and an existing file as it was)."""
    import os

    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    kind, delimiter, compression = _output_format(out)
    writer, rows, pending = None, 0, []

    def write(sink, tables):
        nonlocal writer
        if writer is None:
            if kind == "parquet":
                writer = pq.ParquetWriter(sink, tables[0].schema)
            else:
                options = pcsv.WriteOptions(delimiter=delimiter)
                writer = pcsv.CSVWriter(sink, tables[0].schema, write_options=options)
        writer.write_table(pa.concat_tables(tables) if len(tables) > 1 else tables[0])

    def write_all(sink):
        nonlocal rows, pending
        held = 0
        for table in tables:
            rows += table.num_rows
            pending.append(table)
            held += table.num_rows
            if held >= _OUTPUT_ROWS:  # small chunks: not a Parquet row group each
                write(sink, pending)
                pending, held = [], 0
        if pending:
            write(sink, pending)
        if writer is not None:
            writer.close()

    if out == "-":
        write_all(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return rows
    target = Path(out)
    temporary = target.parent / f".{target.name}.{os.getpid()}.partial"
    try:
        if compression:
            with pa.CompressedOutputStream(str(temporary), compression) as sink:
                write_all(sink)
        else:
            write_all(str(temporary))
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return rows


# --------------------------------------------------------------------------- evaluate


def evaluate(args):
    """Log-loss, accuracy, ROC AUC and the confusion matrix of MODEL on DATA's labels."""
    from sklearn import metrics

    model = _load_model(args.model)
    data = _data_for(model, args, labels=True)
    classes = model.classes_
    # with --chunk-rows, the labels' codes and the probabilities (8 bytes per class and row,
    # which ROC AUC needs whole) are kept, the rows are not
    codes, P, rows = [], [], 0
    for X, y in data if args.chunk_rows else [(data.X, data.y)]:
        codes.append(_class_codes(model, y, where=str(args.data), offset=rows))
        P.append(_located(lambda X: _unnamed(model.predict_proba, X), X, rows))
        rows += X.shape[0]
    codes, P = np.concatenate(codes), np.concatenate(P)
    y = classes[codes]
    predicted = classes[P.argmax(axis=1)]
    result = {
        "rows": int(y.shape[0]),
        "log_loss": float(metrics.log_loss(codes, P, labels=np.arange(classes.shape[0]))),
        "accuracy": float(metrics.accuracy_score(y, predicted)),
        "roc_auc": None,
        "classes": classes.tolist(),
        "confusion_matrix": metrics.confusion_matrix(y, predicted, labels=classes).tolist(),
    }
    present = np.unique(codes)
    if present.shape[0] == classes.shape[0]:
        if classes.shape[0] == 2:
            result["roc_auc"] = float(metrics.roc_auc_score(codes, P[:, 1]))
        else:
            result["roc_auc"] = float(
                metrics.roc_auc_score(codes, P, multi_class="ovr", labels=np.arange(len(classes)))
            )
    if args.json:
        print(json.dumps(result))
    elif not args.quiet:
        auc = result["roc_auc"]
        print(f"rows      {result['rows']}")
        print(f"log-loss  {result['log_loss']:.6f}")
        print(f"accuracy  {result['accuracy']:.4f}")
        print(
            "roc-auc   "
            + (
                f"{auc:.6f}" + ("" if classes.shape[0] == 2 else "  (one-vs-rest, macro)")
                if auc is not None
                else "undefined (some class has no row in this data)"
            )
        )
        print("confusion matrix (rows: true class, columns: predicted)")
        width = max(len(str(c)) for c in classes.tolist()) + 2
        counts = max(len(str(v)) for row in result["confusion_matrix"] for v in row) + 2
        width = max(width, counts)
        print(" " * width + "".join(f"{c!s:>{width}}" for c in classes.tolist()))
        for c, row in zip(classes.tolist(), result["confusion_matrix"], strict=True):
            print(f"{c!s:>{width}}" + "".join(f"{v:>{width}}" for v in row))
    return 0


# ------------------------------------------------------------------------------- info


def info(args):
    """What a model file holds, as the format records it."""
    import zipfile

    model = _load_model(args.model)  # validates the whole file first
    with zipfile.ZipFile(args.model) as archive:
        meta = json.loads(archive.read("metadata.json"))
    names = meta.get("feature_names_in")
    training = meta["training"]
    summary = {
        "file": str(args.model),
        "format_version": meta["format_version"],
        "library_version": meta["library_version"],
        "estimator": meta["estimator"],
        "classes": model.classes_.tolist(),
        "features": int(model.n_features_in_),
        "feature_names": names,
        "coef_dtype": meta["coef_dtype"],
        "non_zero_coefficients": int(np.count_nonzero(model.coef_)),
        "solver": training["solver"],
        "iterations": training["n_iter"],
        "objective": model.loss_history_[-1] if model.loss_history_.size else None,
        "converged": training["converged"],
        "libsvm_zero_based": meta.get("data", {}).get("libsvm_zero_based"),
        "params": {k: _json_value(v) for k, v in model.get_params().items()},
    }
    if args.json:
        print(json.dumps(summary))
    elif not args.quiet:
        shown = names if names is None or len(names) <= 10 else [*names[:10], "..."]
        for key in ("file", "estimator", "classes", "features"):
            print(f"{key:<16}{summary[key]}")
        print(f"{'feature names':<16}{shown}")
        print(
            f"{'coefficients':<16}{meta['coef_dtype']}, {summary['non_zero_coefficients']} non-zero"
        )
        print(f"{'solver':<16}{summary['solver']}, iterations {summary['iterations']}")
        objective = summary["objective"]
        print(f"{'objective':<16}{'unknown' if objective is None else f'{objective:.6f}'}")
        print(f"{'converged':<16}{summary['converged']}")
        if summary["libsvm_zero_based"] is not None:
            print(f"{'LIBSVM indices':<16}from {0 if summary['libsvm_zero_based'] else 1}")
        params = ", ".join(f"{k}={v!r}" for k, v in sorted(summary["params"].items()))
        print(f"{'hyperparameters':<16}{params}")
        print(f"{'written by':<16}fastlogreg {summary['library_version']}, format "
              f"{summary['format_version']}")  # fmt: skip
    return 0


def _json_value(value):
    """A hyperparameter as JSON takes it: non-finite floats as strings ('inf')."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return str(value)
