"""Stochastic gradient descent: epochs of the per-sample fused kernel (kernels/sgd.py).

The objective is the same mean form as the other solvers', J / sum(s) = mean_i c_i l_i +
alpha ||w||^2 / 2 with c_i = s_i / mean(s) and alpha = 1 / (C sum(s)). For partial_fit the sums
run over every row seen so far, so after the last chunk alpha is the full data set's.

Schedules (learning_rate), as SGDClassifier defines them: 'constant' (eta0), 'optimal'
(1 / (alpha (t0 + t))), 'invscaling' (eta0 / t^power_t), 'adaptive' (eta0, divided by 5 after
n_iter_no_change epochs without improvement). 'auto', the default, is a constant step from the
data's own scale, eta = 1 / (4 mean_i c_i ||x~_i||^2) (a quarter of the step at which a single
sample's update can overshoot), with the iterates averaged: SGDClassifier's defaults diverge on
unscaled columns (objective 14.8 against an optimum of 0.579 on the issue-3 problem), while
this step adapts to the columns' scale and the averaging removes the noise that a constant step
leaves (measured: relative gap 1.8e-4 after one epoch, 8e-5 after five on that problem). Under
'auto' the penalty takes its proximal step (kernels/sgd.py), so a strong penalty (eta alpha >= 1,
C down to 1e-8) neither needs a smaller step nor slows the unpenalised intercept.

The check at the end of a fit (one pass over X, and the row sample): SGD reports the model as
not converged when one Newton step from it would lower the mean-form objective by more than tol
(the loss change SGD's own stopping rule treats as no improvement; DEFAULT_TOL when tol is None),
estimated by `_stopping.newton_decrease`. The gradient norm alone could not tell: on the
standardised breast-cancer data a default fit stopped 6% above the optimum with max|grad| =
3e-3, where a 200k x 100 fit 7e-5 above it had the same max|grad|.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _validation as V
from ..exceptions import DivergenceError
from ..kernels import sgd as K
from ._stopping import max_abs, newton_decrease
from .gd import SolverResult

AUTO_STEP_FRACTION = 0.25
DEFAULT_TOL = 1e-4  # the estimator's default tol: the check's threshold when tol is None
# The zero model's mean-form objective is log 2; a running mean loss (or a final objective) this
# many times that (margins of about 70 on the wrong side, on average) means the steps diverged,
# even while every number is still finite. SGDClassifier's 'optimal' on unscaled columns, which
# ends far but finite, reached about 20 times.
BLOWUP_FACTOR = 100.0
ADAPTIVE_DIVISOR = 5.0
ADAPTIVE_MIN_ETA = 1e-6


@dataclass
class SGDProgress:
    """What carries over between fit epochs and partial_fit calls."""

    v: np.ndarray  # w = state[SCALE] * v
    state: np.ndarray  # kernels.sgd state vector
    avg: np.ndarray  # averaged w (when averaging)
    n_seen: float = 0.0  # rows seen, summed over partial_fit calls
    weight_seen: float = 0.0
    eta0: float | None = None  # current step for 'constant', 'adaptive' and 'auto'
    setting: tuple | None = None  # (learning_rate, eta0) that eta0 came from

    @classmethod
    def start(cls, theta0):
        state = np.zeros(K.STATE_SIZE)
        state[K.SCALE] = 1.0
        state[K.INTERCEPT] = theta0[-1]
        return cls(np.array(theta0[:-1], dtype=np.float64), state, np.zeros(theta0.size - 1))

    def theta(self, averaged):
        if averaged and self.state[K.N_AVERAGED] > 0:
            return np.append(self.avg, self.state[K.AVG_INTERCEPT])
        return np.append(self.state[K.SCALE] * self.v, self.state[K.INTERCEPT])


def sgd(
    objective,
    *,
    progress,
    learning_rate="auto",
    eta0=None,
    power_t=0.5,
    average=None,
    tol=1e-4,
    n_iter_no_change=5,
    max_iter=100,
    shuffle=True,
    rng,
    n_threads=1,
    verbose=0,
    check=True,
):
    """Run up to max_iter epochs over the objective's (X, y, s), continuing from `progress`
    (updated in place). Stops early, like SGDClassifier, when the epoch's mean loss has not
    fallen below the best one minus tol for n_iter_no_change epochs in a row (tol=None: never).
    check: end with the gradient check of the module docstring (fit; partial_fit sees one chunk
    of the objective and skips it). Returns a SolverResult whose loss_history is the
    mean-form running loss per epoch.

    Raises the objective's overflow ValueError when a row's squared norm overflows float64
    (one pass before the first epoch, which also gives the 'auto' step and the check's scale),
    and DivergenceError when an epoch makes the loss or weights non-finite."""
    X, y, s = objective.X, objective.y, objective.s
    n = X.shape[0]
    progress.n_seen += n
    progress.weight_seen += objective.weight_sum
    mean_weight = progress.weight_seen / progress.n_seen
    c = s / mean_weight
    alpha = objective.l2 / progress.weight_seen
    averaged = learning_rate == "auto" if average is None else bool(average)
    if not averaged:
        avg_start = np.inf  # the kernel skips the running mean
    elif average is None or average is True:
        avg_start = 0.0
    else:
        avg_start = float(average)  # SGDClassifier: average after this many samples
    if learning_rate == "optimal" and alpha == 0.0:
        raise ValueError(
            "learning_rate='optimal' derives its step from the penalty and needs a finite C; "
            "use learning_rate='auto' or 'constant' with C=np.inf"
        )
    objective.mean_sq_norm()  # a row that overflows: the rescale error before any epoch
    if progress.setting != (learning_rate, eta0):  # a changed setting takes effect (partial_fit)
        progress.eta0, progress.setting = None, (learning_rate, eta0)
    if progress.eta0 is None:
        if learning_rate == "auto":
            mean_sq = objective.mean_sq_norm() * objective.weight_sum / (n * mean_weight)
            progress.eta0 = AUTO_STEP_FRACTION / mean_sq if mean_sq > 0 else 1.0
        else:
            progress.eta0 = 0.01 if eta0 is None else float(eta0)
    schedule = {"optimal": K.OPTIMAL, "invscaling": K.INVSCALING}.get(learning_rate, K.CONSTANT)
    t0 = 0.0
    if learning_rate == "optimal":
        typical_w = np.sqrt(1.0 / np.sqrt(alpha))  # SGDClassifier's heuristic for t0
        t0 = 1.0 / (typical_w * alpha)
    implicit_penalty = float(learning_rate == "auto")
    n_blocks = (n + K.BLOCK_ROWS - 1) // K.BLOCK_ROWS

    history = []
    best = np.inf
    no_improvement = 0
    stopped = False
    n_iter = 0
    while n_iter < max_iter:
        params = np.array(
            [
                schedule,
                progress.eta0,
                alpha,
                power_t,
                t0,
                avg_start,
                float(objective.fit_intercept),
                implicit_penalty,
            ]
        )
        order = rng.permutation(n_blocks) if shuffle else np.arange(n_blocks)
        seed = int(rng.integers(0, 2**62))
        loss_sum = K.sgd_epoch(
            X,
            y,
            c,
            order,
            bool(shuffle),
            seed,
            progress.v,
            progress.state,
            progress.avg,
            params,
            n_threads,
        )
        n_iter += 1
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged w: checked next
            w = progress.state[K.SCALE] * progress.v
            epoch_loss = loss_sum / n + 0.5 * alpha * float(w @ w)
        diverged = not epoch_loss <= BLOWUP_FACTOR * np.log(2.0)  # NaN too
        if diverged or not np.isfinite(progress.v).all():
            V.check_finite_matrix(X)  # NaN or inf in X: say so, rather than "diverged"
            raise _divergence_error(f"in epoch {n_iter}", epoch_loss, learning_rate, progress)
        history.append(epoch_loss)
        if verbose:
            print(f"epoch {n_iter:4d}  mean loss {epoch_loss:.10g}  eta0 {progress.eta0:.3g}")
        if tol is not None:
            no_improvement = no_improvement + 1 if epoch_loss > best - tol else 0
            best = min(best, epoch_loss)
            if no_improvement >= n_iter_no_change:
                if learning_rate == "adaptive" and progress.eta0 > ADAPTIVE_MIN_ETA:
                    progress.eta0 /= ADAPTIVE_DIVISOR
                    no_improvement = 0
                else:
                    stopped = True
                    break
    theta = progress.theta(averaged)
    message = ""
    if tol is not None and not stopped:
        message = f"reached max_iter={max_iter} epochs before the loss stopped improving by tol"
    if check:  # the distance to the optimum decides, whichever rule stopped the epochs
        loss, grad = objective.loss_gradient(theta)
        if not loss <= BLOWUP_FACTOR * np.log(2.0):
            raise _divergence_error("by its last epoch", loss, learning_rate, progress)
        far = _distance_message(objective, theta, loss, grad, DEFAULT_TOL if tol is None else tol)
        message = f"{message}; {far}" if message and far else far
        if far:
            message += f". {_far_hint(learning_rate, stopped)}"
    elif message:
        message += ". Increase max_iter or loosen tol"
    return SolverResult(theta, n_iter, not message, history, message)


def _divergence_error(when, loss, learning_rate, progress):
    eta = "" if learning_rate in ("auto", "optimal") else f", eta0={progress.eta0:.3g}"
    return DivergenceError(
        f"SGD diverged {when}: mean-form objective {loss:.3g}, against log 2 = 0.693 for the "
        f"zero model (learning_rate={learning_rate!r}{eta}). {_divergence_hint(learning_rate)}"
    )


def _distance_message(objective, theta, loss, grad, threshold):
    """The check of the module docstring: a message when one Newton step from theta (where the
    mean-form objective is loss, its gradient grad) would lower the objective by more than
    threshold, else ''."""
    decrease = newton_decrease(objective, theta, grad)
    if not decrease > threshold:
        return ""
    return (
        f"the model is far from the optimum: one Newton step would lower its mean-form "
        f"objective {loss:.4g} by about {decrease:.3g} ({100 * decrease / loss:.3g}% of it; the "
        f"quadratic model's estimate), more than tol = {threshold:.3g} (max|grad| = "
        f"{max_abs(grad):.3g})"
    )


def _far_hint(learning_rate, stopped):
    """What to change when SGD ends far from the optimum; never the setting already in use.
    stopped: SGD's own rule ended the epochs (more of them would not have run)."""
    hint = "Use solver='newton' or 'lbfgs' for the exact optimum, or " + (
        "a smaller tol or a larger n_iter_no_change (SGD's own rule stopped it)"
        if stopped
        else "more epochs (max_iter)"
    )
    if learning_rate not in ("auto", "optimal"):
        hint += ", or a smaller step (eta0, or a smaller float learning_rate)"
    if learning_rate != "auto":
        hint += ", or learning_rate='auto' (a step from the data's scale, with averaging)"
    return hint


def _divergence_hint(learning_rate):
    """What to change after SGD diverged; never the setting already in use."""
    hints = []
    if learning_rate not in ("auto", "optimal"):
        hints.append("a smaller step (eta0, or a smaller float learning_rate)")
    if learning_rate != "auto":
        hints.append("learning_rate='auto'")
    hints.append("standardised columns of X (e.g. sklearn.preprocessing.StandardScaler)")
    return "Try " + ", or ".join(hints) + "."
