"""The SQL text both engines run, and the conversions between rows and runs.

Written once with ``?`` placeholders; :class:`Statements` turns them into an engine's
style (``%s`` for PostgreSQL) when a store opens.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from itertools import chain
from typing import Any

from runconfig._entries import dumps, encode_string, entry, loads, postgres_text
from runconfig._paths import format_segment
from runconfig.store import schema
from runconfig.store.base import RunData

__all__ = [
    "COLUMNS",
    "CONFIG_DOC",
    "DOC_COLUMNS",
    "ENTRY_COLUMNS",
    "NUMBER",
    "PROJECT",
    "RANK",
    "RUN_FIELDS",
    "RUN_SELECT",
    "PostgresStatements",
    "Row",
    "Statements",
    "encode",
    "run_from_row",
    "run_values",
    "tree_rows",
]

# The RunData attributes kept in rc_runs, in column order, and their SQL columns.
RUN_FIELDS: tuple[str, ...] = (*schema.RUN_COLUMNS, "pid_started", "argv", "meta")
COLUMNS = tuple(schema.COLUMN_NAMES.get(f, f) for f in RUN_FIELDS)
DOC_COLUMNS = schema.DOC_COLUMNS
RUN_SELECT = ", ".join(["r.rid", *(f"r.{c}" for c in (*COLUMNS, *DOC_COLUMNS))])
PROJECT = 1 + RUN_FIELDS.index("project")  # its index in a run row
CONFIG_DOC = 1 + len(RUN_FIELDS)  # the index of the first document in a run row
ENTRY_COLUMNS = 'rid, section, path, kind, num, txt, value, seq, origin, "desc"'

# Entry order classes: numbers, then strings, then everything else (missing, bool, NaN...).
NUMBER = "{a}.kind = 'n' AND {a}.num IS NOT NULL"
RANK = f"CASE WHEN {NUMBER} THEN 0 WHEN {{a}}.kind = 's' THEN 1 ELSE 2 END"

Row = tuple[Any, ...]
_INFINITIES = (float("inf"), float("-inf"))
_INT_EXACT = 2**1023  # ints up to here convert to float without overflow


def encode(field: str, value: Any) -> Any:
    """A RunData field's value as its column holds it (lists as JSON text)."""
    if field in ("tags", "argv"):
        return dumps(list(value))
    if field == "meta":
        return dumps(dict(value))
    if field == "git_dirty" and value is not None:
        return bool(value)
    return value


_TAGS, _ARGV, _META, _DIRTY = (RUN_FIELDS.index(f) for f in ("tags", "argv", "meta", "git_dirty"))
_run_fields = operator.attrgetter(*RUN_FIELDS)
# The kind of each run field: text ('s' and 'l' JSON) or not (numbers, bools).
_RUN_TEXT = tuple(schema.RUN_COLUMNS.get(f, "s") in "sl" for f in RUN_FIELDS)


def run_values(run: RunData, sql: Statements | None = None) -> list[Any]:
    """The column values of a run, in :data:`COLUMNS` order; NULLs as ``sql`` binds them."""
    values = list(_run_fields(run))
    values[_TAGS] = dumps(list(run.tags)) if run.tags else "[]"
    values[_ARGV] = dumps(list(run.argv)) if run.argv else "[]"
    values[_META] = dumps(run.meta) if run.meta else "{}"
    if run.git_dirty is not None:
        values[_DIRTY] = bool(run.git_dirty)
    if sql is not None and sql.null_text is not None:
        for i, text in enumerate(_RUN_TEXT):
            if values[i] is None:
                values[i] = sql.null_text if text else sql.null_int
    return values


