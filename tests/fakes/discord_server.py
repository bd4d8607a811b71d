"""A protocol-level fake of Discord's REST API and gateway on 127.0.0.1, for testing discord.py bots.

Why a protocol fake rather than mocks: what goes wrong between a bot and Discord goes wrong in the
protocol — a 429 and its headers, a 5xx that must be retried, a deleted channel answering 404, an
interaction answered twice or too late, a gateway that drops the connection and expects a RESUME.
Mocked discord.py objects exercise none of that. Here the *real* discord.py client runs its real HTTP,
rate-limit, webhook and gateway code against a Discord that a test can script and inspect.

In tests::

    async with FakeDiscord() as fake, run_bot(bot, fake):
        await bot.tree.sync()
        itx = await fake.invoke_command("ping")
        response = await itx            # the callback: {"type": 4, "data": {...}}
        assert response["data"]["flags"] & 64

``run_bot`` is the recipe for starting a bot against the fake; by hand it is:

1. ``with fake.patch_discord():`` — points ``discord.http.Route.BASE`` at ``http://127.0.0.1:PORT/api/v10``
   and ``DiscordWebSocket.DEFAULT_GATEWAY`` at ``ws://127.0.0.1:PORT/gateway``, restoring both after.
2. ``bot._connection.guild_ready_timeout = 0.05`` — discord.py otherwise waits 2 s after READY for
   more GUILD_CREATEs before it fires ``on_ready``.
3. ``bot.before_identify_hook = <async no-op>`` — the default sleeps 5 s before every IDENTIFY but the
   first, so a test of op 9 (invalid session) would take 5 s.
4. ``task = asyncio.create_task(bot.start("any-token"))`` and poll ``bot.is_ready()`` while watching the
   task (``bot.wait_until_ready()`` raises if called before ``login`` has set the client up).
5. ``await bot.close(); await task`` — before the fake stops, or the client keeps reconnecting.

State is plain dicts keyed by int ids holding Discord-shaped JSON payloads (ids as strings, as on the
wire), so tests read exactly what the bot sent: ``fake.messages``, ``fake.channels`` (guild channels,
threads and DMs), ``fake.guilds``, ``fake.users``, ``fake.members``, ``fake.roles``,
``fake.global_commands``/``fake.guild_commands``, ``fake.interactions``, ``fake.requests``.

Sharding: ``FakeDiscord(shard_count=N)`` answers ``GET /gateway/bot`` with ``"shards": N``; each IDENTIFY
with ``shard: [id, count]`` opens that shard's own session, whose READY lists the guilds with
``(guild_id >> 22) % count == id``, as Discord does. Guild events go to the session of the guild's shard,
DMs and DM interactions to shard 0. ``add_guild`` spreads new guilds over the shards round-robin (or puts
one on ``shard=``), ``add_guilds(n)`` builds thousands cheaply, and a shard that would hold more than
``max_guilds_per_shard`` (Discord: 2,500) guilds is refused with close code 4011 (sharding required).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import unquote

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import BodyPartReader, WSMsgType, web

DISCORD_EPOCH_MS = 1420070400000
API_VERSION = 10

# Permission bits (https://discord.com/developers/docs/topics/permissions)
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CONNECT = 1 << 20
SPEAK = 1 << 21
CHANGE_NICKNAME = 1 << 26
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 53) - 1

EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CONNECT
    | SPEAK
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)
BOT_ROLE_PERMISSIONS = EVERYONE_PERMISSIONS | MANAGE_MESSAGES | MANAGE_THREADS | CREATE_PRIVATE_THREADS
DM_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY | ADD_REACTIONS

# Channel types
GUILD_TEXT, DM, GUILD_CATEGORY, GUILD_NEWS = 0, 1, 4, 5
NEWS_THREAD, PUBLIC_THREAD, PRIVATE_THREAD = 10, 11, 12
THREAD_TYPES = frozenset({NEWS_THREAD, PUBLIC_THREAD, PRIVATE_THREAD})

# Message flags
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_HAS_THREAD = 1 << 5
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7

# Interaction and callback types
ITX_PING, ITX_COMMAND, ITX_COMPONENT, ITX_AUTOCOMPLETE, ITX_MODAL_SUBMIT = 1, 2, 3, 4, 5
CB_MESSAGE, CB_DEFER, CB_DEFER_UPDATE, CB_UPDATE, CB_AUTOCOMPLETE, CB_MODAL = 4, 5, 6, 7, 8, 9
ALLOWED_CALLBACKS = {
    ITX_COMMAND: {CB_MESSAGE, CB_DEFER, CB_MODAL},
    ITX_COMPONENT: {CB_MESSAGE, CB_DEFER, CB_DEFER_UPDATE, CB_UPDATE, CB_MODAL},
    ITX_AUTOCOMPLETE: {CB_AUTOCOMPLETE},
    ITX_MODAL_SUBMIT: {CB_MESSAGE, CB_DEFER, CB_DEFER_UPDATE, CB_UPDATE},
}

MESSAGE_BUCKET = "f4k3c4a5e5b0c7e7"  # X-RateLimit-Bucket of POST /channels/{id}/messages
COMMAND_NAME_RE = re.compile(r"^[-_\w]{1,32}$")


class _HostClock:
    """The host's time: the fake's default clock (a test passes a ``bot.clock.FixedClock`` instead)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ClockLike(Protocol):
    def now(self) -> datetime: ...


def _normalise_path(path: str) -> str:
    """``/channels/{id}/messages`` and ``/channels/{channel_id}/messages`` name the same route."""
    path = re.sub(r"^/api/v\d+", "", path)
    return re.sub(r"\{[^}/]*\}", "{}", path)


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """A JSON response whose Content-Type is exactly ``application/json``.

    discord.py parses a body as JSON only when the header equals that string; aiohttp's own
    ``json_response`` appends ``; charset=utf-8`` and discord.py would then see a str, so a 429 would
    not be retried and a message payload would not parse.
    """
    merged = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(status=status, body=json.dumps(data).encode(), headers=merged)


class ApiError(Exception):
    """An error answer in Discord's shape: ``{"message", "code"[, "errors"]}``."""

    def __init__(
        self,
        status: int,
        message: str,
        code: int = 0,
        *,
        errors: dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {message} (code {code})")
        self.status, self.message, self.code = status, message, code
        self.errors, self.headers = errors, dict(headers or {})

    def response(self) -> web.Response:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return json_response(body, self.status, self.headers)


def unknown_channel() -> ApiError:
    return ApiError(404, "Unknown Channel", 10003)


def unknown_message() -> ApiError:
    return ApiError(404, "Unknown Message", 10008)


def missing_permissions() -> ApiError:
    return ApiError(403, "Missing Permissions", 50013)


def missing_access() -> ApiError:
    return ApiError(403, "Missing Access", 50001)


class _Form:
    """Collects field errors into Discord's nested ``errors`` object for a 400 code 50035."""

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}

    def add(self, path: tuple[Any, ...], code: str, message: str) -> None:
        node = self.errors
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_len(self, path: tuple[Any, ...], value: Any, limit: int) -> int:
        n = len(value) if isinstance(value, str) else 0
        if n > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
        return n

    def length_between(self, path: tuple[Any, ...], value: Any, low: int, high: int) -> None:
        n = len(value) if isinstance(value, str) else 0
        if not low <= n <= high:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def check(self) -> None:
        if self.errors:
            raise ApiError(400, "Invalid Form Body", 50035, errors=self.errors)


@dataclass(slots=True)
class Fault:
    """A scripted answer served instead of the normal one to a single request.

    ``body`` is JSON-encoded unless it is a str (then sent as ``content_type``); ``delay`` stalls first.
    ``handle`` does the request's real work first (the fault is about the answer, not the request);
    ``hold`` keeps the answer back until ``fake.release_held()`` or the fake closes, as when the bot's
    process dies, or its connection drops, while Discord is (or is not yet) working on the request.
    """

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "application/json"
    handle: bool = False
    hold: bool = False

    @classmethod
    def passed(cls) -> Fault:
        """No fault: the request is served normally (a placeholder to let earlier requests through)."""
        return cls(0, handle=True)

    @classmethod
    def answer_lost(cls) -> Fault:
        """Discord does the work (the message exists) but its answer never reaches the bot."""
        return cls(0, handle=True, hold=True)

    @classmethod
    def never_handled(cls) -> Fault:
        """The request reaches Discord but nothing is done before the bot is gone (a 504 if released)."""
        return cls(504, {"message": "504: Gateway Timeout", "code": 0}, hold=True)

    @classmethod
    def rate_limited(cls, retry_after: float = 0.05, *, global_: bool = False, limit: int = 5) -> Fault:
        """A 429 as Discord's edge sends it. discord.py retries a 429 only when it has a ``Via`` header and
        a JSON body with ``retry_after``; without them it assumes a Cloudflare ban and raises."""
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Scope": "global" if global_ else "user",
        }
        if global_:
            headers["X-RateLimit-Global"] = "true"
        else:
            headers.update(_bucket_headers(limit, 0, retry_after))
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": global_}
        return cls(429, body, headers)

    @classmethod
    def cloudflare_ban(cls) -> Fault:
        """A 429 from Cloudflare (HTML, no ``Via``): discord.py must raise rather than retry."""
        return cls(429, "<html><body>error code: 1015</body></html>", {}, content_type="text/html")

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        return cls(status, {"message": f"{status}: Internal Server Error", "code": 0})

    @classmethod
    def error(cls, status: int, message: str, code: int = 0) -> Fault:
        return cls(status, {"message": message, "code": code})

    @classmethod
    def for_status(
        cls,
        status: int,
        *,
        retry_after: float = 0.05,
        global_: bool = False,
        code: int | None = None,
        message: str | None = None,
    ) -> Fault:
        """The usual body for ``status``: 429 rate limit, 403 Missing Permissions (50013), 404 Unknown
        Channel (10003), 401 Unauthorized, 400 Invalid Form Body, 5xx server errors."""
        if status == 429:
            return cls.rate_limited(retry_after, global_=global_)
        defaults = {
            400: ("Invalid Form Body", 50035),
            401: ("401: Unauthorized", 0),
            403: ("Missing Permissions", 50013),
            404: ("Unknown Channel", 10003),
        }
        if status >= 500 and message is None and code is None:
            return cls.server_error(status)
        default_message, default_code = defaults.get(status, (f"{status}: Error", 0))
        return cls.error(status, message or default_message, default_code if code is None else code)

    def response(self) -> web.Response:
        headers = dict(self.headers)
        if isinstance(self.body, str):
            headers.setdefault("Content-Type", self.content_type)
            return web.Response(status=self.status, body=self.body.encode(), headers=headers)
        return json_response(self.body if self.body is not None else {}, self.status, headers)


def _bucket_headers(limit: int, remaining: int, reset_after: float) -> dict[str, str]:
    """The per-route bucket headers discord.py's ``Ratelimit.update`` reads; it uses ``Reset-After``
    (``Reset`` only with ``assume_unsync_clock=False``) and keys buckets by ``X-RateLimit-Bucket``."""
    reset_after = math.ceil(max(reset_after, 0.0) * 1000) / 1000
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": MESSAGE_BUCKET,
    }


@dataclass(slots=True)
class RequestRecord:
    """One REST request as the fake saw it. ``route`` is the matched template (``None`` if unknown)."""

    method: str
    path: str
    route: str | None
    query: dict[str, str]
    json: Any
    files: list[str]
    time: float
    headers: dict[str, str] = field(repr=False, default_factory=dict)
    status: int = 0


