"""fastlogreg.dask.LogisticRegression: the estimator on data held by a Dask cluster.

    from dask.distributed import Client
    from fastlogreg.dask import LogisticRegression
    client = Client("tcp://scheduler:8786")        # or Client(LocalCluster()) on one machine
    model = LogisticRegression(C=1.0).fit(X, y)     # X a dask array or DataFrame, y its labels
    proba = model.predict_proba(X)                 # lazy: a dask array

It is fastlogreg.LogisticRegression (the same parameters, objective, solvers and fitted
attributes) whose fit and predictions also take dask collections. A separate class, as dask-ml
has, so that `import fastlogreg` never imports Dask and the in-memory estimator keeps
scikit-learn's contract (its predictions are ndarrays); given NumPy or SciPy data it behaves
exactly as the in-memory estimator.

A fit runs on the current dask.distributed Client (distributed.default_client()): each row
chunk is packed once on a worker (_dask_data.py) and every pass of the solver runs the fused
kernels there, on as many Numba threads as the worker has; the driver adds the chunks' d-sized
results and runs the in-memory solvers, so the optimum is the in-memory fit's (equal to
rounding). The workers need fastlogreg installed, as for any library a Dask task calls.
"""

from __future__ import annotations

import copy
import math
import numbers

import dask
import dask.array as da
import numpy as np
import scipy.sparse as sp
from sklearn.utils.class_weight import compute_class_weight

from . import _dask_data
from . import _validation as V
from . import estimator as _estimator
from ._config import thread_limit
from .objective import SERIAL_BELOW
from .solvers.newton import TRUNCATED_MIN_FEATURES


def is_dask_collection(X):
    return dask.is_dask_collection(X)


def _client():
    from distributed import default_client

    try:
        return default_client()
    except ValueError:
        raise ValueError(
            "fastlogreg.dask fits on a dask.distributed cluster, and no Client is running: "
            "create one first, e.g. Client(LocalCluster()) on this machine or "
            "Client('tcp://scheduler-address:8786') for a cluster"
        ) from None


def _is_dataframe(X):
    try:
        import dask.dataframe as dd
    except ImportError:  # dask without its dataframe part: no DataFrame to be given
        return False
    return isinstance(X, dd.DataFrame)


def _as_rows(v, name, chunks):
    """A per-row dask collection (Series or 1-D array, or an ndarray) as a 1-D dask array
    with the row chunks `chunks`."""
    if _is_dataframe(v):
        raise TypeError(f"{name} is a DataFrame; pass one column (a Series) or a 1-D array")
    if hasattr(v, "to_dask_array"):  # a dask Series
        v = v.to_dask_array(lengths=True)
    elif not is_dask_collection(v):
        v = np.asarray(v)
        if v.ndim >= 1 and v.shape[0] != sum(chunks):
            raise ValueError(
                f"Found input variables with inconsistent numbers of samples: X has "
                f"{sum(chunks)} rows but {name} has {v.shape[0]}; pass one per row of X"
            )
        v = da.from_array(v, chunks=(chunks,) + ((-1,) * (v.ndim - 1)))
    if v.ndim == 2 and v.shape[1] == 1:
        v = v[:, 0]
    if v.ndim != 1:
        raise ValueError(f"{name} has shape {v.shape}; pass one value per row of X (1-D)")
    if any(math.isnan(c) for c in v.chunks[0]):
        v = v.compute_chunk_sizes()
    if v.shape[0] != sum(chunks):
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: X has {sum(chunks)} "
            f"rows but {name} has {v.shape[0]}; pass one per row of X"
        )
    return v.rechunk((chunks,)) if v.chunks[0] != tuple(chunks) else v


