"""Settings from a TOML file plus the environment, validated once with errors that name the bad key.

The Discord token is read from ``DISCORD_TOKEN`` only: it never lives in a file we could commit, and
:meth:`Settings.redacted` is the only form of the settings that is ever printed or logged.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.clock import format_hhmm, parse_hhmm
from bot.errors import ConfigError

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
class Settings:
    database: str = "paperboy.db"
    timezone: str = "UTC"
    log_level: str = "INFO"
    hf: HFSettings = field(default_factory=HFSettings)
    arxiv: ArxivSettings = field(default_factory=ArxivSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    source_file: str = ""

    @property
    def discord_token(self) -> str | None:
        """Read at use, from the environment only, so it is never stored on the settings object."""
        token = os.environ.get("DISCORD_TOKEN", "").strip()
        return token or None

    def redacted(self) -> dict:
        """The settings as a dict safe to print: no token, just whether one is set."""
        d = asdict(self)
        d["discord"]["token"] = "set (hidden)" if self.discord_token else "not set"
        return d


_SECTIONS = {"huggingface": ("hf", HFSettings), "arxiv": ("arxiv", ArxivSettings),
             "schedule": ("schedule", ScheduleSettings), "discord": ("discord", DiscordSettings)}


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
        kind = type(default).__name__.replace("str", "text").replace("float", "number").replace("int", "whole number")
        raise ConfigError(f"Config key '{key}' should be a {kind}, not {value!r}.")
    return value


def _fill(obj: object, table: object, prefix: str) -> None:
    if not isinstance(table, dict):
        # The value itself is not echoed: it could be a token pasted in the wrong place.
        raise ConfigError(f"Config section '{prefix.rstrip('.')}' should be a table like [{prefix.rstrip('.')}], "
                          f"not a {type(table).__name__}.")
    for key, value in table.items():
        full = f"{prefix}{key}"
        if key == "token":
            raise ConfigError(f"Config key '{full}' is not allowed: put the bot token in the DISCORD_TOKEN "
                              "environment variable, never in a file.")
        if key not in obj.__dataclass_fields__ or key == "source_file":  # type: ignore[attr-defined]
            raise ConfigError(f"Unknown config key '{full}'; see config.example.toml for the keys there are.")
        setattr(obj, key, _coerce(full, value, getattr(obj, key)))


def check_time(value: str, key: str) -> str:
    """``HH:MM`` 24-hour time, or a ConfigError naming the key."""
    try:
        return format_hhmm(parse_hhmm(value))
    except ValueError:
        raise ConfigError(f"Config key '{key}' should be a 24-hour time like 06:30, not {value!r}.") from None


def check_timezone(value: str, key: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"Config key '{key}' names an unknown time zone {value!r} "
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
        _fill(settings, data.get("paperboy", {}), "paperboy.")
        for name, table in data.items():
            if name == "paperboy":
                continue
            if name == "sources":
                if not isinstance(table, dict):
                    raise ConfigError("Config section 'sources' should hold [sources.huggingface] / [sources.arxiv].")
                for sub, subtable in table.items():
                    if sub not in ("huggingface", "arxiv"):
                        raise ConfigError(f"Unknown config section 'sources.{sub}'.")
                    attr, _ = _SECTIONS[sub]
                    _fill(getattr(settings, attr), subtable, f"sources.{sub}.")
            elif name in ("schedule", "discord"):
                _fill(getattr(settings, name), table, f"{name}.")
            else:
                raise ConfigError(f"Unknown config section '{name}'; see config.example.toml.")
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
                          f"not {settings.log_level!r}.")
    if not 1 <= settings.discord.dm_daily_cap <= 10:
        raise ConfigError("Config key 'discord.dm_daily_cap' must be between 1 and 10 (one DM holds 10 papers).")
    if settings.hf.retries < 0 or settings.arxiv.retries < 0:
        raise ConfigError("Config key 'retries' cannot be negative.")
    return settings
