"""Model files: `save_model` and `load_model`, a versioned format readable without fastlogreg.

A model file is one ZIP archive in numpy's .npz layout holding exactly three members, and no
pickle anywhere:

    metadata.json   UTF-8 JSON (below)
    coef.npy        coef_, shape (K, n_features), float32 or float64, np.save format
    intercept.npy   intercept_, shape (K,), the same dtype

K is 1 for two classes (the score is that of classes[1]) and the number of classes above.
metadata.json (format_version 1) holds:

    format            "fastlogreg-model"
    format_version    1
    library_version   fastlogreg.__version__ of the writer
    estimator         "LogisticRegression" or "LogisticRegressionCV"
    params            every hyperparameter of get_params(), as JSON (encodings below)
    params_not_saved  names of hyperparameters with no JSON form (a CV splitter, a scorer
                      callable, a RandomState): recorded as null, restored at their defaults
    classes           {"dtype": numpy dtype string, "values": [...]}, and "element_type"
                      ("str", "int", "float" or "bool") when dtype is "|O"
    n_features_in, feature_names_in (a list of str, or null), coef_dtype ("float32" or
    "float64"), coef_shape [K, n_features], intercept_shape [K]
    training          {"solver", "n_iter" (n_iter_ as nested lists), "loss_history",
                      "final_loss" (loss_history[-1], or null), "converged" (converged_:
                      whether the solver reached tol; null when not recorded)}
    data              optional: {"libsvm_zero_based": true or false}, written for a model
                      trained on a LIBSVM file by the command line (libsvm_zero_based_), so
                      that predict reads new files with the training file's indexing
    cv                LogisticRegressionCV only: {"C", "l1_ratio", "Cs", "l1_ratios" (null when
                      the l1_ratios parameter was None)}

JSON has no infinity or NaN, so a non-finite float (C=inf) is written {"float": "inf"} ("-inf",
"nan"); a dict (class_weight, whose keys are class labels) is {"dict": [[key, value], ...]};
tuples and arrays are lists. No other JSON object appears as a value.

Reading a model file with numpy, zipfile and json only (no fastlogreg)::

    import io, json, zipfile
    import numpy as np

    with np.load("model.npz") as f:  # np.load never unpickles unless told to
        meta = json.loads(f["metadata.json"])  # a non-.npy member comes back as bytes
        coef, intercept = f["coef"], f["intercept"]
    # or: with zipfile.ZipFile("model.npz") as z:
    #         meta = json.loads(z.read("metadata.json"))
    #         coef = np.load(io.BytesIO(z.read("coef.npy")), allow_pickle=False)
    classes = np.array(meta["classes"]["values"], dtype=meta["classes"]["dtype"])
    scores = X @ coef.T + intercept  # (n_samples, K)
    # two classes: P(classes[1]) = 1 / (1 + exp(-scores[:, 0])); more: softmax of each row

The arrays are stored uncompressed (np.savez's layout) unless most coefficients are exact zeros
(L1 fits), then deflated: float bits barely compress (3.6% saved on 8 MB of dense coefficients,
for 0.22 s of deflate), while a sparse L1 fit of hashed text shrinks about 80-fold. Every zip
reader handles both.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import numbers
import os
import re
import secrets
import warnings
import zipfile
import zlib

import numpy as np

__all__ = ["ModelFileError", "load_model", "save_model"]

FORMAT_NAME = "fastlogreg-model"
FORMAT_VERSION = 1
METADATA, COEF, INTERCEPT = "metadata.json", "coef.npy", "intercept.npy"
MEMBERS = (METADATA, COEF, INTERCEPT)
# metadata.json is read before any shape is known; feature names of a million columns fit
MAX_METADATA_BYTES = 64 * 2**20
# np.save writes a 128-byte header for these arrays; numpy itself refuses headers over 10,000
MAX_NPY_HEADER_BYTES = 16 * 2**10
COEF_DTYPES = {"float32": np.dtype(np.float32), "float64": np.dtype(np.float64)}
# dtypes of classes_ that JSON holds exactly: bools, integers, floats up to 64 bits, str, object
CLASS_DTYPE = re.compile(r"[<>|=]?(b1|[iu][1248]|f[248]|U[0-9]{1,9}|O)")
# the element types of an object classes_ ("|O") a model file holds
ELEMENT_TYPES = ("bool", "float", "int", "str")
# hyperparameters saved only as these types (None included); other values are objects (a CV
# splitter or a list of splits, a scorer callable, a RandomState), recorded as not saved
SCALAR_ONLY = {
    "cv": (type(None), numbers.Integral),
    "scoring": (type(None), str),
    "random_state": (type(None), numbers.Integral),
}
# a zip's timestamps carry no information here; fixed, the same model gives the same bytes
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

DAMAGED = "the file is damaged or was altered: save the model again, or restore it from a copy"
NOT_A_MODEL = (
    "it is not a fastlogreg model file: load files written by fastlogreg's save_model "
    "(model.save(path))"
)
CRAFTED = "the file was crafted or altered: do not use it"
NOT_A_ZIP = (
    "if it is a fastlogreg model file, it is truncated or damaged: save the model again, or "
    "restore it from a copy"
)


class ModelFileError(ValueError):
    """A file that is not a valid fastlogreg model file: not a zip, damaged, altered, or
    written by a newer fastlogreg. The message says what is wrong and what to do."""


class _Problem(Exception):
    """What is wrong with a file (or a model being saved), and the fix; load_model turns it
    into a ModelFileError naming the file."""

    def __init__(self, problem, fix=DAMAGED):
        super().__init__(problem)
        self.problem, self.fix = problem, fix


class _NoJSON(Exception):
    """A hyperparameter value with no JSON form."""


def save_model(model, path):
    """Save a fitted LogisticRegression or LogisticRegressionCV to `path` (str or path-like).

    Writes the model file format of this module's docstring: one ZIP archive (numpy's .npz
    layout, no pickle) holding metadata.json, coef.npy and intercept.npy, readable with numpy,
    zipfile and json alone. An existing file at `path` is replaced, as np.save does, but
    atomically: the archive is written to a temporary file in the same directory, flushed to
    disk, then renamed over `path`, so a crash leaves the old file or the new one, never half
    a model. No suffix is added to `path` (".npz" lets np.load users recognise it).

    Everything is checked before anything is written, with the checks load_model makes: what
    save_model writes, load_model reads back, and predict, predict_proba and
    decision_function of the loaded model are bit-identical to this model's.

    Hyperparameters with no JSON form (a CV splitter object, a scorer callable, a
    RandomState) are recorded as not saved, with a UserWarning: the loaded model has their
    defaults, which its predictions do not depend on (fitting it again, and
    LogisticRegressionCV.score for a scorer, do).

    Raises sklearn.exceptions.NotFittedError for an unfitted model; TypeError for anything
    but a LogisticRegression or LogisticRegressionCV (subclasses included: load_model could
    not rebuild them); ValueError for fitted state the format cannot hold exactly (classes_
    of mixed types, bytes or numpy StringDType labels, non-finite coefficients); OSError from
    the file system (the directory must exist).
    """
    from sklearn.utils.validation import check_is_fitted

    estimators = _estimators()
    name = type(model).__name__
    if estimators.get(name) is not type(model):
        raise TypeError(
            f"save_model saves fastlogreg's LogisticRegression and LogisticRegressionCV, got "
            f"{type(model).__module__}.{name}: subclasses and other estimators cannot be "
            "rebuilt by load_model"
        )
    check_is_fitted(model)
    meta, not_saved = _metadata(model, name)
    coef = np.ascontiguousarray(model.coef_)
    intercept = np.ascontiguousarray(model.intercept_)
    try:
        # the JSON as load_model will read it, through load_model's own checks
        text = json.dumps(meta, indent=1, allow_nan=False)
        _check_metadata(_parse_json(text.encode("utf-8")))
        for member, array, shape in (
            (COEF, coef, meta["coef_shape"]),
            (INTERCEPT, intercept, meta["intercept_shape"]),
        ):
            _check_array(member, array, tuple(shape), COEF_DTYPES[meta["coef_dtype"]])
    except _Problem as problem:
        raise ValueError(f"cannot save this {name}: {problem.problem}") from None
    for param in not_saved:
        default = type(model)().get_params()[param]
        warnings.warn(
            f"{name}.{param} is a {type(getattr(model, param)).__name__}, which has no JSON "
            f"form: the model file records it as not saved and load_model sets it to its "
            f"default ({default!r}). Predictions do not depend on it; fitting the loaded "
            "model again does (and, for scoring, its score).",
            UserWarning,
            stacklevel=2,
        )

    def write(file):
        with zipfile.ZipFile(file, "w") as archive:
            info = _zip_info(METADATA, zipfile.ZIP_DEFLATED)  # text: deflates well
            archive.writestr(info, text.encode("utf-8"))
            for member, array in ((COEF, coef), (INTERCEPT, intercept)):
                mostly_zeros = np.count_nonzero(array) <= array.size // 2
                info = _zip_info(member, zipfile.ZIP_DEFLATED if mostly_zeros else 0)
                # streamed into the archive, as np.savez does (hence zip64: size unknown)
                with archive.open(info, "w", force_zip64=True) as out:
                    np.lib.format.write_array(out, array, allow_pickle=False)

    _write_atomically(path, write)


def load_model(path):
    """Load a model file written by save_model: a fitted LogisticRegression or
    LogisticRegressionCV whose predict, predict_proba and decision_function are bit-identical
    to the saved model's.

    `path` is a str, a path-like or a binary file object open for reading. The file is read in
    memory, member by exact name; nothing is extracted to disk, unpickled or executed. Every
    part is checked before the model is built: the archive (a zip, undamaged: CRC-checked,
    exactly the three members, none encrypted or compressed other than stored or deflated),
    each member's declared size against the size its shape in metadata.json needs (a zip bomb
    is refused before it is inflated), the JSON (the format name, format_version at most 1,
    every key and type, the hyperparameters by the estimator's own checks), classes (sorted,
    unique, at least two, of a supported dtype), feature names (one per feature) and the
    arrays (float32 or float64 as metadata.json says, shapes (K, n_features) and (K,), finite).

    Fitted attributes set: classes_, coef_, intercept_, n_features_in_, feature_names_in_ (if
    saved), n_iter_, loss_history_, solver_; for LogisticRegressionCV also Cs_, l1_ratios_,
    C_ and l1_ratio_ (scores_ and coefs_paths_ are not saved). Hyperparameters listed as not
    saved get their defaults. A warm start or partial_fit continues from the saved
    coefficients (partial_fit's SGD step schedule and running average start afresh: they are
    not saved).

    Raises ModelFileError (a ValueError) for anything wrong with the file, its message saying
    what and what to do (a newer format_version: upgrade fastlogreg); OSError when the file
    cannot be opened (FileNotFoundError for a missing path).
    """
    where = _describe(path)
    with contextlib.ExitStack() as stack:
        file = path
        if not (hasattr(path, "read") and hasattr(path, "seek")):
            file = stack.enter_context(open(path, "rb"))  # OSError propagates as it is
        try:
            return _load(file)
        except _Problem as problem:
            raise ModelFileError(
                f"cannot load the model file {where}: {problem.problem}; {problem.fix}"
            ) from problem.__cause__


# ----------------------------------------------------------------------------- saving


def _estimators():
    from .cv import LogisticRegressionCV
    from .estimator import LogisticRegression

    return {"LogisticRegression": LogisticRegression, "LogisticRegressionCV": LogisticRegressionCV}


def _metadata(model, name):
    """metadata.json's content for a fitted model (JSON values), and the names of the
    hyperparameters without a JSON form."""
    from . import __version__  # lazily: persist is imported by the package's __init__

    params, not_saved = {}, []
    for param, value in model.get_params(deep=False).items():
        try:
            if param in SCALAR_ONLY and not isinstance(value, SCALAR_ONLY[param]):
                raise _NoJSON(type(value).__name__)  # a splitter, a list of splits, a callable
            params[param] = _to_json(value)
        except _NoJSON:
            params[param] = None
            not_saved.append(param)
    coef = model.coef_
    history = np.asarray(model.loss_history_, dtype=np.float64).ravel()
    names = getattr(model, "feature_names_in_", None)
    if names is not None and not all(isinstance(n, str) for n in names):
        raise ValueError(
            f"cannot save this {name}: its feature_names_in_ holds names that are not str; a "
            "model file holds str feature names only (as scikit-learn records them)"
        )
    meta = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "library_version": str(__version__),
        "estimator": name,
        "params": params,
        "params_not_saved": not_saved,
        "classes": _classes_to_json(model.classes_, name),
        "n_features_in": int(model.n_features_in_),
        "feature_names_in": None if names is None else [str(n) for n in names],
        "coef_dtype": coef.dtype.name,
        "coef_shape": [int(n) for n in np.shape(coef)],
        "intercept_shape": [int(n) for n in np.shape(model.intercept_)],
        "training": {
            "solver": str(model.solver_),
            "n_iter": np.asarray(model.n_iter_).tolist(),
            "loss_history": [_to_json(v) for v in history],
            "final_loss": _to_json(history[-1]) if history.size else None,
            # converged_: whether the solver reached tol (None from a model without it)
            "converged": _to_json(getattr(model, "converged_", None)),
        },
    }
    zero_based = getattr(model, "libsvm_zero_based_", None)
    if zero_based is not None:
        meta["data"] = {"libsvm_zero_based": bool(zero_based)}
    if name == "LogisticRegressionCV":
        l1_ratios = np.asarray(model.l1_ratios_)
        meta["cv"] = {
            "C": _to_json(model.C_),
            "l1_ratio": _to_json(model.l1_ratio_),
            "Cs": _to_json(np.asarray(model.Cs_, dtype=np.float64)),
            # [None] when the l1_ratios parameter is None, as scikit-learn
            "l1_ratios": None
            if l1_ratios.dtype == object and all(v is None for v in l1_ratios)
            else _to_json(l1_ratios.astype(np.float64)),
        }
    return meta, not_saved


def _to_json(value):
    """A value as JSON: None, bools, ints, strs and finite floats as themselves; non-finite
    floats as {"float": "inf"}; lists, tuples and 1-D arrays as lists; dicts as
    {"dict": [[key, value], ...]}. _NoJSON for anything else."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)  # np.str_ as str
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if math.isfinite(value) else {"float": repr(value)}  # inf, -inf, nan
    if isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {"dict": [[_to_json(k), _to_json(v)] for k, v in value.items()]}
    raise _NoJSON(type(value).__name__)


