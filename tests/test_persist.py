"""fastlogreg.persist: model files round-trip with bit-identical predictions, read with numpy,
zipfile and json alone, and every kind of damaged or hostile file is refused with a
ModelFileError before a model is built."""

import io
import json
import os
import re
import struct
import subprocess
import sys
import textwrap
import warnings
import zipfile

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import StratifiedKFold

from fastlogreg import LogisticRegression, LogisticRegressionCV
from fastlogreg.persist import ModelFileError, load_model, save_model


def make_data(n=90, d=4, k=2, dtype=np.float64, seed=0):
    """X (n, d) and labels 0 .. k-1 from a noisy linear model (never separable, so every
    fit converges in a few iterations)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((k, d))
    y = np.argmax(X @ W.T + rng.gumbel(size=(n, k)), axis=1)
    return X.astype(dtype), y


def assert_same_model(loaded, model, X):
    """The loaded model is the saved one: class, hyperparameters, fitted attributes, and
    bit-identical predictions."""
    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()
    for name in ("classes_", "coef_", "intercept_", "n_iter_", "loss_history_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(model, name))
        assert getattr(loaded, name).dtype == getattr(model, name).dtype, name
    assert loaded.n_features_in_ == model.n_features_in_
    assert loaded.solver_ == model.solver_
    assert hasattr(loaded, "feature_names_in_") == hasattr(model, "feature_names_in_")
    if hasattr(model, "feature_names_in_"):
        np.testing.assert_array_equal(loaded.feature_names_in_, model.feature_names_in_)
    for method in ("decision_function", "predict_proba", "predict_log_proba", "predict"):
        expected = getattr(model, method)(X)
        got = getattr(loaded, method)(X)
        assert got.dtype == expected.dtype, method
        np.testing.assert_array_equal(got, expected, err_msg=method)


def round_trip(model, tmp_path, name="model.npz"):
    path = tmp_path / name
    save_model(model, path)
    return load_model(path)


# --------------------------------------------------------------------------- round trips

LABELS = {
    "int": lambda y: y,
    "negative-int": lambda y: y - 1,
    "uint8": lambda y: y.astype(np.uint8),
    "float": lambda y: y * 2.0 - 1.0,  # integral: scikit-learn calls others continuous
    "float32": lambda y: (y * 3.0).astype(np.float32),
    "bool": lambda y: y.astype(bool),
    "str": lambda y: np.array(["ant", "bee", "cat", "dog"])[y],
    "object-str": lambda y: np.array(["ant", "bee", "cat", "dog"], dtype=object)[y],
}


@pytest.mark.parametrize("labels", sorted(LABELS))
def test_round_trip_labels(labels, tmp_path):
    X, y = make_data(k=2)
    y = LABELS[labels](y)
    model = LogisticRegression().fit(X, y)
    assert_same_model(round_trip(model, tmp_path), model, X)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("k", [2, 3, 4])
def test_round_trip_classes_and_dtypes(k, dtype, tmp_path):
    X, y = make_data(k=k, dtype=dtype)
    model = LogisticRegression().fit(X, y)
    loaded = round_trip(model, tmp_path)
    assert loaded.coef_.dtype == dtype and loaded.coef_.shape == (1 if k == 2 else k, 4)
    assert_same_model(loaded, model, X)
    # a float model predicts the other dtype's X exactly as it did
    other = X.astype(np.float32 if dtype == np.float64 else np.float64)
    np.testing.assert_array_equal(loaded.predict_proba(other), model.predict_proba(other))


@pytest.mark.parametrize(
    "params",
    [
        {"fit_intercept": False},
        {"l1_ratio": 1.0, "C": 0.05},  # L1: exact zeros (deflated members)
        {"l1_ratio": 0.5, "C": 0.5, "solver": "newton", "random_state": 3},
        {"C": np.inf, "solver": "lbfgs", "tol": 1e-6, "class_weight": {0: 1.0, 1: 2.5}},
        {"class_weight": "balanced", "n_jobs": 1, "max_iter": 50, "verbose": 0},
        {"solver": "gd", "learning_rate": 0.5, "max_iter": 500, "tol": 1e-3},
    ],
    ids=["no-intercept", "l1", "elastic-net", "C-inf-class-weight", "balanced", "gd"],
)
@pytest.mark.parametrize("k", [2, 3])
def test_round_trip_hyperparameters(params, k, tmp_path):
    X, y = make_data(k=k)
    model = LogisticRegression(**params).fit(X, y)
    if params.get("l1_ratio") == 1.0:
        assert (model.coef_ == 0).sum() > model.coef_.size // 2  # the deflated path
    assert_same_model(round_trip(model, tmp_path), model, X)


def test_round_trip_partial_fit_model_continues(tmp_path):
    X, y = make_data(k=3)
    model = LogisticRegression(solver="sgd", random_state=0, n_jobs=1)
    model.partial_fit(X, y, classes=[0, 1, 2])
    loaded = round_trip(model, tmp_path)
    assert_same_model(loaded, model, X)
    loaded.partial_fit(X, y)  # continues from the saved coefficients
    assert not np.array_equal(loaded.coef_, model.coef_)


def test_round_trip_warm_start_from_loaded_model(tmp_path):
    X, y = make_data()
    model = LogisticRegression(tol=1e-8).fit(X, y)
    loaded = round_trip(model, tmp_path).set_params(warm_start=True).fit(X, y)
    assert loaded.n_iter_[0] <= 1  # started at the optimum
    np.testing.assert_allclose(loaded.coef_, model.coef_, rtol=1e-6)


def test_round_trip_dataframe_feature_names(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = make_data(k=3)
    frame = pd.DataFrame(X, columns=["age", "height", "weight", "naïve ünicode"])
    labels = pd.Series(np.array(["low", "mid", "high"])[y])  # pandas strings: object classes_
    model = LogisticRegression().fit(frame, labels)
    loaded = round_trip(model, tmp_path)
    assert loaded.classes_.dtype == object
    assert_same_model(loaded, model, frame)
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(frame.rename(columns={"age": "AGE"}))


@pytest.mark.parametrize(
    "params",
    [
        {"Cs": 3, "cv": 3},
        {"Cs": [0.1, 1.0, 100.0], "l1_ratios": [0.0, 1.0], "cv": 3, "scoring": "neg_log_loss"},
        {"Cs": [0.5, np.inf], "cv": 3, "refit": False, "fit_intercept": False},
    ],
    ids=["l2", "l1-ratios-scoring", "no-refit"],
)
@pytest.mark.parametrize("k", [2, 3])
def test_round_trip_cv(params, k, tmp_path):
    X, y = make_data(n=120, k=k, dtype=np.float32)
    model = LogisticRegressionCV(**params).fit(X, y)
    loaded = round_trip(model, tmp_path)
    assert_same_model(loaded, model, X)
    assert loaded.C_ == model.C_ and loaded.l1_ratio_ == model.l1_ratio_
    np.testing.assert_array_equal(loaded.Cs_, model.Cs_)
    np.testing.assert_array_equal(loaded.l1_ratios_, model.l1_ratios_)
    assert loaded.l1_ratios_.dtype == model.l1_ratios_.dtype
    assert loaded.score(X, y) == model.score(X, y)


def test_libsvm_indexing_round_trip(tmp_path):
    """libsvm_zero_based_ (set by the command line's train on a LIBSVM file) is saved in the
    optional data section and restored; a model without it has no data section."""
    X, y = make_data()
    model = LogisticRegression().fit(X, y)
    path = tmp_path / "m.npz"
    save_model(model, path)
    assert "data" not in json.loads(zipfile.ZipFile(path).read("metadata.json"))
    assert not hasattr(load_model(path), "libsvm_zero_based_")
    for value in (True, False):
        model.libsvm_zero_based_ = value
        assert round_trip(model, tmp_path).libsvm_zero_based_ is value


def test_metadata_records_the_fit(tmp_path):
    X, y = make_data(k=3)
    model = LogisticRegressionCV(Cs=[0.5, 2.0], cv=3).fit(X, y)
    save_model(model, tmp_path / "m.npz")
    with zipfile.ZipFile(tmp_path / "m.npz") as archive:
        assert archive.namelist() == ["metadata.json", "coef.npy", "intercept.npy"]
        meta = json.loads(archive.read("metadata.json"))
    import fastlogreg

    assert meta["format"] == "fastlogreg-model" and meta["format_version"] == 1
    assert meta["library_version"] == fastlogreg.__version__
    assert meta["estimator"] == "LogisticRegressionCV"
    assert meta["params"]["Cs"] == [0.5, 2.0] and meta["params_not_saved"] == []
    assert meta["classes"] == {"dtype": np.dtype(np.int64).str, "values": [0, 1, 2]}
    assert meta["coef_dtype"] == "float64" and meta["coef_shape"] == [3, 4]
    assert meta["training"]["final_loss"] == model.loss_history_[-1]
    assert meta["training"]["solver"] == model.solver_
    assert meta["training"]["converged"] is True  # the fit reached tol (converged_)
    assert load_model(tmp_path / "m.npz").converged_ is True
    assert meta["cv"] == {"C": model.C_, "l1_ratio": 0.0, "Cs": [0.5, 2.0], "l1_ratios": None}


def test_infinite_C_is_encoded_as_strict_json(tmp_path):
    X, y = make_data()
    save_model(LogisticRegression(C=np.inf).fit(X, y), tmp_path / "m.npz")
    text = zipfile.ZipFile(tmp_path / "m.npz").read("metadata.json").decode()
    assert "Infinity" not in text and "NaN" not in text
    assert json.loads(text)["params"]["C"] == {"float": "inf"}


def test_same_model_same_bytes(tmp_path):
    X, y = make_data()
    model = LogisticRegression().fit(X, y)
    save_model(model, tmp_path / "a.npz")
    save_model(model, tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_load_from_file_object(tmp_path):
    X, y = make_data()
    model = LogisticRegression().fit(X, y)
    save_model(model, tmp_path / "m.npz")
    with open(tmp_path / "m.npz", "rb") as file:
        assert_same_model(load_model(file), model, X)
    assert_same_model(load_model(io.BytesIO((tmp_path / "m.npz").read_bytes())), model, X)


# ------------------------------------------------------------- reading without fastlogreg

READER = textwrap.dedent(
    """
    import io, json, sys, zipfile
    sys.modules["fastlogreg"] = None  # importing fastlogreg now fails: not needed to read
    import numpy as np

    out = []
    for path in sys.argv[1:]:
        with np.load(path) as f:
            meta = json.loads(f["metadata.json"])
            coef, intercept = f["coef"], f["intercept"]
        with zipfile.ZipFile(path) as z:  # the same, with zipfile and json
            assert json.loads(z.read("metadata.json")) == meta
            same = np.load(io.BytesIO(z.read("coef.npy")), allow_pickle=False)
            assert np.array_equal(same, coef)
        classes = np.array(meta["classes"]["values"], dtype=meta["classes"]["dtype"])
        X = np.array(meta["X"])
        z = X @ coef.T.astype(np.float64) + intercept
        if len(classes) == 2:
            p1 = 1 / (1 + np.exp(-z[:, 0]))
            proba = np.column_stack([1 - p1, p1])
        else:
            e = np.exp(z - z.max(axis=1, keepdims=True))
            proba = e / e.sum(axis=1, keepdims=True)
        out.append({"proba": proba.tolist(), "labels": classes[proba.argmax(1)].tolist()})
    print(json.dumps(out))
    """
)


def test_read_with_numpy_zipfile_and_json_only(tmp_path):
    paths, models, Xs = [], [], []
    for k, dtype in ((2, np.float64), (3, np.float32)):
        X, y = make_data(k=k, dtype=dtype)
        model = LogisticRegression().fit(X, np.array(["ant", "bee", "cat"])[y])
        path = tmp_path / f"model{k}.npz"
        save_model(model, path)
        # the reader finds X in the file: an extra metadata key the test adds (loading would
        # reject it; this reader ignores what it does not use)
        members = read_members(path)
        meta = json.loads(members["metadata.json"])
        meta["X"] = X.astype(np.float64).tolist()
        members["metadata.json"] = json.dumps(meta).encode()
        write_zip(path, members)
        paths.append(str(path))
        models.append(model)
        Xs.append(X)
    result = subprocess.run(
        [sys.executable, "-c", READER, *paths], capture_output=True, text=True, check=True
    )
    for got, model, X in zip(json.loads(result.stdout), models, Xs, strict=True):
        np.testing.assert_allclose(got["proba"], model.predict_proba(X), rtol=1e-5, atol=1e-6)
        assert got["labels"] == model.predict(X).tolist()


# ------------------------------------------------------------------------------ saving


def test_save_unfitted_model_raises(tmp_path):
    with pytest.raises(NotFittedError):
        save_model(LogisticRegression(), tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


def test_save_rejects_other_estimators(tmp_path):
    class Mine(LogisticRegression):
        pass

    X, y = make_data()
    with pytest.raises(TypeError, match="subclasses"):
        save_model(Mine().fit(X, y), tmp_path / "m.npz")
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    with pytest.raises(TypeError, match="LogisticRegression"):
        save_model(SkLogisticRegression().fit(X, y), tmp_path / "m.npz")


def test_save_rejects_state_the_format_cannot_hold(tmp_path):
    X, y = make_data()
    model = LogisticRegression().fit(X, y)
    model.classes_ = np.array([1, "one"], dtype=object)
    with pytest.raises(ValueError, match=r"mixed or unsupported types.*int, str"):
        save_model(model, tmp_path / "m.npz")
    model.classes_ = np.array([0, 1])
    model.feature_names_in_ = np.array(["a", 2, "c", "d"], dtype=object)
    with pytest.raises(ValueError, match="feature_names_in_ holds names that are not str"):
        save_model(model, tmp_path / "m.npz")
    del model.feature_names_in_
    model.classes_ = np.array([b"a", b"b"])
    with pytest.raises(ValueError, match=r"dtype \|S1"):
        save_model(model, tmp_path / "m.npz")
    assert os.listdir(tmp_path) == []


def test_save_overwrites_atomically(tmp_path):
    X, y = make_data()
    first = LogisticRegression(C=0.1).fit(X, y)
    second = LogisticRegression(C=10.0).fit(X, y)
    path = tmp_path / "m.npz"
    save_model(first, path)
    save_model(second, path)
    assert_same_model(load_model(path), second, X)
    assert os.listdir(tmp_path) == ["m.npz"]  # no temporary file left behind
    # a save that fails leaves the previous file as it was, and no temporary file
    broken = LogisticRegression(C=10.0).fit(X, y)
    broken.coef_ = broken.coef_.copy()
    broken.coef_[0, 1] = np.nan
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"cannot save.*coef.npy holds nan at \[0, 1\]"):
        save_model(broken, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.npz"]


def test_save_fails_cleanly_when_write_fails(tmp_path, monkeypatch):
    X, y = make_data()
    model = LogisticRegression().fit(X, y)
    path = tmp_path / "m.npz"
    save_model(model, path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", crash)
    with pytest.raises(OSError, match="disk full"):
        save_model(LogisticRegression(C=5.0).fit(X, y), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.npz"]


def test_save_into_missing_directory(tmp_path):
    X, y = make_data()
    with pytest.raises(FileNotFoundError, match="no directory"):
        save_model(LogisticRegression().fit(X, y), tmp_path / "absent" / "m.npz")


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_saved_file_mode_follows_umask(tmp_path):
    X, y = make_data()
    save_model(LogisticRegression().fit(X, y), tmp_path / "m.npz")
    (tmp_path / "plain").write_bytes(b"")  # what np.save's open() would create
    assert (tmp_path / "m.npz").stat().st_mode == (tmp_path / "plain").stat().st_mode


def test_hyperparameters_without_json_form_are_recorded_and_warned(tmp_path):
    X, y = make_data(n=120)

    def accuracy(estimator, X, y):
        return float(np.mean(estimator.predict(X) == y))

    model = LogisticRegressionCV(Cs=2, cv=StratifiedKFold(3), scoring=accuracy).fit(X, y)
    with pytest.warns(UserWarning) as record:
        save_model(model, tmp_path / "m.npz")
    messages = [str(w.message) for w in record]
    assert len(messages) == 2
    assert "LogisticRegressionCV.cv is a StratifiedKFold, which has no JSON form" in messages[0]
    assert "scoring is a function" in messages[1] and "default (None)" in messages[1]
    meta = json.loads(zipfile.ZipFile(tmp_path / "m.npz").read("metadata.json"))
    assert meta["params_not_saved"] == ["cv", "scoring"]
    loaded = load_model(tmp_path / "m.npz")
    assert loaded.cv == 5 and loaded.scoring is None  # the defaults
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))

    seeded = LogisticRegression(random_state=np.random.RandomState(0)).fit(X, y)
    with pytest.warns(UserWarning, match="random_state is a RandomState"):
        save_model(seeded, tmp_path / "r.npz")
    assert load_model(tmp_path / "r.npz").random_state is None


# ------------------------------------------------------------- hostile and damaged files


def _saved(tmp_path_factory, d, k):
    """A saved model of k classes on d features: (its bytes, the model, X)."""
    X, y = make_data(n=60, d=d, k=k)
    model = LogisticRegression().fit(X, y)
    path = tmp_path_factory.mktemp("good") / "m.npz"
    save_model(model, path)
    return path.read_bytes(), model, X


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return _saved(tmp_path_factory, d=4, k=3)


@pytest.fixture(scope="module")
def good_binary(tmp_path_factory):
    return _saved(tmp_path_factory, d=3, k=2)


def read_members(path_or_bytes):
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    with zipfile.ZipFile(source) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_zip(path, members, compression=zipfile.ZIP_STORED):
    """members: a dict or a list of (name, bytes); names written as they are."""
    items = members.items() if isinstance(members, dict) else members
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile's "Duplicate name"
        with zipfile.ZipFile(path, "w", compression) as archive:
            for name, data in items:
                archive.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return path


def npy(array, **kwargs):
    buffer = io.BytesIO()
    np.save(buffer, array, **kwargs)
    return buffer.getvalue()


def npy_with_header(header):
    """A version 1.0 .npy with this header text."""
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


def with_metadata(good, tmp_path, edit):
    """The good file with metadata.json edited: edit(meta) changes it in place."""
    members = read_members(good[0])
    meta = json.loads(members["metadata.json"])
    edit(meta)
    members["metadata.json"] = json.dumps(meta).encode()
    return write_zip(tmp_path / "edited.npz", members)


def with_member(good, tmp_path, name, data):
    members = read_members(good[0])
    members[name] = data
    return write_zip(tmp_path / "edited.npz", members)


def refused(path, match):
    with pytest.raises(ModelFileError, match=match) as info:
        load_model(path)
    return str(info.value)


def test_error_message_names_file_problem_and_fix(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a model")
    message = refused(path, "not a readable zip archive")
    assert message.startswith(f"cannot load the model file {str(path)!r}: ")
    assert "save the model again" in message
    assert isinstance(ModelFileError("x"), ValueError)


@pytest.mark.parametrize(
    "content",
    [b"", b"hello, world\n", b"PK\x03\x04" + b"\x00" * 40, npy(np.zeros((1, 4)))],
    ids=["empty", "text", "zip-magic-only", "plain-npy"],
)
def test_not_a_zip(content, tmp_path):
    (tmp_path / "m.npz").write_bytes(content)
    refused(tmp_path / "m.npz", "not a readable zip archive")


def test_missing_file_raises_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "absent.npz")


def test_truncated_at_every_length(good_binary):
    data = good_binary[0]
    for n in range(len(data)):
        with pytest.raises(ModelFileError):
            load_model(io.BytesIO(data[:n]))


def test_every_flipped_byte_is_refused_or_harmless(good_binary):
    """A byte flipped anywhere either makes the file refused, or falls in a part the reader
    does not use (a timestamp, the local header's copy of the CRC): then the model is the
    saved one. No other exception escapes."""
    data, model, _ = good_binary
    refusals = 0
    for i in range(len(data)):
        damaged = bytearray(data)
        damaged[i] ^= 0xFF
        try:
            loaded = load_model(io.BytesIO(bytes(damaged)))
        except ModelFileError:
            refusals += 1
            continue
        np.testing.assert_array_equal(loaded.coef_, model.coef_)
        np.testing.assert_array_equal(loaded.intercept_, model.intercept_)
        np.testing.assert_array_equal(loaded.classes_, model.classes_)
        assert loaded.get_params() == model.get_params()
    assert refusals > 0.7 * len(data)


def test_crc_mismatch(good, tmp_path):
    data = bytearray(good[0])
    # the coefficients' bytes in the stored coef.npy member: the end of its npy data
    offset = data.index(good[1].coef_.tobytes()[:16])
    data[offset + 3] ^= 0x01
    (tmp_path / "m.npz").write_bytes(bytes(data))
    refused(tmp_path / "m.npz", "coef.npy cannot be read .*CRC")


def test_missing_member(good, tmp_path):
    members = read_members(good[0])
    del members["intercept.npy"]
    refused(write_zip(tmp_path / "m.npz", members), "missing intercept.npy")


@pytest.mark.parametrize("name", ["../evil", "/etc/evil", "..\\evil", "a/../../evil", "C:evil"])
def test_member_name_with_path_tricks(good, name, tmp_path):
    members = [*read_members(good[0]).items(), (name, b"owned")]
    message = refused(write_zip(tmp_path / "m.npz", members), "outside the archive")
    assert "do not use it" in message
    assert not (tmp_path.parent / "evil").exists()


@pytest.mark.parametrize("extra", ["notes.txt", "coef.npy"], ids=["extra", "repeated"])
def test_extra_or_repeated_member(good, extra, tmp_path):
    members = [*read_members(good[0]).items(), (extra, npy(np.zeros((3, 4))))]
    refused(write_zip(tmp_path / "m.npz", members), f"unexpected or repeated '{extra}'")


def test_zip_bomb_refused_before_inflating(good, tmp_path):
    # a real bomb: 16 MB of zeros behind a valid npy header, deflated to a few kB
    header = npy(np.zeros((3, 4)))[:128]
    members = read_members(good[0])
    members["coef.npy"] = header + bytes(16 * 2**20)
    path = write_zip(tmp_path / "m.npz", members, zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 100_000
    refused(path, "coef.npy declares 16777344 bytes uncompressed.*shape \\[3, 4\\] float64")


def test_huge_declared_metadata_size_refused(good, tmp_path):
    data = bytearray(good[0])
    # the central directory entry of metadata.json: its uncompressed size at offset 24
    entry = data.index(b"PK\x01\x02")
    assert data[entry + 46 : entry + 46 + 13] == b"metadata.json"
    data[entry + 24 : entry + 28] = struct.pack("<I", 0xFFFF0000)
    (tmp_path / "m.npz").write_bytes(bytes(data))
    refused(tmp_path / "m.npz", "metadata.json declares 4294901760 bytes")


def test_encrypted_member_refused(good, tmp_path):
    data = bytearray(good[0])
    entry = data.index(b"PK\x01\x02")
    data[entry + 8] |= 0x01  # general purpose flag: encrypted
    (tmp_path / "m.npz").write_bytes(bytes(data))
    refused(tmp_path / "m.npz", "metadata.json is encrypted")


def test_unsupported_compression_refused(good, tmp_path):
    path = write_zip(tmp_path / "m.npz", read_members(good[0]), zipfile.ZIP_BZIP2)
    refused(path, "compression method 12")


class _Tripwire:
    """Unpickling this creates a file: if the loader ever unpickled, the file would exist."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_pickled_object_array_refused_never_unpickled(good, tmp_path):
    tripwire = tmp_path / "unpickled"
    payload = np.empty((3, 4), dtype=object)
    payload[:] = _Tripwire(tripwire)
    path = with_member(good, tmp_path, "coef.npy", npy(payload, allow_pickle=True))
    message = refused(path, "coef.npy holds an object \\(pickled\\) array")
    assert "do not use it" in message
    assert not tripwire.exists()


@pytest.mark.parametrize(
    ("member", "array", "match"),
    [
        ("coef.npy", np.zeros((3, 4), dtype=np.int64), "coef.npy has dtype int64"),
        ("coef.npy", np.zeros((3, 4), dtype=np.float32), "coef.npy has dtype float32"),
        ("coef.npy", np.zeros((3, 4), dtype=np.complex128), "coef.npy has dtype complex128"),
        ("coef.npy", np.zeros((4, 3)), "coef.npy has shape \\[4, 3\\].*\\[3, 4\\]"),
        ("coef.npy", np.zeros(12), "coef.npy has shape \\[12\\]"),
        ("intercept.npy", np.zeros(2), "intercept.npy has shape \\[2\\].*\\[3\\]"),
        ("intercept.npy", np.zeros((3, 1)), "intercept.npy has shape \\[3, 1\\]"),
        ("coef.npy", np.zeros(3, dtype=[("a", "<f8"), ("b", "<f8")]), "coef.npy has dtype"),
    ],
)
def test_array_dtype_and_shape_checked(good, member, array, match, tmp_path):
    refused(with_member(good, tmp_path, member, npy(array)), match)


@pytest.mark.parametrize(
    ("member", "index", "value"),
    [("coef.npy", (1, 2), np.nan), ("coef.npy", (0, 0), -np.inf), ("intercept.npy", 2, np.inf)],
)
def test_non_finite_coefficients_refused(good, member, index, value, tmp_path):
    array = (good[1].coef_ if member == "coef.npy" else good[1].intercept_).copy()
    array[index] = value
    where = [int(i) for i in np.atleast_1d(index)]
    match = re.escape(f"holds {value} at {where}")
    refused(with_member(good, tmp_path, member, npy(array)), match)


def test_npy_byte_order_and_fortran_order_accepted(good, tmp_path):
    _, model, X = good
    members = read_members(good[0])
    members["coef.npy"] = npy(model.coef_.astype(">f8"))
    members["intercept.npy"] = npy(np.asfortranarray(model.intercept_))
    members["coef.npy"] = npy(np.asfortranarray(model.coef_.astype(">f8")))
    loaded = load_model(write_zip(tmp_path / "m.npz", members))
    assert loaded.coef_.dtype == np.float64 and loaded.coef_.flags.c_contiguous
    assert_same_model(loaded, model, X)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"not an npy at all", "coef.npy is not a valid .npy array"),
        (npy(np.zeros((3, 4)))[:100], "coef.npy is not a valid .npy array"),
        (npy(np.zeros((3, 4))) + b"\x00" * 8, "coef.npy holds 104 bytes of data.*needs 96"),
        (npy(np.zeros((3, 4)))[:-8], "coef.npy holds 88 bytes of data"),
        (npy_with_header(b"__import__('os').system('x')\n"), "coef.npy is not a valid .npy"),
        (b"\x93NUMPY\x03\x00" + bytes(200), "npy format version \\(3, 0\\)"),
    ],
    ids=["garbage", "cut-header", "trailing-bytes", "short-data", "code-in-header", "version-3"],
)
def test_malformed_npy_refused(good, data, match, tmp_path):
    refused(with_member(good, tmp_path, "coef.npy", data), match)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (b'{"format": "fastlogreg-model", ', "metadata.json is not valid JSON"),
        (b'{"format": NaN}', "metadata.json is not valid JSON.*NaN"),
        (b'{"format": 1e999}', "metadata.json is not valid JSON.*not a finite"),
        (b'{"format": "a", "format": "b"}', "repeats the key 'format'"),
        (b'{"format": "\xff\xfe"}', "metadata.json is not valid JSON"),
        (b"[1, 2, 3]", "metadata.json is a list, not a JSON object"),
        (b"[" * 100_000 + b"]" * 100_000, "metadata.json is not valid JSON"),
    ],
    ids=["cut", "nan", "overflow", "repeated-key", "not-utf8", "not-object", "deep"],
)
def test_malformed_json_refused(good, text, match, tmp_path):
    refused(with_member(good, tmp_path, "metadata.json", text), match)


