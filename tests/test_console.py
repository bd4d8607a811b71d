"""Terminal output: readable, and untrusted text cannot drive the terminal."""

from __future__ import annotations

from bot.console import format_digest, format_paper
from bot.models import Paper


def test_escape_sequences_in_untrusted_text_never_reach_the_terminal():
    p = Paper("2501.00001", "Evil \x1b[2J\x1b]0;pwned\x07 title", authors=["A\x1b[31m"],
              summary="- one \x1b[1mbold\n- two", github_urls=["https://github.com/a/b\x1b[0m"],
              tags=["Audio"], dates=["2025-01-24"], upvotes=3)
    out = format_paper(p, index=1)
    assert "\x1b" not in out and "\x07" not in out
    assert "Evil [2J]0;pwned title" in out and "• one [1mbold" in out and "▲ 3" in out


def test_digest_header_counts_and_an_empty_day():
    papers = [Paper("2501.00001", "T", tags=["Audio"]), Paper("2501.00002", "U", tags=["Audio", "Tabular"])]
    out = format_digest("2025-01-24", papers)
    assert "Papers for 2025-01-24 — 2 papers" in out and "Top tags: Audio (2), Tabular (1)" in out
    assert format_digest("2025-01-25", []) == "No papers for 2025-01-25."
