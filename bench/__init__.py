"""Benchmarks, each against a baseline in the same run: `python -m bench [name] [options]`."""
