"""Fused kernels for CSR X: the binomial passes of kernels/dense.py on scipy.sparse's
(data, indices, indptr) arrays, float32 or float64 values, int32 or int64 indices.

The rows are split into n_blocks blocks of about equal numbers of non-zeros (text rows differ
widely in length), one per thread. A row's score needs only its non-zeros; the gradient
X^T r is scattered into the thread's own buffer, then summed over the blocks in block order, so
the result for a fixed block count is bit-identical from run to run (that sum is itself split
over the columns across threads). Each thread's buffer holds its copy of w interleaved with its
gradient, (d, 2) float64: with d = 2^20 and 2 threads, 32 MB.

Duplicate column indices within a row add up (scipy.sparse's meaning of them) and unsorted
indices need no sorting: every pass reads a row's entries in whatever order they come. Explicit
zeros cost their read and nothing else. The indices must lie in [0, d) (scipy's check_format
checks it; the kernels read them as unsigned and do not).

The whole kernels compile with POINTWISE_FASTMATH (no 'reassoc'): the log-loss helpers are
inlined into them, and a scatter cannot be vectorised anyway.
"""

import numpy as np
from numba import njit, prange

from .._config import CACHE, POINTWISE_FASTMATH
from .._numerics import exp_neg, loss_and_residual, sigmoid
from .._simd import prefetch2
from .multinomial import _softmax_residual, _softmax_rows

CHUNK_ROWS = 256  # rows per chunk of loss_gradient (scores, pointwise loss, scatter)


def workspace_size(n_blocks, n_features, n_outputs=1):
    """Length of the float64 `work` array the passes take for their per-thread buffers:
    n_blocks x d x max(2, K + 1) (binomial: w interleaved with the gradient, 2 per feature;
    multinomial: K per feature, and one more for weighted_column_squares' row scratch). The
    caller keeps it across passes: allocated afresh by every pass, the 32 MB of the 1M x 2^20
    problem's binomial buffers cost page faults that made a Hessian-vector product 128 ms in a
    fit against 83 ms alone."""
    return n_blocks * n_features * max(2, n_outputs + 1)


@njit(inline="always")
def _buffers(work, n_blocks, d, width, offset=0):
    """work[offset : offset + n_blocks d width] as (n_blocks, d, width)."""
    size = n_blocks * d * width
    if work.shape[0] < offset + size:
        raise ValueError("work is shorter than workspace_size(n_blocks, d, K)")
    return work[offset : offset + size].reshape((n_blocks, d, width))


@njit(cache=CACHE, nogil=True)
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


# A pass gathers and scatters at the row's columns, which on text are cache misses: asking for
# the lines of the row AHEAD_ROWS ahead overlaps them with this row's work. Measured on the
# 1M x 2^20 text problem (one thread, bench.sparse_pass, with another process on the other
# core): loss and gradient 181 -> 107 ms, Hessian-vector product 181 -> 82 ms; 10 classes on
# 200k rows' 212,070 stored columns: 166 -> 67 ms (1 row ahead: 73, 4: 78, 8: 89)
AHEAD_ROWS = 2


@njit(inline="always")
def _prefetch_classes(indices, lo, hi, M_t):
    """Ask for the cache lines of M_t[indices[p]] over entries lo..hi of a row visited later:
    M_t (d, K) C-contiguous, a column's K values in one or two lines (first and last asked)."""
    last = M_t.shape[1] - 1
    for p in range(lo, hi):
        j = np.uint64(indices[p])
        prefetch2(M_t, j, 0)
        prefetch2(M_t, j, last)


@njit(inline="always")
def _row_score(data, indices, lo, hi, w, b):
    """b + sum of the row's data[p] w[indices[p]]: two accumulators, so the multiply-adds do not
    wait on each other (a single chain ran 105 ms against 69 ms on the 1M x 2^20 text problem,
    scipy's X @ w 57 ms). Indices are read as unsigned (no negative-index wrap-around: they
    are checked to lie in [0, d) before any kernel runs)."""
    first = 0.0
    second = 0.0
    p = lo
    while p + 1 < hi:
        first += data[p] * w[np.uint64(indices[p])]
        second += data[p + 1] * w[np.uint64(indices[p + 1])]
        p += 2
    if p < hi:
        first += data[p] * w[np.uint64(indices[p])]
    return (first + second) + b


