"""Sparse X through the estimator: every solver with a sparse path reaches the same optimum on
CSR as on the same matrix made dense, and scikit-learn's optimum, for both datafits, with
weights and without an intercept; every sparse format; predictions equal the dense ones; the
caller's matrix is never changed; nothing densifies X."""

import warnings

import naive
import numpy as np
import pytest
import scipy.sparse as sp
from conftest import awkward_csr, weights_variant
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression

from fastlogreg import LogisticRegression


def _problem(n_classes, dtype, seed=0):
    """Awkward CSR (duplicates, unsorted indices, explicit zeros, empty rows and columns) with
    labels from a linear model plus noise, so that the optimum is finite."""
    X = awkward_csr(dtype, np.int32, n=400, d=30, seed=seed)
    rng = np.random.default_rng(seed)
    dense = X.astype(np.float64).toarray()
    scores = dense @ rng.standard_normal((30, n_classes)) + rng.gumbel(size=(400, n_classes))
    y = np.argmax(scores, axis=1) if n_classes > 2 else (scores[:, 0] > scores[:, 1]).astype(int)
    return X, y


def _objective(model, X, y, s, C):
    """scikit-learn's objective (sum form) at a fitted model, in float64."""
    dense = X.astype(np.float64).toarray()
    codes = np.searchsorted(model.classes_, y).astype(np.float64)
    W = model.coef_.astype(np.float64)
    b = model.intercept_.astype(np.float64)
    if W.shape[0] == 1:
        return naive.objective(dense, codes, s, W[0], b[0], C)
    return naive.multinomial_objective(dense, codes, s, W, b, C)


def _sklearn_optimum(X, y, sample_weight, class_weight, C, fit_intercept, s):
    model = SklearnLogisticRegression(
        C=C, tol=1e-12, max_iter=10_000, class_weight=class_weight, fit_intercept=fit_intercept
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X.astype(np.float64).toarray(), y, sample_weight=sample_weight)
    return _objective(model, X, y, s, C)


# (dtype, weights variant, fit_intercept): three settings per solver and datafit
SETTINGS = [
    (np.float64, "plain", True),
    (np.float32, "sample_weight", True),
    (np.float64, "class_weight", False),
]
CASES = [
    (solver, n_classes, *setting)
    for solver in ("newton", "lbfgs", "gd")
    for n_classes in (2, 3)
    for setting in SETTINGS
]


