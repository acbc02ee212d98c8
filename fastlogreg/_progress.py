"""Progress reports from the solvers' iterations to a listener (the command line's progress
bar). Nobody listens by default, and then a report costs one comparison per iteration."""

from __future__ import annotations

from contextlib import contextmanager

_listener = None


@contextmanager
def listening(callback):
    """Within the block, every solver iteration calls callback(kind, n_iter, loss): kind
    'iteration' or 'epoch', n_iter counted from 1, loss the mean-form objective."""
    global _listener
    previous, _listener = _listener, callback
    try:
        yield
    finally:
        _listener = previous


def report(kind, n_iter, loss):
    if _listener is not None:
        _listener(kind, n_iter, float(loss))
