"""``python -m bot`` runs the same command line as ``paperboy``."""

from bot.cli import main

raise SystemExit(main())
