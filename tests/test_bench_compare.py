"""The comparison runner (bench/compare.py) at its smallest, so the bench code cannot rot; no
timing is asserted."""

import json

import pytest

from bench import compare


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    argv = ["--quick", "--problems", "breast-cancer", "--repeats", "1"]
    (out / "r.md").write_text("# Results\n\nHand-written analysis.\n")
    argv += ["--json", str(out / "r.json"), "--results", str(out / "r.md")]
    assert compare.main(argv) == 0
    return out


def test_every_solver_reports_time_gap_and_held_out_scores(results):
    data = json.loads((results / "r.json").read_text())
    problem = data["problems"]["breast-cancer"]
    assert {"fastlogreg auto", "sklearn lbfgs", "NumPy seed gd"} <= problem["solvers"].keys()
    for result in problem["solvers"].values():
        assert result["seconds"] > 0 and 0 <= result["test_accuracy"] <= 1
        assert result["gap"] > -1e-9 and result["test_log_loss"] > 0
    # the default solver reaches the optimum on the real data set
    assert problem["solvers"]["fastlogreg auto"]["gap"] < 1e-6
    table = (results / "r.md").read_text()
    assert "| fastlogreg auto |" in table and "Machine:" in table
    assert table.startswith("# Results\n\nHand-written analysis.\n")  # kept


def test_a_second_run_replaces_only_the_generated_section(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text("intro\n")
    compare.write_section(path, "first table")
    path.write_text(path.read_text() + "notes after\n")
    compare.write_section(path, "second table")
    text = path.read_text()
    assert text.startswith("intro\n") and text.endswith("notes after\n")
    assert "second table" in text and "first table" not in text
    assert text.count(compare.BEGIN) == 1


def test_check_flags_a_slower_solver_at_an_equal_gap(results, tmp_path):
    data = json.loads((results / "r.json").read_text())
    slower = json.loads(json.dumps(data))
    entry = slower["problems"]["breast-cancer"]["solvers"]["sklearn lbfgs"]
    entry["seconds"] *= 1.5
    (tmp_path / "new.json").write_text(json.dumps(slower))
    flagged = compare.check(results / "r.json", tmp_path / "new.json")
    assert len(flagged) == 1 and "sklearn lbfgs" in flagged[0]
    assert compare.check(results / "r.json", results / "r.json") == []


def test_plots_are_written(results, tmp_path):
    pytest.importorskip("matplotlib")
    from bench import plots

    written = plots.main([str(results / "r.json"), "--out-dir", str(tmp_path)])
    assert (tmp_path / "breast-cancer.png").read_bytes()[:4] == b"\x89PNG" and written
