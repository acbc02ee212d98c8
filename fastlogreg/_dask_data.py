"""Data on a Dask cluster (DESIGN.md's fourth data kind): the passes of data.py's DenseData and
CSRData run on each chunk where it lives, a worker of a dask.distributed cluster, and only
their d-sized results travel to the driver, which adds them up (in a tree when there are many
chunks) and runs the same solvers as in memory.

A fit packs each row chunk once, on its worker: X as DenseData or CSRData (validated as in
memory), its labels as the objective's codes y and its weights s = sample_weight *
class_weight. Those per-row arrays stay on the workers for the whole fit: the driver's
objective holds WorkerRows handles for y and s, which know their sum and gather a row sample
when the solvers ask for one. The chunks are futures computed from the caller's dask graph,
never scattered, so when a worker dies the scheduler recomputes its chunks from the graph and
the fit goes on.

What crosses the network per pass: the coefficients (d + 1 per output) to each chunk and one
gradient of the same size back. Binary newton's sampled Hessian is formed where its rows live:
each chunk adds the (d + 1)^2 sums of its share of the sample (Chunk.hessian_part) in the
same task as its loss pass, so that the accepted step's Hessian comes with its pass. Truncated
Newton's Hessian-vector products and proximal Newton's working-set Hessian on sparse chunks
are summed from the chunks likewise (each chunk keeps its rows' curvature). Once per fit, a row
sample is gathered to the driver, as in memory so that the same iterations run: at most
objective.SAMPLE_BYTES (16 MiB) for the statistics of lbfgs's preconditioner and the
Newton-decrement test, and the Hessian sample of multinomial newton and proximal Newton, whose
quadratic models are solved on the driver. None of it grows with the number of rows.
"""

from __future__ import annotations

from contextlib import contextmanager

import numba
import numpy as np
import scipy.sparse as sp
from distributed.diagnostics.plugin import WorkerPlugin

from . import _validation as V
from ._config import _blas_controller
from .chunked import _local_rows
from .data import CSRData, DenseData, SampleCSR
from .datafits import for_classes
from .kernels.hessian import hessian_sum

# chunk results are added on the workers in groups of this many, then on the driver: the
# driver receives at most this many d-sized vectors per pass (dask's own tree reductions
# use a split_every of 8 for arrays)
SPLIT_EVERY = 8


def worker_threads():
    """Threads of the dask worker running this task (1 outside a worker), capped at Numba's
    pool: each task's kernels use as many threads as the worker runs tasks at once."""
    try:
        from distributed import get_worker

        threads = get_worker().state.nthreads
    except (ImportError, ValueError, AttributeError):
        threads = 1
    return max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS))


@contextmanager
def _numba_threads():
    """numba.set_num_threads for this task (the setting is per thread, and worker threads run
    many tasks), restored afterwards, and BLAS (newton's sampled Hessian) on as many threads
    (OpenBLAS would start one per core in every worker process). Yields the count."""
    n = worker_threads()
    previous = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        with _blas_controller().limit(limits=n):
            yield n
    finally:
        numba.set_num_threads(previous)


class RawChunk:
    """One row chunk as packed on its worker before the classes are known: X validated
    (DenseData or CSRData), its labels, its sample weights (float64 or None) and its first
    row in the whole data."""

    def __init__(self, X, labels, sample_weight, first_row):
        m = X.shape[0]
        self.first_row = int(first_row)
        X = V.as_design_matrix(X, check_finite=False, first_row=self.first_row)
        self.labels = V.as_labels(labels, m, first_row=self.first_row)
        self.sample_weight = _chunk_weights(sample_weight, m, self.first_row)
        self.data = CSRData(X) if sp.issparse(X) else DenseData(X)

    def summary(self):
        """(sorted distinct labels, their row counts, their summed sample weights, whether X
        is sparse, X's dtype, their rows of sample weight > 0, the values X stores): the
        classes, the data's kind from the chunks themselves, and what the driver needs of the
        weights s = sample_weight * class_weight once the classes are known (DaskData.prepare)."""
        labels, codes = np.unique(self.labels, return_inverse=True)
        codes = codes.reshape(-1)
        n = labels.shape[0]
        weights = np.bincount(codes, weights=self.sample_weight, minlength=n)
        counts = np.bincount(codes, minlength=n)
        if self.sample_weight is None:
            positive = counts
        else:
            positive = np.bincount(codes[self.sample_weight > 0], minlength=n)
        return (
            labels, counts, weights, self.data.is_sparse, self.data.dtype, positive,
            self.data.n_stored,
        )  # fmt: skip


