"""Every query bounded: time limits, hostile regular expressions, Ctrl-C, long lists.

On real stores of both engines (an SQLite file, a schema of the PostgreSQL server). The
time limits are the property under test here, so the tests assert elapsed times against
them, with a wide margin; speed itself is measured in bench/bench_limits.py.
"""

from __future__ import annotations

import contextlib
import math
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PG_URL, child_env, make_run

import runconfig
from runconfig.errors import QueryError, UsageTypeError, UsageValueError
from runconfig.query import evaluate, parse_query
from runconfig.store import RunData, RunStore, SqlFragment, open_store
from runconfig.store._limits import DEFAULT_TIMEOUT, ENV_VAR, resolve_timeout

SLACK = 2.0  # seconds a test allows past a limit: connecting, loading, a busy machine
# A statement that never ends on either engine: it counts an endless series.
ENDLESS = (
    "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c) > 0"
)
# The same, calling the regexp function of an SQLite store on every row.
ENDLESS_REGEXP = (
    "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
    " SELECT count(*) FROM c WHERE regexp('^a', 'b' || x)) > 0"
)
HOSTILE = "(a+)+$"  # the issue's: Python's re never finishes it on "a" * 30 + "!"
PG_HOSTILE = "(.?){1,255}(.?){1,255}z"  # PostgreSQL's engine takes ~2 s to compile it


@pytest.fixture
def app_location(store_location: str) -> Iterator[tuple[str, str]]:
    """A store location and the application_name its PostgreSQL connections show."""
    name = f"rc-limits-{uuid.uuid4().hex[:8]}"
    if "://" in store_location:
        yield f"{store_location}&application_name={name}", name
    else:
        yield store_location, name


def active_queries(name: str) -> list[tuple[Any, ...]]:
    """The statements running on the server for connections named ``name``."""
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        return conn.execute(
            "SELECT pid, state, query FROM pg_stat_activity"
            " WHERE application_name = %s AND state = 'active'",
            (name,),
        ).fetchall()


