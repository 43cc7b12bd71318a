"""The store interface, run against both engines (see the `store` fixture in conftest)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import run_python

from runconfig._entries import REMOVED, Change, dumps
from runconfig._paths import format_path, parse_path
from runconfig.errors import StoreError
from runconfig.query import compile_query, parse_order, parse_query
from runconfig.store import (
    OrderKey,
    RunData,
    RunStore,
    SqlFragment,
    _select,
    open_store,
    resolve_location,
    schema,
)
from runconfig.store._common import now, process_start_token
from runconfig.store._sql import LEAF_CHUNK


def make_run(name: str = "run", project: str = "proj", **fields: Any) -> RunData:
    fields.setdefault("id", uuid.uuid4().hex[:10])
    fields.setdefault("state", "finished")
    return RunData(name=name, project=project, **fields)


def at(minutes: float) -> str:
    """A fixed time, ``minutes`` after a base instant, as the store writes times."""
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return (base + timedelta(minutes=minutes)).isoformat(timespec="microseconds")


def ago(seconds: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds)).isoformat()


def same(a: Any, b: Any) -> bool:
    """Equal value for value, type for type, key order included (NaN equals NaN)."""
    return dumps(a) == dumps(b)


def ph(store: RunStore) -> str:
    return "?" if store.dialect == "sqlite" else "%s"


def execute_raw(location: str, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """Run a statement for each of ``rows`` outside the store, straight on its data."""
    if location.startswith("postgresql"):
        import psycopg

        from runconfig.store.postgres import parse_url

        conninfo, extra, _, _ = parse_url(location)
        connect = psycopg.connect(conninfo, autocommit=True, **extra)  # type: ignore[arg-type]
        with connect as pg, pg.cursor() as cur:
            cur.executemany(sql, rows)
        return
    lite = sqlite3.connect(location)
    try:
        with lite:
            lite.executemany(sql, rows)
    finally:
        lite.close()


def raw_rows(location: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a query run outside the store, straight on its file or database."""
    if location.startswith("postgresql"):
        import psycopg

        from runconfig.store.postgres import parse_url

        conninfo, extra, _, _ = parse_url(location)
        with psycopg.connect(conninfo, autocommit=True, **extra) as conn:  # type: ignore[arg-type]
            return conn.execute(sql).fetchall()  # type: ignore[arg-type]
    conn = sqlite3.connect(location)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


TRICKY: dict[str, Any] = {
    "float_two": 2.0,
    "true": True,
    "big": 2**70,
    "huge": -(10**400),  # beyond a double: sorts as -inf, comes back exact
    "nan": float("nan"),
    "inf": float("inf"),
    "ninf": float("-inf"),
    "neg_zero": -0.0,
    "tiny": 5e-324,
    "empty_str": "",
    "none": None,
    "empty_dict": {},
    "empty_list": [],
    "nested": {"list": [1, [2.5, {"x": None}], {"y": "z"}], "dict": {"deep": {"er": -3}}},
    "unicode ключ ✓": "värde 🎉",
    "a.b": 1,
    "a": {"b": 2},
    "back`tick": 3,
    "with space": {"in side": 4},
    "1digit": 5,
    "and": "keyword",
    "_hidden": {"x": 1},
}


# -- create and read back ----------------------------------------------------------------
def test_created_run_comes_back_with_every_field(store: RunStore) -> None:
    run = RunData(
        id="abc123",
        name="swift-otter-1",
        project="mnist",
        state="finished",
        group="sweep-1",
        job_type="train",
        tags=["baseline", "ünï"],
        notes="first try",
        created_at=at(0),
        updated_at=at(1),
        finished_at=at(2),
        heartbeat_at=at(1.5),
        exit_code=3,
        error_type="ValueError",
        error_message="boom",
        host="box",
        user="ada",
        pid=4242,
        pid_started="123456",
        python="3.11.7",
        program="train.py",
        argv=["--lr", "0.1"],
        cwd="/home/ada",
        git_commit="deadbeef",
        git_dirty=True,
        config={"lr": 0.1, "train": {"epochs": 4}},
        origins={"lr": "init", "train.epochs": "train.py:12"},
        descs={"lr": "learning rate"},
        summary={"acc": 0.9},
    )
    stored = store.create_run(run)
    assert stored.rid is not None and stored.name == "swift-otter-1"
    got = store.get_run("abc123")
    assert got == dataclasses.replace(run, rid=stored.rid, history=[])


def test_create_run_fills_in_times_and_returns_the_stored_run(store: RunStore) -> None:
    stored = store.create_run(make_run(created_at=""))
    assert stored.created_at and stored.created_at == stored.updated_at
    got = store.get_run(stored.id)
    assert got is not None and got.created_at == stored.created_at and got.rid == stored.rid


def test_config_values_round_trip_type_for_type(store: RunStore) -> None:
    stored = store.create_run(make_run(config=TRICKY, summary={"best": TRICKY["nested"]}))
    got = store.get_run(stored.id)
    assert got is not None
    assert same(got.config, TRICKY)
    assert same(got.summary, {"best": TRICKY["nested"]})
    assert got.config["a.b"] == 1 and got.config["a"] == {"b": 2}


def test_config_values_written_one_by_one_round_trip_type_for_type(store: RunStore) -> None:
    stored = store.create_run(make_run())
    assert stored.rid is not None
    for key, value in TRICKY.items():
        store.write_changes(stored.rid, "c", [Change((key,), value, "test")])
    got = store.get_run(stored.id)
    assert got is not None and same(got.config, TRICKY)


def test_get_run_finds_by_id_then_by_name(store: RunStore) -> None:
    store.create_run(make_run("calm-heron", id="id1"))
    assert store.get_run("id1") is not None
    by_name = store.get_run("calm-heron")
    assert by_name is not None and by_name.id == "id1"
    assert store.get_run("nothing-here") is None


def test_get_run_by_a_name_shared_by_projects_asks_for_the_project(store: RunStore) -> None:
    store.create_run(make_run("twin", project="p1", id="t1"))
    store.create_run(make_run("twin", project="p2", id="t2"))
    with pytest.raises(StoreError, match=r"p1, p2"):
        store.get_run("twin")
    found = store.get_run("twin", project="p2")
    assert found is not None and found.id == "t2"
    assert store.get_run("t1", project="p2") is None


# -- names --------------------------------------------------------------------------------
def test_taken_names_get_numeric_suffixes_within_a_project(store: RunStore) -> None:
    names = [store.create_run(make_run("run")).name for _ in range(4)]
    assert names == ["run", "run-2", "run-3", "run-4"]
    assert store.create_run(make_run("run", project="other")).name == "run"


def test_a_name_that_looks_suffixed_does_not_confuse_the_next_suffix(store: RunStore) -> None:
    store.create_run(make_run("run"))
    store.create_run(make_run("run-7"))
    store.create_run(make_run("run-x"))
    assert store.create_run(make_run("run")).name == "run-8"


def test_a_duplicate_run_id_is_refused(store: RunStore) -> None:
    store.create_run(make_run("a", id="same"))
    with pytest.raises(StoreError, match="same"):
        store.create_run(make_run("b", id="same"))


# -- write_changes ------------------------------------------------------------------------
@pytest.fixture
def live(store: RunStore) -> Callable[..., Any]:
    """Create a run, apply changes to it, return its config (or summary)."""
    run = store.create_run(make_run(config={"lr": 0.1, "train": {"epochs": 2, "bs": 8}}))
    assert run.rid is not None
    rid = run.rid

    def apply(*changes: Change, section: str = "c") -> Any:
        if changes:
            store.write_changes(rid, section, list(changes))
        got = store.get_run(run.id)
        assert got is not None
        return got

    return apply


def test_setting_a_leaf_is_durable_and_seen_by_another_store(
    store: RunStore, store_location: str
) -> None:
    run = store.create_run(make_run())
    assert run.rid is not None
    store.write_changes(run.rid, "c", [Change(("lr",), 0.5, "train.py:3")])
    reader = open_store(store_location)
    try:
        got = reader.get_run(run.id)
    finally:
        reader.close()
    assert got is not None and got.config == {"lr": 0.5} and got.origins == {"lr": "train.py:3"}


def test_nested_set_creates_missing_parents(live: Callable[..., RunData]) -> None:
    got = live(Change(("model", "enc", "layers"), 3, "x.py:1"))
    assert got.config["model"] == {"enc": {"layers": 3}}


def test_setting_below_a_leaf_turns_the_leaf_into_a_dict(live: Callable[..., RunData]) -> None:
    got = live(Change(("lr", "warmup"), 0.01))
    assert got.config["lr"] == {"warmup": 0.01}
    assert list(got.config) == ["lr", "train"]


