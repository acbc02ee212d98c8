"""One epoch of per-sample stochastic gradient descent on dense, C-contiguous X.

For each sample, in one pass over its row: z = w.x + b, the log-loss and dl/dz = sigmoid(z) - y,
then the update w := (1 - eta alpha) w - eta c (dl/dz) x, b := b - eta c (dl/dz), where c is the
sample's weight relative to the mean weight and alpha the L2 strength of the mean-form objective.
That is SGDClassifier's update, whose shrinkage max(0, 1 - eta alpha) is clipped, and whose
fixed point is wrong, once eta alpha >= 1. With the implicit-penalty flag the penalty takes its
proximal step instead, w := (w - eta c (dl/dz) x) / (1 + eta alpha): stable for every eta alpha,
with the right fixed point (alpha w + E[dl/dz x] = 0); the schedule 'auto' uses it.

Order. Rows are visited in groups: a group is 2-16 blocks of BLOCK_ROWS consecutive rows, about
GROUP_BYTES of X, the blocks taken in the order of `block_order` (a permutation per epoch when
shuffling), and the rows of a group are visited in a random order drawn by a splitmix64
generator seeded per group, while the rows of the thread's next group are prefetched, one per
sample. Measured on 1M x 100 float64, one thread: a true row-level permutation 0.33-0.57 s per
epoch (each row a cache miss), rows in order 0.09-0.15 s; groups of 16 x 64 rows (800 KB, more
than the 512 KB L2) 0.20-0.26 s, 0.33 s without the prefetch; groups of 4 x 32 to 8 x 32 rows
(100-200 KB) 0.16-0.22 s. Copying each group into a buffer first measured alike. Without
shuffling, rows are visited in their order.

Look-ahead. The next sample's score is computed from w before this sample's update, as
keep * (w.x') - g (x.x') + b' (exact algebra), so the dot products of the next row do not wait
for this row's sigmoid. Measured per row with the data in L3: 118 -> 109 ns in order, 160 ->
132 ns with averaging; the rest is the memory stream (bench/RESULTS.md).

Shrinkage. With one thread the L2 shrinkage is one scalar on the weight vector, w = scale * v,
so it costs one multiplication per sample instead of one per coordinate (what pays off on
sparse rows). Under Hogwild (n_threads > 1, threads updating the shared v, b lock-free) a shared
scalar cannot be multiplied without losing updates, so each thread folds the shrinkage into its
dense update of v instead (scale stays 1). Hogwild results are not reproducible, and on dense
rows it is no faster than one thread here (each update writes every cache line of v, which
then moves between the cores).

L1. With an L1 strength alpha_l1 > 0 (params[8]) each sample ends with the cumulative L1
penalty of Tsuruoka, Tsujii and Ananiadou ("Stochastic gradient descent training for
L1-regularized log-linear models with cumulative penalty", ACL 2009), as SGDClassifier applies it
for penalty='l1' and 'elasticnet': u, the L1 penalty a coefficient could have received so far,
grows by eta alpha_l1 per sample; q_j is the penalty w_j actually received (the sum of its
changes); then w_j > 0 becomes max(0, w_j - (u + q_j)) and w_j < 0 min(0, w_j + (u - q_j)), and
q_j takes the change. A coefficient is clipped at 0, never pushed past it, so the coefficients
that the data's gradient does not hold away from 0 are exact zeros, and noise does not revive
them: while w_j sits at 0 its unreceived penalty u + q_j (or u - q_j) keeps growing and absorbs
the next updates. The elastic net applies its L2 part as above (alpha = its L2 strength), then
this step; the schedule 'optimal' uses the total alpha + alpha_l1, as SGDClassifier does. The
next sample's score takes the L1 step's changes into account (one more pass over the next row
fused with it). Under Hogwild each thread keeps its own account of the penalty, u and q for the
samples it processed (thread 0 continues the state's, the others start from 0 each epoch and
are added into it at the end), so that the budget of all threads together is the one-thread u
and no update of q is lost: with one q shared lock-free, lost updates of it (every sample writes
every q_j) made the penalty drift. Measured on 50k x 40 (20 noise columns), mean-form L1
strength 0.01: a 2-thread fit ended 0.018 above the optimum's mean-form objective of 0.62 after
10 epochs and 0.032 after 20 with the shared q, 6e-6 and 1.4e-5 with the accounts (one
thread: 5e-6).

Averaging. When the sample counter passes avg_start, avg and avg_b accumulate the running mean
of (w, b) from then on (Polyak-Ruppert averaging, the `average` option of SGDClassifier), after
the sample's L1 step. (SGDClassifier's lazy average is not the mean of its iterates once its
L1 step has changed w: on the standardised breast-cancer data, 3 epochs of 'optimal' at C =
0.05 with penalty='l1', whose iterates equal ours to 8e-16, its average was up to 1.2 from their
mean. Without L1 the two averages agree.)
"""

