"""The embedded engine: one SQLite file, shared by every process on the machine.

The file is in WAL mode, so readers never block the writer nor wait for it, and with
``synchronous=NORMAL`` a committed change survives the writer being killed (not a power
cut). Writes start with ``BEGIN IMMEDIATE``: concurrent writers queue on the busy timeout
instead of failing when a read lock cannot be upgraded.
"""

from __future__ import annotations

import functools
import os
import random
import sqlite3
import time
import urllib.parse
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from itertools import chain
from types import TracebackType
from typing import Any

from runconfig._regex import search
from runconfig.errors import StoreError
from runconfig.store import schema
from runconfig.store._common import BATCH, SqlStore, migrate, schema_is_current
from runconfig.store._sql import Row
from runconfig.store.base import RunData

__all__ = ["SQLiteStore"]

BUSY_TIMEOUT = 30.0  # seconds a writer waits for another one
BIG_LOAD = 5000  # runs in one bulk_insert from which the entry indexes are rebuilt
LOAD_PARAMETERS = 900  # parameters to a statement of a bulk load (older SQLite allows 999)


def _sqlite_header(path: str) -> bool:
    """Whether the file starts as an SQLite database does."""
    with open(path, "rb") as f:
        return f.read(16) == b"SQLite format 3\x00"


def _regexp(pattern: str | None, value: Any) -> int:
    """``value REGEXP pattern`` for the query language: RE2's search, linear in the text
    (:mod:`runconfig._regex`); NULL never matches."""
    if pattern is None or value is None:
        return 0
    return 1 if search(pattern, value if isinstance(value, str) else str(value)) else 0


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
    if row is None:  # runconfig always writes it: a damaged page is the likely cause
        verdict = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
        if verdict != "ok":
            raise damaged(path, sqlite3.DatabaseError(verdict))
        raise StoreError(f"{path} is not a runconfig store: its rc_meta has no schema_version")
    return int(row[0])


def _prepare(conn: sqlite3.Connection, path: str, readonly: bool) -> None:
    """Check the schema; create it in a new file or migrate an older one (never when
    ``readonly``: reading leaves a file as it found it)."""
    version = _schema_version(conn, path)
    if schema_is_current(version, path):
        _probe(conn)
        return  # the usual case
    if readonly:
        if version is None:
            raise StoreError(
                f"{path} is not a runconfig store: the file is empty. A run's init() makes "
                f"a store, and so does `runconfig init-store {path}`"
            )
        raise StoreError(
            f"{path} was written by an older runconfig (schema {version}); reading does not "
            f"upgrade it: run `runconfig init-store {path}` (or any run) to upgrade it"
        )
    # The journal mode is kept in the file: set once, when the schema is first written.
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    with _Transaction(conn, "BEGIN IMMEDIATE"):
        version = _schema_version(conn, path)  # again: another process may have done it
        if not schema_is_current(version, path):
            migrate(conn.execute, version or 0, "sqlite")


def _prepare_patiently(conn: sqlite3.Connection, path: str, readonly: bool) -> None:
    """:func:`_prepare`, tried again while another process makes or migrates the store.

    Two processes making one new store at once: one switching the file to WAL while the
    other reads or writes it in its first (rollback) journal mode can deadlock, and SQLite
    then answers "locked" at once, not after its busy timeout. The loser tries again, as
    the timeout would have it wait."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            _prepare(conn, path, readonly)
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.01, 0.05))


@functools.lru_cache(maxsize=64)
def _multi_row(sql: str, rows: int) -> str:
    """``INSERT ... VALUES (row) [ON CONFLICT ...]`` with ``rows`` rows after VALUES."""
    head, _, rest = sql.partition(" VALUES ")
    depth, end = 0, 0
    while True:  # to the row's closing parenthesis (it holds NULLIF(...))
        depth += (rest[end] == "(") - (rest[end] == ")")
        end += 1
        if depth == 0:
            break
    row, tail = rest[:end], rest[end:]
    return f"{head} VALUES {', '.join([row] * rows)}{tail}"


def _identity(path: str) -> tuple[int, int] | None:
    """The file at ``path`` (device and inode), or None if there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _probe(conn: sqlite3.Connection) -> None:
    """Read the first pages of each table and index, where damage to a file is most often
    seen (a cheap check: three short reads; a damaged page elsewhere is found when read,
    and reported the same way). ``PRAGMA quick_check`` would read the whole file."""
    conn.execute("SELECT rid FROM rc_runs ORDER BY rid DESC LIMIT 1").fetchall()
    conn.execute("SELECT rid FROM rc_entries LIMIT 1").fetchall()
    conn.execute(
        "SELECT num FROM rc_entries INDEXED BY rc_entries_num WHERE num IS NOT NULL LIMIT 1"
    ).fetchall()


