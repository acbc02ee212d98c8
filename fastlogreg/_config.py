"""Process-wide settings for the kernels: fastmath flags, disk cache, thread count."""

from __future__ import annotations

import numbers
import os
from contextlib import contextmanager

import numba  # after OMP_WAIT_POLICY, which fastlogreg/__init__.py sets

# 'reassoc' lets LLVM vectorise the float reductions, 'contract' allows FMA and 'nsz' ignores the
# sign of zero. 'nnan'/'ninf' are left out on purpose: they would let the compiler delete the
# finiteness checks that keep NaN/inf out of fitted models.
FASTMATH = {"reassoc", "contract", "nsz"}
# The pointwise log-loss code (_numerics.py) is written so that nothing cancels; 'reassoc' would
# let LLVM regroup it and lose the small tail residuals, so it is compiled without.
POINTWISE_FASTMATH = {"contract", "nsz"}

# Compiled kernels are written to Numba's on-disk cache (verified to work with parallel=True on
# numba 0.68); set FASTLOGREG_NO_CACHE=1 to compile in memory only, e.g. to measure cold compiles.
CACHE = os.environ.get("FASTLOGREG_NO_CACHE", "") not in ("1", "true", "yes")


def resolve_n_jobs(n_jobs: int | None) -> int:
    """Threads to use for n_jobs, joblib-style: None or -1 is all of Numba's threads, -2 all
    but one, and a count above the available threads is clipped to them."""
    available = numba.config.NUMBA_NUM_THREADS
    if n_jobs is None:
        return available
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral):
        raise TypeError(f"n_jobs must be an int or None, got {n_jobs!r}")
    n_jobs = int(n_jobs)
    if n_jobs == 0:
        raise ValueError("n_jobs=0 is not a thread count; use None or -1 for all cores, or n >= 1")
    if n_jobs < 0:
        return max(1, available + 1 + n_jobs)
    return min(n_jobs, available)


# The solvers' vector algebra between passes (conjugate gradients, the L-BFGS two-loop, line
# searches: BLAS dot, nrm2 and axpy from NumPy's and SciPy's OpenBLAS) runs on one BLAS thread.
# OpenBLAS splits such calls over its own threads, which then spin for a while, and on a
# machine whose cores are busy (Numba's threads, any other process) each call waits for them:
# measured on the 2-core machine with another process running, the L-BFGS two-loop of 10 pairs
# took 488 ms against 1.1 ms on one thread at 65,536 entries, 468 ms against 41 ms at 2.1M,
# 339 ms against 280 ms at 10M; a sparse truncated Newton fit (16k x 2^16) 2.9 s against
# 0.053 s, and the next library's fit in the same process slowed as well (the spinning threads).
# No pass over X uses BLAS (they are Numba kernels on Numba's threads).
_blas = None


def _blas_controller():
    """threadpoolctl's controller of the BLAS libraries loaded by then (NumPy's and SciPy's
    OpenBLAS: the solvers import scipy.linalg.blas), made once."""
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController().select(user_api="blas")
    return _blas


@contextmanager
def thread_limit(n_jobs: int | None):
    """Run the block with Numba's thread count set for n_jobs and BLAS on one thread (see
    above); the previous counts are restored afterwards, also when the block raises. Yields
    Numba's thread count in effect."""
    n_threads = resolve_n_jobs(n_jobs)
    previous = numba.get_num_threads()
    numba.set_num_threads(n_threads)
    try:
        with _blas_controller().limit(limits=1):
            yield n_threads
    finally:
        numba.set_num_threads(previous)
