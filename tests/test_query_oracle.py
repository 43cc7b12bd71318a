"""The SQL that compile_query() writes selects exactly the runs that evaluate() accepts.

Real stores (an SQLite file, a fresh PostgreSQL schema) are built here from the schema
statements and ``entries()``, without the store engines, then filled with a few hundred
random runs; thousands of random queries must select the same run ids in SQL as the
plain-Python oracle, on both engines.
"""

from __future__ import annotations

import json
import math
import os
import random
import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from runconfig._entries import entries, postgres_text
from runconfig._paths import format_segment
from runconfig.query import (
    And,
    Compare,
    Node,
    Not,
    Or,
    Regex,
    compile_query,
    evaluate,
    parse_query,
)
from runconfig.store._sql import PostgresStatements, Statements
from runconfig.store.schema import COLUMN_NAMES, SCHEMA_VERSION, TEXT_KEY, statements

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
INJECTION = "'; DROP TABLE rc_runs; --"
SEED = 20240611
N_RUNS = 300
N_QUERIES = 2500

# -- the vocabulary -------------------------------------------------------------------------
STRINGS = [
    "adam", "Adam", "ADAM", "sgd", "rmsprop", "résumé", "Résumé", "日本語", "a'b", 'q"x',
    "back\\slash", "", " lead", "resnet-50", INJECTION, "zz", "ä", "Z", "0", "null",
    # Past PostgreSQL's index prefix (TEXT_KEY characters) and its 2,704-byte entries; ties
    # of the prefix broken by what follows it.
    "a" * (TEXT_KEY - 1), "a" * TEXT_KEY, "a" * TEXT_KEY + "a", "a" * TEXT_KEY + "b",
    "a" * TEXT_KEY + "\x00", "a" * (TEXT_KEY - 1) + "b", "é" * 3000, "z" * 3000,
    # NUL and U+0001 (PostgreSQL's escape), anywhere; U+FFFF.
    "\x00", "a\x00b", "a\x00", "\x00a", "\x01", "a\x01b", "\x00\x01", "\x01\x00", "a\x01\x02",
    "\uffff", "a\uffff\x00",
]  # fmt: skip
NUMBERS = [
    0, 1, 2, -1, 2.0, 0.5, 1e-3, 0.001, 3, 10, 100, 1.5, -2.5, 1e16, 2**53, 2**53 + 1,
    math.inf, -math.inf, math.nan, 0.1, 0.30000000000000004, -0.0,
]  # fmt: skip
SCALARS: list[Any] = [*NUMBERS, *STRINGS, True, False, None]
LISTS: list[list[Any]] = [
    [1, 2], [1.0, 2], [1, 2.0, "adam"], [None, 1], [math.nan, 1], ["adam"], [], [True, 1],
    [1, [2, 3]], ["baseline", "Adam"], [math.inf], [False], [0, "0"], [None], [math.nan],
    [1, {"k": 2.0}], ["null", "NaN"], [1.5, -2.5, 0.1], [2**53 + 1, 1e16], ["adam", "adam"],
    list(range(700)), ["a\x00b", "\x01"], ["z" * 3000], [{"k\x00": "\x00"}],
]  # fmt: skip
CONFIG_KEYS = [
    "lr", "optimizer", "epochs", "train", "a.b", "with space", "batch-size", "run", "config",
    "layers", "flag", "note", "name", "x`y", "in", "Optimizer", "k\x00", "\x00", "`0", "\uffff",
]  # fmt: skip
SUB_KEYS = ["epochs", "lr", "warmup", "opt", "deep"]
SUMMARY_KEYS = ["val_loss", "acc", "best", "train"]
TAGS = ["baseline", "ablation", "Baseline", "x'y", "日本", INJECTION]
RUN_NAMES = ["resnet-18", "resnet-50", "vit-b", "ResNet", "bert", "日本-run", "a'b"]
PATTERNS = [
    "^res", "net", "^a", "dam$", "^[A-Z]", "[0-9]+", "a|s", "^(ad|sg)", "é", "^$", ".*",
    "a.b", "D{1,2}", "^resnet-(18|50)", "'", "日", "[^a-z]", "^.{3}$", "x?y", "(na)+",
]  # fmt: skip
LITERAL_LISTS: list[list[Any]] = [
    [1, 2], [1, 2.0], [1, 2, "adam"], [None, 1], ["adam"], [], [True, 1], [1, [2, 3]],
    [None], [False], [0, "0"], [math.inf], ["baseline", "Adam"], ["baseline"], [1, {"k": 2}],
    [1.5, -2.5, 0.1], [2**53, 1e16], [2**53 + 1, 10**16], list(range(700)), ["a\x00b", "\x01"],
]  # fmt: skip


