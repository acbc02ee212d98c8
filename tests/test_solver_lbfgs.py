"""L-BFGS in standardised coordinates: the change of variables is exact, the stopping test is
on the gradient in (w, b), and badly scaled columns no longer cost it its convergence."""

import naive
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression

from fastlogreg import LogisticRegression
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


# --- issue 8: inputs that once gave silent wrong answers -------------------------------------


def _reference_objective(X, y, C, s=None):
    """scikit-learn's tight optimum (newton-cholesky), as the sum-form objective."""
    s = np.ones(y.shape[0]) if s is None else s
    model = SklearnLogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000)
    model.fit(X, y, sample_weight=s)
    return naive.objective(X, y, s, model.coef_[0], model.intercept_[0], C)


def _objective(X, y, model, C):
    coef = model.coef_[0].astype(np.float64)
    return naive.objective(X, y, np.ones(y.shape[0]), coef, float(model.intercept_[0]), C)


def _constant_column_problem(value, n=500, seed=0):
    rng = np.random.default_rng(seed)
    X = np.c_[rng.standard_normal((n, 3)), np.full(n, value)]
    y = (X[:, :3] @ [1, -2, 0.5] + rng.logistic(size=n) > 0).astype(np.float64)
    return X, y


def test_a_constant_column_of_0_1_gives_the_optimum_not_zeros():
    # issue 8, kind 1: was coef ~1e-27, J = 500 log 2 = 346.57, n_iter 1, no warning
    X, y = _constant_column_problem(0.1)
    model = LogisticRegression(solver="lbfgs").fit(X, y)  # default tol 1e-4
    best = _reference_objective(X, y, 1.0)
    assert best == pytest.approx(207.8245866, rel=1e-9)
    assert abs(_objective(X, y, model, 1.0) - best) <= 1e-6 * best
    np.testing.assert_allclose(model.coef_[0, :3], [1.0889, -2.1025, 0.6009], atol=2e-3)
    tight = LogisticRegression(solver="lbfgs", tol=1e-10).fit(X, y)
    assert abs(_objective(X, y, tight, 1.0) - best) <= 1e-12 * best
    # the penalty puts the constant's share on the (unpenalised) intercept
    assert abs(tight.coef_[0, 3]) < 1e-6
    assert tight.intercept_[0] == pytest.approx(-0.18675633, abs=1e-6)


@pytest.mark.parametrize("value", [0.3, 3.7, 1e-6, -2.5, 42.0, 1e4])
@pytest.mark.parametrize("C", [0.01, 1.0, np.inf])
def test_constant_columns_of_any_value_and_penalty_reach_the_optimum(value, C):
    X, y = _constant_column_problem(value, seed=1)
    model = LogisticRegression(solver="lbfgs", C=C, tol=1e-8, max_iter=1000).fit(X, y)
    # the unpenalised intercept can take over the constant column's part at no cost, so the
    # optimum is the one without the column (which scikit-learn's newton-cholesky solves
    # without warning of an ill-conditioned Hessian, as it does for the constant 1e4)
    best = _reference_objective(X[:, :3], y, C)
    assert abs(_objective(X, y, model, C) - best) <= 1e-9 * best


def test_auto_on_wide_data_with_a_constant_column_reaches_the_optimum():
    # issue 8, kind 1 through the default path: 'auto' picks lbfgs above 200 features
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 250))
    X[:, 17] = 0.1
    y = (X[:, :10].sum(axis=1) + rng.logistic(size=2000) > 0).astype(np.float64)
    model = LogisticRegression().fit(X, y)
    assert model.solver_ == "lbfgs"
    best = _reference_objective(X, y, 1.0)
    # tol 1e-4 on 250 features leaves a few 1e-6 (an all-zero model was 2.4 times the optimum)
    assert abs(_objective(X, y, model, 1.0) - best) <= 1e-5 * best
    tight = LogisticRegression(tol=1e-8).fit(X, y)
    assert abs(_objective(X, y, tight, 1.0) - best) <= 1e-10 * best


