"""The issue-9 benchmark (bench/issue9.py) at its tiny --quick size, so the bench code cannot rot
(5-10 s with Numba's disk cache warm); no timing is asserted."""

import json

import numpy as np
import pytest
from conftest import make_problem

from bench import compare, issue9
from fastlogreg import LogisticRegression


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("issue9")
    (out / "r.md").write_text("# Results\n\nHand-written analysis.\n")
    argv = ["--quick", "--repeats", "1", "--json", str(out / "r.json")]
    argv += ["--results", str(out / "r.md")]
    assert issue9.main(argv) == 0
    return out


def test_every_problem_reports_time_and_gap_beside_every_solver(results):
    data = json.loads((results / "r.json").read_text())
    assert data["quick"] and "CPU" in data["machine"]
    assert data["command"].startswith("python -m bench.issue9 --quick --repeats 1")
    kinds = [p["kind"] for p in data["problems"].values()]
    assert kinds == ["multinomial", "l1", "l1", "cv"]
    for name, problem in data["problems"].items():
        rows = problem["solvers"]
        assert any(r["role"] == "ours" for r in rows.values()), name
        assert any(r["role"] == "peer" for r in rows.values()), name
        for solver, r in rows.items():
            assert r["seconds"] > 0 and r["fits"] == 1, (name, solver)
            assert np.isfinite(r["gap"]) and r["gap"] > -1e-9, (name, solver)
            if r["role"] == "peer":
                assert r["gap"] >= 0, (name, solver)  # J* is at most the best peer's
        assert problem["targets"] and all(
            ": met (" in t or ": MISSED (" in t or "cannot be judged" in t
            for t in problem["targets"]
        )


def test_the_reference_is_the_lowest_of_the_tight_fit_and_the_peers(results):
    data = json.loads((results / "r.json").read_text())
    for problem in data["problems"].values():
        if problem["kind"] == "cv":
            continue
        rows = problem["solvers"]
        ref = rows[problem["reference"]]
        assert ref["role"] in ("reference", "peer") and ref["gap"] == 0
        assert ref["objective"] == problem["reference_objective"]
        # the default fit of ours reaches the optimum on these small problems
        ours = next(r for r in rows.values() if r["role"] == "ours")
        assert ours["gap"] < 1e-6


def test_l1_reports_the_support_and_glum_minimises_the_same_objective(results):
    data = json.loads((results / "r.json").read_text())
    for problem in (p for p in data["problems"].values() if p["kind"] == "l1"):
        rows = problem["solvers"]
        assert 0 < problem["reference_nonzeros"] < problem["cols"]
        for r in rows.values():
            assert isinstance(r["same_zeros_as_reference"], bool) and r["nonzeros"] >= 0
        if "glum irls-cd" in rows:  # alpha = 1 / (C n) puts glum's optimum at ours
            assert rows["glum irls-cd"]["gap"] < 1e-6
            assert rows["glum irls-cd"]["same_zeros_as_reference"]
        # liblinear's penalised intercept moves its optimum away from J's
        assert rows["sklearn liblinear (penalised intercept)"]["gap"] > 1e-6


def test_cv_reports_the_chosen_c_and_the_score_differences(results):
    data = json.loads((results / "r.json").read_text())
    (problem,) = (p for p in data["problems"].values() if p["kind"] == "cv")
    rows = problem["solvers"]
    assert set(rows) == {
        "fastlogreg LogisticRegressionCV",
        "sklearn LogisticRegressionCV lbfgs",
        "sklearn LogisticRegressionCV newton-cholesky",
    }
    for r in rows.values():
        assert r["C_"] in np.logspace(-4, 4, issue9.CS)
        assert len(r["mean_scores"]) == issue9.CS
        # the same folds and the same objective: the held-out accuracies nearly agree
        assert r["max_mean_score_difference"] < 0.01


def test_the_markdown_section_is_its_own_and_keeps_the_rest(results):
    text = (results / "r.md").read_text()
    assert text.startswith("# Results\n\nHand-written analysis.\n")
    assert text.count(issue9.BEGIN) == 1 and text.count(issue9.END) == 1
    command = "Command: `python -m bench.issue9 --quick"
    for part in ("Machine: CPU", command, "| solver |", "| non-zeros |", "| estimator |"):
        assert part in text, part
    for part in ("- Target, ", "skglm", "liblinear penalises its intercept"):
        assert part in text, part
    path = results / "both.md"
    path.write_text("intro\n")
    compare.write_section(path, "compare's table")
    issue9.write_section(path, "first")
    path.write_text(path.read_text() + "notes after\n")
    issue9.write_section(path, "second")
    text = path.read_text()
    assert "compare's table" in text and "second" in text and "first" not in text
    assert text.startswith("intro\n") and text.endswith("notes after\n")
    assert text.count(issue9.BEGIN) == 1 and issue9.BEGIN != compare.BEGIN


@pytest.mark.parametrize(("n_classes", "l1_ratio"), [(2, 0.0), (2, 1.0), (4, 0.0), (4, 0.5)])
def test_the_objective_is_the_one_fastlogreg_minimises(n_classes, l1_ratio):
    X, y = make_problem(500, 6, seed=4, n_classes=n_classes)
    model = LogisticRegression(C=0.1, l1_ratio=l1_ratio, tol=1e-8, max_iter=1000).fit(X, y)
    value = issue9.objective(X, y, *issue9.params(model), 0.1, l1_ratio)
    assert value == pytest.approx(model.loss_history_[-1], rel=1e-12)


def test_an_unknown_problem_is_an_error(tmp_path):
    with pytest.raises(SystemExit):
        issue9.main(["--quick", "--only", "multinomial,l2", "--json", str(tmp_path / "j")])