def damaged(path: str, error: BaseException) -> StoreError:
    """The error for a file whose pages are damaged: what to run to check it."""
    return StoreError(
        f"{path} is damaged ({error}); runconfig will not write to it. Check it with "
        f'`sqlite3 {path} "PRAGMA integrity_check"` and restore it from a copy'
    )


_DAMAGE = (11, 26)  # SQLITE_CORRUPT and SQLITE_NOTADB: the low byte of extended codes too


def _is_damage(error: BaseException) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return (isinstance(code, int) and code & 0xFF in _DAMAGE) or "malformed" in str(error)


def _connect(path: str, create: bool, readonly: bool = False) -> sqlite3.Connection:
    if os.path.isdir(path):
        raise StoreError(f"{path} is a directory, not a runconfig store file")
    exists = os.path.exists(path)
    verb = "open" if exists else "create"
    if not exists:
        if not create or readonly:
            raise StoreError(f"there is no runconfig store at {path}")
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create the runconfig store {path}: {e.strerror}") from e
    try:
        if readonly:  # the file as it is: SQLite refuses every write on this connection
            target = "file:" + urllib.parse.quote(path) + "?mode=ro"
            conn = sqlite3.connect(
                target, uri=True, timeout=BUSY_TIMEOUT, isolation_level=None,
                check_same_thread=False,
            )  # fmt: skip
        else:
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
        _prepare_patiently(conn, path, readonly)
    except sqlite3.DatabaseError as e:
        conn.close()
        if "not a database" in str(e) and os.path.getsize(path) >= 100 and not _sqlite_header(path):
            raise StoreError(f"{path} is not a runconfig store: not an SQLite database") from e
        if _is_damage(e):
            raise damaged(path, e) from e
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

    def __init__(self, path: str, *, create: bool = True, readonly: bool = False) -> None:
        path = os.path.abspath(os.path.expanduser(path))
        conn = _connect(path, create, readonly)
        super().__init__(conn, path, "?")
        self.readonly = readonly
        self._write = _Transaction(conn, "BEGIN IMMEDIATE")
        self._read = _Transaction(conn, "BEGIN")
        self._file = _identity(path)

    def ping(self) -> None:
        """Raise StoreError unless the file this store opened is still the one at its path,
        and its first pages read (the check at open, again): a store kept open between runs
        (see :mod:`runconfig.store._pool`) must not write to a file deleted or replaced
        meanwhile."""
        if _identity(self.location) != self._file:
            raise StoreError(f"{self.location} is no longer the file this store opened")
        with self._guard("read the store"):
            _probe(self._conn)

    def _driver_error(self, action: str, error: BaseException) -> StoreError:
        if _is_damage(error):
            return damaged(self.location, error)
        if self.readonly and "readonly" in str(error):
            return StoreError(f"cannot {action}: {self.location} was opened for reading only")
        return super()._driver_error(action, error)

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
        insert = self._sql.insert_run_with_rid if table == "rc_runs" else self._sql.insert_entry
        self._many(insert, rows)

    def _many(self, sql: str, rows: Sequence[Row]) -> None:
        """Rows of an ``INSERT ... VALUES (...)`` (an upsert too), as many to one statement
        as make up to LOAD_PARAMETERS parameters: a bulk load's entries go in 15% less time
        than through executemany, an ``update()`` of 1,000 changed keys in a third less."""
        if len(rows) < 4 or not sql.startswith("INSERT") or " VALUES (" not in sql:
            self._conn.executemany(sql, rows)
            return
        per = max(1, LOAD_PARAMETERS // len(rows[0]))
        whole = len(rows) - len(rows) % per
        if whole:
            many = _multi_row(sql, per)
            flat = list(chain.from_iterable(rows[:whole]))
            step = per * len(rows[0])
            for start in range(0, len(flat), step):
                self._conn.execute(many, flat[start : start + step])
        if whole < len(rows):
            self._conn.executemany(sql, rows[whole:])

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
