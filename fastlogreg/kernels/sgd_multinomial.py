"""One epoch of per-sample SGD on the multinomial datafit, dense C-contiguous X (float32 or
float64, read as it is).

For K classes, coefficients W = scale * V (K, d) and intercepts b (K,), each sample (x, y, c)
takes, in order:

- the scores z = W x + b and, shifted by max_k z_k (no exponential of an unshifted score), the
  loss l = logsumexp(z) - z_y and residual r = dl/dz = softmax(z) - onehot(y): the multinomial
  loss kernel's own `_softmax_residual` (kernels/multinomial.py), on one row;
- the step eta of the schedule (kernels/sgd.py's `learning_rate`) and the update of every class,
  W_k := keep W_k - eta c r_k x, b_k := b_k - eta c r_k, with keep = max(0, 1 - eta alpha), or
  keep = 1 / (1 + eta alpha) and the data term scaled by it too under the implicit-penalty flag
  (the proximal L2 step): the binomial kernel's update, class by class;
- the cumulative L1 step (Tsuruoka, Tsujii and Ananiadou, ACL 2009) on every coefficient when
  alpha_l1 > 0, and the running average of (W, b) past avg_start: as in kernels/sgd.py.

Everything after the residual runs in one loop over (k, j): the update of V[k, j], its L1 step,
its average, and the next sample's score, sum_j V[k, j] x'_j, from the updated V (exact, so
the binomial kernel's look-ahead algebra is not needed; the next row is read while V is in L1).
Per sample that is 2 K d multiply-adds, against d reads of X: for K >= 3 the epoch is bound by
arithmetic, not by memory, unlike the binomial one.

Order, shrinkage, Hogwild and state are kernels/sgd.py's, whose helpers (the groups, the
shuffle, the schedules, the L1 step and its per-thread accounts) this module imports: rows in
groups of blocks, one scalar for the L2 shrinkage of all of W on one thread (folded into V under
Hogwild, n_threads > 1, where V and b are shared and updated lock-free), the state vector of
kernels/sgd.py with the intercepts and their average in arrays of their own (b, avg_b) and q
over the K x d coefficients row-major.

Measured on 200k x 100 float64, one thread, shuffled (medians of 5): an epoch takes 34 ms for
K = 3 and 75 ms for K = 10 (the binomial kernel 23 ms, one read of X 8 ms); about 90 ns of each
row's 375 ns at K = 10 is the shifted softmax (`_softmax_residual`).
"""

import numpy as np
from numba import njit, prange

from .._config import CACHE, FASTMATH
from .._simd import prefetch2
from .multinomial import _softmax_residual
from .sgd import (
    BLOCK_ROWS,
    COUNT,
    MIN_SCALE,
    N_AVERAGED,
    SCALE,
    _group_row,
    _visit,
    check_l1_state,
    epoch_groups,
    group_bounds,
    l1_accounts,
    l1_strength,
    learning_rate,
    merge_accounts,
    truncate,
)


@njit(inline="always")
def shrinkage(eta, alpha, implicit_penalty):
    """(keep, data_keep): W' = keep W - data_keep eta r x^T. The implicit penalty's proximal
    step W' = (W - eta r x^T) / (1 + eta alpha) scales both; SGDClassifier's update shrinks W
    by max(0, 1 - eta alpha) only."""
    if implicit_penalty:
        keep = 1.0 / (1.0 + eta * alpha)
        return keep, keep
    return max(0.0, 1.0 - eta * alpha), 1.0


@njit(fastmath=FASTMATH, error_model="numpy")
def _scores(V, b, scale, x, z):
    """z[k] = scale * V_k . x + b_k."""
    for k in range(V.shape[0]):
        vk = V[k]
        acc = 0.0
        for j in range(x.shape[0]):
            acc += vk[j] * x[j]
        z[k] = scale * acc + b[k]


