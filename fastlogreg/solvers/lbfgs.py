"""L-BFGS on the fused loss-and-gradient pass: one read of X per evaluation (scikit-learn's lbfgs
path reads X twice per evaluation).

The method is the textbook one (Nocedal and Wright, Numerical Optimization, 2nd ed.: the
two-loop recursion, Algorithm 7.4, with MEMORY pairs and the initial scaling of eq. 7.20), with
a Wolfe line search (`_line_search.wolfe_search`) whose approximate Wolfe test lets it keep
converging where the objective is flat to rounding: scipy's L-BFGS-B judges steps by objective
values only, and stopped there ("ABNORMAL") with the gradient still above tol.

It runs in preconditioned coordinates u = (v, c): w_j = v_j / r_j and b = c - sum_j m_j w_j, so
that the score is sum_j v_j (x_j - m_j) / r_j + c. `preconditioner` picks m_j (the column's
mean, where centring is numerically safe) and r_j so that the diagonal of the mean-form Hessian
in u, data term plus penalty, is about that of the intercept (glum standardises its columns for
the same reason; the penalty term keeps strong penalties on small columns well conditioned). The
objective, its penalty and the stopping test stay those of (w, b): only the path changes.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg.blas import daxpy as axpy

from .._progress import report
from ..data import column_moments
from ._line_search import wolfe_search
from ._stopping import (
    RoundingStall,
    check_start,
    gradient_converged,
    max_iter_message,
    rounding_message,
    starting_theta,
    stopped_message,
)
from .gd import SolverResult, print_progress

MEMORY = 10  # (s, y) pairs kept, scipy's default
# Centring column j turns its gradient into (dJ/dw_j - m_j dJ/db) / r_j, which loses about
# log10(|m_j| / spread_j) digits to cancellation. A column whose spread is below this fraction
# of its mean (a constant column's spread is rounding residue, ~1e-16 |m_j|) is left uncentred.
MIN_RELATIVE_SPREAD = 1e-8
INTERCEPT_CURVATURE = 0.25  # a(1 - a) <= 1/4: the data term's curvature per unit second moment


def preconditioner(objective):
    """(centres m, scales r), each of length d, from the objective's row sample, weighted by s.

    r_j^2 = E_s[(x_j - m_j)^2] + l2 / (INTERCEPT_CURVATURE sum(s)): the diagonal of the
    mean-form Hessian for w_j, data term (at most 1/4 of the second moment) plus penalty,
    divided by the intercept's 1/4. m_j is the weighted mean when the intercept is fitted and
    the column's spread exceeds MIN_RELATIVE_SPREAD |mean|, else 0 (nothing else can absorb a
    shift, or centring would cost more digits than it gains). A column with r_j = 0 (all zero,
    no penalty) keeps r_j = 1. A sampled square that overflows float64 raises the objective's
    rescale ValueError, as newton's Hessian and gd's curvature bound do."""
    sample, weights = objective.row_sample()
    with np.errstate(over="ignore", invalid="ignore"):  # squares of huge entries: checked below
        means, centred, raw = column_moments(sample, weights)
        spreads = np.sqrt(np.maximum(centred, 0.0))
        centre = objective.fit_intercept & (spreads > MIN_RELATIVE_SPREAD * np.abs(means))
        centres = np.where(centre, means, 0.0)
        second_moments = np.where(centre, spreads**2, raw)
        scales = np.sqrt(second_moments + objective.l2 * objective.scale / INTERCEPT_CURVATURE)
    if not np.isfinite(scales).all():
        raise objective.overflow_error()
    scales[~(scales > 0)] = 1.0
    return centres, scales


class Preconditioned:
    """The change of variables theta = (w, b) <-> u = (v, c) and the gradient's chain rule,
    applied to each output's row of the (n_outputs, d + 1) parameter layout alike."""

    def __init__(self, centres, scales):
        self.centres, self.scales = centres, scales

    def _rows(self, vector):
        return vector.reshape(-1, self.scales.shape[0] + 1)

    def to_theta(self, u):
        U = self._rows(u)
        W = U[:, :-1] / self.scales
        return np.column_stack([W, U[:, -1] - W @ self.centres]).ravel()

    def to_u(self, theta):
        Theta = self._rows(theta)
        W = Theta[:, :-1]
        return np.column_stack([W * self.scales, Theta[:, -1] + W @ self.centres]).ravel()

    def gradient_u(self, grad):
        """dJ/du from dJ/dtheta."""
        G = self._rows(grad)
        grad_u = np.empty_like(G)
        grad_u[:, :-1] = (G[:, :-1] - np.outer(G[:, -1], self.centres)) / self.scales
        grad_u[:, -1] = G[:, -1]
        return grad_u.ravel()


