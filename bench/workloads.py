"""The workloads of issues 12 and 13, each run the same way against every target that has it.

A workload takes a target and the run's context, returns its figures for the table (one value per
row per round), and keeps every sample behind them in the results.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bench import httpclient, sockets, t3site_only, terminals
from bench.report import Results, percentile
from bench.targets import Floor, Jupyter, Limits, Relay, T3site

MIB = 2**20


@dataclass(frozen=True)
class Sizes:
    cat_mib: int
    echo_keys: int
    get_seconds: float
    connects: int
    idle_sockets: int
    settle_seconds: float
    pairings: int
    revocations: int
    revoked_sockets: int
    file_reads: int
    relay_probes: int  # server.probe round trips each way (direct, relayed), after a tenth as many untimed


FULL = Sizes(
    cat_mib=32, echo_keys=1000, get_seconds=5.0, connects=100, idle_sockets=500, settle_seconds=1.0,
    pairings=200, revocations=3, revoked_sockets=10, file_reads=30, relay_probes=1000,
)  # fmt: skip
# One tiny round of everything, so `make test` proves the harness still works end to end.
SMOKE = Sizes(
    cat_mib=1, echo_keys=20, get_seconds=0.5, connects=10, idle_sockets=20, settle_seconds=0.2,
    pairings=16, revocations=1, revoked_sockets=3, file_reads=3, relay_probes=20,
)  # fmt: skip


@dataclass
class Context:
    sizes: Sizes
    results: Results
    cat_file: Path
    project_id: str
    read_path: str
    round_number: int = 0


async def terminal_cat(target, context: Context) -> dict[str, float]:
    path, size = str(context.cat_file), context.sizes.cat_mib * MIB
    if isinstance(target, Limits):
        return {"cat_mbps": terminals.raw_cat_rate(path, size)}
    async with target.terminal() as channel:
        return {"cat_mbps": await terminals.cat_rate(channel, path, size)}


async def echo(target, context: Context) -> dict[str, float]:
    async with target.terminal() as channel:
        samples = await terminals.echo_ms(channel, context.sizes.echo_keys)
    context.results.add_samples("echo_ms", target.name, samples)
    return {"echo_p50_ms": percentile(samples, 0.5), "echo_p99_ms": percentile(samples, 0.99)}


async def http_get(target, context: Context) -> dict[str, float]:
    seconds = context.sizes.get_seconds
    run = await httpclient.load(target.port, target.get_path, target.headers, httpclient.CONNECTIONS, seconds)
    context.results.count("get_not_200", sum(n for status, n in run.statuses.items() if status != 200))
    context.results.add_histogram("get_ms_histogram", target.name, run.latencies_ms)
    return {
        "get_rps": run.rate,
        "get_p50_ms": percentile(run.latencies_ms, 0.5),
        "get_p99_ms": percentile(run.latencies_ms, 0.99),
    }


async def connect(target, context: Context) -> dict[str, float]:
    """Time each distinct way in; a target with one way (Jupyter's token) gives it for both rows."""
    p50_by_variant = {}
    for variant in dict.fromkeys(target.connect_variants.values()):
        samples = await sockets.connect_ms(lambda variant=variant: target.connect(variant), context.sizes.connects)
        context.results.add_samples(f"connect_{variant}_ms", target.name, samples)
        p50_by_variant[variant] = percentile(samples, 0.5)
    return {f"connect_{row}_p50_ms": p50_by_variant[variant] for row, variant in target.connect_variants.items()}


async def fresh_process(target, context: Context) -> dict[str, float]:
    """Start another process of the target (the cold start), then measure idle sockets on it.

    On a fresh process, because a heap reuses what earlier sockets and workloads freed (glibc keeps
    it): on the main servers every round after the first would count almost nothing.
    """
    fresh = await target.another()
    try:
        connect = functools.partial(fresh.connect, fresh.connect_variants["bearer"])
        count = context.sizes.idle_sockets
        rss = await sockets.idle_memory(connect, fresh.socket_server, count, context.sizes.settle_seconds)
    finally:
        fresh.stop()
    context.results.add_samples("idle_rss_bytes_before_open_closed", target.name, rss)
    before, opened, closed = rss
    return {
        "cold_start_s": fresh.startup_seconds,
        "idle_kib": (opened - before) / count / 1024,
        "idle_kept_kib": (closed - before) / count / 1024,
    }


async def pairing(target: T3site, context: Context) -> dict[str, float]:
    rate, failed = await t3site_only.pairing_rate(target, context.sizes.pairings)
    context.results.count("pairing_failed", failed)
    return {"pair_rps": rate}


async def files_read(target: T3site, context: Context) -> dict[str, float]:
    samples = await t3site_only.files_read_ms(target, context.project_id, context.read_path, context.sizes.file_reads)
    context.results.add_samples("files_read_ms", target.name, samples)
    return {"files_read_p50_ms": percentile(samples, 0.5)}


async def revocation(target: T3site, context: Context) -> dict[str, float]:
    sizes = context.sizes
    samples, after_exit, wrong = await t3site_only.revocation_ms(target, sizes.revocations, sizes.revoked_sockets)
    context.results.add_samples("revoke_after_commit_ms", target.name, samples)
    context.results.add_samples("revoke_after_exit_ms", target.name, after_exit)
    context.results.count("revoke_not_4410", wrong)
    if not samples:
        raise RuntimeError("no revoked socket was closed with 4410")
    return {"revoke_p50_ms": percentile(samples, 0.5), "revoke_max_ms": max(samples)}


async def relay_probe(relay: Relay, context: Context) -> dict[str, float]:
    """`server.probe` on the backend's /ws and through the relay, in turns; the relay's cost is the p50s' difference."""
    probes = context.sizes.relay_probes
    direct, relayed = await t3site_only.probe_ms_in_turns([relay.direct, relay.relayed], probes, probes // 10)
    context.results.add_samples("relay_probe_direct_ms", relay.name, direct)
    context.results.add_samples("relay_probe_relayed_ms", relay.name, relayed)
    figures = {
        "relay_probe_direct_p50_ms": percentile(direct, 0.5),
        "relay_probe_relayed_p50_ms": percentile(relayed, 0.5),
        "relay_probe_direct_p99_ms": percentile(direct, 0.99),
        "relay_probe_relayed_p99_ms": percentile(relayed, 0.99),
    }
    figures["relay_added_p50_ms"] = figures["relay_probe_relayed_p50_ms"] - figures["relay_probe_direct_p50_ms"]
    return figures


async def relay_cat(relay: Relay, context: Context) -> dict[str, float]:
    """The terminal `cat` workload twice each way, on the backend directly and through the relay.

    In the order A B B A (B A A B every other round), so a load that rises or falls steadily
    during the round weighs on both ways alike; each way's rate is its two files over their time.
    """
    ways = {"direct": relay.direct, "relayed": relay.relayed}
    first, second = ways if context.round_number % 2 == 0 else reversed(ways)
    seconds_per_mb = dict.fromkeys(ways, 0.0)
    for way in (first, second, second, first):
        seconds_per_mb[way] += 1 / (await terminal_cat(ways[way], context))["cat_mbps"]
    rates = {way: 2 / seconds for way, seconds in seconds_per_mb.items()}
    return {
        "relay_cat_direct_mbps": rates["direct"],
        "relay_cat_relayed_mbps": rates["relayed"],
        "relay_cat_kept": rates["relayed"] / rates["direct"],
    }


@dataclass(frozen=True)
class Workload:
    name: str
    run: Callable[..., Awaitable[dict[str, float]]]
    runs_on: tuple[type, ...] = (Limits, Jupyter, T3site)


# The floor has no terminal: it is measured on the rows the fixed stack bounds (HTTP and sockets).
WITH_FLOOR = (Limits, Floor, Jupyter, T3site)


WORKLOADS = (
    Workload("terminal cat", terminal_cat),
    Workload("keystroke echo", echo),
    Workload("authenticated GET", http_get, runs_on=WITH_FLOOR),
    Workload("socket connect", connect, runs_on=WITH_FLOOR),
    Workload("cold start + idle sockets", fresh_process, runs_on=WITH_FLOOR),
    Workload("pairing", pairing, runs_on=(T3site,)),
    Workload("files.read", files_read, runs_on=(T3site,)),
    Workload("CLI revocation", revocation, runs_on=(T3site,)),
    Workload("relay server.probe", relay_probe, runs_on=(Relay,)),
    Workload("relay terminal cat", relay_cat, runs_on=(Relay,)),
)
