"""Every deterministic solver reaches scikit-learn's optimum; each one's own rules behave as
documented (gd's steps, newton's sampled Hessian)."""

import warnings

import naive
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression
from sklearn.utils.class_weight import compute_class_weight

from fastlogreg import LogisticRegression
from fastlogreg.objective import LogisticObjective
from fastlogreg.solvers import gradient_descent

DATASETS = ["breast_cancer", "correlated", "gaussian"]


def _weights(variant, y):
    """(sample_weight, class_weight) for a test variant, and the per-row weights they imply."""
    if variant == "sample_weight":
        s = np.random.default_rng(0).uniform(0, 2, y.shape[0])
        s[::17] = 0.0
        return s, None, s
    if variant == "class_weight":
        cw = {0: 1.0, 1: 3.0}
        return None, cw, compute_class_weight(cw, classes=np.array([0.0, 1.0]), y=y)[y.astype(int)]
    return None, None, np.ones(y.shape[0])


# gd's epochs grow with the square of the condition number: unscaled data is newton's and
# lbfgs's (README, known limitations)
MATRIX = [(d, s) for d in DATASETS for s in ("gd", "lbfgs", "newton")] + [
    ("breast_cancer_raw", s) for s in ("lbfgs", "newton")
]


@pytest.mark.parametrize("variant", ["plain", "sample_weight", "class_weight"])
@pytest.mark.parametrize("C", [0.01, 1.0, 100.0])
@pytest.mark.parametrize(("dataset", "solver"), MATRIX)
def test_solver_reaches_sklearn_optimum(request, dataset, solver, C, variant):
    X, y = request.getfixturevalue(dataset)
    sample_weight, class_weight, s = _weights(variant, y)
    # newton-cholesky: scikit-learn's lbfgs does not reach the optimum of the unscaled data
    reference = SklearnLogisticRegression(
        C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000, class_weight=class_weight
    )
    reference.fit(X, y, sample_weight=sample_weight)
    best = naive.objective(X, y, s, reference.coef_[0], reference.intercept_[0], C)
    for dtype, rtol in ((np.float64, 1e-6), (np.float32, 1e-4)):
        model = LogisticRegression(
            C=C, tol=1e-8, max_iter=100_000, class_weight=class_weight, solver=solver
        )
        model.fit(X.astype(dtype), y, sample_weight=sample_weight)
        assert model.coef_.dtype == dtype
        # both objectives evaluated on the float64 data
        ours = naive.objective(
            X, y, s, model.coef_[0].astype(np.float64), float(model.intercept_[0]), C
        )
        assert abs(ours - best) <= rtol * best, (dtype, ours, best)


def test_loss_history_never_increases_with_auto_step(correlated):
    X, y = correlated
    model = LogisticRegression(C=100.0, tol=1e-9, max_iter=100_000).fit(X, y)
    history = model.loss_history_
    assert len(history) == model.n_iter_[0]
    increases = np.diff(history)
    # non-increasing up to the documented rounding slack of the float64 sums
    assert np.all(increases <= 1e-12 * history[:-1]), increases.max()
    assert history[-1] < history[0]


def test_backtracking_recovers_from_a_too_large_start(correlated):
    # start far above the safe step: the line search halves it until the objective decreases
    X, y = correlated
    objective = LogisticObjective(X, y, np.ones(len(y)), 1.0, True, 2)
    objective.lipschitz_bound = lambda: 1e-6  # pretend the curvature is tiny -> step 1e6
    result = gradient_descent(objective, np.zeros(X.shape[1] + 1), tol=1e-6, max_iter=20_000)
    assert result.converged
    assert np.all(np.diff(result.loss_history) <= 1e-12 * np.abs(result.loss_history[:-1]))


