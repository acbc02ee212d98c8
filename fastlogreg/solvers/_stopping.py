"""Why a solver stopped short of its tolerance, in the words the user sees.

Every batch solver stops on one test, max_j |dJ/dtheta_j| <= tol on the gradient of the
mean-form objective in (w, b), and only that test counts as converged. Each other way to stop
says how far the model is (the gradient it reached) and what would help.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import DivergenceError
from ..penalties import L1
from ._cg import conjugate_gradient
from ._line_search import ROUNDING_SLACK

# this many iterations in a row that neither lowered J beyond rounding nor brought the gradient
# nearer tol (by the factor below), with the gradient within FLOOR_FACTOR of the objective's
# gradient_rounding_level, mean tol lies below what the float64 sums resolve
STALL_ITERATIONS = 20
PROGRESS_FACTOR = 0.9
FLOOR_FACTOR = 10.0
# newton_decrease: preconditioned conjugate-gradient iterations, and the relative residual at
# which they stop (the estimate is for a warning: two digits are plenty)
DECREASE_CG_ITERATIONS = 50
DECREASE_CG_RTOL = 1e-3
# converged needs the Newton decrement <= DECREMENT_MARGIN * tol: the quadratic model
# underestimates what is left where the curvature falls along the way (a weak penalty on nearly
# separable classes). On standardised wine (3 classes) at C = 1e2 and 1e4, lbfgs and newton
# stopped with the decrement <= tol 1e-4 at mean-form gaps of 1.0-1.7e-4 without a warning
DECREMENT_MARGIN = 0.25


def max_iter_message(max_iter, unit, grad, tol, decrement=None):
    """Why max_iter ended the fit: the gradient above tol, or (decrement given and above tol)
    a small gradient with a Newton step that would still lower J by more than tol."""
    if max_abs(grad) <= tol and decrement is not None and decrement > DECREMENT_MARGIN * tol:
        return (
            f"reached max_iter={max_iter} {unit} with max|grad| = {max_abs(grad):.3g} <= "
            f"tol = {tol:.3g}, but one Newton step would still lower the mean-form objective "
            f"by about {decrement:.3g} > {DECREMENT_MARGIN:g} tol: the model is still far out "
            "along a flat direction (nearly separable data or a weak penalty). Increase "
            "max_iter, or use a smaller C"
        )
    return (
        f"reached max_iter={max_iter} {unit} with max|grad| = {max_abs(grad):.3g} > "
        f"tol = {tol:.3g}. Increase max_iter, standardise the columns of X (e.g. "
        "sklearn.preprocessing.StandardScaler), or loosen tol"
    )


def no_step_message(grad, tol):
    return (
        f"the line search found no step that lowers the objective, at max|grad| = "
        f"{max_abs(grad):.3g} > tol = {tol:.3g}. Standardise the columns of X (e.g. "
        "sklearn.preprocessing.StandardScaler) or loosen tol"
    )


def rounding_message(grad, tol):
    return (
        f"the gradient stopped improving at max|grad| = {max_abs(grad):.3g} > tol = "
        f"{tol:.3g}, within {FLOOR_FACTOR:g}x of its own float64 rounding level on this data "
        "(its change when theta moves by two units in the last place), while the objective "
        "stopped changing in double precision: a tol below that cannot be met, use tol >= "
        f"{2 * max_abs(grad):.1g}; columns of very different scales or large offsets raise that "
        "level (standardise X)"
    )


def at_rounding_floor(objective, theta, grad):
    """Whether max|grad| at theta is within FLOOR_FACTOR of what rounding alone produces."""
    return max_abs(grad) <= FLOOR_FACTOR * objective.gradient_rounding_level(theta, grad)


def stopped_message(objective, theta, grad, tol):
    """Why a line search found no step: the rounding floor, or something else."""
    if at_rounding_floor(objective, theta, grad):
        return rounding_message(grad, tol)
    return no_step_message(grad, tol)


class RoundingStall:
    """Feed it every iteration's (J before, J after, theta, gradient after); it answers True
    once STALL_ITERATIONS iterations in a row changed J by no more than ROUNDING_SLACK
    (relative) without lowering max|grad| below PROGRESS_FACTOR times its best value so far,
    and the gradient is at the rounding floor (else it starts counting again: a slow stretch
    is not a floor)."""

    def __init__(self, objective):
        self.objective = objective
        self.best = float("inf")
        self.count = 0

    def update(self, loss_before, loss, theta, grad):
        g = max_abs(grad)
        if g < PROGRESS_FACTOR * self.best:
            self.best, self.count = g, 0
        elif abs(loss - loss_before) <= ROUNDING_SLACK * abs(loss_before):
            self.count += 1
        else:
            self.count = 0
        if self.count < STALL_ITERATIONS:
            return False
        self.count = 0
        return at_rounding_floor(self.objective, theta, grad)


def newton_decrease(objective, theta, grad):
    """g^T H^-1 g / 2 at theta: the decrease of J that the quadratic model promises for one
    Newton step, which near the optimum is J(theta) - J* (Boyd and Vandenberghe, Convex
    Optimization, 9.5.1: the Newton decrement). A gradient norm alone cannot tell a model far
    out along a flat direction from one close to the optimum; this can. H is the objective's
    sample_hessp; H^-1 g comes from conjugate gradients preconditioned by diag(H), whose
    estimate of g^T H^-1 g grows with every iteration, so stopping early underestimates it.
    With an intercept it is computed in centred coordinates (the sample's columns minus their
    mean, the intercepts b + W mu: the same g^T H^-1 g), where an offset no longer couples every
    coefficient to the intercept: on columns offset by 1e6 the conjugate gradients had found
    almost nothing of a decrease of 0.3 (SGD returned a near-zero model without a warning)."""
    rows, weights = objective.row_sample()
    Theta = objective.as_matrix(theta).copy()
    G = objective.as_matrix(grad).copy()
    if objective.fit_intercept:
        rows, mu, constant = objective.centred_row_sample()
        Theta[:, -1] += Theta[:, :-1] @ mu
        G[:, :-1] -= np.outer(G[:, -1], mu)
        if objective.l2 == 0:  # a constant column's data gradient, in centred coordinates
            G[:, :-1][:, constant] = 0.0  # exactly 0 (rounding left there would be divided by 0)
    g = G.ravel()
    hessp, diagonal = objective.sample_hessp(Theta.ravel(), (rows, weights))
    x = conjugate_gradient(hessp, g, diagonal, DECREASE_CG_RTOL, DECREASE_CG_ITERATIONS)
    return 0.5 * float(g @ x)


def gradient_converged(objective, theta, grad, tol):
    """(converged, decrement) for the gradient-based solvers (lbfgs, gd): converged when
    max|grad| <= tol and the Newton decrement (newton_decrease: the decrease one Newton step
    would still give) is <= DECREMENT_MARGIN tol, so that a small gradient far out along a
    flat direction (nearly separable data, a weak penalty: 10-class newton and lbfgs fits
    ended 44x and 2x tol above the optimum with max|grad| <= tol) does not pass for the
    optimum. The decrement costs
    conjugate gradients on the row sample, only once the gradient test passes; None before."""
    if max_abs(grad) > tol:
        return False, None
    decrement = newton_decrease(objective, theta, grad)
    return decrement <= DECREMENT_MARGIN * tol, decrement


def subdifferential_distance(objective, theta, grad):
    """Per entry of theta (flat, laid out as theta), the distance of the mean-form smooth
    gradient grad to minus the subdifferential of the objective's mean-form L1 term: see
    penalties.L1.subdifferential_distance; with no L1 term it is |grad|."""
    strength = objective.l1 * objective.scale
    return L1(strength, objective.n_features).subdifferential_distance(theta, grad)


def starting_theta(objective, theta0):
    """The solver's own float64 copy of theta0 (never the caller's array), or zeros when
    theta0 is None: a cold start then holds no second n_params vector alive in the callers'
    frames for the whole fit (8 MB of the 1M x 2^20 fit's peak)."""
    if theta0 is None:
        return np.zeros(objective.n_params)
    return np.array(theta0, dtype=np.float64)


def check_start(loss):
    """A solver's first objective value must be finite: otherwise the warm start or X's scale
    is to blame, and no iteration can help."""
    if not np.isfinite(loss):
        raise DivergenceError(
            "the objective is not finite at the starting point; check the warm-start "
            "coefficients or rescale X"
        )


def max_abs(v):
    return float(np.max(np.abs(v)))
