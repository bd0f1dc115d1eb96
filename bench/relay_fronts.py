"""Compare relays in one run: one backend, several fronts (commits or folders), `server.probe` in turns.

Run: `.venv-bench/bin/python -m bench.relay_fronts [--probes N] [--repeats N] FRONT [FRONT ...]`, where
each FRONT is a commit of this repository (exported with git archive) or a folder holding a t3site
tree (a copy with a change being tried). It starts the working tree's `manage.py serve` as the
backend and one `serve` of each FRONT, saves the backend on each front with `environments add`
(as `make bench` does), then times `server.probe` directly on the backend and through each front's
/via/<id>/ws, taking turns on one socket each, and prints p50/p90/p99 and each relay's added p50.

`make bench` says whether the relay meets its goals; this says which of two relays costs less, on
a machine too busy for two separate runs to tell 0.1 ms apart. 127.0.0.1 only; every server is
stopped at the end, however the run ends; every loop and wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import tempfile
from pathlib import Path

from bench.provenance import checkout
from bench.report import percentile
from bench.run import SETUP_BUDGET_SECONDS, start_all
from bench.t3site_only import probe_ms_in_turns
from bench.targets import HARNESS_ROOT, Relay, T3site

REPEAT_BUDGET_SECONDS = 300
MAX_REPEATS = 20


def root_of(front: str, work: Path, number: int) -> Path:
    """Return the t3site tree of ``front``: a folder as it is, else a commit exported into ``work``."""
    folder = Path(front)
    if folder.is_dir() and (folder / "manage.py").exists():
        return folder.resolve()
    return checkout(front, work / f"front-{number}-tree")


async def compare(fronts: list[str], probes: int, repeats: int) -> None:
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    with tempfile.TemporaryDirectory(prefix="t3site-bench-") as tmp:
        work = Path(tmp)
        roots = [root_of(front, work, number) for number, front in enumerate(fronts)]
        started: list[T3site] = []
        try:
            async with asyncio.timeout(SETUP_BUDGET_SECONDS):
                backend, *servers = started = await start_all(
                    [T3site.start(work, HARNESS_ROOT, "backend-home")]
                    + [T3site.start(work, root, f"front-{number}-home") for number, root in enumerate(roots)]
                )
                relays = [await Relay.join(server, backend) for server in servers]
            names = ["direct", *(f"via {front}" for front in fronts)]
            for repeat in range(repeats):
                async with asyncio.timeout(REPEAT_BUDGET_SECONDS):
                    samples = await probe_ms_in_turns(
                        [backend, *(relay.relayed for relay in relays)], probes, probes // 10
                    )
                print(f"repeat {repeat + 1}/{repeats}, load average {os.getloadavg()[0]:.2f}")
                direct = percentile(samples[0], 0.5)
                for number, (name, taken) in enumerate(zip(names, samples, strict=True)):
                    figures = "  ".join(f"p{int(q * 100)} {percentile(taken, q):.3f}" for q in (0.5, 0.9, 0.99))
                    added = f"  added p50 {percentile(taken, 0.5) - direct:.3f}" if number else ""
                    print(f"  {name}: {figures} ms{added}", flush=True)
        finally:
            for server in reversed(started):
                server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.relay_fronts", description=__doc__.splitlines()[0])
    parser.add_argument("fronts", nargs="+", metavar="FRONT", help="a commit, or a folder holding a t3site tree")
    parser.add_argument("--probes", type=int, default=2000, help="timed probes on each socket per repeat")
    parser.add_argument("--repeats", type=int, default=3, help=f"repeats (at most {MAX_REPEATS})")
    arguments = parser.parse_args()
    if not 1 <= arguments.repeats <= MAX_REPEATS or not 1 <= arguments.probes <= 100_000:
        parser.error(f"--repeats must be 1 to {MAX_REPEATS} and --probes 1 to 100000")
    asyncio.run(compare(arguments.fronts, arguments.probes, arguments.repeats))


if __name__ == "__main__":
    main()
