"""Shared pytest fixtures; service fixtures live in tests/fixtures_*.py plugins (one per service)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures_es",
    "tests.fixtures_http",
    "tests.fixtures_smtp",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh MEDIAWATCH_DATA_DIR for one test."""
    path = tmp_path / "data"
    path.mkdir()
    monkeypatch.setenv("MEDIAWATCH_DATA_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the checkout; tests needing it skip cleanly where it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is absent (a user's fresh clone): skipping tests on real data")
    return SHARED
