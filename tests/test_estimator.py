"""LogisticRegression as a scikit-learn estimator: labels, dtypes, layouts, threads, API."""

import os
import pickle
import subprocess
import sys
import warnings

import numba
import numpy as np
import pandas as pd
import pytest
from conftest import small_problem
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

import fastlogreg
from fastlogreg import LogisticRegression


def _fit(X, y, **params):
    return LogisticRegression(tol=1e-6, max_iter=5000, **params).fit(X, y)


# The checks fit default models (max_iter=100) on unscaled random data: not converging there is
# expected and is not what these checks are about.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_check_estimator_passes():
    # On sparse X the default solver is truncated Newton, whose conjugate gradients on this
    # check's ill-conditioned 15-row, 3-class problem take different paths under rounding
    # (directions 5e-6 apart from inputs 1e-17 apart): the weighted and the repeated fits both
    # stop within tol, 7e-6 from the optimum in their probabilities and 1.7e-7 from each
    # other, where the check wants 1e-7 relative (dense X: lbfgs, a deterministic path)
    expected = {"check_sample_weight_equivalence_on_sparse_data": "truncated Newton's CG rounding"}
    check_estimator(LogisticRegression(), expected_failed_checks=expected)


@pytest.mark.parametrize(
    "labels",
    [np.array([3, 7]), np.array([-1, 1]), np.array(["cat", "dog"]), np.array([False, True])],
    ids=["ints", "minus-one-one", "strings", "bools"],
)
def test_any_two_labels(labels):
    X, y01 = small_problem()
    y = labels[y01.astype(int)]
    model = _fit(X, y)
    np.testing.assert_array_equal(model.classes_, np.sort(labels))
    reference = _fit(X, y01)
    np.testing.assert_allclose(model.coef_, reference.coef_)
    assert set(model.predict(X)) <= set(labels)
    assert model.score(X, y) == reference.score(X, y01)


def test_fitted_attributes_and_prediction_shapes():
    X, y = small_problem(n=120, d=4)
    model = _fit(X, y)
    assert model.coef_.shape == (1, 4) and model.intercept_.shape == (1,)
    assert model.n_features_in_ == 4 and model.n_iter_.shape == (1,)
    assert model.loss_history_.shape == (model.n_iter_[0],)
    proba = model.predict_proba(X)
    assert proba.shape == (120, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(proba), rtol=1e-10)
    z = model.decision_function(X)
    assert z.shape == (120,)
    np.testing.assert_allclose(z, X @ model.coef_[0] + model.intercept_[0], rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), (z > 0).astype(float))
    assert not hasattr(model, "feature_names_in_")


def test_no_intercept():
    X, y = small_problem()
    model = _fit(X, y, fit_intercept=False)
    assert model.intercept_[0] == 0.0


def test_float32_stays_float32():
    X, y = small_problem(dtype=np.float32)
    model = _fit(X, y)
    assert model.coef_.dtype == np.float32 and model.intercept_.dtype == np.float32
    assert model.decision_function(X).dtype == np.float32
    model64 = _fit(X.astype(np.float64), y)
    np.testing.assert_allclose(model.coef_, model64.coef_, rtol=1e-5)


@pytest.fixture
def objective_inputs(monkeypatch):
    """The X arrays that fit hands to the objective (and so to the kernels)."""
    seen = []
    original = fastlogreg.estimator.LogisticObjective

    def spy(X_used, *args, **kwargs):
        seen.append(X_used)
        return original(X_used, *args, **kwargs)

    monkeypatch.setattr(fastlogreg.estimator, "LogisticObjective", spy)
    return seen


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_c_contiguous_input_is_not_copied(objective_inputs, dtype):
    X, y = small_problem(dtype=dtype)
    seen = objective_inputs
    LogisticRegression().fit(X, y)
    assert seen[0] is X or np.shares_memory(seen[0], X)
    assert seen[0].dtype == dtype


def _layouts():
    X, _ = small_problem(n=150, d=5)
    readonly = X.copy()
    readonly.setflags(write=False)
    strided = np.zeros((150, 10))
    strided[:, ::2] = X
    yield "F-order", np.asfortranarray(X)
    yield "strided", strided[:, ::2]
    yield "readonly", readonly
    yield "list", X.tolist()
    yield "DataFrame", pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    yield "int", np.round(X * 10).astype(np.int64)


