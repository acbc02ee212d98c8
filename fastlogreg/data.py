"""The data kinds behind one interface (DESIGN.md, "data x datafit x penalty"), so that the
datafits and the solvers never ask which kind they have:

- DenseData: a C-contiguous float32 or float64 ndarray (kernels/dense.py, kernels/multinomial.py);
- CSRData: a scipy.sparse CSR matrix or array, float32 or float64 values, int32 or int64
  indices (kernels/sparse.py), never densified;
- chunked.ChunkedData: rows read from a source a chunk at a time, each chunk's pass one of
  the two above (training on data larger than memory).

Each offers the same passes under the same names: loss_gradient and multinomial_loss_gradient,
scores and multinomial_scores, hessian_product and multinomial_hessian_product (Hessian-vector
products on every row, for truncated Newton), weighted_column_squares (their diagonal),
weighted_sq_norm_sum, label_split_gradient and transpose_product (the duality gap), and a row
sample for the statistics the solvers estimate (a preconditioner, the Newton decrement).

A dense row sample is a float64 ndarray; a sparse one is a SampleCSR. The sample_* functions
below take either, so the code on samples is written once.
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from . import _validation as V
from .kernels import dense, multinomial, sparse

# rows per block when a dense statistic is built a block at a time (bounded temporary memory)
BLOCK_ROWS = 8192


class DenseData:
    """Rows of a C-contiguous float32 or float64 ndarray X (n, d)."""

    is_sparse = False
    is_chunked = False
    stores_curvature = False
    fused_update = True  # objective.gd_epoch's fused pass-and-step kernel reads X itself

    def __init__(self, X):
        self.X = X
        self.shape = X.shape
        self.dtype = X.dtype
        self.n_stored = X.size  # the values one pass reads

    def check_finite(self):
        """The validation's ValueError naming the first NaN or inf in X, if any."""
        V.check_finite_matrix(self.X)

    def max_abs(self):
        return float(np.abs(self.X).max())

    def loss_gradient(self, y, s, w, b, n_blocks, grad, serial):
        kernel = dense.loss_gradient_serial if serial else dense.loss_gradient
        return kernel(self.X, y, s, w, b, n_blocks, grad)

    def multinomial_loss_gradient(self, y, s, W, b, n_blocks, grad, serial):
        kernel = multinomial.loss_gradient_serial if serial else multinomial.loss_gradient
        W, b = np.ascontiguousarray(W), np.ascontiguousarray(b)
        return kernel(self.X, y, s, W, b, n_blocks, grad)

    def scores(self, w, b, probability, n_blocks, out):
        dense.decision_scores(self.X, w, b, probability, out)

    def multinomial_scores(self, W, b, probability, n_blocks, out):
        multinomial.decision_scores(
            self.X, np.ascontiguousarray(W), np.ascontiguousarray(b), probability, out
        )

    def hessian_product(self, curvature, v, v_b, n_blocks, out):
        """out = X~^T diag(curvature) X~ (v, v_b) (length d + 1): two BLAS passes in X's dtype
        (a float64 v would make NumPy copy float32 X as float64)."""
        X = self.X
        t = curvature * (X @ v.astype(X.dtype) + v_b)
        out[:-1] = X.T @ t.astype(X.dtype)
        out[-1] = t.sum()

    def multinomial_hessian_product(self, weighted_p, V, v_b, n_blocks, out):
        """kernels/sparse.py multinomial_hessian_product's result on dense X, by BLAS."""
        X = self.X
        U = X @ V.T.astype(X.dtype) + v_b
        T = weighted_p * (U - _class_mean(weighted_p, U)[:, None])
        Out = out.reshape(V.shape[0], -1)
        Out[:, :-1] = (X.T @ T.astype(X.dtype)).T
        Out[:, -1] = T.sum(axis=0)

    def weighted_column_squares(self, H, n_blocks, out):
        """kernels/sparse.py weighted_column_squares on dense X, a block of rows at a time."""
        X = self.X
        K = H.shape[1]
        total = np.zeros((X.shape[1], K))
        for start in range(0, X.shape[0], BLOCK_ROWS):
            block = X[start : start + BLOCK_ROWS].astype(np.float64)
            total += (block * block).T @ H[start : start + BLOCK_ROWS]
        Out = out.reshape(K, -1)
        Out[:, :-1] = total.T
        Out[:, -1] = H.sum(axis=0)

    def weighted_sq_norm_sum(self, s, n_blocks):
        return dense.weighted_sq_norm_sum(self.X, s, n_blocks)

    def label_split_gradient(self, y, s, w, b, n_blocks, residual, grads):
        dense.label_split_gradient(self.X, y, s, w, b, n_blocks, residual, grads)

    def transpose_product(self, R, rows=65_536):
        """X^T R in float64, float32 X upcast a block of rows at a time (its products summed in
        float32 lose the digits the duality gap needs: at the optimum X^T (q theta) is l1 out of
        much larger terms that cancel)."""
        X = self.X
        if X.dtype == np.float64:
            return X.T @ R
        out = np.zeros((X.shape[1], R.shape[1]))
        for start in range(0, X.shape[0], rows):
            out += X[start : start + rows].astype(np.float64).T @ R[start : start + rows]
        return out

    def sample_bytes_per_row(self):
        return 8 * self.shape[1]

    def sample(self, rows):
        """The rows (a slice or index array) as a float64 ndarray (X itself when that is
        every row of float64 X: no copy)."""
        every_row = isinstance(rows, slice) and rows == slice(None)
        return np.asarray(self.X if every_row else self.X[rows], dtype=np.float64)


