"""The Discord edge: a ``commands.AutoShardedBot`` that wires the core (store, fetcher, scheduler, delivery)
to Discord.

Sharded because Discord refuses a bot in more than 2,500 servers that does not shard (close code 4011):
the shard count comes from Discord (``GET /gateway/bot``), one gateway connection per shard, each
IDENTIFY carrying ``shard: [id, count]``; with few servers that count is 1 and nothing changes. One
process runs every shard unless ``shard_ids``/``shard_count`` say otherwise (README "Running big").

Only the ``guilds`` intent: slash commands, interactions and posting need no gateway events but the
guild list (channels and the bot's own member, for its permissions in ``/digest setup``); message,
reaction, typing and voice events would only stream every server's chatter to the bot. No caches
the bot never reads: no message cache, no members beyond its own, no member chunking at start.

Cogs are extensions found by walking ``bot/discord/cogs/`` and loaded in
``setup_hook`` (a new cog file needs no registration); the command tree is synced once at start (to a
test guild when one is configured, so changes show up at once). One error handler on the tree
(:mod:`bot.discord.tree`) serves every cog. Background work belongs to cogs — ``cog_load`` starts it,
``cog_unload`` cancels it — and :meth:`commands.Bot.close` unloads every extension, so closing the bot
stops everything it started before the store is closed.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import pkgutil
import signal
import socket
from datetime import date

import aiohttp
import discord
import discord.http
import yarl
from discord.ext import commands

from bot.clock import SYSTEM_CLOCK, Clock, today_in
from bot.config import RedactToken, Settings
from bot.delivery import Deliverer
from bot.discord import cogs
from bot.discord.sender import DiscordSender
from bot.discord.tree import PaperboyTree
from bot.errors import PaperboyError
from bot.export import export_configured
from bot.pipeline import Fetcher, FetchResult
from bot.scheduler import DigestScheduler
from bot.search import TagCounts
from bot.store import Store
from bot.upvotes import UpvoteRefresh, refresh_recent_upvotes

log = logging.getLogger(__name__)


def extensions() -> list[str]:
    """Every module in ``bot/discord/cogs/`` (not ``_private`` ones), sorted: the cogs the bot loads."""
    return sorted(f"{cogs.__name__}.{m.name}" for m in pkgutil.iter_modules(cogs.__path__)
                  if not m.name.startswith("_") and not m.ispkg)


def intents() -> discord.Intents:
    """The guild list and nothing else (see the module doc): no privileged intent, no chatter."""
    return discord.Intents(guilds=True)


#: View Channel, Send Messages, Embed Links, Read Message History, Create Public Threads, Send in Threads.
PERMISSIONS = discord.Permissions(view_channel=True, send_messages=True, embed_links=True,
                                  read_message_history=True, create_public_threads=True,
                                  send_messages_in_threads=True)


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(application_id, permissions=PERMISSIONS,
                                   scopes=("bot", "applications.commands"))


class PaperboyBot(commands.AutoShardedBot):
    """The bot. ``shard_ids``/``shard_count`` run a slice of the shards (several processes); by default
    this process runs all of them, as many as Discord recommends."""

    def __init__(self, settings: Settings, *, store: Store | None = None, sync_commands: bool = True,
                 clock: Clock = SYSTEM_CLOCK, shard_ids: list[int] | None = None,
                 shard_count: int | None = None) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=intents(),
                         allowed_mentions=discord.AllowedMentions.none(), help_command=None,
                         tree_cls=PaperboyTree, shard_ids=shard_ids, shard_count=shard_count,
                         # Caches nothing reads: posting uses partial channels, interactions carry their
                         # member and message, and the bot's own member is kept regardless (guild.me).
                         max_messages=None, member_cache_flags=discord.MemberCacheFlags.none(),
                         chunk_guilds_at_startup=False)
        self.settings = settings
        self.clock = clock
        self.store = store or Store(settings.database, clock=clock)
        self.fetcher = Fetcher(settings)
        self.fetcher.clock = clock
        self.deliverer = Deliverer(self.store, DiscordSender(self), clock=clock)
        self.digests = DigestScheduler(self.store, settings, self.deliverer, self._fetch_day, clock=clock,
                                       refresh=self._refresh_upvotes)
        #: Tag counts for autocomplete, shared by the cogs and refilled right after each fetch, so no
        #: reader's keystroke pays for recounting (840 ms at a million papers).
        self.tag_counts = TagCounts(self.store)
        self.sync_commands = sync_commands
        self._announced = False

    def today(self) -> date:
        """Today where the bot's configured time zone says it is ('today' in commands), by the bot's clock."""
        return today_in(self.settings.timezone, self.clock)

    @property
    def catch_up_task(self) -> asyncio.Task | None:
        """The catch-up after start, owned by the Schedule cog (None once the cog is unloaded)."""
        schedule = self.get_cog("Schedule")
        return getattr(schedule, "catch_up_task", None)


    async def _fetch_day(self, day: str) -> FetchResult:
        result = await self.fetcher.fetch_day(self.store, day, "hf")
        self.tag_counts.counts()
        export_configured(self.store, self.settings, [day])  # [export] dir: the day's archive files
        self.dispatch("papers_fetched", day)  # the Schedule cog starts the day's LLM enrichment (never awaited)
        return result

    async def _refresh_upvotes(self, day: str) -> UpvoteRefresh:
        return await refresh_recent_upvotes(self.store, self.fetcher.hf_client(), date.fromisoformat(day))

    async def setup_hook(self) -> None:
        await self.fetcher.__aenter__()
        for ext in extensions():
            await self.load_extension(ext)
        if self.sync_commands:
            guild_id = self.settings.discord.test_guild_id
            if guild_id:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
            else:
                synced = await self.tree.sync()
            log.info("synced %d application commands%s", len(synced), f" to guild {guild_id}" if guild_id else "")

    async def on_shard_ready(self, shard_id: int) -> None:
        log.info("shard %d/%s ready", shard_id, self.shard_count)

    async def on_ready(self) -> None:
        """Every shard this process runs is ready (fires again after a full reconnect)."""
        log.info("logged in as %s (%s) in %d guild(s) on %s shard(s)", self.user, getattr(self.user, "id", "?"),
                 len(self.guilds), len(self.shards))
        if not self._announced and self.user and self.application_id:
            self._announced = True
            log.info("invite link: %s", invite_url(self.application_id))

    async def close(self) -> None:
        """Unload the cogs first (their ``cog_unload`` cancels and awaits their tasks), then the rest."""
        await super().close()
        self.digests.shutdown()  # in case the Schedule cog never loaded (setup_hook failed half-way)
        await self.fetcher.__aexit__(None, None, None)
        self.store.close()


def _connection_problem(exc: BaseException) -> str:
    """Why Discord could not be reached, in words: the host and the reason, never an exception class."""
    where = yarl.URL(discord.http.Route.BASE).host or "discord.com"
    reason = "the connection failed"
    if isinstance(exc, aiohttp.ClientConnectorError):
        where = exc.host if exc.port in (None, 80, 443) else f"{exc.host}:{exc.port}"
        os_error = getattr(exc, "os_error", None) if not isinstance(exc, aiohttp.ClientSSLError) else None
        code = getattr(os_error, "errno", None)
        if isinstance(exc, aiohttp.ClientSSLError):
            reason = "the secure (TLS) connection failed; check the system clock and CA certificates"
        elif isinstance(os_error, socket.gaierror):
            reason = "its name could not be looked up (is this machine online, is DNS working?)"
        elif code == errno.ECONNREFUSED:
            reason = "the connection was refused"
        elif code in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            reason = "the network is unreachable (is this machine online?)"
        elif code:
            reason = f"the connection failed ({os.strerror(code).lower()})"
    elif isinstance(exc, TimeoutError):
        reason = "it did not answer in time"
    elif isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        reason = "it closed the connection before answering"
    elif isinstance(exc, discord.GatewayNotFound):
        reason = "it did not say where its gateway is (Discord may be having an outage)"
    elif isinstance(exc, discord.HTTPException):
        reason = f"it answered with HTTP status {exc.status} (Discord may be having an outage)"
    elif isinstance(exc, discord.ConnectionClosed):
        reason = f"it closed the gateway connection (close code {exc.code})"
    return f"Cannot reach Discord at {where}: {reason}."


def run_bot(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM; the ledger makes an interrupted digest resume cleanly next start."""
    token = settings.discord_token  # stripped; a malformed one is refused here in one sentence
    if not token:
        raise PaperboyError("DISCORD_TOKEN is not set.")
    # A long-running bot logs what it does (the CLI's default is errors only); force replaces that setup.
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        force=True)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactToken())  # whatever a library logs, the token is not in it

    async def main() -> int:
        try:
            store = Store(settings.database)
        except Exception as exc:  # unreadable file, not a database, a migration that cannot apply
            raise PaperboyError(f"Cannot open the database {settings.database}: {exc}.") from None
        bot = PaperboyBot(settings, store=store)
        loop = asyncio.get_running_loop()
        closing: list[asyncio.Task] = []  # held, so the close task cannot be garbage-collected mid-way
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: closing.append(asyncio.create_task(bot.close())))
        try:
            async with bot:
                await bot.start(token)
        except discord.LoginFailure:
            raise PaperboyError("Discord refused the token in DISCORD_TOKEN (login failed); "
                                "copy it again from the developer portal.") from None
        except discord.PrivilegedIntentsRequired:
            raise PaperboyError("Discord asks for privileged intents this bot does not use.") from None
        except (OSError, aiohttp.ClientError, discord.GatewayNotFound, discord.HTTPException,
                discord.ConnectionClosed) as exc:
            raise PaperboyError(_connection_problem(exc)) from None
        return 0

    return asyncio.run(main())
