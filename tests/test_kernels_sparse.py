"""The CSR kernels (kernels/sparse.py) against NumPy twins on the same matrices made dense
(small, in tests only; made float64 first, so duplicate entries are summed as the kernels sum
them), over float32/float64 values x int32/int64 indices x block counts, with empty rows and
columns, duplicate and unsorted indices and explicit zeros."""

import itertools

import naive
import numpy as np
import pytest
import scipy.sparse as sp
from conftest import awkward_csr, make_text_problem

from fastlogreg.kernels import sparse

CASES = list(itertools.product([np.float64, np.float32], [np.int32, np.int64], [1, 2, 3]))
IDS = [f"{np.dtype(v).name}-{np.dtype(i).name}-blocks{k}" for v, i, k in CASES]


def _awkward_csr(dtype, index_dtype, n=301, d=40, seed=0):
    """conftest.awkward_csr, with labels, weights and coefficients for the passes."""
    X = awkward_csr(dtype, index_dtype, n, d, seed)
    rng = np.random.default_rng(seed + 1000)
    y = (rng.random(n) < 0.4).astype(np.float64)
    s = rng.uniform(0, 3, n)
    w = rng.standard_normal(d)
    return X, y, s, w


def _arrays(X):
    return X.data, X.indices, X.indptr


def _work(X, n_blocks, n_outputs=1):
    """A workspace full of NaN: the passes must set every buffer they read."""
    return np.full(sparse.workspace_size(n_blocks, X.shape[1], n_outputs), np.nan)


@pytest.mark.parametrize(("dtype", "index_dtype", "n_blocks"), CASES, ids=IDS)
def test_loss_gradient_and_curvature_match_twin(dtype, index_dtype, n_blocks):
    X, y, s, w = _awkward_csr(dtype, index_dtype)
    grad, curvature = np.empty(X.shape[1] + 1), np.empty(X.shape[0])
    loss = sparse.loss_gradient(
        *_arrays(X), y, s, w, 0.3, n_blocks, grad, curvature, _work(X, n_blocks)
    )
    dense = X.astype(np.float64).toarray()
    ref_loss, ref_grad = naive.loss_gradient(dense, y, s, w, 0.3)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-12 * np.abs(ref_grad).max())
    z = dense @ w + 0.3
    np.testing.assert_allclose(curvature, s * naive.sigmoid(z) * naive.sigmoid(-z), rtol=1e-12)
    # unused columns get an exactly zero gradient; an empty curvature array is not written
    assert grad[5] == 0.0 and grad[33] == 0.0
    again = np.empty_like(grad)
    work = _work(X, n_blocks)
    assert (
        sparse.loss_gradient(*_arrays(X), y, s, w, 0.3, n_blocks, again, np.empty(0), work) == loss
    )
    np.testing.assert_array_equal(again, grad)


@pytest.mark.parametrize(("dtype", "index_dtype", "n_blocks"), CASES, ids=IDS)
def test_hessian_product_matches_twin(dtype, index_dtype, n_blocks):
    X, *_ = _awkward_csr(dtype, index_dtype, seed=1)
    rng = np.random.default_rng(5)
    curvature, v = rng.uniform(0, 0.25, X.shape[0]), rng.standard_normal(X.shape[1])
    out = np.empty(X.shape[1] + 1)
    sparse.hessian_product(*_arrays(X), curvature, v, -0.7, n_blocks, out, _work(X, n_blocks))
    X1 = np.column_stack([X.astype(np.float64).toarray(), np.ones(X.shape[0])])
    ref = X1.T @ (curvature * (X1 @ np.append(v, -0.7)))
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12 * np.abs(ref).max())


@pytest.mark.parametrize(("dtype", "index_dtype", "n_blocks"), CASES, ids=IDS)
def test_decision_scores_match_twin(dtype, index_dtype, n_blocks):
    X, _, _, w = _awkward_csr(dtype, index_dtype, seed=2)
    dense = X.astype(np.float64).toarray()
    for probability in (False, True):
        out = np.empty(X.shape[0])
        sparse.decision_scores(*_arrays(X), w, 1.5, probability, n_blocks, out)
        z = dense @ w + 1.5
        np.testing.assert_allclose(out, naive.sigmoid(z) if probability else z, rtol=1e-12)


