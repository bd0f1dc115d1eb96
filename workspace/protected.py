"""The one list of places no project may reach (docs/contract.md §5; docs/security.md explains each).

A project is reachable by every device with the ``read`` or ``write`` scope, so a
folder becomes one only if it is apart from everything here: not one of them, not
inside one, and not holding one (a project of ``~`` or ``/`` would hold them all).
Project creation (``Project.objects.add``, for the socket and ``manage.py project
add`` alike), ``files.*``, ``git.*`` and ``filesystem.createDirectory`` all check
against this list, so a write here is never one step from running a program or
reading a credential.
"""

from __future__ import annotations

import os

from django.conf import settings

# Live views of the running system: /proc/self/environ holds the server's environment
# (agents' API keys), /proc/<pid>/mem its memory; /sys and /dev are devices and kernel knobs.
SYSTEM_FOLDERS = ("/proc", "/sys", "/dev")

# In the server user's home: credentials (reading them is stealing them) and configuration
# that other programs run (writing ~/.config/git/config or ~/.gitconfig adds a git filter
# that runs a program; ~/.ssh/authorized_keys is a login). Files directly in ~ (.bashrc,
# .profile, ...) need no entry: a project that holds one holds ~/.ssh too, and is refused.
HOME_ENTRIES = (
    ".ssh",
    ".gnupg",
    ".config",
    ".local/share/keyrings",
    ".password-store",
    ".aws",
    ".azure",
    ".kube",
    ".docker",
    ".netrc",
    ".git-credentials",
    ".gitconfig",
    ".npmrc",
    ".pypirc",
    ".pgpass",
)


def paths() -> list[str]:
    """Return every protected path, resolved (a symlinked ~/.config protects where it points).

    The server's own home (its secret, database and stored credentials) and its code
    (a write there is code execution), the live system folders, and the user's
    credential and configuration folders, read from ``~`` and ``$XDG_CONFIG_HOME`` now.
    """
    home = os.path.expanduser("~")
    found = [
        str(settings.T3SITE_HOME),
        str(settings.BASE_DIR),
        *SYSTEM_FOLDERS,
        *(os.path.join(home, entry) for entry in HOME_ENTRIES),
    ]
    xdg_config = os.environ.get("XDG_CONFIG_HOME", "")
    if os.path.isabs(xdg_config):  # git and most tools read their config there instead (a relative one is ignored)
        found.append(xdg_config)
    return [os.path.realpath(path) for path in found]
