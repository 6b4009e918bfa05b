"""Slack's answers sorted the way the outbox needs them: sent maybe, try again later, or never.

A Web API call fails in one of three ways:

* **ambiguous**: a timeout, a dropped connection, a 5xx, or `internal_error`/`fatal_error`/`request_timeout`/
  `service_unavailable` (Slack's documentation says some of the operation may have succeeded). A post may
  have been stored, so it must be looked for before it is made again;
* **temporary**: a 429 (with its `Retry-After`), or a rejected token the operator can still fix;
* **permanent**: the channel is gone or archived, the bot is not in it, the user's DMs are closed, the message
  itself is refused. Retrying cannot help, and the reason is written for the person who reads `/digest show`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.delivery import PermanentFailure, TemporaryFailure

__all__ = ["MessageGone", "api_error", "classify", "is_ambiguous", "retry_after"]

AMBIGUOUS_ERRORS = frozenset({"internal_error", "fatal_error", "request_timeout", "service_unavailable"})
DMS_CLOSED = frozenset({"messages_tab_disabled", "cannot_dm_bot", "user_not_found", "user_disabled"})
TOKEN_ERRORS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"})
DMS_CLOSED_REASON = "this user's DMs are closed to the bot"


class MessageGone(PermanentFailure):
    """The message to reply under or to edit (a story card) was deleted: start a new card instead."""


def api_error(exc: BaseException) -> str | None:
    """Slack's `error` code (`not_in_channel`), or None when the answer was not a Slack error (a 5xx page)."""
    if not isinstance(exc, SlackApiError):
        return None
    data = exc.response.data
    return str(data.get("error")) if isinstance(data, Mapping) and data.get("error") else None


def _status(exc: BaseException) -> int | None:
    return exc.response.status_code if isinstance(exc, SlackApiError) else None


def retry_after(exc: BaseException) -> float | None:
    """The seconds in a 429's Retry-After header, if it holds a number."""
    if not isinstance(exc, SlackApiError):
        return None
    value = next((v for k, v in exc.response.headers.items() if k.lower() == "retry-after"), None)
    try:
        seconds = float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
    return seconds if seconds is not None and math.isfinite(seconds) else None


def is_ambiguous(exc: BaseException) -> bool:
    """True when Slack may have done what was asked although the call failed."""
    if isinstance(exc, TimeoutError | aiohttp.ClientError | OSError):
        return True
    status = _status(exc)
    return (status is not None and status >= 500) or api_error(exc) in AMBIGUOUS_ERRORS


def classify(exc: BaseException, where: str, *, bot_name: str = "briefbot") -> TemporaryFailure | PermanentFailure:
    """The outbox's failure for a call about `where` ("#news", "the DM") that raised `exc`."""
    error, status = api_error(exc), _status(exc)
    if status == 429 or error == "ratelimited":
        return TemporaryFailure("rate limited by Slack", retry_after=retry_after(exc))
    if is_ambiguous(exc):
        return TemporaryFailure(f"Slack did not answer ({error or status or type(exc).__name__})")
    if error in TOKEN_ERRORS:
        return TemporaryFailure(f"Slack rejected the bot token ({error}): check SLACK_BOT_TOKEN")
    if error == "not_in_channel":
        # Nothing more can reach the channel until someone invites the bot: its queued messages fail with this one.
        return PermanentFailure(f"@{bot_name} is not in {where}: invite @{bot_name} to {where}", target_gone=True)
    if error == "channel_not_found":
        return PermanentFailure(
            f"{where} was not found: it was deleted, or it is private and @{bot_name} is not in it", target_gone=True
        )
    if error == "is_archived":
        return PermanentFailure(f"{where} is archived", target_gone=True)
    if error in DMS_CLOSED:
        return PermanentFailure(DMS_CLOSED_REASON, dms_closed=True)
    if error == "thread_not_found":
        return MessageGone(f"the story card in {where} was deleted, and its thread with it")
    if error == "message_not_found":
        return MessageGone(f"the message in {where} was deleted")
    if error == "missing_scope":
        needed = exc.response.data.get("needed") if isinstance(exc, SlackApiError) else None
        return PermanentFailure(f"the Slack app lacks the {needed or 'needed'} scope: reinstall it from its manifest")
    return PermanentFailure(f"Slack refused the message in {where} ({error or status or type(exc).__name__})")
