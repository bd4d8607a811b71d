"""Subscriptions, plan_dm and role_mention_plan as plain Python over a real SQLite file (no Discord)."""

from __future__ import annotations

import re

import pytest

from bot.models import Paper
from bot.render import validate_message
from bot.store import Store
from bot.subscriptions import DEFAULT_DAILY_CAP, Subscriptions, plan_dm, role_mention_plan
from bot.taxonomy import UnknownTagError

pytestmark = pytest.mark.timeout(30)

DAY = "2025-01-27"
ROWS = [  # (arXiv id, upvotes, tags)
    ("2501.20001", 5, ["Multimodal", "Text-to-Image"]),
    ("2501.20002", 40, ["Reinforcement Learning"]),
    ("2501.20003", 25, ["Multimodal", "Reinforcement Learning"]),
    ("2501.20004", 12, ["Text Generation"]),
    ("2501.20005", 60, ["Multimodal"]),
    ("2501.20006", 25, ["Multimodal", "Audio"]),
]


def papers(day: str, rows) -> list[Paper]:
    return [Paper(arxiv_id=aid, title=f"Paper {aid} <@123> @everyone", authors=["Ada Lovelace"],
                  summary="Findings.", tags=tags, upvotes=votes, dates=[day], source="digest-json",
                  tags_source="digest") for aid, votes, tags in rows]


@pytest.fixture
def store(db_path):
    with Store(db_path) as s:
        s.upsert_papers(papers(DAY, ROWS))
        yield s


def ids(message: dict) -> list[str]:
    return [re.search(r"arXiv:(\S+)", e["footer"]["text"]).group(1) for e in message["embeds"]]


# ---- following tags ---------------------------------------------------------------------------------------


def test_subscribe_canonicalises_and_is_idempotent(store):
    subs = Subscriptions(store)
    assert subs.subscribe(1, "  multimodal ", guild_id=9) == ("Multimodal", True)
    assert subs.subscribe("1", "MULTIMODAL") == ("Multimodal", False)
    assert subs.subscribe(1, "audio") == ("Audio", True)
    assert subs.tags_of(1) == ["Audio", "Multimodal"] and subs.tags_of(2) == []
    assert store.db.execute("SELECT count(*) FROM subscriptions").fetchone()[0] == 2


def test_an_unknown_tag_is_refused_with_suggestions(store):
    with pytest.raises(UnknownTagError) as info:
        Subscriptions(store).subscribe(1, "Multimodel")
    assert "Multimodal" in info.value.suggestions
    assert Subscriptions(store).tags_of(1) == []


def test_unsubscribe_ignores_case_and_says_when_nothing_was_followed(store):
    subs = Subscriptions(store)
    subs.subscribe(1, "Text-to-Image")
    subs.subscribe(2, "Text-to-Image")
    assert subs.unsubscribe(1, "robotics") is None
    assert subs.unsubscribe(1, " text-to-IMAGE ") == "Text-to-Image"
    assert subs.unsubscribe(1, "Text-to-Image") is None
    assert subs.tags_of(1) == [] and subs.tags_of(2) == ["Text-to-Image"]


def test_subscribers_and_the_server_to_mention_them_in(store):
    subs = Subscriptions(store)
    subs.subscribe(1, "Audio", guild_id=100)
    subs.subscribe(1, "Robotics", guild_id=None)  # from a DM
    subs.subscribe(2, "Robotics")
    assert subs.subscribers() == {"1": ["Audio", "Robotics"], "2": ["Robotics"]}
    assert subs.guild_of(1) == "100" and subs.guild_of(2) == ""


def test_everything_survives_reopening_the_file(db_path):
    with Store(db_path) as s:
        subs = Subscriptions(s)
        subs.subscribe(1, "Audio", guild_id=5)
        subs.remember_dm_channel(1, "777")
        subs.mark_dms_closed(1, DAY)
        subs.map_role(5, "Audio", 42)
        subs.set_dm_fallback(5, True)
        subs.subscribe(3, "Robotics")
        subs.unsubscribe(3, "Robotics")
    with Store(db_path) as s:
        subs = Subscriptions(s)
        assert subs.subscribers() == {"1": ["Audio"]}
        assert (subs.dm_channel(1), subs.dms_closed_on(1)) == ("777", DAY)
        assert [(r.guild_id, r.tag, r.role_id) for r in subs.roles_of(5)] == [("5", "Audio", "42")]
        assert subs.dm_fallback(5) is True


# ---- DM state, roles, options ------------------------------------------------------------------------------


def test_dm_channel_and_closed_day_are_kept_apart(store):
    subs = Subscriptions(store)
    assert subs.dm_channel(1) == "" and subs.dms_closed_on(1) == ""
    subs.remember_dm_channel(1, "555")
    subs.mark_dms_closed(1, DAY)
    assert subs.dm_channel(1) == "555" and subs.dms_closed_on(1) == DAY  # marking closed keeps the channel
    subs.mark_dms_closed(1, "2025-01-28")
    assert subs.dms_closed_on(1) == "2025-01-28"
    subs.remember_dm_channel(1, "556")
    assert subs.dms_closed_on(1) == "2025-01-28" and subs.dm_channel(1) == "556"


