"""The one shape of an expected failure: a sentence a person reads and a word a client acts on. No Django imports."""

from __future__ import annotations


class Explained(Exception):
    """Something was refused or failed; ``message`` says why (and what to do), ``code`` is a short word for clients.

    Each kind of failure is a subclass that sets ``code``; the API says it as its error code
    (pairing's credential errors), the socket as its ``data.reason`` (agents.errors).
    """

    code = "failed"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
