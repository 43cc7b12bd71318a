"""Probe the store engines: durable key set, bulk insert and the 100k-run query.

    python bench/_store_probe.py                 # both engines, 100,000 runs
    python bench/_store_probe.py --runs 20000 --engines sqlite

The SQLite store lives in a temporary folder; the PostgreSQL one in a throw-away schema
of RUNCONFIG_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test), skipped when no
server answers. Targets: key set <= 50 us median (SQLite); >= 5,000 runs/s bulk insert
(SQLite); query <= 50 ms (SQLite), <= 100 ms (PostgreSQL).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from runconfig._entries import Change
from runconfig.store import OrderKey, RunData, RunStore, SqlFragment, open_store

PG_URL = os.environ.get("RUNCONFIG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
OPTIMIZERS = ["adam", "sgd", "rmsprop"]


def make_runs(count: int, seed: int = 7) -> Iterator[RunData]:
    """Runs of 20 config keys (two nested) and 3 summary metrics."""
    rng = random.Random(seed)
    for i in range(count):
        config = {
            "lr": 10 ** rng.uniform(-5, -1),
            "batch_size": rng.choice([16, 32, 64, 128, 256]),
            "optimizer": rng.choice(OPTIMIZERS),
            "epochs": rng.randint(1, 100),
            "dropout": rng.random() / 2,
            "weight_decay": rng.choice([0.0, 1e-4, 1e-3]),
            "seed": rng.randint(0, 2**31),
            "dataset": rng.choice(["mnist", "cifar10", "imagenet"]),
            "augment": rng.random() < 0.5,
            "warmup_steps": rng.randint(0, 1000),
            "scheduler": rng.choice(["cosine", "linear", None]),
            "grad_clip": rng.choice([None, 0.5, 1.0]),
            "model": {"arch": rng.choice(["resnet", "vit"]), "depth": rng.randint(10, 100)},
            "data": {"workers": rng.randint(1, 16), "shuffle": True},
            "tags": ["a", "b"],
            "momentum": 0.9,
        }
        summary = {"val_loss": rng.random(), "acc": rng.random(), "epoch": config["epochs"]}
        yield RunData(
            id=f"r{i:07d}",
            name=f"run-{i}",
            project="bench",
            state="finished",
            created_at=f"2026-01-01T00:00:00.{i % 1000000:06d}+00:00",
            config=config,
            summary=summary,
        )


def probe_key_set(store: RunStore, n: int = 3000) -> dict[str, float]:
    """Median microseconds of one durable key set: a new key, a changed one, a nested one."""
    run = store.create_run(RunData(id=uuid.uuid4().hex[:8], name="live", project="probe"))
    assert run.rid is not None
    shapes = {
        "new key": lambda i: Change((f"key_{i}",), i * 0.5, "probe.py:1"),
        "changed key": lambda i: Change((f"key_{i % 50}",), i * 0.25, "probe.py:2"),
        "new nested key": lambda i: Change(("model", f"layer_{i}"), i, "probe.py:3"),
    }
    medians = {}
    for label, change in shapes.items():
        changes = [[change(i)] for i in range(n)]
        times = []
        for batch in changes:
            t = time.perf_counter_ns()
            store.write_changes(run.rid, "c", batch)
            times.append(time.perf_counter_ns() - t)
        medians[label] = statistics.median(times) / 1000
    return medians


def probe_engine(store: RunStore, runs: int) -> None:
    print(f"== {store.dialect}: {store.location}")
    for label, median in probe_key_set(store).items():
        print(f"   durable key set, {label}: {median:.1f} us median")
    t = time.perf_counter()
    store.bulk_insert(make_runs(runs))
    elapsed = time.perf_counter() - t
    print(f"   bulk insert: {runs} runs in {elapsed:.1f} s = {runs / elapsed:,.0f} runs/s")
    ph = "?" if store.dialect == "sqlite" else "%s"
    exists = (
        "EXISTS (SELECT 1 FROM rc_entries e WHERE e.rid = r.rid AND e.section = 'c' "
        f"AND e.path = {ph} AND e.kind = {{kind}} AND e.{{col}} {{op}} {ph})"
    )
    for label, lr, descending in [
        ("25% match, asc", 0.01, False),
        ("25% match, desc", 0.01, True),
        ("4% match, asc", 0.00003, False),
        ("0.1% match, asc", 0.0000102, False),
    ]:
        where = SqlFragment(
            exists.format(kind="'n'", col="num", op="<")
            + " AND "
            + exists.format(kind="'s'", col="txt", op="="),
            ("lr", lr, "optimizer", "adam"),
        )
        order = [OrderKey("s", "val_loss", descending)]
        times = []
        for _ in range(13):
            t = time.perf_counter()
            found = store.find_runs(where=where, order=order, limit=50)
            times.append((time.perf_counter() - t) * 1000)
        assert len(found) == 50, len(found)
        print(f"   query ({label}, limit 50, warm): {statistics.median(times[3:]):.1f} ms median")
    t = time.perf_counter()
    found = store.find_runs(project="bench", limit=50)
    print(f"   newest 50: {(time.perf_counter() - t) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    engines = args.engines.split(",")
    if "sqlite" in engines:
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(os.path.join(tmp, "runs.db"))
            try:
                probe_engine(store, args.runs)
            finally:
                store.close()
    if "postgresql" in engines:
        try:
            import psycopg

            admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
        except Exception as e:
            print(f"== postgresql: skipped ({e})")
            return
        schema = f"rc_probe_{uuid.uuid4().hex[:8]}"
        sep = "&" if "?" in PG_URL else "?"
        try:
            store = open_store(f"{PG_URL}{sep}schema={schema}")
            try:
                probe_engine(store, args.runs)
            finally:
                store.close()
        finally:
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            admin.close()


if __name__ == "__main__":
    main()