import numpy as np
from numba import njit, prange

from .._config import CACHE, FASTMATH, POINTWISE_FASTMATH
from .._numerics import loss_and_residual
from .._simd import prefetch2

BLOCK_ROWS = 32
# a group holds about GROUP_BYTES of X, so that its random order is served from the L2 cache
GROUP_BYTES = 1 << 17
MIN_GROUP_BLOCKS, MAX_GROUP_BLOCKS = 2, 16

# schedules, as SGDClassifier defines them ('adaptive' and our default run as CONSTANT within an
# epoch; the driver changes eta0 between epochs)
CONSTANT, OPTIMAL, INVSCALING = 0, 1, 2
# state vector layout: [scale, b, t (samples seen), avg_b, n_averaged], and with an L1 strength
# (params[8] > 0) then [u (the cumulative L1 penalty), q_1 .. q_p (the penalty each of the p
# coefficients received)]: length L1_STATE_SIZE + p. The multinomial kernel
# (sgd_multinomial.py) uses the same layout, with its intercepts in arrays of their own
# (state[INTERCEPT] and state[AVG_INTERCEPT] unused) and q over its K x d coefficients row-major.
SCALE, INTERCEPT, COUNT, AVG_INTERCEPT, N_AVERAGED, CUM_PENALTY = range(6)
STATE_SIZE = 5
L1_STATE_SIZE = 6  # where q starts
# params layout: [schedule, eta0, alpha, power_t, t0, avg_start, fit_intercept, implicit_penalty,
# alpha_l1]; alpha_l1 may be left out (no L1), so a params vector of 8 entries still works
N_PARAMS = 9
MIN_SCALE = 1e-9  # fold the scalar into v below this, before it underflows


@njit(inline="always")
def _splitmix64(x):
    """The next state and output of the splitmix64 generator (uint64 arithmetic wraps)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    z = x
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x, z ^ (z >> np.uint64(31))


@njit(inline="always")
def learning_rate(schedule, eta0, alpha, power_t, t0, t):
    """eta for the sample numbered t (1-based), as SGDClassifier's schedules define it."""
    if schedule == OPTIMAL:
        return 1.0 / (alpha * (t0 + t - 1.0))
    if schedule == INVSCALING:
        return eta0 / t**power_t
    return eta0


@njit(fastmath=POINTWISE_FASTMATH, error_model="numpy")
def _loss_residual(y, z):
    # a separate function so that the log-loss keeps its own fastmath flags (no 'reassoc')
    return loss_and_residual(y, z)