@njit(inline="always")
def _sum_packed(pack, partial_intercept, out):
    """out[j] = sum over blocks k (in order) of pack[k, j, 1], the columns split across
    threads, and out[d] the blocks' intercept sums."""
    d = out.shape[0] - 1
    for j in prange(d):
        total = 0.0
        for k in range(pack.shape[0]):
            total += pack[k, j, 1]
        out[j] = total
    intercept = 0.0
    for k in range(partial_intercept.shape[0]):
        intercept += partial_intercept[k]
    out[d] = intercept


@njit(inline="always")
def _in_order(partial):
    """The blocks' partial sums added in block order (the same result for a fixed block count,
    run after run)."""
    total = 0.0
    for k in range(partial.shape[0]):
        total += partial[k]
    return total


@njit(inline="always")
def _class_scores(data, indices, lo, hi, W_t, b, z):
    """z[c] = b[c] + sum of the row's data[p] W_t[indices[p], c], for each of the K classes."""
    for c in range(z.shape[0]):
        z[c] = b[c]
    for p in range(lo, hi):
        j = np.uint64(indices[p])
        x = data[p]
        for c in range(z.shape[0]):
            z[c] += x * W_t[j, c]


@njit(inline="always")
def _scatter_classes(data, indices, lo, hi, r, G_t, intercepts):
    """G_t[indices[p], c] += r[c] data[p] over the row's entries, and intercepts[c] += r[c]."""
    for c in range(r.shape[0]):
        intercepts[c] += r[c]
    for p in range(lo, hi):
        j = np.uint64(indices[p])
        x = data[p]
        for c in range(r.shape[0]):
            G_t[j, c] += r[c] * x


@njit(inline="always")
def _sum_class_blocks(partial, partial_intercepts, out):
    """out laid out as theta (K (d + 1)): class c's entry j the sum over blocks k (in order) of
    partial[k, j, c] (the columns split across threads), its intercept that of
    partial_intercepts[k, c]."""
    n_blocks, d, K = partial.shape
    for j in prange(d):
        for c in range(K):
            total = 0.0
            for k in range(n_blocks):
                total += partial[k, j, c]
            out[c * (d + 1) + j] = total
    for c in range(K):
        total = 0.0
        for k in range(n_blocks):
            total += partial_intercepts[k, c]
        out[c * (d + 1) + d] = total


@njit(fastmath=POINTWISE_FASTMATH, error_model="numpy")
def _pointwise(y, s, z, curvature, store):
    """Over a chunk of rows: returns sum_i s_i l(y_i, z_i) and turns z_i into the weighted
    residual s_i (sigmoid(z_i) - y_i); with store, curvature_i = s_i sigmoid(z_i) sigmoid(-z_i).
    A loop of its own so that LLVM vectorises it (row by row it cost 55 ms per 1M rows)."""
    loss = 0.0
    for i in range(z.shape[0]):
        if store:
            e = exp_neg(abs(z[i]))
            curvature[i] = s[i] * e / ((1.0 + e) * (1.0 + e))
        li, ri = loss_and_residual(y[i], z[i])
        loss += s[i] * li
        z[i] = s[i] * ri
    return loss