def _classes_to_json(classes, name):
    """classes_ as {"dtype", "values"[, "element_type"]}; ValueError for labels the format
    cannot hold exactly."""
    classes = np.asarray(classes)
    dtype = classes.dtype
    entry = {"dtype": dtype.str, "values": None}
    if dtype.kind == "O":
        kinds = {_element_type(v) for v in classes}
        if len(kinds) != 1 or None in kinds:
            found = sorted({type(v).__name__ for v in classes})
            raise ValueError(
                f"cannot save this {name}: its classes_ is an object array of mixed or "
                f"unsupported types ({', '.join(found)}); a model file holds labels of one "
                "type (str, int, float or bool): fit on labels of one type, e.g. "
                "y.astype(str)"
            )
        entry["element_type"] = kinds.pop()
    elif not CLASS_DTYPE.fullmatch(dtype.str):
        raise ValueError(
            f"cannot save this {name}: its classes_ has dtype {dtype}, which a model file "
            "cannot hold exactly (it holds bool, integer, float up to 64 bits, str and object "
            "arrays of one of those): fit on labels converted to one of these, e.g. "
            "y.astype(str)"
        )
    entry["values"] = [_to_json(v) for v in classes]
    return entry


def _element_type(value):
    for kind, types in (
        ("bool", (bool, np.bool_)),
        ("str", (str,)),
        ("int", (numbers.Integral,)),
        ("float", (numbers.Real,)),
    ):
        if isinstance(value, types):
            return kind
    return None


