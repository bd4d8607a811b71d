"""Fuzz every parser with mutated real files: untyped errors, cases over the time bound, throughput.

Run: .venv/bin/python benchmarks/fuzz_parsers.py [--data ../shared/data] [--cases 10000] [--seed 8]

Each case takes a real sample file (digest Markdown and JSON, saved Hugging Face responses, arXiv feeds,
the seed digest) and mutates it: byte flips, truncation, duplicated/deleted/swapped lines, splices of two
files, hostile values put in (5,000-digit numbers, 1e999, 10**20, lone surrogates, impossible dates,
headings with thousands of blanks, "(Read more on a)" rows) and huge repetitions of a slice (to ~300 KB).
It goes through the real entry points: ``load_file`` (what ``paperboy import`` runs) and, for JSON and
Atom, the page parsers ``paperboy fetch`` runs. A case passes when it gives papers the store can hold or
one of our own errors (bot.errors), within max(0.1 s, size at 1 MB/s). The baseline, measured in the same
run, is the unmutated files' throughput. Exit status 1 if any count that must be 0 is not; the failing
inputs are saved in benchmarks/out/fuzz/ to reproduce.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.errors import PaperboyError  # noqa: E402
from bot.models import ARXIV_ID_RE, MAX_UPVOTES, OLD_ARXIV_ID_RE, Paper, valid_day  # noqa: E402
from bot.sources import digest  # noqa: E402
from bot.sources.arxiv import parse_atom_report  # noqa: E402
from bot.sources.hf import loads, parse_daily_papers_report  # noqa: E402

FLOOR = 0.1  # seconds any case may take, whatever its size (timer noise, a GC pass)
RATE = 1_000_000  # bytes per second every input must parse at, at least
OUT = ROOT / "benchmarks" / "out" / "fuzz"

HOSTILE_NUMBERS = ["9" * 5000, "-" + "9" * 5000, "1e999", "-1e999", "100000000000000000000", "NaN", "Infinity"]
HOSTILE_STRINGS = ['"\\ud800"', '"A \\udfff title"', '"2025-13-45T00:00:00.000Z"', '"0000-00-00"',
                   '"9999-99-99"', '"' + "(Read more on a) " * 2000 + '"', '"' + " " * 20000 + '"']
HOSTILE_LINES = ["## Papers for 2025-13-45", "## Papers for 2025-02-30", "# a" + " " * 3000 + "b",
                 "| x" + "(Read more on a) " * 8000 + "zz", "|--" + " " * 20000 + "x", "| [" + "[]" * 20000,
                 "| " + "a-" * 20000 + "/1", "\n" * 20000, "| ](" + " " * 20000 + "x |", "# " + "jan 1 " * 5000,
                 "<published>2025-13-45T00:00:00Z</published>", "<!DOCTYPE x [<!ENTITY a 'aaaaaaaaaa'>]>"]


# ------------------------------------------------------------------------------------------ mutators


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def duplicate_lines(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    for _ in range(rng.randint(1, 20)):
        i = rng.randrange(len(lines))
        lines[i:i] = [lines[i]] * rng.randint(1, 5)
    return b"\n".join(lines)


def delete_lines(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    for _ in range(rng.randint(1, 20)):
        if len(lines) > 1:
            del lines[rng.randrange(len(lines))]
    return b"\n".join(lines)


def swap_lines(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    for _ in range(rng.randint(1, 10)):
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def hostile_values(data: bytes, rng: random.Random) -> bytes:
    """Numbers, strings and lines that broke or poisoned the parsers before (issue 8 B1-B3)."""
    text = data.decode("utf-8", "surrogateescape")
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(3)
        if kind == 0 and (spots := [m.span() for m in re.finditer(r"(?<=: )-?\d+(?:\.\d+)?", text)]):
            a, b = rng.choice(spots)
            text = text[:a] + rng.choice(HOSTILE_NUMBERS) + text[b:]
        elif kind == 1 and (spots := [m.span() for m in re.finditer(r'(?<=: )"[^"\\\n]{0,80}"', text)]):
            a, b = rng.choice(spots)
            text = text[:a] + rng.choice(HOSTILE_STRINGS) + text[b:]
        else:
            lines = text.split("\n")
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(HOSTILE_LINES))
            text = "\n".join(lines)
    return text.encode("utf-8", "surrogateescape")


def repeat_slice(data: bytes, rng: random.Random) -> bytes:
    """A slice repeated up to ~300 KB in place: the shape of catastrophic backtracking."""
    if not data:
        return data
    a = rng.randrange(len(data))
    b = min(len(data), a + rng.randint(1, 40))
    unit = data[a:b]
    return data[:a] + unit * (rng.randint(10_000, 300_000) // len(unit)) + data[b:]


def splice(data: bytes, rng: random.Random, other: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)] + other[rng.randrange(len(other) + 1) :]


MUTATORS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "flip bytes": flip_bytes, "truncate": truncate, "duplicate lines": duplicate_lines,
    "delete lines": delete_lines, "swap lines": swap_lines, "hostile values": hostile_values,
    "huge repetition": repeat_slice,
}


# ------------------------------------------------------------------------------------------- checking


def storable(papers: list[Paper], *, need_day: bool = True) -> str | None:
    """Why a paper could not be stored as it is (None when all can): the store's own expectations."""
    for p in papers:
        if not (ARXIV_ID_RE.fullmatch(p.arxiv_id) or OLD_ARXIV_ID_RE.fullmatch(p.arxiv_id)):
            return f"bad id {p.arxiv_id!r}"
        if (need_day and not p.dates) or any(valid_day(d) != d for d in p.dates):
            return f"{p.arxiv_id}: bad days {p.dates!r}"
        if not (isinstance(p.upvotes, int) and 0 <= p.upvotes <= MAX_UPVOTES):
            return f"{p.arxiv_id}: bad upvotes"
        for text in (p.title, p.abstract, p.summary, p.project_page, p.published_at, *p.authors, *p.tags,
                     *p.github_urls, *p.huggingface_urls, *p.keywords):
            try:
                text.encode("utf-8")
            except (UnicodeEncodeError, AttributeError):
                return f"{p.arxiv_id}: text the store cannot encode"
    return None