def run_from_row(row: Row) -> RunData:
    """A RunData (config and summary still empty) from a ``SELECT RUN_SELECT`` row."""
    values = dict(zip(RUN_FIELDS, row[1:CONFIG_DOC], strict=True))
    # Most runs have no tags, the empty ones are cheaper to make than to decode.
    tags, argv, meta = values["tags"], values["argv"], values["meta"]
    values["tags"] = [] if tags == "[]" else loads(tags)
    values["argv"] = [] if argv == "[]" else loads(argv)
    values["meta"] = {} if not meta or meta == "{}" else loads(meta)
    if values["git_dirty"] is not None:
        values["git_dirty"] = bool(values["git_dirty"])
    values["rid"] = row[0]
    values["history"] = None
    values["config"], values["origins"], values["descs"], values["summary"] = {}, {}, {}, {}
    # Every field given: set as the instance's __dict__, without the dataclass's __init__
    # (a third of the time of a run read back).
    run = object.__new__(RunData)
    run.__dict__ = values
    return run


def tree_rows(
    rows: list[Row],
    rid: int,
    section: str,
    tree: Mapping[str, Any],
    seq: int,
    origins: Mapping[str, str | None],
    descs: Mapping[str, str | None],
    origin: str | None,
    sql: Statements,
    prefix: str = "",
) -> int:
    """Append the rc_entries rows of a whole tree to ``rows``, numbered from ``seq + 1``,
    with NULLs as ``sql`` binds them; return the last number. (The rows of what
    :func:`entries` gives, each leaf encoded by :meth:`Statements.leaf_row`.)"""
    append = rows.append
    for key, value in tree.items():
        path = prefix + format_segment(key) if prefix else format_segment(key)
        seq += 1
        where = origins.get(path, origin) if origins else origin
        desc = descs.get(path) if descs else None
        if type(value) is dict:
            append(sql.entry_row(rid, section, path, "d", None, None, None, seq, where, desc))
            seq = tree_rows(rows, rid, section, value, seq, origins, descs, origin, sql, path + ".")
            continue
        row = sql.leaf_row(rid, section, path, value, seq, where, desc)
        append(row)
        if row[3] == "d":  # a dict subclass: its children too
            seq = tree_rows(rows, rid, section, dict(value), seq, origins, descs, origin, sql,
                            path + ".")  # fmt: skip
    return seq


# Rows of new leaves to one INSERT ... VALUES (...), (...) on SQLite: a fifth faster than
# as many rows through executemany, and at most 800 parameters (older SQLite allows 999).
LEAF_CHUNK = 100

_SECTION_SQL = {"c": "'c'", "s": "'s'"}  # the sections, as SQL literals

# For a new leaf of each scalar type (leaf_inserts): its kind, the SQL type of the value as
# bound, and the columns made of it ({v}). An int is bound as such, the engine making the
# double and the text: in C, where float() and repr() in Python take a third of the time.
_LEAF_COLUMNS: dict[type, tuple[str, str, dict[str, str]]] = {
    float: ("n", "DOUBLE PRECISION", {"num": "{v}"}),
    int: ("n", "BIGINT", {"num": "CAST({v} AS DOUBLE PRECISION)", "value": "CAST({v} AS TEXT)"}),
    str: ("s", "TEXT", {"txt": "{v}"}),
    bool: ("b", "DOUBLE PRECISION", {"num": "{v}"}),
    type(None): ("z", "", {}),
}


def _leaf_values(t: type, values: Sequence[Any]) -> Sequence[Any] | None:
    """What :meth:`Statements.leaf_inserts` binds for ``values``, all of type ``t``: the
    values, or None when one of them needs the general row."""
    if t is float:
        # num holds a float exactly unless it is NaN, an infinity or a zero (its sign).
        if 0.0 in values or any(map(math.isnan, values)) or any(map(math.isinf, values)):
            return None
        return values
    if t is int:  # bound as SQL integers (64 bits)
        return None if min(values) < -(2**63) or max(values) >= 2**63 else values
    if t is str:  # a NUL (or, for PostgreSQL, a U+0001) needs value too: see leaf_row
        joined = "".join(values)
        return None if "\x00" in joined or "\x01" in joined else values
    if t is bool:
        return list(map(float, values))  # 1.0 and 0.0
    if t is type(None):
        return values
    return None


