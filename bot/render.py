"""Paper → Discord message payloads (plain dicts in Discord's API JSON), within every Discord limit.

Kept free of discord.py so the CLI (``paperboy digest --json``) prints exactly what the Discord edge
sends (it only wraps each embed dict with ``discord.Embed.from_dict``), and so tests need no client.
Every string that reaches a payload came from the internet: it is escaped, de-pinged and cut to fit
here, once, instead of trusting each caller to remember.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Iterable
from datetime import date
from urllib.parse import quote, urlsplit, urlunsplit

from bot.models import Paper, hf_thumbnail, summary_source_label, tags_source_label
from bot.packing import pack
from bot.taxonomy import ALL_TAGS, MODALITIES, modality_of

#: Discord's hard limits (characters / counts); a payload over any of them is rejected with a 400.
LIMITS: dict[str, int] = {
    "title": 256,
    "description": 4096,
    "fields": 25,
    "field_name": 256,
    "field_value": 1024,
    "footer": 2048,
    "author": 256,
    "total": 6000,
    "embeds_per_message": 10,
    "content": 2000,
    "thread_name": 100,
}

#: Discord refuses embed URLs longer than this ("Must be 2048 or fewer in length").
URL_LIMIT = 2048

#: ``allowed_mentions`` for every message: nothing may ping, whatever the text says.
NO_MENTIONS: dict = {"parse": [], "users": [], "roles": [], "replied_user": False}

#: One fixed colour per modality so a channel's stream can be scanned by colour.
MODALITY_COLORS: dict[str, int] = {
    "Multimodal": 0x9B59B6,
    "Natural Language Processing": 0x3498DB,
    "Computer Vision": 0x2ECC71,
    "Audio": 0xE67E22,
    "Tabular": 0x1ABC9C,
    "Reinforcement Learning": 0xE74C3C,
    "Other": 0x95A5A6,
}
assert set(MODALITY_COLORS) == set(MODALITIES), "every modality needs a colour"

ELLIPSIS = "…"
ZWSP = "\u200b"
MAX_AUTHORS = 5  # more than this → "A, B, C et al."
ET_AL_SHOWN = 3
ABSTRACT_CHARS = 1000  # an abstract stands in for a missing summary; keep it a teaser, not a wall
TOP_TAGS = 5
ORG_CHARS = 100  # an organisation's name: Hugging Face's are short; a longer one is cut
#: The footer of ``/paper`` names where the text came from in plain words (summary_source_label's words).
SUMMARY_WORDS = {"digest": "digest", "llm": "LLM", "hf": "Hugging Face", "abstract": "abstract"}
TAGS_WORDS = {"digest": "digest", "llm": "LLM", "model": "model"}
MIN_DESCRIPTION = 20  # below this a description is just "…" noise; leave it out
SEP = " · "
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# ── text safety ──────────────────────────────────────────────────────────────────────────────────

_MD_CHARS = re.compile(r"([\\*_~`|>\[\]])")
_MD_LINE_START = re.compile(r"(?m)^(\s*)(-#|[#>+*-]|\d+\.)(?=\s)")
_SUMMARY_CHARS = re.compile(r"([\\\[\]|])")
_MENTION_AT = re.compile(r"@(?=everyone|here)", re.IGNORECASE)
_MENTION_LT = re.compile(r"<(?=[@#/:]|a:|t:)")


#: Code points no untrusted text keeps: C0 controls but tab and newline (ESC among them, so no ANSI
#: sequence can drive a terminal), DEL, C1 controls, and the bidi controls that reorder what a reader
#: sees (after U+202E, "report-fdp.exe" reads "report-exe.pdf"): LRE/RLE/PDF/LRO/RLO
#: U+202A–U+202E, the isolates U+2066–U+2069, LRM/RLM U+200E/F and the Arabic letter mark U+061C.
UNSAFE_CHARS = frozenset([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, *range(0x80, 0xA0),
                          0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_UNSAFE_TABLE = dict.fromkeys(UNSAFE_CHARS)


def strip_controls(text: object) -> str:
    """Untrusted text without control characters; line breaks (\r\n, \r) become \n, tabs stay.

    Applied first, before escaping and de-pinging, so removing a control can never join the pieces of
    a mention or a Markdown marker that the later steps would otherwise have caught.
    """
    return str(text).replace("\r\n", "\n").replace("\r", "\n").translate(_UNSAFE_TABLE)


def escape_markdown(text: str) -> str:
    """Backslash-escape Markdown so untrusted text shows literally (no bold, spoilers, links, quotes).

    Escapes ``\\ * _ ~ ` | > [ ]`` anywhere and list/heading markers at a line start; a backslash
    first, so escaping twice never un-escapes.
    """
    text = _MD_CHARS.sub(r"\\\1", text)
    return _MD_LINE_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", text)


def neutralize_mentions(text: str) -> str:
    """Break ``@everyone``/``@here`` and ``<@…>``, ``<@&…>``, ``<#…>``, ``</…>``, ``<:…>`` syntax.

    A zero-width space after ``@`` (or ``<``) keeps the text readable but stops Discord from parsing
    a mention; ``allowed_mentions`` is the second lock. Idempotent.
    """
    text = _MENTION_AT.sub("@" + ZWSP, text)
    return _MENTION_LT.sub("<" + ZWSP, text)


def _one_line(text: object) -> str:
    """Untrusted text as one line of plain text: controls stripped, whitespace collapsed."""
    return " ".join(strip_controls(text).split())


def _plain(text: object) -> str:
    """One line of untrusted text for a Markdown-rendering spot: controls gone, escaped, de-pinged."""
    return neutralize_mentions(escape_markdown(_one_line(text)))


_NULLISH = {"", "null", "none", "n/a", "na", "-", "#"}
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_SCHEMELESS = re.compile(rf"^(?:{_HOST_LABEL}\.)+[A-Za-z]{{2,63}}(?::\d+)?(?:[/?#]|$)")
_HOST_OK = re.compile(rf"^(?:{_HOST_LABEL}\.)+(?:[a-z]{{2,63}}|xn--[a-z0-9-]+)$")
# Everything a URL may keep literally; ( ) [ ] < > space " ` { } | \ ^ get percent-encoded, so a
# URL inside a Markdown link "[label](url)" can never close the link early or smuggle text out.
_URL_SAFE = "/%:@!$&'*+,;=-._~"


