"""The commands run on the remote host over one SSH Connection: probe, start or reuse, mint a token, stop.

No Django imports. The remote t3site lives under a base folder (default ~/.t3site):
its checkout in `<base>/app` with its own venv `<base>/app/.venv`, its state
(T3SITE_HOME) in `<base>`, and each target's launch state in `<base>/ssh-launch/<key>/`.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

from environments.ssh.client import Connection, SSHError
from environments.ssh.target import DEFAULT_SSH_PORT, Target

MIN_PYTHON = (3, 11)
PAIRING_TTL = "2m"
LAUNCH_TIMEOUT_SECONDS = 120
LAUNCHER_SOURCE = (Path(__file__).with_name("launcher.py")).read_bytes()
LOCAL_CHECKOUT = Path(__file__).resolve().parents[2]


def sh_path(path: str) -> str:
    """Quote a remote path for sh, letting a leading ~ still mean the remote user's home."""
    if path == "~":
        return '"$HOME"'
    if path.startswith("~/"):
        return '"$HOME"/' + shlex.quote(path[2:])
    return shlex.quote(path)


@dataclass(frozen=True)
class Probe:
    os: str
    arch: str
    python: str | None
    app_installed: bool
    venv_python: str | None
    venv_ready: bool


@dataclass(frozen=True)
class Launch:
    port: int
    pid: int
    mode: str  # "managed": this launcher started it and stops it; "external": someone else's
    started: bool
    environment_id: str


class LaunchError(SSHError):
    """The remote server did not start; ``log`` holds the last lines of its log."""

    def __init__(self, message: str, log: str) -> None:
        super().__init__(message + ("\nLast lines of the remote log:\n" + log if log else ""))
        self.log = log


def _version(text: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in text.split("."))
    except ValueError:
        return None


