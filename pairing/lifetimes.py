"""How long each credential lives, and how often a session's sliding expiry is written. No Django imports."""

from __future__ import annotations

PAIRING_TTL_SECONDS = 5 * 60
# A link is a bearer secret in a URL, protected by being short-lived: a week at most.
PAIRING_MAX_TTL_SECONDS = 7 * 86400
TICKET_TTL_SECONDS = 60
# Sliding expiry is written at most this often per session, so a busy client does not turn
# every request into a database write; a socket touches its session no more often either.
TOUCH_INTERVAL_SECONDS = 60
