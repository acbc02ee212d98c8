"""bench/out_of_core.py runs at a tiny size (no timing asserted): the chunked fits reach the
in-memory fit's objective, and their memory is measured."""

import pytest

pytest.importorskip("pyarrow")

from bench import out_of_core


def test_out_of_core_benchmark_runs_at_a_tiny_size(capsys):
    result = out_of_core.main(
        ["--rows", "3000", "--cols", "5", "--chunk-rows", "1000", "--solvers", "auto",
         "--formats", "memory,npy,parquet,csv"]
    )  # fmt: skip
    runs = result["runs"]
    assert set(runs) == {"auto/memory", "auto/npy", "auto/parquet", "auto/csv"}
    for kind in ("npy", "parquet", "csv"):
        assert runs[f"auto/{kind}"]["objective_difference"] < 1e-9
        assert runs[f"auto/{kind}"]["passes"] > runs["auto/memory"]["iterations"]
    assert "chunk budget" in capsys.readouterr().out
