"""Public identifiers and the length of the names people give things. No Django imports."""

from __future__ import annotations

import secrets

# Labels name devices, links and environments for people; longer input is cut, not refused.
LABEL_MAX_LENGTH = 200


def new_id() -> str:
    """Return a public identifier: 64 random bits in hex, short enough to type in `auth ... revoke ID`."""
    return secrets.token_hex(8)
