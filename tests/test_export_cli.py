"""``paperboy export`` as a user runs it: a real process, a real SQLite file, files on disk."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tests.fakes.hf_server import FakeHF
from tests.test_cli import apaperboy, paperboy


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_export_a_day_prints_what_it_wrote(seed_file, db_path, tmp_path):
    paperboy("import", str(seed_file), db=db_path)
    out = tmp_path / "site"
    code, stdout, err = paperboy("export", "--date", "2025-01-24", "--out", str(out), db=db_path)
    assert code == 0 and err == ""
    assert stdout.splitlines() == [
        f"wrote {out / 'archive/2025/01/24.md'}", f"wrote {out / 'daily_results/2025/01/24.json'}",
        f"wrote {out / 'README.md'}",
        f"Exported 1 day(s), 8 paper(s), to {out}: 3 file(s) written, 0 unchanged."]
    assert files_under(out) == ["README.md", "archive/2025/01/24.md", "daily_results/2025/01/24.json"]
    seed_rows = sorted(line for line in seed_file.read_text().split("\n") if line.startswith("| ["))
    ours = (out / "archive/2025/01/24.md").read_text().split("\n")
    assert ours[2] == "## Papers for 2025-01-24" and len([r for r in ours if r.startswith("| [")]) == 8
    assert [" ".join(r.split()) for r in sorted(r for r in ours if r.startswith("| ["))] == \
        [" ".join(r.split()) for r in seed_rows]
    code, stdout, _ = paperboy("export", "--date", "2025-01-24", "--out", str(out), db=db_path)
    assert stdout.splitlines() == [f"Exported 1 day(s), 8 paper(s), to {out}: 0 file(s) written, 3 unchanged."]


def test_export_json_only_and_ranges(data_dir, db_path, tmp_path):
    paperboy("import", str(data_dir / "digests" / "seed-format"), db=db_path)
    out = tmp_path / "site"
    code, stdout, err = paperboy("export", "--since", "2025-01-01", "--until", "2025-04-01", "--format", "json",
                                 "--out", str(out), db=db_path)
    assert code == 0, err
    assert files_under(out) == ["daily_results/2025/01/24.json", "daily_results/2025/03/14.json"]  # 13 + 28 papers
    assert stdout.splitlines()[-1] == f"Exported 2 day(s), 41 paper(s), to {out}: 2 file(s) written, 0 unchanged."
    code, stdout, _ = paperboy("export", "--out", str(out), db=db_path)  # no dates: every stored day
    assert code == 0 and stdout.splitlines()[-1].startswith("Exported 4 day(s), ")
    assert "README.md" in files_under(out) and len(files_under(out)) == 9


def test_the_config_gives_the_folder_and_the_categories(seed_file, db_path, tmp_path):
    paperboy("import", str(seed_file), db=db_path)
    config = tmp_path / "paperboy.toml"
    config.write_text(f'[export]\ndir = "{tmp_path / "site"}"\ncategories = ["reinforcement learning"]\n')
    code, stdout, err = paperboy("--config", str(config), "export", "--date", "2025-01-24", db=db_path)
    assert code == 0, err
    rows = [r for r in (tmp_path / "site/archive/2025/01/24.md").read_text().split("\n") if r.startswith("| [")]
    assert [r.split("](")[1].split(")")[0] for r in rows] == [
        "https://arxiv.org/abs/2501.13075", "https://arxiv.org/abs/2501.13918"]
    assert len(json.loads((tmp_path / "site/daily_results/2025/01/24.json").read_text())) == 8
    code, stdout, _ = paperboy("--config", str(config), "config", db=db_path)
    assert json.loads(stdout)["export"] == {"dir": str(tmp_path / "site"), "categories": ["Reinforcement Learning"]}


@pytest.mark.parametrize(("args", "config", "message"), [
    (["export", "--date", "2025-01-24"], "",
     "paperboy: Say where to write the files: give --out DIR or set [export] dir in the config."),
    (["export", "--date", "2025-01-24", "--since", "2025-01-01", "--out", "x"], "",
     "paperboy: Give either --date or --since/--until, not both."),
    (["export", "--since", "2025-02-01", "--until", "2025-01-01", "--out", "x"], "",
     "paperboy: --until 2025-01-01 is before --since 2025-02-01."),
    (["export", "--date", "2025-13-45", "--out", "x"], "",
     "paperboy: Argument --date: '2025-13-45' is not a date: use YYYY-MM-DD (for example 2025-01-24), "
     "'today' or 'yesterday'. See 'paperboy export --help'."),
    (["export", "--format", "pdf", "--out", "x"], "",
     "paperboy: Argument --format: invalid choice: 'pdf' (choose from 'markdown', 'json', 'both'). "
     "See 'paperboy export --help'."),
    (["export", "--out", "x"], '[export]\ncategories = ["Multimodel"]\n',
     "paperboy: Config key 'export.categories' names 'Multimodel', which is not a Hugging Face task tag "
     "(did you mean 'Multimodal'?); 'paperboy tags' lists them."),
    (["export", "--out", "x"], '[export]\ncategories = "Multimodal"\n',
     "paperboy: Config key 'export.categories' should be a list of text values, not text."),
])
def test_mistakes_are_one_sentence_and_a_non_zero_exit(db_path, tmp_path, args, config, message):
    path = tmp_path / "c.toml"
    path.write_text(config)
    code, stdout, err = paperboy("--config", str(path), *args, db=db_path)
    assert code != 0 and stdout == ""
    assert err.strip().splitlines() == [message]
    assert not (tmp_path / "x").exists()


def test_an_output_that_is_a_file_and_a_day_without_papers(seed_file, db_path, tmp_path):
    paperboy("import", str(seed_file), db=db_path)
    (tmp_path / "taken").write_text("")
    code, stdout, err = paperboy("export", "--date", "2025-01-24", "--out", str(tmp_path / "taken"), db=db_path)
    assert code == 1 and stdout == ""
    assert err.strip().splitlines() == [f"paperboy: The export folder {tmp_path / 'taken'} is a file, not a folder."]
    code, stdout, err = paperboy("export", "--date", "2025-01-25", "--out", str(tmp_path / "site"), db=db_path)
    assert code == 0 and err == ""
    assert stdout.splitlines() == ["No featured papers stored on 2025-01-25; nothing was written."]
    code, stdout, _ = paperboy("export", "--since", "2025-02-01", "--out", str(tmp_path / "site"), db=db_path)
    assert code == 0 and stdout.splitlines() == [
        "No featured papers stored from 2025-02-01 to the newest day; nothing was written."]
    code, stdout, _ = paperboy("export", "--out", str(tmp_path / "site"), db=tmp_path / "new.db")
    assert code == 0 and stdout.splitlines() == ["No featured papers stored yet; nothing was written."]
    assert not (tmp_path / "site").exists() and not (tmp_path / "new.db").exists()


@pytest.mark.timeout(60)
async def test_run_without_a_token_writes_the_days_files_when_export_dir_is_set(data_dir, db_path, tmp_path):
    today = date.today().isoformat()  # what `run` fetches: today in the configured zone (UTC), as test_cli does
    entries = json.loads((data_dir / "upstream" / "ai-weekly-radar_huggingface_papers.json").read_text())
    config = tmp_path / "paperboy.toml"
    config.write_text(f'[paperboy]\ntimezone = "UTC"\n[export]\ndir = "{tmp_path / "site"}"\n')
    async with FakeHF() as fake:
        fake.add_entries(entries[:5], day=today)
        code, out, err = await apaperboy("--config", str(config), "run", db=db_path,
                                         env={"PAPERBOY_HF_BASE_URL": fake.url})
    assert code == 0, err
    assert f"Exported 1 day(s), 5 paper(s), to {tmp_path / 'site'}: 3 file(s) written, 0 unchanged." in out
    y, m, d = today.split("-")
    written = json.loads((tmp_path / f"site/daily_results/{y}/{m}/{d}.json").read_text())
    assert sorted(e["link"] for e in written) == sorted(f"https://arxiv.org/abs/{e['paper']['id']}"
                                                        for e in entries[:5])
    assert all(e["date"] == today and e["summary"] and e["classification"] for e in written)
