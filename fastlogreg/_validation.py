"""Input checks shared by the estimator and the helpers. Each error names the problem, the value
and the fix; nothing here writes to the caller's arrays."""

from __future__ import annotations

import numbers

import numba
import numpy as np
from sklearn.utils import check_array, column_or_1d
from sklearn.utils.multiclass import check_classification_targets

from .io import FLOAT32_OVERFLOW
from .kernels.dense import first_nonfinite_row

FLOAT_DTYPES = (np.float64, np.float32)


def float_table_as_array(X):
    """A polars DataFrame or pyarrow Table of float columns as the ndarray its own conversion
    makes (float32 columns stay float32, as pandas' do in check_array, which sees no dtype on
    these tables and makes them float64); anything else as it is."""
    if getattr(X, "dtype", None) is None and hasattr(X, "schema") and hasattr(X, "__array__"):
        try:
            converted = np.asarray(X)
        except Exception:  # check_array's own conversion then says why
            return X
        if converted.dtype in FLOAT_DTYPES:
            return converted
    return X


def as_float_matrix(X, name="X", check_finite=True):
    """X as a 2-D C-contiguous float32/float64 ndarray, finite (check_finite=False leaves that
    check, a pass over X, to the caller). float32 and float64 C-ordered
    arrays (also read-only and memory-mapped ones) pass through without a copy; anything else
    (lists, DataFrames, integers, F-ordered or strided arrays) is converted once."""
    if hasattr(X, "format") and hasattr(X, "tocsr"):
        raise TypeError(
            f"{name} is a sparse matrix; this function takes dense arrays only. Pass a dense array "
            f"({name}.toarray()) if it fits in memory."
        )
    X = float_table_as_array(X)
    try:
        X = check_array(
            X, dtype=list(FLOAT_DTYPES), order="C", ensure_all_finite=False, input_name=name
        )
    except (TypeError, ValueError) as err:
        if "could not convert" in str(err) or "argument must be" in str(err):
            raise type(err)(
                f"{err}. {name} must be numeric: encode text or categorical columns as numbers "
                "first (e.g. with sklearn.preprocessing.OneHotEncoder)."
            ) from err
        if "minimum of" in str(err):
            raise ValueError(
                f"{err} Pass at least one row and one feature column in {name}."
            ) from err
        raise
    X = np.asarray(X)  # a memmap or other ndarray subclass as a plain ndarray view, no copy
    if check_finite:
        check_finite_matrix(X, name)
    return X


def as_design_matrix(X, name="X", check_finite=True, first_row=0):
    """X for the fit: scipy.sparse input as CSR (as_csr, never densified), anything else as a
    dense float matrix (as_float_matrix; check_finite as there: sparse values are always
    checked, which costs a pass over the stored values only). first_row: the number of
    X's first row in the errors' row numbers (a chunk of larger data)."""
    import scipy.sparse as sp

    if sp.issparse(X):
        return as_csr(X, name, first_row)
    return as_float_matrix(X, name, check_finite)


def as_csr(X, name="X", first_row=0):
    """A scipy.sparse matrix or array X as CSR for the sparse kernels (kernels/sparse.py),
    never densified: for csr_matrix and csr_array a new csr_matrix over the same arrays (not
    copied, unless strided: then C-contiguous copies), other formats (CSC, COO, ...) are
    converted once with tocsr(); float32 and float64 values are kept, other numeric values
    become float64 (a new matrix); int32 and int64 indices are kept (unified to one dtype
    as scipy does). The caller's matrix object and its arrays are never changed. Unsorted
    indices, duplicate entries (they add up), explicit zeros, empty rows and empty columns
    are all accepted as they are.

    Raises TypeError for dense input or non-numeric values, ValueError for an empty shape, a
    malformed structure (indices outside [0, n_features), indptr not non-decreasing: scipy's
    check_format) or a NaN or infinite value (with its row and column)."""
    import scipy.sparse as sp

    if not sp.issparse(X):
        raise TypeError(f"{name} must be a scipy.sparse matrix or array, got {type(X).__name__}")
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(
            f"{name} has shape {X.shape}: pass at least one row and one feature column"
        )
    if X.format != "csr":
        X = X.tocsr()
    if X.dtype not in (np.float32, np.float64):
        if X.dtype.kind not in "biuf":
            raise TypeError(
                f"{name} holds {X.dtype} values; they must be numeric (float32 or float64 are "
                "used as they are)"
            )
        X = X.astype(np.float64)
    # a matrix object of our own over the caller's arrays (C-contiguous copies of strided
    # ones, which the kernels cannot read): scipy's checks may replace a matrix's arrays
    # (index dtypes unified, arrays longer than nnz pruned), and must not do so to the caller's
    arrays = [np.ascontiguousarray(a) for a in (X.data, X.indices, X.indptr)]
    try:
        X = sp.csr_matrix(tuple(arrays), shape=X.shape, copy=False)
        X.check_format(full_check=True)
    except ValueError as err:
        raise ValueError(f"{name} is not a valid CSR matrix: {err}") from err
    bad = np.flatnonzero(~np.isfinite(X.data))
    if bad.size:
        position = int(bad[0])
        row = first_row + int(np.searchsorted(X.indptr, position, side="right")) - 1
        kind = "NaN" if np.isnan(X.data[position]) else "infinity"
        why = f" ({FLOAT32_OVERFLOW})" if kind == "infinity" and X.dtype == np.float32 else ""
        raise ValueError(
            f"{name} contains {kind} in column {int(X.indices[position])} (row {row}){why}; "
            "impute or drop missing and infinite values before fitting or predicting"
        )
    return X