def _zip_info(name, compress_type):
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = compress_type
    info.external_attr = 0o644 << 16  # rw-r--r-- for unzip, as a file it extracts
    return info


def _write_atomically(path, write):
    """write(file) into a new temporary file beside `path`, fsync it, rename it to `path`."""
    path = os.fsdecode(os.fspath(path))
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):  # said here, rather than about the temporary file's name
        raise FileNotFoundError(f"cannot save the model to {path!r}: no directory {directory!r}")
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    # os.open applies the umask to 0o666, as np.save's open() would (mkstemp would force 0o600)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = os.open(temporary, flags, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    # the rename itself survives a crash once the directory is synced (POSIX only)
    with contextlib.suppress(OSError):
        directory_descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(directory_descriptor)
        finally:
            os.close(directory_descriptor)


# ---------------------------------------------------------------------------- loading


def _describe(path):
    if hasattr(path, "read"):
        name = getattr(path, "name", None)
        return repr(name) if isinstance(name, str) else "(file object)"
    return repr(os.fsdecode(os.fspath(path)))


def _load(file):
    try:
        archive = zipfile.ZipFile(file)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,  # a zip feature version above what zipfile reads
    ) as err:
        # a truncated file loses its central directory (at the end) first
        raise _Problem(f"it is not a readable zip archive ({err})", NOT_A_ZIP) from err
    with archive:
        infos = _check_members(archive)
        meta = _parse_json(_read_member(archive, infos[METADATA], MAX_METADATA_BYTES))
        try:
            spec = _check_metadata(meta)
        except RecursionError as err:  # lists nested nearly as deep as json.loads allows
            raise _Problem(f"{METADATA} nests lists too deeply") from err
        dtype = COEF_DTYPES[spec["coef_dtype"]]
        arrays = {}
        for member, shape in ((COEF, spec["coef_shape"]), (INTERCEPT, spec["intercept_shape"])):
            limit = MAX_NPY_HEADER_BYTES + math.prod(shape) * dtype.itemsize
            data = _read_member(archive, infos[member], limit, shape, dtype)
            arrays[member] = _check_array(member, _parse_npy(member, data), shape, dtype)
    return _build(spec, arrays[COEF], arrays[INTERCEPT])


