"""The base class of chunk sources, in a module of its own so that fastlogreg.io (whose
import must stay light for the command line) and fastlogreg.chunked share it."""


class ChunkSource:
    """Base class of chunk sources (fastlogreg.io.open_chunks returns one). A subclass defines
    __iter__, which reads the source from its start on every call and yields (X_chunk,
    y_chunk) pairs: X_chunk (m, d) a float32/float64 array (C-contiguous ones are used without
    a copy) or a scipy.sparse matrix, y_chunk (m,) labels; every pass must yield the same
    chunks. feature_names: the columns' names (array of str) or None."""

    feature_names = None

    def __iter__(self):
        raise NotImplementedError


def is_chunk_source(X):
    return isinstance(X, ChunkSource)