def test_deeply_nested_value_refused(good, tmp_path):
    # near json.loads' own depth limit: refused by the parser or by the checks after it
    members = read_members(good[0])
    meta = json.loads(members["metadata.json"])
    meta["training"]["n_iter"] = "NESTED"
    text = json.dumps(meta).replace('"NESTED"', "[" * 900 + "1" + "]" * 900)
    refused(with_member(good, tmp_path, "metadata.json", text.encode()), "metadata.json")


def _set(path, value):
    """An edit setting meta[path[0]][path[1]]... = value (deleting it when value is _DELETE)."""

    def edit(meta):
        target = meta
        for key in path[:-1]:
            target = target.setdefault(key, {})  # the optional data section may be absent
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return edit


_DELETE = object()

BAD_METADATA = {
    # the format and its version
    "wrong-format": (("format",), "sklearn-model", "names the format 'sklearn-model'"),
    "no-format": (("format",), _DELETE, "names the format None"),
    "newer-version": (("format_version",), 2, "format_version 2.*upgrade fastlogreg"),
    "version-str": (("format_version",), "1", "format_version must be an integer >= 1"),
    "version-bool": (("format_version",), True, "format_version must be an integer >= 1"),
    "version-zero": (("format_version",), 0, "format_version must be an integer >= 1"),
    "estimator": (("estimator",), "os.system", "estimator must be one of"),
    "estimator-list": (("estimator",), ["LogisticRegression"], "estimator must be one of"),
    "missing-key": (("n_features_in",), _DELETE, "metadata.json lacks n_features_in"),
    "extra-key": (("pickle",), "x", "metadata.json has unknown keys 'pickle'"),
    "library-version": (("library_version",), 1, "library_version must be a str"),
    # shapes and dtypes
    "n-features-str": (("n_features_in",), "4", "n_features_in must be an integer >= 1"),
    "n-features-zero": (("n_features_in",), 0, "n_features_in must be an integer >= 1"),
    "n-features-other": (("n_features_in",), 5, "coef_shape is \\[3, 4\\].*make it \\[3, 5\\]"),
    "coef-shape": (("coef_shape",), [1, 4], "coef_shape is \\[1, 4\\].*\\[3, 4\\]"),
    "intercept-shape": (("intercept_shape",), [3, 1], "intercept_shape is \\[3, 1\\]"),
    "coef-dtype": (("coef_dtype",), "int64", "coef_dtype must be 'float32' or 'float64'"),
    "coef-dtype-list": (("coef_dtype",), ["float64"], "coef_dtype must be"),
    "coef-dtype-other": (("coef_dtype",), "float32", "coef.npy has dtype float64.*float32"),
    "names-length": (("feature_names_in",), ["a", "b", "c"], "has 3 names for 4 features"),
    "names-type": (("feature_names_in",), ["a", "b", "c", 4], "null or a list of str"),
    "names-repeated": (("feature_names_in",), ["a", "b", "a", "c"], r"repeats the names \[.a.\]"),
    # classes
    "one-class": (("classes", "values"), [0], "classes has 1 label\\(s\\)"),
    "duplicate": (("classes", "values"), [0, 1, 1], "unique and sorted"),
    "unsorted": (("classes", "values"), [0, 2, 1], "unique and sorted"),
    "four-classes": (("classes", "values"), [0, 1, 2, 3], "coef_shape is \\[3, 4\\].*\\[4, 4\\]"),
    "class-type": (("classes", "values"), [0, 1, "2"], "holds '2', which is not a <i8 label"),
    "class-bool": (("classes", "values"), [0, 1, True], "holds True"),
    "class-float": (("classes", "values"), [0, 1, 2.0], "holds 2.0"),
    "class-overflow": (("classes", "values"), [0, 1, 2**70], "do not fit dtype <i8"),
    "class-dtype": (("classes", "dtype"), "|V8", "classes.dtype is '\\|V8'"),
    "class-dtype-code": (("classes", "dtype"), "__import__('os')", "classes.dtype is"),
    "class-dtype-f16": (("classes", "dtype"), "<f16", "classes.dtype is '<f16'"),
    "class-extra": (("classes", "pickle"), 1, "classes has unknown keys 'pickle'"),
    "classes-not-list": (("classes", "values"), "012", "classes.values must be a list"),
    "classes-object-no-type": (("classes", "dtype"), "|O", "classes lacks element_type"),
    # training summary
    "n-iter-negative": (("training", "n_iter"), [-1], "training.n_iter must be"),
    "n-iter-float": (("training", "n_iter"), [1.5], "training.n_iter must be"),
    "n-iter-shape": (("training", "n_iter"), [1, 2], "training.n_iter of a LogisticRegression"),
    "loss-history": (("training", "loss_history"), ["a"], "loss_history must be a list of"),
    "final-loss": (("training", "final_loss"), 1.0, "final_loss is 1.0, but loss_history"),
    "converged": (("training", "converged"), "yes", "training.converged must be"),
    "solver": (("training", "solver"), 3, "training.solver must be a str"),
    "training-extra": (("training", "extra"), 1, "training has unknown keys 'extra'"),
    # the optional data section
    "zero-based-str": (("data", "libsvm_zero_based"), "yes", "libsvm_zero_based must be true"),
    "zero-based-int": (("data", "libsvm_zero_based"), 0, "libsvm_zero_based must be true"),
    "data-extra": (("data", "pickle"), 1, "data lacks libsvm_zero_based and has unknown keys"),
    # hyperparameters
    "C-negative": (("params", "C"), -1.0, "rejects the saved hyperparameters: C"),
    "C-nan": (("params", "C"), {"float": "nan"}, "rejects the saved hyperparameters"),
    "C-encoded-bad": (("params", "C"), {"float": "1e999"}, "params.C holds"),
    "C-object": (("params", "C"), {"py/object": "os.system"}, "none of this format's JSON"),
    "solver-bogus": (("params", "solver"), "bogus", "rejects the saved hyperparameters: solver"),
    "l1-lbfgs": (("params", "l1_ratio"), 1.0, "solver='lbfgs' does not support l1_ratio"),
    "max-iter": (("params", "max_iter"), "100", "max_iter must be an integer"),
    "fit-intercept": (("params", "fit_intercept"), 1, "fit_intercept must be True or False"),
    "random-state": (("params", "random_state"), -1, "random_state must be null or an integer"),
    "random-state-str": (("params", "random_state"), "x", "random_state must be null or an"),
    "n-jobs": (("params", "n_jobs"), 1.5, "params.n_jobs must be null or an integer"),
    "class-weight": (("params", "class_weight"), "all", "params.class_weight must be"),
    "class-weight-repeated": (
        ("params", "class_weight"),
        {"dict": [[0, 1.0], [0, 2.0]]},
        "params.class_weight holds",
    ),
    "class-weight-values": (
        ("params", "class_weight"),
        {"dict": [[0, "heavy"]]},
        "params.class_weight must be",
    ),
    "unknown-param": (("params", "alpha"), 1.0, "params has unknown keys 'alpha'"),
    "missing-param": (("params", "tol"), _DELETE, "params lacks tol"),
    "not-saved-unknown": (("params_not_saved",), ["alpha"], "params_not_saved must be a list"),
    "not-saved-with-value": (("params_not_saved",), ["C"], "params.C is listed as not saved"),
}


