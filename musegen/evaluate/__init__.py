"""Evaluation: metrics and the verdict between two runs."""
