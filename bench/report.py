"""Figures: per-round values, their median/min/max across rounds, the ratio or goal, the table and the JSON."""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass, field

from bench.targets import GET_P99_MS, GET_RPS, IDLE_KIB, RELAY_ADDED_P50_MS, RELAY_CAT_KEPT, Goal

TARGETS = ("limit", "floor", "jupyter", "t3site")


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
    Row("get_rps", "authenticated GET, 16 concurrent, req/s", higher_is_better=True, goal=GET_RPS),
    Row("get_p50_ms", "same, p50 ms"),
    Row("get_p99_ms", "same, p99 ms", goal=GET_P99_MS),
    Row("connect_bearer_p50_ms", "WebSocket connect+auth+answer p50 ms (bearer)"),
    Row("connect_ticket_p50_ms", "same (t3site: ticket fetched first)"),
    Row("idle_kib", "{idle_sockets} idle sockets, KiB each", goal=IDLE_KIB),
    Row("idle_kept_kib", "RSS still grown once closed, KiB each"),
    Row("cold_start_s", "cold start to an authenticated 200, s"),
    Row("revoke_p50_ms", "CLI revocation -> 4410 after commit, p50 ms"),
    Row("revoke_max_ms", "same, max ms"),
    Row("pair_rps", "pairing exchanges, 16 concurrent, per s", higher_is_better=True),
    Row("files_read_p50_ms", "`files.read` of 1 MiB, round trip p50 ms"),
    # Issue 13: a second t3site saved on the first; its /ws directly, and through the first's /via/<id>/ws.
    Row("relay_probe_direct_p50_ms", "relay: `server.probe` p50 ms, backend's /ws"),
    Row("relay_probe_relayed_p50_ms", "same through the relay (/via/<id>/ws)"),
    Row("relay_probe_direct_p99_ms", "relay: `server.probe` p99 ms, backend's /ws"),
    Row("relay_probe_relayed_p99_ms", "same through the relay"),
    Row("relay_added_p50_ms", "relay: p50 added to a `server.probe`, ms", goal=RELAY_ADDED_P50_MS),
    Row("relay_cat_direct_mbps", "relay: `cat` {cat_mib} MiB x2, MB/s, backend's /ws", higher_is_better=True),
    Row("relay_cat_relayed_mbps", "same through the relay", higher_is_better=True),
    Row("relay_cat_kept", "relay: `cat` relayed / direct, same round", higher_is_better=True, goal=RELAY_CAT_KEPT),
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
        """Return each row with its values per round, median, min, max, the t3site/Jupyter ratio and its goal."""
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
            if "jupyter" in entry and entry["jupyter"]["median"]:
                for target, key in (("t3site", "ratio"), ("floor", "floorRatio")):
                    if target in entry:
                        entry[key] = entry[target]["median"] / entry["jupyter"]["median"]
            if row.goal and "t3site" in entry:
                entry["goal"] = judge(row.goal, entry)
            rows.append(entry)
        return rows


def judge(goal: Goal, entry: dict) -> dict:
    """Say whether t3site's median meets ``goal`` and, for a goal relative to Jupyter, whether the floor's does.

    The floor is the fixed stack alone. When its median meets the threshold, or t3site's does
    (t3site is on that stack too), the target is reachable on it (``reachableOnFixedStack``
    true). When neither does, it is not (false) if the floor bounds what a server on the stack
    can do (a rate, a memory cost), and not known (null) if it does not (a p99: the floor's
    own pauses).
    """
    judged = {"value": goal.value, "atLeast": goal.at_least, "text": goal.text()}
    if goal.of_jupyter:
        if "jupyter" not in entry:
            return {**judged, "met": None}
        jupyter = entry["jupyter"]["median"]
        judged.update(ofJupyter=True, threshold=goal.threshold(jupyter))
        judged["met"] = goal.met(entry["t3site"]["median"], jupyter)
        if "floor" in entry:
            judged["floor"] = entry["floor"]["median"]
            judged["floorMeets"] = goal.met(entry["floor"]["median"], jupyter)
            judged["floorBounds"] = goal.floor_bounds
            reachable = judged["floorMeets"] or judged["met"]
            judged["reachableOnFixedStack"] = True if reachable else (False if goal.floor_bounds else None)
        return judged
    return {**judged, "met": goal.met(entry["t3site"]["median"])}


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
    if abs(value) >= 10_000:
        return f"{value / 1000:.1f}k"  # the limit's req/s: keeps its column narrow
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
    """The last column: the ratio and whether it puts t3site ahead, with a goal's verdict if the row has one.

    An absolute goal (the relay's) replaces the ratio; a goal relative to Jupyter (issue 12's)
    follows it, and `goals_text` says what the floor makes of it.
    """
    goal = entry.get("goal")
    if goal and not goal.get("ofJupyter"):
        return f"goal {goal['text']}: {'met' if goal['met'] else 'NOT met'}"
    if "ratio" not in entry:
        return "-"
    ratio = entry["ratio"]
    if goal:  # issue 12's: the threshold and the floor's verdict are in goals_text's lines under the table
        return f"{ratio:.2f}x, {'met' if goal['met'] else 'NOT met'}"
    ahead = ratio > 1 if entry["higherIsBetter"] else ratio < 1
    return f"{ratio:.2f}x {'ahead' if ahead else 'behind'}"


GOAL_NAMES = {"get_rps": "GET req/s", "get_p99_ms": "GET p99 ms", "idle_kib": "idle socket KiB"}


def goals_text(rows: list[dict]) -> str:
    """Issue 12's targets, one line each: the threshold, t3site's median, and whether the floor allows it."""
    lines = ["Issue 12's targets in this run (medians; the floor is daphne + Channels alone, bench/floor_app.py):"]
    for entry in rows:
        goal = entry.get("goal")
        if not goal or not goal.get("ofJupyter") or goal["met"] is None:
            continue
        line = (
            f"- {GOAL_NAMES.get(entry['key'], entry['label'])}: target {goal['text']} = {number(goal['threshold'])}; "
            f"t3site {number(entry['t3site']['median'])}: {'met' if goal['met'] else 'NOT met'}"
        )
        if "floor" in goal:
            line += f"; floor {number(goal['floor'])}: {'meets it' if goal['floorMeets'] else 'misses it'}"
            reachable = goal["reachableOnFixedStack"]
            if reachable is None:
                line += " (its own pauses, not a bound): reachable on the fixed stack not known"
            else:
                line += f": {'reachable' if reachable else 'NOT reachable'} on the fixed stack"
        lines.append(line)
    return "\n".join(lines)


def table(rows: list[dict]) -> str:
    """Return the rows as a Markdown table: median (min-max) across rounds, and the ratio of medians or the goal."""
    header = ("workload", "machine limit", "daphne+Channels floor", "Jupyter", "t3site", "t3site/Jupyter")
    lines = [header] + [
        (entry["label"], *(spread(entry.get(target)) for target in TARGETS), verdict(entry))
        for entry in rows
    ]  # fmt: skip
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    rendered = ["| " + " | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) + " |"
                for line in lines]  # fmt: skip
    rendered.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(rendered)
