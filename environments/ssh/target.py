"""Resolve `[USER@]HOST` into what to connect to, as OpenSSH would, from the user's ~/.ssh/config.

No Django imports. The config and known_hosts paths can be moved with
T3SITE_SSH_CONFIG and T3SITE_SSH_KNOWN_HOSTS (tests point them at temporary files).
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import paramiko

DEFAULT_SSH_PORT = 22
DEFAULT_REMOTE_DIR = "~/.t3site"
_SAFE_KEY = re.compile(r"[^A-Za-z0-9._@-]")


class TargetError(Exception):
    """A target that cannot be parsed or resolved; the message is for the user."""


def ssh_config_path() -> Path:
    return Path(os.environ.get("T3SITE_SSH_CONFIG") or "~/.ssh/config").expanduser()


def known_hosts_path() -> Path:
    return Path(os.environ.get("T3SITE_SSH_KNOWN_HOSTS") or "~/.ssh/known_hosts").expanduser()


@dataclass(frozen=True)
class Target:
    """Where and as whom to log in: the name the user typed, and what ~/.ssh/config made of it."""

    alias: str
    hostname: str
    port: int
    user: str
    identity_files: tuple[str, ...] = ()
    proxy_jump: Target | None = field(default=None, compare=False)

    @property
    def display(self) -> str:
        port = "" if self.port == DEFAULT_SSH_PORT else f":{self.port}"
        return f"{self.user}@{self.alias}{port}"

    @property
    def known_hosts_name(self) -> str:
        """Return the name known_hosts files use for this host (`[host]:port` off port 22)."""
        return self.hostname if self.port == DEFAULT_SSH_PORT else f"[{self.hostname}]:{self.port}"

    @property
    def launch_key(self) -> str:
        """Return the name of this target's launch folder on the remote (readable, unique per target)."""
        readable = _SAFE_KEY.sub("_", f"{self.user}@{self.alias}-{self.port}")[:48]
        digest = hashlib.sha256(f"{self.user}@{self.hostname}:{self.port}".encode()).hexdigest()[:8]
        return f"{readable}-{digest}"


def split_user_host(text: str) -> tuple[str | None, str]:
    """Split `[USER@]HOST` (the last @ separates them, as ssh does)."""
    user, _, host = text.rpartition("@")
    if not host or any(c.isspace() for c in text) or host.startswith("-"):
        raise TargetError(f"{text!r} is not a valid SSH target: use [USER@]HOST")
    return (user or None), host


def _load_config() -> paramiko.SSHConfig:
    path = ssh_config_path()
    try:
        return paramiko.SSHConfig.from_path(str(path)) if path.is_file() else paramiko.SSHConfig()
    except (OSError, paramiko.ConfigParseError) as exc:
        raise TargetError(f"cannot read {path}: {exc}") from None


def resolve(text: str, *, port: int | None = None, identity: str | None = None, _depth: int = 0) -> Target:
    """Return the Target for `[USER@]HOST`: command-line values win over ~/.ssh/config, as with ssh.

    ProxyJump is followed (one hop per entry, up to a few levels); ProxyCommand is not
    supported by this launcher and is refused rather than silently bypassed.
    """
    if _depth > 3:
        raise TargetError("ProxyJump nests more than 3 hosts deep")
    user, alias = split_user_host(text)
    options = _load_config().lookup(alias)
    if "proxycommand" in options:
        raise TargetError(f"{alias}: ProxyCommand in ~/.ssh/config is not supported; use ProxyJump")
    try:
        # `is None`, not `or`: a given port 0 is refused below, never replaced by the config's.
        resolved_port = port if port is not None else int(options.get("port", DEFAULT_SSH_PORT))
    except ValueError:
        raise TargetError(f"{alias}: Port in ~/.ssh/config is not a number") from None
    if not 1 <= resolved_port <= 65535:
        raise TargetError(f"--port must be between 1 and 65535, not {resolved_port}")
    if identity and not Path(identity).expanduser().is_file():
        raise TargetError(f"identity file {identity} does not exist")
    identities = (identity,) if identity else tuple(options.get("identityfile", []))
    jump = None
    proxy = options.get("proxyjump", "")
    if proxy and proxy.lower() != "none":
        if "," in proxy or "://" in proxy:
            raise TargetError(f"{alias}: ProxyJump must name one host; chain hops with a ProxyJump in each Host block")
        jump_host, _, jump_port = proxy.rpartition(":") if re.search(r":\d+$", proxy) else (proxy, "", "")
        jump = resolve(jump_host, port=int(jump_port) if jump_port else None, _depth=_depth + 1)
    return Target(
        alias=alias,
        hostname=options.get("hostname", alias),
        port=resolved_port,
        user=user or options.get("user") or getpass.getuser(),
        identity_files=tuple(str(Path(p).expanduser()) for p in identities),
        proxy_jump=jump,
    )
