"""A live run's PostgreSQL store that outlives its server going away for a while.

Every write of the run (config sets and updates, ``log()`` rows and summaries, file
records, the final state) goes to the server; when the connection is lost, that write
and every one after it go to the run's :class:`~runconfig.store._journal.Journal` on this
machine instead, durable when the call returns, and the training script sees no
exception. A thread reconnects with backoff (0.5 s, doubling, up to 10 s) and sends the
journal in order; once it is empty, writes go to the server again. Heartbeats are not
kept: the first one after the server is back says the run is alive (and running again,
if a reader marked it crashed meanwhile).

At :meth:`close` (``finish()``), what is still kept is sent if the server comes back
within ``RUNCONFIG_SYNC_WAIT`` seconds (default 10); otherwise one line on stderr says
where it is and that ``runconfig sync`` (or the next run of this machine on the store)
sends it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from runconfig._entries import Change
from runconfig._term import termwarn
from runconfig.errors import StoreError
from runconfig.store._journal import Journal, journal_files, journal_root
from runconfig.store.base import FileRecord, OrderKey, RunData, RunStore, SqlFragment

__all__ = ["ResilientStore", "is_disconnect", "sync_journals"]

BACKOFF = (0.5, 10.0)  # first wait and longest wait between reconnections, in seconds


# SQLSTATEs of a server going away: the connection's class (08), and a server shutting
# down, crashing or starting (57P01-57P03). Other operational errors (a statement timeout,
# a value too large for an index, a full disk on the server) refuse the write itself:
# keeping it to send again would fail again, so the run is told instead.
_GONE = ("57P01", "57P02", "57P03")


def is_disconnect(error: BaseException) -> bool:
    """Whether a store error means the server is out of reach (not a refused write)."""
    cause = error.__cause__ if isinstance(error, StoreError) else error
    if cause is None:
        return False
    try:
        import psycopg
    except ImportError:
        return False
    if isinstance(cause, psycopg.InterfaceError):  # the connection is closed
        return True
    if not isinstance(cause, psycopg.OperationalError):
        return False
    state = cause.sqlstate  # None: the client lost the connection, or could not make one
    return state is None or state.startswith("08") or state in _GONE


class ResilientStore(RunStore):
    """A PostgreSQL store, for the run that writes to it (see the module)."""

    dialect = "postgresql"

    def __init__(
        self,
        inner: RunStore,
        reopen: Callable[[], RunStore],
        release: Callable[[RunStore], None] | None = None,
    ) -> None:
        self._inner = inner
        self._reopen = reopen
        self._release = release  # what to do with a healthy connection at close
        self.location = inner.location
        self._lock = threading.RLock()  # writes and the journal's order
        self._broken = False  # the connection of _inner was lost: a new store is needed
        self._journal: Journal | None = None
        self._kept = 0  # writes in the journal
        self._run_id = "run"
        self._owned: tuple[int, str, int] | None = None
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None

    def bind(self, run_id: str) -> None:
        """The id of the run, which names its journal."""
        self._run_id = run_id

    def own(self, rid: int, host: str, pid: int) -> None:
        self._owned = (rid, host, pid)
        self._inner.own(rid, host, pid)

    # -- writes ---------------------------------------------------------------------------
    def _write(self, op: str, args: dict[str, Any]) -> None:
        with self._lock:
            if self._kept:  # keep the order: after what is waiting
                self._keep(op, args)
                return
            try:
                _apply(self._inner, op, args)
            except StoreError as e:
                if not is_disconnect(e):
                    raise
                self._broken = True
                self._keep(op, args)

    def _keep(self, op: str, args: dict[str, Any]) -> None:
        try:
            if self._journal is None:
                self._journal = Journal(self.location, self._run_id)
            self._journal.append(op, args)
        except (OSError, sqlite3.Error) as e:
            where = self._journal.path if self._journal is not None else journal_root()
            raise StoreError(
                f"{self.location} is out of reach, and the journal that keeps the run's "
                f"writes meanwhile cannot keep this one ({where}: {e})"
            ) from e
        self._kept += 1
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._send_loop, name="runconfig-journal", daemon=True
            )
            self._thread.start()  # it retries on its own schedule: writes do not wake it

    def create_run(self, run: RunData) -> RunData:
        return self._inner.create_run(run)

    def write_changes(self, rid: int, section: str, changes: Sequence[Change]) -> None:
        self._write("write_changes", {"rid": rid, "section": section, "changes": list(changes)})

    def write_new_keys(
        self, rid: int, section: str, keys: list[str], values: list[Any], origin: str
    ) -> None:
        self._write(
            "write_new_keys",
            {"rid": rid, "section": section, "keys": keys, "values": values, "origin": origin},
        )

    def write_log(
        self, rid: int, step: int, data: dict[str, Any], summary: Sequence[Change]
    ) -> None:
        self._write("write_log", {"rid": rid, "step": step, "data": data, "summary": list(summary)})

    def update_run(self, rid: int, **fields: Any) -> None:
        self._write("update_run", {"rid": rid, "fields": fields})

    def record_file(self, rid: int, path: str, kind: str, size: int, sha256: str) -> None:
        self._write(
            "record_file",
            {"rid": rid, "path": path, "kind": kind, "size": size, "sha256": sha256},
        )

    def heartbeat(self, rid: int) -> None:
        with self._lock:
            if self._kept:
                return  # the server is away: the first beat after it comes back says it
            try:
                self._inner.heartbeat(rid)
            except StoreError as e:
                if not is_disconnect(e):
                    raise
                self._broken = True

    # -- sending what was kept ----------------------------------------------------------------
    def _send_loop(self) -> None:
        wait = BACKOFF[0]
        while True:
            if self._send():
                return
            if self._closing.is_set():
                return
            self._wake.wait(wait)
            self._wake.clear()
            wait = min(wait * 2, BACKOFF[1])

    def _send(self) -> bool:
        """Reconnect if need be and send the journal; True once it is empty."""
        journal = self._journal
        if journal is None:
            return True
        if not self._reconnect():
            return False
        while True:
            with self._lock:
                head = next(journal.pending(), None)
                if head is None:
                    self._kept = 0
                    return True
                seq, op, args = head
                try:
                    _apply(self._inner, op, args)
                except StoreError as e:
                    if is_disconnect(e):
                        self._broken = True
                        return False
                    termwarn(f"a kept write of run {self._run_id} was refused, dropped: {e}")
                journal.done(seq)
                self._kept = max(self._kept - 1, 0)

    def _reconnect(self) -> bool:
        """A store whose connection works, opened again if it was lost; False while the
        server cannot be reached. The attempt is made outside the lock: writes go on to
        the journal meanwhile, however long the server takes to answer."""
        if not self._broken:
            return True
        try:
            fresh = self._reopen()
        except StoreError:
            return False
        if self._owned is not None:
            fresh.own(*self._owned)
        with self._lock:
            lost, self._inner = self._inner, fresh
            self._broken = False
        with contextlib.suppress(Exception):
            lost.close()
        return True

    # -- reads and the rest: the server's ----------------------------------------------------
    def bulk_insert(self, runs: Iterable[RunData]) -> int:
        return self._inner.bulk_insert(runs)

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
        return self._inner.find_runs(
            project=project,
            where=where,
            order=order,
            limit=limit,
            with_history=with_history,
            timeout=timeout,
            offset=offset,
        )

    def find_trees(
        self,
        *,
        project: str | None = None,
        where: SqlFragment | None = None,
        order: Sequence[OrderKey] = (),
        limit: int | None = None,
        timeout: float | None = None,
    ) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
        return self._inner.find_trees(
            project=project, where=where, order=order, limit=limit, timeout=timeout
        )

    def count_runs(
        self,
        *,
        project: str | None = None,
        where: SqlFragment | None = None,
        timeout: float | None = None,
    ) -> int:
        return self._inner.count_runs(project=project, where=where, timeout=timeout)

    def projects(self) -> list[tuple[str, int, str]]:
        return self._inner.projects()

    def get_run(
        self,
        id_or_name: str,
        project: str | None = None,
        *,
        with_history: bool = True,
        timeout: float | None = None,
    ) -> RunData | None:
        return self._inner.get_run(id_or_name, project, with_history=with_history, timeout=timeout)

    def delete_runs(self, rids: Sequence[int]) -> int:
        return self._inner.delete_runs(rids)

    def list_files(self, rid: int) -> list[FileRecord]:
        return self._inner.list_files(rid)

    @property
    def artifacts(self) -> Any:
        return self._inner.artifacts

    @property
    def sweeps(self) -> Any:
        return self._inner.sweeps

    @property
    def kept(self) -> int:
        """How many writes wait in the journal."""
        return self._kept

    def close(self) -> None:
        """Send what is kept (waiting up to ``RUNCONFIG_SYNC_WAIT`` seconds for the server),
        say where the rest is, and let go of the connection."""
        wait = float(os.environ.get("RUNCONFIG_SYNC_WAIT", "10"))
        if self._kept and self._thread is not None:
            self._wake.set()
            self._thread.join(timeout=wait)
        self._closing.set()
        self._wake.set()
        journal = self._journal
        if journal is not None:
            left = self._kept
            journal.close(remove_if_empty=True)
            if left:
                termwarn(
                    f"{self.location} is out of reach: the last {left} writes of run "
                    f"{self._run_id} are kept in {journal.path}; `runconfig sync --store "
                    f"{self.location}` sends them (so does the next run on this machine)"
                )
        if self._release is not None and not self._broken and not self._kept:
            self._release(self._inner)
            return
        with contextlib.suppress(StoreError):
            self._inner.close()


def _apply(store: RunStore, op: str, args: dict[str, Any]) -> None:
    """One write, as kept in a journal, on ``store``."""
    if op == "update_run":
        store.update_run(args["rid"], **args["fields"])
    elif op == "write_changes":
        store.write_changes(args["rid"], args["section"], args["changes"])
    elif op == "write_new_keys":
        store.write_new_keys(
            args["rid"], args["section"], args["keys"], args["values"], args["origin"]
        )
    elif op == "write_log":
        store.write_log(args["rid"], args["step"], args["data"], args["summary"])
    elif op == "record_file":
        store.record_file(args["rid"], args["path"], args["kind"], args["size"], args["sha256"])
    else:
        raise StoreError(f"a journal holds an unknown write {op!r}")


def sync_journals(store: RunStore, *, skip_live: bool = True) -> tuple[int, int]:
    """Send the journals this machine keeps for ``store`` (those of processes still running
    are theirs to send, unless ``skip_live`` is false). Returns ``(journals, writes)`` sent."""
    journals = writes = 0
    for path in journal_files(store.location):
        pid = _pid_of(path)
        if skip_live and pid is not None and pid != os.getpid() and _alive(pid):
            continue
        journal = Journal(store.location, path=path)
        try:
            for seq, op, args in list(journal.pending()):
                _apply(store, op, args)
                journal.done(seq)
                writes += 1
        finally:
            journal.close(remove_if_empty=True)
        journals += 1
    return journals, writes


def _pid_of(path: str) -> int | None:
    stem = os.path.basename(path)[: -len(".db")]
    tail = stem.rpartition("-")[2]
    return int(tail) if tail.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True
