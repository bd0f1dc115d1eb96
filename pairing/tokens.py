"""Make, normalize and digest t3site's credentials (docs/contract.md §3).

No Django imports. Raw tokens exist only in memory and in the one response that
hands them out; at rest they are HMAC-SHA256 digests keyed with the server secret,
so a copy of the database alone cannot be replayed against the server.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

# Crockford-like alphabet without 0/O/1/I: easy to read aloud and type on a phone.
PAIRING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
# 12 symbols of 32 = 60 bits. Enough for a secret that works once, for 5 minutes,
# behind a limit of 10 failures per IP per 10 minutes.
PAIRING_CODE_LENGTH = 12
SESSION_PREFIX = "t3s_"
TICKET_PREFIX = "t3w_"
# token_urlsafe(32) is 256 bits in 43 url-safe characters.
_RANDOM_BYTES = 32
_URLSAFE_43 = re.compile(r"^[A-Za-z0-9_-]{43}$")
_PAIRING_SEPARATORS = re.compile(r"[\s-]+")


class MalformedToken(ValueError):
    pass


def new_pairing_code() -> str:
    """Return a fresh 12-character pairing code."""
    return "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(PAIRING_CODE_LENGTH))


def normalize_pairing_code(text: str) -> str:
    """Return ``text`` as a canonical pairing code: upper case, spaces and dashes removed.

    Raise MalformedToken when what is left is not 12 symbols of the alphabet.
    """
    code = _PAIRING_SEPARATORS.sub("", text or "").upper()
    if len(code) != PAIRING_CODE_LENGTH or any(ch not in PAIRING_ALPHABET for ch in code):
        raise MalformedToken(
            f"a pairing token is {PAIRING_CODE_LENGTH} characters of {PAIRING_ALPHABET} (spaces and dashes are ignored)"
        )
    return code


def new_session_token() -> str:
    return SESSION_PREFIX + secrets.token_urlsafe(_RANDOM_BYTES)


def new_ticket() -> str:
    return TICKET_PREFIX + secrets.token_urlsafe(_RANDOM_BYTES)


def is_session_token(text: str) -> bool:
    return text.startswith(SESSION_PREFIX) and bool(_URLSAFE_43.match(text[len(SESSION_PREFIX) :]))


def is_ticket(text: str) -> bool:
    return text.startswith(TICKET_PREFIX) and bool(_URLSAFE_43.match(text[len(TICKET_PREFIX) :]))


def digest(raw: str, key: bytes) -> str:
    """Return the keyed digest under which ``raw`` is stored and looked up."""
    return hmac.new(key, raw.encode("utf-8"), hashlib.sha256).hexdigest()


def digests_match(a: str, b: str) -> bool:
    """Compare two digests in constant time."""
    return hmac.compare_digest(a.encode("ascii"), b.encode("ascii"))


def derive_key(secret: str, purpose: str) -> bytes:
    """Return a key for one purpose, derived from the server secret."""
    return hmac.new(secret.encode("utf-8"), f"t3site.{purpose}".encode(), hashlib.sha256).digest()
