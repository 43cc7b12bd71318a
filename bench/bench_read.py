"""Issue 11: reading runs back, and runs in a loop, at the speed of the data.

    python bench/bench_read.py                 # 10,000 runs
    python bench/bench_read.py --runs 2000     # a quicker look

Figures, each beside a baseline measured in the same run:

- ``Api().runs('lr < 0.01 and optimizer == "adam"', order="summary.val_loss")``, all the
  ~1,900 matching runs of 10,000, reading ``r.config`` and ``r.summary`` of every one
  (median of 7 warm calls). Floor: 15 ms. Baselines: plain sqlite3 on typed columns (name
  and one metric only), and on the config kept as one JSON text filtered with
  ``json_extract`` (the config decoded with ``json.loads``); beside: MLflow's
  ``search_runs`` (through bench_query's worker and its cached database), >= 200x;
- the same in a fresh process (``python -c``, wall time, min of 7): floor 80 ms; baseline:
  the JSON-text sqlite3 query in a fresh process;
- ``RunList.to_pandas()`` of all 10,000 runs: floor 100 ms; baseline: ``pandas.
  json_normalize`` of the same records' dicts;
- ``runconfig runs --format json --limit 0`` on the 10,000 runs (wall, min of 5): floor
  0.5 s; baseline: ``python -c pass``;
- a loop of ``init(config=<20 keys>)``, one ``log()``, ``finish()`` in one process:
  floor 2 ms a run on SQLite, 10 ms on PostgreSQL; baseline: the same rows written with
  raw sqlite3 (a run row, 20 entries, a history row, the end: three commits);
- ``update()`` of 1,000 new keys on a live run: floor 2 ms; of 1,000 changed keys with
  ``allow_val_change=True``: floor 5 ms; baseline: a raw sqlite3 ``executemany`` of the
  same 1,000 rows in one transaction;
- memory: the RSS of a process holding a live run with a 10,000-key config, above a bare
  interpreter: floor 50 MB.

Attribute and item reads (``cfg.lr``, ``cfg.optimizer.lr``, ``cfg["lr"]``) with their
issue-11 floors are in bench_config.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable
from typing import Any

from _harness import Floor, Row, child_env, min_median, print_table, wall, worker
from _runs import CONFIG, make_runs

import runconfig
from runconfig.store import open_store

PG_URL = os.environ.get("RUNCONFIG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
WHERE = 'lr < 0.01 and optimizer == "adam"'
ORDER = "summary.val_loss"
REPEAT = 7
HERE = os.path.dirname(os.path.abspath(__file__))


# -- the stores ------------------------------------------------------------------------------
def populate(tmp: str, count: int) -> tuple[str, str, str]:
    """The runs in a runconfig store, and in two plain sqlite3 files: typed columns, and
    the config and summary as JSON texts."""
    ours = os.path.join(tmp, "runs.db")
    store = open_store(ours)
    try:
        store.bulk_insert(make_runs(count))
    finally:
        store.close()
    typed, texts = os.path.join(tmp, "typed.db"), os.path.join(tmp, "json.db")
    with sqlite3.connect(typed) as conn:
        conn.execute(
            "CREATE TABLE runs (id TEXT PRIMARY KEY, name TEXT, lr REAL, optimizer TEXT, "
            "val_loss REAL)"
        )
        conn.executemany(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?)",
            [
                (r.id, r.name, r.config["lr"], r.config["optimizer"], r.summary["val_loss"])
                for r in make_runs(count)
            ],
        )
        conn.execute("CREATE INDEX runs_opt ON runs (optimizer, lr)")
    with sqlite3.connect(texts) as conn:
        conn.execute(
            "CREATE TABLE runs (id TEXT PRIMARY KEY, name TEXT, config TEXT, summary TEXT)"
        )
        conn.executemany(
            "INSERT INTO runs VALUES (?, ?, ?, ?)",
            [(r.id, r.name, json.dumps(r.config), json.dumps(r.summary)) for r in make_runs(count)],
        )
    return ours, typed, texts


TYPED_SQL = (
    "SELECT id, name, val_loss FROM runs WHERE lr < 0.01 AND optimizer = 'adam' ORDER BY val_loss"
)
JSON_SQL = (
    "SELECT id, name, config, summary FROM runs WHERE json_extract(config, '$.lr') < 0.01 "
    "AND json_extract(config, '$.optimizer') = 'adam' "
    "ORDER BY json_extract(summary, '$.val_loss')"
)
JSON_READ = """
import json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
rows = [(i, n, json.loads(c), json.loads(s)) for i, n, c, s in conn.execute({sql!r})]
assert rows
"""
OURS_READ = """
import sys, runconfig
with runconfig.Api(sys.argv[1]) as api:
    runs = api.runs(where={where!r}, order={order!r})
    n = sum(len(r.config) + len(r.summary) for r in runs)