def safe_url(url: str) -> str | None:
    """A normalised http(s) URL safe inside ``[label](url)``, or None when it cannot be made so.

    Refuses other schemes (javascript:, data:, ftp:), relative paths, credentials in the host
    (``https://github.com@evil``) and malformed hosts. A bare ``github.com/x`` (seen in real digests)
    gets ``https://``. Parentheses and spaces are percent-encoded rather than dropped, so the link
    still works.
    """
    if not isinstance(url, str):
        return None
    s = url.strip()
    if s.lower() in _NULLISH or any(ord(c) < 32 or c == "\x7f" for c in s):
        return None
    if s.startswith("//"):
        s = "https:" + s
    elif "://" not in s and _SCHEMELESS.match(s):
        s = "https://" + s
    try:
        parts = urlsplit(s)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    host = parts.hostname or ""
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    if not _HOST_OK.match(host):
        return None
    netloc = f"{host}:{port}" if port is not None else host
    out = urlunsplit(
        (
            scheme,
            netloc,
            quote(parts.path, safe=_URL_SAFE),
            quote(parts.query, safe=_URL_SAFE + "?"),
            quote(parts.fragment, safe=_URL_SAFE + "?#"),
        )
    )
    return out if len(out) <= URL_LIMIT else None


def truncate(text: str, limit: int) -> str:
    """``text`` if it fits, else cut at a word boundary and ended with "…" (total ≤ ``limit``).

    Cuts mid-word only when the first word alone is too long. Trailing separators and a dangling
    escape backslash are dropped so the cut never leaves ``"foo,…"`` or an escaped ellipsis.
    """
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if limit == 1:
        return ELLIPSIS
    cut = text[: limit - 1]
    if not text[limit - 1].isspace():
        at = max(cut.rfind(c) for c in (" ", "\n", "\t"))
        if at > 0 and cut[:at].strip():
            cut = cut[:at]
    cut = cut.rstrip().rstrip(",;:-–—•·" + ZWSP).rstrip()
    if (len(cut) - len(cut.rstrip("\\"))) % 2:
        cut = cut[:-1]
    if not cut:
        cut = text[: limit - 1].rstrip("\\")
    return cut + ELLIPSIS


