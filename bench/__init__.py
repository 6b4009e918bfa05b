"""Benchmarks: `python -m bench` runs them all; `python -m bench.store` runs one."""