def test_replacing_a_subtree_removes_its_old_children(live: Callable[..., RunData]) -> None:
    got = live(Change(("train",), {"steps": 100}))
    assert got.config == {"lr": 0.1, "train": {"steps": 100}}
    got = live(Change(("train",), 5))
    assert got.config == {"lr": 0.1, "train": 5}


def test_removed_deletes_the_key_and_its_children(live: Callable[..., RunData]) -> None:
    got = live(Change(("train",), REMOVED))
    assert got.config == {"lr": 0.1}
    got = live(Change(("lr",), REMOVED), Change(("absent",), REMOVED))
    assert got.config == {}


def test_removing_a_key_leaves_keys_that_share_its_prefix(live: Callable[..., RunData]) -> None:
    live(Change(("train2",), 1), Change(("train-x",), 2), Change(("train.y",), 3))
    got = live(Change(("train",), REMOVED))
    assert got.config == {"lr": 0.1, "train2": 1, "train-x": 2, "train.y": 3}


def test_whole_tree_change_replaces_the_section_hidden_keys_included(
    live: Callable[..., RunData],
) -> None:
    tree = {"_wandb": {"v": 1}, "b": [1, 2], "a": {"c": None}}
    got = live(Change((), tree, "persist"))
    assert same(got.config, tree)
    assert got.origins == {"_wandb": "persist", "_wandb.v": "persist", "b": "persist",
                           "a": "persist", "a.c": "persist"}  # fmt: skip


def test_whole_tree_change_without_origin_keeps_each_known_origin(
    live: Callable[..., RunData],
) -> None:
    live(Change(("lr",), 0.2, "argparse --lr", "learning rate"))
    got = live(Change((), {"lr": 0.3, "extra": 1}))
    assert got.config == {"lr": 0.3, "extra": 1}
    assert got.origins == {"lr": "argparse --lr"} and got.descs == {"lr": "learning rate"}


def test_a_changed_leaf_keeps_its_place_and_new_keys_come_last(
    live: Callable[..., RunData],
) -> None:
    got = live(Change(("zeta",), 1), Change(("lr",), 0.2), Change(("train", "epochs"), "x"))
    assert list(got.config) == ["lr", "train", "zeta"]
    assert list(got.config["train"]) == ["epochs", "bs"]
    got = live(Change(("alpha",), 1), Change(("train", "aa"), 1))
    assert list(got.config) == ["lr", "train", "zeta", "alpha"]
    assert list(got.config["train"]) == ["epochs", "bs", "aa"]


@pytest.mark.parametrize(
    "values",
    [
        [1, "one", [1], {"x": 1}, None, True, 2.5],
        ["s", 1.5, {"d": {"e": 1}}, "t", [2], 3],
    ],
    ids=["number-first", "string-first"],
)
def test_a_leaf_changing_type_is_stored_exactly(
    live: Callable[..., RunData], values: list[Any]
) -> None:
    for value in values:
        got = live(Change(("train", "epochs"), value))
        assert same(got.config["train"]["epochs"], value)
        assert list(got.config["train"]) == ["epochs", "bs"]


@pytest.mark.parametrize("key", ["lr", "train"], ids=["leaf", "dict"])
def test_a_top_level_key_set_one_write_at_a_time_is_stored_exactly(
    live: Callable[..., RunData], key: str
) -> None:
    # One scalar on a top-level key is the store's hot path; a dict value is not.
    for value in [1, "one", 2.5, {"x": {"y": 1}}, None, True, [1], float("nan"), 10**30, "z"]:
        got = live(Change((key,), value, f"x.py:{value!r}"))
        assert same(got.config[key], value)
        assert got.origins[key] == f"x.py:{value!r}"
        assert list(got.config) == ["lr", "train"]


# Scalars of every type that the short rows of a batch hold, then the edges of each
# encoding, which take the general rows.
PLAIN: list[Any] = [1, -7, 0, 2**53 + 1, 2**63 - 1, -(2**63), 1.5, -2.5, 5e-324, 1e308,
                    "", "x", "0", "värde 🎉", True, False, None]  # fmt: skip
EDGES: list[Any] = [2**63, 2**70, -(10**400), 0.0, -0.0, float("nan"), float("inf"),
                    float("-inf")]  # fmt: skip


@pytest.mark.parametrize(
    "mode", ["a-batch-per-type", "types-interleaved", "edges-and-quoted-keys", "past-a-chunk"]
)
def test_many_new_keys_in_one_write_are_stored_as_one_key_writes_store_them(
    store: RunStore, store_location: str, mode: str
) -> None:
    # Many new top-level scalars (an update() of hyperparameters) are written a batch per
    # type of value, their rows built a column at a time: each row must be the row that
    # writing the keys one by one gives.
    values, keys = list(PLAIN), [f"k{i}" for i in range(len(PLAIN))]
    if mode == "past-a-chunk":  # more rows of a type than one INSERT takes, and a rest
        values += [v for i in range(2 * LEAF_CHUNK + 7) for v in (i * 7, i + 0.5, f"s{i}")]
        keys = [f"k{i}" for i in range(len(values))]
    if mode == "edges-and-quoted-keys":
        values += [*EDGES, "nul\x00inside", "\x01", "x" * 3000]
        keys += [f"e{i}" for i in range(len(values) - len(keys) - 4)] + ["a.b", "AND", "1x", "a b"]
    # Origins and notes: every row has one, none has, or some have (each binds differently).
    origins = {"a-batch-per-type": lambda i: f"x.py:{i}",  # as update() gives them
               "past-a-chunk": lambda i: "x.py:1",
               "types-interleaved": lambda i: None if i % 3 else f"x.py:{i}",
               "edges-and-quoted-keys": lambda i: None}[mode]  # fmt: skip
    descs = {"a-batch-per-type": lambda i: None,
             "past-a-chunk": lambda i: None,
             "types-interleaved": lambda i: "a note" if i % 4 == 1 else None,
             "edges-and-quoted-keys": lambda i: f"note {i}"}[mode]  # fmt: skip
    changes = [Change((k,), v, origins(i), descs(i))
               for i, (k, v) in enumerate(zip(keys, values, strict=True))]  # fmt: skip
    one_by_one = store.create_run(make_run("one-by-one", config={"first": 1}))
    batched = store.create_run(make_run("batched", config={"first": 1}))
    assert one_by_one.rid is not None and batched.rid is not None
    for change in changes:
        store.write_changes(one_by_one.rid, "c", [change])
    written = changes
    if mode != "a-batch-per-type":
        store.write_changes(batched.rid, "c", changes)
    else:
        by_type: dict[type, list[Change]] = {}
        for change in changes:
            by_type.setdefault(type(change.value), []).append(change)
        for batch in by_type.values():
            store.write_changes(batched.rid, "c", batch)
        written = [change for batch in by_type.values() for change in batch]

    def rows(rid: int) -> list[tuple[str, ...]]:
        select = 'SELECT path, kind, num, txt, value, origin, "desc" FROM rc_entries'
        got = raw_rows(store_location, f"{select} WHERE rid = {rid} ORDER BY path")
        return [tuple(map(repr, row)) for row in got]

    assert rows(batched.rid) == rows(one_by_one.rid)
    got = store.get_run("batched")
    assert got is not None
    assert same(got.config, {"first": 1, **{c.path[0]: c.value for c in written}})
    assert got.origins == {format_path(c.path): c.origin for c in changes if c.origin}
    assert got.descs == {format_path(c.path): c.desc for c in changes if c.desc}
    store.write_changes(batched.rid, "c", [Change(("k0",), "changed")])  # known as written
    got = store.get_run("batched")
    assert got is not None and got.config["k0"] == "changed"


def test_write_new_keys_stores_what_write_changes_stores(
    store: RunStore, store_location: str
) -> None:
    # The run's update() of new top-level keys hands the store keys and values, no Change.
    values = PLAIN + [v for i in range(LEAF_CHUNK + 3) for v in (i, i + 0.5, f"s{i}")]
    keys = [f"k{i}" for i in range(len(values) - 2)] + ["a.b", "AND"]
    by_changes = store.create_run(make_run("by-changes", config={"first": 1}))
    by_keys = store.create_run(make_run("by-keys", config={"first": 1}))
    assert by_changes.rid is not None and by_keys.rid is not None
    store.write_changes(by_changes.rid, "c", [Change((k,), v, "x.py:3") for k, v in
                                              zip(keys, values, strict=True)])  # fmt: skip
    store.write_new_keys(by_keys.rid, "c", keys, values, "x.py:3")
    select = 'SELECT path, kind, num, txt, value, seq, origin, "desc" FROM rc_entries'

    def rows(rid: int) -> list[tuple[Any, ...]]:
        return raw_rows(store_location, f"{select} WHERE rid = {rid} ORDER BY path")

    assert rows(by_keys.rid) == rows(by_changes.rid)
    got = store.get_run("by-keys")
    expected = {"first": 1, **dict(zip(keys, values, strict=True))}
    assert got is not None and same(got.config, expected)
    assert got.origins == {format_path((k,)): "x.py:3" for k in keys}


