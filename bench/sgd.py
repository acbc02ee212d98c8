"""SGD against scikit-learn's SGDClassifier (issue 3, benchmark 2).

    python -m bench.sgd [--rows 1000000] [--cols 100] [--repeats 5]

1. One epoch on the standardised problem: fastlogreg solver='sgd' (max_iter=1, tol=None, its
   default schedule, shuffling) on one thread and on all threads (Hogwild), against
   SGDClassifier(loss='log_loss', max_iter=1, tol=None) at its defaults. Times interleaved
   round by round after a warm-up; the ratio is the median of the per-round ratios. Target:
   ours / theirs <= 0.1.
2. Five epochs with defaults on the unscaled problem: the relative objective gap of fastlogreg
   'sgd' (target <= 1e-3) and of SGDClassifier, against a tight 'newton' fit.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier

from fastlogreg import LogisticRegression
from fastlogreg.objective import LogisticObjective
from fastlogreg.solvers import newton

from ._machine import describe

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from synthetic import make_problem

OURS = {
    "fastlogreg sgd, 1 thread": dict(n_jobs=1),
    "fastlogreg sgd, Hogwild (all threads)": dict(n_jobs=-1),
}


def _timed(model, X, y):
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start


def relative_gap(X, y, coef, intercept, C=1.0):
    objective = LogisticObjective(X, y, np.ones(y.shape[0]), C=C, n_blocks=2)
    best = objective.loss(newton(objective, np.zeros(X.shape[1] + 1), tol=1e-10).theta)
    return (objective.loss(np.append(coef, intercept)) - best) / best


def one_epoch(X, y, repeats, alpha):
    """name -> seconds of every round for one epoch on X (standardise it first), ours on one
    thread and Hogwild and SGDClassifier's, interleaved round by round after a warm-up."""
    make = {
        name: (lambda kw=kw: LogisticRegression(solver="sgd", max_iter=1, tol=None, **kw))
        for name, kw in OURS.items()
    }
    make["sklearn SGDClassifier"] = lambda: SGDClassifier(
        loss="log_loss", alpha=alpha, max_iter=1, tol=None
    )
    for factory in make.values():
        factory().fit(X[:20_000], y[:20_000])  # warm-up: compilation, imports
    times = {name: [] for name in make}
    for _ in range(repeats):
        for name, factory in make.items():
            times[name].append(_timed(factory(), X, y))
    return times


def epoch_ratios(times):
    """name -> (median seconds, median of per-round ratios to SGDClassifier or None)."""
    theirs = np.array(times["sklearn SGDClassifier"])
    return {
        name: (
            float(np.median(seconds)),
            None if name.startswith("sklearn") else float(np.median(np.array(seconds) / theirs)),
        )
        for name, seconds in times.items()
    }


def five_epochs(X, y, alpha):
    """name -> (seconds, relative objective gap) of five epochs at each library's defaults."""
    runs = {
        "fastlogreg sgd (learning_rate='auto')": LogisticRegression(
            solver="sgd", max_iter=5, tol=None, random_state=0
        ),
        "sklearn SGDClassifier (defaults)": SGDClassifier(
            loss="log_loss", alpha=alpha, max_iter=5, tol=None, random_state=0
        ),
    }
    out = {}
    for name, model in runs.items():
        seconds = _timed(model, X, y)
        coef, intercept = model.coef_[0].astype(np.float64), float(model.intercept_[0])
        out[name] = (seconds, relative_gap(X, y, coef, intercept))
    return out


def standardised(X):
    return (X - X.mean(axis=0)) / X.std(axis=0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    X, y = make_problem(args.rows, args.cols, seed=0)
    alpha = 1.0 / X.shape[0]  # C = 1
    print(f"SGD on {args.rows:,} x {args.cols}, float64, C=1. Machine: {describe()}")
    warnings.simplefilter("ignore", ConvergenceWarning)
    ratios = epoch_ratios(one_epoch(standardised(X), y, args.repeats, alpha))
    print("\n1. One epoch, standardised columns (median of per-round ratios)\n")
    print("| solver | median seconds | ours / SGDClassifier (target <= 0.1) |")
    print("|---|---|---|")
    for name, (seconds, ratio) in ratios.items():
        verdict = "" if ratio is None else f"{ratio:.2f} " + ("met" if ratio <= 0.1 else "MISSED")
        print(f"| {name} | {seconds:.3f} | {verdict} |")
    print("\n2. Five epochs with defaults, unscaled columns\n")
    print("| solver | seconds | relative objective gap (target <= 1e-3 for ours) |")
    print("|---|---|---|")
    for name, (seconds, gap) in five_epochs(X, y, alpha).items():
        print(f"| {name} | {seconds:.2f} | {gap:.1e} |")


if __name__ == "__main__":
    main()
