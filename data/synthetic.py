"""The synthetic problem shared by the tests and the benchmarks.

Correlated, differently scaled columns (ill-conditioned, as real unscaled data is):
Z ~ N(0, 1) of shape (n, d); A = I + 0.3 G / sqrt(d) with G ~ N(0, 1) of shape (d, d);
scale_j = exp(U(-1.5, 1.5)); X = (Z A) * scale; w_j ~ N(0, 1) / sqrt(d) / scale_j;
y ~ Bernoulli(sigmoid(X w + 0.3)).
With n_classes = K >= 3: W (K, d) with rows drawn as w, intercepts b_k = 0.3 k / K, and
y ~ softmax(X W^T + b) (drawn as argmax of the scores plus Gumbel noise), labels 0 .. K-1.

Usage: `make_problem(n, d, seed=0, dtype=np.float64) -> (X, y)`, or from the command line
`python data/synthetic.py N D OUT.npz` to save one.

`make_text_problem(n, d=2**20)` is issue 10's text-like sparse problem (scipy.sparse CSR), the
one the sparse benchmarks use so that figures compare: 30 draws per row from Zipf(1.3) over a
random permutation of the features (about 18 distinct non-zeros per row), values log1p(count),
rows L2-normalised, labels from a logistic model with N(0, 4) weights and intercept -0.2.
"""

from __future__ import annotations

import sys

import numpy as np

CHUNK_ROWS = 65536  # generate in row chunks so 1M x 100 never holds two full float64 copies


def make_problem(n, d, seed=0, dtype=np.float64, intercept=0.3, scale_range=1.5, n_classes=2):
    """(X, y) by the recipe above; scale_range widens the column scales exp(U(-r, r)) for a
    worse-conditioned X (the benchmarks use the default 1.5)."""
    rng = np.random.default_rng(seed)
    mixing = np.eye(d) + 0.3 * rng.standard_normal((d, d)) / np.sqrt(d)
    scale = np.exp(rng.uniform(-scale_range, scale_range, size=d))
    if n_classes > 2:
        W = rng.standard_normal((n_classes, d)) / np.sqrt(d) / scale
        b = intercept * np.arange(n_classes) / n_classes

        def labels(block):  # a softmax draw: the argmax of the scores plus Gumbel noise
            return np.argmax(block @ W.T + b + rng.gumbel(size=(block.shape[0], n_classes)), 1)
    else:
        w = rng.standard_normal(d) / np.sqrt(d) / scale

        def labels(block):
            return rng.random(block.shape[0]) < 1.0 / (1.0 + np.exp(-(block @ w + intercept)))

    X = np.empty((n, d), dtype=dtype)
    y = np.empty(n, dtype=np.float64)
    for start in range(0, n, CHUNK_ROWS):
        stop = min(n, start + CHUNK_ROWS)
        block = (rng.standard_normal((stop - start, d)) @ mixing) * scale
        X[start:stop] = block
        y[start:stop] = labels(block)
    return X, y


def make_text_problem(n, d=2**20, seed=0, dtype=np.float64, draws=30, n_classes=2):
    """(X CSR (n, d) of dtype with int32 indices, y (n,) float64 0/1) by the recipe above.
    Zipf draws beyond d (its heavy tail) are redrawn uniformly over the features. With
    n_classes = K >= 3 the labels 0 .. K-1 come from a softmax of X W^T - 0.2, W (K, d) of
    N(0, 4) entries (drawn as the argmax of the scores plus Gumbel noise)."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    permutation = rng.permutation(d)
    w = rng.normal(0.0, 2.0, d if n_classes == 2 else (d, n_classes))
    blocks, labels = [], []
    for start in range(0, n, CHUNK_ROWS):
        m = min(n, start + CHUNK_ROWS) - start
        ranks = rng.zipf(1.3, size=(m, draws))
        ranks = np.where(ranks <= d, ranks, rng.integers(1, d + 1, size=ranks.shape))
        counts = sp.csr_matrix(
            (np.ones(m * draws), (np.repeat(np.arange(m), draws), permutation[ranks - 1].ravel())),
            shape=(m, d),
        )  # duplicates summed on conversion: the counts
        counts.data = np.log1p(counts.data)
        norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
        block = sp.csr_matrix(sp.diags(1.0 / norms) @ counts)
        z = block @ w - 0.2
        if n_classes == 2:
            labels.append((rng.random(m) < 1.0 / (1.0 + np.exp(-z))).astype(np.float64))
        else:
            labels.append(np.argmax(z + rng.gumbel(size=z.shape), axis=1).astype(np.float64))
        blocks.append(block.astype(dtype))
    X = sp.vstack(blocks, format="csr")
    X.indices = X.indices.astype(np.int32, copy=False)
    X.indptr = X.indptr.astype(np.int32 if X.nnz < 2**31 else np.int64, copy=False)
    return X, np.concatenate(labels)


if __name__ == "__main__":
    n, d, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    X, y = make_problem(n, d)
    np.savez(out, X=X, y=y)
