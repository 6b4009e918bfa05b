"""When a feed is checked next: pure arithmetic with fixed instants (no clock, no sleeps)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bot.feeds import schedule
from bot.fetch import FetchResult

NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
EVERY = timedelta(minutes=15)


def _result(**headers: str) -> FetchResult:
    return FetchResult(url="https://f.example/feed", status=200, body=b"", **headers)  # type: ignore[arg-type]


def test_backoff_doubles_per_failure_up_to_a_day() -> None:
    waits = [schedule.after_failure(EVERY, n, None) for n in range(1, 10)]
    assert [w / timedelta(minutes=1) for w in waits] == [30, 60, 120, 240, 480, 960, 1440, 1440, 1440]
    assert schedule.after_failure(EVERY, 10_000, None) == timedelta(hours=24)  # no overflow


def test_retry_after_wins_when_longer_and_never_shortens_the_backoff() -> None:
    assert schedule.after_failure(EVERY, 1, timedelta(hours=5)) == timedelta(hours=5)
    assert schedule.after_failure(EVERY, 3, timedelta(minutes=1)) == timedelta(hours=2)
    assert schedule.after_failure(EVERY, 1, timedelta(days=30)) == schedule.MAX_SERVER_ASK


def test_the_server_asks_for_the_longest_of_max_age_expires_and_retry_after() -> None:
    assert schedule.server_asks(_result(), NOW) is None
    assert schedule.server_asks(_result(cache_control="max-age=600"), NOW) == timedelta(minutes=10)
    assert schedule.server_asks(_result(expires="Sun, 10 Mar 2024 14:00:00 GMT"), NOW) == timedelta(hours=2)
    both = _result(cache_control="max-age=600", retry_after="3600")
    assert schedule.server_asks(both, NOW) == timedelta(hours=1)
    assert schedule.server_asks(_result(cache_control="max-age=99999999"), NOW) == schedule.MAX_SERVER_ASK
    assert schedule.after_fetch(EVERY, timedelta(minutes=1)) == EVERY
    assert schedule.after_fetch(EVERY, timedelta(hours=2)) == timedelta(hours=2)
    assert schedule.after_fetch(EVERY, None) == EVERY


def test_jitter_adds_at_most_its_share_and_at_most_two_minutes() -> None:
    rng = random.Random(7)
    short = [schedule.jittered(NOW, EVERY, 0.1, rng) - NOW for _ in range(200)]
    assert all(EVERY <= wait <= EVERY * 1.1 for wait in short) and len(set(short)) > 100
    long = [schedule.jittered(NOW, timedelta(hours=24), 0.1, rng) - NOW for _ in range(200)]
    assert all(timedelta(hours=24) <= wait <= timedelta(hours=24, minutes=2) for wait in long)
    assert schedule.jittered(NOW, EVERY, 0.0, rng) == NOW + EVERY
