"""The backfill's parsing and tagging processes (bot/tag_worker.py): real processes, real pages.

Each start method gives exactly what parsing and tagging in this process gives; a worker that dies
hands the work back to this process with a warning instead of failing the backfill.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

import pytest

from bot.sources.hf import parse_day_pages
from bot.tag_worker import TagWorkers
from bot.tagging import Tagger, tag_missing

pytestmark = pytest.mark.timeout(60)

DAY = "2026-07-13"


@pytest.fixture
def pages(data_dir: Path) -> list[list]:
    entries = json.loads((data_dir / "upstream" / "ai-weekly-radar_huggingface_papers.json").read_text("utf-8"))
    return [entries]


def here(pages: list[list], tagger: Tagger) -> tuple[list[dict], list[str]]:
    papers, warnings = parse_day_pages(pages, DAY)
    return [p.to_dict() for p in tag_missing(papers, tagger)], warnings


@pytest.mark.parametrize("method", ["fork", "forkserver"])
async def test_a_worker_parses_and_tags_a_day_as_this_process_does(method: str, pages: list[list]) -> None:
    tagger = Tagger()
    workers = TagWorkers(method=method)  # type: ignore[arg-type]
    try:
        assert await workers.up() is True
        papers, warnings = await workers.parse_and_tag(pages, DAY, False, tagger)
        tagged = await workers.tag([p for p, _ in zip(parse_day_pages(pages, DAY)[0], range(3), strict=False)], tagger)
    finally:
        await workers.shutdown()
    assert ([p.to_dict() for p in papers], warnings) == here(pages, tagger)
    assert [p.to_dict() for p in tagged] == here(pages, tagger)[0][:3]
    assert (workers.method, workers.in_worker, workers.here, workers.broken) == (method, 2, 0, False)


async def test_with_another_thread_running_the_workers_come_from_a_fork_server() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        workers = TagWorkers()
        await workers.shutdown()
    finally:
        stop.set()
        thread.join()
    assert workers.method == "forkserver"


async def test_a_worker_that_dies_hands_the_work_back_with_a_warning(
        pages: list[list], caplog: pytest.LogCaptureFixture) -> None:
    tagger = Tagger()
    workers = TagWorkers(method="fork")
    try:
        assert await workers.up() is True
        with caplog.at_level(logging.WARNING, logger="bot.tag_worker"):
            assert await workers._run(os._exit, 3) is None  # the process ends mid-job, as a crash would end it
            papers, warnings = await workers.parse_and_tag(pages, DAY, False, tagger)
    finally:
        await workers.shutdown()
    assert ([p.to_dict() for p in papers], warnings) == here(pages, tagger)
    assert (workers.broken, workers.in_worker, workers.here) == (True, 0, 1)
    assert [r.getMessage() for r in caplog.records] == [
        "the tagging worker processes failed (BrokenProcessPool); parsing and tagging in this process"]
