"""Matching benchmark: the optimizer against a greedy baseline and the dense exact reference."""
