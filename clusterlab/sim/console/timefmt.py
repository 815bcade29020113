"""Ages and timestamps as kubectl prints them (KCTL-1, KCTL-7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def human_duration(d: timedelta) -> str:
    """apimachinery `util/duration.HumanDuration` (the AGE column, `3m (x5 over 10m)`)."""
    seconds = int(d.total_seconds())  # Go: int(d.Seconds()) truncates toward zero
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        years = hours // 24 // 365
        return f"{years}y" if dy == 0 else f"{years}y{dy}d"
    return f"{hours // 24 // 365}y"


def since(ts: datetime, now: datetime) -> str:
    """`translateTimestampSince`: HumanDuration of now − ts."""
    return human_duration(now - ts)


def _utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC) if ts.tzinfo else ts.replace(tzinfo=UTC)


def rfc1123z(ts: datetime) -> str:
    """Go `time.RFC1123Z` in UTC: `Thu, 01 May 2025 10:00:00 +0000` (describe Start Time,
    CreationTimestamp, condition times; KCTL-7)."""
    return _utc(ts).strftime("%a, %d %b %Y %H:%M:%S +0000")


def http_date(ts: datetime) -> str:
    """RFC 7231 IMF-fixdate (HTTP `Date:` header)."""
    return _utc(ts).strftime("%a, %d %b %Y %H:%M:%S GMT")


def rfc3339(ts: datetime) -> str:
    """`metadata.creationTimestamp` as the API serialises it."""
    return _utc(ts).strftime("%Y-%m-%dT%H:%M:%SZ")