def _chunk_weights(sample_weight, m, first_row):
    """A chunk's sample weights as a new float64 array (None stays None): finite and >= 0
    (a chunk may weigh 0 in all; the whole data may not, which the driver checks)."""
    if sample_weight is None:
        return None
    s = np.array(np.broadcast_to(sample_weight, (m,)), dtype=np.float64)
    bad = np.flatnonzero(~(np.isfinite(s) & (s >= 0)))
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"sample_weight contains {s[i]} at row {first_row + i}; weights must be finite and >= 0"
        )
    return s


def pack_chunk(X, labels, sample_weight, first_row):
    """RawChunk of one block of the caller's collections (a dask task)."""
    return RawChunk(X, labels, sample_weight, first_row)


def chunk_summary(chunk):
    return chunk.summary()


class Chunk:
    """A chunk ready for the passes: data (DenseData or CSRData), y (float64 class codes), s
    (float64 weights), first_row. Each pass method returns (number, array) for the tree sum."""

    def __init__(self, raw, classes, class_weight, dtype):
        self.data = raw.data
        if self.data.dtype != dtype:  # a float32 chunk among float64 ones, converted
            X = self.data.X.astype(dtype)
            self.data = CSRData(X) if raw.data.is_sparse else DenseData(X)
        self.first_row = raw.first_row
        codes = np.searchsorted(classes, raw.labels)
        self.y = codes.astype(np.float64)
        m = self.y.shape[0]
        s = np.ones(m) if raw.sample_weight is None else raw.sample_weight.copy()
        if class_weight is not None:
            s *= class_weight[codes]
        self.s = s
        self.n_classes = classes.shape[0]
        self.kept = {}  # per-row results one row pass leaves for the next (objective.row_sums)

    def __getstate__(self):
        """The chunk as Dask moves it to another worker (work stealing, a worker leaving):
        without the kept Hessian-vector product, a closure that does not pickle; the new
        worker rebuilds it when asked (hessp_product)."""
        state = dict(self.__dict__)
        state["kept"] = {k: v for k, v in self.kept.items() if k != "hessp"}
        return state

    # --- the passes (data.py's, with this chunk's own y and s) ---

    def loss_gradient(self, n_blocks, w, b, serial):
        grad = np.empty(w.shape[0] + 1)
        loss = self.data.loss_gradient(self.y, self.s, w, b, n_blocks, grad, serial)
        return loss, grad

    def loss_gradient_hessian(self, n_blocks, w, b, serial, ranks, fit_intercept):
        """loss_gradient and, in the same task, hessian_part at the same point (zeros when
        ranks is None: no sampled row here), joined: (loss, [gradient, weight, Hessian])."""
        loss, grad = self.loss_gradient(n_blocks, w, b, serial)
        if ranks is None:
            size = w.shape[0] + 1 if fit_intercept else w.shape[0]
            weight, H = 0.0, np.zeros(size * size)
        else:
            weight, H = self.hessian_part(n_blocks, ranks, w, b, fit_intercept)
        return loss, np.concatenate([grad, [weight], H])

    def multinomial_loss_gradient(self, n_blocks, W, b, serial):
        grad = np.empty(W.shape[0] * (W.shape[1] + 1))
        loss = self.data.multinomial_loss_gradient(self.y, self.s, W, b, n_blocks, grad, serial)
        return loss, grad

    def weighted_sq_norm_sum(self, n_blocks):
        return self.data.weighted_sq_norm_sum(self.s, n_blocks), None

    def max_abs(self, n_blocks):
        return self.data.max_abs(), None

    def check_finite(self, n_blocks):
        if not self.data.is_sparse:  # (sparse values were checked when packed)
            V.check_finite_matrix(self.data.X, first_row=self.first_row)
        try:
            self.data.check_finite()  # sparse: duplicate entries that add up to infinity
        except ValueError as err:
            m = self.y.shape[0]
            raise ValueError(
                f"in the chunk of rows {self.first_row} to {self.first_row + m - 1} (its rows "
                f"counted from 0): {err}"
            ) from None
        return 0.0, None

    # --- the Hessian on every row, where the rows are (truncated Newton, proximal Newton) ---

    def hessp_start(self, n_blocks, datafit, scale, Theta, token):
        """This chunk's share of the mean-form Hessian at Theta (datafit.hessp with no
        penalty, intercepts included): keeps its products for hessp_product under `token`
        and returns (0, the share of the Hessian's diagonal)."""
        hessp, diagonal = datafit.hessp(self.data, self.s * scale, Theta, 0.0, True, n_blocks)
        self.kept["hessp"] = token, hessp
        return 0.0, diagonal.copy()

    def hessp_product(self, n_blocks, datafit, scale, Theta, token, v):
        """(0, this chunk's share of H v) for the Hessian of hessp_start(token). A chunk
        recomputed since (its worker died) rebuilds it from Theta first."""
        kept = self.kept.get("hessp")
        if kept is None or kept[0] != token:
            self.hessp_start(n_blocks, datafit, scale, Theta, token)
            kept = self.kept["hessp"]
        return 0.0, kept[1](v).copy()  # (the product's buffer is reused by the next one)

    def working_set_hessian(self, n_blocks, datafit, scale, Theta, columns):
        """(0, this chunk's share of datafit.working_set_hessian, flat)."""
        H = datafit.working_set_hessian(self.data, self.s * scale, Theta, columns, n_blocks)
        return 0.0, H.ravel()

    # --- row samples (gathered to the driver once per fit) ---

    def rows(self, local):
        """The rows at `local` (a slice or sorted index array of this chunk) as float64: an
        ndarray, or a CSR matrix for sparse chunks."""
        sample = self.data.sample(local)
        return sample.csr if isinstance(sample, SampleCSR) else np.array(sample)

    def values(self, name, local):
        return getattr(self, name)[local]

    def hessian_part(self, n_blocks, ranks, w, b, fit_intercept):
        """(the weight sum, the sum-form Hessian (flat) of kernels/hessian.py) on this chunk's
        ranks-th rows with s > 0 at (w, b): newton's sampled Hessian, its share. The sample's
        rows are gathered once and kept for the fit's later iterations."""
        kept = self.kept.get("hessian_sample")
        if kept is None or not np.array_equal(kept[0], ranks):
            X, s = self.positive_sample(ranks)
            kept = ranks, X, s, np.empty_like(X)
            self.kept["hessian_sample"] = kept
        _, X, s, work = kept
        return float(s.sum()), hessian_sum(X, s, w, b, fit_intercept, work).ravel()

    def positive_sample(self, ranks):
        """(rows, s) of this chunk's ranks-th rows with s > 0 (rows as `rows` gives them)."""
        local = np.flatnonzero(self.s > 0)[ranks]
        return self.rows(local), self.s[local]


