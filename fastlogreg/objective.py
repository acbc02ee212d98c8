"""The objective on one data set: a datafit (datafits.py) plus the smooth part of the penalty,

    J(theta) = sum_i s_i l(y_i, z_i) + (1 - l1_ratio) ||W||_F^2 / (2C),   z_i = W x_i + b

and, kept apart for the proximal solvers, the non-smooth l1_ratio ||W||_1 / C (penalties.py).

Solvers see the mean form J / sum(s) (better conditioned, independent of n); the conversion
between the two forms lives here and nowhere else. theta is one float64 vector of length
n_outputs (d + 1): the (n_outputs, d + 1) array of each output's coefficients then its
intercept, row-major; for the binomial datafit that is (w_1..w_d, b).
"""

from __future__ import annotations

import math

import numpy as np

from .data import as_data, centred_columns
from .datafits import for_classes
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


class RowGroup:
    """Rows of the data for LogisticObjective.row_sums: the data kind, their labels y and
    weights s, and `kept`, per-row results that one pass leaves for the next."""

    def __init__(self, data, y, s):
        self.data, self.y, self.s = data, y, s
        self.kept = {}


class LogisticObjective:
    """Data (already validated: X C-contiguous float32/float64, or CSR from
    _validation.as_csr; y float64 class codes 0..K-1, s float64), the datafit for n_classes
    (binomial for 2, multinomial above) and the penalty (C, l1_ratio), evaluated with the
    fused kernels of the data kind (data.py) on `n_blocks` row blocks.

    X need not have been checked for NaN and inf: any such entry makes the first pass's result
    non-finite (0 * NaN and 0 * inf are NaN, and the fastmath flags keep that), and the first
    pass then names the entry with the ValueError of the validation, so the check costs no
    extra read of X on valid data."""

    def __init__(self, X, y, s, C=1.0, fit_intercept=True, n_blocks=1, n_classes=2, l1_ratio=0.0):
        self.data = as_data(X)  # the passes, whatever the data kind (data.py)
        self.y, self.s = y, s
        self.C, self.l1_ratio, self.n_classes = C, l1_ratio, n_classes
        self.n_samples, self.n_features = X.shape
        self.fit_intercept = bool(fit_intercept)
        self.datafit = for_classes(n_classes)
        self.n_outputs = self.datafit.n_outputs
        # the penalty (l1_ratio ||W||_1 + (1 - l1_ratio) ||W||^2 / 2) / C, split into its smooth
        # part (here, in every pass) and its L1 part (the proximal solvers' business)
        self.l2 = 0.0 if math.isinf(C) else (1.0 - l1_ratio) / C
        self.l1 = 0.0 if math.isinf(C) else l1_ratio / C
        self.n_blocks = int(n_blocks)
        self.weight_sum = float(s.sum())
        # the mean form divides by the sum: a subnormal sum (1e-320) would make that infinite
        if not (np.isfinite(self.weight_sum) and self.weight_sum >= np.finfo(np.float64).tiny):
            raise ValueError(
                f"the weights sum to {self.weight_sum}; they need a finite sum of at least "
                "2.2e-308 (rescale sample_weight or class_weight)"
            )
        self.scale = 1.0 / self.weight_sum  # sum form -> mean form
        self.n_params = self.n_outputs * (X.shape[1] + 1)
        self._serial = self.data.n_stored < SERIAL_BELOW
        self._gd_epoch = dense.gd_epoch_serial if self._serial else dense.gd_epoch
        self._x_checked = False
        self._sample = None
        self._centred_sample = None
        self._mean_sq_norm = None
        # sparse binomial passes leave the Hessian's row weights at the point they evaluated
        # (truncated Newton's hessp then needs no pass of its own for them)
        self._keeps_curvature = self.data.stores_curvature and self.n_outputs == 1
        self._curvature = np.empty(self.n_samples if self._keeps_curvature else 0)
        self._curvature_at = None
        self._rows = None  # row_sums' RowGroup

    def _check_x_once(self, *results):
        """After the first pass over X: if its results are not finite, look for NaN or inf in X
        and raise the validation's error naming it (finite X can still overflow; the solver
        handles that)."""
        if not self._x_checked:
            if not all(np.isfinite(r).all() for r in results):
                self.data.check_finite()
            self._x_checked = True

    def row_sample(self):
        """(rows, weights): every k-th row of X as float64 (a copy of at most SAMPLE_BYTES) and
        its weights s, normalised to sum to 1 (equal weights if those rows all weigh 0). Dense
        rows are an ndarray of at most SAMPLE_ROWS rows; sparse ones a data.SampleCSR with as
        many rows as SAMPLE_BYTES holds (a few rows would leave most sparse columns unseen)."""
        if self._sample is None:
            rows = max(256, int(SAMPLE_BYTES // self.data.sample_bytes_per_row()))
            if not self.data.is_sparse:
                rows = min(SAMPLE_ROWS, rows)
            stride = max(1, self.n_samples // rows)
            sample = self.data.sample(slice(None, None, stride))
            weights = self.s[::stride]
            if not weights.sum() > 0:
                weights = np.ones(sample.shape[0])
            self._sample = sample, weights / weights.sum()
        return self._sample

    def centred_row_sample(self):
        """centred_columns of row_sample(), computed once: (rows - mu, mu, constant)."""
        if self._centred_sample is None:
            self._centred_sample = centred_columns(*self.row_sample())
        return self._centred_sample

    def row_sums(self, row_pass, *args):
        """The sum over the data's row groups of row_pass(rows, n_blocks, *args), each a
        (number, float64 array or None) pair: rows is a RowGroup of the data kind (data, y,
        s and `kept`, a dict in which a pass leaves per-row results for the next). In memory
        the whole data is one group; a data kind with row groups of its own (Dask: the
        chunks, each on its worker) runs row_pass on each and adds the results. For the
        per-row work outside the kernels' passes (the L1 duality gap)."""
        own = getattr(self.data, "row_sums", None)
        if own is not None:
            return own(row_pass, *args)
        if self._rows is None:
            self._rows = RowGroup(self.data, self.y, self.s)
        return row_pass(self._rows, self.n_blocks, *args)

    def as_matrix(self, theta):
        """theta as its (n_outputs, d + 1) view: coefficients [:, :-1], intercepts [:, -1]."""
        return theta.reshape(self.n_outputs, -1)

    def sample_hessp(self, theta, sample=None):
        """(hessp, diagonal) of the mean-form Hessian of the smooth part at theta, estimated on
        row_sample() (or on `sample`, a (rows, normalised weights) pair): hessp(v) = H v for v
        of length n_params and diagonal = diag(H); the smooth penalty l2 / sum(s) is on the
        coefficients, not the intercepts. Without a fitted intercept the intercepts' rows and
        columns are the identity's, so they stay where they are."""
        rows, weights = self.row_sample() if sample is None else sample
        return self.datafit.sample_hessp(
            rows, weights, self.as_matrix(theta), self.l2 * self.scale, self.fit_intercept
        )

    def hessp(self, theta):
        """(hessp, diagonal) of the mean-form Hessian of the smooth part at theta on every row
        (truncated Newton): each hessp(v) is one pass over X (data.py's hessian_product), the
        diagonal (the conjugate gradients' preconditioner) one more, made here with the pass
        that gives the curvature at theta (none when the last loss_gradient was at theta
        and left it behind). Laid out as sample_hessp's."""
        own = getattr(self.data, "hessp", None)
        if own is not None:  # a data kind whose rows stay where they are (Dask: the workers)
            return own(
                self.datafit, self.scale, self.as_matrix(theta), self.l2 * self.scale,
                self.fit_intercept,
            )  # fmt: skip
        curvature = self._stored_curvature(theta)
        return self.datafit.hessp(
            self.data,
            self.s * self.scale if curvature is None else None,  # the weights, when needed
            self.as_matrix(theta),
            self.l2 * self.scale,
            self.fit_intercept,
            self.n_blocks,
            curvature,
        )

    def working_set_hessian(self, theta, columns):
        """The mean-form Hessian of the data part (no penalty) at theta on every row,
        restricted to the feature columns `columns` (sorted int array) and the intercepts:
        float64 (K (|A| + 1), K (|A| + 1)), laid out as theta's (K, d + 1) entries [:, A +
        intercept] flattened (datafit.working_set_hessian). Each row's data stays where it is
        (Dask: every chunk adds its share on its worker); one pass."""
        own = getattr(self.data, "working_set_hessian", None)
        if own is not None:
            return own(self.datafit, self.scale, self.as_matrix(theta), columns)
        return self.datafit.working_set_hessian(
            self.data, self.s * self.scale, self.as_matrix(theta), columns, self.n_blocks
        )

    def _stored_curvature(self, theta):
        """The mean-form row curvatures the last loss_gradient left behind, if it was called
        with this very array theta (the array itself: valid until the next loss_gradient).
        Identity, not equality: a copy of theta to compare against was one more d-long vector
        at the truncated Newton fit's peak; the solvers pass the point they last evaluated
        and never change a point in place."""
        if theta is self._curvature_at:
            return self._curvature
        return None

    def row_curvature(self, theta):
        """Binomial: the mean-form Hessian's row weights q_i a_i (1 - a_i) at theta, (n,)
        (from the last loss_gradient when that was at theta, else one pass)."""
        stored = self._stored_curvature(theta)
        if stored is not None:
            return stored
        return self.datafit.row_curvature(
            self.data, self.s * self.scale, self.as_matrix(theta), self.n_blocks
        )

    def on_columns(self, X):
        """The same objective (labels, weights, C, l1_ratio, intercept, threads) on other
        columns of the same rows, X (n, d'): data.UsedColumns's restriction."""
        return LogisticObjective(
            X, self.y, self.s, self.C, self.fit_intercept, self.n_blocks, self.n_classes,
            self.l1_ratio,
        )  # fmt: skip

    def class_probabilities(self, theta):
        """Multinomial: the softmax probabilities p_ik at theta, (n, K) float64 (one pass)."""
        P = np.empty((self.n_samples, self.n_outputs))
        self.datafit.scores(self.data, self.as_matrix(theta), True, P, self.n_blocks)
        return P

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
        """Mean-form objective (the smooth part) and its gradient (length n_params, laid out
        as theta; the intercepts' entries are zero when they are not fitted). One read of X."""
        Theta = self.as_matrix(theta)
        grad = np.empty(self.n_params)
        if self._keeps_curvature:
            self._curvature_at = None  # overwritten next
            loss = self.datafit.loss_gradient(
                self.data, self.y, self.s, Theta, self.n_blocks, grad, self._serial,
                self._curvature,
            )  # fmt: skip
            self._curvature *= self.scale  # kept in the mean form
            self._curvature_at = theta
        else:
            loss = self.datafit.loss_gradient(
                self.data, self.y, self.s, Theta, self.n_blocks, grad, self._serial
            )
        self._check_x_once(loss, grad)
        G = self.as_matrix(grad)
        for k in range(self.n_outputs):  # the kernels' own penalty code, one output at a time
            loss = dense.add_l2_penalty(loss, G[k], Theta[k, :-1], self.l2)
        if not self.fit_intercept:
            G[:, -1] = 0.0
        grad *= self.scale  # in place: d-long gradients add up on sparse X
        return loss * self.scale, grad

    def loss(self, theta):
        return self.loss_gradient(theta)[0]

    def gd_epoch(self, theta, step):
        """Mean-form J and gradient at theta and the gradient step theta - step * grad, in one
        read of X (the fused kernel; for K >= 3 outputs the step follows the pass, in
        NumPy: it touches K (d + 1) numbers, not X). Returns (J, grad, theta_next)."""
        if self.n_outputs > 1 or not self.data.fused_update:
            loss, grad = self.loss_gradient(theta)
            return loss, grad, theta - step * grad
        w, b = theta[:-1], theta[-1]
        grad = np.empty(self.n_params)
        theta_next = np.empty(self.n_params)
        loss, b_next = self._gd_epoch(
            self.data.X,
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
        """The rescale ValueError for squares that overflow float64 (or, first, the validation's
        own error when X holds NaN or infinity, also as sparse duplicates that add up to it)."""
        self.data.check_finite()
        return ValueError(
            "the weighted squared row norms of X overflow float64 (largest |x| = "
            f"{self.data.max_abs():.3g}); rescale X, e.g. with "
            "sklearn.preprocessing.StandardScaler"
        )

    def mean_sq_norm(self):
        """The weighted mean of the squared row norms ||x~_i||^2 (x~ = x with a 1 appended
        when the intercept is fitted), sum_i s_i ||x~_i||^2 / sum(s). One read of X, the first
        time; raises the overflow ValueError when a row's squared norm is not finite."""
        if self._mean_sq_norm is None:
            sq = self.data.weighted_sq_norm_sum(self.s, self.n_blocks)
            self._check_x_once(sq)
            if not np.isfinite(sq):
                raise self.overflow_error()
            if self.fit_intercept:
                sq += self.weight_sum
            self._mean_sq_norm = sq * self.scale
        return self._mean_sq_norm

    def lipschitz_bound(self):
        """Upper bound on the curvature of the mean-form objective: the binomial loss Hessian is
        X~^T diag(s a(1-a)) X~ / sum(s) with a(1-a) <= 1/4, whose largest eigenvalue is at most
        its trace, mean_sq_norm() / 4 (multinomial: diag(p) - p p^T <= 1/2, mean_sq_norm() / 2);
        the smooth penalty adds l2 / sum(s)."""
        return self.datafit.curvature_bound * self.mean_sq_norm() + self.l2 * self.scale