def _check_members(archive):
    """The archive's entries by name: exactly the three members, each once, not encrypted,
    stored or deflated."""
    infos = archive.infolist()
    names = [info.filename for info in infos]
    for name in names:
        if name not in MEMBERS and (
            ".." in name or name.startswith(("/", "\\")) or "\\" in name or ":" in name
        ):
            raise _Problem(
                f"it holds a member named {_show(name)}, a path reaching outside the archive "
                f"(a model file holds exactly {', '.join(MEMBERS)})",
                CRAFTED,
            )
    if sorted(names) != sorted(MEMBERS):
        missing = [m for m in MEMBERS if m not in names]
        extra = sorted({n for n in names if n not in MEMBERS or names.count(n) > 1})
        detail = "; ".join(
            part
            for part in (
                missing and f"missing {', '.join(missing)}",
                extra and f"unexpected or repeated {', '.join(_show(n) for n in extra)}",
            )
            if part
        )
        raise _Problem(
            f"its members are {', '.join(_show(n) for n in names) or 'none'} ({detail}); a "
            f"model file holds exactly {', '.join(MEMBERS)}",
            f"{NOT_A_MODEL}, or {DAMAGED}",
        )
    for info in infos:
        if info.flag_bits & 0x1:
            raise _Problem(f"its member {info.filename} is encrypted", NOT_A_MODEL)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _Problem(
                f"its member {info.filename} uses zip compression method "
                f"{info.compress_type} (a model file is stored or deflated only)",
                NOT_A_MODEL,
            )
    return {info.filename: info for info in infos}