def check_finite_matrix(X, name="X", first_row=0):
    """ValueError naming the first NaN or infinity of dense X by column and row (rows
    numbered from first_row)."""
    bad_row = first_nonfinite_row(X, numba.get_num_threads())
    if bad_row >= 0:
        row = X[bad_row]
        col = int(np.flatnonzero(~np.isfinite(row))[0])
        kind = "NaN" if np.isnan(row[col]) else "infinity"
        why = f" ({FLOAT32_OVERFLOW})" if kind == "infinity" and X.dtype == np.float32 else ""
        raise ValueError(
            f"{name} contains {kind} in column {col} (row {first_row + bad_row}){why}; impute "
            "or drop missing and infinite values before fitting or predicting (e.g. "
            "sklearn.impute.SimpleImputer)."
        )


def as_labels(y, n_samples, first_row=0):
    """y as a 1-D array of exactly n_samples finite labels of a classification target (the
    index of a missing one counted from first_row)."""
    if y is None:
        raise ValueError(
            "fit requires y to be passed, but the target y is None: pass the class labels, one "
            "per row of X"
        )
    _no_sparse(y, "y", "the class labels")
    y = column_or_1d(np.asarray(y) if not hasattr(y, "__array__") else y, warn=True)
    if y.shape[0] != n_samples:
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: X has {n_samples} rows "
            f"but y has {y.shape[0]} labels; pass one label per row of X"
        )
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        i = int(np.flatnonzero(~np.isfinite(y))[0])
        raise ValueError(
            f"y contains {y[i]} at index {first_row + i}; drop the rows with missing labels"
        )
    if y.dtype.kind == "O" and any(v is None or (isinstance(v, float) and v != v) for v in y):
        raise ValueError("y contains None or NaN; drop the rows with missing labels")
    # scikit-learn's target check costs about 40 ms per million labels; integral numeric values
    # are a valid binary or multiclass target without it (its errors are for anything else)
    if y.dtype.kind not in "biuf" or not _integral_values(y):
        try:
            check_classification_targets(y)
        except ValueError as err:
            if y.dtype.kind != "f" or "continuous" not in str(err):
                raise
            example = y[np.flatnonzero(y != np.round(y))[0]]
            raise ValueError(
                f"Unknown label type: continuous (y holds numbers such as {example} that are "
                "not whole). Logistic regression needs class labels: integers, text or bool; "
                "round or bin a continuous target into classes"
            ) from None
    return y


def _integral_values(y):
    values = np.unique(y)
    return bool(np.all(values == np.round(values)))


def class_targets(y):
    """classes_ (sorted) and y as float64 class codes 0 .. K-1 (codes[i] = the index of y[i] in
    classes_; for two classes, 1.0 for classes_[1], the binomial datafit's labels)."""
    classes, codes = np.unique(y, return_inverse=True)
    if classes.shape[0] < 2:
        raise ValueError(
            f"y has only one class ({classes[0].item()!r}); logistic regression needs samples "
            "of at least two classes"
        )
    return classes, codes.reshape(-1).astype(np.float64)


