"""Issue 10 D and the source labels of A: what Hugging Face adds (thumbnail, GitHub stars, organisation)
from the real listing to the store to the embed, and where a paper's summary and tags came from.

A paper without the extras must render exactly as before: ``tests/data/golden_render.json`` was
recorded by the renderer before they existed (``tests/golden_render.py``).
"""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import Paper, check_paper, hf_thumbnail, summary_source_label, tags_source_label
from bot.render import (
    LIMITS,
    embed_chars,
    pack_embed_groups,
    paper_embed,
    render_digest,
    render_papers_page,
    validate_message,
)
from bot.sources.hf import parse_daily_papers_report, parse_paper_object
from bot.store import Store
from tests.golden_render import GOLDEN, digest_of, payloads
from tests.test_cli import paperboy

THUMB = "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{}.png"
LISTING = "ai-weekly-radar_huggingface_papers.json"
BOUNDED = settings(derandomize=True, database=None, max_examples=80, deadline=timedelta(seconds=2),
                   suppress_health_check=[HealthCheck.too_slow])


def listing(data_dir: Path) -> list[dict]:
    return json.loads((data_dir / "upstream" / LISTING).read_text(encoding="utf-8"))


def parsed(entries: list[dict]) -> dict[str, Paper]:
    papers, warnings = parse_daily_papers_report(entries)
    assert warnings == []
    return {p.arxiv_id: p for p in papers}


def extras(p: Paper) -> tuple[str, str, int, str]:
    return p.thumbnail, p.github_repo, p.github_stars, p.organization


# ── parsing the real listing ─────────────────────────────────────────────────────────────────────


def test_real_listing_gives_thumbnail_stars_and_organisation_exactly(data_dir: Path) -> None:
    by_id = parsed(listing(data_dir))
    assert extras(by_id["2607.07673"]) == (THUMB.format("2607.07673"), "https://github.com/Yale-BIDS-Chen-Lab/MedPMC",
                                           1, "Yale-BIDS-Chen-Lab")
    # no organisation on Hugging Face: none made up
    assert extras(by_id["2607.09020"]) == (THUMB.format("2607.09020"), "https://github.com/stephenmac7/phone-metrics",
                                           1, "")
    # an organisation but no code: no stars
    assert extras(by_id["2607.06957"]) == (THUMB.format("2607.06957"), "", 0, "Navercorp")
    assert by_id["2607.07816"].organization == "Instituto Superior Técnico - Universidade de Lisboa"
    assert by_id["2607.08768"].github_stars == 25
    # every real entry has a thumbnail, and it is the one Hugging Face sent
    assert all(p.thumbnail == THUMB.format(p.arxiv_id) for p in by_id.values())
    assert sum(1 for p in by_id.values() if p.organization) == 18


def test_a_flat_paper_object_has_stars_and_organisation_but_no_thumbnail(data_dir: Path) -> None:
    obj = json.loads((data_dir / "upstream" / "fastpaper_huggingface_paper.json").read_text(encoding="utf-8"))
    paper = parse_paper_object(obj)
    # /api/papers/ID sends no thumbnail, and paperboy builds none from the URL pattern
    assert extras(paper) == ("", "https://github.com/pathwaycom/arc-task-gen", 11184, "Pathway")


def test_the_entry_organisation_stands_in_for_a_missing_paper_one(data_dir: Path) -> None:
    entry = copy.deepcopy(listing(data_dir)[0])
    del entry["paper"]["organization"]
    assert parsed([entry])["2607.07673"].organization == "Yale-BIDS-Chen-Lab"
    entry["organization"] = {"name": "handle-only"}
    assert parsed([entry])["2607.07673"].organization == "handle-only"


