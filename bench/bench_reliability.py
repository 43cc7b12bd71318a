"""Issue 10: what surviving the server costs. The journal on the durable-set path, the
replay once the server is back, the damage check at open.

    python bench/bench_reliability.py               # the damage check on 100,000 runs
    python bench/bench_reliability.py --runs 20000  # a quicker look

Figures, each beside a baseline measured in the same run, in the same process, one
operation of ours and one of the baseline's in turn (this machine's speed drifts by up to
2x within seconds, so only figures taken side by side compare):

- a durable config set on PostgreSQL through the store a run writes with (the journal
  standing by) vs the same set through the bare ``PostgresStore``: the cost of being
  ready for an outage. Floor: 1.10x (within noise);
- the same set while the server is away: the write goes to the journal (an SQLite file,
  committed before the call returns) vs a raw sqlite3 ``INSERT`` + commit with the same
  pragmas (WAL, ``synchronous=NORMAL``) and vs a set on the embedded SQLite store, whose
  durable-set floor (issue 3: 50 µs) it must keep;
- replay: the journal of the 4,000 sets above sent once the server is back, in writes per second,
  vs the same 2,000 sets written straight to the server;
- the damage check at open (three short reads) on an SQLite store of N runs vs
  ``PRAGMA quick_check``, which reads every page.

The server is made "away" for real: its connection of the store is ended by
``pg_terminate_backend`` and reconnecting is refused until the figure ends.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

from _harness import Floor, Row, print_table
from _runs import make_runs

from runconfig._entries import Change
from runconfig.errors import StoreError
from runconfig.store import RunData, RunStore, open_store
from runconfig.store._resilient import ResilientStore

PG_URL = os.environ.get("RUNCONFIG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
SETS = 2_000  # per figure, ours and the baseline's in turn
REPLAY = 2_000


def _admin(sql: str, params: tuple[Any, ...] = ()) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(sql, params)


def _set(store: RunStore, rid: int, i: int) -> None:
    store.write_changes(rid, "c", [Change((f"k{i}",), i, "bench.py:1")])


def _in_turn(ours: Callable[[int], Any], base: Callable[[int], Any], n: int) -> tuple[float, float]:
    """Median seconds of ``ours(i)`` and ``base(i)``, called in turn ``n`` times each."""
    a, b = [], []
    for i in range(n):
        t = time.perf_counter()
        ours(i)
        a.append(time.perf_counter() - t)
        t = time.perf_counter()
        base(i)
        b.append(time.perf_counter() - t)
    return statistics.median(a), statistics.median(b)


def _run(store: RunStore, name: str) -> int:
    made = store.create_run(RunData(id=uuid.uuid4().hex[:8], name=name, project="bench"))
    assert made.rid is not None
    return made.rid


class _Server:
    """Whether a ResilientStore may reconnect: refused while ``away``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.away = False

    def reopen(self) -> RunStore:
        if self.away:
            raise StoreError(f"cannot connect to the runconfig store {self.url}: away")
        return open_store(self.url, create=False)


def _cut(store: RunStore) -> None:
    """End the server side of ``store``'s connection (what a restart does to it)."""
    pid = store._conn.info.backend_pid  # type: ignore[attr-defined]
    _admin("SELECT pg_terminate_backend(%s)", (pid,))


