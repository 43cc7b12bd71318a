"""The shared engine: a PostgreSQL database that many machines write runs to.

``postgresql://user@host:port/db`` (or ``postgres://``). Two ways to keep the tables in a
schema of their own:

- ``?schema=name``: runconfig's own parameter. The schema is created if it is missing
  and becomes the connection's ``search_path``.
- ``?options=-csearch_path%3Dname``: libpq's, passed through; the schema must exist.

psycopg 3 is imported only here, when a PostgreSQL store is opened.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from runconfig.errors import StoreError
from runconfig.store._common import SqlStore, migrate, schema_is_current
from runconfig.store._sql import PostgresStatements, Row

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresStore", "parse_url"]

CONNECT_TIMEOUT = 5  # seconds
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Held while a schema is created or migrated, so that two processes opening a new store
# at once do not both run the DDL.
_MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(hashtext('runconfig schema'))"
_VERSION = "SELECT value FROM rc_meta WHERE key = 'schema_version'"


def _import_psycopg() -> Any:
    try:
        import psycopg
    except ImportError as e:
        raise StoreError(
            "a PostgreSQL store needs psycopg: pip install 'runconfig[postgres]'"
        ) from e
    return psycopg


def parse_url(url: str) -> tuple[str, dict[str, str], str | None, str]:
    """Split a store URL into (libpq URL, extra connect options, schema, location).

    The location is the URL without its password, for messages.

    >>> parse_url("postgresql://me:pw@db:5432/runs?schema=team")[2:]
    ('team', 'postgresql://me@db:5432/runs?schema=team')
    """
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, _, hostinfo = netloc.rpartition("@")
        netloc = f"{userinfo.split(':', 1)[0]}@{hostinfo}"
    location = urlunsplit(parts._replace(netloc=netloc))
    schema: str | None = None
    # No JIT: runconfig's queries are short, and compiling one took longer than running it
    # (a 1,000-term `or` took 93 s with JIT, 0.6 s without). First, so a URL may set it.
    options: list[str] = ["-c jit=off"]
    kept: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "schema":
            schema = value
        elif key == "options":
            options.append(value)
        else:
            kept.append((key, value))
    extra: dict[str, str] = {}
    if schema is not None:
        if not _SCHEMA_NAME.match(schema):
            raise StoreError(
                f"bad schema name {schema!r} in the runconfig store {location}: "
                "use letters, digits and _"
            )
        options.append(f"-c search_path={schema}")
    if options:
        extra["options"] = " ".join(options)
    return urlunsplit(parts._replace(query=urlencode(kept))), extra, schema, location


def _read_version(conn: psycopg.Connection[Any], location: str) -> int | None:
    """The schema version, inside a transaction (a missing table must not abort it)."""
    has_meta, has_runs = conn.execute(
        "SELECT to_regclass('rc_meta') IS NOT NULL, to_regclass('rc_runs') IS NOT NULL"
    ).fetchone() or (False, False)
    if not has_meta:
        if has_runs:
            raise StoreError(f"{location} is not a runconfig store: it has rc_runs but no rc_meta")
        return None
    row = conn.execute(_VERSION).fetchone()
    if row is None:
        raise StoreError(f"{location} is not a runconfig store: its rc_meta has no schema_version")
    return int(row[0])


def _prepare(
    conn: psycopg.Connection[Any],
    location: str,
    schema: str | None,
    create: bool,
    readonly: bool = False,
) -> None:
    """Check the schema; create it in an empty database or schema, or migrate it (never
    when ``readonly``)."""
    psycopg = _import_psycopg()
    try:
        row = conn.execute(_VERSION).fetchone()
        version = None if row is None else int(row[0])
    except psycopg.errors.UndefinedTable:
        version = None
    if schema_is_current(version, location):
        return  # the usual case: one query
    if readonly:
        if version is None:
            raise StoreError(f"there is no runconfig store at {location}")
        raise StoreError(
            f"{location} was written by an older runconfig (schema {version}); reading does "
            f"not upgrade it: run `runconfig init-store {location}` (or any run) to upgrade it"
        )
    with conn.transaction():
        conn.execute(_MIGRATION_LOCK)
        if (
            create
            and schema is not None
            and not conn.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)
            ).fetchone()
        ):
            conn.execute(psycopg.sql.SQL("CREATE SCHEMA {}").format(psycopg.sql.Identifier(schema)))
        version = _read_version(conn, location)
        if version is None and not create:
            raise StoreError(f"there is no runconfig store at {location}")
        if not schema_is_current(version, location):
            migrate(conn.execute, version or 0, "postgresql")


class PostgresStore(SqlStore):
    """Runs in a PostgreSQL database (see the module docstring for the URL).

    One autocommit connection with explicit transactions, used under a lock so that a
    heartbeat thread may share the store.
    """

    dialect = "postgresql"
    _probe_order = True
    _leaf_arrays = True  # new leaves as arrays: see runconfig.store._sql.Statements
    _statements = PostgresStatements  # text without NUL, sorted by a prefix: see there

    def __init__(self, url: str, *, create: bool = True, readonly: bool = False) -> None:
        psycopg = _import_psycopg()
        conninfo, extra, schema, location = parse_url(url)
        self._errors = (psycopg.Error,)
        self._integrity_error = psycopg.IntegrityError
        try:
            conn = psycopg.connect(
                conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT, **extra
            )
        except psycopg.Error as e:
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise StoreError(f"cannot connect to the runconfig store {location}: {reason}") from e
        try:
            _prepare(conn, location, schema, create, readonly)
            if readonly:  # the server refuses any write made on this connection
                conn.execute("SET default_transaction_read_only = on")
        except psycopg.Error as e:
            conn.close()
            raise StoreError(f"cannot open the runconfig store {location}: {e}") from e
        except BaseException:
            conn.close()
            raise
        super().__init__(conn, location, "%s")
        self.readonly = readonly
        self._insert_returning = self._sql.insert_run + " RETURNING rid"

    def _transaction(self, write: bool) -> AbstractContextManager[object]:
        transaction: AbstractContextManager[object] = self._conn.transaction()
        return transaction

    def _many(self, sql: str, rows: Sequence[Row]) -> None:
        with self._conn.cursor() as cur:
            cur.executemany(sql, rows)

    def _insert_run_row(self, values: list[Any]) -> int:
        return int(self._conn.execute(self._insert_returning, values).fetchone()[0])

    def _new_rids(self, count: int) -> list[int]:
        rows = self._conn.execute(
            "SELECT nextval(pg_get_serial_sequence('rc_runs', 'rid')) FROM generate_series(1, %s)",
            (count,),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def _rid_in(self, column: str, rids: Sequence[int]) -> tuple[str, tuple[Any, ...]]:
        return f"{column} = ANY(%s)", (list(rids),)

    def _load_rows(self, table: str, columns: str, rows: list[Row]) -> None:
        with self._conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def _analyze(self) -> None:
        # VACUUM too: it fills the visibility map, which index-only scans need.
        self._conn.execute("VACUUM (ANALYZE) rc_runs, rc_entries")

    def _text_order(self, expr: str) -> str:
        return f'{expr} COLLATE "C"'

    def _close_connection(self) -> None:
        self._conn.close()

    def __repr__(self) -> str:
        return f"PostgresStore({self.location!r})"
