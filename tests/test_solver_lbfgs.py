"""L-BFGS in standardised coordinates: the change of variables is exact, the stopping test is
on the gradient in (w, b), and badly scaled columns no longer cost it its convergence."""

import naive
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression

from fastlogreg.objective import LogisticObjective
from fastlogreg.solvers import lbfgs
from fastlogreg.solvers.lbfgs import _Standardised, column_scaling


def test_column_scaling_centres_and_scales_and_keeps_constant_columns():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5000, 4)) * [1e-3, 1.0, 1e3, 0.0] + [5.0, -2.0, 0.0, 7.0]
    means, spreads = column_scaling(X, fit_intercept=True)
    np.testing.assert_allclose(means, X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(spreads[:3], X[:, :3].std(axis=0), rtol=1e-12)
    assert spreads[3] == 1.0  # a constant column is left as it is
    means, spreads = column_scaling(X, fit_intercept=False)
    assert not means.any()  # nothing could absorb a shift
    np.testing.assert_allclose(spreads, np.sqrt(np.mean(X * X, axis=0)), rtol=1e-12)


def test_the_change_of_variables_is_exact_and_its_gradient_the_chain_rule(correlated):
    X, y = correlated
    X = X * np.geomspace(1e-2, 1e2, X.shape[1]) + 3.0
    objective = LogisticObjective(X, y, np.ones(y.shape[0]), C=2.0)
    problem = _Standardised(objective, *column_scaling(X, True))
    theta = np.random.default_rng(1).standard_normal(X.shape[1] + 1) * 0.01
    u = problem.to_u(theta)
    np.testing.assert_allclose(problem.to_theta(u), theta, rtol=1e-12, atol=1e-15)
    loss, grad_u = problem.loss_gradient(u)
    assert loss == objective.loss(theta)
    step = 1e-6 * np.maximum(1.0, np.abs(u))
    numeric = [
        (problem.loss_gradient(u + e)[0] - problem.loss_gradient(u - e)[0]) / (2 * e[j])
        for j, e in enumerate(np.diag(step))
    ]
    np.testing.assert_allclose(grad_u, numeric, rtol=1e-5, atol=1e-9)
    np.testing.assert_array_equal(problem.gradient_at(u), objective.loss_gradient(theta)[1])


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
