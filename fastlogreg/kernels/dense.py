"""Fused kernels for dense, C-contiguous X (float32 or float64).

Every kernel splits the rows into `n_blocks` balanced blocks, one per thread. A thread writes
only into its own row of a (n_blocks, ...) buffer; a serial reduction in block order follows, so
the result for a fixed block count is bit-identical from run to run. Sums over rows accumulate in
float64 whatever X's dtype; float32 X is read as it is, never upcast or copied.

Rows are processed in chunks that fit in the L1/L2 cache: the scores z of a chunk are computed
first, then the pointwise loss and residual over the chunk (a loop without memory traffic that
the compiler can unroll and vectorise), then the gradient re-reads the chunk's rows from cache.
X therefore leaves main memory once per call.

Scratch arrays are allocated before the parallel loop and indexed by block: Numba hoists
allocations out of prange bodies, which would share them between threads.
"""

import numpy as np
from numba import njit, prange

from .._config import CACHE, FASTMATH
from .._numerics import loss_and_residual, sigmoid

CHUNK_BYTES = 32 * 1024  # rows of X per chunk: about half of the L1 data cache
MAX_CHUNK_ROWS = 512


@njit(inline="always")
def block_start(n, n_blocks, k):
    """First row of block k when n rows are split into n_blocks balanced blocks."""
    return (k * n) // n_blocks


