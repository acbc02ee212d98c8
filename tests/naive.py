"""NumPy twins of the kernels: the same quantities written the obvious way, in float64.

They are the reference the Numba kernels are tested against, so they must stay simple; speed is
irrelevant here."""

import numpy as np


def log1pexp(z):
    return np.logaddexp(0.0, z)


def sigmoid(z):
    return np.where(
        z >= 0, 1.0 / (1.0 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1.0 + np.exp(-np.abs(z)))
    )


def loss_gradient(X, y, s, w, b):
    """Twin of kernels.dense.loss_gradient: (sum_i s_i l_i, gradient with the intercept last)."""
    X = np.asarray(X, dtype=np.float64)
    z = X @ w + b
    loss = np.sum(s * (log1pexp(z) - y * z))
    r = s * (sigmoid(z) - y)
    return loss, np.append(X.T @ r, r.sum())


def objective(X, y, s, w, b, C):
    """J(w, b) = sum_i s_i l_i + ||w||^2 / (2C), the sum form."""
    loss, _ = loss_gradient(X, y, s, w, b)
    return loss + (0.0 if np.isinf(C) else w @ w / (2 * C))


def gd_epoch(X, y, s, w, b, l2, step, fit_intercept):
    """Twin of kernels.dense.gd_epoch: J and gradient at (w, b), then the step."""
    loss, grad = loss_gradient(X, y, s, w, b)
    loss += 0.5 * l2 * (w @ w)
    grad[:-1] += l2 * w
    if not fit_intercept:
        grad[-1] = 0.0
    return loss, grad, w - step * grad[:-1], b - step * grad[-1]


def decision_scores(X, w, b, probability):
    z = np.asarray(X, dtype=np.float64) @ w + b
    return sigmoid(z) if probability else z


def seed_chain_rule_gradient(X, y, s, w, b):
    """The seed's backward pass term by term: dl/da = -y/a + (1-y)/(1-a), da/dz = a(1-a),
    dl/dz = dl/da * da/dz, dl/dw_j = dl/dz * x_j, dl/db = dl/dz. Only valid where 0 < a < 1
    in floating point (moderate margins)."""
    X = np.asarray(X, dtype=np.float64)
    a = 1.0 / (1.0 + np.exp(-(X @ w + b)))
    dl_da = -y / a + (1 - y) / (1 - a)
    da_dz = a * (1 - a)
    dl_dz = s * dl_da * da_dz
    return np.append(X.T @ dl_dz, dl_dz.sum())


def hessian(X, s, w, b):
    """Twin of kernels.hessian.hessian_sum: sum_i s_i a_i (1 - a_i) [x_i, 1] [x_i, 1]^T."""
    X1 = np.column_stack([np.asarray(X, dtype=np.float64), np.ones(X.shape[0])])
    a = sigmoid(X1[:, :-1] @ w + b)
    return sum(si * ai * (1 - ai) * np.outer(xi, xi) for si, ai, xi in zip(s, a, X1, strict=True))


def sgd_epoch_in_order(
    X, y, c, w, b, eta, alpha, fit_intercept=True, average_from=None, implicit_penalty=False
):
    """Twin of kernels.sgd.sgd_epoch with rows in order and one thread: for each sample t
    (1-based), z = w.x + b, then w := max(0, 1 - eta_t alpha) w - eta_t c (sigmoid(z) - y) x,
    or with implicit_penalty w := (w - eta_t c (sigmoid(z) - y) x) / (1 + eta_t alpha). eta is
    a function of t. Returns (w, b, averaged w, averaged b, summed weighted loss). (The L1
    twin below with no L1 strength: its cumulative penalty then leaves w as it is.)"""
    return sgd_epoch_in_order_l1(
        X, y, c, w, b, eta, alpha, 0.0, fit_intercept, average_from, implicit_penalty
    )[:5]


def softmax(Z):
    """Row-wise softmax, shifted by each row's maximum."""
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def multinomial_loss_gradient(X, y, s, W, b):
    """Twin of kernels.multinomial.loss_gradient: (sum_i s_i (logsumexp(z_i) - z_iy), gradient
    as a flat K (d + 1) vector, class k's coefficients then its intercept)."""
    X = np.asarray(X, dtype=np.float64)
    Z = X @ W.T + b
    labels = np.asarray(y, dtype=np.intp)
    top = Z.max(axis=1)
    lse = top + np.log(np.exp(Z - top[:, None]).sum(axis=1))
    loss = np.sum(s * (lse - Z[np.arange(len(Z)), labels]))
    R = softmax(Z)
    R[np.arange(len(Z)), labels] -= 1.0
    R *= s[:, None]
    return loss, np.column_stack([R.T @ X, R.sum(axis=0)]).ravel()


