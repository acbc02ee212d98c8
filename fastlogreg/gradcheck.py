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
    O(eps^2) truncation and O(1e-16 / eps) rounding error). y takes any two labels, as in fit.
    """
    V.check_C(C)
    X = V.as_float_matrix(X)
    y = V.as_labels(y, X.shape[0])
    _, y01 = V.binary_targets(y)
    s = V.sample_weights(sample_weight, X.shape[0])
    coef = np.asarray(coef, dtype=np.float64).reshape(-1)
    if coef.shape[0] != X.shape[1]:
        raise ValueError(f"coef has {coef.shape[0]} entries but X has {X.shape[1]} features")
    theta = np.empty(X.shape[1] + 1)
    theta[:-1] = coef
    theta[-1] = float(np.asarray(intercept).reshape(-1)[0]) if fit_intercept else 0.0
    if not np.isfinite(theta).all():
        raise ValueError("coef and intercept must be finite")
    with thread_limit(n_jobs) as n_threads:
        objective = LogisticObjective(X, y01, s, C, fit_intercept, n_threads)
        _, grad = objective.loss_gradient(theta)
        numeric = np.zeros_like(grad)
        for j in range(theta.shape[0] - (0 if fit_intercept else 1)):
            step = np.zeros_like(theta)
            step[j] = eps
            numeric[j] = (objective.loss(theta + step) - objective.loss(theta - step)) / (2 * eps)
    return float(np.max(np.abs(grad - numeric)) / max(np.max(np.abs(grad)), 1e-12))
