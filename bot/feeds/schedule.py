"""When a feed is checked next: its interval, what the server asks, backoff after failures, and jitter.

Pure arithmetic on aware datetimes, so the tests drive it with an injected clock.

- After a fetch (a 304 too): the longer of the feed's interval and what the server asks (Cache-Control max-age,
  else Expires, and Retry-After). Never more often than the server asks.
- After the n-th failure in a row: the interval × 2^n, at most `max_backoff` (24 h), and never before a
  Retry-After.
- Then up to `jitter` of the delay is added (at most MAX_JITTER), so feeds added together drift apart instead of
  hitting the same hosts in the same tick for ever.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from bot.fetch import FetchResult, parse_retry_after

MAX_JITTER = timedelta(minutes=2)
# A server asking for more than this (a max-age of a year) is taken as a mistake, not as "never again".
MAX_SERVER_ASK = timedelta(days=7)


def server_asks(result: FetchResult, now: datetime) -> timedelta | None:
    """How long the server asks us to wait: the longer of its freshness and its Retry-After, or None if unsaid."""
    asked = [d for d in (result.fresh_for(now), parse_retry_after(result.retry_after, now)) if d is not None]
    return min(max(asked), MAX_SERVER_ASK) if asked else None


def after_fetch(every: timedelta, asked: timedelta | None) -> timedelta:
    return max(every, asked) if asked is not None else every


def after_failure(
    every: timedelta, failures: int, retry_after: timedelta | None, max_backoff: timedelta = timedelta(hours=24)
) -> timedelta:
    """The wait after `failures` failures in a row (1 after the first): ×2 per failure, capped, and never shorter
    than the server's Retry-After."""
    delay = min(every * 2 ** min(failures, 32), max_backoff)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_SERVER_ASK))
    return delay


def jittered(now: datetime, delay: timedelta, share: float, rng: random.Random) -> datetime:
    """`now + delay`, plus a random part of up to `share` of the delay (at most MAX_JITTER)."""
    spread = min(delay * share, MAX_JITTER)
    return now + delay + spread * rng.random()
