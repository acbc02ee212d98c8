"""What the results were measured on, and the streaming-read floor they are compared with."""

import os
import platform

import numba
import numpy as np
from numba import njit, prange


@njit(parallel=True, fastmath={"reassoc"}, cache=True)
def stream_sum(X):
    """Reads every byte of X once, doing as little as possible with it: the bandwidth floor
    that a pass over X cannot beat."""
    n, d = X.shape
    total = 0.0
    for i in prange(n):
        row = 0.0
        for j in range(d):
            row += X[i, j]
        total += row
    return total


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(module):
    try:
        return __import__(module).__version__
    except ImportError:
        return None


def describe():
    """One line: the CPU, its cores, Numba's threads and threading layer, and the version of
    every library the benchmarks use (peers that are not installed are left out)."""
    stream_sum(np.ones((2, 2)))  # the threading layer is chosen at the first parallel call
    versions = [("Python", platform.python_version())]
    names = ["numpy", "numba", "scipy", "sklearn", "glum", "vowpalwabbit", "fastlogreg"]
    versions += [(name, _version(name)) for name in names]
    return (
        f"CPU {cpu_model()}, {os.cpu_count()} cores, {numba.config.NUMBA_NUM_THREADS} Numba "
        f"threads, threading layer {numba.threading_layer()}; "
        + ", ".join(f"{name} {version}" for name, version in versions if version)
    )