@dataclass(eq=False)
class FakeInteraction:
    """An interaction the fake dispatched, and everything the bot did with it.

    ``await itx`` (or ``await itx.wait_response()``) gives the callback ``{"type", "data"}``;
    ``original`` is the response message (for a defer, the loading message until it is edited);
    ``followups`` the follow-up messages; ``edits`` every PATCH to ``@original`` or a follow-up.
    """

    fake: FakeDiscord = field(repr=False)
    id: int
    token: str = field(repr=False)
    type: int
    name: str | None
    payload: dict[str, Any] = field(repr=False)
    guild_id: int | None
    channel_id: int
    user_id: int
    created: float
    callback: dict[str, Any] | None = None
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)

    @property
    def original(self) -> dict[str, Any] | None:
        mid = self.original_message_id
        return None if mid is None else self.fake.messages.get(mid) or self.fake.deleted_messages.get(mid)

    @property
    def followups(self) -> list[dict[str, Any]]:
        return [self.fake.messages.get(i) or self.fake.deleted_messages[i] for i in self.followup_ids]

    async def wait_response(self, timeout: float = 5.0) -> dict[str, Any]:
        await self.fake.wait_for(lambda: self.callback is not None, timeout, f"a callback to {self}")
        assert self.callback is not None
        return self.callback

    async def wait_followups(self, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        await self.fake.wait_for(lambda: len(self.followup_ids) >= count, timeout, f"{count} follow-up(s) to {self}")
        return self.followups

    async def wait_edits(self, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        await self.fake.wait_for(lambda: len(self.edits) >= count, timeout, f"{count} edit(s) of {self}'s messages")
        return self.edits

    def __await__(self) -> Any:
        return self.wait_response().__await__()

    def __str__(self) -> str:
        what = f"/{self.name}" if self.name else f"type {self.type}"
        return f"interaction {self.id} ({what})"


@dataclass(eq=False)
class _Session:
    id: str
    shard: int = 0
    shard_count: int = 1
    seq: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)
    resumable: bool = True


@dataclass(eq=False)
class _Conn:
    ws: web.WebSocketResponse
    path: str
    query: dict[str, str]
    session: _Session | None = None
    live: bool = False
    close_code: int | None = None


@dataclass(slots=True)
class _Call:
    method: str
    path: str
    params: dict[str, str]
    query: Mapping[str, str]
    json: Any
    files: list[dict[str, Any]]


Handler = Callable[[_Call], Awaitable[web.Response]]


@dataclass(slots=True)
class _Route:
    method: str
    template: str
    regex: re.Pattern[str]
    handler: Handler


class FakeDiscord:
    """The fake Discord: an aiohttp app on 127.0.0.1 serving ``/api/v10/...`` and the gateway.

    It starts with one application whose bot user has the same id (as for apps made since 2021), one
    guild (``guild_id``) owned by a human user (``user_id``) with text channels ``general``
    (``channel_id``) and ``papers``, an ``@everyone`` role and a managed bot role without
    Administrator (so channel overwrites matter, as they do for a real bot).

    ``enforce_rate_limits`` turns on a global limit (``global_rate_limit`` requests per second, not
    counting interaction and webhook routes, as on Discord) and a per-channel bucket for sending
    messages (``message_limit`` per ``message_window`` seconds), with the bucket headers on every
    answer so discord.py can wait pre-emptively. ``echo_events`` sends the gateway events Discord
    sends after REST calls (MESSAGE_CREATE/UPDATE/DELETE, THREAD_CREATE). ``interaction_timeout`` is
    how long after dispatch a callback is still accepted (Discord: 3 s), ``None`` for no limit.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        heartbeat_interval: int = 41250,
        enforce_rate_limits: bool = False,
        global_rate_limit: int = 50,
        message_limit: int = 5,
        message_window: float = 5.0,
        echo_events: bool = True,
        interaction_timeout: float | None = 3.0,
        bot_name: str = "paperboy",
        bot_permissions: int = BOT_ROLE_PERMISSIONS,
        clock: ClockLike | None = None,
        nonce_window: float = 300.0,
        shard_count: int = 1,
        max_guilds_per_shard: int = 2500,
    ) -> None:
        self.host, self.port = host, port
        #: What ``GET /gateway/bot`` recommends (``shards``); new guilds are spread over this many shards.
        self.shard_count = shard_count
        self.max_guilds_per_shard = max_guilds_per_shard
        self.clock: ClockLike = clock or _HostClock()
        self.nonce_window = nonce_window
        self.token = token  # None: any token logs in
        self.heartbeat_interval = heartbeat_interval
        self.enforce_rate_limits = enforce_rate_limits
        self.global_rate_limit = global_rate_limit
        self.message_limit, self.message_window = message_limit, message_window
        self.echo_events = echo_events
        self.interaction_timeout = interaction_timeout
        self.ack_heartbeats = True

        # -- state (Discord-shaped payloads keyed by int id) --
        self.users: dict[int, dict[str, Any]] = {}
        self.guilds: dict[int, dict[str, Any]] = {}
        self.roles: dict[int, dict[int, dict[str, Any]]] = {}
        self.members: dict[int, dict[int, dict[str, Any]]] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.deleted_messages: dict[int, dict[str, Any]] = {}
        self.message_edits: list[dict[str, Any]] = []
        self.reactions: list[dict[str, Any]] = []
        #: The bytes of every uploaded attachment, by attachment id (Discord's CDN, for tests to read back).
        self.attachment_data: dict[str, bytes] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.command_syncs: list[dict[str, Any]] = []
        self.interactions: dict[int, FakeInteraction] = {}
        self.deleted_channels: set[int] = set()
        self.dms_closed: set[int] = set()
        self.held = 0  # requests whose answer is being held back (Fault.hold)

        # -- logs and counters --
        self.requests: list[RequestRecord] = []
        self.unknown_routes: list[RequestRecord] = []
        self.served_429 = 0
        self.served_429_global = 0
        self.identify_count = 0
        self.resume_count = 0
        self.ready_count = 0
        self.resumed_count = 0
        self.heartbeat_count = 0
        self.identify_payloads: list[dict[str, Any]] = []
        self.presence_updates: list[dict[str, Any]] = []
        self.gateway_connections: list[dict[str, Any]] = []
        self.events_sent: list[tuple[str, dict[str, Any]]] = []

        self._faults: dict[tuple[str, str], deque[Fault]] = {}
        self._routes: list[_Route] = []
        self._conns: list[_Conn] = []
        self._sessions: dict[int, _Session] = {}  # shard id → its current session
        self._guild_channel_ids: dict[int, list[int]] = {}  # guild → its channels and threads, oldest first
        self._guild_serial = 0  # guilds placed so far (round-robin over shards; unique low id bits)
        self._emit_lock = asyncio.Lock()
        self._changed = asyncio.Event()
        self._last_snowflake = 0
        self._release = asyncio.Event()
        self._nonces: dict[tuple[str, str], tuple[float, int]] = {}  # (author, nonce) → (when, message id)
        self._global_window = (0.0, 0)
        self._message_buckets: dict[str, tuple[float, int]] = {}
        self._runner: web.AppRunner | None = None
        self._register_routes()

        self.app_id = self.bot_id = self.add_user(bot_name, bot=True, global_name=bot_name.title())
        self.user_id = self.add_user("alice", global_name="Alice")
        self.guild_id = self.add_guild("Paperboy Test Guild", owner_id=self.user_id, bot_permissions=bot_permissions)
        self.channel_id = self.add_text_channel(self.guild_id, "general")
        self.add_text_channel(self.guild_id, "papers")

    # ---------------------------------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` must be: ``http://127.0.0.1:PORT/api/v10``."""
        return f"{self.url}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        """Sent in READY; a different path than ``gateway_url`` so a test can see the client used it."""
        return f"ws://{self.host}:{self.port}/gateway-resume"

    async def start(self) -> FakeDiscord:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/gateway-resume", self._gateway)
        app.router.add_route("*", r"/api/v{version:\d+}/{tail:.*}", self._handle_rest)
        app.router.add_route("*", "/{tail:.*}", self._handle_rest)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        self.release_held()
        for conn in list(self._conns):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001, message=b"fake shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[FakeDiscord]:
        """Point discord.py's REST base and default gateway at this fake for the ``with`` block.

        ``Route.BASE`` is read each time a route is built (webhooks and interaction follow-ups use the
        same ``Route``), and ``DEFAULT_GATEWAY`` is where discord.py connects first and after op 9.
        """
        route, ws = discord.http.Route, discord.gateway.DiscordWebSocket
        saved = route.BASE, ws.DEFAULT_GATEWAY
        route.BASE = self.api_base
        ws.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield self
        finally:
            route.BASE, ws.DEFAULT_GATEWAY = saved

    # --------------------------------------------------------------------------------- world building

    def _now(self) -> datetime:
        return self.clock.now()

    def _now_iso(self) -> str:
        return self._now().isoformat()

    def snowflake(self) -> int:
        """A fresh, increasing snowflake carrying the fake's clock (discord.py reads message ages; the bot
        compares snowflakes with its own clock, so a test gives both the same ``clock``)."""
        value = (int(self._now().timestamp() * 1000) - DISCORD_EPOCH_MS) << 22
        value = max(value, self._last_snowflake + 1)
        self._last_snowflake = value
        return value

    def add_user(self, username: str, *, bot: bool = False, global_name: str | None = None) -> int:
        uid = self.snowflake()
        self.users[uid] = {
            "id": str(uid),
            "username": username,
            "discriminator": "0",
            "global_name": global_name,
            "avatar": None,
            "bot": bot,
            "system": False,
            "public_flags": 0,
        }
        return uid

    def _guild_snowflake(self, shard: int | None) -> int:
        """A fresh guild id; with several shards one whose ``(id >> 22) % shard_count`` is ``shard``
        (default: round-robin), taken up to ``shard_count - 1`` ms before now, so it never runs ahead of
        the clock the bot compares snowflakes with. Its low 22 bits (high bit set, then a serial) keep it
        apart from every id :meth:`snowflake` hands out."""
        serial, self._guild_serial = self._guild_serial, self._guild_serial + 1
        if self.shard_count <= 1 and shard is None:
            return self.snowflake()
        count = max(1, self.shard_count)
        target = (serial if shard is None else shard) % count
        ms = (self.snowflake() >> 22) - 1
        ms -= (ms - target) % count
        return (ms << 22) | (1 << 21) | (serial & ((1 << 21) - 1))

    def shard_of(self, guild_id: int, shard_count: int | None = None) -> int:
        """The shard Discord routes a guild to: ``(guild_id >> 22) % shard_count``."""
        return (guild_id >> 22) % (shard_count or self._connected_shard_count())

    def add_guilds(self, count: int, *, channels: int = 1, roles: int = 0, name: str = "Guild") -> list[int]:
        """``count`` guilds spread round-robin over the shards, each with ``channels`` text channels and
        ``roles`` roles beside ``@everyone`` and the bot's — cheap enough for 10,000 (no scan of existing
        channels per guild)."""
        ids = []
        for i in range(count):
            gid = self.add_guild(f"{name} {i}")
            for c in range(channels):
                self.add_text_channel(gid, f"channel-{c}")
            for r in range(roles):
                self.add_role(gid, f"role-{r}", EVERYONE_PERMISSIONS)
            ids.append(gid)
        return ids

    def add_guild(self, name: str, *, owner_id: int | None = None, bot_permissions: int = BOT_ROLE_PERMISSIONS,
                  shard: int | None = None) -> int:
        """A guild the bot is in: ``@everyone`` (id = guild id), a managed bot role, the bot as member;
        on shard ``shard`` of ``shard_count`` (default: the next one round-robin)."""
        gid = self._guild_snowflake(shard)
        owner_id = owner_id or self.user_id
        self.guilds[gid] = {
            "id": str(gid),
            "name": name,
            "icon": None,
            "owner_id": str(owner_id),
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "features": [],
            "emojis": [],
            "stickers": [],
            "system_channel_id": None,
            "description": None,
        }
        self.roles[gid] = {}
        self.members[gid] = {}
        self._guild_channel_ids[gid] = []
        self.add_role(gid, "@everyone", EVERYONE_PERMISSIONS, role_id=gid)
        bot_role = self.add_role(gid, self.users[self.bot_id]["username"], bot_permissions, managed=True)
        self.add_member(gid, self.bot_id, roles=[bot_role])
        if owner_id != self.bot_id:
            self.add_member(gid, owner_id)
        return gid

    def add_role(
        self, guild_id: int, name: str, permissions: int = 0, *, role_id: int | None = None, managed: bool = False
    ) -> int:
        rid = role_id or self.snowflake()
        self.roles[guild_id][rid] = {
            "id": str(rid),
            "name": name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": len(self.roles[guild_id]),
            "permissions": str(permissions),
            "managed": managed,
            "mentionable": False,
            "flags": 0,
        }
        if managed:
            self.roles[guild_id][rid]["tags"] = {"bot_id": str(self.bot_id)}
        return rid

    def add_member(
        self, guild_id: int, user_id: int, *, roles: list[int] | tuple[int, ...] = (), nick: str | None = None
    ) -> None:
        self.members[guild_id][user_id] = {
            "roles": [str(r) for r in roles],
            "nick": nick,
            "avatar": None,
            "joined_at": self._now_iso(),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }

    def add_text_channel(
        self,
        guild_id: int,
        name: str,
        *,
        type: int = GUILD_TEXT,
        topic: str | None = None,
        parent_id: int | None = None,
    ) -> int:
        cid = self.snowflake()
        in_guild = self._guild_channel_ids.setdefault(guild_id, [])
        self.channels[cid] = {
            "id": str(cid),
            "type": type,
            "guild_id": str(guild_id),
            "name": name,
            "position": len(in_guild),
            "permission_overwrites": [],
            "topic": topic,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "parent_id": None if parent_id is None else str(parent_id),
            "default_auto_archive_duration": 1440,
            "flags": 0,
        }
        in_guild.append(cid)
        return cid

    def add_message(self, channel_id: int, content: str, *, author_id: int | None = None) -> int:
        """Seed a message written by someone (default: ``user_id``), e.g. to reply to or thread from."""
        record = self._create_message(
            self.channels[channel_id], {"content": content}, [], author_id=author_id or self.user_id
        )
        return int(record["id"])

    def delete_channel(self, channel_id: int) -> None:
        """From now on every request on this channel answers 404 Unknown Channel (10003), as after an admin
        deletes it. To tell the bot's cache too: ``await fake.dispatch("CHANNEL_DELETE", payload)``."""
        self.deleted_channels.add(channel_id)

    def forbid_channel(self, channel_id: int, deny: int = SEND_MESSAGES | SEND_MESSAGES_IN_THREADS) -> None:
        """Deny the bot ``deny`` in this channel by a member overwrite, so sends answer 403 Missing
        Permissions (50013). To update the bot's cache: ``await fake.dispatch("CHANNEL_UPDATE", ...)``."""
        overwrites = self.channels[channel_id]["permission_overwrites"]
        overwrites[:] = [o for o in overwrites if o["id"] != str(self.bot_id)]
        overwrites.append({"id": str(self.bot_id), "type": 1, "allow": "0", "deny": str(deny)})

    def close_dms(self, user_id: int) -> None:
        """The user does not accept DMs: opening the DM channel works, sending answers 403 code 50007."""
        self.dms_closed.add(user_id)

    # ----------------------------------------------------------------------------------- inspection

    def messages_in(self, channel_id: int, *, include_ephemeral: bool = False) -> list[dict[str, Any]]:
        """Live (not deleted) messages in a channel, oldest first."""
        return [
            m
            for m in self.messages.values()
            if m["channel_id"] == str(channel_id) and (include_ephemeral or not m["flags"] & FLAG_EPHEMERAL)
        ]

    def calls(self, method: str, path: str) -> list[RequestRecord]:
        """Requests by method and path, either concrete (``/channels/1/messages``) or a template
        (``/channels/{id}/messages``; placeholder names do not matter)."""
        method = method.upper()
        if "{" in path:
            norm = _normalise_path(path)
            return [r for r in self.requests if r.method == method and r.route and _normalise_path(r.route) == norm]
        path = re.sub(r"^/api/v\d+", "", path)
        return [r for r in self.requests if r.method == method and r.path == path]

    def command(self, name: str, *, guild_id: int | None = None, type: int = 1) -> dict[str, Any] | None:
        """The registered command called ``name``: the guild's if ``guild_id`` has one, else the global."""
        pools = [self.guild_commands.get(guild_id, [])] if guild_id is not None else []
        pools.append(self.global_commands)
        for pool in pools:
            for cmd in pool:
                if cmd["name"] == name and cmd.get("type", 1) == type:
                    return cmd
        return None

    @property
    def threads(self) -> dict[int, dict[str, Any]]:
        return {cid: c for cid, c in self.channels.items() if c["type"] in THREAD_TYPES}

    @property
    def dm_channels(self) -> dict[int, dict[str, Any]]:
        return {cid: c for cid, c in self.channels.items() if c["type"] == DM}

    @property
    def last_interaction(self) -> FakeInteraction | None:
        return next(reversed(self.interactions.values()), None)

    def permissions_for(self, user_id: int, channel_id: int) -> int:
        """Discord's permission algorithm: owner, base roles, Administrator, then channel overwrites
        (a thread uses its parent's) for @everyone, the member's roles, and the member."""
        channel = self.channels[channel_id]
        if channel["type"] == DM:
            return DM_PERMISSIONS
        if channel["type"] in THREAD_TYPES and channel.get("parent_id"):
            channel = self.channels.get(int(channel["parent_id"]), channel)
        gid = int(channel["guild_id"])
        if str(user_id) == self.guilds[gid]["owner_id"]:
            return ALL_PERMISSIONS
        perms = self._base_permissions(gid, user_id)
        if perms & ADMINISTRATOR:
            return ALL_PERMISSIONS
        member_roles = set(self.members[gid].get(user_id, {}).get("roles", []))
        overwrites = channel.get("permission_overwrites", [])
        for ow in overwrites:
            if ow["id"] == str(gid):
                perms = (perms & ~int(ow["deny"])) | int(ow["allow"])
        allow = deny = 0
        for ow in overwrites:
            if ow["type"] == 0 and ow["id"] in member_roles:
                allow, deny = allow | int(ow["allow"]), deny | int(ow["deny"])
        perms = (perms & ~deny) | allow
        for ow in overwrites:
            if ow["type"] == 1 and ow["id"] == str(user_id):
                perms = (perms & ~int(ow["deny"])) | int(ow["allow"])
        return perms

    def _base_permissions(self, guild_id: int, user_id: int) -> int:
        roles = self.roles[guild_id]
        perms = int(roles[guild_id]["permissions"])
        for rid in self.members[guild_id].get(user_id, {}).get("roles", []):
            perms |= int(roles[int(rid)]["permissions"]) if int(rid) in roles else 0
        return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "a condition") -> Any:
        """Wait until ``predicate()`` is truthy and return its value; on timeout say what was awaited and
        what the fake last saw. It is re-checked on every request or gateway message the fake handles,
        and every 20 ms besides, so predicates over the bot's own state (its cache) work too."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (result := predicate()):
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}{self._debug_tail()}")
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(remaining, 0.02))
        return result

    async def wait_response(self, interaction_id: int, timeout: float = 5.0) -> dict[str, Any]:
        return await self.interactions[interaction_id].wait_response(timeout)

    async def wait_connected(self, timeout: float = 5.0, *, shard: int = 0) -> None:
        """Wait until ``shard``'s gateway connection has IDENTIFYed or RESUMEd (the bot can receive events)."""
        await self.wait_for(lambda: self._live_conn(shard), timeout, f"a live gateway connection (shard {shard})")

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _debug_tail(self) -> str:
        tail = [f"{r.method} {r.path} -> {r.status}" for r in self.requests[-6:]]
        unknown = [f"{r.method} {r.path}" for r in self.unknown_routes]
        return f"; last requests: {tail}" + (f"; UNKNOWN ROUTES: {unknown}" if unknown else "")

    # -------------------------------------------------------------------------------- fault injection

    def script(self, method: str, path: str, *faults: Fault) -> None:
        """Queue ``faults`` for the next requests to ``method path``. ``path`` is concrete
        (``/channels/123/messages``: only that channel) or a template (``/channels/{id}/messages``)."""
        method = method.upper()
        path = re.sub(r"^/api/v\d+", "", path)
        if "{" in path:
            key = _normalise_path(path)
            if not any(r.method == method and _normalise_path(r.template) == key for r in self._routes):
                raise ValueError(f"FakeDiscord has no route {method} {path}; faults there would never fire")
        else:
            key = path
            if self._match(method, path) is None:
                raise ValueError(f"FakeDiscord has no route matching {method} {path}")
        self._faults.setdefault((method, key), deque()).extend(faults)

    def fail_next(
        self,
        method: str,
        path: str,
        status: int = 500,
        *,
        times: int = 1,
        retry_after: float = 0.05,
        global_: bool = False,
        code: int | None = None,
        message: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next ``times`` requests to ``method path`` with ``status`` and Discord's body for
        it (see ``Fault.for_status``); a 429 carries ``Via``, bucket headers and ``retry_after``."""
        fault = Fault.for_status(status, retry_after=retry_after, global_=global_, code=code, message=message)
        fault.delay = delay
        self.script(method, path, *[fault] * times)

    def release_held(self) -> None:
        """Let every answer held back by a ``hold`` fault go (to a client that is usually gone by then)."""
        self._release.set()
        self._release = asyncio.Event()

    async def _hold(self) -> None:
        self.held += 1
        self._notify()
        try:
            await self._release.wait()
        finally:
            self.held -= 1

    def _take_fault(self, method: str, route: _Route, path: str) -> Fault | None:
        for key in ((method, path), (method, _normalise_path(route.template))):
            queue = self._faults.get(key)
            if queue:
                return queue.popleft()
        return None

    def _rate_limit(self, method: str, route: _Route, call: _Call) -> tuple[web.Response | None, dict[str, str]]:
        """Enforce the global and per-channel message limits; returns (a 429 or None, headers to add)."""
        now = time.monotonic()
        if not call.path.startswith(("/interactions/", "/webhooks/")):
            start, count = self._global_window
            if now - start >= 1.0:
                start, count = now, 0
            if count >= self.global_rate_limit:
                retry = round(1.0 - (now - start), 3)
                self.served_429_global += 1
                body = {"message": "You are being rate limited.", "retry_after": retry, "global": True}
                headers = {
                    "Via": "1.1 google",
                    "X-RateLimit-Global": "true",
                    "X-RateLimit-Scope": "global",
                    "Retry-After": str(max(1, math.ceil(retry))),
                }
                return json_response(body, 429, headers), {}
            self._global_window = (start, count + 1)
        if method != "POST" or route.template != "/channels/{channel_id}/messages":
            return None, {}
        cid = call.params["channel_id"]
        start, count = self._message_buckets.get(cid, (now, 0))
        if now - start >= self.message_window:
            start, count = now, 0
        reset_after = self.message_window - (now - start)
        if count >= self.message_limit:
            headers = _bucket_headers(self.message_limit, 0, reset_after)
            headers.update(
                {"Via": "1.1 google", "X-RateLimit-Scope": "user", "Retry-After": str(max(1, math.ceil(reset_after)))}
            )
            body = {"message": "You are being rate limited.", "retry_after": round(reset_after, 3), "global": False}
            return json_response(body, 429, headers), {}
        self._message_buckets[cid] = (start, count + 1)
        return None, _bucket_headers(self.message_limit, self.message_limit - count - 1, reset_after)

    # ------------------------------------------------------------------------------------- REST core

    def _route(self, method: str, template: str, handler: Handler) -> None:
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self._routes.append(_Route(method, template, re.compile(f"^{pattern}$"), handler))

    def _match(self, method: str, path: str) -> tuple[_Route, dict[str, str]] | None:
        for route in self._routes:
            if route.method == method and (m := route.regex.match(path)):
                return route, {k: unquote(v) for k, v in m.groupdict().items()}
        return None

    def _register_routes(self) -> None:
        r = self._route
        r("GET", "/users/@me", self._get_me)
        r("POST", "/users/@me/channels", self._open_dm)
        r("GET", "/users/{user_id}", self._get_user)
        r("GET", "/oauth2/applications/@me", self._get_application)
        r("GET", "/gateway", self._get_gateway)
        r("GET", "/gateway/bot", self._get_gateway_bot)
        for prefix in ("/applications/{application_id}", "/applications/{application_id}/guilds/{guild_id}"):
            r("GET", prefix + "/commands", self._get_commands)
            r("PUT", prefix + "/commands", self._put_commands)
            r("POST", prefix + "/commands", self._post_command)
            r("DELETE", prefix + "/commands/{command_id}", self._delete_command)
        r("GET", "/channels/{channel_id}", self._get_channel)
        r("PATCH", "/channels/{channel_id}", self._patch_channel)
        r("DELETE", "/channels/{channel_id}", self._delete_channel)
        r("GET", "/channels/{channel_id}/messages", self._get_messages)
        r("POST", "/channels/{channel_id}/messages", self._post_message)
        r("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message)
        r("PATCH", "/channels/{channel_id}/messages/{message_id}", self._patch_message)
        r("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message)
        r("POST", "/channels/{channel_id}/messages/{message_id}/threads", self._thread_from_message)
        r("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self._add_reaction)
        r("POST", "/channels/{channel_id}/threads", self._thread_standalone)
        r("POST", "/channels/{channel_id}/typing", self._typing)
        r("GET", "/guilds/{guild_id}", self._get_guild)
        r("GET", "/guilds/{guild_id}/channels", self._get_guild_channels)
        r("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member)
        r("POST", "/interactions/{interaction_id}/{interaction_token}/callback", self._interaction_callback)
        r("POST", "/webhooks/{webhook_id}/{webhook_token}", self._webhook_execute)
        for method in ("GET", "PATCH", "DELETE"):
            r(method, "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self._webhook_message)

    async def _read_body(self, request: web.Request) -> tuple[Any, list[dict[str, Any]]]:
        ctype = request.content_type
        if ctype == "multipart/form-data":
            payload: Any = None
            files: list[dict[str, Any]] = []
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    continue
                if part.name == "payload_json":
                    payload = json.loads(await part.text())
                else:
                    data = await part.read()
                    files.append(
                        {
                            "field": part.name,
                            "filename": part.filename,
                            "size": len(data),
                            "content_type": part.headers.get("Content-Type"),
                            "data": bytes(data),
                        }
                    )
            return payload, files
        raw = await request.read()
        if not raw:
            return None, []
        if ctype == "application/json":
            return json.loads(raw), []
        return raw.decode("utf-8", "replace"), []

    async def _handle_rest(self, request: web.Request) -> web.StreamResponse:
        tail = request.match_info.get("tail", "")
        versioned = "version" in request.match_info
        path = "/" + tail if versioned else request.path
        method = request.method
        record = RequestRecord(
            method, path, None, dict(request.query), None, [], time.monotonic(), dict(request.headers)
        )
        self.requests.append(record)
        try:
            try:
                body, files = await self._read_body(request)
            except (ValueError, UnicodeDecodeError) as exc:
                raise ApiError(400, f"The request body contains invalid JSON ({exc})", 50109) from None
            record.json, record.files = body, [f["filename"] for f in files]
            matched = self._match(method, path) if versioned else None
            if matched is None:
                self.unknown_routes.append(record)
                raise ApiError(404, f"Unknown route: FakeDiscord does not implement {method} {request.path}", 0)
            route, params = matched
            record.route = route.template
            response = await self._serve(request, route, _Call(method, path, params, request.query, body, files))
        except ApiError as exc:
            response = exc.response()
        record.status = response.status
        if response.status == 429:
            self.served_429 += 1
        self._notify()
        return response

    async def _serve(self, request: web.Request, route: _Route, call: _Call) -> web.Response:
        needs_auth = not call.path.startswith(("/interactions/", "/webhooks/"))
        if needs_auth and self.token is not None and request.headers.get("Authorization") != f"Bot {self.token}":
            raise ApiError(401, "401: Unauthorized", 0)
        fault = self._take_fault(call.method, route, call.path)
        if fault is not None and not fault.handle:
            if fault.hold:
                await self._hold()
            if fault.delay:
                await asyncio.sleep(fault.delay)
            return fault.response()
        extra: dict[str, str] = {}
        if self.enforce_rate_limits:
            limited, extra = self._rate_limit(call.method, route, call)
            if limited is not None:
                return limited
        try:
            response = await route.handler(call)
        except ApiError as exc:
            response = exc.response()
        response.headers.update(extra)
        if fault is not None and fault.hold:
            await self._hold()
        return response

    # --------------------------------------------------------------------------------- REST: users etc.

    def _public_user(self, user_id: int) -> dict[str, Any]:
        return dict(self.users[user_id])

    def _member_payload(self, guild_id: int, user_id: int) -> dict[str, Any]:
        return {**self.members[guild_id][user_id], "user": self._public_user(user_id)}

    def _me(self) -> dict[str, Any]:
        return {
            **self._public_user(self.bot_id),
            "verified": True,
            "mfa_enabled": False,
            "flags": 0,
            "locale": "en-US",
            "email": None,
        }

    async def _get_me(self, call: _Call) -> web.Response:
        return json_response(self._me())

    async def _get_user(self, call: _Call) -> web.Response:
        uid = int(call.params["user_id"])
        if uid not in self.users:
            raise ApiError(404, "Unknown User", 10013)
        return json_response(self._public_user(uid))

    async def _get_application(self, call: _Call) -> web.Response:
        return json_response(
            {
                "id": str(self.app_id),
                "name": self.users[self.bot_id]["username"],
                "icon": None,
                "description": "A fake application served by FakeDiscord",
                "summary": "",
                "type": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "owner": self._public_user(self.user_id),
                "team": None,
                "bot": self._public_user(self.bot_id),
                "interactions_endpoint_url": None,  # non-null makes discord.py warn that it gets no interactions
                "redirect_uris": [],
                "tags": [],
                "approximate_guild_count": len(self.guilds),
            }
        )

    async def _get_gateway(self, call: _Call) -> web.Response:
        return json_response({"url": self.gateway_url})

    async def _get_gateway_bot(self, call: _Call) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1}
        return json_response({"url": self.gateway_url, "shards": self.shard_count, "session_start_limit": limit})

    async def _open_dm(self, call: _Call) -> web.Response:
        recipient = int((call.json or {}).get("recipient_id", 0))
        if recipient not in self.users or recipient == self.bot_id:
            raise ApiError(400, "Invalid Recipient(s)", 50033)
        return json_response(self._dm_channel_for(recipient))

    def _dm_channel_for(self, user_id: int) -> dict[str, Any]:
        for channel in self.channels.values():
            if channel["type"] == DM and channel["recipients"][0]["id"] == str(user_id):
                return channel
        cid = self.snowflake()
        self.channels[cid] = {
            "id": str(cid),
            "type": DM,
            "last_message_id": None,
            "flags": 0,
            "recipients": [self._public_user(user_id)],
        }
        return self.channels[cid]

    # ------------------------------------------------------------------------------ REST: guilds

    def _guild(self, guild_id: int) -> dict[str, Any]:
        if guild_id not in self.guilds or self.bot_id not in self.members.get(guild_id, {}):
            raise ApiError(404, "Unknown Guild", 10004)
        return self.guilds[guild_id]

    def _guild_channels(self, guild_id: int) -> list[dict[str, Any]]:
        return [
            c
            for cid in self._guild_channel_ids.get(guild_id, ())
            if (c := self.channels[cid])["type"] not in THREAD_TYPES and cid not in self.deleted_channels
        ]

    def guild_payload(self, guild_id: int) -> dict[str, Any]:
        """The guild as ``GET /guilds/{id}`` returns it: roles, no channels or members."""
        count = len(self.members[guild_id])
        return {
            **self._guild(guild_id),
            "roles": list(self.roles[guild_id].values()),
            "approximate_member_count": count,
            "approximate_presence_count": 0,
        }

    def guild_create_payload(self, guild_id: int) -> dict[str, Any]:
        """The guild as GUILD_CREATE carries it: channels, active threads, roles, member_count and — as
        without the privileged members intent — only the bot's own member."""
        threads = [
            c
            for cid in self._guild_channel_ids.get(guild_id, ())
            if (c := self.channels[cid])["type"] in THREAD_TYPES
            and cid not in self.deleted_channels
            and not c["thread_metadata"]["archived"]
        ]
        return {
            **self.guilds[guild_id],
            "roles": list(self.roles[guild_id].values()),
            "channels": self._guild_channels(guild_id),
            "threads": threads,
            "members": [self._member_payload(guild_id, self.bot_id)],
            "member_count": len(self.members[guild_id]),
            "joined_at": self.members[guild_id][self.bot_id]["joined_at"],
            "large": False,
            "unavailable": False,
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    async def _get_guild(self, call: _Call) -> web.Response:
        return json_response(self.guild_payload(int(call.params["guild_id"])))

    async def _get_guild_channels(self, call: _Call) -> web.Response:
        gid = int(call.params["guild_id"])
        self._guild(gid)
        return json_response(self._guild_channels(gid))

    async def _get_member(self, call: _Call) -> web.Response:
        gid, uid = int(call.params["guild_id"]), int(call.params["user_id"])
        self._guild(gid)
        if uid not in self.members[gid]:
            raise ApiError(404, "Unknown Member", 10007)
        return json_response(self._member_payload(gid, uid))

    # ---------------------------------------------------------------------------- REST: channels

    def _channel(self, channel_id: int | str, *, need: int = VIEW_CHANNEL) -> dict[str, Any]:
        """The channel if the bot may use it: 404 Unknown Channel when missing or deleted, 403 Missing
        Access without View Channel, 403 Missing Permissions without ``need``."""
        cid = int(channel_id)
        channel = self.channels.get(cid)
        if channel is None or cid in self.deleted_channels:
            raise unknown_channel()
        perms = self.permissions_for(self.bot_id, cid)
        if not perms & VIEW_CHANNEL:
            raise missing_access()
        if perms & need != need:
            raise missing_permissions()
        return channel

    async def _get_channel(self, call: _Call) -> web.Response:
        return json_response(self._channel(call.params["channel_id"]))

    async def _patch_channel(self, call: _Call) -> web.Response:
        channel = self._channel(call.params["channel_id"])
        body = call.json or {}
        form = _Form()
        if "name" in body:
            form.length_between(("name",), body["name"], 1, 100)
        form.check()
        for key in ("name", "topic", "rate_limit_per_user", "nsfw"):
            if key in body:
                channel[key] = body[key]
        if channel["type"] in THREAD_TYPES:
            meta = channel["thread_metadata"]
            for key in ("archived", "locked", "auto_archive_duration", "invitable"):
                if key in body:
                    meta[key] = body[key]
            if "archived" in body:
                meta["archive_timestamp"] = self._now_iso()
        await self._echo("THREAD_UPDATE" if channel["type"] in THREAD_TYPES else "CHANNEL_UPDATE", channel)
        return json_response(channel)

    async def _delete_channel(self, call: _Call) -> web.Response:
        channel = self._channel(call.params["channel_id"], need=VIEW_CHANNEL)
        self.deleted_channels.add(int(channel["id"]))
        await self._echo("THREAD_DELETE" if channel["type"] in THREAD_TYPES else "CHANNEL_DELETE", channel)
        return json_response(channel)

    async def _typing(self, call: _Call) -> web.Response:
        self._channel(call.params["channel_id"])
        return web.Response(status=204)

    # ---------------------------------------------------------------------------- REST: messages

    def _send_permission(self, channel: dict[str, Any]) -> int:
        return SEND_MESSAGES_IN_THREADS if channel["type"] in THREAD_TYPES else SEND_MESSAGES

    def _check_can_send(self, channel: dict[str, Any]) -> None:
        if channel["type"] == DM and int(channel["recipients"][0]["id"]) in self.dms_closed:
            raise ApiError(403, "Cannot send messages to this user", 50007)
        self._channel(channel["id"], need=VIEW_CHANNEL | self._send_permission(channel))
        if channel["type"] in THREAD_TYPES and channel["thread_metadata"].get("locked"):
            raise ApiError(400, "Thread is locked", 160005)

    def _validate_message(self, body: dict[str, Any], files: list[dict[str, Any]], *, form: _Form) -> None:
        """Discord's limits: content ≤ 2000; ≤ 10 embeds; title ≤ 256, description ≤ 4096, ≤ 25 fields
        (name ≤ 256, value ≤ 1024), footer ≤ 2048, author ≤ 256, all embeds together ≤ 6000; ≤ 5
        component rows; allowed_mentions ``parse`` not combined with an explicit list of the same kind."""
        form.max_len(("content",), body.get("content"), 2000)
        embeds = body.get("embeds") or []
        if len(embeds) > 10:
            form.add(("embeds",), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
        total = 0
        for i, embed in enumerate(embeds):
            total += form.max_len(("embeds", i, "title"), embed.get("title"), 256)
            total += form.max_len(("embeds", i, "description"), embed.get("description"), 4096)
            fields = embed.get("fields") or []
            if len(fields) > 25:
                form.add(("embeds", i, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
            for j, fld in enumerate(fields):
                if not fld.get("name") or not fld.get("value"):
                    form.add(("embeds", i, "fields", j), "BASE_TYPE_REQUIRED", "This field is required")
                total += form.max_len(("embeds", i, "fields", j, "name"), fld.get("name"), 256)
                total += form.max_len(("embeds", i, "fields", j, "value"), fld.get("value"), 1024)
            total += form.max_len(("embeds", i, "footer", "text"), (embed.get("footer") or {}).get("text"), 2048)
            total += form.max_len(("embeds", i, "author", "name"), (embed.get("author") or {}).get("name"), 256)
        if total > 6000:
            form.add(("embeds",), "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
        components = body.get("components") or []
        if len(components) > 5 and not (body.get("flags") or 0) & (1 << 15):
            form.add(("components",), "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
        mentions = body.get("allowed_mentions") or {}
        for kind in ("users", "roles"):
            if kind in (mentions.get("parse") or []) and mentions.get(kind):
                form.add(
                    ("allowed_mentions",),
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                )

    @staticmethod
    def _is_empty(message: dict[str, Any]) -> bool:
        keys = ("content", "embeds", "components", "attachments", "sticker_ids", "poll")
        return not any(message.get(k) for k in keys)

    def _attachments(
        self,
        channel_id: int,
        body: dict[str, Any],
        files: list[dict[str, Any]],
        existing: list[dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """Uploaded ``files[n]`` become attachments; on edit, listed existing attachments are kept."""
        kept = {a["id"]: a for a in existing or []}
        out: list[dict[str, Any]] = []
        listed = body.get("attachments")
        if listed is None:
            out.extend(existing or [])
            listed = [{"id": i} for i in range(len(files))]
        for entry in listed:
            if str(entry.get("id")) in kept:
                out.append(kept[str(entry["id"])])
                continue
            index = int(entry.get("id", 0))
            if index >= len(files):
                continue
            f = files[index]
            aid = self.snowflake()
            self.attachment_data[str(aid)] = f["data"]
            url = f"https://cdn.discordapp.invalid/attachments/{channel_id}/{aid}/{f['filename']}"
            out.append(
                {
                    "id": str(aid),
                    "filename": f["filename"],
                    "size": f["size"],
                    "url": url,
                    "proxy_url": url,
                    "content_type": f["content_type"],
                    "description": entry.get("description"),
                }
            )
        return out

    def _create_message(
        self,
        channel: dict[str, Any],
        body: dict[str, Any],
        files: list[dict[str, Any]],
        *,
        author_id: int | None = None,
        interaction: FakeInteraction | None = None,
        flags: int | None = None,
    ) -> dict[str, Any]:
        mid = self.snowflake()
        cid = int(channel["id"])
        author_id = author_id or self.bot_id
        message: dict[str, Any] = {
            "id": str(mid),
            "channel_id": str(cid),
            "type": 0,
            "author": self._public_user(author_id),
            "content": body.get("content") or "",
            "timestamp": self._now_iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts")),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": self._attachments(cid, body, files),
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "flags": (body.get("flags") or 0) if flags is None else flags,
            "allowed_mentions": body.get("allowed_mentions"),  # not part of Discord's message; kept for tests
        }
        if channel.get("guild_id"):
            message["guild_id"] = channel["guild_id"]
        for key in ("nonce", "poll", "sticker_ids"):
            if body.get(key) is not None:
                message[key] = body[key]
        ref = body.get("message_reference")
        if ref:
            ref = {"channel_id": str(cid), **ref, "message_id": str(ref.get("message_id"))}
            message["message_reference"] = ref
            referenced = self.messages.get(int(ref["message_id"]))
            if referenced is None and ref.get("fail_if_not_exists", True):
                form = _Form()
                form.add(("message_reference",), "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
                form.check()
            message["referenced_message"] = referenced
            message["type"] = 19
        if interaction is not None:
            message["type"] = 20 if interaction.type == ITX_COMMAND else 0
            message["webhook_id"] = str(self.app_id)
            message["application_id"] = str(self.app_id)
            message["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": self._public_user(interaction.user_id),
                "authorizing_integration_owners": interaction.payload.get("authorizing_integration_owners", {}),
            }
        self.messages[mid] = message
        if not message["flags"] & FLAG_EPHEMERAL:
            channel["last_message_id"] = str(mid)
            if channel["type"] in THREAD_TYPES:
                channel["message_count"] += 1
                channel["total_message_sent"] += 1
        return message

    def _public_message(self, message: dict[str, Any]) -> dict[str, Any]:
        return message  # the extra ``allowed_mentions`` key is ignored by discord.py

    def _message(self, channel_id: int, message_id: int | str) -> dict[str, Any]:
        message = self.messages.get(int(message_id))
        if message is None or message["channel_id"] != str(channel_id) or message["flags"] & FLAG_EPHEMERAL:
            raise unknown_message()
        return message

    async def _post_message(self, call: _Call) -> web.Response:
        channel = self._channel(call.params["channel_id"])
        self._check_can_send(channel)
        body = call.json or {}
        form = _Form()
        self._validate_message(body, call.files, form=form)
        form.check()
        if self._is_empty(body) and not call.files:
            raise ApiError(400, "Cannot send an empty message", 50006)
        same = self._same_nonce(body)
        if same is not None:  # enforce_nonce: the message sent moments ago, not a second one
            return json_response(self._public_message(same))
        message = self._create_message(channel, body, call.files)
        if body.get("enforce_nonce") and body.get("nonce") is not None:
            self._nonces[(message["author"]["id"], str(body["nonce"]))] = (self._now().timestamp(), int(message["id"]))
        await self._echo("MESSAGE_CREATE", message)
        return json_response(self._public_message(message))

    def _same_nonce(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """Discord: with ``enforce_nonce``, a nonce the same author used in the past few minutes
        (``nonce_window`` seconds of the fake's clock) returns that message and creates none."""
        if not body.get("enforce_nonce") or body.get("nonce") is None:
            return None
        seen = self._nonces.get((str(self.bot_id), str(body["nonce"])))
        if seen is None or self._now().timestamp() - seen[0] > self.nonce_window:
            return None
        return self.messages.get(seen[1])

    @staticmethod
    def _stored(message: dict[str, Any]) -> dict[str, Any]:
        """A message as Discord returns it later: the nonce is only echoed on creation, never stored."""
        return {k: v for k, v in message.items() if k != "nonce"}

    async def _get_messages(self, call: _Call) -> web.Response:
        """Discord's history page: at most ``limit`` (1–100, default 50) messages, always newest first.
        ``before``: the newest ones older than the id; ``after``: the *oldest* ones newer than the id
        (discord.py pages forward from the first element); ``around``: half before, half from the id on.
        Only one of the three at a time."""
        cid = int(self._channel(call.params["channel_id"], need=VIEW_CHANNEL | READ_MESSAGE_HISTORY)["id"])
        form = _Form()
        anchors = [k for k in ("around", "before", "after") if k in call.query]
        if len(anchors) > 1:
            form.add((anchors[1],), "BASE_TYPE_BAD_VALUE", "Only one of around, before, after may be passed.")
        try:
            limit = int(call.query.get("limit", "50"))
        except ValueError:
            form.add(("limit",), "NUMBER_TYPE_COERCE", "Value is not int.")
            limit = 50
        if not 1 <= limit <= 100:
            form.add(("limit",), "NUMBER_TYPE_MAX" if limit > 100 else "NUMBER_TYPE_MIN",
                     "int value should be between 1 and 100.")
        ids: dict[str, int] = {}
        for key in anchors:
            try:
                ids[key] = int(call.query[key])
            except ValueError:
                form.add((key,), "NUMBER_TYPE_COERCE", "Value is not snowflake.")
        form.check()
        found = sorted(self.messages_in(cid), key=lambda m: int(m["id"]))  # oldest first
        if "after" in ids:
            page = [m for m in found if int(m["id"]) > ids["after"]][:limit]
        elif "around" in ids:
            older = [m for m in found if int(m["id"]) < ids["around"]]
            newer = [m for m in found if int(m["id"]) >= ids["around"]]
            page = older[max(0, len(older) - limit // 2):] + newer[: limit - limit // 2]
        else:
            if "before" in ids:
                found = [m for m in found if int(m["id"]) < ids["before"]]
            page = found[-limit:]
        return json_response([self._stored(m) for m in reversed(page)])

    async def _get_message(self, call: _Call) -> web.Response:
        cid = int(self._channel(call.params["channel_id"], need=VIEW_CHANNEL | READ_MESSAGE_HISTORY)["id"])
        return json_response(self._stored(self._message(cid, call.params["message_id"])))

    def _apply_edit(self, message: dict[str, Any], body: dict[str, Any], files: list[dict[str, Any]]) -> None:
        form = _Form()
        self._validate_message(body, files, form=form)
        form.check()
        updated = dict(message)
        for key in ("content", "embeds", "components", "allowed_mentions"):
            if key in body:
                updated[key] = body[key] if body[key] is not None else ("" if key == "content" else [])
        if "attachments" in body or files:
            updated["attachments"] = self._attachments(int(message["channel_id"]), body, files, message["attachments"])
        if body.get("flags") is not None:
            keep = message["flags"] & ~FLAG_SUPPRESS_EMBEDS
            updated["flags"] = keep | (body["flags"] & FLAG_SUPPRESS_EMBEDS)
        updated["flags"] &= ~FLAG_LOADING
        if self._is_empty(updated):
            raise ApiError(400, "Cannot send an empty message", 50006)
        message.update(updated)
        message["edited_timestamp"] = self._now_iso()
        self.message_edits.append({"message_id": int(message["id"]), "json": body, "time": time.monotonic()})

    async def _patch_message(self, call: _Call) -> web.Response:
        channel = self._channel(call.params["channel_id"])
        message = self._message(int(channel["id"]), call.params["message_id"])
        if message["author"]["id"] != str(self.bot_id):
            raise ApiError(403, "Cannot edit a message authored by another user", 50005)
        self._apply_edit(message, call.json or {}, call.files)
        await self._echo("MESSAGE_UPDATE", message)
        return json_response(self._public_message(message))

    def _remove_message(self, message: dict[str, Any]) -> None:
        mid = int(message["id"])
        self.deleted_messages[mid] = self.messages.pop(mid)

    async def _delete_message(self, call: _Call) -> web.Response:
        channel = self._channel(call.params["channel_id"])
        message = self._message(int(channel["id"]), call.params["message_id"])
        if message["author"]["id"] != str(self.bot_id):
            self._channel(channel["id"], need=VIEW_CHANNEL | MANAGE_MESSAGES)
        self._remove_message(message)
        event = {"id": message["id"], "channel_id": message["channel_id"]}
        if "guild_id" in message:
            event["guild_id"] = message["guild_id"]
        await self._echo("MESSAGE_DELETE", event)
        return web.Response(status=204)

    async def _add_reaction(self, call: _Call) -> web.Response:
        channel = self._channel(call.params["channel_id"], need=VIEW_CHANNEL | READ_MESSAGE_HISTORY | ADD_REACTIONS)
        message = self._message(int(channel["id"]), call.params["message_id"])
        self.reactions.append({"message_id": int(message["id"]), "emoji": call.params["emoji"], "user_id": self.bot_id})
        return web.Response(status=204)

    # ----------------------------------------------------------------------------- REST: threads

    def _new_thread(self, parent: dict[str, Any], tid: int, body: dict[str, Any], type_: int) -> dict[str, Any]:
        form = _Form()
        form.length_between(("name",), body.get("name"), 1, 100)
        duration = body.get("auto_archive_duration") or parent.get("default_auto_archive_duration", 1440)
        if duration not in (60, 1440, 4320, 10080):
            form.add(("auto_archive_duration",), "BASE_TYPE_CHOICES", "Value must be one of {60, 1440, 4320, 10080}.")
        form.check()
        now = self._now_iso()
        thread = {
            "id": str(tid),
            "type": type_,
            "guild_id": parent["guild_id"],
            "parent_id": parent["id"],
            "owner_id": str(self.bot_id),
            "name": body["name"],
            "last_message_id": None,
            "rate_limit_per_user": body.get("rate_limit_per_user") or 0,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "flags": 0,
            "permission_overwrites": [],
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": duration,
                "archive_timestamp": now,
                "locked": False,
                "create_timestamp": now,
                "invitable": body.get("invitable", True),
            },
            "member": {"id": str(tid), "user_id": str(self.bot_id), "join_timestamp": now, "flags": 0},
        }
        self.channels[tid] = thread
        self._guild_channel_ids.setdefault(int(parent["guild_id"]), []).append(tid)
        return thread

    async def _thread_from_message(self, call: _Call) -> web.Response:
        parent = self._channel(call.params["channel_id"], need=VIEW_CHANNEL | CREATE_PUBLIC_THREADS)
        if parent["type"] not in (GUILD_TEXT, GUILD_NEWS):
            raise ApiError(400, "Cannot execute action on this channel type", 50024)
        message = self._message(int(parent["id"]), call.params["message_id"])
        if message.get("thread") or message["flags"] & FLAG_HAS_THREAD:
            raise ApiError(400, "A thread has already been created for this message", 160004)
        # A thread started from a message has the message's id, as on Discord.
        type_ = NEWS_THREAD if parent["type"] == GUILD_NEWS else PUBLIC_THREAD
        thread = self._new_thread(parent, int(message["id"]), call.json or {}, type_)
        message["thread"] = thread
        message["flags"] |= FLAG_HAS_THREAD
        await self._echo("THREAD_CREATE", {**thread, "newly_created": True})
        return json_response(thread)

    async def _thread_standalone(self, call: _Call) -> web.Response:
        body = call.json or {}
        type_ = body.get("type", PRIVATE_THREAD)
        need = CREATE_PRIVATE_THREADS if type_ == PRIVATE_THREAD else CREATE_PUBLIC_THREADS
        parent = self._channel(call.params["channel_id"], need=VIEW_CHANNEL | need)
        if parent["type"] not in (GUILD_TEXT, GUILD_NEWS):
            raise ApiError(400, "Cannot execute action on this channel type", 50024)
        thread = self._new_thread(parent, self.snowflake(), body, type_)
        await self._echo("THREAD_CREATE", {**thread, "newly_created": True})
        return json_response(thread)

    # --------------------------------------------------------------------------- REST: app commands

    def _command_pool(self, call: _Call) -> tuple[int | None, list[dict[str, Any]]]:
        if call.params["application_id"] != str(self.app_id):
            raise missing_access()
        if "guild_id" not in call.params:
            return None, self.global_commands
        gid = int(call.params["guild_id"])
        if gid not in self.guilds or self.bot_id not in self.members[gid]:
            raise missing_access()
        return gid, self.guild_commands.setdefault(gid, [])

    def _validate_options(self, form: _Form, path: tuple[Any, ...], options: list[dict[str, Any]]) -> None:
        if len(options) > 25:
            form.add((*path, "options"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        seen_optional = False
        names: set[str] = set()
        for i, opt in enumerate(options):
            here = (*path, "options", i)
            name = opt.get("name", "")
            if not COMMAND_NAME_RE.match(name) or name != name.lower():
                form.add((*here, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
            if name in names:
                form.add(
                    (*here, "name"), "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option name already exists"
                )
            names.add(name)
            form.length_between((*here, "description"), opt.get("description"), 1, 100)
            if len(opt.get("choices") or []) > 25:
                form.add((*here, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
            if opt.get("type") in (1, 2):
                self._validate_options(form, here, opt.get("options") or [])
                continue
            if opt.get("required"):
                if seen_optional:
                    form.add(
                        here,
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
            else:
                seen_optional = True

    def _store_command(
        self, pool: list[dict[str, Any]], guild_id: int | None, cmd: dict[str, Any], form: _Form, index: int
    ) -> dict[str, Any]:
        type_ = cmd.get("type", 1)
        name = cmd.get("name", "")
        if type_ == 1:
            if not COMMAND_NAME_RE.match(name) or name != name.lower():
                form.add((index, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
            form.length_between((index, "description"), cmd.get("description"), 1, 100)
            self._validate_options(form, (index,), cmd.get("options") or [])
        else:
            form.length_between((index, "name"), name, 1, 32)
        old = next((c for c in pool if c["name"] == name and c.get("type", 1) == type_), None)
        stored = {
            "default_member_permissions": None,
            "nsfw": False,
            "description": "",
            "options": [],
            **cmd,
            "id": old["id"] if old else str(self.snowflake()),
            "application_id": str(self.app_id),
            "version": str(self.snowflake()),
            "type": type_,
        }
        if guild_id is not None:
            stored["guild_id"] = str(guild_id)
        return stored

    async def _get_commands(self, call: _Call) -> web.Response:
        return json_response(self._command_pool(call)[1])

    async def _put_commands(self, call: _Call) -> web.Response:
        """Bulk overwrite: the list replaces what was registered; a command keeps its id by name+type."""
        guild_id, pool = self._command_pool(call)
        payload = call.json or []
        form = _Form()
        stored = [self._store_command(pool, guild_id, cmd, form, i) for i, cmd in enumerate(payload)]
        keys = [(c["type"], c["name"]) for c in stored]
        if len(keys) != len(set(keys)):
            form.add((), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")
        form.check()
        pool[:] = stored
        self.command_syncs.append({"guild_id": guild_id, "commands": payload, "time": time.monotonic()})
        return json_response(stored)

    async def _post_command(self, call: _Call) -> web.Response:
        guild_id, pool = self._command_pool(call)
        form = _Form()
        stored = self._store_command(pool, guild_id, call.json or {}, form, 0)
        form.check()
        pool[:] = [c for c in pool if c["id"] != stored["id"]] + [stored]
        return json_response(stored)

    async def _delete_command(self, call: _Call) -> web.Response:
        _, pool = self._command_pool(call)
        before = len(pool)
        pool[:] = [c for c in pool if c["id"] != call.params["command_id"]]
        if len(pool) == before:
            raise ApiError(404, "Unknown application command", 10063)
        return web.Response(status=204)

    # ------------------------------------------------------------------------- REST: interactions

    def _interaction_by_token(self, token: str) -> FakeInteraction:
        for itx in self.interactions.values():
            if itx.token == token:
                return itx
        raise ApiError(404, "Unknown Webhook", 10015)

    def _callback_resource(self, itx: FakeInteraction, ctype: int, message: dict[str, Any] | None) -> dict[str, Any]:
        """The body discord.py asks for with ``?with_response=1`` (an ``InteractionCallbackResponse``);
        ``response_message_id`` is what it stores a View under, so buttons on the reply work."""
        info: dict[str, Any] = {
            "id": str(itx.id),
            "type": itx.type,
            "response_message_loading": ctype == CB_DEFER,
            "response_message_ephemeral": bool(message and message["flags"] & FLAG_EPHEMERAL),
        }
        if message is not None:
            info["response_message_id"] = message["id"]
        resource: dict[str, Any] = {"type": ctype}
        if message is not None and ctype in (CB_MESSAGE, CB_UPDATE):
            resource["message"] = self._public_message(message)
        return {"interaction": info, "resource": resource}

    async def _interaction_callback(self, call: _Call) -> web.Response:
        itx = self.interactions.get(int(call.params["interaction_id"]))
        if itx is None or itx.token != call.params["interaction_token"]:
            raise ApiError(404, "Unknown interaction", 10062)
        if itx.callback is not None:
            raise ApiError(400, "Interaction has already been acknowledged.", 40060)
        if self.interaction_timeout is not None and time.monotonic() - itx.created > self.interaction_timeout:
            raise ApiError(404, "Unknown interaction", 10062)
        body = call.json or {}
        ctype, data = body.get("type"), body.get("data") or {}
        form = _Form()
        if ctype not in ALLOWED_CALLBACKS.get(itx.type, set()):
            form.add(("type",), "INTERACTION_RESPONSE_TYPE_INVALID", f"Invalid response type {ctype} here")
            form.check()
        channel = self.channels[itx.channel_id]
        message: dict[str, Any] | None = None
        if ctype == CB_MESSAGE:
            self._validate_message(data, call.files, form=form)
            form.check()
            if self._is_empty(data) and not call.files:
                raise ApiError(400, "Cannot send an empty message", 50006)
            message = self._create_message(channel, data, call.files, interaction=itx)
        elif ctype == CB_DEFER:
            flags = ((data.get("flags") or 0) & FLAG_EPHEMERAL) | FLAG_LOADING
            message = self._create_message(channel, {}, [], interaction=itx, flags=flags)
        elif ctype in (CB_DEFER_UPDATE, CB_UPDATE):
            target = itx.payload.get("message")
            if target is None:
                form.add(("type",), "INTERACTION_RESPONSE_TYPE_INVALID", "No message to update")
                form.check()
            assert target is not None
            message = self.messages.get(int(target["id"]))
            if message is None:
                raise unknown_message()
            if ctype == CB_UPDATE:
                self._apply_edit(message, data, call.files)
        elif ctype == CB_AUTOCOMPLETE:
            choices = data.get("choices") or []
            if len(choices) > 25:
                form.add(("data", "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
            for i, choice in enumerate(choices):
                form.length_between(("data", "choices", i, "name"), choice.get("name"), 1, 100)
            form.check()
        elif ctype == CB_MODAL:
            form.length_between(("data", "title"), data.get("title"), 1, 45)
            form.length_between(("data", "custom_id"), data.get("custom_id"), 1, 100)
            if not 1 <= len(data.get("components") or []) <= 5:
                form.add(("data", "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
            form.check()
        itx.callback = {"type": ctype, "data": data}
        if message is not None:
            itx.original_message_id = int(message["id"])
            if ctype in (CB_MESSAGE, CB_DEFER) and not message["flags"] & FLAG_EPHEMERAL:
                await self._echo("MESSAGE_CREATE", message)
            elif ctype == CB_UPDATE:
                await self._echo("MESSAGE_UPDATE", message)
        return json_response(self._callback_resource(itx, ctype, message))

    async def _webhook_execute(self, call: _Call) -> web.Response:
        """An interaction follow-up. The first follow-up after a defer fills in the loading message (and
        keeps the defer's ephemerality), as on Discord; later ones are new messages."""
        if call.params["webhook_id"] != str(self.app_id):
            raise ApiError(404, "Unknown Webhook", 10015)
        itx = self._interaction_by_token(call.params["webhook_token"])
        if itx.callback is None:
            raise ApiError(404, "Unknown Webhook", 10015)
        body = call.json or {}
        form = _Form()
        self._validate_message(body, call.files, form=form)
        form.check()
        if self._is_empty(body) and not call.files:
            raise ApiError(400, "Cannot send an empty message", 50006)
        original = itx.original
        if itx.callback["type"] == CB_DEFER and original is not None and original["flags"] & FLAG_LOADING:
            self._apply_edit(original, body, call.files)
            message = original
            event = "MESSAGE_UPDATE"
        else:
            flags = (body.get("flags") or 0) & (FLAG_EPHEMERAL | FLAG_SUPPRESS_EMBEDS | (1 << 12) | (1 << 15))
            message = self._create_message(
                self.channels[itx.channel_id], body, call.files, interaction=itx, flags=flags
            )
            event = "MESSAGE_CREATE"
        itx.followup_ids.append(int(message["id"]))
        if not message["flags"] & FLAG_EPHEMERAL:
            await self._echo(event, message)
        if call.query.get("wait", "false").lower() in ("1", "true"):
            return json_response(self._public_message(message))
        return web.Response(status=204)

    async def _webhook_message(self, call: _Call) -> web.Response:
        if call.params["webhook_id"] != str(self.app_id):
            raise ApiError(404, "Unknown Webhook", 10015)
        itx = self._interaction_by_token(call.params["webhook_token"])
        ref = call.params["message_id"]
        mid = itx.original_message_id if ref == "@original" else int(ref)
        if mid is None or (mid != itx.original_message_id and mid not in itx.followup_ids) or mid not in self.messages:
            raise unknown_message()
        message = self.messages[mid]
        if call.method == "GET":
            return json_response(self._public_message(message))
        if call.method == "DELETE":
            self._remove_message(message)
            itx.edits.append({"message_id": mid, "delete": True, "time": time.monotonic()})
            if not message["flags"] & FLAG_EPHEMERAL:
                event = {"id": message["id"], "channel_id": message["channel_id"]}
                if "guild_id" in message:
                    event["guild_id"] = message["guild_id"]
                await self._echo("MESSAGE_DELETE", event)
            return web.Response(status=204)
        body = call.json or {}
        self._apply_edit(message, body, call.files)
        itx.edits.append({"message_id": mid, "json": body, "time": time.monotonic()})
        if not message["flags"] & FLAG_EPHEMERAL:
            await self._echo("MESSAGE_UPDATE", message)
        return json_response(self._public_message(message))

    # ------------------------------------------------------------------------------------- gateway

    def _live_conn(self, shard: int = 0) -> _Conn | None:
        session = self._sessions.get(shard)
        for conn in reversed(self._conns):
            if conn.live and not conn.ws.closed and conn.session is session is not None:
                return conn
        return None

    def _connected_shard_count(self) -> int:
        """The shard count the client IDENTIFYed with (events are routed by it), else ``shard_count``."""
        session = self._sessions.get(0) or next(iter(self._sessions.values()), None)
        return session.shard_count if session is not None else max(1, self.shard_count)

    def _shard_for(self, event: str, data: Mapping[str, Any]) -> int:
        """Which shard's session gets an event: its guild's shard; shard 0 for DMs (as on Discord)."""
        guild_id = data.get("guild_id")
        if guild_id is None and event.startswith("GUILD_") and "id" in data:
            guild_id = data["id"]  # GUILD_CREATE/UPDATE/DELETE carry the guild itself
        return self.shard_of(int(guild_id)) if guild_id else 0

    def events_on(self, shard: int) -> list[tuple[str, dict[str, Any]]]:
        """The events (name, payload) the current session of ``shard`` has carried, oldest first."""
        session = self._sessions.get(shard)
        return [] if session is None else [(f["t"], f["d"]) for f in session.log]

    @property
    def live_shards(self) -> list[int]:
        """Shard ids with a live gateway connection (IDENTIFYed or RESUMEd), sorted."""
        return sorted(shard for shard in self._sessions if self._live_conn(shard) is not None)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(timeout=2.0, autoping=True, max_msg_size=0)
        await ws.prepare(request)
        conn = _Conn(ws, request.path, dict(request.query))
        record = {"path": request.path, "query": dict(request.query), "opened": time.monotonic(), "close_code": None}
        self.gateway_connections.append(record)
        self._conns.append(conn)
        self._notify()
        try:
            await self._send(
                conn,
                {
                    "op": 10,
                    "d": {"heartbeat_interval": self.heartbeat_interval, "_trace": ["fake-gateway"]},
                    "s": None,
                    "t": None,
                },
            )
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_gateway_message(conn, json.loads(msg.data))
                    self._notify()
        finally:
            conn.live = False
            record["close_code"] = ws.close_code
            self._conns.remove(conn)
            self._notify()
        return ws

    async def _send(self, conn: _Conn, frame: dict[str, Any]) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await conn.ws.send_str(json.dumps(frame))

    async def _on_gateway_message(self, conn: _Conn, msg: dict[str, Any]) -> None:
        op, d = msg.get("op"), msg.get("d")
        if op == 1:
            self.heartbeat_count += 1
            if self.ack_heartbeats:
                await self._send(conn, {"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(conn, d or {})
        elif op == 6:
            await self._resume(conn, d or {})
        elif op == 3:
            self.presence_updates.append(d or {})
        elif op == 8:
            await self._request_members(conn, d or {})
        elif op == 4:
            pass  # voice state: nothing to do
        else:
            await conn.ws.close(code=4001, message=b"Unknown opcode.")

    async def _identify(self, conn: _Conn, d: dict[str, Any]) -> None:
        self.identify_count += 1
        self.identify_payloads.append(d)
        if self.token is not None and d.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        shard, count = d.get("shard") or (0, 1)
        if not 0 <= shard < count:
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return
        guilds = [g for g in self.guilds if self.bot_id in self.members[g] and (g >> 22) % count == shard]
        if len(guilds) > self.max_guilds_per_shard:
            await conn.ws.close(code=4011, message=b"Sharding required.")
            return
        session = _Session(secrets.token_hex(16), shard, count)
        self._sessions[shard], conn.session, conn.live = session, session, True
        ready = {
            "v": API_VERSION,
            "user": self._me(),
            "guilds": [{"id": str(g), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "resume_gateway_url": self.resume_gateway_url,
            "session_type": "normal",
            "application": {"id": str(self.app_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "_trace": ["fake-gateway"],
        }
        if "shard" in d:
            ready["shard"] = d["shard"]
        await self._emit("READY", ready, shard=shard)
        self.ready_count += 1
        for gid in guilds:
            await self._emit("GUILD_CREATE", self.guild_create_payload(gid), shard=shard)

    async def _resume(self, conn: _Conn, d: dict[str, Any]) -> None:
        self.resume_count += 1
        session = next((s for s in self._sessions.values() if s.id == d.get("session_id")), None)
        ok = (
            session is not None
            and session.resumable
            and d.get("session_id") == session.id
            and (self.token is None or d.get("token") == self.token)
        )
        if not ok:
            await self._send(conn, {"op": 9, "d": False, "s": None, "t": None})
            return
        assert session is not None
        seq = d.get("seq") or 0
        async with self._emit_lock:
            for frame in session.log:
                if frame["s"] > seq:
                    await self._send(conn, frame)
            conn.session, conn.live = session, True
        await self._emit("RESUMED", {"_trace": ["fake-gateway"]})
        self.resumed_count += 1

    async def _request_members(self, conn: _Conn, d: dict[str, Any]) -> None:
        gid = int(d.get("guild_id", 0))
        if gid not in self.members:
            return
        wanted = {int(u) for u in d.get("user_ids") or []}
        query = (d.get("query") or "").lower()
        members = [
            self._member_payload(gid, uid)
            for uid in self.members[gid]
            if (not wanted or uid in wanted) and self.users[uid]["username"].lower().startswith(query)
        ]
        limit = d.get("limit") or 0
        chunk = {
            "guild_id": str(gid),
            "members": members[:limit] if limit else members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [str(u) for u in wanted if u not in self.members[gid]],
        }
        if d.get("nonce"):
            chunk["nonce"] = d["nonce"]
        await self._emit("GUILD_MEMBERS_CHUNK", chunk, shard=conn.session.shard if conn.session else 0)

    async def _emit(self, event: str, data: dict[str, Any], *, shard: int | None = None) -> int:
        """Give the event its shard session's next sequence number, keep it for RESUME, send it if
        connected. The shard is the event's guild's (DMs: 0) unless given."""
        if shard is None:
            shard = self._shard_for(event, data)
        session = self._sessions.get(shard)
        if session is None:
            raise RuntimeError(f"cannot dispatch {event}: no gateway session for shard {shard} yet "
                               "(has the bot connected?)")
        async with self._emit_lock:
            session.seq += 1
            frame = {"op": 0, "t": event, "s": session.seq, "d": data}
            session.log.append(frame)
            conn = self._live_conn(shard)
            if conn is not None:
                await self._send(conn, frame)
        self.events_sent.append((event, data))
        self._notify()
        return session.seq

    async def _echo(self, event: str, data: dict[str, Any]) -> None:
        """The gateway event Discord sends after a REST change, if echoing is on and a session exists."""
        if self.echo_events and self._shard_for(event, data) in self._sessions:
            await self._emit(event, data)

    async def dispatch(self, event: str, data: dict[str, Any], *, shard: int | None = None) -> int:
        """Send a DISPATCH (op 0) event, e.g. ``dispatch("CHANNEL_DELETE", fake.channels[cid])``, on the
        shard of its guild (DMs: 0) unless ``shard`` says. While the client is disconnected the event waits
        in the session log and is replayed on RESUME."""
        return await self._emit(event, data, shard=shard)

    async def close_gateway(self, code: int = 4000, reason: str = "", *, shard: int | None = None) -> None:
        """Close the newest open gateway connection (of ``shard``, if given) with ``code``: 4000 makes
        discord.py RESUME; 4004 (bad token) or 4014 (disallowed intents) make it give up. Returns once the
        client answered the close frame (it may already be reconnecting)."""
        conn = next((c for c in reversed(self._conns) if not c.ws.closed
                     and (shard is None or (c.session is not None and c.session.shard == shard))), None)
        if conn is None:
            raise RuntimeError("no open gateway connection to close")
        conn.live = False
        await conn.ws.close(code=code, message=reason.encode())

    def stall_gateway(self, shard: int = 0) -> None:
        """Stop delivering events on the live connection without closing it, as on a half-dead network.
        Events dispatched meanwhile wait in the session log; after ``close_gateway`` the client RESUMEs
        and gets them replayed — or, with ``expire_session()``, loses them and IDENTIFYs anew."""
        conn = self._live_conn(shard)
        if conn is None:
            raise RuntimeError("no live gateway connection")
        conn.live = False

    async def send_op(self, op: int, d: Any = None, *, shard: int = 0) -> None:
        """Send a raw opcode: 7 (reconnect → the client RESUMEs), 9 with ``d=False`` (invalid session →
        the client IDENTIFYs anew; the session is dropped), 9 with ``d=True`` (resumable), 1 (heartbeat
        request). ``shard`` picks the connection."""
        conn = self._live_conn(shard)
        if conn is None:
            raise RuntimeError("no live gateway connection")
        if op == 9 and not d and conn.session is not None:
            conn.session.resumable = False
        if op in (7, 9):
            conn.live = False
        await self._send(conn, {"op": op, "d": d, "s": None, "t": None})

    def expire_session(self, shard: int | None = None) -> None:
        """Make the current session (of ``shard``; default every shard's) non-resumable: the next RESUME
        gets op 9 and the client re-IDENTIFYs."""
        for sid, session in self._sessions.items():
            if shard is None or sid == shard:
                session.resumable = False

    # ---------------------------------------------------------------------------- interaction drivers

    def _interaction(
        self,
        itype: int,
        data: dict[str, Any],
        *,
        name: str | None,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int | None,
        dm: bool,
        permissions: int | str | None,
        locale: str,
        message: dict[str, Any] | None = None,
    ) -> FakeInteraction:
        user_id = user_id or self.user_id
        if user_id not in self.users:
            raise LookupError(f"no user {user_id} in the fake")
        if dm:
            guild_id = None
            channel = self._dm_channel_for(user_id)
        else:
            guild_id = guild_id or self.guild_id
            if channel_id is None:
                channel_id = (
                    self.channel_id if guild_id == self.guild_id else int(self._guild_channels(guild_id)[0]["id"])
                )
            channel = self.channels[channel_id]
            if user_id not in self.members[guild_id]:
                self.add_member(guild_id, user_id)
        cid = int(channel["id"])
        iid = self.snowflake()
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.app_id),
            "type": itype,
            "data": data,
            "token": f"fake-itx-{secrets.token_urlsafe(24)}",
            "version": 1,
            "locale": locale,
            "channel_id": str(cid),
            "channel": channel,
            "app_permissions": str(self.permissions_for(self.bot_id, cid)),
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if guild_id is not None:
            perms = self.permissions_for(user_id, cid) if permissions is None else int(permissions)
            member = {**self._member_payload(guild_id, user_id), "permissions": str(perms)}
            payload.update(
                guild_id=str(guild_id),
                guild_locale="en-US",
                member=member,
                context=0,
                guild={"id": str(guild_id), "locale": "en-US", "features": []},
                authorizing_integration_owners={"0": str(guild_id)},
            )
        else:
            payload.update(user=self._public_user(user_id), context=1, authorizing_integration_owners={"0": "0"})
        if message is not None:
            payload["message"] = message
        itx = FakeInteraction(
            self, iid, payload["token"], itype, name, payload, guild_id, cid, user_id, time.monotonic()
        )
        self.interactions[iid] = itx
        return itx

    def _resolve_option(
        self, opt_type: int, value: Any, resolved: dict[str, dict[str, Any]], guild_id: int | None
    ) -> Any:
        """Snowflake options carry the id as value and the object in ``resolved``, as Discord sends them."""
        if opt_type in (6, 9) and int(value) in self.users:
            uid = int(value)
            resolved.setdefault("users", {})[str(uid)] = self._public_user(uid)
            if guild_id is not None and uid in self.members[guild_id]:
                member = {k: v for k, v in self.members[guild_id][uid].items()}
                member["permissions"] = str(self._base_permissions(guild_id, uid))
                resolved.setdefault("members", {})[str(uid)] = member
            return str(uid)
        if opt_type == 7:
            ch = self.channels[int(value)]
            perms = str(self.permissions_for(self.user_id, int(value))) if ch["type"] != DM else str(DM_PERMISSIONS)
            resolved.setdefault("channels", {})[str(value)] = {**ch, "permissions": perms}
            return str(value)
        if opt_type in (8, 9) and guild_id is not None and int(value) in self.roles[guild_id]:
            resolved.setdefault("roles", {})[str(value)] = self.roles[guild_id][int(value)]
            return str(value)
        converters: dict[int, Callable[[Any], Any]] = {3: str, 4: int, 5: bool, 10: float}
        return converters.get(opt_type, lambda v: v)(value)

    def _build_options(
        self,
        defs: list[dict[str, Any]],
        values: Mapping[str, Any] | list[dict[str, Any]] | None,
        resolved: dict[str, dict[str, Any]],
        guild_id: int | None,
        focused: str | None,
    ) -> list[dict[str, Any]]:
        if isinstance(values, list):
            return values  # raw option dicts, sent as given
        by_name = {d["name"]: d for d in defs}
        out = []
        for name, value in (values or {}).items():
            spec = by_name.get(name)
            if spec is None and defs:
                raise LookupError(f"option {name!r} is not registered; registered: {sorted(by_name)}")
            inferred = (
                5 if isinstance(value, bool) else 4 if isinstance(value, int) else 10 if isinstance(value, float) else 3
            )
            opt_type = spec["type"] if spec else inferred
            if name == focused:
                out.append({"name": name, "type": opt_type, "value": str(value), "focused": True})
            else:
                out.append(
                    {"name": name, "type": opt_type, "value": self._resolve_option(opt_type, value, resolved, guild_id)}
                )
        return out

    def _command_data(
        self,
        name: str,
        options: Mapping[str, Any] | list[dict[str, Any]] | None,
        *,
        guild_id: int | None,
        subcommand_group: str | None,
        subcommand: str | None,
        focused: str | None,
        require_registered: bool,
    ) -> dict[str, Any]:
        parts = name.split()
        if len(parts) == 3:
            name, subcommand_group, subcommand = parts
        elif len(parts) == 2:
            name, subcommand = parts
        cmd = self.command(name, guild_id=guild_id)
        if cmd is None and require_registered:
            known = [c["name"] for c in self.global_commands] + [
                c["name"] for c in self.guild_commands.get(guild_id or 0, [])
            ]
            raise LookupError(f"/{name} is not registered (sync the command tree first); registered: {known}")
        defs = (cmd or {}).get("options") or []
        path: list[tuple[int, str]] = []
        if subcommand_group:
            path.append((2, subcommand_group))
        if subcommand:
            path.append((1, subcommand))
        for kind, part in path:
            spec = next((d for d in defs if d["name"] == part and d["type"] == kind), None)
            if spec is None and cmd is not None:
                raise LookupError(f"/{name} has no {'group' if kind == 2 else 'subcommand'} {part!r}")
            defs = (spec or {}).get("options") or []
        resolved: dict[str, dict[str, Any]] = {}
        built = self._build_options(defs, options, resolved, guild_id, focused)
        for kind, part in reversed(path):
            built = [{"type": kind, "name": part, "options": built}]
        data: dict[str, Any] = {
            "id": cmd["id"] if cmd else str(self.snowflake()),
            "name": name,
            "type": 1,
            "options": built,
        }
        if cmd is not None and "guild_id" in cmd:
            data["guild_id"] = cmd["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    async def invoke_command(
        self,
        name: str,
        options: Mapping[str, Any] | list[dict[str, Any]] | None = None,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        user_id: int | None = None,
        dm: bool = False,
        subcommand_group: str | None = None,
        subcommand: str | None = None,
        permissions: int | str | None = None,
        locale: str = "en-US",
        require_registered: bool = True,
    ) -> FakeInteraction:
        """A user runs a slash command: dispatches INTERACTION_CREATE (type 2) with the registered
        command's id and typed options. ``name`` may include subcommands (``"config set"``). ``options``
        maps option names to values (user/channel/role options take ids and get ``resolved`` data) or is
        a raw option list. Defaults: the default guild, ``general``, ``alice`` with her channel
        permissions; ``dm=True`` for a DM; ``permissions`` overrides the member's (e.g. ``8``). A user
        who is not in the guild yet is added as a member without roles."""
        gid = None if dm else guild_id or self.guild_id
        data = self._command_data(
            name,
            options,
            guild_id=gid,
            subcommand_group=subcommand_group,
            subcommand=subcommand,
            focused=None,
            require_registered=require_registered,
        )
        itx = self._interaction(
            ITX_COMMAND,
            data,
            name=name,
            guild_id=gid,
            channel_id=channel_id,
            user_id=user_id,
            dm=dm,
            permissions=permissions,
            locale=locale,
        )
        await self._emit("INTERACTION_CREATE", itx.payload)
        return itx

    async def invoke_autocomplete(
        self,
        name: str,
        options: Mapping[str, Any] | None,
        focused: str,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        user_id: int | None = None,
        dm: bool = False,
        subcommand_group: str | None = None,
        subcommand: str | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """A user types into option ``focused`` (its value in ``options`` is the partial text): type 4.
        The answer is ``(await itx)["data"]["choices"]``."""
        gid = None if dm else guild_id or self.guild_id
        values = dict(options or {})
        values.setdefault(focused, "")
        data = self._command_data(
            name,
            values,
            guild_id=gid,
            subcommand_group=subcommand_group,
            subcommand=subcommand,
            focused=focused,
            require_registered=True,
        )
        itx = self._interaction(
            ITX_AUTOCOMPLETE,
            data,
            name=name,
            guild_id=gid,
            channel_id=channel_id,
            user_id=user_id,
            dm=dm,
            permissions=None,
            locale=locale,
        )
        await self._emit("INTERACTION_CREATE", itx.payload)
        return itx

    @staticmethod
    def _find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
        for comp in components:
            if comp.get("custom_id") == custom_id:
                return comp
            for key in ("components", "accessory", "component"):
                inner = comp.get(key)
                inner_list = [inner] if isinstance(inner, dict) else inner or []
                if (found := FakeDiscord._find_component(inner_list, custom_id)) is not None:
                    return found
        return None

    async def press_button(
        self,
        message_id: int,
        custom_id: str,
        *,
        user_id: int | None = None,
        values: list[str] | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """A user clicks a button (or picks ``values`` in a select) on a message the bot sent: type 3.
        Raises if the message has no such component or it is disabled — a user could not click it."""
        message = self.messages.get(int(message_id))
        if message is None:
            raise LookupError(f"no message {message_id} in the fake")
        comp = self._find_component(message.get("components") or [], custom_id)
        if comp is None:
            raise LookupError(f"message {message_id} has no component {custom_id!r}")
        if comp.get("disabled"):
            raise ValueError(f"component {custom_id!r} on message {message_id} is disabled")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": comp.get("type", 2)}
        if values is not None or comp.get("type", 2) != 2:
            data["values"] = list(values or [])
        channel = self.channels[int(message["channel_id"])]
        dm = channel["type"] == DM
        itx = self._interaction(
            ITX_COMPONENT,
            data,
            name=None,
            guild_id=None if dm else int(channel["guild_id"]),
            channel_id=int(channel["id"]),
            user_id=user_id,
            dm=dm,
            permissions=None,
            locale=locale,
            message=message,
        )
        await self._emit("INTERACTION_CREATE", itx.payload)
        return itx

    async def submit_modal(
        self, shown_by: FakeInteraction, values: Mapping[str, str], *, user_id: int | None = None
    ) -> FakeInteraction:
        """The user fills in and submits the modal the bot showed in answer to ``shown_by``: type 5, with
        each input's ``custom_id`` → value mirrored into the modal's own layout (rows or labels)."""
        if not shown_by.callback or shown_by.callback["type"] != CB_MODAL:
            raise ValueError(f"{shown_by} was not answered with a modal")
        modal = shown_by.callback["data"]

        def fill(comp: dict[str, Any]) -> dict[str, Any]:
            if comp.get("type") == 1:
                return {"type": 1, "components": [fill(c) for c in comp.get("components", [])]}
            if comp.get("type") == 18:
                return {"type": 18, "component": fill(comp["component"])}
            cid = comp.get("custom_id")
            if comp.get("type") == 4:
                return {"type": 4, "custom_id": cid, "value": values.get(cid, comp.get("value") or "")}
            picked = values.get(cid)
            return {"type": comp.get("type"), "custom_id": cid, "values": [] if picked is None else list(picked)}

        data = {"custom_id": modal["custom_id"], "components": [fill(c) for c in modal.get("components", [])]}
        channel = self.channels[shown_by.channel_id]
        itx = self._interaction(
            ITX_MODAL_SUBMIT,
            data,
            name=shown_by.name,
            guild_id=shown_by.guild_id,
            channel_id=shown_by.channel_id,
            user_id=user_id or shown_by.user_id,
            dm=channel["type"] == DM,
            permissions=None,
            locale="en-US",
            message=shown_by.payload.get("message"),
        )
        await self._emit("INTERACTION_CREATE", itx.payload)
        return itx


@contextlib.asynccontextmanager
async def run_bot(
    bot: discord.Client, fake: FakeDiscord, *, token: str = "fake-token", timeout: float = 5.0
) -> AsyncIterator[discord.Client]:
    """Start ``bot`` against ``fake``, yield once it is ready, close it on exit (see the module doc).

    If the bot's task dies while the test runs (e.g. the fake closed the gateway with 4004), the error
    is raised on exit instead of being lost.
    """
    with fake.patch_discord():
        bot._connection.guild_ready_timeout = 0.05  # discord.py 2.x: ConnectionState option, default 2.0

        async def no_identify_wait(shard_id: int | None, *, initial: bool = False) -> None:
            return None

        bot.before_identify_hook = no_identify_wait  # type: ignore[method-assign]
        task = asyncio.create_task(bot.start(token), name="FakeDiscord bot")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while not bot.is_ready():
                if task.done():
                    exc = task.exception()
                    raise RuntimeError(f"the bot stopped before it was ready: {exc!r}") from exc
                if loop.time() > deadline:
                    raise TimeoutError(f"the bot was not ready after {timeout}s{fake._debug_tail()}")
                await asyncio.sleep(0.01)
            yield bot
        finally:
            died = task.done() and not task.cancelled() and task.exception() is not None
            await bot.close()
            try:
                await asyncio.wait_for(task, timeout=5.0)
            except Exception:
                if died:
                    raise
            if not task.done():
                task.cancel()


make_bot_ready = run_bot  # the name the design brief uses for this recipe
