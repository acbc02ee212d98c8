"""`python -m bench` runs every step, each with its output under one folder (steps stubbed:
each has its own test or is run by the micro-benchmark test)."""

import pytest

import bench.__main__ as everything


def test_every_step_runs_in_order_into_the_chosen_folder(tmp_path, monkeypatch):
    calls = []
    for step in everything.STEPS:
        module = getattr(everything, step)
        monkeypatch.setattr(module, "main", lambda argv, step=step: calls.append((step, argv)))
    assert everything.main(["--quick", "--out-dir", str(tmp_path)]) == 0
    assert [step for step, _ in calls] == list(everything.STEPS)
    for step, argv in calls:
        paths = [a for a in argv if a.startswith(str(tmp_path))]
        assert paths, f"{step} writes outside {tmp_path}: {argv}"
        if step in ("compare", "issue9", "scaling"):
            assert "--quick" in argv
        if step == "issue10":
            assert "--rows" in argv
    assert calls[0][1][-1] == str(tmp_path / "RESULTS.md")


def test_an_unknown_step_is_an_error_naming_the_choices(tmp_path):
    with pytest.raises(SystemExit):
        everything.main(["--steps", "compare,plot", "--out-dir", str(tmp_path)])
