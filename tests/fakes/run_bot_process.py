"""Run ``paperboy run`` in this process against a fake Discord: the two test-side patches, then the CLI.

Usage: python -m tests.fakes.run_bot_process URL -- [paperboy arguments]
Only the Discord base URLs change (as DESIGN.md describes for testing discord.py); everything else is
the real command, signal handling included.
"""

from __future__ import annotations

import sys

import discord.gateway
import discord.http
import yarl


def main() -> int:
    url, _, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    discord.http.Route.BASE = f"{url}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url.replace("http", "ws", 1) + "/gateway")
    from bot.cli import main as paperboy

    return paperboy(rest)


if __name__ == "__main__":
    raise SystemExit(main())
