"""Newton with a sampled Hessian: still the exact optimum, repeatable, robust to singular H."""

import importlib

import naive
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression

from fastlogreg import LogisticRegression
from fastlogreg.objective import LogisticObjective
from fastlogreg.solvers import newton
from fastlogreg.solvers.newton import SampledHessian

NEWTON = importlib.import_module("fastlogreg.solvers.newton")  # the module, not the function


def _sklearn_optimum(X, y, s, C):
    reference = SklearnLogisticRegression(C=C, tol=1e-10, max_iter=10000)
    reference.fit(X, y, sample_weight=s)
    return naive.objective(X, y, s, reference.coef_[0], reference.intercept_[0], C)


@pytest.mark.parametrize("rows", [100, 400])
def test_a_small_hessian_sample_still_reaches_the_optimum(correlated, rows):
    X, y = correlated
    s = np.random.default_rng(3).uniform(0, 2, y.shape[0])
    s[::5] = 0.0
    objective = LogisticObjective(X, y, s, C=1.0)
    assert SampledHessian(objective, rows, np.random.default_rng(0)).X.shape == (rows, 8)
    result = newton(objective, np.zeros(9), tol=1e-9, max_iter=200, hessian_rows=rows)
    assert result.converged
    ours = naive.objective(X, y, s, result.theta[:-1], result.theta[-1], 1.0)
    best = _sklearn_optimum(X, y, s, 1.0)
    assert abs(ours - best) <= 1e-9 * best
    # the exact Hessian needs fewer iterations than an estimate of it
    exact = newton(objective, np.zeros(9), tol=1e-9, max_iter=200)
    assert exact.n_iter <= result.n_iter


def test_zero_weight_rows_are_left_out_of_the_sample(correlated):
    X, y = correlated
    s = np.ones(y.shape[0])
    s[::2] = 0.0
    sample = SampledHessian(LogisticObjective(X, y, s), 10_000, np.random.default_rng(0))
    np.testing.assert_array_equal(sample.X, X[1::2])
    full = SampledHessian(LogisticObjective(X, y, np.ones(y.shape[0])), 10_000, None)
    assert full.X is X  # every row, float64: used in place


def test_fits_repeat_exactly_and_random_state_only_moves_the_sample(correlated):
    X, y = correlated
    kw = dict(solver="newton", tol=1e-8)
    with pytest.MonkeyPatch.context() as patch:  # make the sample smaller than the data
        patch.setattr(NEWTON, "HESSIAN_ROWS", 100)
        patch.setattr(NEWTON, "ROWS_PER_PARAMETER", 1)
        first = LogisticRegression(**kw).fit(X, y)
        again = LogisticRegression(**kw).fit(X, y)
        other = LogisticRegression(random_state=1, **kw).fit(X, y)
    np.testing.assert_array_equal(first.coef_, again.coef_)
    assert not np.array_equal(first.coef_, other.coef_)
    np.testing.assert_allclose(first.coef_, other.coef_, rtol=1e-6)


def test_singular_hessian_without_penalty(gaussian):
    # a constant column and a duplicated one make X~^T D X~ singular when C = inf
    X, y = gaussian
    X = np.column_stack([X, np.full(X.shape[0], 2.0), X[:, 0]])
    s = np.ones(y.shape[0])
    model = LogisticRegression(C=np.inf, solver="newton", tol=1e-10, max_iter=100).fit(X, y)
    ours = naive.objective(X, y, s, model.coef_[0], model.intercept_[0], np.inf)
    assert abs(ours - _sklearn_optimum(X, y, s, np.inf)) <= 1e-9 * ours


def test_wide_dense_newton_is_truncated_and_reaches_the_optimum():
    """Above TRUNCATED_MIN_FEATURES columns (two classes) newton takes conjugate gradients on
    exact Hessian-vector products (two BLAS passes each) instead of the sampled Hessian."""
    import sys

    from fastlogreg import LogisticRegression

    newton_module = sys.modules["fastlogreg.solvers.newton"]
    rng = np.random.default_rng(0)
    d = newton_module.TRUNCATED_MIN_FEATURES + 20
    X = rng.standard_normal((1500, d))
    y = (X[:, :10].sum(axis=1) + rng.logistic(size=1500) > 0).astype(int)
    calls = []
    original = newton_module._truncated_direction
    newton_module._truncated_direction = lambda *a: calls.append(1) or original(*a)
    try:
        model = LogisticRegression(solver="newton", C=0.1, tol=1e-9).fit(X, y)
    finally:
        newton_module._truncated_direction = original
    assert calls
    reference = LogisticRegression(solver="lbfgs", C=0.1, tol=1e-9, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(model.loss_history_[-1], reference.loss_history_[-1], rtol=1e-10)
