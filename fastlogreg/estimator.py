"""fastlogreg.LogisticRegression: the scikit-learn-compatible estimator.

Validation and dispatch only: the arithmetic lives in the kernels, the iteration in solvers/.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import _get_feature_names, check_is_fitted, validate_data

from . import _validation as V
from ._config import thread_limit
from .kernels.dense import decision_scores
from .objective import LogisticObjective
from .solvers import gradient_descent, lbfgs, newton

SOLVERS = ("auto", "gd", "lbfgs", "newton")


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """Binary logistic regression with an L2 penalty, trained by fused Numba kernels.

    Minimises J(w, b) = sum_i s_i [log(1 + exp(z_i)) - y_i z_i] + ||w||^2 / (2C), z_i = w.x_i + b,
    the objective of scikit-learn's LogisticRegression (s_i = sample_weight * class weight, the
    intercept is not penalised, C=np.inf means no penalty).

    Parameters
    ----------
    C : float, default=1.0
        Inverse of the L2 penalty strength; > 0, np.inf for none.
    fit_intercept : bool, default=True
    solver : {'auto', 'gd', 'lbfgs'}, default='auto'
        'gd' is full-batch gradient descent with one fused pass over X per epoch; 'lbfgs' is
        scipy's L-BFGS-B on the same fused loss-and-gradient pass; 'auto' picks 'gd' for now.
    learning_rate : 'auto' or float, default='auto'
        The step alpha applied to the mean-form gradient dJ/dtheta / sum(s). 'auto' starts from
        the curvature bound and backtracks, so the objective never increases. Used by 'gd' only.
    tol : float, default=1e-4
        Stop when max_j |dJ/dtheta_j| / sum(s) <= tol.
    max_iter : int, default=100
        Maximum number of epochs ('gd') or iterations ('lbfgs'); reaching it warns with
        ConvergenceWarning.
    class_weight : dict, 'balanced' or None
        Multiplied into the sample weights; 'balanced' uses scikit-learn's formula.
    warm_start : bool, default=False
        Start from the previous fit's coefficients.
    n_jobs : int or None, default=None
        Threads for the kernels (None or -1: all of Numba's threads). Results for a fixed
        n_jobs are bit-identical from run to run.
    random_state : int, RandomState or None
        Unused by 'gd', which is deterministic; kept for the stochastic solvers to come.
    verbose : int, default=0
        Print the objective every epoch when > 0.

    Attributes
    ----------
    classes_, coef_ (1, n_features; X's dtype), intercept_ (1,), n_iter_ (1,) epochs run,
    loss_history_ (objective J per epoch, in the sum form above), n_features_in_,
    feature_names_in_ (DataFrame input with string column names only).
    """

    def __init__(
        self,
        C=1.0,
        *,
        fit_intercept=True,
        solver="auto",
        learning_rate="auto",
        tol=1e-4,
        max_iter=100,
        class_weight=None,
        warm_start=False,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.C = C
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.learning_rate = learning_rate
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.sparse = False
        return tags

    def fit(self, X, y, sample_weight=None):
        """Fit on X (n_samples, n_features) and two-class labels y. Everything is validated
        before any attribute changes; X, y and sample_weight are never modified."""
        V.check_scalar_params(self.C, self.tol, self.max_iter, self.learning_rate, self.verbose)
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {self.solver!r}")
        feature_names = _get_feature_names(X)
        # the checks' passes over X run on n_jobs threads too
        with thread_limit(self.n_jobs) as n_threads:
            # NaN and inf in X surface in the solver's first pass (LogisticObjective), which
            # then names the row: a separate scan would cost one more read of X
            X = V.as_float_matrix(X, check_finite=False)
            y = V.as_labels(y, X.shape[0])
            classes, y01 = V.binary_targets(y)
            s = V.sample_weights(sample_weight, X.shape[0])
            if self.class_weight is not None:
                cw = compute_class_weight(self.class_weight, classes=classes, y=y, sample_weight=s)
                s *= cw[y01.astype(np.intp)]
                V.check_weights(s, "sample_weight * class_weight")
            theta0 = self._starting_point(X.shape[1], classes)
            objective = LogisticObjective(X, y01, s, self.C, self.fit_intercept, n_threads)
            if self.solver == "newton":
                result = newton(
                    objective,
                    theta0,
                    tol=self.tol,
                    max_iter=self.max_iter,
                    verbose=self.verbose,
                    random_state=None
                    if self.random_state is None
                    else check_random_state(self.random_state),
                )
            elif self.solver == "lbfgs":
                result = lbfgs(
                    objective, theta0, tol=self.tol, max_iter=self.max_iter, verbose=self.verbose
                )
            else:  # 'gd', and 'auto' until the solver benchmark justifies another rule
                result = gradient_descent(
                    objective,
                    theta0,
                    learning_rate=self.learning_rate,
                    tol=self.tol,
                    max_iter=self.max_iter,
                    verbose=self.verbose,
                )
        if not np.isfinite(result.theta).all():  # the solver raises first; never return NaN
            raise FloatingPointError("the fit produced non-finite coefficients; rescale X")
        if not result.converged:
            warnings.warn(
                f"fastlogreg {self.solver} did not converge: {result.message}. Increase max_iter, "
                "standardise the columns of X, or loosen tol.",
                ConvergenceWarning,
                stacklevel=2,
            )

        self.classes_ = classes
        self.coef_ = result.theta[None, :-1].astype(X.dtype)
        self.intercept_ = np.array([result.theta[-1] if self.fit_intercept else 0.0], dtype=X.dtype)
        self.n_iter_ = np.array([result.n_iter], dtype=np.int32)
        self.loss_history_ = objective.to_sum(np.asarray(result.loss_history))
        self.n_features_in_ = X.shape[1]
        if feature_names is not None:
            self.feature_names_in_ = feature_names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return self

    def _starting_point(self, n_features, classes):
        theta = np.zeros(n_features + 1)
        if self.warm_start and hasattr(self, "coef_"):
            if self.coef_.shape != (1, n_features) or not np.array_equal(self.classes_, classes):
                raise ValueError(
                    f"warm_start needs the same features and classes as the previous fit: it had "
                    f"{self.coef_.shape[1]} features and classes {self.classes_.tolist()}, this "
                    f"fit has {n_features} and {classes.tolist()}. Set warm_start=False."
                )
            theta[:-1] = self.coef_[0]
            theta[-1] = self.intercept_[0] if self.fit_intercept else 0.0
        return theta

    def _scores(self, X, probability):
        check_is_fitted(self)
        X = validate_data(
            self, X, reset=False, dtype=list(V.FLOAT_DTYPES), order="C", ensure_all_finite=False
        )
        X = np.asarray(X)
        out = np.empty(X.shape[0], dtype=X.dtype)
        w = self.coef_[0].astype(np.float64)
        with thread_limit(self.n_jobs):
            V.check_finite_matrix(X)
            decision_scores(X, w, float(self.intercept_[0]), probability, out)
        return out

    def decision_function(self, X):
        """Scores z = X w + b, shape (n_samples,); positive means classes_[1]."""
        return self._scores(X, probability=False)

    def predict_proba(self, X):
        """Probabilities of classes_[0] and classes_[1], shape (n_samples, 2)."""
        p = self._scores(X, probability=True)
        return np.column_stack([1.0 - p, p])

    def predict_log_proba(self, X):
        """Log-probabilities, computed from the scores without log(0) for large margins."""
        z = self.decision_function(X)
        return np.column_stack([-np.logaddexp(0, z), -np.logaddexp(0, -z)])

    def predict(self, X):
        """Class labels: classes_[1] where the score is positive, classes_[0] elsewhere."""
        positive = self.decision_function(X) > 0  # checks the fit before classes_ is read
        return self.classes_[positive.astype(np.intp)]
