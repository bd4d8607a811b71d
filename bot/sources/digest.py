"""Digest files (Markdown tables, daily JSON lists, saved Hugging Face API responses) → :class:`Paper`.

Digest files are the bot's back catalogue: hundreds of days written by an LLM pipeline over two
years, in three Markdown layouts and a JSON twin, with every kind of small damage (rows wrapped over
lines, stray ``|`` in summaries, ``[Link](null)``, bullets flattened onto one line ...). The parser
therefore anchors on what is reliable (the title cell at the start of a row, the tag/link cells at
its end), repairs what it can, and reports in :attr:`LoadResult.warnings` every row or name it had
to leave out, so an import never loses a paper silently.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bot.errors import SourceError
from bot.models import Paper, arxiv_id_from, check_papers, plausible_day
from bot.sources import hf
from bot.sources.hf import json_int
from bot.taxonomy import canonical_tag

__all__ = [
    "SOURCE_HF",
    "SOURCE_JSON",
    "SOURCE_MD",
    "LoadResult",
    "day_from_path",
    "find_files",
    "load_file",
    "normalize_summary",
    "parse_digest_json",
    "parse_markdown",
]

SOURCE_MD = "digest-md"
SOURCE_JSON = "digest-json"
SOURCE_HF = "hf-api"


@dataclass
class LoadResult:
    """What one file (or text) yielded.

    ``days`` lists every day section seen, empty ones included, so an import can record "this day
    had no papers" rather than "this day is missing". ``warnings`` are plain sentences (skipped
    rows, unknown tag names, dropped links); ``skipped`` counts the rows that did not become papers.
    """

    papers: list[Paper] = field(default_factory=list)
    days: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    kind: str = ""
    skipped: int = 0


# ---------------------------------------------------------------------------------------------------
# Small text helpers shared by the Markdown and JSON parsers

_NULLS = frozenset({"", "null", "none", "n/a", "na", "nan", "-", "—", "undefined"})

# Markdown backslash escapes that digest writers add. ``\(``, ``\[`` and ``\\`` are left alone:
# they are LaTeX far more often than Markdown in these summaries.
_MD_ESCAPE_RE = re.compile(r"\\([_$*|#~`])")
_PIPE_ENTITY_RE = re.compile(r"&(?:#124|#x7c|vert|verbar);", re.IGNORECASE)

_ISO_DAY_RE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for m in names
}
_MONTH_NAME = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_MDY_RE = re.compile(_MONTH_NAME + r"\s++(\d{1,2})(?:st|nd|rd|th)?,?\s++(\d{4})", re.IGNORECASE)
_DMY_RE = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s++" + _MONTH_NAME + r",?\s++(\d{4})", re.IGNORECASE)


def _unescape(text: str) -> str:
    """Undo the Markdown escapes digests use (``\\_``, ``\\$``, ``\\|`` ...) but keep LaTeX intact."""
    if "\\" in text:
        text = _MD_ESCAPE_RE.sub(r"\1", text)
    if "&" in text:
        text = _PIPE_ENTITY_RE.sub("|", text)
    return text


def _collapse(text: str) -> str:
    """One line, single spaces: titles and names come wrapped at arbitrary places."""
    return " ".join(text.split())


def _valid_day(y: str | int, m: str | int, d: str | int) -> str | None:
    """A real and plausible day (1991-2199), or None: '2025-13-45' is no day and never gets stored."""
    return plausible_day(y, m, d)


def _day_in(text: str) -> str | None:
    """The first real date in ``text`` (ISO-like or 'January 24, 2025'), as ``YYYY-MM-DD``."""
    for m in _ISO_DAY_RE.finditer(text):
        day = _valid_day(*m.groups())
        if day:
            return day
    m = _MDY_RE.search(text)
    if m:
        return _valid_day(m.group(3), _MONTHS[m.group(1).lower().rstrip(".")], m.group(2))
    m = _DMY_RE.search(text)
    if m:
        return _valid_day(m.group(3), _MONTHS[m.group(2).lower().rstrip(".")], m.group(1))
    return None


def _norm_default_day(day: str | None) -> str | None:
    if day is None:
        return None
    m = re.fullmatch(r"\s*(\d{4})-(\d{2})-(\d{2})\s*", day)
    norm = _valid_day(*m.groups()) if m else None
    if norm is None:
        raise ValueError(f"default_day {day!r} is not a YYYY-MM-DD date")
    return norm


def day_from_path(path: Path) -> str | None:
    """The day a file is about, from its name (``papers-2025-01-24.md``) or ``YYYY/MM/DD.json`` layout.

    Needed because a single-day JSON list (notably the empty ``[]`` of a quiet day) carries no date.
    """
    path = Path(path)
    for m in _ISO_DAY_RE.finditer(path.name):
        day = _valid_day(*m.groups())
        if day:
            return day
    parts = path.parts
    if len(parts) >= 3 and re.fullmatch(r"\d{4}", parts[-3]) and re.fullmatch(r"\d{1,2}", parts[-2]):
        stem = Path(parts[-1]).stem
        if re.fullmatch(r"\d{1,2}", stem):
            return _valid_day(parts[-3], parts[-2], stem)
    return None


# --- summaries ----------------------------------------------------------------------------------------

# A flattened bullet boundary: end of a sentence, then " - " (or " -Capital", seen in the data).
# Requiring the sentence end keeps ordinary dashes ("A - B", "$x - y$") inside a bullet intact.
_FLAT_DASH_RE = re.compile(r"([.!?][\"'”’)\]]*+)\s++-(?:\s++(?=\S)|(?=[A-Z]))")
_BULLET_START_RE = re.compile(r"-(?:\s|[A-Z])")
_FLAT_DOT_RE = re.compile(r"\s++(?=•)")
_BULLET_GAP_RE = re.compile(r"^(•(?=\S)|-(?=[A-Z]))")


def normalize_summary(text: str) -> str:
    """Bullet summaries as one ``- ...`` line per bullet, whitespace collapsed within each line.

    The Markdown tables replaced the JSON's newlines by spaces ("- a. - b."); some JSON entries are
    flattened the same way. Both are turned back into one bullet per line so every source agrees.
    """
    out: list[str] = []
    marker = ""  # a bullet mark alone on its line ("-\nText", 72 entries of the sample JSON): its text follows
    for raw in text.split("\n"):
        line = _collapse(raw)
        if not line:
            continue
        if line in ("-", "•"):
            marker = line
            continue
        if marker:
            line, marker = f"{marker} {line}", ""
        if _BULLET_START_RE.match(line) or len(_FLAT_DASH_RE.findall(line)) >= 2:
            out.extend(_FLAT_DASH_RE.sub("\\1\n- ", line).split("\n"))
        elif line.startswith("•"):
            out.extend(_FLAT_DOT_RE.split(line))
        else:
            out.append(line)
    return "\n".join(_BULLET_GAP_RE.sub(r"\1 ", part) for part in out)


# --- links -------------------------------------------------------------------------------------------

# ``[label](url)`` with one level of parentheses allowed inside the URL, or a bare http(s) URL.
# URLs are taken whole by these patterns: commas inside a URL are never a separator. The quantifiers are
# possessive: a lazy target that may also hold the blanks before ")" rescanned them at every step, and a
# row of 5,000 blanks after "](" took over a minute (cubic). The target keeps trailing blanks instead;
# _clean_url strips them.
_LINK_OR_URL_RE = re.compile(
    r"\]\(\s*+<?((?:[^()<>\n]|\([^()\s]*+\))*+)>?\s*+\)"
    r"|(https?://[^\s<>()\[\]|\"']++)"
)
_MD_LINK_RE = re.compile(
    r"\[((?:[^\[\]]|\[[^\[\]]*+\])*+)\]\(\s*+<?((?:[^()\s<>]|\([^()\s]*+\))*+)>?\s*+\)"
)
_HTTP_RE = re.compile(r"https?://\S+", re.IGNORECASE)
# Host labels are at most 63 characters (RFC 1035): bounded, a long label cannot be rescanned.
_DOMAIN_RE = re.compile(
    r"(?:www\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)++[a-z]{2,6}(?::\d++)?(?:[/?#]\S*+)?",
    re.IGNORECASE,
)


def _clean_url(url: str, warnings: list[str] | None = None, where: str = "") -> str | None:
    """A usable absolute URL, or None for ``null``/``None``/junk (junk is reported, nulls are not)."""
    u = _unescape(url.strip().strip("<>").strip()).rstrip(".,;")
    if u.casefold() in _NULLS:
        return None
    if _HTTP_RE.fullmatch(u):
        return u
    if u.startswith("//") and _DOMAIN_RE.fullmatch(u[2:]):
        return "https:" + u
    if _DOMAIN_RE.fullmatch(u):
        return "https://" + u
    if warnings is not None:
        warnings.append(f"{where}dropped the link {u!r}: it is not a web address.")
    return None


def _urls_in(cell: str, warnings: list[str], where: str) -> list[str]:
    """Every URL in a links cell, in order, deduplicated; N/A and [Link](null) give nothing."""
    out: list[str] = []
    for m in _LINK_OR_URL_RE.finditer(cell):
        url = _clean_url(m.group(1) if m.group(1) is not None else m.group(2), warnings, where)
        if url and url not in out:
            out.append(url)
    return out


def _url_list(value: object, warnings: list[str], where: str) -> list[str]:
    """A JSON links value (list of strings, or one string) as clean, deduplicated URLs."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            continue
        found = _urls_in(item, warnings, where) if ("](" in item or " " in item.strip()) else None
        for url in found if found is not None else [_clean_url(item, warnings, where)]:
            if url and url not in out:
                out.append(url)
    return out