@njit(parallel=True, fastmath=POINTWISE_FASTMATH, error_model="numpy", cache=CACHE, nogil=True)
def loss_gradient(data, indices, indptr, y, s, w, b, n_blocks, grad, curvature, work):
    """Data part of the objective at (w, b): returns sum_i s_i l(y_i, z_i) and writes its
    gradient into grad (float64, length d + 1, the intercept's last). When curvature has
    length n it also receives s_i sigmoid(z_i) (1 - sigmoid(z_i)), the Hessian's row weights
    for hessian_product (pass an empty array otherwise). One read of X; work as
    workspace_size.

    Each block works on its own copy of w interleaved with its gradient, (d, 2): a row's
    gathers and its scatter then touch the same cache lines (on the 1M x 2^20 text problem the
    two 8 MB arrays apart made one thread 220 ms against 153 ms for scipy's two separate
    passes), and on chunks of CHUNK_ROWS rows: their scores, then the pointwise loss, then the
    scatter."""
    d = grad.shape[0] - 1
    starts = nnz_block_starts(indptr, n_blocks)
    pack = _buffers(work, n_blocks, d, 2)
    scratch = np.empty((n_blocks, CHUNK_ROWS))
    partial_loss = np.zeros(n_blocks)
    partial_intercept = np.zeros(n_blocks)
    store = curvature.shape[0] > 0
    for k in prange(n_blocks):
        wg = pack[k]
        for j in range(d):
            wg[j, 0] = w[j]
            wg[j, 1] = 0.0
        weights, g = wg[:, 0], wg[:, 1]
        z = scratch[k]
        loss = 0.0
        intercept = 0.0
        last = starts[k + 1]
        for first in range(starts[k], last, CHUNK_ROWS):
            m = min(CHUNK_ROWS, last - first)
            for t in range(m):
                i = first + t
                if t + AHEAD_ROWS < m:
                    ahead = i + AHEAD_ROWS
                    _prefetch_classes(indices, indptr[ahead], indptr[ahead + 1], wg)
                z[t] = _row_score(data, indices, indptr[i], indptr[i + 1], weights, b)
            rows = slice(first, first + m)
            loss += _pointwise(y[rows], s[rows], z[:m], curvature[rows] if store else z[:0], store)
            for t in range(m):
                i = first + t
                r = z[t]
                intercept += r
                for p in range(indptr[i], indptr[i + 1]):
                    g[np.uint64(indices[p])] += r * data[p]
        partial_loss[k] = loss
        partial_intercept[k] = intercept
    _sum_packed(pack, partial_intercept, grad)
    return _in_order(partial_loss)


@njit(parallel=True, fastmath=POINTWISE_FASTMATH, error_model="numpy", cache=CACHE, nogil=True)
def multinomial_loss_gradient(data, indices, indptr, y, s, W_t, b, n_blocks, grad, work):
    """The multinomial datafit (kernels/multinomial.py's pass) on CSR X: returns
    sum_i s_i (logsumexp(z_i) - z_i,y_i) and writes the gradient into grad (float64, length
    K (d + 1), laid out as theta: class k's coefficients, then its intercept). W_t (d, K) is
    W transposed and C-contiguous, so a feature's K weights share a cache line or two, and
    each block scatters into its own (d, K) buffer the same way: (n_blocks + 1) d K float64 in
    all (240 MB for 10 classes at d = 2^20 on 2 threads). Rows in chunks of CHUNK_ROWS: their
    K scores, then the shifted softmax and loss (multinomial._softmax_residual, shared with the
    dense pass), then the scatter. One read of X; y holds labels 0 .. K-1 as floats."""
    d, K = W_t.shape
    starts = nnz_block_starts(indptr, n_blocks)
    partial = _buffers(work, n_blocks, d, K)
    scratch = np.empty((n_blocks, CHUNK_ROWS, K))
    partial_loss = np.zeros(n_blocks)
    partial_intercepts = np.zeros((n_blocks, K))
    for k in prange(n_blocks):
        G_t = partial[k]
        G_t[:] = 0.0
        Z = scratch[k]
        loss = 0.0
        last = starts[k + 1]
        for first in range(starts[k], last, CHUNK_ROWS):
            m = min(CHUNK_ROWS, last - first)
            for t in range(m):
                i = first + t
                if t + AHEAD_ROWS < m:
                    ahead = i + AHEAD_ROWS
                    _prefetch_classes(indices, indptr[ahead], indptr[ahead + 1], W_t)
                _class_scores(data, indices, indptr[i], indptr[i + 1], W_t, b, Z[t])
            loss += _softmax_residual(y[first : first + m], s[first : first + m], Z[:m])
            for t in range(m):
                i = first + t
                if t + AHEAD_ROWS < m:
                    ahead = i + AHEAD_ROWS
                    _prefetch_classes(indices, indptr[ahead], indptr[ahead + 1], G_t)
                _scatter_classes(
                    data, indices, indptr[i], indptr[i + 1], Z[t], G_t, partial_intercepts[k]
                )
        partial_loss[k] = loss
    _sum_class_blocks(partial, partial_intercepts, grad)
    return _in_order(partial_loss)


