"""The stores that runs of this process wrote to, kept open for the next run.

A run opens its store at ``init()`` and let it go at ``finish()``. Closing the last
connection to an SQLite file checkpoints its write-ahead log (about 1 ms, half of a short
run), and a PostgreSQL connection takes a few milliseconds to open: a process that runs
many runs in a loop (a sweep's agent, a notebook) would pay both every time. So a run
gives its store back here when it ends, healthy and with nothing pending, and the next
run of the process to the same location takes it. Every write is committed when its call
returns, kept or not: keeping a connection open changes no durability.

Stores kept idle are closed when the process exits; a child made by ``fork`` never uses
its parent's (the key holds the pid).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading

from runconfig.errors import StoreError
from runconfig.store.base import RunStore

__all__ = ["close_idle", "release", "take"]

KEEP = 4  # idle stores kept per location: runs alive at once in one process are few
KEEP_ALL = 8  # and in all: past it, those of the location used least recently are closed

_idle: dict[tuple[int, str], list[RunStore]] = {}
_lock = threading.Lock()


def _key(location: str) -> tuple[int, str]:
    # A relative path is the file it names now: the process may change its folder.
    path = location if "://" in location else os.path.abspath(os.path.expanduser(location))
    return os.getpid(), path


def take(location: str) -> RunStore | None:
    """An idle store of ``location`` opened by this process, or None. It is checked first
    (:meth:`~runconfig.store.base.RunStore.ping`): a PostgreSQL server may have restarted
    since (one round trip), an SQLite file may have been deleted, replaced or damaged
    (a stat and the check at open, ~10 µs)."""
    while True:
        with _lock:
            kept = _idle.get(_key(location))
            store = kept.pop() if kept else None
        if store is None:
            return None
        try:
            store.ping()
            return store
        except StoreError:
            with contextlib.suppress(Exception):
                store.close()


def release(location: str, store: RunStore) -> None:
    """Keep ``store`` for the next run to ``location``, or close it if it cannot be kept."""
    forget = getattr(store, "forget_runs", None)
    to_close: list[RunStore] = [store]
    readonly = getattr(store, "readonly", False)  # a reading store is never a run's
    if forget is not None and not getattr(store, "_closed", True) and not readonly:
        forget()
        key = _key(location)
        with _lock:
            kept = _idle.pop(key, [])  # and back in last: the most recently used
            if len(kept) < KEEP:
                kept.append(store)
                to_close = []
            _idle[key] = kept
            while sum(map(len, _idle.values())) > KEEP_ALL:
                to_close += _idle.pop(next(iter(_idle)))
    for old in to_close:
        with contextlib.suppress(StoreError):
            old.close()


@atexit.register
def close_idle(location: str | None = None) -> None:
    """Close the idle stores of ``location`` (None: all of them)."""
    with _lock:
        keys = [k for k in _idle if location is None or k == _key(location)]
        stores = [s for k in keys for s in _idle.pop(k) if k[0] == os.getpid()]
    for store in stores:
        with contextlib.suppress(Exception):
            store.close()
