"""The Hessian of the logistic loss over one block of rows, by BLAS.

    H = X~^T diag(s a (1 - a)) X~,  a = sigmoid(X w + b),  X~ = [X, 1]

is a sum over rows, so a caller can compute it block by block and add (the Newton solver does it
on a row sample; streaming and Dask paths can do it per chunk). It costs d^2 / 2 multiply-adds
per row against d reads: compute-bound, not bandwidth-bound, so it is left to BLAS rather than
to a fused Numba pass. Measured on the 2-core benchmark machine for 50,000 x 101 float64 rows
(medians of 7): numpy's gemm X^T (h X) 28 ms on one thread (18 GFMA/s) and 44 ms on two;
OpenBLAS's dsyrk, which does half the work, 46-56 ms; a full pass over 1M rows would be 0.3 s.
"""

from __future__ import annotations

import numpy as np


def curvature(z, s):
    """s * sigmoid(z) * (1 - sigmoid(z)), written as s e / (1 + e)^2 with e = exp(-|z|) so it
    neither overflows nor cancels."""
    e = np.exp(-np.abs(z))
    return s * e / (1.0 + e) ** 2


def hessian_sum(X, s, w, b, fit_intercept, work=None):
    """X~^T diag(s a(1-a)) X~ for one block of float64 rows X (sum form, no penalty); shape
    (d+1, d+1) with the intercept last, or (d, d) without an intercept. `work`, if given, is a
    float64 array shaped like X reused for the scaled rows (saves a large allocation per call)."""
    # huge X overflows to inf (and inf X, not yet found on a Dask chunk, makes inf * 0 = NaN):
    # the caller checks for both
    with np.errstate(over="ignore", invalid="ignore"):
        return weighted_gram(X, curvature(X @ w + b, s), fit_intercept, work)


def weighted_gram(X, h, fit_intercept, work=None):
    """X~^T diag(h) X~ for float64 rows X and per-row weights h (the Hessian of any datafit whose
    second derivative in the score is h): (d+1, d+1) with the intercept last, or (d, d)."""
    d = X.shape[1]
    out = np.empty((d + 1, d + 1) if fit_intercept else (d, d))
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = np.multiply(X, h[:, None], out=work)
        out[:d, :d] = X.T @ scaled
        if fit_intercept:
            out[d, :d] = out[:d, d] = h @ X
            out[d, d] = h.sum()
    return out
