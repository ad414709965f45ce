"""Evaluations of briefbot against public research data (benchmarks, not tests)."""
