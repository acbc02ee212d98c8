"""Every solver the comparison runs: fastlogreg's and its peers', each made the same way.

A solver is a function (C, n_rows) -> an unfitted model with fit(X, y); `params(model)` reads
(coef, intercept) as float64 from any of them. Peers that are not installed are left out, each
with a line saying so (`pip install ".[bench]"` installs them all).
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression
from sklearn.linear_model import SGDClassifier

from fastlogreg import LogisticRegression

OURS = ("auto", "newton", "lbfgs", "sgd", "gd")


class SeedGradientDescent:
    """The seed's method written in plain NumPy: full-batch gradient descent on the mean-form
    objective with the step 1/L from the curvature bound, max_iter epochs (default 100, as
    fastlogreg's 'gd'), each epoch z = Xw + b, a = sigmoid(z), g = X^T (a - y) / n + w / (C n)."""

    def __init__(self, C=1.0, max_iter=100):
        self.C, self.max_iter = C, max_iter

    def fit(self, X, y):
        n, d = X.shape
        l2 = 1.0 / (self.C * n)
        step = 1.0 / (0.25 * (np.einsum("ij,ij->", X, X) / n + 1.0) + l2)
        w, b = np.zeros(d), 0.0
        for _ in range(self.max_iter):
            a = 1.0 / (1.0 + np.exp(-(X @ w + b)))
            r = (a - y) / n
            w = w - step * (X.T @ r + l2 * w)
            b = b - step * r.sum()
        self.coef_, self.intercept_ = w[None, :], np.array([b])
        return self


def objective(X, y, coef, intercept, C):
    """Mean-form J / n of (coef, intercept) on float64 data: the benchmarks' gap measure."""
    z = X @ coef + intercept
    penalty = 0.0 if np.isinf(C) else coef @ coef / (2 * C)
    return (np.sum(np.logaddexp(0.0, z) - y * z) + penalty) / X.shape[0]


def gap(X, y, model, best, C):
    """Relative objective gap of a fitted model of any library to the optimum value `best`."""
    return (objective(X, y, *params(model), C) - best) / best


def params(model):
    """(coef, intercept) of a fitted model of any of the libraries, float64."""
    coef = np.asarray(model.coef_, dtype=np.float64).ravel()
    intercept = np.asarray(model.intercept_, dtype=np.float64).ravel()
    return coef, float(intercept[0]) if intercept.size else 0.0


def solvers(C, n, skipped, sparse=False):
    """name -> factory of an unfitted model; names of peers that are missing go to `skipped`.
    sparse: X is CSR, and the solvers that cannot take it or would densify its d x d Hessian
    (newton-cholesky, the NumPy seed, glum's irls-cd, our VW wrapper's dense text) are left out
    with a line each in `skipped` (bench/issue10.py runs Vowpal Wabbit on sparse rows)."""
    out = _solvers(C, n, skipped)
    if sparse:
        for name, why in SPARSE_SKIPS.items():
            if out.pop(name, None) is not None:
                skipped.append(f"{name} ({why})")
    return out


SPARSE_SKIPS = {
    "sklearn newton-cholesky": "forms the d x d Hessian",
    "NumPy seed gd": "dense NumPy only",
    "glum irls-cd": "forms the d x d Hessian",
    "Vowpal Wabbit (5 passes)": "the wrapper writes dense rows; bench/issue10.py runs it on CSR",
}


def _solvers(C, n, skipped):
    out = {
        f"fastlogreg {s}": (lambda s=s: LogisticRegression(C=C, solver=s, max_iter=1000))
        for s in OURS
        if s not in ("sgd", "gd")
    }
    out["fastlogreg sgd"] = lambda: LogisticRegression(C=C, solver="sgd")
    out["fastlogreg gd"] = lambda: LogisticRegression(C=C, solver="gd")
    for s in ("lbfgs", "newton-cholesky", "liblinear", "saga"):
        out[f"sklearn {s}"] = lambda s=s: SklearnLogisticRegression(C=C, solver=s, max_iter=1000)
    out["sklearn SGDClassifier"] = lambda: SGDClassifier(loss="log_loss", alpha=1.0 / (C * n))
    out["NumPy seed gd"] = lambda: SeedGradientDescent(C=C)
    try:
        from glum import GeneralizedLinearRegressor
    except ImportError:
        skipped.append("glum (pip install glum)")
    else:
        for s in ("lbfgs", "irls-cd"):
            out[f"glum {s}"] = lambda s=s: GeneralizedLinearRegressor(
                family="binomial", alpha=1.0 / (C * n), l1_ratio=0.0, solver=s
            )
    try:
        import vowpalwabbit  # noqa: F401
    except ImportError:
        skipped.append("Vowpal Wabbit (pip install vowpalwabbit)")
    else:
        from .vw import VowpalWabbit

        out["Vowpal Wabbit (5 passes)"] = lambda: VowpalWabbit(passes=5)
    return out