def _read_member(archive, info, limit, shape=None, dtype=None):
    """The member's bytes, read in memory (CRC-checked by zipfile) after its declared size is
    checked against `limit`; at most limit + 1 bytes are ever inflated."""
    if info.file_size > limit:
        needs = (
            f"at most {MAX_METADATA_BYTES} bytes"
            if shape is None
            else f"at most {limit} bytes for shape {list(shape)} {dtype.name} in metadata.json"
        )
        raise _Problem(
            f"its member {info.filename} declares {info.file_size} bytes uncompressed, but "
            f"needs {needs} (a zip bomb, or a damaged archive)",
            CRAFTED,
        )
    try:
        with archive.open(info) as member:
            data = member.read(limit + 1)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        RuntimeError,  # zipfile's password errors
        NotImplementedError,
    ) as err:
        raise _Problem(f"its member {info.filename} cannot be read ({err})") from err
    if len(data) > limit:  # more than declared: zipfile stops at the declared size, but check
        raise _Problem(f"its member {info.filename} inflates past its declared size", CRAFTED)
    return data


def _parse_json(data):
    """metadata.json as Python values; strict: UTF-8, no NaN or infinity (nor numbers that
    overflow to it), no repeated keys."""

    def finite(text):
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(f"the number {text[:30]} is not a finite float64")
        return value

    def reject_constant(text):
        raise ValueError(f"{text} is not JSON (a non-finite float is written {{'float': ...}})")

    def unique_keys(pairs):
        keys = [key for key, _ in pairs]
        if len(set(keys)) != len(keys):
            raise ValueError(f"an object repeats the key {_show(_first_repeat(keys))}")
        return dict(pairs)

    try:
        return json.loads(
            data.decode("utf-8"),
            parse_float=finite,
            parse_constant=reject_constant,
            object_pairs_hook=unique_keys,
        )
    except (ValueError, RecursionError) as err:  # JSONDecodeError, UnicodeDecodeError: ValueError
        raise _Problem(f"{METADATA} is not valid JSON ({_show(str(err), 200)})") from err


def _first_repeat(items):
    seen = set()
    for item in items:
        if item in seen:
            return item
        seen.add(item)
    return None


def _check_metadata(meta):
    """Every field of metadata.json checked and decoded into the values _build needs."""
    if not isinstance(meta, dict):
        raise _Problem(f"{METADATA} is {_kind(meta)}, not a JSON object", NOT_A_MODEL)
    if meta.get("format") != FORMAT_NAME:
        raise _Problem(
            f"{METADATA} names the format {_show(meta.get('format'))}, not {FORMAT_NAME!r}",
            NOT_A_MODEL,
        )
    version = meta.get("format_version")
    _expect(_is_int(version) and version >= 1, "format_version", "an integer >= 1", version)
    if version > FORMAT_VERSION:
        raise _Problem(
            f"it has format_version {version}, written by fastlogreg "
            f"{_show(meta.get('library_version'))}; this fastlogreg reads format_version "
            f"{FORMAT_VERSION} and older",
            "upgrade fastlogreg to load it (pip install --upgrade fastlogreg)",
        )
    estimators = _estimators()
    name = meta.get("estimator")
    if not isinstance(name, str) or name not in estimators:
        raise _Problem(
            f"estimator must be one of {sorted(estimators)}, got {_show(name)}", NOT_A_MODEL
        )
    cls = estimators[name]
    keys = {
        "format",
        "format_version",
        "library_version",
        "estimator",
        "params",
        "params_not_saved",
        "classes",
        "n_features_in",
        "feature_names_in",
        "coef_dtype",
        "coef_shape",
        "intercept_shape",
        "training",
    }
    optional = {"data"} & meta.keys() if isinstance(meta, dict) else set()
    keys |= optional | ({"cv"} if name == "LogisticRegressionCV" else set())
    _check_keys(meta, keys, METADATA)
    version = meta["library_version"]
    _expect(isinstance(version, str), "library_version", "a str", version)

    classes = _check_classes(meta["classes"])
    d = meta["n_features_in"]
    _expect(_is_int(d) and d >= 1, "n_features_in", "an integer >= 1", d)
    names = meta["feature_names_in"]
    if names is not None:
        ok = isinstance(names, list) and all(isinstance(n, str) for n in names)
        _expect(ok, "feature_names_in", "null or a list of str", names)
        if len(names) != d:
            raise _Problem(f"feature_names_in has {len(names)} names for {d} features")
        if len(set(names)) != d:  # fit refuses repeated column names; so does this format
            repeated = sorted({n for n in names if names.count(n) > 1})
            raise _Problem(f"feature_names_in repeats the names {repeated[:5]}")
    ok = isinstance(meta["coef_dtype"], str) and meta["coef_dtype"] in COEF_DTYPES
    _expect(ok, "coef_dtype", "'float32' or 'float64'", meta["coef_dtype"])
    n_outputs = 1 if classes.shape[0] == 2 else classes.shape[0]
    for key, shape in (("coef_shape", [n_outputs, d]), ("intercept_shape", [n_outputs])):
        if meta[key] != shape:
            raise _Problem(
                f"{key} is {_show(meta[key])}, but {classes.shape[0]} classes and {d} "
                f"features make it {shape} (K = 1 for two classes, else the number of classes)"
            )
    spec = {
        "cls": cls,
        "params": _check_params(cls, meta["params"], meta["params_not_saved"]),
        "classes": classes,
        "n_features": d,
        "feature_names": names,
        "coef_dtype": meta["coef_dtype"],
        "coef_shape": (n_outputs, d),
        "intercept_shape": (n_outputs,),
    }
    spec.update(_check_training(meta["training"]))
    spec["libsvm_zero_based"] = None
    if "data" in meta:
        _check_keys(meta["data"], {"libsvm_zero_based"}, "data")
        zero_based = meta["data"]["libsvm_zero_based"]
        _expect(isinstance(zero_based, bool), "data.libsvm_zero_based", "true or false", zero_based)
        spec["libsvm_zero_based"] = zero_based
    if name == "LogisticRegressionCV":
        spec.update(_check_cv(meta["cv"], spec["n_iter"]))
    elif spec["n_iter"].shape != (1,):
        raise _Problem(f"training.n_iter of a {name} is [n], got {_show(spec['n_iter'].tolist())}")
    return spec


