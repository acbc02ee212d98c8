"""The comparison runner: every solver of fastlogreg and its peers on a fixed set of problems.

    python -m bench.compare [--quick] [--problems dense-1M-100,...] [--repeats 3]
                            [--json bench/compare.json] [--markdown bench/COMPARE.md]
    python -m bench.compare --check OLD.json NEW.json

For each problem (80% of the rows to train, 20% held out) and each solver: a warm-up fit on a
slice (compilation and imports; its time is reported separately), then `--repeats` fits whose
median wall time is reported, with the relative objective gap of the last fit to a tight
reference (scikit-learn newton-cholesky, tol=1e-12, on the float64 training data), the held-out
log-loss and accuracy, the time in units of one streaming read of X measured in the same run
(bench/_machine.py), and the peak resident memory the fit added (Linux: VmHWM after resetting
it through /proc/self/clear_refs). `--check` compares two result files and flags every solver
more than 15% slower at an equal or worse gap (exit status 1 if any).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression

from fastlogreg.objective import SERIAL_BELOW

from . import peers
from ._machine import describe, stream_sum

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "data"))
from synthetic import make_problem  # noqa: E402

# name -> (rows, cols, dtype) at full size and with --quick; 'breast-cancer' is the shipped data
PROBLEMS = {
    "dense-1M-100-float64": ((1_000_000, 100), (20_000, 100), "float64"),
    "dense-1M-100-float32": ((1_000_000, 100), (20_000, 100), "float32"),
    "tall-10M-10": ((10_000_000, 10), (100_000, 10), "float64"),
    "wide-100k-2000": ((100_000, 2000), (2_000, 200), "float64"),
    "breast-cancer": (None, None, "float64"),
}
SLOWER = 1.15  # --check flags a time this much larger at an equal or worse gap
C = 1.0


def load(name, quick):
    """(X_train, y_train, X_test, y_test) with X in the problem's dtype."""
    full, small, dtype = PROBLEMS[name]
    if name == "breast-cancer":
        from fastlogreg.io import read_csv

        X, labels, _ = read_csv(ROOT / "data" / "breast_cancer.csv", "diagnosis")
        y = (labels == "malignant").astype(np.float64)
        order = np.random.default_rng(0).permutation(X.shape[0])
        X, y = X[order], y[order]
    else:
        n, d = small if quick else full
        X, y = make_problem(n + n // 4, d, seed=0, dtype=np.dtype(dtype))
    cut = X.shape[0] * 4 // 5
    return X[:cut], y[:cut], X[cut:], y[cut:]


def objective(X, y, coef, intercept):
    z = X.astype(np.float64, copy=False) @ coef + intercept
    return (np.sum(np.logaddexp(0.0, z) - y * z) + coef @ coef / (2 * C)) / X.shape[0]


def held_out(X, y, coef, intercept):
    z = X.astype(np.float64, copy=False) @ coef + intercept
    log_loss = float(np.mean(np.logaddexp(0.0, z) - y * z))
    return log_loss, float(np.mean((z > 0) == (y > 0.5)))


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


def measure(make, X, y, X_test, y_test, best, repeats):
    warm = X[: max(2000, SERIAL_BELOW // X.shape[1] + 1)]
    start = time.perf_counter()
    make().fit(warm, y[: warm.shape[0]])
    warmup_seconds = time.perf_counter() - start
    seconds, peak_mb = [], None
    for _ in range(repeats):
        model = make()
        baseline = _memory_kb("VmRSS") if _reset_peak() else None
        start = time.perf_counter()
        model.fit(X, y)
        seconds.append(time.perf_counter() - start)
        if baseline is not None:
            peak_mb = max(peak_mb or 0.0, (_memory_kb("VmHWM") - baseline) / 1024)
    coef, intercept = peers.params(model)
    X64 = X.astype(np.float64, copy=False)
    gap = (objective(X64, y, coef, intercept) - best) / best
    log_loss, accuracy = held_out(X_test, y_test, coef, intercept)
    return {
        "seconds": float(np.median(seconds)),
        "warmup_seconds": warmup_seconds,
        "gap": float(gap),
        "test_log_loss": log_loss,
        "test_accuracy": accuracy,
        "peak_mb": peak_mb,
    }


def run_problem(name, quick, repeats, only):
    X, y, X_test, y_test = load(name, quick)
    X64 = X.astype(np.float64, copy=False)
    reference = SklearnLogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=100)
    best = objective(X64, y, *peers.params(reference.fit(X64, y)))
    stream_sum(X)
    floor = min(_timed(stream_sum, X) for _ in range(5))
    skipped = []
    rows = {}
    for solver, make in peers.solvers(C, X.shape[0], skipped).items():
        if only and not any(part in solver for part in only):
            continue
        with warnings.catch_warnings():
            # unconverged fits are part of the comparison (their gap says so); glum warns when
            # it clips probabilities
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", UserWarning)
            result = measure(make, X, y, X_test, y_test, best, repeats)
        result["reads_of_X"] = result["seconds"] / floor
        rows[solver] = result
        print(
            f"{name:22s} {solver:28s} {result['seconds']:9.3f} s  gap {result['gap']:8.1e}  "
            f"test log-loss {result['test_log_loss']:.4f}",
            flush=True,
        )
    for line in skipped:
        print(f"{name}: skipped {line}")
    return {
        "rows": X.shape[0],
        "cols": X.shape[1],
        "dtype": X.dtype.name,
        "bytes": X.nbytes,
        "read_floor_seconds": floor,
        "skipped": skipped,
        "solvers": rows,
    }


def _timed(fn, *args):
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def ratio_to_best_peer(solvers):
    peer_times = [r["seconds"] for s, r in solvers.items() if not s.startswith("fastlogreg")]
    best = min(peer_times) if peer_times else None
    return {s: (r["seconds"] / best if best else None) for s, r in solvers.items()}


def markdown(results):
    lines = [f"Machine: {results['machine']}", "", f"Command: `{results['command']}`", ""]
    for name, p in results["problems"].items():
        lines += [
            f"### {name}: {p['rows']:,} x {p['cols']} {p['dtype']} (80% of the rows; C={C})",
            "",
            f"One streaming read of X ({p['bytes'] / 1e6:.0f} MB): "
            f"{p['read_floor_seconds'] * 1e3:.1f} ms. "
            f"Skipped: {', '.join(p['skipped']) or 'none'}.",
            "",
            "| solver | median s | / best peer | reads of X | gap | held-out log-loss | "
            "held-out accuracy | peak MB | warm-up s |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        ratios = ratio_to_best_peer(p["solvers"])
        for s, r in sorted(p["solvers"].items(), key=lambda item: item[1]["seconds"]):
            peak = "n/a" if r["peak_mb"] is None else f"{r['peak_mb']:.0f}"
            lines.append(
                f"| {s} | {r['seconds']:.3f} | {ratios[s]:.2f} | {r['reads_of_X']:.1f} | "
                f"{r['gap']:.1e} | {r['test_log_loss']:.4f} | {r['test_accuracy']:.4f} | {peak} | "
                f"{r['warmup_seconds']:.2f} |"
            )
        lines.append("")
    return "\n".join(lines)


def check(old_path, new_path):
    """Lines naming every (problem, solver) more than SLOWER times slower at an equal or worse
    gap (a gap counts as equal within a factor of 2, the run-to-run spread of SGD)."""
    old, new = (json.loads(Path(p).read_text())["problems"] for p in (old_path, new_path))
    flagged = []
    for name in old.keys() & new.keys():
        for solver in old[name]["solvers"].keys() & new[name]["solvers"].keys():
            a, b = old[name]["solvers"][solver], new[name]["solvers"][solver]
            if b["seconds"] > SLOWER * a["seconds"] and b["gap"] >= 0.5 * a["gap"]:
                flagged.append(
                    f"{name} / {solver}: {a['seconds']:.3f} s -> {b['seconds']:.3f} s "
                    f"(x{b['seconds'] / a['seconds']:.2f}), gap {a['gap']:.1e} -> {b['gap']:.1e}"
                )
    return flagged


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (minutes, not hours)")
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--solvers", default="", help="comma-separated name parts to keep")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", default=str(ROOT / "bench" / "compare.json"))
    parser.add_argument("--markdown", default=str(ROOT / "bench" / "COMPARE.md"))
    parser.add_argument("--check", nargs=2, metavar=("OLD", "NEW"))
    args = parser.parse_args(argv)
    if args.check:
        flagged = check(*args.check)
        print("\n".join(flagged) or "no solver is more than 15% slower at an equal or worse gap")
        return 1 if flagged else 0
    only = [part for part in args.solvers.split(",") if part]
    arguments = argv if argv is not None else sys.argv[1:]
    results = {
        "machine": describe(),
        "command": "python -m bench.compare " + " ".join(arguments),
        "problems": {
            name: run_problem(name, args.quick, args.repeats, only)
            for name in args.problems.split(",")
        },
    }
    Path(args.json).write_text(json.dumps(results, indent=1))
    Path(args.markdown).write_text(markdown(results))
    print(f"wrote {args.json} and {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