def test_write_new_keys_takes_the_general_path_for_a_key_the_run_has(
    store: RunStore,
) -> None:
    # A key the store has (another writer, or a resumed run's stale view) is changed, not
    # inserted twice; a value that is not a scalar is stored whole.
    run = store.create_run(make_run(config={"a": 1, "d": {"x": 1}}))
    assert run.rid is not None
    store.write_new_keys(run.rid, "c", ["b", "a", "c"], [2, 10, 3], "x.py:1")
    store.write_new_keys(run.rid, "c", ["e", "f"], [[1, 2], {"g": 1}], "x.py:2")
    store.write_new_keys(run.rid, "c", ["d", "h"], [5, 6], "x.py:3")  # d was a dict
    got = store.get_run(run.id)
    assert got is not None
    assert got.config == {"a": 10, "d": 5, "b": 2, "c": 3, "e": [1, 2], "f": {"g": 1}, "h": 6}
    assert got.origins["a"] == "x.py:1" and got.origins["h"] == "x.py:3"


def test_many_new_summary_keys_in_one_write_go_to_the_summary(
    live: Callable[..., RunData],
) -> None:
    metrics = {f"m{i}": [i, i / 4, f"v{i}"][i % 3] for i in range(2 * LEAF_CHUNK + 1)}
    got = live(*(Change((k,), v) for k, v in metrics.items()), section="s")
    assert same(got.summary, metrics)
    assert got.config == {"lr": 0.1, "train": {"epochs": 2, "bs": 8}}


def test_many_new_keys_written_to_runs_in_turn_each_land_in_their_run(store: RunStore) -> None:
    runs = [store.create_run(make_run(f"r{n}")) for n in range(3)]
    for round_ in range(2):
        for n, run in enumerate(runs):
            assert run.rid is not None
            batch = [Change((f"k{round_}_{i}",), n * 1000 + i) for i in range(LEAF_CHUNK + 1)]
            store.write_changes(run.rid, "c", batch)
    for n in range(3):
        got = store.get_run(f"r{n}")
        assert got is not None and len(got.config) == 2 * (LEAF_CHUNK + 1)
        assert set(got.config.values()) == {n * 1000 + i for i in range(LEAF_CHUNK + 1)}


def test_origins_and_descs_are_kept_per_path(live: Callable[..., RunData]) -> None:
    live(Change(("lr",), 0.2, "config-defaults.yaml:3", "learning rate"))
    got = live(Change(("lr",), 0.3, "argparse --lr"), Change(("train", "bs"), 16, "train.py:9"))
    assert got.origins["lr"] == "argparse --lr"
    assert got.origins["train.bs"] == "train.py:9"
    assert got.descs == {"lr": "learning rate"}
    got = live(Change(("opt",), {"name": "adam", "betas": [0.9, 0.99]}, "sweep"))
    assert got.origins["opt"] == got.origins["opt.name"] == got.origins["opt.betas"] == "sweep"


def test_a_list_of_changes_is_one_transaction(store: RunStore) -> None:
    run = store.create_run(make_run(config={"a": 1}))
    assert run.rid is not None
    with pytest.raises(TypeError):
        store.write_changes(run.rid, "c", [Change(("b",), 2), Change(("c",), object())])
    got = store.get_run(run.id)
    assert got is not None and got.config == {"a": 1}
    store.write_changes(run.rid, "c", [Change(("b",), 2)])
    got = store.get_run(run.id)
    assert got is not None and got.config == {"a": 1, "b": 2}


def test_writes_from_a_reopened_store_keep_the_key_order(
    store: RunStore, store_location: str
) -> None:
    run = store.create_run(make_run(config={"a": 1, "b": 2}))
    assert run.rid is not None
    again = open_store(store_location)
    try:
        again.write_changes(run.rid, "c", [Change(("c",), 3)])
        got = again.get_run(run.id)
    finally:
        again.close()
    assert got is not None and list(got.config) == ["a", "b", "c"]


def test_summary_changes_go_to_the_summary_only(live: Callable[..., RunData]) -> None:
    got = live(Change(("acc",), 0.5), Change(("best", "acc"), 0.6), section="s")
    assert got.summary == {"acc": 0.5, "best": {"acc": 0.6}}
    assert got.config == {"lr": 0.1, "train": {"epochs": 2, "bs": 8}}
    assert got.origins == {}


def test_writing_to_a_missing_run_raises_and_the_store_stays_usable(store: RunStore) -> None:
    with pytest.raises(StoreError, match="write changes"):
        store.write_changes(987654, "c", [Change(("a",), 1)])
    with pytest.raises(StoreError, match="log"):
        store.write_log(987654, 0, {"x": 1}, [Change(("x",), 1)])
    run = store.create_run(make_run(config={"a": 1}))
    assert run.rid is not None
    store.write_changes(run.rid, "c", [Change(("b",), 2)])
    got = store.get_run(run.id)
    assert got is not None and got.config == {"a": 1, "b": 2}


# -- log, update, heartbeat ---------------------------------------------------------------
def test_log_appends_history_and_updates_the_summary(store: RunStore) -> None:
    run = store.create_run(make_run(updated_at=at(0)))
    assert run.rid is not None
    for step in range(3):
        store.write_log(run.rid, step, {"loss": 1.0 / (step + 1)}, [Change(("loss",), step)])
    got = store.get_run(run.id)
    assert got is not None
    assert got.history == [{"_step": 0, "loss": 1.0}, {"_step": 1, "loss": 0.5},
                           {"_step": 2, "loss": 1.0 / 3}]  # fmt: skip
    assert got.summary == {"loss": 2}
    assert got.updated_at > at(0)


def test_history_is_loaded_by_find_runs_only_when_asked(store: RunStore) -> None:
    run = store.create_run(make_run())
    assert run.rid is not None
    store.write_log(run.rid, 0, {"x": 1}, [])
    assert store.find_runs()[0].history is None
    assert store.find_runs(with_history=True)[0].history == [{"_step": 0, "x": 1}]


def test_update_run_sets_fields_and_updated_at(store: RunStore) -> None:
    run = store.create_run(make_run(state="running", updated_at=at(0), heartbeat_at=now()))
    assert run.rid is not None
    store.update_run(run.rid, state="failed", exit_code=1, finished_at=at(5), tags=["x", "y"],
                     notes="n", error_type="KeyError", error_message="k", git_dirty=False,
                     group="g", user="bob")  # fmt: skip
    got = store.get_run(run.id)
    assert got is not None
    assert (got.state, got.exit_code, got.finished_at, got.tags) == ("failed", 1, at(5), ["x", "y"])
    assert (got.notes, got.error_type, got.error_message) == ("n", "KeyError", "k")
    assert (got.git_dirty, got.group, got.user) == (False, "g", "bob")
    assert got.updated_at > at(0)


def test_update_run_refuses_an_unknown_field(store: RunStore) -> None:
    run = store.create_run(make_run())
    assert run.rid is not None
    with pytest.raises(ValueError, match="colour"):
        store.update_run(run.rid, colour="red")


def test_update_of_a_missing_run_raises(store: RunStore) -> None:
    with pytest.raises(StoreError, match="no run"):
        store.update_run(123456, state="finished")


def test_heartbeat_sets_heartbeat_and_update_times(store: RunStore) -> None:
    run = store.create_run(make_run(updated_at=at(0)))
    assert run.rid is not None and run.heartbeat_at is None
    store.heartbeat(run.rid)
    got = store.get_run(run.id)
    assert got is not None and got.heartbeat_at is not None
    assert got.heartbeat_at == got.updated_at and got.updated_at > at(0)


def test_heartbeats_from_another_thread_do_not_disturb_writes(store: RunStore) -> None:
    run = store.create_run(make_run(state="running"))
    assert run.rid is not None
    rid = run.rid
    errors: list[BaseException] = []

    def beat() -> None:
        try:
            for _ in range(100):
                store.heartbeat(rid)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    thread = threading.Thread(target=beat)
    thread.start()
    for i in range(100):
        store.write_changes(rid, "c", [Change((f"k{i}",), i)])
    thread.join()
    assert errors == []
    got = store.get_run(run.id)
    assert got is not None and got.config == {f"k{i}": i for i in range(100)}