assert runs
"""


def _ours(api: runconfig.Api) -> int:
    runs = api.runs(where=WHERE, order=ORDER)
    return sum(len(r.config) + len(r.summary) for r in runs) and len(runs)


def read_rows(ours: str, typed: str, texts: str, count: int, mlflow: bool) -> list[Row]:
    api = runconfig.Api(ours)
    try:
        found = _ours(api)
        _, warm = min_median(lambda: _ours(api), REPEAT)
    finally:
        api.close()
    conn_typed, conn_json = sqlite3.connect(typed), sqlite3.connect(texts)

    def typed_read() -> Any:
        return conn_typed.execute(TYPED_SQL).fetchall()

    def json_read() -> Any:
        return [(i, n, json.loads(c), json.loads(s)) for i, n, c, s in conn_json.execute(JSON_SQL)]

    _, typed_time = min_median(typed_read, REPEAT)
    _, json_time = min_median(json_read, REPEAT)
    assert len(json_read()) == found, (len(json_read()), found)
    row = Row(
        f"Api().runs(where, order): all {found:,} matching of {count:,}, config+summary read",
        warm,
        json_time,
        "sqlite3, JSON text, json_extract",
        floor=Floor("abs_max", 0.015),
        peers=[("sqlite3, typed columns (name, metric)", typed_time)],
        note=f"median of {REPEAT} warm calls",
    )
    if mlflow:
        env = {"MLFLOW_ENABLE_ASYNC_LOGGING": "0", "MLFLOW_DISABLE_TELEMETRY": "true"}
        cache = os.path.join(tempfile.gettempdir(), "runconfig-bench-cache")
        out = worker(
            os.path.join(HERE, "bench_query.py"), "mlflow", cache, str(count), env=env, peer=True
        )
        if out is not None:
            row.peers.append(("MLflow search_runs (filters client-side)", out["median"]))
            row.note += f"; ours {out['median'] / warm:.0f}x faster than MLflow (floor 200x)"
    else:
        row.note += "; MLflow: not installed (pip install -e '.[bench]')"
    rows = [row]

    fresh_ours = [sys.executable, "-c", OURS_READ.format(where=WHERE, order=ORDER), ours]
    fresh_json = [sys.executable, "-c", JSON_READ.format(sql=JSON_SQL), texts]
    ours_min, _ = wall(fresh_ours, REPEAT)
    base_min, _ = wall(fresh_json, REPEAT)
    rows.append(
        Row(
            "the same in a fresh process (python -c, wall)",
            ours_min,
            base_min,
            "sqlite3 + json in a fresh process",
            floor=Floor("abs_max", 0.080),
            note=f"min of {REPEAT}",
        )
    )
    return rows


def pandas_row(ours: str, count: int) -> Row:
    try:
        import pandas
    except ImportError:
        return Row("RunList.to_pandas(), all runs", None, note="pandas: not installed")
    with runconfig.Api(ours) as api:
        runs = api.runs()
        _, median = min_median(runs.to_pandas, REPEAT)
        dicts = runs.to_dicts()
        _, base = min_median(lambda: pandas.json_normalize(dicts), REPEAT)
    return Row(
        f"RunList.to_pandas() of all {count:,} runs",
        median,
        base,
        "pandas.json_normalize of their dicts",
        floor=Floor("abs_max", 0.100),
        note=f"median of {REPEAT}",
    )


def cli_row(ours: str, count: int) -> Row:
    script = os.path.join(os.path.dirname(sys.executable), "runconfig")
    argv = [script, "runs", "--store", ours, "--format", "json", "--limit", "0"]
    done = subprocess.run(argv, capture_output=True, text=True, env=child_env())
    shown = len(json.loads(done.stdout)) if done.returncode == 0 else 0
    ours_min, _ = wall(argv, 5)
    base_min, _ = wall([sys.executable, "-c", "pass"], 5)
    return Row(
        f"runconfig runs --format json --limit 0 ({count:,} runs, wall)",
        ours_min,
        base_min,
        "python -c pass",
        floor=Floor("abs_max", 0.5),
        note=f"{shown:,} runs printed; min of 5",
    )


# -- runs in a loop ----------------------------------------------------------------------------
LOOP = """
import json, statistics, sys, time
import runconfig
store, n = sys.argv[1], int(sys.argv[2])
config = json.loads(sys.argv[3])
def one():
    run = runconfig.init(project="loop", config=dict(config), store=store)
    run.log({"loss": 0.5})
    run.finish()