def test_fixed_learning_rate_follows_the_seed_update(gaussian):
    # one epoch from zero with learning rate alpha is exactly theta = -alpha * grad(0) / sum(s)
    X, y = gaussian
    with pytest.warns(ConvergenceWarning):
        model = LogisticRegression(solver="gd", learning_rate=0.5, max_iter=2, C=np.inf).fit(X, y)
    _, grad = naive.loss_gradient(X, y, np.ones(len(y)), np.zeros(X.shape[1]), 0.0)
    np.testing.assert_allclose(model.coef_[0], -0.5 * grad[:-1] / len(y), rtol=1e-12)
    np.testing.assert_allclose(model.intercept_[0], -0.5 * grad[-1] / len(y), rtol=1e-12)


def test_fixed_learning_rate_converges(gaussian):
    X, y = gaussian
    model = LogisticRegression(learning_rate=1.0, tol=1e-6, max_iter=10_000).fit(X, y)
    auto = LogisticRegression(tol=1e-6, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(model.loss_history_[-1], auto.loss_history_[-1], rtol=1e-8)


def test_diverging_learning_rate_raises_with_epoch_and_hint(correlated):
    X, y = correlated
    model = LogisticRegression(solver="gd", learning_rate=1e4, max_iter=1000)
    # a ValueError, as scikit-learn's SGDClassifier raises here (issue 8), and still a
    # FloatingPointError, as before
    with pytest.raises(ValueError, match=r"diverged at epoch \d+.*smaller learning_rate") as e:
        model.fit(X, y)
    assert isinstance(e.value, FloatingPointError)
    assert not hasattr(model, "coef_")


def test_max_iter_warns_and_counts_epochs(breast_cancer):
    X, y = breast_cancer
    with pytest.warns(ConvergenceWarning, match="max_iter=5"):
        model = LogisticRegression(solver="gd", max_iter=5).fit(X, y)
    assert model.n_iter_[0] == 5
    assert np.isfinite(model.coef_).all()


@pytest.mark.parametrize(("solver", "iterations_at_optimum"), [("gd", 1), ("newton", 0)])
def test_warm_start_continues_from_previous_solution(breast_cancer, solver, iterations_at_optimum):
    # gd counts the epoch that evaluates the start; newton and lbfgs count steps taken
    X, y = breast_cancer
    cold = LogisticRegression(solver=solver, tol=1e-6, max_iter=10_000).fit(X, y)
    warm = LogisticRegression(solver=solver, tol=1e-6, max_iter=10_000, warm_start=True)
    warm.fit(X, y).fit(X, y)  # the second fit starts at the optimum
    assert warm.n_iter_[0] == iterations_at_optimum
    np.testing.assert_allclose(warm.coef_, cold.coef_, rtol=1e-10)


@pytest.mark.parametrize("solver", ["gd", "lbfgs", "newton"])
def test_unpenalised_fit_on_separable_data_stays_finite(solver):
    X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    y = np.array([0, 0, 1, 1])
    with warnings.catch_warnings():  # the gradient vanishes as |w| grows: it may "converge"
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LogisticRegression(C=np.inf, solver=solver, max_iter=500).fit(X, y)
    assert np.isfinite(model.coef_).all() and model.coef_[0, 0] > 1
    assert (model.predict(X) == y).all()


def test_huge_margins_give_finite_model():
    # features of order 1e3 make margins of 1e3 and beyond from the first steps
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3)) * 1e3
    y = (X[:, 0] > 0).astype(int)
    with pytest.warns(ConvergenceWarning):
        model = LogisticRegression(solver="gd", C=1e6, max_iter=200).fit(X, y)
    assert np.isfinite(model.coef_).all() and np.isfinite(model.loss_history_).all()
    assert np.isfinite(model.predict_log_proba(X * 1e3)).all()


@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
def test_history_iterations_and_max_iter_warning(breast_cancer, solver):
    X, y = breast_cancer
    model = LogisticRegression(solver=solver, tol=1e-8, max_iter=1000).fit(X, y)
    assert len(model.loss_history_) == model.n_iter_[0] < 1000
    assert np.all(np.diff(model.loss_history_) <= 0)
    with pytest.warns(ConvergenceWarning, match=f"{solver} did not converge"):
        LogisticRegression(solver=solver, max_iter=1, tol=1e-12).fit(X, y)
    no_intercept = LogisticRegression(solver=solver, fit_intercept=False).fit(X, y)
    assert no_intercept.intercept_[0] == 0.0