def _repo_key(url: str) -> str:
    u = url.casefold().rstrip("/")
    return u[:-4] if u.endswith(".git") else u


def _arxiv_id_in(urls: Iterable[str]) -> str | None:
    """The paper id from its links: arXiv first, then the Hugging Face papers page."""
    urls = list(urls)
    for u in urls:
        if "arxiv.org" in u.lower():
            found = arxiv_id_from(u)
            if found:
                return found
    for u in urls:
        if "huggingface.co/papers/" in u.lower():
            found = arxiv_id_from(u)
            if found:
                return found
    return None


# --- classification --------------------------------------------------------------------------------

_QUOTED_RE = re.compile(r"'([^'\n]*)'|\"([^\"\n]*)\"")


@lru_cache(maxsize=4096)
def _classification_names(cell: str) -> tuple[str, ...]:
    """Names in a classification cell: a Python list literal, else quoted strings, else commas.

    Cached because a 3 MB README repeats the same few hundred tag lists thousands of times.
    """
    s = cell.strip()
    if s.casefold() in _NULLS or s in ("[]", "()"):
        return ()
    if s.startswith("[") and len(s) < 4000:
        try:
            value = ast.literal_eval(s)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            value = None
        if isinstance(value, (list, tuple)):
            return tuple(_collapse(v) for v in value if isinstance(v, str) and v.strip())
    quoted = [a or b for a, b in _QUOTED_RE.findall(s)]
    if quoted:
        return tuple(_collapse(q) for q in quoted if q.strip())
    return tuple(_collapse(p) for p in s.strip("[]()").split(",") if p.strip())


