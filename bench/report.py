"""Figures: per-round values, their median/min/max across rounds, the ratio or goal, the table and the JSON."""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass, field

from bench.targets import RELAY_ADDED_P50_MS, RELAY_CAT_KEPT, Goal

TARGETS = ("limit", "jupyter", "t3site")


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    higher_is_better: bool = False
    # What an issue promises of t3site's median, marked met or not met in the table and the JSON.
    goal: Goal | None = None


ROWS = (
    Row("cat_mbps", "terminal `cat` of a {cat_mib} MiB text file, MB/s", higher_is_better=True),
    Row("echo_p50_ms", "keystroke echo p50, ms"),
    Row("echo_p99_ms", "keystroke echo p99, ms"),
    Row("get_rps", "authenticated trivial GET, 16 concurrent, req/s", higher_is_better=True),
    Row("get_p50_ms", "same, p50 ms"),
    Row("get_p99_ms", "same, p99 ms"),
    Row("connect_bearer_p50_ms", "WebSocket connect + auth + first answer p50, ms (t3site: bearer)"),
    Row("connect_ticket_p50_ms", "same (t3site: ticket fetched first)"),
    Row("idle_kib", "{idle_sockets} idle sockets, KiB each"),
    Row("idle_kept_kib", "RSS still grown once they are closed, KiB each"),
    Row("cold_start_s", "cold start to an authenticated 200, s"),
    Row("revoke_p50_ms", "revocation from the CLI -> 4410, after the commit, p50 ms"),
    Row("revoke_max_ms", "same, max ms"),
    Row("pair_rps", "pairing exchanges, 16 concurrent, per s", higher_is_better=True),
    Row("files_read_p50_ms", "`files.read` of a 1 MiB file, round trip p50 ms"),
    # Issue 13: a second t3site saved on the first; its /ws directly, and through the first's /via/<id>/ws.
    Row("relay_probe_direct_p50_ms", "relay: `server.probe` round trip p50, ms, on the backend's /ws"),
    Row("relay_probe_relayed_p50_ms", "same through the relay (/via/<id>/ws of another t3site)"),
    Row("relay_probe_direct_p99_ms", "relay: `server.probe` round trip p99, ms, on the backend's /ws"),
    Row("relay_probe_relayed_p99_ms", "same through the relay"),
    Row("relay_added_p50_ms", "relay: p50 added to a `server.probe` round trip, ms", goal=RELAY_ADDED_P50_MS),
    Row("relay_cat_direct_mbps", "relay: terminal `cat` of {cat_mib} MiB, twice, MB/s, on the backend's /ws",
        higher_is_better=True),
    Row("relay_cat_relayed_mbps", "same through the relay", higher_is_better=True),
    Row("relay_cat_kept", "relay: `cat` throughput relayed / direct, same round", higher_is_better=True,
        goal=RELAY_CAT_KEPT),
)  # fmt: skip


def percentile(samples: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile (p99 of 300 samples is the 297th smallest)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass
class Results:
    """Every figure of every round, and every sample behind them."""

    figures: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # row -> target -> per round
    samples: dict[str, dict[str, list]] = field(default_factory=dict)  # workload -> target -> per round
    checks: dict[str, float] = field(default_factory=dict)

    def add(self, target: str, figures: dict[str, float]) -> None:
        for key, value in figures.items():
            self.figures.setdefault(key, {}).setdefault(target, []).append(value)

    def add_samples(self, workload: str, target: str, samples: list[float]) -> None:
        """Keep one round's samples (to the microsecond: finer is below the clock's noise here)."""
        self._keep(workload, target, [round(sample, 3) for sample in samples])

    def add_histogram(self, workload: str, target: str, samples: list[float]) -> None:
        """Keep thousands of samples as [value, count] pairs, values to 3 significant digits."""
        counts: dict[float, int] = {}
        for sample in samples:
            value = float(f"{sample:.3g}")
            counts[value] = counts.get(value, 0) + 1
        self._keep(workload, target, sorted(counts.items()))

    def _keep(self, workload: str, target: str, samples: list) -> None:
        self.samples.setdefault(workload, {}).setdefault(target, []).append(samples)

    def count(self, check: str, amount: float) -> None:
        self.checks[check] = self.checks.get(check, 0) + amount

    def summary(self, sizes: dict) -> list[dict]:
        """Return each row with its values per round, median, min, max and the t3site/Jupyter ratio."""
        rows = []
        for row in ROWS:
            by_target = self.figures.get(row.key, {})
            entry = {"key": row.key, "label": row.label.format(**sizes), "higherIsBetter": row.higher_is_better}
            for target in TARGETS:
                values = by_target.get(target)
                if values:
                    entry[target] = {
                        "rounds": values,
                        "median": statistics.median(values),
                        "min": min(values),
                        "max": max(values),
                    }
            if "t3site" in entry and "jupyter" in entry and entry["jupyter"]["median"]:
                entry["ratio"] = entry["t3site"]["median"] / entry["jupyter"]["median"]
            if row.goal and "t3site" in entry:
                entry["goal"] = {
                    "value": row.goal.value,
                    "atLeast": row.goal.at_least,
                    "text": row.goal.text(),
                    "met": row.goal.met(entry["t3site"]["median"]),
                }
            rows.append(entry)
        return rows


def dumps(value, depth: int = 0) -> str:
    """Return ``value`` as JSON: objects indented, each list of plain values on one line.

    A run holds thousands of samples; one line per list keeps the file small and readable.
    """
    pad = " " * (depth + 1)
    if isinstance(value, dict) and value:
        items = [f"{pad}{json.dumps(key)}: {dumps(item, depth + 1)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * depth + "}"
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        return "[\n" + ",\n".join(pad + dumps(item, depth + 1) for item in value) + "\n" + " " * depth + "]"
    return json.dumps(value, separators=(",", ":"))


def number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def spread(figure: dict | None) -> str:
    if not figure:
        return "-"
    if len(figure["rounds"]) == 1:
        return number(figure["median"])
    return f"{number(figure['median'])} ({number(figure['min'])}-{number(figure['max'])})"


def verdict(entry: dict) -> str:
    """Say the ratio and whether it puts t3site ahead, or whether t3site's median meets its goal: the last column."""
    if "goal" in entry:
        goal = entry["goal"]
        return f"target {goal['text']}: {'met' if goal['met'] else 'NOT met'}"
    if "ratio" not in entry:
        return "-"
    ratio = entry["ratio"]
    ahead = ratio > 1 if entry["higherIsBetter"] else ratio < 1
    return f"{ratio:.2f}x {'ahead' if ahead else 'behind'}"


def table(rows: list[dict]) -> str:
    """Return the rows as a Markdown table: median (min-max) across rounds, and the ratio of medians or the goal."""
    header = ("workload", "machine limit", "Jupyter", "t3site", "t3site/Jupyter or target")
    lines = [header] + [
        (entry["label"], spread(entry.get("limit")), spread(entry.get("jupyter")), spread(entry.get("t3site")),
         verdict(entry))
        for entry in rows
    ]  # fmt: skip
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    rendered = ["| " + " | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) + " |"
                for line in lines]  # fmt: skip
    rendered.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(rendered)
