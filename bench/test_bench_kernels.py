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

from ._machine import stream_sum

ROWS = int(os.environ.get("FASTLOGREG_BENCH_ROWS", "1000000"))
COLS = 100


@pytest.fixture(scope="module", params=[np.float64, np.float32], ids=["float64", "float32"])
def data(request):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((ROWS, COLS)).astype(request.param)
    y = (rng.random(ROWS) < 0.5).astype(np.float64)
    return X, y, np.ones(ROWS), rng.standard_normal(COLS) * 0.1


def _record_bandwidth(benchmark, nbytes):
    benchmark.extra_info["GB/s"] = round(nbytes / benchmark.stats.stats.median / 1e9, 2)


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


def test_stream_floor(benchmark, data):
    X = data[0]
    stream_sum(X)
    benchmark(stream_sum, X)
    _record_bandwidth(benchmark, X.nbytes)