# -- bulk insert and delete ---------------------------------------------------------------
def test_bulk_insert_stores_complete_runs(store: RunStore) -> None:
    runs = [make_run(f"r{i}", config={"i": i, "d": {"x": [i]}}, summary={"m": i / 2},
                     origins={"i": "bulk"}, created_at=at(i)) for i in range(2500)]  # fmt: skip
    assert store.bulk_insert(runs) == 2500
    found = store.find_runs(project="proj")
    assert len(found) == 2500
    assert found[0].name == "r2499" and found[0].config == {"i": 2499, "d": {"x": [2499]}}
    assert found[0].summary == {"m": 2499 / 2} and found[0].origins == {"i": "bulk"}
    assert len({r.rid for r in found}) == 2500
    later = store.create_run(make_run("after"))
    assert later.rid is not None and later.rid > max(r.rid or 0 for r in found)


def test_bulk_insert_gives_taken_names_suffixes(store: RunStore) -> None:
    store.create_run(make_run("dup"))
    assert store.bulk_insert([make_run("dup"), make_run("dup"), make_run("solo")]) == 3
    assert sorted(r.name for r in store.find_runs()) == ["dup", "dup-2", "dup-3", "solo"]


def test_a_deleted_run_id_is_never_given_again(store: RunStore) -> None:
    first = store.create_run(make_run("first"))
    newest = store.create_run(make_run("newest"))
    assert newest.rid is not None and store.delete_runs([newest.rid]) == 1
    again = store.create_run(make_run("again"))
    assert again.rid is not None and again.rid > newest.rid
    with pytest.raises(StoreError, match="no run"):
        store.write_changes(newest.rid, "c", [Change(("late",), 1)])
    assert first.rid is not None and store.bulk_insert([make_run("bulk")]) == 1
    assert max(r.rid or 0 for r in store.find_runs()) > again.rid


def test_a_big_sqlite_load_rebuilds_the_indexes_and_falls_back_on_taken_names(
    tmp_path: Path,
) -> None:
    from runconfig.store.sqlite import BIG_LOAD

    def runs(prefix: str) -> list[RunData]:
        return [
            make_run(
                f"{prefix}-{i}", config={"opt": "adam" if i % 2 else "sgd"}, summary={"loss": -i}
            )
            for i in range(BIG_LOAD)
        ]

    location = str(tmp_path / "big.db")
    store = open_store(location)
    try:
        assert store.bulk_insert(runs("a")) == BIG_LOAD
        where = SqlFragment(
            "EXISTS (SELECT 1 FROM rc_entries e WHERE e.rid = r.rid AND e.section = 'c' "
            "AND e.path = 'opt' AND e.txt = ?)",
            ("adam",),
        )
        best = store.find_runs(where=where, order=[OrderKey("s", "loss")], limit=3)
        assert [r.name for r in best] == [f"a-{BIG_LOAD - k}" for k in (1, 3, 5)]
        indexes = "SELECT name FROM sqlite_master WHERE type = 'index'"
        assert {"rc_entries_num", "rc_entries_txt"} <= {
            row[0] for row in raw_rows(location, indexes)
        }
        plan = raw_rows(location, "EXPLAIN QUERY PLAN SELECT rid FROM rc_entries "
                        "WHERE section = 's' AND path = 'loss' AND num < 0")  # fmt: skip
        assert "rc_entries_num" in str(plan)

        store.create_run(make_run("b-7"))  # a taken name: the one-transaction load rolls back
        assert store.bulk_insert(runs("b")) == BIG_LOAD
        names = {r.name for r in store.find_runs()}
        assert len(names) == 2 * BIG_LOAD + 1 and {"b-7", "b-7-2"} <= names
    finally:
        store.close()


def test_sqlite_columns_hold_nulls_and_their_own_types_whatever_the_write_path(
    tmp_path: Path,
) -> None:
    # The SQLite engine binds NULLs as cheap markers undone in SQL (None binds slowly in
    # Python's sqlite3): no marker may reach the file, whichever path wrote the row.
    from runconfig.store.sqlite import BIG_LOAD

    config = {"f": 0.5, "s": "", "z": "0", "i": 0, "n": None, "b": False, "l": [None, 0],
              "nan": float("nan"), "d": {"x": 0.0, "e": {}}}  # fmt: skip
    location = str(tmp_path / "types.db")
    store = open_store(location)
    try:
        run = store.create_run(make_run("one", config=config, origins={"f": "a.py:1"}))
        assert run.rid is not None
        store.write_changes(run.rid, "c", [Change(("g",), 1.5), Change(("t",), "")])  # a plan
        store.write_changes(run.rid, "c", [Change(("h",), "0")])  # the one-statement path
        store.write_changes(run.rid, "c", [Change(("p", "q"), 0, "b.py:2")])  # a new parent
        store.write_changes(run.rid, "c", [Change((), {**config, "w": 0}, None)])  # whole tree
        store.bulk_insert([make_run(f"small-{i}", config=config) for i in range(3)])
        store.bulk_insert([make_run(f"big-{i}", config=config) for i in range(BIG_LOAD)])
    finally:
        store.close()
    bad = raw_rows(
        location,
        'SELECT path, typeof(num), typeof(txt), typeof(value), typeof(origin), typeof("desc")'
        " FROM rc_entries WHERE typeof(txt) NOT IN ('text', 'null')"
        " OR typeof(value) NOT IN ('text', 'null') OR typeof(origin) NOT IN ('text', 'null')"
        " OR typeof(\"desc\") NOT IN ('text', 'null') OR typeof(num) NOT IN ('real', 'null')",
    )
    assert bad == []
    assert raw_rows(location, "SELECT typeof(origin) FROM rc_entries WHERE path = 'f'")[0] == (
        "text",
    )
    text_columns = [c for c in ("grp", "job_type", "notes", "finished_at", "error_type", "host")]
    for column in text_columns:
        assert raw_rows(location, f"SELECT DISTINCT typeof({column}) FROM rc_runs") == [("null",)]
    for column in ("exit_code", "pid", "git_dirty"):
        assert raw_rows(location, f"SELECT DISTINCT typeof({column}) FROM rc_runs") == [("null",)]
    reader = open_store(location)
    try:
        got = reader.get_run("one")
        assert got is not None and same(got.config, {**config, "w": 0})
        assert got.group is None and got.exit_code is None and got.git_dirty is None
    finally:
        reader.close()


def test_delete_runs_removes_them_with_entries_and_history(
    store: RunStore, store_location: str
) -> None:
    keep = store.create_run(make_run("keep", config={"a": 1}))
    gone = store.create_run(make_run("gone", config={"a": 2}))
    assert keep.rid is not None and gone.rid is not None
    store.write_log(gone.rid, 0, {"x": 1}, [Change(("x",), 1)])
    assert store.delete_runs([gone.rid, 999999]) == 1
    assert [r.name for r in store.find_runs()] == ["keep"]
    for table in ("rc_entries", "rc_history"):
        rows = raw_rows(store_location, f"SELECT COUNT(*) FROM {table} WHERE rid = {gone.rid}")
        assert rows == [(0,)]
    assert store.delete_runs([]) == 0


# -- find_runs ----------------------------------------------------------------------------
METRIC = {"r1": 3, "r2": 1.5, "r3": "b", "r4": "a", "r5": None, "r6": True, "r7": float("nan"),
          "r8": 10, "r9": -2, "r10": [1]}  # fmt: skip


@pytest.fixture
def ranked(store: RunStore) -> RunStore:
    """Ten runs, created in name order, whose summary metric 'm' takes every kind of value."""
    for i, (name, value) in enumerate(METRIC.items()):
        summary = {} if name == "r5" else {"m": value}
        store.create_run(make_run(name, created_at=at(i), summary=summary, config={"i": i}))
    return store


@pytest.mark.parametrize(
    ("descending", "expected"),
    [
        (False, ["r9", "r2", "r1", "r8", "r4", "r3", "r10", "r7", "r6", "r5"]),
        (True, ["r8", "r1", "r2", "r9", "r3", "r4", "r10", "r7", "r6", "r5"]),
    ],
    ids=["ascending", "descending"],
)
def test_order_puts_numbers_then_strings_then_the_rest_newest_first(
    ranked: RunStore, descending: bool, expected: list[str]
) -> None:
    found = ranked.find_runs(order=[OrderKey("s", "m", descending)])
    assert [r.name for r in found] == expected


