"""Newton's method with an exact gradient and a Hessian from a row sample.

Each iteration costs one fused pass over X (the loss and gradient at the trial point, which the
next iteration reuses when the step is accepted) plus a Hessian on at most `hessian_rows` rows
drawn once per fit. With fewer rows than that the Hessian is exact. A sampled Hessian only
changes the step's direction: the gradient and the stopping test (max_j |dJ/dtheta_j| <= tol)
are the true ones, so the solver still stops at the optimum; it converges linearly at a rate
about the Hessian's relative sampling error (about sqrt(d / rows)) instead of quadratically.
On the issue-3 benchmark (1M x 100) it took as many iterations with 16,384 rows as with all rows.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

from ..exceptions import DivergenceError
from ..kernels.hessian import hessian_sum
from ._line_search import accept_step
from ._stopping import RoundingStall, max_abs, max_iter_message, rounding_message, stopped_message
from .gd import SolverResult, print_progress

HESSIAN_ROWS = 16_384  # rows in the Hessian sample, at least ...
ROWS_PER_PARAMETER = 32  # ... this many per parameter, so it stays well conditioned
ARMIJO = 1e-4
MAX_HALVINGS = 40


class SampledHessian:
    """The mean-form Hessian of the objective, estimated from a fixed sample of its rows with
    positive weight (all of them when there are few enough)."""

    def __init__(self, objective, max_rows, rng):
        X, s = objective.X, objective.s
        rows = np.flatnonzero(s > 0)  # zero-weight rows add nothing to the Hessian
        if rows.size > max_rows:
            rows = np.sort(rng.choice(rows, size=max_rows, replace=False))
        if rows.size == X.shape[0]:
            self.X = X.astype(np.float64, copy=False)  # every row: no copy of float64 X
            self.s = s
        else:
            self.X = X[rows].astype(np.float64, copy=False)
            self.s = s[rows]
        # mean form over the sample: it estimates the mean form over all rows
        self.scale = 1.0 / float(self.s.sum())
        self.l2 = objective.l2 * objective.scale
        self.fit_intercept = objective.fit_intercept
        self.work = np.empty_like(self.X)
        self.overflow_error = objective.overflow_error

    def __call__(self, theta):
        H = hessian_sum(self.X, self.s, theta[:-1], theta[-1], self.fit_intercept, self.work)
        if not np.isfinite(H).all():
            raise self.overflow_error()
        H *= self.scale
        d = self.X.shape[1]
        H[np.arange(d), np.arange(d)] += self.l2  # the intercept is not penalised
        return H


def newton(
    objective, theta0, *, tol=1e-4, max_iter=100, verbose=0, random_state=None, hessian_rows=None
):
    """Minimise the mean-form objective from theta0. Stops when max_j |dJ/dtheta_j| <= tol or
    after max_iter iterations. random_state draws the Hessian's row sample (None: a fixed seed,
    so fits repeat exactly)."""
    d = objective.n_params - 1
    if hessian_rows is None:
        hessian_rows = max(HESSIAN_ROWS, ROWS_PER_PARAMETER * (d + 1))
    rng = np.random.default_rng(0) if random_state is None else random_state
    hessian = SampledHessian(objective, hessian_rows, rng)
    n_free = d + 1 if objective.fit_intercept else d

    theta = np.array(theta0, dtype=np.float64)
    loss, grad = objective.loss_gradient(theta)
    if not np.isfinite(loss):
        raise DivergenceError(
            "the objective is not finite at the starting point; check the warm-start "
            "coefficients or rescale X"
        )
    history = []
    n_iter = 0
    message = ""
    converged = max_abs(grad) <= tol
    stall = RoundingStall(objective)
    while not converged and n_iter < max_iter:
        direction = np.zeros_like(theta)
        direction[:n_free] = -_solve(hessian(theta), grad[:n_free])
        slope = float(grad @ direction)
        step = 1.0
        for _ in range(MAX_HALVINGS):
            trial = theta + step * direction
            new_loss, new_grad = objective.loss_gradient(trial)
            if np.isfinite(new_loss) and accept_step(
                loss, new_loss, step * slope, step * float(new_grad @ direction), ARMIJO
            ):
                break
            step *= 0.5
        else:
            message = stopped_message(objective, theta, grad, tol)
            break
        stalled = stall.update(loss, new_loss, trial, new_grad)
        theta, loss, grad = trial, new_loss, new_grad
        n_iter += 1
        history.append(loss)
        converged = max_abs(grad) <= tol
        if verbose:
            print_progress("iteration", n_iter, loss, grad, step)
        if stalled and not converged:
            message = rounding_message(grad, tol)
            break
    if not history:
        history.append(loss)
    if not converged and not message:
        message = max_iter_message(max_iter, "iterations", grad, tol)
    return SolverResult(theta, n_iter, converged, history, message)


def _solve(H, g):
    """H^-1 g by Cholesky. Without a penalty H can be singular (constant or collinear columns,
    separable data): then add the smallest ridge, growing by 100x, that makes it factorable."""
    ridge = 0.0
    jitter = 1e-12 * max(float(np.max(np.diag(H))), np.finfo(float).tiny)
    while True:
        try:
            A = H + ridge * np.eye(H.shape[0]) if ridge else H
            return cho_solve(cho_factor(A, check_finite=False), g, check_finite=False)
        except LinAlgError:
            ridge = jitter if ridge == 0.0 else ridge * 100.0
            if not np.isfinite(ridge):
                raise
