"""The speed targets of issues 2 and 3 on the dense 1M x 100 problem, measured and judged;
bench.compare puts this table at the top of its section of bench/RESULTS.md.

- one fused 'gd' epoch / one streaming read of X <= 1.25, and the NumPy step / that epoch >= 2.5,
  float64 and float32 (bench.epoch, interleaved rounds, medians of per-round ratios);
- time to the optimum: fastlogreg's default / the fastest peer <= 0.25 at a gap <= 1e-6 (the
  comparison's own dense-1M-100 rows, when the run included them);
- one SGD epoch (standardised columns, one thread) / SGDClassifier's <= 0.1 (bench.sgd);
- five SGD epochs at the defaults on the unscaled problem reach a gap <= 1e-3 (bench.sgd).
With --quick everything runs on 20,000 rows: the verdicts then only show that the code works
(the time to the optimum is then judged on the shrunk comparison problem).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

from sklearn.exceptions import ConvergenceWarning

from . import epoch, sgd
from ._results import fastest_peer, finished

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from synthetic import make_problem

ROWS, COLS, QUICK_ROWS = 1_000_000, 100, 20_000


def _verdict(met):
    return "met" if met else "**MISSED**"


def time_to_optimum(problem):
    """(ratio, gap, peer's name) of fastlogreg's default against the fastest peer, or None."""
    ours = finished(problem["solvers"]).get("fastlogreg auto")
    best = fastest_peer(problem["solvers"])
    if ours is None or best is None:
        return None
    return ours["seconds"] / best[1]["seconds"], ours["gap"], best[0]


def report(results, rows=ROWS, repeats=15):
    size = f"{rows:,} x {COLS}" + (" (not the targets' size)" if rows != ROWS else "")
    lines = [
        f"### Targets on the dense {size} problem",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
    ]
    for name, nbytes, t_epoch, t_numpy, t_floor, vs_floor, vs_numpy in epoch.run(
        rows, COLS, repeats
    ):
        lines.append(
            f"| {name}: fused epoch / one read of X <= 1.25 | {vs_floor:.2f} "
            f"({t_epoch * 1e3:.1f} ms / {t_floor * 1e3:.1f} ms, "
            f"{nbytes / t_floor / 1e9:.1f} GB/s) | {_verdict(vs_floor <= 1.25)} |"
        )
        lines.append(
            f"| {name}: NumPy step / fused epoch >= 2.5 | {vs_numpy:.2f} "
            f"({t_numpy * 1e3:.1f} ms / {t_epoch * 1e3:.1f} ms) | {_verdict(vs_numpy >= 2.5)} |"
        )
    for dtype in ("float64", "float32"):
        problem = results["problems"].get(f"dense-1M-100-{dtype}")
        found = time_to_optimum(problem) if problem else None
        target = f"{dtype}: default fit / fastest peer <= 0.25 at gap <= 1e-6"
        if found is None:
            lines.append(f"| {target} | not in this run | |")
            continue
        ratio, gap, peer = found
        lines.append(
            f"| {target} | {ratio:.2f} (against {peer}; gap {gap:.1e}) | "
            f"{_verdict(ratio <= 0.25 and gap <= 1e-6)} |"
        )
    X, y = make_problem(rows, COLS, seed=0)
    alpha = 1.0 / rows  # C = 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ratios = sgd.epoch_ratios(
            sgd.one_epoch(sgd.standardised(X), y, max(1, repeats // 3), alpha)
        )
        theirs = ratios["sklearn SGDClassifier"][0]
        for name, (seconds, ratio) in ratios.items():
            if ratio is not None:
                lines.append(
                    f"| {name}: one epoch / SGDClassifier's <= 0.1 | {ratio:.2f} "
                    f"({seconds:.3f} s / {theirs:.3f} s) | {_verdict(ratio <= 0.1)} |"
                )
        seconds, gap = sgd.five_epochs(X, y, alpha)["fastlogreg sgd (learning_rate='auto')"]
    lines.append(
        f"| sgd: five epochs at the defaults, gap <= 1e-3 | {gap:.1e} ({seconds:.2f} s) | "
        f"{_verdict(gap <= 1e-3)} |"
    )
    return "\n".join(lines)
