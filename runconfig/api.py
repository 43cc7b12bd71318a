"""The read side: find runs by their config, compare them, export them.

>>> api = runconfig.Api()
>>> runs = api.runs(project="mnist", where="lr < 0.01 and optimizer == 'adam'",
...                 order="-summary.acc", limit=50)
>>> df = runs.to_pandas()          # config.* and summary.* columns
>>> runconfig.diff(runs[:3])       # only the keys whose values differ
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, overload

from runconfig._paths import format_path
from runconfig.errors import RunconfigError
from runconfig.store import RunData, RunStore, open_store

__all__ = ["MISSING", "Api", "RunList", "RunNotFoundError", "RunRecord", "diff", "flatten"]


class RunNotFoundError(RunconfigError, KeyError):
    """No run has that id or name."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class _MissingValue:
    __slots__ = ()

    def __repr__(self) -> str:
        return "missing"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _MissingValue()
"""Stands in a :func:`diff` for the value of a key that a run lacks."""


@dataclass(frozen=True)
class RunRecord:
    """One stored run, read as attributes: ``r.config``, ``r.summary``, ``r.state``.

    ``config`` is a plain nested dict (hidden ``_`` keys left out); ``origins`` maps each
    dotted key to where its value came from. A failed run keeps ``error_type`` and
    ``error_message``.
    """

    id: str
    name: str
    project: str
    state: str
    config: dict[str, Any]
    summary: dict[str, Any]
    tags: list[str] = field(default_factory=list)
    group: str | None = None
    job_type: str | None = None
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
    python: str | None = None
    program: str | None = None
    argv: list[str] = field(default_factory=list)
    cwd: str | None = None
    git_commit: str | None = None
    git_dirty: bool | None = None
    origins: dict[str, str] = field(default_factory=dict)
    descs: dict[str, str] = field(default_factory=dict)
    history: list[dict[str, Any]] | None = field(default=None, repr=False)

    @classmethod
    def from_data(cls, data: RunData) -> RunRecord:
        values = {f.name: getattr(data, f.name) for f in fields(cls)}
        values["config"] = {k: v for k, v in data.config.items() if not k.startswith("_")}
        values["origins"] = {k: v for k, v in data.origins.items() if not k.startswith("_")}
        return cls(**values)

    @property
    def command(self) -> str:
        """The command line the run was started with, quoted for a POSIX shell."""
        import shlex

        if not self.argv:
            return ""
        return "python " + " ".join(shlex.quote(a) for a in self.argv)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the run (without its history)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "history"}
        return out

    def __repr__(self) -> str:
        return f"<RunRecord {self.name} ({self.id}) project={self.project!r} state={self.state}>"


class RunList(Sequence[RunRecord]):
    """The runs an :meth:`Api.runs` call found, in order."""

    def __init__(self, records: Iterable[RunRecord]) -> None:
        self._records = list(records)

    @overload
    def __getitem__(self, i: int) -> RunRecord: ...
    @overload
    def __getitem__(self, i: slice) -> RunList: ...
    def __getitem__(self, i: int | slice) -> RunRecord | RunList:
        if isinstance(i, slice):
            return RunList(self._records[i])
        return self._records[i]

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[RunRecord]:
        return iter(self._records)

    def __repr__(self) -> str:
        names = ", ".join(r.name for r in self._records[:5])
        more = f", ... ({len(self)} runs)" if len(self) > 5 else ""
        return f"RunList([{names}{more}])"

    def to_pandas(self) -> Any:
        """A DataFrame: one row per run; run fields, then ``config.<path>`` and
        ``summary.<path>`` columns (paths written as queries write them: a literal key
        ``a.b`` is ``config.`a.b```). Numeric columns are numeric.
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "RunList.to_pandas() needs pandas: pip install 'runconfig[pandas]'"
            ) from None
        rows = []
        for r in self._records:
            row: dict[str, Any] = {
                "id": r.id,
                "name": r.name,
                "project": r.project,
                "state": r.state,
                "group": r.group,
                "job_type": r.job_type,
                "tags": list(r.tags),
                "created_at": r.created_at,
                "finished_at": r.finished_at,
            }
            row.update(flatten(r.config, "config"))
            row.update(flatten(r.summary, "summary"))
            rows.append(row)
        frame = pd.DataFrame.from_records(rows)
        for column in ("created_at", "finished_at"):
            if column in frame:
                frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
        return frame.infer_objects()

    def to_dicts(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self._records]


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"train": {"epochs": 4}}`` -> ``{"train.epochs": 4}`` (with ``prefix.`` first).

    Empty dicts stay as ``{}`` leaves; lists are leaves.
    """
    out: dict[str, Any] = {}

    def walk(node: Mapping[str, Any], path: tuple[str, ...]) -> None:
        for k, v in node.items():
            if isinstance(v, Mapping) and v:
                walk(v, (*path, k))
            else:
                key = format_path((*path, k))
                out[f"{prefix}.{key}" if prefix else key] = v

    walk(tree, ())
    return out


