"""Fixtures for the http service (filled by the feature that needs it)."""