class CSRData:
    """Rows of a scipy.sparse CSR X (n, d), as _validation.as_csr returns it: its data,
    indices and indptr arrays go to the kernels as they are (no copy)."""

    is_sparse = True
    is_chunked = False
    fused_update = False

    def __init__(self, X):
        self.X = X
        self.arrays = (X.data, X.indices, X.indptr)
        self.shape = X.shape
        self.dtype = X.data.dtype
        self.n_stored = X.nnz
        self._work = np.empty(0)
        self._canonical = None  # no row stores a column twice (known after the first check)

    def work(self, n_blocks, n_outputs=1):
        """The passes' per-thread buffers (kernels/sparse.py workspace_size), kept from pass to
        pass and grown when a pass needs more."""
        size = sparse.workspace_size(n_blocks, self.shape[1], n_outputs)
        if self._work.shape[0] < size:
            self._work = np.empty(0)  # the old one goes first: never both at once
            self._work = np.empty(size)
        return self._work

    def check_finite(self):
        """as_csr has checked the stored values; a row's duplicate entries of one column are
        summed (as scipy reads them), and those sums can still overflow: the validation's
        ValueError naming the first that does (past the largest value of X's dtype: scipy sums
        float32 duplicates in float32). Only when some row's values could add up past it at
        all (its longest row times the largest |value|) does it look further, and
        then only if rows repeat columns: predict calls this on every X it is given."""
        X = self.X
        limit = float(np.finfo(X.dtype).max)  # scipy sums float32 duplicates in float32
        longest = int(np.diff(X.indptr).max())
        if longest <= 1 or self.max_abs() * longest <= limit:
            return
        if self.canonical(1):
            return
        row, column = sparse.first_nonfinite_sum(
            X.data, X.indices, X.indptr, X.shape[1], numba.get_num_threads(), limit
        )
        if row >= 0:
            raise ValueError(
                f"X contains infinity in column {column} (row {row}): that row's duplicate "
                "entries of the column add up to it; rescale X or sum the duplicates "
                "(X.sum_duplicates()) and check them before fitting or predicting"
            )

    def canonical(self, n_blocks):
        """Whether no row stores a column twice (checked once, one read of the indices)."""
        if self._canonical is None:
            X = self.X
            self._canonical = bool(
                sparse.rows_without_repeats(X.indices, X.indptr, X.shape[1], n_blocks)
            )
        return self._canonical

    def max_abs(self):
        data = self.X.data
        return max(float(data.max()), -float(data.min())) if self.X.nnz else 0.0

    stores_curvature = True  # loss_gradient can leave the Hessian's row weights behind

    def loss_gradient(self, y, s, w, b, n_blocks, grad, serial, curvature=None):
        """The fused pass; with curvature (float64, length n) it also stores
        s_i sigmoid(z_i) (1 - sigmoid(z_i)) there, in the same read of X."""
        curvature = _NO_CURVATURE if curvature is None else curvature
        return sparse.loss_gradient(
            *self.arrays, y, s, w, b, n_blocks, grad, curvature, self.work(n_blocks)
        )

    def multinomial_loss_gradient(self, y, s, W, b, n_blocks, grad, serial):
        return sparse.multinomial_loss_gradient(
            *self.arrays,
            y,
            s,
            np.ascontiguousarray(W.T),
            np.ascontiguousarray(b),
            n_blocks,
            grad,
            self.work(n_blocks, W.shape[0]),
        )

    def scores(self, w, b, probability, n_blocks, out):
        sparse.decision_scores(*self.arrays, w, b, probability, n_blocks, out)

    def multinomial_scores(self, W, b, probability, n_blocks, out):
        sparse.multinomial_decision_scores(
            *self.arrays,
            np.ascontiguousarray(W.T),
            np.ascontiguousarray(b),
            probability,
            n_blocks,
            out,
        )

    def hessian_product(self, curvature, v, v_b, n_blocks, out):
        work = self.work(n_blocks)
        sparse.hessian_product(*self.arrays, curvature, v, v_b, n_blocks, out, work)

    def multinomial_hessian_product(self, weighted_p, V, v_b, n_blocks, out):
        sparse.multinomial_hessian_product(
            *self.arrays,
            weighted_p,
            np.ascontiguousarray(V.T),
            np.ascontiguousarray(v_b, dtype=np.float64),
            n_blocks,
            out,
            self.work(n_blocks, V.shape[0]),
        )

    def weighted_column_squares(self, H, n_blocks, out):
        work = self.work(n_blocks, H.shape[1])
        canonical = self.canonical(n_blocks)
        sparse.weighted_column_squares(*self.arrays, H, canonical, n_blocks, out, work)

    def weighted_sq_norm_sum(self, s, n_blocks):
        work = self.work(n_blocks)
        return sparse.weighted_sq_norm_sum(*self.arrays, s, self.shape[1], n_blocks, work)

    def label_split_gradient(self, y, s, w, b, n_blocks, residual, grads):
        """The duality gap's pass (DenseData's, one kernel there) with scipy.sparse products:
        the scores, then X^T of the weighted residuals of each label."""
        z = np.empty(self.shape[0])
        self.scores(w, b, False, n_blocks, z)
        residual[:] = expit(z) - y
        weighted = s * residual
        label_1 = y > 0.5
        for label, rows in enumerate((~label_1, label_1)):
            r = np.where(rows, weighted, 0.0)
            grads[label, :-1] = self.X.T @ r
            grads[label, -1] = r.sum()

    def transpose_product(self, R):
        return np.asarray(self.X.T @ R, dtype=np.float64)

    def columns(self, columns):
        """The given columns (sorted int array) as float64 CSC, (n, len(columns)): a copy of
        their non-zeros only (proximal Newton's working set), a row's duplicate entries of a
        column summed (coordinate descent squares each entry for its curvature)."""
        X_A = sp.csc_matrix(self.X[:, columns], dtype=np.float64)
        X_A.sum_duplicates()
        return X_A

    def sample_bytes_per_row(self):
        # float64 values and int32/int64 indices of the row's non-zeros, and its indptr entry
        per_entry = 8 + self.X.indices.itemsize
        return per_entry * max(1.0, self.X.nnz / self.shape[0]) + 8

    def sample(self, rows):
        """The rows (a slice or index array) as a SampleCSR: float64, duplicates summed."""
        sample = self.X[rows].astype(np.float64)  # a new matrix: the caller's is not touched
        sample = sp.csr_matrix(sample)
        sample.sum_duplicates()
        return SampleCSR(sample)


