"""Issue 2: the cost of a standalone ``runconfig.Config`` (no run, no store).

    python bench/bench_config.py

Figures and floors (ratios against a baseline measured in the same run):

- attribute read of a leaf, ``cfg.lr`` and ``cfg.train.epochs``: <= 2x the same read on a
  ``dict`` subclass whose instance ``__dict__`` is itself (issue 11; issue 2 asked 4x of
  a dict with ``__getattr__ = dict.__getitem__``);
- item read ``cfg["lr"]``: <= 2x a plain ``dict`` (issue 11; issue 2 asked 3x);
- setting one key (a new key; an existing key to the same value): <= 3 µs;
- ``update()`` of 1,000 new keys: <= 3 ms;
- ``python -c "import runconfig"``: <= 1.5x ``python -c pass`` (min of 30 interleaved
  runs each, bytecode cached as for an installed package; ``-X importtime``'s top costs
  are listed when it fails). Reported beside it: the same without ``site`` (``-S``), whose
  ``.pth`` files pad the baseline here, and with no cached bytecode.

Beside: wandb's ``Config`` (standalone; its nested values are plain dicts, so its nested
read is ``cfg["train"]["epochs"]``), OmegaConf's ``DictConfig``, ml_collections'
``ConfigDict``. Read times are per operation, net of timeit's loop overhead; ours and the
baseline are timed in turn in 5 fresh processes, and the process with the median ratio is
shown (a 30 ns read moves by 2x from one process to the next).
"""

from __future__ import annotations

import os
import sys
import time
import timeit
from collections.abc import Callable
from typing import Any

from _harness import (
    Floor,
    Row,
    child_env,
    emit,
    fmt,
    import_costs,
    interleaved,
    per_op,
    per_op_pair,
    print_table,
    profile_top,
    worker,
)
from _peers import AttrDict, BareSubclass, Minimal, makers, peers, values

import runconfig

N_KEYS = 1_000
IMPORT_RUNS = 30


def _profile_stmt(stmt: str, cfg: Any) -> str:
    return profile_top(lambda: timeit.timeit(stmt, number=100_000, globals={"cfg": cfg}))


def _read(stmt: str, cfg: Any) -> float | None:
    if cfg is None:
        return None
    return per_op(stmt, {"cfg": cfg})


# (figure, statement, baseline, floor): ours and the baseline are timed in turn in each of
# PROCESSES fresh processes, and the process with the median ratio is shown: a read this
# short moves by 2x from one process to the next (memory layout, CPython's type cache).
READS = (
    ("attr read cfg.lr", "cfg.lr", "AttrDict", 2.0),
    ("attr read cfg.train.epochs", "cfg.train.epochs", "AttrDict", 2.0),
    ('item read cfg["lr"]', 'cfg["lr"]', "dict", 2.0),
)
PROCESSES = 5


def _read_worker() -> None:
    ours = runconfig.Config(values())
    attr = AttrDict(values())
    attr["train"] = AttrDict(attr["train"])
    bases = {"AttrDict": attr, "dict": values()}
    emit([per_op_pair(stmt, ours, bases[base], rounds=3) for _, stmt, base, _ in READS])


