"""Benchmarks for pybackend: ``python -m bench.run`` (``make bench``); see bench/README.md."""