def _tags(names: Iterable[str], unknown: dict[str, list[str]], arxiv_id: str) -> list[str]:
    """Canonical tag names; names outside the taxonomy are collected (for one warning per name)."""
    tags: list[str] = []
    for name in names:
        tag = canonical_tag(name)
        if tag is None:
            unknown.setdefault(name, []).append(arxiv_id)
        elif tag not in tags:
            tags.append(tag)
    return tags


def _unknown_tag_warnings(unknown: dict[str, list[str]]) -> list[str]:
    out = []
    for name, ids in unknown.items():
        rows = "1 row" if len(ids) == 1 else f"{len(ids)} rows"
        out.append(f"Ignored the classification {name!r} ({rows}, e.g. {ids[0]}): it is not a Hugging Face task tag.")
    return out


def _authors(value: object) -> list[str]:
    """Authors from a comma string or a list (of names or ``{name: ...}``), blanks dropped."""
    if isinstance(value, str):
        items: list[object] = value.split(",")
    elif isinstance(value, list):
        items = [a.get("name", "") if isinstance(a, dict) else a for a in value]
    else:
        return []
    out = []
    for item in items:
        name = _collapse(_unescape(str(item))) if item is not None else ""
        if name and name.casefold() not in _NULLS:
            out.append(name)
    return out


def _add_day(days: list[str], seen: set[str], day: str | None) -> None:
    if day and day not in seen:
        seen.add(day)
        days.append(day)


# ---------------------------------------------------------------------------------------------------
# Markdown

