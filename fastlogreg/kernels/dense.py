"""Fused kernels for dense, C-contiguous X (float32 or float64).

Every kernel splits the rows into `n_blocks` balanced blocks, one per thread. A thread writes
only into its own row of a (n_blocks, ...) buffer; a serial reduction in block order follows, so
the result for a fixed block count is bit-identical from run to run. Sums over rows accumulate in
float64 whatever X's dtype; float32 X is read as it is, never upcast or copied.

loss_gradient takes each block's rows in chunks of about CHUNK_BYTES, small enough to stay in
the L1 cache between three phases:
  1. z = X_chunk w + b: one streaming dot product per row (vectorised by LLVM); this is the
     only read of the chunk from main memory;
  2. the pointwise loss and weighted residual r = s (sigmoid(z) - y) over the chunk: branch-free
     polynomial code (_numerics.py) that LLVM vectorises 4 rows per register;
  3. g += X_chunk^T r from L1, 32 columns at a time held in 8 vector registers over the chunk's
     rows (_simd.py), so the inner loop stores nothing.
Measured on 1M x 100 (2 threads, AVX2): this layout took the pass from 1.8-2.0x to about 1.3x
the time of a streaming sum over X for float64, and from 1.9-2.5x to about 1.4x for float32,
against a row-at-a-time loop with libm exp/log1p (bench/RESULTS.md has the current ratios).

Scratch arrays are allocated before the parallel loop and indexed by block: Numba hoists
allocations out of prange bodies, which would share them between threads.
"""

import numpy as np
from numba import njit, prange

from .._config import CACHE, FASTMATH, POINTWISE_FASTMATH
from .._numerics import loss_and_residual, sigmoid
from .._simd import v4_add, v4_addto, v4_fma, v4_load2, v4_splat, v4_zero

CHUNK_BYTES = 8192  # 16 KiB and 8 KiB measured alike, 32 KiB clearly slower
MIN_CHUNK_ROWS = 16
MAX_CHUNK_ROWS = 512


@njit(inline="always")
def block_start(n, n_blocks, k):
    """First row of block k when n rows are split into n_blocks balanced blocks."""
    return (k * n) // n_blocks


