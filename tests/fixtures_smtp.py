"""Fixtures for the smtp service (filled by the feature that needs it)."""
