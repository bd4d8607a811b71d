"""A real store holding one day of papers as each source leaves them, and settings pointing at the fake."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.config import Settings
from bot.models import Paper
from bot.store import Store

DAY = "2025-01-24"
HF_IDS = ["2501.00001", "2501.00002", "2501.00003"]
DIGEST_ID = "2501.00009"


def hf_paper(aid: str, upvotes: int) -> Paper:
    return Paper(arxiv_id=aid, title=f"Paper {aid}", authors=["A. Author"], abstract=f"Abstract of {aid}.",
                 summary=f"HF one-liner of {aid}.", upvotes=upvotes, dates=[DAY], source="hf-api",
                 tags=["Computer Vision"], tags_source="auto")


def digest_paper() -> Paper:
    return Paper(arxiv_id=DIGEST_ID, title="A digest paper", authors=["B"], abstract="Its abstract.",
                 summary="- Digest bullet one.\n- Digest bullet two.", dates=[DAY], source="digest-md",
                 tags=["Audio"], tags_source="digest", upvotes=1)


@pytest.fixture
def store(db_path: Path):
    s = Store(db_path, clock=FixedClock())
    s.upsert_papers([hf_paper(aid, 30 - i) for i, aid in enumerate(HF_IDS)] + [digest_paper()])
    yield s
    s.close()


def llm_settings(url: str, **changes) -> Settings:
    settings = Settings()
    settings.llm.base_url = url
    settings.llm.model = "fake-model"
    settings.llm.requests_per_minute = 6000
    settings.llm.timeout_seconds = 5.0
    for key, value in changes.items():
        setattr(settings.llm, key, value)
    return settings
