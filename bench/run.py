"""Run every workload on the machine's limits, the fixed stack's floor, Jupyter Server and t3site, alternating.

t3site also runs a second server, saved on the first with `environments add`, for the relay rows
(issue 13): the same workloads on that backend directly and through the first's /via/<id>/ws.

The floor is stock daphne serving bench/floor_app.py (Channels and Django, nothing else): on the
HTTP and socket rows it shows what the fixed stack of issue 12 allows.

`make bench` runs `python -m bench` in .venv-bench (BENCH_ROUNDS rounds, default 3); `make
bench-smoke` runs one tiny round (`--smoke`). Each round runs each workload on the limit first,
then on the floor and both servers, whose order reverses every round (floor, Jupyter, t3site;
then t3site, Jupyter, floor) so none always meets a warmer or a busier machine. It prints one
table (median, min and max across rounds, ratio of medians), issue 12's targets against t3site
and the floor, and writes every figure and sample, with the machine's core count, load and
versions, to a JSON file.

Everything listens on 127.0.0.1 on free ports, in a temporary folder removed at the end; every
server is stopped however the run ends; every loop and wait is bounded in count or time.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import platform
import signal
import tempfile
import time
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path

from bench import httpclient
from bench.provenance import checkout, measured_commit, versions
from bench.report import Results, dumps, goals_text, table
from bench.t3site_only import add_project
from bench.targets import BACKEND_HOME, HARNESS_ROOT, Floor, Jupyter, Limits, Relay, T3site
from bench.workloads import FULL, MIB, SMOKE, WORKLOADS, Context, Sizes

RESULTS = HARNESS_ROOT / "bench" / "results"
DEFAULT_ROUNDS = 3
MAX_ROUNDS = 50
# Bounds on the whole run: generous for a loaded machine, finite whatever happens. The smoke's is
# below the smoke test's own timeout, so the harness stops its servers itself.
SETUP_BUDGET_SECONDS = 300
ROUND_BUDGET_SECONDS = 900
SMOKE_BUDGET_SECONDS = 120
READ_FILE = "one-mib.txt"


def write_text_file(path: Path, size_bytes: int) -> None:
    """Write ``size_bytes`` of numbered 80-byte lines of plain ASCII (nothing a terminal interprets)."""
    words = ("the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "servers", "race")
    lines, total, number = [], 0, 0
    while total < size_bytes:
        text = " ".join(words[(number + shift) % len(words)] for shift in range(12))
        line = f"{number:08d} {text}"[:79].ljust(79) + "\n"
        lines.append(line)
        total += len(line)
        number += 1
    path.write_text("".join(lines)[:size_bytes])


async def start_all(starts: list[Coroutine]) -> list:
    """Start the targets together; if one fails or the run is cancelled, stop every one that did start.

    Nothing is measured while they start. One still starting stops what it made when it is cancelled.
    """
    tasks = [asyncio.ensure_future(start) for start in starts]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
        for task in tasks:
            if not task.cancelled() and task.exception() is None:
                task.result().stop()
        raise


async def measure(work: Path, root: Path, sizes: Sizes, rounds: int, results: Results) -> dict:
    """Start the targets (two t3site servers), run the rounds, stop them; return what the run learnt about t3site."""
    cat_file = work / "cat.txt"
    write_text_file(cat_file, sizes.cat_mib * MIB)
    project = work / "project"
    project.mkdir()
    write_text_file(project / READ_FILE, MIB)
    started: list = []
    try:
        async with asyncio.timeout(SETUP_BUDGET_SECONDS):
            starts = [Limits.start(work), Floor.start(work), Jupyter.start(work), T3site.start(work, root)]
            limits, floor, jupyter, t3site, backend = started = await start_all(
                [*starts, T3site.start(work, root, BACKEND_HOME)]
            )
            relay = await Relay.join(t3site, backend)
            context = Context(sizes, results, cat_file, await add_project(t3site, str(project)), READ_FILE)
        for number in range(rounds):
            context.round_number = number
            servers = [floor, jupyter, t3site] if number % 2 == 0 else [t3site, jupyter, floor]
            order = [limits, *servers]
            for workload in WORKLOADS:
                for target in [*order, relay]:
                    if not isinstance(target, workload.runs_on):
                        continue
                    began = time.perf_counter()
                    figures = await workload.run(target, context)
                    results.add(target.name, figures)
                    shown = "  ".join(f"{key} {value:.2f}" for key, value in figures.items())
                    took = time.perf_counter() - began
                    print(
                        f"[{number + 1}/{rounds}] {workload.name} · {target.name}: {shown} ({took:.1f} s)", flush=True
                    )
        descriptor = await httpclient.request(t3site.port, "GET", "/.well-known/t3/environment")
        for server in (t3site, backend):
            results.count("database_is_locked", server.server.log_text().count("database is locked"))
        return {"version": descriptor.json().get("serverVersion")}
    finally:
        for target in reversed(started):
            target.stop()


async def run(arguments: argparse.Namespace) -> dict:
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    sizes = SMOKE if arguments.smoke else FULL
    results = Results()
    load_before = _loadavg()
    began = datetime.now(UTC)
    # Before the servers start: the commit they run (others may commit while the rounds go on).
    measured = measured_commit(HARNESS_ROOT, arguments.ref)
    with tempfile.TemporaryDirectory(prefix="t3site-bench-") as tmp:
        work = Path(tmp)
        root = checkout(arguments.ref, work / "t3site") if arguments.ref else HARNESS_ROOT
        budget = SETUP_BUDGET_SECONDS + ROUND_BUDGET_SECONDS * arguments.rounds
        if arguments.smoke:
            budget = SMOKE_BUDGET_SECONDS
        async with asyncio.timeout(budget):
            t3site = await measure(work, root, sizes, arguments.rounds, results)
    sizes_dict = dataclasses.asdict(sizes)
    return {
        "date": began.isoformat(timespec="seconds"),
        "seconds": round((datetime.now(UTC) - began).total_seconds(), 1),
        "smoke": arguments.smoke,
        "rounds": arguments.rounds,
        "sizes": sizes_dict,
        "machine": {
            "cores": os.cpu_count(),
            "loadavgBefore": load_before,
            "loadavgAfter": _loadavg(),
            "platform": platform.platform(),
        },
        "versions": versions(),
        "t3site": {**t3site, **measured},
        "rows": results.summary(sizes_dict),
        "checks": results.checks,
        "samples": results.samples,
    }


def _loadavg() -> list[float]:
    return [round(load, 2) for load in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="one tiny round of every workload (what `make test` runs)")
    parser.add_argument(
        "--rounds", type=int, help=f"rounds to run (default: $BENCH_ROUNDS, else {DEFAULT_ROUNDS}; 1 with --smoke)"
    )
    parser.add_argument("--ref", help="measure this commit of t3site (exported by git archive), not the working tree")
    parser.add_argument(
        "--output", type=Path, help="JSON file to write (default: bench/results/latest.json or smoke.json)"
    )
    arguments = parser.parse_args()
    if arguments.rounds is None:
        rounds = "1" if arguments.smoke else os.environ.get("BENCH_ROUNDS", str(DEFAULT_ROUNDS))
        arguments.rounds = int(rounds) if rounds.isdigit() else 0
    if not 1 <= arguments.rounds <= MAX_ROUNDS:
        parser.error(f"rounds (--rounds or BENCH_ROUNDS) must be a whole number from 1 to {MAX_ROUNDS}")
    output = arguments.output or RESULTS / ("smoke.json" if arguments.smoke else "latest.json")
    report = asyncio.run(run(arguments))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(dumps(report) + "\n")
    machine = report["machine"]
    print()
    print(table(report["rows"]))
    print()
    print(goals_text(report["rows"]))
    print()
    print(
        f"{machine['cores']} cores, load average {machine['loadavgBefore'][0]:.2f} before and "
        f"{machine['loadavgAfter'][0]:.2f} after; {report['rounds']} round(s) in {report['seconds']} s"
    )
    print("checks: " + ", ".join(f"{name} {value:g}" for name, value in report["checks"].items()))
    print(f"wrote {output}")
