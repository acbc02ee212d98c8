"""The datafits: the loss per row, l(y, z), and what the solvers need of it.

A datafit has `n_outputs` scores per row (binomial 1, multinomial K) and parameters laid out as
a (n_outputs, d + 1) array, each row one output's d coefficients then its intercept, flattened
row-major into the solvers' theta. For each it offers the same few things, named alike:

- loss_gradient(data, y, s, Theta, n_blocks, grad, serial): the fused pass on the data kind
  (data.py), the sum sum_i s_i l(y_i, z_i) and its gradient into the flat `grad`;
- curvature_bound: the largest eigenvalue of d^2 l / dz^2 over all z (for step sizes);
- sample_hessp(rows, weights, Theta, l2, fit_intercept): the mean-form Hessian on a row sample,
  as a Hessian-vector product and its diagonal (newton for K >= 3, the Newton-decrement check);
- sample_curvatures(rows, weights, Theta): per row and output, the second derivative of the
  weighted loss in that output's score, (rows, n_outputs): the Hessian's diagonal blocks are
  X~^T diag(h_k) X~ (exact for the binomial datafit; for the multinomial one they leave out the
  coupling between classes, which the proximal Newton solver accepts as its quadratic model);
- hessp(data, q, Theta, l2, fit_intercept, n_blocks): the mean-form Hessian on every row, as
  sample_hessp's pair, each product one pass (truncated Newton on sparse and wide data),
  returned in one buffer that the next product overwrites (a d-long vector less at the peak);
- working_set_hessian(data, q, Theta, columns, n_blocks): the Hessian of sum_i q_i l(y_i, z_i)
  on the given feature columns and the intercepts, explicit (proximal Newton's model on a data
  kind whose rows stay where they are: sparse chunks on Dask);
- scores(data, Theta, probability, out, n_blocks): prediction.

Row samples are float64 ndarrays or data.SampleCSR; the data.sample_* products serve both.

Labels are float64 codes 0 .. K-1 (binomial: 0/1), as the kernels take them.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.linalg.blas import daxpy as axpy
from scipy.special import expit, softmax

from .data import sample_dot, sample_squares, sample_tdot


class Binomial:
    """l(y, z) = log(1 + e^z) - y z for y in {0, 1} (scikit-learn's binary objective)."""

    n_outputs = 1
    curvature_bound = 0.25  # a (1 - a) <= 1/4

    def loss_gradient(self, data, y, s, Theta, n_blocks, grad, serial, curvature=None):
        """curvature (data kinds that store it): also s_i a_i (1 - a_i) per row, same pass."""
        w, b = Theta[0, :-1], Theta[0, -1]
        if curvature is None:
            return data.loss_gradient(y, s, w, b, n_blocks, grad, serial)
        return data.loss_gradient(y, s, w, b, n_blocks, grad, serial, curvature)

    def sample_hessp(self, rows, weights, Theta, l2, fit_intercept):
        z = sample_dot(rows, Theta[0, :-1]) + Theta[0, -1]
        h = weights * expit(z) * expit(-z)  # a (1 - a) without cancellation

        def hessp(v):
            t = h * (sample_dot(rows, v[:-1]) + (v[-1] if fit_intercept else 0.0))
            return np.append(
                sample_tdot(rows, t) + l2 * v[:-1], t.sum() if fit_intercept else v[-1]
            )

        diagonal = np.append(sample_squares(rows, h) + l2, h.sum() if fit_intercept else 1.0)
        return hessp, diagonal

    def hessp(self, data, q, Theta, l2, fit_intercept, n_blocks, curvature=None):
        """Per row the curvature q_i a_i (1 - a_i) at Theta (one pass for the scores, unless
        `curvature` already holds it, as loss_gradient stored it), then (H v) =
        X~^T diag(curvature) X~ v + l2 v on the coefficients, one pass each."""
        n, d = data.shape
        h = curvature if curvature is not None else self.row_curvature(data, q, Theta, n_blocks)
        diagonal = np.empty(d + 1)
        data.weighted_column_squares(h.reshape(n, 1), n_blocks, diagonal)
        diagonal[:-1] += l2
        if not fit_intercept:
            diagonal[-1] = 1.0

        out = np.empty(d + 1)  # every product's result, overwritten by the next

        def hessp(v):
            data.hessian_product(h, v[:-1], v[-1] if fit_intercept else 0.0, n_blocks, out)
            axpy(v[:-1], out[:-1], a=l2)  # in place: out[:-1] += l2 v[:-1]
            if not fit_intercept:
                out[-1] = v[-1]
            return out

        return hessp, diagonal

    def canonical(self, Theta, C):
        return Theta

    def working_set_hessian(self, data, q, Theta, columns, n_blocks):
        """X~_A^T diag(q a (1 - a)) X~_A at Theta, X~_A the columns `columns` (sorted int
        array) and a column of ones: float64 (|A| + 1, |A| + 1), intercept last. One pass for
        the scores."""
        h = self.row_curvature(data, q, Theta, n_blocks)
        return _weighted_gram(_working_columns(data, columns), h)

    def row_curvature(self, data, q, Theta, n_blocks):
        """q_i a_i (1 - a_i) for every row at Theta (one pass for the scores), float64 (n,)."""
        z = np.empty(data.shape[0])
        data.scores(Theta[0, :-1], float(Theta[0, -1]), False, n_blocks, z)
        return q * expit(z) * expit(-z)

    def sample_curvatures(self, rows, weights, Theta):
        z = sample_dot(rows, Theta[0, :-1]) + Theta[0, -1]
        return (weights * expit(z) * expit(-z))[:, None]

    def scores(self, data, Theta, probability, out, n_blocks):
        data.scores(Theta[0, :-1], float(Theta[0, -1]), probability, n_blocks, out)

    def label_split_gradient(self, data, y, s, Theta, n_blocks):
        """(residuals sigmoid(z_i) - y_i (n,), the data gradient summed separately over the
        label-0 and label-1 rows (2, d + 1)), sum form: the duality gap's pass."""
        residual = np.empty(data.shape[0])
        grads = np.empty((2, data.shape[1] + 1))
        data.label_split_gradient(
            y, s, Theta[0, :-1], float(Theta[0, -1]), n_blocks, residual, grads
        )
        return residual, grads


class Multinomial:
    """l(y, z) = logsumexp_k(z_k) - z_y for y in 0..K-1 (scikit-learn's multinomial
    objective; over-parameterised: only the penalty makes W unique)."""

    curvature_bound = 0.5  # diag(p) - p p^T <= (I - 11^T / K) / 2 (Boehning 1992)

    def __init__(self, n_classes):
        self.n_outputs = int(n_classes)

    def loss_gradient(self, data, y, s, Theta, n_blocks, grad, serial, curvature=None):
        return data.multinomial_loss_gradient(
            y, s, Theta[:, :-1], Theta[:, -1], n_blocks, grad, serial
        )

    def sample_hessp(self, rows, weights, Theta, l2, fit_intercept):
        """Per row the Hessian in z is diag(p) - p p^T, so for a direction V (K, d + 1) with
        U = X~ V^T: (H v)_k = sum_i q_i (p_ik U_ik - p_ik (p_i . U_i)) x~_i + l2 V_k[:d]."""
        K, d = self.n_outputs, rows.shape[1]
        P = softmax(sample_dot(rows, Theta[:, :-1].T) + Theta[:, -1], axis=1)
        qP = weights[:, None] * P

        def hessp(v):
            V = v.reshape(K, d + 1)
            U = sample_dot(rows, V[:, :-1].T) + (V[:, -1] if fit_intercept else 0.0)
            T = qP * (U - np.sum(P * U, axis=1, keepdims=True))
            out = np.empty((K, d + 1))
            out[:, :-1] = sample_tdot(rows, T).T + l2 * V[:, :-1]
            out[:, -1] = T.sum(axis=0) if fit_intercept else V[:, -1]
            return out.ravel()

        curvature = qP * (1.0 - P)
        diagonal = np.empty((K, d + 1))
        diagonal[:, :-1] = sample_squares(rows, curvature).T + l2
        diagonal[:, -1] = curvature.sum(axis=0) if fit_intercept else 1.0
        return hessp, diagonal.ravel()

    def hessp(self, data, q, Theta, l2, fit_intercept, n_blocks, curvature=None):
        """The probabilities P at Theta (one pass), then per row q_i (diag(p_i) - p_i p_i^T)
        in the scores (data.py's multinomial_hessian_product, one pass per product)."""
        K = self.n_outputs
        n, d = data.shape
        P = np.empty((n, K))
        data.multinomial_scores(Theta[:, :-1], Theta[:, -1], True, n_blocks, P)
        curvature = q[:, None] * P * (1.0 - P)
        qP = P
        qP *= q[:, None]  # in place: q_i p_i, the only form the products need
        diagonal = np.empty(K * (d + 1))
        data.weighted_column_squares(curvature, n_blocks, diagonal)
        del curvature
        Diagonal = diagonal.reshape(K, d + 1)
        Diagonal[:, :-1] += l2
        if not fit_intercept:
            Diagonal[:, -1] = 1.0
        no_intercepts = np.zeros(K)
        out = np.empty(K * (d + 1))  # every product's result, overwritten by the next

        def hessp(v):
            V = v.reshape(K, d + 1)
            v_b = V[:, -1] if fit_intercept else no_intercepts
            data.multinomial_hessian_product(qP, V[:, :-1], v_b, n_blocks, out)
            Out = out.reshape(K, d + 1)
            Out[:, :-1] += l2 * V[:, :-1]
            if not fit_intercept:
                Out[:, -1] = V[:, -1]
            return out

        return hessp, diagonal

    def canonical(self, Theta, C):
        """The fitted parameters in one canonical form. Adding one number to every class's
        score changes no probability and no loss: the intercepts (never penalised) are unique
        only up to that common shift, so the form with mean-0 intercepts is reported, and fits
        from different starts agree; without a penalty (C = inf) the same holds for each
        column of W. (With a penalty W is unique, and its columns already sum to 0 under L2.)"""
        Theta = np.array(Theta, dtype=np.float64)
        Theta[:, -1] -= Theta[:, -1].mean()
        if np.isinf(C):
            Theta[:, :-1] -= Theta[:, :-1].mean(axis=0)
        return Theta

    def working_set_hessian(self, data, q, Theta, columns, n_blocks):
        """The multinomial Hessian on the columns `columns` and the intercepts, K x K blocks
        X~_A^T diag(q (p_k [k = l] - p_k p_l)) X~_A (Boehning 1992's per-row structure made
        explicit), float64 (K (|A| + 1), K (|A| + 1)), laid out as theta[:, A + intercept]
        flattened row-major. One pass for the probabilities."""
        K = self.n_outputs
        P = np.empty((data.shape[0], K))
        self.scores(data, Theta, True, P, n_blocks)
        return _multinomial_gram(data, columns, q, P)

    def sample_curvatures(self, rows, weights, Theta):
        P = softmax(sample_dot(rows, Theta[:, :-1].T) + Theta[:, -1], axis=1)
        return weights[:, None] * P * (1.0 - P)

    def scores(self, data, Theta, probability, out, n_blocks):
        data.multinomial_scores(Theta[:, :-1], Theta[:, -1], probability, n_blocks, out)


GRAM_DENSE_ABOVE = 0.1
GRAM_BLOCK_BYTES = 32 * 2**20


def _working_columns(data, columns):
    """X~_A = [X[:, columns], 1] as float64: CSR for sparse data, else an ndarray."""
    n = data.shape[0]
    if data.is_sparse:
        return sp.hstack([data.columns(columns), np.ones((n, 1))], format="csr")
    return np.hstack([np.asarray(data.X[:, columns], dtype=np.float64), np.ones((n, 1))])


def _weighted_gram(A, weights):
    """A^T diag(weights) A as a dense float64 array (A CSR or an ndarray). A sparse A of more
    than GRAM_DENSE_ABOVE stored entries per entry goes through BLAS in dense row blocks of
    at most GRAM_BLOCK_BYTES: scipy's sparse product builds its dense result entry by entry
    (the multinomial Gram of 300 rows x 2050 columns at 70% density took seconds)."""
    if not sp.issparse(A):
        return A.T @ (weights[:, None] * A)
    n, p = A.shape
    if A.nnz <= GRAM_DENSE_ABOVE * n * p:
        return (A.T @ A.multiply(weights[:, None]).tocsr()).toarray()
    out = np.zeros((p, p))
    rows = max(1, GRAM_BLOCK_BYTES // (8 * p))
    for start in range(0, n, rows):
        B = A[start : start + rows].toarray()
        out += B.T @ (weights[start : start + rows, None] * B)
    return out


def _multinomial_gram(data, columns, q, P):
    """The multinomial Hessian on X~_A in K + 1 products instead of K (K + 1) / 2 blocks:
    sum_i q_i (diag(p_i) - p_i p_i^T) kron x~_i x~_i^T = the block diagonal of the
    X~_A^T diag(q p_k) X~_A, minus M^T diag(q) M with M's row i = kron(p_i, x~_i)."""
    X_A = _working_columns(data, columns)
    L = X_A.shape[1]
    K = P.shape[1]
    H = np.zeros((K * L, K * L))
    for k in range(K):
        H[k * L : (k + 1) * L, k * L : (k + 1) * L] = _weighted_gram(X_A, q * P[:, k])
    if sp.issparse(X_A):
        M = sp.hstack([X_A.multiply(P[:, k : k + 1]) for k in range(K)], format="csr")
    else:
        M = np.hstack([X_A * P[:, k : k + 1] for k in range(K)])
    H -= _weighted_gram(M, q)
    return H


def for_classes(n_classes):
    """The datafit of scikit-learn's LogisticRegression for this many classes (>= 2)."""
    return Binomial() if n_classes == 2 else Multinomial(n_classes)