# ── pieces of an embed ───────────────────────────────────────────────────────────────────────────

_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
# A bullet list flattened into one line: "… first point. - Second point" (sentence end, " - ", capital).
_FLAT_BULLET = re.compile(r"(?<=[.!?)\]\"'%])\s+-\s+(?=[A-Z0-9*\"'(\\])")


def _summary_items(summary: str) -> tuple[bool, list[str]]:
    """(is_bullet_list, items): bullets from newline or flattened " - " lists; else one paragraph."""
    text = summary.strip()
    if not text:
        return False, []
    if not _BULLET.match(text):
        return False, [" ".join(text.split())]
    bullets: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if _BULLET.match(line) or not bullets:
            bullets.append(_BULLET.sub("", line, count=1))
        else:
            bullets[-1] += " " + line
    items: list[str] = []
    for b in bullets:
        items.extend(" ".join(part.split()) for part in _FLAT_BULLET.split(b))
    return True, [i for i in items if i]


def _escape_summary(text: str) -> str:
    """Summary text keeps the summariser's *emphasis* but can't form links, spoilers or mentions."""
    return neutralize_mentions(_SUMMARY_CHARS.sub(r"\\\1", text))


def _description(paper: Paper) -> str:
    """The bullet summary as "• " lines, or the abstract as a trimmed paragraph when there is none."""
    is_list, items = _summary_items(strip_controls(paper.summary))
    if is_list:
        return "\n".join(f"• {_escape_summary(i)}" for i in items)
    if items:
        return _escape_line_start(_escape_summary(items[0]))
    abstract = _one_line(paper.abstract)
    return truncate(_escape_line_start(_escape_summary(abstract)), ABSTRACT_CHARS) if abstract else ""


def _escape_line_start(text: str) -> str:
    """Stop a paragraph that happens to start with "# ", "> " or "- " from becoming a heading/quote/list."""
    return _MD_LINE_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", text)


def author_line(authors: Iterable[str]) -> str:
    """Author line "A, B, C" or "A, B, C et al." within the author limit; mentions neutralised.

    Not Markdown-escaped: Discord shows ``author.name`` as plain text, so a backslash would be
    shown too (HF user names like ``yilun_zhao`` would read ``yilun\\_zhao``).
    """
    names = [neutralize_mentions(_one_line(a)) for a in authors]
    names = [n for n in names if n]
    if not names:
        return ""
    limit = LIMITS["author"]
    if len(names) <= MAX_AUTHORS:
        line = ", ".join(names)
        if len(line) <= limit:
            return line
    for k in range(min(ET_AL_SHOWN, len(names)), 0, -1):
        line = ", ".join(names[:k]) + " et al."
        if len(line) <= limit:
            return line
    return truncate(names[0], limit - len(" et al.")) + " et al."


def _join_within(items: list[str], limit: int, sep: str = SEP) -> str:
    """Whole items joined while they fit; the rest summarised as "+N more" (never a cut item)."""
    full = sep.join(items)
    if len(full) <= limit:
        return full
    for k in range(len(items) - 1, -1, -1):
        more = f"+{len(items) - k} more"
        text = sep.join([*items[:k], more])
        if len(text) <= limit:
            return text
    return ""


def _tag_items(tags: Iterable[str], highlight: set[str]) -> list[str]:
    items = []
    for tag in dict.fromkeys(_one_line(t) for t in tags):
        if not tag:
            continue
        label = _plain(tag)
        items.append(f"**★ {label}**" if tag.casefold() in highlight else label)
    return items