def wait_for(check: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return bool(check())


# -- the limit ----------------------------------------------------------------------------
TIMEOUTS = [
    ("none_given_no_variable", None, None, DEFAULT_TIMEOUT),
    ("variable_in_seconds", None, "2.5", 2.5),
    ("variable_zero", None, "0", None),
    ("variable_none", None, "none", None),
    ("variable_blank", None, "  ", DEFAULT_TIMEOUT),
    ("argument_wins", 4, "2.5", 4.0),
    ("argument_zero", 0, "2.5", None),
    ("argument_infinite", math.inf, None, None),
]


@pytest.mark.parametrize(
    ("timeout", "variable", "seconds"), [t[1:] for t in TIMEOUTS], ids=[t[0] for t in TIMEOUTS]
)
def test_the_time_limit_comes_from_the_argument_then_the_variable_then_30_s(
    monkeypatch: pytest.MonkeyPatch, timeout: float | None, variable: str | None, seconds: Any
) -> None:
    if variable is None:
        monkeypatch.delenv(ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(ENV_VAR, variable)
    assert resolve_timeout(timeout) == seconds


BAD_TIMEOUTS = [
    ("variable_not_a_number", None, "soon", UsageValueError, "RUNCONFIG_QUERY_TIMEOUT='soon'"),
    ("variable_negative", None, "-1", UsageValueError, "0 (no limit) or more"),
    ("argument_negative", -2, None, UsageValueError, "0 (no limit) or more"),
    ("argument_nan", math.nan, None, UsageValueError, "0 (no limit) or more"),
    ("argument_text", "5", None, UsageTypeError, "number of seconds"),
    ("argument_bool", True, None, UsageTypeError, "number of seconds"),
]


@pytest.mark.parametrize(
    ("timeout", "variable", "error", "message"),
    [t[1:] for t in BAD_TIMEOUTS],
    ids=[t[0] for t in BAD_TIMEOUTS],
)
def test_a_bad_time_limit_is_refused_clearly(
    monkeypatch: pytest.MonkeyPatch, timeout: Any, variable: str | None, error: type, message: str
) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    if variable is not None:
        monkeypatch.setenv(ENV_VAR, variable)
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolve_timeout(timeout)


def test_a_query_past_its_limit_raises_query_error_within_it(store: RunStore) -> None:
    store.bulk_insert([make_run(1)])
    started = time.monotonic()
    with pytest.raises(QueryError, match=r"took longer than 0\.5 s.*RUNCONFIG_QUERY_TIMEOUT"):
        store.find_runs(where=SqlFragment(ENDLESS), timeout=0.5)
    assert time.monotonic() - started < 0.5 + SLACK
    # The store is fine afterwards: the next read and a write work.
    assert [r.id for r in store.find_runs()] == ["r1"]
    store.bulk_insert([make_run(2)])
    assert len(store.find_runs(timeout=0)) == 2


def test_the_limit_holds_for_the_read_only_not_for_later_writes(store: RunStore) -> None:
    # A read whose deadline has long passed when the writes run: a handler left behind
    # on SQLite, or a limit on PostgreSQL's session, would stop them.
    with contextlib.suppress(QueryError):  # 1 ms: the read itself may not make it
        store.find_runs(timeout=0.001)
    time.sleep(0.05)
    assert store.bulk_insert([make_run(i) for i in range(2000)]) == 2000
    assert len(store.find_runs(timeout=0)) == 2000


def test_the_variable_sets_the_limit_of_the_api(
    store_location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(store_location)
    try:
        store.bulk_insert([make_run(1)])  # the endless condition runs for each run
    finally:
        store.close()
    api = runconfig.Api(store_location)
    try:
        monkeypatch.setenv(ENV_VAR, "0.5")
        with pytest.raises(QueryError, match=r"longer than 0\.5 s"):
            api._store.find_runs(where=SqlFragment(ENDLESS))
        monkeypatch.setenv(ENV_VAR, "bad")
        with pytest.raises(UsageValueError, match=ENV_VAR):
            api.runs()
    finally:
        api.close()


def test_a_query_past_its_limit_leaves_nothing_running_on_the_server(
    pg_schema_url: str,
) -> None:
    name = f"rc-limits-{uuid.uuid4().hex[:8]}"
    store = open_store(f"{pg_schema_url}&application_name={name}")
    try:
        store.bulk_insert([make_run(1)])
        with pytest.raises(QueryError, match="took longer than 1 s"):
            store.find_runs(where=SqlFragment(ENDLESS), timeout=1)
        # The server stopped the statement itself: nothing of it is left running.
        assert active_queries(name) == []
        assert [r.id for r in store.find_runs()] == ["r1"]
    finally:
        store.close()


# -- regular expressions ------------------------------------------------------------------
def test_the_issues_hostile_regex_answers_at_once_on_both_engines(store_location: str) -> None:
    texts = {"a": "a" * 30 + "!", "b": "a" * 30, "c": "b" + "a" * 29, "d": "x\n" + "a" * 5}
    runs = [RunData(id=k, name=k, project="p", config={"s": v}) for k, v in texts.items()]
    store = open_store(store_location)
    try:
        store.bulk_insert(runs)
    finally:
        store.close()
    with runconfig.Api(store_location) as api:
        started = time.monotonic()
        found = {r.id for r in api.runs(where=f's ~ "{HOSTILE}"', timeout=1)}
        assert time.monotonic() - started < 1 + SLACK
        assert found == {"b", "c", "d"}
        # evaluate() runs RE2 too, and agrees.
        node = parse_query(f's ~ "{HOSTILE}"')
        assert {k for k, v in texts.items() if evaluate(node, {"config": {"s": v}})} == found


def test_a_regex_postgresql_is_slow_on_stops_at_the_limit(pg_schema_url: str) -> None:
    name = f"rc-limits-{uuid.uuid4().hex[:8]}"
    url = f"{pg_schema_url}&application_name={name}"
    store = open_store(url)
    try:
        store.bulk_insert(
            RunData(id=f"r{i}", name=f"r{i}", project="p", config={"s": "a" * 2000})
            for i in range(20)
        )
    finally:
        store.close()
    # PostgreSQL spends its seconds building each pattern's automaton: three of them, so
    # that even a quick server runs past the limit.
    where = " or ".join(f's ~ "{PG_HOSTILE}{tail}"' for tail in ("", "z", "zz"))
    with runconfig.Api(url) as api:
        started = time.monotonic()
        with pytest.raises(QueryError, match="took longer than 1 s"):
            api.runs(where=where, timeout=1)
        assert time.monotonic() - started < 1 + SLACK
        assert active_queries(name) == []


def test_sqlite_runs_the_same_pattern_in_linear_time(tmp_path: Path) -> None:
    location = str(tmp_path / "runs.db")
    store = open_store(location)
    try:
        store.bulk_insert(
            RunData(id=f"r{i}", name=f"r{i}", project="p", config={"s": "a" * 2000 + str(i)})
            for i in range(20)
        )
    finally:
        store.close()
    with runconfig.Api(location) as api:
        assert len(api.runs(where=f's ~ "{PG_HOSTILE}"', timeout=5)) == 0
        assert len(api.runs(where='s ~ "a{1000}1"', timeout=5)) == 11  # r1, r10..r19


# -- Ctrl-C -------------------------------------------------------------------------------
CHILD = """
import sys, time
from runconfig.store import SqlFragment, open_store
store = open_store(sys.argv[1])
print("querying", flush=True)
try:
    store.find_runs(where=SqlFragment(sys.argv[2]), timeout=0)
    print("finished", flush=True)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    time.sleep(3)  # the connection stays open: the server must have stopped on its own
    print("alive:", [r.id for r in store.find_runs()], flush=True)
"""


def test_ctrl_c_stops_a_query_at_once_and_leaves_nothing_running(
    app_location: tuple[str, str],
) -> None:
    location, name = app_location
    fragment = ENDLESS if "://" in location else ENDLESS_REGEXP
    store = open_store(location)
    try:
        store.bulk_insert([make_run(1)])
    finally:
        store.close()
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CHILD), location, fragment],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "querying"
        if "://" in location:
            assert wait_for(lambda: active_queries(name)), "the query never started"
        else:
            time.sleep(1.0)
        child.send_signal(signal.SIGINT)
        started = time.monotonic()
        assert child.stdout.readline().strip() == "interrupted"
        assert time.monotonic() - started < SLACK
        if "://" in location:  # cancelled on the server (which may take it a moment to show)
            assert wait_for(lambda: active_queries(name) == [], SLACK)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert "alive: ['r1']" in out, err
    assert "user-defined function raised exception" not in err
    assert child.returncode == 0, err


def test_a_programs_own_sigint_handler_is_left_alone(tmp_path: Path) -> None:
    # A read swaps only Python's default handler, and puts it back.
    location = str(tmp_path / "runs.db")
    open_store(location).close()
    code = textwrap.dedent(
        """
        import signal, sys
        from runconfig.store import open_store
        mine = lambda signum, frame: None
        signal.signal(signal.SIGINT, mine)
        store = open_store(sys.argv[1])
        store.find_runs(timeout=5)
        print(signal.getsignal(signal.SIGINT) is mine)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        store.find_runs(timeout=5)
        print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code, location],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.split() == ["True", "True"], done.stderr


# -- long lists ---------------------------------------------------------------------------
VALUES: list[Any] = [
    0, 1, 2, 2.0, -1, 0.5, 1e-3, 2**53, 2**53 + 1, 1e16, math.inf, -math.inf, math.nan, -0.0,
    "0", "1", "adam", "Adam", "", "a'b", "日本", "x\x00y", "null", True, False, None,
    [1, 2], [], {"k": 1}, {},
]  # fmt: skip


def list_runs() -> list[RunData]:
    runs = []
    for i in range(150):  # evaluate() tests each run against every term: keep it quick
        value = VALUES[i % len(VALUES)] if i < 3 * len(VALUES) else i - 200
        config: dict[str, Any] = {"x": value} if i % 7 else {}
        if i % 5 == 0:
            config["x"] = f"s{i}"
        runs.append(RunData(id=f"r{i:03d}", name=f"n{i}", project="p", config=config))
    return runs


def as_literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and math.isinf(value):
        return "1e999" if value > 0 else "-1e999"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(map(as_literal, value)) + "]"
    return repr(value)


def long_lists() -> list[tuple[str, str]]:
    # 10,000 numbers (ints in JSON on SQLite, fractions, big ints and infinities bound);
    # strings (one with a NUL, bound); every kind at once; each kind past the 16 values
    # that SQLite gets inline.
    numbers = [*range(-200, 9800), 0.5, 1e-3, 2**53 + 1, 1e16, math.inf, -0.0]
    strings = [f"s{i}" for i in range(0, 3000, 3)] + ["0", "adam", "", "a'b", "日本", "x\x00y"]
    mixed = [*numbers[:1000], *strings, True, None, [1, 2], []]
    ids = [f"r{i:03d}" for i in range(0, 150, 3)] + [f"q{i}" for i in range(10_000)]
    lists = {"numbers": numbers, "strings": strings, "mixed": mixed}
    queries = []
    for label, values in lists.items():
        literal = ", ".join(map(as_literal, values))
        queries.append((f"in_{label}", f"x in [{literal}]"))
        queries.append((f"not_in_{label}", f"x not in [{literal}]"))
        queries.append((f"or_{label}", " or ".join(f"x == {as_literal(v)}" for v in values)))
        queries.append((f"and_{label}", " and ".join(f"x != {as_literal(v)}" for v in values)))
    queries.append(("run_ids", f"run.id in [{', '.join(map(as_literal, ids))}]"))
    queries.append(("run_ids_not_in", f"run.id not in [{', '.join(map(as_literal, ids))}]"))
    queries.append(("exists_or_in", f"exists(x) or x in [{', '.join(map(str, range(9000)))}]"))
    queries.append(
        ("in_and_exists", f"exists(x) and x not in [{', '.join(map(str, range(9000)))}]")
    )
    return queries


LONG_LISTS = long_lists()


@pytest.mark.parametrize("query", [q for _, q in LONG_LISTS], ids=[i for i, _ in LONG_LISTS])
def test_long_in_and_or_lists_find_what_python_finds(store: RunStore, query: str) -> None:
    from runconfig.query import compile_query

    runs = list_runs()
    store.bulk_insert(runs)
    node = parse_query(query)
    expected = {r.id for r in runs if evaluate(node, {"config": r.config, "run": {"id": r.id}})}
    found = {r.id for r in store.find_runs(where=compile_query(node, store.dialect))}
    assert found == expected
