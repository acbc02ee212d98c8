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

Averaging. When the sample counter passes avg_start, avg and avg_b accumulate the running mean
of (w, b) from then on (Polyak-Ruppert averaging, the `average` option of SGDClassifier).
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
# state vector layout: [scale, b, t (samples seen), avg_b, n_averaged]
SCALE, INTERCEPT, COUNT, AVG_INTERCEPT, N_AVERAGED = range(5)
STATE_SIZE = 5
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


@njit(fastmath=FASTMATH, error_model="numpy")
def _sgd_group(X, y, c, rows, m, next_group, v, state, avg, params, t, step_t, hogwild):
    """Update (v, state, avg) with the rows X[rows[:m]] in that order, and prefetch the rows
    of the next group (block_order, first block, block count in next_group) meanwhile. The
    samples are numbered t + step_t, t + 2 step_t, ...; returns their summed weighted loss."""
    schedule = np.int64(params[0])
    eta0, alpha, power_t, t0, avg_start = params[1], params[2], params[3], params[4], params[5]
    fit_intercept = params[6] != 0.0
    implicit_penalty = params[7] != 0.0
    block_order, next_first, next_blocks = next_group
    n, d = X.shape
    line = max(1, 64 // X.itemsize)
    scale = state[SCALE]
    loss_sum = 0.0
    if m == 0:
        return loss_sum
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
        eta = learning_rate(schedule, eta0, alpha, power_t, t0, t)
        loss, residual = _loss_residual(y[i], z)
        loss_sum += c[i] * loss
        g = eta * c[i] * residual
        if implicit_penalty:  # w' = (w - g x) / (1 + eta alpha) = keep w - (keep g) x
            keep = 1.0 / (1.0 + eta * alpha)
            g_w = keep * g
        else:
            keep = max(0.0, 1.0 - eta * alpha)
            g_w = g
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
        if t > avg_start:
            state[N_AVERAGED] += 1.0
            mu = 1.0 / state[N_AVERAGED]
            for j in range(d):
                avg[j] += mu * (scale * v[j] - avg[j])
            state[AVG_INTERCEPT] += mu * (state[INTERCEPT] - state[AVG_INTERCEPT])
    if not hogwild:
        state[SCALE] = scale
    return loss_sum


@njit(fastmath=FASTMATH, error_model="numpy", parallel=True, cache=CACHE)
def sgd_epoch(X, y, c, block_order, shuffle, seed, v, state, avg, params, n_threads):
    """One epoch over X in the group order described in the module docstring; updates v, state
    and avg in place and returns the epoch's summed weighted loss (each sample's loss taken
    before its update, as SGDClassifier's stopping test does).

    params = [schedule, eta0, alpha, power_t, t0, avg_start, fit_intercept, implicit_penalty]
    (floats; the last two are flags, nonzero for true).
    n_threads = 1 runs the exact, reproducible scalar-shrinkage path; more run Hogwild."""
    n, d = X.shape
    n_blocks = block_order.shape[0]
    group_blocks = group_size(d, X.itemsize)
    n_groups = (n_blocks + group_blocks - 1) // group_blocks
    rows = np.empty((n_threads, group_blocks * BLOCK_ROWS), dtype=np.int64)
    losses = np.zeros(n_threads)
    hogwild = n_threads > 1
    if hogwild:  # the scalar goes into v once; the threads then shrink v itself
        for j in range(d):
            v[j] *= state[SCALE]
        state[SCALE] = 1.0
    t_start = state[COUNT]
    for thread in prange(n_threads):
        # groups thread, thread + n_threads, ...; this thread's k-th sample stands for the
        # epoch's (k * n_threads + thread)-th in the schedule
        t = t_start + thread - n_threads + 1.0
        for group in range(thread, n_groups, n_threads):
            first = group * group_blocks
            count = min(group_blocks, n_blocks - first)
            m = _visit(block_order, first, count, n, rows[thread], shuffle, seed + group)
            next_first = first + n_threads * group_blocks
            next_count = max(0, min(group_blocks, n_blocks - next_first))
            next_group = (block_order, next_first, next_count)
            losses[thread] += _sgd_group(
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
            )
            t += m * n_threads
    state[COUNT] = t_start + n
    return losses.sum()