def _link_label(url: str) -> str:
    """A short human label for a link, from its host and path (GitHub repo, 🤗 model/dataset/…)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    segs = [s for s in parts.path.split("/") if s]
    if host == "github.com":
        return "GitHub: " + "/".join(segs[:2]) if segs else "GitHub"
    if host in ("huggingface.co", "hf.co"):
        kinds = {"datasets": "Dataset", "spaces": "Space", "collections": "Collection", "papers": "Paper"}
        if segs and segs[0] in kinds:
            rest = "/".join(segs[1:3])
            return f"🤗 {kinds[segs[0]]}" + (f": {rest}" if rest and segs[0] != "papers" else "")
        if segs and segs[0] in ("docs", "blog", "learn"):
            return f"🤗 {segs[0].capitalize()}"
        return "🤗 Model: " + "/".join(segs[:2]) if len(segs) >= 2 else "🤗 " + ("/".join(segs) or "Hub")
    return "🔗 " + host


def repo_of(url: str | None) -> tuple[str, str] | None:
    """(owner, repository) of a GitHub repository URL, case-folded and without ``.git``; else None."""
    if not url:
        return None
    parts = urlsplit(url)
    segs = [s for s in parts.path.split("/") if s]
    if (parts.hostname or "").removeprefix("www.") != "github.com" or len(segs) < 2:
        return None
    return segs[0].casefold(), segs[1].casefold().removesuffix(".git")


def _link_items(paper: Paper) -> list[str]:
    """Every GitHub/HF URL (plus the project page and the HF paper page) as a labelled, safe link.

    The repository Hugging Face names as the paper's code carries its GitHub stars after the link
    ("★ 1,234"), once, when the count is known and above 0.
    """
    items: list[str] = []
    seen: set[str] = set()
    stars_repo = repo_of(safe_url(paper.github_repo)) if paper.github_stars > 0 else None

    def add(raw: str, label: str | None = None) -> None:
        nonlocal stars_repo
        url = safe_url(raw)
        if url is None or url in seen:
            return
        seen.add(url)
        text = truncate(_plain(label or _link_label(url)), 80)
        item = f"[{text}]({url})"
        if stars_repo is not None and repo_of(url) == stars_repo:
            item += f" ★ {paper.github_stars:,}"
            stars_repo = None
        items.append(item)

    for u in paper.github_urls:
        add(u)
    add(paper.project_page, "Project page")
    add(paper.hf_url, "🤗 Paper")
    for u in paper.huggingface_urls:
        add(u)
    return items


def embed_chars(embed: dict) -> int:
    """Characters an embed counts toward Discord's 6000 per message (title, description, fields,
    footer text, author name)."""
    n = len(embed.get("title") or "") + len(embed.get("description") or "")
    n += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in embed.get("fields") or [])
    n += len((embed.get("footer") or {}).get("text") or "")
    n += len((embed.get("author") or {}).get("name") or "")
    return n


def _day_label(day: str) -> str:
    """Day as "Friday 2025-01-24" (weekday in English whatever the locale, so output is deterministic)."""
    try:
        return f"{_WEEKDAYS[date.fromisoformat(day).weekday()]} {day}"
    except (TypeError, ValueError):
        return _one_line(day)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# ── public builders ──────────────────────────────────────────────────────────────────────────────


def paper_embed(
    paper: Paper,
    *,
    day: str | None = None,
    highlight_tags: Iterable[str] = (),
    max_chars: int = LIMITS["total"],
    show_sources: bool = False,
) -> dict:
    """One paper as a Discord embed dict, within every embed limit and at most ``max_chars`` in total.

    ``max_chars`` lets a caller fit several embeds in one message: the description gives way first,
    then links, tags, the organisation, author and title, each cut at a whole word or link.
    What Hugging Face adds shows only when the paper has it (a paper without renders as it always
    did): its thumbnail as the image (no character cost), the GitHub stars beside the code link, the
    organisation as an inline field. ``show_sources`` (``/paper``) names in the footer where the
    summary and tags came from.
    """
    day = day or (max(paper.dates) if paper.dates else None)
    arxiv_id = neutralize_mentions(_one_line(paper.arxiv_id))
    title = truncate(_plain(paper.title) or escape_markdown(arxiv_id), LIMITS["title"])
    author = author_line(paper.authors)
    day_text = neutralize_mentions(_one_line(day)) if day else ""
    footer = f"{day_text} · arXiv:{arxiv_id}" if day_text else f"arXiv:{arxiv_id}"
    if show_sources:
        footer += SEP + "Summary: " + SUMMARY_WORDS[summary_source_label(paper.summary_source or paper.source,
                                                                          paper.summary)]
        if paper.tags:
            footer += SEP + "Tags: " + TAGS_WORDS[tags_source_label(paper.tags_source)]
    footer = truncate(footer, 200)
    highlight = {_one_line(t).casefold() for t in highlight_tags}
    tag_items, link_items = _tag_items(paper.tags, highlight), _link_items(paper)
    upvotes = f"▲ {paper.upvotes}" if paper.upvotes > 0 else ""
    org = truncate(_plain(paper.organization), ORG_CHARS) if paper.organization else ""

    def fields(tags_limit: int, links_limit: int) -> list[dict]:
        out = []
        tags_v = _join_within(tag_items, min(tags_limit, LIMITS["field_value"]))
        links_v = _join_within(link_items, min(links_limit, LIMITS["field_value"]))
        if tags_v:
            out.append({"name": "Tags", "value": tags_v, "inline": True})
        if upvotes:
            out.append({"name": "Upvotes", "value": upvotes, "inline": True})
        if org:
            out.append({"name": "Organization", "value": org, "inline": True})
        if links_v:
            out.append({"name": "Links", "value": links_v, "inline": False})
        return out

    def size(fs: list[dict]) -> int:
        return len(title) + len(author) + len(footer) + sum(len(f["name"]) + len(f["value"]) for f in fs)

    budget = min(max_chars, LIMITS["total"])
    limits = {"Tags": LIMITS["field_value"], "Links": LIMITS["field_value"]}
    fs = fields(limits["Tags"], limits["Links"])
    for name in ("Links", "Tags"):  # links give way first, then tags, then author, then title
        over = size(fs) - budget
        if over <= 0:
            break
        limits[name] = next((len(f["value"]) for f in fs if f["name"] == name), 0) - over
        fs = fields(limits["Tags"], limits["Links"])
    if org and size(fs) > budget:
        org = ""
        fs = fields(limits["Tags"], limits["Links"])
    over = size(fs) - budget
    if over > 0:
        author = truncate(author, len(author) - over) if len(author) - over >= MIN_DESCRIPTION else ""
        over = size(fs) - budget
    if over > 0:
        title = truncate(title, max(1, len(title) - over))

    room = min(LIMITS["description"], budget - size(fs))
    description = truncate(_description(paper), room) if room >= MIN_DESCRIPTION else ""

    embed: dict = {"title": title}
    url = safe_url(paper.url)
    if url:
        embed["url"] = url
    if author:
        embed["author"] = {"name": author}
    if description:
        embed["description"] = description
    embed["color"] = MODALITY_COLORS[modality_of(paper.tags)]
    if fs:
        embed["fields"] = fs
    image = safe_url(hf_thumbnail(paper.thumbnail) or "")
    if image and image.startswith("https://"):
        embed["image"] = {"url": image}
    embed["footer"] = {"text": footer}
    return embed


def top_tags(papers: list[Paper], n: int = 5) -> list[tuple[str, int]]:
    """Most frequent tags of the day (each paper counted once per tag); ties in taxonomy order."""
    counts = Counter(t for p in papers for t in dict.fromkeys(_one_line(t) for t in p.tags) if t)
    rank = {t: i for i, t in enumerate(ALL_TAGS)}
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], rank.get(kv[0], len(rank)), kv[0]))
    return ordered[:n]


def header_content(day: str, papers: list[Paper], *, title: str = "Papers for") -> str:
    """The digest's opening line: day, paper count and the day's top tags (≤ 2000 chars)."""
    head = f"📰 **{_plain(title)} {_plain(_day_label(day))}** — {_plural(len(papers), 'paper')}"
    top = top_tags(papers, TOP_TAGS)
    if top:
        head += " · top tags: " + ", ".join(f"{_plain(t)} ({c})" for t, c in top)
    return truncate(head, LIMITS["content"])


def thread_name(day: str, count: int) -> str:
    """Name of the day's thread (≤ 100 chars; thread names show no Markdown)."""
    name = f"Papers for {_day_label(day)} · {_plural(count, 'paper')}"  # _day_label strips controls
    return truncate(neutralize_mentions(name), LIMITS["thread_name"])