@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
def test_float32_reaches_the_optimum_on_unscaled_breast_cancer(solver):
    # scikit-learn's own float32 path stops about 10% above the optimum on this data (measured
    # 11.5% with scikit-learn 1.9.1); ours computes in float64 from float32 X and must not
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    y = y.astype(np.float64)
    reference = SklearnLogisticRegression(C=1.0, tol=1e-10, max_iter=100_000).fit(X, y)
    s = np.ones(y.shape[0])
    best = naive.objective(X, y, s, reference.coef_[0], reference.intercept_[0], 1.0)
    model = LogisticRegression(solver=solver, tol=1e-10, max_iter=100_000)
    model.fit(X.astype(np.float32), y)
    ours = naive.objective(
        X, y, s, model.coef_[0].astype(np.float64), float(model.intercept_[0]), 1.0
    )
    assert abs(ours - best) <= 1e-4 * best


@pytest.mark.parametrize("solver", ["gd", "lbfgs", "newton"])
def test_every_solver_that_stops_short_says_how_far(breast_cancer, solver):
    with pytest.warns(ConvergenceWarning, match=r"max\|grad\| = [0-9.e+-]+ > tol = 1e-12"):
        LogisticRegression(solver=solver, max_iter=2, tol=1e-12).fit(*breast_cancer)


@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
@pytest.mark.parametrize("shift", [0.0, 100.0])
def test_a_tol_below_the_rounding_level_is_said_as_such(breast_cancer_raw, solver, shift):
    # issue 8, kind 2: where float64 cannot resolve tol, the warning says that (not "ABNORMAL",
    # not "increase max_iter"), well before max_iter, and the model is at the optimum
    X, y = breast_cancer_raw
    X = X + shift
    with pytest.warns(ConvergenceWarning, match="stopped changing in double precision") as w:
        model = LogisticRegression(solver=solver, tol=1e-17, max_iter=5000).fit(X, y)
    assert "max_iter" not in str(w[0].message)
    assert model.n_iter_[0] < 5000
    reference = SklearnLogisticRegression(solver="newton-cholesky", tol=1e-12).fit(X, y)
    s = np.ones(y.shape[0])
    best = naive.objective(X, y, s, reference.coef_[0], reference.intercept_[0], 1.0)
    ours = naive.objective(X, y, s, model.coef_[0], model.intercept_[0], 1.0)
    assert abs(ours - best) <= 1e-12 * best


@pytest.mark.parametrize("solver", ["gd", "lbfgs", "newton", "prox_newton"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_no_starting_point_is_a_start_at_zero(solver, n_classes):
    """theta0=None (the estimator's cold start) runs exactly as an explicit zeros start, and
    neither start array is modified."""
    from fastlogreg import solvers

    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 5))
    y = rng.integers(0, n_classes, 120).astype(np.float64)
    objective = LogisticObjective(X, y, np.ones(120), 1.0, True, 1, n_classes=n_classes,
                                  l1_ratio=0.5 if solver == "prox_newton" else 0.0)  # fmt: skip
    run = {"gd": solvers.gradient_descent, "lbfgs": solvers.lbfgs, "newton": solvers.newton,
           "prox_newton": solvers.prox_newton}[solver]  # fmt: skip
    zeros = np.zeros(objective.n_params)
    from_zeros = run(objective, zeros, tol=1e-8, max_iter=500)
    from_none = run(objective, None, tol=1e-8, max_iter=500)
    assert not zeros.any()
    assert from_none.n_iter == from_zeros.n_iter > 0
    np.testing.assert_array_equal(from_none.theta, from_zeros.theta)