class Statements:
    """The fixed SQL of the hot paths, in one engine's placeholder style."""

    # The column of rc_entries whose index sorts strings (with txt, see the schema).
    text_key = "txt"

    def __init__(
        self, placeholder: str, null_markers: bool = False, leaf_arrays: bool = False
    ) -> None:
        def q(sql: str) -> str:
            return sql.replace("?", placeholder)

        # What a row holds for NULL. Python's sqlite3 binds None through its adapter lookup,
        # which fails with an exception caught inside: 0.8 µs per None, more than the rest
        # of a row. With null_markers, a text column gets an int 0 (never a legitimate text
        # value) undone by NULLIF(?, 0), a number column NaN (SQLite stores NaN as NULL;
        # num is NULL for NaN anyway), an integer column '' undone by NULLIF(?, '').
        self.null_text: Any = 0 if null_markers else None
        self.null_num: Any = math.nan if null_markers else None
        self.null_int: Any = "" if null_markers else None
        t = "NULLIF(?, 0)" if null_markers else "?"
        i = "NULLIF(?, '')" if null_markers else "?"

        marks = f"?, ?, ?, ?, ?, {t}, {t}, ?, {t}, {t}"  # num, txt, value, origin, desc
        entry = f"INSERT INTO rc_entries ({ENTRY_COLUMNS}) VALUES ({marks})"
        self.insert_entry = q(entry)

        # New leaves of one type (leaf_inserts), by the marks of origin and desc; with
        # leaf_arrays (PostgreSQL), as arrays: one statement whose parse and plan do not
        # grow with the rows (100 rows to a VALUES list took 3x executemany's time there).
        self._leaf_arrays = leaf_arrays
        self._placeholder, self._null_mark = placeholder, t
        self._leaf_inserts: dict[tuple[int, str, type, str, str, int], str] = {}
        # A changed node keeps its seq, so the key keeps its place in the tree.
        self.upsert_entry = q(
            entry + " ON CONFLICT (rid, section, path) DO UPDATE SET kind = excluded.kind, "
            "num = excluded.num, txt = excluded.txt, value = excluded.value, "
            'origin = excluded.origin, "desc" = COALESCE(excluded."desc", rc_entries."desc")'
        )
        # An ancestor of a changed node: created as a dict, or turned from a leaf into one.
        self.upsert_parent = q(
            f"INSERT INTO rc_entries ({ENTRY_COLUMNS}) "
            f"VALUES (?, ?, ?, 'd', NULL, NULL, NULL, ?, {t}, NULL) "
            "ON CONFLICT (rid, section, path) DO UPDATE SET kind = 'd', num = NULL, "
            "txt = NULL, value = NULL, origin = excluded.origin WHERE rc_entries.kind <> 'd'"
        )
        # Descendants of p are the paths in [p + '.', p + '/'): '/' follows '.' in byte
        # order, so the primary key serves the range.
        self.delete_below = q(
            "DELETE FROM rc_entries WHERE rid = ? AND section = ? AND path > ? AND path < ?"
        )
        self.delete_node = q("DELETE FROM rc_entries WHERE rid = ? AND section = ? AND path = ?")
        self.delete_section = q("DELETE FROM rc_entries WHERE rid = ? AND section = ?")
        self.provenance = q(
            'SELECT path, origin, "desc" FROM rc_entries WHERE rid = ? AND section = ?'
        )
        self.max_seq = q("SELECT COALESCE(MAX(seq), 0) FROM rc_entries WHERE rid = ?")
        self.run_exists = q("SELECT 1 FROM rc_runs WHERE rid = ?")
        self.paths_of = q("SELECT path, kind FROM rc_entries WHERE rid = ? AND section = ?")
        columns = ", ".join(COLUMNS)
        marks = ", ".join(t if text else i for text in _RUN_TEXT)
        self.insert_run = q(f"INSERT INTO rc_runs ({columns}) VALUES ({marks})")
        # A bulk load's runs come with their documents (NULL for a running run).
        docs, doc_marks = ", ".join(DOC_COLUMNS), ", ".join([t] * len(DOC_COLUMNS))
        self.insert_run_with_rid = q(
            f"INSERT INTO rc_runs (rid, {columns}, {docs}) VALUES (?, {marks}, {doc_marks})"
        )
        self.taken = q(
            "SELECT (SELECT COUNT(*) FROM rc_runs WHERE id = ?), "
            "(SELECT COUNT(*) FROM rc_runs WHERE project = ? AND name = ?)"
        )
        self.names_like = q("SELECT name FROM rc_runs WHERE project = ? AND substr(name, 1, ?) = ?")
        self.insert_history = q(
            "INSERT INTO rc_history (rid, step, ts, data) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (rid, step) DO UPDATE SET ts = excluded.ts, data = excluded.data"
        )
        self.touch = q("UPDATE rc_runs SET updated_at = ? WHERE rid = ?")
        self.heartbeat = q("UPDATE rc_runs SET heartbeat_at = ?, updated_at = ? WHERE rid = ?")
        self.document = q(
            "UPDATE rc_runs SET "
            + ", ".join(f"{column} = ?" for column in DOC_COLUMNS)
            + " WHERE rid = ?"
        )
        self.undocument = q(
            "UPDATE rc_runs SET "
            + ", ".join(f"{column} = NULL" for column in DOC_COLUMNS)
            + " WHERE rid = ?"
        )
        self.running = (
            "SELECT rid, host, pid, pid_started, heartbeat_at, updated_at "
            "FROM rc_runs WHERE state = 'running'"
        )
        self.crash = q(
            "UPDATE rc_runs SET state = 'crashed', updated_at = ? "
            "WHERE rid = ? AND state = 'running'"
        )
        self.by_id = q(f"SELECT {RUN_SELECT} FROM rc_runs r WHERE r.id = ?")
        self.by_name = q(f"SELECT {RUN_SELECT} FROM rc_runs r WHERE r.name = ?")
        self.by_name_in = q(
            f"SELECT {RUN_SELECT} FROM rc_runs r WHERE r.name = ? AND r.project = ?"
        )

    def entry_row(
        self,
        rid: int,
        section: str,
        path: str,
        kind: str,
        num: float | None,
        txt: str | None,
        text: str | None,
        seq: int,
        origin: Any,
        desc: Any,
    ) -> Row:
        """An ``insert_entry`` row, its NULLs as this engine binds them."""
        nt = self.null_text
        return (rid, section, path, kind, self.null_num if num is None else num,
                nt if txt is None else txt, nt if text is None else text, seq,
                nt if origin is None else origin, nt if desc is None else desc)  # fmt: skip

    def leaf_inserts(
        self,
        rid: int,
        section: str,
        paths: list[str],
        values: list[Any],
        seq: int,
        origins: list[Any],
        descs: list[Any],
    ) -> list[tuple[str, list[Row]]]:
        """The statements and rows that insert new leaves, ``paths[i]`` holding the scalar
        ``values[i]``, numbered from ``seq + 1``.

        The many-keys ``update()`` comes here, so each choice is measured: a statement per
        type of value, binding only the columns that type fills (the kind, the run and the
        section are in its text), origin and desc only where some row has one (a NULL
        marker costs a function call per row); rows built a column at a time in C
        (``zip``, ``map``), where :meth:`leaf_row` takes a call per key; LEAF_CHUNK rows to
        an ``INSERT ... VALUES (...), (...)``, the rest through ``executemany`` (SQLite), or
        all rows as arrays to one ``INSERT ... SELECT FROM unnest(...)`` (PostgreSQL). A
        value that the short forms cannot hold (NaN, an infinity, zero, an int past 64
        bits, a string with a NUL or a U+0001) sends the batch of its type through
        :meth:`leaf_row`."""
        every: tuple[Sequence[Any], ...] = (
            paths, values, range(seq + 1, seq + 1 + len(paths)), origins, descs
        )  # fmt: skip
        types = list(map(type, values))
        plan: list[tuple[str, list[Row]]] = []
        kinds = dict.fromkeys(types)  # each type once, in order of appearance
        for t in kinds:
            part = every
            if len(kinds) > 1:
                at = [i for i, u in enumerate(types) if u is t]
                part = tuple([c[i] for i in at] for c in every)
            p, v, s, o, d = part
            bound = _leaf_values(t, v)
            if bound is None:  # values the short form cannot hold: theirs are general rows
                if t is float:  # a zero, NaN or an infinity (x - x is NaN for both)
                    general = [i for i, x in enumerate(v) if not (x and x - x == 0)]
                else:
                    general = [i for i, x in enumerate(v) if _leaf_values(t, [x]) is None]
                rows = [self.leaf_row(rid, section, p[i], v[i], s[i], o[i], d[i]) for i in general]
                plan.append((self.insert_entry, rows))
                if len(general) == len(v):
                    continue
                short = sorted(set(range(len(v))) - set(general))
                p, v, s, o, d = ([c[i] for i in short] for c in (p, v, s, o, d))
                bound = _leaf_values(t, v)
                assert bound is not None
            origin_mark, o_columns = self._nullable(o)
            desc_mark, d_columns = self._nullable(d)
            shape = (rid, section, t, origin_mark, desc_mark)
            uses = len(_LEAF_COLUMNS[t][2])  # the columns made of the value, each binds it
            if self._leaf_arrays:  # one statement, a parameter per column: an array
                arrays = [list(p), *([list(bound)] if uses else []), list(s)]
                plan.append((self._leaf_insert(*shape, 0), [(*arrays, *o_columns, *d_columns)]))
                continue
            rows = list(zip(p, *([bound] * uses), s, *o_columns, *d_columns, strict=True))
            whole = len(rows) - len(rows) % LEAF_CHUNK
            if whole:
                flat = list(chain.from_iterable(rows[:whole]))
                chunk, width = self._leaf_insert(*shape, LEAF_CHUNK), len(flat) // whole
                step = width * LEAF_CHUNK
                plan += [(chunk, [tuple(flat[i : i + step])]) for i in range(0, len(flat), step)]
            if whole < len(rows):
                plan.append((self._leaf_insert(*shape), rows[whole:]))
        return plan

    def _nullable(self, column: Sequence[Any]) -> tuple[str, list[Sequence[Any]]]:
        """How a batch binds a column that may hold NULLs: its mark in the statement ('' to
        leave it out, all NULL) and what to bind."""
        if None not in column:
            return "?", [column]
        if column.count(None) == len(column):
            return "", []
        nt = self.null_text
        return self._null_mark, [column if nt is None else [nt if x is None else x for x in column]]

    def _leaf_insert(
        self, rid: int, section: str, t: type, origin_mark: str, desc_mark: str, rows: int = 1
    ) -> str:
        """The INSERT of :meth:`leaf_inserts`: ``rows`` values of type ``t`` in ``section``
        of run ``rid`` (both ours, never a user's text, and fixed for a run's life); with
        ``rows`` 0, of arrays (``unnest``), one per column."""
        key = (rid, section, t, origin_mark, desc_mark, rows)
        statement = self._leaf_inserts.get(key)
        if statement is None:
            if len(self._leaf_inserts) >= 256:  # a process that went through many runs
                self._leaf_inserts.clear()
            kind, sql_type, made = _LEAF_COLUMNS[t]
            # Each column: its mark in a VALUES row, what it takes from unnest()'s arrays.
            names, marks, picks = ["path"], ["?"], ["u.p"]
            arrays = [("p", "TEXT"), ("v", sql_type)] if made else [("p", "TEXT")]
            for column, expression in made.items():
                names.append(column)
                marks.append(expression.format(v="?"))
                picks.append(expression.format(v="u.v"))
            names.append("seq")
            marks.append("?")
            picks.append("u.q")
            arrays.append(("q", "BIGINT"))
            for column, mark, alias in (("origin", origin_mark, "o"), ('"desc"', desc_mark, "d")):
                if mark:  # else left out: NULL
                    names.append(column)
                    marks.append(mark)
                    picks.append(f"u.{alias}")
                    arrays.append((alias, "TEXT"))
            into = f"INSERT INTO rc_entries (rid, section, kind, {', '.join(names)}) "
            fixed = f"{int(rid)}, {_SECTION_SQL[section]}, '{kind}'"
            if rows:  # VALUES (...), (...)
                row = f"({fixed}, {', '.join(marks)})"
                statement = into + "VALUES " + ", ".join([row] * rows)
            else:  # SELECT ... FROM unnest(an array per input)
                typed = ", ".join(f"?::{array_type}[]" for _, array_type in arrays)
                aliases = ", ".join(alias for alias, _ in arrays)
                statement = into + (
                    f"SELECT {fixed}, {', '.join(picks)} FROM unnest({typed}) AS u({aliases})"
                )
            statement = self._leaf_inserts[key] = statement.replace("?", self._placeholder)
        return statement

    def leaf_row(
        self, rid: int, section: str, path: str, value: Any, seq: int, origin: Any, desc: Any
    ) -> Row:
        """The ``insert_entry`` row of a value (the node alone, if it is a dict): what
        :func:`runconfig._entries.entry` gives, inlined for the common scalars, which every
        key set on a live run and every key of a bulk load goes through."""
        nt = self.null_text
        if origin is None:
            origin = nt
        if desc is None:
            desc = nt
        t = type(value)
        # The value column only where num and txt do not hold the value exactly (_entries).
        if t is float and value == value and value and value not in _INFINITIES:
            return (rid, section, path, "n", value, nt, nt, seq, origin, desc)
        if t is str and "\x00" not in value:
            return (rid, section, path, "s", self.null_num, value, nt, seq, origin, desc)
        if t is int and -_INT_EXACT <= value <= _INT_EXACT:
            return (rid, section, path, "n", float(value), nt, int.__repr__(value), seq,
                    origin, desc)  # fmt: skip
        if t is bool:
            return (rid, section, path, "b", 1.0 if value else 0.0, nt, nt, seq, origin, desc)
        _, kind, num, txt, text = entry(path, value)
        return self.entry_row(rid, section, path, kind, num, txt, text, seq, origin, desc)