def multinomial_objective(X, y, s, W, b, C, l1_ratio=0.0):
    """J(W, b) = sum_i s_i l_i + (l1_ratio ||W||_1 + (1 - l1_ratio) ||W||_F^2 / 2) / C."""
    loss, _ = multinomial_loss_gradient(X, y, s, W, b)
    return loss + penalty(W, C, l1_ratio)


def penalty(W, C, l1_ratio=0.0):
    """scikit-learn's elastic-net penalty on the coefficients (never the intercepts)."""
    if np.isinf(C):
        return 0.0
    W = np.asarray(W, dtype=np.float64)
    return (l1_ratio * np.abs(W).sum() + (1 - l1_ratio) * 0.5 * np.sum(W * W)) / C


def multinomial_scores(X, W, b, probability):
    Z = np.asarray(X, dtype=np.float64) @ W.T + b
    return softmax(Z) if probability else Z


def cumulative_l1(w, q, u):
    """Tsuruoka, Tsujii and Ananiadou's (ACL 2009) cumulative L1 step, as SGDClassifier applies
    it: w_j > 0 -> max(0, w_j - (u + q_j)), w_j < 0 -> min(0, w_j + (u - q_j)), and q_j takes
    the change. Returns the new (w, q)."""
    new = np.where(
        w > 0, np.maximum(0.0, w - (u + q)), np.where(w < 0, np.minimum(0.0, w + (u - q)), w)
    )
    return new, q + (new - w)


def _sgd_sample(x, yi, ci, w, b, eta_t, alpha, fit_intercept, implicit_penalty):
    """One sample of the SGD twins: (w, b, its weighted loss) after z = w.x + b and
    w := max(0, 1 - eta alpha) w - eta c (sigmoid(z) - y) x, or with implicit_penalty
    w := (w - eta c (sigmoid(z) - y) x) / (1 + eta alpha)."""
    z = x @ w + b
    loss = ci * (log1pexp(z) - yi * z)
    g = eta_t * ci * (sigmoid(np.array(z)) - yi)
    if implicit_penalty:
        w = (w - g * x) / (1.0 + eta_t * alpha)
    else:
        w = max(0.0, 1.0 - eta_t * alpha) * w - g * x
    return w, b - g if fit_intercept else b, loss


def sgd_epoch_in_order_l1(
    X,
    y,
    c,
    w,
    b,
    eta,
    alpha,
    alpha_l1,
    fit_intercept=True,
    average_from=None,
    implicit_penalty=False,
    u=0.0,
    q=None,
):
    """Twin of kernels.sgd.sgd_epoch with an L1 strength, rows in order, one thread: each
    sample as in sgd_epoch_in_order (alpha the L2 strength), then u += eta_t alpha_l1 and the
    cumulative L1 step, then the average. Returns (w, b, averaged w, averaged b, summed weighted
    loss, u, q)."""
    X = np.asarray(X, dtype=np.float64)
    w, b = np.array(w, dtype=np.float64), float(b)
    q = np.zeros_like(w) if q is None else np.array(q, dtype=np.float64)
    avg_w, avg_b, n_avg, loss = np.zeros_like(w), 0.0, 0, 0.0
    for t, (x, yi, ci) in enumerate(zip(X, y, c, strict=True), start=1):
        w, b, sample_loss = _sgd_sample(x, yi, ci, w, b, eta(t), alpha, fit_intercept,
                                        implicit_penalty)  # fmt: skip
        loss += sample_loss
        u += eta(t) * alpha_l1
        w, q = cumulative_l1(w, q, u)
        if average_from is not None and t > average_from:
            n_avg += 1
            avg_w += (w - avg_w) / n_avg
            avg_b += (b - avg_b) / n_avg
    return w, b, avg_w, avg_b, loss, u, q


def _multinomial_sgd_sample(x, yi, ci, W, b, eta_t, alpha, fit_intercept, implicit_penalty):
    """One sample of the multinomial SGD twins: (W, b, its weighted loss) after z = W x + b,
    r = c (softmax(z) - onehot(y)), W := max(0, 1 - eta alpha) W - eta r x^T (or with
    implicit_penalty (W - eta r x^T) / (1 + eta alpha)) and b := b - eta r."""
    z = W @ x + b
    top = z.max()
    loss = ci * (top + np.log(np.exp(z - top).sum()) - z[int(yi)])
    r = softmax(z[None, :])[0]
    r[int(yi)] -= 1.0
    g = eta_t * ci * r
    if implicit_penalty:
        W = (W - np.outer(g, x)) / (1.0 + eta_t * alpha)
    else:
        W = max(0.0, 1.0 - eta_t * alpha) * W - np.outer(g, x)
    return W, b - g if fit_intercept else b, loss


