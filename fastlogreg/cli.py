"""The `fastlogreg` command line: `fastlogreg train FILE.csv --target COLUMN`."""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="fastlogreg", description="Logistic regression trained by fused Numba kernels."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train on a CSV file and report loss and accuracy")
    train.add_argument("file", help="CSV file with a header row")
    train.add_argument("--target", required=True, help="name of the label column")
    train.add_argument("--C", type=float, default=1.0, help="inverse penalty strength (default 1)")
    train.add_argument(
        "--l1-ratio",
        type=float,
        default=0.0,
        help="elastic-net mix: 0 L2 (default), 1 L1, between elastic net",
    )
    train.add_argument(
        "--solver",
        choices=["auto", "newton", "lbfgs", "sgd", "gd"],
        default="auto",
        help="default 'auto': two classes newton up to 200 features, lbfgs above; three or "
        "more lbfgs; --l1-ratio > 0 newton (proximal)",
    )
    train.add_argument(
        "--max-iter", type=int, default=100, help="maximum iterations or epochs (default 100)"
    )
    train.add_argument("--tol", type=float, default=1e-4, help="gradient tolerance (default 1e-4)")
    train.add_argument(
        "--learning-rate", default="auto", help="'auto', a positive float or an sgd schedule"
    )
    train.add_argument("--n-jobs", type=int, default=None, help="threads (default: all)")
    train.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    train.add_argument(
        "--standardize",
        action="store_true",
        help="scale every column to mean 0, variance 1 before training (recommended for 'gd')",
    )
    return parser


def _train(args):
    from . import LogisticRegression
    from .io import read_csv

    X, y, _ = read_csv(args.file, args.target)
    X = X.astype(args.dtype)
    if args.standardize:
        std = X.std(axis=0)
        X = (X - X.mean(axis=0)) / np.where(std > 0, std, 1)
    try:
        lr = float(args.learning_rate)
    except ValueError:
        lr = args.learning_rate  # 'auto' or a schedule name, validated by the estimator
    model = LogisticRegression(
        C=args.C,
        l1_ratio=args.l1_ratio,
        solver=args.solver,
        max_iter=args.max_iter,
        tol=args.tol,
        learning_rate=lr,
        n_jobs=args.n_jobs,
    )
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    seconds = time.perf_counter() - start
    log_proba = model.predict_log_proba(X)
    log_loss = -np.mean(log_proba[np.arange(len(y)), np.searchsorted(model.classes_, y)])
    print(
        f"data      {args.file}: {X.shape[0]} rows, {X.shape[1]} features, "
        f"classes {model.classes_.tolist()}"
    )
    print(f"objective {model.loss_history_[-1]:.6f}  (sum of log-losses + penalty)")
    print(f"log-loss  {log_loss:.6f}  (mean, training data)")
    print(f"accuracy  {model.score(X, y):.4f}  (training data)")
    unit = "epochs" if model.solver_ in ("sgd", "gd") else "iterations"
    print(f"{unit:<9} {model.n_iter_[0]}")
    print(f"solver    {model.solver_}")
    # no warmup(): it would compile every kernel, where the fit compiles only those it runs
    print(f"time      {seconds:.3f} s  (a first fit after installing includes compiling kernels)")
    for w in caught:
        print(f"warning   {w.message}", file=sys.stderr)
    return 0


def main(argv=None):
    args = _build_parser().parse_args(argv)
    try:
        return _train(args)
    except (ValueError, TypeError, OSError, FloatingPointError) as err:
        print(f"fastlogreg: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
