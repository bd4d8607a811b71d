"""Fixtures for driving the real bot through the fake Discord and the fake Hugging Face."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.config import Settings
from bot.discord.client import PaperboyBot
from bot.pipeline import import_paths
from bot.store import Store
from tests.fakes.discord_server import FakeDiscord, run_bot
from tests.fakes.hf_server import FakeHF

SEED_DAY = "2025-01-24"


@pytest.fixture
async def fake_hf() -> AsyncIterator[FakeHF]:
    async with FakeHF() as hf:
        yield hf


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """The fake Discord on a fixed clock (the seed day, 08:00 UTC) that ``started`` gives the bot too, so
    Discord's snowflakes and the bot's "now" agree, and no test reads the host's date."""
    async with FakeDiscord(clock=FixedClock(datetime.fromisoformat(f"{SEED_DAY}T08:00:00+00:00"))) as fake:
        yield fake


@pytest.fixture
def settings(db_path: Path, fake_hf: FakeHF) -> Settings:
    s = Settings(database=str(db_path))
    s.hf.base_url = fake_hf.url
    s.hf.retries = 0
    s.hf.timeout_seconds = 5
    return s


@pytest.fixture
def seeded(settings: Settings, seed_file: Path) -> Settings:
    """A store holding the seed day (8 papers)."""
    with Store(settings.database) as store:
        report = import_paths(store, [seed_file])
        assert report.stats.new == 8
    return settings


@contextlib.asynccontextmanager
async def started(settings: Settings, fake: FakeDiscord, now: str | None = None,
                  **kw: object) -> AsyncIterator[PaperboyBot]:
    """A real PaperboyBot against the fakes, on the fake's clock when it has a fixed one (else its own).

    ``now`` (UTC, ``YYYY-MM-DDTHH:MM:SS``) sets that clock first; without it the clock keeps its time
    (the seed day, 08:00, unless a test moved it). Scheduler, delivery and fetch all read this clock.
    """
    clock = fake.clock if isinstance(fake.clock, FixedClock) else FixedClock(
        datetime.fromisoformat(f"{SEED_DAY}T08:00:00+00:00"))
    if now is not None:
        clock.set(datetime.fromisoformat(now).replace(tzinfo=UTC))
    bot = PaperboyBot(settings, clock=clock, **kw)  # type: ignore[arg-type]
    bot.deliverer.backoff = 0.01
    async with run_bot(bot, fake, timeout=10) as running:
        yield running  # type: ignore[misc]


def arxiv_ids(messages: list[dict]) -> list[str]:
    """Every paper a list of messages carries, read from the embed footers a reader sees."""
    ids = []
    for m in messages:
        for e in m.get("embeds", []):
            found = re.search(r"arXiv:(\S+)", (e.get("footer") or {}).get("text", ""))
            if found:
                ids.append(found.group(1))
    return ids

