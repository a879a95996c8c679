"""Metrics, request metrics middleware and logging."""
