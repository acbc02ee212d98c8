"""fastlogreg.dask on a LocalCluster of two worker processes (one thread each), started here:
every fit is compared with the in-memory fit of the same data (the same solver runs on the
driver, so the objective agrees to rounding), and scikit-learn's optimum for one case."""

from __future__ import annotations

import importlib
import os
import pickle
import signal

import numpy as np
import pytest
import scipy.sparse as sp
from naive import hessian as naive_hessian
from naive import multinomial_objective, objective
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

import fastlogreg
from fastlogreg import _dask_data

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")
from fastlogreg.dask import LogisticRegression as DaskLogisticRegression  # noqa: E402

TOL = 1e-8


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster, distributed.Client(cluster) as client:  # fmt: skip
        yield client


def problem(n=3000, d=6, n_classes=2, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    X = (rng.standard_normal((n, d)) + rng.standard_normal(d)).astype(dtype)
    W = rng.standard_normal((n_classes, d))
    y = np.argmax(X @ W.T + rng.gumbel(size=(n, n_classes)), axis=1)
    return X, y


def both(X, y, chunk_rows=500, sample_weight=None, **params):
    """(the Dask fit, the in-memory fit) of the same data and parameters."""
    Xd = da.from_array(X, chunks=(chunk_rows, X.shape[1]))
    yd = da.from_array(y, chunks=chunk_rows)
    wd = None if sample_weight is None else da.from_array(sample_weight, chunks=chunk_rows)
    remote = DaskLogisticRegression(**params).fit(Xd, yd, sample_weight=wd)
    local = fastlogreg.LogisticRegression(**params).fit(X, y, sample_weight=sample_weight)
    return remote, local


def assert_same_fit(remote, local, rtol=1e-10):
    assert remote.solver_ == local.solver_
    np.testing.assert_array_equal(remote.classes_, local.classes_)
    assert remote.coef_.dtype == local.coef_.dtype
    np.testing.assert_allclose(remote.loss_history_[-1], local.loss_history_[-1], rtol=rtol)
    # float32 X: its rounding makes the objective flat within ~1e-5 of the coefficients
    digits = 1e-6 if local.coef_.dtype == np.float64 else 1e-4
    np.testing.assert_allclose(remote.coef_, local.coef_, atol=digits * np.abs(local.coef_).max())


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "gd"])
def test_binary_fit_matches_in_memory_and_sklearn(client, solver):
    X, y = problem()
    # gd: a pass (a round trip to the workers) per iteration, hundreds of them: a looser tol
    tol, close = (1e-5, 1e-6) if solver == "gd" else (TOL, 1e-9)
    remote, local = both(X, y, solver=solver, tol=tol, max_iter=5000)
    assert_same_fit(remote, local)
    sk = SkLogisticRegression(tol=1e-10, max_iter=1000).fit(X, y)
    s = np.ones(len(y))
    ours = objective(X, y, s, remote.coef_[0], remote.intercept_[0], 1.0)
    theirs = objective(X, y, s, sk.coef_[0], sk.intercept_[0], 1.0)
    assert ours <= theirs * (1 + close)
    assert remote.n_passes_ > remote.n_iter_[0]  # every pass ran on the cluster


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_multinomial_fit_matches_in_memory(client, solver):
    X, y = problem(n_classes=4, seed=1)
    remote, local = both(X, y, solver=solver, tol=TOL, C=0.5)
    assert_same_fit(remote, local)
    W, b = remote.coef_, remote.intercept_
    value = multinomial_objective(X, y.astype(float), np.ones(len(y)), W, b, 0.5)
    np.testing.assert_allclose(value, remote.loss_history_[-1], rtol=1e-10)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_l1_and_elastic_net_match_in_memory(client, n_classes, l1_ratio):
    """Proximal Newton on Dask: the duality gap's row passes run on the workers."""
    X, y = problem(n_classes=n_classes, seed=9)
    remote, local = both(X, y, l1_ratio=l1_ratio, C=0.005, tol=TOL)
    assert_same_fit(remote, local)
    assert (remote.coef_ == 0).any()  # the penalty zeroes some coefficients
    W, b = remote.coef_, remote.intercept_
    if n_classes == 2:
        W, b = np.vstack([np.zeros_like(W), W]), np.array([0.0, b[0]])
    value = multinomial_objective(X, y.astype(float), np.ones(len(y)), W, b, 0.005, l1_ratio)
    np.testing.assert_allclose(value, remote.loss_history_[-1], rtol=1e-10)