def partial_fit_targets(y, classes, known_classes):
    """classes_ and y as float64 class codes for partial_fit: the first call names every class
    in `classes`; later calls may omit it, or repeat the same."""
    if classes is None and known_classes is None:
        raise ValueError(
            "the first call to partial_fit needs classes=: pass every class label, e.g. "
            "classes=np.unique(y_all), since one chunk may not contain them all"
        )
    if classes is not None:
        classes = np.unique(np.asarray(classes))
        if classes.shape[0] < 2:
            raise ValueError(
                f"classes must hold at least two labels, got {classes.tolist()}: logistic "
                "regression needs samples of at least two classes"
            )
        if known_classes is not None and not np.array_equal(classes, known_classes):
            raise ValueError(
                f"classes={classes.tolist()} differs from the first call's "
                f"{known_classes.tolist()}; pass the same classes (or none) to every call"
            )
    else:
        classes = known_classes
    unknown = np.setdiff1d(np.unique(y), classes)
    if unknown.size:
        raise ValueError(
            f"y contains labels {unknown.tolist()} not in classes {classes.tolist()}; pass "
            "every class in classes= on the first call"
        )
    return classes, np.searchsorted(classes, y).astype(np.float64)


def check_class_weight_param(class_weight):
    """ValueError unless class_weight is None, 'balanced' or a dict of labels to real numbers
    (compute_class_weight's own errors name its parameter, or say only 'could not convert
    string to float'). The values' signs are checked once the classes are known
    (check_class_weight_factors)."""
    if class_weight is None or (isinstance(class_weight, str) and class_weight == "balanced"):
        return
    if not isinstance(class_weight, dict):
        raise ValueError(
            "class_weight must be None, 'balanced' or a dict of class labels to weights, got "
            f"{class_weight!r}"
        )
    for label, weight in class_weight.items():
        # True/False too: a model file holds numbers only (persist), so they would fit and
        # then fail to save
        if not isinstance(weight, numbers.Real) or isinstance(weight, (bool, np.bool_)):
            raise ValueError(
                f"class_weight gives class {label!r} the weight {weight!r}; class weights must "
                "be numbers (not True or False)"
            )


def check_class_weight_factors(cw, classes):
    """ValueError naming the first class whose class_weight factor (cw[k], float64 (K,)) is
    negative or not finite."""
    bad = np.flatnonzero(~(np.isfinite(cw) & (cw >= 0)))
    if bad.size:
        k = int(bad[0])
        raise ValueError(
            f"class_weight gives class {classes[k].item()!r} the weight {cw[k]}; class weights "
            "must be finite and >= 0"
        )


def check_class_weights(s, codes, classes):
    """Every class needs rows of positive weight: without them the optimum puts its
    probability at 0, infinitely far away."""
    totals = np.bincount(codes.astype(np.intp), weights=s, minlength=classes.shape[0])
    empty = np.flatnonzero(~(totals > 0))
    if empty.size:
        names = [classes[k].item() for k in empty]
        raise ValueError(
            f"class {names[0]!r} has only rows of weight 0 (sample_weight * class_weight)"
            + (f", as do {names[1:]}" if len(names) > 1 else "")
            + "; give its rows a positive weight or drop the class from y"
        )


def _no_sparse(values, name, what):
    """A TypeError for a scipy.sparse y or sample_weight (NumPy would turn one into a 0-d
    object array and fail with an unrelated message)."""
    if hasattr(values, "format") and hasattr(values, "tocsr"):
        raise TypeError(
            f"{name} is a scipy.sparse matrix of shape {values.shape}; pass {what} as a dense "
            f"1-D array, e.g. {name}.toarray().ravel()"
        )


def sample_weights(sample_weight, n_samples):
    """Per-row weights as a new float64 array: finite, non-negative, not all zero."""
    if sample_weight is None:
        return np.ones(n_samples)
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(n_samples, sample_weight, dtype=np.float64)
    _no_sparse(sample_weight, "sample_weight", "one weight per row")
    s = np.array(sample_weight, dtype=np.float64)  # a copy: the caller's array stays untouched
    if s.ndim != 1 or s.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has shape {s.shape}; expected ({n_samples},), one weight per row of X"
        )
    check_weights(s, "sample_weight")
    return s


