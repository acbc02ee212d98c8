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
leaves (measured: relative gap 1.8e-4 after one epoch, 8e-5 after five on that problem).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _validation as V
from ..kernels import sgd as K
from .gd import SolverResult

AUTO_STEP_FRACTION = 0.25
SCALE_SAMPLE_ROWS = 16_384  # about this many rows estimate mean ||x||^2
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


def auto_step(X, c, fit_intercept):
    """AUTO_STEP_FRACTION / mean_i c_i ||x~_i||^2, the mean over every k-th row (a strided
    view, no copy: a random sample of rows measured 14 ms on 1M x 100, mostly the gather)."""
    stride = max(1, X.shape[0] // SCALE_SAMPLE_ROWS)
    sample, weights = X[::stride], c[::stride]
    sq = np.einsum("ij,ij->i", sample, sample, dtype=np.float64) + float(fit_intercept)
    mean_sq = float(np.mean(weights * sq))
    return AUTO_STEP_FRACTION / mean_sq if mean_sq > 0 else 1.0


def sgd(
    X,
    y,
    s,
    *,
    C,
    fit_intercept,
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
):
    """Run up to max_iter epochs over (X, y, s), continuing from `progress` (updated in place).
    Stops early, like SGDClassifier, when the epoch's mean loss has not fallen below the best
    one minus tol for n_iter_no_change epochs in a row (tol=None: never). Returns a
    SolverResult whose loss_history is the mean-form objective per epoch."""
    n = X.shape[0]
    progress.n_seen += n
    progress.weight_seen += float(s.sum())
    mean_weight = progress.weight_seen / progress.n_seen
    c = s / mean_weight
    alpha = 0.0 if np.isinf(C) else 1.0 / (C * progress.weight_seen)
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
    if progress.eta0 is None:
        if learning_rate == "auto":
            progress.eta0 = auto_step(X, c, fit_intercept)
        else:
            progress.eta0 = 0.01 if eta0 is None else float(eta0)
    schedule = {"optimal": K.OPTIMAL, "invscaling": K.INVSCALING}.get(learning_rate, K.CONSTANT)
    t0 = 0.0
    if learning_rate == "optimal":
        typical_w = np.sqrt(1.0 / np.sqrt(alpha))  # SGDClassifier's heuristic for t0
        t0 = 1.0 / (typical_w * alpha)
    n_blocks = (n + K.BLOCK_ROWS - 1) // K.BLOCK_ROWS

    history = []
    best = np.inf
    no_improvement = 0
    converged = False
    n_iter = 0
    while n_iter < max_iter:
        params = np.array(
            [schedule, progress.eta0, alpha, power_t, t0, avg_start, float(fit_intercept)]
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
        w = progress.state[K.SCALE] * progress.v
        epoch_loss = loss_sum / n + 0.5 * alpha * float(w @ w)
        if not np.isfinite(epoch_loss) or not np.isfinite(progress.v).all():
            V.check_finite_matrix(X)  # NaN or inf in X: say so, rather than "diverged"
            raise FloatingPointError(
                f"SGD diverged in epoch {n_iter} (learning_rate={learning_rate!r}, "
                f"eta0={progress.eta0:.3g}). Use a smaller eta0, learning_rate='auto', or "
                "standardise the columns of X (e.g. sklearn.preprocessing.StandardScaler)."
            )
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
                    converged = True
                    break
    message = (
        ""
        if converged or tol is None
        else (f"reached max_iter={max_iter} epochs before the loss stopped improving by tol")
    )
    return SolverResult(
        progress.theta(averaged), n_iter, converged or tol is None, history, message
    )
