"""Open an authenticated SSH connection to a Target with paramiko, checking the host key first.

No Django imports. Secrets (passwords, key passphrases) are asked through the
``ask`` callable, at the terminal by default, and never logged or kept.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import paramiko

from environments.ssh.target import Target, known_hosts_path

CONNECT_TIMEOUT_SECONDS = 15
# A keepalive every 15 s makes a dead link show up in well under a minute (paramiko closes the
# transport when the send fails), and keeps NAT and firewall state for an idle forward alive.
KEEPALIVE_SECONDS = 15
COMMAND_TIMEOUT_SECONDS = 60
PASSWORD_ATTEMPTS = 3
DEFAULT_IDENTITIES = ("~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa")
SYSTEM_KNOWN_HOSTS = Path("/etc/ssh/ssh_known_hosts")

Ask = Callable[[str], "str | None"]


class SSHError(Exception):
    """A connection or remote failure; the message is one clear line (or a few) for the user."""


class UnknownHostKey(SSHError):
    def __init__(self, target: Target, key: paramiko.PKey) -> None:
        self.fingerprint = fingerprint(key)
        super().__init__(
            f"the host key of {target.known_hosts_name} is not known (it is not in {known_hosts_path()}).\n"
            f"Its {key.get_name()} key fingerprint is {self.fingerprint}.\n"
            "Check it with the machine's owner (on that machine: `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`), "
            "then run the same command again with --accept-new-host-key to trust and record it."
        )


def fingerprint(key: paramiko.PKey) -> str:
    """Return the key's fingerprint as OpenSSH prints it: SHA256:<base64 without padding>."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")


def ask_at_terminal(prompt: str) -> str | None:
    """Ask for a secret at the terminal without echo; None when there is no terminal to ask at."""
    if not sys.stdin.isatty():
        return None
    try:
        return getpass.getpass(prompt)
    except (EOFError, KeyboardInterrupt):
        return None


def never_ask(prompt: str) -> str | None:
    """Ask nothing: for background connections (the `serve` process's forwards)."""
    return None


class Connection:
    """An authenticated SSH transport, with a way to run a command and read its output."""

    def __init__(self, target: Target, transport: paramiko.Transport, jump: Connection | None = None) -> None:
        self.target = target
        self.transport = transport
        self._jump = jump

    @property
    def active(self) -> bool:
        return self.transport.is_active() and (self._jump is None or self._jump.active)

    def run(self, command: str, stdin: bytes = b"", timeout: float = COMMAND_TIMEOUT_SECONDS) -> tuple[int, str, str]:
        """Run ``command`` in the remote login shell; return (exit status, stdout, stderr)."""
        try:
            channel = self.transport.open_session(timeout=CONNECT_TIMEOUT_SECONDS)
            channel.settimeout(timeout)
            channel.exec_command(command)
            if stdin:
                channel.sendall(stdin)
            channel.shutdown_write()
            out = channel.makefile("rb").read()
            err = channel.makefile_stderr("rb").read()
            status = channel.recv_exit_status()
            channel.close()
        except (TimeoutError, paramiko.SSHException, OSError) as exc:
            raise SSHError(
                f"{self.target.display}: a remote command failed to run ({exc or type(exc).__name__})"
            ) from exc
        return status, out.decode(errors="replace"), err.decode(errors="replace")

    def close(self) -> None:
        self.transport.close()
        if self._jump is not None:
            self._jump.close()


def connect(target: Target, *, accept_new_host_key: bool | str = False, ask: Ask = ask_at_terminal) -> Connection:
    """Return an authenticated Connection to ``target`` (through its ProxyJump, if any).

    The host key is checked against known_hosts before any credential is sent. A new
    key is recorded when ``accept_new_host_key`` is True (the CLI flag, given after the
    refusal showed the fingerprint) or is the fingerprint of the key the user approved.
    """
    jump = connect(target.proxy_jump, accept_new_host_key=accept_new_host_key, ask=ask) if target.proxy_jump else None
    transport = None
    try:
        sock = _open_socket(target, jump)
        transport = paramiko.Transport(sock)
        transport.start_client(timeout=CONNECT_TIMEOUT_SECONDS)
        _check_host_key(target, transport.get_remote_server_key(), accept_new_host_key)
        _authenticate(target, transport, ask)
    except BaseException as exc:
        if transport is not None:
            transport.close()
        if jump is not None:
            jump.close()
        if isinstance(exc, paramiko.SSHException | EOFError):
            raise SSHError(f"{target.display}: SSH handshake failed ({exc or type(exc).__name__})") from exc
        raise
    transport.set_keepalive(KEEPALIVE_SECONDS)
    return Connection(target, transport, jump)


