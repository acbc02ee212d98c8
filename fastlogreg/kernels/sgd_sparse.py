"""One epoch of per-sample stochastic gradient descent on CSR X: sgd_epoch (the binomial
datafit, kernels/sgd.py's update) and sgd_multinomial_epoch (kernels/sgd_multinomial.py's), the
update of kernels/sgd.py (same schedules, weights, implicit penalty, cumulative L1 penalty and
averaging, same state layout), with every step costing O(non-zeros of the row) instead of O(d):

- L2: the shrinkage is one scalar on the weight vector, w = scale * v (kernels/sgd.py's
  one-thread path), folded into v only when it falls below MIN_SCALE.
- L1 (lazy, as SGDClassifier applies it to sparse rows): u, the penalty a coefficient could
  have received, grows by eta alpha_l1 per sample, and the cumulative step (kernels/sgd.py's
  truncate) is taken on the row's coefficients only. A coefficient the rows do not touch keeps
  its value until it is touched, and then takes all the penalty it missed at once (u - q
  holds it); at the end of the epoch every coefficient takes its missed penalty, so the epoch
  ends where the dense kernel's truncation of every coefficient would have put an untouched
  one.
- Averaging (lazy, Xu 2011, "Towards optimal one pass large scale learning with averaged
  stochastic gradient descent", sec. 5): the sum of the averaged iterates S = sum_t scale_t v_t
  is kept as U + beta v, so a sample adds scale_t to beta and only the row's changes of v to U
  (U_j -= beta dv_j). `avg` holds the average between epochs and U = N avg within one (no
  extra d-vector); U + beta v is formed at the end and before each fold of the scale, and
  whenever beta exceeds ANCHOR_RATIO times what the iterates' sum N scale v would hold: a
  shrinking scale makes beta v (and U, its opposite) far larger than S, and their difference
  lost 7 digits within one fold interval at eta alpha = 0.6 (with the anchor at 1e4: at most 4;
  at the small eta alpha of real fits, beta stays about N scale and never anchors).

Rows are visited in kernels/sgd.py's order (blocks of BLOCK_ROWS rows, groups of them
shuffled within), on one thread: results are reproducible. The binomial epoch keeps v and U
side by side and prefetches the next rows (_prefetch_ahead): one shuffled epoch of the 1M x 2^20
text problem takes 0.17 s, against 0.43 s without (SGDClassifier: about 0.5 s). There is no
Hogwild path for CSR: one was built and measured (2026-11-30; threads taking tasks of
consecutive steps from a counter, each task starting from the scale, average weight and L1
budget its step count gives, the scale folded between segments, the most frequent columns'
changes kept per thread and added atomically) and took 0.136 s per epoch against 0.179 s for
one thread on an otherwise idle machine, but 0.235 s against 0.188 s with another process
on one of the two cores, for 465 more lines. A row's duplicate
column indices each add their update (scipy.sparse's meaning); explicit zeros change nothing.
"""

import numpy as np
from numba import njit

from .._config import CACHE, FASTMATH
from .._simd import prefetch2
from .multinomial import _softmax_residual
from .sgd import (
    AVG_INTERCEPT,
    COUNT,
    CUM_PENALTY,
    INTERCEPT,
    L1_STATE_SIZE,
    MIN_SCALE,
    N_AVERAGED,
    SCALE,
    _visit,
    check_l1_state,
    epoch_groups,
    l1_strength,
    learning_rate,
    sample_step,
    truncate,
)
from .sgd_multinomial import shrinkage

ANCHOR_RATIO = 1e4
# rows between the prefetch of a row's coefficients and its visit (2 and 4 were no faster)
AHEAD = 1