@pytest.mark.parametrize(("where", "key", "value", "warning"), [
    ("entry", "thumbnail", "http://cdn-thumbnails.huggingface.co/x.png", "dropped its thumbnail"),
    ("entry", "thumbnail", "https://evil.example/x.png", "dropped its thumbnail"),
    ("entry", "thumbnail", "https://huggingface.co.evil.example/x.png", "dropped its thumbnail"),
    ("entry", "thumbnail", "https://user@cdn-thumbnails.huggingface.co/x.png", "dropped its thumbnail"),
    ("entry", "thumbnail", "https://cdn-thumbnails.huggingface.co:8443/x.png", "dropped its thumbnail"),
    ("entry", "thumbnail", "javascript:alert(1)//huggingface.co/x.png", "dropped its thumbnail"),
    ("entry", "thumbnail", "https://cdn-thumbnails.huggingface.co/x y.png", "dropped its thumbnail"),
    ("entry", "thumbnail", 12, "dropped its thumbnail"),
    ("paper", "githubStars", -1, "dropped its GitHub stars"),
    ("paper", "githubStars", "many", "dropped its GitHub stars"),
    ("paper", "githubStars", True, "dropped its GitHub stars"),
    ("paper", "githubStars", 1e999, "dropped its GitHub stars"),
    ("paper", "githubStars", 10**30, "dropped its GitHub stars"),
    ("paper", "organization", "Yale", "dropped its organization"),
    ("paper", "organization", {"fullname": ["x"]}, "dropped its organization"),
])
def test_a_bad_value_costs_only_that_field_with_a_warning(data_dir: Path, where: str, key: str, value: object,
                                                          warning: str) -> None:
    entry = copy.deepcopy(listing(data_dir)[0])
    entry.pop("organization")  # so the paper's own organisation is the only one
    (entry if where == "entry" else entry["paper"])[key] = value
    papers, warnings = parse_daily_papers_report([entry])
    assert len(papers) == 1 and len(warnings) == 1 and warning in warnings[0]
    good = parsed(listing(data_dir)[:1])["2607.07673"]
    dropped = {"thumbnail": ("", good.github_repo, 1, good.organization),
               "githubStars": (good.thumbnail, good.github_repo, 0, good.organization),
               "organization": (good.thumbnail, good.github_repo, 1, "")}[key]
    assert extras(papers[0]) == dropped
    assert replace(papers[0], thumbnail="", github_stars=0, organization="") == \
        replace(good, thumbnail="", github_stars=0, organization="")


def test_check_paper_is_the_last_gate_for_the_new_fields() -> None:
    paper = Paper("2501.00001", "T", dates=["2025-01-24"], thumbnail="https://evil.example/a.png", github_stars=-5)
    checked, warnings = check_paper(paper)
    assert checked is not None and (checked.thumbnail, checked.github_stars) == ("", 0)
    assert warnings == ["paper 2501.00001: dropped its GitHub stars -5: not a count.",
                        "paper 2501.00001: dropped its thumbnail 'https://evil.example/a.png': "
                        "not an https URL on Hugging Face."]


@BOUNDED
@given(st.one_of(st.text(max_size=80), st.builds(lambda s: "https://" + s, st.text(max_size=60)),
                 st.builds(lambda s: "https://cdn-thumbnails.huggingface.co/" + s, st.text(max_size=60)),
                 st.builds(lambda a, b: f"https://{a}huggingface.co{b}", st.text(max_size=20), st.text(max_size=20))))
def test_hf_thumbnail_only_ever_passes_https_urls_on_hugging_face(value: str) -> None:
    from urllib.parse import urlsplit

    got = hf_thumbnail(value)
    if got is not None:
        parts = urlsplit(got)
        host = parts.hostname or ""
        assert got == value and parts.scheme == "https" and parts.netloc == host
        assert host == "huggingface.co" or host.endswith(".huggingface.co")
        assert not any(c.isspace() or c in '"<>\\`' for c in got)


@BOUNDED
@given(thumb=st.one_of(st.none(), st.text(max_size=40), st.integers(), st.floats(allow_nan=True)),
       stars=st.one_of(st.none(), st.integers(min_value=-10**25, max_value=10**25), st.floats(), st.text(max_size=8),
                       st.booleans()),
       org=st.one_of(st.none(), st.text(max_size=20), st.dictionaries(st.sampled_from(["name", "fullname"]),
                                                                       st.one_of(st.text(max_size=20), st.integers()))))
def test_any_extras_give_a_storable_paper(thumb: object, stars: object, org: object) -> None:
    entry = {"paper": {"id": "2501.00001", "title": "T", "githubStars": stars, "organization": org},
             "title": "T", "thumbnail": thumb}
    papers, _ = parse_daily_papers_report([entry], "2025-01-24")
    assert len(papers) == 1
    p = papers[0]
    assert isinstance(p.github_stars, int) and 0 <= p.github_stars < 2**63
    assert p.thumbnail == "" or hf_thumbnail(p.thumbnail) == p.thumbnail
    assert isinstance(p.organization, str) and "\n" not in p.organization


