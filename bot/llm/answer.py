"""Checking an LLM's answer: the model's output is untrusted text, whatever the prompt asked.

A good answer has 2-6 bullets of bounded length and tags from the taxonomy. What is repaired rather than
refused: tags outside the taxonomy are dropped (the valid ones stay), a bullet's leading marker and inner
line breaks go, a Markdown link to anything but http(s) keeps only its label, and an over-long bullet is
cut. What is refused (:class:`BadAnswer`, the paper keeps its fallback summary and is asked again next
run): no JSON object, no list of bullets, fewer than 2 or more than 6 bullets left.

Mentions and Markdown are not rewritten here: the stored text stays what the model said, and
:mod:`bot.render` escapes and de-pings every summary where it is shown (tests cover hostile bullets).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from bot.models import clean_text
from bot.render import safe_url, strip_controls, truncate
from bot.taxonomy import canonical_tag

MIN_BULLETS, MAX_BULLETS = 2, 6
MAX_BULLET_CHARS = 400
MAX_ANSWER_CHARS = 100_000  # a longer "answer" is a runaway generation, not a summary


class BadAnswer(ValueError):
    """An answer that cannot be used; the message says why in a few words (it goes into the report)."""


@dataclass(slots=True)
class Answer:
    bullets: list[str]
    tags: list[str]
    dropped_tags: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """The bullets as the store keeps summaries: one ``- `` line each."""
        return "\n".join(f"- {b}" for b in self.bullets)


_FENCE = re.compile(r"^\s*```[A-Za-z]*\s*\n?(.*?)\n?```\s*$", re.DOTALL)
_THINK = re.compile(r"^\s*<think>.*?</think>", re.DOTALL)
_MARKER = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])(?:\s+|$)")
# [label](target): labels without brackets; targets without spaces, holding at most one level of
# parentheses (``javascript:alert(1)``). The alternatives cannot overlap, so matching stays linear.
_MD_LINK = re.compile(r"\[([^\[\]\n]{0,300})\]\(\s*((?:[^()\s]|\([^()\s]{0,200}\)){0,2000})\s*\)")
_BARE_SCHEME = re.compile(r"\b(?:javascript|data|vbscript|file):\S*", re.IGNORECASE)


def _json_object(content: str) -> dict:
    text = content.strip()
    if len(text) > MAX_ANSWER_CHARS:
        raise BadAnswer("the answer is far too long")
    text = _THINK.sub("", text, count=1).strip()  # reasoning models may think aloud first
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise BadAnswer("the answer is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadAnswer("the answer is not a JSON object")
    return data


def _link(m: re.Match[str]) -> str:
    """A Markdown link kept as ``label (url)`` when the url is http(s), else only the label."""
    label, url = m.group(1).strip(), safe_url(m.group(2))
    return f"{label} ({url})" if url and label else (url or label)


def clean_bullet(text: str) -> str:
    """One bullet as one line: controls gone, marker dropped, unsafe links reduced, length bounded."""
    # A runaway bullet is cut long before the patterns run, so their work stays small whatever comes back.
    line = " ".join(strip_controls(clean_text(text[:MAX_BULLET_CHARS * 10])).split())
    line = _MARKER.sub("", line, count=1)
    line = _MD_LINK.sub(_link, line)
    line = _BARE_SCHEME.sub("", line)
    line = " ".join(line.split())
    return truncate(line, MAX_BULLET_CHARS)


def check_answer(content: object) -> Answer:
    """The usable part of a model's message ``content``, or :class:`BadAnswer`."""
    if not isinstance(content, str) or not content.strip():
        raise BadAnswer("the answer is empty")
    data = _json_object(content)
    raw_bullets = data.get("bullets")
    if isinstance(raw_bullets, str):  # one string of "- a\n- b" lines instead of a list
        raw_bullets = [b for b in raw_bullets.splitlines() if b.strip()]
    if not isinstance(raw_bullets, list):
        raise BadAnswer("the answer has no list of bullets")
    bullets = [b for b in (clean_bullet(x) for x in raw_bullets if isinstance(x, str)) if b]
    if not MIN_BULLETS <= len(bullets) <= MAX_BULLETS:
        raise BadAnswer(f"the answer has {len(bullets)} usable bullet(s), not {MIN_BULLETS}-{MAX_BULLETS}")
    raw_tags = data.get("tags", [])
    if not isinstance(raw_tags, list):
        raw_tags = []
    tags: list[str] = []
    dropped: list[str] = []
    for t in raw_tags:
        tag = canonical_tag(t) if isinstance(t, str) else None
        if tag is None:
            dropped.append(str(t)[:60])
        elif tag not in tags:
            tags.append(tag)
    return Answer(bullets, tags, dropped)
