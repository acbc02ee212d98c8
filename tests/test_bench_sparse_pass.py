"""bench/sparse_pass.py runs at a tiny size (no timing asserted), so that it keeps working."""

from bench import sparse_pass


def test_sparse_pass_benchmark_runs_at_a_tiny_size(capsys):
    times = sparse_pass.main(["--rows", "2000", "--cols", "4096", "--repeats", "1"])
    assert all(seconds > 0 for seconds in times.values())
    assert "read floor" in capsys.readouterr().out
