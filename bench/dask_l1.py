"""Proximal Newton (L1, elastic net) on sparse chunks on Dask: iterations and time against the
in-memory fit, with the explicit working-set model capped at P parameters.

    python -m bench.dask_l1 [--rows 20000] [--cols 300] [--chunks 8] [--caps 2048,200,40]
                            [--classes 2,3] [--out bench/dask_l1.json]

On Dask the model's exact Hessian on the working set is formed on the workers, at most
solvers/prox_newton.py's MAX_EXPLICIT_PARAMETERS parameters (K (|A| + 1)); a larger working set
is taken in blocks of that size. This measures what a block costs in iterations: random CSR
data (5% non-zeros, labels from a dense random model, so that most columns stay in the model
at C = 1), l1_ratio = 0.8, tol 1e-8, on a LocalCluster of 2 workers x 1 thread. Each fit once
(warm); the objectives' relative difference to the in-memory fit is reported next to each.
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ._machine import describe

OUT = Path(__file__).resolve().parent / "dask_l1.json"


def problem(rows, cols, n_classes, seed=12):
    rng = np.random.default_rng(seed)
    X = sp.random(rows, cols, density=0.05, format="csr", random_state=seed + 1)
    W = rng.standard_normal((n_classes, cols)) * 3
    y = np.argmax(X @ W.T + rng.gumbel(size=(rows, n_classes)), axis=1)
    return X, y


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--cols", type=int, default=300)
    parser.add_argument("--chunks", type=int, default=8)
    parser.add_argument("--caps", default="2048,200,40")
    parser.add_argument("--classes", default="2,3")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    caps = [int(c) for c in args.caps.split(",")]

    import dask.array as da
    from distributed import Client, LocalCluster

    import fastlogreg
    from fastlogreg.dask import LogisticRegression as DaskLogisticRegression

    prox_newton = importlib.import_module("fastlogreg.solvers.prox_newton")  # (the module)
    default_cap = prox_newton.MAX_EXPLICIT_PARAMETERS
    results = {"machine": describe(), "rows": args.rows, "cols": args.cols, "fits": []}
    print(results["machine"])
    chunk_rows = -(-args.rows // args.chunks)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")  # ConvergenceWarning is reported as converged=False
        for n_classes in [int(k) for k in args.classes.split(",")]:
            X, y = problem(args.rows, args.cols, n_classes)
            Xd = da.from_array(X.toarray(), chunks=(chunk_rows, args.cols))
            Xd = Xd.map_blocks(sp.csr_matrix).persist()
            yd = da.from_array(y, chunks=chunk_rows).persist()
            for C in (0.01, 1.0):
                params = dict(l1_ratio=0.8, C=C, tol=1e-8)
                fastlogreg.LogisticRegression(**params).fit(X, y)  # warm
                start = time.perf_counter()
                local = fastlogreg.LogisticRegression(**params).fit(X, y)
                local_seconds = time.perf_counter() - start
                nonzero = int(np.count_nonzero(local.coef_.any(axis=0)))
                for cap in caps:
                    prox_newton.MAX_EXPLICIT_PARAMETERS = cap
                    try:
                        DaskLogisticRegression(**params).fit(Xd, yd)  # warm
                        start = time.perf_counter()
                        remote = DaskLogisticRegression(**params).fit(Xd, yd)
                        seconds = time.perf_counter() - start
                    finally:
                        prox_newton.MAX_EXPLICIT_PARAMETERS = default_cap
                    row = dict(
                        classes=n_classes, C=C, nonzero_columns=nonzero, cap=cap,
                        iterations=int(remote.n_iter_[0]), passes=remote.n_passes_,
                        seconds=seconds, converged=bool(remote.n_iter_[0] < 100),
                        in_memory_iterations=int(local.n_iter_[0]),
                        in_memory_seconds=local_seconds,
                        objective_vs_in_memory=float(
                            (remote.loss_history_[-1] - local.loss_history_[-1])
                            / abs(local.loss_history_[-1])
                        ),
                    )  # fmt: skip
                    results["fits"].append(row)
                    print(row)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out}")
    return results


if __name__ == "__main__":
    main()
