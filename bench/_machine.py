"""What the results were measured on, and the streaming-read floor they are compared with."""

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


def describe():
    import sklearn

    stream_sum(np.ones((2, 2)))  # the threading layer is chosen at the first parallel call
    return (
        f"CPU {cpu_model()}, {numba.config.NUMBA_NUM_THREADS} Numba threads, threading layer "
        f"{numba.threading_layer()}; Python {platform.python_version()}, numpy {np.__version__}, "
        f"numba {numba.__version__}, scikit-learn {sklearn.__version__}"
    )
