"""Issue 10: every query bounded. Long ``in``/``or`` lists, hostile regular expressions,
time limits, on SQLite and PostgreSQL.

    python bench/bench_limits.py                # 10,000 runs on each engine
    python bench/bench_limits.py --runs 2000    # a quicker look

Figures, each beside a baseline measured in the same run (median of 5 warm calls):

- ``train.steps in [N values]`` and the same as an ``or`` chain of N ``==`` (N = 1,000 and
  10,000; about 1% of the runs match), ``not in [10,000]`` and ``run.id in [10,000]``,
  through ``Api.runs`` on each engine; baseline: the one-term ``train.steps == v`` on the
  same store. Floor: 10,000 terms in under 1 s. The note says whether the runs found are
  those that Python's ``evaluate()`` finds;
- PostgreSQL: the SQL of the 1,000-term ``or`` on runconfig's connection (JIT off) beside
  the same SQL on a connection with PostgreSQL's default, JIT on;
- the issue's hostile regular expression, ``s ~ "(a+)+$"`` against ``"a" * 30 + "!"``
  (SQLite runs it with RE2; before, Python's ``re`` never finished it) vs ``s ~ "^a"`` on
  the same runs; beside: Python's ``re`` on ``"a" * 22 + "!"`` (each more ``a`` doubles it);
- patterns PostgreSQL's engine is slow on (``(.?){1,255}(.?){1,255}z`` and two like it:
  about 1-2 s each to compile) with ``timeout=1``: seconds until the ``QueryError``.
  Floor: 1.5 s;
- the time limit's cost on a normal query: the issue's query (``lr < 0.01 and optimizer ==
  "adam"``, sorted, limit 50) with the default limit vs ``timeout=0`` (no limit), both
  from a worker thread (the main thread's Ctrl-C handling is the same in both). Floor:
  1.10x.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import random
import re
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

from _harness import Floor, Row, fmt, min_median, print_table
from _runs import ORDER, QUERIES, make_runs

import runconfig
from runconfig.errors import QueryError
from runconfig.query import compile_query, evaluate, parse_query
from runconfig.store import RunData, open_store

PG_URL = os.environ.get("RUNCONFIG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REPEAT = 5
HOSTILE = "(a+)+$"
PG_HOSTILE = "(.?){1,255}(.?){1,255}z"


def _lists(runs: list[RunData]) -> list[tuple[str, str]]:
    """(label, query) of the list figures; the values hit about 1% of the runs."""
    # train.steps is uniform on 100..10,000: 100 values of it, the rest beyond it.
    steps = [100 + 99 * i for i in range(100)] + [20_000 + i for i in range(9_900)]
    steps.sort(key=lambda s: (s * 7919) % 10_007)  # the hits spread through the list
    ids = [f"r{i:07d}" for i in range(0, 100 * len(runs), 100)][:10_000]
    ids += [f"none{i}" for i in range(10_000 - len(ids))]
    listed = ", ".join
    return [
        ("in [1,000 values]", f"train.steps in [{listed(map(str, steps[:1000]))}]"),
        ("or of 1,000 ==", " or ".join(f"train.steps == {s}" for s in steps[:1000])),
        ("in [10,000 values]", f"train.steps in [{listed(map(str, steps))}]"),
        ("or of 10,000 ==", " or ".join(f"train.steps == {s}" for s in steps)),
        ("not in [10,000 values]", f"train.steps not in [{listed(map(str, steps))}]"),
        ("run.id in [10,000 ids]", f"run.id in [{listed(repr(i) for i in ids)}]"),
    ]


SAMPLE = 300  # runs not found, checked with evaluate() (a 10,000-term `or` takes ~10 ms a run)


def _agrees(runs: list[RunData], query: str, found: set[str]) -> bool:
    """Whether evaluate() holds for every run found and fails for SAMPLE runs not found."""
    node = parse_query(query)
    others = [r for r in runs if r.id not in found]
    checked = [r for r in runs if r.id in found] + random.Random(1).sample(
        others, min(SAMPLE, len(others))
    )
    return all(
        evaluate(node, {"config": r.config, "run": {"id": r.id}}) == (r.id in found)
        for r in checked
    )


def _timed(fn: Callable[[], Any]) -> float:
    return min_median(fn, REPEAT)[1]


def list_rows(engine: str, location: str, runs: list[RunData]) -> list[Row]:
    api = runconfig.Api(location)
    try:
        one = _timed(lambda: api.runs(where="train.steps == 1000"))
        rows = []
        for label, query in _lists(runs):
            found = {r.id for r in api.runs(where=query, timeout=0)}
            same = _agrees(runs, query, found)
            big = "10,000" in label and "not in" not in label and "run.id" not in label
            rows.append(
                Row(
                    f"{engine}: {label}",
                    _timed(lambda q=query: api.runs(where=q, timeout=0)),  # type: ignore[misc]
                    one,
                    "one ==",
                    floor=Floor("abs_max", 1.0) if big else None,
                    note=f"{len(found):,} runs found, "
                    + (
                        f"evaluate() agrees on them and on {SAMPLE} others"
                        if same
                        else "NOT the runs evaluate() finds"
                    ),
                )
            )
        return rows
    finally:
        api.close()


def jit_row(location: str, query: str) -> Row:
    """The compiled 1,000-term `or` on runconfig's connection (JIT off) and on one with
    PostgreSQL's default settings (JIT on)."""
    import psycopg

    from runconfig.store.postgres import parse_url

    fragment = compile_query(parse_query(query), "postgresql")
    sql = f"SELECT count(*) FROM rc_runs r WHERE {fragment.sql}"
    conninfo, extra, _, _ = parse_url(location)
    options = extra["options"].replace("-c jit=off", "-c jit=on")
    store = open_store(location)
    try:
        ours = _timed(lambda: store._conn.execute(sql, fragment.params).fetchone())  # type: ignore[attr-defined]
    finally:
        store.close()
    with psycopg.connect(conninfo, options=options, autocommit=True) as conn:
        base = _timed(lambda: conn.execute(sql, fragment.params).fetchone())
    return Row(
        "PostgreSQL: the 1,000-term or, JIT off (runconfig's connections)",
        ours,
        base,
        "JIT on",
        note="before this issue the chain of 1,000 EXISTS took 93 s with JIT, 0.64 s without",
    )


