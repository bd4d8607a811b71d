"""bot/sources/http.py against the fake Hugging Face: an answer cut off in transit is retried, then named
in one plain sentence as the service's incomplete answer (never "Cannot reach", never aiohttp's words)."""

from __future__ import annotations

import json
import logging

import aiohttp
import pytest

from bot.errors import UpstreamError
from bot.sources.hf import HFClient
from bot.sources.http import RetryPolicy, _cut_off, get_with_retries
from tests.fakes.hf_server import FakeHF, Fault

FAST = aiohttp.ClientTimeout(total=2, connect=1)
DAY = "2026-07-10"
INCOMPLETE = f"Hugging Face sent an incomplete answer for the papers of {DAY}; try again later."


def client(session: aiohttp.ClientSession, fake: FakeHF) -> HFClient:
    return HFClient(session, base_url=fake.url, timeout=FAST, retries=3, backoff=0.01, max_wait=0.5)


async def test_the_fake_really_cuts_the_body_short(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    fake.script("daily_papers", Fault.truncated(0.5))
    async with session.get(f"{fake.url}/api/daily_papers", params={"date": DAY}) as resp:
        assert resp.status == 200
        with pytest.raises(aiohttp.ClientPayloadError):
            await resp.text()


async def test_a_truncated_body_is_retried_like_other_transient_faults(
    fake: FakeHF, session: aiohttp.ClientSession
) -> None:
    fake.script("daily_papers", Fault.truncated(0.5), Fault.truncated(0.99))
    assert len(await client(session, fake).fetch_day(DAY)) == 11
    assert len(fake.requests) == 3


async def test_a_body_truncated_every_time_is_one_plain_sentence(
    fake: FakeHF, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    fake.script("daily_papers", *[Fault.truncated(0.3)] * 4)
    with caplog.at_level(logging.WARNING, logger="bot.sources.http"), pytest.raises(UpstreamError) as err:
        await client(session, fake).fetch_day(DAY)
    assert str(err.value) == INCOMPLETE
    assert len(fake.requests) == 4  # the first try and the client's three retries
    reasons = [r.getMessage().split(", retry")[0] for r in caplog.records]
    assert reasons == [f"Hugging Face: the papers of {DAY} failed (the body was cut off)"] * 3


async def test_json_that_stops_mid_value_is_an_incomplete_answer(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    fake.script("daily_papers", *[Fault.malformed()] * 3)  # '[{"paper": {"id": "2501.0' with a full framing
    with pytest.raises(UpstreamError) as err:
        await client(session, fake).fetch_day(DAY)
    assert str(err.value) == INCOMPLETE
    assert len(fake.requests) == 3  # bad bodies get the bad-body retries (two), as before


async def test_json_of_the_wrong_shape_keeps_its_own_sentence(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    fake.script("daily_papers", *[Fault.not_a_list()] * 3)
    with pytest.raises(UpstreamError) as err:
        await client(session, fake).fetch_day(DAY)
    assert str(err.value) == f"Hugging Face returned something that is not a list of papers for {DAY}."


async def test_get_with_retries_names_the_service_and_what(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    fake.script("daily_papers", *[Fault.truncated(0.1)] * 2)
    with pytest.raises(UpstreamError) as err:
        await get_with_retries(session, f"{fake.url}/api/daily_papers", {"date": DAY}, timeout=FAST,
                               policy=RetryPolicy(retries=1, backoff=0.01), service="Example", base_url=fake.url,
                               what="the thing", parse=lambda status, text: text, bad_body="unused")
    assert str(err.value) == "Example sent an incomplete answer for the thing; try again later."
    assert len(fake.requests) == 2


@pytest.mark.parametrize(
    ("doc", "cut"),
    [
        ('[{"paper": {"id": "2501.0', True),  # an unterminated string
        ('[{"a": 1', True),
        ('[{"a": 1,', True),
        ('{"a"', True),
        ("[tru", True),
        ("[\n  ", True),
        ("", True),
        ("[1, 2]x", False),  # complete, then junk: wrong, not cut
        ('{"a": nope}', False),
        ("<html>502</html>", False),
    ],
)
def test_cut_off_json_is_told_from_wrong_json(doc: str, cut: bool) -> None:
    with pytest.raises(json.JSONDecodeError) as err:
        json.loads(doc)
    assert _cut_off(err.value) is cut
    assert _cut_off(ValueError("got a JSON dict, not a list")) is False


def test_the_fault_can_be_scripted_from_the_command_line() -> None:
    assert Fault.parse("truncated:0.25") == ("daily_papers", Fault(cut=0.25))
    assert Fault.parse("papers:truncated") == ("papers", Fault(cut=0.5))
