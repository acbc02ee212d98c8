"""Start-up of the command line: `fastlogreg --help` and `--version` against the 0.3 s target,
next to the interpreter alone and to importing scikit-learn (what --help cost before the
imports became lazy), each a fresh process.

    python -m bench.cli_startup [--repeats 7]

Prints the median wall time of each over `repeats` runs (after one discarded run, which
warms the file cache) and the ratio to the target.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from ._machine import describe

TARGET_SECONDS = 0.3
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "fastlogreg --version": [sys.executable, "-m", "fastlogreg.cli", "--version"],
    "fastlogreg --help": [sys.executable, "-m", "fastlogreg.cli", "--help"],
    "fastlogreg train --help": [sys.executable, "-m", "fastlogreg.cli", "train", "--help"],
    "python -c 'import sklearn.base'": [sys.executable, "-c", "import sklearn.base"],
}


def wall_time(argv):
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    print(describe())
    result = {}
    for name, command in COMMANDS.items():
        wall_time(command)  # discarded: the first run reads the files from disk
        result[name] = statistics.median(wall_time(command) for _ in range(args.repeats))
        target = f"  / target {result[name] / TARGET_SECONDS:.2f}" if "fastlogreg" in name else ""
        print(f"{name:<34} {result[name]:.3f} s{target}", flush=True)
    return result


if __name__ == "__main__":
    main()
