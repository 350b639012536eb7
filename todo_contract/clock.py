"""Server-set timestamps: UTC, microsecond precision, and strictly increasing on update."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

ONE_MICROSECOND = timedelta(microseconds=1)


def utc_now() -> datetime:
    """The current instant as a naive UTC datetime, the form every backend stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def next_updated_at(previous: datetime) -> datetime:
    """A new ``updated_at`` that is later than ``previous`` even if the clock has not moved on.

    Two updates within one microsecond, or a clock that stepped back, must still move
    ``updated_at`` forward: the contract promises it changes on every successful update.
    """
    return max(utc_now(), previous + ONE_MICROSECOND)


def format_timestamp(value: datetime) -> str:
    """ISO 8601 with microseconds and a ``Z``: ``2024-01-15T10:30:00.123456Z``."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
