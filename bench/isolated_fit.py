"""One solver's timed fits in a process of their own (bench.compare starts one per solver):

    python -m bench.isolated_fit DATA_DIR SOLVER --out RESULT.json [--C 1] [--repeats 3]
                                 [--budget 300]

DATA_DIR holds X.npy (or, CSR, X.npz) and y.npy, the training rows saved by bench.compare. A
fresh process makes the peak-memory figure the solver's own: memory that an earlier fit freed
but the allocator kept would otherwise be reused and read as 0. Steps: load the data; a warm-up
fit on a slice (compilation, imports; timed, reported apart); the solver's untimed `prepare` if
it has one (Vowpal Wabbit converts X to its input format there); then "READY" on stdout, after
which bench.compare's time budget runs; then up to --repeats fits, fewer once they have used
half the budget. Peak memory: VmHWM after resetting it through /proc/self/clear_refs before
each fit, less the resident set at that point (Linux only, else null).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from fastlogreg.objective import SERIAL_BELOW

from . import peers

READY = "READY"


def _memory_kb(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _prepared(model, X, y):
    if hasattr(model, "prepare"):
        model.prepare(X, y)
    return model


def run(X, y, make, repeats, budget):
    warm = max(2000, SERIAL_BELOW // X.shape[1] + 1)  # enough rows for the parallel kernels
    start = time.perf_counter()
    _prepared(make(), X[:warm], y[:warm]).fit(X[:warm], y[:warm])
    warmup_seconds = time.perf_counter() - start
    start = time.perf_counter()
    _prepared(make(), X, y)
    prepare_seconds = time.perf_counter() - start
    print(READY, flush=True)
    seconds, peak_mb = [], None
    while len(seconds) < repeats and (not seconds or sum(seconds) + seconds[-1] <= budget / 2):
        model = _prepared(make(), X, y)
        baseline = _memory_kb("VmRSS") if _reset_peak() else None
        start = time.perf_counter()
        model.fit(X, y)
        seconds.append(time.perf_counter() - start)
        if baseline is not None:
            peak_mb = max(peak_mb or 0.0, (_memory_kb("VmHWM") - baseline) / 1024)
    coef, intercept = peers.params(model)
    return {
        "seconds": float(np.median(seconds)),
        "fits": len(seconds),
        "warmup_seconds": warmup_seconds,
        "prepare_seconds": prepare_seconds,
        "peak_mb": peak_mb,
        "coef": coef.tolist(),
        "intercept": intercept,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("solver")
    parser.add_argument("--out", required=True)
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--budget", type=float, default=300.0)
    args = parser.parse_args(argv)
    folder = Path(args.data_dir)
    sparse = (folder / "X.npz").exists()  # CSR, saved by scipy.sparse.save_npz
    X = sp.load_npz(folder / "X.npz") if sparse else np.load(folder / "X.npy")
    y = np.load(folder / "y.npy")
    make = peers.solvers(args.C, X.shape[0], [], sparse=sparse)[args.solver]
    with warnings.catch_warnings():
        # unconverged fits are part of the comparison (their gap says so); glum warns when it
        # clips probabilities
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        result = run(X, y, make, args.repeats, args.budget)
    Path(args.out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
