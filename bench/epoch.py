"""One 'gd' epoch on dense data against NumPy and the memory-bandwidth floor.

    python -m bench.epoch [--rows 1000000] [--cols 100] [--repeats 15]

For float64 and float32 X it times, after a discarded first (compiling) call, the median of:
- the fused epoch (fastlogreg.kernels.dense.gd_epoch: loss, gradient and update in one read of X);
- the same step in NumPy: z = X @ w + b, a = sigmoid(z), g = X.T @ (a - y), update (no loss);
- a streaming sum over the same bytes (the read floor, measured in the same run).
and prints the ratios epoch / floor (target <= 1.25) and NumPy / epoch (target >= 2.5), each the
median of the per-round ratios (the three run interleaved in every round).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numba
import numpy as np

from fastlogreg.kernels import dense

from ._machine import describe, stream_sum

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from synthetic import make_problem


def numpy_step(X, y, w, b, alpha):
    z = X @ w + b
    a = 1.0 / (1.0 + np.exp(-z))
    r = a - y
    g = X.T @ r
    return w - alpha * g, b - alpha * r.sum()


def time_dtype(dtype, rows, cols, repeats):
    """(dtype name, X bytes, fused epoch s, NumPy step s, read floor s, epoch/floor,
    NumPy/epoch) for one dtype. The three are interleaved in every round, and the ratios are
    medians of the per-round ratios: on a shared machine that cancels most of the drift."""
    n_threads = numba.get_num_threads()
    X, y = make_problem(rows, cols, seed=0, dtype=dtype)
    s = np.ones(rows)
    w = np.zeros(cols)
    grad, w_next = np.empty(cols + 1), np.empty(cols)
    step = 1.0 / rows
    y_cast, w_cast = y.astype(dtype), w.astype(dtype)
    runs = {
        "epoch": lambda: dense.gd_epoch(X, y, s, w, 0.0, 1.0, step, True, n_threads, grad, w_next),
        "numpy": lambda: numpy_step(X, y_cast, w_cast, 0.0, step),
        "floor": lambda: stream_sum(X),
    }
    times = {name: [] for name in runs}
    for fn in runs.values():
        fn()  # compile / warm caches; discarded
    for _ in range(repeats):
        for name, fn in runs.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    t = {name: np.array(v) for name, v in times.items()}
    return (
        np.dtype(dtype).name, X.nbytes, float(np.median(t["epoch"])),
        float(np.median(t["numpy"])), float(np.median(t["floor"])),
        float(np.median(t["epoch"] / t["floor"])), float(np.median(t["numpy"] / t["epoch"])),
    )  # fmt: skip


def run(rows, cols, repeats):
    return [time_dtype(dtype, rows, cols, repeats) for dtype in (np.float64, np.float32)]


def report(results, rows, cols, command):
    lines = [
        f"Epoch of 'gd' on {rows:,} x {cols} (`{command}`)",
        "",
        f"Machine: {describe()}",
        "",
        "| dtype | X bytes | fused epoch | NumPy step | read floor (GB/s) | epoch / floor "
        "(target <= 1.25) | NumPy / epoch (target >= 2.5) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, nbytes, t_epoch, t_numpy, t_floor, vs_floor, vs_numpy in results:
        lines.append(
            f"| {name} | {nbytes / 1e6:.0f} MB | {t_epoch * 1e3:.1f} ms | {t_numpy * 1e3:.1f} ms "
            f"| {t_floor * 1e3:.1f} ms ({nbytes / t_floor / 1e9:.1f}) | "
            f"{vs_floor:.2f} {'met' if vs_floor <= 1.25 else 'MISSED'} | "
            f"{vs_numpy:.2f} {'met' if vs_numpy >= 2.5 else 'MISSED'} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    command = "python -m bench.epoch " + " ".join(argv if argv is not None else sys.argv[1:])
    print(report(run(args.rows, args.cols, args.repeats), args.rows, args.cols, command.strip()))


if __name__ == "__main__":
    main()