def _check_keys(obj, keys, where):
    if not isinstance(obj, dict):
        raise _Problem(f"{where} must be a JSON object, got {_kind(obj)}")
    missing, extra = sorted(keys - obj.keys()), sorted(obj.keys() - keys)
    if missing or extra:
        parts = [f"lacks {', '.join(missing)}"] if missing else []
        parts += [f"has unknown keys {', '.join(_show(k) for k in extra)}"] if extra else []
        raise _Problem(f"{where} {' and '.join(parts)}")


def _check_classes(entry):
    """classes_ from {"dtype", "values"[, "element_type"]}: exactly the saved labels, sorted
    and unique, at least two."""
    is_object = isinstance(entry, dict) and entry.get("dtype") in ("|O", "O")
    keys = {"dtype", "values"} | ({"element_type"} if is_object else set())
    _check_keys(entry, keys, "classes")
    dtype_str, values = entry["dtype"], entry["values"]
    if not isinstance(dtype_str, str) or not CLASS_DTYPE.fullmatch(dtype_str):
        raise _Problem(
            f"classes.dtype is {_show(dtype_str)}; a model file's classes are bool, integer, "
            "float (up to 64 bits), str ('<U...') or object ('|O') arrays"
        )
    dtype = np.dtype(dtype_str)
    kind = entry["element_type"] if is_object else dtype.kind
    if is_object and (not isinstance(kind, str) or kind not in ELEMENT_TYPES):
        raise _Problem(
            f"classes.element_type must be one of {list(ELEMENT_TYPES)}, got {_show(kind)}"
        )
    _expect(isinstance(values, list), "classes.values", "a list", values)
    if len(values) < 2:
        raise _Problem(f"classes has {len(values)} label(s); a fitted model has at least 2")
    decoded = [_class_value(v, kind) for v in values]
    if any(v is None for v in decoded):
        bad = values[[v is None for v in decoded].index(True)]
        raise _Problem(f"classes.values holds {_show(bad)}, which is not a {dtype_str} label")
    if is_object:
        classes = np.empty(len(decoded), dtype=object)
        classes[:] = decoded
    else:
        try:
            with np.errstate(over="ignore"):  # a float beyond float32: caught just below
                classes = np.array(decoded, dtype=dtype)
        except (OverflowError, ValueError) as err:  # an integer beyond the dtype
            raise _Problem(f"classes.values do not fit dtype {dtype_str} ({err})") from err
        # exact: no float rounded, no string truncated (nor its trailing NULs dropped)
        if dtype.kind == "f":
            exact = np.array_equal(classes.astype(np.float64), decoded, equal_nan=True)
        else:
            exact = classes.tolist() == decoded
        if not exact:
            raise _Problem(f"classes.values are not exactly representable as {dtype_str}")
    if not bool(np.all(classes[1:] > classes[:-1])):
        raise _Problem(
            f"classes must be unique and sorted (as np.unique returns them), got {_show(values)}"
        )
    return classes


def _class_value(value, kind):
    """One label from JSON for a dtype kind ('b', 'i', 'u', 'f', 'U') or element type; None
    if it is not one."""
    if kind in ("b", "bool"):
        return value if isinstance(value, bool) else None
    if kind in ("i", "u", "int"):
        return value if _is_int(value) else None
    if kind in ("f", "float"):
        return _decode_float(value)
    return value if isinstance(value, str) else None


