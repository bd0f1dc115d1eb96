"""Install t3site on a remote that has none: send this server's release over SFTP, make its venv, install.

No Django imports. What `environments ssh --install` does when the probe finds t3site
missing under the remote base folder (layout: environments.ssh.remote_host). Each step
says what it does on ``say`` and a failed step raises InstallError naming it, with the
cause the remote gave and what to do about it. The release is what is running here:
a `git archive` of this checkout's HEAD, so both ends speak the same protocol.

Requirements come from whatever package index the remote's pip is configured for
(its pip.conf or PIP_INDEX_URL): this server never carries packages across.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Callable

import paramiko

from environments.ssh.client import SSHError
from environments.ssh.remote_host import LOCAL_CHECKOUT, MIN_PYTHON, Probe, RemoteT3site

# Newest first: the first one on the remote's PATH that runs and is new enough makes the venv.
PYTHON_CANDIDATES = ("python3.13", "python3.12", "python3.11", "python3")
# The checkout is a few MB; the venv with its requirements about 150 MB. Ask for twice that.
MIN_FREE_KIB = 300 * 1024
PIP_TIMEOUT_SECONDS = 900
ARCHIVE_NAME = ".t3site-release.tar.gz"
_VERSION = "import sys; print('%d.%d.%d' % sys.version_info[:3])"
_NO_REGISTRY = re.compile(
    r"No matching distribution|Could not find a version|Failed to establish a new connection|"
    r"Temporary failure in name resolution|Network is unreachable|ProxyError|Max retries exceeded",
)

Say = Callable[[str], None]


class InstallError(SSHError):
    """A step of the install failed; the message names the step, the cause and the fix."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"installing t3site failed at step '{step}': {message}")
        self.step = step


def release_archive() -> bytes:
    """Return this checkout's HEAD as a gzipped tar: the release the remote will run."""
    try:
        result = subprocess.run(
            ["git", "-C", str(LOCAL_CHECKOUT), "archive", "--format=tar.gz", "HEAD"],
            capture_output=True,
            check=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        raise InstallError(
            "build the release",
            f"`git archive HEAD` failed in {LOCAL_CHECKOUT} ({detail.decode(errors='replace').strip() or exc}): "
            "--install sends the git checkout this server runs from",
        ) from None
    return result.stdout


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def find_python(remote: RemoteT3site) -> tuple[str, str]:
    """Return the remote's newest Python >= MIN_PYTHON on its PATH, as (program, version)."""
    checks = " ; ".join(
        f"v=$({name} -c {shlex.quote(_VERSION)} 2>/dev/null) && echo {name} $v" for name in PYTHON_CANDIDATES
    )
    _, out, _ = remote.connection.run(checks)
    found = [line.split() for line in out.splitlines() if len(line.split()) == 2]
    for name, version in found:
        if _version(version) >= MIN_PYTHON:
            return name, version
    wanted = ".".join(map(str, MIN_PYTHON))
    seen = ", ".join(f"{name} {version}" for name, version in found) or "no python3 at all"
    raise InstallError(
        "find Python",
        f"no Python {wanted} or newer on {remote.target.alias}'s PATH ({seen}). Install one there "
        f"(Debian or Ubuntu: {remote.ssh_command('sudo apt-get install -y python3 python3-venv')}), then run "
        "this again.",
    )


def _check(remote: RemoteT3site, step: str, command: str, problem: str, timeout: float = 60) -> str:
    status, out, err = remote.connection.run(command, timeout=timeout)
    if status != 0:
        detail = (err.strip() or out.strip()).splitlines()[-1:] or [f"exit {status}"]
        raise InstallError(step, f"{problem} ({detail[0]})")
    return out


def install(remote: RemoteT3site, probe: Probe, say: Say) -> None:
    """Install this server's release under the remote base folder and its requirements in a venv.

    Only what ``probe`` found missing: a checkout already in ``<base>/app`` (someone's own,
    perhaps with changes) is never overwritten, only given the venv it lacks.
    """
    app, venv = remote.path("app"), remote.path("app", ".venv")
    say(f"Installing t3site in {remote.base}/app on {remote.target.display}.")
    python, version = find_python(remote)
    say(f"- Python: {python} ({version}).")
    _check(
        remote,
        "check venv and pip",
        f"{python} -c 'import venv, ensurepip'",
        f"{python} has no venv or ensurepip module; on Debian or Ubuntu install them with "
        + remote.ssh_command("sudo apt-get install -y python3-venv"),
    )
    _check(remote, "check free space", f"mkdir -p {app}", f"cannot create {remote.base}/app")
    free = _check(remote, "check free space", f"df -Pk {app} | tail -1", "cannot read the free space").split()
    free_kib = int(free[3]) if len(free) > 3 and free[3].isdigit() else 0
    if free_kib < MIN_FREE_KIB:
        raise InstallError(
            "check free space",
            f"only {free_kib // 1024} MB free in {remote.base}; t3site needs about {MIN_FREE_KIB // 1024} MB",
        )
    if probe.app_installed:
        say(f"- Keeping the t3site checkout already in {remote.base}/app.")
    else:
        archive = release_archive()
        say(f"- Sending this server's release ({len(archive) // 1024} KB, git HEAD) over SFTP.")
        _send(remote, archive)
        _check(
            remote,
            "unpack the release",
            f"tar -xzf {remote.path(ARCHIVE_NAME)} -C {app} && rm -f {remote.path(ARCHIVE_NAME)}",
            "tar could not unpack it",
        )
    say(f"- Creating its virtual environment ({remote.base}/app/.venv).")
    _check(remote, "create the venv", f"{python} -m venv {venv}", f"`{python} -m venv` failed")
    say("- Installing its requirements with pip (from the package index the remote's pip is set up for).")
    status, out, err = remote.connection.run(
        f"cd {app} && .venv/bin/python -m pip install --disable-pip-version-check -q -r requirements.txt",
        timeout=PIP_TIMEOUT_SECONDS,
    )
    if status != 0:
        raise InstallError("install the requirements", _pip_failure(out + err))
    say("- Installed.")


def _pip_failure(output: str) -> str:
    if "No space left on device" in output:
        return "no space left on the remote's disk"
    if _NO_REGISTRY.search(output):
        return (
            "pip could not reach a package index from the remote: give it one it can reach "
            "(PIP_INDEX_URL or pip.conf there), then run this again. pip said: " + _last_line(output)
        )
    return "pip said: " + _last_line(output)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "nothing"


def _send(remote: RemoteT3site, archive: bytes) -> None:
    try:
        sftp = paramiko.SFTPClient.from_transport(remote.connection.transport)
        try:
            home = sftp.normalize(".")
            base = remote.base
            base = home + base[1:] if base == "~" or base.startswith("~/") else base
            with sftp.open(f"{base}/{ARCHIVE_NAME}", "wb") as handle:
                handle.set_pipelined(True)
                handle.write(archive)
        finally:
            sftp.close()
    except (OSError, paramiko.SSHException) as exc:
        problem = "no space left on the remote's disk" if "space" in str(exc).lower() else str(exc)
        raise InstallError("send the release", f"SFTP to {remote.target.display} failed: {problem}") from None
