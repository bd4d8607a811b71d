"""Settings: defaults, file values, environment overrides, and errors that name the bad key."""

from __future__ import annotations

import pytest

from bot.config import load_settings
from bot.errors import ConfigError


def write(tmp_path, text: str):
    path = tmp_path / "paperboy.toml"
    path.write_text(text)
    return path


def test_the_example_config_is_valid_and_equals_the_defaults(monkeypatch):
    from pathlib import Path

    for var in ("PAPERBOY_DB", "PAPERBOY_HF_BASE_URL", "PAPERBOY_ARXIV_BASE_URL", "PAPERBOY_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    example = load_settings(Path(__file__).resolve().parents[1] / "config.example.toml")
    defaults = load_settings(None) if not Path("paperboy.toml").exists() else None
    assert example.schedule.fetch_time == "06:30" and example.hf.retries == 4
    if defaults is not None:
        example.source_file = defaults.source_file
        assert example == defaults


def test_values_and_environment_overrides(tmp_path, monkeypatch):
    path = write(tmp_path, '[paperboy]\ndatabase = "a.db"\n[sources.huggingface]\nretries = 2\n'
                           '[schedule]\nfetch_time = "7:05"\ntimezone = "Europe/Berlin"\n')
    monkeypatch.setenv("PAPERBOY_HF_BASE_URL", "http://127.0.0.1:1234")
    s = load_settings(path)
    assert (s.database, s.hf.retries, s.schedule.fetch_time, s.hf.base_url) == (
        "a.db", 2, "07:05", "http://127.0.0.1:1234")
    assert load_settings(path, db="b.db").database == "b.db"


@pytest.mark.parametrize(("text", "needle"), [
    ('[schedule]\nfetch_time = "25:00"\n', "schedule.fetch_time"),
    ('[schedule]\ntimezone = "Mars/Olympus"\n', "schedule.timezone"),
    ('[sources.huggingface]\nretries = "three"\n', "sources.huggingface.retries"),
    ('[paperboy]\ndatabse = "x.db"\n', "paperboy.databse"),
    ('[weather]\nx = 1\n', "weather"),
    ('[discord]\ntoken = "abc.def"\n', "DISCORD_TOKEN"),
    ('[paperboy\n', "not valid TOML"),
    ('paperboy = 1\n', "should be a table"),
    ('schedule = "secret-looking-value"\n', "not a str"),
    ('[paperboy]\nlog_level = "chatty"\n', "paperboy.log_level"),
])
def test_bad_config_names_the_problem(tmp_path, text, needle):
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, text))
    assert needle in str(err.value)
    assert "abc.def" not in str(err.value) and "secret-looking-value" not in str(err.value)


def test_log_level_is_case_insensitive(tmp_path):
    assert load_settings(write(tmp_path, '[paperboy]\nlog_level = "info"\n')).log_level == "INFO"


def test_the_token_is_read_from_the_environment_and_never_dumped(monkeypatch):
    monkeypatch.setenv("DISCORD_TOKEN", "very-secret")
    s = load_settings(None)
    assert s.discord_token == "very-secret"
    assert "very-secret" not in repr(s) and "very-secret" not in str(s.redacted())
