"""Helpers shared by the live benchmarks: a 1,000-pod cluster and app servers to run it on."""
