"""How the store merges what several sources say about one paper: one rule, whatever the order.

Why a rule over values and not over arrivals: the same paper reaches the store from digest files
(Markdown and JSON), the Hugging Face API and arXiv, in any order, and from two processes at once
(`paperboy import` beside the bot). If "first seen wins" or "last seen wins" anywhere, two stores fed
the same files in a different order disagree. So every field keeps the value that is greatest under a
total order over (source rank, richness, the value itself); the merge is then a maximum, and a
maximum does not care about order, grouping or repetition (commutative, associative, idempotent).

The rule, field by field (``rank`` tables below; a source missing from a table ranks 0):

- title, abstract, project page, published-at: the longest value, ties broken by the value itself.
  Older digests cut titles, so the longer of two variants is the less cut one.
- summary: (SUMMARY_RANK, bullet lines, lines, length, text, source) — an imported digest's bullets
  first, then the bullets ``paperboy enrich`` asked an LLM for (source ``llm``), then Hugging Face's
  ``ai_summary``, then arXiv. Two LLM answers (another model, ``--force``) compare like any two values:
  more bullets, then more lines, then the longer text.
- authors: (AUTHORS_RANK, names, characters, names, source) — the API's full names first.
- tags: (TAGS_RANK, number of tags, the tag list) — digest tags beat LLM tags (``llm``), which beat
  automatic ones; of two digest
  tag sets (a paper featured twice, or a day's Markdown and JSON) the fuller one wins. Automatic tags
  are stored only while a paper has no tags at all: the first guess stays until digest tags come.
- GitHub/HF links and keywords: the union of every list seen, sorted (one canonical order).
- upvotes: the maximum; source: (SOURCE_RANK, name); last day: the newest featured day.
- thumbnail, organisation: like the title, the longest, ties broken by the value (only Hugging Face
  gives them, so two values mean it changed them; either is true, the rule only has to pick one).
- GitHub stars with the repository they count: the greater (stars, repository) pair, so the stars
  always stay with their repository (a count only rises; a renamed repository keeps the higher count).
- each appearance (paper, day) keeps the (SOURCE_RANK, name)-greatest source that featured it there,
  so a day's digest listing a paper beats arXiv's listing of it for the same day.

What this cannot make order-free: automatic tags are guessed by a tagger that learns from the
digest-tagged papers stored at the time, so a paper only ever tagged automatically may get another
guess depending on what the store held when it first arrived (any digest tags replace it).
"""

from __future__ import annotations

import json

from bot import models
from bot.models import Paper

SUMMARY_RANK = {"digest-md": 4, "digest-json": 4, "llm": 3, "hf-api": 2, "arxiv": 1}
AUTHORS_RANK = {"hf-api": 3, "arxiv": 2, "digest-json": 1, "digest-md": 1}
TAGS_RANK = {"digest": 3, "llm": 2, "auto": 1}
# Which source a paper (and each of its appearances) is credited to: the featured-paper listings before
# arXiv's list of every submission (digests leave out appearances whose source is "arxiv").
SOURCE_RANK = {"hf-api": 4, "digest-json": 3, "digest-md": 2, "arxiv": 1}

JSON_FIELDS = ("authors", "github_urls", "huggingface_urls", "keywords")
_LONGEST_FIELDS = ("title", "abstract", "project_page", "published_at", "thumbnail", "organization")
_UNION_FIELDS = ("github_urls", "huggingface_urls", "keywords")

_MAX_INT = 2**63 - 1  # the largest SQLite INTEGER


def valid_day(day: object) -> bool:
    """True for a day the parsers would accept too: a real, plausible ``YYYY-MM-DD`` (not ``2025-13-45``)."""
    return isinstance(day, str) and len(day) == 10 and models.valid_day(day) == day


def upvotes_of(paper: Paper) -> int:
    """The paper's upvotes as an integer SQLite can hold (a bad or absurd value counts as 0 or the cap)."""
    return _count(paper.upvotes)


def stars_of(paper: Paper) -> int:
    """The paper's GitHub stars as an integer SQLite can hold (like :func:`upvotes_of`)."""
    return _count(paper.github_stars)


