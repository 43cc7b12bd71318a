"""Where runs are kept: an SQLite file (the default) or a PostgreSQL database.

>>> store = open_store()                       # .runconfig/runs.db, found like git finds .git
>>> store = open_store("sqlite:///runs.db")    # relative; sqlite:////abs/runs.db is absolute
>>> store = open_store("postgresql://me@db:5432/ml?schema=team")

See :func:`resolve_location` for how the location is found and
:class:`~runconfig.store.base.RunStore` for what a store does.
"""

from __future__ import annotations

import os

from runconfig.errors import StoreError
from runconfig.store.base import ArtifactData, FileRecord, OrderKey, RunData, RunStore, SqlFragment

__all__ = [
    "ENV_VAR",
    "ArtifactData",
    "FileRecord",
    "OrderKey",
    "RunData",
    "RunStore",
    "SqlFragment",
    "open_store",
    "resolve_location",
]

ENV_VAR = "RUNCONFIG_STORE"
STORE_DIR = ".runconfig"
STORE_FILE = "runs.db"
_POSTGRES = ("postgresql://", "postgres://")
_SQLITE = "sqlite:"


def resolve_location(
    location: str | os.PathLike[str] | None = None, *, dir: str | os.PathLike[str] | None = None
) -> str:
    """The store to use, as a path or URL.

    In order: ``location``; the environment variable ``RUNCONFIG_STORE``; the nearest
    ``.runconfig/runs.db`` in the working directory or one of its parents; else
    ``.runconfig/runs.db`` in ``dir`` (default: the working directory), which
    :func:`open_store` creates.
    """
    if location is not None and os.fspath(location) != "":
        return os.fspath(location)
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    here = os.getcwd()
    while True:
        candidate = os.path.join(here, STORE_DIR, STORE_FILE)
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
    base = os.getcwd() if dir is None else os.path.abspath(os.fspath(dir))
    return os.path.join(base, STORE_DIR, STORE_FILE)


def _sqlite_path(location: str) -> str:
    if not location.startswith(_SQLITE):
        return location
    # As in SQLAlchemy: sqlite:///runs.db is relative, sqlite:////tmp/runs.db absolute.
    if not location.startswith("sqlite:///") or len(location) == len("sqlite:///"):
        raise StoreError(
            f"cannot read the store URL {location!r}: write sqlite:///relative/path.db "
            "or sqlite:////absolute/path.db"
        )
    return location[len("sqlite:///") :]


def open_store(
    location: str | os.PathLike[str] | None = None,
    *,
    create: bool = True,
    readonly: bool = False,
) -> RunStore:
    """Open the store at ``location`` (see :func:`resolve_location` when None).

    A path or ``sqlite:///path`` opens an SQLite file, created with its folder if missing
    (unless ``create`` is false); ``postgresql://user@host:port/db`` a PostgreSQL database
    (``?schema=name`` keeps the tables in that schema). The tables are created or
    migrated on first open. ``readonly`` opens it for reading only: nothing is created,
    migrated or written (a missing store, an empty file, a store of an older runconfig
    are refused). Raises :class:`~runconfig.errors.StoreError`, naming the location, when
    the store cannot be opened.
    """
    where = resolve_location(location)
    if where.startswith(_POSTGRES):
        from runconfig.store.postgres import PostgresStore

        return PostgresStore(where, create=create and not readonly, readonly=readonly)
    from runconfig.store.sqlite import SQLiteStore

    return SQLiteStore(_sqlite_path(where), create=create, readonly=readonly)