def test_blocks_balance_the_non_zeros_and_cover_every_row():
    X, *_ = _awkward_csr(np.float64, np.int32)
    for n_blocks in (1, 2, 3, 8, 500):
        starts = sparse.nnz_block_starts(X.indptr, n_blocks)
        assert starts[0] == 0 and starts[-1] == X.shape[0] and np.all(np.diff(starts) >= 0)
        if n_blocks <= 8:
            per_block = np.diff(X.indptr[starts])
            assert per_block.max() <= X.nnz / n_blocks + 12  # at most one row over
    empty = sp.csr_matrix((4, 3))
    np.testing.assert_array_equal(sparse.nnz_block_starts(empty.indptr, 2), [0, 0, 4])


def test_fixed_block_count_is_bit_identical():
    X, y, s, w = _awkward_csr(np.float64, np.int64, n=2000, seed=3)
    results = []
    for _ in range(3):
        grad = np.empty(X.shape[1] + 1)
        loss = sparse.loss_gradient(*_arrays(X), y, s, w, 0.1, 2, grad, np.empty(0), _work(X, 2))
        results.append((loss, grad))
    for loss, grad in results[1:]:
        assert loss == results[0][0]
        np.testing.assert_array_equal(grad, results[0][1])


def test_text_like_generator_and_the_pass_on_it():
    # data/synthetic.py's issue-10 problem at a small size, and the fused pass against scipy's
    # two (X w, then X^T r), never densified
    X, y = make_text_problem(3000, d=2**16, seed=1)
    assert sp.issparse(X) and X.format == "csr" and X.shape == (3000, 2**16)
    assert 14 < X.nnz / X.shape[0] < 22  # about 18 distinct features per row
    np.testing.assert_allclose(np.sqrt(X.multiply(X).sum(axis=1)), 1.0, rtol=1e-12)
    assert set(np.unique(y)) == {0.0, 1.0}
    w = np.random.default_rng(0).normal(0, 2, X.shape[1])
    s = np.ones(X.shape[0])
    grad = np.empty(X.shape[1] + 1)
    loss = sparse.loss_gradient(*_arrays(X), y, s, w, -0.2, 2, grad, np.empty(0), _work(X, 2))
    z = X @ w - 0.2
    r = naive.sigmoid(z) - y
    np.testing.assert_allclose(loss, np.sum(naive.log1pexp(z) - y * z), rtol=1e-12)
    np.testing.assert_allclose(grad[:-1], X.T @ r, rtol=1e-10, atol=1e-12)
    assert grad[-1] == pytest.approx(r.sum(), rel=1e-12)


@pytest.mark.parametrize(("dtype", "index_dtype", "n_blocks"), CASES, ids=IDS)
def test_multinomial_loss_gradient_matches_twin(dtype, index_dtype, n_blocks):
    X, _, s, _ = _awkward_csr(dtype, index_dtype, seed=4)
    rng = np.random.default_rng(6)
    K = 4
    y = rng.integers(0, K, X.shape[0]).astype(np.float64)
    W, b = rng.standard_normal((K, X.shape[1])), rng.standard_normal(K)
    grad = np.empty(K * (X.shape[1] + 1))
    loss = sparse.multinomial_loss_gradient(
        *_arrays(X), y, s, np.ascontiguousarray(W.T), b, n_blocks, grad, _work(X, n_blocks, K)
    )
    ref_loss, ref_grad = naive.multinomial_loss_gradient(X.astype(np.float64).toarray(), y, s, W, b)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-12 * np.abs(ref_grad).max())
    columns = grad.reshape(K, -1)
    assert np.all(columns[:, 5] == 0.0) and np.all(columns[:, 33] == 0.0)  # unused columns


@pytest.mark.parametrize(("dtype", "index_dtype", "n_blocks"), CASES, ids=IDS)
def test_multinomial_decision_scores_match_twin(dtype, index_dtype, n_blocks):
    X, *_ = _awkward_csr(dtype, index_dtype, seed=7)
    rng = np.random.default_rng(8)
    W, b = rng.standard_normal((3, X.shape[1])) * 5, rng.standard_normal(3)
    Z = X.astype(np.float64).toarray() @ W.T + b
    for probability in (False, True):
        out = np.empty((X.shape[0], 3), dtype=dtype)
        W_t = np.ascontiguousarray(W.T)
        sparse.multinomial_decision_scores(*_arrays(X), W_t, b, probability, n_blocks, out)
        expected = naive.softmax(Z) if probability else Z
        # float32 output: rounded, and probabilities below its range (1e-38) flush to zero
        tolerance = dict(rtol=1e-6, atol=1e-37) if dtype == np.float32 else dict(rtol=1e-12)
        np.testing.assert_allclose(out, expected, **tolerance)


