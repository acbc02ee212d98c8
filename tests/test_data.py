"""The data adapters (fastlogreg/data.py): CSRData's passes equal DenseData's on the same
matrix made dense, for both datafits; the Hessian-vector products equal the explicit Hessian;
a sparse row sample (SampleCSR), centred without being formed, gives the dense centred
sample's products."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import awkward_csr

from fastlogreg import _validation as V
from fastlogreg.data import (
    CSRData,
    DenseData,
    centred_columns,
    column_moments,
    sample_dot,
    sample_squares,
    sample_tdot,
)
from fastlogreg.objective import LogisticObjective

CASES = list(itertools.product([np.float64, np.float32], [2, 3], [True, False]))
IDS = [f"{np.dtype(t).name}-K{k}-{'intercept' if i else 'no_intercept'}" for t, k, i in CASES]


def _pair(dtype, n_classes, fit_intercept, seed=0):
    """The objective on awkward CSR X and on the same X made dense (duplicates summed)."""
    X = awkward_csr(dtype, np.int32, n=257, d=23, seed=seed)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, X.shape[0]).astype(np.float64)
    s = rng.uniform(0, 2, X.shape[0])
    dense = np.ascontiguousarray(X.toarray())
    make = lambda Z: LogisticObjective(  # noqa: E731
        Z, y, s, C=0.7, fit_intercept=fit_intercept, n_blocks=2, n_classes=n_classes
    )
    return make(X), make(dense), rng


@pytest.mark.parametrize(("dtype", "n_classes", "fit_intercept"), CASES, ids=IDS)
def test_sparse_passes_equal_dense(dtype, n_classes, fit_intercept):
    sparse, dense, rng = _pair(dtype, n_classes, fit_intercept)
    theta = rng.standard_normal(sparse.n_params)
    loss_s, grad_s = sparse.loss_gradient(theta)
    loss_d, grad_d = dense.loss_gradient(theta)
    # the dense float32 kernels multiply in float32 (the sparse ones in float64)
    rtol = 1e-6 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(loss_s, loss_d, rtol=rtol)
    np.testing.assert_allclose(grad_s, grad_d, rtol=100 * rtol, atol=100 * rtol)
    np.testing.assert_allclose(sparse.mean_sq_norm(), dense.mean_sq_norm(), rtol=rtol)
    K = sparse.n_outputs
    n = sparse.n_samples
    out_s, out_d = np.empty((n, K)).squeeze(), np.empty((n, K)).squeeze()
    Theta = sparse.as_matrix(theta)
    sparse.datafit.scores(sparse.data, Theta, True, out_s, 2)
    dense.datafit.scores(dense.data, Theta, True, out_d, 2)
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out_s, out_d, rtol=tol, atol=tol * 1e-3)


@pytest.mark.parametrize(("dtype", "n_classes", "fit_intercept"), CASES, ids=IDS)
def test_hessian_products_equal_the_explicit_hessian(dtype, n_classes, fit_intercept):
    """objective.hessp on CSR and on dense X against the Hessian by central differences of
    the gradient (the loss is smooth, so they agree to about 1e-7 relative)."""
    sparse, dense, rng = _pair(dtype, n_classes, fit_intercept, seed=1)
    theta = 0.3 * rng.standard_normal(sparse.n_params)
    step = 1e-5
    H = np.empty((sparse.n_params, sparse.n_params))
    for j in range(sparse.n_params):
        e = np.zeros(sparse.n_params)
        e[j] = step
        H[:, j] = (sparse.loss_gradient(theta + e)[1] - sparse.loss_gradient(theta - e)[1]) / (
            2 * step
        )
    if not fit_intercept:  # the intercepts stay where they are: the identity's rows
        intercepts = np.arange(sparse.n_params) % (sparse.n_features + 1) == sparse.n_features
        H[intercepts, :] = H[:, intercepts] = 0.0
        H[intercepts, intercepts] = 1.0
    v = rng.standard_normal(sparse.n_params)
    for objective in (sparse, dense):
        hessp, diagonal = objective.hessp(theta)
        np.testing.assert_allclose(hessp(v), H @ v, rtol=1e-5, atol=1e-7 * np.abs(H @ v).max())
        np.testing.assert_allclose(diagonal, np.diag(H), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("centred", [False, True])
def test_sparse_sample_products_equal_dense(centred):
    X = awkward_csr(np.float64, np.int64, n=301, d=40, seed=3)
    # column 40 constant: centred, it must be exactly 0
    X = sp.hstack([X, np.full((301, 1), 2.5)], format="csr")
    d = X.shape[1]
    sparse_rows = CSRData(X).sample(slice(None, None, 2))
    dense_rows = DenseData(np.ascontiguousarray(X.toarray())).sample(slice(None, None, 2))
    weights = np.random.default_rng(0).uniform(0, 1, dense_rows.shape[0])
    if centred:
        sparse_rows, mu_s, constant_s = centred_columns(sparse_rows, weights)
        dense_rows, mu_d, constant_d = centred_columns(dense_rows, weights)
        np.testing.assert_allclose(mu_s, mu_d, rtol=1e-12)
        np.testing.assert_array_equal(constant_s, constant_d)
        assert constant_s[40]
    rng = np.random.default_rng(1)
    for shape in [(d,), (d, 3)]:
        M = rng.standard_normal(shape)
        np.testing.assert_allclose(sample_dot(sparse_rows, M), sample_dot(dense_rows, M))
        T = rng.standard_normal((dense_rows.shape[0], *shape[1:]))
        np.testing.assert_allclose(
            sample_tdot(sparse_rows, T), sample_tdot(dense_rows, T), atol=1e-12
        )
        H = np.abs(T)
        np.testing.assert_allclose(
            sample_squares(sparse_rows, H), sample_squares(dense_rows, H), atol=1e-12
        )
    if centred:  # the constant column is exactly 0 in every product
        assert sample_tdot(sparse_rows, rng.standard_normal(dense_rows.shape[0]))[40] == 0.0
    q = np.random.default_rng(2).uniform(0, 1, 301)
    q /= q.sum()
    moments_s = column_moments(CSRData(X).sample(slice(None)), q)
    moments_d = column_moments(X.toarray(), q)
    for a, b in zip(moments_s, moments_d, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_sparse_sample_leaves_the_callers_matrix_alone():
    X = awkward_csr(np.float32, np.int32, seed=5)
    before = [a.copy() for a in (X.data, X.indices, X.indptr)]
    rows = CSRData(X).sample(slice(None, None, 3))
    centred_columns(rows, np.ones(rows.shape[0]))
    for a, b in zip(before, (X.data, X.indices, X.indptr), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not X.has_sorted_indices


def test_used_columns_orders_by_count_shares_values_and_round_trips():
    from fastlogreg.data import used_columns

    X = V.as_csr(awkward_csr(np.float32, np.int64, n=200, d=40, seed=3))
    subset = used_columns(X, 1000)  # 1000 outputs: worth the indices' copy
    counts = np.bincount(X.indices, minlength=40)
    assert 5 not in subset.columns and 33 not in subset.columns  # never stored
    assert sorted(subset.columns) == list(np.flatnonzero(counts))
    assert np.all(np.diff(counts[subset.columns]) <= 0)  # most often stored first
    assert np.shares_memory(subset.X.data, X.data) and np.shares_memory(subset.X.indptr, X.indptr)
    assert subset.X.indices.dtype == X.indptr.dtype
    np.testing.assert_array_equal(subset.X.toarray(), X.toarray()[:, subset.columns])
    rng = np.random.default_rng(0)
    theta = rng.standard_normal(3 * 41)
    restricted = subset.restrict(theta, 3)
    assert restricted.shape == (3 * (len(subset.columns) + 1),)
    back = subset.extend(restricted, 3, theta).reshape(3, 41)
    np.testing.assert_array_equal(back, theta.reshape(3, 41))
    zeroed = subset.extend(restricted, 3, None).reshape(3, 41)
    assert np.all(zeroed[:, [5, 33]] == 0.0)
    np.testing.assert_array_equal(np.delete(zeroed, [5, 33], axis=1),
                                  np.delete(back, [5, 33], axis=1))  # fmt: skip


def test_used_columns_is_none_when_nothing_is_gained():
    from fastlogreg.data import used_columns

    assert used_columns(np.ones((3, 2)), 1) is None  # dense
    assert used_columns(V.as_csr(sp.csr_matrix(np.eye(3))), 1) is None  # every column stored
    assert used_columns(V.as_csr(sp.csr_matrix((3, 4))), 1) is None  # no value stored
    # 1 of 40 columns unstored: the indices' copy costs more than the vectors it saves
    X = sp.hstack([sp.random(400, 39, density=0.2, random_state=0), sp.csr_matrix((400, 1))])
    X = V.as_csr(X.tocsr())
    assert used_columns(X, 1) is None and used_columns(X, 1000) is not None


def test_stored_curvature_is_kept_for_the_evaluated_array_itself():
    """objective._stored_curvature: the row curvatures a sparse binomial pass leaves behind
    serve hessp at the very array it evaluated (no copy of theta to compare against); an
    equal copy gets a pass of its own, with the same result."""
    X = V.as_csr(awkward_csr(np.float64, np.int32, n=200, d=20, seed=5))
    y = (np.arange(200) % 2).astype(np.float64)
    objective = LogisticObjective(X, y, np.ones(200), 1.0, True, 2)
    theta = np.linspace(-0.2, 0.2, 21)
    objective.loss_gradient(theta)
    assert objective._stored_curvature(theta) is not None
    assert objective._stored_curvature(theta.copy()) is None
    v = np.linspace(1.0, 2.0, 21)
    same = objective.hessp(theta)[0](v).copy()
    np.testing.assert_allclose(objective.hessp(theta.copy())[0](v), same, rtol=1e-13)