def _strict_equal(a: Any, b: Any) -> bool:
    """Type-strict equality: ``1`` and ``1.0`` differ, NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (a != a and b != b)
    if isinstance(a, list):
        return len(a) == len(b) and all(_strict_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_strict_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def _config_of(run: Any) -> Mapping[str, Any]:
    if isinstance(run, RunRecord):
        return run.config
    config = getattr(run, "config", None)
    if config is not None and hasattr(config, "as_dict"):
        return dict(config.as_dict())
    if hasattr(run, "as_dict"):
        return dict(run.as_dict())
    if isinstance(run, Mapping):
        return run
    raise TypeError(f"diff() takes runs, configs or dicts, got {type(run).__name__}")


def diff(
    runs: Iterable[Any], *, all: bool = False, ignore: Iterable[str] = ()
) -> dict[str, list[Any]]:
    """The config keys whose values differ across ``runs``, with each run's value.

    ``{"lr": [0.01, 0.001], "train.warmup": [100, MISSING]}``: one value per run, in
    order, :data:`MISSING` where a run lacks the key. Comparison is type-strict (``1``
    and ``1.0`` differ). ``all=True`` keeps equal keys too; ``ignore`` drops dotted keys
    (and everything below them). Runs may be records, live runs, configs or dicts.
    """
    flats = [flatten(_config_of(r)) for r in runs]
    skip = tuple(ignore)
    keys: dict[str, None] = {}
    for flat in flats:
        keys.update(dict.fromkeys(flat))
    out: dict[str, list[Any]] = {}
    for key in keys:
        if any(key == s or key.startswith(s + ".") for s in skip):
            continue
        values = [flat.get(key, MISSING) for flat in flats]
        first = values[0]
        same = all(
            (v is MISSING) == (first is MISSING)
            and (v is MISSING or _strict_equal(v, first))
            for v in values[1:]
        )
        if all or not same:
            out[key] = values
    return out


class Api:
    """Read runs from a store: the same store resolution as :func:`runconfig.init`.

    ``store`` is a path, ``sqlite:///path`` or ``postgresql://...``; default: the
    ``RUNCONFIG_STORE`` variable, else ``.runconfig/runs.db`` found walking up from the
    working directory.
    """

    def __init__(self, store: str | os.PathLike[str] | None = None) -> None:
        self._store: RunStore = open_store(store, create=False)

    @property
    def store(self) -> str:
        """Where the runs are read from."""
        return self._store.location

    def runs(
        self,
        project: str | None = None,
        where: str | None = None,
        order: str | Sequence[str] | None = None,
        limit: int | None = None,
        filters: Mapping[str, Any] | None = None,
        *,
        per_page: int | None = None,
    ) -> RunList:
        """Runs matching a query, sorted.

        ``where`` is the query language (``lr < 0.01 and optimizer == "adam"``);
        ``filters`` takes wandb's MongoDB-style filters for scripts that migrate;
        ``order`` is ``"summary.val_loss"``, ``"-summary.acc"`` or a list of them
        (missing values last). Default order: newest first.
        """
        from runconfig.query import And, compile_query, filters_to_query, parse_order, parse_query

        node = parse_query(where) if where else None
        if filters:
            fnode = filters_to_query(filters)
            node = fnode if node is None else And((node, fnode))
        fragment = compile_query(node, self._store.dialect) if node is not None else None
        keys = parse_order(order) if order else []
        found = self._store.find_runs(project=project, where=fragment, order=keys, limit=limit)
        return RunList(RunRecord.from_data(d) for d in found)

    def run(self, id_or_name: str, project: str | None = None) -> RunRecord:
        """One run by id or name (its history included)."""
        data = self._store.get_run(id_or_name, project)
        if data is None:
            where = f" in project {project!r}" if project else ""
            raise RunNotFoundError(f"no run with id or name {id_or_name!r}{where} in {self.store}")
        return RunRecord.from_data(data)

    def delete(self, runs: Iterable[RunRecord]) -> int:
        """Delete runs (with their config, summary and history). Returns how many."""
        ids = [r.id for r in runs]
        rids = []
        for run_id in ids:
            data = self._store.get_run(run_id)
            if data is not None and data.rid is not None:
                rids.append(data.rid)
        return self._store.delete_runs(rids)

    def set_tags(self, run: RunRecord, tags: Sequence[str]) -> RunRecord:
        """Replace a run's tags."""
        data = self._store.get_run(run.id)
        if data is None or data.rid is None:
            raise RunNotFoundError(f"no run with id {run.id!r} in {self.store}")
        self._store.update_run(data.rid, tags=list(dict.fromkeys(tags)))
        return self.run(run.id)

    def import_runs(self, runs: Iterable[RunData]) -> int:
        """Bulk-insert complete runs (imports, benchmarks): thousands per second."""
        return self._store.bulk_insert(runs)

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
