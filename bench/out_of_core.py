"""Training out of core: peak memory and time of fits on chunk sources (Parquet, CSV, a
memory-mapped .npy) whose file is many times the chunk budget, against the in-memory fit.

    python -m bench.out_of_core [--rows 2000000] [--cols 50] [--chunk-rows 100000]

Writes the problem (data/synthetic.py make_problem, float64) as .npy, Parquet and CSV in a
temporary directory (untimed), then runs each fit in a fresh process: the in-memory fit on the
loaded array, and fit(open_chunks(file, chunk_rows)) for each format, with solver 'auto'
(newton here) and 'lbfgs'. A thread samples the process's resident memory every 5 ms,
anonymous (what the process allocated) and file-backed (pages of a memory-mapped file,
which the kernel can drop and read again under memory pressure) apart; the table gives their
peaks above the level before the fit, the chunk budget (chunk_rows x cols x 8 bytes), the
time, the passes over the file and the objective's relative difference to the in-memory fit.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from ._machine import describe

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from synthetic import make_problem

RUN = r"""
import json, sys, threading, time
import numpy as np
from fastlogreg import LogisticRegression
from fastlogreg.io import load, open_chunks

path, kind, solver, chunk_rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def resident():
    values = {}
    for line in open("/proc/self/status"):
        if line.startswith(("RssAnon:", "RssFile:")):
            key, value = line.split()[:2]
            values[key[:-1]] = int(value) * 1024
    return values

warm = np.random.default_rng(0).normal(size=(2000, int(sys.argv[5])))
LogisticRegression(solver=solver).fit(warm, (warm[:, 0] > 0).astype(int))  # compile
if kind == "memory":
    data = load(path, labels=path.replace("X.npy", "y.npy"))
    X, y = np.array(data.X), data.y  # a copy in memory (data.X is the memory map)
else:
    X = open_chunks(path, chunk_rows=chunk_rows, **({"labels": path.replace("X.npy", "y.npy")}
                    if kind == "npy" else {"target": "label"}))
    y = None
passes = [0]
if kind != "memory":
    read = X._read
    def counted():
        passes[0] += 1
        return read()
    X._read = counted
before = resident()
peak = dict(before)
done = threading.Event()
def watch():
    while not done.is_set():
        now = resident()
        for key in peak:
            peak[key] = max(peak[key], now[key])
        time.sleep(0.005)
watcher = threading.Thread(target=watch, daemon=True)
watcher.start()
start = time.perf_counter()
model = LogisticRegression(solver=solver, tol=1e-6)
model.fit(X, y) if y is not None else model.fit(X)
seconds = time.perf_counter() - start
done.set()
watcher.join()
print(json.dumps({
    "seconds": seconds, "objective": float(model.loss_history_[-1]),
    "iterations": int(model.n_iter_[0]), "passes": passes[0],
    "anon_peak": peak["RssAnon"] - before["RssAnon"],
    "file_peak": peak["RssFile"] - before["RssFile"],
}))
"""


def write_files(rows, cols, directory):
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    X, y = make_problem(rows, cols, seed=0)
    np.save(directory / "X.npy", X)
    np.save(directory / "y.npy", y.astype(np.int64))
    columns = {f"x{j}": X[:, j] for j in range(cols)}
    columns["label"] = y.astype(np.int64)
    table = pa.table(columns)
    pq.write_table(table, directory / "data.parquet", row_group_size=100_000)
    pcsv.write_csv(table, directory / "data.csv")
    return X.nbytes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--cols", type=int, default=50)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--solvers", default="auto,lbfgs")
    parser.add_argument("--formats", default="memory,npy,parquet,csv")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    print(describe())
    budget = args.chunk_rows * args.cols * 8
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        nbytes = write_files(args.rows, args.cols, directory)
        print(
            f"X: {args.rows} x {args.cols} float64, {nbytes / 2**20:.0f} MiB; chunk budget "
            f"{args.chunk_rows} rows = {budget / 2**20:.1f} MiB ({nbytes / budget:.0f}x)"
        )
        paths = {
            "memory": directory / "X.npy",
            "npy": directory / "X.npy",
            "parquet": directory / "data.parquet",
            "csv": directory / "data.csv",
        }
        for solver in args.solvers.split(","):
            reference = None
            for kind in args.formats.split(","):
                out = subprocess.run(
                    [sys.executable, "-c", RUN, str(paths[kind]), kind, solver,
                     str(args.chunk_rows), str(args.cols)],
                    check=True, capture_output=True, text=True,
                ).stdout  # fmt: skip
                row = json.loads(out.strip().splitlines()[-1])
                if reference is None:
                    reference = row["objective"]
                row["objective_difference"] = abs(row["objective"] - reference) / reference
                results[f"{solver}/{kind}"] = row
                print(
                    f"{solver:>6} {kind:>8}: {row['seconds']:7.2f} s, {row['iterations']:3d} "
                    f"iterations, {row['passes']:3d} passes; peak anon "
                    f"{row['anon_peak'] / 2**20:7.1f} MiB "
                    f"({row['anon_peak'] / budget:.2f}x the chunk budget), file-backed "
                    f"{row['file_peak'] / 2**20:7.1f} MiB; objective vs in memory "
                    f"{row['objective_difference']:.1e}",
                    flush=True,
                )
    result = {"rows": args.rows, "cols": args.cols, "chunk_rows": args.chunk_rows,
              "x_bytes": nbytes, "budget_bytes": budget, "runs": results}  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