def _open_socket(target: Target, jump: Connection | None):
    where = f"{target.hostname}:{target.port}"
    try:
        if jump is not None:
            return jump.transport.open_channel(
                "direct-tcpip", (target.hostname, target.port), ("127.0.0.1", 0), timeout=CONNECT_TIMEOUT_SECONDS
            )
        return socket.create_connection((target.hostname, target.port), timeout=CONNECT_TIMEOUT_SECONDS)
    except (OSError, paramiko.SSHException) as exc:
        raise SSHError(f"cannot reach {where}: {getattr(exc, 'strerror', None) or exc}") from exc


def _check_host_key(target: Target, key: paramiko.PKey, accept_new: bool | str) -> None:
    """Refuse a host whose key is unknown or changed; record a new one only when asked to.

    Security: trusting a key on first sight (paramiko's AutoAddPolicy) would let anyone
    who can intercept this first connection read the pairing token we are about to mint
    and every byte of the forwarded session. So an unknown key needs the user's explicit
    --accept-new-host-key after they have seen its fingerprint, and a changed key is
    always refused: it is what a man in the middle looks like.
    """
    known = paramiko.HostKeys()
    path = known_hosts_path()
    for source in (SYSTEM_KNOWN_HOSTS, path):
        if source.is_file():
            try:
                known.load(str(source))
            except (OSError, paramiko.SSHException) as exc:
                raise SSHError(f"cannot read {source}: {exc}") from exc
    name = target.known_hosts_name
    recorded = known.lookup(name)
    if recorded is not None and key.get_name() in recorded:
        if recorded[key.get_name()] == key:
            return
        raise SSHError(
            f"the host key of {name} has CHANGED: it is now {fingerprint(key)}, not the one in known_hosts. "
            "Someone may be intercepting the connection. If the machine was really reinstalled, "
            f"remove the old key with `ssh-keygen -f {path} -R '{name}'` and connect again."
        )
    if not accept_new:
        raise UnknownHostKey(target, key)
    if isinstance(accept_new, str) and accept_new != fingerprint(key):
        # The user approved the key one connection showed them; this one shows another.
        raise SSHError(
            f"the host key of {name} is {fingerprint(key)}, not the {accept_new} you approved: "
            "someone may be intercepting the connection. Nothing was trusted."
        )
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # A last line without its newline would otherwise be joined to ours and both be lost.
    existing = path.read_text(encoding="utf-8") if path.is_file() else ""
    separator = "\n" if existing and not existing.endswith("\n") else ""
    with open(path, "a", encoding="utf-8", opener=_open_private) as handle:
        handle.write(f"{separator}{name} {key.get_name()} {key.get_base64()}\n")


def _open_private(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


def _load_key(path: Path, ask: Ask) -> paramiko.PKey | None:
    try:
        return paramiko.PKey.from_path(path)
    except TypeError:
        # cryptography's way of saying the key is encrypted and needs a passphrase.
        passphrase = ask(f"Passphrase for key {path}: ")
        if not passphrase:
            return None
        try:
            return paramiko.PKey.from_path(path, password=passphrase.encode())
        except (ValueError, TypeError, paramiko.SSHException) as exc:
            raise SSHError(f"cannot unlock {path}: wrong passphrase") from exc
    except (OSError, paramiko.SSHException, ValueError) as exc:
        raise SSHError(f"cannot load the key {path}: {exc}") from exc


def _authenticate(target: Target, transport: paramiko.Transport, ask: Ask) -> None:
    """Try the agent's keys, then identity files, then a password asked at the terminal."""
    tried: list[str] = []
    allowed: list[str] = ["publickey"]

    def attempt(method: Callable[[], object], label: str) -> bool:
        nonlocal allowed
        tried.append(label)
        try:
            method()
        except paramiko.BadAuthenticationType as exc:
            allowed = list(exc.allowed_types)
            return False
        except paramiko.AuthenticationException:
            return False
        return transport.is_authenticated()

    try:
        agent_keys = paramiko.Agent().get_keys()
    except paramiko.SSHException:
        agent_keys = ()
    for key in agent_keys:
        if attempt(lambda key=key: transport.auth_publickey(target.user, key), "an agent key"):
            return
    for name in target.identity_files or DEFAULT_IDENTITIES:
        path = Path(name).expanduser()
        if not path.is_file():
            continue  # as ssh does: a missing default or IdentityFile is skipped (--identity is checked earlier)
        key = _load_key(path, ask)
        if key is not None and attempt(lambda key=key: transport.auth_publickey(target.user, key), str(path)):
            return
    if "password" in allowed or "keyboard-interactive" in allowed:
        for _ in range(PASSWORD_ATTEMPTS):
            password = ask(f"{target.user}@{target.hostname}'s password: ")
            if not password:
                break
            if attempt(lambda password=password: transport.auth_password(target.user, password), "a password"):
                return
    tried_text = ", ".join(dict.fromkeys(tried)) or "no key (none found)"
    raise SSHError(
        f"permission denied for {target.user}@{target.hostname}:{target.port} (tried {tried_text}; "
        f"the server accepts {', '.join(allowed)}). Use --identity FILE with a key in the server's authorized_keys."
    )
