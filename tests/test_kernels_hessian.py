"""The Hessian block kernel against its NumPy twin, finite differences and block sums."""

import naive
import numpy as np
import pytest
from conftest import small_problem

from fastlogreg.kernels.hessian import curvature, hessian_sum
from fastlogreg.objective import LogisticObjective


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
def test_hessian_sum_matches_twin(fit_intercept, weighted):
    X, _ = small_problem(n=300, d=6)
    rng = np.random.default_rng(1)
    s = rng.uniform(0, 2, 300) if weighted else np.ones(300)
    w, b = rng.standard_normal(6), 0.7
    expected = naive.hessian(X, s, w, b)
    if not fit_intercept:
        expected = expected[:-1, :-1]
    work = np.empty_like(X)
    np.testing.assert_allclose(hessian_sum(X, s, w, b, fit_intercept, work), expected, rtol=1e-12)
    np.testing.assert_allclose(hessian_sum(X, s, w, b, fit_intercept), expected, rtol=1e-12)


def test_hessian_is_the_derivative_of_the_gradient():
    X, y = small_problem(n=200, d=4)
    objective = LogisticObjective(X, y, np.ones(200), C=np.inf)
    theta = np.array([0.3, -0.2, 0.5, 0.1, -0.4])
    H = hessian_sum(X, objective.s, theta[:-1], theta[-1], True) * objective.scale
    h = 1e-6
    for j in range(5):
        e = np.zeros(5)
        e[j] = h
        column = objective.loss_gradient(theta + e)[1] - objective.loss_gradient(theta - e)[1]
        np.testing.assert_allclose(H[:, j], column / (2 * h), rtol=1e-6, atol=1e-9)


def test_blocks_add_up_to_the_whole():
    X, _ = small_problem(n=500, d=5)
    s = np.random.default_rng(2).uniform(0, 1, 500)
    w, b = np.ones(5) * 0.2, -0.1
    whole = hessian_sum(X, s, w, b, True)
    starts = range(0, 500, 128)
    blocks = sum(hessian_sum(X[i : i + 128], s[i : i + 128], w, b, True) for i in starts)
    np.testing.assert_allclose(blocks, whole, rtol=1e-12)


def test_curvature_is_finite_and_accurate_at_extreme_margins():
    z = np.array([-1e308, -800.0, -40.0, 0.0, 40.0, 800.0, 1e308])
    c = curvature(z, np.ones_like(z))
    assert np.isfinite(c).all() and (c >= 0).all()
    np.testing.assert_allclose(c[[2, 4]], np.exp(-40.0), rtol=1e-14)  # a(1-a) ~ e^-|z|
    assert c[3] == 0.25
