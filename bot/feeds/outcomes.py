"""The closed sets of feeds: a feed's status, an item's outcome, and the kinds of `/feed why` answer."""

from __future__ import annotations

from enum import StrEnum


class FeedStatus(StrEnum):
    OK = "ok"
    FAILING = "failing"  # the last fetch failed; `reason` says why, and it is retried with backoff
    DISABLED = "disabled"  # no longer polled; `reason` says why


class ItemOutcome(StrEnum):
    """What happened to one feed item; stored with it, and what `/feed why` explains."""

    BASELINE = "baseline"  # in the feed when it was added: recorded as seen, never alerts
    OLD = "old"  # dated before the feed was added
    FILTERED = "filtered"  # an include word missing, or an exclude word present
    DEVELOPMENT = "development"  # became a development of a story: its followers are alerted
    NOTHING_NEW = "nothing_new"  # matched a story, but said nothing the story did not already say
    DUPLICATE = "duplicate"  # the same event as a known development: "also reported by"
    UNRELATED = "unrelated"  # below the threshold for every candidate story


class WhyKind(StrEnum):
    """The answer of `/feed why`: one per outcome, and one for an item not seen yet."""

    BASELINE = "baseline"
    OLD = "old"
    FILTERED = "filtered"
    DEVELOPMENT = "development"
    NOTHING_NEW = "nothing_new"
    DUPLICATE = "duplicate"
    BELOW_THRESHOLD = "below_threshold"
    NOT_SEEN = "not_seen"
