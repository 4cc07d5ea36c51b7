"""Client benchmarks: scripts that print figures (not tests)."""
