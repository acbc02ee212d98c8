"""Convergence plot: relative objective gap against seconds for every solver of fastlogreg and its
peers (scikit-learn; glum, Vowpal Wabbit and the NumPy seed when installed) on the issue-3
problem (issue 3, benchmark 3).

    python -m bench.convergence [--rows 1000000] [--cols 100] [--budget 20] [--out FILE.png]

Each point is one complete fit with an iteration (or epoch) budget, max_iter = 1, 2, 3, 5, 8,
...; a solver's sweep stops once a fit takes longer than --budget seconds, its gap is below
1e-10, or it stops before its max_iter. Vowpal Wabbit's max_iter is its number of passes over
its cache file (bench/vw.py; the conversion to it is not timed). The gap is to scikit-learn
newton-cholesky with tol=1e-12, on the float64 data, C=1.
Compilation is excluded (a warm-up fit first). Needs matplotlib (the `bench` extra).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression
from sklearn.linear_model import SGDClassifier

from fastlogreg import LogisticRegression
from fastlogreg.objective import SERIAL_BELOW

from ._figures import pyplot, save
from ._machine import describe
from .peers import SeedGradientDescent, gap, objective, params
from .vw import VowpalWabbit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from synthetic import make_problem


def solvers(C, n):
    """name -> a function of max_iter making an unfitted model (tol=0: the budget decides)."""
    ours = {
        f"fastlogreg {s}": (lambda it, s=s: LogisticRegression(C=C, solver=s, tol=0, max_iter=it))
        for s in ("newton", "lbfgs", "gd")
    }
    ours["fastlogreg sgd"] = lambda it: LogisticRegression(C=C, solver="sgd", tol=None, max_iter=it)
    theirs = {
        f"sklearn {s}": (
            # tol=1e-12, not 0: liblinear rejects 0
            lambda it, s=s: SklearnLogisticRegression(C=C, solver=s, tol=1e-12, max_iter=it)
        )
        for s in ("lbfgs", "newton-cholesky", "newton-cg", "liblinear", "sag", "saga")
    }
    theirs["sklearn SGDClassifier"] = lambda it: SGDClassifier(
        loss="log_loss", alpha=1.0 / (C * n), tol=None, max_iter=it
    )
    theirs["NumPy seed gd"] = lambda it: SeedGradientDescent(C=C, max_iter=it)
    try:
        from glum import GeneralizedLinearRegressor
    except ImportError:
        print("glum is not installed: skipped (pip install glum)")
    else:
        for s in ("lbfgs", "irls-cd"):
            theirs[f"glum {s}"] = lambda it, s=s: GeneralizedLinearRegressor(
                family="binomial", alpha=1.0 / (C * n), l1_ratio=0.0, solver=s, max_iter=it,
                gradient_tol=1e-12,
            )  # fmt: skip
    try:
        import vowpalwabbit  # noqa: F401
    except ImportError:
        print("vowpalwabbit is not installed: skipped (pip install vowpalwabbit)")
    else:
        theirs["Vowpal Wabbit"] = lambda it: VowpalWabbit(passes=it)  # max_iter = passes
    return {**ours, **theirs}


def budgets(largest=100_000):
    a, b = 1, 2
    while a <= largest:
        yield a
        a, b = b, a + b


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per fit at most")
    parser.add_argument("--out", default=str(Path(__file__).with_name("convergence.png")))
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the curves already in the --out file's .json and measure only the others",
    )
    args = parser.parse_args(argv)
    plt = pyplot()

    X, y = make_problem(args.rows, args.cols, seed=0)
    reference = SklearnLogisticRegression(C=args.C, solver="newton-cholesky", tol=1e-12).fit(X, y)
    best = objective(X, y, *params(reference), args.C)
    warm = max(2000, SERIAL_BELOW // args.cols + 1)
    saved = Path(args.out).with_suffix(".json")
    saved.parent.mkdir(parents=True, exist_ok=True)
    curves = {}
    if args.resume and saved.exists():
        curves = {k: np.array(v) for k, v in json.loads(saved.read_text()).items()}
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, make in solvers(args.C, args.rows).items():
        if name in curves:
            continue
        warm_up = make(2)
        if hasattr(warm_up, "prepare"):
            warm_up.prepare(X, y)  # VW's conversion to its input format, once, not timed
        warm_up.fit(X[:warm], y[:warm])  # warm-up: compilation, imports
        points = []
        for max_iter in budgets():
            model = make(max_iter)
            start = time.perf_counter()
            model.fit(X, y)
            seconds = time.perf_counter() - start
            relative = gap(X, y, model, best, args.C)
            points.append((seconds, max(relative, 1e-16)))
            print(
                f"{name:32s} max_iter {max_iter:6d}  {seconds:8.3f} s  gap {relative:.2e}",
                flush=True,
            )
            n_iter = int(np.max(getattr(model, "n_iter_", max_iter)))
            # stop at the time budget, at the optimum, or when the solver stopped by itself
            if seconds > args.budget or relative < 1e-10 or n_iter < max_iter:
                break
        curves[name] = np.array(points)
        saved.write_text(json.dumps({k: v.tolist() for k, v in curves.items()}, indent=1))

    fig, ax = plt.subplots(figsize=(9, 6))
    colours = plt.cm.tab20(np.linspace(0, 1, 20))
    for k, (name, points) in enumerate(curves.items()):
        style = "-" if name.startswith("fastlogreg") else "--"
        ax.loglog(
            points[:, 0],
            points[:, 1],
            style,
            marker="o",
            markersize=3,
            label=name,
            color=colours[(2 * k) % 20 + (2 * k) // 20],
        )
    ax.axhline(1e-6, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xlabel("wall time of the fit (seconds, log scale)")
    ax.set_ylabel("relative objective gap (J - J*) / J* (log scale)")
    ax.set_title(
        f"Logistic regression, {args.rows:,} x {args.cols} float64, C={args.C}: objective gap "
        "against time\n(each point a full fit with a larger max_iter; dotted line: 1e-6)",
        fontsize=10,
    )
    ax.legend(fontsize=8, ncol=2)
    ax.grid(True, which="both", alpha=0.3)
    save(fig, args.out, describe())
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
