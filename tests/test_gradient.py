"""The analytic gradient against central finite differences and the seed's chain rule."""

import naive
import numpy as np
import pytest
from conftest import small_problem

import fastlogreg
from fastlogreg.objective import LogisticObjective


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("C", [0.1, 1.0, np.inf])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_check_gradient_agrees_with_finite_differences(fit_intercept, C, dtype):
    X, y = small_problem(dtype=dtype)
    rng = np.random.default_rng(1)
    coef, s = rng.standard_normal(X.shape[1]), rng.uniform(0.5, 2, X.shape[0])
    err = fastlogreg.check_gradient(
        X, y, coef, 0.4, sample_weight=s, C=C, fit_intercept=fit_intercept
    )
    assert err < 1e-7


def test_check_gradient_detects_a_wrong_gradient(monkeypatch):
    # the check must be able to fail: perturb the analytic gradient and expect a large error
    X, y = small_problem()
    original = LogisticObjective.loss_gradient

    def wrong(self, theta):
        loss, grad = original(self, theta)
        return loss, grad * 1.01

    monkeypatch.setattr(LogisticObjective, "loss_gradient", wrong)
    assert fastlogreg.check_gradient(X, y, np.full(X.shape[1], 0.1), 0.0) > 1e-3


def test_check_gradient_accepts_any_two_labels():
    X, y = small_problem()
    labels = np.where(y == 1, "yes", "no")
    assert fastlogreg.check_gradient(X, labels, np.full(X.shape[1], 0.2), -0.1) < 1e-7


def test_gradient_equals_the_seeds_chain_rule_terms():
    # dl/da * da/dz * x, term by term as the seed derives it, at moderate margins
    X, y = small_problem(n=300, d=6)
    rng = np.random.default_rng(4)
    s = rng.uniform(0, 2, 300)
    w, b = 0.3 * rng.standard_normal(6), -0.2
    objective = LogisticObjective(X, y, s, C=np.inf, fit_intercept=True, n_blocks=2)
    _, grad = objective.loss_gradient(np.append(w, b))
    seed = naive.seed_chain_rule_gradient(X, y, s, w, b) / s.sum()
    np.testing.assert_allclose(grad, seed, rtol=1e-10, atol=1e-14)


def test_objective_mean_form_and_penalty():
    X, y = small_problem()
    s = np.linspace(0.5, 1.5, X.shape[0])
    w, b, C = np.linspace(-1, 1, X.shape[1]), 0.3, 0.7
    objective = LogisticObjective(X, y, s, C=C, fit_intercept=True, n_blocks=2)
    loss, _ = objective.loss_gradient(np.append(w, b))
    np.testing.assert_allclose(
        objective.to_sum(loss), naive.objective(X, y, s, w, b, C), rtol=1e-12
    )
