"""The whole Cairn system on one machine: for `make run`, `make demo` and the tests."""
