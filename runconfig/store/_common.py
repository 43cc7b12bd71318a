"""What both engines share: the store's logic, migrations and process checks.

:class:`SqlStore` implements :class:`~runconfig.store.base.RunStore` once, over a DB-API
connection; an engine supplies the few driver-specific pieces (how a transaction starts,
how a new run's ``rid`` comes back, how a list of rids is bound, bulk loading). SQL is
written with ``?`` placeholders, turned into ``%s`` for PostgreSQL once, when the store
opens.

One connection per store, used under a :class:`threading.Lock`: a run's heartbeat thread
may call :meth:`~SqlStore.heartbeat` while the main thread writes config.
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import operator
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta, timezone
from itertools import chain
from types import TracebackType
from typing import TYPE_CHECKING, Any

from runconfig._entries import (
    REMOVED,
    Change,
    RunTrees,
    dumps,
    entries_at,
    loads,
    run_trees,
    without_hidden,
)
from runconfig._paths import format_path, format_segment, format_segments
from runconfig.errors import StoreError, UsageValueError
from runconfig.store import schema
from runconfig.store._artifacts import ArtifactRecords
from runconfig.store._limits import ReadLimit, resolve_timeout
from runconfig.store._select import RunSelect
from runconfig.store._sql import (
    COLUMNS,
    CONFIG_DOC,
    DOC_COLUMNS,
    ENTRY_COLUMNS,
    PROJECT,
    RUN_FIELDS,
    RUN_SELECT,
    Row,
    Statements,
    encode,
    run_from_row,
    run_values,
    tree_rows,
)
from runconfig.store.base import FileRecord, OrderKey, RunData, RunStore, SqlFragment

if TYPE_CHECKING:
    from runconfig.store._sweeps import SweepRecords

__all__ = ["SqlStore", "migrate", "now", "process_start_token", "schema_is_current"]

STALE_AFTER = timedelta(seconds=90)
"""A run on another host whose heartbeat is older than this has crashed."""
BATCH = 1000  # runs per transaction in bulk_insert
CHUNK = 500  # rids per IN (...) list
_SCALARS = frozenset({str, float, int, bool, type(None)})  # what _write_one takes
_KIND = {str: "s", float: "n", int: "n", bool: "b", type(None): "z"}  # a scalar's entry kind
# The fields of a Change.
_PATH, _VALUE, _ORIGIN, _DESC = map(operator.itemgetter, range(4))


def now() -> str:
    """The current time as the store writes it: ISO-8601 UTC with microseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _proc_stat(pid: int) -> list[str] | None:
    """Fields 3.. of ``/proc/<pid>/stat`` (state first), or None off Linux / no process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            text = f.read().decode("ascii", "replace")
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may itself hold spaces or ')'.
    return text[text.rfind(")") + 2 :].split()


def process_start_token(pid: int) -> str | None:
    """A token that changes when ``pid`` is reused by another process, or None if unknown.

    On Linux it is the start time of the process in clock ticks since boot (field 22 of
    ``/proc/<pid>/stat``). A :class:`~runconfig.store.base.RunData` keeps it in
    ``pid_started`` so that a reader can tell its writer from a newer process.
    """
    fields = _proc_stat(pid)
    return fields[19] if fields is not None and len(fields) > 19 else None


def _process_alive(pid: int, token: str | None) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        pass  # alive but not ours, or a pid this OS cannot hold
    fields = _proc_stat(pid)
    if fields is None:
        return True
    return fields[0] != "Z" and (token is None or len(fields) <= 19 or fields[19] == token)


def _is_dead(row: Row, host: str, stale: datetime) -> bool:
    """Whether a run row in state 'running' belongs to a process that is gone."""
    _, run_host, pid, pid_started, heartbeat_at, updated_at = row
    if run_host == host and pid is not None:
        return not _process_alive(int(pid), pid_started)
    beat = heartbeat_at or updated_at
    try:
        when = datetime.fromisoformat(beat)
    except (TypeError, ValueError):
        return True
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when < stale


def schema_is_current(version: int | None, location: str) -> bool:
    """True when a store's schema needs no work; refuses a store from a newer runconfig."""
    if version is not None and version > schema.SCHEMA_VERSION:
        raise StoreError(
            f"{location} was written by a newer runconfig (schema {version}, this one "
            f"reads up to {schema.SCHEMA_VERSION}); upgrade runconfig"
        )
    return version == schema.SCHEMA_VERSION


def migrate(execute: Callable[..., Any], version: int, dialect: str) -> None:
    """Run the migrations from ``version`` to the current one (inside the caller's txn);
    ``execute(sql, params=())`` is the connection's."""
    for v in range(version, schema.SCHEMA_VERSION):
        for step in schema.statements(v, dialect):
            if isinstance(step, str):
                execute(step)
            else:
                step(execute)
    execute(
        "INSERT INTO rc_meta (key, value) VALUES "
        f"('schema_version', '{int(schema.SCHEMA_VERSION)}') "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )


def _new_leaves(
    changes: Sequence[Change], known: Mapping[str, str]
) -> tuple[list[str], list[Any]] | None:
    """``(paths, values)`` when every change sets a new top-level key (not in ``known``,
    each once) to a scalar; None otherwise. The checks run in C: this is the first step of
    every ``update()`` of many keys."""
    keys = list(chain.from_iterable(map(_PATH, changes)))
    if len(keys) != len(changes):  # no path is empty here: each has one key
        return None
    values = list(map(_VALUE, changes))
    paths = format_segments(keys)
    return (paths, values) if _all_new(paths, values, known) else None


