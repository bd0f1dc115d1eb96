"""The one place t3site reads the time from.

Code that depends on the clock calls ``clock.now()`` (through the module, not
``from t3site.clock import now``) so tests can move time by patching this
function instead of sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    """Return ``value`` as an ISO 8601 UTC string ending in Z, as the API shows times."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