@njit(fastmath=FASTMATH, error_model="numpy")
def _sgd_group(
    X, y, c, rows, m, next_group, V, b, state, avg, avg_b, Z, params, t, step_t, hogwild, u, q
):
    """Update (V, b, state, avg, avg_b) with the rows X[rows[:m]] in that order, prefetching the
    next group's rows (as kernels/sgd.py's _sgd_group). Z is a (1, K) scratch row. The samples
    are numbered t + step_t, t + 2 step_t, ...; (u, q) is the thread's L1 account, q (K, d)
    (or empty without L1). Returns the samples' summed weighted loss and u after them."""
    schedule = np.int64(params[0])
    eta0, alpha, power_t, t0, avg_start = params[1], params[2], params[3], params[4], params[5]
    fit_intercept = params[6] != 0.0
    implicit_penalty = params[7] != 0.0
    alpha_l1 = l1_strength(params)
    K, d = V.shape
    block_order, next_first, next_blocks = next_group
    n = X.shape[0]
    line = max(1, 64 // X.itemsize)
    scale = state[SCALE]
    loss_sum = 0.0
    if m == 0:
        return loss_sum, u
    z = Z[0]
    _scores(V, b, scale, X[rows[0]], z)
    for k in range(m):
        ahead = _group_row(block_order, next_first, next_blocks, k, n)
        if ahead >= 0:
            for j in range(0, d, line):
                prefetch2(X, ahead, j)
        i = rows[k]
        x = X[i]
        x_next = X[rows[k] if k + 1 == m else rows[k + 1]]
        t += step_t
        eta = learning_rate(schedule, eta0, alpha + alpha_l1, power_t, t0, t)
        # z <- c_i (softmax(z) - onehot(y_i)), the loss c_i l_i returned (shifted log-sum-exp)
        loss_sum += _softmax_residual(y[i : i + 1], c[i : i + 1], Z)
        keep, data_keep = shrinkage(eta, alpha, implicit_penalty)
        if hogwild:
            shrink = keep
        else:
            shrink = 1.0
            scale *= keep
            if scale < MIN_SCALE:  # fold the scalar into V before it underflows
                for kk in range(K):
                    for j in range(d):
                        V[kk, j] *= scale
                scale = 1.0
        if alpha_l1 > 0.0:
            u += eta * alpha_l1
        mu = 0.0
        if t > avg_start:
            state[N_AVERAGED] += 1.0
            mu = 1.0 / state[N_AVERAGED]
        # one loop over (k, j): V's update, the L1 step, the average and the next row's scores.
        # Rows of V, q and avg are indexed in place, not taken as views: a view per class and
        # sample (each a reference count update) cost about 30 ns per class and sample
        inv_scale = 1.0 / scale
        for kk in range(K):
            g = eta * z[kk]
            # b is read and written per sample: under Hogwild it is shared too
            if fit_intercept:
                b[kk] -= g
            f = data_keep * g / scale
            acc = 0.0
            # three loops, so that each is free of branches on the options
            if alpha_l1 > 0.0:  # the average in the same loop: mu = 0 leaves it unchanged
                for j in range(d):
                    old = shrink * V[kk, j] - f * x[j]
                    new = truncate(old, u, q[kk, j], inv_scale)
                    q[kk, j] += scale * (new - old)
                    V[kk, j] = new
                    avg[kk, j] += mu * (scale * new - avg[kk, j])
                    acc += new * x_next[j]
            elif mu > 0.0:
                for j in range(d):
                    new = shrink * V[kk, j] - f * x[j]
                    V[kk, j] = new
                    avg[kk, j] += mu * (scale * new - avg[kk, j])
                    acc += new * x_next[j]
            else:
                for j in range(d):
                    new = shrink * V[kk, j] - f * x[j]
                    V[kk, j] = new
                    acc += new * x_next[j]
            z[kk] = scale * acc + b[kk]
            if mu > 0.0:
                avg_b[kk] += mu * (b[kk] - avg_b[kk])
    if not hogwild:
        state[SCALE] = scale
    return loss_sum, u


@njit(fastmath=FASTMATH, error_model="numpy", parallel=True, cache=CACHE, nogil=True)
def sgd_multinomial_epoch(
    X, y, c, block_order, shuffle, seed, V, b, state, avg, avg_b, params, n_threads
):
    """One epoch of multinomial SGD over X (module docstring); updates V, b, state, avg and
    avg_b in place and returns the epoch's summed weighted loss, each sample's taken before its
    update.

    X (n, d) float32/float64, C-contiguous; y (n,) float64 class codes 0 .. K-1; c (n,) float64
    weights relative to their mean; block_order (ceil(n / BLOCK_ROWS),) int64; seed int; V (K, d)
    float64 C-contiguous with W = state[SCALE] * V; b (K,) float64 intercepts; state float64 in
    kernels/sgd.py's layout (L1_STATE_SIZE + K d entries when alpha_l1 > 0, q row-major over
    W); avg (K, d) and avg_b (K,) float64, the averaged W and b.
    params = [schedule, eta0, alpha, power_t, t0, avg_start, fit_intercept, implicit_penalty,
    alpha_l1], as kernels/sgd.py's sgd_epoch takes them.
    n_threads = 1 runs the exact, reproducible scalar-shrinkage path; more run Hogwild."""
    n = X.shape[0]
    K, d = V.shape
    n_blocks = block_order.shape[0]
    alpha_l1 = l1_strength(params)
    check_l1_state(state, alpha_l1, K * d)
    group_blocks, n_groups = epoch_groups(n_blocks, d, X.itemsize)
    rows = np.empty((n_threads, group_blocks * BLOCK_ROWS), dtype=np.int64)
    scratch = np.empty((n_threads, 1, K))
    losses = np.zeros(n_threads)
    u, q, q_others = l1_accounts(state, alpha_l1, K * d, n_threads)
    hogwild = n_threads > 1
    if hogwild:  # the scalar goes into V once; the threads then shrink V itself
        for k in range(K):
            for j in range(d):
                V[k, j] *= state[SCALE]
        state[SCALE] = 1.0
    t_start = state[COUNT]
    # kernels/sgd.py's sgd_epoch loop around this module's group function (a twin Numba forces:
    # a function argument would make every call a cache miss)
    for thread in prange(n_threads):
        t = t_start + thread - n_threads + 1.0
        # the thread's q as (K, d): indexed [k, j] the loops vectorise, where q[k * d + j] (an
        # index that could be negative for all the compiler knows) measured 2.5-12x slower
        q_flat = q if thread == 0 else q_others[thread - 1]
        q_thread = q_flat.reshape((K, d if alpha_l1 > 0.0 else 0))
        for group in range(thread, n_groups, n_threads):
            first, count, next_first, next_count = group_bounds(
                group, group_blocks, n_blocks, n_threads
            )
            m = _visit(block_order, first, count, n, rows[thread], shuffle, seed + group)
            next_group = (block_order, next_first, next_count)
            loss, u_thread = _sgd_group(
                X,
                y,
                c,
                rows[thread],
                m,
                next_group,
                V,
                b,
                state,
                avg,
                avg_b,
                scratch[thread],
                params,
                t,
                float(n_threads),
                hogwild,
                u[thread],
                q_thread,
            )
            losses[thread] += loss
            u[thread] = u_thread
            t += m * n_threads
    state[COUNT] = t_start + n
    if alpha_l1 > 0.0:
        merge_accounts(state, u, q, q_others)
    return losses.sum()
