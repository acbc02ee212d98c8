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
from fastlogreg.kernels.sgd_sparse import epoch_order, sgd_epoch, sgd_multinomial_epoch

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


def _params_and_order(X, setting, shuffle, seed):
    """The kernels' params vector for a setting, and a block order (shuffled or in order)."""
    schedule, eta0, alpha, alpha_l1, implicit, average_from, fit_intercept, _ = setting
    avg_start = np.inf if average_from is None else float(average_from)
    params = np.array(
        [schedule, eta0, alpha, 0.5, 0.0, avg_start, float(fit_intercept), float(implicit),
         alpha_l1]
    )  # fmt: skip
    n_blocks = (X.shape[0] + K.BLOCK_ROWS - 1) // K.BLOCK_ROWS
    order = np.random.default_rng(seed).permutation(n_blocks) if shuffle else np.arange(n_blocks)
    return params, order


def _run(X, y, c, setting, w0, b0, shuffle, seed=7):
    d = X.shape[1]
    v = np.array(w0, dtype=np.float64)
    state = np.zeros(K.L1_STATE_SIZE + d)
    state[K.SCALE], state[K.INTERCEPT] = 1.0, b0
    avg = np.zeros(d)
    params, order = _params_and_order(X, setting, shuffle, seed)
    loss = sgd_epoch(X.data, X.indices, X.indptr, y, c, order, shuffle, seed, v, state, avg,
                     params)  # fmt: skip
    return loss, state[K.SCALE] * v, state, avg, order


def _visiting_order(X, order, seed):
    """The rows in the order the epochs visit them (their own order function; it is checked
    to be a permutation of the rows below)."""
    visited = epoch_order(order, X.indptr, True, seed)
    np.testing.assert_array_equal(np.sort(visited), np.arange(X.shape[0]))
    return visited


def _run_multinomial(X, y, c, setting, W0, b0, shuffle, seed=7):
    alpha_l1 = setting[3]
    n_classes, d = W0.shape
    V_t = np.ascontiguousarray(W0.T)
    b = np.array(b0, dtype=np.float64)
    state = np.zeros(K.L1_STATE_SIZE)
    state[K.SCALE] = 1.0
    avg_t, avg_b = np.zeros((d, n_classes)), np.zeros(n_classes)
    q_t = np.zeros((d, n_classes)) if alpha_l1 > 0 else np.zeros((0, n_classes))
    params, order = _params_and_order(X, setting, shuffle, seed)
    loss = sgd_multinomial_epoch(
        X.data, X.indices, X.indptr, y, c, order, shuffle, seed, V_t, b, state, avg_t, avg_b,
        q_t, params,
    )  # fmt: skip
    return loss, state[K.SCALE] * V_t.T, b, state, avg_t.T, avg_b, q_t.T, order


@pytest.mark.parametrize(("name", "dtype", "index_dtype"), CASES)
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_sparse_sgd_epochs_match_twins(name, dtype, index_dtype, shuffle, n_classes):
    """sgd_epoch (2 classes) and sgd_multinomial_epoch (3) against their twins."""
    setting = SETTINGS[name]
    X = awkward_csr(dtype, index_dtype, n=301, d=40, seed=2)
    rng = np.random.default_rng(3)
    y = rng.integers(0, n_classes, X.shape[0]).astype(np.float64)
    c = rng.uniform(0, 2, X.shape[0]) if setting[7] else np.ones(X.shape[0])
    schedule, eta0, alpha, alpha_l1, implicit, average_from, fit_intercept, _ = setting
    options = (_eta(schedule, eta0, alpha), alpha, alpha_l1, fit_intercept, average_from, implicit)
    if n_classes == 2:
        w0, b0 = 0.1 * rng.standard_normal(X.shape[1]), 0.2  # a warm start
        loss, W, state, avg, order = _run(X, y, c, setting, w0, b0, shuffle)
        b, avg_b, q = state[K.INTERCEPT], state[K.AVG_INTERCEPT], state[K.L1_STATE_SIZE :]
        twin = naive.sgd_epoch_csr
        assert state[K.COUNT] == X.shape[0]
    else:
        w0, b0 = 0.1 * rng.standard_normal((3, X.shape[1])), np.array([0.2, -0.1, 0.0])
        loss, W, b, state, avg, avg_b, q, order = _run_multinomial(X, y, c, setting, w0, b0,
                                                                   shuffle)  # fmt: skip
        twin = naive.multinomial_sgd_epoch_csr
    visited = _visiting_order(X, order, 7) if shuffle else None
    ref_W, ref_b, ref_avg, ref_avg_b, ref_loss, ref_u, ref_q = twin(
        X, y, c, w0, b0, *options, order=visited
    )
    np.testing.assert_allclose(W, ref_W, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(b, ref_b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-10)
    if average_from is not None:
        np.testing.assert_allclose(avg, ref_avg, rtol=1e-8, atol=1e-11)
        np.testing.assert_allclose(avg_b, ref_avg_b, rtol=1e-9, atol=1e-12)
    if alpha_l1 > 0:
        np.testing.assert_allclose(state[K.CUM_PENALTY], ref_u, rtol=1e-12)
        np.testing.assert_allclose(q, ref_q.ravel() if n_classes == 2 else ref_q, rtol=1e-9,
                                   atol=1e-12)  # fmt: skip
        assert np.any(W == 0.0)  # exact zeros
    if name.startswith("fold"):
        assert state[K.SCALE] > K.MIN_SCALE  # the scale was folded into v, not underflowed
