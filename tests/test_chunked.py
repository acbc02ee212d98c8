"""Training on chunked data (fastlogreg/chunked.py): every solver reaches the in-memory fit's
optimum, chunk by chunk; SGD without shuffling takes the same steps; the errors; memory
bounded by the chunk, not the data."""

import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from fastlogreg import LogisticRegression
from fastlogreg.chunked import ChunkedData, ChunkList, ChunkSource


def _problem(n_classes, sparse, n=1500, seed=0):
    rng = np.random.default_rng(seed)
    if sparse:
        X = sp.random(n, 60, density=0.1, format="csr", random_state=seed)
        X.data = rng.normal(size=X.nnz)
    else:
        X = rng.normal(size=(n, 6))
    W = rng.normal(size=(n_classes, X.shape[1]))
    Z = np.asarray(X @ W.T) + rng.gumbel(size=(n, n_classes))
    y = Z.argmax(axis=1) if n_classes > 2 else (Z[:, 0] > Z[:, 1]).astype(int)
    return X, y


def _chunks(X, y, rows=400):
    return ChunkList([(X[i : i + rows], y[i : i + rows]) for i in range(0, X.shape[0], rows)])


BATCH = [("newton", 0.0), ("lbfgs", 0.0), ("gd", 0.0), ("newton", 0.5)]


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize(("solver", "l1_ratio"), BATCH)
def test_chunked_fit_reaches_the_in_memory_optimum(solver, l1_ratio, n_classes, sparse):
    X, y = _problem(n_classes, sparse)
    s = np.random.default_rng(1).uniform(0.5, 2.0, X.shape[0])
    params = dict(solver=solver, l1_ratio=l1_ratio, tol=1e-8, max_iter=3000, C=0.5)
    in_memory = LogisticRegression(**params).fit(X, y, sample_weight=s)
    chunked = LogisticRegression(**params).fit(_chunks(X, y), sample_weight=s)
    np.testing.assert_allclose(chunked.loss_history_[-1], in_memory.loss_history_[-1], rtol=1e-10)
    np.testing.assert_allclose(chunked.coef_, in_memory.coef_, atol=1e-6)
    np.testing.assert_allclose(
        chunked.predict_proba(X), in_memory.predict_proba(X), rtol=0, atol=1e-7
    )
    assert chunked.solver_ == in_memory.solver_


class _CountedPasses(ChunkList):
    passes = 0

    def __iter__(self):
        self.passes += 1
        return super().__iter__()