@njit(cache=CACHE, nogil=True)
def epoch_order(block_order, indptr, shuffle, seed):
    """The rows of an epoch in the order kernels/sgd.py visits them (blocks of BLOCK_ROWS rows
    in block_order, groups of them shuffled within from seed + group when shuffling), int64
    (n,); groups sized as for dense rows of the mean row's non-zeros (12 bytes each)."""
    n = indptr.shape[0] - 1
    n_blocks = block_order.shape[0]
    group_blocks, n_groups = epoch_groups(n_blocks, max(1, indptr[n] // max(1, n)), 12)
    order = np.empty(n, dtype=np.int64)
    m = 0
    for group in range(n_groups):
        first = group * group_blocks
        m += _visit(block_order, first, min(group_blocks, n_blocks - first), n, order[m:],
                    shuffle, seed + group)  # fmt: skip
    return order


@njit(inline="always")
def _prefetch_ahead(data2, indices2, indptr, indptr2, y2, c2, order, position, pack):
    """Ask for the cache lines the next rows will read, so that their misses overlap this
    row's work (the random rows of a shuffled epoch, and the random coefficients of any text
    row, are cache misses): the coefficients of the row visited next (its indices were asked
    for one row earlier), the values and indices of the row after it, and the label, weight
    and indptr entry of the one after that. The *2 arrays are views as (length, 1).
    Measured on the 1M x 2^20 text problem, one shuffled epoch: 0.43 s without prefetching,
    0.35 s with the coefficients', 0.19 s with the rows' too."""
    n = order.shape[0]
    if position + AHEAD < n:
        row = order[position + AHEAD]
        for p in range(indptr[row], indptr[row + 1]):
            prefetch2(pack, np.uint64(indices2[p, 0]), 0)
    if position + AHEAD + 1 < n:
        row = order[position + AHEAD + 1]
        for p in range(indptr[row], indptr[row + 1], 8):  # 8 entries of 8 bytes per line
            prefetch2(data2, p, 0)
            prefetch2(indices2, p, 0)
    if position + AHEAD + 2 < n:
        row = order[position + AHEAD + 2]
        prefetch2(indptr2, row, 0)
        prefetch2(y2, row, 0)
        prefetch2(c2, row, 0)


@njit(fastmath=FASTMATH, error_model="numpy", cache=CACHE, nogil=True)
def sgd_epoch(data, indices, indptr, y, c, block_order, shuffle, seed, v, state, avg, params):
    """One epoch over CSR X (data, indices, indptr; float32/float64 values, int32/int64
    indices within [0, d)), updating v, state and avg in place; returns the epoch's summed
    weighted loss (each sample's loss before its update). The arguments are kernels/sgd.py
    sgd_epoch's (block_order over ceil(n / BLOCK_ROWS) blocks, v and avg of length d, state
    and params in its layouts), without n_threads: one thread.

    Within the epoch v and U (module docstring) are interleaved, pack[j] = (v_j, U_j), so a
    coefficient's read and its two writes touch one cache line, and the next row's lines are
    prefetched (_prefetch_ahead)."""
    d = v.shape[0]
    schedule = np.int64(params[0])
    eta0, alpha, power_t, t0, avg_start = params[1], params[2], params[3], params[4], params[5]
    fit_intercept = params[6] != 0.0
    implicit_penalty = params[7] != 0.0
    alpha_l1 = l1_strength(params)
    check_l1_state(state, alpha_l1, d)
    q = state[L1_STATE_SIZE : L1_STATE_SIZE + d] if alpha_l1 > 0.0 else state[:0]
    u = state[CUM_PENALTY] if alpha_l1 > 0.0 else 0.0
    scale, b, t = state[SCALE], state[INTERCEPT], state[COUNT]
    n_averaged, avg_b = state[N_AVERAGED], state[AVG_INTERCEPT]
    pack = np.empty((d, 2))
    for j in range(d):  # U = S, the sum of the averaged iterates (beta = 0)
        pack[j, 0] = v[j]
        pack[j, 1] = avg[j] * n_averaged
    beta = 0.0
    loss_sum = 0.0
    order = epoch_order(block_order, indptr, shuffle, seed)
    data2, indices2 = data.reshape((-1, 1)), indices.reshape((-1, 1))
    indptr2, y2, c2 = indptr.reshape((-1, 1)), y.reshape((-1, 1)), c.reshape((-1, 1))
    for position in range(order.shape[0]):
        i = order[position]
        _prefetch_ahead(data2, indices2, indptr, indptr2, y2, c2, order, position, pack)
        lo, hi = indptr[i], indptr[i + 1]
        dot = 0.0
        for p in range(lo, hi):
            dot += data[p] * pack[np.uint64(indices[p]), 0]
        z = scale * dot + b
        t += 1.0
        eta = learning_rate(schedule, eta0, alpha + alpha_l1, power_t, t0, t)
        loss, g, keep, g_w = sample_step(y[i], c[i], z, eta, alpha, implicit_penalty)
        loss_sum += c[i] * loss
        scale *= keep
        if scale < MIN_SCALE:  # fold the scalar into v (and U + beta v into U) first
            for j in range(d):
                pack[j, 1] += beta * pack[j, 0]
                pack[j, 0] *= scale
            beta = 0.0
            scale = 1.0
        f = g_w / scale
        for p in range(lo, hi):
            j = np.uint64(indices[p])
            change = -f * data[p]
            pack[j, 0] += change
            pack[j, 1] -= beta * change
        if fit_intercept:
            b -= g
        if alpha_l1 > 0.0:
            u += eta * alpha_l1
            inv_scale = 1.0 / scale
            for p in range(lo, hi):
                j = np.uint64(indices[p])
                old = pack[j, 0]
                new = truncate(old, u, q[j], inv_scale)
                q[j] += scale * (new - old)
                pack[j, 0] = new
                pack[j, 1] -= beta * (new - old)
        if t > avg_start:
            n_averaged += 1.0
            beta += scale  # S += scale_t v_t
            avg_b += (b - avg_b) / n_averaged
            if beta > ANCHOR_RATIO * n_averaged * scale:  # U and beta v would cancel
                for j in range(d):
                    pack[j, 1] += beta * pack[j, 0]
                beta = 0.0
    for j in range(d):  # back to v and the average (U + beta v) / N
        v[j] = pack[j, 0]
        avg[j] = (pack[j, 1] + beta * pack[j, 0]) / n_averaged if n_averaged > 0.0 else 0.0
    if alpha_l1 > 0.0:  # every coefficient takes the penalty it missed
        inv_scale = 1.0 / scale
        for j in range(d):
            old = v[j]
            new = truncate(old, u, q[j], inv_scale)
            q[j] += scale * (new - old)
            v[j] = new
        state[CUM_PENALTY] = u
    state[SCALE], state[INTERCEPT], state[COUNT] = scale, b, t
    state[N_AVERAGED], state[AVG_INTERCEPT] = n_averaged, avg_b
    return loss_sum


@njit(fastmath=FASTMATH, error_model="numpy", cache=CACHE, nogil=True)
def sgd_multinomial_epoch(
    data, indices, indptr, y, c, block_order, shuffle, seed, V_t, b, state, avg_t, avg_b, q_t,
    params,
):  # fmt: skip
    """One epoch of multinomial SGD (kernels/sgd_multinomial.py's update: the shifted softmax
    residual of kernels/multinomial.py, the step of every class, the cumulative L1 step and
    the average) over CSR X, with this module's scalar L2 shrinkage, lazy L1 and lazy
    averaging; updates V_t, b, state, avg_t, avg_b and q_t in place and returns the epoch's
    summed weighted loss (each sample's before its update).

    W is laid out transposed, as the sparse multinomial passes take it: V_t (d, K) float64
    C-contiguous with W^T = state[SCALE] * V_t, so a row's K weights of one feature are
    adjacent; avg_t (d, K) the averaged W^T; q_t (d, K) the L1 penalty each coefficient
    received (an empty (0, K) array without L1; u in state[CUM_PENALTY]); b and avg_b (K,).
    y holds class codes 0 .. K-1 as floats; the other arguments as sgd_epoch's."""
    d, K = V_t.shape
    schedule = np.int64(params[0])
    eta0, alpha, power_t, t0, avg_start = params[1], params[2], params[3], params[4], params[5]
    fit_intercept = params[6] != 0.0
    implicit_penalty = params[7] != 0.0
    alpha_l1 = l1_strength(params)
    if alpha_l1 > 0.0 and q_t.shape[0] != d:
        raise ValueError("an L1 strength needs q_t of shape (d, K)")
    u = state[CUM_PENALTY] if alpha_l1 > 0.0 else 0.0
    scale, t, n_averaged = state[SCALE], state[COUNT], state[N_AVERAGED]
    for j in range(d):  # avg_t becomes U = S, the sum of the averaged iterates (beta = 0)
        for k in range(K):
            avg_t[j, k] *= n_averaged
    beta = 0.0
    Z = np.empty((1, K))
    z = Z[0]
    f = np.empty(K)
    loss_sum = 0.0
    for i in epoch_order(block_order, indptr, shuffle, seed):
        lo, hi = indptr[i], indptr[i + 1]
        for k in range(K):
            z[k] = 0.0
        for p in range(lo, hi):
            j = np.uint64(indices[p])
            for k in range(K):
                z[k] += data[p] * V_t[j, k]
        for k in range(K):
            z[k] = scale * z[k] + b[k]
        t += 1.0
        eta = learning_rate(schedule, eta0, alpha + alpha_l1, power_t, t0, t)
        # z <- c_i (softmax(z) - onehot(y_i)), the loss c_i l_i returned
        loss_sum += _softmax_residual(y[i : i + 1], c[i : i + 1], Z)
        keep, data_keep = shrinkage(eta, alpha, implicit_penalty)
        scale *= keep
        if scale < MIN_SCALE:  # fold the scalar into V_t (and U + beta V_t into U) first
            for j in range(d):
                for k in range(K):
                    avg_t[j, k] += beta * V_t[j, k]
                    V_t[j, k] *= scale
            beta = 0.0
            scale = 1.0
        for k in range(K):
            g = eta * z[k]
            if fit_intercept:
                b[k] -= g
            f[k] = data_keep * g / scale
        for p in range(lo, hi):
            j = np.uint64(indices[p])
            for k in range(K):
                change = -f[k] * data[p]
                V_t[j, k] += change
                avg_t[j, k] -= beta * change
        if alpha_l1 > 0.0:
            u += eta * alpha_l1
            inv_scale = 1.0 / scale
            for p in range(lo, hi):
                j = np.uint64(indices[p])
                for k in range(K):
                    old = V_t[j, k]
                    new = truncate(old, u, q_t[j, k], inv_scale)
                    q_t[j, k] += scale * (new - old)
                    V_t[j, k] = new
                    avg_t[j, k] -= beta * (new - old)
        if t > avg_start:
            n_averaged += 1.0
            beta += scale
            for k in range(K):
                avg_b[k] += (b[k] - avg_b[k]) / n_averaged
            if beta > ANCHOR_RATIO * n_averaged * scale:
                for j in range(d):
                    for k in range(K):
                        avg_t[j, k] += beta * V_t[j, k]
                beta = 0.0
    for j in range(d):
        for k in range(K):
            total = avg_t[j, k] + beta * V_t[j, k]
            avg_t[j, k] = total / n_averaged if n_averaged > 0.0 else 0.0
    if alpha_l1 > 0.0:
        inv_scale = 1.0 / scale
        for j in range(d):
            for k in range(K):
                old = V_t[j, k]
                new = truncate(old, u, q_t[j, k], inv_scale)
                q_t[j, k] += scale * (new - old)
                V_t[j, k] = new
        state[CUM_PENALTY] = u
    state[SCALE], state[COUNT], state[N_AVERAGED] = scale, t, n_averaged
    return loss_sum
