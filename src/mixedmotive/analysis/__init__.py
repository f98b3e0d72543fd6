"""Metrics and the paper-claims registry."""
