"""What every credential shares: keyed digests, device names and the errors.

The raw value of every credential is returned once, by the manager method that
makes it, and never stored: rows hold a keyed digest (pairing.tokens.digest).
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from pairing import tokens
from t3site.ids import LABEL_MAX_LENGTH


class CredentialError(Exception):
    """A credential was refused; ``code`` is the API error code."""

    code = "invalid_token"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidLabel(ValueError):
    """A name for a device that cannot be used (an empty one)."""


def clean_label(label: str) -> str:
    """Return ``label`` stripped and cut to LABEL_MAX_LENGTH; raise InvalidLabel when nothing is left."""
    cleaned = " ".join(label.split())[:LABEL_MAX_LENGTH]
    if not cleaned:
        raise InvalidLabel("a device name cannot be empty")
    return cleaned


class InvalidToken(CredentialError):
    code = "invalid_token"


class ExpiredToken(CredentialError):
    code = "expired_token"


@lru_cache(maxsize=4)
def _digest_key(secret: str) -> bytes:
    return tokens.derive_key(secret, "token-digest")


def digest(raw: str) -> str:
    """Return the keyed digest of a raw credential."""
    return tokens.digest(raw, _digest_key(settings.SECRET_KEY))