@pytest.mark.parametrize("limit", [0, 1, 3, 5, 7, 10, 50])
def test_limit_cuts_the_ordered_list_at_any_point(ranked: RunStore, limit: int) -> None:
    everything = [r.name for r in ranked.find_runs(order=[OrderKey("s", "m")])]
    found = ranked.find_runs(order=[OrderKey("s", "m")], limit=limit)
    assert [r.name for r in found] == everything[:limit]


@pytest.mark.parametrize("density", ["all", "half", "two"])
def test_a_limited_order_agrees_with_the_full_order_whatever_the_filter(
    store: RunStore, monkeypatch: pytest.MonkeyPatch, density: str
) -> None:
    # Tiny probes, so that PostgreSQL's probe, its longer probe and its fallback all run.
    monkeypatch.setattr(_select, "PROBE", 2)
    monkeypatch.setattr(_select, "PROBE_PER_RUN", 1)
    keep = {"all": lambda i: True, "half": lambda i: i % 2 == 0, "two": lambda i: i in (3, 17)}
    for i in range(40):
        value: Any = i % 7 if i % 5 else ("s" if i % 3 else None)
        summary = {} if value is None else {"m": value}
        config = {"keep": keep[density](i)}
        store.create_run(make_run(f"r{i}", created_at=at(i % 9), summary=summary, config=config))
    p = ph(store)
    where = SqlFragment(
        "EXISTS (SELECT 1 FROM rc_entries e WHERE e.rid = r.rid AND e.section = 'c' "
        f"AND e.path = {p} AND e.kind = 'b' AND e.num = 1)",
        ("keep",),
    )
    for descending in (False, True):
        order = [OrderKey("s", "m", descending)]
        everything = [r.name for r in store.find_runs(where=where, order=order, project="proj")]
        assert len(everything) == sum(keep[density](i) for i in range(40))
        for limit in range(len(everything) + 2):
            found = store.find_runs(where=where, order=order, project="proj", limit=limit)
            assert [r.name for r in found] == everything[:limit], (descending, limit)


def test_without_order_runs_come_newest_first(ranked: RunStore) -> None:
    assert [r.name for r in ranked.find_runs(limit=3)] == ["r10", "r9", "r8"]


def test_ties_sort_newest_first(store: RunStore) -> None:
    for i, name in enumerate(["old", "mid", "new"]):
        store.create_run(make_run(name, created_at=at(i), summary={"m": 1.0}))
    for descending in (False, True):
        found = store.find_runs(order=[OrderKey("s", "m", descending)])
        assert [r.name for r in found] == ["new", "mid", "old"]


def test_a_second_order_key_breaks_ties(store: RunStore) -> None:
    for i, (m, lr) in enumerate([(1, 0.1), (1, 0.3), (0, 0.2), (1, None)]):
        config = {} if lr is None else {"lr": lr}
        store.create_run(make_run(f"r{i}", created_at=at(i), summary={"m": m}, config=config))
    found = store.find_runs(order=[OrderKey("s", "m"), OrderKey("c", "lr", descending=True)])
    assert [r.name for r in found] == ["r2", "r1", "r0", "r3"]


def test_order_by_a_run_column_puts_missing_values_last(store: RunStore) -> None:
    for i, (name, code) in enumerate([("b", 1), ("a", None), ("c", 0)]):
        store.create_run(make_run(name, created_at=at(i), exit_code=code))
    names = [r.name for r in store.find_runs(order=[OrderKey("r", "exit_code")])]
    assert names == ["c", "b", "a"]
    names = [r.name for r in store.find_runs(order=[OrderKey("r", "exit_code", True)])]
    assert names == ["b", "c", "a"]
    names = [r.name for r in store.find_runs(order=[OrderKey("r", "name", True)], limit=2)]
    assert names == ["c", "b"]


def test_order_by_an_unknown_run_field_is_refused(store: RunStore) -> None:
    with pytest.raises(ValueError, match="colour"):
        store.find_runs(order=[OrderKey("r", "colour")])


def test_project_filters_the_runs(store: RunStore) -> None:
    store.create_run(make_run("a", project="p1"))
    store.create_run(make_run("b", project="p2"))
    assert [r.name for r in store.find_runs(project="p2")] == ["b"]
    assert [r.name for r in store.find_runs(project="p2", order=[OrderKey("c", "x")])] == ["b"]
    assert store.find_runs(project="nope") == []


def test_a_where_fragment_selects_runs_by_entries(ranked: RunStore) -> None:
    p = ph(ranked)
    where = SqlFragment(
        "EXISTS (SELECT 1 FROM rc_entries e WHERE e.rid = r.rid AND e.section = 'c' "
        f"AND e.path = {p} AND e.kind = 'n' AND e.num < {p}) AND r.name <> {p}",
        ("i", 4, "r2"),
    )
    found = ranked.find_runs(where=where, order=[OrderKey("s", "m", True)], limit=2)
    assert [r.name for r in found] == ["r1", "r3"]
    assert {r.name for r in ranked.find_runs(where=where)} == {"r1", "r3", "r4"}
    assert [r.name for r in ranked.find_runs(where=where, project="proj", limit=1)] == ["r4"]


def test_sqlite_offers_a_null_safe_regexp(tmp_path: Path) -> None:
    store = open_store(tmp_path / "runs.db")
    try:
        store.create_run(make_run("adam-1", notes="uses adam"))
        store.create_run(make_run("sgd-1"))
        where = SqlFragment("r.notes REGEXP ?", ("^uses a.am$",))
        assert [r.name for r in store.find_runs(where=where)] == ["adam-1"]
        where = SqlFragment("NOT (r.notes REGEXP ?)", ("x",))
        assert [r.name for r in store.find_runs(where=where)] == ["sgd-1", "adam-1"]
    finally:
        store.close()


