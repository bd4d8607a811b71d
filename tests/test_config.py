"""Settings: defaults, file values, environment overrides, and errors that name the bad key."""

from __future__ import annotations

import pytest

from bot.config import load_settings, token_from_env
from bot.errors import ConfigError

#: The shape of a real bot token (user id in base64, timestamp, HMAC); not a working one.
TOKEN = "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs"
SECRET_PARTS = TOKEN.split(".")
TOKEN_REFUSAL = ("is not allowed: put the bot token in the DISCORD_TOKEN environment variable, never in a file.")
MALFORMED = ("DISCORD_TOKEN holds spaces, line breaks or other characters a Discord token never has; copy the "
             "token again from the developer portal (Bot → Reset Token).")


def leaks(text: str) -> list[str]:
    """The parts of TOKEN that ``text`` gives away (its first or secret segment, or the whole)."""
    return [part for part in (TOKEN, SECRET_PARTS[0], SECRET_PARTS[2]) if part in text]


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
    ('schedule = "secret-looking-value"\n', "not text"),
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
    assert s.redacted()["discord"]["token"] == "set (hidden)"


@pytest.mark.parametrize("raw", [f"{TOKEN}\n", f"  {TOKEN}\r\n", f"\t{TOKEN} "])
def test_whitespace_around_the_token_is_stripped(monkeypatch, raw):
    monkeypatch.setenv("DISCORD_TOKEN", raw)
    assert token_from_env() == TOKEN


@pytest.mark.parametrize("raw", [f"{SECRET_PARTS[0]}\n{SECRET_PARTS[1]}.{SECRET_PARTS[2]}",
                                 f"{TOKEN[:30]} {TOKEN[30:]}", f"{TOKEN}\x1b[2J", f"{TOKEN}\u202e",
                                 f"Bot\t{TOKEN}", f"{TOKEN}é"])
def test_a_token_with_inner_whitespace_or_control_characters_is_refused_without_echo(monkeypatch, raw):
    monkeypatch.setenv("DISCORD_TOKEN", raw)
    with pytest.raises(ConfigError) as err:
        token_from_env()
    assert str(err.value) == MALFORMED
    dump = load_settings(None).redacted()["discord"]["token"]
    assert dump == "set but unusable: it has spaces, line breaks or other characters (hidden)"


def test_unset_or_blank_token_is_none(monkeypatch):
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    assert token_from_env() is None
    monkeypatch.setenv("DISCORD_TOKEN", " \n ")
    assert token_from_env() is None
    assert load_settings(None).redacted()["discord"]["token"] == "not set"


@pytest.mark.parametrize(("text", "message"), [
    (f'token = "{TOKEN}"\n', f"Config key 'token' {TOKEN_REFUSAL}"),
    (f'DISCORD_TOKEN = "{TOKEN}"\n[paperboy]\ndatabase = "x.db"\n', f"Config key 'DISCORD_TOKEN' {TOKEN_REFUSAL}"),
    (f'[paperboy]\ntoken = "{TOKEN}"\n', f"Config key 'paperboy.token' {TOKEN_REFUSAL}"),
    (f'[discord]\nbot_token = "{TOKEN}"\n', f"Config key 'discord.bot_token' {TOKEN_REFUSAL}"),
    (f'[sources.token]\nx = "{TOKEN}"\n', f"Config key 'sources.token' {TOKEN_REFUSAL}"),
])
def test_a_token_anywhere_in_the_file_gets_the_token_refusal(tmp_path, text, message):
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, text))
    assert str(err.value) == message


@pytest.mark.parametrize(("text", "message"), [
    (f'[discord]\ntest_guild_id = "{TOKEN}"\n',
     "Config key 'discord.test_guild_id' should be a whole number, not text."),
    (f'[sources.huggingface]\nretries = "{TOKEN}"\n',
     "Config key 'sources.huggingface.retries' should be a whole number, not text."),
    (f'[sources.huggingface]\ntimeout_seconds = "{TOKEN}"\n',
     "Config key 'sources.huggingface.timeout_seconds' should be a number, not text."),
    (f'[sources.arxiv]\ncategories = "{TOKEN}"\n',
     "Config key 'sources.arxiv.categories' should be a list of text values, not text."),
    (f'[sources.arxiv]\ncategories = ["cs.CL", "{TOKEN}", 3]\n',
     "Config key 'sources.arxiv.categories' should be a list of text values, not a list holding other values."),
    (f'[schedule]\nfetch_time = "{TOKEN}"\n', "Config key 'schedule.fetch_time' should be a 24-hour time like "
     "06:30, not the value given (not repeated here in case it is a secret)."),
    (f'[schedule]\ntimezone = "{TOKEN}"\n', "Config key 'schedule.timezone' names an unknown time zone, the value "
     "given (not repeated here in case it is a secret) (use a name like Europe/Berlin or UTC)."),
    (f'[discord]\ndefault_timezone = "{SECRET_PARTS[2]}"\n', "Config key 'discord.default_timezone' names an "
     "unknown time zone, the value given (not repeated here in case it is a secret) (use a name like "
     "Europe/Berlin or UTC)."),
    (f'[discord]\ndefault_post_time = "{SECRET_PARTS[0]}"\n', "Config key 'discord.default_post_time' should be "
     "a 24-hour time like 06:30, not the value given (not repeated here in case it is a secret)."),
    (f'[paperboy]\nlog_level = "{TOKEN}"\n', "Config key 'paperboy.log_level' should be DEBUG, INFO, WARNING or "
     "ERROR, not the value given (not repeated here in case it is a secret)."),
    (f'[paperboy]\n"{TOKEN}" = 1\n', "Unknown config key (a key that looks like a secret; not repeated); see "
     "config.example.toml for the keys there are."),
    (f'"{TOKEN}" = 1\n', "Unknown config section (a key that looks like a secret; not repeated); see "
     "config.example.toml."),
    (f'[sources]\n"{TOKEN}" = {{}}\n', "Unknown config section (a key that looks like a secret; not repeated)."),
    (f'[discord]\ntest_guild_id = {{ x = "{TOKEN}" }}\n',
     "Config key 'discord.test_guild_id' should be a whole number, not a table."),
])
def test_a_token_pasted_into_a_typed_key_is_never_echoed(tmp_path, text, message):
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, text))
    assert str(err.value) == message
    assert leaks(str(err.value)) == []


@pytest.mark.parametrize(("text", "message"), [
    ('[schedule]\nfetch_time = "25:00"\n', "Config key 'schedule.fetch_time' should be a 24-hour time like 06:30, "
     "not '25:00'."),
    ('[schedule]\ntimezone = "Europe/Berln"\n', "Config key 'schedule.timezone' names an unknown time zone, "
     "'Europe/Berln' (use a name like Europe/Berlin or UTC)."),
    ('[paperboy]\nlog_level = "chatty"\n', "Config key 'paperboy.log_level' should be DEBUG, INFO, WARNING or "
     "ERROR, not 'CHATTY'."),
])
def test_ordinary_mistakes_are_still_quoted(tmp_path, text, message):
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, text))
    assert str(err.value) == message
