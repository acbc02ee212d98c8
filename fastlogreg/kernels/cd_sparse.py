"""Coordinate descent on proximal Newton's binomial model over a working set of sparse columns
(every row: a row sample would leave most sparse columns unseen). The model is kernels/cd.py's,

    g.(z - x) + (z - x)^T H (z - x) / 2 + strength ||z_w||_1,
    H = X~_A^T diag(h) X~_A + l2 I (the L2 term on the coefficients only),

with X_A the working set's columns given as CSC (only their non-zeros: the working set of an L1
fit is small) and X~_A = [X_A, 1] when the intercept is fitted. A coordinate's step needs its
column's inner product with h u, u = X~_A (z - x) the model's change of every row's score,
kept up to date as coordinates move (glmnet's covariance-free updates: Friedman, Hastie and
Tibshirani 2010). A sweep costs two passes over the working set's non-zeros and, with the
intercept, two over the n rows.
"""

import numpy as np
from numba import njit

from .._config import CACHE
from .cd import _distance, _soft_threshold


@njit(inline="always")
def _column_gradient(indptr, indices, data, h, u, g, l2, x, z, j):
    """The model's gradient in coordinate j (a column of the working set)."""
    total = g[j] + l2 * (z[j] - x[j])
    for k in range(indptr[j], indptr[j + 1]):
        i = indices[k]
        total += h[i] * data[k] * u[i]
    return total


@njit(cache=CACHE, nogil=True)
def cd_columns(indptr, indices, data, h, g, x, strength, l2, fit_intercept, z, u, max_sweeps, tol):
    """Cyclic coordinate descent on the model above for the new point z (updated in place from
    its initial value x; float64, length p + 1: the p working-set columns, then the
    intercept); indptr, indices, data: X_A as CSC (p columns, float64 values); h (n,) the
    rows' curvatures; u (n,) = X~_A (z - x), zeros when z = x, kept up to date. The intercept
    coordinate moves only when fit_intercept. Stops after the first sweep that ends with the
    model's gradient within tol of its subdifferential in every coordinate (checked once the
    sweep's steps were that small), or after max_sweeps sweeps; returns the sweeps run."""
    p = indptr.shape[0] - 1
    n = h.shape[0]
    curvature = np.empty(p + 1)
    for j in range(p):
        total = l2
        for k in range(indptr[j], indptr[j + 1]):
            total += h[indices[k]] * data[k] * data[k]
        curvature[j] = total
    curvature[p] = h.sum() if fit_intercept else 0.0
    for sweep in range(max_sweeps):
        biggest = 0.0
        for j in range(p):
            a = curvature[j]
            if not a > 0.0:
                continue
            gradient = _column_gradient(indptr, indices, data, h, u, g, l2, x, z, j)
            target = _soft_threshold(z[j] - gradient / a, strength / a)
            change = target - z[j]
            if change != 0.0:
                z[j] = target
                for k in range(indptr[j], indptr[j + 1]):
                    u[indices[k]] += change * data[k]
                biggest = max(biggest, abs(change) * a)
        if curvature[p] > 0.0:
            change = -(g[p] + np.dot(h, u)) / curvature[p]
            z[p] += change
            for i in range(n):
                u[i] += change
            biggest = max(biggest, abs(change) * curvature[p])
        if biggest <= tol:  # the steps were small: check the model's optimality itself
            largest = abs(g[p] + np.dot(h, u)) if curvature[p] > 0.0 else 0.0
            for j in range(p):
                if curvature[j] > 0.0:
                    gradient = _column_gradient(indptr, indices, data, h, u, g, l2, x, z, j)
                    largest = max(largest, _distance(gradient, z[j], strength, True))
            if largest <= tol:
                return sweep + 1
    return max_sweeps
