"""Time limits on reads: a query ends within its limit, on either engine.

Every read of a store (``find_runs``, ``get_run``...) takes a ``timeout``: seconds, ``None``
for the default (:data:`ENV_VAR`, else :data:`DEFAULT_TIMEOUT`), ``0`` for no limit. Past
it the read stops, and raises :class:`~runconfig.errors.QueryError` saying so and how to
give it more time. Nothing of it keeps running:

- **SQLite**: for the read's duration only, a progress handler that SQLite calls every
  :data:`PROGRESS_STEPS` steps of its virtual machine returns non-zero past the deadline,
  and SQLite interrupts the statement (a step of RE2 is linear in its text, so no step
  lasts long). Ctrl-C: while the read runs in the main thread, SIGINT only sets a flag
  that the handler answers by interrupting, and the read then raises
  ``KeyboardInterrupt``. Python's own handler would raise inside the handler or inside
  the ``regexp`` function, where sqlite3 swallows it and reports "user-defined function
  raised exception".
- **PostgreSQL**: ``SET LOCAL statement_timeout`` in the read's transaction, so the
  *server* cancels a statement at the limit, whatever the client does; before each later
  statement of the read the time left is set again when it has shrunk (a read is several
  statements), so the read as a whole keeps to its limit. Ctrl-C: psycopg cancels the
  running statement on the server before it raises ``KeyboardInterrupt``.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import time
from contextlib import AbstractContextManager
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

from runconfig.errors import QueryError, UsageTypeError, UsageValueError

if TYPE_CHECKING:
    from runconfig.store._common import SqlStore

__all__ = ["DEFAULT_TIMEOUT", "ENV_VAR", "PROGRESS_STEPS", "ReadLimit", "resolve_timeout"]

ENV_VAR = "RUNCONFIG_QUERY_TIMEOUT"
"""Seconds a read may take when the caller gives no ``timeout`` (``0`` or ``none``: no
limit)."""
DEFAULT_TIMEOUT = 30.0
"""Seconds a read may take when neither the caller nor :data:`ENV_VAR` says."""
PROGRESS_STEPS = 10_000
"""SQLite virtual machine steps between two looks at the deadline (tens of microseconds)."""
_RESET_MS = 50  # PostgreSQL: set the limit again when it has shrunk by more than this
_QUERY_CANCELED = "57014"  # SQLSTATE of a statement cancelled (by the timeout, or a user)
_BAD_REGEX = "2201B"  # SQLSTATE of a regular expression PostgreSQL cannot run
_TOO_COMPLEX = "54001"  # SQLSTATE of "stack depth limit exceeded"
# SQLite's parser keeps a stack of 100 entries (before 3.46): a condition nested some 20
# levels of and/or/not deep fills it. Its expression trees stop at 1,000 levels.
_SQLITE_TOO_DEEP = ("parser stack overflow", "Expression tree is too large")


def resolve_timeout(timeout: float | None) -> float | None:
    """The seconds a read may take, or None for no limit.

    ``timeout`` None: :data:`ENV_VAR` (``0`` or ``none`` for no limit), else
    :data:`DEFAULT_TIMEOUT`; ``0`` (or infinity): no limit.
    """
    if timeout is None:
        text = os.environ.get(ENV_VAR, "").strip()
        if not text:
            return DEFAULT_TIMEOUT
        if text.lower() in ("none", "off", "inf", "infinity"):
            return None
        try:
            seconds = float(text)
        except ValueError:
            raise UsageValueError(
                f"{ENV_VAR}={text!r} is not a time limit: give seconds (30, 2.5), "
                "or 0 or none for no limit"
            ) from None
        where = ENV_VAR
    else:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise UsageTypeError(
                f"timeout is a number of seconds (0 for no limit), not {type(timeout).__name__}"
            )
        seconds, where = float(timeout), "timeout"
    if math.isnan(seconds) or seconds < 0:
        raise UsageValueError(f"{where} must be 0 (no limit) or more seconds, not {seconds:g}")
    return None if seconds == 0 or math.isinf(seconds) else seconds


def timed_out(seconds: float) -> QueryError:
    """The error of a read stopped at its limit of ``seconds``."""
    return QueryError(
        f"the query took longer than {seconds:g} s, its time limit, and was stopped: give "
        f"it more with timeout= (Api.runs, Api.run), --timeout (the command line) or "
        f"{ENV_VAR} (seconds; 0 for no limit)"
    )


class ReadLimit(AbstractContextManager[None]):
    """One read transaction of ``store`` that ends within ``seconds`` (None: no limit).

    Entered with the store's lock held; :meth:`before_statement` is called before each
    statement of the read (see the module docstring).
    """

    __slots__ = (
        "_deadline",
        "_expired",
        "_interrupted",
        "_previous",
        "_seconds",
        "_set_ms",
        "_store",
        "_transaction",
    )

    def __init__(self, store: SqlStore, seconds: float | None) -> None:
        self._store = store
        self._seconds = seconds
        self._deadline = None if seconds is None else time.monotonic() + seconds
        self._expired = False  # SQLite: the progress handler stopped the statement
        self._interrupted = False  # SQLite: SIGINT arrived during the read
        self._previous: Any = None  # SQLite: the SIGINT handler to put back
        self._set_ms = 0  # PostgreSQL: the statement_timeout in force
        self._transaction: AbstractContextManager[object] | None = None

    # -- entering and leaving ---------------------------------------------------------------
    def __enter__(self) -> None:
        store = self._store
        transaction: AbstractContextManager[object]
        if store.dialect != "sqlite" and self._seconds is not None:
            # BEGIN and the limit in one round trip to the server, not two.
            self._set_ms = max(1, math.ceil(self._seconds * 1000))
            transaction = _PgRead(store._conn, self._set_ms)
        else:
            transaction = store._transaction(write=False)
        transaction.__enter__()
        self._transaction = transaction
        try:
            if store.dialect == "sqlite":
                self._start_sqlite()
        except BaseException as e:
            self._stop_sqlite()
            transaction.__exit__(type(e), e, e.__traceback__)
            raise
        store._limit = self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._store._limit = None
        # Before the transaction ends: a ROLLBACK must never be interrupted.
        self._stop_sqlite()
        if exc_type is not None and issubclass(exc_type, KeyboardInterrupt):
            _settle(self._store)
        assert self._transaction is not None
        self._transaction.__exit__(exc_type, exc, tb)
        if self._interrupted:
            raise KeyboardInterrupt from None
        if exc is None or isinstance(exc, (QueryError, KeyboardInterrupt)):
            return
        if self._seconds is not None and (self._expired or _cancelled_by_timeout(exc)):
            raise timed_out(self._seconds) from exc
        if getattr(exc, "sqlstate", None) == _BAD_REGEX:
            raise QueryError(f"PostgreSQL cannot run the regular expression: {_primary(exc)}")
        if getattr(exc, "sqlstate", None) == _TOO_COMPLEX or any(
            text in str(exc) for text in _SQLITE_TOO_DEEP
        ):
            engine = "SQLite" if self._store.dialect == "sqlite" else "PostgreSQL"
            raise QueryError(
                f"the query nests too deeply for {engine} to read it ({_primary(exc)}): "
                "write it with fewer levels of and, or and not inside one another"
            ) from exc

    def before_statement(self) -> None:
        """Check the deadline before a statement of the read; on PostgreSQL, give the
        statement no more than the time left."""
        if self._deadline is None:
            return
        left_ms = (self._deadline - time.monotonic()) * 1000
        if left_ms <= 0:
            assert self._seconds is not None
            raise timed_out(self._seconds)
        if self._store.dialect != "sqlite" and self._set_ms - left_ms > _RESET_MS:
            self._set_statement_timeout(left_ms)

    # -- PostgreSQL ---------------------------------------------------------------------------
    def _set_statement_timeout(self, ms: float) -> None:
        self._set_ms = max(1, math.ceil(ms))
        # An int of our own making: nothing the user wrote reaches the SQL.
        self._store._conn.execute(f"SET LOCAL statement_timeout = {self._set_ms}")

    # -- SQLite -------------------------------------------------------------------------------
    def _start_sqlite(self) -> None:
        if threading.current_thread() is threading.main_thread():
            try:
                if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                    self._previous = signal.signal(signal.SIGINT, self._on_sigint)
            except (ValueError, OSError):  # not the main interpreter
                self._previous = None
        if self._deadline is not None or self._previous is not None:
            self._store._conn.set_progress_handler(self._tick, PROGRESS_STEPS)

    def _stop_sqlite(self) -> None:
        if self._store.dialect != "sqlite":
            return
        self._store._conn.set_progress_handler(None, 0)
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self._interrupted = True  # the next tick stops the statement; __exit__ raises

    def _tick(self) -> int:
        if self._interrupted:
            return 1
        deadline = self._deadline
        if deadline is not None and time.monotonic() > deadline:
            self._expired = True
            return 1
        return 0


class _PgRead(AbstractContextManager[object]):
    """A PostgreSQL read transaction begun with its statement_timeout (an int of our own
    making: nothing the user wrote reaches the SQL) in one simple query."""

    __slots__ = ("_conn", "_ms")

    def __init__(self, conn: Any, ms: int) -> None:
        self._conn = conn
        self._ms = ms

    def __enter__(self) -> object:
        self._conn.execute(f"BEGIN; SET LOCAL statement_timeout = {self._ms}")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._conn.closed:
            return
        # ROLLBACK also ends a transaction that an error (a timeout) left aborted.
        self._conn.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _settle(store: SqlStore) -> None:
    """After Ctrl-C, a PostgreSQL connection whose statement was still running is left
    busy (its cancelled statement's answer not yet read), and psycopg's ROLLBACK fails
    with "another command is already in progress", leaving it so for every later call.
    Cancel the statement (again) and read its answer, so the connection can roll back."""
    conn = store._conn
    if store.dialect == "sqlite" or getattr(conn, "closed", True):
        return
    with contextlib.suppress(Exception):
        from psycopg import pq

        if conn.info.transaction_status != pq.TransactionStatus.ACTIVE:
            return
        cancel = getattr(conn, "cancel_safe", None) or conn.cancel
        cancel()
        while conn.pgconn.get_result() is not None:
            pass


def _cancelled_by_timeout(exc: BaseException) -> bool:
    """Whether ``exc`` is PostgreSQL's cancel of a statement past statement_timeout."""
    return getattr(exc, "sqlstate", None) == _QUERY_CANCELED and "timeout" in _primary(exc)


def _primary(exc: BaseException) -> str:
    """The first line of a driver's message (psycopg's primary message)."""
    message = getattr(getattr(exc, "diag", None), "message_primary", None) or str(exc)
    lines = str(message).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
