"""What the benchmark scripts share: timing, peers that may be missing, the result table.

A figure is a :class:`Row`: our number, a baseline measured in the same run, the issue's
floor and whether we meet it; peers (wandb, OmegaConf...) are printed beside it with
their own multiple of the same baseline. Times are in seconds, rates in runs/s.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

NA = "n/a (not installed)"


@dataclass(frozen=True)
class Floor:
    """The issue's floor. ``kind``: ``ratio_max`` (ours / baseline <= limit),
    ``speedup_min`` (baseline / ours >= limit), ``abs_max`` (ours <= limit, seconds) or
    ``abs_min`` (ours >= limit, a rate)."""

    kind: str
    limit: float

    def text(self, unit: str) -> str:
        if self.kind == "ratio_max":
            return f"<= {self.limit:g}x"
        if self.kind == "speedup_min":
            return f">= {self.limit:g}x faster"
        sign = "<=" if self.kind == "abs_max" else ">="
        return f"{sign} {fmt(self.limit, unit)}"

    def check(self, ours: float, baseline: float | None) -> bool | None:
        if self.kind == "abs_max":
            return ours <= self.limit
        if self.kind == "abs_min":
            return ours >= self.limit
        if baseline is None or ours <= 0:
            return None
        if self.kind == "ratio_max":
            return ours / baseline <= self.limit
        return baseline / ours >= self.limit


@dataclass
class Row:
    """One figure: ours against a baseline, with peers beside it."""

    figure: str
    ours: float | None
    baseline: float | None = None
    baseline_name: str = ""
    floor: Floor | None = None
    unit: str = "s"  # "s" for times, "runs/s" for rates
    peers: list[tuple[str, float | None]] = field(default_factory=list)
    note: str = ""

    def ratio(self, value: float | None) -> float | None:
        if value is None or self.baseline is None or self.baseline <= 0:
            return None
        if self.floor is not None and self.floor.kind == "speedup_min":
            return self.baseline / value if value > 0 else None
        return value / self.baseline

    @property
    def passed(self) -> bool | None:
        if self.floor is None or self.ours is None:
            return None
        return self.floor.check(self.ours, self.baseline)

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: "-" if self.floor is None else "n/a"}[
            self.passed
        ]


def fmt(value: float | None, unit: str = "s") -> str:
    """``3.2e-8`` -> ``32 ns``; a rate as ``12,345 runs/s``; None -> ``n/a``."""
    if value is None:
        return "n/a"
    if unit != "s":
        return f"{value:,.0f} {unit}"
    for scale, name in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {name}"
    return f"{value / 1e-9:.3g} ns"


def fmt_ratio(ratio: float | None) -> str:
    return "" if ratio is None else f"{ratio:.3g}x"


def print_table(title: str, rows: Sequence[Row]) -> None:
    """Figure | ours | baseline | ratio | floor | result, peers indented below each figure.

    The ratio is ours / baseline (for a "faster" floor: baseline / ours); a peer's ratio
    is its value over the same baseline (for a "faster" floor: how much slower than ours).
    """
    lines: list[tuple[str, ...]] = [("figure", "ours", "baseline", "ratio", "floor", "result")]
    notes: dict[int, str] = {}
    for row in rows:
        base = f"{fmt(row.baseline, row.unit)} {row.baseline_name}" if row.baseline_name else ""
        floor = row.floor.text(row.unit) if row.floor else "(report)"
        ours = fmt(row.ours, row.unit) if row.ours is not None else row.note or "n/a"
        lines.append((row.figure, ours, base, fmt_ratio(row.ratio(row.ours)), floor, row.verdict))
        faster = row.floor is not None and row.floor.kind == "speedup_min"
        for name, value in row.peers:
            if faster:
                ratio = None if value is None or not row.ours else value / row.ours
            else:
                ratio = row.ratio(value)
            shown = NA if value is None else fmt(value, row.unit)
            lines.append((f"  beside: {name}", "", shown, fmt_ratio(ratio), "", ""))
        if row.note and row.ours is not None:
            notes[len(lines) - 1] = f"  note: {row.note}"
    widths = [max(len(line[i]) for line in lines) for i in range(6)]
    print(f"\n== {title}")
    for n, line in enumerate(lines):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
        if n in notes:
            print(notes[n])


# -- timing ------------------------------------------------------------------------------
def per_op(stmt: str, env: dict[str, Any], repeat: int = 7, batch: float = 0.02) -> float:
    """Seconds per execution of ``stmt``: min of ``repeat`` batches of about ``batch``
    seconds each, net of timeit's own loop overhead."""
    timer = timeit.Timer(stmt, globals=env)
    number = 1
    while timer.timeit(number) < batch and number < 10_000_000:
        number *= 4
    loop = min(timeit.Timer("pass").repeat(repeat=repeat, number=number)) / number
    best = min(timer.repeat(repeat=repeat, number=number)) / number
    return max(best - loop, 0.0)