def lbfgs(objective, theta0, *, tol=1e-4, max_iter=100, verbose=0):
    """Minimise the mean-form objective from theta0 with scikit-learn's lbfgs stopping rule:
    stop when max_j |dJ/dtheta_j| <= tol (the gradient in (w, b), not in the preconditioned
    coordinates), after max_iter iterations, or when the line search finds no step that lowers
    J (each iteration evaluates J at most MAX_EVALUATIONS times, so max_iter also bounds the
    passes over X). Only the gradient test counts as converged. loss_history holds J after
    every iteration."""
    theta = starting_theta(objective, theta0)
    loss, grad = objective.loss_gradient(theta)  # first: it names NaN or inf in X
    check_start(loss)
    if gradient_converged(objective, theta, grad, tol)[0]:  # at the start: no iteration
        return SolverResult(theta, 0, True, [loss], "")
    decrement = None
    coordinates = Preconditioned(*preconditioner(objective))
    u = coordinates.to_u(theta)
    grad_u = coordinates.gradient_u(grad)

    def evaluate(t):
        trial = u + t * direction
        theta = coordinates.to_theta(trial)
        new_loss, new_grad = objective.loss_gradient(theta)
        new_grad_u = coordinates.gradient_u(new_grad)
        return new_loss, float(new_grad_u @ direction), (trial, theta, new_grad, new_grad_u)

    pairs = []  # (s, y, 1 / y.s), oldest first
    history = []
    stall = RoundingStall(objective)
    message = ""
    converged = False
    while len(history) < max_iter:
        direction = -_two_loop(grad_u, pairs)
        slope = float(grad_u @ direction)
        if not slope < 0:  # rounding broke the descent property: restart from the gradient
            pairs.clear()
            direction = -grad_u
            slope = -float(grad_u @ grad_u)
        # without pairs, the Newton step for the preconditioned Hessian's diagonal, which is
        # at most about INTERCEPT_CURVATURE
        first = 1.0 if pairs else 1.0 / INTERCEPT_CURVATURE
        t, new_loss, _, found = wolfe_search(evaluate, loss, slope, first)
        if found is None:
            message = stopped_message(objective, theta, grad, tol)
            break
        new_u, theta, grad, new_grad_u = found
        step, change = new_u - u, new_grad_u - grad_u
        curvature = float(step @ change)
        if curvature > np.finfo(float).eps * float(change @ change):  # keep H positive definite
            pairs.append((step, change, 1.0 / curvature))
            if len(pairs) > MEMORY:
                pairs.pop(0)
        stalled = stall.update(loss, new_loss, theta, grad)
        u, loss, grad_u = new_u, new_loss, new_grad_u
        history.append(loss)
        report("iteration", len(history), loss)
        if verbose:
            print_progress("iteration", len(history), loss, grad, t)
        converged, decrement = gradient_converged(objective, theta, grad, tol)
        if converged or stalled:
            message = "" if converged else rounding_message(grad, tol)
            break
    if not history:
        history.append(loss)
    if not converged and not message:
        message = max_iter_message(max_iter, "iterations", grad, tol, decrement)
    if not objective.fit_intercept:
        theta = theta.copy()
        objective.as_matrix(theta)[:, -1] = 0.0
    return SolverResult(theta, len(history), converged, history, message)


def _two_loop(grad, pairs):
    """H grad for the L-BFGS inverse-Hessian approximation H of the stored pairs, with
    H0 = (s.y / y.y) I from the newest pair (Nocedal and Wright, Algorithm 7.4)."""
    q = grad.copy()
    alphas = []
    for s, y, rho in reversed(pairs):
        a = rho * float(s @ q)
        q = axpy(y, q, a=-a)  # in place, no temporary: the pairs are K (d + 1) long
        alphas.append(a)
    if pairs:
        s, y, rho = pairs[-1]
        yy = float(y @ y)
        if yy > 0:  # 0 only when y's squares underflow
            q *= 1.0 / (rho * yy)
    for (s, y, rho), a in zip(pairs, reversed(alphas), strict=True):
        q = axpy(s, q, a=a - rho * float(y @ q))
    return q
