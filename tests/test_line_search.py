"""The Wolfe search of solvers/_line_search.py on functions of one variable."""

import pytest

from fastlogreg.solvers._line_search import (
    MAX_EVALUATIONS,
    WOLFE_C1,
    WOLFE_C2,
    wolfe_search,
)


def _quadratic(minimum, curvature=2.0, offset=1.0):
    """phi(t) = offset + curvature (t - minimum)^2 / 2 as the search's evaluate()."""
    calls = []

    def evaluate(t):
        calls.append(t)
        return offset + 0.5 * curvature * (t - minimum) ** 2, curvature * (t - minimum), t

    return evaluate, calls


@pytest.mark.parametrize("first", [1e-3, 0.5, 1.0, 3.0, 1e3])
def test_finds_a_wolfe_step_from_any_first_trial(first):
    evaluate, calls = _quadratic(1.0)
    loss, slope = evaluate(0.0)[:2]
    calls.clear()
    t, new_loss, new_slope, payload = wolfe_search(evaluate, loss, slope, first)
    assert payload == t > 0 and len(calls) <= 12
    assert new_loss <= loss + WOLFE_C1 * t * slope  # sufficient decrease
    assert new_slope >= WOLFE_C2 * slope  # curvature


def test_a_quadratic_needs_one_secant_step_after_an_overshoot():
    evaluate, calls = _quadratic(1.0)
    loss, slope = evaluate(0.0)[:2]
    calls.clear()
    t, *_ = wolfe_search(evaluate, loss, slope, 4.0)  # overshoots: J(4) > J(0)
    assert calls == [4.0, pytest.approx(1.0)]  # the slopes' secant is exact for a quadratic
    assert t == pytest.approx(1.0)


def test_slopes_find_the_step_where_the_values_are_flat_to_rounding():
    # J = 1 + 1e-20 (t - 1)^2 / 2 is 1.0 in float64 everywhere near t = 1; only the slopes move
    evaluate, _ = _quadratic(1.0, curvature=1e-20)
    loss, slope = evaluate(0.0)[:2]
    assert loss == evaluate(1.0)[0] == evaluate(3.0)[0] == 1.0
    t, _, new_slope, _ = wolfe_search(evaluate, loss, slope, 40.0)  # far past the minimum
    assert 0.0 < t < 40.0 and abs(new_slope) <= abs(slope)


def test_no_descent_gives_up_after_the_evaluation_budget():
    calls = []

    def evaluate(t):  # claims descent at 0 but rises everywhere
        calls.append(t)
        return 1.0 + t, 1.0, t

    t, loss, _, payload = wolfe_search(evaluate, 1.0, -1.0, 1.0)
    assert t == 0.0 and payload is None and loss == 1.0
    assert len(calls) <= MAX_EVALUATIONS