@pytest.mark.parametrize(
    ("solver", "n_classes", "dtype", "variant", "fit_intercept"),
    CASES,
    ids=[f"{c[0]}-K{c[1]}-{np.dtype(c[2]).name}-{c[3]}-{c[4]}" for c in CASES],
)
def test_sparse_fit_reaches_the_dense_and_sklearn_optimum(
    solver, n_classes, dtype, variant, fit_intercept
):
    X, y = _problem(n_classes, dtype)
    sample_weight, class_weight, s = weights_variant(variant, y)
    C = 0.5
    params = dict(
        C=C, solver=solver, tol=1e-7, max_iter=20_000, class_weight=class_weight,
        fit_intercept=fit_intercept,
    )  # fmt: skip
    sparse_model = LogisticRegression(**params).fit(X, y, sample_weight=sample_weight)
    dense_model = LogisticRegression(**params).fit(X.toarray(), y, sample_weight=sample_weight)
    assert sparse_model.coef_.dtype == dtype
    best = _sklearn_optimum(X, y, sample_weight, class_weight, C, fit_intercept, s)
    rtol = 1e-6 if dtype == np.float32 else 1e-8
    for model in (sparse_model, dense_model):
        value = _objective(model, X, y, s, C)
        assert value <= best * (1 + rtol), (value, best)
    np.testing.assert_allclose(
        sparse_model.coef_, dense_model.coef_, rtol=0, atol=1e-3 if dtype == np.float32 else 1e-5
    )


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize(
    "params",
    [{"learning_rate": "auto"}, {"learning_rate": "optimal", "average": False, "C": 0.05}],
    ids=["auto", "optimal"],
)
def test_sgd_on_sparse_equals_sgd_on_dense(n_classes, params):
    """Rows in order (shuffle=False), one thread: the CSR epochs (scalar shrinkage, lazy
    averaging) take the dense epochs' steps, to rounding."""
    X, y = _problem(n_classes, np.float64, seed=5)
    _, _, s = weights_variant("sample_weight", y)
    model = dict(solver="sgd", shuffle=False, max_iter=5, tol=None, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 5 epochs: not the optimum
        sparse_model = LogisticRegression(**model).fit(X, y, sample_weight=s)
        dense_model = LogisticRegression(**model).fit(X.toarray(), y, sample_weight=s)
    np.testing.assert_allclose(sparse_model.coef_, dense_model.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sparse_model.intercept_, dense_model.intercept_, rtol=1e-9)
    np.testing.assert_allclose(sparse_model.loss_history_, dense_model.loss_history_, rtol=1e-9)


def test_sgd_on_sparse_nears_the_optimum_and_partial_fit_streams():
    X, y = _problem(2, np.float64, seed=6)
    best = _sklearn_optimum(X, y, None, None, 1.0, True, np.ones(len(y)))
    model = LogisticRegression(
        solver="sgd", learning_rate="optimal", max_iter=300, tol=None, random_state=0
    ).fit(X, y)  # no ConvergenceWarning: the end check finds it near the optimum
    assert _objective(model, X, y, np.ones(len(y)), 1.0) <= best * (1 + 1e-4)
    streamed = LogisticRegression(solver="sgd", random_state=0)
    for start in range(0, X.shape[0], 100):
        streamed.partial_fit(X[start : start + 100], y[start : start + 100], classes=[0, 1])
    assert streamed.coef_.shape == (1, X.shape[1]) and np.isfinite(streamed.coef_).all()


@pytest.mark.parametrize("n_classes", [2, 3])
def test_predictions_on_sparse_equal_dense(n_classes):
    X, y = _problem(n_classes, np.float64, seed=1)
    model = LogisticRegression(C=2.0).fit(X, y)
    dense = X.toarray()
    for method in ("decision_function", "predict_proba", "predict_log_proba", "predict"):
        np.testing.assert_allclose(
            getattr(model, method)(X), getattr(model, method)(dense), rtol=1e-12, atol=1e-13
        )
    assert model.score(X, y) == model.score(dense, y)


FORMATS = {
    "csr_array": lambda X: sp.csr_array(X),
    "csc_matrix": lambda X: X.tocsc(),
    "coo_matrix": lambda X: X.tocoo(),
    "int64 indices": lambda X: sp.csr_matrix(
        (X.data, X.indices.astype(np.int64), X.indptr.astype(np.int64)), shape=X.shape
    ),
    "integer values": lambda X: sp.csr_matrix(
        (np.rint(X.data * 3).astype(np.int64), X.indices, X.indptr), shape=X.shape
    ),
}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_sparse_format_fits_as_csr(fmt):
    X, y = _problem(2, np.float64, seed=2)
    converted = FORMATS[fmt](X)
    reference = X if fmt != "integer values" else converted.astype(np.float64).tocsr()
    expected = LogisticRegression(tol=1e-8).fit(reference, y)
    model = LogisticRegression(tol=1e-8).fit(converted, y)
    np.testing.assert_allclose(model.coef_, expected.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(model.predict_proba(converted), expected.predict_proba(reference))


def test_the_callers_sparse_matrix_is_never_changed():
    X, y = _problem(3, np.float32, seed=3)
    before = [a.copy() for a in (X.data, X.indices, X.indptr)]
    for solver in ("newton", "lbfgs", "gd", "sgd"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = LogisticRegression(solver=solver, max_iter=300, tol=1e-3).fit(X, y)
        model.predict_proba(X)
    for a, b in zip(before, (X.data, X.indices, X.indptr), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not X.has_sorted_indices


def test_a_matrix_whose_dense_form_needs_terabytes_fits():
    """40,000 rows x 2^22 columns (1.3 TB as dense float64), ten entries per row: the fit and
    the predictions touch only the stored entries and O(n + d) memory."""
    n, d = 40_000, 2**22
    rng = np.random.default_rng(0)
    indices = rng.integers(0, d, size=10 * n)
    indices[: 10 * 200] = np.arange(2000) % 40  # a few frequent columns carry the signal
    X = sp.csr_matrix(
        (rng.uniform(0.1, 1.0, 10 * n), indices, np.arange(0, 10 * n + 1, 10)), shape=(n, d)
    )
    y = (rng.random(n) < 0.3).astype(int)
    model = LogisticRegression().fit(X, y)
    assert model.solver_ == "newton"
    assert model.coef_.shape == (1, d)
    # lbfgs and proximal Newton (L1: coordinate descent on the working set's columns) too
    assert np.isfinite(LogisticRegression(solver="lbfgs").fit(X, y).coef_).all()
    l1 = LogisticRegression(l1_ratio=1.0, C=0.1).fit(X, y)
    assert np.count_nonzero(l1.coef_) < 100
    p = model.predict_proba(X)
    assert p.shape == (n, 2) and np.isfinite(p).all()


def _l1_objective(model, X, y, s, C, l1_ratio):
    """scikit-learn's elastic-net objective (sum form) at a fitted binary model."""
    dense = X.astype(np.float64).toarray()
    codes = np.searchsorted(model.classes_, y).astype(np.float64)
    w = model.coef_.astype(np.float64)[0]
    loss, _ = naive.loss_gradient(dense, codes, s, w, float(model.intercept_[0]))
    return loss + naive.penalty(w[None, :], C, l1_ratio)


@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
@pytest.mark.parametrize(("dtype", "variant", "fit_intercept"), SETTINGS)
def test_sparse_l1_fit_reaches_the_dense_optimum(l1_ratio, dtype, variant, fit_intercept):
    """Proximal Newton on CSR (coordinate descent on the working set's sparse columns, every
    row) against the dense path, which tests/test_elastic_net.py checks against
    scikit-learn: the same objective and the same exact zeros."""
    X, y = _problem(2, dtype, seed=7)
    sample_weight, class_weight, s = weights_variant(variant, y)
    C = 0.3
    params = dict(C=C, l1_ratio=l1_ratio, tol=1e-8, class_weight=class_weight,
                  fit_intercept=fit_intercept)  # fmt: skip
    sparse_model = LogisticRegression(**params).fit(X, y, sample_weight=sample_weight)
    dense_model = LogisticRegression(**params).fit(X.toarray(), y, sample_weight=sample_weight)
    values = [_l1_objective(m, X, y, s, C, l1_ratio) for m in (sparse_model, dense_model)]
    np.testing.assert_allclose(values[0], values[1], rtol=1e-6 if dtype == np.float32 else 1e-9)
    assert 0 < np.count_nonzero(sparse_model.coef_) < X.shape[1]  # a sparse solution
    np.testing.assert_array_equal(sparse_model.coef_ == 0, dense_model.coef_ == 0)
    assert sparse_model.n_iter_[0] <= 2 * dense_model.n_iter_[0] + 2


def test_sgd_with_l1_on_sparse_leaves_exact_zeros():
    X, y = _problem(2, np.float64, seed=8)
    model = LogisticRegression(
        solver="sgd", l1_ratio=1.0, C=0.3, learning_rate="optimal", max_iter=300, tol=None,
        random_state=0,
    ).fit(X, y)  # fmt: skip
    exact = LogisticRegression(l1_ratio=1.0, C=0.3, tol=1e-8).fit(X, y)
    assert np.count_nonzero(model.coef_ == 0) > 0
    s = np.ones(len(y))
    best = _l1_objective(exact, X, y, s, 0.3, 1.0)
    assert _l1_objective(model, X, y, s, 0.3, 1.0) <= best * (1 + 1e-3)


def test_strided_csr_arrays_are_read_through_contiguous_copies():
    """scipy keeps a strided data array as given; the kernels need contiguous ones."""
    X, y = _problem(2, np.float64, seed=9)
    buffer = np.zeros(2 * X.nnz)
    buffer[::2] = X.data
    strided = sp.csr_matrix((buffer[::2], X.indices, X.indptr), shape=X.shape)
    assert not strided.data.flags.c_contiguous
    for solver in ("sgd", "newton", "lbfgs"):
        params = (
            dict(solver=solver, shuffle=False, max_iter=3, tol=None)
            if solver == "sgd"
            else {"solver": solver}
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            a = LogisticRegression(**params).fit(strided, y)
            b = LogisticRegression(**params).fit(X, y)
        np.testing.assert_array_equal(a.coef_, b.coef_)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("solver", ["newton", "lbfgs", "sgd", "gd"])
def test_sparse_rows_whose_squares_overflow_are_rejected(solver, n_classes):
    X = sp.csr_matrix(np.array([[1e200, 1], [1, 2], [3, 0], [0.5, 1], [2, 2], [0, 1]]))
    y = np.arange(6) % n_classes
    with pytest.raises(ValueError, match="overflow float64"):
        LogisticRegression(solver=solver).fit(X, y)


def test_duplicates_that_add_up_to_infinity_are_reported_as_infinity():
    X = sp.csr_matrix(
        (np.array([1e308, 1e308, 1.0, 2.0]), np.array([0, 0, 1, 2]), np.array([0, 2, 3, 4])),
        shape=(3, 3),
    )
    assert np.isinf(X.toarray()[0, 0])  # as scipy reads the duplicates
    match = r"infinity in column 0 \(row 0\)"
    with pytest.raises(ValueError, match=match):
        LogisticRegression().fit(X, [0, 1, 0])
    model = LogisticRegression().fit(sp.csr_matrix(np.eye(3)), [0, 1, 0])
    with pytest.raises(ValueError, match=match):
        model.predict_proba(X)


def test_the_callers_matrix_object_keeps_its_arrays():
    """scipy's format check would unify index dtypes and prune over-long arrays in place:
    it runs on a matrix of our own over the same arrays."""
    X, y = _problem(2, np.float64, seed=10)
    mixed = sp.csr_matrix((X.data, X.indices.astype(np.int32), X.indptr.astype(np.int64)),
                          shape=X.shape)  # fmt: skip
    mixed.indptr = X.indptr.astype(np.int64)  # the constructor unified them; mix them again
    long = sp.csr_matrix((np.append(X.data, [7.0] * 5), np.append(X.indices, [0] * 5),
                          X.indptr), shape=X.shape)  # fmt: skip
    for matrix in (mixed, long):
        arrays = (matrix.data, matrix.indices, matrix.indptr)
        copies = [a.copy() for a in arrays]
        model = LogisticRegression().fit(matrix, y)
        model.predict_proba(matrix)
        assert all(a is b for a, b in zip(arrays, (matrix.data, matrix.indices, matrix.indptr),
                                          strict=True))  # fmt: skip
        for a, b in zip(copies, arrays, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_sparse_multinomial_l1_reaches_the_dense_optimum(l1_ratio):
    """Three classes: proximal Newton's model is the exact Hessian on every row on CSR, on a
    row sample on dense X: the same optimum and zeros, in about as many iterations (the
    per-class model it replaced took 60-120 against the dense path's 7-8)."""
    X, y = _problem(3, np.float64, seed=11)
    _, _, s = weights_variant("sample_weight", y)
    C = 0.3
    params = dict(C=C, l1_ratio=l1_ratio, tol=1e-8, max_iter=1000)
    sparse_model = LogisticRegression(**params).fit(X, y, sample_weight=s)
    dense_model = LogisticRegression(**params).fit(X.toarray(), y, sample_weight=s)
    codes = np.searchsorted(sparse_model.classes_, y).astype(np.float64)
    values = [
        naive.multinomial_objective(X.toarray(), codes, s, m.coef_, m.intercept_, C, l1_ratio)
        for m in (sparse_model, dense_model)
    ]
    np.testing.assert_allclose(values[0], values[1], rtol=1e-9)
    assert 0 < np.count_nonzero(sparse_model.coef_) < sparse_model.coef_.size
    np.testing.assert_array_equal(sparse_model.coef_ == 0, dense_model.coef_ == 0)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_columns_no_row_stores_get_their_optimum(n_classes):
    """Batch solvers fit sparse X on the columns its rows store (data.UsedColumns): the others'
    optimum is 0 under a penalty, and any value without one (C = inf: the start's is kept)."""
    X, y = _problem(n_classes, np.float64)
    X = sp.hstack([X, sp.csr_matrix((X.shape[0], 2000))]).tocsr()  # worth restricting
    unstored = np.flatnonzero(np.bincount(X.indices, minlength=X.shape[1]) == 0)
    assert unstored[0] == 5 and unstored.size == 2001  # awkward_csr's, and the new ones
    from fastlogreg.data import used_columns

    assert used_columns(X, 1) is not None
    dense = X.toarray()
    for solver in ("newton", "lbfgs"):
        model = LogisticRegression(solver=solver, tol=1e-8, max_iter=500).fit(X, y)
        assert np.all(model.coef_[:, unstored] == 0.0)
        reference = LogisticRegression(solver=solver, tol=1e-8, max_iter=500).fit(dense, y)
        s = np.ones(len(y))
        assert _objective(model, X, y, s, 1.0) == pytest.approx(
            _objective(reference, X, y, s, 1.0), rel=1e-9
        )
        # a warm start with nothing penalising the unstored columns keeps their values
        model.set_params(C=np.inf, warm_start=True, tol=1e-6)
        start = np.linspace(-0.5, 0.5, model.coef_.shape[0])  # multinomial: classes sum to 0
        model.coef_[:, 5] = start
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # separable without a penalty
            model.fit(X, y)
        np.testing.assert_array_equal(model.coef_[:, 5], start)
        model.set_params(C=1.0)  # a penalty again: their optimum is 0
        model.fit(X, y)
        assert np.all(model.coef_[:, unstored] == 0.0)


def test_float32_duplicates_that_add_up_past_float32_are_reported_as_infinity():
    """scipy sums float32 duplicates in float32: 3e38 + 3e38 is infinity there, as the dense
    copy shows (and the dense fit rejects); the sparse fit and predict reject it too."""
    X = sp.csr_matrix(
        (np.array([3e38, 3e38, 1.0, -1.0], np.float32), np.array([0, 0, 1, 1]),
         np.array([0, 2, 3, 4])),
        shape=(3, 2),
    )  # fmt: skip
    assert np.isinf(X.toarray()[0, 0])
    match = r"infinity in column 0 \(row 0\)"
    with pytest.raises(ValueError, match=match):
        LogisticRegression().fit(X, [0, 1, 0])
    model = LogisticRegression().fit(np.eye(3, 2, dtype=np.float32), [0, 1, 0])
    with pytest.raises(ValueError, match=match):
        model.predict_proba(X)


def test_infinite_duplicates_name_the_inputs_column_when_columns_are_unused():
    X = sp.csr_matrix(
        (np.array([1e308, 1e308, 1.0, 2.0]), np.array([2, 2, 1, 2]), np.array([0, 2, 3, 4])),
        shape=(3, 4),
    )  # columns 0 and 3 unused: the fit restricts X to columns 2 and 1
    with pytest.raises(ValueError, match=r"infinity in column 2 \(row 0\)"):
        LogisticRegression().fit(X, [0, 1, 0])


def _binary_objective(X, y, model):
    """The binary objective at C=1 without densifying X (sum form)."""
    z = X @ model.coef_[0].astype(np.float64) + float(model.intercept_[0])
    return float(np.sum(np.logaddexp(0, z) - y * z) + 0.5 * np.sum(model.coef_[0] ** 2.0))


def _warm_from(coef, classes):
    model = LogisticRegression(C=1.0, solver="sgd", warm_start=True, random_state=0)
    model.coef_, model.intercept_ = coef.copy(), np.zeros(coef.shape[0])
    model.classes_, model.n_features_in_ = classes, coef.shape[1]
    return model


def test_sgd_warm_start_with_large_coefficients_on_unstored_columns_is_no_divergence():
    """Break test 11: a warm start 0.7 on every one of 2^16 columns, 40 of them stored: the
    start's mean-form objective is 16.7, mostly penalty on columns SGD could only shrink by
    its scalar factor; epoch 1 lowered it and was reported as divergence. Those columns'
    optimum is 0 (a penalty, no data), so SGD's fit starts them there, as the batch fits do,
    and ends near the optimum (newton's, from the same start)."""
    rng = np.random.default_rng(0)
    n, d = 1000, 2**16
    cols = rng.choice(d, 40, replace=False)
    X = sp.csr_matrix(
        (rng.standard_normal(n * 5), rng.choice(cols, n * 5), np.arange(0, n * 5 + 1, 5)),
        shape=(n, d),
    )
    y = (np.asarray(X.sum(axis=1)).ravel() + rng.logistic(size=n) > 0).astype(int)
    start = np.full((1, d), 0.7)
    with warnings.catch_warnings():  # its own stopping rule ends it 4e-4 short: it warns
        warnings.simplefilter("ignore", ConvergenceWarning)
        sgd = _warm_from(start, np.array([0, 1])).fit(X, y)
    reference = _warm_from(start, np.array([0, 1])).set_params(solver="newton", tol=1e-8)
    reference.fit(X, y)
    assert _binary_objective(X, y, sgd) <= _binary_objective(X, y, reference) * (1 + 1e-3)
    unstored = np.ones(d, dtype=bool)
    unstored[cols] = False
    assert not sgd.coef_[0, unstored].any()


def test_sgd_partial_fit_from_a_large_start_is_no_divergence():
    """partial_fit keeps every column (a later chunk may store it): SGD shrinks the start's
    large coefficients, its objective falling from far above the zero model's; the
    divergence test is against the start's penalty, not the zero model alone."""
    rng = np.random.default_rng(1)
    X = sp.random(500, 2000, density=0.01, format="csr", random_state=1)
    y = rng.integers(0, 2, 500)
    model = _warm_from(np.full((1, 2000), 8.0), np.array([0, 1]))
    model.set_params(learning_rate="constant", eta0=0.01)
    before = _binary_objective(X, y, model)
    assert before / 500 > 100 * np.log(2)  # past the old limit at the start already
    model.partial_fit(X, y)
    assert _binary_objective(X, y, model) < before
