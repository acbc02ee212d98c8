"""Plots of a comparison result file (bench/compare.py's JSON), one PNG per problem:

    python -m bench.plots [bench/compare.json] [--out-dir bench/plots]

Left: each solver's median time relative to the fastest peer (log scale; fastlogreg's bars in
one colour, peers' in another). Right: time against relative objective gap, both log scale, so a
fast but unconverged solver is visible as such. Needs matplotlib (the `bench` extra).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ._figures import pyplot, save
from ._results import finished, ratio_to_best_peer

ROOT = Path(__file__).resolve().parents[1]


def plot_problem(name, problem, machine, out):
    plt = pyplot()

    solvers = list(finished(problem["solvers"]).items())
    ratios = ratio_to_best_peer(problem["solvers"])
    names = [s for s, _ in solvers]
    ours = [s.startswith("fastlogreg") for s in names]
    fig, (bars, scatter) = plt.subplots(1, 2, figsize=(13, 0.35 * len(names) + 2.5))
    relative = all(ratios[s] is not None for s in names)  # some peer reached the gap
    bars.barh(
        names,
        [ratios[s] if relative else problem["solvers"][s]["seconds"] for s in names],
        color=["tab:blue" if o else "tab:grey" for o in ours],
    )
    if relative:
        bars.axvline(1.0, color="black", linewidth=0.8)
    bars.set_xscale("log")
    bars.invert_yaxis()
    bars.set_xlabel(
        "median fit time / fastest peer's at a gap <= 1e-6 (log scale; < 1 is faster)"
        if relative
        else "median fit time, s (log scale; no peer reached a gap <= 1e-6)"
    )
    bars.set_title(
        "time relative to the fastest accurate peer\n(blue: fastlogreg, grey: peers)",
        fontsize=10,
    )
    for solver, result in solvers:
        gap = max(result["gap"], 1e-16)
        scatter.scatter(
            result["seconds"], gap, marker="o" if solver.startswith("fastlogreg") else "s"
        )
        scatter.annotate(
            solver, (result["seconds"], gap), fontsize=7, xytext=(3, 3), textcoords="offset points"
        )
    scatter.set_xscale("log")
    scatter.set_yscale("log")
    scatter.axhline(1e-6, color="grey", linewidth=0.8, linestyle=":")
    scatter.set_xlabel("median fit time (seconds, log scale)")
    scatter.set_ylabel("relative objective gap to the optimum (log scale)")
    scatter.set_title("time against gap (dotted: 1e-6; circles: fastlogreg)", fontsize=10)
    scatter.grid(True, which="both", alpha=0.3)
    fig.suptitle(
        f"{name}: {problem['rows']:,} x {problem['cols']} {problem['dtype']}, each library at "
        "its defaults",
        fontsize=11,
    )
    save(fig, out, machine)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", default=str(ROOT / "bench" / "compare.json"))
    parser.add_argument("--out-dir", default=str(ROOT / "bench" / "plots"))
    args = parser.parse_args(argv)
    results = json.loads(Path(args.results).read_text())
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, problem in results["problems"].items():
        out = out_dir / f"{name}.png"
        plot_problem(name, problem, results["machine"], out)
        written.append(str(out))
    print("wrote " + ", ".join(written))
    return written


if __name__ == "__main__":
    main()