# A heading is "#" marks then its text; the closing marks and blanks are stripped in _heading_text, not
# by "\s*(.*?)\s*#*\s*$", which tried every split of a long blank run three ways (a 3 KB line: 25 s).
_HEADING_RE = re.compile(r"\s{0,3}(#{1,6})(.*)")
_PAPERS_FOR_RE = re.compile(r"papers\s++for", re.IGNORECASE)
_SEPARATOR_CELL_RE = re.compile(r":?-{2,}+:?")
_CELL_SPLIT_RE = re.compile(r"(?<!\\)\|")
# The title cell anchored at the row start: "[Title](link)" up to the first "](" (so a "|" inside the
# title cannot cut it), or the older "Title (Read more on [arXiv](…) or [HuggingFace](…))".
_TITLE_LINK_CELL_RE = re.compile(
    r"\s*+\[(?P<text>(?:[^\]]|\](?!\())+?)\]\(\s*+(?P<url>[^()\s]*+)\s*+\)\s*+(?:\||$)", re.S
)
# The older title cell, "Title (Read more on [arXiv](…) or [HuggingFace](…))", is found in two linear
# steps (_read_more_cell_end): one lazy pattern for the whole cell rescanned the rest of the row from
# every "(Read more on" (a 136 KB row: 7.9 s).
_READ_MORE_RE = re.compile(r"\(\s*+Read more on\b", re.IGNORECASE)
_READ_MORE_CLOSE_RE = re.compile(r"\)\s*+(?:\||\Z)")
_READ_MORE_TAIL_RE = re.compile(r"\(\s*+Read more on\b.*$", re.S | re.IGNORECASE)
_TABLE_HINT_RE = re.compile(r"^[^\S\n]*+\|[^\S\n]*+title[^\S\n]*+\|", re.IGNORECASE | re.MULTILINE)

_HEADER_NAMES = {
    "title": "title",
    "paper": "title",
    "authors": "authors",
    "author": "authors",
    "summary": "summary",
    "classification": "classification",
    "classifications": "classification",
    "tags": "classification",
    "github urls": "github",
    "github": "github",
    "huggingface urls": "huggingface",
    "hugging face urls": "huggingface",
    "huggingface": "huggingface",
    "link": "link",
    "links": "link",
    "url": "link",
}
_SEED_COLUMNS = ("title", "authors", "summary", "classification", "github", "huggingface")
_LINK_COLUMNS = ("title", "authors", "summary", "link")
_PLAIN_COLUMNS = ("title", "authors", "summary")


def _guess_columns(n: int) -> tuple[str, ...]:
    """Columns for a row met before any header row, by its cell count."""
    if n >= 6:
        return _SEED_COLUMNS
    return _LINK_COLUMNS if n == 4 else _PLAIN_COLUMNS


def _header_columns(line: str) -> tuple[str, ...] | None:
    if "title" not in line.lower():  # cheap test first: most "|" lines are rows
        return None
    cells = [_collapse(c).casefold() for c in _CELL_SPLIT_RE.split(line.strip().strip("|"))]
    if "title" not in cells or not ({"authors", "summary"} & set(cells)):
        return None
    return tuple(_HEADER_NAMES.get(c, f"other:{c}") for c in cells)


def _unwrap(cell: str) -> str:
    """Re-join a summary cell wrapped over physical lines, keeping lines that start a bullet."""
    if "\n" not in cell:
        return cell
    out: list[list[str]] = []  # pieces joined once at the end: "+=" on a list item copies (quadratic)
    for line in cell.split("\n"):
        head = line.lstrip()
        if out and not head.startswith(("- ", "•")):
            out[-1].append(head)
        else:
            out.append([line])
    return "\n".join(" ".join(parts) for parts in out)


def _heading_text(rest: str) -> str:
    """A heading's text without its blanks and closing ``#`` marks (what follows the opening marks)."""
    return rest.strip().rstrip("#").rstrip()


def _is_separator(line: str) -> bool:
    """A table's ``|---|:--:|`` line: every cell dashes, with optional alignment colons."""
    if "--" not in line:
        return False
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") else body
    return all(_SEPARATOR_CELL_RE.fullmatch(cell.strip()) for cell in body.split("|"))


def _read_more_cell_end(body: str) -> int | None:
    """End of an old-style title cell at the start of ``body``: ``Title (Read more on …)`` then ``|``
    or the end of the row; None if the row does not start with one.

    The cell runs from the first "(Read more on" to the first ")" after it that only blanks separate
    from a "|" or the end: exactly what the single lazy pattern used to match, in linear time.
    """
    opening = _READ_MORE_RE.search(body)
    if opening is None:
        return None
    closing = _READ_MORE_CLOSE_RE.search(body, opening.end())
    return closing.end() if closing is not None else None


def _has_paper_link(row: str) -> bool:
    """Whether a row mentions arXiv or a Hugging Face paper page at all; a row that does not cannot
    give a paper id (see _arxiv_id_in), so it is skipped cheaply: "|" lines by the thousand in a hostile
    file then cost microseconds each, and any input parses at well over 1 MB/s."""
    low = row.lower()
    return "arxiv.org" in low or "huggingface.co/papers/" in low


