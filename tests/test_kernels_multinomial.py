"""The multinomial kernels against their NumPy twins (tests/naive.py), over
float32/float64 x n_blocks 1/2 x weights, plus extreme scores."""

import itertools

import naive
import numpy as np
import pytest

from fastlogreg._config import thread_limit
from fastlogreg.kernels import multinomial

CASES = list(itertools.product([np.float64, np.float32], [1, 2], [False, True]))
IDS = [f"{np.dtype(t).name}-jobs{j}-w{int(w)}" for t, j, w in CASES]


def _inputs(dtype, weighted, n=301, d=9, K=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(dtype)
    y = rng.integers(0, K, n).astype(np.float64)
    s = rng.uniform(0, 3, n) if weighted else np.ones(n)
    W = rng.standard_normal((K, d))
    b = rng.standard_normal(K)
    return X, y, s, W, b


@pytest.mark.parametrize("build", ["parallel", "serial"])
@pytest.mark.parametrize(("dtype", "n_jobs", "weighted"), CASES, ids=IDS)
def test_loss_gradient_matches_twin(dtype, n_jobs, weighted, build):
    X, y, s, W, b = _inputs(dtype, weighted)
    grad = np.empty(W.size + W.shape[0])
    kernel = multinomial.loss_gradient if build == "parallel" else multinomial.loss_gradient_serial
    with thread_limit(n_jobs) as n_blocks:
        loss = kernel(X, y, s, W, b, n_blocks, grad)
    ref_loss, ref_grad = naive.multinomial_loss_gradient(X, y, s, W, b)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-12 * np.abs(ref_grad).max())


def test_loss_gradient_is_bit_identical_for_a_fixed_thread_count():
    X, y, s, W, b = _inputs(np.float64, True, n=5000)
    results = []
    for _ in range(3):
        grad = np.empty(W.size + W.shape[0])
        with thread_limit(2) as n_blocks:
            loss = multinomial.loss_gradient(X, y, s, W, b, n_blocks, grad)
        results.append((loss, grad.tobytes()))
    assert results[0] == results[1] == results[2]


@pytest.mark.parametrize("margin", [40.0, 800.0, 1e6])
def test_extreme_scores_stay_finite_and_exact(margin):
    # scores far apart: exp of an unshifted score would overflow; a confident right answer has
    # a loss and residual of about exp(-margin), which must not round to a wrong value
    X = np.array([[1.0], [1.0], [-1.0]])
    y = np.array([0.0, 2.0, 1.0])
    W = np.array([[margin], [0.0], [-margin]])
    b = np.zeros(3)
    grad = np.empty(6)
    loss = multinomial.loss_gradient_serial(X, y, np.ones(3), W, b, 1, grad)
    assert np.isfinite(loss) and np.isfinite(grad).all()
    # row 0: right with margin m: loss log(1 + e^-m + e^-2m); row 1: wrong by 2m
    expected = np.log1p(np.exp(-margin) + np.exp(-2 * margin)) + 2 * margin
    # row 2: scores (-m, 0, m), label 1: loss m + log(1 + e^-m + e^-2m)
    expected += margin + np.log1p(np.exp(-margin) + np.exp(-2 * margin))
    np.testing.assert_allclose(loss, expected, rtol=1e-15)
    # one confident right row: the true class's residual p_y - 1 = -(e^-m + e^-2m) / (1 + ...)
    # (about -4e-18 for m = 40) must keep its digits, not round to 0
    loss = multinomial.loss_gradient_serial(X[:1], y[:1], np.ones(1), W, b, 1, grad)
    rest = np.exp(-margin) + np.exp(-2 * margin)
    np.testing.assert_allclose(grad[1], -rest / (1 + rest), rtol=1e-14, atol=0)
    np.testing.assert_allclose(loss, np.log1p(rest), rtol=1e-14, atol=0)


@pytest.mark.parametrize("probability", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_decision_scores_match_twin(dtype, probability):
    X, _, _, W, b = _inputs(dtype, False)
    out = np.empty((X.shape[0], W.shape[0]), dtype=dtype)
    multinomial.decision_scores(X, W, b, probability, out)
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(out, naive.multinomial_scores(X, W, b, probability), rtol=rtol)
    if probability:
        np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=rtol)
