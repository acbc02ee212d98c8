"""bench/dask_fit.py runs at a tiny size (no timing asserted): the Dask fits reach the
in-memory optimum, their bytes per pass are counted, 1 and 2 workers are both run."""

import importlib.util

import pytest

pytest.importorskip("distributed")

from bench import dask_fit


def test_dask_benchmark_runs_at_a_tiny_size(tmp_path):
    # dask-ml (the bench extra) when installed: its newton, the fastest of its solvers
    peers = "newton" if importlib.util.find_spec("dask_ml") else ""
    out = tmp_path / "dask_fit.json"
    result = dask_fit.main(
        ["--rows", "4000", "--cols", "5", "--chunks", "4", "--peers", peers, "--out", str(out)]
    )
    assert out.exists()
    ours = [r for r in result["fits"] if r["library"] == "fastlogreg"]
    assert {r["workers"] for r in ours} == {1, 2}
    for r in ours:
        assert r["gap"] < 1e-6
        assert 0 < r["result_bytes_per_pass"] < 10_000  # d-sized results, never rows
    if peers:
        assert any(r["library"] == "dask-ml" for r in result["fits"])
