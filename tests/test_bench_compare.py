"""The comparison runner (bench/compare.py) at its smallest, so the bench code cannot rot; no
timing is asserted."""

import json
import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from bench import compare, peers, targets

# each solver runs in a process of its own (about 3 s of imports each), so the suite runs a few;
# test_every_peer_fits covers the others in this process
SOME = ["fastlogreg auto", "sklearn lbfgs", "NumPy seed gd"]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    argv = ["--quick", "--problems", "breast-cancer", "--repeats", "1", "--no-targets"]
    argv += ["--solvers", ",".join(SOME)]
    (out / "r.md").write_text("# Results\n\nHand-written analysis.\n")
    argv += ["--json", str(out / "r.json"), "--results", str(out / "r.md")]
    assert compare.main(argv) == 0
    return out


def test_every_solver_reports_time_gap_and_held_out_scores(results):
    data = json.loads((results / "r.json").read_text())
    problem = data["problems"]["breast-cancer"]
    assert set(SOME) == problem["solvers"].keys()
    for result in problem["solvers"].values():
        assert result["seconds"] > 0 and 0 <= result["test_accuracy"] <= 1
        assert result["fits"] == 1
        assert result["peak_mb"] is None or result["peak_mb"] >= 0
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


def test_every_peer_fits_and_reports_its_parameters():
    X, y, _, _ = compare.load("breast-cancer", quick=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    skipped = []
    for name, make in peers.solvers(1.0, X.shape[0], skipped).items():
        model = make()
        if hasattr(model, "prepare"):
            model.prepare(X, y)
        with warnings.catch_warnings():  # as in bench/isolated_fit.py: the gap tells
            warnings.simplefilter("ignore", ConvergenceWarning)
            # glum (when installed) warns of clipped sigmoids and of scipy's deprecated options
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            coef, intercept = peers.params(model.fit(X, y))
        assert coef.shape == (X.shape[1],) and np.isfinite(intercept), name
        accuracy = np.mean((X @ coef + intercept > 0) == (y > 0.5))
        assert accuracy > 0.9, name  # every solver learns the standardised data set
    assert all(" (" in line for line in skipped)  # each skipped peer says how to install it


def test_a_fit_over_budget_is_stopped_and_reported(tmp_path, monkeypatch):
    X, y, _, _ = compare.load("breast-cancer", quick=True)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    slow = tmp_path / "slow.py"  # a stand-in worker: ready at once, then never done
    slow.write_text("import time\nprint('READY', flush=True)\ntime.sleep(60)\n")
    real_popen = compare.subprocess.Popen

    def popen(command, **kwargs):
        return real_popen([sys.executable, str(slow)], **kwargs)

    monkeypatch.setattr(compare.subprocess, "Popen", popen)
    assert compare.fit_isolated(tmp_path, "fastlogreg auto", 1, budget=0.5) == {
        "stopped_after": 0.5
    }


def test_a_rerun_of_some_solvers_is_merged_into_the_earlier_file(results, tmp_path):
    old = json.loads((results / "r.json").read_text())
    new = json.loads(json.dumps(old))
    new["problems"]["breast-cancer"]["solvers"] = {"sklearn lbfgs": {"seconds": 9.0}}
    new["command"] = "python -m bench.compare --solvers lbfgs"
    both = compare.merged(old, new)
    solvers = both["problems"]["breast-cancer"]["solvers"]
    assert set(SOME) == solvers.keys() and solvers["sklearn lbfgs"]["seconds"] == 9.0
    assert both["command"].endswith("--solvers lbfgs")


def test_targets_table_judges_every_target():
    problem = {"solvers": {"fastlogreg auto": {"seconds": 1.0, "gap": 1e-8},
                           "glum lbfgs": {"seconds": 5.0, "gap": 1e-7},
                           "sklearn saga": {"stopped_after": 300.0}}}  # fmt: skip
    table = targets.report({"problems": {"dense-1M-100-float64": problem}}, rows=3000, repeats=1)
    assert "| float64: default fit / fastest peer <= 0.25 at gap <= 1e-6 | 0.20" in table
    assert "against glum lbfgs" in table and "float32: default fit" in table
    for target in ("fused epoch / one read of X", "NumPy step / fused epoch", "one epoch / SGD"):
        assert table.count(target) >= 2, target
    assert "five epochs at the defaults" in table and "not the targets' size" in table


def test_the_sparse_problem_runs_on_csr_without_the_dense_only_solvers(tmp_path):
    argv = ["--quick", "--problems", "text-1M-2^20", "--repeats", "1", "--no-targets"]
    argv += ["--solvers", "fastlogreg auto,sklearn liblinear,newton-cholesky"]
    argv += ["--json", str(tmp_path / "r.json"), "--results", str(tmp_path / "r.md")]
    assert compare.main(argv) == 0
    problem = json.loads((tmp_path / "r.json").read_text())["problems"]["text-1M-2^20"]
    assert problem["sparse"] and problem["cols"] == 2**16
    assert set(problem["solvers"]) == {"fastlogreg auto", "sklearn liblinear"}
    assert any(line.startswith("sklearn newton-cholesky") for line in problem["skipped"])
    for result in problem["solvers"].values():
        assert result["gap"] >= 0.0 and result["test_log_loss"] > 0
    assert problem["solvers"]["fastlogreg auto"]["gap"] < 1e-6
    assert "CSR (80% of the rows" in (tmp_path / "r.md").read_text()