# -- crashed runs -------------------------------------------------------------------------
KILLED_WRITER = """
import os, signal, socket, sys
from runconfig._entries import Change
from runconfig.store import RunData, open_store
from runconfig.store._common import process_start_token

store = open_store(sys.argv[1])
run = store.create_run(RunData(
    id="victim", name="victim", project="p", host=socket.gethostname(), pid=os.getpid(),
    pid_started=process_start_token(os.getpid()), config={"lr": 0.1},
))
store.write_changes(run.rid, "c", [Change(("train", "epochs"), 4, "child.py:9")])
store.write_log(run.rid, 0, {"loss": 0.5}, [Change(("loss",), 0.5)])
store.update_run(run.rid, tags=["last"])
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_writer_killed_with_sigkill_reads_back_crashed_with_every_value(
    store: RunStore, store_location: str
) -> None:
    child = run_python(KILLED_WRITER, store_location)
    assert child.returncode == -9, child.stderr
    got = store.get_run("victim")
    assert got is not None
    assert got.state == "crashed"
    assert got.config == {"lr": 0.1, "train": {"epochs": 4}}
    assert got.origins == {"train": "child.py:9", "train.epochs": "child.py:9"}
    assert got.summary == {"loss": 0.5} and got.tags == ["last"]
    assert got.history == [{"_step": 0, "loss": 0.5}]
    # The verdict is written back, so every reader agrees.
    assert raw_rows(store_location, "SELECT state FROM rc_runs") == [("crashed",)]


def test_a_run_of_a_live_process_stays_running(store: RunStore) -> None:
    pid = os.getpid()
    store.create_run(make_run("me", id="me", state="running", host=socket.gethostname(),
                              pid=pid, pid_started=process_start_token(pid),
                              heartbeat_at=ago(3600)))  # fmt: skip
    got = store.get_run("me")
    assert got is not None and got.state == "running"


@pytest.mark.skipif(process_start_token(os.getpid()) is None, reason="needs /proc")
def test_a_run_whose_pid_was_reused_is_crashed(store: RunStore) -> None:
    store.create_run(make_run("old", id="old", state="running", host=socket.gethostname(),
                              pid=os.getpid(), pid_started="1"))  # fmt: skip
    got = store.find_runs()[0]
    assert got.state == "crashed"


@pytest.mark.parametrize(
    ("seconds", "state"), [(300, "crashed"), (5, "running")], ids=["stale", "fresh"]
)
def test_a_run_on_another_host_is_judged_by_its_heartbeat(
    store: RunStore, seconds: float, state: str
) -> None:
    store.create_run(make_run("far", id="far", state="running", host="elsewhere", pid=1,
                              created_at=ago(seconds), heartbeat_at=ago(seconds)))  # fmt: skip
    got = store.get_run("far")
    assert got is not None and got.state == state
    assert [r.state for r in store.find_runs()] == [state]


def test_finished_runs_are_never_reaped(store: RunStore) -> None:
    store.create_run(make_run("done", id="done", state="finished", host="elsewhere",
                              heartbeat_at=ago(3600)))  # fmt: skip
    got = store.get_run("done")
    assert got is not None and got.state == "finished"


def test_a_reader_is_not_held_up_by_a_writer_holding_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = open_store(path)
    try:
        store.create_run(make_run("far", id="far", state="running", host="elsewhere",
                                  heartbeat_at=ago(300)))  # fmt: skip
        writer = sqlite3.connect(path, isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")
            started = time.monotonic()
            got = store.get_run("far")
            assert time.monotonic() - started < 5
            writer.execute("ROLLBACK")
        finally:
            writer.close()
        # Judged crashed, though the verdict could not be written yet; the next read does.
        assert got is not None and got.state == "crashed"
        assert raw_rows(str(path), "SELECT state FROM rc_runs") == [("running",)]
        assert [r.state for r in store.find_runs()] == ["crashed"]
        assert raw_rows(str(path), "SELECT state FROM rc_runs") == [("crashed",)]
    finally:
        store.close()


# -- schema versions ----------------------------------------------------------------------
def test_a_new_store_is_created_at_the_current_schema_version(
    store: RunStore, store_location: str
) -> None:
    rows = raw_rows(store_location, "SELECT value FROM rc_meta WHERE key = 'schema_version'")
    assert rows == [(str(schema.SCHEMA_VERSION),)]


def test_an_older_store_is_migrated_when_opened(
    store: RunStore, store_location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.create_run(make_run("before", config={"a": 1}))
    store.close()
    # The next release adds a column: migration SCHEMA_VERSION -> SCHEMA_VERSION + 1.
    migrations = [*schema.MIGRATIONS, ["ALTER TABLE rc_runs ADD COLUMN extra TEXT"]]
    monkeypatch.setattr(schema, "MIGRATIONS", migrations)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(migrations))
    upgraded = open_store(store_location)
    try:
        got = upgraded.get_run("before")
    finally:
        upgraded.close()
    assert got is not None and got.config == {"a": 1}
    assert raw_rows(store_location, "SELECT value FROM rc_meta") == [(str(len(migrations)),)]
    assert raw_rows(store_location, "SELECT COUNT(extra) FROM rc_runs") == [(0,)]


def test_a_schema_1_store_with_a_value_for_every_leaf_reads_the_same_once_migrated(
    store: RunStore, store_location: str
) -> None:
    # Schema 1 wrote the JSON of every leaf in `value`; schema 2 leaves it NULL where num
    # or txt hold the value. A store written by 1 must read the same after the upgrade.
    config = {"f": 0.5, "s": "adam", "b": True, "z": None, "i": 3, "d": {"x": 1.5}}
    run = store.create_run(make_run("old", config=config))
    store.close()
    p = ph(store)
    v1 = {"f": "0.5", "s": '"adam"', "b": "true", "z": "null", "d.x": "1.5"}
    conn_rows = [(text, run.rid, path) for path, text in v1.items()]
    execute_raw(store_location, f"UPDATE rc_entries SET value = {p} WHERE rid = {p} AND path = {p}",
                conn_rows)  # fmt: skip
    _undo_schema_3(store_location)
    execute_raw(store_location, "UPDATE rc_meta SET value = '1' WHERE key = 'schema_version'", [()])
    upgraded = open_store(store_location)
    try:
        got = upgraded.get_run("old")
    finally:
        upgraded.close()
    assert got is not None and same(got.config, config)
    assert raw_rows(store_location, "SELECT value FROM rc_meta") == [(str(schema.SCHEMA_VERSION),)]
    if store.dialect == "postgresql":  # the entry indexes now hold the rid
        defs = raw_rows(
            store_location,
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND indexname IN ('rc_entries_num', 'rc_entries_txt')",
        )
        assert len(defs) == 2 and all("INCLUDE (rid)" in d for (d,) in defs)


def _schema_3_path(path: str) -> str:
    """A path as schema 3 wrote it: a NUL in a key as itself, not `0."""
    return ".".join(
        "`" + s.replace("`", "``") + "`" if "\x00" in s else format_path((s,))
        for s in parse_path(path)
    )


def test_many_keys_changed_at_once_and_floats_that_need_the_general_rows_read_back(
    store: RunStore,
) -> None:
    # 250 existing keys changed in one batch (upserts: 90 rows to a statement on SQLite),
    # their notes kept where the change names none; 1,000 new floats among which a zero,
    # a NaN and an infinity take the general rows while the others take the short ones.
    run = store.create_run(make_run(state="running"))
    assert run.rid is not None
    first = {f"k{i}": i for i in range(250)}
    store.write_changes(
        run.rid, "c", [Change((k,), v, "a.py:1", f"note {k}") for k, v in first.items()]
    )
    store.write_changes(run.rid, "c", [Change((k,), v + 0.5, "b.py:2") for k, v in first.items()])
    floats = [i * 0.25 for i in range(1000)]  # 0.0 first
    floats[500], floats[700] = float("nan"), float("-inf")
    store.write_new_keys(run.rid, "c", [f"f{i}" for i in range(1000)], floats, "c.py:3")
    got = store.get_run(run.id)
    assert got is not None
    want = {**{k: v + 0.5 for k, v in first.items()}, **{f"f{i}": x for i, x in enumerate(floats)}}
    assert same(got.config, want)
    assert got.origins["k7"] == "b.py:2" and got.descs["k7"] == "note k7"
    assert got.origins["f0"] == "c.py:3" and got.origins["f500"] == "c.py:3"
    lr = compile_query(parse_query("f1 == 0.25 and f0 == 0 and k3 > 3"), store.dialect)
    assert [r.id for r in store.find_runs(where=lr)] == [run.id]


# -- an ended run's documents (schema 5) -------------------------------------------------
def documents(location: str, name: str) -> tuple[Any, ...]:
    """The documents in run ``name``'s row, decoded (None where there are none)."""
    columns = ", ".join(schema.DOC_COLUMNS)
    (row,) = raw_rows(location, f"SELECT {columns} FROM rc_runs WHERE name = '{name}'")
    return tuple(None if text is None else json.loads(text) for text in row)


def from_entries(store: RunStore, name: str) -> RunData:
    """Run ``name`` read back from its entries alone, its documents set aside."""
    (run,) = [r for r in store.find_runs() if r.name == name]
    assert run.rid is not None
    config, summary, origins, descs = store._trees([run.rid])[run.rid]  # type: ignore[attr-defined]
    return dataclasses.replace(run, config=config, summary=summary, origins=origins, descs=descs)


def test_a_run_that_ends_keeps_its_documents_and_reads_the_same_from_them(
    store: RunStore, store_location: str
) -> None:
    run = store.create_run(make_run("live", state="running", config={"a": 1, "b": {"c": "x"}}))
    assert run.rid is not None
    store.write_changes(run.rid, "c", [Change(("b", "d"), [1.5, None], "t.py:3", "note")])
    store.write_changes(run.rid, "s", [Change(("loss",), 0.25)])
    assert documents(store_location, "live") == (None, None, None)  # running: entries only
    store.update_run(run.rid, state="finished", exit_code=0)
    config, summary, notes = documents(store_location, "live")
    assert config == {"a": 1, "b": {"c": "x", "d": [1.5, None]}} and summary == {"loss": 0.25}
    assert notes == [{"b.d": "t.py:3"}, {"b.d": "note"}]
    (read,) = store.find_runs()
    want = from_entries(store, "live")
    assert same(read.config, want.config) and same(read.summary, want.summary)
    assert (read.origins, read.descs) == (want.origins, want.descs)


def test_writing_to_an_ended_run_drops_its_documents_until_it_ends_again(
    store: RunStore, store_location: str
) -> None:
    run = store.create_run(make_run("r", state="running", config={"lr": 0.1}))
    assert run.rid is not None
    store.update_run(run.rid, state="finished")
    # The same store writes on after the end (a script setting a key after finish()).
    store.write_changes(run.rid, "c", [Change(("lr",), 0.2)])
    assert documents(store_location, "r") == (None, None, None)
    assert store.find_runs()[0].config == {"lr": 0.2}
    store.update_run(run.rid, state="failed")
    assert documents(store_location, "r")[0] == {"lr": 0.2}
    # Another store (another process) writes to it: a new key, a summary, a log.
    other = open_store(store_location)
    try:
        other.write_changes(run.rid, "c", [Change(("extra",), True)])
        assert documents(store_location, "r") == (None, None, None)
        assert other.find_runs()[0].config == {"lr": 0.2, "extra": True}
        other.update_run(run.rid, state="running")  # a resume
        other.update_run(run.rid, state="finished")
        assert documents(store_location, "r")[0] == {"lr": 0.2, "extra": True}
        other.write_log(run.rid, 0, {"loss": 1.0}, [Change(("loss",), 1.0)])
    finally:
        other.close()
    assert documents(store_location, "r") == (None, None, None)
    assert store.find_runs()[0].summary == {"loss": 1.0}


