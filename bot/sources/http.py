"""Plumbing shared by the upstream clients: one GET with retries, and folding of hard-wrapped text.

Both Hugging Face and arXiv fail in the same ways (timeouts, resets, 5xx, 429 with a wait hint), so the
retry policy lives here once. It never lets an aiohttp exception escape: callers get a response, an
:class:`UpstreamError` (the upstream answered, uselessly) or a :class:`NetworkUnavailable` (it never did),
each carrying one plain sentence.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import socket
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import aiohttp

from bot.errors import NetworkUnavailable, UpstreamError
from bot.sources.text import fold_line, fold_paragraphs  # noqa: F401  (re-exported: the parsers' helpers)

log = logging.getLogger(__name__)

USER_AGENT = "paperboy/0.1"
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)

T = TypeVar("T")


# ---------------------------------------------------------------------------------------- retries


@dataclass(slots=True)
class RetryPolicy:
    """How hard to try: ``retries`` extra attempts after the first, exponential backoff with jitter.

    ``max_wait`` caps any single pause, including a server's own "come back in N s" (429), so a
    misbehaving upstream cannot park the daily job for an hour.
    """

    retries: int = 4
    backoff: float = 1.0
    max_wait: float = 60.0
    bad_body_retries: int = 2

    def delay(self, attempt: int) -> float:
        """Pause before retry number ``attempt`` (0-based): base·2^n plus up to one base of jitter."""
        base = self.backoff * (2**attempt)
        return min(self.max_wait, base + random.uniform(0, self.backoff))


def wait_hint(headers: Mapping[str, str]) -> float | None:
    """Seconds a 429/503 asks us to wait, from ``RateLimit`` (``"api";r=0;t=55``) or ``Retry-After``.

    The IETF draft header is what Hugging Face sends; its older ``reset=55`` form and the classic
    ``Retry-After`` (seconds or an HTTP date) are accepted too. ``None`` when there is no usable hint.
    """
    rl = headers.get("RateLimit") or headers.get("X-RateLimit-Reset")
    if rl:
        m = re.search(r"(?:^|[;,\s])(?:t|reset)\s*=\s*(\d+(?:\.\d+)?)", rl)
        if m:
            return float(m.group(1))
        if re.fullmatch(r"\s*\d+(?:\.\d+)?\s*", rl):  # X-RateLimit-Reset: 55
            return float(rl)
    ra = headers.get("Retry-After")
    if ra:
        ra = ra.strip()
        if re.fullmatch(r"\d+(?:\.\d+)?", ra):
            return float(ra)
        try:
            when = parsedate_to_datetime(ra)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    return None


def connection_reason(err: BaseException) -> str:
    """A short human reason for a failed connection ("connection refused", "DNS lookup failed" ...)."""
    os_err = getattr(err, "os_error", None) or err
    dns_error = getattr(aiohttp, "ClientConnectorDNSError", socket.gaierror)  # aiohttp >= 3.11
    if isinstance(err, dns_error) or isinstance(os_err, socket.gaierror):
        return "the host name could not be resolved (DNS lookup failed)"
    if isinstance(os_err, ConnectionRefusedError):
        return "connection refused"
    if isinstance(os_err, ConnectionResetError) or isinstance(err, aiohttp.ServerDisconnectedError):
        return "the connection was closed before an answer came"
    if isinstance(err, aiohttp.ClientSSLError):
        return "the TLS handshake failed"
    text = getattr(os_err, "strerror", None) or str(os_err) or type(err).__name__
    return text.rstrip(".")


@dataclass(slots=True)
class _Failure:
    kind: str  # "network" (never answered), "http" (answered badly) or "truncated" (answer cut off)
    reason: str


def _cut_off(err: ValueError) -> bool:
    """A JSON body that ends in the middle of a value: the answer was truncated, not wrong.

    json reports the end of input as an error at the last position, except for a string that never
    closes ("Unterminated string starting at", the string's start) and a cut literal (``[tru``).
    """
    if not isinstance(err, json.JSONDecodeError):
        return False
    rest = err.doc[err.pos:].rstrip()
    return not rest or err.msg.startswith("Unterminated string") or \
        any(word.startswith(rest) for word in ("true", "false", "null"))


async def get_with_retries(
    session: aiohttp.ClientSession,
    url: str,
    params: Mapping[str, str | int] | None = None,
    *,
    timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
    policy: RetryPolicy | None = None,
    service: str,
    base_url: str,
    what: str,
    parse: Callable[[int, str], T],
    bad_body: str,
    headers: Mapping[str, str] | None = None,
    limiter: AbstractAsyncContextManager[Any] | None = None,
) -> T:
    """GET ``url`` and return ``parse(status, text)``, retrying what is worth retrying.

    Retried: timeouts, connection errors, bodies cut off in transit, 5xx, 429 (waiting as the server
    asks, capped by ``policy.max_wait``), and bodies ``parse`` rejects by raising ``ValueError`` (at
    most ``policy.bad_body_retries`` times, then ``UpstreamError(bad_body)``, or "… sent an incomplete
    answer …" when the JSON simply stops mid-value). Other statuses go to ``parse``
    as they are, so the caller decides what a 400 or 404 means. ``service``/``base_url``/``what`` only
    word the error sentences, e.g. "Cannot reach Hugging Face at https://huggingface.co: connection
    refused."

    ``limiter`` (an :class:`aiolimiter.AsyncLimiter`) is entered before every attempt, retries
    included, so a retry spends the same budget as a first try and a burst of retries cannot break the
    upstream's rate limit.
    """
    policy = policy or RetryPolicy()
    hdrs = {"User-Agent": USER_AGENT, **(headers or {})}
    bad_bodies = 0
    last: _Failure | None = None
    attempts = max(0, policy.retries) + 1
    for attempt in range(attempts):
        pause: float | None = None
        try:
            async with limiter or nullcontext(), session.get(url, params=params, headers=hdrs,
                                                             timeout=timeout) as resp:
                text = await resp.text(errors="replace")
                status = resp.status
                if status == 429 or status >= 500:
                    hint = wait_hint(resp.headers)
                    last = _Failure("http", f"HTTP {status}")
                    if hint is not None:
                        pause = min(policy.max_wait, hint)
                else:
                    try:
                        return parse(status, text)
                    except ValueError as err:
                        bad_bodies += 1
                        if _cut_off(err):
                            last = _Failure("truncated", "the JSON ends mid-value")
                        else:
                            last = _Failure("http", str(err) or "unusable body")
                        if bad_bodies > policy.bad_body_retries:
                            break
        except TimeoutError:
            secs = timeout.total or timeout.sock_read or timeout.connect
            last = _Failure("network", f"no answer within {secs:g} s" if secs else "timed out")
        except aiohttp.ClientConnectorError as err:
            last = _Failure("network", connection_reason(err))
        except aiohttp.ClientPayloadError:
            # The body stopped short of its Content-Length or chunked framing (ContentLengthError,
            # TransferEncodingError inside): the service answered, but not all of it arrived.
            last = _Failure("truncated", "the body was cut off")
        except aiohttp.InvalidURL as err:
            raise NetworkUnavailable(
                f"Cannot reach {service} at {base_url}: the address {err} is invalid."
            ) from None
        except (aiohttp.ClientError, OSError) as err:
            last = _Failure("network", connection_reason(err))

        if attempt + 1 >= attempts:
            break
        if pause is None:
            pause = policy.delay(attempt)
        log.warning(
            "%s: %s failed (%s), retry %d of %d in %.2f s",
            service,
            what,
            last.reason if last else "?",
            attempt + 1,
            attempts - 1,
            pause,
        )
        await asyncio.sleep(pause)

    assert last is not None
    if last.kind == "truncated":
        raise UpstreamError(f"{service} sent an incomplete answer for {what}; try again later.")
    if last.kind == "network":
        raise NetworkUnavailable(f"Cannot reach {service} at {base_url}: {last.reason}.")
    if bad_bodies and last.reason and not last.reason.startswith("HTTP "):
        raise UpstreamError(bad_body)
    raise UpstreamError(
        f"{service} kept failing ({last.reason}) for {what} after {attempts} "
        f"{'try' if attempts == 1 else 'tries'}; try again later."
    )