@pytest.mark.parametrize("case", sorted(BAD_METADATA))
def test_bad_metadata_refused(good, case, tmp_path):
    path, value, match = BAD_METADATA[case]
    edit = _set(path, value)
    if case == "l1-lbfgs":
        edit = _set(
            ("params",),
            {
                **json.loads(read_members(good[0])["metadata.json"])["params"],
                "solver": "lbfgs",
                "l1_ratio": 1.0,
            },
        )
    message = refused(with_metadata(good, tmp_path, edit), match)
    assert message.startswith("cannot load the model file ")


def test_classes_exactness_checked(good_binary, tmp_path):
    cases = [
        ({"dtype": "<f4", "values": [0.1, 1.0]}, "not exactly representable as <f4"),
        ({"dtype": "<U1", "values": ["a", "bb"]}, "not exactly representable as <U1"),
        ({"dtype": "<U2", "values": ["a", "a\x00"]}, "not exactly representable as <U2"),
        ({"dtype": "|u1", "values": [0, 300]}, "do not fit dtype \\|u1"),
        ({"dtype": "|u1", "values": [-1, 0]}, "do not fit dtype \\|u1"),
        ({"dtype": "<f8", "values": [0.0, {"float": "nan"}]}, "unique and sorted"),
        ({"dtype": "|O", "values": ["a", 1], "element_type": "str"}, "holds 1"),
        ({"dtype": "|O", "values": ["a", "b"], "element_type": "bytes"}, "element_type must"),
        ({"dtype": "<i8", "values": [0, 1], "element_type": "int"}, "unknown keys"),
    ]
    for classes, match in cases:
        path = with_metadata(good_binary, tmp_path, _set(("classes",), classes))
        refused(path, match)


