"""Every answer is checked as untrusted text, and renders safely wherever it is shown."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.llm.answer import MAX_BULLET_CHARS, BadAnswer, check_answer, clean_bullet
from bot.models import Paper
from bot.render import ZWSP, render_digest, validate_message
from bot.taxonomy import canonical_tag
from tests.fakes.llm_server import HOSTILE_BULLETS


def answer(bullets: object, tags: object = ("Multimodal",)) -> str:
    return json.dumps({"bullets": bullets, "tags": list(tags) if isinstance(tags, tuple) else tags})


def test_a_good_answer_becomes_dash_lines_and_canonical_tags() -> None:
    a = check_answer(answer(["One.", "- Two.", "3. Three.", "Four\nlines."], ("multimodal", "Text Generation")))
    assert a.bullets == ["One.", "Two.", "Three.", "Four lines."]
    assert a.summary == "- One.\n- Two.\n- Three.\n- Four lines."
    assert a.tags == ["Multimodal", "Text Generation"] and a.dropped_tags == []


def test_tags_outside_the_taxonomy_are_dropped_and_the_valid_ones_kept() -> None:
    a = check_answer(answer(["a.", "b.", "c.", "d."], ("Quantum Cooking", "Robotics", 7, "Robotics")))
    assert a.tags == ["Robotics"] and a.dropped_tags == ["Quantum Cooking", "7"]


@pytest.mark.parametrize("content, why", [
    ('{"bullets": ["cut', "the answer is not valid JSON"),
    ("[1, 2]", "the answer is not a JSON object"),
    ("", "the answer is empty"),
    ('{"tags": []}', "the answer has no list of bullets"),
    (answer(["only one"]), "the answer has 1 usable bullet(s), not 2-6"),
    (answer([f"b{i}" for i in range(7)]), "the answer has 7 usable bullet(s), not 2-6"),
    (answer(["  ", "- ", "x"]), "the answer has 1 usable bullet(s), not 2-6"),
])
def test_unusable_answers_are_refused_with_a_reason(content: str, why: str) -> None:
    with pytest.raises(BadAnswer) as err:
        check_answer(content)
    assert str(err.value) == why


def test_fenced_and_thinking_answers_are_read() -> None:
    body = answer(["a.", "b."])
    assert check_answer(f"```json\n{body}\n```").bullets == ["a.", "b."]
    assert check_answer(f"<think>hmm {{</think>\n{body}").bullets == ["a.", "b."]


def test_links_other_than_http_keep_only_their_label_and_long_bullets_are_cut() -> None:
    assert clean_bullet("Click [x](javascript:alert(1)) now") == "Click x now"
    assert clean_bullet("See [code](https://github.com/a/b).") == "See code (https://github.com/a/b)."
    assert clean_bullet("Run javascript:alert(1) here") == "Run here"
    assert clean_bullet("bad \x1b[31mred\u202e text") == "bad [31mred text"
    long = clean_bullet("word " * 200)
    assert len(long) <= MAX_BULLET_CHARS and long.endswith("…")


def test_hostile_bullets_render_without_pings_markup_or_unsafe_links() -> None:
    a = check_answer(answer(HOSTILE_BULLETS))
    assert a.bullets == [
        "@everyone this paper is great",
        "Ping <@&1> and <@123456789012345678> now",
        "Click x for the code",
        "A fine project page (https://example.org/p) too",
    ]
    paper = Paper(arxiv_id="2501.00001", title="T", summary=a.summary, dates=["2025-01-24"], tags=a.tags)
    messages = render_digest("2025-01-24", [paper], layout="channel")
    assert all(validate_message(m) == [] for m in messages)
    description = next(e["description"] for m in messages for e in m["embeds"] if e.get("description"))
    assert description.splitlines() == [
        f"• @{ZWSP}everyone this paper is great",
        f"• Ping <{ZWSP}@&1> and <{ZWSP}@123456789012345678> now",
        "• Click x for the code",
        "• A fine project page (https://example.org/p) too",
    ]
    assert all(m["allowed_mentions"]["parse"] == [] for m in messages)


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.text(max_size=300),
    st.builds(answer, st.lists(st.text(max_size=500), max_size=8),
              st.lists(st.one_of(st.sampled_from(["Multimodal", "robotics", "Not A Tag"]), st.text(max_size=20)),
                       max_size=5)),
))
def test_any_content_gives_a_checked_answer_or_bad_answer_and_always_renders_safely(content: str) -> None:
    try:
        a = check_answer(content)
    except BadAnswer:
        return
    assert 2 <= len(a.bullets) <= 6
    assert all(b and len(b) <= MAX_BULLET_CHARS and "\n" not in b and b == b.strip() for b in a.bullets)
    assert all(canonical_tag(t) == t for t in a.tags) and len(set(a.tags)) == len(a.tags)
    assert a.summary.count("\n") == len(a.bullets) - 1
    paper = Paper(arxiv_id="2501.00001", title="T", summary=a.summary, dates=["2025-01-24"], tags=a.tags)
    assert all(validate_message(m) == [] for m in render_digest("2025-01-24", [paper], layout="channel"))