def prepare_chunk(raw, classes, class_weight, dtype):
    return Chunk(raw, classes, class_weight, dtype)


def run_pass(chunk, what, args=()):
    """chunk.what(n_blocks, *args) on the worker's threads: (number, array or None)."""
    with _numba_threads() as n_blocks:
        return getattr(chunk, what)(n_blocks, *args)


def run_pass_with(chunk, args, what):
    """run_pass with the arguments first: client.map over chunks and per-chunk arguments."""
    return run_pass(chunk, what, args)


def run_row_pass(chunk, what, args=()):
    """what(chunk, n_blocks, *args) on the worker's threads (objective.row_sums)."""
    with _numba_threads() as n_blocks:
        return what(chunk, n_blocks, *args)


def add_parts(*parts):
    """The sum of (number, array or None) pass results."""
    total = sum(p[0] for p in parts)
    arrays = [p[1] for p in parts if p[1] is not None]
    if not arrays:
        return total, None
    out = arrays[0].copy()
    for a in arrays[1:]:
        out += a
    return total, out


def call_chunk(chunk, name, *args):
    return getattr(chunk, name)(*args)


class WorkerRows:
    """The objective's per-row y or s, left on the workers (DaskData holds them in its chunks):
    offers what the driver-side code asks of them, their sum and a strided or indexed sample
    of their values, gathered when asked."""

    def __init__(self, data, name, total):
        self.data, self.name, self.total = data, name, float(total)
        self.shape = (data.shape[0],)
        self.ndim = 1

    def __len__(self):
        return self.shape[0]

    def sum(self):
        return self.total

    def __getitem__(self, rows):
        return self.data.gather_rows(rows, "values", self.name)


