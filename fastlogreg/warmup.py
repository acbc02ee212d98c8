"""warmup(): compile (or load from Numba's disk cache) every kernel ahead of the first fit."""

from __future__ import annotations

import time
import warnings

import numpy as np

from ._config import thread_limit
from .kernels import dense, multinomial
from .kernels import sgd as sgd_kernels


def warmup(dtypes=(np.float64, np.float32), n_jobs=None, readonly=True):
    """Compile every kernel for each dtype of X, so the first real fit pays no compile time.

    Numba compiles a separate version for read-only X (e.g. a memory-mapped file opened with
    mode 'r'); readonly=False skips those. Returns the seconds taken: see README.md for the
    measured cold and cached figures."""
    start = time.perf_counter()
    with thread_limit(n_jobs) as n_threads:
        y = np.array([0.0, 1.0, 0.0, 1.0])
        s = np.ones(4)
        w = np.zeros(2)
        grad = np.empty(3)
        dense.add_l2_penalty(0.0, grad, w, 1.0)
        for dtype in dtypes:
            for writeable in (True, False) if readonly else (True,):
                X = np.ones((4, 2), dtype=dtype)
                X.setflags(write=writeable)
                for loss_gradient in (dense.loss_gradient, dense.loss_gradient_serial):
                    loss_gradient(X, y, s, w, 0.0, n_threads, grad)
                for gd_epoch in (dense.gd_epoch, dense.gd_epoch_serial):
                    gd_epoch(X, y, s, w, 0.0, 1.0, 0.1, True, n_threads, grad, np.empty(2))
                dense.decision_scores(X, w, 0.0, True, np.empty(4, dtype=dtype))
                dense.weighted_sq_norm_sum(X, s, n_threads)
                dense.first_nonfinite_row(X, n_threads)
                state = np.array([1.0, 0.0, 0.0, 0.0, 0.0])
                params = np.array([0.0, 0.01, 0.0, 0.5, 0.0, 0.0, 1.0, 0.0])
                order = np.zeros(1, dtype=np.int64)
                sgd_kernels.sgd_epoch(
                    X, y, s, order, True, 0, np.zeros(2), state, np.zeros(2), params, 1
                )
                W, b3, grad3 = np.zeros((3, 2)), np.zeros(3), np.empty(9)
                for loss_gradient in (multinomial.loss_gradient, multinomial.loss_gradient_serial):
                    loss_gradient(X, y, s, W, b3, n_threads, grad3)
                multinomial.decision_scores(X, W, b3, True, np.empty((4, 3), dtype=dtype))
                _warm_up_new_paths(X)
    return time.perf_counter() - start


def _warm_up_new_paths(X):
    """The rest of the multinomial path, the L1 kernels (proximal Newton's coordinate descent, SGD's
    cumulative penalty) and the multinomial SGD epoch, compiled by tiny fits through the
    estimator, so that their state arrays are laid out exactly as in a real fit."""
    from .estimator import LogisticRegression

    writeable = X.flags.writeable
    X = np.vstack([X, X[:2]])  # six rows: two of each of three classes
    X.setflags(write=writeable)  # the read-only variants too
    three = np.array([0, 1, 2, 0, 1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny data: convergence is not the point
        for y in (three, three % 2):
            for solver in ("newton", "lbfgs", "sgd"):
                LogisticRegression(solver=solver, max_iter=2).fit(X, y).predict_proba(X)
            for solver in ("newton", "sgd"):
                LogisticRegression(solver=solver, l1_ratio=0.5, max_iter=2).fit(X, y)
            # a tolerance met at once: proximal Newton's duality-gap pass runs
            LogisticRegression(l1_ratio=0.5, tol=1e3).fit(X, y)
