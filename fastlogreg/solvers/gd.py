"""Full-batch gradient descent, the seed's method: theta := theta - alpha * dJ/dtheta.

Each epoch is one call of the fused kernel, which returns J and dJ at the current point together
with the next point, so an epoch reads X once. With learning_rate='auto' the step starts at
1 / L for a curvature bound L and adapts: it grows by STEP_GROWTH after a step that lowered the
objective and is halved, from the last accepted point, after one that did not (backtracking),
so the recorded objective never increases.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._progress import report
from ..exceptions import DivergenceError
from ._line_search import accept_step
from ._stopping import (
    RoundingStall,
    check_start,
    gradient_converged,
    max_abs,
    max_iter_message,
    rounding_message,
    starting_theta,
    stopped_message,
)

STEP_GROWTH = 1.25
MIN_STEP_SHRINK = 2.0**-40  # give up when the step is this small relative to the initial one
# a fixed learning rate that multiplies the starting objective by this has diverged
BLOWUP_FACTOR = 10.0


@dataclass
class SolverResult:
    theta: np.ndarray
    n_iter: int  # epochs, i.e. passes over X
    converged: bool
    loss_history: list = field(default_factory=list)  # mean-form objective after each epoch
    message: str = ""


def gradient_descent(objective, theta0, *, learning_rate="auto", tol=1e-4, max_iter=100, verbose=0):
    """Minimise the mean-form objective from theta0. Stops when max_j |dJ/dtheta_j| <= tol
    (scikit-learn's lbfgs criterion on the mean-form gradient) or after max_iter epochs."""
    adaptive = isinstance(learning_rate, str)
    if adaptive:
        bound = objective.lipschitz_bound()
        # bound == 0 only when X is all zeros with no intercept and no penalty: J is constant
        step = 1.0 / bound if bound > 0 else 1.0
    else:
        step = float(learning_rate)
    min_step = step * MIN_STEP_SHRINK

    theta = starting_theta(objective, theta0)
    loss, grad, theta_next = objective.gd_epoch(theta, step)
    step_next = step  # the step that produced theta_next from theta
    check_start(loss)
    start_loss = loss
    history = [loss]
    n_iter = 1
    report("epoch", n_iter, loss)
    message = ""
    converged, decrement = gradient_converged(objective, theta, grad, tol)
    stall = RoundingStall(objective)
    while not converged and n_iter < max_iter:
        step_after = step_next * STEP_GROWTH if adaptive else step_next
        new_loss, new_grad, theta_after = objective.gd_epoch(theta_next, step_after)
        n_iter += 1
        finite = np.isfinite(new_loss) and np.isfinite(theta_after).all()
        if not adaptive and (not finite or new_loss > BLOWUP_FACTOR * start_loss):
            raise DivergenceError(
                f"gradient descent diverged at epoch {n_iter}: the objective went from "
                f"{start_loss:.6g} to {new_loss:.6g} with learning_rate={learning_rate!r}. "
                "Use a smaller learning_rate or learning_rate='auto', or standardise the "
                "columns of X (e.g. sklearn.preprocessing.StandardScaler)."
            )
        slopes = -(grad @ grad), -(new_grad @ grad)  # along -grad, at theta and theta_next
        if adaptive and not (finite and accept_step(loss, new_loss, *slopes)):
            step_next *= 0.5
            theta_next = theta - step_next * grad
            history.append(loss)
            report("epoch", n_iter, loss)
            if step_next < min_step:
                message = stopped_message(objective, theta, grad, tol)
                break
            continue
        stalled = stall.update(loss, new_loss, theta_next, new_grad)
        theta, loss, grad = theta_next, new_loss, new_grad
        theta_next, step_next = theta_after, step_after
        history.append(loss)
        report("epoch", n_iter, loss)
        converged, decrement = gradient_converged(objective, theta, grad, tol)
        if verbose:
            print_progress("epoch", n_iter, loss, grad, step_next)
        if stalled and not converged:
            message = rounding_message(grad, tol)
            break
    if not converged and not message:
        message = max_iter_message(max_iter, "epochs", grad, tol, decrement)
        if not adaptive:  # a fixed step may also be what keeps it from converging
            message += ", or use learning_rate='auto' (a step that adapts)"
    return SolverResult(theta, n_iter, converged, history, message)


def print_progress(kind, n_iter, loss, grad, step):
    """The verbose line of the line-searching solvers."""
    print(
        f"{kind} {n_iter:5d}  objective {loss:.12g}  max|grad| {max_abs(grad):.3g}  step {step:.3g}"
    )