class DaskData:
    """The data.py passes on chunks held by dask.distributed workers (see the module text).

    Built from `raw`: futures of RawChunk in row order, with their row counts `sizes`, the
    columns `n_features`, dtype and sparsity. `prepare(classes, class_weight)` turns them into
    Chunks (y codes and weights s on the workers) and returns WorkerRows handles for y and s.
    Only the passes the Dask estimator's solvers use are offered: loss_gradient and
    multinomial_loss_gradient, weighted_sq_norm_sum, check_finite, max_abs, the row samples,
    row_sums (the L1 duality gap's per-row work), and the Hessian on every row as the
    objective asks for it (hessp: truncated Newton; working_set_hessian: proximal Newton on
    sparse chunks), each summed from the chunks. Passes that return or take a value per row
    (hessian_product with a driver-side curvature, scores, columns) are not: they would
    bring rows' worth of data to the driver."""

    is_chunked = True
    stores_curvature = False
    fused_update = False
    X = None  # no matrix on the driver

    def __init__(self, client, raw, sizes, n_features, dtype, is_sparse):
        self.client = client
        self.sizes = list(sizes)
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.int64)
        self.shape = (int(self.offsets[-1]), int(n_features))
        self.dtype = np.dtype(dtype)
        self.is_sparse = bool(is_sparse)
        self.n_stored = self.shape[0] * self.shape[1]  # until prepare() counts the stored values
        self.raw = raw
        self._summaries = None  # the RawChunks' summary(), gathered by summaries()
        self.chunks = None
        self.n_passes = 0
        self._hessian_sample = None  # newton's sample on the workers (hessian_sums)
        self._hessian_at = None  # (w, b, weight, Hessian) from the last loss pass
        self._hessp_token = 0  # names the Hessian whose products the chunks keep (hessp)

    # --- building ---

    def summaries(self):
        """Per chunk RawChunk.summary(), gathered; sets is_sparse and dtype from the chunks
        (a dask array's metadata can say otherwise). Raises TypeError for chunks that mix
        dense and sparse."""
        summaries = self.client.gather(self.client.map(chunk_summary, self.raw, pure=False))
        kinds = {s[3] for s in summaries}
        if len(kinds) > 1:
            k = [s[3] for s in summaries].index(not summaries[0][3])
            raise TypeError(
                f"the chunk whose first row is {self.offsets[k]} is "
                f"{'sparse' if summaries[k][3] else 'dense'}, the first chunk is not: pass X "
                "with all chunks dense or all sparse"
            )
        self.is_sparse = summaries[0][3]
        self.dtype = np.result_type(*[s[4] for s in summaries])  # float32 only if all are
        self._summaries = summaries
        return summaries

    def prepare(self, classes, class_weight):
        """Chunks with codes and weights from the RawChunks (which are then released); returns
        (y, s) WorkerRows and the weight per class (float64 (K,)). What the driver needs of
        the weights comes from the chunks' summaries: no round trip here."""
        self.chunks = self.client.map(
            prepare_chunk, self.raw, classes=classes, class_weight=class_weight,
            dtype=self.dtype, pure=False,
        )  # fmt: skip
        self.raw = None
        factor = np.ones(classes.shape[0]) if class_weight is None else class_weight
        per_class = np.zeros(classes.shape[0])
        positive = []
        for labels, _, weights, _, _, kept, _ in self._summaries:
            at = np.searchsorted(classes, labels)
            per_class[at] += weights * factor[at]
            positive.append(int(kept[factor[at] > 0].sum()))
        self.positive = np.array(positive, dtype=np.int64)
        self.n_stored = sum(summary[6] for summary in self._summaries)
        total = float(per_class.sum())
        self.y_rows, self.s_rows = WorkerRows(self, "y", np.nan), WorkerRows(self, "s", total)
        return self.y_rows, self.s_rows, per_class

    def close(self):
        """Release the chunks (the workers drop them once no future holds them)."""
        self.chunks = self.raw = self._hessian_sample = self._hessian_at = None

    # --- the passes ---

    def _summed(self, name, *args):
        """sum over chunks of run_pass(chunk, name, *args): (number, array or None)."""
        return self._tree_sum(run_pass, name, args)

    def row_sums(self, row_pass, *args):
        """objective.row_sums on the chunks: row_pass(chunk, n_blocks, *args) on each chunk's
        worker (a Chunk has the data, y, s and kept of a RowGroup), the results added."""
        return self._tree_sum(run_row_pass, row_pass, args)

    def _tree_sum(self, task, what, args):
        return self._reduced(self._submitted(task, what, args))

    def _submitted(self, task, what, args):
        """Futures of task(chunk, what, args) on every chunk: one pass."""
        self.n_passes += 1
        return self.client.map(task, self.chunks, what=what, args=args, pure=False)

    def _reduced(self, parts):
        """add_parts of the futures' results: on the workers in groups of SPLIT_EVERY, then
        on the driver."""
        client = self.client
        while len(parts) > SPLIT_EVERY:
            parts = [
                client.submit(add_parts, *parts[i : i + SPLIT_EVERY], pure=False)
                for i in range(0, len(parts), SPLIT_EVERY)
            ]
        return add_parts(*client.gather(parts))

    def _check_rows(self, y, s):
        for handle, name in ((y, "y"), (s, "s")):
            if not (isinstance(handle, WorkerRows) and handle.data is self and handle.name == name):
                raise ValueError(
                    f"DaskData's passes use the {name} its chunks hold; got another array"
                )

    def loss_gradient(self, y, s, w, b, n_blocks, grad, serial):
        self._check_rows(y, s)
        w, b = np.ascontiguousarray(w), float(b)
        if self._hessian_sample is None:
            loss, grad[:] = self._summed("loss_gradient", w, b, serial)
            return loss
        # newton (hessian_sums): each chunk's task also adds its share of the sampled Hessian
        # at this point, which newton asks for next if the step is accepted. In the same task:
        # no task or round trip of its own (its own tasks made each pass 10-20% slower)
        ranks, fit_intercept = self._hessian_sample
        args = [(w, b, serial, ranks.get(k), fit_intercept) for k in range(len(self.chunks))]
        self.n_passes += 1
        parts = self.client.map(
            run_pass_with, self.chunks, args, what="loss_gradient_hessian", pure=False
        )
        loss, joined = self._reduced(parts)
        p = w.shape[0] + 1
        grad[:] = joined[:p]
        self._hessian_at = (np.array(w), b, float(joined[p]), joined[p + 1 :])
        return loss

    def multinomial_loss_gradient(self, y, s, W, b, n_blocks, grad, serial):
        self._check_rows(y, s)
        loss, grad[:] = self._summed(
            "multinomial_loss_gradient", np.ascontiguousarray(W), np.ascontiguousarray(b), serial
        )
        return loss

    def weighted_sq_norm_sum(self, s, n_blocks):
        self._check_rows(self.y_rows, s)
        return self._summed("weighted_sq_norm_sum")[0]

    def check_finite(self):
        self._summed("check_finite")

    def max_abs(self):
        parts = self.client.gather(
            self.client.map(run_pass, self.chunks, what="max_abs", pure=False)
        )
        return max(p[0] for p in parts)

    # --- row samples ---

    def sample_bytes_per_row(self):
        if not self.is_sparse:
            return 8 * self.shape[1]
        return (8 + 8) * max(1.0, self.n_stored / self.shape[0]) + 8

    def gather_rows(self, rows, method, *args):
        """call_chunk(chunk, method, *args, local) on every chunk holding some of `rows` (a
        slice or sorted index array over all rows), gathered in row order."""
        futures = []
        for k, chunk in enumerate(self.chunks):
            local = _local_rows(rows, int(self.offsets[k]), self.sizes[k])
            if local is not None:
                futures.append(
                    self.client.submit(call_chunk, chunk, method, *args, local, pure=False)
                )
        return _stacked(self.client.gather(futures))

    def sample(self, rows):
        """The rows (a slice or sorted index array) as float64: an ndarray, or a SampleCSR."""
        gathered = self.gather_rows(rows, "rows")  # float64 ndarray or CSR
        if self.is_sparse:
            gathered.sum_duplicates()
            return SampleCSR(gathered)
        return gathered

    def _sample_ranks(self, max_rows, rng):
        """newton.hessian_sample's draw on the workers' weights: at most max_rows of the rows
        with s > 0, as in memory (rng.choice over their ranks, so the same rows), per chunk:
        [(chunk index, the ranks among that chunk's rows with s > 0)]."""
        n_positive = int(self.positive.sum())
        if n_positive <= max_rows:
            ranks = np.arange(n_positive)
        else:
            ranks = np.sort(rng.choice(n_positive, size=max_rows, replace=False))
        bounds = np.concatenate([[0], np.cumsum(self.positive)])
        per_chunk = []
        for k in range(len(self.chunks)):
            lo, hi = np.searchsorted(ranks, bounds[k : k + 2])
            if lo < hi:
                per_chunk.append((k, ranks[lo:hi] - bounds[k]))
        return per_chunk

    def hessian_sample(self, s, max_rows, rng):
        """newton.hessian_sample: (the sampled rows, their s), gathered to the driver (the
        multinomial newton's and proximal Newton's quadratic models run there)."""
        futures = [
            self.client.submit(call_chunk, self.chunks[k], "positive_sample", local, pure=False)
            for k, local in self._sample_ranks(max_rows, rng)
        ]
        parts = self.client.gather(futures)
        rows = _stacked([r for r, _ in parts])
        if self.is_sparse:
            rows.sum_duplicates()
            rows = SampleCSR(rows)
        return rows, np.concatenate([w for _, w in parts])

    def hessian_sums(self, s, max_rows, rng, fit_intercept):
        """For newton's SampledHessian: a function theta -> (the sample's weight sum, its
        sum-form Hessian), the sample drawn as hessian_sample draws it but kept on the
        workers, each chunk adding its rows' terms (kernels/hessian.py) there.

        From then on every loss_gradient pass also returns the sample's Hessian at its point:
        newton asks for the Hessian where its last accepted step's pass was, and finds it
        there (a rejected step's cost the workers a few ms)."""
        self._check_rows(self.y_rows, s)
        sample = self._sample_ranks(max_rows, rng)
        self._hessian_sample = ({k: local.astype(np.int32) for k, local in sample}, fit_intercept)
        size = self.shape[1] + 1 if fit_intercept else self.shape[1]

        def sums(theta):
            w, b = theta[:-1], float(theta[-1])
            at = self._hessian_at
            if at is None or at[1] != b or not np.array_equal(at[0], w):
                ranks = self._hessian_sample[0]
                args = (np.ascontiguousarray(w), b, fit_intercept)
                chunks = [self.chunks[k] for k in ranks]
                part_args = [(local, *args) for local in ranks.values()]
                parts = self.client.map(
                    run_pass_with, chunks, part_args, what="hessian_part", pure=False
                )
                weight, H = self._reduced(parts)
                at = (np.array(w), b, weight, H)
            return at[2], at[3].reshape(size, size)

        return sums

    # --- the Hessian on every row: products and working-set blocks summed over the chunks ---

    def hessp(self, datafit, scale, Theta, l2, fit_intercept):
        """objective.hessp on the chunks: (hessp, diagonal) of the mean-form Hessian of the
        smooth part at Theta, laid out as theta. One pass now (each chunk keeps its rows'
        curvature, or probabilities, on its worker) and one per product; each product sends
        Theta and v (d + 1 floats per output) to every chunk and one result back."""
        self._hessp_token += 1
        token = self._hessp_token
        Theta = np.ascontiguousarray(Theta, dtype=np.float64)
        K, p = Theta.shape
        _, diagonal = self._summed("hessp_start", datafit, scale, Theta, token)
        Diagonal = diagonal.reshape(K, p)
        Diagonal[:, :-1] += l2
        if not fit_intercept:
            Diagonal[:, -1] = 1.0

        def hessp(v):
            V = np.array(v, dtype=np.float64).reshape(K, p)
            if not fit_intercept:  # the intercepts' rows and columns are the identity's
                V[:, -1] = 0.0
            _, out = self._summed("hessp_product", datafit, scale, Theta, token, V.ravel())
            Out = out.reshape(K, p)
            Out[:, :-1] += l2 * V[:, :-1]
            if not fit_intercept:
                Out[:, -1] = np.reshape(v, (K, p))[:, -1]
            return out

        return hessp, diagonal

    def working_set_hessian(self, datafit, scale, Theta, columns):
        """objective.working_set_hessian on the chunks: each adds its rows' share on its
        worker, (K (|A| + 1))^2 floats per chunk back (tree-summed)."""
        Theta = np.ascontiguousarray(Theta, dtype=np.float64)
        columns = np.ascontiguousarray(columns, dtype=np.intp)
        _, H = self._summed("working_set_hessian", datafit, scale, Theta, columns)
        size = Theta.shape[0] * (columns.shape[0] + 1)
        return H.reshape(size, size)

    def not_offered(self, *args, **kwargs):
        raise NotImplementedError(
            "this pass runs over every row on the driver, which a fit on Dask does not do; "
            "use solver='lbfgs'"
        )

    hessian_product = multinomial_hessian_product = weighted_column_squares = not_offered
    scores = multinomial_scores = label_split_gradient = transpose_product = not_offered
    columns = not_offered


