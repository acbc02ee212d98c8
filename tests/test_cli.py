"""The `fastlogreg train` command on the shipped data and on bad files."""

import json
import subprocess
import sys
import warnings
from pathlib import Path

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


def _run(*argv, stdin=None):
    """The installed command line in a subprocess: (exit status, stdout, stderr)."""
    result = subprocess.run(
        [sys.executable, "-m", "fastlogreg.cli", *map(str, argv)],
        input=stdin,
        capture_output=True,
        check=False,
        cwd=ROOT,
    )
    return result.returncode, result.stdout.decode(), result.stderr.decode()


def test_version_and_help_answer_without_the_heavy_imports():
    """--help and --version load neither scikit-learn nor Numba (the 0.3 s target is a
    benchmark, bench/cli_startup.py; this checks the reason it holds)."""
    code = (
        "import sys; from fastlogreg.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('sklearn', 'numba', 'numpy', 'pyarrow', 'scipy') "
        "if m in sys.modules]\nprint('HEAVY', heavy)"
    )
    for flag in ("--version", "--help"):
        out = subprocess.run(
            [sys.executable, "-c", code, flag], capture_output=True, text=True, check=True
        ).stdout
        assert "HEAVY []" in out, out
    status, out, _ = _run("--version")
    assert status == 0 and out.strip() == f"fastlogreg {__import__('fastlogreg').__version__}"


def test_train_saves_a_model_that_info_and_evaluate_read(tmp_path):
    model_path = tmp_path / "model.npz"
    status, out, err = _run("train", DATA, "--target", "diagnosis", "--out", model_path, "--json")
    assert status == 0, err
    report = json.loads(out)
    assert report["model"] == str(model_path) and report["converged"] is True
    assert report["rows"] == 569 and report["classes"] == ["benign", "malignant"]
    from fastlogreg import load

    model = load(model_path)
    assert model.loss_history_[-1] == report["objective"]
    assert list(model.feature_names_in_)[:2] == ["mean_radius", "mean_texture"]

    status, out, err = _run("info", model_path, "--json")
    assert status == 0, err
    info = json.loads(out)
    assert info["features"] == 30 and info["converged"] is True
    assert info["params"]["C"] == 1.0 and info["estimator"] == "LogisticRegression"

    status, out, err = _run("evaluate", model_path, DATA, "--target", "diagnosis", "--json")
    assert status == 0, err
    scores = json.loads(out)
    assert scores["accuracy"] == pytest.approx(report["accuracy"])
    assert scores["log_loss"] == pytest.approx(report["log_loss"], rel=1e-9)
    assert 0.95 < scores["roc_auc"] <= 1.0
    assert sum(map(sum, scores["confusion_matrix"])) == 569