def check_weights(s, name):
    """Row weights must be finite, >= 0, not all zero, with a finite sum."""
    if not np.isfinite(s).all():
        i = int(np.flatnonzero(~np.isfinite(s))[0])
        raise ValueError(f"{name} contains {s[i]} at index {i}; weights must be finite")
    if (s < 0).any():
        i = int(np.flatnonzero(s < 0)[0])
        raise ValueError(
            f"{name} contains the negative value {s[i]} at index {i}; weights must be >= 0"
        )
    if not s.any():
        raise ValueError(f"{name} is zero for every row; at least one row needs weight > 0")
    with np.errstate(over="ignore"):
        total = s.sum()
    if not np.isfinite(total):
        raise ValueError(f"{name} sums to infinity; rescale the weights (only ratios matter)")


def check_C(C):
    if not isinstance(C, numbers.Real) or isinstance(C, bool) or not C > 0:
        raise ValueError(f"C must be a positive number (np.inf for no penalty), got {C!r}")


SGD_SCHEDULES = ("constant", "optimal", "invscaling", "adaptive")


def check_scalar_params(C, tol, max_iter, learning_rate, verbose, solver="gd"):
    check_C(C)
    if tol is None and solver == "sgd":
        pass  # SGDClassifier's convention: no early stopping
    elif not isinstance(tol, numbers.Real) or isinstance(tol, bool) or not tol >= 0:
        raise ValueError(f"tol must be a number >= 0, got {tol!r}")
    if not isinstance(max_iter, numbers.Integral) or isinstance(max_iter, bool) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")
    if isinstance(learning_rate, str):
        if learning_rate in SGD_SCHEDULES and solver != "sgd":
            raise ValueError(
                f"learning_rate={learning_rate!r} is a schedule of solver='sgd'; with "
                f"solver={solver!r} use 'auto' or a positive float"
            )
        if learning_rate != "auto" and learning_rate not in SGD_SCHEDULES:
            raise ValueError(
                f"learning_rate must be 'auto' or a positive float, or with solver='sgd' one "
                f"of {SGD_SCHEDULES}; got {learning_rate!r}"
            )
    elif (
        not isinstance(learning_rate, numbers.Real)
        or isinstance(learning_rate, bool)
        or not 0 < learning_rate < np.inf
    ):
        raise ValueError(
            f"learning_rate must be 'auto' or a positive finite float, got {learning_rate!r}"
        )
    if not isinstance(verbose, numbers.Integral) or verbose < 0:
        raise ValueError(f"verbose must be an integer >= 0, got {verbose!r}")


# solvers that handle the non-smooth L1 part of the elastic net (l1_ratio > 0)
L1_SOLVERS = ("auto", "newton", "sgd")


def check_l1_ratio(l1_ratio, solver):
    """l1_ratio must be a real number in [0, 1], and above 0 the solver must support it."""
    if (
        not isinstance(l1_ratio, numbers.Real)
        or isinstance(l1_ratio, bool)
        or not 0.0 <= l1_ratio <= 1.0
    ):
        raise ValueError(
            f"l1_ratio must be a number in [0, 1] (0: L2, 1: L1, between: elastic net), got "
            f"{l1_ratio!r}"
        )
    if l1_ratio > 0 and solver not in L1_SOLVERS:
        raise ValueError(
            f"solver={solver!r} does not support l1_ratio > 0 (L1 or elastic net); use one of "
            f"{L1_SOLVERS}: 'newton' runs proximal Newton with coordinate descent, 'sgd' the "
            "cumulative L1 penalty"
        )


def check_sgd_params(eta0, power_t, average, n_iter_no_change, shuffle):
    if eta0 is not None and (
        not isinstance(eta0, numbers.Real) or isinstance(eta0, bool) or not 0 < eta0 < np.inf
    ):
        raise ValueError(f"eta0 must be None or a positive finite float, got {eta0!r}")
    if (
        not isinstance(power_t, numbers.Real)
        or isinstance(power_t, bool)
        or not np.isfinite(power_t)
    ):
        raise ValueError(f"power_t must be a finite number, got {power_t!r}")
    if (average is not None and not isinstance(average, bool | numbers.Integral)) or (
        isinstance(average, numbers.Integral) and average < 0
    ):
        raise ValueError(f"average must be None, a bool or an integer >= 0, got {average!r}")
    if (
        not isinstance(n_iter_no_change, numbers.Integral)
        or isinstance(n_iter_no_change, bool)
        or n_iter_no_change < 1
    ):
        raise ValueError(f"n_iter_no_change must be an integer >= 1, got {n_iter_no_change!r}")
    if not isinstance(shuffle, bool | np.bool_):
        raise ValueError(f"shuffle must be True or False, got {shuffle!r}")
