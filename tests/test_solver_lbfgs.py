"""L-BFGS in standardised coordinates: the change of variables is exact, the stopping test is
on the gradient in (w, b), and badly scaled columns no longer cost it its convergence."""

import naive
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression

from fastlogreg.objective import LogisticObjective
from fastlogreg.solvers import lbfgs
from fastlogreg.solvers.lbfgs import Preconditioned, preconditioner


def test_preconditioner_centres_scales_and_leaves_constant_columns_uncentred():
    rng = np.random.default_rng(0)
    n = 5000
    X = rng.standard_normal((n, 6)) * [1e-3, 1.0, 1e3, 0.0, 0.0, 0.0] + [5.0, -2.0, 0, 7, 0.1, 0]
    X[:, 4] = 0.1  # the constant whose sample spread is rounding residue, not 0 (issue 8)
    s = np.ones(n)
    l2_term = 4.0 / (2.0 * n)  # l2 / (INTERCEPT_CURVATURE sum(s)) at C = 2
    centres, scales = preconditioner(LogisticObjective(X, np.zeros(n), s, C=2.0))
    np.testing.assert_allclose(centres[:3], X[:, :3].mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(scales[:3], np.sqrt(X[:, :3].var(axis=0) + l2_term), rtol=1e-12)
    # constant columns: not centred, scaled by their root mean square and the penalty
    np.testing.assert_array_equal(centres[3:], 0.0)
    np.testing.assert_allclose(
        scales[3:], np.sqrt(np.array([49.0, 0.01, 0.0]) + l2_term), rtol=1e-12
    )
    # without a penalty an all-zero column keeps scale 1
    _, scales = preconditioner(LogisticObjective(X, np.zeros(n), s, C=np.inf))
    assert scales[5] == 1.0
    # without an intercept nothing could absorb a shift
    centres, scales = preconditioner(
        LogisticObjective(X, np.zeros(n), s, C=np.inf, fit_intercept=False)
    )
    assert not centres.any()
    np.testing.assert_allclose(scales[:5], np.sqrt(np.mean(X[:, :5] ** 2, axis=0)), rtol=1e-12)


def test_preconditioner_weights_the_rows_by_s():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 2)) + np.array([0.0, 3.0])
    s = rng.uniform(0, 2, 400)
    centres, scales = preconditioner(LogisticObjective(X, np.zeros(400), s, C=np.inf))
    mean = s @ X / s.sum()
    np.testing.assert_allclose(centres, mean, rtol=1e-12)
    np.testing.assert_allclose(scales, np.sqrt(s @ (X - mean) ** 2 / s.sum()), rtol=1e-12)


def test_the_change_of_variables_is_exact_and_its_gradient_the_chain_rule(correlated):
    X, y = correlated
    X = X * np.geomspace(1e-2, 1e2, X.shape[1]) + 3.0
    objective = LogisticObjective(X, y, np.ones(y.shape[0]), C=2.0)
    coordinates = Preconditioned(*preconditioner(objective))
    theta = np.random.default_rng(1).standard_normal(X.shape[1] + 1) * 0.01
    u = coordinates.to_u(theta)
    np.testing.assert_allclose(coordinates.to_theta(u), theta, rtol=1e-12, atol=1e-15)

    def loss_u(u):
        return objective.loss(coordinates.to_theta(u))

    grad_u = coordinates.gradient_u(objective.loss_gradient(coordinates.to_theta(u))[1])
    step = 1e-6 * np.maximum(1.0, np.abs(u))
    numeric = [(loss_u(u + e) - loss_u(u - e)) / (2 * e[j]) for j, e in enumerate(np.diag(step))]
    np.testing.assert_allclose(grad_u, numeric, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_badly_scaled_shifted_columns_reach_the_optimum_and_the_tolerance(
    correlated, fit_intercept
):
    X, y = correlated
    X = X * np.geomspace(1e-2, 1e2, X.shape[1]) + 10.0  # scales over 4 decades, far from 0
    s = np.ones(y.shape[0])
    objective = LogisticObjective(X, y, s, C=1.0, fit_intercept=fit_intercept)
    result = lbfgs(objective, np.zeros(X.shape[1] + 1), tol=1e-7, max_iter=500)
    # converged: by the tolerance or, for the widest column, by the objective no longer
    # changing in double precision (a gradient of 1e-7 on a column of spread 100 is below that)
    assert result.converged and result.n_iter == len(result.loss_history)
    reference = SklearnLogisticRegression(
        C=1.0, solver="newton-cholesky", tol=1e-12, fit_intercept=fit_intercept
    ).fit(X, y)
    best = naive.objective(X, y, s, reference.coef_[0], reference.intercept_[0], 1.0)
    ours = naive.objective(X, y, s, result.theta[:-1], result.theta[-1], 1.0)
    assert ours - best <= 1e-9 * best


def test_a_start_at_the_optimum_takes_no_iteration_and_reads_x_once(correlated):
    X, y = correlated
    objective = LogisticObjective(X, y, np.ones(y.shape[0]), C=1.0)
    optimum = lbfgs(objective, np.zeros(X.shape[1] + 1), tol=1e-10, max_iter=500).theta
    calls = []
    original = objective.loss_gradient
    objective.loss_gradient = lambda theta: calls.append(1) or original(theta)
    again = lbfgs(objective, optimum, tol=1e-6)
    assert again.n_iter == 0 and again.converged and len(calls) == 1
    np.testing.assert_array_equal(again.theta, optimum)


def test_the_stopping_test_is_on_the_gradient_in_w_and_b(correlated):
    X, y = correlated
    objective = LogisticObjective(X, y, np.ones(y.shape[0]), C=1.0)
    result = lbfgs(objective, np.zeros(X.shape[1] + 1), tol=1e-6, max_iter=500)
    assert result.converged
    assert np.max(np.abs(objective.loss_gradient(result.theta)[1])) <= 1e-6