class _MarkdownParser:
    """Line-by-line state machine: day headings, table header rows, rows (joined across wraps)."""

    def __init__(self, default_day: str | None) -> None:
        self.default_day = default_day
        self.day = default_day
        self.result = LoadResult(kind=SOURCE_MD)
        self._seen_days: set[str] = set()
        self._unknown: dict[str, list[str]] = {}
        self.columns: tuple[str, ...] | None = None
        self.row: list[str] = []
        self.row_line = 0

    # -- driving ---------------------------------------------------------------------------------
    def feed(self, text: str) -> LoadResult:
        # split("\n"), not splitlines(): summaries contain U+2028 and friends that are not row ends.
        for lineno, raw in enumerate(text.split("\n"), 1):
            line = raw.rstrip("\r")
            s = line.strip()
            if not s:
                self._flush()
                continue
            if s[0] == "#" and self._heading(s, lineno):
                continue
            if s[0] == "|":
                self._flush()
                if _is_separator(s):
                    continue
                header = _header_columns(s)
                if header is not None:
                    self.columns = header
                    continue
                self.row = [s]
                self.row_line = lineno
            elif self.row:
                self.row.append(s)  # a row wrapped over several physical lines
            # any other line is prose around the tables (README intro, notes): not ours
        self._flush()
        self.result.warnings.extend(_unknown_tag_warnings(self._unknown))
        _check(self.result)
        return self.result

    def _heading(self, s: str, lineno: int) -> bool:
        """Handle a heading line; False if it is really a wrapped row's continuation."""
        m = _HEADING_RE.match(s)
        if not m or (self.row and not self.row[-1].endswith("|") and not _PAPERS_FOR_RE.search(s)):
            return False
        text = _heading_text(m.group(2))
        day = _day_in(text)
        self._flush()
        if day is None and not _PAPERS_FOR_RE.search(text):
            return True  # some other heading (README intro): the current day goes on
        self.columns = None
        if day is None:
            self.day = None
            self.result.warnings.append(
                f"Line {lineno}: the heading {text!r} has no date I can read; its rows are skipped."
            )
            return True
        self.day = day
        _add_day(self.result.days, self._seen_days, day)
        return True

    # -- rows ------------------------------------------------------------------------------------
    def _skip(self, why: str, title: str = "") -> None:
        what = f" ({title[:80]!r})" if title else ""
        self.result.warnings.append(f"Line {self.row_line}: skipped a row{what}: {why}.")
        self.result.skipped += 1

    def _flush(self) -> None:
        if not self.row:
            return
        joined = "\n".join(self.row)
        self.row = []
        try:
            if _has_paper_link(joined):
                self._parse_row(joined)
            else:  # cannot become a paper: said in one warning, without splitting it into cells
                title = _collapse(_unescape(_READ_MORE_TAIL_RE.sub("", _CELL_SPLIT_RE.split(joined.strip()[1:], 1)[0])))
                if title:
                    self._skip("it has no arXiv or Hugging Face paper link, so it has no stable id", title)
                else:
                    self._skip("it has no title")
        except Exception as exc:  # one odd row must never sink a 3 MB import
            self._skip(f"it could not be read ({type(exc).__name__}: {exc})")

    def _split(self, joined: str, columns: tuple[str, ...] | None) -> tuple[tuple[str, ...], list[str]]:
        """Cells of a row: title anchored at the start, tag/link cells at the end, summary between."""
        body = joined.strip()[1:]
        if body.endswith("|") and not body.endswith("\\|"):
            body = body[:-1]
        first: list[str] = []
        if columns is None or columns[0] == "title":
            m = _TITLE_LINK_CELL_RE.match(body)
            if m and "|" in m.group("text") and not _arxiv_id_in([m.group("url")]):
                m = None  # a broken title link would swallow the next cells: split plainly instead
            end = m.end() if m else _read_more_cell_end(body)
            if end is not None:
                first = [body[:end].rstrip().removesuffix("|")]
                body = body[end:]
        cells = first + (_CELL_SPLIT_RE.split(body) if body or not first else [])
        if columns is None:
            columns = _guess_columns(len(cells))
        n = len(columns)
        if len(cells) > n and "summary" in columns:
            i = columns.index("summary")
            after = n - i - 1
            end = len(cells) - after
            cells = [*cells[:i], "|".join(cells[i:end]), *cells[end:]]
        elif len(cells) > n:
            cells = [*cells[: n - 1], "|".join(cells[n - 1 :])]
        elif len(cells) < n:
            self.result.warnings.append(
                f"Line {self.row_line}: a row has {len(cells)} cells where the table has {n}; "
                "the missing ones are read as empty."
            )
            cells = cells + [""] * (n - len(cells))
        return columns, cells

    def _parse_row(self, joined: str) -> None:
        columns, cells = self._split(joined, self.columns)
        row = dict(zip(columns, cells, strict=False))
        where = f"Line {self.row_line}: "
        warnings = self.result.warnings

        title_cell = row.get("title", "")
        urls: list[str] = []
        m = _TITLE_LINK_CELL_RE.fullmatch(title_cell.strip() + "|") if title_cell.strip().startswith("[") else None
        if m:
            title = m.group("text")
            urls.append(m.group("url"))
        else:
            title = _READ_MORE_TAIL_RE.sub("", title_cell)
            title = _MD_LINK_RE.sub(lambda lm: lm.group(1), title)
        urls += [u.group(2) for u in _MD_LINK_RE.finditer(title_cell) if u.group(2) not in urls]
        urls += [u for u in _urls_in(row.get("link", ""), [], where) if u not in urls]
        title = _collapse(_unescape(title))
        clean = [c for c in (_clean_url(u) for u in urls) if c]
        arxiv_id = _arxiv_id_in(clean)
        if not title:
            self._skip("it has no title")
            return
        if not arxiv_id:
            self._skip("it has no arXiv or Hugging Face paper link, so it has no stable id", title)
            return
        if self.day is None:
            self._skip("no '## Papers for YYYY-MM-DD' heading above it and no date in the file name", title)
            return

        summary = _unwrap(_unescape(row.get("summary", "")))
        names = _classification_names(_unescape(row.get("classification", "")))
        tags = _tags(names, self._unknown, arxiv_id)
        paper = Paper(
            arxiv_id=arxiv_id,
            title=title,
            authors=_authors(row.get("authors", "")),
            summary=normalize_summary(summary),
            tags=tags,
            github_urls=_urls_in(row.get("github", ""), warnings, where),
            huggingface_urls=_urls_in(row.get("huggingface", ""), warnings, where),
            dates=[self.day],
            source=SOURCE_MD,
            tags_source="digest" if tags else "",
        )
        self.result.papers.append(paper)
        if self.day == self.default_day:
            _add_day(self.result.days, self._seen_days, self.day)


