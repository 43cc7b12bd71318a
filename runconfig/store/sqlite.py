"""The embedded engine: one SQLite file, shared by every process on the machine.

The file is in WAL mode, so readers never block the writer nor wait for it, and with
``synchronous=NORMAL`` a committed change survives the writer being killed (not a power
cut). Writes start with ``BEGIN IMMEDIATE``: concurrent writers queue on the busy timeout
instead of failing when a read lock cannot be upgraded.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from itertools import chain
from types import TracebackType
from typing import Any

from runconfig.errors import StoreError
from runconfig.store import schema
from runconfig.store._common import BATCH, SqlStore, migrate, schema_is_current
from runconfig.store._sql import Row
from runconfig.store.base import RunData

__all__ = ["SQLiteStore"]

BUSY_TIMEOUT = 30.0  # seconds a writer waits for another one
BIG_LOAD = 5000  # runs in one bulk_insert from which the entry indexes are rebuilt
LOAD_PARAMETERS = 900  # parameters to a statement of a bulk load (older SQLite allows 999)


@functools.lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _regexp(pattern: str | None, value: Any) -> int:
    """``value REGEXP pattern`` for the query language: ``re.search``; NULL never matches."""
    if pattern is None or value is None:
        return 0
    return 1 if _compile(pattern).search(value if isinstance(value, str) else str(value)) else 0


class _Transaction(AbstractContextManager[None]):
    """``BEGIN`` ... ``COMMIT`` (or ``ROLLBACK`` on error) on an autocommit connection."""

    __slots__ = ("_begin", "_conn")

    def __init__(self, conn: sqlite3.Connection, begin: str) -> None:
        self._conn = conn
        self._begin = begin

    def __enter__(self) -> None:
        self._conn.execute(self._begin)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self._conn.execute("COMMIT")
        elif self._conn.in_transaction:
            self._conn.execute("ROLLBACK")


def _schema_version(conn: sqlite3.Connection, path: str) -> int | None:
    """The file's schema version; None when it has no rc_meta (new, or not ours)."""
    try:
        row = conn.execute("SELECT value FROM rc_meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.OperationalError as e:
        if "no such table" not in str(e):
            raise
        if conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone():
            raise StoreError(
                f"{path} is an SQLite database but not a runconfig store "
                "(it has tables, but no rc_meta)"
            ) from None
        return None
    if row is None:
        raise StoreError(f"{path} is not a runconfig store: its rc_meta has no schema_version")
    return int(row[0])


def _prepare(conn: sqlite3.Connection, path: str) -> None:
    """Check the schema; create it in a new file or migrate an older one."""
    if schema_is_current(_schema_version(conn, path), path):
        return  # the usual case: one query
    # The journal mode is kept in the file: set once, when the schema is first written.
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    with _Transaction(conn, "BEGIN IMMEDIATE"):
        version = _schema_version(conn, path)  # again: another process may have done it
        if not schema_is_current(version, path):
            migrate(conn.execute, version or 0, "sqlite")


def _connect(path: str, create: bool) -> sqlite3.Connection:
    if os.path.isdir(path):
        raise StoreError(f"{path} is a directory, not a runconfig store file")
    exists = os.path.exists(path)
    verb = "open" if exists else "create"
    if not exists:
        if not create:
            raise StoreError(f"there is no runconfig store at {path}")
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create the runconfig store {path}: {e.strerror}") from e
    try:
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as e:
        raise StoreError(f"cannot {verb} the runconfig store {path}: {e}") from e
    try:
        # Foreign keys are declared but not enforced here: checking the run of every entry
        # costs a third of a live run's writes. delete_runs deletes entries itself, and
        # rids are never reused (AUTOINCREMENT), so no entry can outlive its run.
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("PRAGMA synchronous = NORMAL")
        _prepare(conn, path)
    except sqlite3.DatabaseError as e:
        conn.close()
        if "not a database" in str(e):
            raise StoreError(f"{path} is not a runconfig store: not an SQLite database") from e
        raise StoreError(f"cannot {verb} the runconfig store {path}: {e}") from e
    except BaseException:
        conn.close()
        raise
    conn.create_function("regexp", 2, _regexp, deterministic=True)
    return conn


class SQLiteStore(SqlStore):
    """Runs in an SQLite file (created with its folder unless ``create=False``).

    One connection, used under a lock, so the store may be shared with a heartbeat
    thread. ``x REGEXP pattern`` is available to query fragments.
    """

    dialect = "sqlite"
    _errors = (sqlite3.Error,)
    _null_markers = True  # None binds slowly in sqlite3: see runconfig.store._sql
    _integrity_error = sqlite3.IntegrityError

    def __init__(self, path: str, *, create: bool = True) -> None:
        path = os.path.abspath(os.path.expanduser(path))
        conn = _connect(path, create)
        super().__init__(conn, path, "?")
        self._write = _Transaction(conn, "BEGIN IMMEDIATE")
        self._read = _Transaction(conn, "BEGIN")

    def _transaction(self, write: bool) -> AbstractContextManager[None]:
        return self._write if write else self._read

    def _insert_run_row(self, values: list[Any]) -> int:
        rid = self._conn.execute(self._sql.insert_run, values).lastrowid
        assert rid is not None
        return int(rid)

    def _new_rids(self, count: int) -> list[int]:
        # Safe: the caller holds the write lock (BEGIN IMMEDIATE) until it commits. Past the
        # highest rid ever used (sqlite_sequence), not the highest left: none is reused.
        top = int(
            self._conn.execute(
                "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'rc_runs'), 0),"
                " COALESCE((SELECT MAX(rid) FROM rc_runs), 0))"
            ).fetchone()[0]
        )
        return list(range(top + 1, top + 1 + count))

    def _rid_in(self, column: str, rids: Sequence[int]) -> tuple[str, tuple[Any, ...]]:
        return f"{column} IN ({', '.join('?' * len(rids))})", tuple(rids)

    def bulk_insert(self, runs: Iterable[RunData]) -> int:
        """Insert complete runs. A big load (``BIG_LOAD`` runs or more) is one transaction
        that drops the entry indexes and builds them again at the end: sorting once is
        several times faster than inserting every entry at its place in two B-trees.
        Readers keep their snapshot (indexes included) until the commit."""
        runs = list(runs)
        if len(runs) < BIG_LOAD:
            return super().bulk_insert(runs)
        # A page cache big enough that the load does not spill pages to the WAL early.
        cache = self._conn.execute("PRAGMA cache_size").fetchone()[0]
        self._conn.execute("PRAGMA cache_size = -262144")
        try:
            with self._guard("insert runs"), self._transaction(write=True):
                for name in schema.ENTRY_INDEXES:
                    self._conn.execute(f"DROP INDEX IF EXISTS {name}")
                for start in range(0, len(runs), BATCH):
                    self._insert_rows(runs[start : start + BATCH])
                for create in schema.ENTRY_INDEXES.values():
                    self._conn.execute(create)
        except StoreError as e:
            if not isinstance(e.__cause__, sqlite3.IntegrityError):
                raise
            return super().bulk_insert(runs)  # a taken id or name: the careful way
        finally:
            self._conn.execute(f"PRAGMA cache_size = {int(cache)}")
        with self._guard("analyze"):
            self._analyze()
        return len(runs)

    def _load_rows(self, table: str, columns: str, rows: list[Row]) -> None:
        """Rows of a bulk load, as many to an ``INSERT ... VALUES (...), (...)`` as make up
        to LOAD_PARAMETERS parameters: the entries of a load go in 15% less time than
        through executemany."""
        insert = self._sql.insert_run_with_rid if table == "rc_runs" else self._sql.insert_entry
        if not rows:
            return
        per = max(1, LOAD_PARAMETERS // len(rows[0]))
        whole = len(rows) - len(rows) % per
        if whole:
            head, _, row = insert.partition(" VALUES ")
            many = f"{head} VALUES {', '.join([row] * per)}"
            flat = list(chain.from_iterable(rows[:whole]))
            step = per * len(rows[0])
            for start in range(0, len(flat), step):
                self._conn.execute(many, flat[start : start + step])
        if whole < len(rows):
            self._conn.executemany(insert, rows[whole:])

    def _analyze(self) -> None:
        # A sampled ANALYZE: fast on millions of rows, enough for the planner.
        self._conn.execute("PRAGMA analysis_limit = 1000")
        self._conn.execute("ANALYZE")

    def _mark_crashed(self, rids: set[int]) -> None:
        # A reader must not wait for a writer's lock: if it is taken, try next time.
        self._conn.execute("PRAGMA busy_timeout = 100")
        try:
            super()._mark_crashed(rids)
        finally:
            self._conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")

    def _close_connection(self) -> None:
        self._conn.close()

    def __repr__(self) -> str:
        return f"SQLiteStore({self.location!r})"