@pytest.mark.parametrize(("sparse", "expected"), [(False, "newton"), (True, "lbfgs")])
def test_auto_on_chunks_picks_the_solver_of_fewer_passes(sparse, expected):
    """'auto' on sparse chunks runs lbfgs, not truncated Newton, whose every Hessian-vector
    product re-reads the source; dense chunks keep the in-memory rule (newton, whose Hessian
    comes from a row sample gathered in one pass)."""
    X, y = _problem(2, sparse, n=3000)
    source = _CountedPasses(_chunks(X, y).chunks)
    auto = LogisticRegression(tol=1e-6).fit(source)
    assert auto.solver_ == expected
    other = _CountedPasses(source.chunks)
    LogisticRegression(solver={"newton": "lbfgs", "lbfgs": "newton"}[expected], tol=1e-6).fit(other)
    assert source.passes < other.passes, (source.passes, other.passes)
    in_memory = LogisticRegression(tol=1e-6).fit(X, y)
    assert in_memory.solver_ == "newton"
    np.testing.assert_allclose(auto.loss_history_[-1], in_memory.loss_history_[-1], rtol=1e-8)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_chunked_sgd_without_shuffling_takes_the_in_memory_steps(n_classes, sparse):
    """Unshuffled, one thread: the same rows in the same order, so the same iterates."""
    X, y = _problem(n_classes, sparse)
    params = dict(solver="sgd", shuffle=False, n_jobs=1, max_iter=3, tol=None, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 3 epochs: far, on purpose
        in_memory = LogisticRegression(**params).fit(X, y)
        chunked = LogisticRegression(**params).fit(_chunks(X, y))
    np.testing.assert_allclose(chunked.coef_, in_memory.coef_, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(chunked.intercept_, in_memory.intercept_, rtol=1e-12)


def test_predictions_on_a_chunk_source_are_those_on_its_rows():
    X, y = _problem(3, False)
    model = LogisticRegression().fit(X, y)
    source = _chunks(X, y, rows=333)
    np.testing.assert_array_equal(model.predict(source), model.predict(X))
    np.testing.assert_array_equal(model.predict_proba(source), model.predict_proba(X))


def test_memory_mapped_chunks_and_feature_names(tmp_path):
    X, y = _problem(2, False)
    parts = []
    for k, start in enumerate(range(0, X.shape[0], 500)):
        np.save(tmp_path / f"X{k}.npy", X[start : start + 500])
        parts.append((np.load(tmp_path / f"X{k}.npy", mmap_mode="r"), y[start : start + 500]))
    names = [f"f{j}" for j in range(X.shape[1])]
    model = LogisticRegression(tol=1e-8).fit(ChunkList(parts, feature_names=names))
    reference = LogisticRegression(tol=1e-8).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-7)
    assert list(model.feature_names_in_) == names


class _Generated(ChunkSource):
    """Rows made chunk by chunk from a seed: nothing but the current chunk exists."""

    def __init__(self, n_chunks, rows, d):
        self.n_chunks, self.rows, self.d = n_chunks, rows, d
        self.w = np.random.default_rng(99).normal(size=d)

    def __iter__(self):
        for k in range(self.n_chunks):
            rng = np.random.default_rng(k)
            X = rng.normal(size=(self.rows, self.d))
            y = (X @ self.w + rng.logistic(size=self.rows) > 0).astype(np.int8)
            yield X, y


def _fit_peak(solver, n_chunks):
    """tracemalloc's peak (bytes) during a fit on n_chunks generated chunks of 5000 x 20."""
    tracemalloc.start()
    try:
        with warnings.catch_warnings():  # sgd's few epochs end short of tol: not the point
            warnings.simplefilter("ignore" if solver == "sgd" else "error", ConvergenceWarning)
            model = LogisticRegression(solver=solver, tol=1e-6).fit(_Generated(n_chunks, 5000, 20))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert model.n_iter_[0] > 0
    return peak


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "sgd"])
def test_memory_is_bounded_by_the_chunk_not_the_data(solver):
    """Chunks of 0.8 MB: four times the rows (16 -> 64 MB of X) add only the per-row arrays
    the fit keeps (labels, weights, SGD's scaled weights: 24 bytes a row, 40 allowed for
    transients while the labels are encoded); beyond those (48 bytes a row at most) the fit
    holds a few chunks and its row sample (16,384 rows here: 2.6 MB, twice for newton)."""
    with warnings.catch_warnings():  # a warm-up (compiles), not the measured fit
        warnings.simplefilter("ignore", ConvergenceWarning)
        LogisticRegression(solver=solver, max_iter=1).fit(_Generated(2, 100, 20))
    small, large = _fit_peak(solver, 20), _fit_peak(solver, 80)
    assert large - small < 40 * 60 * 5000 + 2**20, (small, large)
    assert large < 48 * 80 * 5000 + 3 * 5000 * 20 * 8 + 6 * 2**20, large


def test_chunks_of_mixed_float_types_fit_in_float64():
    """A float32 first chunk does not cut the float64 chunks after it to float32."""
    X, y = _problem(2, False)
    parts = [(X[:400].astype(np.float32), y[:400]), (X[400:], y[400:])]
    model = LogisticRegression(tol=1e-8).fit(ChunkList(parts))
    reference = LogisticRegression(tol=1e-8).fit(np.vstack([parts[0][0], X[400:]]), y)
    assert model.coef_.dtype == np.float64
    np.testing.assert_allclose(model.loss_history_[-1], reference.loss_history_[-1], rtol=1e-12)