# ── the store ────────────────────────────────────────────────────────────────────────────────────


def test_extras_round_trip_through_the_store_and_papers_json(data_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    with Store(db) as store:
        store.upsert_papers(list(parsed(listing(data_dir)).values()))
        got = store.get("2607.07673")
    assert got is not None and extras(got) == (THUMB.format("2607.07673"), "https://github.com/Yale-BIDS-Chen-Lab/MedPMC",
                                               1, "Yale-BIDS-Chen-Lab")
    code, out, err = paperboy("paper", "2607.07673", "--json", db=db)
    assert (code, err) == (0, "")
    item = json.loads(out)
    assert {k: item[k] for k in ("thumbnail", "github_repo", "github_stars", "organization",
                                 "summary_source", "tags_source")} == {
        "thumbnail": THUMB.format("2607.07673"), "github_repo": "https://github.com/Yale-BIDS-Chen-Lab/MedPMC",
        "github_stars": 1, "organization": "Yale-BIDS-Chen-Lab", "summary_source": "abstract", "tags_source": "model"}


def test_the_merge_of_the_extras_is_order_free() -> None:
    base = Paper("2501.00001", "T", dates=["2025-01-24"], source="hf-api")
    views = [
        replace(base, thumbnail=THUMB.format("2501.00001"), github_repo="https://github.com/a/b", github_stars=10),
        replace(base, github_repo="https://github.com/a/b", github_stars=12, organization="Lab"),
        replace(base, github_repo="https://github.com/a/c", github_stars=3, organization="A Longer Lab"),
        replace(base, dates=["2025-01-25"], source="digest-json", summary="- a\n- b"),
        replace(base, thumbnail=THUMB.format("2501.00001").replace(".png", "-v2.png")),
    ]
    seen = set()
    for order in itertools.permutations(views):
        with Store(":memory:") as store:
            for p in order:
                store.upsert_papers([copy.deepcopy(p)])
            got = store.get("2501.00001")
        seen.add(extras(got))
    # stars stay with the repository they count; the longest thumbnail and organisation, by one rule
    assert seen == {(THUMB.format("2501.00001").replace(".png", "-v2.png"), "https://github.com/a/b", 12,
                     "A Longer Lab")}


def test_a_paper_imported_again_without_extras_keeps_them(tmp_path: Path) -> None:
    full = Paper("2501.00001", "T", dates=["2025-01-24"], source="hf-api", thumbnail=THUMB.format("2501.00001"),
                 github_repo="https://github.com/a/b", github_stars=7, organization="Lab")
    with Store(tmp_path / "p.db") as store:
        store.upsert_papers([full])
        stats = store.upsert_papers([replace(full, thumbnail="", github_repo="", github_stars=0, organization="",
                                             source="digest-md")])
        assert (stats.updated, stats.unchanged) == (0, 1)
        assert extras(store.get("2501.00001")) == (THUMB.format("2501.00001"), "https://github.com/a/b", 7, "Lab")


# ── the source labels ────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(("stored", "summary", "label"), [
    ("digest-md", "- a\n- b", "digest"), ("digest-json", "text", "digest"), ("llm", "- a", "llm"),
    ("hf-api", "An AI summary.", "hf"), ("hf-api", "", "abstract"), ("arxiv", "", "abstract"),
    ("arxiv", "text", "abstract"), ("llm", "  ", "abstract"), ("digest-md", "", "abstract"),
])
def test_summary_source_label(stored: str, summary: str, label: str) -> None:
    assert summary_source_label(stored, summary) == label


@pytest.mark.parametrize(("stored", "label"), [("digest", "digest"), ("llm", "llm"), ("auto", "model"),
                                                ("", "model")])
def test_tags_source_label(stored: str, label: str) -> None:
    assert tags_source_label(stored) == label


