"""The Discord edge: a ``commands.Bot`` that wires the core (store, fetcher, scheduler, delivery) to Discord.

Only default, non-privileged intents: slash commands and posting need neither message content nor
the member list. Cogs are extensions loaded in ``setup_hook``; the command tree is synced once at
start (to a test guild when one is configured, so changes show up at once).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import date

import discord
from discord.ext import commands

from bot.clock import today_in
from bot.config import Settings
from bot.delivery import Deliverer
from bot.discord.sender import DiscordSender
from bot.errors import PaperboyError
from bot.pipeline import Fetcher, FetchResult
from bot.scheduler import DigestScheduler
from bot.search import TagCounts
from bot.store import Store

log = logging.getLogger(__name__)

EXTENSIONS = ("bot.discord.cogs.admin", "bot.discord.cogs.papers", "bot.discord.cogs.subscriptions")

#: View Channel, Send Messages, Embed Links, Read Message History, Create Public Threads, Send in Threads.
PERMISSIONS = discord.Permissions(view_channel=True, send_messages=True, embed_links=True,
                                  read_message_history=True, create_public_threads=True,
                                  send_messages_in_threads=True)


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(application_id, permissions=PERMISSIONS,
                                   scopes=("bot", "applications.commands"))


class PaperboyBot(commands.Bot):
    def __init__(self, settings: Settings, *, store: Store | None = None, sync_commands: bool = True) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=discord.Intents.default(),
                         allowed_mentions=discord.AllowedMentions.none(), help_command=None)
        self.settings = settings
        self.store = store or Store(settings.database)
        self.fetcher = Fetcher(settings)
        self.deliverer = Deliverer(self.store, DiscordSender(self))
        self.digests = DigestScheduler(self.store, settings, self.deliverer, self._fetch_day)
        #: Tag counts for autocomplete, shared by the cogs and refilled right after each fetch, so no
        #: reader's keystroke pays for recounting (840 ms at a million papers).
        self.tag_counts = TagCounts(self.store)
        self.sync_commands = sync_commands
        self._caught_up = False
        self._catch_up_task: asyncio.Task | None = None

    def today(self) -> date:
        """Today where the bot's configured time zone says it is ('today' in commands)."""
        return today_in(self.settings.timezone)

    async def _fetch_day(self, day: str) -> FetchResult:
        result = await self.fetcher.fetch_day(self.store, day, "hf")
        self.tag_counts.counts()
        return result

    async def setup_hook(self) -> None:
        await self.fetcher.__aenter__()
        for ext in EXTENSIONS:
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
        self.digests.start()

    async def on_ready(self) -> None:
        log.info("logged in as %s (%s) in %d guild(s)", self.user, getattr(self.user, "id", "?"), len(self.guilds))
        if not self._caught_up:
            self._caught_up = True
            if self.user and self.application_id:
                log.info("invite link: %s", invite_url(self.application_id))
            self._catch_up_task = asyncio.create_task(self._catch_up())

    async def _catch_up(self) -> None:
        try:
            await self.digests.catch_up()
        except Exception:
            log.exception("catch-up after start failed; the regular schedule goes on")

    async def close(self) -> None:
        self.digests.shutdown()
        await self.fetcher.__aexit__(None, None, None)
        await super().close()
        self.store.close()


def run_bot(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM; the ledger makes an interrupted digest resume cleanly next start."""
    token = settings.discord_token
    if not token:
        raise PaperboyError("DISCORD_TOKEN is not set.")
    # A long-running bot logs what it does (the CLI's default is errors only); force replaces that setup.
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        force=True)

    async def main() -> int:
        try:
            store = Store(settings.database)
        except Exception as exc:  # unreadable file, not a database, a migration that cannot apply
            raise PaperboyError(f"Cannot open the database {settings.database}: {exc}.") from None
        bot = PaperboyBot(settings, store=store)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: asyncio.create_task(bot.close()))
        try:
            async with bot:
                await bot.start(token)
        except discord.LoginFailure:
            raise PaperboyError("Discord refused the token in DISCORD_TOKEN (login failed); "
                                "copy it again from the developer portal.") from None
        except discord.PrivilegedIntentsRequired:
            raise PaperboyError("Discord asks for privileged intents this bot does not use.") from None
        except (OSError, discord.GatewayNotFound) as exc:
            raise PaperboyError(f"Cannot reach Discord: {type(exc).__name__}.") from None
        return 0

    return asyncio.run(main())
