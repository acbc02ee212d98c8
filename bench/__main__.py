"""Every generated part of bench/RESULTS.md and every plot, in one command:

    python -m bench [--quick] [--steps compare,issue9,issue10,plots,scaling,convergence]
                    [--out-dir DIR]

Runs, in this order (each step is also a command of its own):
1. compare: `python -m bench.compare`, every solver on every problem and the dense 1M x 100
   targets: the generated section of RESULTS.md and compare.json;
2. issue9: `python -m bench.issue9`, the multinomial, L1 / elastic-net and LogisticRegressionCV
   problems against their peers (their own section of RESULTS.md and issue9.json);
3. issue10: `python -m bench.issue10`, the sparse text problem against liblinear, saga,
   SGDClassifier and Vowpal Wabbit, 10 classes, memory (issue10.json; its section of
   RESULTS.md is hand-written from the printed tables);
4. plots: `python -m bench.plots`, ratio bars and time against gap per problem (plots/);
5. scaling: `python -m bench.scaling`, time against rows and columns, 1 thread against all (plots/);
6. convergence: `python -m bench.convergence`, objective gap against time for every solver on the
   1M x 100 problem (convergence.png).
At full size this takes a few hours on 2 cores and writes into bench/ (RESULTS.md keeps its
hand-written parts). --quick shrinks every problem, takes minutes, and writes into bench/quick/
(not tracked by git), so that the full-size results stay as they are.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import compare, convergence, issue9, issue10, plots, scaling

BENCH = Path(__file__).resolve().parent
STEPS = ("compare", "issue9", "issue10", "plots", "scaling", "convergence")


def commands(quick, out_dir):
    """step -> (main function, its argv)."""
    size = ["--quick"] if quick else []
    issue10_size = ["--rows", "20000", "--cols", "65536", "--multinomial-rows", "5000"]
    issue10_size = issue10_size if quick else []
    return {
        "compare": (
            compare.main,
            [
                *size,
                "--json",
                str(out_dir / "compare.json"),
                "--results",
                str(out_dir / "RESULTS.md"),
            ],
        ),
        "issue9": (
            issue9.main,
            [
                *size,
                "--json",
                str(out_dir / "issue9.json"),
                "--results",
                str(out_dir / "RESULTS.md"),
            ],
        ),
        "issue10": (issue10.main, [*issue10_size, "--json", str(out_dir / "issue10.json")]),
        "plots": (plots.main, [str(out_dir / "compare.json"), "--out-dir", str(out_dir / "plots")]),
        "scaling": (scaling.main, [*size, "--out-dir", str(out_dir / "plots")]),
        "convergence": (
            convergence.main,
            [
                *(["--rows", "20000", "--budget", "2"] if quick else ["--budget", "12"]),
                "--out",
                str(out_dir / "convergence.png"),
            ],
        ),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, into bench/quick/")
    parser.add_argument(
        "--steps", default=",".join(STEPS), help="comma-separated, of " + ", ".join(STEPS)
    )
    parser.add_argument("--out-dir", help="default bench/ (bench/quick/ with --quick)")
    args = parser.parse_args(argv)
    out_dir = Path(args.out_dir or (BENCH / "quick" if args.quick else BENCH))
    out_dir.mkdir(parents=True, exist_ok=True)
    steps = [s for s in args.steps.split(",") if s]
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps {sorted(unknown)}; choose from {', '.join(STEPS)}")
    todo = commands(args.quick, out_dir)
    for step in steps:
        run, step_argv = todo[step]
        print(f"== bench step {step}: {' '.join(step_argv)}", flush=True)
        run(step_argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