def test_standardized_training_saves_a_model_for_the_raw_columns(tmp_path):
    """--standardize fits on scaled columns and folds the scaling into the coefficients: the
    saved model's probabilities on raw X are the scaled fit's on scaled X."""
    from fastlogreg import LogisticRegression, load
    from fastlogreg.io import read_csv

    model_path = tmp_path / "m.npz"
    argv = ["train", DATA, "--target", "diagnosis", "--standardize", "--tol", "1e-8"]
    status, _, err = _run(*argv, "--out", model_path)
    assert status == 0, err
    X, labels, _ = read_csv(DATA, "diagnosis")
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    reference = LogisticRegression(tol=1e-8).fit(Z, labels)
    saved = load(model_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # X without the saved feature names
        P = saved.predict_proba(X)
    np.testing.assert_allclose(P, reference.predict_proba(Z), rtol=0, atol=1e-9)


def test_user_errors_print_one_line_and_exit_2(tmp_path):
    model_path = tmp_path / "m.npz"
    assert _run("train", DATA, "--target", "diagnosis", "--out", model_path)[0] == 0
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(model_path.read_bytes()[:200])
    relabelled = tmp_path / "relabelled.csv"
    relabelled.write_text(Path(DATA).read_text().replace("malignant", "unknown", 1))
    cases = [
        (("train", tmp_path / "missing.csv", "--target", "y"), "no such file"),
        (("train", DATA, "--target", "nope"), "nope"),
        (("train", DATA, "--target", "diagnosis", "--C", "-1"), "C"),
        (("train", DATA, "--target", "diagnosis", "--class-weight", "{bad"), "--class-weight"),
        (("info", corrupt), "corrupt.npz"),
        (("evaluate", model_path, relabelled, "--target", "diagnosis"), "['unknown']"),
    ]
    for argv, fragment in cases:
        status, _, err = _run(*argv)
        assert status == 2, (argv, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("fastlogreg: error: "), err
        assert fragment in lines[0], (fragment, lines[0])
        assert "Traceback" not in err


def test_predict_writes_csv_parquet_and_reads_a_pipe(tmp_path, capsys):
    """predict on the CSV in a file, on stdin in a pipe, into Parquet: the same predictions
    as the saved model's in Python."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    from fastlogreg import load
    from fastlogreg.io import read_csv

    model_path = tmp_path / "m.npz"
    assert main(["train", DATA, "--target", "diagnosis", "--out", str(model_path), "--quiet"]) == 0
    X, _, _ = read_csv(DATA, "diagnosis")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # X without the saved feature names
        expected = load(model_path).predict_proba(X)

    out_csv = str(tmp_path / "p.csv")
    assert main(["predict", str(model_path), DATA, "--proba", "--out", out_csv]) == 0
    table = pcsv.read_csv(tmp_path / "p.csv")
    np.testing.assert_array_equal(table["proba_malignant"].to_numpy(), expected[:, 1])
    assert table["prediction"].to_pylist()[:3] == ["malignant"] * 3

    assert main(["predict", str(model_path), DATA, "--out", str(tmp_path / "p.parquet")]) == 0
    predicted = pq.read_table(tmp_path / "p.parquet")["prediction"].to_pylist()
    assert predicted == np.where(expected[:, 1] > 0.5, "malignant", "benign").tolist()
    capsys.readouterr()

    status, out, err = _run("predict", model_path, "-", stdin=Path(DATA).read_bytes())
    assert status == 0, err
    assert out.splitlines()[1:] == [f'"{label}"' for label in predicted]


def test_out_of_core_training_reaches_the_in_memory_model(tmp_path):
    """--chunk-rows 100 reads the CSV 100 rows at a time, once per pass: the same optimum."""
    from fastlogreg import load

    full, chunked = tmp_path / "full.npz", tmp_path / "chunked.npz"
    argv = ["train", DATA, "--target", "diagnosis", "--tol", "1e-8", "--quiet", "--out"]
    assert main([*argv, str(full)]) == 0
    assert main([*argv, str(chunked), "--chunk-rows", "100"]) == 0
    a, b = load(full), load(chunked)
    np.testing.assert_allclose(b.loss_history_[-1], a.loss_history_[-1], rtol=1e-10)
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=1e-6, atol=1e-9)
    assert list(b.feature_names_in_) == list(a.feature_names_in_)


def test_npy_data_with_a_labels_file(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] + rng.logistic(size=300) > 0).astype(np.int64)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    model_path = str(tmp_path / "m.npz")
    argv = ["train", str(tmp_path / "X.npy"), "--labels", str(tmp_path / "y.npy")]
    assert main([*argv, "--out", model_path, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 300
    assert main(["predict", model_path, str(tmp_path / "X.npy")]) == 0
    lines = capsys.readouterr().out.split()
    from fastlogreg import LogisticRegression

    reference = LogisticRegression().fit(X, y).predict(X)
    assert lines == ['"prediction"', *map(str, reference)]


def _write_formats(tmp_path):
    """The same 200 x 4 problem as CSV (gzip, semicolons), Parquet, .npz and LIBSVM:
    {format: (path, data options)}."""
    import gzip

    import pyarrow as pa
    import pyarrow.parquet as pq
    from sklearn.datasets import dump_svmlight_file

    rng = np.random.default_rng(0)
    X = np.round(rng.normal(size=(200, 4)), 6)
    y = (X[:, 0] - X[:, 1] + rng.logistic(size=200) > 0).astype(np.int64)
    lines = ["a;b;c;d;label"] + [";".join(f"{v:.6f}" for v in row) + f";{label}"
                                 for row, label in zip(X, y, strict=True)]  # fmt: skip
    with gzip.open(tmp_path / "data.csv.gz", "wt") as f:
        f.write("\n".join(lines) + "\n")
    pq.write_table(pa.table({**{c: X[:, j] for j, c in enumerate("abcd")}, "label": y}),
                   tmp_path / "data.parquet")  # fmt: skip
    np.savez(tmp_path / "data.npz", X=X, y=y)
    dump_svmlight_file(X, y, str(tmp_path / "data.svm"))
    target = ["--target", "label"]
    formats = {
        "csv.gz": (tmp_path / "data.csv.gz", target),
        "parquet": (tmp_path / "data.parquet", target),
        "npz": (tmp_path / "data.npz", []),
        "svmlight": (tmp_path / "data.svm", []),
    }
    return X, y, formats


@pytest.mark.parametrize("kind", ["csv.gz", "parquet", "npz", "svmlight"])
def test_train_predict_evaluate_on_every_format(tmp_path, capsys, kind):
    from fastlogreg import LogisticRegression

    X, y, formats = _write_formats(tmp_path)
    path, options = formats[kind]
    model_path = str(tmp_path / "m.npz")
    assert main(["train", str(path), *options, "--out", model_path, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    reference = LogisticRegression().fit(X, y)
    assert report["objective"] == pytest.approx(reference.loss_history_[-1], rel=1e-9)
    assert main(["predict", model_path, str(path), *options]) == 0
    predicted = capsys.readouterr().out.split()[1:]
    assert [int(float(p.strip('"'))) for p in predicted] == reference.predict(X).tolist()
    assert main(["evaluate", model_path, str(path), *options, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == reference.score(X, y)


@pytest.mark.parametrize("kind", ["csv.gz", "parquet", "npz", "svmlight"])
def test_predict_and_evaluate_in_chunks_match_the_whole_file(tmp_path, capsys, kind):
    """--chunk-rows 7 on predict and evaluate: the same output as reading the file whole."""
    _, _, formats = _write_formats(tmp_path)
    path, options = formats[kind]
    model_path = str(tmp_path / "m.npz")
    assert main(["train", str(path), *options, "--out", model_path, "--quiet"]) == 0
    outputs = []
    for chunks in ([], ["--chunk-rows", "7"]):
        predict = ["predict", model_path, str(path), *options, "--proba", *chunks]
        out = str(tmp_path / f"p{len(chunks)}.parquet")
        assert main([*predict, "--out", out, "--quiet"]) == 0
        assert main(predict) == 0
        assert main(["evaluate", model_path, str(path), *options, "--json", *chunks]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert outputs[0].count("\n") == 1 + 200 + 1  # the header, 200 rows, evaluate's JSON
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "p0.parquet").equals(pq.read_table(tmp_path / "p2.parquet"))


def test_predict_in_chunks_leaves_no_partial_output(tmp_path, capsys):
    """An error in a later chunk: exit 2, and the output file is not written (an existing one
    is left as it was); evaluate counts the row of an unknown label over the chunks."""
    model_path = str(tmp_path / "m.npz")
    assert main(["train", DATA, "--target", "diagnosis", "--out", model_path, "--quiet"]) == 0
    lines = Path(DATA).read_text().splitlines()
    bad = tmp_path / "bad.csv"
    cells = lines[400].split(",")
    cells[3] = "x"
    bad.write_text("\n".join([*lines[:400], ",".join(cells), *lines[401:]]) + "\n")
    out = tmp_path / "p.csv"
    for before in (None, "old contents\n"):
        if before is not None:
            out.write_text(before)
        argv = ["predict", model_path, str(bad), "--chunk-rows", "100", "--out", str(out)]
        assert main(argv) == 2
        assert "bad.csv, line 401, column" in capsys.readouterr().err
        assert (out.read_text() if out.exists() else None) == before
        assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []
    relabelled = tmp_path / "relabelled.csv"
    relabelled.write_text("\n".join([*lines[:300], lines[300].replace("benign", "cat").replace(
        "malignant", "cat"), *lines[301:]]) + "\n")  # fmt: skip
    argv = ["evaluate", model_path, str(relabelled), "--target", "diagnosis"]
    for chunks in ([], ["--chunk-rows", "64"]):
        assert main([*argv, *chunks]) == 2
        assert "['cat'] (first in row 299, counting data rows from 0)" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["npz", "svmlight"])
def test_non_finite_values_in_chunks_are_named_by_their_row_in_the_file(tmp_path, capsys, kind):
    """NaN in row 37 of a .npz or LIBSVM file (formats the loader does not check): predict and
    evaluate name row 37 with and without --chunk-rows (helper 17 saw 'row 7' in chunks of 10)."""
    X, y, formats = _write_formats(tmp_path)
    path, options = formats[kind]
    model_path = str(tmp_path / "m.npz")
    assert main(["train", str(path), *options, "--out", model_path, "--quiet"]) == 0
    bad_X = X.copy()
    bad_X[37, 2] = np.nan
    if kind == "npz":
        np.savez(path, X=bad_X, y=y)
    else:
        lines = path.read_text().splitlines()
        cells = lines[37].split()
        cells[3] = "2:nan"  # label, then features 0, 1, 2 (0-based)
        lines[37] = " ".join(cells)
        path.write_text("\n".join(lines) + "\n")
    for chunks in ([], ["--chunk-rows", "10"], ["--chunk-rows", "1000"]):
        for command in (["predict", "--out", str(tmp_path / "p.csv")], ["evaluate"]):
            assert main([command[0], model_path, str(path), *options, *command[1:], *chunks]) == 2
            assert "NaN in column 2 (row 37)" in capsys.readouterr().err


def test_sigterm_during_predict_exits_143_and_leaves_no_partial_output(tmp_path, capsys):
    """A script's timeout (SIGTERM) while predict writes: the temporary file is removed (the
    default action had left .p.csv.PID.partial), and the exit status is 128 + 15."""
    import signal
    import time

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200_000, 3))
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", (X[:, 0] > 0).astype(np.int64))
    model_path = str(tmp_path / "m.npz")
    argv = ["train", str(tmp_path / "X.npy"), "--labels", str(tmp_path / "y.npy")]
    assert main([*argv, "--out", model_path, "--quiet"]) == 0
    out = tmp_path / "p.csv"
    # 10,000 chunks of 20 rows: about 5 s of writing; the temporary file appears with the
    # first 65,536 rows (_OUTPUT_ROWS) and stays to the end
    predict = [sys.executable, "-m", "fastlogreg.cli", "predict", model_path,
               str(tmp_path / "X.npy"), "--chunk-rows", "20", "--out", str(out)]  # fmt: skip
    child = subprocess.Popen(predict, stderr=subprocess.PIPE, text=True)
    partial = []
    deadline = time.monotonic() + 120
    while not partial and child.poll() is None and time.monotonic() < deadline:
        partial = list(tmp_path.glob(".p.csv.*.partial"))
        time.sleep(0.005)
    assert partial, "predict ended before its temporary file was seen"
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=60) == 128 + signal.SIGTERM, child.stderr.read()
    assert list(tmp_path.glob(".p.csv*")) == [] and not out.exists()


@pytest.mark.parametrize("kind", ["csv.gz", "parquet", "npz", "svmlight"])
@pytest.mark.parametrize("chunks", [[], ["--chunk-rows", "7"]])
def test_a_number_beyond_float32_under_float32_is_explained(tmp_path, capsys, kind, chunks):
    """1e39 read with --float32 becomes inf: every format's error says why and what to do
    (it had said 'inf is not a finite number', or warned of an overflow in a cast first)."""
    import gzip

    X, y, formats = _write_formats(tmp_path)
    path, options = formats[kind]
    if kind == "csv.gz":
        with gzip.open(path, "rt") as f:
            lines = f.read().splitlines()
        lines[20] = "1e39" + lines[20][lines[20].index(";") :]
        with gzip.open(path, "wt") as f:
            f.write("\n".join(lines) + "\n")
    else:
        X[19, 0] = 1e39  # float32's largest is about 3.4e38
        if kind == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            columns = {c: X[:, j] for j, c in enumerate("abcd")}
            pq.write_table(pa.table({**columns, "label": y}), path)
        elif kind == "npz":
            np.savez(path, X=X, y=y)
        else:
            from sklearn.datasets import dump_svmlight_file

            dump_svmlight_file(X, y, str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from the cast
        assert main(["train", str(path), *options, "--float32", *chunks]) == 2
    err = capsys.readouterr().err
    assert "beyond float32's range" in err and "leave out --float32" in err, err


def test_outputs_never_replace_an_input_or_take_a_data_files_name(tmp_path, capsys):
    """train --out DATA had replaced the training data with the model (and predict --out DATA
    the data with its predictions): exit 2, the files unchanged; a model is not saved under
    a data format's name."""
    data = tmp_path / "d.csv"
    data.write_text(Path(DATA).read_text())
    model = tmp_path / "m.npz"
    train = ["train", str(data), "--target", "diagnosis", "--quiet"]
    assert main([*train, "--out", str(model)]) == 0
    before = data.read_bytes(), model.read_bytes()
    (tmp_path / "link.npz").symlink_to(data)
    cases = [
        ([*train, "--out", str(data)], "names a data format"),
        ([*train, "--out", str(tmp_path / "link.npz")], "is the DATA file"),
        ([*train, "--out", str(tmp_path / "new.parquet")], "name it e.g. new.npz"),
        ([*train, "--out", str(tmp_path / "new.csv.gz")], "name it e.g. new.npz"),
        (["predict", str(model), str(data), "--out", str(data)], "is the DATA file"),
        (["predict", str(model), str(data), "--out", str(tmp_path / ".." / tmp_path.name /
                                                          "d.csv")], "is the DATA file"),
        (["predict", str(model), str(data), "--out", str(model)], "is the MODEL file"),
    ]  # fmt: skip
    for argv, expected in cases:
        assert main(argv) == 2, argv
        assert expected in capsys.readouterr().err, argv
        assert (data.read_bytes(), model.read_bytes()) == before
    assert not (tmp_path / "new.parquet").exists() and not (tmp_path / "new.csv.gz").exists()


def test_break_test_20_cases(tmp_path, capsys):
    """A plain CSV named .gz/.bz2/.zst/.xz, one compressed otherwise than its name says, and
    corrupt compressed data name the file and the problem (they had printed 'Not a gzipped
    file', 'Invalid data stream', or an LZMAError traceback); a class weight that is not a
    number is named by its class."""
    import bz2
    import gzip
    import lzma

    text = Path(DATA).read_bytes()
    for ext in ("gz", "bz2", "zst", "xz"):
        (tmp_path / f"plain.csv.{ext}").write_bytes(text)
    (tmp_path / "other.csv.bz2").write_bytes(gzip.compress(text))
    for ext, module in (("gz", gzip), ("bz2", bz2), ("xz", lzma)):
        corrupt = bytearray(module.compress(text))
        corrupt[len(corrupt) // 2 : len(corrupt) // 2 + 2] = b"\xff\xff"
        (tmp_path / f"corrupt.csv.{ext}").write_bytes(bytes(corrupt))
        # damage where the header's sniff reads: Python's gzip raised zlib.error (helper 21)
        early = bytearray(module.compress(text))
        third = len(early) // 3
        early[third : third + 40] = bytes(b ^ 0x5A for b in early[third : third + 40])
        (tmp_path / f"early.csv.{ext}").write_bytes(bytes(early))
    cases = [
        *[(f"plain.csv.{e}", "but the file is not compressed") for e in ("gz", "bz2", "zst", "xz")],
        ("other.csv.bz2", "the name says bz2 (.bz2), but the file is gzip-compressed"),
        *[(f"corrupt.csv.{ext}", "the compressed data is corrupt") for ext in ("gz", "bz2", "xz")],
        *[(f"early.csv.{ext}", "the compressed data is corrupt") for ext in ("gz", "bz2", "xz")],
    ]  # fmt: skip
    for name, expected in cases:
        for chunks in ([], ["--chunk-rows", "100"]):
            path = str(tmp_path / name)
            assert main(["train", path, "--target", "diagnosis", *chunks]) == 2, name
            err = capsys.readouterr().err
            assert err.startswith(f"fastlogreg: error: {path}") and expected in err, err
    argv = ["train", DATA, "--target", "diagnosis", "--class-weight", '{"benign": "x"}']
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert (
        "--class-weight gives class 'benign' the weight 'x'; class weights must be numbers" in err
    )
    assert main(["train", DATA, "--target", "diagnosis", "--out", "-"]) == 2
    assert "a model file cannot go to standard output" in capsys.readouterr().err
    assert not Path("-").exists()


def test_messages_use_the_command_lines_words(tmp_path, capsys):
    """Loader messages name options, not keyword arguments; a trailing delimiter, labels in an
    .npz and continuous labels are named as such."""
    (tmp_path / "trailing.csv").write_text("a,b,label,\n1,2,0,\n3,4,1,\n")
    (tmp_path / "halves.csv").write_text("a,b,label\n1,2,0.5\n3,4,1\n")
    (tmp_path / "index.csv").write_text(",a,label\n0,2,0\n1,4,1\n")
    np.savez(tmp_path / "d.npz", X=np.ones((4, 2)), y=np.array([0, 1, 0, 1]))
    cases = [
        (["trailing.csv", "--target", "label"],
         "column 3 has no name in the header (a delimiter at the end of every line?)"),
        (["trailing.csv", "--target", "label"], "pass the columns to use as --features"),
        (["index.csv", "--target", "label"], "column 0 has no name in the header (a row index"),
        (["halves.csv", "--target", "label"], "such as 0.5 that are not whole"),
        (["halves.csv", "--target", "label", "--features", "a,label"],
         "the target column 'label' is also in --features"),
        (["halves.csv", "--target", "nope"], "Pass the label column's name or index as --target."),
        (["d.npz", "--target", "y"], "d.npz holds its labels in its array 'y'; leave out --target"),
    ]  # fmt: skip
    for argv, expected in cases:
        assert main(["train", *[str(tmp_path / a) if "." in a else a for a in argv]]) == 2
        err = capsys.readouterr().err
        assert expected in err, (argv, err)
        assert "=" not in err.replace("==", ""), err


def test_libsvm_models_read_new_files_with_their_training_indexing(tmp_path, capsys):
    """A model trained on a 0-based LIBSVM file reads a test file that uses no index 0 as
    0-based too (auto would take it as 1-based: every feature one column over, silently);
    --zero-based overrides; an index beyond the model's features is an error."""
    import scipy.sparse as sp
    from sklearn.datasets import dump_svmlight_file, load_svmlight_file

    rng = np.random.default_rng(0)
    X = sp.random(400, 6, density=0.5, random_state=1, format="csr")
    X.data = rng.standard_normal(X.nnz)
    y = (X @ (np.arange(6) - 2.5) + rng.logistic(size=400) > 0).astype(int)
    dump_svmlight_file(X, y, str(tmp_path / "train.svm"), zero_based=True)
    X_test = X[:100].tolil()
    X_test[:, 0] = 0
    X_test = X_test.tocsr()
    X_test.eliminate_zeros()
    dump_svmlight_file(X_test, y[:100], str(tmp_path / "test.svm"), zero_based=True)
    model_path = str(tmp_path / "m.npz")
    assert main(["train", str(tmp_path / "train.svm"), "--out", model_path, "--quiet"]) == 0
    from fastlogreg import load

    model = load(model_path)
    assert model.libsvm_zero_based_ is True
    X_read, y_read = load_svmlight_file(str(tmp_path / "test.svm"), zero_based=True, n_features=6)
    right = float((model.predict(X_read) == y_read).mean())
    for chunks in ([], ["--chunk-rows", "7"]):
        argv = ["evaluate", model_path, str(tmp_path / "test.svm"), "--json", *chunks]
        assert main(argv) == 0
        assert json.loads(capsys.readouterr().out)["accuracy"] == right
        assert main([*argv, "--zero-based", "auto"]) == 0  # the file's own guess: 1-based
        assert json.loads(capsys.readouterr().out)["accuracy"] != right
    (tmp_path / "one.svm").write_text("1 1:2 6:1.0\n0 2:1\n")  # no index 0: from 1
    one = str(tmp_path / "one.npz")
    assert main(["train", str(tmp_path / "one.svm"), "--out", one, "--quiet"]) == 0
    assert main(["predict", one, str(tmp_path / "train.svm")]) == 2  # it holds index 0
    assert "uses feature index 0, but the model was trained on a LIBSVM file whose indices " \
        "start at 1" in capsys.readouterr().err  # fmt: skip
    (tmp_path / "wide.svm").write_text("1 3:2 6:1.0\n")
    assert main(["predict", model_path, str(tmp_path / "wide.svm")]) == 2
    assert "index 6 (0-based: 7 features), but X is to have 6 columns (the model's features)" in (
        capsys.readouterr().err
    )


def test_predict_output_formats_follow_the_extension(tmp_path, capsys):
    """.csv.gz, .csv.bz2 and .csv.zst are compressed, .tsv is tab-separated, Parquet from small
    chunks is not a row group per chunk; an extension it cannot write is an error up front."""
    import gzip

    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    model_path = str(tmp_path / "m.npz")
    assert main(["train", DATA, "--target", "diagnosis", "--out", model_path, "--quiet"]) == 0
    predict = ["predict", model_path, DATA, "--proba", "--chunk-rows", "10", "--quiet", "--out"]
    assert main([*predict, str(tmp_path / "p.csv")]) == 0
    plain = (tmp_path / "p.csv").read_bytes()
    assert main([*predict, str(tmp_path / "p.csv.gz")]) == 0
    assert gzip.decompress((tmp_path / "p.csv.gz").read_bytes()) == plain
    for name in ("p.csv.bz2", "p.csv.zst"):
        assert main([*predict, str(tmp_path / name)]) == 0
        assert pcsv.read_csv(tmp_path / name).equals(pcsv.read_csv(tmp_path / "p.csv"))
    assert main([*predict, str(tmp_path / "p.tsv")]) == 0
    assert (tmp_path / "p.tsv").read_bytes() == plain.replace(b",", b"\t")
    assert main([*predict, str(tmp_path / "p.parquet")]) == 0
    assert pq.ParquetFile(tmp_path / "p.parquet").metadata.num_row_groups == 1
    for name in ("p.json", "p.parquet.gz", "p.xz"):
        assert main([*predict, str(tmp_path / name)]) == 2
        assert f"cannot tell how to write '{tmp_path / name}'" in capsys.readouterr().err
        assert not (tmp_path / name).exists()


def test_hyperparameter_messages_name_the_options(tmp_path, capsys):
    """Estimator messages reach the command line in its words (break test 15 item 8)."""
    cases = [
        (["--C", "0"], "--C must be a positive number (inf for no penalty)"),
        (["--max-iter", "0"], "--max-iter must be an integer >= 1"),
        (["--l1-ratio", "2"], "--l1-ratio must be a number in [0, 1]"),
        (["--n-jobs", "0"], "--n-jobs=0 is not a thread count; leave it out or use -1"),
        (["--solver", "lbfgs", "--l1-ratio", "0.5"], "--solver lbfgs does not support"),
        (["--class-weight", '{"2": 3}'], "--class-weight has weights for [2], which are not"),
        # helper 17's list: the last library words
        (["--solver", "sgd", "--eta0", "-1"], "--eta0 must be left out or a positive finite"),
        (["--random-state", "99999999999"], "between 0 and 4294967295"),
        (["--solver", "sgd", "--average", "-3"], "--average must be true, false or an integer"),
        (["--class-weight", '{"benign": -1}'],
         "--class-weight gives class 'benign' the weight -1.0; class weights must be finite"),
        (["--class-weight", '{"benign": 0}'],
         "--class-weight gives class 'benign' the weight 0; give it a positive weight or drop"),
    ]  # fmt: skip
    for options, expected in cases:
        assert main(["train", DATA, "--target", "diagnosis", "--quiet", *options]) == 2
        err = capsys.readouterr().err
        assert expected in err, (options, err)
        assert "None" not in err and "sample_weight" not in err and "**" not in err, err
    X = tmp_path / "X.npy"
    np.save(X, np.ones((4, 2)))
    np.save(tmp_path / "y.npy", np.zeros((4, 2)))
    assert main(["train", str(X), "--labels", str(tmp_path / "y.npy")]) == 2
    assert "--labels must hold a 1-D array, one label per row" in capsys.readouterr().err
    (tmp_path / "d.svm").write_text("0 1:1\n1 1:2\n")
    assert main(["train", str(tmp_path / "d.svm"), "--target", "label"]) == 2
    err = capsys.readouterr().err
    assert "--target and --features do not apply" in err and "n_features" not in err, err
    with pytest.raises(SystemExit):
        main(["train", DATA, "--target", "diagnosis", "--chunk-rows", "abc"])
    assert "--chunk-rows: must be a whole number >= 1, got 'abc'" in capsys.readouterr().err


def test_break_test_16_cases(tmp_path, capsys):
    """Truncated compressed files, a lone carriage return, a LIBSVM index beyond any integer:
    one line and exit 2; predict --target on new data without that column (a named model
    picks its columns by name)."""
    import gzip

    text = Path(DATA).read_bytes()
    (tmp_path / "cut.csv.gz").write_bytes(gzip.compress(text)[:3000])
    (tmp_path / "cr.csv").write_bytes(b"a,b,label\n1,2\r3,0\n3,4,1\n")
    (tmp_path / "huge.svm").write_text("1 1:2\n0 99999999999:1\n")
    cases = [
        (["cut.csv.gz", "--target", "diagnosis"], "cut.csv.gz"),
        (["cr.csv", "--target", "label"], "cr.csv: not readable as CSV"),
        (["huge.svm"], "huge.svm, line 2: value too large"),
    ]
    for argv, expected in cases:
        for chunks in ([], ["--chunk-rows", "5"]):
            status, _, err = _run("train", *[str(tmp_path / argv[0]), *argv[1:], *chunks])
            assert status == 2 and "Traceback" not in err, err
            assert err.startswith("fastlogreg: error: ") and expected in err, err
    model_path = str(tmp_path / "m.npz")
    assert main(["train", DATA, "--target", "diagnosis", "--out", model_path, "--quiet"]) == 0
    lines = text.decode().splitlines()
    column = lines[0].split(",").index("diagnosis")
    unlabelled = [",".join(c for j, c in enumerate(line.split(",")) if j != column)
                  for line in lines]  # fmt: skip
    (tmp_path / "new.csv").write_text("\n".join(unlabelled) + "\n")
    outputs = []
    for target in ([], ["--target", "diagnosis"]):
        assert main(["predict", model_path, str(tmp_path / "new.csv"), *target]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] and outputs[0].count("\n") == len(lines)


def test_break_test_14_cases(tmp_path, capsys):
    """Helper 14's break test: --features against a named model (a permutation of its names
    is taken in its order, other columns are an error, not positions); a LIBSVM file narrower
    than the model; --class-weight keys for numeric labels; 'True'/'False' text labels for a
    bool model; predict --json; outputs into a directory or a missing one; duplicate names."""
    from fastlogreg import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] - X[:, 2] + rng.logistic(size=200) > 0).astype(int)
    lines = ["a,b,c,y"] + [",".join(f"{v:.6f}" for v in row) + f",{label}"
                           for row, label in zip(X, y, strict=True)]  # fmt: skip
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    data, model_path = str(tmp_path / "d.csv"), str(tmp_path / "m.npz")
    assert main(["train", data, "--target", "y", "--out", model_path, "--quiet"]) == 0
    assert main(["predict", model_path, data, "--proba"]) == 0
    plain = capsys.readouterr().out
    assert main(["predict", model_path, data, "--proba", "--features", "c,b,a"]) == 0
    assert capsys.readouterr().out == plain
    assert main(["predict", model_path, data, "--features", "2,1,0"]) == 2
    assert "the model was trained on ['a', 'b', 'c']" in capsys.readouterr().err

    assert main(["predict", model_path, data, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 200
    assert main(["predict", model_path, data, "--out", str(tmp_path)]) == 2
    assert "it is a directory" in capsys.readouterr().err
    missing = str(tmp_path / "nodir" / "m.npz")
    assert main(["train", data, "--target", "y", "--out", missing]) == 2
    assert "no directory" in capsys.readouterr().err

    argv = ["train", data, "--target", "y", "--class-weight", '{"1": 3}', "--json"]
    assert main(argv) == 0
    weighted = LogisticRegression(class_weight={1: 3}).fit(X, y)
    assert json.loads(capsys.readouterr().out)["objective"] == pytest.approx(
        weighted.loss_history_[-1], rel=1e-6
    )

    (tmp_path / "narrow.svm").write_text("1 1:1.5 2:2\n0 2:0.3\n")
    svm_model = str(tmp_path / "svm.npz")
    LogisticRegression().fit(X, y).save(svm_model)
    assert main(["predict", svm_model, str(tmp_path / "narrow.svm")]) == 0
    assert len(capsys.readouterr().out.split()) == 3

    bool_model = str(tmp_path / "bool.npz")
    LogisticRegression().fit(X, y.astype(bool)).save(bool_model)
    labels = np.where(y == 1, "True", "False")
    lines = ["x0,x1,x2,label"] + [",".join(f"{v:.6f}" for v in row) + f",{label}"
                                  for row, label in zip(X, labels, strict=True)]  # fmt: skip
    (tmp_path / "b.csv").write_text("\n".join(lines) + "\n")
    evaluate = ["evaluate", bool_model, str(tmp_path / "b.csv"), "--target", "label", "--json"]
    assert main(evaluate) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 200

    (tmp_path / "dup.csv").write_text("a,a,y\n1,2,x\n3,4,z\n4,5,x\n2,1,z\n")
    dup_model = str(tmp_path / "dup.npz")
    assert main(["train", str(tmp_path / "dup.csv"), "--target", "y", "--out", dup_model]) == 0
    assert "share the names ['a']" in capsys.readouterr().err
    assert main(["predict", dup_model, str(tmp_path / "dup.csv"), "--target", "y"]) == 0
