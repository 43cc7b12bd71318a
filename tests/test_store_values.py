"""Any JSON value on both engines: what SQLite stores, PostgreSQL stores and reads back equal.

Long strings (past PostgreSQL's 2,704-byte index entries), long lists, NUL characters in
values and in keys (PostgreSQL's text cannot hold a NUL): written through every path a run
or an import takes, read back type for type; then queried, with the same runs in the same
order on both engines as Python's evaluation of the query.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import PG_URL, make_run, pg_execute, require_pg

import runconfig
from runconfig._entries import dumps
from runconfig._paths import format_path
from runconfig.cli import main
from runconfig.errors import QueryError
from runconfig.query import evaluate, parse_query
from runconfig.store import RunData, open_store
from runconfig.store.schema import TEXT_KEY

pytestmark = pytest.mark.usefixtures("no_run")

# -- the values -----------------------------------------------------------------------------
VALUES: dict[str, Any] = {
    "1 byte": "x",
    "2,704 bytes": "b" * 2704,
    "3,000 bytes": "c" * 3000,
    "100,000 bytes": "é" * 50_000,
    "700 ints": list(range(700)),
    "a dict holding them": {"s": "d" * 3000, "l": list(range(700)), "n": {"deep": "e" * 5000}},
    "NUL at the start": "\x00start",
    "NUL in the middle": "mid\x00dle",
    "NUL at the end": "end\x00",
    "only NUL": "\x00",
    "U+0001, U+FFFF and NUL": "\x01\uffff\x00\x01\x02",
    "long, then NUL": "f" * 3000 + "\x00",
    "a list with NULs": ["\x00", "a\x00b", "\x01", "g" * 3000],
    "a float": 0.5,  # the short forms, among the rest
    "an int": 7,
}
# Keys that escape a NUL (as `0 in the stored path) next to keys that spell the escape:
# each keeps a value of its own, so no two of them may share a path.
KEYS = ["\x00", "\x00k", "k\x00", "k\x00k", "`0", "k`0", "``0", "\uffff", "k\uffff", "\x01", "a.b"]
CONFIG: dict[str, Any] = {
    **VALUES,
    **{key: f"value of {key!r}" for key in KEYS},
    "\x00\x00": {"\x00": "a NUL key under a NUL key", "`0": {"\x00": "deeper"}},
}


def same(a: Any, b: Any) -> bool:
    """Equal value for value, type for type, key order included."""
    return dumps(a) == dumps(b)


def assert_same(got: Any, want: Any) -> None:
    if not same(got, want):
        differ = [k for k in want if k not in got or not same(got[k], want[k])]
        extra = [k for k in got if k not in want]
        pytest.fail(f"read back differs at {differ!r}; keys not written: {extra!r}")


def read(store: str, run_id: str) -> runconfig.RunRecord:
    with runconfig.Api(store=store) as api:
        return api.run(run_id)


# -- every write path -----------------------------------------------------------------------
def _set(store: str) -> str:
    run = runconfig.init(store=store)
    for key, value in CONFIG.items():
        run.config[key] = value
    run.finish()
    return run.id


def _update(store: str) -> str:
    run = runconfig.init(store=store)
    run.config.update(CONFIG)
    run.finish()
    return run.id


def _init(store: str) -> str:
    run = runconfig.init(store=store, config=CONFIG)
    run.finish()
    return run.id


def _persist(store: str) -> str:
    run = runconfig.init(store=store, config={"\x00": "gone", **VALUES})
    del run.config["\x00"]
    run.config.update({key: f"value of {key!r}" for key in KEYS})
    run.config["\x00\x00"] = CONFIG["\x00\x00"]
    run.config.persist()  # the whole tree again, in one write
    run.finish()
    return run.id


def _import(store: str) -> str:
    with runconfig.Api(store=store, create=True) as api:
        api.import_runs([RunData(id="imported", name="imported", project="p", config=CONFIG)])
    return "imported"


WRITES: dict[str, Callable[[str], str]] = {
    "set": _set,
    "update": _update,
    "init(config=)": _init,
    "persist": _persist,
    "import_runs": _import,
}


@pytest.mark.parametrize("path", WRITES)
def test_any_config_is_stored_and_read_back_type_for_type(run_store: str, path: str) -> None:
    run_id = WRITES[path](run_store)
    assert_same(read(run_store, run_id).config, CONFIG)


def test_the_summary_takes_any_value_by_key_and_by_update(run_store: str) -> None:
    run = runconfig.init(store=run_store)
    for key, value in VALUES.items():
        run.summary[key] = value
    run.summary.update({key: f"summary of {key!r}" for key in KEYS})
    run.finish()
    want = {**VALUES, **{key: f"summary of {key!r}" for key in KEYS}}
    assert_same(read(run_store, run.id).summary, want)


def test_log_keeps_any_value_in_the_history_and_the_summary(run_store: str) -> None:
    run = runconfig.init(store=run_store)
    run.log(CONFIG)
    run.log({"\x00": "second", "c\x00": "h" * 3000})
    run.finish()
    got = read(run_store, run.id)
    assert got.history is not None
    rows = list(got.history)
    assert len(rows) == 2
    assert_same({k: v for k, v in rows[0].items() if k != "_step"}, CONFIG)
    assert rows[1]["\x00"] == "second" and rows[1]["c\x00"] == "h" * 3000
    assert got.summary["\x00"] == "second" and got.summary["3,000 bytes"] == "c" * 3000


def test_a_50_mb_string_and_a_million_ints_round_trip(run_store: str) -> None:
    huge = "0123456789abcdef" * (50 * 2**20 // 16)
    ints = list(range(1_000_000))
    run = runconfig.init(store=run_store, config={"ints": ints})
    run.config["huge"] = huge
    run.finish()
    got = read(run_store, run.id).config
    assert got["huge"] == huge and got["ints"] == ints
    with runconfig.Api(store=run_store) as api:
        assert [r.id for r in api.runs(where=f'huge > "{huge[:5000]}"')] == [run.id]


def test_changing_a_key_holding_a_nul_replaces_its_value(run_store: str) -> None:
    run = runconfig.init(store=run_store, config={"k\x00": {"\x00": 1}}, allow_val_change=True)
    run.config["k\x00"]["\x00"] = "x" * 3000
    run.config["k\x00"] = "\x00" * 3
    run.config.update({"k\x00": "y\x00"}, allow_val_change=True)
    run.finish()
    assert_same(read(run_store, run.id).config, {"k\x00": "y\x00"})


def _write_wandb_run(wandb_dir: Path, run_id: str, config: dict[str, Any]) -> None:
    """A synced wandb run folder with a plain config.yaml (JSON is YAML) and a summary."""
    files = wandb_dir / f"run-20240101_00000{len(run_id)}-{run_id}" / "files"
    files.mkdir(parents=True)
    (files / "config.yaml").write_text(json.dumps(config))
    (files / "wandb-summary.json").write_text(json.dumps({"acc": 0.5, "note": "i" * 3000}))


def test_import_wandb_brings_every_run_whatever_its_values(
    run_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    wandb_dir = tmp_path / "wandb"
    _write_wandb_run(wandb_dir, "big1", {"prompt": "p" * 5000, "ids": list(range(700))})
    _write_wandb_run(wandb_dir, "nul2", {"sep": "a\x00b", "k\x00": 1})
    _write_wandb_run(wandb_dir, "plain3", {"lr": 0.1})
    result = CliRunner().invoke(main, ["import-wandb", str(wandb_dir), "--store", run_store])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("imported 3 runs into ")
    assert read(run_store, "big1").config == {"prompt": "p" * 5000, "ids": list(range(700))}
    assert read(run_store, "nul2").config == {"sep": "a\x00b", "k\x00": 1}
    assert read(run_store, "big1").summary["note"] == "i" * 3000


# -- queries --------------------------------------------------------------------------------
# One run per value of `s`, the same value under a key holding a NUL: strings around the
# index prefix (TEXT_KEY characters) and PostgreSQL's 2,704 bytes, with NUL and U+0001
# (PostgreSQL's escape) where they change the order; and values of other kinds.
STRINGS = [
    "", "\x00", "\x00\x00", "\x00a", "\x01", "\x01\x00", "\x01\x02", "a", "a\x00", "a\x00b",
    "a\x01", "ab", "\uffff", "é" * 2000, "b" * 3000, "b" * 3000 + "\x00", "b" * 3001,
    "b" * TEXT_KEY, "b" * (TEXT_KEY - 1) + "c", "b" * (TEXT_KEY - 1), "b" * TEXT_KEY + "a",
    "b" * 3000 + "a",
]  # fmt: skip
OTHERS: list[Any] = [5, -1.5, None, True, list(range(700)), ["a\x00b", "\x01"], {"x": 1}]
SORTED = [*STRINGS, *OTHERS]
LITERALS = [*STRINGS, "a\x00c", "b" * 3000 + "\x01", "b" * 2999, "\x00\x01", "zz"]
N = len(SORTED)


def _query_runs() -> list[RunData]:
    runs = []
    for i, value in enumerate(SORTED):
        config = {"s": value, "k\x00": value} if i % 5 else {"k\x00": value}  # some lack s
        if i % 7 == 0:
            config["s"] = STRINGS[i % 3]  # ties, broken newest first
        runs.append(make_run(i, config=config))
    return runs


RUNS = _query_runs()


def lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _where_cases() -> list[str]:
    cases = []
    for text in LITERALS:
        cases += [f"s {op} {lit(text)}" for op in ("==", "!=", "<", "<=", ">", ">=")]
        cases.append(f"`k\x00` == {lit(text)}")
        cases.append(f"{lit(text)} in s")
    cases += [
        f"s in [{lit('a')}, {lit('a' + chr(0))}, {lit('b' * 3000)}]",
        f"s not in [{lit(chr(0))}, {lit(chr(1))}]",
        "exists(s)",
        "exists(`k\x00`) and not exists(s)",
        f"s == [{lit('a' + chr(0) + 'b')}, {lit(chr(1))}]",
        f"s == {json.dumps(list(range(700)))}",
        f"s > {lit('a')} and s < {lit('b' * 3000 + chr(0))}",
        f"run.name < {lit('run-1' + chr(0) + 'x')} or run.name == {lit(chr(0))}",
    ]
    return cases


def _rank(run: RunData, path: str) -> tuple[Any, ...]:
    """Where a run sorts by ``path`` ascending: numbers, then strings, then the rest."""
    value = run.config.get(path)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (2, 0)


def expected(where: str | None, order: str | None, limit: int | None) -> list[str]:
    node = parse_query(where) if where else None
    runs = [
        r
        for r in RUNS
        if node is None or evaluate(node, {"config": r.config, "run": {"name": r.name}})
    ]
    runs.sort(key=lambda r: r.created_at, reverse=True)  # ties: newest first
    if order is not None:
        path, descending = order.lstrip("-").strip("`"), order.startswith("-")
        classes: list[list[RunData]] = [[], [], []]
        for run in runs:
            classes[_rank(run, path)[0]].append(run)
        for rank in (0, 1):  # each class sorted (stable: ties stay newest first); they stay
            classes[rank].sort(key=lambda r: _rank(r, path)[1], reverse=descending)
        runs = [run for ranked in classes for run in ranked]
    return [r.id for r in runs][:limit]


@pytest.fixture(scope="module")
def query_stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The same runs in an SQLite file and in a PostgreSQL schema (dropped after)."""
    require_pg()
    schema = f"rc_values_{uuid.uuid4().hex[:12]}"
    stores = {
        "sqlite": str(tmp_path_factory.mktemp("values") / "runs.db"),
        "postgresql": f"{PG_URL}?schema={schema}",
    }
    try:
        for location in stores.values():
            with runconfig.Api(store=location, create=True) as api:
                api.import_runs(RUNS)
        yield stores
    finally:
        pg_execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def answers(location: str, where: str | None, order: str | None, limit: int | None) -> list[str]:
    with runconfig.Api(store=location) as api:
        return [r.id for r in api.runs(where=where, order=order, limit=limit)]