def _check_params(cls, params, not_saved):
    """The hyperparameters decoded: exactly the estimator's, accepted by its own checks."""
    defaults = cls().get_params(deep=False)
    _check_keys(params, set(defaults), "params")
    ok = isinstance(not_saved, list) and all(
        isinstance(p, str) and p in defaults for p in not_saved
    )
    _expect(ok, "params_not_saved", "a list of hyperparameter names", not_saved)
    decoded = {}
    for name, value in params.items():
        if name in not_saved:
            if value is not None:
                raise _Problem(f"params.{name} is listed as not saved but holds a value")
            decoded[name] = defaults[name]
        else:
            decoded[name] = _from_json(value, f"params.{name}")
    # the ones the estimators check only at fit, or never
    for name, types in SCALAR_ONLY.items():
        if name in decoded and not isinstance(decoded[name], types):
            what = "a str" if types[1] is str else "an integer"
            raise _Problem(f"params.{name} must be null or {what}, got {_show(params[name])}")
    n_jobs, seed, weights = decoded["n_jobs"], decoded["random_state"], decoded["class_weight"]
    _expect(n_jobs is None or _is_int(n_jobs), "params.n_jobs", "null or an integer", n_jobs)
    ok = seed is None or (_is_int(seed) and 0 <= seed < 2**32)
    _expect(ok, "params.random_state", "null or an integer in [0, 2**32)", seed)
    ok = weights is None or weights == "balanced" or isinstance(weights, dict)
    if isinstance(weights, dict):
        ok = all(_decode_float(w) is not None and w >= 0 for w in weights.values())
    _expect(
        ok, "params.class_weight", "null, 'balanced' or a dict of labels to numbers >= 0", weights
    )
    model = cls(**decoded)
    try:
        if cls.__name__ == "LogisticRegressionCV":
            model._check_cv_params()
            cv, scoring = decoded["cv"], decoded["scoring"]
            _expect(cv is None or cv >= 2, "params.cv", "null or an integer >= 2", cv)
            if scoring is not None:
                from sklearn.metrics import get_scorer

                get_scorer(scoring)  # ValueError for a name scikit-learn does not know
        else:
            model._check_params()
    except (ValueError, TypeError) as err:
        raise _Problem(f"{cls.__name__} rejects the saved hyperparameters: {err}") from err
    return decoded


def _check_training(training):
    keys = {"solver", "n_iter", "loss_history", "final_loss", "converged"}
    _check_keys(training, keys, "training")
    _expect(isinstance(training["solver"], str), "training.solver", "a str", training["solver"])
    history = training["loss_history"]
    losses = [_decode_float(v) for v in history] if isinstance(history, list) else [None]
    _expect(None not in losses, "training.loss_history", "a list of numbers", history)
    final = training["final_loss"]
    value = None if final is None else _decode_float(final)
    if (final is not None and value is None) or not _same_float(
        value, losses[-1] if losses else None
    ):
        raise _Problem(
            f"training.final_loss is {_show(final)}, but loss_history ends with "
            f"{_show(history[-1] if history else None)}"
        )
    converged = training["converged"]
    ok = converged is None or isinstance(converged, bool)
    _expect(ok, "training.converged", "null, true or false", converged)
    n_iter = _int_array(training["n_iter"])
    if n_iter is None:
        raise _Problem(
            f"training.n_iter must be an integer >= 0 in nested lists of one shape, got "
            f"{_show(training['n_iter'])}"
        )
    return {
        "solver": training["solver"],
        "n_iter": n_iter,
        "loss_history": np.array(losses, dtype=np.float64),
        "converged": converged,
    }


def _int_array(value):
    """An int32 array of nested lists of integers in [0, 2**31), or None."""

    def leaves(v):
        if isinstance(v, list):
            return all(leaves(item) for item in v)
        return _is_int(v) and 0 <= v < 2**31

    if not isinstance(value, list) or not leaves(value):
        return None
    try:
        array = np.array(value, dtype=np.int32)
    except ValueError:  # ragged, or nested past numpy's 64 dimensions
        return None
    return array if array.size else None


def _check_cv(cv, n_iter):
    _check_keys(cv, {"C", "l1_ratio", "Cs", "l1_ratios"}, "cv")
    C, l1_ratio = _decode_float(cv["C"]), _decode_float(cv["l1_ratio"])
    _expect(C is not None and C > 0, "cv.C", "a number > 0", cv["C"])
    ok = l1_ratio is not None and 0 <= l1_ratio <= 1
    _expect(ok, "cv.l1_ratio", "a number in [0, 1]", cv["l1_ratio"])
    Cs = [_decode_float(v) for v in cv["Cs"]] if isinstance(cv["Cs"], list) else []
    ok = bool(Cs) and all(v is not None and v > 0 for v in Cs)
    _expect(ok, "cv.Cs", "a non-empty list of numbers > 0", cv["Cs"])
    if cv["l1_ratios"] is None:
        l1_ratios = np.asarray([None])  # scikit-learn's l1_ratios_ when l1_ratios is None
    else:
        values = cv["l1_ratios"]
        ratios = [_decode_float(v) for v in values] if isinstance(values, list) else []
        ok = bool(ratios) and all(v is not None and 0 <= v <= 1 for v in ratios)
        _expect(ok, "cv.l1_ratios", "null or a non-empty list of numbers in [0, 1]", values)
        l1_ratios = np.array(ratios, dtype=np.float64)
    if n_iter.ndim != 3 or n_iter.shape[1:] != (l1_ratios.shape[0], len(Cs)):
        raise _Problem(
            f"training.n_iter has shape {list(n_iter.shape)}; LogisticRegressionCV's is "
            f"[n_folds, {l1_ratios.shape[0]}, {len(Cs)}] (folds, l1_ratios, Cs)"
        )
    return {
        "C": C,
        "l1_ratio": l1_ratio,
        "Cs": np.array(Cs, dtype=np.float64),
        "l1_ratios": l1_ratios,
    }


