"""Errors a user can cause or meet, each carrying one plain sentence fit to show them as is."""

from __future__ import annotations


class PaperboyError(Exception):
    """Base of every expected failure; ``str(err)`` is the sentence shown to the user."""


class SourceError(PaperboyError):
    """A file or upstream payload that cannot be read as papers (the rest of a batch goes on)."""


class UpstreamError(PaperboyError):
    """An upstream API answered, but not with what we can use, even after retries."""


class NetworkUnavailable(PaperboyError):
    """The upstream could not be reached at all (no network, DNS failure, connection refused, timeouts)."""


class ConfigError(PaperboyError):
    """A config file or environment value that is missing or wrong; the message names the key."""


class StoreError(PaperboyError):
    """The database cannot be opened, read or written (damaged, changed outside paperboy, read-only,
    locked too long); the message names the file and what to do."""
