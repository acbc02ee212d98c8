"""Fused kernels of the multinomial datafit for dense, C-contiguous X (float32 or float64).

The passes and their conventions are dense.py's (the binomial datafit's): balanced row blocks,
one per thread, each writing only its own row of a (n_blocks, ...) buffer, a serial reduction in
block order (bit-identical for a fixed block count), float64 sums, float32 X read as it is.

For K classes, coefficients W (K, d) and intercepts b (K,), a row x with label y in 0..K-1 and
weight s has the scores z = W x + b and

    l(y, z) = logsumexp_k(z_k) - z_y,   dl/dz_k = p_k - [k == y],   p = softmax(z)

(scikit-learn's multinomial LogisticRegression). The log-sum-exp is shifted by max_k z_k, so no
exponential of an unshifted score is ever taken and every e_k = exp(z_k - max) lies in (0, 1].
The residual of the true class, p_y - 1, is computed as -(sum_{k != y} e_k) / sum_k e_k so it
keeps its digits when p_y is close to 1 (as the binomial kernel keeps its tail).

The gradient, (K, d + 1) with the intercepts in the last column, is written row-major into a
flat vector of length K (d + 1): the parameter layout of the objective (objective.py).

Labels come as float64 class codes 0.0 .. K-1.0 (the binomial kernels' float64 0/1 labels are
the K = 2 case of the same array), so one validated label array serves both datafits.

Each row costs 2 K d multiply-adds against d reads, so for K >= 3 a pass is compute-bound rather
than bandwidth-bound; the scores of a chunk of rows and their gradient run in two phases over
the chunk (held in L1), like dense.loss_gradient.
"""

import numpy as np
from numba import njit, prange

from .._config import CACHE, FASTMATH, POINTWISE_FASTMATH
from .._numerics import exp_neg
from .dense import block_start, chunk_rows


@njit(fastmath=FASTMATH, error_model="numpy")
def _scores_chunk(X, start, m, W, b, Z):
    """Z[i, k] = W_k . x_{start + i} + b_k for i < m."""
    d = X.shape[1]
    K = W.shape[0]
    for i in range(m):
        xi = X[start + i]
        for k in range(K):
            wk = W[k]
            acc = 0.0
            for j in range(d):
                acc += xi[j] * wk[j]
            Z[i, k] = acc + b[k]


@njit(fastmath=POINTWISE_FASTMATH, error_model="numpy")
def _softmax_residual(y, s, Z):
    """Z[i] <- s_i (softmax(Z[i]) - onehot(y_i)); returns sum_i s_i l(y_i, Z[i])."""
    K = Z.shape[1]
    loss = 0.0
    for i in range(Z.shape[0]):
        zi = Z[i]
        top_k = 0
        for k in range(1, K):
            if zi[k] > zi[top_k]:
                top_k = k
        top = zi[top_k]
        label = int(y[i])
        z_label = zi[label]
        # total = 1 + beyond_top (e = 1 at the top); log1p(beyond_top) keeps the loss of a
        # confident right answer (about e^-margin) where log(total) would round it to 0
        beyond_top = 0.0
        others = 0.0
        for k in range(K):
            e = exp_neg(top - zi[k])
            zi[k] = e
            if k != top_k:
                beyond_top += e
            if k != label:
                others += e
        loss += s[i] * ((top - z_label) + np.log1p(beyond_top))
        scale = s[i] / (1.0 + beyond_top)
        for k in range(K):
            zi[k] *= scale
        zi[label] = -others * scale
    return loss


@njit(fastmath=FASTMATH, error_model="numpy")
def _gradient_chunk(X, start, m, R, G):
    """G[k, :d] += sum_i R[i, k] x_{start + i} and G[k, d] += sum_i R[i, k]."""
    d = X.shape[1]
    K = R.shape[1]
    for i in range(m):
        xi = X[start + i]
        for k in range(K):
            r = R[i, k]
            gk = G[k]
            for j in range(d):
                gk[j] += r * xi[j]
            gk[d] += r