def _false_convergence_problem():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((1000, 10)) @ rng.standard_normal((10, 10))
    y = (X[:, :5].sum(axis=1) + 2 * rng.logistic(size=1000) > 1).astype(np.float64)
    return X, y


@pytest.mark.parametrize("tol", [1e-8, 1e-10, 1e-12])
def test_convergence_means_the_gradient_met_tol(tol):
    # issue 8, kind 2: scipy's L-BFGS-B stopped at max|grad| = 2.75e-8 and reported success
    X, y = _false_convergence_problem()
    model = LogisticRegression(solver="lbfgs", tol=tol, max_iter=1000).fit(X, y)  # no warning
    _, grad = naive.loss_gradient(X, y, np.ones(1000), model.coef_[0], model.intercept_[0])
    grad[:-1] += model.coef_[0]  # the penalty, C = 1
    assert np.max(np.abs(grad)) / 1000 <= tol
    best = _reference_objective(X, y, 1.0)
    assert abs(_objective(X, y, model, 1.0) - best) <= 1e-10 * best


@pytest.mark.parametrize("shift", [0.0, 100.0])
def test_uncentred_unscaled_breast_cancer_meets_tol_1e_8(shift):
    # issue 8, kind 2: L-BFGS-B warned "ABNORMAL" on uncentred float64 data after reaching the
    # optimum, because its line search judges steps by objective values alone
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X, y = X + shift, y.astype(np.float64)
    model = LogisticRegression(solver="lbfgs", tol=1e-8, max_iter=5000).fit(X, y)  # no warning
    best = _reference_objective(X, y, 1.0)
    assert abs(_objective(X, y, model, 1.0) - best) <= 1e-9 * best


def _spread_scales_problem(decades, seed=3, n=600, d=30):
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((n, 3))
    Z = base @ rng.standard_normal((3, d)) + 0.05 * rng.standard_normal((n, d))
    scale = np.logspace(-decades / 2, decades / 2, d)
    X = np.abs(Z) * scale + scale
    y = (base[:, 0] + 0.5 * rng.standard_normal(n) > 0).astype(np.float64)
    return X, y


@pytest.mark.parametrize(
    ("decades", "C"), [(6, 0.01), (6, 1e-4), (6, 100.0), (10, 0.01), (10, 1.0), (3, 1e-6)]
)
def test_strong_penalties_on_columns_of_many_scales_converge_in_hundreds_of_iterations(decades, C):
    # issue 8, kind 3 (the first case is the reported one): 13,872 iterations, then scipy's
    # limit of 15,000 evaluations; newton needs 4. Spreads alone made the penalty ill-conditioned
    X, y = _spread_scales_problem(decades)
    model = LogisticRegression(C=C, solver="lbfgs", tol=1e-8, max_iter=100_000).fit(X, y)
    assert model.n_iter_[0] <= 400
    best = _reference_objective(X, y, C)
    assert abs(_objective(X, y, model, C) - best) <= 1e-9 * best


def test_evaluations_follow_max_iter_and_need_no_other_limit():
    # scipy's maxfun (15,000) stopped fits that max_iter allowed; ours is max_iter x the line
    # search's evaluations, and a long fit is not cut short
    X, y = _spread_scales_problem(6)
    objective = LogisticObjective(X, y, np.ones(y.shape[0]), C=1.0)
    calls = []
    original = objective.loss_gradient
    objective.loss_gradient = lambda theta: calls.append(1) or original(theta)
    result = lbfgs(objective, np.zeros(X.shape[1] + 1), tol=1e-12, max_iter=5)
    assert not result.converged and result.n_iter == 5 and len(calls) <= 1 + 5 * 50
    assert "reached max_iter=5 iterations with max|grad| = " in result.message