def test_float32_weights_class_weight_and_no_intercept(client):
    X, y = problem(n_classes=3, dtype=np.float32, seed=2)
    w = np.random.default_rng(3).uniform(0, 2, len(y))
    w[:700] = 0.0  # whole chunks of weight 0
    remote, local = both(
        X, y, sample_weight=w, class_weight="balanced", fit_intercept=False, tol=TOL
    )
    assert remote.coef_.dtype == np.float32
    assert_same_fit(remote, local, rtol=1e-7)
    remote, local = both(X, y, class_weight={0: 3.0, 2: 0.5}, tol=TOL, solver="newton")
    assert_same_fit(remote, local, rtol=1e-7)


def test_sparse_chunks_text_labels_and_many_chunks(client, monkeypatch):
    rng = np.random.default_rng(4)
    X = sp.random(2000, 50, density=0.1, format="csr", random_state=5)
    labels = np.array(["spam", "ham"])[(X @ rng.standard_normal(50) > 0).astype(int)]
    Xd = da.from_array(X.toarray(), chunks=(100, 50)).map_blocks(sp.csr_matrix)
    # 20 chunks, added on the workers in groups of 3, then on the driver
    monkeypatch.setattr(_dask_data, "SPLIT_EVERY", 3)
    remote = DaskLogisticRegression(tol=TOL).fit(Xd, da.from_array(labels, chunks=100))
    local = fastlogreg.LogisticRegression(tol=TOL).fit(X, labels)
    assert remote.solver_ == "lbfgs"  # 'auto' on sparse chunks
    np.testing.assert_allclose(remote.loss_history_[-1], local.loss_history_[-1], rtol=1e-10)
    np.testing.assert_array_equal(remote.predict(Xd).compute(), local.predict(X))


def sparse_problem(n_classes, n=2000, d=50, seed=4):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.1, format="csr", random_state=seed + 1)
    W = rng.standard_normal((n_classes, d)) * 3
    y = np.argmax(X @ W.T + rng.gumbel(size=(n, n_classes)), axis=1)
    Xd = da.from_array(X.toarray(), chunks=(250, d)).map_blocks(sp.csr_matrix)
    return X, y, Xd, da.from_array(y, chunks=250)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_truncated_newton_on_sparse_chunks_matches_in_memory(client, n_classes):
    """Hessian-vector products summed from the chunks, each keeping its rows' curvature."""
    X, y, Xd, yd = sparse_problem(n_classes)
    remote = DaskLogisticRegression(solver="newton", tol=TOL).fit(Xd, yd)
    local = fastlogreg.LogisticRegression(solver="newton", tol=TOL).fit(X, y)
    np.testing.assert_allclose(remote.loss_history_[-1], local.loss_history_[-1], rtol=1e-10)
    assert remote.n_iter_[0] == local.n_iter_[0]


def test_truncated_newton_on_wide_dense_chunks_matches_in_memory(client):
    X, y = problem(n=800, d=520, seed=11)
    remote, local = both(X, y, chunk_rows=400, solver="newton", tol=1e-6, fit_intercept=False)
    assert_same_fit(remote, local)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_l1_on_sparse_chunks_reaches_the_in_memory_optimum(client, n_classes, monkeypatch):
    """Proximal Newton's model from the working set's Hessian formed on the workers, the
    working set cut to a few columns at a time (as on wide data): the same optimum as in
    memory, where the model comes from the working set's columns."""
    prox_newton = importlib.import_module("fastlogreg.solvers.prox_newton")  # (not the function)
    X, y, Xd, yd = sparse_problem(n_classes, seed=12)
    monkeypatch.setattr(prox_newton, "MAX_EXPLICIT_PARAMETERS", 16 * max(1, n_classes - 1))
    params = dict(l1_ratio=0.8, C=0.05, tol=TOL)
    remote = DaskLogisticRegression(**params).fit(Xd, yd)
    local = fastlogreg.LogisticRegression(**params).fit(X, y)
    assert remote.solver_ == "newton"
    nonzero = np.count_nonzero(local.coef_.any(axis=0))
    assert 16 < nonzero < X.shape[1]  # more columns in play than one model holds
    np.testing.assert_allclose(remote.loss_history_[-1], local.loss_history_[-1], rtol=1e-9)
    W, b = remote.coef_, remote.intercept_
    if n_classes == 2:
        W, b = np.vstack([np.zeros_like(W), W]), np.array([0.0, b[0]])
    value = multinomial_objective(X.toarray(), y.astype(float), np.ones(len(y)), W, b, 0.05, 0.8)
    np.testing.assert_allclose(value, remote.loss_history_[-1], rtol=1e-10)