def _count(value: object) -> int:
    try:
        n = int(value or 0)  # type: ignore[call-overload]
    except (OverflowError, ValueError, TypeError):
        return 0
    return min(max(n, 0), _MAX_INT)


def source_key(source: str) -> tuple:
    return (SOURCE_RANK.get(source, 0), source)


def _longest_key(text: str) -> tuple:
    return (len(text), text)


def summary_key(text: str, source: str) -> tuple:
    if not text:
        return (-1,)
    lines = text.splitlines()
    bullets = sum(1 for line in lines if line.lstrip().startswith(("- ", "• ", "* ")))
    # Lines before length: a Markdown table flattens a summary onto one line ("a.\nb." → "a. b.", same
    # length), and that copy must not win over the JSON twin that kept the breaks on the text's " " > "\n".
    return (SUMMARY_RANK.get(source, 0), bullets, len(lines), len(text), text, source)


def authors_key(authors: list[str], source: str) -> tuple:
    if not authors:
        return (-1,)
    return (AUTHORS_RANK.get(source, 0), len(authors), sum(map(len, authors)), authors, source)


def tags_key(tags: list[str], tags_source: str) -> tuple:
    if not tags:
        return (-1,)
    return (TAGS_RANK.get(tags_source or "auto", 1), len(tags), tags)


def pick_tags(current: list[str], current_source: str, paper: Paper) -> tuple[list[str], str] | None:
    """The (tags, tags_source) to store instead of ``current``, or None when ``current`` stays.

    Automatic tags never replace automatic tags: a guess is not a source, and a re-import (whose
    tagger has learned from more papers meanwhile) must not re-guess what is stored.
    """
    new = list(dict.fromkeys(paper.tags))
    source = paper.tags_source or "auto"
    if current and source == "auto" and (current_source or "auto") == "auto":
        return None
    if tags_key(new, source) > tags_key(current, current_source or "auto"):
        return new, source
    return None


def merge_row(old: dict | None, paper: Paper) -> dict:
    """The ``papers`` row (JSON fields encoded) that holds the greatest value of each field seen."""
    new = {
        "title": paper.title or "",
        "abstract": paper.abstract or "",
        "project_page": paper.project_page or "",
        "published_at": paper.published_at or "",
        "thumbnail": paper.thumbnail or "",
        "organization": paper.organization or "",
    }
    row = dict(old) if old is not None else {
        "arxiv_id": paper.arxiv_id, "title": "", "authors": "[]", "abstract": "", "summary": "",
        "github_urls": "[]", "huggingface_urls": "[]", "project_page": "", "upvotes": 0, "keywords": "[]",
        "published_at": "", "source": "", "summary_source": "", "authors_source": "", "tags_source": "",
        "last_day": "", "thumbnail": "", "organization": "", "github_repo": "", "github_stars": 0,
    }
    for key in _LONGEST_FIELDS:
        if _longest_key(new[key]) > _longest_key(row[key]):
            row[key] = new[key]
    if summary_key(paper.summary, paper.source) > summary_key(row["summary"], row["summary_source"]):
        row["summary"], row["summary_source"] = paper.summary, paper.source
    if authors_key(paper.authors, paper.source) > authors_key(json.loads(row["authors"]), row["authors_source"]):
        row["authors"] = _dumps(paper.authors)
        row["authors_source"] = paper.source
    for key in _UNION_FIELDS:
        current = json.loads(row[key])
        merged = sorted(set(current).union(getattr(paper, key)))
        if merged != current:
            row[key] = _dumps(merged)
    row["upvotes"] = max(int(row["upvotes"] or 0), upvotes_of(paper))
    stars = (stars_of(paper), paper.github_repo or "")
    if stars > (int(row["github_stars"] or 0), row["github_repo"]):
        row["github_stars"], row["github_repo"] = stars
    if paper.source and source_key(paper.source) > source_key(row["source"]):
        row["source"] = paper.source
    return row


def _dumps(value: list) -> str:
    return json.dumps(value, ensure_ascii=False)
