"""The multinomial SGD epoch kernel (kernels/sgd_multinomial.py) against its NumPy twin
(tests/naive.py), rows in order on one thread, over float32/float64 x intercept x weights x
the options (averaging, implicit penalty, cumulative L1); the schedules; Hogwild; extreme
scores."""

import itertools

import naive
import numpy as np
import pytest
from conftest import make_problem

from fastlogreg.kernels import sgd as S
from fastlogreg.kernels.sgd_multinomial import sgd_multinomial_epoch

N, D, K = 1500, 7, 4  # several groups of rows and a partial last block
# (eta0, alpha, avg_start, implicit_penalty, alpha_l1)
OPTIONS = {
    "plain": (0.05, 0.01, None, False, 0.0),
    "averaged": (0.05, 0.01, 300, False, 0.0),
    "implicit": (0.5, 0.5, None, True, 0.0),
    "l1": (0.05, 0.0, None, False, 0.002),
    "elasticnet-averaged-implicit": (0.2, 0.05, 100, True, 0.002),
    "shrinkage-folds": (0.9, 1.0, None, False, 0.0),  # the scale passes MIN_SCALE
}
CASES = list(itertools.product([np.float64, np.float32], [True, False], [False, True], OPTIONS))
IDS = [f"{np.dtype(t).name}-icpt{int(i)}-w{int(w)}-{o}" for t, i, w, o in CASES]


def _problem(dtype=np.float64, weighted=False, n=N, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, D)).astype(dtype)
    y = rng.integers(0, K, n).astype(np.float64)
    c = rng.uniform(0, 2, n) if weighted else np.ones(n)
    W0 = 0.3 * rng.standard_normal((K, D))
    b0 = 0.1 * rng.standard_normal(K)
    return X, y, c, W0, b0


def _params(schedule, eta0, alpha, avg_start, fit_intercept, implicit, alpha_l1, t0=0.0):
    avg_start = 1e300 if avg_start is None else avg_start
    flags = (fit_intercept, implicit)
    return np.array([schedule, eta0, alpha, 0.5, t0, avg_start, *flags, alpha_l1], dtype=float)


