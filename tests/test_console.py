"""Terminal output: readable, and untrusted text cannot drive the terminal."""

from __future__ import annotations

import pytest

from bot.console import clean, format_digest, format_paper
from bot.models import Paper
from bot.render import UNSAFE_CHARS


def hostile_paper() -> Paper:
    return Paper("2501.00001", "Evil \x1b[2J\x1b]0;pwned\x07 ti\u202etle\r\nforged line",
                 authors=["A\x1b[31m", "B\u2066ob\u2069"],
                 summary="- one \x1b[1mbold\r\n- two\u200f\r- three\x9b", github_urls=["https://github.com/a/b\x1b[0m"],
                 tags=["Audio\u202e"], dates=["2025-01-24"], upvotes=3)


def test_escape_sequences_in_untrusted_text_never_reach_the_terminal():
    assert format_paper(hostile_paper(), index=1).split("\n") == [
        "1. Evil [2J]0;pwned title forged line",  # a line break in a title cannot forge an output line
        "   A[31m, Bob",
        "   arXiv:2501.00001  |  ▲ 3  |  Audio",
        "   https://arxiv.org/abs/2501.00001  https://github.com/a/b[0m",
        "     • one [1mbold",  # the summary's own line breaks (CRLF, lone CR) stay line breaks
        "     • two",
        "     • three",
    ]


def test_digest_header_strips_controls_from_the_day():
    out = format_digest("2025-01-24\x1b[2J", [hostile_paper()])
    assert out.split("\n")[:3] == ["=" * 80, "Papers for 2025-01-24[2J — 1 paper", "Top tags: Audio (1)"]
    assert format_digest("2025-01-25\u202e\x07", []) == "No papers for 2025-01-25."


@pytest.mark.parametrize("char", sorted(UNSAFE_CHARS))
def test_no_unsafe_character_reaches_the_terminal(char: int) -> None:
    c = chr(char)
    paper = Paper(f"2501.0000{c}1", f"T{c}itle", authors=[f"A{c}da"], summary=f"- o{c}ne\n- two",
                  tags=[f"Au{c}dio"], github_urls=[f"https://github.com/o/r{c}"], project_page=f"https://p{c}.org",
                  dates=["2025-01-24"], upvotes=1)
    out = format_digest(f"2025-01-2{c}4", [paper]) + format_paper(paper)
    assert not UNSAFE_CHARS & {ord(x) for x in out}
    assert clean(f"a{c}b") == "ab"


def test_digest_header_counts_and_an_empty_day():
    papers = [Paper("2501.00001", "T", tags=["Audio"]), Paper("2501.00002", "U", tags=["Audio", "Tabular"])]
    out = format_digest("2025-01-24", papers)
    assert "Papers for 2025-01-24 — 2 papers" in out and "Top tags: Audio (2), Tabular (1)" in out
    assert format_digest("2025-01-25", []) == "No papers for 2025-01-25."


def test_stars_and_organisation_show_as_in_the_embed():
    paper = Paper("2501.00003", "T", authors=["A"], tags=["Audio"], upvotes=7, organization="Deep\x1b[1mLab",
                  github_urls=["https://github.com/other/x", "https://github.com/Org/Repo",
                               "https://github.com/org/repo.git"],
                  github_repo="https://github.com/org/repo", github_stars=12345)
    assert format_paper(paper).split("\n")[2:4] == [
        "arXiv:2501.00003  |  ▲ 7  |  Deep[1mLab  |  Audio",
        "https://arxiv.org/abs/2501.00003  https://github.com/other/x  https://github.com/Org/Repo ★ 12,345  "
        "https://github.com/org/repo.git",  # the stars once, beside the first link to the counted repository
    ]
    plain = Paper("2501.00004", "T", github_urls=["https://github.com/org/repo"], github_repo="https://github.com/org/repo")
    assert format_paper(plain).split("\n")[2:4] == ["arXiv:2501.00004", "https://arxiv.org/abs/2501.00004  "
                                                    "https://github.com/org/repo"]  # no count known: as before
