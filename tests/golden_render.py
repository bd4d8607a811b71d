"""The payloads today's renderer makes for papers without a thumbnail, GitHub stars or organisation.

Recorded once (``python -m tests.golden_render``) with the renderer as it was before those fields
existed, so ``tests/test_render_extras.py`` can prove such a paper still renders byte for byte as it
did. Papers come straight from the parsers (no store, no tagger), so a change to the tagger or the
store's ordering cannot move the golden figures; only the renderer can.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from bot.models import Paper
from bot.render import paper_embed, render_digest, render_papers_page
from bot.sources import digest as digest_files
from bot.sources.hf import parse_daily_papers_report

GOLDEN = Path(__file__).parent / "data" / "golden_render.json"
#: What the Hugging Face API gives that the old renderer never saw; dropped to make "old" papers.
NEW_ENTRY_KEYS = ("thumbnail", "organization")
NEW_PAPER_KEYS = ("githubStars", "organization")


def old_hf_entries(entries: list[dict]) -> list[dict]:
    """The saved Daily Papers listing without the keys that now feed the richer embed."""
    out = []
    for entry in entries:
        e = {k: v for k, v in entry.items() if k not in NEW_ENTRY_KEYS}
        e["paper"] = {k: v for k, v in entry["paper"].items() if k not in NEW_PAPER_KEYS}
        out.append(e)
    return out


def sample_days(data: Path) -> list[tuple[str, str, list[Paper]]]:
    """(name, day, papers) for every seed-format / older-format digest file and the saved HF listing."""
    days = []
    for folder in ("seed-format", "older-formats"):
        for path in sorted((data / "digests" / folder).iterdir()):
            loaded = digest_files.load_file(path)
            for day in loaded.days:
                papers = [p for p in loaded.papers if day in p.dates]
                days.append((f"{folder}/{path.name}", day, papers))
    raw = json.loads((data / "upstream" / "ai-weekly-radar_huggingface_papers.json").read_text(encoding="utf-8"))
    papers, _ = parse_daily_papers_report(old_hf_entries(raw))
    for day in sorted({d for p in papers for d in p.dates}):
        days.append(("upstream/ai-weekly-radar_huggingface_papers.json", day, [p for p in papers if day in p.dates]))
    return days


def payloads(data: Path) -> dict[str, object]:
    """Every payload of every sample day: both digest layouts, a /papers page, each single embed."""
    out: dict[str, object] = {}
    for name, day, papers in sample_days(data):
        key = f"{name}@{day}"
        out[f"{key} channel"] = without_buttons(render_digest(day, papers, layout="channel"))
        out[f"{key} thread"] = without_buttons(render_digest(day, papers, layout="thread"))
        out[f"{key} page"] = render_papers_page(papers[:10], page=1, pages=1, total=len(papers), heading=day)
        out[f"{key} single"] = [paper_embed(p) for p in papers]
    return out


def without_buttons(obj: object) -> object:
    """``obj`` with every message's ``components`` left out: the golden file is the look of the embeds
    and text before the richer embed; the "More like this" buttons (issue 11) came later and are
    checked by tests/test_similar.py."""
    if isinstance(obj, dict):
        return {k: without_buttons(v) for k, v in obj.items() if k != "components"}
    if isinstance(obj, list):
        return [without_buttons(v) for v in obj]
    return obj


def digest_of(obj: object) -> str:
    return hashlib.sha256(json.dumps(obj, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def record(data: Path) -> dict[str, object]:
    """The golden file's content: a hash per payload group, and the seed day's channel digest in full."""
    groups = payloads(data)
    seed = groups["seed-format/2025-01-24.md@2025-01-24 channel"]
    return {"hashes": {k: digest_of(v) for k, v in groups.items()}, "seed_channel": seed}


if __name__ == "__main__":
    from tests.conftest import DATA

    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(record(DATA), ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                      encoding="utf-8")
    print(f"wrote {GOLDEN}")
