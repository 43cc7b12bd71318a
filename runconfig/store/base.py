"""The one narrow interface both engines implement.

The write side is used by :class:`runconfig.Run` (one process writes a run); the read
side by :class:`runconfig.Api` and the CLI (any process, while runs are being written).
Every write method is one transaction, committed before it returns.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runconfig._entries import Change

if TYPE_CHECKING:
    from runconfig.store._artifacts import ArtifactRecords
    from runconfig.store._sweeps import SweepRecords

__all__ = ["ArtifactData", "FileRecord", "OrderKey", "RunData", "RunStore", "SqlFragment"]


@dataclass
class RunData:
    """Everything stored about one run.

    ``config`` and ``summary`` are plain nested dicts (hidden ``_`` keys included);
    ``origins`` and ``descs`` map a dotted config path (``train.epochs``) to where its value
    came from and to its note from a defaults file. ``history`` is filled only on request.
    """

    id: str
    name: str
    project: str
    state: str = "running"
    group: str | None = None
    job_type: str | None = None
    tags: list[str] = field(default_factory=list)
    notes: str | None = None
    created_at: str = ""
    updated_at: str = ""
    finished_at: str | None = None
    heartbeat_at: str | None = None
    exit_code: int | None = None
    error_type: str | None = None
    error_message: str | None = None
    host: str | None = None
    user: str | None = None
    pid: int | None = None
    pid_started: str | None = None
    python: str | None = None
    program: str | None = None
    argv: list[str] = field(default_factory=list)
    cwd: str | None = None
    git_commit: str | None = None
    git_dirty: bool | None = None
    entity: str | None = None
    sweep: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    descs: dict[str, str] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] | None = None
    rid: int | None = None


@dataclass
class ArtifactData:
    """One stored artifact version. ``manifest`` maps each file's path in the artifact to
    ``{"digest": <base64 MD5>, "sha256": ..., "size": ...}`` (``{"ref": uri, "digest": ...}``
    for a reference); ``logged_by`` is the id of the run that logged it."""

    project: str
    name: str
    type: str
    digest: str
    manifest: dict[str, dict[str, Any]]
    version: int = -1
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    size: int = 0
    file_count: int = 0
    created_at: str = ""
    rid: int | None = None
    aid: int | None = None
    aliases: list[str] = field(default_factory=list)
    logged_by: str | None = None


@dataclass(frozen=True)
class FileRecord:
    """A file of a run's folder, as the store records it."""

    path: str
    kind: str
    size: int
    sha256: str
    created_at: str


@dataclass(frozen=True)
class SqlFragment:
    """A piece of SQL with its bound parameters, in the engine's placeholder style.

    The text refers to the runs table as ``r``; only :mod:`runconfig.query` builds these
    from user input, and user text only ever reaches SQL through ``params``.
    """

    sql: str
    params: tuple[Any, ...] = ()
    # Sub-selects ``SELECT e.rid FROM rc_entries e WHERE ...``, each over one index range
    # and each holding every run the fragment matches: a store may count them and start
    # from the smallest when it is small (a rare predicate), instead of testing every run.
    narrowing: tuple[SqlFragment, ...] = ()


@dataclass(frozen=True)
class OrderKey:
    """Sort by a config or summary path, or a run column. Missing values sort last."""

    section: str  # "c" config, "s" summary, "r" run column
    path: str  # dotted path (see runconfig._paths), or the run field name for "r"
    descending: bool = False