one()
times = []
for _ in range(n):
    t = time.perf_counter()
    one()
    times.append(time.perf_counter() - t)
print(json.dumps(statistics.median(times)))
"""


def _raw_loop(path: str, n: int) -> float:
    """The rows of the loop's runs written with raw sqlite3, with the store's pragmas: a
    run row and its 20 entries, a history row, the end (three commits, as durable)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE runs (rid INTEGER PRIMARY KEY, id TEXT, state TEXT, doc TEXT)")
    conn.execute("CREATE TABLE entries (rid INT, path TEXT, value TEXT, PRIMARY KEY (rid, path))")
    conn.execute("CREATE TABLE history (rid INT, step INT, data TEXT, PRIMARY KEY (rid, step))")
    times = []
    for i in range(n):
        t = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        insert = "INSERT INTO runs (id, state) VALUES (?, 'running')"
        rid = conn.execute(insert, (str(i),)).lastrowid
        conn.executemany(
            "INSERT INTO entries VALUES (?, ?, ?)",
            [(rid, k, json.dumps(v)) for k, v in CONFIG.items()],
        )
        conn.execute("COMMIT")
        conn.execute("INSERT INTO history VALUES (?, 0, ?)", (rid, json.dumps({"loss": 0.5})))
        conn.execute(
            "UPDATE runs SET state = 'finished', doc = ? WHERE rid = ?", (json.dumps(CONFIG), rid)
        )
        times.append(time.perf_counter() - t)
    conn.close()
    return statistics.median(times)


LOOP_RUNS = 200


def _loop(tmp: str, store: str) -> tuple[float | None, str]:
    """The median seconds a run of LOOP takes in a process of its own (None and why)."""
    out = subprocess.run(
        [sys.executable, "-c", LOOP, store, str(LOOP_RUNS), json.dumps(CONFIG)],
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=tmp,
    )
    if out.returncode != 0:
        return None, f": {out.stderr[-300:]}"
    return json.loads(out.stdout), ""


def loop_rows(tmp: str) -> list[Row]:
    base = _raw_loop(os.path.join(tmp, "raw-loop.db"), LOOP_RUNS)
    ours, failed = _loop(tmp, os.path.join(tmp, "loop.db"))
    rows = [
        Row(
            "init(20 keys) + log() + finish() in a loop, SQLite",
            ours,
            base,
            "raw sqlite3, same rows",
            floor=Floor("abs_max", 0.002),
            note=f"median of {LOOP_RUNS} runs in one process{failed}",
        )
    ]
    schema = f"rc_bench_loop_{uuid.uuid4().hex[:8]}"
    try:
        pg, failed = _loop(tmp, f"{PG_URL}?schema={schema}")
        rows.append(
            Row(
                "the same on PostgreSQL",
                pg,
                ours,
                "the loop on SQLite",
                floor=Floor("abs_max", 0.010),
                note=f"median of {LOOP_RUNS} runs{failed}",
            )
        )
    finally:
        try:
            import psycopg

            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        except Exception:  # no server: the row says n/a
            pass
    return rows