def test_sampled_hessian_from_the_loss_pass_and_on_its_own(client):
    """newton's sampled Hessian on Dask (all rows sampled here): at the point of the last
    loss pass it comes with that pass; elsewhere its own tasks compute it. Both against
    naive.hessian."""
    from fastlogreg.dask import _classes, _pack

    X, y = problem(n=600, seed=13)
    data = _pack(client, da.from_array(X, chunks=(200, 6)), da.from_array(y, chunks=200), None)
    classes, _, _ = _classes(data.summaries())
    _, s, _ = data.prepare(classes, None)
    sums = data.hessian_sums(s, 10**6, np.random.default_rng(0), True)
    ones = np.ones(len(y))
    w, b = np.linspace(-0.3, 0.3, 6), 0.2
    weight, H = sums(np.append(w, b))  # no loss pass at this point: computed on its own
    assert weight == 600.0
    np.testing.assert_allclose(H, naive_hessian(X, ones, w, b), rtol=1e-10)
    data.loss_gradient(data.y_rows, s, -w, -b, 1, np.empty(7), False)
    chunks, data.chunks = data.chunks, None  # from the loss pass: no task of its own
    _, H = sums(np.append(-w, -b))
    np.testing.assert_allclose(H, naive_hessian(X, ones, -w, -b), rtol=1e-10)
    data.chunks = chunks
    data.close()


def test_l1_on_sparse_chunks_with_more_classes_than_the_model_holds(client, monkeypatch):
    """Past the cap even for one column per class (K > MAX_EXPLICIT_PARAMETERS / 2, here
    by a cap of 3 parameters for 3 classes): one column a step, still the in-memory optimum."""
    prox_newton = importlib.import_module("fastlogreg.solvers.prox_newton")
    X, y, Xd, yd = sparse_problem(3, n=1000, d=8, seed=14)
    monkeypatch.setattr(prox_newton, "MAX_EXPLICIT_PARAMETERS", 3)
    params = dict(l1_ratio=1.0, C=0.05, tol=1e-6, max_iter=300)
    remote = DaskLogisticRegression(**params).fit(Xd, yd)
    local = fastlogreg.LogisticRegression(**params).fit(X, y)
    np.testing.assert_allclose(remote.loss_history_[-1], local.loss_history_[-1], rtol=1e-7)
    assert remote.n_iter_[0] > local.n_iter_[0]  # one column at a time
    # stopped short: the warning says why (not "a weak penalty")
    with pytest.warns(ConvergenceWarning, match="each iteration moved a block of them"):
        DaskLogisticRegression(**{**params, "max_iter": 2}).fit(Xd, yd)


def test_a_moved_chunk_rebuilds_its_hessian():
    """A chunk moved to another worker (or recomputed after its worker died) has no kept
    Hessian: its products rebuild it from the point they carry (in process, no cluster)."""
    from fastlogreg.datafits import Binomial

    X, y = problem(n=300)
    chunk = _dask_data.Chunk(_dask_data.RawChunk(X, y, None, 0), np.array([0, 1]), None, X.dtype)
    Theta = np.full((1, 7), 0.1)
    v = np.linspace(-1, 1, 7)
    _, diagonal = chunk.hessp_start(1, Binomial(), 0.5, Theta, 1)
    _, kept = chunk.hessp_product(1, Binomial(), 0.5, Theta, 1, v)
    # as Dask moves it to another worker: the kept products (a closure) are left behind
    moved = pickle.loads(pickle.dumps(chunk))
    assert "hessp" not in moved.kept
    _, rebuilt = moved.hessp_product(1, Binomial(), 0.5, Theta, 1, v)
    H = 0.5 * naive_hessian(X, np.ones(len(X)), Theta[0, :-1], Theta[0, -1])
    np.testing.assert_allclose(kept, H @ v, rtol=1e-10)
    np.testing.assert_allclose(rebuilt, H @ v, rtol=1e-10)
    np.testing.assert_allclose(diagonal, np.diag(H), rtol=1e-10)


