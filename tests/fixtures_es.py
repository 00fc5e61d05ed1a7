"""Fixtures for the es service (filled by the feature that needs it)."""
