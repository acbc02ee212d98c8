"""Benchmarks (not tests): run them as modules from the repository root, e.g.
`python -m bench.epoch`. Results and the exact commands are recorded in bench/RESULTS.md."""
