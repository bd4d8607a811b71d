"""Papers and digests as plain terminal text: what `paperboy run` and `paperboy papers` show a person."""

from __future__ import annotations

import textwrap

from bot.models import Paper
from bot.render import repo_of, safe_url, strip_controls, top_tags


def clean(text: object) -> str:
    """Untrusted text made safe for a terminal: control characters (ESC, so no ANSI sequence; a lone
    CR, which would let a line overwrite itself), C1 controls and bidi controls removed; the same rule
    as Discord payloads (:data:`bot.render.UNSAFE_CHARS`)."""
    return strip_controls(text)


def _line(text: object) -> str:
    """Untrusted text on one line (a line break in a title must not forge the next line of output)."""
    return " ".join(clean(text).split())


def _short_authors(authors: list[str], keep: int = 5) -> str:
    if not authors:
        return "(authors not listed)"
    return _line(", ".join(authors[:keep]) + (" et al." if len(authors) > keep else ""))


def _links_line(paper: Paper, links: list[str]) -> str:
    """The links, each once; the repository Hugging Face counted GitHub stars for carries them once
    (the embed's rule, so the terminal and Discord agree)."""
    starred = repo_of(safe_url(paper.github_repo)) if paper.github_stars > 0 else None
    out = []
    for url in dict.fromkeys(_line(u) for u in links):
        if starred is not None and repo_of(url) == starred:
            url += f" ★ {paper.github_stars:,}"
            starred = None
        out.append(url)
    return "  ".join(out)


def format_paper(paper: Paper, *, index: int | None = None, width: int = 100) -> str:
    """A few lines per paper: title, authors, upvotes, organisation and tags, links (GitHub stars
    beside the counted repository), then the summary as indented bullets."""
    head = f"{index}. " if index is not None else ""
    lines = [f"{head}{_line(paper.title)}"]
    pad = " " * len(head)
    lines.append(f"{pad}{_short_authors(paper.authors)}")
    meta = [f"arXiv:{_line(paper.arxiv_id)}"]
    if paper.upvotes:
        meta.append(f"▲ {paper.upvotes}")
    if paper.organization:
        meta.append(_line(paper.organization))
    if paper.tags:
        meta.append(" · ".join(_line(t) for t in paper.tags))
    lines.append(pad + "  |  ".join(meta))
    links = [paper.url, *paper.github_urls, *paper.huggingface_urls]
    if paper.project_page:
        links.append(paper.project_page)
    lines.append(pad + _links_line(paper, links))
    text = clean(paper.summary or paper.abstract)
    for para in text.splitlines():
        para = para.strip()
        if not para:
            continue
        bullet = para.startswith(("- ", "* ", "• "))
        body = para[2:] if bullet else para
        lines.extend(textwrap.wrap(body, width=width, initial_indent=pad + ("  • " if bullet else "  "),
                                   subsequent_indent=pad + "    "))
    return "\n".join(lines)


def format_digest(day: str, papers: list[Paper], *, width: int = 100) -> str:
    """The day's digest as the terminal shows it: a header, then every paper."""
    day = _line(day)
    if not papers:
        return f"No papers for {day}."
    top = ", ".join(f"{t} ({n})" for t, n in top_tags(papers))  # top_tags strips controls
    header = f"Papers for {day} — {len(papers)} paper{'s' if len(papers) != 1 else ''}"
    if top:
        header += f"\nTop tags: {top}"
    rule = "=" * min(width, 80)
    body = "\n\n".join(format_paper(p, index=i, width=width) for i, p in enumerate(papers, 1))
    return f"{rule}\n{header}\n{rule}\n\n{body}\n"