def regex_rows(engine: str, location: str) -> list[Row]:
    """The issue's hostile pattern; on PostgreSQL, one its engine is slow on, to the limit."""
    store = open_store(location)
    try:
        store.bulk_insert(
            RunData(id=f"h{i}", name=f"h{i}", project="hostile", config={"s": "a" * 30 + "!"})
            for i in range(200)
        )
    finally:
        store.close()
    api = runconfig.Api(location)
    try:
        where = f's ~ "{HOSTILE}"'
        row = Row(
            f'{engine}: s ~ "{HOSTILE}" on 200 runs of "a" * 30 + "!"',
            _timed(lambda: api.runs(project="hostile", where=where, timeout=5)),
            _timed(lambda: api.runs(project="hostile", where='s ~ "^a"', timeout=5)),
            's ~ "^a"',
        )
        if engine == "SQLite":
            text = "a" * 22 + "!"
            t = time.perf_counter()
            re.search(HOSTILE, text)
            row.peers.append(
                ("Python's re on 'a' * 22 + '!' (SQLite before)", time.perf_counter() - t)
            )
        rows = [row]
        if engine == "PostgreSQL":
            rows.append(_limit_row(location))
        return rows
    finally:
        api.close()


def _limit_row(location: str) -> Row:
    store = open_store(location)
    try:
        store.bulk_insert(
            RunData(id=f"p{i}", name=f"p{i}", project="slow", config={"s": "a" * 2000})
            for i in range(20)
        )
    finally:
        store.close()
    # Three patterns: PostgreSQL compiles each (1-2 s) before it matches anything.
    where = " or ".join(f's ~ "{PG_HOSTILE}{tail}"' for tail in ("", "z", "zz"))
    api = runconfig.Api(location)
    try:
        t = time.perf_counter()
        try:
            api.runs(project="slow", where=where, timeout=1)
            note = "no QueryError: the query ended within 1 s"
        except QueryError as e:
            note = str(e)[:60] + "..."
        elapsed = time.perf_counter() - t
    finally:
        api.close()
    return Row(
        f'PostgreSQL: s ~ "{PG_HOSTILE}" and two like it, timeout=1: time to QueryError',
        elapsed,
        floor=Floor("abs_max", 1.5),
        note=note,
    )


def overhead_row(engine: str, location: str) -> Row:
    """The issue's query with its time limit vs without, from a worker thread."""
    _, where, order, _ = QUERIES[0]
    api = runconfig.Api(location)
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:

        def query(timeout: float | None) -> float:
            job = lambda: api.runs(where=where, order=order, limit=50, timeout=timeout)  # noqa: E731
            return pool.submit(_timed, job).result()

        pairs = [(query(None), query(0)) for _ in range(3)]  # in turn: drift hits both
        ours, base = min(p[0] for p in pairs), min(p[1] for p in pairs)
        return Row(
            f"{engine}: the issue's query with its time limit (30 s)",
            ours,
            base,
            "timeout=0 (none)",
            floor=Floor("ratio_max", 1.10),
            note=f"{where}, {ORDER}, limit 50; median of {REPEAT}, best of 3 rounds",
        )
    finally:
        pool.shutdown()
        api.close()


def bench_engine(engine: str, location: str, runs: list[RunData]) -> list[Row]:
    store = open_store(location)
    try:
        store.bulk_insert(runs)
    finally:
        store.close()
    rows = list_rows(engine, location, runs)
    if engine == "PostgreSQL":
        rows.append(jit_row(location, _lists(runs)[1][1]))
    return rows + regex_rows(engine, location) + [overhead_row(engine, location)]


def measure(count: int = 10_000) -> list[Row]:
    runs = list(make_runs(count))
    with tempfile.TemporaryDirectory() as tmp:
        rows = bench_engine("SQLite", os.path.join(tmp, "runs.db"), runs)
    try:
        import psycopg

        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except Exception as e:
        return [*rows, Row("PostgreSQL", None, note=f"n/a ({type(e).__name__}: no server)")]
    schema = f"rc_bench_{uuid.uuid4().hex[:8]}"
    try:
        url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}schema={schema}"
        return rows + bench_engine("PostgreSQL", url, runs)
    finally:
        admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    args = parser.parse_args()
    t = time.perf_counter()
    rows = measure(args.runs)
    elapsed = fmt(time.perf_counter() - t)
    print_table(f"bench_limits: {args.runs:,} runs (issue 10, bounded queries), {elapsed}", rows)


if __name__ == "__main__":
    main()