def test_role_mappings_per_server(store):
    subs = Subscriptions(store)
    assert subs.map_role(1, "multimodal", 10) == "Multimodal"
    subs.map_role(1, "Audio", 11)
    subs.map_role(1, "Multimodal", 12)  # remapping replaces
    subs.map_role(2, "Audio", 20)
    assert [(r.tag, r.role_id) for r in subs.roles_of(1)] == [("Audio", "11"), ("Multimodal", "12")]
    subs.map_role(1, "Audio", None)
    assert [r.tag for r in subs.roles_of(1)] == ["Multimodal"] and [r.role_id for r in subs.roles_of(2)] == ["20"]
    with pytest.raises(UnknownTagError):
        subs.map_role(1, "Not A Tag", 10)


def test_dm_fallback_is_off_until_a_server_turns_it_on(store):
    subs = Subscriptions(store)
    assert subs.dm_fallback(1) is False
    subs.set_dm_fallback(1, True)
    assert subs.dm_fallback(1) is True and subs.dm_fallback(2) is False
    subs.set_dm_fallback(1, False)
    assert subs.dm_fallback(1) is False


# ---- plan_dm ----------------------------------------------------------------------------------------------


def test_plan_dm_is_one_message_with_the_matches_by_upvotes_and_tags_marked(store):
    plan = plan_dm(store, ["Multimodal", "Text Generation"], DAY)
    assert len(plan) == 1 and plan[0]["kind"] == "dm"
    message = plan[0]["payload"]
    want = ["2501.20005", "2501.20003", "2501.20006", "2501.20004", "2501.20001"]  # ties by arXiv id
    assert plan[0]["paper_ids"] == want and ids(message) == want
    for e in message["embeds"]:
        tags = next(f["value"] for f in e["fields"] if f["name"] == "Tags")
        assert "**★ Multimodal**" in tags or "**★ Text Generation**" in tags
        assert "★ Audio" not in tags and "★ Reinforcement Learning" not in tags
    content = message["content"]
    assert f"Your papers for {DAY}" in content and "5 matched Multimodal, Text Generation" in content
    assert "/unsubscribe" in content and "more matched" not in content
    assert validate_message(message) == []  # no pings, within every limit (titles carry mention text)


def test_plan_dm_is_empty_when_nothing_matched(store):
    assert plan_dm(store, ["Robotics"], DAY) == []
    assert plan_dm(store, ["Multimodal"], "2025-01-28") == []


@pytest.mark.parametrize(("cap", "shown"), [(2, 2), (1, 1), (0, 1), (10, 4), (50, 4)])
def test_plan_dm_cap_shows_the_top_and_says_how_many_more(store, cap, shown):
    plan = plan_dm(store, ["Multimodal"], DAY, cap=cap)
    message = plan[0]["payload"]
    assert ids(message) == ["2501.20005", "2501.20003", "2501.20006", "2501.20001"][:shown]
    more = 4 - shown
    if more:
        assert f"Showing the top {shown} by upvotes; {more} more matched" in message["content"]
    else:
        assert "more matched" not in message["content"]


def test_plan_dm_never_exceeds_one_message_however_broad(db_path):
    rows = [(f"2502.{i:05d}", i, ["Multimodal"]) for i in range(1, 31)]
    with Store(db_path) as s:
        s.upsert_papers(papers(DAY, rows))
        plan = plan_dm(s, ["Multimodal"], DAY, cap=DEFAULT_DAILY_CAP)
    message = plan[0]["payload"]
    assert len(message["embeds"]) == 10 and ids(message)[0] == "2502.00030"
    assert "20 more matched" in message["content"] and validate_message(message) == []


# ---- role_mention_plan ------------------------------------------------------------------------------------


def test_role_mention_plan_pings_each_mapped_role_once(store):
    subs = Subscriptions(store)
    subs.map_role(1, "Multimodal", 10)
    subs.map_role(1, "Robotics", 11)  # no Robotics papers: not pinged
    subs.map_role(1, "Audio", 10)  # the same role for two tags: listed once in allowed_mentions
    subs.map_role(2, "Multimodal", 99)  # another server
    day_tags = [p.tags for p in store.papers_on(DAY)]
    message = role_mention_plan(store, "1", DAY, day_tags)
    assert message["allowed_mentions"] == {"parse": [], "roles": ["10"], "users": [], "replied_user": False}
    assert "<@&10> Audio (1)" in message["content"] and "<@&10> Multimodal (4)" in message["content"]
    assert "<@&11>" not in message["content"] and "<@&99>" not in message["content"]
    assert validate_message(message, allow_roles=["10"]) == []
    assert validate_message(message) != []  # without naming the role, the ping is refused
    assert role_mention_plan(store, "3", DAY, day_tags) is None
    assert role_mention_plan(store, "1", DAY, [["Text Generation"]]) is None