def test_dataframe_input_and_lazy_predictions(client):
    pd = pytest.importorskip("pandas")
    X, y = problem(n_classes=3, seed=6)
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    dX = dd.from_pandas(frame, npartitions=4)
    dy = dd.from_pandas(pd.Series(y, name="label"), npartitions=4)
    remote = DaskLogisticRegression(tol=TOL).fit(dX, dy)
    local = fastlogreg.LogisticRegression(tol=TOL).fit(frame, y)
    assert list(remote.feature_names_in_) == list(frame.columns)
    assert_same_fit(remote, local)
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        lazy = getattr(remote, method)(dX)
        assert isinstance(lazy, da.Array), method
        np.testing.assert_allclose(lazy.compute(), getattr(local, method)(frame), rtol=1e-6)
    Xd = da.from_array(X, chunks=(700, 6))
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        proba = remote.predict_proba(Xd)  # as scikit-learn warns on unnamed columns
    assert proba.chunks == ((700, 700, 700, 700, 200), (3,))
    # score: accuracy computed on the cluster, as scikit-learn's on the same rows
    w = np.random.default_rng(7).uniform(0, 2, len(y))
    dw = dd.from_pandas(pd.Series(w), npartitions=4)
    assert remote.score(dX, dy) == pytest.approx(local.score(frame, y), rel=1e-12)
    assert remote.score(dX, dy, dw) == pytest.approx(local.score(frame, y, w), rel=1e-12)
    assert remote.score(dX, y, 2.0) == pytest.approx(local.score(frame, y), rel=1e-12)
    # in-memory data gets the in-memory estimator's ndarrays
    assert isinstance(remote.predict(frame), np.ndarray)
    with pytest.raises(ValueError, match="feature names"):
        remote.predict(dX.rename(columns={"f0": "other"}))