def _parse_npy(member, data):
    """(shape, fortran_order, dtype, body bytes) of a .npy member, from numpy's header parser
    (ast.literal_eval, never pickle); the data is not read here."""
    fp = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"npy format version {version}; np.save writes 1.0 and 2.0")
    # numpy's parser raises assorted types on hostile headers (literal_eval, dtype())
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError, KeyError) as err:
        raise _Problem(
            f"its member {member} is not a valid .npy array ({_show(str(err))})"
        ) from err
    return shape, fortran_order, dtype, data[fp.tell() :]


def _check_array(member, array, shape, dtype):
    """The member's array, as a new C-ordered native-endian array of `dtype`, after checking
    dtype, shape, size and finiteness. `array` is an ndarray (saving) or _parse_npy's tuple."""
    if isinstance(array, np.ndarray):
        got_shape, fortran_order, got_dtype, body = array.shape, False, array.dtype, None
    else:
        got_shape, fortran_order, got_dtype, body = array
    if got_dtype.hasobject:
        raise _Problem(
            f"{member} holds an object (pickled) array; a model file holds float arrays only, "
            "and fastlogreg never unpickles",
            CRAFTED,
        )
    if got_dtype.kind != "f" or got_dtype.itemsize != dtype.itemsize:
        raise _Problem(f"{member} has dtype {got_dtype}, but coef_dtype says {dtype.name}")
    if tuple(got_shape) != tuple(shape):
        raise _Problem(
            f"{member} has shape {list(got_shape)}, but metadata.json's shapes make it "
            f"{list(shape)}"
        )
    if body is not None:
        if len(body) != math.prod(shape) * dtype.itemsize:
            raise _Problem(
                f"{member} holds {len(body)} bytes of data, but shape {list(shape)} "
                f"{dtype.name} needs {math.prod(shape) * dtype.itemsize}"
            )
        array = np.frombuffer(body, dtype=got_dtype).reshape(
            shape, order="F" if fortran_order else "C"
        )
    array = np.array(array, dtype=dtype, order="C")  # a copy, native byte order, writable
    bad = np.flatnonzero(~np.isfinite(array.ravel()))
    if bad.size:
        index = np.unravel_index(int(bad[0]), array.shape)
        raise _Problem(
            f"{member} holds {array[index]} at {list(map(int, index))}; coefficients must be finite"
        )
    return array


def _build(spec, coef, intercept):
    """The fitted estimator, from checked parts only."""
    model = spec["cls"](**spec["params"])
    model.classes_ = spec["classes"]
    model.coef_ = coef
    model.intercept_ = intercept
    model.n_features_in_ = spec["n_features"]
    if spec["feature_names"] is not None:
        model.feature_names_in_ = np.asarray(spec["feature_names"], dtype=object)
    model.n_iter_ = spec["n_iter"]
    model.loss_history_ = spec["loss_history"]
    model.solver_ = spec["solver"]
    if spec["converged"] is not None:
        model.converged_ = spec["converged"]
    if spec["libsvm_zero_based"] is not None:
        model.libsvm_zero_based_ = spec["libsvm_zero_based"]
    if "Cs" in spec:
        model.Cs_ = spec["Cs"]
        model.l1_ratios_ = spec["l1_ratios"]
        model.C_ = spec["C"]
        model.l1_ratio_ = spec["l1_ratio"]
    return model


# ----------------------------------------------------------------------------- helpers


def _from_json(value, where):
    """The inverse of _to_json."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_from_json(v, where) for v in value]
    if isinstance(value, dict) and value.keys() == {"float"}:
        if value["float"] in ("inf", "-inf", "nan"):
            return float(value["float"])
    elif isinstance(value, dict) and value.keys() == {"dict"} and isinstance(value["dict"], list):
        pairs = value["dict"]
        if all(isinstance(p, list) and len(p) == 2 for p in pairs):
            keys = [_from_json(k, where) for k, _ in pairs]
            scalars = all(k is None or isinstance(k, (bool, int, float, str)) for k in keys)
            if scalars and len(set(keys)) == len(keys):
                return {k: _from_json(v, where) for k, (_, v) in zip(keys, pairs, strict=True)}
    raise _Problem(
        f"{where} holds {_show(value)}, which is none of this format's JSON encodings "
        '(a JSON scalar, a list, {"float": "inf"|"-inf"|"nan"} or {"dict": [[key, value], ...]})'
    )


def _decode_float(value):
    """A JSON number or {"float": ...} as a float; None for anything else."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:  # an integer beyond float64
            return None
    if isinstance(value, dict) and value.keys() == {"float"}:
        if value["float"] in ("inf", "-inf", "nan"):
            return float(value["float"])
    return None


def _same_float(a, b):
    if a is None or b is None:
        return a is b
    return a == b or (math.isnan(a) and math.isnan(b))


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _expect(ok, where, what, value):
    if not ok:
        raise _Problem(f"{where} must be {what}, got {_show(value)}")


def _kind(value):
    return {dict: "a JSON object", list: "a list", str: "a string"}.get(
        type(value), "null" if value is None else f"a {type(value).__name__}"
    )


def _show(value, limit=80):
    """repr(value), cut to `limit` characters: hostile files can hold long values."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