def test_a_bulk_load_writes_the_documents_of_its_ended_runs(
    store: RunStore, store_location: str
) -> None:
    ended = make_run(
        "ended",
        config={"a": {"b": 1}, "c": "x"},
        summary={"s": 1},
        origins={"a.b": "f.yaml:2", "gone": "never stored"},
        descs={"c": "the c"},
    )
    store.bulk_insert([ended, make_run("running", state="running", config={"a": 2})])
    assert documents(store_location, "ended") == (
        {"a": {"b": 1}, "c": "x"},
        {"s": 1},
        [{"a.b": "f.yaml:2"}, {"c": "the c"}],
    )
    assert documents(store_location, "running") == (None, None, None)
    for name in ("ended", "running"):
        (read,) = [r for r in store.find_runs() if r.name == name]
        want = from_entries(store, name)
        assert same(read.config, want.config) and same(read.summary, want.summary)
        assert (read.origins, read.descs) == (want.origins, want.descs)


def _undo_schema_6(location: str) -> None:
    """Make a schema-6 store as schema 5 wrote it: no sweeps."""
    execute_raw(location, "DROP INDEX rc_runs_sweep", [()])
    execute_raw(location, "ALTER TABLE rc_runs DROP COLUMN sweep", [()])
    for table in ("rc_trials", "rc_sweeps"):
        execute_raw(location, f"DROP TABLE {table}", [()])


def test_a_schema_5_store_gains_sweeps_and_its_runs_read_the_same(
    store: RunStore, store_location: str
) -> None:
    store.create_run(make_run("old", config={"lr": 0.1}))
    store.close()
    _undo_schema_6(store_location)
    execute_raw(store_location, "UPDATE rc_meta SET value = '5' WHERE key = 'schema_version'", [()])
    upgraded = open_store(store_location)
    try:
        got = upgraded.get_run("old")
        assert got is not None and got.config == {"lr": 0.1} and got.sweep is None
        assert upgraded.sweeps.find() == []
    finally:
        upgraded.close()
    assert raw_rows(store_location, "SELECT value FROM rc_meta") == [(str(schema.SCHEMA_VERSION),)]


def _undo_schema_5(location: str) -> None:
    """Make a schema-5 store as schema 4 wrote it: no documents in the runs' rows (and
    what schema 6 added: see _undo_schema_6)."""
    _undo_schema_6(location)
    for column in schema.DOC_COLUMNS:
        execute_raw(location, f"ALTER TABLE rc_runs DROP COLUMN {column}", [()])


def test_a_schema_4_store_gains_the_documents_of_its_ended_runs(
    store: RunStore, store_location: str
) -> None:
    config = {"lr": 0.1, "n": 3, "train": {"epochs": 2, "opt": "adam"}, "_hidden": 1, "x": None}
    ended = store.create_run(make_run("ended", config=config, state="running"))
    running = store.create_run(make_run("running", config={"lr": 0.2}, state="running"))
    assert ended.rid is not None and running.rid is not None
    store.write_changes(ended.rid, "c", [Change(("lr",), 0.3, "train.py:9", "the rate")])
    store.write_changes(ended.rid, "s", [Change(("loss",), float("nan"))])
    store.update_run(ended.rid, state="finished")
    store.close()
    _undo_schema_5(store_location)
    execute_raw(store_location, "UPDATE rc_meta SET value = '4' WHERE key = 'schema_version'", [()])
    upgraded = open_store(store_location)
    try:
        got = {r.name: r for r in upgraded.find_runs()}
    finally:
        upgraded.close()
    assert same(got["ended"].config, {**config, "lr": 0.3})
    assert same(got["ended"].summary, {"loss": float("nan")})
    assert got["ended"].origins == {"lr": "train.py:9"}
    assert got["ended"].descs == {"lr": "the rate"}
    assert got["running"].config == {"lr": 0.2}
    docs = raw_rows(
        store_location, f"SELECT name, {', '.join(schema.DOC_COLUMNS)} FROM rc_runs ORDER BY name"
    )
    assert docs[0][0] == "ended" and all(d is not None for d in docs[0][1:])
    assert docs[1] == ("running", None, None, None)
    assert json.loads(docs[0][1]) == {**config, "lr": 0.3}
    assert json.loads(docs[0][3]) == [{"lr": "train.py:9"}, {"lr": "the rate"}]


def _undo_schema_4(location: str) -> None:
    """Make a schema-4 store as schema 3 wrote it: on PostgreSQL the text index over txt
    whole, no txt_key, strings with a U+0001 raw (none could hold a NUL); on SQLite a NUL
    in a key raw in its path (and what schema 5 added: see _undo_schema_5)."""
    _undo_schema_5(location)
    if location.startswith("postgresql"):
        for sql in (
            "DROP INDEX rc_entries_txt",
            "DROP INDEX rc_entries_long",
            "ALTER TABLE rc_entries DROP COLUMN txt_key",
            "UPDATE rc_entries SET txt = value::json #>> '{}', value = NULL "
            "WHERE kind = 's' AND strpos(txt, chr(1)) > 0",
            "CREATE INDEX rc_entries_txt ON rc_entries (section, path, txt) INCLUDE (rid) "
            "WHERE txt IS NOT NULL",
        ):
            execute_raw(location, sql, [()])
        return
    rows = raw_rows(location, "SELECT rid, section, path FROM rc_entries WHERE path LIKE '%`0%'")
    execute_raw(
        location,
        "UPDATE rc_entries SET path = ? WHERE rid = ? AND section = ? AND path = ?",
        [(_schema_3_path(path), rid, section, path) for rid, section, path in rows],
    )


def test_a_schema_3_store_reads_and_answers_the_same_once_migrated(
    store: RunStore, store_location: str
) -> None:
    # What schema 3 could hold: on PostgreSQL strings up to its index's limit, a U+0001 kept
    # raw; on SQLite any value, and NULs in keys, raw in the paths.
    config: dict[str, Any] = {"s": "a\x01b", "t": "\x01", "long": "l" * 2000, "`0": "ticks"}
    if store.dialect == "sqlite":
        config.update({"k\x00": "a\x00b", "\x00": {"\x00": "x", "`0": 2}, "u": "\x00\x01"})
    runs = [store.create_run(make_run(f"r{i}", config={**config, "i": i})) for i in range(3)]
    store.close()
    _undo_schema_4(store_location)
    execute_raw(store_location, "UPDATE rc_meta SET value = '3' WHERE key = 'schema_version'", [()])
    if store.dialect == "sqlite":  # the fake holds what schema 3 wrote: 4 paths a run
        raw_nul = "SELECT COUNT(*) FROM rc_entries WHERE instr(CAST(path AS BLOB), X'00') > 0"
        assert raw_rows(store_location, raw_nul) == [(12,)]
    upgraded = open_store(store_location)
    try:
        got = {r.id: r.config for r in upgraded.find_runs()}
        assert all(same(got[r.id], {**config, "i": i}) for i, r in enumerate(runs))

        def ids(where: str, order: str = "i") -> list[str]:
            fragment = compile_query(parse_query(where), upgraded.dialect)
            return [r.id for r in upgraded.find_runs(where=fragment, order=parse_order(order))]

        everyone = [r.id for r in runs]
        assert ids('s == "a\x01b" and t < "\x01\x00" and ```0` == "ticks"') == everyone
        assert ids('s == "a\x01b" and t >= "\x01" and long > "l"') == everyone
        assert ids('s < "a\x01"') == [] and ids("i >= 1", "-t, -i") == everyone[:0:-1]
        if store.dialect == "sqlite":
            assert ids('`k\x00` == "a\x00b" and `\x00`.`\x00` == "x" and u > "\x00"') == everyone
            rid = runs[0].rid
            assert rid is not None
            # The keys' paths were rewritten: a change replaces the value, adds no twin.
            changes = [Change(("k\x00",), "new"), Change(("\x00", "\x00"), 1)]
            upgraded.write_changes(rid, "c", changes)
            again = upgraded.get_run(runs[0].id)
            assert again is not None
            want = {**config, "k\x00": "new", "\x00": {"\x00": 1, "`0": 2}, "i": 0}
            assert same(again.config, want)
    finally:
        upgraded.close()
    assert raw_rows(store_location, "SELECT value FROM rc_meta") == [(str(schema.SCHEMA_VERSION),)]
    if store.dialect == "sqlite":
        assert raw_rows(store_location, raw_nul) == [(0,)]
    if store.dialect == "postgresql":
        text_index, long_index = raw_rows(
            store_location,
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND indexname IN ('rc_entries_txt', 'rc_entries_long') ORDER BY indexname DESC",
        )
        assert "(section, path, txt_key) INCLUDE (rid)" in text_index[0]
        assert "WHERE (octet_length(txt) > 256)" in long_index[0]
        escaped = "SELECT DISTINCT txt, value FROM rc_entries WHERE path = 's'"
        assert raw_rows(store_location, escaped) == [("a\x01\x02b", '"a\\u0001b"')]


