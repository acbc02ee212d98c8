"""Issue 10's sparse benchmark: the 1M x 2^20 text-like problem (data/synthetic.py
make_text_problem), C=1, fastlogreg's default solver against scikit-learn's liblinear, saga
(10 epochs) and SGDClassifier (5 epochs), with every time next to its relative objective gap,
and the peak memory of our fit against the CSR's own bytes.

    python -m bench.issue10 [--rows 1000000] [--cols 1048576] [--tol 1e-6] [--skip-peers]

The gap is (J - J*) / J* for scikit-learn's objective (the intercept not penalised), J* the
lowest objective any run reached, including ours at tol=1e-10 (liblinear penalises its
intercept, so its own optimum lies slightly above J*). Ours: a discarded first (compiling) fit,
then the median of 3. Peers: one fit each (they take tens of seconds). Memory: a fresh process
loads the CSR (saved untimed), resets the kernel's peak-RSS counter (Linux /proc/self/clear_refs)
and fits: reported are the peak RSS during the fit, the RSS just before it (the interpreter,
libraries and X) and the CSR's bytes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from fastlogreg import LogisticRegression

from ._machine import describe

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from synthetic import make_text_problem

C = 1.0


def objective(X, y, coef, intercept):
    """scikit-learn's sum-form objective J of (coef, intercept) on CSR X (float64 sums)."""
    z = X @ coef.astype(np.float64) + intercept
    return float(np.sum(np.logaddexp(0.0, z) - y * z) + coef @ coef / (2 * C))


def _params(model):
    coef = np.asarray(model.coef_, dtype=np.float64).ravel()
    return coef, float(np.ravel(model.intercept_)[0]) if model.fit_intercept else 0.0


def log_loss(X, y, coef, intercept):
    """Mean log-loss of (coef, intercept) on held-out rows."""
    z = X @ coef + intercept
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def time_fit(make, X, y, repeats):
    """(median seconds, last fitted model)."""
    times = []
    for _ in range(repeats):
        model = make()
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)
        times.append(time.perf_counter() - start)
    return float(np.median(times)), model


def peers():
    from sklearn.linear_model import LogisticRegression as Sklearn
    from sklearn.linear_model import SGDClassifier

    def sgd(n):
        return SGDClassifier(loss="log_loss", alpha=1.0 / (C * n), max_iter=5, tol=None)

    return {
        "sklearn liblinear": lambda n: Sklearn(C=C, solver="liblinear"),
        "sklearn saga, 10 epochs": lambda n: Sklearn(C=C, solver="saga", max_iter=10),
        "SGDClassifier, 5 epochs": sgd,
    }


MEMORY_SCRIPT = """
import sys, resource, time, numpy as np, scipy.sparse as sp
from fastlogreg import LogisticRegression
X = sp.load_npz(sys.argv[1]); y = np.load(sys.argv[2]); tol = float(sys.argv[3])
LogisticRegression(tol=1e-1, max_iter=1).fit(X[:1000], y[:1000])  # compile outside the peak
def rss(field):
    for line in open('/proc/self/status'):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
before = rss('VmRSS:')
open('/proc/self/clear_refs', 'w').write('5')  # reset VmHWM to the current RSS
LogisticRegression(tol=tol).fit(X, y)
print(before, rss('VmHWM:'))
"""


def memory(X, y, tol):
    """(RSS before the fit, peak RSS during it) in bytes, in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        sp.save_npz(f"{tmp}/X.npz", X, compressed=False)
        np.save(f"{tmp}/y.npy", y)
        out = subprocess.run(
            [sys.executable, "-c", MEMORY_SCRIPT, f"{tmp}/X.npz", f"{tmp}/y.npy", str(tol)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
    return int(out[-2]), int(out[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=2**20)
    parser.add_argument("--tol", type=float, default=1e-6)
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    print(describe())
    X, y = make_text_problem(args.rows, d=args.cols, seed=0)
    X_test, y_test = make_text_problem(max(1000, args.rows // 10), d=args.cols, seed=1)
    csr_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    print(f"X: {X.shape}, {X.nnz} non-zeros, {csr_bytes / 2**20:.0f} MiB as CSR")
    rows = {}
    reference = LogisticRegression(C=C, tol=1e-10, max_iter=200).fit(X, y)
    values = {"ours at tol=1e-10": objective(X, y, *_params(reference))}
    t_ours, model = time_fit(lambda: LogisticRegression(C=C, tol=args.tol), X, y, 1)  # compile
    t_ours, model = time_fit(lambda: LogisticRegression(C=C, tol=args.tol), X, y, 3)
    name = f"fastlogreg {model.solver_} (default), tol={args.tol:g}"
    values[name] = objective(X, y, *_params(model))
    rows[name] = {"seconds": t_ours, "n_iter": int(model.n_iter_[0])}
    held_out = {name: log_loss(X_test, y_test, *_params(model))}
    if not args.skip_peers:
        for peer, make in peers().items():
            seconds, fitted = time_fit(lambda make=make: make(X.shape[0]), X, y, 1)
            values[peer] = objective(X, y, *_params(fitted))
            rows[peer] = {"seconds": seconds}
            held_out[peer] = log_loss(X_test, y_test, *_params(fitted))
            print(f"  {peer}: {seconds:.2f} s")
    best = min(values.values())
    for key in rows:
        rows[key]["gap"] = (values[key] - best) / best
        rows[key]["held-out log-loss"] = held_out[key]
    before, peak = memory(X, y, args.tol)
    print("\n| run | seconds | relative gap | held-out log-loss | ratio to ours |")
    print("|---|---|---|---|---|")
    for key, row in rows.items():
        print(
            f"| {key} | {row['seconds']:.2f} | {row['gap']:.1e} | "
            f"{row['held-out log-loss']:.5f} | {row['seconds'] / t_ours:.1f}x |"
        )
    if "sklearn liblinear" in rows:
        ratio = t_ours / rows["sklearn liblinear"]["seconds"]
        print(f"\nours / liblinear: {ratio:.3f} (target <= 0.25)")
    print(
        f"\nmemory: CSR {csr_bytes / 2**20:.0f} MiB; RSS before the fit {before / 2**20:.0f} MiB "
        f"(interpreter, libraries, X); peak during it {peak / 2**20:.0f} MiB; the fit's own "
        f"peak (peak - before) {(peak - before) / 2**20:.0f} MiB = "
        f"{(peak - before) / csr_bytes:.2f}x the CSR; X plus the fit's peak "
        f"{(csr_bytes + peak - before) / csr_bytes:.2f}x the CSR (target < 1.5x)"
    )
    result = {"rows": rows, "csr_bytes": csr_bytes, "rss_before": before, "rss_peak": peak}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