def test_binary_lazy_predictions_match(client):
    X, y = problem(seed=7)
    remote, local = both(X, y)
    Xd = da.from_array(X, chunks=(1000, 6))
    z = remote.decision_function(Xd)
    assert z.ndim == 1 and z.chunks == ((1000, 1000, 1000),)
    np.testing.assert_allclose(z.compute(), local.decision_function(X), rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(remote.predict(Xd).compute(), local.predict(X))


def test_errors_before_reading_data(client):
    X, y = problem(n=200)
    Xd, yd = da.from_array(X, chunks=(50, 6)), da.from_array(y, chunks=50)
    with pytest.raises(ValueError, match=r"solver=.sgd.*does not run on Dask"):
        DaskLogisticRegression(solver="sgd").fit(Xd, yd)
    with pytest.raises(ValueError, match="on Dask use 'auto' or 'newton'"):  # (not 'sgd')
        DaskLogisticRegression(solver="lbfgs", l1_ratio=0.5).fit(Xd, yd)
    with pytest.raises(ValueError, match=r"l1_ratio must be a number in \[0, 1\]"):
        DaskLogisticRegression(solver="lbfgs", l1_ratio=2.0).fit(Xd, yd)
    with pytest.raises(ValueError, match="X has 200 rows but y has 150"):
        DaskLogisticRegression().fit(Xd, yd[:150])
    with pytest.raises(ValueError, match="fit requires y"):
        DaskLogisticRegression().fit(Xd)
    with pytest.raises(ValueError, match="C must be"):
        DaskLogisticRegression(C=-1.0).fit(Xd, yd)


def test_input_errors_name_the_global_row(client):
    X, y = problem(n=200)
    X[130, 2] = np.nan
    Xd, yd = da.from_array(X, chunks=(50, 6)), da.from_array(y, chunks=50)
    with pytest.raises(ValueError, match=r"NaN in column 2 \(row 130\)"):
        DaskLogisticRegression().fit(Xd, yd)
    with pytest.raises(ValueError, match=r"NaN in column 2 \(row 130\)"):  # sparse chunks
        DaskLogisticRegression().fit(Xd.map_blocks(sp.csr_matrix), yd)
    model = DaskLogisticRegression().fit(da.from_array(np.nan_to_num(X), chunks=(50, 6)), yd)
    with pytest.raises(ValueError, match=r"NaN in column 2 \(row 130\)"):
        model.predict(Xd).compute()
    X[130, 2] = 0.0
    Xd = da.from_array(X, chunks=(50, 6))  # (dask may keep the chunks it sliced before)
    labels = y.astype(float)
    labels[160] = np.nan
    with pytest.raises(ValueError, match="y contains nan at index 160"):
        DaskLogisticRegression().fit(Xd, da.from_array(labels, chunks=50))
    w = np.ones(200)
    w[170] = -1.0
    with pytest.raises(ValueError, match=r"sample_weight contains -1\.0 at row 170"):
        DaskLogisticRegression().fit(Xd, yd, sample_weight=da.from_array(w, chunks=50))
    with pytest.raises(ValueError, match="only one class"):
        DaskLogisticRegression().fit(Xd, da.zeros(200, chunks=50))
    with pytest.raises(ValueError, match="zero for every row"):
        DaskLogisticRegression().fit(Xd, yd, sample_weight=da.zeros(200, chunks=50))
    with pytest.raises(ValueError, match="class 1 has only rows of weight 0"):
        DaskLogisticRegression(class_weight={1: 0.0}).fit(Xd, yd)
    for bad in (-1.0, np.nan):
        with pytest.raises(ValueError, match=f"gives class 0 the weight {bad}; class weights"):
            DaskLogisticRegression(class_weight={0: bad}).fit(Xd, yd)
    w = np.where(y == 1, 0.0, 1.0)
    with pytest.raises(ValueError, match="class 1 has only rows of weight 0"):
        DaskLogisticRegression(class_weight="balanced").fit(Xd, yd, sample_weight=w)
    with pytest.raises(ValueError, match="X has 200 rows but y has 199"):
        DaskLogisticRegression().fit(Xd, y[:-1])  # a NumPy y
    with pytest.raises(ValueError, match="X has 200 rows but sample_weight has 195"):
        DaskLogisticRegression().fit(Xd, yd, sample_weight=np.ones(195))
    dense_then_sparse = da.concatenate([Xd[:100], Xd[100:].map_blocks(sp.csr_matrix)])
    with pytest.raises(TypeError, match="first row is 100 is sparse, the first chunk is not"):
        DaskLogisticRegression().fit(dense_then_sparse, yd)


def test_no_client_is_an_error(monkeypatch):
    def no_client():
        raise ValueError("No clients found")

    monkeypatch.setattr(distributed, "default_client", no_client)
    X, y = problem(n=100)
    with pytest.raises(ValueError, match="no Client is running"):
        DaskLogisticRegression().fit(da.from_array(X, chunks=(50, 6)), da.from_array(y, chunks=50))


def test_warm_up_plugin_compiles_on_every_worker_and_threads_follow_the_worker(client):
    def compiled():
        from fastlogreg.kernels import sparse

        loss = sparse.multinomial_loss_gradient.signatures
        return len(loss), len(sparse.multinomial_hessian_product.signatures)

    before = client.run(compiled)
    client.register_plugin(_dask_data.Warmup("float32", True, 3, False), name="test-warmup")
    after = client.run(compiled)
    assert len(after) == 2
    for worker, (loss, product) in after.items():
        # the float32 CSR multinomial pass, compiled there; no Hessian-vector product
        assert (loss, product) == (before[worker][0] + 1, before[worker][1])
    # truncated Newton's products too, when the fit takes them
    client.register_plugin(_dask_data.Warmup("float32", True, 3, False, True), name="test-2")
    for worker, (loss, product) in client.run(compiled).items():
        assert (loss, product) == (before[worker][0] + 1, before[worker][1] + 1)
    # one Numba thread per task on a worker of one thread
    threads = client.map(lambda _: _dask_data.worker_threads(), range(4), pure=False)
    assert client.gather(threads) == [1] * 4


def test_numba_threads_follow_a_worker_of_two_threads():
    """An in-process worker of two threads: each task's kernels run on two Numba threads
    (capped at Numba's pool), and a fit there matches the in-memory one."""
    X, y = problem(n=1000, seed=10)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    ) as cluster, distributed.Client(cluster) as client:  # fmt: skip
        threads = client.submit(_dask_data.worker_threads, pure=False).result()
        assert threads == min(2, numba_threads())
        remote, local = both(X, y, chunk_rows=250, tol=TOL)
    assert_same_fit(remote, local)


def numba_threads():
    import numba

    return numba.config.NUMBA_NUM_THREADS


