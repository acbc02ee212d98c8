"""Parallel Numba kernels on plain arrays. One module per data layout, with the same names."""
