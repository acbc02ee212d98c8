"""fastlogreg.LogisticRegression: the scikit-learn-compatible estimator.

Validation and dispatch only: the arithmetic lives in the kernels, the iteration in solvers/.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array, check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _get_feature_names, check_is_fitted, validate_data

from . import _validation as V
from ._chunk_source import is_chunk_source
from ._config import thread_limit
from .chunked import ChunkedData
from .data import as_data, stored_columns, used_columns
from .datafits import for_classes
from .exceptions import DivergenceError
from .objective import LogisticObjective, to_sum_form
from .solvers import gradient_descent, lbfgs, newton, prox_newton
from .solvers.sgd import SGDProgress, sgd

SOLVERS = ("auto", "newton", "lbfgs", "sgd", "gd")
# 'auto' takes 'newton' up to this many features and 'lbfgs' above: the Newton iteration's
# Hessian sample costs O(rows d^2), while lbfgs in standardised coordinates takes about 8
# iterations. Measured (bench/RESULTS.md, python -m bench.auto_rule, 2026-11-30, float64, C=1,
# tol=1e-4): newton is faster at 100k x 10 (0.010 s against 0.011 s) and 1M x 100 (0.25 s
# against 0.31 s), lbfgs at 100k x 300 (0.14 s against 0.62 s) and 100k x 1000 (0.27 s against
# 3.4 s).
AUTO_NEWTON_MAX_FEATURES = 200
# multinomial: newton from this many rows on, with at most 30 features (auto_solver)
AUTO_MULTINOMIAL_NEWTON_MIN_ROWS = 200_000


def auto_solver(n_samples, n_features, n_classes, l1_ratio, sparse=False, chunked=False):
    """The solver 'auto' runs, by measurement (bench/RESULTS.md, `python -m bench.auto_rule`;
    chunked: a chunk source, whose passes re-read the file)."""
    if l1_ratio > 0:  # the one batch solver for L1 and elastic net
        return "newton"
    if sparse and chunked:
        # out of core a pass re-reads the file, and truncated Newton's Hessian-vector products
        # are a pass each: passes to tol 1e-6 on CSR chunks (bench/RESULTS.md, "Issue 11,
        # second session"), truncated Newton / lbfgs: 91 / 14 (200k x 2^18, 2 classes, C=1),
        # 102 / 18 (C=10), 517 / 26 (100k x 2^16, 5 classes); the same optimum to 1e-9
        return "lbfgs"
    if sparse:
        # by measurement (bench/issue10.py, 2026-11-30, C=1). Two classes, the 1M x 2^20 text
        # problem: truncated Newton (solvers/newton.py) took 9.4 s to a relative gap of 3e-9
        # at tol 1e-4, its fit's own memory peak 0.48x the CSR's bytes; lbfgs 4.0 s to 2e-8
        # (tol 1e-5) but 1.94x the CSR (its 10 pairs of d-vectors and preconditioned copies):
        # only truncated Newton meets the memory target (X and the fit within 1.5x
        # X), and both its time targets. 10 classes on 200k x 2^20: lbfgs, 35 s against 145 s
        # (truncated Newton's conjugate gradients, preconditioned by the diagonal only, took
        # 138-229 products per iteration)
        return "lbfgs" if n_classes > 2 else "newton"
    if n_classes > 2:
        # multinomial: newton's conjugate gradients run on a fixed row sample, so it wins where
        # there are many rows of few features; lbfgs elsewhere. Measured with bench.auto_rule
        # (2026-11-30, float64, C=1, default tol), newton / lbfgs time: 1M x 10 0.55 (10
        # classes), 0.64 (3), 0.9-1.05 (5); 200k x 10 0.73, 0.75, 1.05-1.12; 200k x 30 0.98,
        # 0.98, 0.92-1.10; 200k x 100 1.62 (10 classes), 0.99 (3); 20k x 100 4.3 and 3.6
        if n_samples >= AUTO_MULTINOMIAL_NEWTON_MIN_ROWS and n_features <= 30:
            return "newton"
        return "lbfgs"
    return "newton" if n_features <= AUTO_NEWTON_MAX_FEATURES else "lbfgs"


def _n_outputs(classes):
    """Rows of coef_: 1 for two classes (binomial), K for K >= 3 (multinomial)."""
    return 1 if classes.shape[0] == 2 else classes.shape[0]


def _chunked_training_data(source, y):
    """(ChunkedData, its labels, its feature names) for fit on a chunk source: one read."""
    if y is not None:
        raise ValueError(
            "a chunk source carries its labels: call fit(source) without y (or build the "
            "source with the labels it should yield)"
        )
    data = ChunkedData(source)
    labels, data.labels = data.labels, None  # the estimator's y from here on
    names = source.feature_names
    if names is not None:
        names = np.asarray(names, dtype=object)
        if names.shape != (data.shape[1],):
            raise ValueError(
                f"the chunk source names {names.size} features but its chunks have "
                f"{data.shape[1]} columns"
            )
    return data, labels, names


def _unstored_zeroed(theta0, X, n_outputs):
    """A warm start for SGD on CSR X with its coefficients of the columns no row stores set
    to 0, their optimum under a penalty (data.UsedColumns does the same for the batch
    solvers): SGD would only shrink them by its scalar L2 factor, epoch after epoch."""
    Theta = theta0.reshape(n_outputs, X.shape[1] + 1).copy()
    Theta[:, :-1][:, ~stored_columns(X)] = 0.0
    return Theta.ravel()


def _trains_by_sgd(model):
    """partial_fit's availability: it runs SGD epochs, so only with solver 'sgd' or 'auto'."""
    if model.solver not in ("auto", "sgd"):
        raise AttributeError(
            f"partial_fit trains by SGD; it needs solver='sgd' or 'auto', not {model.solver!r}"
        )
    return True


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """Logistic regression (binary and multinomial) with an L2, L1 or elastic-net penalty,
    trained by fused Numba kernels.

    Minimises scikit-learn's LogisticRegression objective (1.8+ parameterisation):

        J(W, b) = sum_i s_i l(y_i, z_i) + (l1_ratio ||W||_1 + (1 - l1_ratio) ||W||_F^2 / 2) / C

    with z_i = W x_i + b, s_i = sample_weight * class weight, the intercepts not penalised and
    C=np.inf meaning no penalty. Two classes: the binomial loss
    l = log(1 + exp(z)) - y z, y in {0, 1} for classes_[0] and classes_[1], W of shape (1, d).
    K >= 3 classes: the multinomial loss l = logsumexp_k(z_k) - z_y, W of shape (K, d).

    Parameters
    ----------
    C : float, default=1.0
        Inverse of the penalty strength; > 0, np.inf for none.
    l1_ratio : float in [0, 1], default=0.0
        The elastic-net mix: 0 is L2, 1 is L1 (sparse coefficients, exact zeros), between is the
        elastic net. Above 0 it needs solver 'auto', 'newton' (proximal Newton) or 'sgd'.
    fit_intercept : bool, default=True
    solver : {'auto', 'newton', 'lbfgs', 'sgd', 'gd'}, default='auto'
        'newton': Newton's method with the exact gradient (one fused pass per iteration) and a
        Hessian from a sample of at most max(16384, 32 n_params) rows (multiclass: its
        direction by conjugate gradients on Hessian-vector products); with l1_ratio > 0,
        proximal Newton, coordinate descent on that sampled quadratic model over a working set
        of features (fastlogreg/solvers/prox_newton.py). 'lbfgs': L-BFGS (Nocedal
        and Wright) with a Wolfe line search on the fused loss-and-gradient pass, in coordinates
        preconditioned by the Hessian's diagonal (fastlogreg/solvers/lbfgs.py). 'sgd': per-sample
        stochastic gradient descent, Hogwild when n_jobs > 1. 'gd': full-batch gradient
        descent, the seed's method. 'auto' picks 'newton' up to AUTO_NEWTON_MAX_FEATURES (200)
        features and 'lbfgs' above for two classes; for more, 'newton' from 200,000 rows with
        at most 30 features and 'lbfgs' otherwise; on sparse X, truncated 'newton' for two
        classes and 'lbfgs' for more; on sparse chunk sources 'lbfgs' (there each of
        truncated Newton's Hessian-vector products re-reads the file); 'newton' whenever
        l1_ratio > 0; by the measurements of `python -m bench.auto_rule` (auto_solver).
    learning_rate : 'auto', float or one of 'constant', 'optimal', 'invscaling', 'adaptive'
        'gd': 'auto' (a step from the curvature bound with backtracking, so the objective never
        increases) or a float, the step applied to the mean-form gradient dJ/dtheta / sum(s).
        'sgd': 'auto' (a constant step from the data's scale, with averaging), a float (a
        constant step) or one of SGDClassifier's schedules. Unused by 'newton' and 'lbfgs'.
    tol : float, default=1e-4
        'gd', 'newton', 'lbfgs': stop when max_j |dJ/dtheta_j| / sum(s) <= tol, the only test
        that counts as converged; with l1_ratio > 0, when the largest distance of that gradient
        (of the smooth part) to the L1 subdifferential is <= tol. 'sgd': stop when the epoch's
        mean loss has not improved by tol for n_iter_no_change epochs (None: never); it warns
        when the model ends more than tol (1e-4 when None) above the optimum, by a Newton
        step's predicted decrease.
    max_iter : int, default=100
        Maximum number of epochs ('gd', 'sgd') or iterations ('newton', 'lbfgs'); a solver that
        stops short of its tolerance warns with ConvergenceWarning and says how far it is.
    class_weight : dict, 'balanced' or None
        Multiplied into the sample weights; 'balanced' uses scikit-learn's formula.
    warm_start : bool, default=False
        Start from the previous fit's coefficients.
    n_jobs : int or None, default=None
        Threads for the kernels (None or -1: all of Numba's threads). Results for a fixed
        n_jobs are bit-identical from run to run, except with 'sgd', which runs Hogwild
        (lock-free, not reproducible) when n_jobs > 1 or -1 and one thread when None.
    random_state : int, RandomState or None
        'sgd': the shuffling (None: fresh randomness; fix it, with n_jobs=1, for reproducible
        fits). 'newton': the Hessian's row sample (None: a fixed sample). Unused otherwise.
    verbose : int, default=0
        Print the objective every epoch or iteration when > 0.
    eta0 : float or None, default=None
        'sgd': the initial step of 'constant', 'invscaling' and 'adaptive' (None: 0.01).
    power_t : float, default=0.5
        'sgd': the exponent of 'invscaling'.
    average : bool, int or None, default=None
        'sgd': average the iterates (an int: from that many samples on). None: averaging with
        learning_rate='auto' only.
    n_iter_no_change : int, default=5
        'sgd': epochs without improvement before stopping (or, 'adaptive', dividing eta by 5).
    shuffle : bool, default=True
        'sgd': visit the rows in a new random order each epoch (random blocks of 32 rows,
        shuffled within groups of about 128 KB; see fastlogreg/kernels/sgd.py).

    X may be dense or scipy.sparse (README, "Sparse input"): every solver, datafit and
    penalty works on CSR through the same objective (fastlogreg/data.py); on sparse X
    'newton' is truncated Newton on exact Hessian-vector products (proximal Newton on the
    working set's sparse columns when l1_ratio > 0) and 'sgd' costs O(non-zeros) per row.

    Attributes
    ----------
    classes_, coef_ ((1, n_features) for two classes, (n_classes, n_features) for more; X's
    dtype), intercept_ ((1,) or (n_classes,)), n_iter_ (1,) epochs or
    iterations run, loss_history_ (objective J per epoch or iteration, in the sum form above;
    for 'sgd' the epoch's running loss), solver_ (the solver that ran), n_features_in_,
    feature_names_in_ (DataFrame input with string column names only).
    """

    def __init__(
        self,
        C=1.0,
        *,
        l1_ratio=0.0,
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
        eta0=None,
        power_t=0.5,
        average=None,
        n_iter_no_change=5,
        shuffle=True,
    ):
        self.C = C
        self.l1_ratio = l1_ratio
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
        self.eta0 = eta0
        self.power_t = power_t
        self.average = average
        self.n_iter_no_change = n_iter_no_change
        self.shuffle = shuffle

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        tags.input_tags.sparse = True  # every solver, datafit and penalty (data.py)
        return tags

    def fit(self, X, y=None, sample_weight=None):
        """Fit on X (n_samples, n_features) and labels y (two classes or more). X: an array
        (float32 kept, C-ordered float32/float64 used without a copy) or a scipy.sparse
        matrix or array (CSR used in place, other formats converted once, never densified;
        see _validation.as_design_matrix), or a chunk source (chunked.ChunkSource, e.g.
        fastlogreg.io.open_chunks: data larger than memory, read a chunk at a time, one read
        per pass of the solver), which carries its labels: then y is None. Everything is
        validated before any attribute changes; X, y and sample_weight are never modified.
        Raises ValueError for NaN or infinity in X (with its row and column), for squares of
        X that overflow float64, and for labels or weights that cannot be fitted;
        ConvergenceWarning when the solver stops short of tol, saying how far."""
        self._check_params()
        feature_names = _get_feature_names(X)
        # the checks' passes over X run on n_jobs threads too
        with thread_limit(self.n_jobs) as n_threads:
            if is_chunk_source(X):
                X, y, feature_names = _chunked_training_data(X, y)
            else:  # (y None: as_labels says it is required)
                # NaN and inf in X surface in the solver's first pass (LogisticObjective),
                # which then names the row: a separate scan would cost one more read of X
                X = V.as_design_matrix(X, check_finite=False)
            y = V.as_labels(y, X.shape[0])
            classes, codes = V.class_targets(y)
            s = self._weights(sample_weight, y, codes, classes, X.shape[0])
            theta0 = self._starting_point(X.shape[1], classes)  # None: zeros
            solver = self._pick_solver(X, classes)
            if solver == "sgd":
                objective = self._objective(X, codes, s, classes, n_threads)
                if theta0 is None:
                    theta0 = np.zeros(_n_outputs(classes) * (X.shape[1] + 1))
                elif sp.issparse(X) and self.C != np.inf:
                    theta0 = _unstored_zeroed(theta0, X, _n_outputs(classes))
                progress = SGDProgress.start(theta0)
                result = self._run_sgd(objective, progress, n_threads, self.max_iter, self.tol)
            else:
                result = self._fit_stored_columns(solver, X, codes, s, classes, n_threads, theta0)
                progress = None
        self._store(result, solver, classes, X, s, feature_names)
        self._sgd_progress = progress
        return self

    @available_if(_trains_by_sgd)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One SGD epoch over this chunk, continuing from the previous calls (or from the last
        fit). The first call needs classes=, every class label. The penalty and the weights
        refer to every row seen so far, so after the last chunk the objective is the full
        data's. Only with solver 'sgd' or 'auto' (otherwise the method is absent:
        hasattr(model, 'partial_fit') is False, as scikit-learn's checks expect)."""
        self._check_params()
        if self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' needs the whole data set; in partial_fit pass a dict "
                "of class weights, or compute them once with "
                "sklearn.utils.class_weight.compute_class_weight"
            )
        feature_names = _get_feature_names(X)
        fitted = hasattr(self, "coef_")
        with thread_limit(self.n_jobs) as n_threads:
            X = V.as_design_matrix(X, check_finite=False)
            if fitted and X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[1]} features, but LogisticRegression is expecting "
                    f"{self.n_features_in_} features as input: every chunk needs the same columns"
                )
            y = V.as_labels(y, X.shape[0])
            classes, codes = V.partial_fit_targets(y, classes, self.classes_ if fitted else None)
            s = self._weights(sample_weight, y, codes, classes, X.shape[0], partial=True)
            previous = getattr(self, "_sgd_progress", None)
            if previous is not None:
                progress = copy.deepcopy(previous)  # the model changes only if the epoch succeeds
            else:
                progress = SGDProgress.start(self._fitted_theta(X.shape[1], classes))
            objective = self._objective(X, codes, s, classes, n_threads)
            result = self._run_sgd(objective, progress, n_threads, 1, None, check=False)
        self._store(result, "sgd", classes, X, s, feature_names)
        self._sgd_progress = progress
        return self

    def _check_params(self):
        V.check_scalar_params(
            self.C, self.tol, self.max_iter, self.learning_rate, self.verbose, self.solver
        )
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {self.solver!r}")
        V.check_l1_ratio(self.l1_ratio, self.solver)
        V.check_class_weight_param(self.class_weight)
        V.check_sgd_params(
            self.eta0, self.power_t, self.average, self.n_iter_no_change, self.shuffle
        )
        for name in ("fit_intercept", "warm_start"):
            value = getattr(self, name)
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False, got {value!r}")

    def _weights(self, sample_weight, y, codes, classes, n, partial=False):
        """s = sample_weight * class_weight[y]. A fit needs rows of positive weight in every
        class; a partial_fit chunk need not hold every class."""
        s = V.sample_weights(sample_weight, n)
        if isinstance(self.class_weight, dict):
            extra = [k for k in self.class_weight if not np.isin(k, classes).any()]
            if extra:  # scikit-learn's message names the classes, not the stray keys
                raise ValueError(
                    f"class_weight has weights for {extra}, which are not classes of y; its "
                    f"classes are {classes.tolist()}"
                )
        if self.class_weight is not None:
            cw = compute_class_weight(self.class_weight, classes=classes, y=y, sample_weight=s)
            V.check_class_weight_factors(cw, classes)  # by class, not by its first row
            s *= cw[codes.astype(np.intp)]
            V.check_weights(s, "sample_weight * class_weight")
        if not partial:
            V.check_class_weights(s, codes, classes)
        return s

    def _objective(self, X, codes, s, classes, n_threads):
        return LogisticObjective(
            X,
            codes,
            s,
            self.C,
            self.fit_intercept,
            n_threads,
            n_classes=classes.shape[0],
            l1_ratio=float(self.l1_ratio),
        )

    def _pick_solver(self, X, classes):
        if self.solver != "auto":
            return self.solver
        sparse = sp.issparse(X) or getattr(X, "is_sparse", False)  # CSR, or sparse chunks
        chunked = getattr(X, "is_chunked", False)
        n, d = X.shape
        return auto_solver(n, d, classes.shape[0], self.l1_ratio, sparse=sparse, chunked=chunked)

    def _fit_stored_columns(self, solver, X, codes, s, classes, n_threads, theta0):
        """The batch solver's result on the columns of sparse X that its rows store
        (data.UsedColumns: the same optimum, shorter vectors), extended to every column."""
        n_outputs = _n_outputs(classes)
        subset = used_columns(X, n_outputs)
        if subset is None:
            return self._run_batch_solver(
                solver, self._objective(X, codes, s, classes, n_threads), theta0
            )
        objective = self._objective(subset.X, codes, s, classes, n_threads)
        start = None if theta0 is None else subset.restrict(theta0, n_outputs)
        result = self._run_batch_solver(solver, objective, start)
        unstored = theta0 if self.C == np.inf else None  # penalised: their optimum is 0
        result.theta = subset.extend(result.theta, n_outputs, unstored)
        return result

    def _run_batch_solver(self, solver, objective, theta0):
        common = dict(tol=self.tol, max_iter=self.max_iter, verbose=self.verbose)
        if solver == "newton":
            rng = None if self.random_state is None else check_random_state(self.random_state)
            if objective.l1 > 0:
                return prox_newton(objective, theta0, random_state=rng, **common)
            return newton(objective, theta0, random_state=rng, **common)
        if solver == "lbfgs":
            return lbfgs(objective, theta0, **common)
        return gradient_descent(objective, theta0, learning_rate=self.learning_rate, **common)

    def _run_sgd(self, objective, progress, n_threads, max_iter, tol, check=True):
        learning_rate, eta0 = self.learning_rate, self.eta0
        if not isinstance(learning_rate, str):  # a float: a constant step of that size
            learning_rate, eta0 = "constant", float(learning_rate)
        return sgd(
            objective,
            progress=progress,
            learning_rate=learning_rate,
            eta0=eta0,
            power_t=self.power_t,
            average=self.average,
            tol=tol,
            n_iter_no_change=self.n_iter_no_change,
            max_iter=max_iter,
            shuffle=self.shuffle,
            rng=np.random.default_rng(check_random_state(self.random_state).randint(2**31)),
            # Hogwild only when asked for: on dense rows it measured no faster than one thread
            # (bench/RESULTS.md) and it is not reproducible
            n_threads=1 if self.n_jobs is None else n_threads,
            verbose=self.verbose,
            check=check,
        )

    def _store(self, result, solver, classes, X, s, feature_names):
        """Check the result, warn if it did not converge, then set the fitted attributes."""
        if not np.isfinite(result.theta).all():  # the solver raises first; never return NaN
            raise DivergenceError("the fit produced non-finite coefficients; rescale X")
        if not result.converged:
            warnings.warn(
                f"fastlogreg {solver} did not converge: {result.message}.",
                ConvergenceWarning,
                stacklevel=3,
            )
        Theta = for_classes(classes.shape[0]).canonical(
            result.theta.reshape(-1, X.shape[1] + 1), self.C
        )
        self.classes_ = classes
        self.coef_ = Theta[:, :-1].astype(X.dtype)
        self.intercept_ = (Theta[:, -1] if self.fit_intercept else np.zeros(len(Theta))).astype(
            X.dtype
        )
        self.n_iter_ = np.array([result.n_iter], dtype=np.int32)
        self.converged_ = bool(result.converged)  # False: the fit warned (model files keep it)
        self.loss_history_ = to_sum_form(result.loss_history, float(s.sum()))
        self.solver_ = solver
        self.n_features_in_ = X.shape[1]
        if feature_names is not None:
            self.feature_names_in_ = feature_names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_

    def _starting_point(self, n_features, classes):
        """The warm start's theta (n_outputs (d + 1),), or None for a cold start at zero."""
        if self.warm_start and hasattr(self, "coef_"):
            n_outputs = _n_outputs(classes)
            if self.coef_.shape != (n_outputs, n_features) or not np.array_equal(
                self.classes_, classes
            ):
                raise ValueError(
                    f"warm_start needs the same features and classes as the previous fit: it had "
                    f"{self.coef_.shape[1]} features and classes {self.classes_.tolist()}, this "
                    f"fit has {n_features} and {classes.tolist()}. Set warm_start=False."
                )
            return self._fitted_theta(n_features, classes)
        return None  # a fresh fit starts from zero (the solvers' own zeros: see solvers/)

    def _fitted_theta(self, n_features, classes):
        """The fitted coefficients and intercepts as a solver's theta, or zeros if not fitted."""
        n_outputs = _n_outputs(classes)
        Theta = np.zeros((n_outputs, n_features + 1))
        if hasattr(self, "coef_"):
            Theta[:, :-1] = self.coef_
            Theta[:, -1] = self.intercept_ if self.fit_intercept else 0.0
        return Theta.ravel()

    def _scores(self, X, probability):
        """Binary: z (n_samples,) or sigmoid(z); multiclass: Z (n_samples, K) or its softmax.
        X's dtype, float64 sums."""
        check_is_fitted(self)
        if is_chunk_source(X):  # a chunk at a time, its labels unused
            parts = [self._scores(X_c, probability) for X_c, _ in X]
            if not parts:
                raise ValueError("the chunk source yielded no chunks: it has no rows")
            return np.concatenate(parts)
        checks = dict(accept_sparse=True, dtype=list(V.FLOAT_DTYPES), order="C")
        native = V.float_table_as_array(X)
        if native is not X:  # a float polars/pyarrow table: its names, then its own array
            validate_data(self, X, reset=False, skip_check_array=True)
            X = check_array(native, ensure_all_finite=False, input_name="X", **checks)
        else:
            X = validate_data(self, X, reset=False, ensure_all_finite=False, **checks)
        X = V.as_csr(X) if sp.issparse(X) else np.asarray(X)
        Theta = np.column_stack([self.coef_, self.intercept_]).astype(np.float64)
        binary = Theta.shape[0] == 1
        dtype = X.dtype
        out = np.empty(X.shape[0] if binary else (X.shape[0], Theta.shape[0]), dtype=dtype)
        with thread_limit(self.n_jobs) as n_threads:
            data = as_data(X)
            data.check_finite()
            for_classes(self.classes_.shape[0]).scores(data, Theta, probability, out, n_threads)
        return out

    def save(self, path):
        """Save the fitted model to `path` as a model file: one ZIP of metadata.json,
        coef.npy and intercept.npy, readable without fastlogreg and never a pickle
        (fastlogreg.persist.save_model gives the format and the errors it raises); read it
        back with fastlogreg.load(path)."""
        from .persist import save_model

        save_model(self, path)

    def decision_function(self, X):
        """Binary: scores z = X w + b, shape (n_samples,), positive means classes_[1].
        Multiclass: Z = X W^T + b, shape (n_samples, n_classes)."""
        return self._scores(X, probability=False)

    def predict_proba(self, X):
        """Probabilities of each class in classes_, shape (n_samples, n_classes), rows summing
        to 1 (binary: sigmoid; multiclass: softmax of the scores)."""
        p = self._scores(X, probability=True)
        return np.column_stack([1.0 - p, p]) if p.ndim == 1 else p

    def predict_log_proba(self, X):
        """Log-probabilities (n_samples, n_classes), computed from the scores without log(0)
        for large margins; of the dtype of decision_function (float32 for a float32 model,
        binary and multiclass alike)."""
        z = self.decision_function(X)
        if z.ndim == 2:
            wide = z.astype(np.float64)  # the log-sum-exp in float64, then back
            return (wide - logsumexp(wide, axis=1, keepdims=True)).astype(z.dtype, copy=False)
        return np.column_stack([-np.logaddexp(0, z), -np.logaddexp(0, -z)])

    def predict(self, X):
        """Class labels: binary, classes_[1] where the score is positive; multiclass, the class
        of the largest score."""
        z = self.decision_function(X)  # checks the fit before classes_ is read
        index = z.argmax(axis=1) if z.ndim == 2 else (z > 0).astype(np.intp)
        return self.classes_[index]