@njit(parallel=True, fastmath=POINTWISE_FASTMATH, error_model="numpy", cache=CACHE, nogil=True)
def hessian_product(data, indices, indptr, curvature, v, v_b, n_blocks, out, work):
    """out = X~^T diag(curvature) X~ (v, v_b), X~ = [X, 1] (float64, length d + 1, the
    intercept's entry last): the data part of a Hessian-vector product, one read of X, with
    loss_gradient's interleaved per-block copy of v and the result."""
    d = out.shape[0] - 1
    starts = nnz_block_starts(indptr, n_blocks)
    pack = _buffers(work, n_blocks, d, 2)
    partial_intercept = np.zeros(n_blocks)
    for k in prange(n_blocks):
        vg = pack[k]
        for j in range(d):
            vg[j, 0] = v[j]
            vg[j, 1] = 0.0
        direction, g = vg[:, 0], vg[:, 1]
        intercept = 0.0
        for i in range(starts[k], starts[k + 1]):
            lo, hi = indptr[i], indptr[i + 1]
            if i + AHEAD_ROWS < starts[k + 1]:
                ahead = i + AHEAD_ROWS
                _prefetch_classes(indices, indptr[ahead], indptr[ahead + 1], vg)
            t = curvature[i] * _row_score(data, indices, lo, hi, direction, v_b)
            intercept += t
            for p in range(lo, hi):
                g[np.uint64(indices[p])] += t * data[p]
        partial_intercept[k] = intercept
    _sum_packed(pack, partial_intercept, out)


@njit(parallel=True, fastmath=POINTWISE_FASTMATH, error_model="numpy", cache=CACHE, nogil=True)
def decision_scores(data, indices, indptr, w, b, probability, n_blocks, out):
    """out[i] = w.x_i + b, or sigmoid of it when `probability`; accumulated in float64."""
    starts = nnz_block_starts(indptr, n_blocks)
    for k in prange(n_blocks):
        for i in range(starts[k], starts[k + 1]):
            z = _row_score(data, indices, indptr[i], indptr[i + 1], w, b)
            out[i] = sigmoid(z) if probability else z


@njit(parallel=True, fastmath=POINTWISE_FASTMATH, error_model="numpy", cache=CACHE, nogil=True)
def multinomial_decision_scores(data, indices, indptr, W_t, b, probability, n_blocks, out):
    """out[i, k] = W_k . x_i + b_k (float64 sums), or the softmax of each row when
    `probability` (multinomial._softmax_rows, shared with the dense pass); W_t (d, K) as in
    multinomial_loss_gradient, out (n, K) of any float dtype."""
    K = W_t.shape[1]
    starts = nnz_block_starts(indptr, n_blocks)
    scratch = np.empty((n_blocks, 1, K))
    for k in prange(n_blocks):
        z = scratch[k]
        for i in range(starts[k], starts[k + 1]):
            _class_scores(data, indices, indptr[i], indptr[i + 1], W_t, b, z[0])
            if probability:
                _softmax_rows(z)
            for c in range(K):
                out[i, c] = z[0, c]