@njit(inline="always")
def sample_step(y_i, c_i, z, eta, alpha, implicit_penalty):
    """One sample's (loss, g, keep, g_w): its log-loss at score z, g = eta c (dl/dz) (the
    intercept's step), and the update w' = keep w - g_w x of the module docstring (with the
    implicit penalty keep = 1 / (1 + eta alpha) and g_w = keep g, else SGDClassifier's
    keep = max(0, 1 - eta alpha) and g_w = g)."""
    loss, residual = _loss_residual(y_i, z)
    g = eta * c_i * residual
    if implicit_penalty:  # w' = (w - g x) / (1 + eta alpha) = keep w - (keep g) x
        keep = 1.0 / (1.0 + eta * alpha)
        return loss, g, keep, keep * g
    return loss, g, max(0.0, 1.0 - eta * alpha), g


@njit(fastmath=FASTMATH, error_model="numpy")
def _dot(v, x):
    acc = 0.0
    for j in range(x.shape[0]):
        acc += v[j] * x[j]
    return acc


@njit(inline="always")
def group_size(d, itemsize):
    """Blocks per group for rows of d entries of itemsize bytes."""
    blocks = GROUP_BYTES // max(1, BLOCK_ROWS * d * itemsize)
    return max(MIN_GROUP_BLOCKS, min(MAX_GROUP_BLOCKS, blocks))


@njit(inline="always")
def _group_row(block_order, first_block, n_blocks, k, n):
    """The k-th row of the group made of block_order[first_block : first_block + n_blocks],
    or -1 past its end."""
    block = first_block + k // BLOCK_ROWS
    if block >= first_block + n_blocks:
        return -1
    i = block_order[block] * BLOCK_ROWS + k % BLOCK_ROWS
    return i if i < n else -1


@njit(fastmath=FASTMATH, error_model="numpy")
def _dot2(v, x, x_next):
    """(v.x_next, x.x_next) in one loop over x_next."""
    a = 0.0
    b = 0.0
    for j in range(x.shape[0]):
        x_j = np.float64(x_next[j])  # float32 rows: multiply in float64
        a += v[j] * x_j
        b += np.float64(x[j]) * x_j
    return a, b


@njit(fastmath=FASTMATH, error_model="numpy")
def _visit(block_order, first_block, n_blocks, n, rows, shuffle, seed):
    """rows[:m] <- the group's rows, in a random order drawn from `seed` when shuffling;
    returns m."""
    m = 0
    for k in range(n_blocks * BLOCK_ROWS):
        i = _group_row(block_order, first_block, n_blocks, k, n)
        if i >= 0:
            rows[m] = i
            m += 1
    if shuffle:
        x = np.uint64(seed)
        for i in range(m - 1, 0, -1):  # Fisher-Yates
            x, r = _splitmix64(x)
            k = np.int64(r % np.uint64(i + 1))
            rows[i], rows[k] = rows[k], rows[i]
    return m


@njit(inline="always")
def l1_strength(params):
    """alpha_l1 of a params vector (0 when it has only the 8 entries of the L2-only layout)."""
    return params[8] if params.shape[0] > 8 else 0.0


@njit(inline="always")
def check_l1_state(state, alpha_l1, n_coef):
    if alpha_l1 > 0.0 and state.shape[0] < L1_STATE_SIZE + n_coef:
        raise ValueError("an L1 strength needs a state vector of L1_STATE_SIZE + p entries")


@njit(inline="always")
def truncate(w, u, q, inv_scale):
    """The cumulative L1 step of one coefficient w = scale * v held as v (inv_scale = 1 / scale):
    towards 0 by the penalty it has not received, u + q (w > 0) or u - q (w < 0), never past 0.
    Both sides are computed and one selected: no branch on the data."""
    down = max(0.0, w - (u + q) * inv_scale)
    up = min(0.0, w + (u - q) * inv_scale)
    return down if w > 0.0 else (up if w < 0.0 else w)


@njit(fastmath=FASTMATH, error_model="numpy")
def _cumulative_l1(v, q, scale, u, x_next):
    """The cumulative L1 step (module docstring) on every coefficient of w = scale * v, q the
    penalties received; returns sum_j (change of w_j) x_next_j, the change of the next score."""
    inv_scale = 1.0 / scale
    dz = 0.0
    for j in range(v.shape[0]):
        old = v[j]
        new = truncate(old, u, q[j], inv_scale)
        change = scale * (new - old)
        q[j] += change
        v[j] = new
        dz += change * x_next[j]
    return dz