def test_a_worker_killed_mid_fit_ends_at_the_same_objective(monkeypatch):
    """Kill a worker process (SIGKILL) after the third pass: its chunks are lost, the nanny
    starts a new worker, Dask recomputes the chunks from the graph, the fit goes on."""
    X, y = problem(n=6000, d=8, seed=8)
    local = fastlogreg.LogisticRegression(solver="lbfgs", tol=TOL).fit(X, y)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster, distributed.Client(cluster) as client:  # fmt: skip
        pids = list(client.run(os.getpid).values())
        submitted = _dask_data.DaskData._submitted
        killed = []

        def kill_after_third(self, task, what, args):
            if self.n_passes == 3 and not killed:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
            return submitted(self, task, what, args)

        monkeypatch.setattr(_dask_data.DaskData, "_submitted", kill_after_third)
        Xd, yd = da.from_array(X, chunks=(750, 8)), da.from_array(y, chunks=750)
        remote = DaskLogisticRegression(solver="lbfgs", tol=TOL).fit(Xd, yd)
        assert killed
        assert pids[0] not in client.run(os.getpid).values()
    np.testing.assert_allclose(remote.loss_history_[-1], local.loss_history_[-1], rtol=1e-10)


def test_chunks_define_the_kind_and_dtype_whatever_the_metadata_says(client):
    """Chunks of COO matrices under a dense _meta are sparse; float32 chunks declared
    float64 are float32."""
    X, y = problem(n=1000, seed=11)
    X[X < 0.5] = 0.0
    coo = da.from_array(X, chunks=(250, 6)).map_blocks(sp.coo_matrix)  # its _meta is dense
    remote = DaskLogisticRegression(tol=TOL).fit(coo, da.from_array(y, chunks=250))
    local = fastlogreg.LogisticRegression(tol=TOL).fit(sp.csr_matrix(X), y)
    assert remote.solver_ == "lbfgs"  # 'auto' on sparse chunks
    np.testing.assert_allclose(remote.loss_history_[-1], local.loss_history_[-1], rtol=1e-10)
    as_float32 = da.from_array(X, chunks=(250, 6)).map_blocks(
        lambda b: b.astype(np.float32), dtype=np.float64
    )
    remote = DaskLogisticRegression(tol=TOL).fit(as_float32, da.from_array(y, chunks=250))
    assert remote.coef_.dtype == np.float32


def test_predictions_declare_their_dtype_and_need_a_fit(client):
    X, y = problem(n=600, n_classes=3, seed=12)
    Xd = da.from_array(X, chunks=(200, 6))
    with pytest.raises(NotFittedError):
        DaskLogisticRegression().predict(Xd)
    model = DaskLogisticRegression().fit(Xd, da.from_array(y, chunks=200))
    for X_in in (Xd, Xd.astype(np.float32)):
        for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
            lazy = getattr(model, method)(X_in)
            assert lazy.compute().dtype == lazy.dtype, (method, X_in.dtype)


def test_save_load_sample_weight_scalar_and_refit_in_memory(client, tmp_path):
    X, y = problem(n=600, seed=13)
    Xd, yd = da.from_array(X, chunks=(200, 6)), da.from_array(y, chunks=200)
    model = DaskLogisticRegression().fit(Xd, yd, sample_weight=np.array(2.5))  # a 0-d array
    scalar = DaskLogisticRegression().fit(Xd, yd, sample_weight=2.5)
    np.testing.assert_array_equal(model.coef_, scalar.coef_)
    model.save(tmp_path / "m.npz")
    loaded = fastlogreg.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert model.n_passes_ > 0
    model.fit(X, y)  # in memory: no passes over a cluster
    assert not hasattr(model, "n_passes_")


def test_dataframe_columns_as_in_memory(client):
    pd = pytest.importorskip("pandas")
    X, y = problem(n=600, seed=14)
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(6)])
    frame["f0"] = frame["f0"] > 0  # a bool column is numeric, as in memory
    remote = DaskLogisticRegression(tol=TOL).fit(dd.from_pandas(frame, npartitions=3), y)
    local = fastlogreg.LogisticRegression(tol=TOL).fit(frame, y)
    np.testing.assert_allclose(remote.loss_history_[-1], local.loss_history_[-1], rtol=1e-10)
    text = frame.assign(f1=frame["f1"].astype(str))
    with pytest.raises(TypeError, match=r"column 'f1' has dtype .*X must be numeric"):
        DaskLogisticRegression().fit(dd.from_pandas(text, npartitions=3), y)
    mixed = frame.set_axis(["a", 1, "c", "d", "e", "f"], axis=1)
    with pytest.raises(TypeError, match="Feature names are only supported if all"):
        DaskLogisticRegression().fit(dd.from_pandas(mixed, npartitions=3), y)


def test_scikit_learn_estimator_checks_on_in_memory_data():
    """On NumPy and SciPy input the Dask class is the in-memory estimator."""
    from sklearn.utils.estimator_checks import check_estimator

    check_estimator(DaskLogisticRegression())