@pytest.mark.parametrize(("name", "X"), list(_layouts()), ids=[n for n, _ in _layouts()])
def test_other_layouts_are_converted_once_and_give_the_same_model(name, X):
    _, y = small_problem(n=150, d=5)
    before = pickle.dumps(X)
    model = _fit(X, y)
    reference = _fit(np.ascontiguousarray(np.asarray(X, dtype=np.float64)), y)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-12)
    assert pickle.dumps(X) == before  # the caller's data is untouched
    if name == "DataFrame":
        np.testing.assert_array_equal(model.feature_names_in_, X.columns)


def test_memory_mapped_input_is_used_in_place(tmp_path, objective_inputs):
    X, y = small_problem()
    path = tmp_path / "X.npy"
    np.save(path, X)
    mapped = np.load(path, mmap_mode="r")
    model = _fit(mapped, y)
    assert np.shares_memory(objective_inputs[0], mapped)
    np.testing.assert_allclose(model.coef_, _fit(X, y).coef_, rtol=1e-12)


def test_n_jobs_sets_threads_for_the_call_and_restores_them():
    X, y = small_problem(n=20000, d=5)
    before = numba.get_num_threads()
    seen = []
    original = fastlogreg.estimator.gradient_descent

    def spy(*args, **kwargs):
        seen.append(numba.get_num_threads())
        return original(*args, **kwargs)

    fastlogreg.estimator.gradient_descent = spy
    try:
        LogisticRegression(solver="gd", n_jobs=1).fit(X, y)
    finally:
        fastlogreg.estimator.gradient_descent = original
    assert seen == [1]
    assert numba.get_num_threads() == before


def test_thread_count_is_restored_when_the_fit_raises(monkeypatch):
    X, y = small_problem()
    before = numba.get_num_threads()

    def failing(*args, **kwargs):
        assert numba.get_num_threads() == 1
        raise RuntimeError("solver failed")

    monkeypatch.setattr(fastlogreg.estimator, "gradient_descent", failing)
    with pytest.raises(RuntimeError, match="solver failed"):
        LogisticRegression(solver="gd", n_jobs=1).fit(X, y)
    assert numba.get_num_threads() == before


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_fits_with_fixed_n_jobs_are_bit_identical(n_jobs):
    X, y = small_problem(n=30000, d=12)  # large enough for the parallel kernels
    first = LogisticRegression(n_jobs=n_jobs, tol=1e-6, max_iter=500).fit(X, y)
    second = LogisticRegression(n_jobs=n_jobs, tol=1e-6, max_iter=500).fit(X, y)
    assert first.coef_.tobytes() == second.coef_.tobytes()
    assert first.loss_history_.tobytes() == second.loss_history_.tobytes()


def test_one_and_two_threads_agree():
    X, y = small_problem(n=30000, d=12)
    one = LogisticRegression(n_jobs=1, tol=1e-8, max_iter=5000).fit(X, y)
    two = LogisticRegression(n_jobs=2, tol=1e-8, max_iter=5000).fit(X, y)
    np.testing.assert_allclose(one.coef_, two.coef_, rtol=1e-6, atol=1e-9)


def test_class_weight_balanced_equals_explicit_weights():
    X, y = small_problem()
    balanced = _fit(X, y, class_weight="balanced")
    n1 = y.sum()
    n0 = len(y) - n1
    explicit = _fit(X, y, class_weight={0.0: len(y) / (2 * n0), 1.0: len(y) / (2 * n1)})
    np.testing.assert_allclose(balanced.coef_, explicit.coef_, rtol=1e-12)


def test_sample_weight_equals_repeated_rows():
    X, y = small_problem(n=60, d=3)
    s = np.arange(60) % 3
    weighted = LogisticRegression(tol=1e-10, max_iter=10000).fit(X, y, sample_weight=s)
    repeated = LogisticRegression(tol=1e-10, max_iter=10000).fit(
        np.repeat(X, s, axis=0), np.repeat(y, s)
    )
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-6)


