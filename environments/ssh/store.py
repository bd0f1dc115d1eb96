"""How to reach each saved SSH environment again: local forward port, remote folder, identity file.

Kept in ``T3SITE_HOME/ssh-environments.json`` (mode 0600), keyed by environmentId,
beside the credential file rather than in the Environment table: none of it is
for the API or the admin, and the stable local port is this machine's business.
No secret is stored here: identity files are kept by path, passphrases never.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings

from t3site.home import locked_json, read_json_object

STORE_FILENAME = "ssh-environments.json"


@dataclass(frozen=True)
class SSHRoute:
    """What the launcher needs to reach one environment again."""

    local_port: int
    remote_dir: str
    launch_key: str
    identity: str | None = None
    mode: str = "managed"


def _path() -> Path:
    return settings.T3SITE_HOME / STORE_FILENAME


def _read() -> dict[str, dict]:
    return read_json_object(_path())


def _locked():
    """Return a with-block that yields the stored routes for changing and writes them back."""
    return locked_json(_path(), _read)


def get(environment_id: str) -> SSHRoute | None:
    entry = _read().get(environment_id)
    try:
        return SSHRoute(**entry) if isinstance(entry, dict) else None
    except TypeError:
        return None


def put(environment_id: str, route: SSHRoute) -> None:
    with _locked() as entries:
        entries[environment_id] = asdict(route)


def delete(environment_id: str) -> None:
    with _locked() as entries:
        entries.pop(environment_id, None)


def ports_in_use(excluding: str = "") -> set[int]:
    """Return the local ports other saved SSH environments keep, so a new one does not take them."""
    return {entry.get("local_port") for key, entry in _read().items() if key != excluding and isinstance(entry, dict)}