@njit(inline="always")
def chunk_rows(d, itemsize):
    return max(8, min(MAX_CHUNK_ROWS, CHUNK_BYTES // max(1, d * itemsize)))


@njit(inline="always", fastmath=FASTMATH)
def _loss_gradient(X, y, s, w, b, n_blocks, grad):
    """Data part of the objective at (w, b): returns sum_i s_i l(y_i, z_i) and writes its
    gradient into grad (length d + 1): grad[:d] = sum_i s_i (a_i - y_i) x_i and
    grad[d] = sum_i s_i (a_i - y_i), the intercept's. One read of X."""
    n, d = X.shape
    chunk = chunk_rows(d, X.itemsize)
    partial_grad = np.zeros((n_blocks, d + 1))
    partial_loss = np.zeros(n_blocks)
    z_scratch = np.empty((n_blocks, chunk))
    for k in prange(n_blocks):
        g = partial_grad[k]
        z = z_scratch[k]
        loss = 0.0
        stop_block = block_start(n, n_blocks, k + 1)
        for start in range(block_start(n, n_blocks, k), stop_block, chunk):
            m = min(chunk, stop_block - start)
            for i in range(m):
                xi = X[start + i]
                acc = 0.0
                for j in range(d):
                    acc += xi[j] * w[j]
                z[i] = acc + b
            for i in range(m):
                li, ri = loss_and_residual(y[start + i], z[i])
                loss += s[start + i] * li
                z[i] = s[start + i] * ri  # z's slot now holds the weighted residual
            for i in range(m):
                xi = X[start + i]
                r = z[i]
                for j in range(d):
                    g[j] += r * xi[j]
                g[d] += r
        partial_loss[k] = loss
    total = 0.0
    grad[:] = 0.0
    for k in range(n_blocks):
        total += partial_loss[k]
        for j in range(d + 1):
            grad[j] += partial_grad[k, j]
    return total


@njit(fastmath=FASTMATH, cache=CACHE)  # also called from Python (objective.py), hence cached
def add_l2_penalty(loss, grad, w, l2):
    """Adds ||w||^2 * l2 / 2 to loss and l2 * w to grad[:d]; the intercept grad[d] is not
    penalised. Returns the new loss."""
    sq = 0.0
    for j in range(w.shape[0]):
        sq += w[j] * w[j]
        grad[j] += l2 * w[j]
    return loss + 0.5 * l2 * sq


@njit(inline="always", fastmath=FASTMATH)
def _gd_step(loss, w, b, l2, step, fit_intercept, grad, w_next):
    """Completes an epoch of the seed's gradient descent once loss_gradient has filled grad:
    adds the penalty, then w_next = w - step * dJ/dw. Returns (J, b_next)."""
    loss = add_l2_penalty(loss, grad, w, l2)
    for j in range(w.shape[0]):
        w_next[j] = w[j] - step * grad[j]
    if not fit_intercept:
        grad[-1] = 0.0
    return loss, b - step * grad[-1]


# Each kernel exists twice, from one body: a parallel version and a serial one for data so small
# that starting the thread pool (tens of microseconds) costs more than the pass itself. Numba
# compiles prange as range in the serial version; the bodies are shared through inline helpers.


@njit(parallel=True, fastmath=FASTMATH, cache=CACHE)
def loss_gradient(X, y, s, w, b, n_blocks, grad):
    """Data part of the objective at (w, b): returns sum_i s_i l(y_i, z_i) and writes its
    gradient into grad (length d + 1), the intercept's last. One read of X."""
    return _loss_gradient(X, y, s, w, b, n_blocks, grad)


@njit(fastmath=FASTMATH, cache=CACHE)
def loss_gradient_serial(X, y, s, w, b, n_blocks, grad):
    return _loss_gradient(X, y, s, w, b, n_blocks, grad)


@njit(parallel=True, fastmath=FASTMATH, cache=CACHE)
def gd_epoch(X, y, s, w, b, l2, step, fit_intercept, n_blocks, grad, w_next):
    """One epoch of the seed's gradient descent, fused: objective J and gradient at (w, b) in
    one read of X, then the update w_next = w - step * dJ/dw. Returns (J, b_next).

    J = sum_i s_i l_i + l2 ||w||^2 / 2 (l2 = 1/C); `step` is applied to the sum-form gradient,
    so the caller passes alpha / sum(s) for the mean-form step alpha."""
    loss = _loss_gradient(X, y, s, w, b, n_blocks, grad)
    return _gd_step(loss, w, b, l2, step, fit_intercept, grad, w_next)


@njit(fastmath=FASTMATH, cache=CACHE)
def gd_epoch_serial(X, y, s, w, b, l2, step, fit_intercept, n_blocks, grad, w_next):
    loss = _loss_gradient(X, y, s, w, b, n_blocks, grad)
    return _gd_step(loss, w, b, l2, step, fit_intercept, grad, w_next)


@njit(parallel=True, fastmath=FASTMATH, cache=CACHE)
def decision_scores(X, w, b, probability, out):
    """out[i] = w.x_i + b, or sigmoid of it when `probability`; accumulated in float64."""
    n, d = X.shape
    for i in prange(n):
        xi = X[i]
        acc = 0.0
        for j in range(d):
            acc += xi[j] * w[j]
        z = acc + b
        out[i] = sigmoid(z) if probability else z


@njit(parallel=True, fastmath=FASTMATH, cache=CACHE)
def weighted_sq_norm_sum(X, s, n_blocks):
    """sum_i s_i ||x_i||^2: with the row count it bounds the loss curvature (trace bound)."""
    n, d = X.shape
    partial = np.zeros(n_blocks)
    for k in prange(n_blocks):
        total = 0.0
        for i in range(block_start(n, n_blocks, k), block_start(n, n_blocks, k + 1)):
            xi = X[i]
            sq = 0.0
            for j in range(d):
                sq += np.float64(xi[j]) * xi[j]
            total += s[i] * sq
        partial[k] = total
    return partial.sum()


@njit(parallel=True, cache=CACHE)
def first_nonfinite_row(X, n_blocks):
    """Index of the first row of X holding NaN or inf, or -1. No fastmath here: it would let
    the compiler assume the values are finite."""
    n, d = X.shape
    first = np.full(n_blocks, -1, dtype=np.int64)
    for k in prange(n_blocks):
        for i in range(block_start(n, n_blocks, k), block_start(n, n_blocks, k + 1)):
            bad = False
            for j in range(d):
                if not np.isfinite(X[i, j]):
                    bad = True
            if bad:
                first[k] = i
                break
    for k in range(n_blocks):
        if first[k] >= 0:
            return first[k]
    return -1
