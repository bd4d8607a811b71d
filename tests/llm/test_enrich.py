"""Enrichment over a real store and the fake server: which papers, what is stored, what a failure leaves."""

from __future__ import annotations

import asyncio

import pytest

from bot.llm.enrich import BackgroundEnrichment, Enricher, NotConfigured, enrich_fetched_day
from bot.llm.prompt import PROMPT_VERSION
from bot.models import Paper
from bot.store import Store
from tests.fakes.llm_server import COMPLETION_TOKENS, PROMPT_TOKENS, FakeLLM, Fault
from tests.llm.conftest import DAY, DIGEST_ID, HF_IDS, llm_settings

PER_ANSWER = PROMPT_TOKENS + COMPLETION_TOKENS


async def no_wait(seconds: float) -> None:
    return None


async def run(store: Store, fake: FakeLLM, *, force: bool = False, **changes):
    async with Enricher(llm_settings(fake.url, **changes), sleep=no_wait) as enricher:
        return await enricher.enrich(store, DAY, DAY, force=force)


def bullets_of(aid: str, title: str | None = None) -> str:
    title = title or f"Paper {aid}"
    return "\n".join(f"- {title}: point {i} of paper {aid}." for i in range(1, 5))


async def test_papers_without_digest_summaries_get_llm_bullets_and_tags(store: Store) -> None:
    async with FakeLLM() as fake:
        report = await run(store, fake)
    assert report.to_dict() == {"done": 3, "failed": 0, "skipped": 1, "skipped_digest": 1, "skipped_cached": 0,
                                "tokens": 3 * PER_ANSWER, "prompt_tokens": 3 * PROMPT_TOKENS,
                                "completion_tokens": 3 * COMPLETION_TOKENS, "dropped_tags": 0, "failures": []}
    assert sorted(r["paper"] for r in fake.requests) == HF_IDS
    for aid in HF_IDS:
        paper = store.get(aid)
        assert paper.summary == bullets_of(aid)
        assert paper.tags == ["Natural Language Processing", "Text Generation"]
        assert store.enrichments.summary_source(aid) == ("llm", "llm")
        assert paper.dates == [DAY] and paper.title == f"Paper {aid}" and paper.upvotes > 0  # nothing else moved
    digest = store.get(DIGEST_ID)
    assert digest.summary == "- Digest bullet one.\n- Digest bullet two." and digest.tags == ["Audio"]
    rows = store.enrichments.rows()
    assert [(r["arxiv_id"], r["model"], r["prompt_version"], r["status"], r["prompt_tokens"], r["attempts"])
            for r in rows] == [(aid, "fake-model", PROMPT_VERSION, "ok", PROMPT_TOKENS, 1) for aid in HF_IDS]
    assert rows[0]["created_at"] == "2025-01-24T12:00:00+00:00"  # the store's injected clock


async def test_a_good_answer_is_never_asked_again_unless_forced(store: Store) -> None:
    async with FakeLLM() as fake:
        await run(store, fake)
        again = await run(store, fake)
        assert (again.done, again.skipped_cached, len(fake.requests)) == (0, 3, 3)
        forced = await run(store, fake, force=True)
        assert (forced.done, forced.skipped_digest, len(fake.requests)) == (3, 1, 6)
        other_model = await run(store, fake, model="another-model")
        assert (other_model.done, len(fake.requests)) == (3, 9)


async def test_a_bad_answer_leaves_the_summary_exactly_as_it_was_and_is_retried_next_run(store: Store) -> None:
    before = store.get("2501.00002")
    async with FakeLLM() as fake:
        fake.script("2501.00002", Fault.malformed())
        fake.script("2501.00003", Fault.not_a_completion())
        report = await run(store, fake)
        assert (report.done, report.failed, report.tokens) == (1, 2, 2 * PER_ANSWER)
        assert report.failures == ["2501.00002: the answer is not valid JSON",
                                   "2501.00003: The LLM server's answer for paper 2501.00003 is not a chat completion"]
        after = store.get("2501.00002")
        assert after == before
        assert store.enrichments.summary_source("2501.00002") == ("hf-api", "auto")
        assert [r["status"] for r in store.enrichments.rows("2501.00002")] == ["failed"]
        retry = await run(store, fake)
    assert (retry.done, retry.failed, retry.skipped_cached) == (2, 0, 1)
    assert store.get("2501.00002").summary == bullets_of("2501.00002")
    assert [(r["status"], r["attempts"], r["error"]) for r in store.enrichments.rows("2501.00002")] == [("ok", 2, "")]


async def test_tags_outside_the_taxonomy_are_dropped_and_the_answer_still_counts(store: Store) -> None:
    async with FakeLLM() as fake:
        fake.script("2501.00001", Fault.tags(["Quantum Cooking", "Robotics", "Not A Tag"]))
        report = await run(store, fake)
    assert (report.done, report.failed, report.dropped_tags) == (3, 0, 2)
    assert store.get("2501.00001").tags == ["Robotics"]
    assert store.get("2501.00001").summary == "- Point 1.\n- Point 2.\n- Point 3.\n- Point 4."


async def test_an_answer_with_no_valid_tag_keeps_the_old_tags(store: Store) -> None:
    async with FakeLLM() as fake:
        fake.script("2501.00001", Fault.tags(["Quantum Cooking"]))
        await run(store, fake)
    assert store.get("2501.00001").tags == ["Computer Vision"]
    assert store.enrichments.summary_source("2501.00001") == ("llm", "auto")