@njit(inline="always", fastmath=FASTMATH, error_model="numpy")
def _loss_gradient(X, y, s, W, b, n_blocks, grad):
    n, d = X.shape
    K = W.shape[0]
    # chunks of rows sized for the scores (K per row) and the row reads to share L1
    chunk = max(4, chunk_rows(d, X.itemsize) // max(1, K // 4))
    size = K * (d + 1)
    g_stride = (size + 7) // 8 * 8 + 8  # whole cache lines, + 1, so no two threads share one
    partial_grad = np.zeros((n_blocks, g_stride))
    partial_loss = np.zeros(n_blocks)
    scratch = np.empty((n_blocks, chunk, K))
    for k in prange(n_blocks):
        G = partial_grad[k, :size].reshape((K, d + 1))
        Z = scratch[k]
        hi = block_start(n, n_blocks, k + 1)
        loss = 0.0
        for start in range(block_start(n, n_blocks, k), hi, chunk):
            m = min(chunk, hi - start)
            _scores_chunk(X, start, m, W, b, Z)
            loss += _softmax_residual(y[start : start + m], s[start : start + m], Z[:m])
            _gradient_chunk(X, start, m, Z[:m], G)
        partial_loss[k] = loss
    total = 0.0
    grad[:] = 0.0
    for k in range(n_blocks):
        total += partial_loss[k]
        for j in range(size):
            grad[j] += partial_grad[k, j]
    return total


# A parallel and a serial build of one body, as in dense.py (the serial one for tiny data).


@njit(parallel=True, fastmath=FASTMATH, cache=CACHE, nogil=True)
def loss_gradient(X, y, s, W, b, n_blocks, grad):
    """Data part of the multinomial objective at (W, b): returns sum_i s_i l(y_i, z_i) and
    writes its gradient into grad (length K (d + 1), class k's d coefficients then its
    intercept). X (n, d) float32/float64, y (n,) float64 codes, s (n,) float64, W (K, d) and
    b (K,) float64. One read of X."""
    return _loss_gradient(X, y, s, W, b, n_blocks, grad)


@njit(fastmath=FASTMATH, cache=CACHE, nogil=True)
def loss_gradient_serial(X, y, s, W, b, n_blocks, grad):
    return _loss_gradient(X, y, s, W, b, n_blocks, grad)


@njit(fastmath=POINTWISE_FASTMATH, error_model="numpy")
def _softmax_rows(Z):
    for i in range(Z.shape[0]):
        zi = Z[i]
        top = zi[0]
        for k in range(1, zi.shape[0]):
            top = max(top, zi[k])
        total = 0.0
        for k in range(zi.shape[0]):
            zi[k] = exp_neg(top - zi[k])
            total += zi[k]
        for k in range(zi.shape[0]):
            zi[k] /= total


@njit(parallel=True, fastmath=FASTMATH, cache=CACHE, nogil=True)
def decision_scores(X, W, b, probability, out):
    """out[i, k] = W_k . x_i + b_k (float64 sums), or the softmax of each row when
    `probability`. out (n, K) of any float dtype."""
    n, d = X.shape
    K = W.shape[0]
    n_blocks = max(1, min(n, 64))  # more blocks than threads: balances the load, cheap here
    chunk = max(4, chunk_rows(d, X.itemsize) // max(1, K // 4))
    scratch = np.empty((n_blocks, chunk, K))
    for k in prange(n_blocks):
        Z = scratch[k]
        hi = block_start(n, n_blocks, k + 1)
        for start in range(block_start(n, n_blocks, k), hi, chunk):
            m = min(chunk, hi - start)
            _scores_chunk(X, start, m, W, b, Z)
            if probability:
                _softmax_rows(Z[:m])
            out[start : start + m] = Z[:m]
