"""``/digest ...``: server admins choose where and when the daily digest is posted.

Translation only: options → :class:`~bot.channels.Channels` calls, core results → ephemeral replies.
Guild-only, and Manage Server by default (admins can widen it in Server Settings → Integrations).
"""

from __future__ import annotations

import logging
import zoneinfo
from datetime import datetime
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.channels import Channel, Channels
from bot.clock import today_in
from bot.delivery import OutcomeKind, exhaustive
from bot.discord.tree import reply_privately
from bot.models import parse_day
from bot.subscriptions import Subscriptions
from bot.taxonomy import ALL_TAGS, UnknownTagError
from bot.weekly import DEFAULT_COUNT, MAX_COUNT, Recap, WeeklyRecaps

if TYPE_CHECKING:
    from bot.discord.client import PaperboyBot

log = logging.getLogger(__name__)

_ZONES = sorted(zoneinfo.available_timezones())
NEEDED = ("view_channel", "send_messages", "embed_links", "read_message_history")
NEEDED_THREAD = ("create_public_threads", "send_messages_in_threads")
WEEKDAY_CHOICES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "off")


#: ``/digest now``'s answer for each outcome; ``exhaustive`` refuses to import without one for every kind.
NOW_REPLIES = exhaustive({
    OutcomeKind.DELIVERED: "Posted the digest of {day} ({sent} messages).",
    OutcomeKind.ALREADY: "The digest of {day} was already posted in <#{cid}>; nothing was sent twice.",
    OutcomeKind.SKIPPED: "Not posted: {detail}.",
    OutcomeKind.DISABLED: "Not posted: {detail}",
    OutcomeKind.THREAD_GONE: "Posted {sent} messages of the digest of {day}, then its thread was deleted or "
                             "locked, so the rest of that day is not posted ({detail}). The channel itself "
                             "still gets its digests.",
    OutcomeKind.RETRY_LATER: "Discord is having trouble ({detail}); I will try again in 10 minutes.",
    OutcomeKind.DM_CLOSED: "Not posted: {detail}.",
}, "the /digest now replies")


def _ts(dt: datetime | None) -> str:
    return f"<t:{int(dt.timestamp())}:F> (<t:{int(dt.timestamp())}:R>)" if dt else "not scheduled"


def describe(channel: Channel, next_post: datetime | None) -> str:
    tags = ", ".join(channel.tags) if channel.tags else "all tags"
    line = (f"<#{channel.channel_id}> — {channel.post_time} {channel.timezone}, {channel.layout} layout, {tags}.")
    if not channel.enabled:
        line += f"\n  ⛔ {channel.disabled_reason}"
    elif channel.paused:
        line += "\n  ⏸ Paused (/digest resume to restart)."
    else:
        line += f"\n  Next post: {_ts(next_post)}."
    if channel.last_day:
        line += f"\n  Last delivered: the digest of {channel.last_day}."
    return line


def describe_weekly(recap: Recap, next_post: datetime | None) -> str:
    line = (f"<#{recap.channel_id}> — weekly recap: the last week's top {recap.count}, {recap.day_name}s at "
            f"{recap.post_time} {recap.timezone}.")
    if not recap.enabled:
        line += f"\n  ⛔ {recap.disabled_reason}"
    else:
        line += f"\n  Next recap: {_ts(next_post)}."
    if recap.last_week:
        line += f"\n  Last sent: the recap of {recap.last_week}."
    return line


