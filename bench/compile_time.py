"""First-call cost of the kernels, with and without Numba's disk cache, each in a new process.

    python -m bench.compile_time

Prints the import time of fastlogreg and the time of fastlogreg.warmup() (every kernel for
float64 and float32): cold (FASTLOGREG_NO_CACHE=1, compiled in memory), then from the disk cache
(after one run has filled it).
"""

import json
import os
import subprocess
import sys

PROBE = (
    "import time, json; t0 = time.perf_counter(); import fastlogreg; t1 = time.perf_counter(); "
    "w = fastlogreg.warmup(); print(json.dumps({'import': t1 - t0, 'warmup': w}))"
)


def measure(no_cache):
    env = dict(os.environ, FASTLOGREG_NO_CACHE="1" if no_cache else "0")
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    cold = measure(no_cache=True)
    measure(no_cache=False)  # fills the cache if it is empty
    cached = measure(no_cache=False)
    print(f"import fastlogreg: {cached['import']:.2f} s")
    print(f"warmup(), no cache (cold compile): {cold['warmup']:.1f} s")
    print(f"warmup(), from the disk cache:     {cached['warmup']:.2f} s")


if __name__ == "__main__":
    main()