class PostgresStatements(Statements):
    """:class:`Statements` for PostgreSQL, whose text cannot hold a NUL: a string holding a
    NUL or a U+0001 is kept in ``txt`` as :func:`~runconfig._entries.postgres_text` writes
    it (which keeps its order), and read back from ``value``. Strings sort by ``txt_key``,
    then ``txt`` (see :mod:`runconfig.store.schema`)."""

    text_key = "txt_key"

    def entry_row(
        self,
        rid: int,
        section: str,
        path: str,
        kind: str,
        num: float | None,
        txt: str | None,
        text: str | None,
        seq: int,
        origin: Any,
        desc: Any,
    ) -> Row:
        """:meth:`Statements.entry_row`, a string's ``txt`` escaped where it must be."""
        if kind == "s" and txt is not None and ("\x00" in txt or "\x01" in txt):
            if text is None:
                text = encode_string(txt)
            txt = postgres_text(txt)
        return super().entry_row(rid, section, path, kind, num, txt, text, seq, origin, desc)

    def leaf_row(
        self, rid: int, section: str, path: str, value: Any, seq: int, origin: Any, desc: Any
    ) -> Row:
        """:meth:`Statements.leaf_row`; a string with a U+0001 goes the escaped way too."""
        if type(value) is str and "\x01" in value:
            return self.entry_row(rid, section, path, "s", None, value, None, seq, origin, desc)
        return super().leaf_row(rid, section, path, value, seq, origin, desc)
