"""bench/dask_l1.py runs at a tiny size (no timing asserted): with every column inside the
explicit model's cap the Dask fit reaches the in-memory objective."""

import pytest

pytest.importorskip("distributed")

from bench import dask_l1


def test_dask_l1_benchmark_runs_at_a_tiny_size(tmp_path):
    out = tmp_path / "dask_l1.json"
    result = dask_l1.main(
        ["--rows", "1000", "--cols", "20", "--chunks", "2", "--caps", "2048", "--classes", "3",
         "--out", str(out)]
    )  # fmt: skip
    assert out.exists()
    assert len(result["fits"]) == 2  # C = 0.01 and 1
    for r in result["fits"]:
        assert r["converged"]
        assert abs(r["objective_vs_in_memory"]) < 1e-9
