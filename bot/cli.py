"""The ``paperboy`` command: a second edge over the same core the Discord bot uses.

The contract (subcommands, flags, ``--json`` shapes) is in DESIGN.md; scripts rely on it. Every
expected failure ends as one plain sentence on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sqlite3
import sys
from collections.abc import Callable, Sequence
from datetime import date

from bot import console, trends
from bot.clock import today_in
from bot.config import RedactToken, Settings, load_settings, redact
from bot.errors import NetworkUnavailable, PaperboyError
from bot.export import FORMATS, export_configured, export_days
from bot.llm.enrich import enrich_fetched_day
from bot.models import arxiv_id_from, parse_day
from bot.periods import Period, PeriodError, parse_month, parse_range, parse_week
from bot.pipeline import SOURCES, Fetcher, import_paths
from bot.render import render_digest, strip_controls
from bot.search import SearchError, build_search, empty_message, tag_table
from bot.similar import DEFAULT_LIMIT, MAX_LIMIT, similar_papers
from bot.similar import SCORE_HELP as SIMILAR_SCORE_HELP
from bot.store import Store
from bot.store.database import describe as describe_db_error
from bot.taxonomy import UnknownTagError, require_tag
from bot.top import SCORE_HELP as TOP_SCORE_HELP
from bot.top import build_top, run_top
from bot.top import empty_message as top_empty_message
from bot.trends_chart import HEIGHT, WIDTH, render_png

log = logging.getLogger("paperboy")

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake in one sentence instead of a usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"paperboy: {message[0].upper()}{message[1:]}. See '{self.prog} --help'.\n")


def _day_arg(text: str) -> str:
    """Checks the form now; 'today'/'yesterday' stay words until the configured time zone is known."""
    try:
        parse_day(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).rstrip(".")) from None
    return text.strip().lower() if text.strip().lower() in ("today", "yesterday") else parse_day(text)


def _resolve_days(args: argparse.Namespace, settings: Settings) -> None:
    """'today' and 'yesterday' where the bot's configured time zone says it is, not the host's."""
    today = today_in(settings.timezone)
    for name in ("date", "since", "until"):
        value = getattr(args, name, None)
        if value in ("today", "yesterday"):
            setattr(args, name, parse_day(value, today))


def _period_arg(parse: Callable[[str], Period]) -> Callable[[str], Period]:
    def check(text: str) -> Period:
        try:
            return parse(text)
        except PeriodError as exc:
            raise argparse.ArgumentTypeError(str(exc).rstrip(".")) from None
    return check


def _tag_arg(text: str) -> str:
    try:
        return require_tag(text)
    except UnknownTagError as exc:
        raise argparse.ArgumentTypeError(str(exc).rstrip(".")) from None


def _weeks_arg(text: str) -> int:
    try:
        return trends.check_weeks(text)
    except trends.TrendsError as exc:
        raise argparse.ArgumentTypeError(str(exc).rstrip(".")) from None


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="paperboy", description="The day's AI research papers, from the command line or Discord.")
    p.add_argument("--config", help="TOML settings file (default: $PAPERBOY_CONFIG or ./paperboy.toml)")
    p.add_argument("--db", dest="database", help="SQLite file (default: from the config, or ./paperboy.db)")
    p.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    sub.add_parser("run", help="the bot (token from DISCORD_TOKEN); without a token, today's job once")

    f = sub.add_parser("fetch", help="one day from upstream into the store")
    f.add_argument("--date", type=_day_arg, default=None, help="YYYY-MM-DD, today or yesterday (default today)")
    f.add_argument("--source", choices=SOURCES, default="hf")

    b = sub.add_parser("backfill", help="a range of days from upstream, resumable")
    b.add_argument("--since", type=_day_arg, required=True)
    b.add_argument("--until", type=_day_arg, default=None, help="default: today")
    b.add_argument("--source", choices=SOURCES, default="hf")
    b.add_argument("--force", action="store_true", help="fetch again days already fetched")

    i = sub.add_parser("import", help="digest .md/.json, HF API .json, arXiv .xml files, or folders of them")
    i.add_argument("paths", nargs="+", metavar="PATH")

    q = sub.add_parser("papers", help="stored papers by tag, date, range and text")
    q.add_argument("--tag", type=_tag_arg, action="append", default=[], help="repeat for papers with all tags")
    q.add_argument("--date", type=_day_arg, help="YYYY-MM-DD, today or yesterday")
    q.add_argument("--since", type=_day_arg)
    q.add_argument("--until", type=_day_arg)
    q.add_argument("--query", help="words to find in title, authors, summary or abstract")
    q.add_argument("--limit", type=int, default=20, help="at most this many (1-10000)")
    q.add_argument("--json", action="store_true")

    one = sub.add_parser("paper", help="one paper in full, by arXiv id or arXiv/HF URL")
    one.add_argument("id")
    one.add_argument("--json", action="store_true")

    like = sub.add_parser("similar", help="the stored papers most like one paper, most similar first",
                          epilog=f"--json: the papers --json items, each plus {SIMILAR_SCORE_HELP}.")
    like.add_argument("id", help="arXiv id, or an arXiv / Hugging Face paper link")
    like.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help=f"at most this many (1-{MAX_LIMIT})")
    like.add_argument("--json", action="store_true", help="papers --json items plus score (see below)")

    d = sub.add_parser("digest", help="the day's digest exactly as it would be posted")
    d.add_argument("--date", type=_day_arg, default=None)
    d.add_argument("--tag", type=_tag_arg, action="append", default=[], help="repeat: papers with any of them")
    d.add_argument("--layout", choices=("channel", "thread"), default="channel")
    d.add_argument("--json", action="store_true", help="the exact message payloads sent to Discord")

    top = sub.add_parser("top", help="a week's, month's or range's most upvoted papers (ties: newest first)",
                         description=f"Papers featured in the period, most upvoted first; {TOP_SCORE_HELP}.")
    when = top.add_mutually_exclusive_group(required=True)
    when.add_argument("--week", type=_period_arg(parse_week), help="an ISO week, YYYY-Www (e.g. 2025-W04)")
    when.add_argument("--month", type=_period_arg(parse_month), help="a month, YYYY-MM")
    when.add_argument("--since", type=_day_arg, help="first day (with --until; default until: today)")
    top.add_argument("--until", type=_day_arg, help="last day of a --since range (inclusive)")
    top.add_argument("--tag", type=_tag_arg, action="append", default=[], help="repeat for papers with all tags")
    top.add_argument("--limit", type=int, default=20, help="at most this many (1-10000)")
    top.add_argument("--json", action="store_true", help="papers --json items plus score")

    t = sub.add_parser("tags", help="tags with paper counts (all time and last 7 days)")
    t.add_argument("--json", action="store_true")

    e = sub.add_parser("export", help="the seed's own files: archive/ Markdown, daily_results/ JSON, README.md")
    e.add_argument("--date", type=_day_arg, help="one day (default: every day in the store)")
    e.add_argument("--since", type=_day_arg)
    e.add_argument("--until", type=_day_arg)
    e.add_argument("--format", choices=FORMATS, default="both", help="default both")
    e.add_argument("--out", help="folder to write into (default: [export] dir in the config)")
    e = sub.add_parser("enrich", help="LLM bullet summaries and tags for stored papers ([llm] settings)",
                       description="Ask the OpenAI-compatible endpoint in [llm] for 4-5 bullet points and "
                                   "taxonomy tags for the featured papers of a day or range whose summary did "
                                   "not come from an imported digest. Without --date or --since: the newest "
                                   "day with papers in the store. Papers already enriched by the same model "
                                   "are skipped (--force asks again), so an interrupted run resumes.")
    e.add_argument("--date", type=_day_arg, help="YYYY-MM-DD, today or yesterday (default: the newest stored day)")
    e.add_argument("--since", type=_day_arg)
    e.add_argument("--until", type=_day_arg, help="with --since (default: today)")
    e.add_argument("--force", action="store_true", help="ask again about papers already enriched")
    e.add_argument("--json", action="store_true", help="print done, failed, skipped and tokens as JSON")
    tr = sub.add_parser("trends", help="distinct papers per tag per ISO week; --png draws the chart Discord shows")
    tr.add_argument("--weeks", type=_weeks_arg, default=trends.DEFAULT_WEEKS, metavar="N",
                    help=f"the last N ISO weeks, ending at the week of the newest stored day "
                         f"(1-{trends.MAX_WEEKS}, default {trends.DEFAULT_WEEKS})")
    tr.add_argument("--tag", type=_tag_arg, action="append", default=[], metavar="T",
                    help=f"repeat for up to {trends.MAX_TAGS} tags (default: the {trends.TOP_TAGS} most active)")
    tr.add_argument("--png", metavar="FILE", help=f"also write the chart, {WIDTH}x{HEIGHT} px, to FILE")
    tr.add_argument("--json", action="store_true", help="range, weeks, tags, counts per week and totals")

    sub.add_parser("config", help="the settings in force (the token is never shown)")
    return p


def _print_json(obj: object) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _open_store(settings: Settings, *, readonly: bool = False) -> Store:
    """The store; ``readonly`` for commands that only read (they work on a file they may not write).

    Faults are :class:`~bot.errors.StoreError` sentences (see :func:`bot.store.database.describe`).
    """
    return Store(settings.database, readonly=readonly)


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    with _open_store(settings) as store:
        report = import_paths(store, args.paths)
    for w in report.warnings:
        log.info("warning: %s", w)
    s = report.stats
    print(f"Imported {report.papers} paper entries from {report.files} file(s) covering {len(report.days)} day(s): "
          f"{s.new} new, {s.updated} updated, {s.unchanged} unchanged.")
    if report.warnings:
        print(f"{len(report.warnings)} row(s) needed attention (skipped rows, unknown tags); "
              "run with -v to see them.", file=sys.stderr)
    for err in report.errors:
        _say(err)
    return EXIT_ERROR if report.errors else EXIT_OK


def _say(message: object) -> None:
    """One line on stderr. Errors quote file names and paper text from the internet, so control and
    bidi characters are stripped (no terminal escapes) and the token is blanked out."""
    print(f"paperboy: {strip_controls(redact(str(message)))}", file=sys.stderr)


async def _fetch(settings: Settings, day: str, source: str) -> int:
    with _open_store(settings) as store:
        async with Fetcher(settings) as fetcher:
            result = await fetcher.fetch_day(store, day, source)
    s = result.stats
    print(f"Fetched {len(result.papers)} papers for {day} from {source}: "
          f"{s.new} new, {s.updated} updated, {s.unchanged} unchanged.")
    for w in result.warnings[:5]:  # values dropped, a page cap hit: the fetch went on, but say so
        _say(f"warning: {w}.")
    if len(result.warnings) > 5:
        print(f"paperboy: {len(result.warnings) - 5} more warning(s); run with -v to see them.", file=sys.stderr)
    return EXIT_OK


async def _backfill(settings: Settings, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    since = date.fromisoformat(args.since)
    until = date.fromisoformat(args.until) if args.until else today_in(settings.timezone)
    if until < since:
        raise PaperboyError(f"--until {until} is before --since {since}.")
    total = (until - since).days + 1
    counts = {"papers": 0, "skipped": 0}
    # No tqdm monitor thread: a process with one thread can fork its parse-and-tag workers, which start
    # in milliseconds (see bot/tag_worker.py); the bar is redrawn at every day anyway.
    tqdm.monitor_interval = 0
    with _open_store(settings) as store, tqdm(total=total, unit="day", file=sys.stderr,
                                              disable=None, desc="backfill") as bar:
        def progress(day: str, n: int) -> None:
            if n < 0:
                counts["skipped"] += 1
            else:
                counts["papers"] += n
            bar.set_postfix_str(f"{day} · {counts['papers']} papers", refresh=False)
            bar.update(1)

        async with Fetcher(settings) as fetcher:
            await fetcher.backfill(store, since, until, args.source, force=args.force, progress=progress)
    print(f"Backfilled {total} day(s) from {args.source}: {counts['papers']} papers fetched, "
          f"{counts['skipped']} day(s) already done.")
    return EXIT_OK


def cmd_papers(args: argparse.Namespace, settings: Settings) -> int:
    try:
        search = build_search(tags=args.tag, day=args.date, since=args.since, until=args.until, text=args.query,
                              limit=args.limit, today=today_in(settings.timezone), max_results=10_000)
    except SearchError as exc:
        raise PaperboyError(str(exc)) from None
    with _open_store(settings, readonly=True) as store:
        papers = store.query(search.query)
        if args.json:
            _print_json([p.to_dict() for p in papers])
            return EXIT_OK
        if not papers:
            print(empty_message(store, search))
            return EXIT_OK
    print("\n\n".join(console.format_paper(p, index=i) for i, p in enumerate(papers, 1)))
    return EXIT_OK


def cmd_paper(args: argparse.Namespace, settings: Settings) -> int:
    aid = arxiv_id_from(args.id)
    if not aid:
        raise PaperboyError(f"{args.id!r} is not an arXiv id or an arXiv/Hugging Face paper URL.")
    with _open_store(settings, readonly=True) as store:
        paper = store.get(aid)
    if paper is None:
        raise PaperboyError(f"Paper {aid} is not in the store; fetch or import the day it was featured.")
    if args.json:
        _print_json(paper.to_dict())
    else:
        print(console.format_paper(paper))
    return EXIT_OK


def cmd_similar(args: argparse.Namespace, settings: Settings) -> int:
    with _open_store(settings, readonly=True) as store:
        paper, matches = similar_papers(store, args.id, args.limit)
    if args.json:
        _print_json([{**m.paper.to_dict(), "score": m.score} for m in matches])
    elif not matches:
        print(f"No stored paper is like {paper.arxiv_id} yet.")
    else:
        print(f"Papers like {console.clean(' '.join(paper.title.split()))} (arXiv:{paper.arxiv_id}), "
              "most similar first:\n")
        print("\n\n".join(f"{console.format_paper(m.paper, index=i)}\n   score {m.score:.4f}"
                           for i, m in enumerate(matches, 1)))
    return EXIT_OK


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    day = args.date or today_in(settings.timezone).isoformat()
    with _open_store(settings, readonly=True) as store:
        papers = store.papers_on(day, args.tag)
    if args.json:
        _print_json(render_digest(day, papers, layout=args.layout, highlight_tags=args.tag))
    else:
        print(console.format_digest(day, papers))
    return EXIT_OK


def cmd_top(args: argparse.Namespace, settings: Settings) -> int:
    if args.until and not args.since:
        raise PaperboyError("--until needs --since (or use --week or --month).")
    try:
        period = args.week or args.month or parse_range(args.since, args.until or "today",
                                                        today_in(settings.timezone))
        request = build_top(period, args.tag, args.limit, max_results=10_000)
    except (PeriodError, SearchError) as exc:
        raise PaperboyError(str(exc)) from None
    with _open_store(settings, readonly=True) as store:
        result = run_top(store, request)
    if args.json:
        _print_json([e.to_dict() for e in result.entries])
    elif not result.entries:
        print(top_empty_message(request))
    else:
        print(f"{len(result.entries)} of {result.total} papers, most upvoted first — {request.heading}")
        print("\n\n".join(f"{console.format_paper(e.paper, index=i)}\n   score {e.score} · featured {e.day}"
                           for i, e in enumerate(result.entries, 1)))
    return EXIT_OK


def cmd_tags(args: argparse.Namespace, settings: Settings) -> int:
    with _open_store(settings, readonly=True) as store:
        rows, newest = tag_table(store)
    if args.json:
        _print_json(rows)
        return EXIT_OK
    if not rows:
        print("No tagged papers yet: run 'paperboy fetch' or 'paperboy import PATH' first.")
        return EXIT_OK
    width = max(len(r["tag"]) for r in rows)
    print(f"{'tag':<{width}}  {'papers':>7}  {'last 7 days':>11}")
    for r in rows:
        print(f"{r['tag']:<{width}}  {r['papers']:>7}  {r['last_7_days']:>11}")
    print(f"(last 7 days = the week up to {newest}, the newest day stored)")
    return EXIT_OK


def cmd_trends(args: argparse.Namespace, settings: Settings) -> int:
    tags = trends.check_tags(args.tag)
    with _open_store(settings, readonly=True) as store:
        result = trends.compute(store, tags=tags, weeks=args.weeks)
    if args.png:
        try:
            with open(args.png, "wb") as f:
                f.write(render_png(result))
        except OSError as exc:
            raise PaperboyError(f"Cannot write the chart to {args.png}: {exc.strerror or exc}.") from None
    if args.json:
        _print_json(result.to_dict())
    else:
        print(trends.format_table(result))
        if args.png:
            print(f"Chart written to {args.png}.")
    return EXIT_OK


CONNECT_HELP = """\
To post this to Discord every day:
  1. Create an application at https://discord.com/developers/applications, add a bot, copy its token.
  2. Invite it (your application id from the portal's General Information page):
     https://discord.com/oauth2/authorize?client_id=APPLICATION_ID&scope=bot+applications.commands&permissions=309237730304
     (View Channel, Send Messages, Embed Links, Read Message History, Create Public Threads,
     Send Messages in Threads.)
  3. Start it:  DISCORD_TOKEN=... paperboy run   then in your server: /digest setup"""


def _enrich_range(args: argparse.Namespace, settings: Settings, store: Store) -> tuple[str, str] | None:
    """The days ``enrich`` works on: --date, --since/--until (until defaults to today), or the newest
    day with featured papers; None when the store has none yet."""
    if args.date and (args.since or args.until):
        raise PaperboyError("Give either --date or --since/--until, not both.")
    if args.until and not args.since:
        raise PaperboyError("--until needs --since.")
    if args.date:
        return args.date, args.date
    if args.since:
        until = args.until or today_in(settings.timezone).isoformat()
        if until < args.since:
            raise PaperboyError(f"--until {until} is before --since {args.since}.")
        return args.since, until
    newest = store.enrichments.newest_day()
    return (newest, newest) if newest else None


async def _enrich(settings: Settings, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from bot.llm.enrich import Enricher, require_configured

    require_configured(settings)
    with _open_store(settings) as store:
        span = _enrich_range(args, settings, store)
        if span is None:
            raise PaperboyError("The store has no papers yet: run 'paperboy fetch' or 'paperboy import PATH' first.")
        since, until = span
        with tqdm(total=0, unit="paper", file=sys.stderr, disable=None, desc="enrich") as bar:
            def plan(n: int) -> None:
                bar.reset(total=n)

            def progress(aid: str, ok: bool) -> None:
                bar.set_postfix_str(aid, refresh=False)
                bar.update(1)

            async with Enricher(settings) as enricher:
                report = await enricher.enrich(store, since, until, force=args.force, progress=progress,
                                               on_plan=plan)
    if args.json:
        _print_json({"since": since, "until": until, **report.to_dict()})
    else:
        span_text = since if since == until else f"{since} to {until}"
        print(f"{span_text}: {report.sentence()}")
    for failure in report.failures[:5]:
        _say(f"failed: {failure}.")
    if report.failed:
        _say(f"{report.failed} paper(s) kept their summaries as they were; run enrich again to retry them.")
        return EXIT_ERROR
    return EXIT_OK


async def _run_once(settings: Settings) -> int:
    """The daily job without Discord: fetch today, store it, print the digest readably."""
    day = today_in(settings.timezone).isoformat()
    print(f"Fetching the papers of {day} from Hugging Face…", file=sys.stderr, flush=True)
    with _open_store(settings) as store:
        async with Fetcher(settings) as fetcher:
            try:
                result = await fetcher.fetch_day(store, day, "hf")
            except NetworkUnavailable as exc:
                raise PaperboyError(f"No network: {str(exc).rstrip('.')}; nothing was fetched.") from None
        if note := await enrich_fetched_day(settings, store, day):  # LLM bullets first, when [llm] is set
            print(note, file=sys.stderr)
        papers = store.papers_on(day)
        if exported := export_configured(store, settings, [day]):
            print(exported.summary(settings.export.dir))
        shown_day = day
        if not papers:
            latest = store.days_with_papers(until=day)
            if latest:
                shown_day = latest[-1]
                papers = store.papers_on(shown_day)
    print(f"Fetched {len(result.papers)} papers for {day} ({result.stats.new} new).")
    if shown_day != day:
        print(f"No papers for {day} yet (weekends and early mornings are empty); "
              f"showing the newest day stored, {shown_day}.")
    print(console.format_digest(shown_day, papers))
    print(CONNECT_HELP)
    return EXIT_OK


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.discord_token:
        try:
            from bot.discord.client import run_bot
        except ImportError:
            raise PaperboyError("This build has no Discord edge yet; unset DISCORD_TOKEN to run the daily "
                                "job in the terminal.") from None
        return run_bot(settings)
    return asyncio.run(_run_once(settings))


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write the seed's files for the days asked (all stored days by default); see :mod:`bot.export`."""
    out = args.out if args.out is not None else settings.export.dir
    if not out or not out.strip():
        raise PaperboyError("Say where to write the files: give --out DIR or set [export] dir in the config.")
    if args.date and (args.since or args.until):
        raise PaperboyError("Give either --date or --since/--until, not both.")
    since, until = (args.date, args.date) if args.date else (args.since, args.until)
    if since and until and until < since:
        raise PaperboyError(f"--until {until} is before --since {since}.")
    with _open_store(settings, readonly=True) as store:
        days = store.days_with_papers(since, until)
        report = export_days(store, out, days, formats=args.format, categories=settings.export.categories)
    for path in report.written:
        print(f"wrote {path}")
    if not report.days:
        if since and since == until:
            where = f"on {since}"
        elif since or until:
            where = f"from {since or 'the first day'} to {until or 'the newest day'}"
        else:
            where = "yet"
        print(f"No featured papers stored {where}; nothing was written.")
        return EXIT_OK
    print(report.summary(out))
    return EXIT_OK


def cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    """The settings in force; the token only as set/not set, and redacted even if pasted into another key."""
    sys.stdout.write(redact(json.dumps(settings.redacted(), ensure_ascii=False, indent=2)) + "\n")
    return EXIT_OK


COMMANDS = {
    "import": cmd_import, "papers": cmd_papers, "paper": cmd_paper, "digest": cmd_digest, "tags": cmd_tags,
    "top": cmd_top, "trends": cmd_trends, "similar": cmd_similar,
    "run": cmd_run, "config": cmd_config, "export": cmd_export,
    "fetch": lambda a, s: asyncio.run(_fetch(s, a.date or today_in(s.timezone).isoformat(), a.source)),
    "backfill": lambda a, s: asyncio.run(_backfill(s, a)),
    "enrich": lambda a, s: asyncio.run(_enrich(s, a)),
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Without -v only errors are logged: retries and skipped rows are summed up in the command's own report.
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactToken())  # -v logs what libraries and servers say: no token or key in it
    settings: Settings | None = None
    try:
        settings = load_settings(args.config, db=args.database)
        _resolve_days(args, settings)
        return COMMANDS[args.command](args, settings)
    except sqlite3.Error as exc:  # a fault met mid-command (damaged page, read-only file, locked)
        where = settings.database if settings else "(unknown)"
        _say(describe_db_error(where, exc))
        return EXIT_ERROR
    except PaperboyError as exc:
        _say(exc)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("paperboy: interrupted; what was stored so far is kept.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
