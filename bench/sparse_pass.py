"""One fused CSR pass (kernels/sparse.py) against scipy.sparse's two and the read floor.

    python -m bench.sparse_pass [--rows 1000000] [--cols 1048576] [--repeats 7]

On issue 10's text-like problem (data/synthetic.py make_text_problem) it times, after a
discarded first (compiling) call, the median of:
- loss_gradient (loss and gradient in one read of X) and hessian_product (a Hessian-vector
  product, one read), on one thread and on all of Numba's;
- scipy.sparse's X @ w then X.T @ r (the same gradient, two reads, one thread), and
  X.T @ (h * (X @ v)) for the product;
- a streaming sum over the CSR's data and indices (the floor of a pass that reads them once;
  a CSR pass also gathers and scatters into d-long vectors at random, which this does not).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numba
import numpy as np
from numba import njit, prange

from fastlogreg.kernels import sparse

from ._machine import describe

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from synthetic import make_text_problem


@njit(parallel=True)
def stream_csr(data, indices):
    """Reads the data and indices arrays once (the floor of a pass over a CSR matrix)."""
    n_blocks = numba.get_num_threads()
    partial = np.zeros(n_blocks)
    n = data.shape[0]
    for k in prange(n_blocks):
        total = 0.0
        for p in range(k * n // n_blocks, (k + 1) * n // n_blocks):
            total += data[p] + indices[p]
        partial[k] = total
    return partial.sum()


def median_time(call, repeats):
    call()  # compiles, or warms the caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def measure(rows, cols, repeats):
    """{name: seconds} for the passes above on make_text_problem(rows, cols)."""
    X, y = make_text_problem(rows, d=cols, seed=0)
    s = np.ones(rows)
    rng = np.random.default_rng(1)
    w, v = rng.normal(0.0, 0.1, cols), rng.normal(size=cols)
    curvature = rng.uniform(0.0, 0.25, rows)
    grad, product = np.empty(cols + 1), np.empty(cols + 1)
    arrays = (X.data, X.indices, X.indptr)
    work = np.empty(sparse.workspace_size(numba.config.NUMBA_NUM_THREADS, cols))
    out = {}
    all_threads = numba.config.NUMBA_NUM_THREADS
    for threads in sorted({1, all_threads}):
        numba.set_num_threads(threads)
        out[f"fused loss and gradient, {threads} thread(s)"] = median_time(
            lambda t=threads: sparse.loss_gradient(
                *arrays, y, s, w, 0.0, t, grad, np.empty(0), work
            ),
            repeats,
        )
        out[f"fused Hessian-vector product, {threads} thread(s)"] = median_time(
            lambda t=threads: sparse.hessian_product(*arrays, curvature, v, 0.0, t, product, work),
            repeats,
        )
    numba.set_num_threads(all_threads)
    out["scipy X @ w, then X.T @ r (1 thread)"] = median_time(lambda: X.T @ (X @ w - y), repeats)
    out["scipy X.T @ (h * (X @ v)) (1 thread)"] = median_time(
        lambda: X.T @ (curvature * (X @ v)), repeats
    )
    out[f"read floor: data and indices, {all_threads} thread(s)"] = median_time(
        lambda: stream_csr(X.data, X.indices), repeats
    )
    return X, out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=2**20)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    X, times = measure(args.rows, args.cols, args.repeats)
    print(f"Machine: {describe()}")
    print(
        f"make_text_problem({args.rows:,}, d={args.cols:,}): {X.nnz / X.shape[0]:.1f} non-zeros "
        f"per row, data + indices {(X.data.nbytes + X.indices.nbytes) / 1e6:.0f} MB; medians of "
        f"{args.repeats}"
    )
    floor = times[next(name for name in times if name.startswith("read floor"))]
    print("| pass | ms | / read floor |")
    print("|---|---|---|")
    for name, seconds in times.items():
        print(f"| {name} | {1e3 * seconds:.1f} | {seconds / floor:.1f} |")
    return times


if __name__ == "__main__":
    main()
