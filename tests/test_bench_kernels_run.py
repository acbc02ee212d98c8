"""The kernel micro-benchmarks (bench/test_bench_kernels.py) run once at a tiny size, timing
disabled, so that they keep working."""

import os
import subprocess
import sys

from conftest import ROOT


def test_micro_benchmarks_run_at_a_tiny_size():
    env = dict(os.environ, FASTLOGREG_BENCH_ROWS="3000")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "bench/test_bench_kernels.py",
            "-q",
            "-p",
            "no:cacheprovider",
            "--benchmark-disable",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "passed" in done.stdout
