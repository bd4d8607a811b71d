"""The stored papers of a day → the seed's own files, so a group can keep publishing its archive.

What is written, under one output folder (the layout of the archive the seed comes from):

- ``archive/YYYY/MM/DD.md``: ``## Papers for YYYY-MM-DD`` and the seed's six-column table, byte for byte
  the way the seed writes it (two blank lines first, one row per line, bullets flattened into the cell as
  ``- a. - b.``, classification as a Python list literal, links as ``[Link](url), [Link](url)`` or ``N/A``).
  ``categories`` limits these tables to papers carrying any of those tags, as the seed's tables were.
- ``daily_results/YYYY/MM/DD.json``: every paper of the day with the seed's keys, in the seed's layout
  (4-space indent, ASCII escapes), whatever ``categories`` says.
- ``README.md``: every day's table found under ``archive/``, newest first, rebuilt from those files, so
  it also holds days exported by earlier runs.

Why it is shaped like this:
- Pure functions (:func:`markdown_day`, :func:`json_day`, :func:`readme`) turn papers into text; only
  :func:`export_days` touches the store and the disk, so the text is tested without either.
- Every file is written to a hidden temporary file beside it and renamed over it: a crash leaves the old
  file or the new one, never half of one, and the hidden name is skipped by ``paperboy import``.
- Re-running for the same day rewrites that day's files and the README from what the store holds *now*:
  the bot calls :func:`export_configured` after each fetch, and a later enrichment of the same day calls it
  again to publish the better summaries. Files whose text did not change are left untouched.
- A day without any featured paper in the store gets no files (the store cannot tell a quiet day from a
  day never fetched); a day whose papers all fall outside ``categories`` gets a header-only table, as
  the seed's quiet days have.
- ``import`` of these files gives back the same papers, days, summaries, tags and links
  (tests/test_export.py checks it on every sample day): the JSON carries summaries exactly, and every
  Markdown cell is escaped so the digest parser reads back what was written.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.errors import PaperboyError
from bot.models import Paper, arxiv_url, plausible_day

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store import Store

log = logging.getLogger(__name__)

FORMATS = ("markdown", "json", "both")
HEADER = "| Title | Authors | Summary | Classification | GitHub URLs | HuggingFace URLs |"
SEPARATOR = "|-------|---------|---------|----------------|-------------|-----------------|"
README_TITLE = "# Daily AI papers"
README_INTRO = ("Each day's papers, newest first. Every day is also in `archive/YYYY/MM/DD.md`, and with every "
                "paper of the day in `daily_results/YYYY/MM/DD.json`.")

# What the digest parser un-escapes (bot.sources.digest._MD_ESCAPE_RE): a backslash right before one of
# these characters is dropped when the table is read back.
_ESCAPABLE = "_$*|#~`"
_ESCAPE_RE = re.compile(r"(\\?)([" + re.escape(_ESCAPABLE) + r"])")
_LINE_END_RE = re.compile(r"\r\n|[\r\n]")  # what ends a row; U+2028 and friends stay (real summaries hold them)
_DAY_FILE_RE = re.compile(r"(\d{4})/(\d{2})/(\d{2})\.md")


class ExportError(PaperboyError):
    """The output folder cannot be written: one sentence naming it."""


@dataclass(slots=True)
class ExportReport:
    """What one export did: the days written, the files changed or left as they were, the papers."""

    days: list[str] = field(default_factory=list)
    empty_days: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    papers: int = 0

    def summary(self, out_dir: Path | str) -> str:
        return (f"Exported {len(self.days)} day(s), {self.papers} paper(s), to {out_dir}: "
                f"{len(self.written)} file(s) written, {len(self.unchanged)} unchanged.")


# ------------------------------------------------------------------------------------------- text


def escape_cell(text: str) -> str:
    """``text`` as a table cell the digest parser reads back unchanged: on one line, ``|`` escaped.

    The parser drops a backslash before ``_$*|#~``` (digest writers escape those), so a backslash the
    text really has before such a character is doubled; a bare ``|`` gets one so it cannot end the cell.
    """
    text = _LINE_END_RE.sub(" ", text)

    def one(m: re.Match[str]) -> str:
        if m.group(1):
            return "\\\\" + m.group(2)
        return "\\|" if m.group(2) == "|" else m.group(2)

    return _ESCAPE_RE.sub(one, text) if ("|" in text or "\\" in text) else text


def summary_text(paper: Paper) -> str:
    """The text the seed's summary column holds: the stored summary (digest or LLM bullets, or Hugging
    Face's one-line ``ai_summary``), else the abstract, the same fallback the embeds and terminal use."""
    return paper.summary or paper.abstract


