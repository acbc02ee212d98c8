"""pytest-benchmark micro-benchmarks of the kernels (not part of the test suite):

    python -m pytest bench/test_bench_kernels.py --benchmark-enable -p no:randomly

Each records the achieved read bandwidth (X bytes / median time) as extra info; set
FASTLOGREG_BENCH_ROWS to change the size (default 1,000,000 x 100).
"""

import os

import numba
import numpy as np
import pytest

from fastlogreg.kernels import dense
from fastlogreg.kernels import sgd as sgd_kernels
from fastlogreg.kernels.hessian import hessian_sum

from ._machine import stream_sum

ROWS = int(os.environ.get("FASTLOGREG_BENCH_ROWS", "1000000"))
COLS = 100


@pytest.fixture(scope="module", params=[np.float64, np.float32], ids=["float64", "float32"])
def data(request):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((ROWS, COLS)).astype(request.param)
    y = (rng.random(ROWS) < 0.5).astype(np.float64)
    return X, y, np.ones(ROWS), rng.standard_normal(COLS) * 0.1


def _median(benchmark):
    """The median time, or None when timing is disabled (--benchmark-disable: one plain run)."""
    return benchmark.stats.stats.median if benchmark.stats else None


def _record_bandwidth(benchmark, nbytes):
    if _median(benchmark):
        benchmark.extra_info["GB/s"] = round(nbytes / _median(benchmark) / 1e9, 2)


def test_gd_epoch(benchmark, data):
    X, y, s, w = data
    grad, w_next, n = np.empty(COLS + 1), np.empty(COLS), numba.get_num_threads()
    dense.gd_epoch(X, y, s, w, 0.0, 1.0, 1e-6, True, n, grad, w_next)
    benchmark(dense.gd_epoch, X, y, s, w, 0.0, 1.0, 1e-6, True, n, grad, w_next)
    _record_bandwidth(benchmark, X.nbytes)


def test_loss_gradient(benchmark, data):
    X, y, s, w = data
    grad, n = np.empty(COLS + 1), numba.get_num_threads()
    dense.loss_gradient(X, y, s, w, 0.0, n, grad)
    benchmark(dense.loss_gradient, X, y, s, w, 0.0, n, grad)
    _record_bandwidth(benchmark, X.nbytes)


def test_decision_scores(benchmark, data):
    X, _, _, w = data
    out = np.empty(ROWS, dtype=X.dtype)
    dense.decision_scores(X, w, 0.0, True, out)
    benchmark(dense.decision_scores, X, w, 0.0, True, out)
    _record_bandwidth(benchmark, X.nbytes)


def test_numpy_seed_step(benchmark, data):
    # the seed's epoch written in NumPy (no loss), the baseline the fused epoch is compared with
    X, y, _, w = data
    w, y = w.astype(X.dtype), y.astype(X.dtype)  # same dtype throughout: no upcast copy of X

    def step():
        a = 1.0 / (1.0 + np.exp(-(X @ w)))
        return w - 1e-6 * (X.T @ (a - y))

    benchmark(step)
    _record_bandwidth(benchmark, X.nbytes)


def test_hessian_on_newtons_row_sample(benchmark, data):
    # newton's Hessian: BLAS on a float64 sample of at most 16,384 rows; GFMA/s as extra info
    X, _, s, w = data
    sample = np.ascontiguousarray(X[:16_384], dtype=np.float64)
    work = np.empty_like(sample)
    benchmark(hessian_sum, sample, s[: sample.shape[0]], w, 0.0, True, work)
    if _median(benchmark):
        fma = sample.shape[0] * COLS * COLS
        benchmark.extra_info["GFMA/s"] = round(fma / _median(benchmark) / 1e9, 2)


def test_sgd_epoch_one_thread(benchmark, data):
    X, y, s, _ = data
    n_blocks = (ROWS + sgd_kernels.BLOCK_ROWS - 1) // sgd_kernels.BLOCK_ROWS
    order = np.random.default_rng(0).permutation(n_blocks)
    params = np.array([sgd_kernels.CONSTANT, 1e-4, 1e-6, 0.5, 0.0, np.inf, 1.0, 0.0])
    v, avg, state = np.zeros(COLS), np.zeros(COLS), np.array([1.0, 0.0, 0.0, 0.0, 0.0])
    run = (X, y, s, order, True, 0, v, state, avg, params, 1)
    sgd_kernels.sgd_epoch(*run)
    benchmark(sgd_kernels.sgd_epoch, *run)
    _record_bandwidth(benchmark, X.nbytes)


def test_stream_floor(benchmark, data):
    X = data[0]
    stream_sum(X)
    benchmark(stream_sum, X)
    _record_bandwidth(benchmark, X.nbytes)