@pytest.mark.parametrize("where", _where_cases(), ids=range(len(_where_cases())))
def test_a_comparison_selects_the_same_runs_on_both_engines(
    query_stores: dict[str, str], where: str
) -> None:
    want = expected(where, None, None)
    for engine, location in query_stores.items():
        assert answers(location, where, None, None) == want, engine


@pytest.mark.parametrize("order", ["s", "-s", "`k\x00`", "-`k\x00`"])
@pytest.mark.parametrize("limit", [None, 3, N - 2])
def test_sorting_by_such_values_is_the_same_on_both_engines(
    query_stores: dict[str, str], order: str, limit: int | None
) -> None:
    want = expected(None, order, limit)
    for engine, location in query_stores.items():
        assert answers(location, None, order, limit) == want, engine
    filtered = f"s >= {lit('a')}"
    want = expected(filtered, order, limit)
    for engine, location in query_stores.items():
        assert answers(location, filtered, order, limit) == want, engine


def test_a_store_of_such_runs_opens_on_both_engines_and_reads_them(
    query_stores: dict[str, str],
) -> None:
    for location in query_stores.values():
        store = open_store(location)
        try:
            got = {r.id: r.config for r in store.find_runs()}
        finally:
            store.close()
        assert all(same(got[r.id], r.config) for r in RUNS)


def test_a_key_holding_a_nul_is_written_in_a_query_as_runconfig_shows_it(
    query_stores: dict[str, str],
) -> None:
    shown = format_path(("k\x00",))
    assert shown == "`k`0`"
    want = expected(f"`k\x00` >= {lit('a')}", None, None)
    assert want  # some runs hold such a string
    for engine, location in query_stores.items():
        assert answers(location, f"{shown} >= {lit('a')}", None, None) == want, engine
        assert answers(location, None, f"-{shown}", None) == expected(None, "-`k\x00`", None)


def test_a_regex_naming_a_nul_is_a_query_error_on_postgresql(
    query_stores: dict[str, str],
) -> None:
    # SQLite runs it (RE2 reads the NUL); PostgreSQL's text cannot hold one: a clear error
    # naming the key, never the driver's DataError.
    assert answers(query_stores["sqlite"], 's ~ "a\x00b"', None, None) == expected(
        's ~ "a\x00b"', None, None
    )
    with pytest.raises(QueryError, match=r"regular expression for s holds a NUL"):
        answers(query_stores["postgresql"], 's ~ "a\x00b"', None, None)