def _all_new(paths: list[str], values: list[Any], known: Mapping[str, str]) -> bool:
    """Whether ``values`` are scalars and ``paths`` distinct, none of them in ``known``."""
    return (
        set(map(type, values)) <= _SCALARS
        and len(set(paths)) == len(paths)
        and known.keys().isdisjoint(paths)
    )


def _add(plan: list[tuple[str, list[Row]]], statement: str, row: Row) -> None:
    """Append a statement to a plan, joining the batch before it if it is the same."""
    if plan and plan[-1][0] is statement:
        plan[-1][1].append(row)
    else:
        plan.append((statement, [row]))


def _chunks(items: Sequence[int], size: int = CHUNK) -> Iterator[Sequence[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class SqlStore(RunStore):
    """The logic of a store over one DB-API connection; engines fill in the driver parts."""

    _errors: tuple[type[Exception], ...]  # the driver's exceptions, shown as StoreError
    _integrity_error: type[Exception]
    _probe_order = False  # see runconfig.store._select
    _null_markers = False  # see runconfig.store._sql.Statements
    readonly = False  # opened for reading: nothing is written, not even a crashed state
    _leaf_arrays = False  # likewise
    _statements: type[Statements] = Statements  # how rows hold values: see _sql

    def __init__(self, conn: Any, location: str, placeholder: str) -> None:
        self._conn = conn
        self.location = location
        self._ph = placeholder
        self._sql = self._statements(placeholder, self._null_markers, self._leaf_arrays)
        self._lock = threading.Lock()
        self._seq: dict[int, int] = {}  # rid -> last seq used, for the runs written here
        # (rid, section) -> {path: kind} of the runs written here: what each change must do
        self._known: dict[tuple[int, str], dict[str, str]] = {}
        self._closed = False
        self._owner: tuple[int, str, int] | None = None  # the run this store writes, and who
        self._limit: ReadLimit | None = None  # the time limit of the read under way
        self._select = RunSelect(
            self._exec_read, placeholder, self._text_order, self._probe_order, self._sql.text_key
        )

    # -- driver parts ---------------------------------------------------------------------
    @abc.abstractmethod
    def _transaction(self, write: bool) -> AbstractContextManager[object]:
        """A context that runs its body in one transaction (writes: taking the write lock)."""

    @abc.abstractmethod
    def _insert_run_row(self, values: list[Any]) -> int:
        """Insert one rc_runs row and return its rid."""

    @abc.abstractmethod
    def _new_rids(self, count: int) -> list[int]:
        """Reserve ``count`` fresh rids (inside a write transaction)."""

    @abc.abstractmethod
    def _rid_in(self, column: str, rids: Sequence[int]) -> tuple[str, tuple[Any, ...]]:
        """A condition ``column`` is one of ``rids``, with its parameters."""

    @abc.abstractmethod
    def _close_connection(self) -> None: ...

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql, params)

    def _exec_read(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """:meth:`_exec` for a statement of a read, within the read's time limit."""
        if self._limit is not None:
            self._limit.before_statement()
        return self._exec(sql, params)

    def _reading(self, timeout: float | None) -> ReadLimit:
        """The read transaction of a read that ends within ``timeout`` seconds (None: the
        default, ``RUNCONFIG_QUERY_TIMEOUT`` or 30 s; 0: no limit); see
        :mod:`runconfig.store._limits`. Entered with the store's lock held."""
        return ReadLimit(self, resolve_timeout(timeout))

    def _many(self, sql: str, rows: Sequence[Row]) -> None:
        self._conn.executemany(sql, rows)

    def _load_rows(self, table: str, columns: str, rows: list[Row]) -> None:
        """Insert many rows fast (bulk_insert); PostgreSQL overrides this with COPY."""
        insert = {"rc_runs": self._sql.insert_run_with_rid, "rc_entries": self._sql.insert_entry}
        self._many(insert[table], rows)

    def _analyze(self) -> None:
        """Refresh the planner's statistics after a bulk load."""

    def _text_order(self, expr: str) -> str:
        """``expr`` as sorted text: byte order on both engines."""
        return expr

    def own(self, rid: int, host: str, pid: int) -> None:
        """This store writes run ``rid`` for the process ``pid`` of ``host``: a write to it
        after another process took it over (``init(resume="takeover")``) is refused. Logs,
        batches of changes, heartbeats and run updates check it; a single key set does not
        (it is one statement, the hot path), so one may land before the next check."""
        self._owner = (rid, host, pid)

    def _check_owner(self, rid: int) -> None:
        """Raise if another process took run ``rid`` over (inside a write transaction)."""
        owner = self._owner
        if owner is None or owner[0] != rid:
            return
        row = self._exec(f"SELECT host, pid FROM rc_runs WHERE rid = {self._ph}", (rid,)).fetchone()
        if row is None:
            raise StoreError(f"cannot write changes: there is no run #{rid} in {self.location}")
        host, pid = row
        if (host, pid) != owner[1:]:
            raise StoreError(
                f"run #{rid} of {self.location} was taken over by pid {pid} on {host} "
                "(init(resume='takeover')); this process writes to it no more"
            )

    def _driver_error(self, action: str, error: BaseException) -> StoreError:
        """The StoreError for an error of the driver while doing ``action``."""
        return StoreError(f"cannot {action} in the runconfig store {self.location}: {error}")

    def _guard(self, action: str) -> _Guard:
        """Hold the connection and show driver errors as StoreError naming the store."""
        return _Guard(self, action)

    # -- write side -----------------------------------------------------------------------
    def create_run(self, run: RunData) -> RunData:
        """Insert ``run`` with its config and summary; a taken name gets a ``-N`` suffix."""
        created = run.created_at or now()
        stored = dataclasses.replace(run, created_at=created, updated_at=run.updated_at or created)
        for attempt in range(20):
            try:
                with self._guard(f"create run {run.name!r}"), self._transaction(write=True):
                    id_taken, name_taken = self._exec(
                        self._sql.taken, (run.id, run.project, stored.name)
                    ).fetchone()
                    if id_taken:
                        raise StoreError(f"a run with id {run.id!r} is already in {self.location}")
                    if name_taken:
                        stored.name = self._free_name(run.project, run.name)
                    rid = self._insert_run_row(run_values(stored, self._sql))
                    rows: list[Row] = []
                    seq = tree_rows(
                        rows, rid, "c", run.config, 0, run.origins, run.descs, None, self._sql
                    )
                    seq = tree_rows(rows, rid, "s", run.summary, seq, {}, {}, None, self._sql)
                    self._many(self._sql.insert_entry, rows)
                    if stored.state != "running":  # an ended run: see update_run
                        self._exec(self._sql.document, (*self._document(rid), rid))
            except StoreError as e:
                # Another writer took the same name between our check and insert: retry.
                if attempt < 19 and isinstance(e.__cause__, self._integrity_error):
                    stored.name = run.name
                    continue
                raise
            self._seq[rid] = seq
            if stored.state == "running":  # an ended one's first write reads them: see update_run
                for section in ("c", "s"):
                    self._known[(rid, section)] = {r[2]: r[3] for r in rows if r[1] == section}
            stored.rid = rid
            return stored
        raise AssertionError("unreachable")  # pragma: no cover

    def _free_name(self, project: str, name: str) -> str:
        prefix = name + "-"
        rows = self._exec(self._sql.names_like, (project, len(prefix), prefix)).fetchall()
        suffixes = [int(n[len(prefix) :]) for (n,) in rows if n[len(prefix) :].isdigit()]
        return f"{prefix}{max(suffixes, default=1) + 1}"

    def write_changes(self, rid: int, section: str, changes: Sequence[Change]) -> None:
        """Apply ``changes`` in order, in one transaction (see :class:`Change`).

        The store remembers which paths a run has (its own writes), so each change costs
        only the statements it needs, and like statements of one call run as one batch: a
        new key is one INSERT; new top-level scalars (an ``update()``) a few statements per
        type of value (see :meth:`Statements.leaf_inserts`). A single statement runs on its
        own, which is atomic and durable without BEGIN/COMMIT.
        """
        if not changes:
            return
        if (
            len(changes) == 1
            and len(changes[0][0]) == 1
            and type(changes[0][1]) in _SCALARS
            and self._write_one(rid, section, changes[0])
        ):
            return
        with self._writing(rid, section):
            if not all(map(_PATH, changes)):  # a whole-tree change among them
                with self._transaction(write=True):
                    self._apply_in_order(rid, section, changes)
                return
            known = self._known_paths(rid, section)
            new = _new_leaves(changes, known) if len(changes) > 1 else None
            if new is not None:  # an update() of new top-level keys
                origins, descs = list(map(_ORIGIN, changes)), list(map(_DESC, changes))
                self._add_leaves(rid, section, known, *new, origins, descs)
                return
            plan, seq = self._plan(rid, section, changes, known, self._last_seq(rid))
            if len(plan) == 1 and len(plan[0][1]) == 1:
                self._exec(plan[0][0], plan[0][1][0])
            else:
                with self._transaction(write=True):
                    self._check_run(rid)
                    self._run_plan(plan)
            self._seq[rid] = seq

    def write_new_keys(
        self, rid: int, section: str, keys: list[str], values: list[Any], origin: str
    ) -> None:
        """:meth:`RunStore.write_new_keys`: a batch of new leaves per type of value (see
        :meth:`Statements.leaf_inserts`), unless the run has one of the keys already."""
        paths = format_segments(keys)
        with self._writing(rid, section):
            known = self._known_paths(rid, section)
            if _all_new(paths, values, known):
                n = len(paths)
                self._add_leaves(rid, section, known, paths, values, [origin] * n, [None] * n)
                return
        super().write_new_keys(rid, section, keys, values, origin)

    def _writing(self, rid: int, section: str) -> _Writing:
        """:meth:`_guard` for a write to a run: on any error, the caches of the run, which
        may be ahead of what was committed, are dropped (read again next time)."""
        return _Writing(self, rid, section)

    def _last_seq(self, rid: int) -> int:
        seq = self._seq.get(rid)
        if seq is None:
            seq = int(self._exec(self._sql.max_seq, (rid,)).fetchone()[0])
        return seq

    def _add_leaves(
        self,
        rid: int,
        section: str,
        known: dict[str, str],
        paths: list[str],
        values: list[Any],
        origins: list[Any],
        descs: list[Any],
    ) -> None:
        """Insert new top-level leaves (no path of them in ``known``), in one transaction."""
        seq = self._last_seq(rid)
        plan = self._sql.leaf_inserts(rid, section, paths, values, seq, origins, descs)
        known.update(zip(paths, map(_KIND.__getitem__, map(type, values)), strict=True))
        with self._transaction(write=True):
            self._check_run(rid)
            self._run_plan(plan)
        self._seq[rid] = seq + len(paths)

    def _check_run(self, rid: int) -> None:
        """Raise if run ``rid`` is gone (deleted under its writer): a batch would add its rows
        to no run, as SQLite does not check the foreign key (see runconfig.store.sqlite)."""
        if self._exec(self._sql.run_exists, (rid,)).fetchone() is None:
            raise StoreError(f"cannot write changes: there is no run #{rid} in {self.location}")
        self._check_owner(rid)

    def _write_one(self, rid: int, section: str, change: Change) -> bool:
        """The hot path of a live run, ``run.config[key] = scalar``: one statement, no plan.
        False when the caches do not know the run yet (the general path reads them) or the
        key holds a dict (its children must go too)."""
        (key,), value, origin, desc = change
        with self._lock:  # _guard's work, by hand: this is the path of every key set
            known = self._known.get((rid, section))
            seq = self._seq.get(rid)
            if known is None or seq is None or self._closed:
                return False
            path = format_segment(key)
            was = known.get(path)
            if was == "d":
                return False
            sql = self._sql
            row = sql.leaf_row(rid, section, path, value, seq + 1, origin, desc)
            try:
                self._conn.execute(sql.insert_entry if was is None else sql.upsert_entry, row)
            except BaseException as e:
                self._known.pop((rid, section), None)
                self._seq.pop(rid, None)
                if isinstance(e, self._errors):
                    raise StoreError(
                        f"cannot write changes in the runconfig store {self.location}: {e}"
                    ) from e
                raise
            known[path] = row[3]
            self._seq[rid] = seq + 1
            return True

    def _known_paths(self, rid: int, section: str) -> dict[str, str]:
        known = self._known.get((rid, section))
        if known is None:
            # The first write to a run through this store, or since it ended the run: an
            # ended run's documents go (its entries change now); no row: there is no run.
            if self._exec(self._sql.undocument, (rid,)).rowcount == 0:
                raise StoreError(f"cannot write changes: there is no run #{rid} in {self.location}")
            rows = self._exec(self._sql.paths_of, (rid, section)).fetchall()
            known = self._known[(rid, section)] = dict(rows)
        return known

    def _run_plan(self, plan: list[tuple[str, list[Row]]]) -> None:
        for sql, rows in plan:
            if len(rows) == 1:
                self._exec(sql, rows[0])
            else:
                self._many(sql, rows)

    def _plan(
        self,
        rid: int,
        section: str,
        changes: Sequence[Change],
        known: dict[str, str],
        seq: int,
    ) -> tuple[list[tuple[str, list[Row]]], int]:
        """The statements that apply ``changes`` to a run whose paths are ``known``
        (updated as planned); consecutive like statements share one batch."""
        sql = self._sql
        plan: list[tuple[str, list[Row]]] = []
        for path, value, origin, desc in changes:
            if len(path) == 1 and type(value) in _SCALARS:
                # A scalar on a top-level key, most of an update(): inline.
                p = format_segment(path[0])
                was = known.get(p)
                if was != "d":
                    seq += 1
                    statement = sql.insert_entry if was is None else sql.upsert_entry
                    row = sql.leaf_row(rid, section, p, value, seq, origin, desc)
                    if plan and plan[-1][0] is statement:
                        plan[-1][1].append(row)
                    else:
                        plan.append((statement, [row]))
                    known[p] = row[3]
                    continue
            p = format_path(path)
            was = known.get(p)
            if value is REMOVED:
                if was is not None:
                    _add(plan, sql.delete_node, (rid, section, p))
                    del known[p]
                    if was == "d":
                        self._forget_below(plan, known, rid, section, p)
                continue
            for i in range(1, len(path)):
                parent = format_path(path[:i])
                if known.get(parent) != "d":
                    seq += 1
                    where = sql.null_text if origin is None else origin
                    _add(plan, sql.upsert_parent, (rid, section, parent, seq, where))
                    known[parent] = "d"
            if was == "d":
                self._forget_below(plan, known, rid, section, p)
            statement = sql.insert_entry if was is None else sql.upsert_entry
            nodes = entries_at(p, value)
            for at, kind, num, txt, text in nodes:
                seq += 1
                _add(plan, statement, sql.entry_row(rid, section, at, kind, num, txt, text, seq,
                                                    origin, desc))  # fmt: skip
                known[at] = kind
                statement, desc = sql.insert_entry, None  # descendants are new
        return plan, seq

    def _forget_below(
        self,
        plan: list[tuple[str, list[Row]]],
        known: dict[str, str],
        rid: int,
        section: str,
        p: str,
    ) -> None:
        _add(plan, self._sql.delete_below, (rid, section, p + ".", p + "/"))
        prefix = p + "."
        for k in [k for k in known if k.startswith(prefix)]:
            del known[k]

    def _apply_in_order(self, rid: int, section: str, changes: Sequence[Change]) -> None:
        """Changes that include whole-tree replacements, inside the caller's transaction."""
        self._known_paths(rid, section)  # a first write: the run's documents go
        seq = self._seq.get(rid)
        if seq is None:
            seq = int(self._exec(self._sql.max_seq, (rid,)).fetchone()[0])
        for change in changes:
            if not change.path:
                seq = self._replace_tree(rid, section, change.value, change.origin, seq)
                self._known.pop((rid, section), None)
                continue
            plan, seq = self._plan(rid, section, [change], self._known_paths(rid, section), seq)
            self._run_plan(plan)
        self._seq[rid] = seq

    def _replace_tree(self, rid: int, section: str, tree: Any, origin: str | None, seq: int) -> int:
        # A whole-tree write (Config.persist) keeps each path's known origin and note
        # unless the change names an origin for all of them.
        origins: dict[str, str | None] = {}
        descs: dict[str, str | None] = {}
        if tree is not REMOVED:
            for path, old_origin, old_desc in self._exec(
                self._sql.provenance, (rid, section)
            ).fetchall():
                origins[path], descs[path] = old_origin, old_desc
        self._exec(self._sql.delete_section, (rid, section))
        if tree is REMOVED:
            return seq
        if not isinstance(tree, Mapping):
            raise TypeError(f"the whole {section!r} tree must be a dict, not {type(tree).__name__}")
        rows: list[Row] = []
        seq = tree_rows(
            rows, rid, section, tree, seq, {} if origin else origins, descs, origin, self._sql
        )
        if rows:
            self._many(self._sql.insert_entry, rows)
        return seq

    def write_log(
        self, rid: int, step: int, data: dict[str, Any], summary: Sequence[Change]
    ) -> None:
        """Store history row ``step`` (replacing one logged at the same step) and summary."""
        ts = now()
        with self._guard("log"):
            try:
                with self._transaction(write=True):
                    if self._exec(self._sql.touch, (ts, rid)).rowcount == 0:
                        raise StoreError(f"cannot log: there is no run #{rid} in {self.location}")
                    self._check_owner(rid)
                    self._exec(self._sql.insert_history, (rid, step, ts, dumps(data)))
                    if summary:
                        self._apply_in_order(rid, "s", summary)
            except BaseException:
                self._known.pop((rid, "s"), None)
                self._seq.pop(rid, None)
                raise

    def update_run(self, rid: int, **fields: Any) -> None:
        """Set run fields, named as :class:`RunData` attributes; ``updated_at`` too.

        >>> store.update_run(rid, state="finished", exit_code=0, finished_at=now())
        """
        unknown = sorted(set(fields) - set(RUN_FIELDS))
        if unknown:
            raise ValueError(
                f"cannot update run field(s) {', '.join(map(repr, unknown))}: "
                f"the fields are {', '.join(RUN_FIELDS)}"
            )
        fields.setdefault("updated_at", now())
        sets = ", ".join(f"{schema.COLUMN_NAMES.get(f, f)} = {self._ph}" for f in fields)
        params = [encode(f, v) for f, v in fields.items()]
        state = fields.get("state")
        with self._guard("update a run"), self._transaction(write=True):
            self._check_owner(rid)
            if state is not None:
                # An ended run keeps its documents in its row, written as it ends; a run
                # that runs (again) has none: its entries change.
                sets += "".join(f", {column} = {self._ph}" for column in DOC_COLUMNS)
                if state == "running":
                    params += [None] * len(DOC_COLUMNS)
                else:
                    params += self._document(rid)
                    # Forgotten, so that a later write of this store reads the run's paths
                    # again, and drops the documents as it does (see _known_paths).
                    self._known.pop((rid, "c"), None)
                    self._known.pop((rid, "s"), None)
            cur = self._exec(f"UPDATE rc_runs SET {sets} WHERE rid = {self._ph}", (*params, rid))
            if cur.rowcount == 0:
                raise StoreError(f"there is no run #{rid} in {self.location}")

    def record_file(self, rid: int, path: str, kind: str, size: int, sha256: str) -> None:
        """Record (or update) a file of the run's folder: ``path`` relative to it."""
        ts = now()
        with self._guard("record a file"), self._transaction(write=True):
            self._check_run(rid)
            self._exec(
                "INSERT INTO rc_files (rid, path, kind, size, sha256, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (rid, path) DO UPDATE SET "
                "kind = excluded.kind, size = excluded.size, sha256 = excluded.sha256, "
                "created_at = excluded.created_at".replace("?", self._ph),
                (rid, path, kind, size, sha256, ts),
            )

    @property
    def artifacts(self) -> ArtifactRecords:
        """The artifact versions kept in this store."""
        return ArtifactRecords(self)

    @property
    def sweeps(self) -> SweepRecords:
        """The sweeps kept in this store, and their trials."""
        records: SweepRecords | None = self.__dict__.get("_sweep_records")
        if records is None:  # imported here: most processes that open a store never sweep
            from runconfig.store._sweeps import SweepRecords

            records = self.__dict__["_sweep_records"] = SweepRecords(self)
        return records

    def list_files(self, rid: int) -> list[FileRecord]:
        """The files recorded for a run, by path."""
        with self._guard("list files"), self._reading(None):
            rows = self._exec_read(
                "SELECT path, kind, size, sha256, created_at FROM rc_files WHERE rid = "
                f"{self._ph} ORDER BY path",
                (rid,),
            ).fetchall()
        return [FileRecord(*row) for row in rows]

    def heartbeat(self, rid: int) -> None:
        """Record that the run is alive; safe to call from another thread."""
        ts = now()
        with self._guard("record a heartbeat"), self._transaction(write=True):
            self._check_owner(rid)
            # A reader may have marked the run crashed while its server was away: it is not.
            self._exec(
                "UPDATE rc_runs SET heartbeat_at = ?, updated_at = ?, state = CASE WHEN "
                "state = 'crashed' AND finished_at IS NULL THEN 'running' ELSE state END "
                "WHERE rid = ?".replace("?", self._ph),
                (ts, ts, rid),
            )

    def bulk_insert(self, runs: Iterable[RunData]) -> int:
        """Insert complete runs, 1,000 per transaction; taken names get a ``-N`` suffix."""
        count = 0
        batch: list[RunData] = []
        for run in runs:
            batch.append(run)
            if len(batch) == BATCH:
                count += self._insert_batch(batch)
                batch = []
        if batch:
            count += self._insert_batch(batch)
        if count:
            with self._guard("analyze"):
                self._analyze()
        return count

    def _insert_batch(self, batch: list[RunData]) -> int:
        try:
            with self._guard("insert runs"), self._transaction(write=True):
                self._insert_rows(batch)
        except StoreError as e:
            if not isinstance(e.__cause__, self._integrity_error):
                raise
            for run in batch:  # a name is taken: insert one by one, with suffixes
                self.create_run(run)
        return len(batch)

    def _insert_rows(self, batch: list[RunData]) -> None:
        """Insert complete runs (inside the caller's write transaction)."""
        stamp = now()
        run_rows: list[Row] = []
        entry_rows: list[Row] = []
        created = RUN_FIELDS.index("created_at")
        updated = RUN_FIELDS.index("updated_at")
        for rid, run in zip(self._new_rids(len(batch)), batch, strict=True):
            values = run_values(run, self._sql)
            if not run.created_at:
                values[created] = stamp
            if not run.updated_at:
                values[updated] = run.created_at or stamp
            start = len(entry_rows)
            seq = tree_rows(
                entry_rows, rid, "c", run.config, 0, run.origins, run.descs, None, self._sql
            )
            if run.state == "running":
                docs: list[Any] = [self._sql.null_text] * len(DOC_COLUMNS)
            else:
                # What _trees() would build from the entries: the notes of the paths
                # stored, in their order.
                notes: list[dict[str, str]] = [{}, {}]
                for given, kept in zip((run.origins, run.descs), notes, strict=True):
                    if given:
                        for row in entry_rows[start:]:
                            if (note := given.get(row[2])) is not None:
                                kept[row[2]] = note
                docs = [dumps(run.config), dumps(run.summary), dumps(notes)]
            tree_rows(entry_rows, rid, "s", run.summary, seq, {}, {}, None, self._sql)
            run_rows.append((rid, *values, *docs))
        self._load_rows("rc_runs", "rid, " + ", ".join((*COLUMNS, *DOC_COLUMNS)), run_rows)
        self._load_rows("rc_entries", ENTRY_COLUMNS, entry_rows)

    # -- read side ------------------------------------------------------------------------
    def find_runs(
        self,
        *,
        project: str | None = None,
        where: SqlFragment | None = None,
        order: Sequence[OrderKey] = (),
        limit: int | None = None,
        with_history: bool = False,
        timeout: float | None = None,
        offset: int = 0,
    ) -> list[RunData]:
        """Runs matching ``where``, sorted by ``order``, then newest first; the first
        ``offset`` of them skipped (a page further on).

        An entry key sorts numbers, then strings; runs lacking a number or string there
        come last whichever the direction. ``timeout``: see :meth:`_reading`.
        """
        with self._guard("find runs"):
            dead = self._reap()
            with self._reading(timeout):
                if offset:  # a page further on: the runs before it are skipped by rid alone
                    rids = self._select.rows(
                        project, where, order, None if limit is None else limit + offset, "r.rid"
                    )
                    rows = self._rows_by_rid([r[0] for r in rids[offset:]])
                else:
                    rows = self._select.rows(project, where, order, limit)
                runs = self._load(rows, with_history)
        return self._mark_dead(runs, dead)

    def find_trees(
        self,
        *,
        project: str | None = None,
        where: SqlFragment | None = None,
        order: Sequence[OrderKey] = (),
        limit: int | None = None,
        timeout: float | None = None,
    ) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
        """``(id, name, config, summary)`` of the runs :meth:`find_runs` would give, the
        config without its hidden top-level keys (``_wandb``...): the lean read behind
        charts of thousands of runs (no records, no notes decoded)."""
        with self._guard("read runs"), self._reading(timeout):
            rows = self._select.rows(project, where, order, limit, _TREES_SELECT)
            if not rows:
                return []
            if all(row[3] is not None for row in rows):  # ended runs: their documents
                configs = ",".join(row[3] for row in rows)
                decoded = loads(f"[{configs},{','.join(row[4] for row in rows)}]")
                trees: Iterable[tuple[Any, Any]] = zip(
                    decoded[: len(rows)], decoded[len(rows) :], strict=True
                )
                hidden = '"_' in configs  # a key or a string starts with "_"
            else:
                hidden = True
                built = self._trees([row[0] for row in rows if row[3] is None])
                documented = [row for row in rows if row[3] is not None]
                texts = [t for row in documented for t in row[3:5]]
                decoded = loads("[" + ",".join(texts) + "]")
                by_rid = {row[0]: (decoded[2 * i], decoded[2 * i + 1])
                          for i, row in enumerate(documented)}  # fmt: skip
                by_rid.update((rid, (config, summary)) for rid, (config, summary, _, _)
                              in built.items())  # fmt: skip
                trees = (by_rid.get(row[0], ({}, {})) for row in rows)
            out = [(row[1], row[2], *tree) for row, tree in zip(rows, trees, strict=True)]
        if hidden:
            out = [(i, n, without_hidden(c), s) for i, n, c, s in out]
        return out

    def _rows_by_rid(self, rids: list[Any]) -> list[Row]:
        """The run rows of ``rids``, in that order."""
        found: dict[Any, Row] = {}
        for chunk in _chunks(rids):
            cond, params = self._rid_in("r.rid", chunk)
            for row in self._exec_read(f"SELECT {RUN_SELECT} FROM rc_runs r WHERE {cond}",
                                       params).fetchall():  # fmt: skip
                found[row[0]] = row
        return [found[rid] for rid in rids if rid in found]

    def count_runs(
        self,
        *,
        project: str | None = None,
        where: SqlFragment | None = None,
        timeout: float | None = None,
    ) -> int:
        """How many runs match ``where`` (in ``project``)."""
        with self._guard("count runs"), self._reading(timeout):
            return self._select.count(project, where)

    def projects(self) -> list[tuple[str, int, str]]:
        """Each project with its number of runs and its newest run's start, by name."""
        with self._guard("list projects"), self._reading(None):
            rows = self._exec_read(
                "SELECT project, COUNT(*), MAX(created_at) FROM rc_runs GROUP BY project "
                "ORDER BY project"
            ).fetchall()
        return [(p, int(n), last) for p, n, last in rows]

    def get_run(
        self,
        id_or_name: str,
        project: str | None = None,
        *,
        with_history: bool = True,
        timeout: float | None = None,
    ) -> RunData | None:
        """One run with its history (unless ``with_history=False``), by id, else by name
        (within ``project`` if given). ``timeout``: see :meth:`_reading`."""
        with self._guard(f"read run {id_or_name!r}"):
            dead = self._reap()
            with self._reading(timeout):
                rows = self._exec_read(self._sql.by_id, (id_or_name,)).fetchall()
                if project is not None:
                    rows = [r for r in rows if r[PROJECT] == project]
                if not rows and project is not None:
                    rows = self._exec_read(self._sql.by_name_in, (id_or_name, project)).fetchall()
                elif not rows:
                    rows = self._exec_read(self._sql.by_name, (id_or_name,)).fetchall()
                    if len(rows) > 1:
                        projects = ", ".join(sorted(r[PROJECT] for r in rows))
                        raise StoreError(
                            f"{len(rows)} runs are named {id_or_name!r} in {self.location} "
                            f"(projects {projects}): name the project"
                        )
                runs = self._load(rows, with_history=with_history)
        return self._mark_dead(runs, dead)[0] if runs else None

    def delete_runs(self, rids: Sequence[int]) -> int:
        """Delete runs with their entries and history. Returns how many were deleted."""
        count = 0
        with self._guard("delete runs"), self._transaction(write=True):
            for chunk in _chunks(list(rids)):
                cond, params = self._rid_in("rid", chunk)
                # Children first and by hand: SQLite does not enforce the foreign keys.
                self._exec(f"DELETE FROM rc_entries WHERE {cond}", params)
                self._exec(f"DELETE FROM rc_history WHERE {cond}", params)
                self._exec(f"DELETE FROM rc_files WHERE {cond}", params)
                ArtifactRecords(self).forget_runs(cond, params)
                count += self._exec(f"DELETE FROM rc_runs WHERE {cond}", params).rowcount
        for rid in rids:
            self._seq.pop(rid, None)
            self._known.pop((rid, "c"), None)
            self._known.pop((rid, "s"), None)
        return count

    def ping(self) -> None:
        """Raise StoreError unless the connection works (one round trip to a server)."""
        with self._guard("reach the store"):
            self._exec("SELECT 1").fetchone()

    def forget_runs(self) -> None:
        """Drop what this store remembers of the runs it wrote: the store is kept open for
        the next run of the process (see :mod:`runconfig.store._pool`)."""
        with self._lock:
            self._known.clear()
            self._seq.clear()
            self._owner = None

    def close(self) -> None:
        """Close the connection; later calls raise StoreError. Closing twice is fine."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._close_connection()

    def _reap(self) -> set[int]:
        """Mark 'running' runs whose process is gone as crashed; returns their rids.

        Same host: the pid is checked (gone, zombie or reused). Another host: the
        heartbeat is older than :data:`STALE_AFTER`. The write is best effort; a reader
        that may not write still reports those runs as crashed.
        """
        rows = self._exec(self._sql.running).fetchall()
        if not rows:
            return set()
        import socket

        host = socket.gethostname()
        stale = datetime.now(timezone.utc) - STALE_AFTER
        dead = {int(row[0]) for row in rows if _is_dead(row, host, stale)}
        if dead and not self.readonly:  # reading writes nothing: readers report them
            # Best effort: a busy store still reports them crashed.
            with contextlib.suppress(*self._errors):
                self._mark_crashed(dead)
        return dead

    def _mark_crashed(self, rids: set[int]) -> None:
        stamp = now()
        with self._transaction(write=True):
            self._many(self._sql.crash, [(stamp, rid) for rid in rids])

    @staticmethod
    def _mark_dead(runs: list[RunData], dead: set[int]) -> list[RunData]:
        for run in runs:
            if run.rid in dead and run.state == "running":
                run.state = "crashed"
        return runs

    def _load(self, rows: list[Row], with_history: bool) -> list[RunData]:
        """RunData for run rows, with config, origins, summary (and history), in row order.

        A run that has ended has its documents in its row (see :mod:`runconfig.store.
        schema`, schema 5): all of them are decoded by one ``json.loads`` of their texts
        joined, which is about twice as fast as a call per text. The others (running, or
        crashed) are built from their entries."""
        runs = [run_from_row(row) for row in rows]
        by_rid = {run.rid: run for run in runs if run.rid is not None}
        documented = [row for row in rows if row[CONFIG_DOC] is not None]
        if documented:
            texts = [text for row in documented for text in row[CONFIG_DOC:]]
            decoded = loads("[" + ",".join(texts) + "]")
            for i, row in enumerate(documented):
                run = by_rid[row[0]]
                run.config, run.summary, (run.origins, run.descs) = decoded[3 * i : 3 * i + 3]
        built = [row[0] for row in rows if row[CONFIG_DOC] is None]
        for rid, (config, summary, origins, descs) in self._trees(built).items():
            run = by_rid[rid]
            run.config, run.summary, run.origins, run.descs = config, summary, origins, descs
        if with_history:
            rids = list(by_rid)
            for run in runs:
                run.history = []
            for chunk in _chunks(rids):
                cond, params = self._rid_in("rid", chunk)
                for rid, step, data in self._exec_read(
                    f"SELECT rid, step, data FROM rc_history WHERE {cond} ORDER BY rid, step",
                    params,
                ).fetchall():
                    history = by_rid[rid].history
                    assert history is not None
                    history.append({"_step": step, **loads(data)})
        return runs

    def _trees(self, rids: Sequence[Any]) -> dict[int, RunTrees]:
        """The config, summary, origins and descs of runs ``rids``, from their entries (a
        run without entries is left out)."""
        out: dict[int, RunTrees] = {}
        for chunk in _chunks(rids):
            cond, params = self._rid_in("rid", chunk)
            rows = self._exec_read(
                'SELECT rid, section, path, kind, num, txt, value, origin, "desc" '
                f"FROM rc_entries WHERE {cond} ORDER BY rid, seq",
                params,
            ).fetchall()
            out.update(run_trees(rows))
        return out

    def _document(self, rid: int) -> list[Any]:
        """The documents of run ``rid`` as columns hold them: what an ended run's row keeps
        (inside the caller's write transaction)."""
        config, summary, origins, descs = self._trees([rid]).get(rid, ({}, {}, {}, {}))
        return [dumps(config), dumps(summary), dumps([origins, descs])]


# The columns find_trees reads: the rid, id and name, and the config and summary documents.
_TREES_SELECT = "r.rid, r.id, r.name, r.config_doc, r.summary_doc"


class _Guard:
    """The store's lock for one call; driver errors leave it as StoreError.

    A class rather than a generator-based context manager: it is on the path of every
    key a live run sets.
    """

    __slots__ = ("_action", "_store")

    def __init__(self, store: SqlStore, action: str) -> None:
        self._store = store
        self._action = action

    def __enter__(self) -> None:
        store = self._store
        store._lock.acquire()
        if store._closed:
            store._lock.release()
            raise StoreError(
                f"cannot {self._action}: the runconfig store {store.location} is closed"
            )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        store = self._store
        store._lock.release()
        if exc is not None and isinstance(exc, store._errors):
            raise store._driver_error(self._action, exc) from exc
        if isinstance(exc, UnicodeEncodeError) and isinstance(exc.object, str):
            # A lone surrogate got past the checks of config keys and values (a run's
            # name, a logged string...): no UTF-8, so no store, can hold it.
            text, at = exc.object, exc.start
            raise UsageValueError(
                f"cannot {self._action}: {text[:60]!r} holds {text[at : at + 1]!r} at index "
                f"{at}, a lone surrogate, which is not text (a byte that is not UTF-8?); "
                "no store can hold it"
            ) from exc


class _Writing(_Guard):
    """:class:`_Guard` for a write to one run, which drops the run's caches on an error."""

    __slots__ = ("_rid", "_section")

    def __init__(self, store: SqlStore, rid: int, section: str) -> None:
        super().__init__(store, "write changes")
        self._rid = rid
        self._section = section

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:  # the caches may be ahead of what was committed
            self._store._known.pop((self._rid, self._section), None)
            self._store._seq.pop(self._rid, None)
        super().__exit__(exc_type, exc, tb)