def min_median(fn: Callable[[], Any], repeat: int, warmup: int = 1) -> tuple[float, float]:
    """(min, median) seconds of ``fn()`` over ``repeat`` calls, after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


# This shell sets PYTHONDONTWRITEBYTECODE=1, so a fresh process would compile runconfig from
# source each time (installed packages come with bytecode). Child processes get bytecode
# cached in a folder of their own, as an installed runconfig would have it.
PYCACHE = os.path.join(tempfile.gettempdir(), "runconfig-bench-cache", "pycache")


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for timed subprocesses: bytecode cached under :data:`PYCACHE`."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = PYCACHE
    return {**env, **(extra or {})}


def spawn(
    argv: Sequence[str], *, env: dict[str, str] | None = None, cwd: str | None = None
) -> float:
    """Wall seconds of one subprocess (with :func:`child_env` unless ``env``); raises if
    it fails."""
    t = time.perf_counter()
    done = subprocess.run(argv, env=env or child_env(), cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return elapsed


def wall(
    argv: Sequence[str], runs: int, *, env: dict[str, str] | None = None, cwd: str | None = None
) -> tuple[float, float]:
    """(min, median) wall seconds of a subprocess over ``runs``, after one untimed run."""
    spawn(argv, env=env, cwd=cwd)
    times = [spawn(argv, env=env, cwd=cwd) for _ in range(runs)]
    return min(times), statistics.median(times)


def worker(
    script: str,
    name: str,
    *args: str,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    timeout: float = 1800,
    peer: bool = False,
) -> Any:
    """Run ``python script --worker name args...`` and return the JSON of its last line.

    Each peer runs in a process of its own, so that one library's imports, threads and
    atexit hooks cannot slow down or break another's figures. None if it fails.
    ``peer``: the worker times a peer, run with ``RUNCONFIG_PEER_PYTHON`` when it is set
    (a virtualenv holding the peers, e.g. MLflow, apart from the test environment);
    runconfig is then imported from this checkout. Our own workers keep this interpreter.
    """
    python = (os.environ.get("RUNCONFIG_PEER_PYTHON") if peer else None) or sys.executable
    argv = [python, script, "--worker", name, *args]
    full_env = child_env(env)
    if python != sys.executable:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        full_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (root, full_env.get("PYTHONPATH", "")) if p
        )
    try:
        done = subprocess.run(
            argv, env=full_env, cwd=cwd, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        print(f"  [{name}] timed out after {timeout:.0f} s", file=sys.stderr)
        return None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()[-3:]
        print(f"  [{name}] failed: {' | '.join(tail)}", file=sys.stderr)
        return None
    return json.loads(lines[-1])


def per_op_pair(stmt: str, ours: Any, base: Any, rounds: int = 5) -> tuple[float, float]:
    """(ours, baseline) seconds per ``stmt``, with ``cfg`` bound to each in turn: the min
    over ``rounds`` rounds, so that a change of load on the machine hits both."""
    times = [(per_op(stmt, {"cfg": ours}), per_op(stmt, {"cfg": base})) for _ in range(rounds)]
    return min(t[0] for t in times), min(t[1] for t in times)


def interleaved(
    first: list[str], second: list[str], runs: int, env: dict[str, str] | None = None
) -> tuple[list[float], list[float]]:
    """Sorted wall times of two commands run in turn, so that load hits both alike."""
    spawn(first, env=env)
    spawn(second, env=env)
    a, b = [], []
    for _ in range(runs):
        a.append(spawn(first, env=env))
        b.append(spawn(second, env=env))
    return sorted(a), sorted(b)


def import_costs(code: str, top: int = 8, runs: int = 5) -> list[tuple[str, int]]:
    """The modules ``code`` adds to ``python -c pass``, by self time in µs
    (``-X importtime``, the min over ``runs`` runs for each module)."""

    def costs(code: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for _ in range(runs):
            err = subprocess.run(
                [sys.executable, "-X", "importtime", "-c", code],
                env=child_env(),
                capture_output=True,
                text=True,
            ).stderr
            for line in err.splitlines():
                if line.startswith("import time:") and "|" in line and "self" not in line:
                    self_us, _, name = line[len("import time:") :].split("|")
                    out[name.strip()] = min(int(self_us), out.get(name.strip(), 1 << 62))
        return out

    baseline = costs("pass")
    added = {k: v for k, v in costs(code).items() if k not in baseline}
    return sorted(added.items(), key=lambda kv: -kv[1])[:top]


def profile_top(fn: Callable[[], Any], top: int = 6) -> str:
    """Run ``fn`` under cProfile: its costliest functions by own time, with their share."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(fn)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in stats.values()) or 1.0
    ranked = sorted(stats.items(), key=lambda kv: -kv[1][2])[:top]
    parts = []
    for (path, line, name), row in ranked:
        where = name if path == "~" else f"{name} ({'/'.join(path.split('/')[-2:])}:{line})"
        parts.append(f"{where} {row[2] / total:.0%}")
    return "profile, own time: " + ", ".join(parts)


def emit(value: Any) -> None:
    """A worker's answer: one JSON line on stdout."""
    print(json.dumps(value), flush=True)