@njit(inline="always")
def epoch_groups(n_blocks, d, itemsize):
    """(blocks per group, number of groups) of an epoch over n_blocks blocks of rows of d
    entries of itemsize bytes."""
    group_blocks = group_size(d, itemsize)
    return group_blocks, (n_blocks + group_blocks - 1) // group_blocks


@njit(inline="always")
def group_bounds(group, group_blocks, n_blocks, n_threads):
    """(first block, block count) of a group, and of the same thread's next group (count 0
    past the end): threads take groups thread, thread + n_threads, ..."""
    first = group * group_blocks
    count = min(group_blocks, n_blocks - first)
    next_first = first + n_threads * group_blocks
    next_count = max(0, min(group_blocks, n_blocks - next_first))
    return first, count, next_first, next_count


@njit(inline="always")
def l1_accounts(state, alpha_l1, n_coef, n_threads):
    """Each thread's L1 account (module docstring): u (n_threads,), thread 0's the state's, the
    others' 0; q of the state (n_coef,) for thread 0, and (n_threads - 1, n_coef) zeros for
    the others (no entries without L1)."""
    u = np.zeros(n_threads)
    if alpha_l1 > 0.0:
        u[0] = state[CUM_PENALTY]
        return u, state[L1_STATE_SIZE : L1_STATE_SIZE + n_coef], np.zeros((n_threads - 1, n_coef))
    return u, state[:0], np.zeros((n_threads - 1, 0))


@njit(inline="always")
def merge_accounts(state, u, q, q_others):
    """After an epoch with an L1 strength: the threads' accounts added into the state's."""
    total = 0.0
    for thread in range(u.shape[0]):
        total += u[thread]
    state[CUM_PENALTY] = total
    for other in range(q_others.shape[0]):
        for j in range(q.shape[0]):
            q[j] += q_others[other, j]


