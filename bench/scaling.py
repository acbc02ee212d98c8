"""How fit time grows with the rows and with the columns, and what the threads buy.

    python -m bench.scaling [--quick] [--out-dir bench/plots]

Three PNGs (and a JSON of the points beside them), each solver at its defaults, C=1, one fit
after a warm-up, data from data/synthetic.py:
- scaling-rows.png: time against n = 1e4 ... 1e7 rows of 10 columns (log-log);
- scaling-cols.png: time against d = 10 ... 1000 columns at 100,000 rows (log-log);
- threads.png: fastlogreg's solvers with n_jobs=1 against all threads on 1M x 100.
--quick stops the sweeps ten times smaller. Needs matplotlib (the `bench` extra).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression

from fastlogreg import LogisticRegression
from fastlogreg.objective import SERIAL_BELOW

from ._figures import pyplot, save
from ._machine import describe

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "data"))
from synthetic import make_problem  # noqa: E402


def contenders(n):
    out = {
        "fastlogreg (auto)": lambda: LogisticRegression(),
        "sklearn lbfgs": lambda: SklearnLogisticRegression(max_iter=1000),
        "sklearn newton-cholesky": lambda: SklearnLogisticRegression(solver="newton-cholesky"),
    }
    try:
        from glum import GeneralizedLinearRegressor
    except ImportError:
        print("glum is not installed: skipped (pip install glum)")
    else:
        out["glum lbfgs"] = lambda: GeneralizedLinearRegressor(
            family="binomial", alpha=1.0 / n, l1_ratio=0.0, solver="lbfgs"
        )
    return out


def fit_seconds(make, X, y):
    warm = max(2000, SERIAL_BELOW // X.shape[1] + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        make().fit(X[:warm], y[:warm])
        model = make()
        start = time.perf_counter()
        model.fit(X, y)
    return time.perf_counter() - start


def sweep(shapes):
    """{solver: [(n, d, seconds), ...]} over the shapes."""
    points = {}
    for n, d in shapes:
        X, y = make_problem(n, d, seed=0)
        for name, make in contenders(n).items():
            seconds = fit_seconds(make, X, y)
            points.setdefault(name, []).append((n, d, seconds))
            print(f"{n:>10,} x {d:<5} {name:26s} {seconds:8.3f} s", flush=True)
    return points


def threads(n, d):
    X, y = make_problem(n, d, seed=0)
    out = {}
    for solver in ("newton", "lbfgs", "sgd", "gd"):
        for n_jobs in (1, -1):
            seconds = fit_seconds(
                lambda s=solver, j=n_jobs: LogisticRegression(solver=s, n_jobs=j), X, y
            )
            out[f"{solver}, n_jobs={n_jobs}"] = seconds
            print(f"threads: {solver:8s} n_jobs={n_jobs}: {seconds:.3f} s", flush=True)
    return out


def plot(points, axis, title, xlabel, out, machine):
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(7, 5))
    for name, rows in points.items():
        ax.loglog(
            [r[axis] for r in rows],
            [r[2] for r in rows],
            marker="o",
            label=name,
            linestyle="-" if name.startswith("fastlogreg") else "--",
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fit time (seconds, log scale)")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    save(fig, out, machine)


def plot_threads(times, out, machine, shape):
    plt = pyplot()

    solvers = sorted({k.split(",")[0] for k in times})
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.38
    for k, (label, n_jobs) in enumerate((("1 thread", "1"), ("all threads", "-1"))):
        ax.bar(
            [i + k * width for i in range(len(solvers))],
            [times[f"{s}, n_jobs={n_jobs}"] for s in solvers],
            width,
            label=label,
        )
    ax.set_xticks([i + width / 2 for i in range(len(solvers))], solvers)
    ax.set_yscale("log")
    ax.set_ylabel("fit time (seconds, log scale)")
    ax.set_title(f"fastlogreg's solvers on {shape}: one thread against all threads", fontsize=10)
    ax.legend(fontsize=8)
    save(fig, out, machine)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out-dir", default=str(ROOT / "bench" / "plots"))
    args = parser.parse_args(argv)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    scale = 10 if args.quick else 1
    machine = describe()
    rows = sweep([(n // scale, 10) for n in (10_000, 100_000, 1_000_000, 10_000_000)])
    cols = sweep([(100_000 // scale, d) for d in (10, 30, 100, 300, 1000)])
    shape = (1_000_000 // scale, 100)
    thread_times = threads(*shape)
    plot(
        rows,
        0,
        "Fit time against rows (10 columns, C=1, defaults)",
        "rows (log scale)",
        out_dir / "scaling-rows.png",
        machine,
    )
    plot(
        cols,
        1,
        f"Fit time against columns ({100_000 // scale:,} rows, C=1, defaults)",
        "columns (log scale)",
        out_dir / "scaling-cols.png",
        machine,
    )
    plot_threads(thread_times, out_dir / "threads.png", machine, f"{shape[0]:,} x {shape[1]}")
    data = {"machine": machine, "rows": rows, "cols": cols, "threads": thread_times}
    (out_dir / "scaling.json").write_text(json.dumps(data, indent=1))
    print(f"wrote scaling-rows.png, scaling-cols.png, threads.png and scaling.json in {out_dir}")


if __name__ == "__main__":
    main()
