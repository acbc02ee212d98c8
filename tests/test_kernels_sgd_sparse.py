"""The CSR SGD epoch (kernels/sgd_sparse.py) against its NumPy twin (naive.sgd_epoch_csr) on
awkward CSR (duplicates, unsorted indices, explicit zeros, empty rows and columns), over values
and index dtypes, schedules, the implicit penalty, L1, averaging, weights, no intercept, a
warm start, the scale's fold and the shuffled order."""

import itertools

import naive
import numpy as np
import pytest
from conftest import awkward_csr

from fastlogreg.kernels import sgd as K
from fastlogreg.kernels.sgd_sparse import sgd_epoch

SETTINGS = {
    # name: (schedule, eta0, alpha, alpha_l1, implicit, average_from, fit_intercept, weights)
    "constant": (K.CONSTANT, 0.05, 0.01, 0.0, False, None, True, False),
    "implicit-averaged": (K.CONSTANT, 0.5, 0.02, 0.0, True, 0, True, True),
    "invscaling-l1": (K.INVSCALING, 0.3, 0.0, 0.01, False, None, True, False),
    "elastic-net-averaged-late": (K.CONSTANT, 0.1, 0.01, 0.005, True, 100, False, True),
    "fold": (K.CONSTANT, 0.5, 1.2, 0.0, False, 10, True, False),  # keep = 0.4: folds
    "fold-implicit-l1": (K.CONSTANT, 1.0, 3.0, 0.002, True, 0, True, True),
}
CASES = list(itertools.product(SETTINGS, [np.float64, np.float32], [np.int32, np.int64]))


def _eta(schedule, eta0, alpha, power_t=0.5):
    if schedule == K.INVSCALING:
        return lambda t: eta0 / t**power_t
    return lambda t: eta0


def _run(X, y, c, setting, w0, b0, shuffle, seed=7):
    schedule, eta0, alpha, alpha_l1, implicit, average_from, fit_intercept, _ = setting
    d = X.shape[1]
    v = np.array(w0, dtype=np.float64)
    state = np.zeros(K.L1_STATE_SIZE + d)
    state[K.SCALE], state[K.INTERCEPT] = 1.0, b0
    avg = np.zeros(d)
    avg_start = np.inf if average_from is None else float(average_from)
    params = np.array(
        [schedule, eta0, alpha, 0.5, 0.0, avg_start, float(fit_intercept), float(implicit),
         alpha_l1]
    )  # fmt: skip
    n_blocks = (X.shape[0] + K.BLOCK_ROWS - 1) // K.BLOCK_ROWS
    order = np.random.default_rng(seed).permutation(n_blocks) if shuffle else np.arange(n_blocks)
    loss = sgd_epoch(X.data, X.indices, X.indptr, y, c, order, shuffle, seed, v, state, avg,
                     params)  # fmt: skip
    return loss, state[K.SCALE] * v, state, avg, order


def _visiting_order(X, order, seed):
    """The rows in the order sgd_epoch visits them (its own group and shuffle functions)."""
    n = X.shape[0]
    group_blocks, n_groups = K.epoch_groups(order.shape[0], max(1, X.indptr[n] // n), 12)
    rows, visited = np.empty(group_blocks * K.BLOCK_ROWS, dtype=np.int64), []
    for group in range(n_groups):
        first = group * group_blocks
        count = min(group_blocks, order.shape[0] - first)
        m = K._visit(order, first, count, n, rows, True, seed + group)
        visited.extend(rows[:m])
    return visited


@pytest.mark.parametrize(("name", "dtype", "index_dtype"), CASES)
@pytest.mark.parametrize("shuffle", [False, True])
def test_sparse_sgd_epoch_matches_twin(name, dtype, index_dtype, shuffle):
    setting = SETTINGS[name]
    X = awkward_csr(dtype, index_dtype, n=301, d=40, seed=2)
    rng = np.random.default_rng(3)
    y = (rng.random(X.shape[0]) < 0.4).astype(np.float64)
    c = rng.uniform(0, 2, X.shape[0]) if setting[7] else np.ones(X.shape[0])
    w0, b0 = 0.1 * rng.standard_normal(X.shape[1]), 0.2  # a warm start
    loss, w, state, avg, order = _run(X, y, c, setting, w0, b0, shuffle)
    schedule, eta0, alpha, alpha_l1, implicit, average_from, fit_intercept, _ = setting
    ref = naive.sgd_epoch_csr(
        X, y, c, w0, b0, _eta(schedule, eta0, alpha), alpha, alpha_l1, fit_intercept,
        average_from, implicit, order=_visiting_order(X, order, 7) if shuffle else None,
    )  # fmt: skip
    ref_w, ref_b, ref_avg, ref_avg_b, ref_loss, ref_u, ref_q = ref
    np.testing.assert_allclose(w, ref_w, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(state[K.INTERCEPT], ref_b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-10)
    assert state[K.COUNT] == X.shape[0]
    if average_from is not None:
        np.testing.assert_allclose(avg, ref_avg, rtol=1e-8, atol=1e-11)
        np.testing.assert_allclose(state[K.AVG_INTERCEPT], ref_avg_b, rtol=1e-9, atol=1e-12)
    if alpha_l1 > 0:
        np.testing.assert_allclose(state[K.CUM_PENALTY], ref_u, rtol=1e-12)
        np.testing.assert_allclose(state[K.L1_STATE_SIZE :], ref_q, rtol=1e-9, atol=1e-12)
        assert np.any(w == 0.0)  # exact zeros
    if name.startswith("fold"):
        assert state[K.SCALE] > K.MIN_SCALE  # the scale was folded into v, not underflowed
