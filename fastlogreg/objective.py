"""The objective on one data set: J(w, b) = sum_i s_i l(y_i, w.x_i + b) + ||w||^2 / (2C).

Solvers see the mean form J / sum(s) (better conditioned, independent of n); the conversion
between the two forms lives here and nowhere else. theta = (w_1..w_d, b) is one float64 vector.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit

from . import _validation as V
from .kernels import dense

# Statistics of the rows (a preconditioner, a Hessian estimate) come from a strided sample of
# about this many rows, at most this many bytes as float64: they need no more precision than that
SAMPLE_ROWS = 16_384
SAMPLE_BYTES = 16 * 2**20
EPS = np.finfo(np.float64).eps

# Below this many entries in X a pass takes less time than waking the thread pool, so the serial
# build of each kernel runs instead (same blocks and reduction order, hence the same result).
SERIAL_BELOW = 1 << 16


def to_sum_form(mean_values, weight_sum):
    """Mean-form values (J / sum(s)) back in the sum form J, for the fitted loss_history_."""
    return np.asarray(mean_values, dtype=np.float64) * weight_sum


class LogisticObjective:
    """Data (already validated: X C-contiguous float32/float64, y in {0, 1} float64, s float64)
    plus penalty, evaluated with the fused kernels on `n_blocks` row blocks.

    X need not have been checked for NaN and inf: any such entry makes the first pass's result
    non-finite (0 * NaN and 0 * inf are NaN, and the fastmath flags keep that), and the first
    pass then names the entry with the ValueError of the validation, so the check costs no
    extra read of X on valid data."""

    def __init__(self, X, y, s, C=1.0, fit_intercept=True, n_blocks=1):
        self.X, self.y, self.s = X, y, s
        self.fit_intercept = bool(fit_intercept)
        self.l2 = 0.0 if math.isinf(C) else 1.0 / C
        self.n_blocks = int(n_blocks)
        self.weight_sum = float(s.sum())
        # the mean form divides by the sum: a subnormal sum (1e-320) would make that infinite
        if not (np.isfinite(self.weight_sum) and self.weight_sum >= np.finfo(np.float64).tiny):
            raise ValueError(
                f"the weights sum to {self.weight_sum}; they need a finite sum of at least "
                "2.2e-308 (rescale sample_weight or class_weight)"
            )
        self.scale = 1.0 / self.weight_sum  # sum form -> mean form
        self.n_params = X.shape[1] + 1
        serial = X.size < SERIAL_BELOW
        self._loss_gradient = dense.loss_gradient_serial if serial else dense.loss_gradient
        self._gd_epoch = dense.gd_epoch_serial if serial else dense.gd_epoch
        self._x_checked = False
        self._sample = None
        self._mean_sq_norm = None

    def _check_x_once(self, *results):
        """After the first pass over X: if its results are not finite, look for NaN or inf in X
        and raise the validation's error naming it (finite X can still overflow; the solver
        handles that)."""
        if not self._x_checked:
            if not all(np.isfinite(r).all() for r in results):
                V.check_finite_matrix(self.X)
            self._x_checked = True

    def row_sample(self):
        """(rows, weights): every k-th row of X as float64 (a copy of at most SAMPLE_BYTES) and
        its weights s, normalised to sum to 1 (equal weights if those rows all weigh 0)."""
        if self._sample is None:
            X = self.X
            rows = max(256, min(SAMPLE_ROWS, SAMPLE_BYTES // (8 * X.shape[1])))
            stride = max(1, X.shape[0] // rows)
            sample = np.asarray(X[::stride], dtype=np.float64)
            weights = self.s[::stride]
            if not weights.sum() > 0:
                weights = np.ones(sample.shape[0])
            self._sample = sample, weights / weights.sum()
        return self._sample

    def sample_hessp(self, theta):
        """(hessp, diagonal) of the mean-form Hessian at theta estimated on row_sample():
        hessp(v) = H v for v of length d + 1 and diagonal = diag(H), with
        H = sum_i q_i a_i (1 - a_i) x~_i x~_i^T + l2 / sum(s) (not on the intercept), q the
        sample's normalised weights. Without a fitted intercept its row and column are the
        identity's, so the intercept stays where it is."""
        rows, weights = self.row_sample()
        z = rows @ theta[:-1] + theta[-1]
        h = weights * expit(z) * expit(-z)  # a (1 - a) without cancellation
        l2 = self.l2 * self.scale
        fit_intercept = self.fit_intercept

        def hessp(v):
            t = h * (rows @ v[:-1] + (v[-1] if fit_intercept else 0.0))
            return np.append(rows.T @ t + l2 * v[:-1], t.sum() if fit_intercept else v[-1])

        diagonal = np.append(h @ rows**2 + l2, h.sum() if fit_intercept else 1.0)
        return hessp, diagonal

    def gradient_rounding_level(self, theta, grad):
        """About how much of max_j |dJ/dtheta_j| at theta (mean form; grad is the gradient
        there) is float64 rounding: the change of the gradient when theta moves by two units in
        its last place, where the true change is negligible and the rounding of every score and
        sum comes out differently. Measured against the exact gradient (long double sums) on
        raw and shifted breast-cancer columns and synthetic data, this was 0.3 to 10 times the
        true rounding error. One read of X."""
        moved = self.loss_gradient(theta * (1.0 + 2.0 * EPS))[1]
        return float(np.max(np.abs(moved - grad)))

    def to_sum(self, value):
        return to_sum_form(value, self.weight_sum)

    def loss_gradient(self, theta):
        """Mean-form objective and its gradient (length d + 1; the last entry is the
        intercept's, zero when the intercept is not fitted). One read of X."""
        w, b = theta[:-1], theta[-1]
        grad = np.empty(self.n_params)
        loss = self._loss_gradient(self.X, self.y, self.s, w, b, self.n_blocks, grad)
        self._check_x_once(loss, grad)
        loss = dense.add_l2_penalty(loss, grad, w, self.l2)  # the kernels' own penalty code
        if not self.fit_intercept:
            grad[-1] = 0.0
        return loss * self.scale, grad * self.scale

    def loss(self, theta):
        return self.loss_gradient(theta)[0]

    def gd_epoch(self, theta, step):
        """Mean-form J and gradient at theta and the gradient step theta - step * grad, in one
        read of X (the fused kernel). Returns (J, grad, theta_next)."""
        w, b = theta[:-1], theta[-1]
        grad = np.empty(self.n_params)
        theta_next = np.empty(self.n_params)
        loss, b_next = self._gd_epoch(
            self.X,
            self.y,
            self.s,
            w,
            b,
            self.l2,
            step * self.scale,
            self.fit_intercept,
            self.n_blocks,
            grad,
            theta_next[:-1],
        )
        self._check_x_once(loss, grad)
        theta_next[-1] = b_next
        return loss * self.scale, grad * self.scale, theta_next

    def overflow_error(self):
        return ValueError(
            "the weighted squared row norms of X overflow float64 (largest |x| = "
            f"{np.abs(self.X).max():.3g}); rescale X, e.g. with "
            "sklearn.preprocessing.StandardScaler"
        )

    def mean_sq_norm(self):
        """The weighted mean of the squared row norms ||x~_i||^2 (x~ = x with a 1 appended
        when the intercept is fitted), sum_i s_i ||x~_i||^2 / sum(s). One read of X, the first
        time; raises the overflow ValueError when a row's squared norm is not finite."""
        if self._mean_sq_norm is None:
            sq = dense.weighted_sq_norm_sum(self.X, self.s, self.n_blocks)
            self._check_x_once(sq)
            if not np.isfinite(sq):
                raise self.overflow_error()
            if self.fit_intercept:
                sq += self.weight_sum
            self._mean_sq_norm = sq * self.scale
        return self._mean_sq_norm

    def lipschitz_bound(self):
        """Upper bound on the curvature of the mean-form objective: the loss Hessian is
        X~^T diag(s a(1-a)) X~ / sum(s) with a(1-a) <= 1/4, whose largest eigenvalue is at most
        its trace, mean_sq_norm() / 4; the penalty adds l2 / sum(s)."""
        return 0.25 * self.mean_sq_norm() + self.l2 * self.scale