def _undo_schema_3(location: str) -> None:
    """Take the columns schema 3 added away again, as a store written before it has none
    (and what schema 4 changed: see _undo_schema_4)."""
    _undo_schema_4(location)
    for column in ("entity", "meta"):
        execute_raw(location, f"ALTER TABLE rc_runs DROP COLUMN {column}", [()])
    for table in ("rc_files", "rc_artifacts", "rc_artifact_aliases", "rc_artifact_uses"):
        execute_raw(location, f"DROP TABLE {table}", [()])


def test_a_schema_2_store_gains_entity_and_meta_and_its_runs_read_the_same(
    store: RunStore, store_location: str
) -> None:
    run = store.create_run(make_run("old", config={"lr": 0.1}))
    store.close()
    _undo_schema_3(store_location)
    execute_raw(store_location, "UPDATE rc_meta SET value = '2' WHERE key = 'schema_version'", [()])
    upgraded = open_store(store_location)
    try:
        got = upgraded.get_run("old")
        assert got is not None and got.config == {"lr": 0.1}
        assert got.entity is None and got.meta == {}
        assert got.rid is not None
        upgraded.update_run(got.rid, entity="team", meta={"labels": {"code": "x"}})
        again = upgraded.get_run(run.id)
    finally:
        upgraded.close()
    assert again is not None and again.entity == "team" and again.meta == {"labels": {"code": "x"}}
    assert raw_rows(store_location, "SELECT value FROM rc_meta") == [(str(schema.SCHEMA_VERSION),)]


def test_a_string_holding_a_nul_round_trips(store: RunStore) -> None:
    run = store.create_run(make_run("nul", config={"s": "a\x00b", "t": {"u": "\x00"}}))
    assert run.rid is not None
    store.write_changes(run.rid, "c", [Change(("v",), "c\x00"), Change(("w",), "\x01")])
    got = store.get_run("nul")
    want = {"s": "a\x00b", "t": {"u": "\x00"}, "v": "c\x00", "w": "\x01"}
    assert got is not None and got.config == want


def test_a_store_from_a_newer_runconfig_is_refused_untouched(
    store: RunStore, store_location: str
) -> None:
    store.create_run(make_run("x"))
    store.close()
    newer = schema.SCHEMA_VERSION + 1
    if store.dialect == "sqlite":
        conn = sqlite3.connect(store_location)
        conn.execute(f"UPDATE rc_meta SET value = '{newer}'")
        conn.commit()
        conn.close()
        before = Path(store_location).read_bytes()
    else:
        raw_rows(store_location, f"UPDATE rc_meta SET value = '{newer}' RETURNING value")
    with pytest.raises(StoreError, match=rf"newer runconfig \(schema {newer}.*upgrade"):
        open_store(store_location)
    if store.dialect == "sqlite":
        assert Path(store_location).read_bytes() == before
    assert raw_rows(store_location, "SELECT value FROM rc_meta") == [(str(newer),)]


def test_an_empty_sqlite_file_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    store = open_store(path)
    try:
        assert store.create_run(make_run()).rid == 1
    finally:
        store.close()


# -- locations and bad input --------------------------------------------------------------
def _text_file(tmp: Path) -> str:
    (tmp / "notes.db").write_text("not a database, just notes\n" * 100)
    return str(tmp / "notes.db")


def _foreign_sqlite(tmp: Path) -> str:
    conn = sqlite3.connect(tmp / "other.db")
    conn.execute("CREATE TABLE users (name TEXT)")
    conn.commit()
    conn.close()
    return str(tmp / "other.db")


def _directory(tmp: Path) -> str:
    (tmp / "dir.db").mkdir()
    return str(tmp / "dir.db")


def _bad_sqlite_url(tmp: Path) -> str:
    return "sqlite://host/runs.db"


def _unreachable_postgres(tmp: Path) -> str:
    return "postgresql://ada:s3cret@127.0.0.1:1/nowhere"


def _bad_schema_name(tmp: Path) -> str:
    return "postgresql://ada@127.0.0.1:1/db?schema=no;drop"


@pytest.mark.parametrize(
    ("make", "message", "shown"),
    [
        (_text_file, "not an SQLite database", None),
        (_foreign_sqlite, "not a runconfig store", None),
        (_directory, "is a directory", None),
        (_bad_sqlite_url, "sqlite:///relative", None),
        (_unreachable_postgres, "cannot connect", "postgresql://ada@127.0.0.1:1/nowhere"),
        (_bad_schema_name, "bad schema name", "postgresql://ada@127.0.0.1:1/db"),
    ],
    ids=lambda v: v.__name__.strip("_").replace("_", "-") if callable(v) else "",
)
def test_a_bad_location_raises_a_store_error_naming_it(
    tmp_path: Path, make: Callable[[Path], str], message: str, shown: str | None
) -> None:
    location = make(tmp_path)
    with pytest.raises(StoreError, match=message) as info:
        open_store(location).close()
    assert (shown or location) in str(info.value)
    assert "s3cret" not in str(info.value)


def test_opening_a_missing_store_without_create_raises(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no runconfig store"):
        open_store(tmp_path / "absent.db", create=False)
    assert not (tmp_path / "absent.db").exists()


DROP_AND_OPEN = """
import os, sys
import runconfig.store.sqlite
from runconfig.errors import StoreError
from runconfig.store import open_store
if os.geteuid() == 0:  # root writes anywhere: become nobody to meet a read-only folder
    os.setgid(65534)
    os.setuid(65534)
try:
    open_store(sys.argv[1]).close()
except StoreError as e:
    print(e)
    sys.exit(0)
sys.exit(1)
"""


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("inside", ["runs.db", ".runconfig/runs.db"], ids=["file", "folder"])
def test_a_store_in_a_read_only_folder_raises_a_store_error(inside: str) -> None:
    top = tempfile.mkdtemp()  # not tmp_path: its parents are closed to other users
    try:
        os.chmod(top, 0o755)
        folder = os.path.join(top, "read-only")
        os.mkdir(folder, 0o555)
        location = os.path.join(folder, inside)
        child = run_python(DROP_AND_OPEN, location)
        assert child.returncode == 0, child.stdout + child.stderr
        assert "cannot create" in child.stdout and location in child.stdout
    finally:
        shutil.rmtree(top)


def test_a_missing_psycopg_asks_for_the_postgres_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(StoreError, match=r"pip install 'runconfig\[postgres\]'"):
        open_store("postgresql://ada@127.0.0.1:1/db")


def test_sqlite_urls_are_relative_with_three_slashes_and_absolute_with_four(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for url, path in [
        ("sqlite:///rel/runs.db", tmp_path / "rel" / "runs.db"),
        (f"sqlite:///{tmp_path}/abs.db", tmp_path / "abs.db"),
    ]:
        store = open_store(url)
        store.close()
        assert store.location == str(path) and path.is_file()


def test_location_resolves_argument_then_environment_then_nearest_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    monkeypatch.delenv("RUNCONFIG_STORE", raising=False)
    assert resolve_location() == str(deep / ".runconfig" / "runs.db")
    assert resolve_location(dir=tmp_path) == str(tmp_path / ".runconfig" / "runs.db")
    open_store(tmp_path / ".runconfig" / "runs.db").close()  # a store two levels up
    assert resolve_location() == str(tmp_path / ".runconfig" / "runs.db")
    monkeypatch.setenv("RUNCONFIG_STORE", "postgresql://me@db/x")
    assert resolve_location() == "postgresql://me@db/x"
    assert resolve_location(tmp_path / "given.db") == str(tmp_path / "given.db")


def test_open_store_without_location_creates_one_in_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RUNCONFIG_STORE", raising=False)
    store = open_store()
    store.close()
    assert store.location == str(tmp_path / ".runconfig" / "runs.db")
    assert (tmp_path / ".runconfig" / "runs.db").is_file()


def test_a_closed_store_says_so(store: RunStore) -> None:
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.find_runs()
