"""Time to the optimum: fastlogreg's solvers against scikit-learn and glum (issue 3, benchmark 1).

    python -m bench.solvers [--rows 1000000] [--cols 100] [--dtype float64] [--C 1.0]

Data: the shared generator data/synthetic.py (correlated, differently scaled columns). Each
solver runs once after a discarded warm-up fit on a small slice (compilation excluded), with its
library's default tolerance; the objective gap is measured against a tight reference
(scikit-learn newton-cholesky, tol=1e-12) on the float64 data. A peer that is not installed is
skipped with a line saying so (`pip install glum` for glum).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression

from fastlogreg import LogisticRegression
from fastlogreg.objective import SERIAL_BELOW

from ._machine import describe
from .peers import gap, objective, params

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from synthetic import make_problem


def candidates(C, n):
    """name -> a function making an unfitted model."""
    out = {
        "fastlogreg default (auto: newton)": lambda: LogisticRegression(C=C),
        "fastlogreg lbfgs": lambda: LogisticRegression(C=C, solver="lbfgs", max_iter=1000),
        "sklearn lbfgs": lambda: SklearnLogisticRegression(C=C, max_iter=1000),
        "sklearn newton-cholesky": lambda: SklearnLogisticRegression(
            C=C, solver="newton-cholesky", max_iter=1000
        ),
    }
    try:
        from glum import GeneralizedLinearRegressor
    except ImportError:
        print("glum is not installed: skipped (pip install glum)")
        return out

    def glum_model(solver):
        return lambda: GeneralizedLinearRegressor(
            family="binomial", alpha=1.0 / (C * n), l1_ratio=0.0, solver=solver
        )

    out["glum lbfgs"] = glum_model("lbfgs")
    out["glum irls"] = glum_model("irls-cd")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--C", type=float, default=1.0)
    args = parser.parse_args(argv)
    X, y = make_problem(args.rows, args.cols, seed=0)
    reference = SklearnLogisticRegression(C=args.C, solver="newton-cholesky", tol=1e-12)
    reference.fit(X, y)
    best = objective(X, y, *params(reference), args.C)
    X_in = X.astype(args.dtype)
    print(f"Time to the optimum on {args.rows:,} x {args.cols}, {args.dtype}, C={args.C}")
    print(f"Machine: {describe()}")
    rows = []
    for name, make in candidates(args.C, args.rows).items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warm = max(2000, SERIAL_BELOW // args.cols + 1)  # enough rows for the parallel kernels
            make().fit(X_in[:warm], y[:warm])  # warm-up: compilation, imports
            model = make()
            start = time.perf_counter()
            model.fit(X_in, y)
            seconds = time.perf_counter() - start
        rows.append((name, seconds, gap(X, y, model, best, args.C)))
    fastest_peer = min(seconds for name, seconds, _ in rows if not name.startswith("fastlogreg"))
    print("| solver | seconds | relative objective gap | time / fastest peer |")
    print("|---|---|---|---|")
    for name, seconds, relative in rows:
        ratio = seconds / fastest_peer
        verdict = ""
        if name.startswith("fastlogreg default"):
            met = ratio <= 0.25 and relative <= 1e-6
            verdict = " (target <= 0.25 at gap <= 1e-6: " + ("met)" if met else "MISSED)")
        print(f"| {name} | {seconds:.2f} | {relative:.1e} | {ratio:.2f}{verdict} |")


if __name__ == "__main__":
    main()