# -- update() ----------------------------------------------------------------------------------
def update_rows(tmp: str) -> list[Row]:
    run = runconfig.init(project="update", store=os.path.join(tmp, "update.db"))
    raw = sqlite3.connect(os.path.join(tmp, "raw-update.db"), isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    raw.execute("PRAGMA synchronous = NORMAL")
    raw.execute("CREATE TABLE e (path TEXT PRIMARY KEY, value TEXT)")

    def timed(fn: Callable[[dict[str, Any]], Any], make: Callable[[int], dict[str, Any]]) -> float:
        times = []
        for i in range(30):
            data = make(i)  # built before timing: user code
            t = time.perf_counter()
            fn(data)
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    def raw_upsert(data: dict[str, Any]) -> None:
        raw.execute("BEGIN IMMEDIATE")
        raw.executemany(
            "INSERT INTO e VALUES (?, ?) ON CONFLICT (path) DO UPDATE SET value = excluded.value",
            [(k, json.dumps(v)) for k, v in data.items()],
        )
        raw.execute("COMMIT")

    new = timed(run.config.update, lambda i: {f"k{i}_{j}": j * 0.5 for j in range(1000)})
    base_new = timed(raw_upsert, lambda i: {f"k{i}_{j}": j * 0.5 for j in range(1000)})
    run.config.update({f"c{j}": j for j in range(1000)})
    changed = timed(
        lambda d: run.config.update(d, allow_val_change=True),
        lambda i: {f"c{j}": j + i + 1 for j in range(1000)},
    )
    base_changed = timed(raw_upsert, lambda i: {f"c{j}": j + i + 1 for j in range(1000)})
    run.finish()
    raw.close()
    return [
        Row(
            "update() of 1,000 new keys on a live run",
            new,
            base_new,
            "raw executemany, 1 transaction",
            floor=Floor("abs_max", 0.002),
            note="median of 30",
        ),
        Row(
            "update() of 1,000 changed keys, allow_val_change=True",
            changed,
            base_changed,
            "raw upsert executemany",
            floor=Floor("abs_max", 0.005),
            note="median of 30",
        ),
    ]


# -- memory ------------------------------------------------------------------------------------
MEMORY = """
import os, sys
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
if sys.argv[1] == "bare":
    print(rss())
else:
    import runconfig
    run = runconfig.init(project="memory", store=sys.argv[2])
    run.config.update({f"key_{i}": {"value": i * 0.5, "name": f"n{i}"} if i % 10 == 0
                       else i * 0.5 for i in range(10_000)})
    print(rss())
    run.finish()
"""


def memory_row(tmp: str) -> Row:
    def rss(*args: str) -> int:
        out = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(MEMORY), *args],
            capture_output=True,
            text=True,
            env=child_env(),
            cwd=tmp,
            check=True,
        )
        return int(out.stdout.strip())

    bare = min(rss("bare") for _ in range(3))
    live = min(rss("run", os.path.join(tmp, "memory.db")) for _ in range(3))
    return Row(
        "RSS above a bare interpreter: a live run with a 10,000-key config",
        (live - bare) / 1e6,
        bare / 1e6,
        "the bare interpreter",
        unit="MB",
        floor=Floor("abs_max", 50),
        note=f"min of 3 processes each: {live / 1e6:.1f} MB vs {bare / 1e6:.1f} MB",
    )


def measure(count: int = 10_000, mlflow: bool = False) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        ours, typed, texts = populate(tmp, count)
        rows = read_rows(ours, typed, texts, count, mlflow)
        rows.append(pandas_row(ours, count))
        rows.append(cli_row(ours, count))
        rows += loop_rows(tmp)
        rows += update_rows(tmp)
        rows.append(memory_row(tmp))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--mlflow", action="store_true", help="beside MLflow (slow at first)")
    args = parser.parse_args()
    rows = measure(args.runs, args.mlflow)
    print_table(f"Issue 11: reading runs back, runs in a loop ({args.runs:,} runs)", rows)


if __name__ == "__main__":
    main()
