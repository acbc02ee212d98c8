"""The `fastlogreg train` command on the shipped data and on bad files."""

import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from fastlogreg.cli import main

DATA = str(ROOT / "data" / "breast_cancer.csv")


def _report(out):
    """The report's lines as {first word: second word}."""
    return {line.split()[0]: line.split()[1] for line in out.splitlines() if line.strip()}


def test_train_reports_loss_accuracy_epochs_and_time(capsys):
    assert main(["train", DATA, "--target", "diagnosis", "--standardize"]) == 0
    out = capsys.readouterr().out
    assert "569 rows, 30 features, classes ['benign', 'malignant']" in out
    report = _report(out)
    assert float(report["accuracy"]) > 0.97 and 0 < float(report["log-loss"]) < 0.1
    assert int(report["iterations"]) >= 1 and float(report["time"]) > 0  # newton's
    assert report["solver"] == "newton"  # 'auto' on 30 features


@pytest.mark.parametrize("solver", ["sgd", "gd", "lbfgs"])
def test_train_with_each_solver(capsys, solver):
    argv = ["train", DATA, "--target", "diagnosis", "--standardize", "--solver", solver]
    assert main([*argv, "--max-iter", "2000", "--learning-rate", "auto"]) == 0
    report = _report(capsys.readouterr().out)
    assert report["solver"] == solver and float(report["accuracy"]) > 0.95
    assert int(report["epochs" if solver in ("sgd", "gd") else "iterations"]) >= 1


def test_train_float32_and_options(capsys):
    argv = [
        "train",
        DATA,
        "--target",
        "diagnosis",
        "--standardize",
        "--dtype",
        "float32",
        "--C",
        "0.1",
        "--n-jobs",
        "1",
        "--max-iter",
        "500",
    ]
    assert main(argv) == 0
    assert float(_report(capsys.readouterr().out)["accuracy"]) > 0.95


def test_unconverged_training_says_so(capsys):
    assert main(["train", DATA, "--target", "diagnosis", "--max-iter", "3"]) == 0
    assert "did not converge" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "argv_extra", "message"),
    [
        ("a,b,label\n1,2,x\n3,4,y\n", ["--target", "nope"], "has no column 'nope'"),
        ("a,b,label\n1,,x\n3,4,y\n", ["--target", "label"], "line 2, column 'b'"),
        ("a,b,label\n1,2,x\n3,4,x\n", ["--target", "label"], "only one class"),
        ("", ["--target", "label"], "is empty"),
        # an empty label cell is a missing label, not a third class (issue 8)
        ("a,b,label\n1,2,x\n3,4,\n5,6,y\n", ["--target", "label"], "line 3: no label in"),
    ],
)
def test_bad_files_exit_2_with_a_message(tmp_path, capsys, content, argv_extra, message):
    path = tmp_path / "data.csv"
    path.write_text(content)
    assert main(["train", str(path), *argv_extra]) == 2
    assert message in capsys.readouterr().err


def test_runs_as_a_module():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "fastlogreg.cli",
            "train",
            DATA,
            "--target",
            "diagnosis",
            "--standardize",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "accuracy" in result.stdout


def test_train_three_classes_with_l1(capsys, tmp_path, iris):
    X, y = iris
    names = ["setosa", "versicolor", "virginica"]
    lines = ["a,b,c,d,species"] + [
        ",".join(f"{v:g}" for v in row) + f",{names[label]}"
        for row, label in zip(X, y, strict=True)
    ]
    path = tmp_path / "iris.csv"
    path.write_text("\n".join(lines) + "\n")
    argv = ["train", str(path), "--target", "species", "--l1-ratio", "1", "--C", "0.5"]
    assert main([*argv, "--tol", "1e-8"]) == 0
    out = capsys.readouterr().out
    assert "classes ['setosa', 'versicolor', 'virginica']" in out
    report = _report(out)
    assert report["solver"] == "newton" and float(report["accuracy"]) > 0.9
    from fastlogreg import LogisticRegression

    model = LogisticRegression(C=0.5, l1_ratio=1.0, tol=1e-8).fit(X, y)
    expected = -model.predict_log_proba(X)[np.arange(len(y)), y].mean()
    assert float(report["log-loss"]) == pytest.approx(expected, rel=1e-5)
