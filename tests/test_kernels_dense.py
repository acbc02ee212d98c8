"""The dense kernels against their NumPy twins (tests/naive.py), over
float32/float64 x n_blocks 1/2 x intercept on/off x weights on/off."""

import itertools

import naive
import numpy as np
import pytest
from conftest import small_problem
from hypothesis import given, settings
from hypothesis import strategies as st

from fastlogreg._config import thread_limit
from fastlogreg.kernels import dense

CASES = list(itertools.product([np.float64, np.float32], [1, 2], [True, False], [False, True]))
IDS = [f"{np.dtype(t).name}-jobs{j}-icpt{int(i)}-w{int(w)}" for t, j, i, w in CASES]


def _inputs(dtype, fit_intercept, weighted, seed=0):
    X, y = small_problem(dtype=dtype, seed=seed)
    rng = np.random.default_rng(seed + 10)
    s = rng.uniform(0, 3, size=X.shape[0]) if weighted else np.ones(X.shape[0])
    w = rng.standard_normal(X.shape[1])
    b = 0.7 if fit_intercept else 0.0
    return X, y, s, w, b


@pytest.mark.parametrize("build", ["parallel", "serial"])
@pytest.mark.parametrize(("dtype", "n_jobs", "fit_intercept", "weighted"), CASES, ids=IDS)
def test_loss_gradient_matches_twin(dtype, n_jobs, fit_intercept, weighted, build):
    X, y, s, w, b = _inputs(dtype, fit_intercept, weighted)
    grad = np.empty(X.shape[1] + 1)
    kernel = dense.loss_gradient if build == "parallel" else dense.loss_gradient_serial
    with thread_limit(n_jobs) as n_blocks:
        loss = kernel(X, y, s, w, b, n_blocks, grad)
    ref_loss, ref_grad = naive.loss_gradient(X, y, s, w, b)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-12 * np.abs(ref_grad).max())


@pytest.mark.parametrize("build", ["parallel", "serial"])
@pytest.mark.parametrize(("dtype", "n_jobs", "fit_intercept", "weighted"), CASES, ids=IDS)
def test_gd_epoch_matches_twin(dtype, n_jobs, fit_intercept, weighted, build):
    X, y, s, w, b = _inputs(dtype, fit_intercept, weighted, seed=3)
    l2, step = 0.5, 0.01
    grad = np.empty(X.shape[1] + 1)
    w_next = np.empty(X.shape[1])
    kernel = dense.gd_epoch if build == "parallel" else dense.gd_epoch_serial
    with thread_limit(n_jobs) as n_blocks:
        loss, b_next = kernel(X, y, s, w, b, l2, step, fit_intercept, n_blocks, grad, w_next)
    ref_loss, ref_grad, ref_w, ref_b = naive.gd_epoch(X, y, s, w, b, l2, step, fit_intercept)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-12 * np.abs(ref_grad).max())
    np.testing.assert_allclose(w_next, ref_w, rtol=1e-12)
    np.testing.assert_allclose(b_next, ref_b, rtol=1e-12)
    if not fit_intercept:
        assert b_next == b


@pytest.mark.parametrize(("dtype", "n_jobs", "fit_intercept", "weighted"), CASES, ids=IDS)
def test_decision_scores_match_twin(dtype, n_jobs, fit_intercept, weighted):
    X, _, _, w, b = _inputs(dtype, fit_intercept, weighted, seed=5)
    for probability in (False, True):
        out = np.empty(X.shape[0], dtype=dtype)
        with thread_limit(n_jobs):
            dense.decision_scores(X, w, b, probability, out)
        rtol = 1e-6 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(
            out, naive.decision_scores(X, w, b, probability), rtol=rtol, atol=rtol
        )