def test_pickle_clone_pipeline_and_grid_search():
    X, y = small_problem()
    model = _fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    params = clone(model).get_params()
    assert params["tol"] == 1e-6 and not hasattr(clone(model), "coef_")
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
    assert pipe.score(X, y) > 0.5
    search = GridSearchCV(LogisticRegression(max_iter=1000), {"C": [0.1, 1.0]}, cv=3).fit(X, y)
    assert search.best_params_["C"] in (0.1, 1.0)


def test_warmup_compiles_every_kernel_for_both_dtypes_and_read_only_input():
    from fastlogreg.kernels import dense, multinomial, sgd, sgd_multinomial

    assert fastlogreg.warmup() >= 0.0
    for kernel in (
        multinomial.loss_gradient,
        multinomial.decision_scores,
        sgd_multinomial.sgd_multinomial_epoch,
        sgd.sgd_epoch,
        dense.loss_gradient,
        dense.gd_epoch,
        dense.gd_epoch_serial,
        dense.decision_scores,
        dense.weighted_sq_norm_sum,
        dense.first_nonfinite_row,
    ):
        X_types = {sig[0] for sig in kernel.signatures}
        assert {(t.dtype.name, t.mutable) for t in X_types} >= {
            ("float64", True),
            ("float32", True),
            ("float64", False),
            ("float32", False),
        }, kernel


@settings(max_examples=30)
@given(
    n=st.integers(2, 30),
    d=st.integers(1, 5),
    magnitude=st.sampled_from([1e-6, 1.0, 1e3, 1e8]),
    seed=st.integers(0, 2**16),
)
def test_any_finite_input_gives_a_finite_model(n, d, magnitude, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * magnitude
    y = np.arange(n) % 2  # both classes present
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LogisticRegression(max_iter=50).fit(X, y)
    assert np.isfinite(model.coef_).all() and np.isfinite(model.intercept_).all()
    assert np.isfinite(model.loss_history_).all()
    assert set(model.predict(X)) <= {0, 1}


def test_openmp_waits_passively_unless_the_environment_says_otherwise():
    # see fastlogreg/__init__.py for the measurements behind this default
    code = "import os, fastlogreg; print(os.environ['OMP_WAIT_POLICY'])"
    for preset, expected in ((None, "PASSIVE"), ("ACTIVE", "ACTIVE")):
        env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
        if preset:
            env["OMP_WAIT_POLICY"] = preset
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        assert out.stdout.strip() == expected, out.stderr


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "params",
    [{"l1_ratio": 0.5}, {"solver": "gd"}, {"solver": "sgd"}, {"solver": "sgd", "l1_ratio": 1.0}],
    ids=["elastic-net", "gd", "sgd", "sgd-l1"],
)
def test_check_estimator_passes_for_other_settings(params):
    expected = {}
    if params.get("solver") == "sgd":
        # an SGD epoch visits a repeated row twice, at two steps, where a weight of 2 takes
        # one step of twice the size: scikit-learn expects this failure of SGDClassifier too
        expected["check_sample_weight_equivalence_on_dense_data"] = "SGD steps per row"
        expected["check_sample_weight_equivalence_on_sparse_data"] = "SGD steps per row"
    check_estimator(LogisticRegression(**params), expected_failed_checks=expected)


def test_fits_run_blas_on_one_thread_and_restore_it():
    """_config.thread_limit: BLAS calls between passes on one thread inside a fit (threaded
    OpenBLAS calls on small vectors waited for busy cores: 2.9 s against 0.053 s for a sparse
    fit), the caller's BLAS thread counts back afterwards, also after an error."""
    from threadpoolctl import threadpool_info

    import fastlogreg.solvers._cg as cg

    def blas_threads():
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    before = blas_threads()
    seen = []
    original = cg.conjugate_gradient

    def spy(*args, **kwargs):
        seen.append(blas_threads())
        return original(*args, **kwargs)

    X, y = load_breast_cancer(return_X_y=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cg, "conjugate_gradient", spy)
        import fastlogreg.solvers._stopping as stopping

        patch.setattr(stopping, "conjugate_gradient", spy)
        LogisticRegression(solver="lbfgs").fit(StandardScaler().fit_transform(X), y)
    assert seen and all(threads and set(threads) == {1} for threads in seen)
    assert blas_threads() == before
    with pytest.raises(ValueError):
        LogisticRegression().fit(np.full((3, 2), np.nan), [0, 1, 0])
    assert blas_threads() == before