@njit(parallel=True, fastmath=POINTWISE_FASTMATH, error_model="numpy", cache=CACHE, nogil=True)
def multinomial_hessian_product(data, indices, indptr, weighted_p, V_t, v_b, n_blocks, out, work):
    """The data part of the multinomial Hessian-vector product on CSR X, one read of X: per
    row the Hessian in the scores is q_i (diag(p_i) - p_i p_i^T), so with u_i = V x_i + v_b
    (the direction's change of the K scores) row i adds q_i p_ik (u_ik - p_i . u_i) x~_i to
    class k's entries. weighted_p (n, K) holds q_i p_i (the weights times the probabilities
    at the point), V_t (d, K) the direction's coefficients transposed, v_b (K,) its
    intercepts; out (K (d + 1),) laid out as theta. Per-thread (d, K) buffers, as
    multinomial_loss_gradient."""
    d, K = V_t.shape
    starts = nnz_block_starts(indptr, n_blocks)
    partial = _buffers(work, n_blocks, d, K)
    partial_intercepts = np.zeros((n_blocks, K))
    scratch = np.empty((n_blocks, 2, K))
    for k in prange(n_blocks):
        G_t = partial[k]
        G_t[:] = 0.0
        u = scratch[k, 0]
        r = scratch[k, 1]
        for i in range(starts[k], starts[k + 1]):
            if i + AHEAD_ROWS < starts[k + 1]:
                ahead = i + AHEAD_ROWS
                _prefetch_classes(indices, indptr[ahead], indptr[ahead + 1], V_t)
                _prefetch_classes(indices, indptr[ahead], indptr[ahead + 1], G_t)
            _class_scores(data, indices, indptr[i], indptr[i + 1], V_t, v_b, u)
            weight = 0.0  # q_i, the sum of q_i p_ik over k
            mean = 0.0  # q_i p_i . u_i
            for c in range(K):
                weight += weighted_p[i, c]
                mean += weighted_p[i, c] * u[c]
            mean = mean / weight if weight > 0.0 else 0.0
            for c in range(K):
                r[c] = weighted_p[i, c] * (u[c] - mean)
            _scatter_classes(data, indices, indptr[i], indptr[i + 1], r, G_t, partial_intercepts[k])
    _sum_class_blocks(partial, partial_intercepts, out)


@njit(inline="always")
def _scatter_row(data, indices, lo, hi, dense_row):
    """dense_row[j] += data[p] over the row's entries: with _take_value, each column's value
    as scipy.sparse reads it (its duplicate entries summed)."""
    for p in range(lo, hi):
        dense_row[np.uint64(indices[p])] += data[p]


@njit(inline="always")
def _take_value(indices, p, dense_row):
    """The row's value in column indices[p] at that column's first visit, 0 at later ones
    (duplicates), clearing it: after every entry of the row, dense_row is all zeros again."""
    j = np.uint64(indices[p])
    value = dense_row[j]
    dense_row[j] = 0.0
    return value


@njit(parallel=True, fastmath=POINTWISE_FASTMATH, error_model="numpy", cache=CACHE, nogil=True)
def weighted_column_squares(data, indices, indptr, H, canonical, n_blocks, out, work):
    """The diagonal of X~^T diag(H[:, c]) X~ for each of the K columns of H (n, K) float64,
    X~ = [X, 1], into out (K (d + 1),) laid out as theta: class c's entry j is
    sum_i H[i, c] x_ij^2, its intercept entry sum_i H[i, c] (a row's duplicate entries of a
    column summed before squaring, as scipy.sparse reads them). The preconditioner of
    truncated Newton's conjugate gradients (binomial: K = 1 and H the curvature). One read of
    X; per-thread (d, K) buffers and a (d,) row scratch in work (workspace_size). canonical
    (rows_without_repeats: no row stores a column twice) squares each entry as it is, without the
    row scratch (on the 1M x 2^20 text problem the scratch made the pass 188 ms)."""
    K = H.shape[1]
    d = out.shape[0] // K - 1
    starts = nnz_block_starts(indptr, n_blocks)
    partial = _buffers(work, n_blocks, d, K)
    rows = _buffers(work, n_blocks, d, 1, n_blocks * d * K)
    partial_intercepts = np.zeros((n_blocks, K))
    for k in prange(n_blocks):
        G_t = partial[k]
        G_t[:] = 0.0
        dense_row = rows[k, :, 0]
        if not canonical:
            dense_row[:] = 0.0
        for i in range(starts[k], starts[k + 1]):
            lo, hi = indptr[i], indptr[i + 1]
            if not canonical:
                _scatter_row(data, indices, lo, hi, dense_row)
            for p in range(lo, hi):
                x = np.float64(data[p]) if canonical else _take_value(indices, p, dense_row)
                j = np.uint64(indices[p])
                for c in range(K):
                    G_t[j, c] += H[i, c] * (x * x)
            for c in range(K):
                partial_intercepts[k, c] += H[i, c]
    _sum_class_blocks(partial, partial_intercepts, out)


