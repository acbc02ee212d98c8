"""Chunked data: rows read from a source one chunk at a time, for training on data larger than
memory (DESIGN.md's third data kind).

A chunk source is re-iterable: every iter(source) reads the rows from the start again and
yields (X_chunk, y_chunk) pairs, X_chunk a dense float array or a scipy.sparse matrix of at
most a few rows-thousand and the same columns in every chunk. ChunkedData offers the passes of
data.py's kinds (DenseData, CSRData) by running the in-memory pass on each chunk as it
arrives and adding up the chunks' sums (loss, gradient, Hessian-vector product, column
squares): the same per-block sums the kernels already make, so the exact solvers reach the
in-memory fit's optimum (equal to rounding: the chunks change the order of the sums). Each
pass of a solver is one read of the source.

What stays in memory is per row, not per entry: the labels and weights (float64 each, the
objective's y and s), and the Hessian's row weights for truncated Newton on sparse chunks
(16-24 bytes per row against 8 per entry of X). Row samples (the sampled Hessian, the
preconditioners) are gathered in one pass and kept, as on in-memory data.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from . import _validation as V
from ._chunk_source import ChunkSource
from .data import CSRData, DenseData, SampleCSR


class ChunkList(ChunkSource):
    """A chunk source over chunks already at hand: a sequence of (X_chunk, y_chunk) pairs
    (arrays, memory-mapped arrays such as np.load(path, mmap_mode='r'), or scipy.sparse
    matrices; each is read when its turn comes, so memory maps are paged in chunk by chunk)."""

    def __init__(self, chunks, feature_names=None):
        self.chunks = list(chunks)
        if not self.chunks:
            raise ValueError("ChunkList needs at least one (X, y) chunk")
        for k, chunk in enumerate(self.chunks):
            if not (isinstance(chunk, tuple | list) and len(chunk) == 2):
                raise TypeError(f"chunk {k} must be an (X, y) pair, got {type(chunk).__name__}")
        self.feature_names = feature_names

    def __iter__(self):
        return iter(self.chunks)


# labels of these dtype kinds cannot share one class list across chunks (objects: the
# estimator's check of y decides)
_LABEL_KINDS = {**dict.fromkeys("biuf", "numeric"), **dict.fromkeys("US", "text")}


class ChunkedData:
    """The data.py passes over a ChunkSource. Building it reads the source once: the chunks'
    row counts, the columns, the dtype and kind, and every label (`labels`, the estimator's y).

    Raises TypeError for a chunk that is not an (X, y) pair or mixes dense and sparse chunks,
    ValueError for an empty source, chunks whose column counts differ, labels whose length
    differs from their chunk's rows, and (on a later pass) a source whose chunks changed."""

    is_chunked = True
    X = None  # no matrix in memory (data.used_columns and the like then do nothing)
    fused_update = False

    def __init__(self, source):
        self.source = source
        sizes, labels, n_stored = [], [], 0
        d = dtype = kind = None
        label_kind = None  # 'numeric' or 'text', from the first chunk whose labels are either
        for k, X_c, y_c in self._pairs():
            X_c = self._chunk_matrix(X_c, k)
            kind_c = sp.issparse(X_c)
            if d is None:
                d, dtype, kind = X_c.shape[1], X_c.dtype, kind_c
            else:
                # float32 only when every chunk is: a float64 chunk is not cut to float32
                dtype = np.promote_types(dtype, X_c.dtype)
            if X_c.shape[1] != d:
                raise ValueError(
                    f"chunk {k} has {X_c.shape[1]} columns, the first chunk {d}: every chunk "
                    "needs the same columns"
                )
            elif kind_c != kind:
                raise TypeError(
                    f"chunk {k} is {'sparse' if kind_c else 'dense'}, the first chunk is not: "
                    "pass all chunks dense or all sparse"
                )
            y_c = np.asarray(y_c)
            if y_c.ndim != 1 or y_c.shape[0] != X_c.shape[0]:
                raise ValueError(
                    f"chunk {k}: {X_c.shape[0]} rows but labels of shape {y_c.shape}; each "
                    "chunk's labels are one per row"
                )
            kind_y = _LABEL_KINDS.get(y_c.dtype.kind)
            if label_kind is None:
                label_kind = kind_y
            elif kind_y is not None and kind_y != label_kind:
                # np.concatenate would turn numbers into text: 0 and '0' one class, 0 and 'no'
                # four, where scikit-learn refuses labels of mixed types in memory
                raise ValueError(
                    f"chunk {k} has {kind_y} labels ({y_c.dtype}) where an earlier chunk has "
                    f"{label_kind} ones: give every chunk labels of one type"
                )
            sizes.append(X_c.shape[0])
            labels.append(y_c)
            n_stored += X_c.nnz if kind_c else X_c.size
        if d is None:
            raise ValueError("the chunk source yielded no chunks: it has no rows")
        self.sizes = sizes
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.shape = (int(self.offsets[-1]), d)
        self.dtype = dtype
        self.is_sparse = kind
        self.stores_curvature = kind  # CSRData.loss_gradient fills a chunk's slice of it
        self.n_stored = n_stored
        self.labels = np.concatenate(labels)
        self._work = np.empty(0)  # CSR chunks' per-thread buffers, shared by every chunk

    def _pairs(self):
        """(k, X_chunk, y_chunk) for the source's chunks that hold rows, k counting every
        chunk (an empty one, as a filter may yield, is skipped, as on Dask)."""
        for k, pair in enumerate(self.source):
            if not (isinstance(pair, tuple | list) and len(pair) == 2):
                raise TypeError(
                    f"chunk {k} of the source is a {type(pair).__name__}; a chunk source "
                    "yields (X_chunk, y_chunk) pairs"
                )
            X_c, y_c = pair
            shape = getattr(X_c, "shape", None)
            if (len(X_c) if shape is None else shape[0]) == 0:
                continue
            yield k, X_c, y_c

    def _chunk_matrix(self, X_c, k):
        try:
            X_c = V.as_design_matrix(X_c, check_finite=False)
        except (TypeError, ValueError) as err:
            raise type(err)(f"chunk {k}: {err}") from err
        if getattr(self, "dtype", None) is not None and X_c.dtype != self.dtype:
            X_c = X_c.astype(self.dtype)  # a float32 chunk among float64 ones, converted
        return X_c

    def chunks(self):
        """(first row, rows, the chunk as DenseData or CSRData) for every chunk, read now."""
        i = -1  # the number of the non-empty chunk
        for i, (k, X_c, _) in enumerate(self._pairs()):
            X_c = self._chunk_matrix(X_c, k)
            if i >= len(self.sizes) or X_c.shape[0] != self.sizes[i]:
                raise self._changed()
            if self.is_sparse:
                inner = CSRData(X_c)
                inner._work = self._work  # grown once, then shared (data.CSRData.work)
                yield int(self.offsets[i]), self.sizes[i], inner
                self._work = inner._work
            else:
                yield int(self.offsets[i]), self.sizes[i], DenseData(X_c)
        if i + 1 != len(self.sizes):
            raise self._changed()

    def _changed(self):
        return ValueError(
            "the chunk source yielded different chunks on a later pass (it must yield the same "
            f"{len(self.sizes)} chunks of {self.sizes[:5]}... rows every time it is iterated)"
        )

    # --- the passes: each chunk's in-memory pass, summed ---

    def check_finite(self):
        for o, m, inner in self.chunks():
            try:
                inner.check_finite()
            except ValueError as err:
                raise ValueError(
                    f"in the chunk of rows {o} to {o + m - 1} (its rows counted from 0): {err}"
                ) from None

    def max_abs(self):
        return max(inner.max_abs() for _, _, inner in self.chunks())

    def _summed(self, out, chunk_pass):
        """out = the sum over chunks of chunk_pass(chunk, its rows, part), each pass writing
        its chunk's share into `part` (out's shape) and returning a number (or None); returns
        the sum of those numbers."""
        part = np.empty_like(out)
        out[...] = 0.0
        total = 0.0
        for first, m, chunk in self.chunks():
            value = chunk_pass(chunk, slice(first, first + m), part)
            out += part
            total += 0.0 if value is None else value
        return total

    def loss_gradient(self, y, s, w, b, n_blocks, grad, serial, curvature=None):
        def chunk_pass(chunk, rows, part):
            more = () if curvature is None else (curvature[rows],)
            return chunk.loss_gradient(y[rows], s[rows], w, b, n_blocks, part, serial, *more)

        return self._summed(grad, chunk_pass)

    def multinomial_loss_gradient(self, y, s, W, b, n_blocks, grad, serial):
        return self._summed(
            grad,
            lambda chunk, rows, part: chunk.multinomial_loss_gradient(
                y[rows], s[rows], W, b, n_blocks, part, serial
            ),
        )

    def scores(self, w, b, probability, n_blocks, out):
        for first, m, chunk in self.chunks():
            chunk.scores(w, b, probability, n_blocks, out[first : first + m])

    def multinomial_scores(self, W, b, probability, n_blocks, out):
        for first, m, chunk in self.chunks():
            chunk.multinomial_scores(W, b, probability, n_blocks, out[first : first + m])

    def hessian_product(self, curvature, v, v_b, n_blocks, out):
        self._summed(
            out,
            lambda chunk, rows, part: chunk.hessian_product(
                curvature[rows], v, v_b, n_blocks, part
            ),
        )

    def multinomial_hessian_product(self, weighted_p, V_, v_b, n_blocks, out):
        self._summed(
            out,
            lambda chunk, rows, part: chunk.multinomial_hessian_product(
                weighted_p[rows], V_, v_b, n_blocks, part
            ),
        )

    def weighted_column_squares(self, H, n_blocks, out):
        self._summed(
            out, lambda chunk, rows, part: chunk.weighted_column_squares(H[rows], n_blocks, part)
        )

    def weighted_sq_norm_sum(self, s, n_blocks):
        return sum(
            chunk.weighted_sq_norm_sum(s[first : first + m], n_blocks)
            for first, m, chunk in self.chunks()
        )

    def label_split_gradient(self, y, s, w, b, n_blocks, residual, grads):
        self._summed(
            grads,
            lambda chunk, rows, part: chunk.label_split_gradient(
                y[rows], s[rows], w, b, n_blocks, residual[rows], part
            ),
        )

    def transpose_product(self, R):
        total = np.zeros((self.shape[1], R.shape[1]))
        for first, m, chunk in self.chunks():
            total += chunk.transpose_product(R[first : first + m])
        return total

    def columns(self, columns):
        """CSRData.columns over every chunk: the working set's non-zeros, float64 CSC."""
        return sp.vstack([inner.columns(columns) for _, _, inner in self.chunks()], format="csc")

    def sample_bytes_per_row(self):
        if not self.is_sparse:
            return 8 * self.shape[1]
        return (8 + 8) * max(1.0, self.n_stored / self.shape[0]) + 8  # int64 indices at most

    def sample(self, rows):
        """The rows (a slice of every row, a strided slice, or a sorted index array) gathered
        in one pass: a float64 ndarray, or a SampleCSR for sparse chunks."""
        parts = []
        for o, m, inner in self.chunks():
            local = _local_rows(rows, o, m)
            if local is not None:
                part = inner.sample(local)
                # a copy of the sampled rows: a strided view would keep the whole chunk alive
                parts.append(part if self.is_sparse else np.array(part))
        if not self.is_sparse:
            return np.concatenate(parts)
        csr = sp.csr_matrix(sp.vstack([p.csr for p in parts], format="csr"))
        return SampleCSR(csr)


def _local_rows(rows, first, m):
    """The rows of `rows` (slice or sorted index array over the whole data) that fall in
    [first, first + m), as an index into that chunk, or None if there are none."""
    if isinstance(rows, slice):
        start, stop, step = rows.indices(2**62)
        stop = min(stop, first + m)
        if stop <= max(start, first):
            return None
        # the first multiple of step past start at or after `first`
        begin = start if start >= first else start + -(-(first - start) // step) * step
        if begin >= stop:
            return None
        return slice(begin - first, stop - first, step)
    lo, hi = np.searchsorted(rows, [first, first + m])
    return None if lo == hi else rows[lo:hi] - first
