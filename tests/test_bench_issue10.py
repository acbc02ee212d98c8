"""bench/issue10.py runs at a tiny size with every section but the peers' (no timing
asserted), so that it keeps working."""

from bench import issue10


def test_issue10_benchmark_runs_at_a_tiny_size(capsys):
    result = issue10.main(
        ["--rows", "3000", "--cols", "4096", "--multinomial-rows", "2000", "--skip-peers"]
    )
    assert set(result) == {"binary", "sgd", "multinomial", "memory"}
    assert "default's gap (<= 1e-6)" in result["binary"]["targets"]
    out = capsys.readouterr().out
    assert "memory, solver=" in out and "one epoch (pass) of fastlogreg sgd" in out