def _message(content: str, embeds: list[dict]) -> dict:
    return {"content": content, "embeds": embeds, "allowed_mentions": copy.deepcopy(NO_MENTIONS)}


def pack_embed_groups(embeds: list[dict], *, content: str = "") -> list[tuple[dict, tuple[int, ...]]]:
    """Embeds in the fewest messages the limits allow, each message with the indexes of its embeds.

    Limits: ≤ 10 embeds and ≤ 6000 characters a message, counted as Discord counts them (code points
    of every title, description, field name and value, footer text and author name; ``content`` has
    its own 2000 limit and does not count). :func:`bot.packing.pack` finds the minimum exactly.
    Reading order stays as close to ``embeds``' order (the ranking) as it can: a message's embeds in
    rank order, messages ordered by their best-ranked embed, fewest pairs out of order. ``content``
    (the header line) goes on the first message, the one that holds the top-ranked embed.
    """
    sizes = [embed_chars(e) for e in embeds]
    for n in sizes:
        if n > LIMITS["total"]:
            raise ValueError(f"an embed of {n} characters can never fit a message (limit {LIMITS['total']})")
    text = truncate(content, LIMITS["content"])
    groups = pack(sizes, max_chars=LIMITS["total"], max_count=LIMITS["embeds_per_message"]).groups
    if not groups:
        return [(_message(text, []), ())] if text else []
    return [(_message(text if i == 0 else "", [embeds[j] for j in g]), g) for i, g in enumerate(groups)]


