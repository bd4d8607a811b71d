"""The [llm] settings: file values, environment overrides, refusals, and the key kept out of every dump."""

from __future__ import annotations

import json

import pytest

from bot.config import load_settings, redact
from bot.errors import ConfigError

KEY = "sk-proj-Abc123SecretValue987xyz"


def write(tmp_path, text: str):
    path = tmp_path / "paperboy.toml"
    path.write_text(text)
    return path


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for var in ("PAPERBOY_LLM_API_KEY", "PAPERBOY_LLM_BASE_URL", "PAPERBOY_CONFIG"):
        monkeypatch.delenv(var, raising=False)


def test_defaults_are_off(tmp_path):
    llm = load_settings(write(tmp_path, "")).llm
    assert (llm.base_url, llm.model, llm.max_concurrency, llm.requests_per_minute, llm.timeout_seconds,
            llm.language, llm.input, llm.enabled) == ("", "", 4, 60, 120.0, "English", "abstract", False)


def test_file_values_and_the_base_url_override(tmp_path, monkeypatch):
    path = write(tmp_path, '[llm]\nbase_url = "http://localhost:11434/v1/"\nmodel = "qwen3"\nmax_concurrency = 2\n'
                           'requests_per_minute = 30\ntimeout_seconds = 60\nlanguage = "German"\ninput = "fulltext"\n')
    llm = load_settings(path).llm
    assert (llm.base_url, llm.model, llm.max_concurrency, llm.requests_per_minute, llm.timeout_seconds,
            llm.language, llm.input, llm.enabled) == ("http://localhost:11434/v1", "qwen3", 2, 30, 60.0, "German",
                                                      "fulltext", True)
    monkeypatch.setenv("PAPERBOY_LLM_BASE_URL", "https://api.openai.com/v1")
    assert load_settings(path).llm.base_url == "https://api.openai.com/v1"


@pytest.mark.parametrize("text, message", [
    ('[llm]\ninput = "pdf"', "Config key 'llm.input' should be \"abstract\" or \"fulltext\", not 'pdf'."),
    ("[llm]\nmax_concurrency = 0", "Config key 'llm.max_concurrency' must be at least 1."),
    ("[llm]\nrequests_per_minute = 0", "Config key 'llm.requests_per_minute' must be at least 1."),
    ("[llm]\ntimeout_seconds = 0", "Config key 'llm.timeout_seconds' must be more than 0."),
    ('[llm]\nbase_url = "localhost:11434"',
     "Config key 'llm.base_url' should be an http(s) URL like http://localhost:11434/v1."),
    ('[llm]\nmodle = "x"', "Unknown config key 'llm.modle'; see config.example.toml for the keys there are."),
    (f'[llm]\napi_key = "{KEY}"', "Config key 'llm.api_key' is not allowed: put the LLM API key in the "
                                  "PAPERBOY_LLM_API_KEY environment variable, never in a file."),
    (f'[llm]\nkey = "{KEY}"', "Config key 'llm.key' is not allowed: put the LLM API key in the "
                              "PAPERBOY_LLM_API_KEY environment variable, never in a file."),
])
def test_bad_values_are_one_sentence_naming_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, text))
    assert str(err.value) == message and KEY not in str(err.value)


def test_the_key_is_read_from_the_environment_only_and_never_dumped(tmp_path, monkeypatch):
    settings = load_settings(write(tmp_path, ""))
    assert settings.llm.api_key is None and settings.redacted()["llm"]["api_key"] == "not set"
    monkeypatch.setenv("PAPERBOY_LLM_API_KEY", f"  {KEY}\n")
    assert settings.llm.api_key == KEY
    dump = json.dumps(settings.redacted())
    assert KEY not in dump and settings.redacted()["llm"]["api_key"] == "set (hidden)"
    assert redact(f"Incorrect API key provided: Bearer {KEY}.") == "Incorrect API key provided: Bearer [key]."