def _summary_cell(paper: Paper) -> str:
    """Bullets stored one per line become ``- a. - b.``: the seed joined its lines with one space."""
    return escape_cell(summary_text(paper))


def _links_cell(urls: Sequence[str]) -> str:
    return ", ".join(f"[Link]({escape_cell(u)})" for u in urls) if urls else "N/A"


def markdown_row(paper: Paper) -> str:
    """One paper as one line of the seed's table."""
    title = f"[{escape_cell(' '.join(paper.title.split()))}]({arxiv_url(paper.arxiv_id)})"
    authors = escape_cell(", ".join(" ".join(a.split()) for a in paper.authors))
    cells = (title, authors, _summary_cell(paper), repr(list(paper.tags)), _links_cell(paper.github_urls),
             _links_cell(paper.huggingface_urls))
    return "| " + " | ".join(cells) + " |"


def in_categories(paper: Paper, categories: Iterable[str]) -> bool:
    """Whether a paper belongs in a table limited to ``categories`` (any of them; none given = all)."""
    wanted = set(categories)
    return not wanted or any(t in wanted for t in paper.tags)


def markdown_day(day: str, papers: Iterable[Paper], categories: Iterable[str] = ()) -> str:
    """A day's ``archive/YYYY/MM/DD.md``: heading and table exactly as the seed writes them."""
    cats = list(categories)
    rows = [markdown_row(p) for p in papers if in_categories(p, cats)]
    return "\n".join(["", "", f"## Papers for {day}", "", HEADER, SEPARATOR, *rows]) + "\n"


def github_repo(paper: Paper) -> str | None:
    """The seed's ``github_repo`` (Hugging Face's repository link): the first github.com link, if any.

    paperboy keeps one union of GitHub links, so the repository is the first of them on github.com;
    the import puts it back among the links, where it already is.
    """
    for url in paper.github_urls:
        host = (urlsplit(url).hostname or "").lower()
        if host in ("github.com", "www.github.com"):
            return url
    return None


def json_entry(paper: Paper, day: str) -> dict:
    """One paper with the seed's keys, in the seed's order."""
    return {
        "title": " ".join(paper.title.split()),
        "authors": ", ".join(" ".join(a.split()) for a in paper.authors),
        "link": arxiv_url(paper.arxiv_id),
        "github_repo": github_repo(paper),
        "summary": summary_text(paper),
        "classification": list(paper.tags),
        "github_urls": list(paper.github_urls),
        "huggingface_urls": list(paper.huggingface_urls),
        "date": day,
    }


def json_day(day: str, papers: Iterable[Paper]) -> str:
    """A day's ``daily_results/YYYY/MM/DD.json``: every paper, laid out as the seed's files are."""
    return json.dumps([json_entry(p, day) for p in papers], indent=4, ensure_ascii=True)


def readme(sections: Iterable[str]) -> str:
    """The README: a title line, then every day's section (its Markdown file's text), in the order given."""
    return f"{README_TITLE}\n\n{README_INTRO}\n" + "".join(sections)


# ------------------------------------------------------------------------------------------- files


def markdown_path(out_dir: Path, day: str) -> Path:
    return out_dir / "archive" / day[0:4] / day[5:7] / f"{day[8:10]}.md"


def json_path(out_dir: Path, day: str) -> Path:
    return out_dir / "daily_results" / day[0:4] / day[5:7] / f"{day[8:10]}.json"