def warm_up(dtype_name, is_sparse, n_classes, serial, every_row_hessian=False):
    """Run the fit's pass (binomial or multinomial, dense or CSR, the dtype, parallel or
    serial kernel) once on a tiny chunk: Numba compiles it, or loads it from its disk cache.
    every_row_hessian: also the Hessian's passes on every row (truncated Newton's products,
    proximal Newton's working-set Hessian on sparse chunks)."""
    X = np.ones((4, 2), dtype=np.dtype(dtype_name))
    labels = np.arange(4) % n_classes
    raw = RawChunk(sp.csr_matrix(X) if is_sparse else X, labels, None, 0)
    chunk = Chunk(raw, np.arange(n_classes), None, X.dtype)
    K = 1 if n_classes == 2 else n_classes
    if K == 1:
        run_pass(chunk, "loss_gradient", (np.zeros(2), 0.0, serial))
    else:
        run_pass(chunk, "multinomial_loss_gradient", (np.zeros((K, 2)), np.zeros(K), serial))
    if every_row_hessian:
        datafit = for_classes(n_classes)
        Theta = np.zeros((K, 3))
        run_pass(chunk, "hessp_start", (datafit, 1.0, Theta, 0))
        run_pass(chunk, "hessp_product", (datafit, 1.0, Theta, 0, np.zeros(3 * K)))
        run_pass(chunk, "working_set_hessian", (datafit, 1.0, Theta, np.array([1])))


class Warmup(WorkerPlugin):
    """warm_up on every worker of the cluster, now and when one joins or restarts."""

    def __init__(self, *args):
        self.args = args

    def setup(self, worker):
        warm_up(*self.args)


def _stacked(parts):
    """Row blocks (float64 ndarrays, or CSR matrices) one under the other."""
    if sp.issparse(parts[0]):
        return sp.csr_matrix(sp.vstack(parts, format="csr"))
    return np.concatenate(parts)
