"""The folders no project may reach on this server (see workspace.paths)."""

from __future__ import annotations

import os

from django.conf import settings


def server_folders() -> list[str]:
    """Return the server's home (secret, database, environment credentials) and its code, resolved."""
    return [os.path.realpath(settings.T3SITE_HOME), os.path.realpath(settings.BASE_DIR)]


def folders() -> list[str]:
    """Return every folder files.* refuse: the server's own, and the user's SSH keys."""
    return [*server_folders(), os.path.realpath(os.path.expanduser("~/.ssh"))]
