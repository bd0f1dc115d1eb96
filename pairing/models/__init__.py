"""Pairing links, device sessions, WebSocket tickets (what lets a device in), failure counts (what keeps guesses out).

The raw value of every credential is returned once, by the manager method that
makes it, and never stored: rows hold a keyed digest (pairing.tokens.digest).
"""

from pairing.models.base import (
    CredentialError,
    ExpiredToken,
    InvalidLabel,
    InvalidToken,
    clean_label,
    digest,
)
from pairing.models.devices import LINK_STATES, SESSION_STATES, DeviceSession, PairingCredential
from pairing.models.failures import FailureWindow
from pairing.models.tickets import WebSocketTicket

__all__ = [
    "LINK_STATES",
    "SESSION_STATES",
    "CredentialError",
    "DeviceSession",
    "ExpiredToken",
    "FailureWindow",
    "InvalidLabel",
    "InvalidToken",
    "PairingCredential",
    "WebSocketTicket",
    "clean_label",
    "digest",
]
