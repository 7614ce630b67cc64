"""Synthetic scenario builders for the exercise library (one module per exercise group)."""
