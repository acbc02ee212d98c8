"""Newton's method with an exact gradient and a Hessian from a row sample, or (sparse X)
truncated Newton on Hessian-vector products over every row.

Each iteration costs one fused pass over X (the loss and gradient at the trial point, which the
next iteration reuses when the step is accepted) plus a Hessian on at most `hessian_rows` rows
drawn once per fit. With fewer rows than that the Hessian is exact. A sampled Hessian only
changes the step's direction: the gradient and the stopping test (max_j |dJ/dtheta_j| <= tol)
are the true ones, so the solver still stops at the optimum; it converges linearly at a rate
about the Hessian's relative sampling error (about sqrt(d / rows)) instead of quadratically.
On the issue-3 benchmark (1M x 100) it took as many iterations with 16,384 rows as with all rows.

Sparse X (2^20 columns of text features) has no d x d Hessian to form and a row sample leaves
most columns unseen, so there the direction comes from conjugate gradients on exact
Hessian-vector products, one pass over X each (truncated Newton, Nocedal and Wright, Numerical
Optimization, 2nd ed., Algorithm 7.1; LIBLINEAR's TRON (Lin, Weng and Keerthi, JMLR 2008)
solves the same Newton system by conjugate gradients inside a trust region).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

from .._progress import report
from ..kernels.hessian import hessian_sum
from ._cg import conjugate_gradient
from ._line_search import accept_step
from ._stopping import (
    DECREASE_CG_RTOL,
    DECREMENT_MARGIN,
    RoundingStall,
    check_start,
    max_abs,
    max_iter_message,
    rounding_message,
    starting_theta,
    stopped_message,
)
from .gd import SolverResult, print_progress

HESSIAN_ROWS = 16_384  # rows in the Hessian sample, at least ...
ROWS_PER_PARAMETER = 32  # ... this many per parameter, so it stays well conditioned
ARMIJO = 1e-4
MAX_HALVINGS = 40
# the multinomial direction's conjugate gradients stop at a relative residual of
# min(CG_RTOL, sqrt(max|grad|)): a loose solve far from the optimum, where the quadratic model is
# rough anyway, and a tighter one near it, so that with an exact Hessian (all rows in the sample)
# the convergence stays superlinear (Eisenstat and Walker's forcing terms, 1996). The forcing
# term max|grad| (quadratic convergence) took 4.8 s against 1.1 s to tol 1e-6 on 200k x 100
# with 10 classes: hundreds of Hessian-vector products per iteration
CG_RTOL = 1e-2
CG_MAX_ITER = 200
# truncated Newton (every row): the conjugate gradients stop at a relative residual of
# min(TRUNCATED_RTOL, max(max|grad|, TOL_FRACTION tol / max|grad|)), each of their iterations
# one pass over X. Far from tol that is max|grad|, which with the exact Hessian keeps Newton's
# quadratic convergence (Dembo, Eisenstat and Steihaug 1982); sqrt(max|grad|) (superlinear) let
# warm-started fits at C = 1e4 stop within tol 1e-10 but 4e-6 apart in their scores. Near tol
# the second term saves products that would take max|grad| far below it: on the 1M x 2^20 text
# problem at tol 1e-4, 51 products in all against 62 (TOL_FRACTION 0.1: 44, but the C = 1e4
# fits above then ended 5e-7 apart)
TRUNCATED_RTOL = 0.1
# dense X with more features than this (binomial) takes the truncated direction too: its
# Hessian-vector products are two BLAS passes, where the sampled Hessian costs O(rows d^2).
# Measured (100k rows, tol 1e-4, 2026-11-30): truncated against sampled 1.00 s / 0.85 s at
# d = 300, 2.8 s / 4.7 s at 1000, 6.2 s / 29.5 s at 2000 (lbfgs, 'auto' there: 0.14, 0.31,
# 0.99 s)
TRUNCATED_MIN_FEATURES = 500
TOL_FRACTION = 0.01
TRUNCATED_MAX_CG = 250


def hessian_sample(objective, max_rows, rng):
    """(rows as float64, their weights s): a fixed random sample of at most max_rows of the
    rows with positive weight (zero-weight rows add nothing to the Hessian), all of them when
    there are few enough (then float64 X is not copied)."""
    own = getattr(objective.data, "hessian_sample", None)
    if own is not None:  # a data kind whose weights stay with its rows (Dask: the workers)
        return own(objective.s, max_rows, rng)
    s = objective.s
    rows = np.flatnonzero(s > 0)
    if rows.size > max_rows:
        rows = np.sort(rng.choice(rows, size=max_rows, replace=False))
    if rows.size == s.shape[0]:
        return objective.data.sample(slice(None)), s
    return objective.data.sample(rows), s[rows]


class SampledHessian:
    """The mean-form Hessian of the binomial objective, estimated from a fixed sample of its
    rows (hessian_sample), as a (d + 1) x (d + 1) matrix. A data kind that offers
    hessian_sums (Dask) keeps the sample where its rows are and adds up each chunk's
    (weight, Hessian) there: only the (d + 1)^2 sums travel, never the rows."""

    def __init__(self, objective, max_rows, rng):
        self.fit_intercept = objective.fit_intercept
        remote = getattr(objective.data, "hessian_sums", None)
        if remote is not None:
            self.sums = remote(objective.s, max_rows, rng, self.fit_intercept)
        else:
            self.X, self.s = hessian_sample(objective, max_rows, rng)
            self.work = np.empty_like(self.X)
            self.weight = float(self.s.sum())
            self.sums = self._sample_sums
        self.d = objective.n_features
        self.l2 = objective.l2 * objective.scale
        self.overflow_error = objective.overflow_error

    def _sample_sums(self, theta):
        """(the sample's weight sum, its sum-form Hessian at theta)."""
        H = hessian_sum(self.X, self.s, theta[:-1], theta[-1], self.fit_intercept, self.work)
        return self.weight, H

    def __call__(self, theta):
        weight, H = self.sums(theta)
        if not np.isfinite(H).all():
            raise self.overflow_error()
        # mean form over the sample: it estimates the mean form over all rows
        H *= 1.0 / weight
        d = self.d
        H[np.arange(d), np.arange(d)] += self.l2  # the intercept is not penalised
        return H


def newton(
    objective, theta0, *, tol=1e-4, max_iter=100, verbose=0, random_state=None, hessian_rows=None
):
    """Minimise the mean-form objective from theta0. Stops when max_j |dJ/dtheta_j| <= tol or
    after max_iter iterations. random_state draws the Hessian's row sample (None: a fixed seed,
    so fits repeat exactly).

    Binomial: the direction solves the sampled (d + 1) x (d + 1) Hessian by Cholesky.
    Multinomial (K outputs): the sampled Hessian has K (d + 1) rows and building it costs
    O(rows (K d)^2) (about 9 GFMA for 16k rows, d = 100, K = 10, against 65 MFMA for one
    Hessian-vector product on the same rows), so the direction comes from conjugate gradients
    on the sample's Hessian-vector products (a truncated Newton step, preconditioned by the
    diagonal), which exploits the Hessian's structure diag(p) - p p^T per row without forming
    it.

    Sparse X, and binomial dense X of more than TRUNCATED_MIN_FEATURES columns: truncated
    Newton, the direction by conjugate gradients on the exact mean-form
    Hessian's products (objective.hessp: one pass over X each, preconditioned by the
    Hessian's diagonal) to a relative residual of min(TRUNCATED_RTOL, max(max|grad|,
    TOL_FRACTION tol / max|grad|)), and once max|grad| <= tol to DECREASE_CG_RTOL (the
    direction then gives the Newton decrement's test);
    random_state and hessian_rows are then unused."""
    wide = objective.n_outputs == 1 and objective.n_features > TRUNCATED_MIN_FEATURES
    if objective.data.is_sparse or wide:
        newton_direction = _truncated_direction(objective, tol)
        return _newton_iterations(objective, theta0, newton_direction, tol, max_iter, verbose)
    if hessian_rows is None:
        hessian_rows = max(HESSIAN_ROWS, ROWS_PER_PARAMETER * objective.n_params)
    rng = np.random.default_rng(0) if random_state is None else random_state
    if objective.n_outputs == 1:
        newton_direction = _cholesky_direction(objective, hessian_rows, rng)
    else:
        newton_direction = _cg_direction(objective, hessian_rows, rng)
    return _newton_iterations(objective, theta0, newton_direction, tol, max_iter, verbose)


def _newton_iterations(objective, theta0, newton_direction, tol, max_iter, verbose):
    """The Newton iteration with line search, newton_direction(theta, grad) giving the step."""
    theta = starting_theta(objective, theta0)
    loss, grad = objective.loss_gradient(theta)
    check_start(loss)
    history = []
    n_iter = 0
    message = ""
    converged = stalled = False
    stall = RoundingStall(objective)
    while True:
        direction = newton_direction(theta, grad)
        slope = float(grad @ direction)
        # converged: the gradient test, and the Newton decrement -g.d / 2 (the decrease one
        # step promises) below DECREMENT_MARGIN tol too, so that a small gradient far out
        # along a flat direction (nearly separable data, a weak penalty) is not the optimum
        if max_abs(grad) <= tol and -0.5 * slope <= DECREMENT_MARGIN * tol:
            converged = True
            break
        if stalled:
            message = rounding_message(grad, tol)
            break
        if n_iter >= max_iter:
            break
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
        # the next direction is computed without this one alive (one d-long vector less at
        # the truncated Newton fit's peak, inside its conjugate gradients)
        direction = None
        n_iter += 1
        history.append(loss)
        report("iteration", n_iter, loss)
        if verbose:
            print_progress("iteration", n_iter, loss, grad, step)
    if not history:
        history.append(loss)
    if not converged and not message:
        message = max_iter_message(max_iter, "iterations", grad, tol, -0.5 * slope)
    return SolverResult(theta, n_iter, converged, history, message)


def _cholesky_direction(objective, hessian_rows, rng):
    hessian = SampledHessian(objective, hessian_rows, rng)
    n_free = objective.n_params if objective.fit_intercept else objective.n_params - 1

    def direction(theta, grad):
        step = np.zeros_like(theta)
        step[:n_free] = -_solve(hessian(theta), grad[:n_free])
        return step

    return direction


def _cg_direction(objective, hessian_rows, rng):
    rows, s = hessian_sample(objective, hessian_rows, rng)
    check_squares(objective, rows)
    sample = rows, s / s.sum()

    def direction(theta, grad):
        hessp, diagonal = objective.sample_hessp(theta, sample)
        rtol = min(CG_RTOL, np.sqrt(max_abs(grad)))
        step = -conjugate_gradient(hessp, grad, diagonal, rtol, CG_MAX_ITER)
        if not float(step @ grad) < 0:  # no curvature along the gradient: a gradient step
            step = -grad / np.where(diagonal > 0, diagonal, 1.0)
        return step

    return direction


def _truncated_direction(objective, tol):
    def direction(theta, grad):
        hessp, diagonal = objective.hessp(theta)
        if not np.isfinite(diagonal).all():  # squares of X that overflow float64
            raise objective.overflow_error()
        g = max_abs(grad)
        # quadratic forcing, loosened near tol: a step that brings max|grad| from g to about
        # rtol g needs no more than rtol = TOL_FRACTION tol / g to land below tol
        rtol = min(TRUNCATED_RTOL, max(g, TOL_FRACTION * tol / g if g > 0 else 0.0))
        if g <= tol:
            # the gradient test has passed: this direction serves the Newton decrement's test
            # (and is the step only if that fails), to newton_decrease's accuracy; solved to
            # max|grad| it had cost the last iteration 24-32 products of the 1M x 2^20 fit
            rtol = DECREASE_CG_RTOL
        step = -conjugate_gradient(hessp, grad, diagonal, rtol, TRUNCATED_MAX_CG)
        if not float(step @ grad) < 0:  # no curvature along the gradient: a gradient step
            step = -grad / np.where(diagonal > 0, diagonal, 1.0)
        return step

    return direction


def check_squares(objective, rows):
    """The objective's rescale ValueError when the sample's squared entries overflow float64
    (as the binomial SampledHessian raises when its Hessian does)."""
    with np.errstate(over="ignore", invalid="ignore"):
        if not np.isfinite(np.einsum("ij,ij->", rows, rows)):
            if not np.isfinite(rows).all():  # NaN or inf in X: the validation's error names it
                objective.data.check_finite()
            raise objective.overflow_error()


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
