"""Fused kernels for CSR X: the binomial passes of kernels/dense.py on scipy.sparse's
(data, indices, indptr) arrays, float32 or float64 values, int32 or int64 indices.

The rows are split into n_blocks blocks of about equal numbers of non-zeros (text rows differ
widely in length), one per thread. A row's score needs only its non-zeros; the gradient
X^T r is scattered into the thread's own row of a (n_blocks, d + 1) float64 buffer, then summed
over the blocks in block order, so the result for a fixed block count is bit-identical from run
to run (that sum is itself split over the columns across threads). With d = 2^20 and 2 threads
the buffers take 16 MB.

Duplicate column indices within a row add up (scipy.sparse's meaning of them) and unsorted
indices need no sorting: every pass reads a row's entries in whatever order they come. Explicit
zeros cost their read and nothing else.

The whole kernels compile with POINTWISE_FASTMATH (no 'reassoc'): the log-loss helpers are
inlined into them, and a scatter cannot be vectorised anyway.
"""

import numpy as np
from numba import njit, prange

from .._config import CACHE, POINTWISE_FASTMATH
from .._numerics import exp_neg, loss_and_residual, sigmoid


@njit(cache=CACHE)
def nnz_block_starts(indptr, n_blocks):
    """First row of each of n_blocks blocks of about equal non-zeros, and n at the end
    (int64, length n_blocks + 1, non-decreasing)."""
    n = indptr.shape[0] - 1
    nnz = indptr[n]
    starts = np.empty(n_blocks + 1, dtype=np.int64)
    for k in range(n_blocks):
        starts[k] = np.searchsorted(indptr[:n], (k * nnz) // n_blocks)
    starts[0] = 0
    starts[n_blocks] = n
    return starts


@njit(inline="always")
def _row_score(data, indices, lo, hi, w, b):
    acc = 0.0
    for p in range(lo, hi):
        acc += data[p] * w[indices[p]]
    return acc + b


@njit(inline="always")
def _sum_blocks(partial, out):
    """out[j] = sum over blocks k (in order) of partial[k, j], the columns split across threads."""
    for j in prange(out.shape[0]):
        total = 0.0
        for k in range(partial.shape[0]):
            total += partial[k, j]
        out[j] = total


@njit(parallel=True, fastmath=POINTWISE_FASTMATH, error_model="numpy", cache=CACHE)
def loss_gradient(data, indices, indptr, y, s, w, b, n_blocks, grad, curvature):
    """Data part of the objective at (w, b): returns sum_i s_i l(y_i, z_i) and writes its
    gradient into grad (float64, length d + 1, the intercept's last). When curvature has
    length n it also receives s_i sigmoid(z_i) (1 - sigmoid(z_i)), the Hessian's row weights
    for hessian_product (pass an empty array otherwise). One read of X."""
    d = grad.shape[0] - 1
    starts = nnz_block_starts(indptr, n_blocks)
    partial = np.zeros((n_blocks, d + 1))
    partial_loss = np.zeros(n_blocks)
    store = curvature.shape[0] > 0
    for k in prange(n_blocks):
        loss = 0.0
        for i in range(starts[k], starts[k + 1]):
            lo, hi = indptr[i], indptr[i + 1]
            z = _row_score(data, indices, lo, hi, w, b)
            li, ri = loss_and_residual(y[i], z)
            loss += s[i] * li
            r = s[i] * ri
            partial[k, d] += r
            for p in range(lo, hi):
                partial[k, indices[p]] += r * data[p]
            if store:
                e = exp_neg(abs(z))
                curvature[i] = s[i] * e / ((1.0 + e) * (1.0 + e))
        partial_loss[k] = loss
    _sum_blocks(partial, grad)
    total = 0.0
    for k in range(n_blocks):
        total += partial_loss[k]
    return total


@njit(parallel=True, fastmath=POINTWISE_FASTMATH, error_model="numpy", cache=CACHE)
def hessian_product(data, indices, indptr, curvature, v, v_b, n_blocks, out):
    """out = X~^T diag(curvature) X~ (v, v_b), X~ = [X, 1] (float64, length d + 1, the
    intercept's entry last): the data part of a Hessian-vector product, one read of X."""
    d = out.shape[0] - 1
    starts = nnz_block_starts(indptr, n_blocks)
    partial = np.zeros((n_blocks, d + 1))
    for k in prange(n_blocks):
        for i in range(starts[k], starts[k + 1]):
            lo, hi = indptr[i], indptr[i + 1]
            t = curvature[i] * _row_score(data, indices, lo, hi, v, v_b)
            partial[k, d] += t
            for p in range(lo, hi):
                partial[k, indices[p]] += t * data[p]
    _sum_blocks(partial, out)


@njit(parallel=True, fastmath=POINTWISE_FASTMATH, error_model="numpy", cache=CACHE)
def decision_scores(data, indices, indptr, w, b, probability, n_blocks, out):
    """out[i] = w.x_i + b, or sigmoid of it when `probability`; accumulated in float64."""
    starts = nnz_block_starts(indptr, n_blocks)
    for k in prange(n_blocks):
        for i in range(starts[k], starts[k + 1]):
            z = _row_score(data, indices, indptr[i], indptr[i + 1], w, b)
            out[i] = sigmoid(z) if probability else z