def parse_markdown(text: str, *, default_day: str | None = None) -> LoadResult:
    """Papers from digest Markdown: one day or a whole README of ``## Papers for`` sections.

    ``default_day`` (``YYYY-MM-DD``, usually from the file name) files rows that come before any
    day heading. Every day heading is listed in ``days``, even when its table is empty.
    """
    return _MarkdownParser(_norm_default_day(default_day)).feed(text)


# ---------------------------------------------------------------------------------------------------
# Daily JSON lists


def parse_digest_json(data: list, *, default_day: str | None = None) -> LoadResult:
    """Papers from a daily digest JSON list (``[{title, authors, link, summary, classification ...}]``).

    An empty list is a valid quiet day: it yields no papers and lists ``default_day`` in ``days``.
    """
    default_day = _norm_default_day(default_day)
    if not isinstance(data, list):
        raise SourceError(f"A digest JSON file holds a list of papers, not a {type(data).__name__}.")
    result = LoadResult(kind=SOURCE_JSON)
    seen: set[str] = set()
    unknown: dict[str, list[str]] = {}
    if not data:
        _add_day(result.days, seen, default_day)
    for i, entry in enumerate(data, 1):
        where = f"Entry {i}: "
        if not isinstance(entry, dict):
            result.warnings.append(f"{where}skipped: it is a {type(entry).__name__}, not a paper object.")
            result.skipped += 1
            continue
        title = _collapse(str(entry.get("title") or ""))
        links = [str(entry.get(k)) for k in ("link", "url", "arxiv_url", "paper_url") if entry.get(k)]
        arxiv_id = _arxiv_id_in([c for c in (_clean_url(u) for u in links) if c])
        if not arxiv_id:
            for key in ("arxiv_id", "id", "paper_id"):
                raw = entry.get(key)
                if isinstance(raw, str) and (found := arxiv_id_from(raw)):
                    arxiv_id = found
                    break
        raw_day = entry.get("date")
        day = _day_in(raw_day) if isinstance(raw_day, str) else None
        if raw_day and day is None:
            result.warnings.append(f"{where}the date {raw_day!r} is not a date; using the file's day instead.")
        day = day or default_day
        if not title:
            why = "it has no title"
        elif not arxiv_id:
            why = "it has no arXiv link, so it has no stable id"
        elif not day:
            why = "it has no date and the file name has none either"
        else:
            why = ""
        if why:
            result.warnings.append(f"{where}skipped{f' ({title[:80]!r})' if title else ''}: {why}.")
            result.skipped += 1
            continue
        assert arxiv_id is not None and day is not None

        classification = entry.get("classification")
        if isinstance(classification, str):
            names: Iterable[str] = _classification_names(classification)
        elif isinstance(classification, list):
            names = [_collapse(c) for c in classification if isinstance(c, str) and c.strip()]
        else:
            names = ()
        tags = _tags(names, unknown, arxiv_id)
        github = _url_list(entry.get("github_urls"), result.warnings, where)
        repo = entry.get("github_repo")
        repo_url = _clean_url(repo) if isinstance(repo, str) else None
        if repo_url and _repo_key(repo_url) not in {_repo_key(u) for u in github}:
            github.append(repo_url)  # HF's repo link, when the summariser did not list it
        result.papers.append(
            Paper(
                arxiv_id=arxiv_id,
                title=title,
                authors=_authors(entry.get("authors")),
                summary=normalize_summary(str(entry.get("summary") or "")),
                tags=tags,
                github_urls=github,
                huggingface_urls=_url_list(entry.get("huggingface_urls"), result.warnings, where),
                dates=[day],
                source=SOURCE_JSON,
                tags_source="digest" if tags else "",
            )
        )
        _add_day(result.days, seen, day)
    result.warnings.extend(_unknown_tag_warnings(unknown))
    _check(result)
    return result


