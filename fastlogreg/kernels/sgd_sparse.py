"""One epoch of per-sample stochastic gradient descent on CSR X (the binomial datafit): the
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
shuffled within), on one thread: results are reproducible. (A Hogwild path is not built for
CSR yet.) A row's duplicate column indices each add their update (scipy.sparse's meaning);
explicit zeros change nothing.
"""

import numpy as np
from numba import njit

from .._config import CACHE, FASTMATH
from .sgd import (
    AVG_INTERCEPT,
    BLOCK_ROWS,
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

ANCHOR_RATIO = 1e4


@njit(inline="always")
def _row_dot(data, indices, lo, hi, v):
    total = 0.0
    for p in range(lo, hi):
        total += data[p] * v[np.uint64(indices[p])]
    return total


@njit(fastmath=FASTMATH, error_model="numpy", cache=CACHE)
def sgd_epoch(data, indices, indptr, y, c, block_order, shuffle, seed, v, state, avg, params):
    """One epoch over CSR X (data, indices, indptr; float32/float64 values, int32/int64
    indices within [0, d)), updating v, state and avg in place; returns the epoch's summed
    weighted loss (each sample's loss before its update). The arguments are kernels/sgd.py
    sgd_epoch's (block_order over ceil(n / BLOCK_ROWS) blocks, v and avg of length d, state
    and params in its layouts), without n_threads: one thread."""
    n = indptr.shape[0] - 1
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
    for j in range(d):  # avg becomes U = S, the sum of the averaged iterates (beta = 0)
        avg[j] *= n_averaged
    beta = 0.0
    n_blocks = block_order.shape[0]
    # group sizes as for dense rows of the mean row's non-zeros (12 bytes each)
    group_blocks, n_groups = epoch_groups(n_blocks, max(1, indptr[n] // max(1, n)), 12)
    rows = np.empty(group_blocks * BLOCK_ROWS, dtype=np.int64)
    loss_sum = 0.0
    for group in range(n_groups):
        first = group * group_blocks
        m = _visit(block_order, first, min(group_blocks, n_blocks - first), n, rows, shuffle,
                   seed + group)  # fmt: skip
        for k in range(m):
            i = rows[k]
            lo, hi = indptr[i], indptr[i + 1]
            z = scale * _row_dot(data, indices, lo, hi, v) + b
            t += 1.0
            eta = learning_rate(schedule, eta0, alpha + alpha_l1, power_t, t0, t)
            loss, g, keep, g_w = sample_step(y[i], c[i], z, eta, alpha, implicit_penalty)
            loss_sum += c[i] * loss
            scale *= keep
            if scale < MIN_SCALE:  # fold the scalar into v (and U + beta v into U) first
                for j in range(d):
                    avg[j] += beta * v[j]
                    v[j] *= scale
                beta = 0.0
                scale = 1.0
            f = g_w / scale
            for p in range(lo, hi):
                j = np.uint64(indices[p])
                change = -f * data[p]
                v[j] += change
                avg[j] -= beta * change
            if fit_intercept:
                b -= g
            if alpha_l1 > 0.0:
                u += eta * alpha_l1
                inv_scale = 1.0 / scale
                for p in range(lo, hi):
                    j = np.uint64(indices[p])
                    old = v[j]
                    new = truncate(old, u, q[j], inv_scale)
                    q[j] += scale * (new - old)
                    v[j] = new
                    avg[j] -= beta * (new - old)
            if t > avg_start:
                n_averaged += 1.0
                beta += scale  # S += scale_t v_t
                avg_b += (b - avg_b) / n_averaged
                if beta > ANCHOR_RATIO * n_averaged * scale:  # U and beta v would cancel
                    for j in range(d):
                        avg[j] += beta * v[j]
                    beta = 0.0
    for j in range(d):  # back to the average: (U + beta v) / N
        avg[j] = (avg[j] + beta * v[j]) / n_averaged if n_averaged > 0.0 else 0.0
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
