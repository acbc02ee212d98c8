"""check_gradient: the kernels' analytic gradient against central finite differences."""

from __future__ import annotations

import numpy as np

from . import _validation as V
from ._config import thread_limit
from .objective import LogisticObjective


def check_gradient(
    X,
    y,
    coef,
    intercept=0.0,
    *,
    sample_weight=None,
    C=1.0,
    fit_intercept=True,
    eps=1e-6,
    n_jobs=None,
):
    """Largest error of the analytic gradient of the mean-form objective J / sum(s) at
    (coef, intercept), relative to the gradient's largest entry:

        max_j |g_j - (J(theta + eps e_j) - J(theta - eps e_j)) / (2 eps)| / max(max_j |g_j|, 1e-12)

    Values around 1e-8 or below mean the derivatives agree (the finite differences carry
    O(eps^2) truncation and O(1e-16 / eps) rounding error). y takes any labels, as in fit: for
    two classes coef has shape (d,) or (1, d) and intercept is a scalar or (1,); for K >= 3
    classes (the multinomial objective) coef is (K, d) and intercept (K,), in the order of
    np.unique(y).

    Raises ValueError for invalid C, X or y, or coef/intercept of the wrong shape or not finite.
    """
    V.check_C(C)
    X = V.as_float_matrix(X)
    y = V.as_labels(y, X.shape[0])
    classes, codes = V.class_targets(y)
    n_outputs = 1 if classes.shape[0] == 2 else classes.shape[0]
    s = V.sample_weights(sample_weight, X.shape[0])
    d = X.shape[1]
    coef = np.asarray(coef, dtype=np.float64)
    if coef.size != n_outputs * d:
        raise ValueError(
            f"coef has shape {coef.shape} but y has {classes.shape[0]} classes and X {d} "
            f"features: pass coef of shape ({n_outputs}, {d})"
        )
    intercept = np.broadcast_to(np.asarray(intercept, dtype=np.float64).reshape(-1), n_outputs)
    Theta = np.column_stack([coef.reshape(n_outputs, d), intercept * float(fit_intercept)])
    theta = Theta.ravel()
    if not np.isfinite(theta).all():
        raise ValueError("coef and intercept must be finite")
    with thread_limit(n_jobs) as n_threads:
        objective = LogisticObjective(
            X, codes, s, C, fit_intercept, n_threads, n_classes=classes.shape[0]
        )
        _, grad = objective.loss_gradient(theta)
        numeric = np.zeros_like(grad)
        free = np.ones((n_outputs, d + 1), dtype=bool)
        free[:, -1] = fit_intercept
        for j in np.flatnonzero(free.ravel()):
            step = np.zeros_like(theta)
            step[j] = eps
            numeric[j] = (objective.loss(theta + step) - objective.loss(theta - step)) / (2 * eps)
    return float(np.max(np.abs(grad - numeric)) / max(np.max(np.abs(grad)), 1e-12))
