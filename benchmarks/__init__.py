"""Reproducible benchmarks. Run all with `python -m benchmarks --size smoke|full`."""