def _run(X, y, c, W0, b0, params, n_threads=1, shuffle=False, state=None):
    """One epoch from (W0, b0); returns (W, b, averaged W, averaged b, loss, state)."""
    V, b = W0.copy(), b0.copy()
    avg, avg_b = np.zeros_like(V), np.zeros_like(b)
    if state is None:
        state = np.zeros(S.L1_STATE_SIZE + V.size)
        state[S.SCALE] = 1.0
    order = np.arange((X.shape[0] + S.BLOCK_ROWS - 1) // S.BLOCK_ROWS)
    loss = sgd_multinomial_epoch(
        X, y, c, order, shuffle, 0, V, b, state, avg, avg_b, params, n_threads
    )
    return state[S.SCALE] * V, b, avg, avg_b, loss, state


@pytest.mark.parametrize(("dtype", "fit_intercept", "weighted", "option"), CASES, ids=IDS)
def test_epoch_in_order_matches_twin(dtype, fit_intercept, weighted, option):
    X, y, c, W0, b0 = _problem(dtype, weighted)
    eta0, alpha, avg_start, implicit, alpha_l1 = OPTIONS[option]
    params = _params(S.CONSTANT, eta0, alpha, avg_start, fit_intercept, implicit, alpha_l1)
    W, b, avg, avg_b, loss, state = _run(X, y, c, W0, b0, params)
    tW, tb, tavg, tavg_b, tloss = naive.multinomial_sgd_epoch_in_order(
        X, y, c, W0, b0, lambda t: eta0, alpha, alpha_l1, fit_intercept, avg_start, implicit
    )
    scale = np.abs(tW).max()
    np.testing.assert_allclose(W, tW, rtol=1e-9, atol=1e-12 * scale)
    np.testing.assert_allclose(b, tb, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(loss, tloss, rtol=1e-10)
    np.testing.assert_allclose(avg, tavg, rtol=1e-9, atol=1e-12 * scale)
    np.testing.assert_allclose(avg_b, tavg_b, rtol=1e-9, atol=1e-12)
    if not fit_intercept:
        np.testing.assert_array_equal(b, b0)
    if alpha_l1 > 0:  # exact zeros, the same ones as the twin's
        assert 0 < np.sum(W == 0) < W.size
        np.testing.assert_array_equal(W == 0, tW == 0)
        np.testing.assert_allclose(state[S.CUM_PENALTY], N * eta0 * alpha_l1, rtol=1e-12)
    assert state[S.COUNT] == N
    assert state[S.N_AVERAGED] == (0 if avg_start is None else N - avg_start)


@pytest.mark.parametrize(
    ("schedule", "eta0", "eta"),
    [
        (S.INVSCALING, 0.5, lambda t: 0.5 / t**0.5),
        # 'optimal' takes the total strength alpha + alpha_l1 = 0.01, as SGDClassifier does
        (S.OPTIMAL, 0.0, lambda t: 1.0 / (0.01 * (200.0 + t - 1.0))),
    ],
)
def test_schedules_match_twin(schedule, eta0, eta):
    X, y, c, W0, b0 = _problem(weighted=True)
    params = _params(schedule, eta0, 0.006, 500, True, False, 0.004, t0=200.0)
    W, b, avg, avg_b, loss, _ = _run(X, y, c, W0, b0, params)
    tW, tb, tavg, tavg_b, tloss = naive.multinomial_sgd_epoch_in_order(
        X, y, c, W0, b0, eta, 0.006, 0.004, True, 500, False
    )
    for ours, twin in ((W, tW), (b, tb), (avg, tavg), (avg_b, tavg_b), (loss, tloss)):
        np.testing.assert_allclose(ours, twin, rtol=1e-9, atol=1e-12)


def test_l2_only_layout_needs_no_l1_state():
    # an 8-entry params vector and a 5-entry state (kernels/sgd.py's L2-only layout) still work;
    # an L1 strength without room for q in the state is an error, not a write past its end
    X, y, c, W0, b0 = _problem(n=200)
    params = _params(S.CONSTANT, 0.05, 0.01, None, True, False, 0.0)
    state = np.zeros(S.STATE_SIZE)
    state[S.SCALE] = 1.0
    W, *_ = _run(X, y, c, W0, b0, params[:8], state=state)
    tW, *_ = naive.multinomial_sgd_epoch_in_order(X, y, c, W0, b0, lambda t: 0.05, 0.01)
    np.testing.assert_allclose(W, tW, rtol=1e-9, atol=1e-12)
    params[8] = 0.01
    with pytest.raises(ValueError, match="L1_STATE_SIZE"):
        _run(X, y, c, W0, b0, params, state=np.ones(S.L1_STATE_SIZE + 3))


def test_shuffled_epoch_visits_every_row_once():
    # with a zero step nothing moves, and the summed loss is that of every row at (W0, b0)
    X, y, c, W0, b0 = _problem(weighted=True)
    params = _params(S.CONSTANT, 0.0, 0.0, None, True, False, 0.0)
    *_, loss, _ = _run(X, y, c, W0, b0, params, shuffle=True)
    ref, _ = naive.multinomial_loss_gradient(X, y, c, W0, b0)
    np.testing.assert_allclose(loss, ref, rtol=1e-12)


@pytest.mark.parametrize("alpha_l1", [0.0, 0.002])
def test_hogwild_counts_every_sample_and_lands_near_the_one_thread_result(alpha_l1):
    # Hogwild is not reproducible, but it must count each sample once in t and u, and after
    # a few epochs from the same start sit near the one-thread fit
    X, y = make_problem(20_000, D, seed=1, n_classes=K)
    c = np.ones(X.shape[0])
    W0, b0 = np.zeros((K, D)), np.zeros(K)
    params = _params(S.CONSTANT, 0.02, 0.001, 0, True, True, alpha_l1)
    results = []
    for n_threads in (1, 2):
        V, b = W0.copy(), b0.copy()
        avg, avg_b = np.zeros_like(V), np.zeros_like(b)
        state = np.zeros(S.L1_STATE_SIZE + V.size)
        state[S.SCALE] = 1.0
        order = np.arange((X.shape[0] + S.BLOCK_ROWS - 1) // S.BLOCK_ROWS)
        for epoch in range(3):
            sgd_multinomial_epoch(
                X, y, c, order, True, epoch, V, b, state, avg, avg_b, params, n_threads
            )
        assert state[S.COUNT] == 3 * X.shape[0]
        np.testing.assert_allclose(
            state[S.CUM_PENALTY] if alpha_l1 else 0.0, 3 * X.shape[0] * 0.02 * alpha_l1, rtol=1e-9
        )
        results.append(naive.multinomial_objective(X, y, c, avg, avg_b, np.inf))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-3)


@pytest.mark.parametrize("margin", [800.0, 1e6])
def test_extreme_scores_stay_finite(margin):
    # scores far apart: the log-sum-exp is shifted, so nothing overflows; a confidently wrong
    # row has a loss of about 2 margin and a residual of exactly +-1
    X = np.array([[1.0], [1.0]])
    y = np.array([0.0, 2.0])
    W0 = np.array([[margin], [0.0], [-margin]])
    params = _params(S.CONSTANT, 1e-9, 0.0, None, True, False, 0.0)
    W, b, *_, loss, _ = _run(X, y, np.ones(2), W0, np.zeros(3), params)
    assert np.isfinite(W).all() and np.isfinite(b).all()
    np.testing.assert_allclose(loss, 2 * margin, rtol=1e-12)
    np.testing.assert_allclose(b, [-1e-9, 0.0, 1e-9], rtol=1e-6, atol=1e-24)
