"""Bad input: a clear ValueError/TypeError naming the problem and the fix, raised before any
state changes, with the caller's arrays untouched."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import small_problem

from fastlogreg import LogisticRegression


def _good():
    X, y = small_problem(n=50, d=3)
    return X, y, np.ones(50)


def _with(X=None, y=None, w=None, at=None, value=None, target="X"):
    X0, y0, w0 = _good()
    X, y, w = (X0 if X is None else X), (y0 if y is None else y), w
    arrays = {"X": X, "y": y, "w": w0 if w is None else w}
    if at is not None:
        arrays[target] = arrays[target].copy()
        arrays[target][at] = value
    return arrays["X"], arrays["y"], (arrays["w"] if target == "w" or w is not None else None)


FIT_CASES = [
    (
        "nan-in-X",
        *_with(at=(17, 2), value=np.nan),
        ValueError,
        r"X contains NaN in column 2 \(row 17\).*impute",
    ),
    (
        "inf-in-X",
        *_with(at=(3, 0), value=np.inf),
        ValueError,
        r"X contains infinity in column 0 \(row 3\)",
    ),
    (
        "nan-in-y",
        *_with(at=5, value=np.nan, target="y"),
        ValueError,
        r"y contains nan at index 5.*drop",
    ),
    (
        "nan-in-weight",
        *_with(at=4, value=np.nan, target="w"),
        ValueError,
        r"sample_weight contains nan at index 4",
    ),
    (
        "negative-weight",
        *_with(at=9, value=-1.0, target="w"),
        ValueError,
        r"negative value -1.0 at index 9",
    ),
    ("zero-weights", _good()[0], _good()[1], np.zeros(50), ValueError, r"zero for every row"),
    ("X-1d", _good()[0][:, 0], _good()[1], None, ValueError, r"(?s)Expected 2D array.*reshape"),
    ("X-3d", _good()[0][:, :, None], _good()[1], None, ValueError, r"dim 3"),
    (
        "length-mismatch",
        _good()[0],
        _good()[1][:40],
        None,
        ValueError,
        r"inconsistent numbers of samples",
    ),
    (
        "weight-length",
        _good()[0],
        _good()[1],
        np.ones(49),
        ValueError,
        r"sample_weight has shape \(49,\); expected \(50,\)",
    ),
    ("empty-X", np.empty((0, 3)), np.empty(0), None, ValueError, r"0 sample"),
    ("zero-features", np.empty((50, 0)), _good()[1], None, ValueError, r"0 feature"),
    ("one-class", _good()[0], np.ones(50), None, ValueError, r"only one class"),
    (
        "class-of-zero-weights",
        _good()[0],
        np.arange(50) % 3,
        np.where(np.arange(50) % 3 == 2, 0.0, 1.0),
        ValueError,
        r"class 2 has only rows of weight 0",
    ),
    (
        "binary-class-of-zero-weights",
        _good()[0],
        np.array(["a", "b"] * 25),
        np.array([1.0, 0.0] * 25),
        ValueError,
        r"class 'b' has only rows of weight 0",
    ),
    (
        "text-X",
        np.array([["a", "b"]] * 4),
        np.array([0, 1, 0, 1]),
        None,
        ValueError,
        r"must be numeric",
    ),
    (
        "continuous-y",
        _good()[0],
        np.linspace(0, 1, 50),
        None,
        ValueError,
        r"Unknown label type: continuous \(y holds numbers such as 0\.02\d* that are not whole\)",
    ),
    (
        "sparse-X-NaN",
        sp.csr_matrix(np.where(np.arange(150).reshape(50, 3) == 10, np.nan, _good()[0])),
        _good()[1],
        None,
        ValueError,
        r"NaN in column 1 \(row 3\)",
    ),
    (
        "sparse-X-complex",
        sp.csr_matrix(np.full((4, 2), 1j)),
        np.array([0, 1, 0, 1]),
        None,
        TypeError,
        r"must be numeric",
    ),
    (
        "sparse-sample-weight",
        _good()[0],
        _good()[1],
        sp.csr_matrix(np.ones((1, 50))),
        TypeError,
        r"sample_weight is a scipy.sparse matrix of shape \(1, 50\); pass one weight per row",
    ),
    (
        "sparse-y",
        _good()[0],
        sp.csr_matrix(_good()[1].reshape(-1, 1)),
        None,
        TypeError,
        r"y is a scipy.sparse matrix of shape \(50, 1\); pass the class labels",
    ),
]


@pytest.mark.parametrize(
    ("name", "X", "y", "w", "error", "match"), FIT_CASES, ids=[c[0] for c in FIT_CASES]
)
def test_bad_fit_input_raises_before_any_state_changes(name, X, y, w, error, match):
    model = LogisticRegression(max_iter=1000).fit(*_good()[:2])
    state = pickle.dumps(model)
    snapshot = pickle.dumps((X, y, w))
    with pytest.raises(error, match=match):
        model.fit(X, y, sample_weight=w)
    assert pickle.dumps(model) == state  # the previous fit is intact
    assert pickle.dumps((X, y, w)) == snapshot  # the caller's data is untouched


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"C": 0}, r"C must be a positive number"),
        ({"C": -1.0}, r"C must be a positive number"),
        ({"C": np.nan}, r"C must be a positive number"),
        ({"learning_rate": 0.0}, r"learning_rate must be 'auto' or a positive"),
        ({"learning_rate": -0.1}, r"learning_rate must be 'auto' or a positive"),
        ({"learning_rate": "fast"}, r"learning_rate must be 'auto'"),
        ({"max_iter": 0}, r"max_iter must be an integer >= 1"),
        ({"tol": -1.0}, r"tol must be a number >= 0"),
        ({"solver": "newton-cholesky"}, r"solver must be one of"),
        ({"n_jobs": 0}, r"n_jobs=0"),
    ],
)
def test_bad_parameters(params, match):
    X, y, _ = _good()
    model = LogisticRegression(**params)
    with pytest.raises(ValueError, match=match):
        model.fit(X, y)
    assert not hasattr(model, "coef_")


def test_predict_with_wrong_feature_count_or_nan():
    X, y, _ = _good()
    model = LogisticRegression().fit(X, y)
    with pytest.raises(
        ValueError, match=r"X has 2 features, but LogisticRegression is expecting 3"
    ):
        model.predict(X[:, :2])
    bad = X.copy()
    bad[7, 1] = np.nan
    with pytest.raises(ValueError, match=r"X contains NaN in column 1 \(row 7\)"):
        model.predict_proba(bad)


def test_warm_start_with_other_features_explains_the_fix():
    X, y, _ = _good()
    model = LogisticRegression(warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match=r"warm_start.*Set warm_start=False"):
        model.fit(X[:, :2], y)
    assert model.coef_.shape == (1, 3)


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "gd", "sgd"])
@pytest.mark.parametrize("magnitude", [1e160, 1e300])
def test_values_whose_squares_overflow_are_rejected_with_a_hint(magnitude, solver):
    X, y, _ = _good()
    with pytest.raises(ValueError, match=r"overflow float64.*rescale X"):
        LogisticRegression(solver=solver).fit(X * magnitude, y)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize(
    ("solver", "l1_ratio"),
    [(s, 0.0) for s in ("newton", "lbfgs", "gd", "sgd")] + [("newton", 0.5), ("sgd", 0.5)],
)
@pytest.mark.parametrize("huge", [1e200, 1e308])
def test_one_row_whose_square_overflows_is_rejected_by_every_solver(
    huge, solver, n_classes, l1_ratio
):
    # issue 8, kind 5: sgd returned an exactly-zero model for this input, without an error;
    # issue 9: multinomial newton and proximal Newton ran to max_iter with RuntimeWarnings
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 3))
    y = (X[:, 0] > 0).astype(int) + (n_classes == 3) * (X[:, 1] > 0.5)
    X[5] = huge
    model = LogisticRegression(solver=solver, l1_ratio=l1_ratio)
    with pytest.raises(ValueError, match=r"overflow float64 \(largest \|x\| = 1e\+(200|308)\)"):
        model.fit(X, y)
    assert not hasattr(model, "coef_")


@pytest.mark.parametrize(
    ("class_weight", "match"),
    [
        ({0.0: -1.0, 1.0: 1.0}, r"class_weight gives class 0.0 the weight -1.0; class weights"),
        ({0.0: np.nan, 1.0: 1.0}, r"class_weight gives class 0.0 the weight nan; class weights"),
        ({0.0: 0.0, 1.0: 0.0}, r"zero for every row"),
    ],
)
def test_bad_class_weights(class_weight, match):
    X, y, _ = _good()
    with pytest.raises(ValueError, match=match):
        LogisticRegression(class_weight=class_weight).fit(X, y)


def test_weights_that_overflow_their_sum():
    X, y, _ = _good()
    with pytest.raises(ValueError, match=r"sums to infinity"):
        LogisticRegression().fit(X, y, sample_weight=np.full(50, 1e307))


def test_all_zero_X_without_intercept_or_penalty_is_a_valid_flat_problem():
    X, y, _ = _good()
    model = LogisticRegression(fit_intercept=False, C=np.inf).fit(np.zeros_like(X), y)
    assert np.all(model.coef_ == 0.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"C": 0}, r"C must be a positive"), ({"C": -1.0}, r"C must be a positive")],
)
def test_check_gradient_validates_its_arguments(kwargs, match):
    import fastlogreg

    X, y, _ = _good()
    with pytest.raises(ValueError, match=match):
        fastlogreg.check_gradient(X, y, np.zeros(3), **kwargs)
    with pytest.raises(
        ValueError, match=r"coef has shape \(2,\) but y has 2 classes and X 3 features"
    ):
        fastlogreg.check_gradient(X, y, np.zeros(2))


@pytest.mark.parametrize("solver", ["gd", "lbfgs", "newton"])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("n", [50, 40_000])  # the serial and the parallel build of the pass
def test_nonfinite_x_is_found_by_every_solver_even_in_a_zero_weight_row(solver, value, n):
    # no separate scan: the solver's first pass over X detects it, so it must not be masked
    # by a zero weight (0 * NaN is NaN) or by a zero coefficient (0 * inf is NaN)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((n, 4)), np.arange(n) % 2
    X[n - 3, 2] = value
    w = np.ones(n)
    w[n - 3] = 0.0
    kind = "NaN" if np.isnan(value) else "infinity"
    with pytest.raises(ValueError, match=rf"X contains {kind} in column 2 \(row {n - 3}\)"):
        LogisticRegression(solver=solver).fit(X, y, sample_weight=w)


@pytest.mark.parametrize("name", ["fit_intercept", "warm_start"])
def test_boolean_parameters_must_be_booleans(name):
    # found by a new user: fit_intercept='no' was accepted and fitted an intercept
    X, y, _ = _good()
    model = LogisticRegression(**{name: "no"})
    with pytest.raises(ValueError, match=f"{name} must be True or False, got 'no'"):
        model.fit(X, y)
    assert not hasattr(model, "coef_")


def test_weights_too_small_to_divide_by_say_so():
    X, y, _ = _good()
    with pytest.raises(ValueError, match=r"weights sum to .*rescale sample_weight"):
        LogisticRegression().fit(X, y, sample_weight=np.full(X.shape[0], 1e-320))


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "gd"])
def test_partial_fit_is_absent_for_batch_solvers(solver):
    model = LogisticRegression(solver=solver)
    assert not hasattr(model, "partial_fit")
    with pytest.raises(AttributeError, match=r"has no attribute 'partial_fit'") as raised:
        model.partial_fit(np.zeros((4, 2)), np.array([0, 1, 0, 1]), classes=[0, 1])
    # the reason travels with it (scikit-learn's available_if chains it)
    assert "it needs solver='sgd' or 'auto'" in str(raised.value.__cause__)
    assert hasattr(LogisticRegression(solver="sgd"), "partial_fit")


@pytest.mark.parametrize(
    ("class_weight", "match"),
    [
        ("bal", r"class_weight must be None, 'balanced' or a dict"),
        ([1, 2], r"class_weight must be None, 'balanced' or a dict"),
        ({0.0: "2", 1.0: 1}, r"gives class 0.0 the weight '2'; class weights must be numbers"),
        ({0.0: None}, r"gives class 0.0 the weight None; class weights must be numbers"),
        ({0.0: 1 + 2j}, r"the weight \(1\+2j\); class weights must be numbers"),
        # a model file holds numbers only: True would fit, then not save (helper 21)
        ({0.0: True, 1.0: True}, r"the weight True; class weights must be numbers"),
        ({0.0: np.True_}, r"the weight (np\.)?True_?; class weights must be numbers"),
    ],
)
def test_class_weight_values_are_checked_before_the_fit_in_both_estimators(class_weight, match):
    """LogisticRegression and LogisticRegressionCV refuse the same class_weight values with
    the same messages (CV had fitted {0: '2'} as 2 and named compute_class_weight)."""
    from fastlogreg import LogisticRegressionCV

    X, y, _ = _good()
    for model in (LogisticRegression(), LogisticRegressionCV(Cs=2, cv=2)):
        fitted = model.fit(X, y)
        coef = fitted.coef_.copy()
        with pytest.raises(ValueError, match=match):
            fitted.set_params(class_weight=class_weight).fit(X, y)
        np.testing.assert_array_equal(fitted.coef_, coef)