def test_papers_json_names_where_summary_and_tags_came_from(tmp_path: Path) -> None:
    """Rows as each source leaves them, the LLM's included (stored as the LLM helper stores them)."""
    db = tmp_path / "p.db"
    day = ["2025-01-24"]
    with Store(db) as store:
        store.upsert_papers([
            Paper("2501.00001", "Digest", summary="- a\n- b", tags=["Audio"], tags_source="digest", dates=day,
                  source="digest-md"),
            Paper("2501.00002", "LLM", summary="- x\n- y", tags=["Audio"], tags_source="llm", dates=day,
                  source="llm"),
            Paper("2501.00003", "HF", summary="An AI summary.", tags=["Audio"], tags_source="auto", dates=day,
                  source="hf-api"),
            Paper("2501.00004", "Abstract only", abstract="We study.", tags=["Audio"], tags_source="auto",
                  dates=day, source="hf-api"),
        ])
    code, out, err = paperboy("papers", "--json", db=db)
    assert (code, err) == (0, "")
    got = {p["arxiv_id"]: (p["summary_source"], p["tags_source"]) for p in json.loads(out)}
    assert got == {"2501.00001": ("digest", "digest"), "2501.00002": ("llm", "llm"),
                   "2501.00003": ("hf", "model"), "2501.00004": ("abstract", "model")}


def test_from_dict_reads_back_what_to_dict_wrote() -> None:
    paper = Paper("2501.00001", "T", tags=["Audio"], tags_source="auto", summary="s", source="hf-api",
                  github_stars=3, organization="Lab")
    back = Paper.from_dict(paper.to_dict())
    assert back == replace(paper, summary_source="")


# ── rendering ────────────────────────────────────────────────────────────────────────────────────


def test_a_paper_without_extras_renders_byte_for_byte_as_before(data_dir: Path) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    now = payloads(data_dir)
    assert set(now) == set(golden["hashes"]) and len(now) == 60
    assert now["seed-format/2025-01-24.md@2025-01-24 channel"] == golden["seed_channel"]
    assert {k: digest_of(v) for k, v in now.items()} == golden["hashes"]


def rich_paper() -> Paper:
    return Paper("2607.07673", "MedPMC", authors=["Hyunjae Kim"], abstract="Medicine is multimodal.",
                 github_urls=["https://github.com/Yale-BIDS-Chen-Lab/MedPMC"], upvotes=5, dates=["2026-07-13"],
                 tags=["Multimodal"], tags_source="auto", source="hf-api", thumbnail=THUMB.format("2607.07673"),
                 github_repo="https://github.com/Yale-BIDS-Chen-Lab/MedPMC", github_stars=11184,
                 organization="Yale-BIDS-Chen-Lab")


def test_the_richer_embed_shows_image_stars_and_organisation() -> None:
    embed = paper_embed(rich_paper())
    assert embed == {
        "title": "MedPMC",
        "url": "https://arxiv.org/abs/2607.07673",
        "author": {"name": "Hyunjae Kim"},
        "description": "Medicine is multimodal.",
        "color": 0x9B59B6,
        "fields": [
            {"name": "Tags", "value": "Multimodal", "inline": True},
            {"name": "Upvotes", "value": "▲ 5", "inline": True},
            {"name": "Organization", "value": "Yale-BIDS-Chen-Lab", "inline": True},
            {"name": "Links", "value": "[GitHub: Yale-BIDS-Chen-Lab/MedPMC](https://github.com/Yale-BIDS-Chen-Lab/MedPMC)"
                                       " ★ 11,184 · [🤗 Paper](https://huggingface.co/papers/2607.07673)",
             "inline": False},
        ],
        "image": {"url": THUMB.format("2607.07673")},
        "footer": {"text": "2026-07-13 · arXiv:2607.07673"},
    }


def test_stars_go_beside_their_own_repository_only() -> None:
    paper = replace(rich_paper(), github_urls=["https://github.com/other/tool",
                                               "https://github.com/yale-bids-chen-lab/medpmc.git"])
    links = next(f["value"] for f in paper_embed(paper)["fields"] if f["name"] == "Links")
    assert links == ("[GitHub: other/tool](https://github.com/other/tool) · "
                     "[GitHub: yale-bids-chen-lab/medpmc.git](https://github.com/yale-bids-chen-lab/medpmc.git)"
                     " ★ 11,184 · [🤗 Paper](https://huggingface.co/papers/2607.07673)")
    # the repository is not among the links (no link to put them by): no stars at all
    links = next(f["value"] for f in paper_embed(replace(paper, github_urls=["https://github.com/other/tool"]))["fields"]
                 if f["name"] == "Links")
    assert "★" not in links