class RunStore(abc.ABC):
    """A place where runs are kept: an SQLite file or a PostgreSQL database."""

    dialect: str  # "sqlite" or "postgresql"
    location: str  # shown in messages: a file path or a URL without password

    # -- write side -------------------------------------------------------------------
    @abc.abstractmethod
    def create_run(self, run: RunData) -> RunData:
        """Insert a new run with its initial config, origins and summary.

        If ``run.name`` is already taken in the project, a numeric suffix is added.
        Returns the run as stored (``rid`` set, final ``name``).
        """

    @abc.abstractmethod
    def write_changes(self, rid: int, section: str, changes: Sequence[Change]) -> None:
        """Apply config (``"c"``) or summary (``"s"``) changes in one transaction."""

    def write_new_keys(
        self, rid: int, section: str, keys: list[str], values: list[Any], origin: str
    ) -> None:
        """Add top-level ``keys`` the run does not have, ``values`` scalars, all from
        ``origin``: :meth:`write_changes` of their changes, which a store may do without
        building them (the many-keys ``update()`` comes here)."""
        changes = [Change((k,), v, origin) for k, v in zip(keys, values, strict=True)]
        self.write_changes(rid, section, changes)

    @abc.abstractmethod
    def write_log(
        self, rid: int, step: int, data: dict[str, Any], summary: Sequence[Change]
    ) -> None:
        """Append one history row and update the summary, in one transaction."""

    @abc.abstractmethod
    def update_run(self, rid: int, **fields: Any) -> None:
        """Set run fields (``state``, ``finished_at``, ``exit_code``, ``tags``, ...)."""

    @abc.abstractmethod
    def heartbeat(self, rid: int) -> None:
        """Record that the run is alive (``heartbeat_at = now``)."""

    def own(self, rid: int, host: str, pid: int) -> None:  # noqa: B027 (optional)
        """This store writes run ``rid`` for process ``pid`` of ``host``: writes after
        another process took the run over are refused (a store may ignore this)."""

    def record_file(self, rid: int, path: str, kind: str, size: int, sha256: str) -> None:
        """Record (or update) a file of the run's folder: ``path`` relative to it."""
        raise NotImplementedError(f"{type(self).__name__} keeps no file records")

    def list_files(self, rid: int) -> list[FileRecord]:
        """The files recorded for a run, by path."""
        raise NotImplementedError(f"{type(self).__name__} keeps no file records")

    @property
    def artifacts(self) -> ArtifactRecords:
        """The artifact versions kept in this store."""
        raise NotImplementedError(f"{type(self).__name__} keeps no artifacts")

    @property
    def sweeps(self) -> SweepRecords:
        """The sweeps kept in this store, and their trials."""
        raise NotImplementedError(f"{type(self).__name__} keeps no sweeps")

    @abc.abstractmethod
    def bulk_insert(self, runs: Iterable[RunData]) -> int:
        """Insert many complete runs fast (imports, benchmarks). Returns how many."""

    # -- read side --------------------------------------------------------------------
    @abc.abstractmethod
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
        """Runs matching ``where``, sorted by ``order`` (then newest first).

        A read ends within ``timeout`` seconds or raises ``QueryError``: None for the
        default (``RUNCONFIG_QUERY_TIMEOUT``, else 30 s), 0 for no limit."""

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
        config without its hidden top-level keys."""
        raise NotImplementedError(f"{type(self).__name__} cannot read trees")

    def count_runs(
        self,
        *,
        project: str | None = None,
        where: SqlFragment | None = None,
        timeout: float | None = None,
    ) -> int:
        """How many runs match ``where`` (in ``project``)."""
        raise NotImplementedError(f"{type(self).__name__} cannot count runs")

    def projects(self) -> list[tuple[str, int, str]]:
        """Each project with its number of runs and its newest run's start, by name."""
        raise NotImplementedError(f"{type(self).__name__} cannot list projects")

    @abc.abstractmethod
    def get_run(
        self,
        id_or_name: str,
        project: str | None = None,
        *,
        with_history: bool = True,
        timeout: float | None = None,
    ) -> RunData | None:
        """One run by id, or by name (within ``project`` if given). None if absent.
        ``with_history=False`` leaves its history out (``RunData.history`` is None);
        ``timeout`` as for :meth:`find_runs`."""

    @abc.abstractmethod
    def delete_runs(self, rids: Sequence[int]) -> int:
        """Delete runs with their entries and history. Returns how many."""

    def ping(self) -> None:  # noqa: B027 - a store without a server has nothing to ask
        """Raise :class:`~runconfig.errors.StoreError` unless the store can be reached."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection(s)."""
