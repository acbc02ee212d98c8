"""When to accept a step: the one acceptance rule shared by the line-searching solvers.

Near the optimum the decrease of a good step falls below the rounding noise of the float64 sums,
and comparing objective values can no longer tell a good step from a bad one. A step whose
objective is within ROUNDING_SLACK (relative) of the current one is then judged by the slopes
alone, as in Hager and Zhang's approximate Wolfe condition: the directional derivative at the
new point must not exceed (1 - 2 WOLFE_DELTA) times the magnitude of the one at the current point
(the step did not overshoot the minimum along the direction by much). By the slopes alone also
when the values seem to pass the decrease test: at that level the test can pass by rounding
(J(0) + 1e-4 t J'(0) rounds to J(0)) for a step far past the minimum.
"""

from __future__ import annotations

ROUNDING_SLACK = 1e-12
WOLFE_DELTA = 0.1


def accept_step(loss, new_loss, slope, new_slope, armijo=0.0):
    """loss, slope: J and dJ/dt at t = 0 along the search direction (slope < 0); new_loss,
    new_slope: the same at the trial step t. armijo: the required decrease, as a fraction of
    the first-order prediction slope * t (0 accepts any decrease); pass it premultiplied by t."""
    if abs(new_loss - loss) <= ROUNDING_SLACK * abs(loss):  # values cannot tell: slopes do
        return new_slope <= -(1.0 - 2.0 * WOLFE_DELTA) * slope
    return new_loss <= loss + armijo * slope


# Wolfe search constants: sufficient decrease (Armijo) and curvature, the usual values for
# quasi-Newton methods (Nocedal and Wright, Numerical Optimization, 2nd ed., section 3.1)
WOLFE_C1 = 1e-4
WOLFE_C2 = 0.9
MAX_EVALUATIONS = 50  # per search; each evaluation is one pass over X
EXTRAPOLATE_MIN, EXTRAPOLATE_MAX = 1.5, 10.0  # growth of the step before a bracket is found
SAFEGUARD = 0.1  # an interpolated step keeps this fraction of the bracket to either end


def wolfe_search(evaluate, loss, slope, step):
    """A step t > 0 along a descent direction that satisfies the weak Wolfe conditions, with
    accept_step's approximate Wolfe test standing in for the decrease test where the objective
    is flat to rounding (Hager and Zhang, 2005), so that slopes still find a step where values
    no longer can.

    evaluate(t) -> (J, new_slope, payload) at the trial step; loss, slope: J and dJ/dt at t = 0
    (slope < 0); step: the first trial. Before an upper end of the bracket is known the step
    grows by EXTRAPOLATE_MIN to EXTRAPOLATE_MAX; then the bracket [lo, hi] is narrowed by the
    zero of the secant of the slopes (exact for a quadratic), which uses no objective values and
    so keeps working at the rounding level of J.

    Returns (t, J, new_slope, payload) of the accepted step, or t = 0.0 when no step was found
    within MAX_EVALUATIONS evaluations (payload then None)."""
    lo, lo_slope, lo_eval = 0.0, slope, None
    hi, hi_slope = float("inf"), None
    t = step
    for _ in range(MAX_EVALUATIONS):
        new_loss, new_slope, payload = evaluate(t)
        finite = abs(new_loss) < float("inf")  # False for NaN too
        if not finite or not accept_step(loss, new_loss, t * slope, t * new_slope, WOLFE_C1 * t):
            hi, hi_slope = t, (new_slope if finite else None)
        elif new_slope < WOLFE_C2 * slope:  # still descending steeply: the step is too short
            previous, previous_slope = lo, lo_slope
            lo, lo_slope, lo_eval = t, new_slope, (new_loss, new_slope, payload)
            if hi == float("inf"):
                t = _secant(
                    previous, previous_slope, t, new_slope, EXTRAPOLATE_MIN * t, EXTRAPOLATE_MAX * t
                )
                continue
        else:
            return t, new_loss, new_slope, payload
        width = hi - lo
        if width <= 1e-14 * hi:
            break
        low, high = lo + SAFEGUARD * width, hi - SAFEGUARD * width
        t = 0.5 * (lo + hi) if hi_slope is None else _secant(lo, lo_slope, hi, hi_slope, low, high)
    if lo_eval is not None:  # a step with enough decrease, though not enough curvature
        return (lo, *lo_eval)
    return 0.0, loss, slope, None


def _secant(t1, slope1, t2, slope2, low, high):
    """Where the line through (t1, slope1) and (t2, slope2) crosses zero, clipped to
    [low, high]; the midpoint of [low, high] when the slopes do not increase."""
    if slope2 > slope1:
        t = t1 - slope1 * (t2 - t1) / (slope2 - slope1)
        return min(max(t, low), high)
    return 0.5 * (low + high)
