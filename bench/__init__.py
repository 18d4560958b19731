"""Benchmarks: each module here has `run(size)` and prints `bench:` lines."""
