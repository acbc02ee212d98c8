"""The `fastlogreg` command line: train, predict, evaluate, info.

    fastlogreg train DATA --target COL [--features A,B] [hyperparameters] [--float32]
                          [--chunk-rows N] [--out MODEL]
    fastlogreg predict MODEL DATA [--proba] [--chunk-rows N] [--out FILE|-]
    fastlogreg evaluate MODEL DATA --target COL [--chunk-rows N]
    fastlogreg info MODEL
    fastlogreg --version

DATA is CSV (any of , ; tab | as delimiter; .gz .bz2 .xz .zst), Parquet, .npy, .npz or
LIBSVM, read by fastlogreg.io; `-` reads CSV from standard input. A user error (a missing
file, an unknown column, a bad value, a corrupt model file) prints one line on standard error
and exits with status 2; success exits 0. Only this module and argparse load at start-up:
NumPy, Numba, scikit-learn and pyarrow are imported by the command that needs them
(`--help` and `--version` take about 0.1 s, against 1.5 s for scikit-learn's import).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from zlib import error as _ZlibError  # Python's gzip reader on corrupt data: not an OSError

from . import __version__

try:  # Python's xz reader raises its own error type, neither OSError nor ValueError
    from lzma import LZMAError as _LZMAError
except ImportError:  # a Python built without lzma
    _LZMAError = OSError

SOLVERS = ["auto", "newton", "lbfgs", "sgd", "gd"]
SCHEDULES = "'auto', a positive float, or one of 'constant', 'optimal', 'invscaling', 'adaptive'"


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="fastlogreg",
        description="Logistic regression trained by fused Numba kernels.",
        epilog="Run 'fastlogreg COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"fastlogreg {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = sub.add_parser(
        "train",
        help="fit a model on a data file and save it",
        description="Fit LogisticRegression on DATA and report the fit; --out saves the model.",
    )
    _data_options(train, target_required=True)
    train.add_argument("--out", metavar="MODEL", help="save the model to this file (.npz)")
    train.add_argument(
        "--chunk-rows",
        type=_positive_int,
        metavar="N",
        help="train out of core: read DATA N rows at a time, once per pass of the solver "
        "(memory: a few chunks plus 16-24 bytes a row), instead of loading it whole",
    )
    train.add_argument(
        "--standardize",
        action="store_true",
        help="fit on columns scaled to mean 0 and variance 1 (the penalty then treats every "
        "column alike; recommended for 'gd'); the saved model takes the raw columns",
    )
    hyper = train.add_argument_group("hyperparameters (as LogisticRegression's)")
    hyper.add_argument("--C", type=float, default=1.0, help="inverse penalty strength; inf: none")
    hyper.add_argument(
        "--l1-ratio", type=float, default=0.0, help="0 L2 (default), 1 L1, between: elastic net"
    )
    hyper.add_argument("--solver", choices=SOLVERS, default="auto")
    hyper.add_argument("--max-iter", type=int, default=100, help="iterations or epochs")
    hyper.add_argument("--tol", type=float, default=1e-4, help="gradient tolerance")
    hyper.add_argument("--learning-rate", default="auto", help=f"'gd' and 'sgd': {SCHEDULES}")
    hyper.add_argument("--eta0", type=float, default=None, help="'sgd': the initial step")
    hyper.add_argument("--power-t", type=float, default=0.5, help="'sgd' invscaling exponent")
    hyper.add_argument(
        "--average", default=None, help="'sgd': average the iterates (true, false, or an int)"
    )
    hyper.add_argument("--n-iter-no-change", type=int, default=5, help="'sgd' early stop")
    hyper.add_argument("--no-shuffle", action="store_true", help="'sgd': rows in file order")
    hyper.add_argument(
        "--class-weight", default=None, help="'balanced', or JSON such as '{\"yes\": 3}'"
    )
    hyper.add_argument("--no-intercept", action="store_true", help="fit_intercept=False")
    hyper.add_argument("--random-state", type=int, default=None)
    hyper.add_argument("--n-jobs", type=int, default=None, help="threads (default: all)")
    hyper.add_argument("--verbose", type=int, default=0, help="the solvers' per-iteration lines")

    predict = sub.add_parser(
        "predict",
        help="predict labels (or probabilities) for a data file",
        description="Write one prediction per row of DATA: a 'prediction' column, and with "
        "--proba one 'proba_<class>' column per class.",
    )
    predict.add_argument("model", metavar="MODEL", help="a model file from 'train --out'")
    _data_options(predict, target_required=False)
    predict.add_argument("--proba", action="store_true", help="add the class probabilities")
    predict.add_argument(
        "--out", default="-", metavar="FILE", help="CSV or .parquet file; '-' (default): stdout"
    )
    predict.add_argument(
        "--chunk-rows",
        type=_positive_int,
        metavar="N",
        help="read DATA N rows at a time, writing each chunk's predictions as it goes (memory: "
        "a few chunks), instead of loading it whole",
    )

    evaluate = sub.add_parser(
        "evaluate",
        help="log-loss, accuracy, ROC AUC and confusion matrix on labelled data",
        description="Score MODEL on DATA's labels with scikit-learn's metrics.",
    )
    evaluate.add_argument("model", metavar="MODEL", help="a model file from 'train --out'")
    _data_options(evaluate, target_required=True)
    evaluate.add_argument(
        "--chunk-rows",
        type=_positive_int,
        metavar="N",
        help="read DATA N rows at a time (memory: a few chunks plus 8 bytes per class and row), "
        "instead of loading it whole",
    )

    info = sub.add_parser("info", help="describe a model file", description="Describe MODEL.")
    info.add_argument("model", metavar="MODEL", help="a model file from 'train --out'")

    for command in (train, predict, evaluate, info):
        output = command.add_mutually_exclusive_group()
        output.add_argument("--json", action="store_true", help="machine-readable output")
        output.add_argument("--quiet", action="store_true", help="no report, no progress bar")
    return parser


def _data_options(parser, target_required):
    parser.add_argument("data", metavar="DATA", help="data file; '-' reads CSV from stdin")
    parser.add_argument(
        "--target",
        metavar="COL",
        help="the label column, by name or index"
        + (" (required, unless --labels gives the labels)" if target_required
           else " (left out of the features when present)"),
    )  # fmt: skip
    parser.add_argument(
        "--features",
        type=_names,
        metavar="A,B,...",
        help="the feature columns, by name or index (default: every column but the target"
        + ("" if target_required else "; a model trained on named columns picks its own")
        + ")",
    )
    parser.add_argument("--delimiter", help="CSV delimiter (default: detected)")
    parser.add_argument(
        "--zero-based",
        choices=["auto", "true", "false"],
        help="LIBSVM: whether feature indices start at 0 (default: a model's training file's "
        "indexing, which train records; else auto: at 0 when some index is 0)",
    )
    parser.add_argument(
        "--labels", metavar="FILE.npy", help="labels from a .npy file, for .npy data"
    )
    parser.add_argument(
        "--float32",
        action="store_true",
        help="read X as float32 (half the memory; fits in float32 kernels)",
    )
    # kept from the first command line: the same as --float32
    parser.add_argument("--dtype", choices=["float64", "float32"], help=argparse.SUPPRESS)


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _names(text):
    return [name.strip() for name in text.split(",") if name.strip()]


# how the decompressors (Python's gzip and bz2, pyarrow's codecs) begin their errors
_DECOMPRESSION_ERRORS = (
    "CRC check failed",
    "Invalid data stream",
    "ZSTD decompress failed",
    "zlib inflate failed",
    "BZ2 decompress",
    "Not a gzipped file",
    "Error -3 while decompressing",
)


def _terminated(signum, frame):
    """SIGTERM as SystemExit(143), so that the cleanup of a command runs (a prediction file
    written under a temporary name is removed) where the default action ends the process
    at once."""
    raise SystemExit(128 + signum)


def main(argv=None):
    """Run the command line; returns the exit status (0 success, 2 a user error, 130 after
    Ctrl-C); SIGTERM exits with 143 after the command's cleanup."""
    args = _build_parser().parse_args(argv)
    from . import _commands  # the heavy imports start here

    previous = None
    if threading.current_thread() is threading.main_thread():  # (signals: main thread only)
        previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return _commands.run(args)
    except KeyboardInterrupt:
        print("fastlogreg: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `fastlogreg predict ... | head`: the reader left, not an error
        sys.stderr.close()
        return 0
    except EOFError:  # Python's bz2/lzma/gzip readers on a truncated file
        data = getattr(args, "data", None)
        print(
            f"fastlogreg: error: {data}: the compressed data ends early (a truncated file?)",
            file=sys.stderr,
        )
        return 2
    except (
        ValueError,
        TypeError,
        OSError,
        ImportError,
        OverflowError,
        _LZMAError,
        _ZlibError,
    ) as err:
        # _commands.UserError is a ValueError; OverflowError: a number beyond any C type
        message = str(err) or type(err).__name__
        data = getattr(args, "data", None)
        if isinstance(err, FileNotFoundError) and err.filename:
            message = f"no such file: {err.filename}"
        elif "compressed stream" in message and data:
            message = f"{data}: {message} (a truncated file?)"
        elif data and (
            isinstance(err, (_LZMAError, _ZlibError)) or message.startswith(_DECOMPRESSION_ERRORS)
        ):  # the decompressors name no file
            message = f"{data}: the compressed data is corrupt ({message})"
        print(f"fastlogreg: error: {_commands.option_words(message)}", file=sys.stderr)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
