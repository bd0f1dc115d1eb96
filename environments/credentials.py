"""Bearer credentials for environments added from the command line (docs/contract.md §7).

A browser keeps the tokens it paired in its own storage; this server keeps the
ones its commands paired in ``T3SITE_HOME/environment-credentials.json``, mode
0600, keyed by ``environmentId`` and never in the database: the database is
listed by the API and the admin, and may be backed up or shared where a
credential must not go. Every write replaces the whole file atomically, under
an exclusive lock so two commands saving at once do not lose each other's entry.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from t3site import clock
from t3site.home import locked_json, read_json_object

CREDENTIALS_FILENAME = "environment-credentials.json"


class CredentialStoreError(Exception):
    """The credential file exists but cannot be read."""


def path(home: Path | None = None) -> Path:
    return (home or settings.T3SITE_HOME) / CREDENTIALS_FILENAME


def _read(home: Path | None) -> dict[str, dict]:
    try:
        data = read_json_object(path(home), strict=True)
    except ValueError:
        raise CredentialStoreError(f"{path(home)} is not valid JSON: fix or delete it") from None
    entries = data.get("credentials")
    return entries if isinstance(entries, dict) else {}


def _locked(home: Path | None):
    """Return a with-block that yields the stored entries for changing and writes them back."""
    return locked_json(path(home), lambda: _read(home), lambda entries: {"version": 1, "credentials": entries})


def get(environment_id: str, home: Path | None = None) -> str | None:
    """Return the bearer session token saved for ``environment_id``, or None."""
    entry = _read(home).get(environment_id)
    token = entry.get("sessionToken") if isinstance(entry, dict) else None
    return token if isinstance(token, str) else None


def put(environment_id: str, session_token: str, *, session_id: str = "", home: Path | None = None) -> None:
    """Save (or replace) the bearer session token for ``environment_id``."""
    with _locked(home) as entries:
        entries[environment_id] = {
            "sessionToken": session_token,
            "sessionId": session_id,
            "savedAt": clock.iso(clock.now()),
        }


def delete(environment_id: str, home: Path | None = None) -> bool:
    """Forget the token saved for ``environment_id``; return whether there was one."""
    if environment_id not in _read(home):
        return False
    with _locked(home) as entries:
        return entries.pop(environment_id, None) is not None


def saved_ids(home: Path | None = None) -> set[str]:
    """Return the environment ids that have a saved token (for listings that say so, never showing it)."""
    return set(_read(home))
