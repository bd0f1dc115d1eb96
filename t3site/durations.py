"""Parse and format the TTL syntax used by the commands and settings: 90s, 5m, 1h, 30d."""

from __future__ import annotations

import re

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Ten years: beyond any lifetime t3site grants, and far from datetime's overflow.
MAX_DURATION_SECONDS = 3650 * 86400
_DURATION = re.compile(r"^\s*(\d{1,9})\s*([smhd])\s*$", re.IGNORECASE)


class DurationError(ValueError):
    pass


def parse_duration(text: str) -> int:
    """Return the number of seconds in ``text`` (``90s``, ``5m``, ``1h``, ``30d``)."""
    match = _DURATION.match(text or "")
    if not match:
        raise DurationError(f"invalid duration {text!r}: use a number and a unit, like 90s, 5m, 1h or 30d")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if seconds <= 0:
        raise DurationError(f"invalid duration {text!r}: it must be longer than zero")
    if seconds > MAX_DURATION_SECONDS:
        raise DurationError(f"invalid duration {text!r}: it must be at most 3650d")
    return seconds


def format_duration(seconds: int) -> str:
    """Return the shortest exact spelling of ``seconds`` in the TTL syntax."""
    for unit in ("d", "h", "m"):
        if seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"


_UNIT_WORDS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def duration_in_words(seconds: int) -> str:
    """Return ``seconds`` as a person says it, in its largest exact unit: "5 minutes", "1 hour"."""
    spelled = format_duration(seconds)
    count, unit = int(spelled[:-1]), _UNIT_WORDS[spelled[-1]]
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