def bench_reads() -> list[Row]:
    runs = [out for out in (worker(__file__, "reads") for _ in range(PROCESSES)) if out]
    configs = peers()
    nested_peer = {"wandb Config": 'cfg["train"]["epochs"]'}
    rows = []
    for i, (figure, stmt, base, limit) in enumerate(READS):
        pairs = sorted((run[i] for run in runs), key=lambda p: p[0] / p[1])
        ours, baseline = pairs[len(pairs) // 2] if pairs else (None, None)
        row = Row(figure, ours, baseline, base, Floor("ratio_max", limit))
        if pairs:
            low, high = (p[0] / p[1] for p in (pairs[0], pairs[-1]))
            row.note = (
                f"median of {len(pairs)} processes, ratios {low:.2f}x to {high:.2f}x; "
                "peers timed in one process"
            )
        for name, cfg in configs.items():
            peer_stmt = nested_peer.get(name, stmt) if "train" in stmt else stmt
            label = name if peer_stmt == stmt else f"{name} ({peer_stmt})"
            row.peers.append((label, _read(peer_stmt, cfg)))
        if base == "dict":
            row.peers.append(
                ("a dict subclass with nothing added", _read(stmt, BareSubclass(values())))
            )
            row.peers.append(("a minimal Python __getitem__", _read(stmt, Minimal(values()))))
        if row.passed is False:
            row.note += "; " + _profile_stmt(stmt, runconfig.Config(values()))
        rows.append(row)
    return rows


def _per_key_set(make: Callable[[], Any] | None, keys: list[str], repeat: int = 7) -> float | None:
    """Seconds per ``cfg[key] = i`` of a new key, min over ``repeat`` fresh configs."""
    if make is None:
        return None
    best = float("inf")
    for _ in range(repeat):
        cfg = make()
        t = time.perf_counter()
        for i, key in enumerate(keys):
            cfg[key] = i
        best = min(best, time.perf_counter() - t)
    return best / len(keys)


def _update(
    make: Callable[[], Any] | None, how: Callable[[Any, dict[str, int]], Any], repeat: int = 15
) -> float | None:
    if make is None:
        return None
    values = {f"key_{i}": i for i in range(N_KEYS)}
    best = float("inf")
    for _ in range(repeat):
        cfg = make()
        t = time.perf_counter()
        how(cfg, values)
        best = min(best, time.perf_counter() - t)
    return best


def bench_writes() -> list[Row]:
    factories = makers()

    def fresh(name: str) -> Callable[[], Any] | None:
        make = factories[name]
        return None if make is None else lambda: make({})

    keys = [f"key_{i}" for i in range(10_000)]
    new = Row(
        "set a new key cfg[k] = v",
        _per_key_set(runconfig.Config, keys),
        _per_key_set(dict, keys),
        "dict",
        Floor("abs_max", 3e-6),
    )
    new.peers = [("wandb Config", _per_key_set(fresh("wandb Config"), keys))]
    ours = runconfig.Config(values())
    same = Row(
        "re-set cfg.lr to the same value",
        per_op("cfg.lr = 1e-3", {"cfg": ours}),
        per_op('cfg["lr"] = 1e-3', {"cfg": values()}),
        "dict",
        Floor("abs_max", 3e-6),
    )
    wandb_cfg = peers()["wandb Config"]
    same.peers = [("wandb Config", _read("cfg.lr = 1e-3", wandb_cfg))]
    update = Row(
        f"update() of {N_KEYS:,} new keys",
        _update(runconfig.Config, lambda c, v: c.update(v)),
        _update(dict, lambda c, v: c.update(v)),
        "dict",
        Floor("abs_max", 3e-3),
    )
    update.peers = [
        ("wandb Config.update", _update(fresh("wandb Config"), lambda c, v: c.update(v))),
        ("OmegaConf.merge_with", _update(fresh("OmegaConf"), lambda c, v: c.merge_with(v))),
        ("ml_collections update", _update(fresh("ml_collections"), lambda c, v: c.update(v))),
    ]
    if new.passed is False:
        new.note = profile_top(lambda: _per_key_set(runconfig.Config, keys, repeat=1))
    if same.passed is False:
        same.note = _profile_stmt("cfg.lr = 1e-3", ours)
    if update.passed is False:
        update.note = profile_top(lambda: _update(runconfig.Config, lambda c, v: c.update(v), 3))
    return [new, same, update]


def bench_import() -> list[Row]:
    py, mid = sys.executable, IMPORT_RUNS // 2
    bare, ours = interleaved([py, "-c", "pass"], [py, "-c", "import runconfig"], IMPORT_RUNS)
    row = Row(
        'python -c "import runconfig" (min)',
        ours[0],
        bare[0],
        "python -c pass",
        Floor("ratio_max", 1.5),
    )
    row.note = f"min of {IMPORT_RUNS}; medians {fmt(ours[mid])} vs {fmt(bare[mid])}"
    # Without the site-packages .pth files this environment runs at start-up (an editable
    # finder, a certificate hook), which pad the baseline: -S, runconfig from its source.
    src = os.path.dirname(os.path.dirname(os.path.abspath(runconfig.__file__)))
    code = f"import sys; sys.path.insert(0, {src!r}); import runconfig"
    bare_s, ours_s = interleaved([py, "-S", "-c", "pass"], [py, "-S", "-c", code], IMPORT_RUNS)
    site_free = Row(
        "the same without site (python -S), min",
        ours_s[0],
        bare_s[0],
        "python -S -c pass",
        note=f"medians {fmt(ours_s[mid])} vs {fmt(bare_s[mid])}",
    )
    nobyte = {k: v for k, v in child_env().items() if k != "PYTHONPYCACHEPREFIX"}
    nobyte["PYTHONDONTWRITEBYTECODE"] = "1"
    bare_n, ours_n = interleaved([py, "-c", "pass"], [py, "-c", "import runconfig"], 10, nobyte)
    row.note += (
        f"; with no cached bytecode (PYTHONDONTWRITEBYTECODE=1): {fmt(ours_n[0])} vs "
        f"{fmt(bare_n[0])} = {ours_n[0] / bare_n[0]:.2f}x"
    )
    if row.passed is False:
        costs = import_costs("import runconfig")
        top = ", ".join(f"{name} {us / 1000:.1f} ms" for name, us in costs)
        row.note += f"; top self costs (-X importtime): {top}"
    return [row, site_free]


def measure() -> list[Row]:
    return bench_reads() + bench_writes() + bench_import()


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        _read_worker()
        return
    print_table("bench_config: a standalone Config (issue 2)", measure())


if __name__ == "__main__":
    main()