def _check(result: LoadResult) -> None:
    """Pass every paper through :func:`bot.models.check_paper`: values the store cannot hold (lone
    surrogates, impossible days) are dropped with a warning, never stored or raised."""
    kept, warnings = check_papers(result.papers)
    result.skipped += len(result.papers) - len(kept)
    result.papers = kept
    result.warnings.extend(warnings)


# ---------------------------------------------------------------------------------------------------
# Files


def _is_hf_entry(obj: object) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("paper"), dict)


def _is_hf_paper(obj: object) -> bool:
    return (
        isinstance(obj, dict)
        and "id" in obj
        and "title" in obj
        and not isinstance(obj.get("authors"), str)
        and "link" not in obj
    )


def _is_digest_entry(obj: object) -> bool:
    return isinstance(obj, dict) and (
        "link" in obj or "classification" in obj or "github_urls" in obj or isinstance(obj.get("authors"), str)
    )


def _load_hf(data: object, name: str, default_day: str | None) -> LoadResult:
    """A saved Hugging Face API response, through the same parser the live fetcher uses.

    The file's day (from its name) is passed as the day it was fetched for: the HF parser uses it
    only for entries that do not say themselves when they were featured.
    """
    result = LoadResult(kind=SOURCE_HF)
    try:
        if isinstance(data, dict) and not _is_hf_entry(data):
            notes: list[str] = []
            papers = [hf.parse_paper_object(data, notes)]
            result.warnings.extend(f"Hugging Face {w}." for w in notes)
        else:
            entries = data if isinstance(data, list) else [data]
            papers, notes = hf.parse_daily_papers_report(entries, default_day)
            result.warnings.extend(f"Hugging Face {w}." for w in notes)
            result.skipped += len(entries) - len(papers)
    except SourceError as exc:
        raise SourceError(f"{name}: {exc}") from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SourceError(
            f"{name} looks like a Hugging Face API response, but a paper in it is malformed ({exc})."
        ) from exc
    seen: set[str] = set()
    for paper in papers:
        if not paper.dates and default_day:
            paper.dates = [default_day]
        if not paper.source:
            paper.source = SOURCE_HF
        result.papers.append(paper)
    _check(result)
    for paper in result.papers:
        for day in paper.dates:
            _add_day(result.days, seen, day)
    if not papers:
        _add_day(result.days, seen, default_day)
    return result