def as_dask_inputs(X, y, sample_weight):
    """(X 2-D dask array with one column chunk and known row chunks, y and sample_weight 1-D
    dask arrays with the same row chunks (sample_weight may stay None or a number), feature
    names or None). Raises TypeError and ValueError as the in-memory estimator does."""
    names = None
    if _is_dataframe(X):
        from pandas.api.types import is_bool_dtype, is_numeric_dtype
        from sklearn.utils.validation import _get_feature_names

        names = _get_feature_names(X._meta)  # scikit-learn's rules (all str, or none)
        bad = [c for c, t in X.dtypes.items() if not (is_numeric_dtype(t) or is_bool_dtype(t))]
        if bad:
            raise TypeError(
                f"X's column {bad[0]!r} has dtype {X.dtypes[bad[0]]}; X must be numeric: encode "
                "text or categorical columns as numbers first (e.g. with "
                "sklearn.preprocessing.OneHotEncoder)"
            )
        X = X.to_dask_array(lengths=True)
    if not isinstance(X, da.Array):
        raise TypeError(f"X must be a dask array or dask DataFrame, got {type(X).__name__}")
    if X.ndim != 2:
        raise ValueError(f"X has shape {X.shape}; pass a 2-D array (rows, features)")
    if any(math.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()  # (one read of X, for the row counts)
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X has shape {X.shape}: pass at least one row and one feature column")
    if len(X.chunks[1]) > 1:  # each chunk holds whole rows
        X = X.rechunk({1: -1})
    if y is None:
        raise ValueError("fit requires y: pass the class labels, one per row of X")
    y = _as_rows(y, "y", X.chunks[0])
    if sample_weight is not None and not is_dask_collection(sample_weight):
        if np.ndim(sample_weight) == 0:  # one weight for every row
            sample_weight = float(np.asarray(sample_weight, dtype=np.float64))
    if sample_weight is not None and not isinstance(sample_weight, numbers.Number):
        sample_weight = _as_rows(sample_weight, "sample_weight", X.chunks[0])
    return X, y, sample_weight, names


def _pack(client, X, y, sample_weight):
    """DaskData over the RawChunks of X's non-empty row chunks, computed on the workers."""
    sizes = X.chunks[0]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    x_blocks = X.to_delayed().ravel()
    y_blocks = y.to_delayed().ravel()
    if isinstance(sample_weight, da.Array):
        w_blocks = sample_weight.to_delayed().ravel()
    else:
        w_blocks = [sample_weight] * len(sizes)
    pack = dask.delayed(_dask_data.pack_chunk, pure=False)
    keep = [k for k in range(len(sizes)) if sizes[k] > 0]
    raw = client.compute(
        [pack(x_blocks[k], y_blocks[k], w_blocks[k], int(offsets[k])) for k in keep]
    )
    is_sparse = sp.issparse(getattr(X, "_meta", None))
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    return _dask_data.DaskData(client, raw, [sizes[k] for k in keep], X.shape[1], dtype, is_sparse)


def _classes(summaries):
    """classes_ (sorted) and the rows and sample-weight sums per class from the chunks'
    summaries, checked as the in-memory fit checks its labels."""
    distinct = np.concatenate([s[0] for s in summaries])
    distinct = V.as_labels(distinct, distinct.shape[0])
    classes, _ = V.class_targets(distinct)
    rows = np.zeros(classes.shape[0])
    weights = np.zeros(classes.shape[0])
    for labels, n, w, *_ in summaries:
        at = np.searchsorted(classes, labels)
        rows[at] += n
        weights[at] += w
    return classes, rows, weights


class LogisticRegression(_estimator.LogisticRegression):
    """fastlogreg.LogisticRegression (every parameter, the objective, the fitted attributes)
    whose fit also takes dask collections and whose predictions on them are lazy.

    fit(X, y, sample_weight=None) with X a dask array (n_samples, n_features) of float32 or
    float64 (other numbers become float64; chunks of scipy.sparse matrices are CSR, never
    densified) or a dask DataFrame of numeric columns (their names become
    feature_names_in_), y a dask array or Series of labels (or an ndarray), sample_weight
    likewise or None: the fit runs on the current dask.distributed Client. Solvers: 'auto'
    (as in memory for chunked data: newton on dense data up to 200 features, lbfgs above and
    on sparse chunks, proximal Newton with l1_ratio > 0), 'newton' (a sampled Hessian on dense
    chunks; truncated Newton, whose Hessian-vector products run on the workers, on sparse
    chunks and on more than 500 features with two classes; proximal Newton with l1_ratio >
    0), 'lbfgs', 'gd'; binary and multinomial; L2, L1 and elastic net on dense and sparse
    chunks. n_jobs sets the driver's threads; each worker's kernels use the worker's.

    decision_function, predict_proba, predict_log_proba and predict on a dask array or
    DataFrame return dask arrays (rows chunked as X), computed when asked; on in-memory data
    they are the in-memory estimator's.

    save(path) writes the model file of the in-memory estimator (fastlogreg.load gives one).

    Raises ValueError when no Client is running, for solver='sgd' (not offered on Dask;
    before any data is read), and for the
    in-memory estimator's input errors, which name the row of the whole data (a worker's
    error reaches the caller as the same exception); a ConvergenceWarning as in memory.
    n_passes_: the passes over the data of the last Dask fit."""

    def fit(self, X, y=None, sample_weight=None):
        if not is_dask_collection(X):
            super().fit(X, y, sample_weight)
            vars(self).pop("n_passes_", None)  # a previous Dask fit's
            return self
        self._check_dask_solver()
        self._check_params()
        client = _client()
        X, y, sample_weight, names = as_dask_inputs(X, y, sample_weight)
        data = _pack(client, X, y, sample_weight)
        try:
            with thread_limit(self.n_jobs) as n_threads:
                classes, rows, weights = _classes(data.summaries())
                class_weight = self._dask_class_weight(classes, rows, weights, sample_weight)
                codes, s, per_class = data.prepare(classes, class_weight)
                if not s.sum() > 0:
                    raise ValueError(
                        "sample_weight * class_weight is zero for every row; at least one row "
                        "needs weight > 0"
                    )
                V.check_class_weights(per_class, np.arange(classes.shape[0]), classes)
                solver = self._pick_solver(data, classes)
                _warm_up(client, data, classes.shape[0], solver)
                theta0 = self._starting_point(X.shape[1], classes)
                objective = self._objective(data, codes, s, classes, n_threads)
                result = self._run_batch_solver(solver, objective, theta0)
            self._store(result, solver, classes, data, s, names)
        finally:
            data.close()
        self._sgd_progress = None
        self.n_passes_ = data.n_passes
        return self

    def _check_dask_solver(self):
        """ValueError for the one solver a fit on Dask does not offer, and for L1 with a
        solver without it (the in-memory message would offer 'sgd'), before any data is
        read."""
        if self.solver == "sgd":
            raise ValueError(
                "solver='sgd' updates the model row by row and does not run on Dask; use "
                "'auto', 'newton', 'lbfgs' or 'gd'"
            )
        l1 = isinstance(self.l1_ratio, numbers.Real) and 0 < self.l1_ratio <= 1
        if l1 and self.solver in ("lbfgs", "gd"):
            raise ValueError(
                f"solver={self.solver!r} does not support l1_ratio > 0 (L1 or elastic net); "
                "on Dask use 'auto' or 'newton' (proximal Newton)"
            )

    def _dask_class_weight(self, classes, rows, weights, sample_weight):
        """Per class (float64 (K,)), the in-memory _weights' class_weight factor: 'balanced'
        from the classes' summed sample weights (scikit-learn's compute_class_weight), a
        dict's values, or None."""
        if self.class_weight is None:
            return None
        if isinstance(self.class_weight, dict):
            extra = [k for k in self.class_weight if not np.isin(k, classes).any()]
            if extra:
                raise ValueError(
                    f"class_weight has weights for {extra}, which are not classes of y; its "
                    f"classes are {classes.tolist()}"
                )
            cw = compute_class_weight(self.class_weight, classes=classes, y=classes)
        else:
            if sample_weight is None:
                totals = rows
            elif isinstance(sample_weight, numbers.Number):
                totals = rows * float(sample_weight)
            else:
                totals = weights
            if not totals.sum() > 0:
                raise ValueError(
                    "sample_weight is zero for every row; at least one row needs weight > 0"
                )
            V.check_class_weights(totals, np.arange(classes.shape[0]), classes)
            # compute_class_weight('balanced'): sum(w) / (K w_k), w_k the weight of class k
            cw = compute_class_weight(
                self.class_weight, classes=classes, y=classes, sample_weight=totals
            )
        V.check_class_weight_factors(cw, classes)
        return cw

    # --- predictions: lazy on dask collections ---

    def _lazy(self, X, method, n_columns, names_checked=False):
        """The in-memory `method` on each row chunk of dask X: a dask array, rows chunked as
        X, with n_columns columns (None: 1-D), of the dtype the in-memory method returns
        (the classes' for predict; X's, float32 or float64, for the scores)."""
        from sklearn.utils.validation import _check_feature_names

        if _is_dataframe(X):  # the names checked on the columns' metadata, as in memory
            _check_feature_names(self, X._meta, reset=False)
            X = X.to_dask_array()
        elif isinstance(X, da.Array) and not names_checked:  # scikit-learn's warning, once
            _check_feature_names(self, X._meta, reset=False)
        if not isinstance(X, da.Array) or X.ndim != 2:
            raise ValueError(f"X must be a 2-D dask array or a dask DataFrame, got {X!r}")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but LogisticRegression is expecting "
                f"{self.n_features_in_} features as input"
            )
        if len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})
        if method == "predict":
            dtype = self.classes_.dtype
        else:
            dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
        model = dask.delayed(self._in_memory_copy(), pure=True)
        if n_columns is None:
            return da.map_blocks(
                _predict_block, X, model, method, drop_axis=1, dtype=dtype,
                meta=np.empty((0,), dtype=dtype),
            )  # fmt: skip
        return da.map_blocks(
            _predict_block, X, model, method, chunks=(X.chunks[0], (n_columns,)), dtype=dtype,
            meta=np.empty((0, 0), dtype=dtype),
        )  # fmt: skip

    def _in_memory_copy(self):
        """The fitted model as the in-memory estimator (what each chunk's task receives)."""
        model = _estimator.LogisticRegression(**self.get_params())
        for name, value in vars(self).items():
            if name.endswith("_") and not name.startswith("__"):
                setattr(model, name, value)
        return model

    def _n_columns(self, method):
        K = self.classes_.shape[0]
        if method == "predict" or (method == "decision_function" and K == 2):
            return None
        return K

    def _prediction(self, X, method):
        if not is_dask_collection(X):
            return getattr(super(), method)(X)
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        return self._lazy(X, method, self._n_columns(method))

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of predict(X) against the labels y, weighted by sample_weight
        (scikit-learn's ClassifierMixin.score). On a dask array or DataFrame X (y and
        sample_weight as fit takes them) it is computed on the cluster and returned as a
        float. Raises as predict and fit do for X, y and sample_weight."""
        if not is_dask_collection(X):
            return super().score(X, y, sample_weight)
        from sklearn.utils.validation import _check_feature_names, check_is_fitted

        check_is_fitted(self)
        _check_feature_names(self, X._meta, reset=False)  # (the DataFrame's names, as predict)
        X, y, sample_weight, _ = as_dask_inputs(X, y, sample_weight)
        correct = self._lazy(X, "predict", None, names_checked=True) == y
        if sample_weight is None:
            return float(correct.mean().compute())
        if isinstance(sample_weight, numbers.Number):  # one weight for every row
            return float(correct.mean().compute()) if sample_weight > 0 else np.nan
        return float((da.sum(correct * sample_weight) / da.sum(sample_weight)).compute())

    def save(self, path):
        """Save the fitted model as fastlogreg.LogisticRegression.save does: the file holds
        the coefficients, not the class, so fastlogreg.load(path) gives the in-memory
        fastlogreg.LogisticRegression (the same predictions; wrap it in this class's
        predictions by copying its fitted attributes, if lazy ones are needed)."""
        self._in_memory_copy().save(path)

    def decision_function(self, X):
        return self._prediction(X, "decision_function")

    def predict_proba(self, X):
        return self._prediction(X, "predict_proba")

    def predict_log_proba(self, X):
        return self._prediction(X, "predict_log_proba")

    def predict(self, X):
        return self._prediction(X, "predict")


def _predict_block(block, model, method, block_info=None):
    """model.method on one chunk (an ndarray or CSR: its feature names were checked on the
    driver, and the in-memory check's warning would repeat once per chunk on the workers).
    A NaN or infinity is named by its row in the whole of X (block_info: where the chunk
    starts)."""
    if hasattr(model, "feature_names_in_"):
        model = copy.copy(model)
        del model.feature_names_in_
    try:
        return getattr(model, method)(block)
    except ValueError:
        if block_info is not None:  # the validation's error again, with X's row
            first_row = block_info[0]["array-location"][0][0]
            if sp.issparse(block):
                V.as_csr(block, "X", first_row)
            else:
                V.check_finite_matrix(V.as_float_matrix(block, check_finite=False), "X", first_row)
        raise


def _warm_up(client, data, n_classes, solver):
    """Compile (or load from Numba's disk cache) the fit's pass on the driver, then on every
    worker through a WorkerPlugin, which also runs on workers that join or restart later: so
    no pass of the fit waits for a compile. The driver goes first because workers on one
    machine share its disk cache, and filling it from several processes at once can race
    (numba issue 4807)."""
    wide = n_classes == 2 and data.shape[1] > TRUNCATED_MIN_FEATURES
    every_row_hessian = solver == "newton" and (data.is_sparse or wide)  # (truncated Newton)
    args = (
        data.dtype.name, data.is_sparse, n_classes, data.n_stored < SERIAL_BELOW,
        every_row_hessian,
    )  # fmt: skip
    if (client.id, args) in _REGISTERED:  # the scheduler runs it on workers that join later
        return
    _dask_data.warm_up(*args)
    client.register_plugin(_dask_data.Warmup(*args), name="fastlogreg-warmup-" + repr(args))
    _REGISTERED.add((client.id, args))


_REGISTERED = set()  # (client id, warm_up arguments) whose plugin is registered
