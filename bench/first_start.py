"""Benchmark a first start: a clean clone to the printed pairing URL, as a new user runs it.

Run from the repository: `python3 bench/first_start.py [--runs N] [--warm-pip-cache] [--ref REF]`.
Each run clones this repository's committed HEAD (or REF, to compare with an older commit)
into a temporary folder (no .venv), then
runs `make serve ARGS="--port 0 --no-qr"` there with a throwaway T3SITE_HOME, and times
how long until "Pairing URL:" is printed: the virtual environment, the install, the
migrations and the bind, all of it. Then it stops the server (SIGTERM) and removes the
folder. By default pip starts with an empty cache, as on a machine that never installed
t3site; --warm-pip-cache uses this user's pip cache instead (a second clone).

Standard library only: it runs before any virtual environment exists. The server listens
on 127.0.0.1 with a free port; pip talks to the package index as `make serve` would.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAIRING_LINE = "Pairing URL:"
RUN_TIMEOUT_SECONDS = 300
STOP_TIMEOUT_SECONDS = 20
# Lines worth a timestamp in the summary: the Makefile's own steps, pip's end, the banner.
MILESTONES = ("t3site:", "Successfully installed", PAIRING_LINE)


@dataclass
class Run:
    seconds: float | None = None
    lines: list[tuple[float, str]] = field(default_factory=list)

    @property
    def longest_silence(self) -> tuple[float, str]:
        """Return the longest wait for a line, and the line that ended it."""
        gaps = [(b[0] - a[0], b[1]) for a, b in zip([(0.0, "")] + self.lines, self.lines, strict=False)]
        return max(gaps, default=(0.0, ""))


def clone(into: Path, ref: str) -> Path:
    checkout = into / "t3site"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(checkout)], check=True)
    subprocess.run(["git", "checkout", "--quiet", ref], cwd=checkout, check=True)
    return checkout


def first_start(checkout: Path, home: Path, pip_cache: Path | None) -> Run:
    """Run `make serve` in ``checkout`` and time it until the pairing URL is printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("T3SITE_", "VIRTUAL_ENV", "DJANGO_"))}
    env.update(T3SITE_HOME=str(home), PYTHONUNBUFFERED="1")
    if pip_cache is not None:
        env["PIP_CACHE_DIR"] = str(pip_cache)
    run = Run()
    started = time.monotonic()
    process = subprocess.Popen(
        ["make", "serve", "ARGS=--port 0 --no-qr"],
        cwd=checkout,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # make and the server it starts stop together
    )
    # Bounded: the reader is abandoned at the deadline and the process group is ended.
    timer = threading.Timer(RUN_TIMEOUT_SECONDS, lambda: os.killpg(process.pid, signal.SIGKILL))
    timer.start()
    try:
        for line in process.stdout:
            run.lines.append((time.monotonic() - started, line.rstrip("\n")))
            if line.startswith(PAIRING_LINE):
                run.seconds = time.monotonic() - started
                break
    finally:
        timer.cancel()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return run


def report(number: int, run: Run) -> None:
    total = f"{run.seconds:.1f} s" if run.seconds is not None else "no pairing URL"
    print(f"run {number}: clean clone -> pairing URL in {total}")
    for at, line in run.lines:
        if line.startswith(MILESTONES):
            print(f"  {at:6.1f} s  {line[:100]}")
    silence, ended_by = run.longest_silence
    print(f"  longest wait for a line: {silence:.1f} s (ended by: {ended_by[:80]!r})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="how many clean first starts to time")
    parser.add_argument("--warm-pip-cache", action="store_true", help="use this user's pip cache")
    parser.add_argument("--ref", default="HEAD", help="the commit to clone (default HEAD)")
    args = parser.parse_args()
    revision = subprocess.run(["git", "rev-parse", "--short", args.ref], cwd=ROOT, capture_output=True, text=True)
    pip_cache = "this user's" if args.warm_pip_cache else "empty"
    python = sys.version.split()[0]
    print(f"{args.ref} ({revision.stdout.strip()}), {os.cpu_count()} cores, Python {python}, pip cache: {pip_cache}")
    times = []
    for number in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="t3site-first-start-") as tmp:
            folder = Path(tmp)
            cache = None if args.warm_pip_cache else folder / "pip-cache"
            run = first_start(clone(folder, args.ref), folder / "home", cache)
        report(number, run)
        if run.seconds is None:
            print("\n".join(line for _, line in run.lines[-20:]))
            return 1
        times.append(run.seconds)
    if len(times) > 1:
        print(f"median {statistics.median(times):.1f} s, min {min(times):.1f} s, max {max(times):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
