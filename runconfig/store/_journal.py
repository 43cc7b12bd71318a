"""A run's writes kept on this machine while its PostgreSQL server is out of reach.

One SQLite file per run and process, under ``RUNCONFIG_JOURNAL`` (default
``~/.runconfig/journal``), in a folder named after the store (a hash of its location):
``<journal>/<store hash>/<run id>-<pid>.db``. Each write is a row ``(seq, op, args)``
committed before the write call returns (WAL, ``synchronous=NORMAL``): the durability of
a write to the embedded SQLite store, which a killed process or a crash of the program
never loses (a power cut may take the last writes; ``synchronous=FULL`` would add an fsync,
~0.3 ms, to every write). Rows are sent to the server in ``seq`` order and deleted once
sent; every operation is idempotent (values set, rows replaced), so one sent twice (a
crash between the server's commit and the row's deletion) changes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from typing import Any

from runconfig._entries import REMOVED, Change

__all__ = ["Journal", "journal_files", "journal_root"]


def journal_root() -> str:
    """Where journals are kept: ``RUNCONFIG_JOURNAL``, else ``~/.runconfig/journal``."""
    configured = os.environ.get("RUNCONFIG_JOURNAL")
    if configured:
        return os.path.abspath(os.path.expanduser(configured))
    return os.path.join(os.path.expanduser("~"), ".runconfig", "journal")


def _folder(location: str) -> str:
    digest = hashlib.sha256(location.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return os.path.join(journal_root(), digest)


def journal_files(location: str) -> list[str]:
    """The journals of the store at ``location`` on this machine, oldest first."""
    folder = _folder(location)
    try:
        names = [n for n in os.listdir(folder) if n.endswith(".db")]
    except FileNotFoundError:
        return []
    paths = [os.path.join(folder, n) for n in names]
    return sorted(paths, key=os.path.getmtime)


_CHANGES = ("changes", "summary")  # the arguments that hold Change lists


def _pack(args: dict[str, Any]) -> str:
    """A write's arguments as JSON: each Change as ``[path, value, origin, desc, removed]``
    (values are JSON-safe already: only Changes need saying how to keep)."""
    packed = dict(args)
    for key in _CHANGES:
        changes = packed.get(key)
        if changes is not None:
            packed[key] = [
                [c.path, None, c.origin, c.desc, True]
                if c.value is REMOVED
                else [c.path, c.value, c.origin, c.desc, False]
                for c in changes
            ]
    return json.dumps(packed, allow_nan=True, ensure_ascii=False)


def _unpack(text: str) -> dict[str, Any]:
    args: dict[str, Any] = json.loads(text)
    for key in _CHANGES:
        changes = args.get(key)
        if changes is not None:
            args[key] = [
                Change(tuple(path), REMOVED if removed else value, origin, desc)
                for path, value, origin, desc, removed in changes
            ]
    return args


class Journal:
    """The journal of one run in one process (see the module)."""

    def __init__(self, location: str, run_id: str | None = None, path: str | None = None) -> None:
        if path is None:
            folder = _folder(location)
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, f"{run_id}-{os.getpid()}.db")
        self.path = path
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")  # as the SQLite store: see the module
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS ops (seq INTEGER PRIMARY KEY, op TEXT NOT NULL, "
            "args TEXT NOT NULL)"
        )
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS about (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
        )
        self._conn.execute("INSERT OR IGNORE INTO about VALUES ('location', ?)", (location,))

    def append(self, op: str, args: dict[str, Any]) -> None:
        """Keep one write (durable when this returns)."""
        self._conn.execute("INSERT INTO ops (op, args) VALUES (?, ?)", (op, _pack(args)))

    def pending(self) -> Iterator[tuple[int, str, dict[str, Any]]]:
        """The writes kept, in order: ``(seq, op, args)``."""
        for seq, op, text in self._conn.execute("SELECT seq, op, args FROM ops ORDER BY seq"):
            yield int(seq), op, _unpack(text)

    def done(self, seq: int) -> None:
        """Forget a write the server has."""
        self._conn.execute("DELETE FROM ops WHERE seq = ?", (seq,))

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM ops").fetchone()[0])

    def close(self, remove_if_empty: bool = True) -> None:
        empty = len(self) == 0
        self._conn.close()
        if empty and remove_if_empty:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path + suffix)