@pytest.mark.parametrize(("dtype", "index_dtype", "n_blocks"), CASES, ids=IDS)
def test_multinomial_hessian_product_matches_twin(dtype, index_dtype, n_blocks):
    X, _, s, _ = _awkward_csr(dtype, index_dtype, seed=9)
    rng = np.random.default_rng(10)
    K, n, d = 3, X.shape[0], X.shape[1]
    P = naive.softmax(rng.standard_normal((n, K)) * 2)
    V, v_b = rng.standard_normal((K, d)), rng.standard_normal(K)
    out = np.empty(K * (d + 1))
    sparse.multinomial_hessian_product(
        *_arrays(X), s[:, None] * P, np.ascontiguousarray(V.T), v_b, n_blocks, out,
        _work(X, n_blocks, K),
    )  # fmt: skip
    # the explicit Hessian: sum_i s_i (diag(p_i) - p_i p_i^T) kron x~_i x~_i^T
    X1 = np.column_stack([X.astype(np.float64).toarray(), np.ones(n)])
    H = sum(
        si * np.kron(np.diag(pi) - np.outer(pi, pi), np.outer(xi, xi))
        for si, pi, xi in zip(s, P, X1, strict=True)
    )
    ref = H @ np.column_stack([V, v_b]).ravel()
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12 * np.abs(ref).max())


@pytest.mark.parametrize(("dtype", "index_dtype", "n_blocks"), CASES, ids=IDS)
@pytest.mark.parametrize("n_columns", [1, 3])
def test_weighted_column_squares_matches_twin(dtype, index_dtype, n_blocks, n_columns):
    X, *_ = _awkward_csr(dtype, index_dtype, seed=4)
    H = np.random.default_rng(6).uniform(0, 1, (X.shape[0], n_columns))
    out = np.empty(n_columns * (X.shape[1] + 1))
    canonical = sparse.rows_without_repeats(X.indices, X.indptr, X.shape[1], n_blocks)
    assert not canonical
    sparse.weighted_column_squares(
        *_arrays(X), H, canonical, n_blocks, out, _work(X, n_blocks, n_columns)
    )
    dense = X.astype(np.float64).toarray()  # duplicates summed, then squared
    ref = np.vstack([(dense**2).T @ H, H.sum(axis=0)]).T.ravel()
    np.testing.assert_allclose(out, ref, rtol=1e-12)
    # the canonical path (no repeated columns: each entry squared as it is) on X made so, its
    # rows unsorted again
    canonical_X = X.astype(np.float64)
    canonical_X.sum_duplicates()
    for i in range(0, X.shape[0], 3):
        row = slice(canonical_X.indptr[i], canonical_X.indptr[i + 1])
        canonical_X.indices[row] = canonical_X.indices[row][::-1].copy()
        canonical_X.data[row] = canonical_X.data[row][::-1].copy()
    canonical_X.has_sorted_indices = False
    assert sparse.rows_without_repeats(
        canonical_X.indices, canonical_X.indptr, X.shape[1], n_blocks
    )
    out[:] = np.nan
    sparse.weighted_column_squares(
        *_arrays(canonical_X), H, True, n_blocks, out, _work(X, n_blocks, n_columns)
    )
    np.testing.assert_allclose(out, ref, rtol=1e-12)


@pytest.mark.parametrize(("dtype", "index_dtype", "n_blocks"), CASES, ids=IDS)
def test_weighted_sq_norm_sum_matches_twin(dtype, index_dtype, n_blocks):
    X, _, s, _ = _awkward_csr(dtype, index_dtype, seed=7)
    dense = X.astype(np.float64).toarray()  # duplicates summed before squaring
    ref = float(s @ np.sum(dense**2, axis=1))
    result = sparse.weighted_sq_norm_sum(*_arrays(X), s, X.shape[1], n_blocks, _work(X, n_blocks))
    np.testing.assert_allclose(result, ref, rtol=1e-12)