def test_chunk_errors_are_clear_and_leave_the_model_alone():
    X, y = _problem(2, False)
    model = LogisticRegression().fit(X, y)
    coef = model.coef_.copy()
    bad_columns = ChunkList([(X[:100], y[:100]), (X[100:200, :5], y[100:200])])
    with pytest.raises(ValueError, match="chunk 1 has 5 columns, the first chunk 6"):
        model.fit(bad_columns)
    with pytest.raises(ValueError, match="labels of shape"):
        model.fit(ChunkList([(X[:100], y[:99])]))
    with pytest.raises(ValueError, match="carries its labels"):
        model.fit(_chunks(X, y), y)
    with pytest.raises(TypeError, match=r"\(X, y\) pair"):
        ChunkList([X])
    mixed = ChunkList([(X[:100], y[:100]), (sp.csr_matrix(X[100:200]), y[100:200])])
    with pytest.raises(TypeError, match="all chunks dense or all sparse"):
        model.fit(mixed)
    X_nan = X.copy()
    X_nan[1234, 2] = np.nan
    with pytest.raises(ValueError, match=r"rows 1200 to 1499 .*NaN in column 2 \(row 34\)"):
        model.fit(_chunks(X_nan, y))
    # labels of numbers in one chunk and text in another (np.concatenate had made them all
    # text: 0/1 and 'no'/'yes' four classes, 0/1 and '0'/'1' silently one pair; break test 20)
    for other in (np.where(y[100:200] == 1, "yes", "no"), y[100:200].astype(str)):
        with pytest.raises(ValueError, match=r"chunk 1 has text labels .* numeric ones"):
            model.fit(ChunkList([(X[:100], y[:100]), (X[100:200], other)]))
    np.testing.assert_array_equal(model.coef_, coef)


def test_empty_chunks_are_skipped_and_chunks_may_be_lists():
    """A filter's empty chunk (0 rows) adds nothing, as on Dask; a chunk of Python lists is
    an array like any other (it had raised AttributeError on the second pass)."""
    X, y = _problem(2, False)
    reference = LogisticRegression(tol=1e-8).fit(X[:600], y[:600])
    parts = [(X[:0], y[:0]), (X[:300].tolist(), y[:300].tolist()), (X[300:300], y[300:300]),
             (X[300:600], y[300:600]), ([], [])]  # fmt: skip
    model = LogisticRegression(tol=1e-8).fit(ChunkList(parts))
    np.testing.assert_allclose(model.loss_history_[-1], reference.loss_history_[-1], rtol=1e-12)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="no rows"):
        LogisticRegression().fit(ChunkList([(X[:0], y[:0])]))


def test_a_source_that_changes_between_passes_is_an_error():
    X, y = _problem(2, False)

    class Shrinking(ChunkSource):
        calls = 0

        def __iter__(self):
            self.calls += 1
            rows = 400 if self.calls == 1 else 300
            return iter([(X[i : i + rows], y[i : i + rows]) for i in range(0, 1200, rows)])

    with pytest.raises(ValueError, match="different chunks on a later pass"):
        LogisticRegression().fit(Shrinking())


def test_chunked_data_samples_the_rows_asked_for():
    X, y = _problem(2, False, n=1000)
    data = ChunkedData(_chunks(X, y, rows=300))
    np.testing.assert_array_equal(data.sample(slice(None, None, 7)), X[::7])
    rows = np.array([0, 5, 299, 300, 301, 899, 999])
    np.testing.assert_array_equal(data.sample(rows), X[rows])
    Xs, ys = _problem(2, True, n=1000)
    sparse_data = ChunkedData(_chunks(Xs, ys, rows=300))
    np.testing.assert_array_equal(
        sparse_data.sample(slice(None, None, 3)).csr.toarray(), Xs[::3].toarray()
    )


def test_every_compiled_kernel_releases_the_gil():
    """A chunk source reads the next chunk on a background thread (fastlogreg.io); it runs
    while a kernel works only if the kernel releases the GIL (nogil=True): a kernel holding it
    made a read wait until it returned (2.86 s for both against 1.82 s for the kernel alone,
    1.0-1.1 s of overlap with nogil)."""
    import importlib
    import pkgutil

    from numba.core.registry import CPUDispatcher

    import fastlogreg.kernels

    kernels = []
    for info in pkgutil.iter_modules(fastlogreg.kernels.__path__):
        module = importlib.import_module(f"fastlogreg.kernels.{info.name}")
        for name, value in vars(module).items():
            inline = isinstance(value, CPUDispatcher) and value.targetoptions.get("inline")
            if isinstance(value, CPUDispatcher) and value.__module__ == module.__name__:
                if not name.startswith("_") and inline != "always":
                    kernels.append((f"{info.name}.{name}", value.targetoptions.get("nogil")))
    assert len(kernels) > 30
    assert [name for name, nogil in kernels if not nogil] == []