class RemoteT3site:
    """The t3site installation under ``base`` on the machine at the other end of ``connection``."""

    def __init__(self, connection: Connection, base: str) -> None:
        self.connection = connection
        self.base = base.rstrip("/") or "/"

    @property
    def target(self) -> Target:
        return self.connection.target

    def path(self, *parts: str) -> str:
        return sh_path("/".join([self.base, *parts]))

    def ssh_command(self, remote: str) -> str:
        """Return the ssh command line that runs ``remote`` there, as this launcher logs in: port, key, user."""
        words = ["ssh"]
        if self.target.port != DEFAULT_SSH_PORT:
            words += ["-p", str(self.target.port)]
        for identity in self.target.identity_files:
            words += ["-i", identity]
        words += [f"{self.target.user}@{self.target.alias}", remote]
        return shlex.join(words)

    def probe(self) -> Probe:
        """Return what the remote has: OS, Python, and whether t3site and its venv are installed."""
        venv = self.path("app", ".venv", "bin", "python")
        version = "import sys; print('%d.%d.%d' % sys.version_info[:3])"
        script = "; ".join(
            [
                "uname -s; uname -m",
                f"(python3 -c {shlex.quote(version)} 2>/dev/null || echo none)",
                f"([ -f {self.path('app', 'manage.py')} ] && echo app || echo no-app)",
                f"({venv} -c {shlex.quote(version)} 2>/dev/null || echo none)",
                f"({venv} -c 'import django, daphne, channels' 2>/dev/null && echo ready || echo not-ready)",
            ]
        )
        status, out, err = self.connection.run(script)
        lines = out.split()
        if len(lines) != 6:
            raise SSHError(f"{self.target.display}: the probe did not run in a POSIX shell: {(err or out).strip()}")
        return Probe(
            os=lines[0],
            arch=lines[1],
            python=None if lines[2] == "none" else lines[2],
            app_installed=lines[3] == "app",
            venv_python=None if lines[4] == "none" else lines[4],
            venv_ready=lines[5] == "ready",
        )

    def missing(self, probe: Probe) -> list[str]:
        """Return what keeps t3site from running there, each with the exact command that fixes it."""
        app = f"{self.base}/app"
        steps = []
        python = probe.venv_python or probe.python
        if python is None or (_version(python) or (0,)) < MIN_PYTHON:
            found = f"Python {python}" if python else "no python3"
            steps.append(
                f"Python {'.'.join(map(str, MIN_PYTHON))} or newer is needed on {self.target.alias} ({found} found). "
                "On Debian or Ubuntu: " + self.ssh_command("sudo apt-get install -y python3 python3-venv")
            )
        if not probe.app_installed:
            steps.append(
                f"t3site is not installed in {app}. Copy this checkout there: "
                f"git -C {shlex.quote(str(LOCAL_CHECKOUT))} archive --format=tar HEAD | "
                + self.ssh_command(f"mkdir -p {self.path('app')} && tar -x -C {self.path('app')}")
            )
        if not probe.venv_ready:
            steps.append(
                f"{app}/.venv is missing or incomplete. Create it: "
                + self.ssh_command(
                    f"cd {self.path('app')} && python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"
                )
            )
        return steps

    def check_installed(self, probe: Probe | None = None) -> Probe:
        """Return the probe, or raise SSHError listing each missing piece and its fix."""
        probe = probe or self.probe()
        steps = self.missing(probe)
        if steps:
            raise SSHError(
                f"{self.target.display} ({probe.os} {probe.arch}) cannot run t3site yet:\n"
                + "\n".join(f"- {step}" for step in steps)
                + "\nOr let this server install it: run the same command with --install."
            )
        return probe

    def _launcher(self, action: str) -> dict:
        command = (
            f"cd {self.path('app')} && {self.path('app', '.venv', 'bin', 'python')} - "
            f"{shlex.quote(self.base)} {shlex.quote(self.target.launch_key)} {action}"
        )
        status, out, err = self.connection.run(command, stdin=LAUNCHER_SOURCE, timeout=LAUNCH_TIMEOUT_SECONDS)
        try:
            return json.loads(out.strip().splitlines()[-1])
        except (IndexError, ValueError):
            raise SSHError(
                f"{self.target.display}: the remote launcher failed (exit {status}): {(err or out).strip()[-500:]}"
            ) from None

    def ensure_server(self) -> Launch:
        """Reuse the server running under the base folder, or start one and wait until it answers."""
        answer = self._launcher("ensure")
        if "error" in answer:
            raise LaunchError(f"{self.target.display}: t3site did not start: {answer['error']}", answer.get("log", ""))
        return Launch(
            port=answer["port"],
            pid=answer["pid"],
            mode=answer["mode"],
            started=answer["started"],
            environment_id=answer.get("environmentId") or "",
        )

    def running_port(self) -> int | None:
        """Return the remote port of the server running there now, or None; never start one."""
        answer = self._launcher("status")
        return answer.get("port") if answer.get("running") else None

    def stop_server(self) -> dict:
        """Stop the server if this target's launcher started it (managed); return {"stopped", "mode"}."""
        answer = self._launcher("stop")
        if "error" in answer:
            raise SSHError(f"{self.target.display}: {answer['error']}")
        return answer

    def mint_pairing_token(self, label: str) -> str:
        """Return a fresh one-time owner pairing token minted by the remote's own `auth pairing create`."""
        command = (
            f"cd {self.path('app')} && T3SITE_HOME={self.path()} .venv/bin/python manage.py auth pairing create "
            f"--json --role owner --ttl {PAIRING_TTL} --label {shlex.quote(label)}"
        )
        status, out, err = self.connection.run(command)
        try:
            token = json.loads(out)["token"]
        except (ValueError, KeyError, TypeError):
            detail = (err.strip().splitlines() or [out.strip()])[-1]
            raise SSHError(f"{self.target.display}: could not mint a pairing token (exit {status}): {detail}") from None
        return token