def via_import(path: Path, outcomes: Counter[str]) -> str | None:
    """``load_file``, as ``paperboy import`` runs it; our errors are fine, the papers must be storable."""
    try:
        result = digest.load_file(path)
    except PaperboyError:
        outcomes["import: one-sentence error"] += 1
        return None
    outcomes["import: papers" if result.papers else "import: no papers"] += 1
    return storable(result.papers)


def via_fetch(data: bytes) -> str | None:
    """The page parsers ``paperboy fetch`` runs on an upstream body (aiohttp decodes with 'replace')."""
    text = data.decode("utf-8", "replace")
    if text.lstrip().startswith("<"):
        try:
            papers, _ = parse_atom_report(text)
        except PaperboyError:
            return None
        return storable(papers, need_day=False)  # the client files dayless papers under the day asked for
    try:
        value = loads(text)
    except ValueError:  # the client retries a body it cannot read, then raises UpstreamError
        return None
    papers, _ = parse_daily_papers_report(value, "2025-01-24")
    return storable(papers)


def run_case(path: Path, data: bytes, outcomes: Counter[str]) -> tuple[str | None, float]:
    """(problem or None, seconds) for one input through every entry point that reads its kind."""
    path.write_bytes(data)
    start = time.perf_counter()
    try:
        problem = via_import(path, outcomes) or (via_fetch(data) if path.suffix in (".json", ".xml") else None)
    except Exception:  # an untyped error: exactly what this script is here to find
        problem = "untyped error: " + traceback.format_exc(limit=-3).strip().splitlines()[-1][:300]
    return problem, time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=8)
    args = ap.parse_args()
    seed_file = args.data.parent / "seed" / "papers-2025-01-24.md"
    sources = digest.find_files([args.data, *([seed_file] if seed_file.exists() else [])])
    if not sources:
        print(f"No sample files under {args.data}; pass --data.", file=sys.stderr)
        return 2
    originals = [(f, f.read_bytes()) for f in sources]
    by_kind: dict[str, list[tuple[Path, bytes]]] = {}
    for f, data in originals:
        by_kind.setdefault(f.suffix, []).append((f, data))
    rng = random.Random(args.seed)
    OUT.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # Baseline: the real files, unmutated, through the same entry points.
        base_bytes, base_time, base_problems = 0, 0.0, 0
        for f, data in originals:
            problem, seconds = run_case(folder / f.name, data, Counter())
            base_bytes, base_time = base_bytes + len(data), base_time + seconds
            base_problems += bool(problem)

        kinds: Counter[str] = Counter()
        outcomes: Counter[str] = Counter()
        per_suffix: dict[str, list[float]] = {s: [0, 0.0] for s in by_kind}
        untyped: list[tuple[str, str, Path]] = []
        unstorable: list[tuple[str, str, Path]] = []
        slow: list[tuple[str, float, int, Path]] = []
        total_bytes, total_time, worst_rate, worst = 0, 0.0, float("inf"), ""
        for case in range(args.cases):
            f, data = rng.choice(by_kind[rng.choice(sorted(by_kind))])  # each kind of file a fair share
            kind = rng.choice([*MUTATORS, "splice"])
            mutated = splice(data, rng, rng.choice(originals)[1]) if kind == "splice" else MUTATORS[kind](data, rng)
            # Keep the real name most of the time (it carries the day); sometimes a neutral one.
            name = f.name if rng.random() < 0.8 else f"case{f.suffix}"
            path = folder / name
            problem, seconds = run_case(path, mutated, outcomes)
            kinds[kind] += 1
            per_suffix[f.suffix][0] += len(mutated)
            per_suffix[f.suffix][1] += seconds
            total_bytes += len(mutated)
            total_time += seconds
            if len(mutated) >= 64_000 and len(mutated) / seconds < worst_rate:
                worst_rate, worst = len(mutated) / seconds, f"{kind} of {f.name}, {len(mutated) // 1000} KB"
            keep = OUT / f"case{case:05d}{f.suffix}"
            if problem and problem.startswith("untyped error"):
                untyped.append((kind, problem, keep))
                keep.write_bytes(mutated)
            elif problem:
                unstorable.append((kind, problem, keep))
                keep.write_bytes(mutated)
            if seconds > max(FLOOR, len(mutated) / RATE):
                slow.append((kind, seconds, len(mutated), keep))
                keep.write_bytes(mutated)

    mb = 1_000_000
    print(f"{len(originals)} real files ({base_bytes / mb:.1f} MB), {args.cases} mutated cases, seed {args.seed}")
    print("mutations: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    print("outcomes:  " + ", ".join(f"{k} {n}" for k, n in sorted(outcomes.items())))
    print(f"baseline, real files unmutated: {base_bytes / mb / base_time:6.1f} MB/s  "
          f"({base_problems} with problems)")
    print(f"mutated cases:                  {total_bytes / mb / total_time:6.1f} MB/s  "
          f"({total_bytes / mb:.0f} MB in {total_time:.1f} s); slowest large case "
          f"(>= 64 KB) {worst_rate / mb:.1f} MB/s ({worst})")
    print("by kind:   " + ", ".join(f"{s} {b / mb / t:.1f} MB/s" for s, (b, t) in sorted(per_suffix.items()) if t))
    print(f"untyped errors:          {len(untyped)}")
    print(f"unstorable papers:       {len(unstorable)}")
    print(f"over the time bound:     {len(slow)}  (bound: max({FLOOR} s, size at {RATE / mb:.0f} MB/s))")
    for kind, problem, keep in (untyped + unstorable)[:10]:
        print(f"  {kind}: {problem} ({keep})")
    for kind, seconds, size, keep in slow[:10]:
        print(f"  {kind}: {size} bytes took {seconds:.2f} s ({keep})")
    return 1 if untyped or unstorable or slow or base_problems else 0


if __name__ == "__main__":
    sys.exit(main())
