"""The evidence for solver='auto': fastlogreg's deterministic solvers over a range of shapes.

    python -m bench.auto_rule [--shapes 100000x100,100000x1000] [--dtype float64] [--classes K]

For each shape (rows x columns of the shared generator data/synthetic.py, C=1, K classes from a
softmax when --classes K >= 3) every solver fits once at its defaults after a discarded warm-up
on a slice (compilation excluded); the gap is to a tight 'newton' fit (tol=1e-10) of the same
data. The fastest solver per shape is marked.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

from sklearn.exceptions import ConvergenceWarning

from fastlogreg import LogisticRegression
from fastlogreg.objective import SERIAL_BELOW

from ._machine import describe
from .issue9 import objective, params

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from synthetic import make_problem

SHAPES = "1000x20,100000x10,1000000x100,100000x300,100000x1000,50000x2000,10000000x10"
SOLVERS = ("newton", "lbfgs")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default=SHAPES)
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--classes", type=int, default=2, help="K >= 3: the multinomial loss")
    args = parser.parse_args(argv)
    print(
        f"Solvers by shape, {args.dtype}, C={args.C}, {args.classes} classes; machine: {describe()}"
    )
    print("| rows x cols | " + " | ".join(f"{s} s (gap)" for s in SOLVERS) + " | fastest |")
    print("|---" * (len(SOLVERS) + 2) + "|")
    for shape in args.shapes.split(","):
        n, d = (int(v) for v in shape.split("x"))
        X, y = make_problem(n, d, seed=0, n_classes=args.classes)
        X_in = X.astype(args.dtype, copy=False)
        tight = LogisticRegression(C=args.C, solver="newton", tol=1e-10, max_iter=1000)
        best = objective(X, y, *params(tight.fit(X, y)), args.C)

        cells, times = [], {}
        for solver in SOLVERS:
            warm = max(2000, SERIAL_BELOW // d + 1)  # enough rows for the parallel kernels
            with warnings.catch_warnings():  # the warm-up only compiles; it need not converge
                warnings.simplefilter("ignore", ConvergenceWarning)
                LogisticRegression(C=args.C, solver=solver).fit(X_in[:warm], y[:warm])
            model = LogisticRegression(C=args.C, solver=solver, max_iter=10_000)
            start = time.perf_counter()
            model.fit(X_in, y)
            times[solver] = time.perf_counter() - start
            gap = (objective(X, y, *params(model), args.C) - best) / best
            cells.append(f"{times[solver]:.3f} ({gap:.0e})")
        print(f"| {n:,} x {d} | " + " | ".join(cells) + f" | {min(times, key=times.get)} |")


if __name__ == "__main__":
    main()