_NO_CURVATURE = np.empty(0)  # sparse.loss_gradient: do not store the Hessian's row weights


def _class_mean(weighted_p, U):
    """Per row, sum_k q p_k u_k / sum_k q p_k (0 for a row of weight 0)."""
    weight = weighted_p.sum(axis=1)
    total = np.sum(weighted_p * U, axis=1)
    return np.divide(total, weight, out=np.zeros_like(total), where=weight > 0)


class UsedColumns:
    """CSR X (n, d) restricted to the columns its rows store, the most often stored first.

    A column no row stores adds nothing to the data term, so its gradient is the penalty's
    alone: with a penalty its optimal coefficient is 0, without one (C = inf) every value is
    optimal and a fit keeps the start's. Fitting on the stored columns therefore reaches the
    same optimum, with every d-long vector of a solver (L-BFGS pairs, CG vectors, the passes'
    per-thread gradient buffers) only as long as the stored columns. They are ordered by how
    often rows store them, so that the coefficients most rows read share cache lines and
    pages (on text, a Zipf law: 1% of the columns hold 80-90% of the values); that ordering
    measured no clear gain on the 10-class pass (within the noise of a loaded machine) and
    costs one argsort of the stored columns. Costs one copy of X's indices, in indptr's
    dtype; data and indptr are shared, not copied.

    Attributes: X, the restricted CSR (n, n_used), values and indptr shared with the input;
    columns, int64 (n_used,), the input's column of each restricted one; n_features = d."""

    def __init__(self, X, counts):
        self.n_features = X.shape[1]
        used = np.flatnonzero(counts)
        self.columns = used[np.argsort(-counts[used], kind="stable")]
        position = np.zeros(self.n_features, dtype=X.indptr.dtype)
        position[self.columns] = np.arange(self.columns.shape[0], dtype=X.indptr.dtype)
        self.X = sp.csr_matrix(
            (X.data, position[X.indices], X.indptr),
            shape=(X.shape[0], self.columns.shape[0]),
            copy=False,
        )

    def restrict(self, theta, n_outputs):
        """theta (n_outputs (d + 1),) -> (n_outputs (n_used + 1),): the stored columns'
        coefficients, then the intercept, per output."""
        Theta = theta.reshape(n_outputs, self.n_features + 1)
        return np.column_stack([Theta[:, self.columns], Theta[:, -1]]).ravel()

    def extend(self, theta, n_outputs, unstored):
        """The inverse of restrict: theta on the stored columns -> (n_outputs (d + 1),), the
        other columns' coefficients taken from `unstored` (a full-length theta, the fit's
        start when nothing penalises them) or 0 (unstored None)."""
        Theta = theta.reshape(n_outputs, -1)
        full = (
            np.zeros((n_outputs, self.n_features + 1))
            if unstored is None
            else unstored.reshape(n_outputs, self.n_features + 1).copy()
        )
        full[:, self.columns] = Theta[:, :-1]
        full[:, -1] = Theta[:, -1]
        return full.ravel()