def _load_json(data: object, name: str, default_day: str | None) -> LoadResult:
    if isinstance(data, list):
        if not data:
            return parse_digest_json(data, default_day=default_day)
        dicts = [e for e in data if isinstance(e, dict)]
        if any(_is_hf_entry(e) for e in dicts):
            return _load_hf(data, name, default_day)
        if any(_is_digest_entry(e) for e in dicts):
            return parse_digest_json(data, default_day=default_day)
        if dicts and all(_is_hf_paper(e) for e in dicts):
            return _load_hf(data, name, default_day)
    elif isinstance(data, dict):
        if _is_hf_entry(data) or _is_hf_paper(data):
            return _load_hf(data, name, default_day)
        if isinstance(data.get("papers"), list):  # a wrapper object around a digest list
            return _load_json(data["papers"], name, default_day)
    raise SourceError(
        f"{name} is JSON, but neither a digest list of papers nor a saved Hugging Face Daily Papers response."
    )


def _looks_like_markdown_digest(text: str) -> bool:
    if _TABLE_HINT_RE.search(text):
        return True
    return any(
        (m := _HEADING_RE.match(line)) is not None and _PAPERS_FOR_RE.search(m.group(2)) is not None
        for line in text.split("\n")
        if line.lstrip().startswith("#")
    )


def load_file(path: Path) -> LoadResult:
    """Papers from one file, its kind told by content (a ``.txt`` Markdown digest works too).

    Raises :class:`SourceError`, one sentence naming the file, when it cannot be read, is not
    valid JSON, or is none of the known kinds. Warnings come back prefixed with the file name.
    """
    path = Path(path)
    name = str(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError as exc:
        raise SourceError(f"{name} is a folder; give a file, or import the folder to read all files in it.") from exc
    except FileNotFoundError as exc:
        raise SourceError(f"{name} does not exist.") from exc
    except OSError as exc:
        raise SourceError(f"Cannot read {name}: {exc.strerror or exc}.") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{name} is not a UTF-8 text file, so it is not a digest.") from exc

    default_day = day_from_path(path)
    suffix = path.suffix.lower()
    stripped = text.lstrip()
    if suffix == ".json" or stripped.startswith(("[", "{")):
        try:
            data = json.loads(text, parse_int=json_int)
        except (json.JSONDecodeError, RecursionError) as exc:
            if suffix != ".json" and _looks_like_markdown_digest(text):
                result = parse_markdown(text, default_day=default_day)
            else:
                detail = (
                    f" ({exc.msg} at line {exc.lineno}, column {exc.colno})"
                    if isinstance(exc, json.JSONDecodeError)
                    else ""
                )
                raise SourceError(f"{name} is not valid JSON{detail}.") from exc
        else:
            result = _load_json(data, name, default_day)
    elif stripped.startswith("<") and "http://www.w3.org/2005/Atom" in stripped[:2000]:
        result = _load_atom(text, name)
    elif _looks_like_markdown_digest(text):
        result = parse_markdown(text, default_day=default_day)
    elif not stripped:
        raise SourceError(f"{name} is empty.")
    else:
        raise SourceError(
            f"{name} is not a digest file: it is not JSON and has no '## Papers for' section or paper table."
        )
    result.warnings = [f"{name}: {w}" for w in result.warnings]
    return result


def _load_atom(text: str, name: str) -> LoadResult:
    """A saved arXiv export API response (Atom): each entry featured on the day it was published."""
    from bot.errors import UpstreamError
    from bot.sources.arxiv import parse_atom_report

    try:
        papers, warnings = parse_atom_report(text)
    except UpstreamError as exc:
        raise SourceError(f"{name} is not a readable arXiv feed: {str(exc).rstrip('.')}.") from exc
    result = LoadResult(papers=papers, warnings=[f"arXiv {w}." for w in warnings], kind="arxiv")
    _check(result)
    result.days = sorted({d for p in result.papers for d in p.dates})
    return result


def find_files(paths: Iterable[Path]) -> list[Path]:
    """Files to import: files as given, folders walked for ``*.md``/``*.json``/``*.xml`` (sorted, hidden skipped).

    Raises :class:`SourceError` for a path that does not exist, before anything is imported, so a
    typo does not end up as a half-done import.
    """
    out: list[Path] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            out.append(p)

    for given in paths:
        p = Path(given)
        if not p.exists():
            raise SourceError(f"{p} does not exist.")
        if p.is_dir():
            found = [
                f
                for f in p.rglob("*")
                if f.suffix.lower() in (".md", ".json", ".xml")
                and f.is_file()
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            ]
            for f in sorted(found):
                add(f)
        else:
            add(p)
    return out
