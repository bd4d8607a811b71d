"""Fixtures the upstream-client tests share: the real saved Hugging Face listing, a fake server serving
it, and one aiohttp session per test."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.fakes.hf_server import FakeHF


@pytest.fixture
def daily_file(data_dir: Path) -> Path:
    return data_dir / "upstream" / "ai-weekly-radar_huggingface_papers.json"


@pytest.fixture
def daily(daily_file: Path) -> list[dict]:
    return json.loads(daily_file.read_text(encoding="utf-8"))


@pytest.fixture
async def fake(daily: list[dict]) -> AsyncIterator[FakeHF]:
    """The fake Hugging Face serving the saved listing (test_arxiv overrides it with the arXiv feed)."""
    async with FakeHF() as server:
        server.add_entries(daily)
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s
