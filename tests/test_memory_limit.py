"""A memory-mapped .npy larger than the memory a process may use trains with every solver:
the kernels read the map's pages and the kernel drops them again under the limit (the OS
streams the file). The limit is a Linux cgroup (v1 memory controller) made for the test;
where none can be made (not root, cgroup v2 only) the test is skipped."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

LIMIT_HEADROOM = 32 * 2**20  # memory above the fit's own, a third of the file
FILE_BYTES = 96 * 2**20


def _memory_cgroup():
    """The v1 memory cgroup of this process, if a child can be made in it, else None."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            base = Path("/sys/fs/cgroup/memory") / path.lstrip("/")
            return base if os.access(base, os.W_OK) else None
    return None


FIT = r"""
import os, sys, warnings
import numpy as np
from fastlogreg import LogisticRegression
X = np.load(sys.argv[1], mmap_mode="r")
y = np.load(sys.argv[2])
for solver in ("newton", "lbfgs", "gd", "sgd"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gd and sgd in a few epochs: far, on purpose
        # sgd unshuffled: shuffled blocks read the file at random, which under the limit
        # took 21 s instead of 0.1 s (each block read back from disk)
        model = LogisticRegression(solver=solver, max_iter=2, tol=1e-6, shuffle=False)
        model.fit(X, y)
    assert np.isfinite(model.coef_).all()
    print(solver, model.n_iter_[0], flush=True)
"""


def _run_in(group, argv):
    """argv run to its end as a member of the cgroup `group` (CompletedProcess, text)."""
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=180, check=False,
        preexec_fn=lambda: (group / "cgroup.procs").write_text(str(os.getpid())),
    )  # fmt: skip


def _drop_from_page_cache(path):
    """path's pages out of the page cache, so that a child's reads are charged to its group."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def test_a_memory_mapped_file_larger_than_the_limit_trains(tmp_path):
    base = _memory_cgroup()
    if base is None:
        pytest.skip("no writable v1 memory cgroup to set a memory limit in")
    rows = FILE_BYTES // (8 * 40)
    rng = np.random.default_rng(0)
    X = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", dtype=np.float64,
                                  shape=(rows, 40))  # fmt: skip
    for start in range(0, rows, 100_000):  # written in pieces: the test's own memory stays low
        X[start : start + 100_000] = rng.standard_normal((min(100_000, rows - start), 40))
    y = (X[:, 0] > 0).astype(np.int64)
    X.flush()
    del X
    np.save(tmp_path / "y.npy", y)
    fit = [sys.executable, "-c", FIT, str(tmp_path / "X.npy"), str(tmp_path / "y.npy")]
    # every kernel variant the fit takes compiled (or loaded) once outside any group: a compile
    # charged to the limited group would kill the child for the compiler's memory, not the file's
    warm = subprocess.run(fit, capture_output=True, text=True, timeout=300, check=False)
    assert warm.returncode == 0, warm.stderr[-2000:]
    group = base / f"fastlogreg_test_{os.getpid()}"
    group.mkdir()
    try:
        # what the same fit is charged without a limit, less the file's own pages (all of them
        # read, hence charged, by its end): its interpreter, kernels and n-sized arrays. The
        # limit allows that plus LIMIT_HEADROOM, a third of the file.
        _drop_from_page_cache(tmp_path / "X.npy")
        free = _run_in(group, fit)
        assert free.returncode == 0, free.stderr[-2000:]
        own = int((group / "memory.max_usage_in_bytes").read_text()) - FILE_BYTES
        (group / "memory.limit_in_bytes").write_text(str(own + LIMIT_HEADROOM))
        (group / "memory.force_empty").write_text("0")  # the free run's pages leave the group
        _drop_from_page_cache(tmp_path / "X.npy")
        child = _run_in(group, fit)
        failcnt = int((group / "memory.failcnt").read_text())
    finally:
        group.rmdir()
    assert child.returncode == 0, (child.returncode, child.stderr[-2000:])
    assert [line.split()[0] for line in child.stdout.splitlines()] == [
        "newton",
        "lbfgs",
        "gd",
        "sgd",
    ]
    assert failcnt > 0  # the limit was reached: pages were dropped and read again
