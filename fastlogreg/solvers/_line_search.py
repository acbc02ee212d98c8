"""When to accept a step: the one acceptance rule shared by the line-searching solvers.

Near the optimum the decrease of a good step falls below the rounding noise of the float64 sums,
and comparing objective values can no longer tell a good step from a bad one. A step whose
objective is within ROUNDING_SLACK (relative) of the current one is then judged by the slopes
instead, as in Hager and Zhang's approximate Wolfe condition: the directional derivative at the
new point must not exceed (1 - 2 WOLFE_DELTA) times the magnitude of the one at the current point
(the step did not overshoot the minimum along the direction by much).
"""

from __future__ import annotations

ROUNDING_SLACK = 1e-12
WOLFE_DELTA = 0.1


def accept_step(loss, new_loss, slope, new_slope, armijo=0.0):
    """loss, slope: J and dJ/dt at t = 0 along the search direction (slope < 0); new_loss,
    new_slope: the same at the trial step t. armijo: the required decrease, as a fraction of
    the first-order prediction slope * t (0 accepts any decrease); pass it premultiplied by t."""
    if new_loss <= loss + armijo * slope:
        return True
    flat = new_loss - loss <= ROUNDING_SLACK * abs(loss)
    return flat and new_slope <= -(1.0 - 2.0 * WOLFE_DELTA) * slope