def postgres_rows(tmp: str) -> list[Row]:
    schema = f"rc_bench_rel_{uuid.uuid4().hex[:8]}"
    url = f"{PG_URL}?schema={schema}"
    rows: list[Row] = []
    try:
        bare = open_store(url)
        server = _Server(url)
        resilient = ResilientStore(open_store(url, create=False), server.reopen)
        bare_rid, our_rid = _run(bare, "bare"), _run(resilient, "ours")
        resilient.bind("ours")
        ours, base = _in_turn(
            lambda i: _set(resilient, our_rid, i), lambda i: _set(bare, bare_rid, i), SETS
        )
        rows.append(
            Row(
                "PostgreSQL set, server up: through the run's store (journal standing by)",
                ours,
                base,
                "bare PostgresStore",
                floor=Floor("ratio_max", 1.10),
                note=f"median of {SETS:,} sets each, in turn",
            )
        )

        # -- the server away: every set goes to the journal ---------------------------------
        os.environ["RUNCONFIG_JOURNAL"] = os.path.join(tmp, "journal")
        server.away = True
        _cut(resilient._inner)  # type: ignore[attr-defined]
        _set(resilient, our_rid, -1)  # finds the connection gone: the journal starts
        assert resilient.kept == 1, "the first write after the cut was not journaled"
        raw = sqlite3.connect(os.path.join(tmp, "raw.db"), isolation_level=None)
        raw.execute("PRAGMA journal_mode = WAL")
        raw.execute("PRAGMA synchronous = NORMAL")
        raw.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, op TEXT, args TEXT)")
        embedded = open_store(os.path.join(tmp, "embedded.db"))
        embedded_rid = _run(embedded, "embedded")

        def raw_insert(i: int) -> None:
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("INSERT INTO t (op, args) VALUES (?, ?)", ("write_changes", f"[{i}]"))
            raw.execute("COMMIT")

        base_sets = SETS // 2
        ours_raw, raw_time = _in_turn(lambda i: _set(resilient, our_rid, i), raw_insert, base_sets)
        ours_emb, emb_time = _in_turn(
            lambda i: _set(resilient, our_rid, base_sets + i),
            lambda i: _set(embedded, embedded_rid, i),
            base_sets,
        )
        kept = resilient.kept
        rows.append(
            Row(
                "PostgreSQL set, server away: into the journal",
                ours_raw,
                raw_time,
                "raw sqlite3 commit",
                floor=Floor("abs_max", 50e-6),
                peers=[("a set on the embedded SQLite store", emb_time)],
                note=f"{kept:,} writes kept; beside the embedded store's set in the same "
                f"turns: ours {ours_emb * 1e6:.1f} µs, {ours_emb / emb_time:.2f}x",
            )
        )

        # -- replay ---------------------------------------------------------------------------
        for i in range(REPLAY):  # new keys, on top of the sets kept above
            _set(resilient, our_rid, 10_000 + i)
        count = resilient.kept
        t = time.perf_counter()
        server.away = False
        resilient._wake.set()  # type: ignore[attr-defined]
        while resilient.kept:
            time.sleep(0.002)
        replay = time.perf_counter() - t
        t = time.perf_counter()
        for i in range(count):
            _set(bare, bare_rid, 100_000 + i)
        straight = time.perf_counter() - t
        rows.append(
            Row(
                f"replay of {count:,} kept writes once the server is back",
                count / replay,
                count / straight,
                "the same sets straight to the server",
                unit="writes/s",
                note=f"{replay:.2f} s vs {straight:.2f} s; one server transaction per write",
            )
        )
        stored = open_store(url, create=False)
        try:
            run = stored.get_run("ours", with_history=False)
            assert run is not None and len(run.config) == SETS + 1 + REPLAY, len(run.config)
        finally:
            stored.close()
        for store in (resilient, bare, embedded):
            store.close()
        raw.close()
    finally:
        _admin(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    return rows


def damage_check_row(tmp: str, count: int) -> Row:
    path = os.path.join(tmp, "big.db")
    store = open_store(path)
    try:
        store.bulk_insert(make_runs(count))
    finally:
        store.close()
    from runconfig.store.sqlite import _probe

    conn = sqlite3.connect(path)
    try:
        probes = []
        for _ in range(20):
            t = time.perf_counter()
            _probe(conn)
            probes.append(time.perf_counter() - t)
        checks = []
        for _ in range(3):
            t = time.perf_counter()
            conn.execute("PRAGMA quick_check").fetchall()
            checks.append(time.perf_counter() - t)
    finally:
        conn.close()
    size = os.path.getsize(path) / 1e6
    return Row(
        f"SQLite damage check at open ({count:,} runs, {size:.0f} MB file)",
        statistics.median(probes),
        statistics.median(checks),
        "PRAGMA quick_check",
        note="medians of 20 and 3; quick_check runs only when a store's own metadata "
        "cannot be read",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100_000, help="runs of the damage check")
    args = parser.parse_args()
    print_table("Issue 10: the cost of surviving the server", measure(args.runs))


def measure(count: int = 100_000) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        try:
            rows += postgres_rows(tmp)
        except StoreError as e:
            rows.append(Row(f"PostgreSQL figures: n/a ({e})", None))
        rows.append(damage_check_row(tmp, count))
    return rows


if __name__ == "__main__":
    main()
