"""What a result is a result of: the t3site commit measured and the versions of everything around it."""

from __future__ import annotations

import io
import platform
import subprocess
import tarfile
from importlib import metadata
from pathlib import Path

PACKAGES = (
    "Django", "channels", "daphne", "Twisted", "jupyter_server", "jupyter_server_terminals", "terminado",
    "tornado", "websockets", "psutil",
)  # fmt: skip
GIT_TIMEOUT_SECONDS = 60


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=GIT_TIMEOUT_SECONDS)


def checkout(ref: str, destination: Path) -> Path:
    """Export commit ``ref`` of this repository into ``destination`` (files only, no .git) and return it."""
    archive = _git(Path(__file__).resolve().parents[1], "archive", "--format=tar", ref)
    if archive.returncode != 0:
        raise SystemExit(f"bench: cannot export {ref}: {archive.stderr.decode(errors='replace').strip()}")
    destination.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(destination, filter="data")
    return destination


def versions() -> dict[str, str | None]:
    """Return the versions of Python and of the packages on both sides of the comparison."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def measured_commit(root: Path, ref: str | None) -> dict:
    """Return the commit of t3site measured and, for the working tree, the tracked files that differ from it."""
    commit = _git(root, "rev-parse", ref or "HEAD")
    described = {"ref": ref, "commit": commit.stdout.decode().strip() if commit.returncode == 0 else None}
    if ref is None:
        status = _git(root, "status", "--porcelain", "--untracked-files=no")
        described["changedFiles"] = [line[3:] for line in status.stdout.decode().splitlines()]
    return described