def multinomial_sgd_epoch_csr(
    X,
    y,
    c,
    W,
    b,
    eta,
    alpha,
    alpha_l1=0.0,
    fit_intercept=True,
    average_from=None,
    implicit_penalty=False,
    order=None,
):
    """Twin of kernels.sgd_sparse.sgd_multinomial_epoch: sgd_epoch_csr's epoch with each
    sample as in multinomial_sgd_epoch_in_order (W (K, d), b (K,)). Returns (W, b, averaged W,
    averaged b, summed weighted loss, u, q)."""
    W, b = np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)
    return _csr_epoch(
        _multinomial_sgd_sample, X, y, c, W, b, eta, alpha, alpha_l1, fit_intercept,
        average_from, implicit_penalty, 0.0, None, order,
    )  # fmt: skip


def multinomial_sgd_epoch_in_order(
    X,
    y,
    c,
    W,
    b,
    eta,
    alpha,
    alpha_l1=0.0,
    fit_intercept=True,
    average_from=None,
    implicit_penalty=False,
):
    """Twin of kernels.sgd_multinomial.sgd_multinomial_epoch with rows in order and one thread:
    for each sample t (1-based), z = W x + b, r = c (softmax(z) - onehot(y)), then
    W := max(0, 1 - eta_t alpha) W - eta_t r x^T, or with implicit_penalty
    W := (W - eta_t r x^T) / (1 + eta_t alpha); b := b - eta_t r; with alpha_l1 > 0 the
    cumulative L1 step on W; then the average. Returns (W, b, averaged W, averaged b, summed
    weighted loss)."""
    X = np.asarray(X, dtype=np.float64)
    W, b = np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)
    q, u = np.zeros_like(W), 0.0
    avg_W, avg_b, n_avg, loss = np.zeros_like(W), np.zeros_like(b), 0, 0.0
    for t, (x, yi, ci) in enumerate(zip(X, y, c, strict=True), start=1):
        W, b, sample_loss = _multinomial_sgd_sample(
            x, yi, ci, W, b, eta(t), alpha, fit_intercept, implicit_penalty
        )
        loss += sample_loss
        if alpha_l1 > 0:
            u += eta(t) * alpha_l1
            W, q = cumulative_l1(W, q, u)
        if average_from is not None and t > average_from:
            n_avg += 1
            avg_W += (W - avg_W) / n_avg
            avg_b += (b - avg_b) / n_avg
    return W, b, avg_W, avg_b, loss


def sgd_epoch_csr(
    X,
    y,
    c,
    w,
    b,
    eta,
    alpha,
    alpha_l1=0.0,
    fit_intercept=True,
    average_from=None,
    implicit_penalty=False,
    u=0.0,
    q=None,
    order=None,
):
    """Twin of kernels.sgd_sparse.sgd_epoch (rows in `order`, default in order): each sample
    as in sgd_epoch_in_order_l1, except that the cumulative L1 step touches only the columns
    the row stores (explicit zeros included), and at the end of the epoch every coefficient
    takes it. X is scipy.sparse CSR; w in plain coefficients (no scale). Returns (w, b,
    averaged w, averaged b, summed weighted loss, u, q)."""
    w, b = np.array(w, dtype=np.float64), float(b)
    return _csr_epoch(
        _sgd_sample, X, y, c, w, b, eta, alpha, alpha_l1, fit_intercept, average_from,
        implicit_penalty, u, q, order,
    )  # fmt: skip


def _csr_epoch(
    sample, X, y, c, W, b, eta, alpha, alpha_l1, fit_intercept, average_from,
    implicit_penalty, u, q, order,
):  # fmt: skip
    """The CSR SGD twins' epoch: each sample by sample(x, y, c, W, b, eta_t, alpha,
    fit_intercept, implicit_penalty) -> (W, b, loss), then the cumulative L1 step on the
    columns the row stores (W's last axis), the average, and at the end the L1 step on every
    coefficient."""
    dense = X.astype(np.float64).toarray()  # duplicates summed
    q = np.zeros_like(W) if q is None else np.array(q, dtype=np.float64)
    total, avg_b, n_avg, loss = np.zeros_like(W), np.zeros_like(b), 0, 0.0
    rows = range(X.shape[0]) if order is None else order
    for t, i in enumerate(rows, start=1):
        columns = np.unique(X.indices[X.indptr[i] : X.indptr[i + 1]])
        W, b, sample_loss = sample(dense[i], y[i], c[i], W, b, eta(t), alpha, fit_intercept,
                                   implicit_penalty)  # fmt: skip
        loss += sample_loss
        u += eta(t) * alpha_l1
        if alpha_l1 > 0:
            W[..., columns], q[..., columns] = cumulative_l1(W[..., columns], q[..., columns], u)
        if average_from is not None and t > average_from:
            n_avg += 1
            total += W
            avg_b += (b - avg_b) / n_avg
    if alpha_l1 > 0:
        W, q = cumulative_l1(W, q, u)
    return W, b, total / max(n_avg, 1), avg_b, loss, u, q