def random_value(rng: random.Random, depth: int = 0) -> Any:
    r = rng.random()
    if r < 0.6 or depth > 2:
        return rng.choice(SCALARS)
    if r < 0.85:
        return rng.choice(LISTS)
    return {k: random_value(rng, depth + 1) for k in rng.sample(SUB_KEYS, rng.randint(0, 3))}


def random_tree(rng: random.Random, keys: list[str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for key in keys:
        if rng.random() < 0.6:
            tree[key] = random_value(rng)
    if "train" in tree and rng.random() < 0.7:
        tree["train"] = {k: random_value(rng, 2) for k in rng.sample(SUB_KEYS, 3)}
    return tree


def random_run(rng: random.Random, i: int) -> dict[str, Any]:
    day = rng.randint(1, 28)
    return {
        "id": f"r{i:04d}",
        "name": f"{rng.choice(RUN_NAMES)}-{i}",
        "project": rng.choice(["p", "q"]),
        "group": rng.choice([None, "g1", "g2", "G1"]),
        "job_type": rng.choice([None, "train", "eval"]),
        "tags": rng.sample(TAGS, rng.randint(0, 3)),
        "notes": rng.choice([None, "note", "Note", INJECTION]),
        "state": rng.choice(["running", "finished", "failed", "crashed"]),
        "created_at": f"2024-05-{day:02d}T10:00:00.000000+00:00",
        "updated_at": f"2024-06-{day:02d}T10:00:00.000000+00:00",
        "exit_code": rng.choice([None, 0, 1, -1, 137]),
        "user": rng.choice([None, "alice", "bob"]),
        "pid": rng.choice([None, 1, 4242]),
        "git_dirty": rng.choice([None, True, False]),
    }


def make_runs() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    return [
        {
            "config": random_tree(rng, CONFIG_KEYS),
            "summary": random_tree(rng, SUMMARY_KEYS),
            "run": random_run(rng, i),
        }
        for i in range(N_RUNS)
    ]


RUNS = make_runs()


# -- the stores -----------------------------------------------------------------------------
class Store:
    """A schema built by hand, filled with RUNS, and a way to run a query on it."""

    def __init__(self, dialect: str, conn: Any) -> None:
        self.dialect = dialect
        self.conn = conn

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        cur = self.conn.cursor()
        try:
            cur.execute(sql, params)
            return list(cur.fetchall()) if cur.description else []
        finally:
            cur.close()

    def fill(self) -> None:
        ph = "?" if self.dialect == "sqlite" else "%s"
        for version in range(SCHEMA_VERSION):
            for step in statements(version, self.dialect):
                if isinstance(step, str):
                    self.execute(step)
                else:
                    step(self.conn.execute)
        # The engine's rows for an entry (on PostgreSQL, strings escaped as the store does).
        rows = (Statements if self.dialect == "sqlite" else PostgresStatements)(ph)
        for rid, run in enumerate(RUNS, start=1):
            fields: dict[str, Any] = dict(run["run"])
            fields["tags"] = json.dumps(fields["tags"])  # a non-canonical JSON list
            if self.dialect == "sqlite" and fields["git_dirty"] is not None:
                fields["git_dirty"] = int(fields["git_dirty"])
            cols = ["rid", *(COLUMN_NAMES.get(k, k) for k in fields)]
            self.execute(
                f"INSERT INTO rc_runs ({', '.join(cols)}) VALUES ({', '.join([ph] * len(cols))})",
                (rid, *fields.values()),
            )
            seq = 0
            for section, tree in (("c", run["config"]), ("s", run["summary"])):
                for key, value in tree.items():
                    for e in entries((key,), value):
                        seq += 1
                        self.execute(
                            rows.insert_entry,
                            rows.entry_row(rid, section, *e, seq, None, None),
                        )

    def select(self, query: str) -> set[str]:
        fragment = compile_query(parse_query(query), self.dialect)
        rows = self.execute(f"SELECT r.id FROM rc_runs r WHERE {fragment.sql}", fragment.params)
        return {row[0] for row in rows}


def _sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    from runconfig.store.sqlite import _regexp  # the SQLite store's own: RE2

    conn = sqlite3.connect(tmp_path_factory.mktemp("oracle") / "runs.db")
    conn.create_function("regexp", 2, _regexp, deterministic=True)
    store = Store("sqlite", conn)
    try:
        store.fill()
        conn.commit()
        yield store
    finally:
        conn.close()


def _pg_store() -> Iterator[Store]:
    required = bool(os.environ.get("RUNCONFIG_REQUIRE_PG"))
    psycopg = __import__("psycopg") if required else pytest.importorskip("psycopg")
    try:
        conn = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as e:
        if required:
            pytest.fail(f"RUNCONFIG_REQUIRE_PG is set but PostgreSQL does not answer: {e}")
        pytest.skip(f"no PostgreSQL at {PG_URL}: {e}")
    schema = f"rc_q_{uuid.uuid4().hex[:12]}"
    store = Store("postgresql", conn)
    try:
        store.execute(f"CREATE SCHEMA {schema}")
        store.execute(f"SET search_path TO {schema}")
        store.fill()
        yield store
    finally:
        try:
            store.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        finally:
            conn.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    if request.param == "sqlite":
        yield from _sqlite_store(tmp_path_factory)
    else:
        yield from _pg_store()


def _escaped(value: Any) -> Any:
    """A tree as PostgreSQL's txt holds it: strings escaped (lists are JSON, exact)."""
    if isinstance(value, str):
        return postgres_text(value)
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    return value


ESCAPED_RUNS = [{**run, "config": _escaped(run["config"]), "summary": _escaped(run["summary"])}
                for run in RUNS]  # fmt: skip


def _escape_literals(node: Node) -> Node:
    """``node`` with its strings compared with config and summary values escaped."""
    if isinstance(node, (And, Or)):
        return type(node)(tuple(map(_escape_literals, node.operands)))
    if isinstance(node, Not):
        return Not(_escape_literals(node.operand))
    if isinstance(node, Compare) and isinstance(node.value, str) and node.path.section != "r":
        return Compare(node.path, node.op, postgres_text(node.value))
    return node


def _has_regex(node: Node) -> bool:
    if isinstance(node, (And, Or)):
        return any(map(_has_regex, node.operands))
    if isinstance(node, Not):
        return _has_regex(node.operand)
    return isinstance(node, Regex)


def oracle(query: str, dialect: str = "sqlite") -> set[str]:
    """The runs ``query`` selects by evaluate(): exactly what SQL must select, except that
    on PostgreSQL a regular expression sees a NUL or U+0001 in a string escaped (see
    docs/query.md). The escape keeps equality and order, so the query's other atoms
    select the same runs over the escaped values and literals."""
    node = parse_query(query)
    runs = RUNS
    if dialect == "postgresql" and _has_regex(node):
        node, runs = _escape_literals(node), ESCAPED_RUNS
    return {run["run"]["id"] for run in runs if evaluate(node, run)}


def assert_same(store: Store, query: str) -> set[str]:
    expected = oracle(query, store.dialect)
    got = store.select(query)
    if got != expected:
        fragment = compile_query(parse_query(query), store.dialect)
        only_sql = sorted(got - expected)[:3]
        only_py = sorted(expected - got)[:3]
        by_id = {run["run"]["id"]: run for run in RUNS}
        sample = [by_id[i] for i in only_sql + only_py]
        pytest.fail(
            f"{store.dialect}: {query!r}\n  SQL: {fragment.sql}\n  params: {fragment.params}\n"
            f"  only in SQL: {only_sql}\n  only in evaluate(): {only_py}\n  runs: {sample}"
        )
    return got


# -- random queries -------------------------------------------------------------------------
def literal_text(rng: random.Random, value: Any) -> str:
    if value is None:
        return rng.choice(["null", "NULL", "Null"])
    if isinstance(value, bool):
        return rng.choice([str(value).lower(), str(value).upper(), str(value)])
    if isinstance(value, float):
        if math.isinf(value):
            return "1e999" if value > 0 else "-1e999"
        assert not math.isnan(value)
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        quote = rng.choice("\"'")
        return quote + value.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote
    if isinstance(value, dict):  # not writable: stand in a scalar
        return "1"
    return "[" + ", ".join(literal_text(rng, v) for v in value) + "]"


def random_scalar(rng: random.Random) -> Any:
    value = rng.choice(SCALARS)
    return 0.25 if isinstance(value, float) and math.isnan(value) else value


ORDERABLE = [
    v
    for v in SCALARS
    if isinstance(v, str) or (isinstance(v, (int, float)) and v is not True and v is not False)
    if v == v  # not NaN
]


def format_path(segments: list[str]) -> str:
    """A path as a query writes it: like the store's notation, but a NUL is itself (the
    store writes it `0, which the query language does not read)."""
    return ".".join(
        s if format_segment(s) == s else "`" + s.replace("`", "``") + "`" for s in segments
    )


def random_path(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.2:
        return "run." + rng.choice(
            ["name", "group", "job_type", "tags", "notes", "state", "created_at", "exit_code",
             "user", "pid", "git_dirty", "id"]
        )  # fmt: skip
    if r < 0.35:
        key = rng.choice([*SUMMARY_KEYS, "nokey"])
        tail = [rng.choice(["loss", *SUB_KEYS])] if key == "train" or rng.random() < 0.1 else []
        return "summary." + format_path([key, *tail])
    key = rng.choice([*CONFIG_KEYS, "nokey"])
    segments = [key]
    if key == "train" or rng.random() < 0.1:
        segments.append(rng.choice([*SUB_KEYS, "nokey"]))
    text = format_path(segments)
    if key in ("run", "config", "summary") or rng.random() < 0.15:
        return "config." + text
    return text


def keyword(rng: random.Random, word: str) -> str:
    return rng.choice([word, word, word.upper()])


def random_atom(rng: random.Random) -> str:
    path = random_path(rng)
    r = rng.random()
    if r < 0.45:
        op = rng.choice(["==", "!=", "<", "<=", ">", ">="])
        if op in ("==", "!="):
            value = rng.choice(LITERAL_LISTS) if rng.random() < 0.2 else random_scalar(rng)
        else:
            value = rng.choice(ORDERABLE)
        return f"{path} {op} {literal_text(rng, value)}"
    if r < 0.6:
        values = [random_scalar(rng) for _ in range(rng.randint(0, 3))]
        neg = keyword(rng, "not") + " " if rng.random() < 0.4 else ""
        return f"{path} {neg}{keyword(rng, 'in')} {literal_text(rng, values)}"
    if r < 0.75:
        value = random_scalar(rng) if rng.random() < 0.6 else rng.choice(TAGS)
        neg = keyword(rng, "not") + " " if rng.random() < 0.25 else ""
        return f"{literal_text(rng, value)} {neg}{keyword(rng, 'in')} {path}"
    if r < 0.9:
        return f"{path} ~ {literal_text(rng, rng.choice(PATTERNS))}"
    return f"{keyword(rng, 'exists')}({path})"


def random_query(rng: random.Random, depth: int = 0) -> str:
    r = rng.random()
    if depth < 3 and r < 0.35:
        word = keyword(rng, rng.choice(["and", "or"]))
        parts = [random_query(rng, depth + 1) for _ in range(rng.randint(2, 3))]
        text = f" {word} ".join(parts)
        return f"({text})" if rng.random() < 0.6 else text
    if depth < 3 and r < 0.5:
        return f"{keyword(rng, 'not')} {random_query(rng, depth + 1)}"
    return random_atom(rng)


QUERIES = (lambda rng: [random_query(rng) for _ in range(N_QUERIES)])(random.Random(SEED + 1))

EXAMPLES = [
    'lr < 0.01 and optimizer == "adam"',
    'train.epochs >= 10 or not (optimizer in ["sgd", "rmsprop"])',
    'summary.val_loss < 0.3 and run.state == "finished" and "baseline" in run.tags',
    'exists(train.warmup) and run.name ~ "^resnet"',
]


# -- the tests ------------------------------------------------------------------------------
def test_random_queries_select_the_same_runs_in_sql_as_in_python(store: Store) -> None:
    matched_some = 0
    for query in QUERIES:
        found = assert_same(store, query)
        matched_some += 0 < len(found) < N_RUNS
    # The vocabulary is small enough that most queries split the runs.
    assert matched_some > N_QUERIES // 3


@pytest.mark.parametrize("query", EXAMPLES)
def test_the_issue_examples_select_the_same_runs_in_sql_as_in_python(
    store: Store, query: str
) -> None:
    assert_same(store, query)


POINTED = [
    "optimizer == 'adam'",
    "optimizer != 'adam'",
    "not optimizer == 'adam'",
    "optimizer in ['adam', 'sgd']",
    "optimizer not in ['adam', 'sgd']",
    "lr == null",
    "lr != null",
    "lr != 1",
    "lr == [null, 1]",
    "lr != [null, 1]",
    "lr == [1, 2]",
    "null in lr",
    "null not in lr",
    "1 in lr",
    "1e999 in lr",
    "'adam' in lr",
    "true in lr",
    "optimizer < 'b'",
    "optimizer >= 'Z'",
    "train.epochs > 1",
    "exists(train)",
    "train == null",
    "train != null",
    "`a.b` > 0",
    "`with space` == 'adam'",
    "batch-size <= 2",
    "config.run == 1 or config.config != 1",
    "run.group == null",
    "run.group != 'g1'",
    "run.git_dirty == true",
    "run.git_dirty != false",
    "run.exit_code != 0",
    "run.exit_code < 1",
    "run.tags == []",
    "run.tags == ['baseline']",
    "run.tags != ['baseline', 'ablation']",
    "'Baseline' not in run.tags",
    "run.created_at >= '2024-05-15'",
    "run.name ~ '^(resnet|vit)'",
    "run.notes ~ 'ote'",
    "exists(run.group)",
    "summary.train.loss >= 0",
]


@pytest.mark.parametrize("query", POINTED)
def test_pointed_queries_select_the_same_runs_in_sql_as_in_python(store: Store, query: str) -> None:
    assert_same(store, query)


INJECTIONS = [
    f"optimizer == {json.dumps(INJECTION)}",
    f"run.notes == {json.dumps(INJECTION)}",
    f"{json.dumps(INJECTION)} in run.tags",
    f"run.name ~ {json.dumps(INJECTION)}",
    f"`{INJECTION}` == 1 or optimizer in [{json.dumps(INJECTION)}]",
    "optimizer == 'x\\'; DROP TABLE rc_runs; --'",
]


@pytest.mark.parametrize("query", INJECTIONS)
def test_sql_injection_strings_are_matched_as_literals_and_the_table_survives(
    store: Store, query: str
) -> None:
    assert_same(store, query)
    assert store.execute("SELECT count(*) FROM rc_runs") == [(N_RUNS,)]


def test_injection_strings_stored_as_values_are_found(store: Store) -> None:
    assert store.select(f"run.notes == {json.dumps(INJECTION)}") == {
        run["run"]["id"] for run in RUNS if run["run"]["notes"] == INJECTION
    }
    assert store.select(f"{json.dumps(INJECTION)} in run.tags") == {
        run["run"]["id"] for run in RUNS if INJECTION in run["run"]["tags"]
    }
    assert store.select(f"{json.dumps(INJECTION)} in run.tags")


# -- long lists: set lookups ----------------------------------------------------------------
def long_list_queries(rng: random.Random) -> list[str]:
    """``in``, ``not in``, ``or`` and ``and`` chains of 20 to 300 terms on one path (past
    the 16 values SQLite gets inline), every kind of literal mixed in, beside other atoms
    on the same path (their EXISTS joins the lookup's)."""
    queries = []
    for _ in range(60):
        path = random_path(rng)
        values = [random_scalar(rng) for _ in range(rng.randint(20, 300))]
        values += rng.sample([*LITERAL_LISTS, *ORDERABLE], 3)
        values += [rng.uniform(-5, 5) for _ in range(rng.randint(0, 20))]
        literal = literal_text(rng, values)
        terms = [literal_text(rng, v) for v in values]
        queries += [
            f"{path} in {literal}",
            f"{path} not in {literal}",
            " or ".join(f"{path} == {t}" for t in terms),
            " and ".join(f"{path} != {t}" for t in terms),
            f"exists({path}) and ({path} in {literal} or {path} ~ 'a')",
            f"not ({path} not in {literal} and exists({path}))",
        ]
    return queries


LONG_LIST_QUERIES = long_list_queries(random.Random(SEED + 2))


def test_long_lists_select_the_same_runs_in_sql_as_in_python(store: Store) -> None:
    for query in LONG_LIST_QUERIES:
        assert_same(store, query)