# d-long float64 vectors per output that any batch solver keeps (theta, gradient, direction,
# preconditioner, CG's or L-BFGS's work vectors, the passes' per-thread buffers): a lower bound
SOLVER_VECTORS = 8


def stored_columns(X):
    """Boolean (d,): whether some row of CSR X stores the column (one read of the indices)."""
    return sparse.column_counts(X.indices, X.shape[1]) > 0


def used_columns(X, n_outputs):
    """UsedColumns of validated CSR X for a fit of n_outputs (1 binomial, K multinomial), or
    None when X is dense, when every column is stored, or when the copy of the indices would
    cost more memory than the solvers' shorter vectors save (SOLVER_VECTORS per output and
    unstored column: the 1M x 2^20 binary text problem stores 57% of its columns, and
    restricting it would raise the fit's peak memory). Checks first that duplicates do not
    sum to infinity (CSRData check_finite), so that the error names the input's column."""
    if not sp.issparse(X):
        return None
    CSRData(X).check_finite()
    cost = X.nnz * X.indptr.dtype.itemsize
    if X.shape[1] * n_outputs * SOLVER_VECTORS * 8 <= cost:
        return None  # even with every column unstored: no need to count them
    counts = sparse.column_counts(X.indices, X.shape[1])
    n_unstored = X.shape[1] - np.count_nonzero(counts)
    saved = n_unstored * n_outputs * SOLVER_VECTORS * 8
    if n_unstored in (0, X.shape[1]) or saved <= cost:
        return None  # (and no fit on 0 columns when nothing is stored)
    return UsedColumns(X, counts)


def as_data(X):
    """The adapter for validated X: CSRData for a scipy.sparse matrix, DenseData for an
    ndarray; a data kind already built (chunked.ChunkedData) as it is."""
    if getattr(X, "is_chunked", False):
        return X
    return CSRData(X) if sp.issparse(X) else DenseData(X)


