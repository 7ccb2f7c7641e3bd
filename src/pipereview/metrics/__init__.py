"""Metric expression builders (Ibis): pipeline, rep performance, rep trajectory."""