async def test_after_a_400_to_json_schema_that_paper_asks_with_json_object_and_a_later_run_tries_schema_again(
        store: Store) -> None:
    async with FakeLLM() as fake:
        fake.script("2501.00001", Fault.schema400())
        report = await run(store, fake)
        assert (report.done, report.failed) == (3, 0)
        kinds = [b["response_format"]["type"] for b in fake.bodies("2501.00001")]
        assert kinds == ["json_schema", "json_object"]
        assert "The allowed tag names are:" in fake.bodies("2501.00001")[1]["messages"][0]["content"]
        assert [b["response_format"]["type"] for b in fake.bodies("2501.00002")] == ["json_schema"]
        await run(store, fake, force=True)
    assert [b["response_format"]["type"] for b in fake.bodies("2501.00001")] == ["json_schema", "json_object",
                                                                                   "json_schema"]


async def test_an_imported_digest_still_wins_over_llm_bullets(store: Store) -> None:
    async with FakeLLM() as fake:
        await run(store, fake)
    store.upsert_papers([Paper(arxiv_id="2501.00001", title="Paper 2501.00001",
                               summary="- Digest says this.\n- And this.", dates=[DAY], source="digest-json",
                               tags=["Audio"], tags_source="digest")])
    paper = store.get("2501.00001")
    assert paper.summary == "- Digest says this.\n- And this." and paper.tags == ["Audio"]
    assert store.enrichments.summary_source("2501.00001") == ("digest-json", "digest")
    # and a Hugging Face re-fetch does not take the summary back from the LLM
    store.upsert_papers([Paper(arxiv_id="2501.00002", title="Paper 2501.00002", summary="A much longer HF one-liner "
                               * 20, dates=[DAY], source="hf-api")])
    assert store.get("2501.00002").summary == bullets_of("2501.00002")


async def test_fulltext_input_sends_the_cut_markdown_and_falls_back_to_the_abstract(store: Store) -> None:
    async with FakeLLM(fulltext={"2501.00001": "# Paper\n\n" + "Full text. " * 5000}) as fake:
        settings = llm_settings(fake.url, input="fulltext")
        settings.hf.base_url = fake.root
        async with Enricher(settings, sleep=no_wait) as enricher:
            report = await enricher.enrich(store, DAY, DAY)
    assert report.done == 3 and sorted(fake.fulltext_requests) == HF_IDS
    full = fake.bodies("2501.00001")[0]["messages"][1]["content"]
    assert "Full text (Markdown, may be cut):\n# Paper\n\nFull text." in full and len(full) < 24_200
    assert full.endswith("[…]\n<<<END PAPER>>>")
    assert "Abstract:\nAbstract of 2501.00002." in fake.bodies("2501.00002")[0]["messages"][1]["content"]


async def test_hostile_bullets_are_stored_cleaned(store: Store) -> None:
    async with FakeLLM() as fake:
        fake.script("2501.00001", Fault.hostile())
        await run(store, fake)
    assert store.get("2501.00001").summary.splitlines() == [
        "- @everyone this paper is great", "- Ping <@&1> and <@123456789012345678> now",
        "- Click x for the code", "- A fine project page (https://example.org/p) too"]


async def test_an_unreachable_server_stops_the_run_keeping_nothing_half_done(store: Store) -> None:
    async with FakeLLM() as fake:
        url = fake.url
    from bot.llm.client import LLMUnavailable

    with pytest.raises(LLMUnavailable):
        async with Enricher(llm_settings(url), sleep=no_wait) as enricher:
            await enricher.enrich(store, DAY, DAY)
    assert store.enrichments.rows() == []
    assert store.get("2501.00001").summary == "HF one-liner of 2501.00001."
    assert await enrich_fetched_day(llm_settings(url), store, DAY) == (
        f"LLM enrichment skipped: Cannot reach the LLM server at {url}: connection refused; "
        "the summaries stay as fetched.")


def test_not_configured_is_one_sentence() -> None:
    settings = llm_settings("")
    with pytest.raises(NotConfigured) as err:
        Enricher(settings)
    assert str(err.value) == ("LLM enrichment is not configured: set [llm] base_url (or PAPERBOY_LLM_BASE_URL) "
                              "and model in the config file.")


async def test_background_enrichment_runs_after_a_fetch_and_close_cancels_a_hanging_one(store: Store) -> None:
    async with FakeLLM() as fake:
        fake.script("2501.00001", Fault.hang(60))
        background = BackgroundEnrichment(llm_settings(fake.url, timeout_seconds=60.0), store)
        task = background.start(DAY)
        await asyncio.wait_for(_until(lambda: len(store.enrichments.rows()) == 2), 10)  # two done, one hangs
        await asyncio.wait_for(background.close(), 5)
        assert task.cancelled() and background.last_report is None
        assert [r["arxiv_id"] for r in store.enrichments.rows()] == ["2501.00002", "2501.00003"]
        assert store.get("2501.00001").summary == "HF one-liner of 2501.00001."
        again = BackgroundEnrichment(llm_settings(fake.url), store)
        again.start(DAY)
        await asyncio.wait_for(again.wait(), 10)
    assert (again.last_report.done, again.last_report.skipped_cached) == (1, 2)
    assert BackgroundEnrichment(llm_settings(""), store).start(DAY) is None


async def _until(check) -> None:
    """Wait for a condition (the caller bounds it with wait_for): no sleep-then-assert."""
    while not check():
        await asyncio.sleep(0.01)


def test_the_newest_day_ignores_arxiv_listings(store: Store) -> None:
    assert store.enrichments.newest_day() == DAY
    store.upsert_papers([Paper(arxiv_id="2501.00042", title="Listed only", dates=["2025-01-25"], source="arxiv")])
    assert store.enrichments.newest_day() == DAY