@njit(inline="always")
def chunk_rows(d, itemsize):
    return max(MIN_CHUNK_ROWS, min(MAX_CHUNK_ROWS, CHUNK_BYTES // max(1, d * itemsize)))


@njit(fastmath=FASTMATH, error_model="numpy")
def _dot_chunk(X, start, m, w, b, z):
    d = X.shape[1]
    for i in range(m):
        xi = X[start + i]
        acc = 0.0
        for j in range(d):
            acc += xi[j] * w[j]
        z[i] = acc + b


@njit(fastmath=POINTWISE_FASTMATH, error_model="numpy")
def _pointwise(y, s, z, weighted_loss):
    """z[i] <- s_i (sigmoid(z_i) - y_i) and weighted_loss[i] <- s_i l(y_i, z_i)."""
    for i in range(z.shape[0]):
        li, ri = loss_and_residual(y[i], z[i])
        weighted_loss[i] = s[i] * li
        z[i] = s[i] * ri


@njit(fastmath=FASTMATH, error_model="numpy")
def _sums(a, b):
    total_a = 0.0
    total_b = 0.0
    for i in range(a.shape[0]):
        total_a += a[i]
        total_b += b[i]
    return total_a, total_b


@njit(fastmath=FASTMATH, error_model="numpy")
def _grad_chunk(X, start, m, r, g):
    """g[:d] += X[start:start+m]^T r[:m]: column blocks of 32 in 8 vector accumulators over the
    rows (8 loads and 8 FMAs per row and block, no stores), then 4 columns at a time with two
    row-interleaved accumulators, then the last columns one by one."""
    d = X.shape[1]
    jb = 0
    while jb + 32 <= d:
        a0, a1, a2, a3 = v4_zero(), v4_zero(), v4_zero(), v4_zero()
        a4, a5, a6, a7 = v4_zero(), v4_zero(), v4_zero(), v4_zero()
        for i in range(m):
            ri = v4_splat(r[i])
            row = start + i
            a0 = v4_fma(ri, v4_load2(X, row, jb), a0)
            a1 = v4_fma(ri, v4_load2(X, row, jb + 4), a1)
            a2 = v4_fma(ri, v4_load2(X, row, jb + 8), a2)
            a3 = v4_fma(ri, v4_load2(X, row, jb + 12), a3)
            a4 = v4_fma(ri, v4_load2(X, row, jb + 16), a4)
            a5 = v4_fma(ri, v4_load2(X, row, jb + 20), a5)
            a6 = v4_fma(ri, v4_load2(X, row, jb + 24), a6)
            a7 = v4_fma(ri, v4_load2(X, row, jb + 28), a7)
        v4_addto(g, jb, a0)
        v4_addto(g, jb + 4, a1)
        v4_addto(g, jb + 8, a2)
        v4_addto(g, jb + 12, a3)
        v4_addto(g, jb + 16, a4)
        v4_addto(g, jb + 20, a5)
        v4_addto(g, jb + 24, a6)
        v4_addto(g, jb + 28, a7)
        jb += 32
    while jb + 4 <= d:
        a0 = v4_zero()
        a1 = v4_zero()
        i = 0
        while i + 2 <= m:
            a0 = v4_fma(v4_splat(r[i]), v4_load2(X, start + i, jb), a0)
            a1 = v4_fma(v4_splat(r[i + 1]), v4_load2(X, start + i + 1, jb), a1)
            i += 2
        if i < m:
            a0 = v4_fma(v4_splat(r[i]), v4_load2(X, start + i, jb), a0)
        v4_addto(g, jb, v4_add(a0, a1))
        jb += 4
    if jb < d:
        for i in range(m):
            xi = X[start + i]
            ri = r[i]
            for j in range(jb, d):
                g[j] += ri * xi[j]


@njit(fastmath=FASTMATH, error_model="numpy")
def _block_loss_gradient(X, y, s, w, b, lo, hi, g, z, weighted_loss):
    """Rows [lo, hi): returns their loss and adds their gradient into g (length d + 1)."""
    d = X.shape[1]
    chunk = z.shape[0]
    loss = 0.0
    g_intercept = 0.0
    for start in range(lo, hi, chunk):
        m = min(chunk, hi - start)
        zc = z[:m]
        lc = weighted_loss[:m]
        _dot_chunk(X, start, m, w, b, zc)
        _pointwise(y[start : start + m], s[start : start + m], zc, lc)
        chunk_loss, chunk_intercept = _sums(lc, zc)
        loss += chunk_loss
        g_intercept += chunk_intercept
        _grad_chunk(X, start, m, zc, g)
    g[d] += g_intercept
    return loss


@njit(inline="always", fastmath=FASTMATH, error_model="numpy")
def _loss_gradient(X, y, s, w, b, n_blocks, grad):
    n, d = X.shape
    chunk = chunk_rows(d, X.itemsize)
    # each block's rows padded to whole cache lines (+1) so no two threads write the same line
    g_stride = (d + 1 + 7) // 8 * 8 + 8
    z_stride = (2 * chunk + 7) // 8 * 8 + 8
    partial_grad = np.zeros((n_blocks, g_stride))
    partial_loss = np.zeros(n_blocks)
    scratch = np.empty((n_blocks, z_stride))
    for k in prange(n_blocks):
        partial_loss[k] = _block_loss_gradient(
            X, y, s, w, b, block_start(n, n_blocks, k), block_start(n, n_blocks, k + 1),
            partial_grad[k, : d + 1], scratch[k, :chunk], scratch[k, chunk : 2 * chunk],
        )  # fmt: skip
    total = 0.0
    grad[:] = 0.0
    for k in range(n_blocks):
        total += partial_loss[k]
        for j in range(d + 1):
            grad[j] += partial_grad[k, j]
    return total


# also called from Python (objective.py), hence cached
@njit(fastmath=FASTMATH, cache=CACHE, nogil=True)
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


@njit(parallel=True, fastmath=FASTMATH, cache=CACHE, nogil=True)
def loss_gradient(X, y, s, w, b, n_blocks, grad):
    """Data part of the objective at (w, b): returns sum_i s_i l(y_i, z_i) and writes its
    gradient into grad (length d + 1), the intercept's last. One read of X."""
    return _loss_gradient(X, y, s, w, b, n_blocks, grad)


@njit(fastmath=FASTMATH, cache=CACHE, nogil=True)
def loss_gradient_serial(X, y, s, w, b, n_blocks, grad):
    return _loss_gradient(X, y, s, w, b, n_blocks, grad)


@njit(parallel=True, fastmath=FASTMATH, cache=CACHE, nogil=True)
def gd_epoch(X, y, s, w, b, l2, step, fit_intercept, n_blocks, grad, w_next):
    """One epoch of the seed's gradient descent, fused: objective J and gradient at (w, b) in
    one read of X, then the update w_next = w - step * dJ/dw. Returns (J, b_next).

    J = sum_i s_i l_i + l2 ||w||^2 / 2 (l2 = 1/C); `step` is applied to the sum-form gradient,
    so the caller passes alpha / sum(s) for the mean-form step alpha."""
    loss = _loss_gradient(X, y, s, w, b, n_blocks, grad)
    return _gd_step(loss, w, b, l2, step, fit_intercept, grad, w_next)


@njit(fastmath=FASTMATH, cache=CACHE, nogil=True)
def gd_epoch_serial(X, y, s, w, b, l2, step, fit_intercept, n_blocks, grad, w_next):
    loss = _loss_gradient(X, y, s, w, b, n_blocks, grad)
    return _gd_step(loss, w, b, l2, step, fit_intercept, grad, w_next)


@njit(fastmath=POINTWISE_FASTMATH, error_model="numpy")
def _sigmoid_into(z, out):
    for i in range(z.shape[0]):
        out[i] = sigmoid(z[i])


@njit(parallel=True, fastmath=FASTMATH, cache=CACHE, nogil=True)
def decision_scores(X, w, b, probability, out):
    """out[i] = w.x_i + b, or sigmoid of it when `probability`; accumulated in float64. Chunked
    like loss_gradient so the sigmoid runs vectorised and without 'reassoc'."""
    n, d = X.shape
    n_blocks = max(1, min(n, 64))  # more blocks than threads: balances the load, cheap here
    chunk = chunk_rows(d, X.itemsize)
    z_stride = (chunk + 7) // 8 * 8 + 8
    scratch = np.empty((n_blocks, z_stride))
    for k in prange(n_blocks):
        z = scratch[k, :chunk]
        hi = block_start(n, n_blocks, k + 1)
        for start in range(block_start(n, n_blocks, k), hi, chunk):
            m = min(chunk, hi - start)
            _dot_chunk(X, start, m, w, b, z[:m])
            if probability:
                _sigmoid_into(z[:m], out[start : start + m])
            else:
                out[start : start + m] = z[:m]


@njit(fastmath=POINTWISE_FASTMATH, error_model="numpy")
def _split_residuals(y, s, z, residual, weighted_0, weighted_1):
    """residual[i] <- sigmoid(z_i) - y_i, and s_i times it into weighted_0 for label-0 rows and
    weighted_1 for label-1 rows (0 in the other)."""
    for i in range(z.shape[0]):
        _, ri = loss_and_residual(y[i], z[i])
        residual[i] = ri
        label_1 = y[i] > 0.5
        weighted_0[i] = 0.0 if label_1 else s[i] * ri
        weighted_1[i] = s[i] * ri if label_1 else 0.0


@njit(parallel=True, fastmath=FASTMATH, cache=CACHE, nogil=True)
def label_split_gradient(X, y, s, w, b, n_blocks, residual, grads):
    """The pass of the L1 duality gap (solvers/_duality.py), one read of X: residual[i] =
    sigmoid(z_i) - y_i (float64, length n) and the data gradient split by label, grads[l] =
    sum over the rows with y_i = l of s_i residual_i (x_i, 1) (float64, (2, d + 1), the
    intercept's entry last). Chunked as loss_gradient, from the same helpers."""
    n, d = X.shape
    chunk = chunk_rows(d, X.itemsize)
    g_stride = (d + 1 + 7) // 8 * 8 + 8
    z_stride = (3 * chunk + 7) // 8 * 8 + 8
    partial = np.zeros((n_blocks, 2, g_stride))
    scratch = np.empty((n_blocks, z_stride))
    for k in prange(n_blocks):
        z = scratch[k, :chunk]
        weighted_0 = scratch[k, chunk : 2 * chunk]
        weighted_1 = scratch[k, 2 * chunk : 3 * chunk]
        hi = block_start(n, n_blocks, k + 1)
        for start in range(block_start(n, n_blocks, k), hi, chunk):
            m = min(chunk, hi - start)
            _dot_chunk(X, start, m, w, b, z[:m])
            _split_residuals(
                y[start : start + m], s[start : start + m], z[:m], residual[start : start + m],
                weighted_0[:m], weighted_1[:m],
            )  # fmt: skip
            intercept_0, intercept_1 = _sums(weighted_0[:m], weighted_1[:m])
            partial[k, 0, d] += intercept_0
            partial[k, 1, d] += intercept_1
            _grad_chunk(X, start, m, weighted_0[:m], partial[k, 0, : d + 1])
            _grad_chunk(X, start, m, weighted_1[:m], partial[k, 1, : d + 1])
    grads[:] = 0.0
    for k in range(n_blocks):
        for label in range(2):
            for j in range(d + 1):
                grads[label, j] += partial[k, label, j]


@njit(parallel=True, fastmath=FASTMATH, cache=CACHE, nogil=True)
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


@njit(parallel=True, cache=CACHE, nogil=True)
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