def test_cv_metadata_checked(tmp_path):
    X, y = make_data(n=90)
    model = LogisticRegressionCV(Cs=[0.5, 2.0], cv=3).fit(X, y)
    save_model(model, tmp_path / "cv.npz")
    saved = ((tmp_path / "cv.npz").read_bytes(), model, X)
    cases = [
        (("cv", "C"), -1.0, "cv.C must be a number > 0"),
        (("cv", "l1_ratio"), 2.0, "cv.l1_ratio must be a number in \\[0, 1\\]"),
        (("cv", "Cs"), [], "cv.Cs must be a non-empty list"),
        (("cv", "Cs"), [1.0, 2.0, 3.0], "training.n_iter has shape \\[3, 1, 2\\]"),
        (("cv", "l1_ratios"), [0.5, "x"], "cv.l1_ratios must be null or"),
        (("cv",), _DELETE, "metadata.json lacks cv"),
        (("params", "cv"), 1, "params.cv must be null or an integer >= 2"),
        (("params", "scoring"), "no-such-metric", "rejects the saved hyperparameters"),
        (("params", "Cs"), [0.0], "rejects the saved hyperparameters: Cs"),
        (("params", "solver"), "sgd", "rejects the saved hyperparameters: solver"),
    ]
    for path, value, match in cases:
        refused(with_metadata(saved, tmp_path, _set(path, value)), match)
    # a LogisticRegression file never holds the cv section
    refused(
        with_metadata(saved, tmp_path, _set(("estimator",), "LogisticRegression")),
        "metadata.json has unknown keys 'cv'",
    )
