"""fastlogreg.LogisticRegressionCV: C (and l1_ratio) chosen by cross-validation.

scikit-learn's LogisticRegressionCV, with its attribute layout of use_legacy_attributes=False
(its default from 1.10): for each fold and l1_ratio, the path of Cs is fitted in increasing
order, each fit warm-started from the previous C's coefficients; held-out rows are scored; the
(C, l1_ratio) of the best mean score wins; with refit=True the whole data is then fitted at it,
warm-started from the mean of the folds' coefficients there.

A fold's training objective is the full data's with the held-out rows weighted 0: the passes
then read all of X (a fifth more rows with 5 folds), but no fold copies X's training rows
(1M x 100 float64: 640 MB per fold). Only the held-out rows are copied, for the scorer.
"""

from __future__ import annotations

import inspect
import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring, make_scorer
from sklearn.model_selection import check_cv
from sklearn.utils.validation import _get_feature_names

from . import _validation as V
from ._config import thread_limit
from .datafits import for_classes
from .estimator import LogisticRegression, auto_solver

CV_SOLVERS = ("auto", "newton", "lbfgs")


class LogisticRegressionCV(LogisticRegression):
    """Logistic regression (binary or multinomial, L2 / L1 / elastic net) with C and l1_ratio
    chosen by cross-validation, as scikit-learn's LogisticRegressionCV defines it.

    Parameters
    ----------
    Cs : int or array-like of positive floats, default=10
        The Cs to try; an int n means np.logspace(-4, 4, n). Reported in the order given (as
        scikit-learn, which also breaks ties between equal mean scores by that order); each
        fold's path is fitted in increasing C, each fit warm-started from the previous.
    l1_ratios : array-like of floats in [0, 1] or None, default=None
        The l1_ratios to try (None: (0.0,), L2 only). Above 0 the solver is 'newton'
        (proximal Newton).
    cv : int, cross-validation generator or iterable, default=5
        An int k: StratifiedKFold(k) (no shuffling), as scikit-learn's check_cv makes it.
    scoring : str, callable or None, default=None
        A scikit-learn scorer name or callable scorer(estimator, X, y); None: accuracy
        (scikit-learn's default before 1.11). As in scikit-learn (without metadata routing),
        the scorer is given the held-out rows' sample_weight when fit has one (a callable
        without a sample_weight parameter is called without it), and metrics that take
        labels= are told every class.
    refit : bool, default=True
        True: refit on all rows at the best (C, l1_ratio). False: coef_ and intercept_ are the
        mean over folds of each fold's best fit, C_ and l1_ratio_ the means of the folds' best.
    fit_intercept, solver ('auto', 'newton', 'lbfgs'), tol, max_iter, class_weight, n_jobs,
    verbose, random_state : as LogisticRegression. class_weight='balanced' is computed once,
    on all rows (as scikit-learn does).

    Attributes
    ----------
    Cs_ (n_cs,), l1_ratios_ (n_l1_ratios,; [None] when l1_ratios is None, as scikit-learn),
    scores_ (n_folds, n_l1_ratios, n_cs),
    coefs_paths_ (n_folds, n_l1_ratios, n_cs, n_outputs, n_features + fit_intercept) with
    n_outputs 1 for two classes and n_classes above, n_iter_ (n_folds, n_l1_ratios, n_cs),
    C_ and l1_ratio_ (floats), classes_, coef_, intercept_, n_features_in_,
    feature_names_in_, and those of LogisticRegression for the refit (loss_history_, solver_).

    Raises ValueError for invalid parameters or data (before any attribute changes), and when
    a fold's training rows have no row of positive weight of some class (use fewer folds).
    A ConvergenceWarning, once per fit, says how many path fits stopped short and how far.
    """

    def __init__(
        self,
        *,
        Cs=10,
        l1_ratios=None,
        cv=5,
        scoring=None,
        refit=True,
        fit_intercept=True,
        solver="auto",
        tol=1e-4,
        max_iter=100,
        class_weight=None,
        n_jobs=None,
        verbose=0,
        random_state=None,
    ):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state

    # the single-C estimator's parameters the shared code reads
    C = 1.0
    l1_ratio = 0.0
    warm_start = False
    learning_rate = "auto"

    @property
    def partial_fit(self):
        """Not available: a property that raises, so hasattr(model, 'partial_fit') is False."""
        raise AttributeError("LogisticRegressionCV has no partial_fit; use LogisticRegression")

    def _grid(self):
        """(Cs_, l1_ratios_) validated, in the order given."""
        if isinstance(self.Cs, numbers.Integral) and not isinstance(self.Cs, bool):
            if self.Cs < 1:
                raise ValueError(f"Cs must be an int >= 1 or a list of positive floats: {self.Cs}")
            Cs = np.logspace(-4, 4, int(self.Cs))
        else:
            Cs = _float_list(self.Cs)
            if Cs is None or Cs.size == 0 or not np.all(Cs > 0):
                raise ValueError(
                    f"Cs must be an int >= 1 or a non-empty list of positive floats (np.inf "
                    f"for no penalty), got {self.Cs!r}"
                )
        if self.l1_ratios is None:
            l1_ratios = np.zeros(1)
        else:
            l1_ratios = _float_list(self.l1_ratios)
            if l1_ratios is None or l1_ratios.size == 0:
                raise ValueError(
                    f"l1_ratios must be a list of at least one number in [0, 1], or None; got "
                    f"{self.l1_ratios!r}"
                )
        for l1_ratio in l1_ratios:
            V.check_l1_ratio(float(l1_ratio), self.solver)
        return Cs, l1_ratios

    def _check_cv_params(self):
        V.check_scalar_params(1.0, self.tol, self.max_iter, "auto", self.verbose, self.solver)
        if self.solver not in CV_SOLVERS:
            raise ValueError(f"solver must be one of {CV_SOLVERS}, got {self.solver!r}")
        V.check_class_weight_param(self.class_weight)
        for name in ("fit_intercept", "refit"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        return self._grid()

    def _path_solver(self, X, n_classes, l1_ratio):
        if self.solver != "auto":
            return self.solver
        return auto_solver(X.shape[0], X.shape[1], n_classes, l1_ratio, sp.issparse(X))

    def fit(self, X, y, sample_weight=None, groups=None):
        """Cross-validate the grid, then fit (refit=True) or average the folds' fits. X
        (n_samples, n_features) float32/float64, y labels, sample_weight (n_samples,) or None,
        groups (n_samples,) or None: passed to the splitter's split (GroupKFold and the like;
        scikit-learn takes it through metadata routing); none of them is modified."""
        Cs, l1_ratios = self._check_cv_params()
        feature_names = _get_feature_names(X)
        with thread_limit(self.n_jobs) as n_threads:
            X = V.as_design_matrix(X)
            y = V.as_labels(y, X.shape[0])
            classes, codes = V.class_targets(y)
            s = self._weights(sample_weight, y, codes, classes, X.shape[0])
            folds = list(check_cv(self.cv, y, classifier=True).split(X, y, groups))
            scorer = _scorer(self.scoring, classes)
            datafit = for_classes(classes.shape[0])
            n_outputs = datafit.n_outputs
            d = X.shape[1]
            shape = (len(folds), l1_ratios.shape[0], Cs.shape[0])
            paths = np.zeros((*shape, n_outputs, d + 1))
            scores = np.zeros(shape)
            n_iter = np.zeros(shape, dtype=np.int32)
            short = []
            for f, (train, test) in enumerate(folds):
                s_train = np.zeros_like(s)
                s_train[train] = s[train]
                self._check_fold(s_train, codes, classes, f)
                X_test, y_test = X[test], y[test]
                # as scikit-learn: the scorer weighs the held-out rows by their sample_weight
                # (not by class_weight)
                sw_test = None if sample_weight is None else np.asarray(sample_weight)[test]
                weights = (
                    {}
                    if sw_test is None or not _takes_weights(scorer)
                    else {"sample_weight": sw_test}
                )
                for r, l1_ratio in enumerate(l1_ratios):
                    theta = np.zeros(n_outputs * (d + 1))
                    solver = self._path_solver(X, classes.shape[0], l1_ratio)
                    for c in np.argsort(Cs, kind="stable"):  # warm starts in increasing C
                        C = Cs[c]
                        objective = self._path_objective(
                            X, codes, s_train, classes, n_threads, C, l1_ratio
                        )
                        result = self._run_batch_solver(solver, objective, theta)
                        if not result.converged:
                            short.append(
                                f"fold {f}, C={C:.3g}, l1_ratio={l1_ratio:g}: {result.message}"
                            )
                        theta = result.theta
                        paths[f, r, c] = datafit.canonical(theta.reshape(n_outputs, d + 1), C)
                        n_iter[f, r, c] = result.n_iter
                        model = _fitted(classes, paths[f, r, c], X.dtype, self.fit_intercept)
                        if scorer is None:
                            scores[f, r, c] = model.score(X_test, y_test, sample_weight=sw_test)
                        else:
                            scores[f, r, c] = scorer(model, X_test, y_test, **weights)
            # the first best in scikit-learn's order: C-major over (C, l1_ratio)
            mean = scores.mean(axis=0).T  # (n_cs, n_l1_ratios)
            c, r = np.unravel_index(int(np.argmax(mean)), mean.shape)
            if self.refit:
                C_, l1_ratio_ = float(Cs[c]), float(l1_ratios[r])
                objective = self._path_objective(X, codes, s, classes, n_threads, C_, l1_ratio_)
                start = paths[:, r, c].mean(axis=0).ravel()
                solver = self._path_solver(X, classes.shape[0], l1_ratio_)
                result = self._run_batch_solver(solver, objective, start)
            else:
                best = [np.unravel_index(int(np.argmax(fold.T)), fold.T.shape) for fold in scores]
                C_ = float(np.mean([Cs[bc] for bc, _ in best]))
                l1_ratio_ = float(np.mean([l1_ratios[br] for _, br in best]))
                theta = np.mean([paths[f, br, bc] for f, (bc, br) in enumerate(best)], axis=0)
                result, solver = _Averaged(theta.ravel()), "average of the folds"
        if short:
            warnings.warn(
                f"fastlogreg LogisticRegressionCV: {len(short)} of {scores.size} path fits did "
                f"not converge; the first: {short[0]}.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self._store(result, solver, classes, X, s, feature_names)
        if not self.fit_intercept:
            paths = paths[..., :-1]
        self.Cs_ = Cs
        self.l1_ratios_ = np.asarray([None]) if self.l1_ratios is None else l1_ratios
        self.scores_, self.coefs_paths_ = scores, paths
        self.C_, self.l1_ratio_ = C_, l1_ratio_
        self.n_iter_ = n_iter
        return self

    def score(self, X, y, sample_weight=None):
        """The `scoring` of the fitted model on (X, y) (accuracy when scoring is None), as
        scikit-learn's LogisticRegressionCV.score; sample_weight (n_samples,) or None."""
        scorer = _scorer(self.scoring, self.classes_) if hasattr(self, "classes_") else None
        if scorer is None:
            return super().score(X, y, sample_weight=sample_weight)
        weights = (
            {}
            if sample_weight is None or not _takes_weights(scorer)
            else {"sample_weight": sample_weight}
        )
        return scorer(self, X, y, **weights)

    def _path_objective(self, X, codes, s, classes, n_threads, C, l1_ratio):
        from .objective import LogisticObjective

        return LogisticObjective(
            X,
            codes,
            s,
            C,
            self.fit_intercept,
            n_threads,
            n_classes=classes.shape[0],
            l1_ratio=float(l1_ratio),
        )

    @staticmethod
    def _check_fold(s_train, codes, classes, fold):
        totals = np.bincount(codes.astype(np.intp), weights=s_train, minlength=classes.shape[0])
        empty = np.flatnonzero(~(totals > 0))
        if empty.size:
            raise ValueError(
                f"the training rows of fold {fold} hold no row of positive weight of class "
                f"{classes[empty[0]].item()!r} (its model would have no finite optimum): "
                "shuffle or stratify the folds (cv=StratifiedKFold(shuffle=True)), use fewer "
                "folds, or more rows of that class"
            )


def _float_list(values):
    """A 1-D float64 array from a list or array of real numbers; None for anything else (a
    scalar, strings), as scikit-learn accepts only array-likes for Cs and l1_ratios."""
    if np.ndim(values) != 1:
        return None
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if np.asarray(values).dtype.kind not in "biuf" or not np.all(~np.isnan(array)):
        return None
    return array


def _takes_weights(scorer):
    """Whether scorer(estimator, X, y, sample_weight=...) is a valid call: scikit-learn's
    scorers, and callables with a sample_weight or **kwargs parameter."""
    if scorer is None:
        return True
    try:
        parameters = inspect.signature(scorer).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "sample_weight" or p.kind is p.VAR_KEYWORD for p in parameters)


def _scorer(scoring, classes):
    """scikit-learn's scorer for `scoring` (None: the model's own weighted accuracy), told every
    class as its labels= (and the positive class for two) where its metric takes them, so a
    held-out fold without some class is scored as scikit-learn's LogisticRegressionCV scores it
    (the same reconstruction as its _log_reg_scoring_path)."""
    if scoring is None:
        return None
    scorer = check_scoring(LogisticRegression(), scoring=scoring)
    score_func = getattr(scorer, "_score_func", None)
    if score_func is None or "labels" not in inspect.signature(score_func).parameters:
        return scorer
    extra = {}
    if classes.shape[0] <= 2 and "pos_label" in inspect.signature(score_func).parameters:
        extra["pos_label"] = classes[-1]
    return make_scorer(
        score_func,
        greater_is_better=scorer._sign == 1,
        response_method=scorer._response_method,
        labels=classes,
        **extra,
        **getattr(scorer, "_kwargs", {}),
    )


class _Averaged:
    """The result of refit=False in the shape of a solver's result: the folds' mean fit."""

    def __init__(self, theta):
        self.theta = theta
        self.n_iter = 0
        self.converged = True
        self.loss_history = [np.nan]
        self.message = ""


def _fitted(classes, Theta, dtype, fit_intercept):
    """A LogisticRegression holding one path fit, for the scorer."""
    model = LogisticRegression(fit_intercept=fit_intercept)
    model.classes_ = classes
    model.coef_ = Theta[:, :-1].astype(dtype)
    model.intercept_ = (Theta[:, -1] if fit_intercept else np.zeros(Theta.shape[0])).astype(dtype)
    model.n_features_in_ = Theta.shape[1] - 1
    return model
