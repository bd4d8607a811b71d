"""Settings from a TOML file plus the environment, validated once with errors that name the bad key.

The Discord token is read from ``DISCORD_TOKEN`` only: it never lives in a file we could commit, and
:meth:`Settings.redacted` is the only form of the settings that is ever printed or logged. Error
messages quote a config value only when it cannot be a token (:func:`shown`): people paste tokens
into the wrong place, and an error message is exactly what they then copy into a bug report.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.clock import format_hhmm, parse_hhmm
from bot.errors import ConfigError
from bot.taxonomy import UnknownTagError, require_tag

DEFAULT_CONFIG_PATHS = (Path("paperboy.toml"), Path("config.toml"))


@dataclass(slots=True)
class HFSettings:
    base_url: str = "https://huggingface.co"
    timeout_seconds: float = 30.0
    connect_timeout_seconds: float = 10.0
    retries: int = 4
    backoff_seconds: float = 1.0
    max_rate_limit_wait_seconds: float = 300.0


@dataclass(slots=True)
class ArxivSettings:
    base_url: str = "https://export.arxiv.org"
    categories: list[str] = field(default_factory=lambda: ["cs.CL", "cs.CV", "cs.LG", "cs.AI"])
    timeout_seconds: float = 60.0
    min_interval_seconds: float = 3.0
    retries: int = 3


@dataclass(slots=True)
class ScheduleSettings:
    fetch_time: str = "06:30"
    timezone: str = "UTC"
    recheck_minutes: int = 30
    recheck_times: int = 6


@dataclass(slots=True)
class DiscordSettings:
    test_guild_id: int = 0
    default_post_time: str = "09:00"
    default_timezone: str = "UTC"
    dm_daily_cap: int = 10


@dataclass(slots=True)
class ExportSettings:
    """``[export]``: where the bot publishes the seed's own files after each fetch (empty = it does not),
    and the tags the Markdown tables are limited to (empty = every paper; the JSON always has every one)."""

    dir: str = ""
    categories: list[str] = field(default_factory=list)


@dataclass(slots=True)
class LLMSettings:
    """The optional OpenAI-compatible endpoint for bullet summaries and tags (``base_url`` empty = off).

    The key is not a field: it is read from ``PAPERBOY_LLM_API_KEY`` at use (:func:`llm_key_from_env`),
    so no dump of the settings can hold it.
    """

    base_url: str = ""
    model: str = ""
    max_concurrency: int = 4
    requests_per_minute: int = 60
    timeout_seconds: float = 120.0
    language: str = "English"
    input: str = "abstract"

    @property
    def enabled(self) -> bool:
        return bool(self.base_url.strip())

    @property
    def api_key(self) -> str | None:
        return llm_key_from_env()


LLM_INPUTS = ("abstract", "fulltext")


@dataclass(slots=True)
class Settings:
    database: str = "paperboy.db"
    timezone: str = "UTC"
    log_level: str = "INFO"
    hf: HFSettings = field(default_factory=HFSettings)
    arxiv: ArxivSettings = field(default_factory=ArxivSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    export: ExportSettings = field(default_factory=ExportSettings)
    llm: LLMSettings = field(default_factory=LLMSettings)
    source_file: str = ""

    @property
    def discord_token(self) -> str | None:
        """Read at use, from the environment only, so it is never stored on the settings object.

        Raises :class:`ConfigError` (without the value) for a token no Discord token can be.
        """
        return token_from_env()

    def redacted(self) -> dict:
        """The settings as a dict safe to print: no token, just whether one is set (and usable)."""
        d = asdict(self)
        try:
            d["discord"]["token"] = "set (hidden)" if self.discord_token else "not set"
        except ConfigError:
            d["discord"]["token"] = "set but unusable: it has spaces, line breaks or other characters (hidden)"
        d["llm"]["api_key"] = "set (hidden)" if llm_key_from_env() else "not set"
        return d


#: What a Discord token is made of: base64url segments joined by dots. Anything else (a line break from
#: a copied file, a space, a control or non-ASCII character) would only fail later, deep in aiohttp.
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_.\-]+")


def token_from_env() -> str | None:
    """``DISCORD_TOKEN`` without surrounding whitespace, None when unset; one sentence when malformed."""
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        return None
    if not _TOKEN_CHARS.fullmatch(token):
        raise ConfigError("DISCORD_TOKEN holds spaces, line breaks or other characters a Discord token never "
                          "has; copy the token again from the developer portal (Bot → Reset Token).")
    return token


LLM_KEY_ENV = "PAPERBOY_LLM_API_KEY"


def llm_key_from_env() -> str | None:
    """The LLM endpoint's API key from ``PAPERBOY_LLM_API_KEY`` (stripped), None when unset.

    Never a config key: a file gets committed, copied into bug reports and printed by ``paperboy config``.
    """
    return os.environ.get(LLM_KEY_ENV, "").strip() or None


def redact(text: str) -> str:
    """``text`` with the secrets (the Discord token and the LLM key: as set, as used after stripping,
    and each piece of them) replaced.

    The last line of defence, for output that could hold one by accident (a config dump, a log line,
    an error body a server echoed back).
    """
    for env, mark in (("DISCORD_TOKEN", "[token]"), (LLM_KEY_ENV, "[key]")):
        raw = os.environ.get(env, "")
        # The pieces too: a token refused for holding a line break is still a secret the user meant to keep.
        for secret in sorted({raw, raw.strip(), *raw.split()}, key=len, reverse=True):
            if len(secret) >= 8:  # a one-letter "token" would blank out every such letter in the text
                text = text.replace(secret, mark)
    return text


class RedactToken(logging.Filter):
    """A handler filter that takes the token out of every record (message, arguments and traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


#: A run of token characters this long could be (part of) a token; such values are never quoted back.
_SECRET_LOOKING = re.compile(r"[A-Za-z0-9_\-]{20,}")


def shown(value: object) -> str:
    """``value`` quoted for an error message, or a placeholder when it could be a secret or garble a terminal.

    Real mistakes (``"25:00"``, ``"Europe/Berln"``, ``"chatty"``) stay readable; a pasted token
    (segments of 24+ base64 characters) or anything long, multi-line or with control characters is not
    repeated.
    """
    return repr(value) if _safe_to_show(str(value)) else "the value given (not repeated here in case it is a secret)"


def _safe_to_show(text: str) -> bool:
    return len(text) <= 40 and text.isprintable() and not _SECRET_LOOKING.search(text)


_SECTIONS = {"huggingface": ("hf", HFSettings), "arxiv": ("arxiv", ArxivSettings),
             "schedule": ("schedule", ScheduleSettings), "discord": ("discord", DiscordSettings),
             "llm": ("llm", LLMSettings)}


def _coerce(key: str, value: object, default: object) -> object:
    """Check a value's type against the default's, so 'retries = "three"' is caught at start."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value  # type: ignore[arg-type]
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, list):
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    else:
        ok = isinstance(value, str)
    if not ok:
        # The kind of value found is named, never the value itself: it could be a token pasted in the wrong key.
        raise ConfigError(f"Config key '{key}' should be {_kind(default)}, not {_kind(value)}.")
    return value


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a whole number" if isinstance(value, int) else "a number"
    if isinstance(value, list):
        return "a list of text values" if all(isinstance(v, str) for v in value) else "a list holding other values"
    if isinstance(value, dict):
        return "a table"
    return "text" if isinstance(value, str) else f"a TOML {type(value).__name__}"


def _fill(obj: object, table: object, prefix: str) -> None:
    if not isinstance(table, dict):
        # The value itself is not echoed: it could be a token pasted in the wrong place.
        raise ConfigError(f"Config section '{prefix.rstrip('.')}' should be a table like [{prefix.rstrip('.')}], "
                          f"not {_kind(table)}.")
    for key, value in table.items():
        full = f"{prefix}{key}"
        _refuse_token_key(full)
        if key not in obj.__dataclass_fields__ or key == "source_file":  # type: ignore[attr-defined]
            raise ConfigError(f"Unknown config key {_key(full)}; see config.example.toml for the keys there are.")
        setattr(obj, key, _coerce(full, value, getattr(obj, key)))


def _refuse_token_key(full: str) -> None:
    """``token =`` anywhere (top level, any section, ``bot_token``, ``DISCORD_TOKEN``) gets the one refusal;
    an API key (``api_key``, ``llm.key``) gets the pointer to ``PAPERBOY_LLM_API_KEY``."""
    last = full.rsplit(".", 1)[-1].casefold()
    if last in ("key", "apikey", "secret") or last.endswith(("api_key", "_key", "-key")):
        raise ConfigError(f"Config key {_key(full)} is not allowed: put the LLM API key in the {LLM_KEY_ENV} "
                          "environment variable, never in a file.")
    if "token" in last:
        raise ConfigError(f"Config key {_key(full)} is not allowed: put the bot token in the DISCORD_TOKEN "
                          "environment variable, never in a file.")


def _key(full: str) -> str:
    """A key's name quoted; a key is a name we chose, but a pasted token can land there too."""
    return f"'{full}'" if _safe_to_show(full) else "(a key that looks like a secret; not repeated)"


def check_time(value: str, key: str) -> str:
    """``HH:MM`` 24-hour time, or a ConfigError naming the key."""
    try:
        return format_hhmm(parse_hhmm(value))
    except ValueError:
        raise ConfigError(f"Config key '{key}' should be a 24-hour time like 06:30, not {shown(value)}.") from None


def check_timezone(value: str, key: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"Config key '{key}' names an unknown time zone, {shown(value)} "
                          "(use a name like Europe/Berlin or UTC).") from None
    return value


def load_settings(path: str | Path | None = None, *, db: str | None = None) -> Settings:
    """Settings from ``path`` (or ``PAPERBOY_CONFIG``, or ./paperboy.toml if present), then env overrides."""
    settings = Settings()
    chosen = path or os.environ.get("PAPERBOY_CONFIG")
    if chosen is None:
        chosen = next((p for p in DEFAULT_CONFIG_PATHS if p.exists()), None)
    if chosen is not None:
        p = Path(chosen)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"Config file {p} does not exist.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"Config file {p} cannot be read: {exc}.") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"Config file {p} is not valid TOML: {exc}.") from None
        settings.source_file = str(p)
        for name in data:
            _refuse_token_key(name)  # a top-level `token = "…"` is the token refusal, not "unknown section"
        _fill(settings, data.get("paperboy", {}), "paperboy.")
        for name, table in data.items():
            if name == "paperboy":
                continue
            if name == "sources":
                if not isinstance(table, dict):
                    raise ConfigError("Config section 'sources' should hold [sources.huggingface] / [sources.arxiv].")
                for sub, subtable in table.items():
                    _refuse_token_key(f"sources.{sub}")
                    if sub not in ("huggingface", "arxiv"):
                        raise ConfigError(f"Unknown config section {_key(f'sources.{sub}')}.")
                    attr, _ = _SECTIONS[sub]
                    _fill(getattr(settings, attr), subtable, f"sources.{sub}.")
            elif name in ("schedule", "discord", "export", "llm"):
                _fill(getattr(settings, name), table, f"{name}.")
            else:
                raise ConfigError(f"Unknown config section {_key(name)}; see config.example.toml.")
    env = os.environ
    if env.get("PAPERBOY_DB"):
        settings.database = env["PAPERBOY_DB"]
    if env.get("PAPERBOY_HF_BASE_URL"):
        settings.hf.base_url = env["PAPERBOY_HF_BASE_URL"]
    if env.get("PAPERBOY_ARXIV_BASE_URL"):
        settings.arxiv.base_url = env["PAPERBOY_ARXIV_BASE_URL"]
    if db:
        settings.database = db
    check_timezone(settings.timezone, "paperboy.timezone")
    check_timezone(settings.schedule.timezone, "schedule.timezone")
    check_timezone(settings.discord.default_timezone, "discord.default_timezone")
    settings.schedule.fetch_time = check_time(settings.schedule.fetch_time, "schedule.fetch_time")
    settings.discord.default_post_time = check_time(settings.discord.default_post_time,
                                                    "discord.default_post_time")
    settings.log_level = settings.log_level.upper()
    if settings.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(f"Config key 'paperboy.log_level' should be DEBUG, INFO, WARNING or ERROR, "
                          f"not {shown(settings.log_level)}.")
    if not 1 <= settings.discord.dm_daily_cap <= 10:
        raise ConfigError("Config key 'discord.dm_daily_cap' must be between 1 and 10 (one DM holds 10 papers).")
    if settings.hf.retries < 0 or settings.arxiv.retries < 0:
        raise ConfigError("Config key 'retries' cannot be negative.")
    settings.export.categories = check_tags(settings.export.categories, "export.categories")
    if settings.export.dir.strip() and Path(settings.export.dir).expanduser().is_file():
        raise ConfigError(f"Config key 'export.dir' names a file, {shown(settings.export.dir)}; give a folder "
                          "(it is created when missing), or leave it empty to write nothing.")
    _check_llm(settings.llm)
    return settings


def check_tags(names: list[str], key: str) -> list[str]:
    """Tag names in the taxonomy's spelling (any case), or a ConfigError naming the closest real tags."""
    out: list[str] = []
    for name in names:
        try:
            tag = require_tag(name)
        except UnknownTagError as exc:
            hint = f" (did you mean {' or '.join(repr(s) for s in exc.suggestions)}?)" if exc.suggestions else ""
            raise ConfigError(f"Config key '{key}' names {shown(name)}, which is not a Hugging Face task tag"
                              f"{hint}; 'paperboy tags' lists them.") from None
        if tag not in out:
            out.append(tag)
    return out


def _check_llm(llm: LLMSettings) -> None:
    """The ``[llm]`` values that would only fail later, mid-run, refused at start in one sentence."""
    if os.environ.get("PAPERBOY_LLM_BASE_URL"):
        llm.base_url = os.environ["PAPERBOY_LLM_BASE_URL"]
    llm.base_url = llm.base_url.strip().rstrip("/")
    if llm.base_url and not re.match(r"https?://[^/\s]+", llm.base_url):
        raise ConfigError("Config key 'llm.base_url' should be an http(s) URL like http://localhost:11434/v1.")
    if llm.max_concurrency < 1:
        raise ConfigError("Config key 'llm.max_concurrency' must be at least 1.")
    if llm.requests_per_minute < 1:
        raise ConfigError("Config key 'llm.requests_per_minute' must be at least 1.")
    if not llm.timeout_seconds > 0:
        raise ConfigError("Config key 'llm.timeout_seconds' must be more than 0.")
    if llm.input not in LLM_INPUTS:
        raise ConfigError(f"Config key 'llm.input' should be \"abstract\" or \"fulltext\", not {shown(llm.input)}.")
    if not llm.language.strip():
        raise ConfigError("Config key 'llm.language' cannot be empty.")
