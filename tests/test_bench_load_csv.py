"""bench/load_csv.py runs at a tiny size (no timing asserted), so that it keeps working."""

import pytest

pytest.importorskip("pyarrow")
pytest.importorskip("pandas")

from bench import load_csv


def test_load_csv_benchmark_runs_at_a_tiny_size(capsys):
    result = load_csv.main(["--rows", "2000", "--repeats", "1"])
    assert {
        "pandas.read_csv (defaults)",
        "fastlogreg load, float64",
        "fastlogreg load, float32",
        "pyarrow.csv.read_csv to an Arrow table",
    } <= set(result["seconds"])
    assert all(seconds > 0 for seconds in result["seconds"].values())
    assert result["agreement"]["labels equal"]
    assert result["agreement"]["max |pandas - ours| / |ours| (float64)"] < 1e-12
    out = capsys.readouterr().out
    assert "Machine: CPU" in out and "pandas / this" in out and "target: load at least 3x" in out
