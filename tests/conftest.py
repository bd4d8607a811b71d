"""Shared fixtures: where the real sample data lives, and fresh SQLite files per test."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__import__("os").environ.get("PAPERBOY_SHARED", ROOT.parent / "shared"))
DATA = SHARED / "data"
SEED = SHARED / "seed" / "papers-2025-01-24.md"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"needs the shared sample data at {path} (set PAPERBOY_SHARED to its folder)")
    return path


@pytest.fixture
def data_dir() -> Path:
    """``../shared/data``; tests that use it skip with a reason when it is absent."""
    return _need(DATA)


@pytest.fixture
def seed_file() -> Path:
    """The seed digest ``../shared/seed/papers-2025-01-24.md``."""
    return _need(SEED)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A path for a real SQLite file in a fresh temporary folder."""
    return tmp_path / "paperboy.db"