class SampleCSR:
    """A row sample of CSR X (float64 CSR with its duplicates summed) as the matrix
    (sample - 1 mu^T) with the columns in `constant` set to 0: the centred sample of
    objective.centred_columns, never formed (it is dense). mu = 0 and no constant columns is
    the sample itself. Offers the products the code on row samples needs (sample_dot,
    sample_tdot, sample_squares)."""

    def __init__(self, csr, mu=None, constant=None):
        self.csr = csr
        self.shape = csr.shape
        self.mu = np.zeros(csr.shape[1]) if mu is None else mu
        # the work is O(non-zeros) plus O(the columns below), never O(d) per product (d x K is
        # 10^7 for 10 classes of 2^20 features): only the columns with a nonzero centre take
        # it, and only constant columns that are not all zero need setting to 0 (an all-zero
        # column's products are exactly 0, its centre too)
        self.centred = np.flatnonzero(self.mu)
        self.zeroed = np.empty(0, dtype=np.intp)
        if constant is not None:
            self.zeroed = np.flatnonzero(constant & (self.mu != 0))

    def dot(self, M):
        """(sample - 1 mu^T) M for M (d,) or (d, K)."""
        if self.zeroed.size:
            M = M.copy()
            M[self.zeroed] = 0.0
        c = self.centred
        return self.csr @ M - self.mu[c] @ M[c]

    def tdot(self, T):
        """(sample - 1 mu^T)^T T for T (m,) or (m, K): (d,) or (d, K)."""
        out = np.asarray(self.csr.T @ T)
        c = self.centred
        out[c] -= np.multiply.outer(self.mu[c], T.sum(axis=0))
        out[self.zeroed] = 0.0
        return out

    def squares(self, H):
        """sum_i H_i (x_ij - mu_j)^2 for H (m,) or (m, K): (d,) or (d, K). Each column's
        stored entries contribute H_i (x_ij - mu_j)^2 and its zeros H_i mu_j^2, so nothing
        cancels."""
        coo = self.csr.tocoo()
        rows, cols = coo.row, coo.col
        d = self.shape[1]
        columns = H.reshape(H.shape[0], -1)
        out = np.empty((d, columns.shape[1]))
        for k in range(columns.shape[1]):
            h = columns[:, k]
            stored = np.bincount(cols, h[rows] * (coo.data - self.mu[cols]) ** 2, minlength=d)
            weight_stored = np.bincount(cols, h[rows], minlength=d)
            out[:, k] = stored + self.mu**2 * (h.sum() - weight_stored)
        out = out.reshape((d, *H.shape[1:]))
        out[self.zeroed] = 0.0
        return out

    def constant_columns(self):
        """Mask of the columns constant over the sample (implicit zeros included)."""
        high = self.csr.max(axis=0).toarray().ravel()
        low = self.csr.min(axis=0).toarray().ravel()
        return high == low


def sample_dot(rows, M):
    """rows @ M for a row sample (float64 ndarray or SampleCSR) and M (d,) or (d, K)."""
    return rows @ M if isinstance(rows, np.ndarray) else rows.dot(M)


def sample_tdot(rows, T):
    """rows^T @ T for T (m,) or (m, K): (d,) or (d, K)."""
    return rows.T @ T if isinstance(rows, np.ndarray) else rows.tdot(T)


def sample_squares(rows, H):
    """sum_i H_i rows_ij^2 for H (m,) or (m, K): (d,) or (d, K)."""
    if isinstance(rows, np.ndarray):
        return (rows**2).T @ H
    return rows.squares(H)


def centred_columns(rows, weights):
    """(rows - mu, mu, constant) for a row sample (float64, (m, d), or a SampleCSR) and its
    weights (m,): the columns minus their weighted mean mu (the weights need not sum to 1),
    columns constant in the sample set to exactly 0 (centring leaves rounding there, which
    curvature-scaled steps would blow up), `constant` their mask. The solvers' quadratic
    models and the Newton decrement work in these coordinates (intercepts b + W mu: the same
    problem, the penalty sees only W), where a column offset no longer couples every
    coefficient to the intercept. A SampleCSR stays sparse: its centred form is implicit."""
    if not isinstance(rows, np.ndarray):
        mu = rows.tdot(weights) / weights.sum()
        constant = rows.constant_columns()
        return SampleCSR(rows.csr, mu, constant), mu, constant
    mu = (weights @ rows) / weights.sum()
    centred = rows - mu
    constant = np.all(rows == rows[:1], axis=0)
    centred[:, constant] = 0.0
    return centred, mu, constant


def column_moments(rows, weights):
    """(means, centred second moments, raw second moments) of the sample's columns under
    weights that sum to 1 (lbfgs's preconditioner). Squares of huge entries may overflow to
    inf: the caller checks."""
    if not isinstance(rows, np.ndarray):
        means = rows.tdot(weights)
        centred = SampleCSR(rows.csr, means).squares(weights)
        return means, centred, rows.squares(weights)
    means = weights @ rows
    return means, weights @ (rows - means) ** 2, weights @ rows**2