@pytest.mark.parametrize(("dtype", "n_jobs", "fit_intercept", "weighted"), CASES, ids=IDS)
def test_label_split_gradient_matches_twin(dtype, n_jobs, fit_intercept, weighted):
    X, y, s, w, b = _inputs(dtype, fit_intercept, weighted)
    residual, grads = np.empty(X.shape[0]), np.empty((2, X.shape[1] + 1))
    with thread_limit(n_jobs) as n_blocks:
        dense.label_split_gradient(X, y, s, w, b, n_blocks, residual, grads)
    z = X.astype(np.float64) @ w + b
    np.testing.assert_allclose(residual, naive.sigmoid(z) - y, rtol=1e-12, atol=1e-15)
    for label in (0, 1):
        rows = y == label
        _, ref = naive.loss_gradient(X[rows], y[rows], s[rows], w, b)
        np.testing.assert_allclose(grads[label], ref, rtol=1e-10, atol=1e-12 * np.abs(ref).max())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_weighted_sq_norm_sum_matches_twin(dtype, n_jobs):
    X, _, s, _, _ = _inputs(dtype, True, True)
    with thread_limit(n_jobs) as n_blocks:
        total = dense.weighted_sq_norm_sum(X, s, n_blocks)
    X64 = X.astype(np.float64)
    np.testing.assert_allclose(total, np.sum(s * np.einsum("ij,ij->i", X64, X64)), rtol=1e-12)


@pytest.mark.parametrize("n_blocks", [1, 2, 3])
def test_first_nonfinite_row(n_blocks):
    X, _ = small_problem()
    assert dense.first_nonfinite_row(X, n_blocks) == -1
    X = X.copy()
    X[200, 3] = np.inf
    X[130, 0] = np.nan
    assert dense.first_nonfinite_row(X, n_blocks) == 130


@pytest.mark.parametrize("n_blocks", [1, 2, 5])
def test_block_count_larger_than_rows_and_uneven_blocks(n_blocks):
    # fewer rows than blocks, and blocks of unequal size, still cover every row exactly once
    X, y, s, w, b = _inputs(np.float64, True, True)
    X, y, s = X[:3], y[:3], s[:3]
    grad = np.empty(X.shape[1] + 1)
    loss = dense.loss_gradient(X, y, s, w, b, n_blocks, grad)
    ref_loss, ref_grad = naive.loss_gradient(X, y, s, w, b)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12)


def test_rows_span_several_chunks():
    # more rows per block than one chunk holds, so the chunk loop and its remainder both run
    X, y = small_problem(n=5000, d=3)
    s, w = np.ones(5000), np.array([0.3, -0.2, 0.1])
    grad = np.empty(4)
    loss = dense.loss_gradient(X, y, s, w, 0.1, 2, grad)
    ref_loss, ref_grad = naive.loss_gradient(X, y, s, w, 0.1)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_fixed_thread_count_is_bit_identical(n_jobs):
    X, y = small_problem(n=3000, d=20)
    s, w = np.ones(3000), np.linspace(-1, 1, 20)
    results = []
    for _ in range(3):
        grad = np.empty(21)
        with thread_limit(n_jobs) as n_blocks:
            loss = dense.loss_gradient(X, y, s, w, 0.2, n_blocks, grad)
        results.append((loss, grad.tobytes()))
    assert results[0] == results[1] == results[2]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_serial_and_parallel_builds_are_bit_identical(dtype):
    # same blocks, same reduction order: the small-data serial path changes no result
    X, y = small_problem(n=1000, d=9, dtype=dtype)
    s, w = np.ones(1000), np.linspace(-1, 1, 9)
    g_par, g_ser = np.empty(10), np.empty(10)
    with thread_limit(2):
        loss_par = dense.loss_gradient(X, y, s, w, 0.2, 2, g_par)
    loss_ser = dense.loss_gradient_serial(X, y, s, w, 0.2, 2, g_ser)
    assert loss_par == loss_ser
    assert g_par.tobytes() == g_ser.tobytes()


@settings(max_examples=40)
@given(
    n=st.integers(1, 40),
    d=st.integers(1, 6),
    n_blocks=st.integers(1, 4),
    magnitude=st.sampled_from([1e-3, 1.0, 1e3, 1e6]),
    seed=st.integers(0, 2**16),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_odd_shapes_and_extreme_margins_match_twin(n, d, n_blocks, magnitude, seed, dtype):
    rng = np.random.default_rng(seed)
    X = (rng.standard_normal((n, d)) * magnitude).astype(dtype)
    y = (rng.random(n) < 0.5).astype(np.float64)
    s = rng.uniform(0, 2, n)
    w = rng.standard_normal(d)
    grad = np.empty(d + 1)
    loss = dense.loss_gradient(X, y, s, w, 0.5, n_blocks, grad)
    ref_loss, ref_grad = naive.loss_gradient(X, y, s, w, 0.5)
    assert np.isfinite(loss) and np.isfinite(grad).all()
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        grad, ref_grad, rtol=1e-9, atol=1e-9 * max(1.0, np.abs(ref_grad).max())
    )
