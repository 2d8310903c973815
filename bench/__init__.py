"""Benchmarks: each module is a script run as `python bench/<name>.py`; see the README."""