def pack_embeds(embeds: list[dict], *, content: str = "") -> list[dict]:
    """The payloads of :func:`pack_embed_groups`, for callers that need no indexes."""
    return [message for message, _ in pack_embed_groups(embeds, content=content)]


def digest_messages(
    day: str,
    papers: list[Paper],
    *,
    layout: str = "channel",
    title: str = "Papers for",
    highlight_tags: Iterable[str] = (),
) -> list[tuple[dict, tuple[str, ...]]]:
    """A day's digest as the exact, ordered list of (message payload, arXiv ids of its papers).

    ``channel``: the header and the top papers, then the rest packed into the fewest messages (not
    necessarily contiguous in rank, so each message says which papers it holds). ``thread``: a
    header-only message (the thread hangs off it), then one message per paper so each can be
    linked and reacted to on its own. An empty day is one short message, never silence.
    """
    if layout not in ("channel", "thread"):
        raise ValueError(f"unknown layout {layout!r}: use 'channel' or 'thread'")
    if not papers:
        extra = f" ({_plain(title)})" if title != "Papers for" else ""
        return [(_message(truncate(f"📭 No papers for {_plain(_day_label(day))}{extra}.", 2000), []), ())]
    highlight = list(highlight_tags)
    embeds = [paper_embed(p, day=day, highlight_tags=highlight) for p in papers]
    header = header_content(day, papers, title=title)
    from bot.more_like_this import with_buttons  # here: that module builds on this one's text helpers

    if layout == "channel":
        return [(with_buttons(message, [papers[i] for i in group]), tuple(papers[i].arxiv_id for i in group))
                for message, group in pack_embed_groups(embeds, content=header)]
    singles = ((with_buttons(_message("", [e]), [p]), (p.arxiv_id,)) for p, e in zip(papers, embeds, strict=True))
    return [(_message(header, []), ()), *singles]


def render_digest(
    day: str,
    papers: list[Paper],
    *,
    layout: str = "channel",
    title: str = "Papers for",
    highlight_tags: Iterable[str] = (),
) -> list[dict]:
    """The payloads of :func:`digest_messages` (what ``paperboy digest --json`` prints)."""
    return [message for message, _ in digest_messages(day, papers, layout=layout, title=title,
                                                      highlight_tags=highlight_tags)]


