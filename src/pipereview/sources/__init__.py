"""Canonical readers, engines, data-quality checks and fingerprints."""