@njit(cache=CACHE, nogil=True)
def column_counts(indices, n_features):
    """How many stored entries each column has, int64 (n_features,), from the indices as
    they are (np.bincount would first copy int32 indices to int64: 147 MB for 18.4M)."""
    counts = np.zeros(n_features, dtype=np.int64)
    for p in range(indices.shape[0]):
        counts[np.uint64(indices[p])] += 1
    return counts


@njit(parallel=True, cache=CACHE, nogil=True)
def rows_without_repeats(indices, indptr, n_features, n_blocks):
    """Whether no row stores one column twice (sorted or not): the passes that square entries
    can then take each as it is. One read of the indices, a per-thread (d,) marker."""
    starts = nnz_block_starts(indptr, n_blocks)
    ok = np.ones(n_blocks, dtype=np.bool_)
    seen = np.zeros((n_blocks, n_features), dtype=np.bool_)
    for k in prange(n_blocks):
        marks = seen[k]
        for i in range(starts[k], starts[k + 1]):
            for p in range(indptr[i], indptr[i + 1]):
                j = np.uint64(indices[p])
                if marks[j]:
                    ok[k] = False
                marks[j] = True
            for p in range(indptr[i], indptr[i + 1]):
                marks[np.uint64(indices[p])] = False
    return ok.all()


@njit(parallel=True, fastmath=POINTWISE_FASTMATH, error_model="numpy", cache=CACHE, nogil=True)
def weighted_sq_norm_sum(data, indices, indptr, s, n_features, n_blocks, work):
    """sum_i s_i ||x_i||^2 (kernels/dense.py's pass on CSR, a row's duplicate entries of a
    column summed before squaring, as scipy.sparse reads them): with the row count it bounds
    the loss curvature. Per-thread (n_features,) row scratch in work (workspace_size)."""
    starts = nnz_block_starts(indptr, n_blocks)
    partial = np.zeros(n_blocks)
    rows = _buffers(work, n_blocks, n_features, 1)
    for k in prange(n_blocks):
        dense_row = rows[k, :, 0]
        dense_row[:] = 0.0
        total = 0.0
        for i in range(starts[k], starts[k + 1]):
            lo, hi = indptr[i], indptr[i + 1]
            _scatter_row(data, indices, lo, hi, dense_row)
            sq = 0.0
            for p in range(lo, hi):
                x = _take_value(indices, p, dense_row)
                sq += x * x
            total += s[i] * sq
        partial[k] = total
    return _in_order(partial)


@njit(parallel=True, cache=CACHE, nogil=True)
def first_nonfinite_sum(data, indices, indptr, n_features, n_blocks, limit):
    """(row, column) of the first entry whose stored values, summed as scipy.sparse reads a
    row's duplicates, exceed limit in magnitude (the largest finite value of data's dtype:
    scipy sums float32 duplicates in float32, where 3e38 + 3e38 is infinity), or (-1, -1).
    The stored values themselves are finite (as_csr checked them); only duplicates can
    overflow. A per-thread (n_features,) float64 row scratch; no fastmath (it would assume
    finiteness)."""
    starts = nnz_block_starts(indptr, n_blocks)
    found = np.full((n_blocks, 2), -1, dtype=np.int64)
    rows = np.zeros((n_blocks, n_features))
    for k in prange(n_blocks):
        dense_row = rows[k]
        for i in range(starts[k], starts[k + 1]):
            lo, hi = indptr[i], indptr[i + 1]
            _scatter_row(data, indices, lo, hi, dense_row)
            bad = -1
            for p in range(lo, hi):
                j = np.uint64(indices[p])
                if bad < 0 and not abs(dense_row[j]) <= limit:
                    bad = np.int64(j)
            for p in range(lo, hi):
                dense_row[np.uint64(indices[p])] = 0.0
            if bad >= 0:
                found[k, 0] = i
                found[k, 1] = bad
                break
    for k in range(n_blocks):
        if found[k, 0] >= 0:
            return found[k, 0], found[k, 1]
    return -1, -1