def render_papers_page(
    papers: list[Paper],
    *,
    page: int,
    pages: int,
    total: int | str,
    heading: str,
    highlight_tags: Iterable[str] = (),
) -> dict:
    """One page of a ``/papers`` result as a single message (≤ 10 embeds, ≤ 6000 chars).

    When the full embeds would not fit together, the room is shared out (small embeds keep their
    size, the rest split what is left evenly), so a page never silently drops a paper.
    """
    if len(papers) > LIMITS["embeds_per_message"]:
        raise ValueError(f"a page holds at most {LIMITS['embeds_per_message']} papers, got {len(papers)}")
    count = _plural(total, "paper") if isinstance(total, int) else f"{total} papers"
    content = truncate(f"Page {page}/{pages} · {count} · {_plain(heading)}", 2000)
    highlight = list(highlight_tags)
    full = [paper_embed(p, highlight_tags=highlight) for p in papers]
    sizes = [embed_chars(e) for e in full]
    if sum(sizes) <= LIMITS["total"]:
        return _message(content, full)
    remaining, caps = LIMITS["total"], [0] * len(full)
    order = sorted(range(len(full)), key=lambda i: sizes[i])
    for k, i in enumerate(order):
        caps[i] = min(sizes[i], remaining // (len(full) - k))
        remaining -= caps[i]
    embeds = [
        full[i] if caps[i] >= sizes[i] else paper_embed(p, highlight_tags=highlight, max_chars=caps[i])
        for i, p in enumerate(papers)
    ]
    return _message(content, embeds)


# ── validation ───────────────────────────────────────────────────────────────────────────────────

_MD_LINK_TARGET = re.compile(r"(?<!\\)\]\(([^)\s]*)")
_PINGABLE = re.compile(r"@(?:everyone|here)|<[@#]")
_URL_BAD_CHARS = set(' ()<>"`\\{}|^[]\n\r\t')


def _is_http_url(url: object) -> bool:
    if not isinstance(url, str) or not url or len(url) > URL_LIMIT or _URL_BAD_CHARS & set(url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "@" not in parts.netloc


def _check_len(errors: list[str], where: str, value: object, limit: int, *, required: bool = False) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str):
        errors.append(f"{where} must be a string, not {type(value).__name__}")
    elif len(value) > limit:
        errors.append(f"{where} is {len(value)} characters (limit {limit})")
    elif required and not value.strip():
        errors.append(f"{where} is empty (Discord requires it)")


def _check_text(errors: list[str], where: str, text: object) -> None:
    """Markdown link targets must be http(s) and no mention syntax may survive."""
    if not isinstance(text, str):
        return
    for target in _MD_LINK_TARGET.findall(text):
        if not _is_http_url(target):
            errors.append(f"{where} links to {target[:80]!r}, which is not a safe http(s) URL")
    m = _PINGABLE.search(text)
    if m:
        errors.append(f"{where} contains ping-able text {m.group(0)!r}")


def mention_message(content: str, *, roles: Iterable[str] = (), users: Iterable[str] = ()) -> dict:
    """A message that pings exactly the given role/user ids and nothing else (``content`` holds them).

    The one place paperboy lets a message ping: a tag mapped to a role, or a subscriber whose DMs are
    closed. ``allowed_mentions`` names those ids, so any other mention text stays silent.
    """
    msg = _message(truncate(strip_controls(content), LIMITS["content"]), [])
    msg["allowed_mentions"] = {"parse": [], "roles": [str(r) for r in roles], "users": [str(u) for u in users],
                               "replied_user": False}
    return msg


def validate_message(msg: dict, *, allow_roles: Iterable[str] = (), allow_users: Iterable[str] = ()) -> list[str]:
    """Every way ``msg`` would be refused by Discord (or could ping / link somewhere unsafe).

    Returns human-readable violations; an empty list means the payload is safe to send. Mentions of
    exactly ``allow_roles`` / ``allow_users`` (see :func:`mention_message`) are the only ones accepted.
    """
    errors: list[str] = []
    if not isinstance(msg, dict):
        return [f"a message must be a dict, not {type(msg).__name__}"]
    roles, users = {str(r) for r in allow_roles}, {str(u) for u in allow_users}
    content = msg.get("content", "")
    if isinstance(content, str) and (roles or users):
        content = re.sub(r"<@&(\d+)>", lambda m: "" if m.group(1) in roles else m.group(0), content)
        content = re.sub(r"<@!?(\d+)>", lambda m: "" if m.group(1) in users else m.group(0), content)
    embeds = msg.get("embeds", [])
    _check_len(errors, "content", content, LIMITS["content"])
    _check_text(errors, "content", content)
    if not isinstance(embeds, list):
        errors.append("embeds must be a list")
        embeds = []
    if not (isinstance(content, str) and content.strip()) and not embeds:
        errors.append("message has neither content nor embeds (Discord rejects empty messages)")
    if len(embeds) > LIMITS["embeds_per_message"]:
        errors.append(f"message has {len(embeds)} embeds (limit {LIMITS['embeds_per_message']})")

    am = msg.get("allowed_mentions")
    if not isinstance(am, dict):
        errors.append("allowed_mentions is missing (every message must set it to allow nothing)")
    else:
        if am.get("parse") != []:
            errors.append(f"allowed_mentions.parse is {am.get('parse')!r}, must be []")
        if set(am.get("users") or []) != users or set(am.get("roles") or []) != roles or am.get("replied_user"):
            errors.append("allowed_mentions allows users, roles or the replied user beyond the intended ones")

    total = 0
    for i, embed in enumerate(embeds, 1):
        where = f"embed {i}"
        if not isinstance(embed, dict):
            errors.append(f"{where} must be a dict")
            continue
        _check_len(errors, f"{where} title", embed.get("title"), LIMITS["title"])
        _check_len(errors, f"{where} description", embed.get("description"), LIMITS["description"])
        for key in ("title", "description"):
            _check_text(errors, f"{where} {key}", embed.get(key))
        fields = embed.get("fields") or []
        if not isinstance(fields, list):
            errors.append(f"{where} fields must be a list")
            fields = []
        if len(fields) > LIMITS["fields"]:
            errors.append(f"{where} has {len(fields)} fields (limit {LIMITS['fields']})")
        for j, field in enumerate(fields, 1):
            fw = f"{where} field {j}"
            if not isinstance(field, dict):
                errors.append(f"{fw} must be a dict")
                continue
            _check_len(errors, f"{fw} name", field.get("name"), LIMITS["field_name"], required=True)
            _check_len(errors, f"{fw} value", field.get("value"), LIMITS["field_value"], required=True)
            _check_text(errors, f"{fw} name", field.get("name"))
            _check_text(errors, f"{fw} value", field.get("value"))
            if "inline" in field and not isinstance(field["inline"], bool):
                errors.append(f"{fw} inline must be true or false")
        for part, key, limit in (("footer", "text", LIMITS["footer"]), ("author", "name", LIMITS["author"])):
            sub = embed.get(part)
            if sub is None:
                continue
            if not isinstance(sub, dict):
                errors.append(f"{where} {part} must be a dict")
                continue
            _check_len(errors, f"{where} {part} {key}", sub.get(key), limit, required=True)
            _check_text(errors, f"{where} {part} {key}", sub.get(key))
        color = embed.get("color")
        if color is not None and not (isinstance(color, int) and 0 <= color <= 0xFFFFFF):
            errors.append(f"{where} color {color!r} is not an int in 0..0xFFFFFF")
        for key, url in _embed_urls(embed):
            if not _is_http_url(url):
                errors.append(f"{where} {key} {str(url)[:80]!r} is not a safe http(s) URL")
        try:
            n = embed_chars(embed)
        except (AttributeError, TypeError):
            continue  # malformed parts were reported above
        if not n and not embed.get("image") and not embed.get("thumbnail"):
            errors.append(f"{where} is empty")
        total += n
    if total > LIMITS["total"]:
        errors.append(f"embeds total {total} characters (limit {LIMITS['total']} per message)")
    return errors


def _embed_urls(embed: dict) -> list[tuple[str, object]]:
    """Every URL-valued key of an embed (its own url, author/footer icons, image, thumbnail)."""
    found: list[tuple[str, object]] = []
    if "url" in embed:
        found.append(("url", embed["url"]))
    for part in ("author", "footer", "image", "thumbnail", "video", "provider"):
        sub = embed.get(part)
        if isinstance(sub, dict):
            found.extend((f"{part}.{k}", sub[k]) for k in ("url", "icon_url") if k in sub)
    return found
