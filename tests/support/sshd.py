"""A real OpenSSH server on a free loopback port, for the SSH launch tests.

It runs as the current user with its own sshd_config, a throwaway host key and
one authorized test key, all in a temporary folder, in the foreground (`-D -e`)
so the test owns the process and stops it at teardown.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from tests.support.system import require_program

START_TIMEOUT_SECONDS = 10
STOP_TIMEOUT_SECONDS = 5
# sshd refuses to start as root without its privilege separation folder (Debian's default path).
PRIVSEP_DIR = Path("/run/sshd")


# sshd runs every remote command through the user's shell, and bash sources ~/.bashrc
# for it. Where that file runs `pyenv init` (as on this project's machines), a rehash lock
# left by a session killed mid-rehash makes every later login wait pyenv's default 60 s.
# The remote side must cope with whatever rc files a user has; these tests only bound
# that wait so one stale lock cannot turn every SSH test into a timeout.
_SESSION_ENVIRONMENT = "SetEnv PYENV_REHASH_TIMEOUT=1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def keygen(path: Path, kind: str = "ed25519") -> Path:
    """Write an unencrypted key pair at ``path`` and ``path``.pub and return the private key's path."""
    program = require_program("ssh-keygen", "openssh-client")
    subprocess.run([program, "-q", "-t", kind, "-N", "", "-C", "t3site-test", "-f", str(path)], check=True)
    return path


@dataclass
class Sshd:
    folder: Path
    port: int
    client_key: Path
    host_key: Path
    process: subprocess.Popen | None = None

    @property
    def host_public_key(self) -> str:
        """Return the host key as a known_hosts line for this port."""
        kind, blob = self.host_key.with_suffix(".pub").read_text().split()[:2]
        return f"[127.0.0.1]:{self.port} {kind} {blob}\n"

    @property
    def log(self) -> str:
        return (self.folder / "sshd.log").read_text(errors="replace")

    def start(self) -> None:
        """Start sshd on the same port and wait (bounded) until it accepts connections."""
        program = require_program("sshd", "openssh-server", "/usr/sbin/sshd")
        if os.geteuid() == 0:
            PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
        log = open(self.folder / "sshd.log", "ab")  # noqa: SIM115 - handed to the child, closed below
        try:
            self.process = subprocess.Popen(
                [program, "-D", "-e", "-f", str(self.folder / "sshd_config")],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        finally:
            log.close()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd exited with {self.process.returncode}:\n{self.log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    if conn.recv(4).startswith(b"SSH-"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"sshd did not listen on {self.port}:\n{self.log}")

    def stop(self) -> None:
        """Stop sshd and every session it forked, as a machine reboot or a network cut would."""
        if self.process is None:
            return
        try:
            sessions = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            sessions = []
        for process in sessions:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.send_signal(signal.SIGKILL)
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def drop_connections(self) -> None:
        """Kill every open SSH session and restart sshd on the same port with the same host key."""
        self.stop()
        self.start()


def start_sshd(folder: Path, session_environment: dict[str, str] | None = None) -> Sshd:
    """Configure and start an sshd in ``folder`` that lets the current user in with one test key.

    ``session_environment`` is set in every session (sshd's SetEnv, after its own HOME and
    PATH): a test gives the "remote" another HOME and PATH, as another machine would have.
    """
    extra = "".join(f" {name}={value}" for name, value in (session_environment or {}).items())
    folder.mkdir(parents=True, exist_ok=True)
    host_key = keygen(folder / "host_ed25519")
    client_key = keygen(folder / "client_ed25519")
    (folder / "authorized_keys").write_text(client_key.with_suffix(".pub").read_text())
    port = free_port()
    (folder / "sshd_config").write_text(
        f"""
Port {port}
ListenAddress 127.0.0.1
HostKey {host_key}
PidFile {folder / "sshd.pid"}
AuthorizedKeysFile {folder / "authorized_keys"}
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowTcpForwarding yes
AllowAgentForwarding no
X11Forwarding no
PrintMotd no
LogLevel INFO
Subsystem sftp internal-sftp
{_SESSION_ENVIRONMENT}{extra}
"""
    )
    sshd = Sshd(folder=folder, port=port, client_key=client_key, host_key=host_key)
    sshd.start()
    return sshd


def install_remote(folder: Path) -> Path:
    """Make ``folder`` a remote t3site base installed from this checkout: its app is this checkout and venv."""
    from tests.support.server import ROOT

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app").symlink_to(ROOT)
    return folder


def stop_remote_servers(folder: Path) -> None:
    """Kill the servers a test left running under a remote base (they are detached from every test process)."""
    pids = set()
    for path in [folder / "server-runtime.json", *folder.glob("ssh-launch/*/state.json")]:
        try:
            pids.add(json.loads(path.read_text())["pid"])
        except (OSError, ValueError, KeyError):
            continue
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).kill()