def test_hostile_extras_stay_text_and_links_stay_https() -> None:
    paper = replace(rich_paper(), organization="@everyone <@&1> [x](javascript:alert(1)) **bold**\n# head",
                    thumbnail="http://cdn-thumbnails.huggingface.co/x.png")
    embed = paper_embed(paper)
    assert "image" not in embed  # plain http: no image (the store never holds one; the renderer checks again)
    org = next(f["value"] for f in embed["fields"] if f["name"] == "Organization")
    assert org == "@\u200beveryone <\u200b@&1\\> \\[x\\](javascript:alert(1)) \\*\\*bold\\*\\* # head"
    none = {"parse": [], "users": [], "roles": [], "replied_user": False}
    assert validate_message({"content": "", "embeds": [embed], "allowed_mentions": none}) == []


def test_a_long_organisation_is_cut_and_every_limit_holds() -> None:
    paper = replace(rich_paper(), organization="Lab " * 500, authors=["A" * 300] * 30, title="T" * 600,
                    summary="- " + "word " * 2000, tags=["Multimodal", "Text Generation"] * 10,
                    github_urls=[f"https://github.com/o/r{i}" for i in range(60)])
    for budget in (400, 800, 1500, 3000, 6000):
        embed = paper_embed(paper, max_chars=budget)
        assert embed_chars(embed) <= budget and embed["image"] == {"url": THUMB.format("2607.07673")}
        org = [f["value"] for f in embed.get("fields", []) if f["name"] == "Organization"]
        assert org == [] or len(org[0]) <= 100
    assert len(next(f["value"] for f in paper_embed(paper)["fields"] if f["name"] == "Organization")) == 100


def test_the_packer_counts_the_extras_exactly_and_days_with_them_stay_valid(data_dir: Path) -> None:
    papers = list(parsed(listing(data_dir)).values())
    for day in sorted({d for p in papers for d in p.dates}):
        todays = [p for p in papers if day in p.dates]
        for layout in ("channel", "thread"):
            messages = render_digest(day, todays, layout=layout)
            for m in messages:
                assert validate_message(m) == []
                assert sum(embed_chars(e) for e in m["embeds"]) <= LIMITS["total"]
            shown = [e for m in messages for e in m["embeds"]]
            assert len(shown) == len(todays)
            assert all(e["image"]["url"].startswith("https://cdn-thumbnails.huggingface.co/") for e in shown)
        embeds = [paper_embed(p, day=day) for p in todays]
        groups = pack_embed_groups(embeds)
        assert sorted(i for _, g in groups for i in g) == list(range(len(todays)))
        page = render_papers_page(todays[:10], page=1, pages=1, total=len(todays), heading=day)
        assert validate_message(page) == []


def test_the_paper_footer_names_the_sources_in_plain_words() -> None:
    llm = replace(rich_paper(), summary="- one\n- two", source="llm", tags_source="llm")
    assert paper_embed(llm, show_sources=True)["footer"]["text"] == \
        "2026-07-13 · arXiv:2607.07673 · Summary: LLM · Tags: LLM"
    assert paper_embed(rich_paper(), show_sources=True)["footer"]["text"] == \
        "2026-07-13 · arXiv:2607.07673 · Summary: abstract · Tags: model"
    hf = replace(rich_paper(), summary="An AI summary.", summary_source="hf-api", source="digest-md",
                 tags_source="digest")
    assert paper_embed(hf, show_sources=True)["footer"]["text"] == \
        "2026-07-13 · arXiv:2607.07673 · Summary: Hugging Face · Tags: digest"
    untagged = replace(rich_paper(), tags=[])
    assert paper_embed(untagged, show_sources=True)["footer"]["text"] == \
        "2026-07-13 · arXiv:2607.07673 · Summary: abstract"
    # digests and pages never carry it: their footers are as before
    assert paper_embed(llm)["footer"]["text"] == "2026-07-13 · arXiv:2607.07673"