@njit(fastmath=FASTMATH, error_model="numpy")
def _sgd_group(X, y, c, rows, m, next_group, v, state, avg, params, t, step_t, hogwild, u, q):
    """Update (v, state, avg) with the rows X[rows[:m]] in that order, and prefetch the rows
    of the next group (block_order, first block, block count in next_group) meanwhile. The
    samples are numbered t + step_t, t + 2 step_t, ...; (u, q) is the thread's L1 account.
    Returns the samples' summed weighted loss and u after them."""
    schedule = np.int64(params[0])
    eta0, alpha, power_t, t0, avg_start = params[1], params[2], params[3], params[4], params[5]
    fit_intercept = params[6] != 0.0
    implicit_penalty = params[7] != 0.0
    alpha_l1 = l1_strength(params)
    block_order, next_first, next_blocks = next_group
    n, d = X.shape
    line = max(1, 64 // X.itemsize)
    scale = state[SCALE]
    loss_sum = 0.0
    if m == 0:
        return loss_sum, u
    z = scale * _dot(v, X[rows[0]]) + state[INTERCEPT]
    for k in range(m):
        # one row of the next group per sample: X keeps streaming while this group is random
        ahead = _group_row(block_order, next_first, next_blocks, k, n)
        if ahead >= 0:
            for j in range(0, d, line):
                prefetch2(X, ahead, j)
        i = rows[k]
        x = X[i]
        # look ahead: the next sample's score from w before this update, w.x', and x.x'; after
        # w' = keep w - g x it is keep (w.x') - g (x.x') + b'. These dot products do not wait
        # for this sample's sigmoid, which halves the chain of dependent work per sample
        # (measured: see the module docstring)
        last = k + 1 == m
        x_next = X[rows[k] if last else rows[k + 1]]
        w_dot_next, x_dot_next = _dot2(v, x, x_next)
        w_dot_next *= scale
        t += step_t
        eta = learning_rate(schedule, eta0, alpha + alpha_l1, power_t, t0, t)
        loss, g, keep, g_w = sample_step(y[i], c[i], z, eta, alpha, implicit_penalty)
        loss_sum += c[i] * loss
        if hogwild:
            for j in range(d):
                v[j] = keep * v[j] - g_w * x[j]
        else:
            scale *= keep
            if scale < MIN_SCALE:  # fold the scalar into v before it underflows
                for j in range(d):
                    v[j] *= scale
                scale = 1.0
            f = g_w / scale
            for j in range(d):
                v[j] -= f * x[j]
        # state[INTERCEPT] is read and written per sample: under Hogwild it is shared too
        if fit_intercept:
            state[INTERCEPT] -= g
        z = keep * w_dot_next - g_w * x_dot_next + state[INTERCEPT]
        if alpha_l1 > 0.0:
            u += eta * alpha_l1
            z += _cumulative_l1(v, q, scale, u, x_next)
        if t > avg_start:
            state[N_AVERAGED] += 1.0
            mu = 1.0 / state[N_AVERAGED]
            for j in range(d):
                avg[j] += mu * (scale * v[j] - avg[j])
            state[AVG_INTERCEPT] += mu * (state[INTERCEPT] - state[AVG_INTERCEPT])
    if not hogwild:
        state[SCALE] = scale
    return loss_sum, u


@njit(fastmath=FASTMATH, error_model="numpy", parallel=True, cache=CACHE, nogil=True)
def sgd_epoch(X, y, c, block_order, shuffle, seed, v, state, avg, params, n_threads):
    """One epoch over X in the group order described in the module docstring; updates v, state
    and avg in place and returns the epoch's summed weighted loss (each sample's loss taken
    before its update, as SGDClassifier's stopping test does).

    X (n, d) float32/float64, C-contiguous, read as it is; y (n,) float64 labels 0/1; c (n,)
    float64 weights relative to their mean; block_order (ceil(n / BLOCK_ROWS),) int64, the
    blocks' order; seed int, the within-group shuffle's (when shuffle); v (d,) float64 with
    w = state[SCALE] * v; state float64, layout at STATE_SIZE (L1_STATE_SIZE + d entries when
    alpha_l1 > 0); avg (d,) float64, the averaged w.
    params = [schedule, eta0, alpha, power_t, t0, avg_start, fit_intercept, implicit_penalty,
    alpha_l1] (floats; the flags nonzero for true; alpha_l1 may be left out, meaning 0).
    n_threads = 1 runs the exact, reproducible scalar-shrinkage path; more run Hogwild."""
    n, d = X.shape
    n_blocks = block_order.shape[0]
    alpha_l1 = l1_strength(params)
    check_l1_state(state, alpha_l1, d)
    group_blocks, n_groups = epoch_groups(n_blocks, d, X.itemsize)
    rows = np.empty((n_threads, group_blocks * BLOCK_ROWS), dtype=np.int64)
    losses = np.zeros(n_threads)
    u, q, q_others = l1_accounts(state, alpha_l1, d, n_threads)
    hogwild = n_threads > 1
    if hogwild:  # the scalar goes into v once; the threads then shrink v itself
        for j in range(d):
            v[j] *= state[SCALE]
        state[SCALE] = 1.0
    t_start = state[COUNT]
    # (sgd_multinomial.sgd_multinomial_epoch repeats this loop around its own group function:
    # Numba cannot take the group function as an argument without a cache miss per call)
    for thread in prange(n_threads):
        # groups thread, thread + n_threads, ...; this thread's k-th sample stands for the
        # epoch's (k * n_threads + thread)-th in the schedule
        t = t_start + thread - n_threads + 1.0
        q_thread = q if thread == 0 else q_others[thread - 1]
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
                v,
                state,
                avg,
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
