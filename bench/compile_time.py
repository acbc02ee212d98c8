"""First-call cost of the kernels, with and without Numba's disk cache, each in a new process.

    python -m bench.compile_time

Prints the import time of fastlogreg, the first fit + predict on small float64 data, and then
fastlogreg.warmup() (every other kernel: float32, read-only X, large-data builds): cold
(FASTLOGREG_NO_CACHE=1, compiled in memory), then from the disk cache (after a run filled it).
"""

import json
import os
import subprocess
import sys

PROBE = (
    "import time, json, numpy as np; t0 = time.perf_counter(); import fastlogreg; "
    "t1 = time.perf_counter(); X = np.random.default_rng(0).standard_normal((200, 5)); "
    "y = np.arange(200) % 2; fastlogreg.LogisticRegression().fit(X, y).predict(X); "
    "t2 = time.perf_counter(); w = fastlogreg.warmup(); "
    "print(json.dumps({'import': t1 - t0, 'first_fit': t2 - t1, 'warmup': w}))"
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
    print(f"first fit + predict (float64), no cache: {cold['first_fit']:.1f} s")
    print(f"first fit + predict (float64), from the disk cache: {cached['first_fit']:.2f} s")
    print(f"warmup() of the rest, no cache (cold compile): {cold['warmup']:.1f} s")
    print(f"warmup() of the rest, from the disk cache: {cached['warmup']:.2f} s")


if __name__ == "__main__":
    main()
