"""Stochastic gradient descent: epochs of the per-sample fused kernel, kernels/sgd.py for one
output (binomial), kernels/sgd_multinomial.py for K >= 3 (picked by objective.n_outputs).

The objective is the same mean form as the other solvers', J / sum(s) = mean_i c_i l_i +
alpha ||W||^2 / 2 + alpha_l1 ||W||_1 with c_i = s_i / mean(s), alpha = objective.l2 / sum(s)
and alpha_l1 = objective.l1 / sum(s) (scikit-learn's (1 - l1_ratio) / C and l1_ratio / C). For
partial_fit the sums run over every row seen so far, so after the last chunk the strengths are
the full data set's. The L1 term takes the cumulative-penalty step of Tsuruoka et al. (2009) in
the kernels, which leaves exact zeros in the iterates.

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

With an L1 term the smooth Newton decrement is no measure: the objective has kinks, and for
K >= 3 without an L2 part the smooth Hessian is singular along the classes' common shift (the
decrement of the minimum-norm subgradient came out at 1e10 to 1e17 for models 1e-5 to 6e-3
above the optimum). The check then takes the proximal Newton decrease instead
(`prox_newton.proximal_newton_decrease`: the decrease of the objective, L1 term included, that
one proximal Newton step on the sampled Hessian promises), and the message also gives the
distance of the gradient to the L1 subdifferential. Measured on 24 fits (5k rows of 15
informative and 15 noise columns, or 20k rows of 20 columns with pairwise correlation 0.9 or
0.99 of which 5 informative; K = 2, 3; mean-form L1 strength 0.01, 0.05; 5 and 20 epochs of
'auto'), it was 0.95 to 1.00 times the true gap to a tight proximal Newton fit (gaps 4e-7 to
2e-3). An earlier estimate on the Hessian's diagonal, sum_j dist_j^2 / (2 H_jj), was 0.6 to 12
times the gap there and missed a model 0.35 above the optimum on columns offset by 1000 (the
coefficients' coupling with the intercept).

L1 with averaging ('auto'): the average of iterates that are zero only most of the time has no
exact zeros, so at the end of a fit the coefficients are set to zero that one proximal Newton
step on the Hessian's diagonal would set to zero, |H_jj w_j - g_j| <= the L1 strength (one more
pass over X; partial_fit returns the plain average). On the 32 fits above that found the
optimum's support exactly in 14 of the 16 on independent columns (the other two kept 1 and 3
extra coefficients) and kept extra ones under correlation, at gaps of 2e-7 to 4e-4 on
independent columns (the plain average: 3e-6 to 1e-3, no zeros) and 1e-6 to 1.3e-3 correlated
(the plain average 4e-5 to 1.1e-3); the last iterate was 4e-4 to 7e-3 above it. A decreasing
schedule ('invscaling', 'optimal') keeps the last iterate and needs no such step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._progress import report
from ..data import used_columns
from ..exceptions import DivergenceError
from ..kernels import sgd as K
from ..kernels import sgd_sparse
from ..kernels.sgd_multinomial import sgd_multinomial_epoch
from ._stopping import max_abs, newton_decrease, subdifferential_distance
from .gd import SolverResult
from .prox_newton import proximal_newton_decrease

AUTO_STEP_FRACTION = 0.25
DEFAULT_TOL = 1e-4  # the estimator's default tol: the check's threshold when tol is None
# The zero model's mean-form objective is log 2 (log K for K classes); a running mean loss (or a
# final objective) this many times that (margins of about 70 on the wrong side, on average)
# means the steps diverged, even while every number is still finite. SGDClassifier's 'optimal'
# on unscaled columns, which ends far but finite, reached about 20 times.
BLOWUP_FACTOR = 100.0
ADAPTIVE_DIVISOR = 5.0
ADAPTIVE_MIN_ETA = 1e-6


@dataclass
class SGDProgress:
    """What carries over between fit epochs and partial_fit calls: the kernels' arrays, laid out
    for the objective's n_outputs on the first epoch (until then theta() is the start)."""

    theta0: np.ndarray  # the start, flat, n_outputs (d + 1)
    v: np.ndarray | None = None  # (n_outputs, d): the coefficients are state[SCALE] * v
    b: np.ndarray | None = None  # (n_outputs,) intercepts
    state: np.ndarray | None = None  # kernels.sgd state vector (with q when L1 was used)
    avg: np.ndarray | None = None  # (n_outputs, d) averaged coefficients (when averaging)
    avg_b: np.ndarray | None = None  # (n_outputs,) averaged intercepts
    n_seen: float = 0.0  # rows seen, summed over partial_fit calls
    weight_seen: float = 0.0
    eta0: float | None = None  # current step for 'constant', 'adaptive' and 'auto'
    setting: tuple | None = None  # (learning_rate, eta0) that eta0 came from

    @classmethod
    def start(cls, theta0):
        return cls(np.array(theta0, dtype=np.float64))

    def bind(self, n_outputs, n_features):
        """Lay the start out for n_outputs scores of n_features (once; later calls check)."""
        if self.v is None:
            Theta = self.theta0.reshape(n_outputs, n_features + 1)
            self.v = np.array(Theta[:, :-1], order="C")  # a copy: the kernels write to it
            self.b = Theta[:, -1].copy()
            self.state = np.zeros(K.STATE_SIZE)
            self.state[K.SCALE] = 1.0
            self.avg = np.zeros_like(self.v)
            self.avg_b = np.zeros_like(self.b)
        elif self.v.shape != (n_outputs, n_features):
            raise ValueError(
                f"this SGD run has {self.v.shape[0]} outputs of {self.v.shape[1]} features, "
                f"the data {n_outputs} of {n_features}"
            )

    def track_l1(self):
        """Give the state vector its L1 part (u and q, zero) if it has none yet."""
        size = K.L1_STATE_SIZE + self.v.size
        if self.state.size < size:
            self.state = np.concatenate([self.state, np.zeros(size - self.state.size)])

    def coefficients(self):
        return self.state[K.SCALE] * self.v

    def theta(self, averaged):
        if self.v is None:
            return self.theta0.copy()
        if averaged and self.state[K.N_AVERAGED] > 0:
            W, b = self.avg, self.avg_b
        else:
            W, b = self.coefficients(), self.b
        return np.column_stack([W, b]).ravel()

    def run_epoch(self, data, y, c, order, shuffle, seed, params, n_threads):
        """One epoch of the kernel for the data kind and the layout (binomial for one output,
        else multinomial); returns its summed weighted loss. CSR X runs on one thread."""
        if data.is_chunked:
            return self._run_chunked_epoch(data, y, c, shuffle, seed, params, n_threads)
        if data.is_sparse:
            return self._run_sparse_epoch(data, y, c, order, shuffle, seed, params)
        X = data.X
        if self.v.shape[0] > 1:
            return sgd_multinomial_epoch(
                X, y, c, order, shuffle, seed, self.v, self.b, self.state, self.avg, self.avg_b,
                params, n_threads,
            )  # fmt: skip
        # the binomial kernel keeps its intercept and the average's in the state vector
        self.state[K.INTERCEPT], self.state[K.AVG_INTERCEPT] = self.b[0], self.avg_b[0]
        loss_sum = K.sgd_epoch(
            X, y, c, order, shuffle, seed, self.v[0], self.state, self.avg[0], params, n_threads
        )
        self.b[0], self.avg_b[0] = self.state[K.INTERCEPT], self.state[K.AVG_INTERCEPT]
        return loss_sum

    def _run_chunked_epoch(self, data, y, c, shuffle, seed, params, n_threads):
        """One epoch over chunked data (chunked.py): the chunks in the source's order, each
        one's blocks of rows shuffled within it (shuffling across chunks would read the
        source at random); the step schedule and the average run on across chunks."""
        rng = np.random.default_rng(seed)
        loss_sum = 0.0
        for first, m, chunk in data.chunks():
            n_blocks = (m + K.BLOCK_ROWS - 1) // K.BLOCK_ROWS
            order = rng.permutation(n_blocks) if shuffle else np.arange(n_blocks)
            rows = slice(first, first + m)
            chunk_seed = int(rng.integers(0, 2**62))
            loss_sum += self.run_epoch(
                chunk, y[rows], c[rows], order, shuffle, chunk_seed, params, n_threads
            )
        return loss_sum

    def _run_sparse_epoch(self, data, y, c, order, shuffle, seed, params):
        """kernels/sgd_sparse.py's epochs; the multinomial one takes W (and its average and L1
        account) transposed, (d, K), so they are transposed in and out (O(K d) per epoch)."""
        K_out, d = self.v.shape
        if K_out == 1:
            self.state[K.INTERCEPT], self.state[K.AVG_INTERCEPT] = self.b[0], self.avg_b[0]
            loss_sum = sgd_sparse.sgd_epoch(
                *data.arrays, y, c, order, shuffle, seed, self.v[0], self.state, self.avg[0],
                params,
            )  # fmt: skip
            self.b[0], self.avg_b[0] = self.state[K.INTERCEPT], self.state[K.AVG_INTERCEPT]
            return loss_sum
        has_l1 = self.state.size > K.L1_STATE_SIZE
        q = self.state[K.L1_STATE_SIZE :].reshape(K_out, d if has_l1 else 0)
        V_t, avg_t = np.ascontiguousarray(self.v.T), np.ascontiguousarray(self.avg.T)
        q_t = np.ascontiguousarray(q.T)
        loss_sum = sgd_sparse.sgd_multinomial_epoch(
            *data.arrays, y, c, order, shuffle, seed, V_t, self.b, self.state, avg_t,
            self.avg_b, q_t, params,
        )  # fmt: skip
        self.v[:], self.avg[:] = V_t.T, avg_t.T
        q[:] = q_t.T
        return loss_sum


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
    of the objective and skips it). Returns a SolverResult whose theta is flat, n_outputs
    (d + 1) long, and whose loss_history is the mean-form running objective per epoch (L1 term
    included).

    Of the objective (objective.LogisticObjective) it uses: data (data.py: dense rows, or
    CSR, whose epochs run on one thread: kernels/sgd_sparse.py), y (n,) float64 class codes,
    s (n,) float64, weight_sum, scale (1 / weight_sum), fit_intercept, n_outputs (1: the
    binomial kernel, K >= 3: the multinomial one), l2 and l1 (sum-form strengths),
    mean_sq_norm(), and for the check loss_gradient(theta) (the smooth
    part, mean form), as_matrix(theta) and sample_hessp(theta).

    Raises the objective's overflow ValueError when a row's squared norm overflows float64
    (one pass before the first epoch, which also gives the 'auto' step and the check's scale),
    and DivergenceError when an epoch makes the loss or weights non-finite."""
    data, y, s = objective.data, objective.y, objective.s
    n = data.shape[0]
    progress.bind(objective.n_outputs, data.shape[1])
    progress.n_seen += n
    progress.weight_seen += objective.weight_sum
    mean_weight = progress.weight_seen / progress.n_seen
    c = s / mean_weight
    alpha = objective.l2 / progress.weight_seen
    alpha_l1 = objective.l1 / progress.weight_seen
    if alpha_l1 > 0.0:
        progress.track_l1()
    # the zero model's mean-form objective, log K (K = 2 for one output)
    zero_loss = np.log(max(2, objective.n_outputs))
    # diverged: the objective past BLOWUP_FACTOR times the zero model's plus the penalty of
    # the start (a warm start's large coefficients are no divergence while they shrink)
    W0 = progress.coefficients()
    start_penalty = 0.5 * alpha * float(np.sum(W0 * W0)) + alpha_l1 * float(np.abs(W0).sum())
    del W0
    limit = BLOWUP_FACTOR * (zero_loss + start_penalty)
    averaged = learning_rate == "auto" if average is None else bool(average)
    if not averaged:
        avg_start = np.inf  # the kernel skips the running mean
    elif average is None or average is True:
        avg_start = 0.0
    else:
        avg_start = float(average)  # SGDClassifier: average after this many samples
    if learning_rate == "optimal" and alpha + alpha_l1 == 0.0:
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
        total = alpha + alpha_l1  # SGDClassifier's alpha, its heuristic for t0
        typical_w = np.sqrt(1.0 / np.sqrt(total))
        t0 = 1.0 / (typical_w * total)
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
                alpha_l1,
            ]
        )
        order = rng.permutation(n_blocks) if shuffle else np.arange(n_blocks)
        seed = int(rng.integers(0, 2**62))
        loss_sum = progress.run_epoch(data, y, c, order, bool(shuffle), seed, params, n_threads)
        n_iter += 1
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged w: checked next
            # ||W||^2 = scale^2 v.v by BLAS, no K d temporaries (on 50 rows of 2^22 columns
            # forming W and W * W took a third of the epoch); v.v is NaN or inf when v is
            scale, v = float(progress.state[K.SCALE]), progress.v.ravel()
            squares = scale * scale * float(v @ v)
            epoch_loss = loss_sum / n + 0.5 * alpha * squares
            if alpha_l1 > 0.0:
                epoch_loss += alpha_l1 * abs(scale) * float(np.abs(v).sum())
        diverged = not epoch_loss <= limit  # NaN too
        if diverged or not np.isfinite(squares):
            data.check_finite()  # NaN or inf in X: say so, rather than "diverged"
            raise _divergence_error(
                f"in epoch {n_iter}", epoch_loss, limit, learning_rate, progress
            )
        history.append(epoch_loss)
        report("epoch", n_iter, epoch_loss)
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
        checked, theta_c, extend = _on_stored_columns(objective, theta)
        l1m = checked.l1 * checked.scale  # the mean-form L1 strength
        loss, grad = checked.loss_gradient(theta_c)
        if not loss + l1m * _l1_norm(checked, theta_c) <= limit:
            loss += l1m * _l1_norm(checked, theta_c)
            raise _divergence_error("by its last epoch", loss, limit, learning_rate, progress)
        if averaged and l1m > 0.0:
            theta_c, changed = _zeros_of_the_average(checked, theta_c, grad)
            if changed:
                loss, grad = checked.loss_gradient(theta_c)
                theta = extend(theta_c)
        loss += l1m * _l1_norm(checked, theta_c)
        far = _distance_message(checked, theta_c, loss, grad, DEFAULT_TOL if tol is None else tol)
        message = f"{message}; {far}" if message and far else far
        if far:
            message += f". {_far_hint(learning_rate, stopped, objective.l1 > 0.0)}"
    elif message:
        message += ". Increase max_iter or loosen tol"
    return SolverResult(theta, n_iter, not message, history, message)


def _divergence_error(when, loss, limit, learning_rate, progress):
    eta = "" if learning_rate in ("auto", "optimal") else f", eta0={progress.eta0:.3g}"
    return DivergenceError(
        f"SGD diverged {when}: mean-form objective {loss:.3g}, past {limit:.3g} ("
        f"{BLOWUP_FACTOR:g} times the zero model's log K plus the start's penalty; "
        f"learning_rate={learning_rate!r}{eta}). {_divergence_hint(learning_rate)}"
    )


def _l1_norm(objective, theta):
    return float(np.abs(objective.as_matrix(theta)[:, :-1]).sum())


def _zeros_of_the_average(objective, theta, grad):
    """theta (an average of SGD iterates, where grad is the smooth part's gradient) with the
    coefficients set to 0 that one proximal Newton step on the diagonal of the sampled Hessian
    H would set to 0: those with |H_jj w_j - g_j| <= l1m (mean-form L1 strength). Each such
    move alone lowers the quadratic model of the objective by at least H_jj w_j^2 / 2. The
    average of iterates that are exact zeros only most of the time is not: see the module
    docstring for what this gains. Returns (theta, whether any coefficient changed)."""
    diagonal = objective.sample_hessp(theta)[1]
    Theta = objective.as_matrix(theta).copy()
    W, G, H = Theta[:, :-1], objective.as_matrix(grad)[:, :-1], objective.as_matrix(diagonal)
    zero = (np.abs(H[:, :-1] * W - G) <= objective.l1 * objective.scale) & (W != 0.0)
    W[zero] = 0.0
    return Theta.ravel(), bool(zero.any())


def _distance_message(objective, theta, loss, grad, threshold):
    """The check of the module docstring: a message when one Newton step from theta (where the
    mean-form objective is loss, its gradient grad) would lower the objective by more than
    threshold, else ''. With an L1 term (loss includes it) the step is a proximal Newton step
    (prox_newton.proximal_newton_decrease), and the message gives the gradient's distance to
    the L1 subdifferential instead of max|grad|."""
    if objective.l1 > 0.0:
        decrease = proximal_newton_decrease(objective, theta, grad)
        step = "one proximal Newton step"
        distance = max_abs(subdifferential_distance(objective, theta, grad))
        detail = (
            f"the smooth part's gradient is up to {distance:.3g} away from the L1 subdifferential"
        )
    else:
        decrease = newton_decrease(objective, theta, grad)
        step = "one Newton step"
        detail = f"max|grad| = {max_abs(grad):.3g}"
    if not decrease > threshold:
        return ""
    return (
        f"the model is far from the optimum: {step} would lower its mean-form objective "
        f"{loss:.4g} by about {decrease:.3g} ({100 * decrease / loss:.3g}% of it; the quadratic "
        f"model's estimate), more than tol = {threshold:.3g} ({detail}, 0 at the optimum)"
    )


def _on_stored_columns(objective, theta):
    """(objective, theta, extend) for the end check, on the columns some row of sparse X
    stores (data.UsedColumns) when theta is 0 on the others: their gradient is then 0 too
    (the penalty's alone), they are optimal and add nothing to the decrease, and the check's
    pass, conjugate gradients and row sample no longer hold K d-long vectors (hashed text
    with 5 classes at d = 2^22: a one-epoch fit of 2,000 rows had taken 3.1 s and a peak of
    2.9 GB, nearly all of it this check). extend(theta') maps a theta of the returned
    objective back to every column. Else the arguments as they are, extend the identity."""
    subset = used_columns(objective.data.X, objective.n_outputs)  # None for dense X
    if subset is None:
        return objective, theta, lambda t: t
    n_outputs = objective.n_outputs
    unstored = np.ones(objective.n_features + 1, dtype=bool)
    unstored[subset.columns] = False
    unstored[-1] = False  # the intercept
    if np.any(objective.as_matrix(theta)[:, unstored]):
        return objective, theta, lambda t: t
    return (
        objective.on_columns(subset.X),
        subset.restrict(theta, n_outputs),
        lambda t: subset.extend(t, n_outputs, None),
    )


def _far_hint(learning_rate, stopped, l1=False):
    """What to change when SGD ends far from the optimum; never the setting already in use.
    stopped: SGD's own rule ended the epochs (more of them would not have run); l1: the
    objective has an L1 term (only newton's proximal variant solves it exactly)."""
    exact = "solver='newton'" if l1 else "solver='newton' or 'lbfgs'"
    hint = f"Use {exact} for the exact optimum, or " + (
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
