"""The synthetic problem shared by the tests and the benchmarks.

Correlated, differently scaled columns (ill-conditioned, as real unscaled data is):
Z ~ N(0, 1) of shape (n, d); A = I + 0.3 G / sqrt(d) with G ~ N(0, 1) of shape (d, d);
scale_j = exp(U(-1.5, 1.5)); X = (Z A) * scale; w_j ~ N(0, 1) / sqrt(d) / scale_j;
y ~ Bernoulli(sigmoid(X w + 0.3)).

Usage: `make_problem(n, d, seed=0, dtype=np.float64) -> (X, y)`, or from the command line
`python data/synthetic.py N D OUT.npz` to save one.
"""

from __future__ import annotations

import sys

import numpy as np

CHUNK_ROWS = 65536  # generate in row chunks so 1M x 100 never holds two full float64 copies


def make_problem(n, d, seed=0, dtype=np.float64, intercept=0.3, scale_range=1.5):
    """(X, y) by the recipe above; scale_range widens the column scales exp(U(-r, r)) for a
    worse-conditioned X (the benchmarks use the default 1.5)."""
    rng = np.random.default_rng(seed)
    mixing = np.eye(d) + 0.3 * rng.standard_normal((d, d)) / np.sqrt(d)
    scale = np.exp(rng.uniform(-scale_range, scale_range, size=d))
    w = rng.standard_normal(d) / np.sqrt(d) / scale
    X = np.empty((n, d), dtype=dtype)
    y = np.empty(n, dtype=np.float64)
    for start in range(0, n, CHUNK_ROWS):
        stop = min(n, start + CHUNK_ROWS)
        block = (rng.standard_normal((stop - start, d)) @ mixing) * scale
        X[start:stop] = block
        p = 1.0 / (1.0 + np.exp(-(block @ w + intercept)))
        y[start:stop] = rng.random(stop - start) < p
    return X, y


if __name__ == "__main__":
    n, d, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    X, y = make_problem(n, d)
    np.savez(out, X=X, y=y)