def write_atomic(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` through a temporary file and a rename; False when it already held it."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (FileNotFoundError, UnicodeDecodeError, IsADirectoryError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True


def archived_days(out_dir: Path) -> list[str]:
    """The days that have a Markdown file under ``out_dir/archive``, newest first."""
    root = out_dir / "archive"
    days = []
    for path in root.glob("*/*/*.md"):
        m = _DAY_FILE_RE.fullmatch(path.relative_to(root).as_posix())
        day = plausible_day(*m.groups()) if m else None
        if day:
            days.append(day)
    return sorted(days, reverse=True)


def write_readme(out_dir: Path) -> tuple[Path, bool]:
    """Rebuild ``README.md`` from every day file under ``archive/`` (so earlier exports stay in it)."""
    sections = [markdown_path(out_dir, d).read_text(encoding="utf-8") for d in archived_days(out_dir)]
    path = out_dir / "README.md"
    return path, write_atomic(path, readme(sections))


def _formats(formats: str | Iterable[str]) -> set[str]:
    chosen = {formats} if isinstance(formats, str) else set(formats)
    if "both" in chosen:
        chosen = {"markdown", "json"}
    unknown = chosen - {"markdown", "json"}
    if unknown or not chosen:
        raise ValueError(f"formats must be among {', '.join(FORMATS)}, not {sorted(unknown) or 'nothing'}")
    return chosen


def export_days(store: Store, out_dir: str | Path, days: Iterable[str], *,
                formats: str | Iterable[str] = "both", categories: Iterable[str] = ()) -> ExportReport:
    """Write the files of ``days`` from what ``store`` (a :class:`bot.store.Store`) holds now.

    Safe to call again for the same days (after an enrichment, a re-import, a second fetch): each file
    is replaced whole, unchanged ones are not touched, and the README is rebuilt from ``archive/``.
    The papers of a day are the ones featured that day (arXiv's full listing is left out, as in digests),
    most upvoted first. Raises :class:`ExportError` when the folder cannot be written.
    """
    out = Path(out_dir).expanduser()
    chosen = _formats(formats)
    cats = list(categories)
    report = ExportReport()
    try:
        if out.exists() and not out.is_dir():
            raise ExportError(f"The export folder {out} is a file, not a folder.")
        for day in dict.fromkeys(days):
            papers = store.papers_on(day)
            if not papers:
                report.empty_days.append(day)
                continue
            report.days.append(day)
            report.papers += len(papers)
            targets = []
            if "markdown" in chosen:
                targets.append((markdown_path(out, day), markdown_day(day, papers, cats)))
            if "json" in chosen:
                targets.append((json_path(out, day), json_day(day, papers)))
            for path, text in targets:
                _write(report, path, lambda p=path, t=text: write_atomic(p, t))
        if "markdown" in chosen and report.days:
            _write(report, out / "README.md", lambda: write_readme(out)[1])
    except ExportError:
        raise
    except OSError as exc:  # reading the folder itself
        raise ExportError(f"Cannot write the export to {out}: {_why(exc)}.") from None
    return report


def _write(report: ExportReport, path: Path, write: Callable[[], bool]) -> None:
    """Run one file's write, recording it; an OSError becomes one sentence naming that file."""
    try:
        changed = write()
    except OSError as exc:
        raise ExportError(f"Cannot write {path}: {_why(exc)}.") from None
    (report.written if changed else report.unchanged).append(path)


def _why(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def export_configured(store: Store, settings: Settings, days: Iterable[str]) -> ExportReport | None:
    """The bot's hook: export ``days`` into ``[export] dir`` when it is set (None when it is not).

    Called after each fetch (and after an enrichment of those days). A folder that cannot be written is
    logged and skipped: publishing the archive must never stop the fetch or the day's posts.
    """
    config = settings.export
    if not config.dir:
        return None
    try:
        report = export_days(store, config.dir, days, formats="both", categories=config.categories)
    except ExportError as exc:
        log.error("export skipped: %s", exc)
        return None
    log.info("%s", report.summary(config.dir))
    return report