class Admin(commands.Cog):
    digest = app_commands.Group(name="digest", description="Where and when paperboy posts the daily papers",
                                guild_only=True, default_permissions=discord.Permissions(manage_guild=True))

    def __init__(self, bot: PaperboyBot) -> None:
        self.bot = bot
        self.channels = Channels(bot.store)

    @staticmethod
    async def _reply(interaction: discord.Interaction, text: str) -> None:
        await reply_privately(interaction, text)

    def _missing_permissions(self, channel: discord.abc.GuildChannel, layout: str) -> list[str]:
        me = channel.guild.me
        if me is None:
            return []
        perms = channel.permissions_for(me)
        needed = NEEDED + (NEEDED_THREAD if layout == "thread" else ())
        return [p.replace("_", " ").title() for p in needed if not getattr(perms, p)]

    @digest.command(name="setup", description="Post the daily digest in a channel at a local time")
    @app_commands.describe(channel="Where to post",
                           time="24-hour HH:MM, e.g. 09:00 (default: the channel's current time, else the bot's)",
                           timezone="IANA time zone, e.g. Europe/Berlin (default: the channel's current one, "
                                    "else the bot's)",
                           tags="Only these tags (comma-separated)",
                           layout="thread: header + a thread with one message per paper; channel: packed embeds")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def setup(self, interaction: discord.Interaction, channel: discord.TextChannel, time: str | None = None,
                    timezone: str | None = None, tags: str | None = None,
                    layout: Literal["thread", "channel"] = "thread") -> None:
        # Omitted time/zone: keep what the channel has (re-running setup to change the layout must not move
        # the post time), else the operator's [discord] default_post_time / default_timezone.
        current = self.channels.get(channel.id)
        defaults = self.bot.settings.discord
        time = time if time is not None else current.post_time if current else defaults.default_post_time
        timezone = timezone if timezone is not None else current.timezone if current else defaults.default_timezone
        try:
            saved = self.channels.setup(channel_id=channel.id, guild_id=interaction.guild_id or 0, post_time=time,
                                        timezone=timezone, tags=tags, layout=layout, user_id=interaction.user.id)
        except (ValueError, UnknownTagError) as exc:
            await self._reply(interaction, str(exc))
            return
        self.bot.digests.sync()
        text = "Saved.\n" + describe(saved, self.bot.digests.next_post(saved.channel_id))
        missing = self._missing_permissions(channel, layout)
        if missing:
            text += f"\n⚠️ I am missing these permissions in <#{channel.id}>: {', '.join(missing)}."
        await self._reply(interaction, text)

    @setup.autocomplete("timezone")
    async def _tz_complete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        cur = current.casefold()
        hits = [z for z in _ZONES if cur in z.casefold()] if cur else ["UTC", "Europe/London", "Europe/Berlin",
                                                                      "America/New_York", "America/Los_Angeles",
                                                                      "Asia/Tokyo", "Asia/Shanghai"]
        return [app_commands.Choice(name=z, value=z) for z in hits[:25]]

    @setup.autocomplete("tags")
    async def _tags_complete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        done, _, last = current.rpartition(",")
        prefix = f"{done}, " if done else ""
        cur = last.strip().casefold()
        hits = [t for t in ALL_TAGS if cur in t.casefold()]
        return [app_commands.Choice(name=(prefix + t)[:100], value=(prefix + t)[:100]) for t in hits[:25]]

    def _target(self, interaction: discord.Interaction, channel: discord.abc.GuildChannel | None) -> int:
        return channel.id if channel else (interaction.channel_id or 0)

    @digest.command(name="status", description="Each digest channel: next post, last delivery, problems")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def status(self, interaction: discord.Interaction) -> None:
        chans = self.channels.all(interaction.guild_id)
        recaps = WeeklyRecaps(self.bot.store).all(interaction.guild_id)
        if not chans and not recaps:
            await self._reply(interaction, "No digest channels yet: use /digest setup.")
            return
        text = "\n".join([describe(c, self.bot.digests.next_post(c.channel_id)) for c in chans]
                         + [describe_weekly(r, self.bot.digests.next_weekly(r.channel_id)) for r in recaps])
        await self._reply(interaction, text[:2000])

    @digest.command(name="now", description="Post a day's digest to a channel right now")
    @app_commands.describe(date="YYYY-MM-DD, today or yesterday (default: today)", channel="Default: this one")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def now(self, interaction: discord.Interaction, date: str | None = None,
                  channel: discord.TextChannel | None = None) -> None:
        cid = self._target(interaction, channel)
        ch = self.channels.get(cid)
        if ch is None:
            await self._reply(interaction, f"<#{cid}> has no digest yet: use /digest setup first.")
            return
        local_today = today_in(ch.timezone, self.bot.clock)
        try:
            day = parse_day(date, local_today) if date else self.bot.digests.channel_day(ch)
        except ValueError as exc:
            await self._reply(interaction, str(exc))
            return
        if day > local_today.isoformat():
            await self._reply(interaction, f"{day} has not happened yet in {ch.timezone}; pick today or a past day.")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        outcome = await self.bot.digests.post(str(cid), day)
        await self._reply(interaction, NOW_REPLIES[outcome.status].format(
            day=day, cid=cid, sent=outcome.sent, detail=outcome.detail))

    async def _toggle(self, interaction: discord.Interaction, channel: discord.TextChannel | None, action: str) -> None:
        cid = self._target(interaction, channel)
        if action == "remove":
            ok = self.channels.remove(cid)
            text = f"<#{cid}> will get no more digests." if ok else f"<#{cid}> had no digest."
        elif getattr(self.channels, action)(cid) is None:
            text = f"<#{cid}> has no digest: use /digest setup."
        else:
            text = f"Paused <#{cid}>." if action == "pause" else "Resumed."
        self.bot.digests.sync()
        if action == "resume" and (ch := self.channels.get(cid)):
            text += "\n" + describe(ch, self.bot.digests.next_post(str(cid)))
        await self._reply(interaction, text)

    @digest.command(name="pause", description="Stop posting in a channel until /digest resume")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def pause(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None) -> None:
        await self._toggle(interaction, channel, "pause")

    @digest.command(name="resume", description="Post again in a paused or disabled channel")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def resume(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None) -> None:
        await self._toggle(interaction, channel, "resume")

    @digest.command(name="remove", description="Stop and forget a channel's digest settings")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def remove(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None) -> None:
        await self._toggle(interaction, channel, "remove")


    @digest.command(name="weekly", description="Post the last week's most upvoted papers once a week")
    @app_commands.describe(day="The weekday to post on (off: stop the weekly recap)",
                           time="24-hour HH:MM in the channel's digest time zone (default: its post time, else 09:00)",
                           count=f"How many papers (1-{MAX_COUNT}, default {DEFAULT_COUNT})",
                           channel="Default: this one")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def weekly(self, interaction: discord.Interaction, day: Literal[WEEKDAY_CHOICES],
                     time: str | None = None, count: app_commands.Range[int, 1, MAX_COUNT] = DEFAULT_COUNT,
                     channel: discord.TextChannel | None = None) -> None:
        cid = self._target(interaction, channel)
        recaps = WeeklyRecaps(self.bot.store)
        if day == "off":
            text = f"<#{cid}> will get no more weekly recaps." if recaps.remove(cid) else \
                f"<#{cid}> had no weekly recap."
            self.bot.digests.sync()
            await self._reply(interaction, text)
            return
        daily, defaults = self.channels.get(cid), self.bot.settings.discord
        try:
            saved = recaps.setup(channel_id=cid, guild_id=interaction.guild_id or 0, day=day,
                                 post_time=time or (daily.post_time if daily else defaults.default_post_time),
                                 timezone=daily.timezone if daily else defaults.default_timezone,
                                 count=count, user_id=interaction.user.id)
        except ValueError as exc:
            await self._reply(interaction, str(exc))
            return
        self.bot.digests.sync()
        text = "Saved.\n" + describe_weekly(saved, self.bot.digests.next_weekly(saved.channel_id))
        missing = self._missing_permissions(channel, "channel") if channel else []
        if missing:
            text += f"\n⚠️ I am missing these permissions in <#{cid}>: {', '.join(missing)}."
        await self._reply(interaction, text)

    @digest.command(name="role", description="Ping a role in the day's thread when papers with a tag arrive")
    @app_commands.describe(tag="A Hugging Face task tag", role="The role to ping; leave empty to stop pinging")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def role(self, interaction: discord.Interaction, tag: str, role: discord.Role | None = None) -> None:
        try:
            canonical = Subscriptions(self.bot.store).map_role(interaction.guild_id or 0, tag,
                                                                role.id if role else None)
        except UnknownTagError as exc:
            await self._reply(interaction, str(exc))
            return
        text = (f"Papers tagged **{canonical}** will ping <@&{role.id}> once in the day's digest."
                if role else f"Papers tagged **{canonical}** will ping no role.")
        await self._reply(interaction, text)

    @role.autocomplete("tag")
    async def _role_tag_complete(self, interaction: discord.Interaction, current: str,
                                 ) -> list[app_commands.Choice[str]]:
        cur = current.casefold()
        return [app_commands.Choice(name=t, value=t) for t in ALL_TAGS if cur in t.casefold()][:25]

    @digest.command(name="dm-fallback", description="Mention subscribers in the thread when their DMs are closed")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def dm_fallback(self, interaction: discord.Interaction, enabled: bool) -> None:
        Subscriptions(self.bot.store).set_dm_fallback(interaction.guild_id or 0, enabled)
        await self._reply(interaction, "Subscribers whose DMs are closed will be mentioned in the day's digest thread."
                          if enabled else "Subscribers whose DMs are closed will not be mentioned.")


async def setup(bot: PaperboyBot) -> None:
    await bot.add_cog(Admin(bot))
