"""The read side: find runs by their config, compare them, export them.

>>> api = runconfig.Api()
>>> runs = api.runs(project="mnist", where="lr < 0.01 and optimizer == 'adam'",
...                 order="-summary.acc", limit=50)
>>> df = runs.to_pandas()          # config.* and summary.* columns
>>> runconfig.diff(runs[:3])       # only the keys whose values differ
>>> print(runs[0].export("yaml"))  # a file that init(config=...) reads back exactly
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import gc
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, overload

from runconfig._entries import without_hidden
from runconfig._paths import format_path, format_segment
from runconfig.errors import ConfigValueError, QueryError, RunconfigError, StoreError, did_you_mean
from runconfig.store import (
    ENV_VAR,
    FileRecord,
    OrderKey,
    RunData,
    RunStore,
    open_store,
    resolve_location,
)
from runconfig.values import surrogate_at

if TYPE_CHECKING:
    import yaml

    from runconfig.artifacts import Artifact
    from runconfig.store.base import SqlFragment

__all__ = [
    "EXPORT_FORMATS",
    "MISSING",
    "Api",
    "RunConfig",
    "RunList",
    "RunNotFoundError",
    "RunRecord",
    "SweepRecord",
    "diff",
    "flatten",
]

EXPORT_FORMATS = ("yaml", "json", "wandb")
"""The formats of :meth:`RunRecord.export`."""

# Run fields of a RunList's DataFrame, before the config.* and summary.* columns.
_FRAME_FIELDS = (
    "id",
    "name",
    "project",
    "state",
    "group",
    "job_type",
    "tags",
    "created_at",
    "finished_at",
    "exit_code",
    "error_type",
    "error_message",
)
_IMPORT_BATCH = 500  # runs checked for existing ids at a time in import_runs


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
    dotted key to where its value came from, ``descs`` to its note from a defaults file.
    A failed run keeps ``error_type`` and ``error_message``.
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
    entity: str | None = None
    sweep: str | None = None
    """The sweep this run is a trial of (its id), else None."""
    meta: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    descs: dict[str, str] = field(default_factory=dict)
    history: list[dict[str, Any]] | None = field(default=None, repr=False)
    store: str | None = field(default=None, repr=False, compare=False)
    """The store the run was read from: what :meth:`logged_artifacts` and the like read."""

    @classmethod
    def from_data(cls, data: RunData, store: str | None = None) -> RunRecord:
        """The record of a run as a store returns it (``store``: where it was read)."""
        # Built field by field, not through __init__: a frozen dataclass sets each field
        # with object.__setattr__, which is most of the time of a run read back.
        values = data.__dict__.copy()  # RunData's fields, and two that a record lacks
        del values["rid"], values["pid_started"]
        values["store"] = store
        for name in ("config", "origins", "descs"):
            tree = values[name]
            values[name] = without_hidden(tree)
        if data.history is not None:
            values["history"] = History(data.history, run_dir(data, store))
        record = object.__new__(cls)
        object.__setattr__(record, "__dict__", values)
        return record

    def scan_history(
        self,
        keys: Sequence[str] | None = None,
        min_step: int | None = None,
        max_step: int | None = None,
        page_size: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The history rows one by one, media cells as objects (wandb's
        ``scan_history``); with ``keys``, the rows holding all of them, with just those."""
        if not isinstance(self.history, History):
            return iter(())
        return self.history.scan(keys, min_step, max_step)

    @property
    def command(self) -> str:
        """The command line the run was started with, quoted for a POSIX shell.

        ``""`` when the run did not record its arguments.
        """
        import shlex

        if not self.argv:
            return ""
        return "python " + " ".join(shlex.quote(a) for a in self.argv)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the run (without its history)."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in ("history", "store")
        }

    def files(self) -> list[FileRecord]:
        """The files of the run's folder that the store recorded (path, kind, size,
        sha256); :func:`runconfig.restore` brings one back."""
        store = open_store(self.store, readonly=True)
        try:
            data = store.get_run(self.id, with_history=False)
            return store.list_files(data.rid) if data is not None and data.rid is not None else []
        finally:
            store.close()

    def logged_artifacts(self) -> list[Artifact]:
        """The artifact versions this run logged."""
        return self._artifacts(used=False)

    def used_artifacts(self) -> list[Artifact]:
        """The artifact versions this run used."""
        return self._artifacts(used=True)

    def _artifacts(self, used: bool) -> list[Artifact]:
        from runconfig._places import objects_root
        from runconfig.artifacts import Artifact

        store = open_store(self.store, readonly=True)
        try:
            data = store.get_run(self.id, with_history=False)
            if data is None or data.rid is None:
                return []
            objects = objects_root(store.location)
            location = self.store or store.location
            return [
                Artifact._from_stored(a, location, objects)
                for a in store.artifacts.of_run(data.rid, used)
            ]
        finally:
            store.close()

    def export(self, format: str = "yaml") -> str:
        """The run's config as the text of a file that ``init(config=FILE)`` reads back
        exactly, types included (``2.0`` stays a float, NaN and infinities survive).

        ``"yaml"``: plain YAML (``lr: 0.1``); ``"json"``: JSON, with NaN and infinities
        spelled ``NaN`` / ``Infinity`` as Python's json reads them (name the file
        ``*.json``); ``"wandb"``: wandb's ``config.yaml`` form, each top-level key as
        ``{desc: ..., value: ...}`` with the run's notes. A config whose plain form would
        read as wandb's form (every top-level value a ``{value: ...}`` dict) is written in
        wandb's form, which reads back the same. Raises ``ConfigValueError`` for a config
        with a top-level ``wandb_version`` key, which config files reserve.
        """
        if format not in EXPORT_FORMATS:
            raise ValueError(f"unknown export format {format!r}: use one of {EXPORT_FORMATS}")
        config = self.config
        if "wandb_version" in config:
            raise ConfigValueError(
                f"run {self.name} ({self.id}) has a top-level config key 'wandb_version', "
                "which config files reserve for wandb's form: it cannot be written as a "
                "file that init(config=...) reads back"
            )
        if format == "wandb" or _reads_as_wandb_form(config):
            data: dict[str, Any] = {"wandb_version": 1}
            for key, value in config.items():
                data[key] = {"desc": self.descs.get(format_path((key,))), "value": value}
        else:
            data = config
        if format == "json":
            return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        return _dump_yaml(data)

    def __repr__(self) -> str:
        return f"<RunRecord {self.name} ({self.id}) project={self.project!r} state={self.state}>"


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while runs are read back: they are
    thousands of new dicts and lists with no cycle among them, and the collections that
    their allocations would trigger take a tenth of the time."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _reads_as_wandb_form(config: Mapping[str, Any]) -> bool:
    """Whether a config file of this plain content would be read in wandb's form.

    Mirrors :func:`runconfig.sources.read_file`: ``_wandb`` aside, every top-level value is
    a dict with a ``value`` key and no key but ``value`` and ``desc``.
    """
    entries = [v for k, v in config.items() if k != "_wandb"]
    return bool(entries) and builtins.all(
        isinstance(e, dict) and "value" in e and e.keys() <= {"value", "desc"} for e in entries
    )


# YAML 1.2 floats without a dot (1e-5): runconfig's loader reads them as floats, so a
# string spelled like one must be quoted when written.
_EXPONENT_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)[eE][-+]?[0-9]+$")


@functools.cache
def _yaml_dumper() -> type[yaml.SafeDumper]:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
        flat = builtins.all(not isinstance(v, (dict, list)) for v in data)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)

    Dumper.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT_FLOAT, list("-+.0123456789"))
    Dumper.add_representer(list, represent_list)
    return Dumper


def _dump_yaml(data: Any) -> str:
    import yaml

    text: str = yaml.dump(
        data, Dumper=_yaml_dumper(), sort_keys=False, allow_unicode=True, default_flow_style=False
    )
    return text


def yaml_scalar(value: Any) -> str:
    """One value as YAML writes it on one line (``0.1``, ``'1e-5'``, ``[64, 64]``, ``.nan``)."""
    import yaml

    text: str = yaml.dump(
        value, Dumper=_yaml_dumper(), default_flow_style=True, allow_unicode=True, width=10**9
    )
    if text.endswith("\n...\n"):
        text = text[: -len("\n...\n")]
    return text.strip()


class RunConfig(NamedTuple):
    """A run's id, name, config and summary (:meth:`Api.configs`)."""

    id: str
    name: str
    config: dict[str, Any]
    summary: dict[str, Any]


@dataclass(frozen=True)
class SweepRecord:
    """A sweep read back (:meth:`Api.sweep`): ``config`` is its file as parsed, ``runs``
    its runs best first by ``metric`` (empty when read without them), ``counts`` its
    trials per state; ``total`` a grid's size, ``run_cap`` the file's."""

    id: str
    name: str | None
    project: str
    state: str
    method: str
    config: dict[str, Any]
    runs: RunList
    counts: dict[str, int]
    seed: int = 0
    total: int | None = None
    run_cap: int | None = None
    metric: str | None = None
    goal: str = "minimize"

    def best_run(self, order: str | None = None) -> RunRecord | None:
        """The run with the best value of the sweep's metric (None before one has it).
        ``order`` is wandb's and ignored: the metric's goal decides."""
        best = self.runs[0] if self.runs else None
        return best if best is not None and self.metric_of(best) is not None else None

    def metric_of(self, run: RunRecord) -> float | None:
        """The run's value of the sweep's metric, if it is a number."""
        from runconfig.sweeps import metric_value

        return metric_value(run, self.metric)


class RunList(Sequence[RunRecord]):
    """The runs an :meth:`Api.runs` call found, in order. Slicing gives a RunList."""

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
        ``a.b`` is ``config.`a.b```). Numeric columns are numeric, times are datetimes.

        Built from the records in memory: the store was read once, by :meth:`Api.runs`.
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "RunList.to_pandas() needs pandas: pip install 'runconfig[pandas]'"
            ) from None
        with _collector_paused():
            return self._frame(pd)

    def _frame(self, pd: Any) -> Any:
        # Built a column at a time: each key is looked up in every run's tree by one list
        # comprehension, rather than each run's tree walked into a row of its own (10,000
        # runs: 3x faster). A run without a key has NaN there, as from rows.
        records = self._records
        columns: dict[str, list[Any]] = {
            name: [getattr(r, name) for r in records] for name in _FRAME_FIELDS
        }
        columns["tags"] = [list(r.tags) for r in records]
        _leaf_columns([r.config for r in records], "config.", columns)
        _leaf_columns([r.summary for r in records], "summary.", columns)
        frame = pd.DataFrame(columns, columns=list(columns))
        for column in ("created_at", "finished_at"):
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
        return frame.infer_objects()

    def to_dicts(self) -> list[dict[str, Any]]:
        """Every run as :meth:`RunRecord.to_dict` gives it."""
        return [r.to_dict() for r in self._records]


class History(list[dict[str, Any]]):
    """A run's history rows as stored: ``_step`` and the logged values, media as their
    references (``{"_type": "image-file", ...}``).

    Called, it answers as wandb's ``run.history()``: a pandas DataFrame (``pandas=False``:
    a list of dicts) with nested metrics as dotted columns and each media cell an object
    that opens its file (``.path``, ``.open()``, ``Table.to_pandas()``)::

        df = api.run("k3x9q2ab").history(keys=["val.acc"])
    """

    def __init__(self, rows: Iterable[dict[str, Any]], run_dir: str | None) -> None:
        super().__init__(rows)
        self.run_dir = run_dir

    def __call__(
        self,
        samples: int | None = None,
        keys: Sequence[str] | None = None,
        x_axis: str = "_step",
        pandas: bool = True,
        stream: str = "default",
    ) -> Any:
        rows = list(self.scan(keys))
        if samples is not None and 0 < samples < len(rows):
            every = len(rows) / samples
            rows = [rows[int(i * every)] for i in range(samples)]
        if not pandas:
            return rows
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "run.history() makes a pandas DataFrame: pip install 'runconfig[pandas]', or "
                "pass pandas=False"
            ) from None
        return pd.DataFrame(rows)

    def scan(
        self,
        keys: Sequence[str] | None = None,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Each row flat (``val.acc``), media as objects; see :meth:`__call__`."""
        for row in self:
            step = row.get("_step", 0)
            if (min_step is not None and step < min_step) or (
                max_step is not None and step >= max_step
            ):
                continue
            flat = _flat_row(row)
            if keys is not None:
                if not all(k in flat for k in keys):
                    continue
                flat = {k: flat[k] for k in ("_step", *keys) if k in flat}
            yield {k: self._cell(v) for k, v in flat.items()}

    def _cell(self, value: Any) -> Any:
        if isinstance(value, dict) and "_type" in value and self.run_dir is not None:
            from runconfig.media import is_ref, load

            if is_ref(value):
                return load(value, self.run_dir)
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return [self._cell(v) for v in value]
        return value


def _flat_row(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A history row with nested metrics as dotted keys (wandb's columns); a media
    reference (a dict with ``_type``) is one value."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict) and v and "_type" not in v:
            out.update(_flat_row(v, key))
        else:
            out[key] = v
    return out


def run_dir(data: RunData | RunRecord, store: str | None) -> str:
    """Where a run's folder is: as it recorded, else where runs of its store keep them."""
    recorded = data.meta.get("dir")
    if isinstance(recorded, str):
        return recorded
    from runconfig._places import files_root

    return os.path.join(files_root(store), data.id)


_LEAVES = frozenset({float, int, str, bool, list, type(None)})
_COLUMNS: dict[tuple[str, tuple[str, ...]], list[str]] = {}  # see _flatten_into


_ABSENT: Any = object()  # a run without the key (NaN in a frame)
_NAN = float("nan")


def _leaf_columns(trees: list[Any], head: str, out: dict[str, list[Any]]) -> None:
    """The columns of the leaves of ``trees`` (a tree or None per run) into ``out``, named
    as :func:`flatten` names them: a key holding a non-empty dict in some run is walked,
    and holds a column of its own too where some run has a leaf there."""
    keys: dict[str, None] = {}
    for tree in trees:
        if tree:
            keys.update(dict.fromkeys(tree))
    for key in keys:
        values = [_ABSENT if t is None else t.get(key, _ABSENT) for t in trees]
        below = [
            v if v and (type(v) is dict or (type(v) not in _LEAVES and isinstance(v, Mapping)))
            else None
            for v in values
        ]  # fmt: skip
        name = head + format_segment(key)
        if any(b is not None for b in below):
            leaves = [_ABSENT if b is not None else v for v, b in zip(values, below, strict=True)]
            if any(v is not _ABSENT for v in leaves):
                out[name] = [_NAN if v is _ABSENT else v for v in leaves]
            _leaf_columns(below, name + ".", out)
        else:
            out[name] = [_NAN if v is _ABSENT else v for v in values]


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"train": {"epochs": 4}}`` -> ``{"train.epochs": 4}`` (with ``prefix.`` first).

    Keys are written as the query language writes paths (``{"a.b": 1}`` -> ``"`a.b`"``).
    Empty dicts stay as ``{}`` leaves; lists are leaves.
    """
    out: dict[str, Any] = {}
    _flatten_into(out, tree, f"{prefix}." if prefix else "")
    return out


def _flatten_into(out: dict[str, Any], node: Mapping[str, Any], head: str) -> None:
    # Every leaf of 10,000 runs goes through here (to_pandas). A level of leaves only
    # (a summary, a section of a config) is copied in C under the column names of its
    # keys, which runs of a project share: made once, kept (up to 10,000 shapes).
    values = node.values()
    if _LEAVES.issuperset(map(type, values)):
        shape = (head, tuple(node))
        columns = _COLUMNS.get(shape)
        if columns is None:
            columns = [head + format_segment(k) for k in shape[1]]
            if len(_COLUMNS) < 10_000:
                _COLUMNS[shape] = columns
        out.update(zip(columns, values, strict=True))
        return
    for k, v in node.items():
        key = head + format_segment(k)
        t = type(v)
        if v and (t is dict or (t not in _LEAVES and isinstance(v, Mapping))):
            _flatten_into(out, v, key + ".")
        else:
            out[key] = v


def _strict_equal(a: Any, b: Any) -> bool:
    """Type-strict equality: ``1`` and ``1.0`` differ, NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (a != a and b != b)
    if isinstance(a, list):
        if len(a) != len(b):
            return False
        return builtins.all(_strict_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and builtins.all(_strict_equal(a[k], b[k]) for k in a)
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
    order, :data:`MISSING` where a run lacks the key. Keys are dotted paths as queries
    write them. Comparison is type-strict (``1`` and ``1.0`` differ, NaN equals NaN).
    ``all=True`` keeps equal keys too; ``ignore`` drops dotted keys (and everything below
    them). Runs may be records, live runs, configs or dicts.
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
        same = builtins.all(
            (v is MISSING) == (first is MISSING) and (v is MISSING or _strict_equal(v, first))
            for v in values[1:]
        )
        if all or not same:
            out[key] = values
    return out


def _no_store_message(given: str | os.PathLike[str] | None, location: str) -> str:
    create = "a run creates one (runconfig.init()), or name one with --store or RUNCONFIG_STORE"
    if given is not None and os.fspath(given) != "":
        return f"there is no runconfig store at {location}: check the path; {create}"
    if os.environ.get(ENV_VAR):
        return f"there is no runconfig store at {location} (from {ENV_VAR}); {create}"
    return (
        f"no runconfig store found: looked for .runconfig/runs.db in {os.getcwd()} and its "
        f"parents; {create}"
    )


def _sqlite_file(location: str) -> str | None:
    """The file of an SQLite location, or None for other stores and malformed URLs."""
    if location.startswith(("postgresql://", "postgres://")):
        return None
    if location.startswith("sqlite:"):
        if not location.startswith("sqlite:///") or location == "sqlite:///":
            return None  # open_store explains what is wrong with it
        location = location[len("sqlite:///") :]
    return os.path.abspath(os.path.expanduser(location))


def _not_text(what: str, text: str) -> str | None:
    """Why ``text``, a name to look for, cannot be in any store (a lone surrogate, which
    no UTF-8 spells: a byte that is not UTF-8, from the command line), or None."""
    at = surrogate_at(text) if isinstance(text, str) else -1
    if at < 0:
        return None
    return (
        f"the {what} {text!r} holds {text[at]!r} at index {at}, a lone surrogate, which is "
        "not text (a byte that is not UTF-8?)"
    )


def _validate_order(keys: Sequence[OrderKey], spec: str | Sequence[str]) -> None:
    from runconfig.store.schema import RUN_COLUMNS

    for key in keys:
        if key.section == "r" and key.path not in RUN_COLUMNS:
            raise QueryError(
                f"cannot sort by unknown run field 'run.{key.path}'"
                f"{did_you_mean(key.path, RUN_COLUMNS)}",
                spec if isinstance(spec, str) else "",
                None,
            )


class Api:
    """Read runs from a store: the same store resolution as :func:`runconfig.init`.

    ``store`` is a path, ``sqlite:///path`` or ``postgresql://...``; default: the
    ``RUNCONFIG_STORE`` variable, else ``.runconfig/runs.db`` found walking up from the
    working directory. Reading never creates a store: a missing one raises
    :class:`~runconfig.errors.StoreError` saying where it was looked for (``create=True``
    creates it, for imports). Close the Api, or use it as a context manager::

        with runconfig.Api() as api:
            best = api.runs(project="mnist", order="summary.val_loss", limit=1)[0]
    """

    def __init__(
        self, store: str | os.PathLike[str] | None = None, *, create: bool = False
    ) -> None:
        location = resolve_location(store)
        path = _sqlite_file(location)
        if not create and path is not None and not os.path.exists(path):
            raise StoreError(_no_store_message(store, path))
        self._location = location
        # Reading never writes: the store is opened for reading unless asked to create it
        # (imports), and a missing, empty or older store is refused rather than made.
        self._store: RunStore = open_store(location, create=create, readonly=not create)
        self._writable: RunStore | None = self._store if create else None

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
        timeout: float | None = None,
        offset: int = 0,
    ) -> RunList:
        """Runs matching a query, sorted.

        ``where`` is the query language (``lr < 0.01 and optimizer == "adam"``);
        ``filters`` takes wandb's MongoDB-style filters for scripts that migrate (both
        given: runs matching both); ``order`` is ``"summary.val_loss"``, ``"-summary.acc"``
        or a list of them (missing values last). Default order: newest first. ``per_page``
        is accepted for wandb's signature and ignored. One read of the store.

        ``timeout``: the seconds the read may take, past which it stops on the server too
        and raises :class:`~runconfig.errors.QueryError`. Default (None): the
        ``RUNCONFIG_QUERY_TIMEOUT`` variable, else 30 s; ``0``: no limit. ``offset``: skip
        that many of the sorted runs first (a page further on).
        """
        fragment, keys = self._compile(project, where, order, limit, offset, filters)
        with _collector_paused():
            found = self._store.find_runs(
                project=project, where=fragment, order=keys, limit=limit, timeout=timeout,
                offset=offset,
            )  # fmt: skip
            return RunList([RunRecord.from_data(d, self._location) for d in found])

    def configs(
        self,
        project: str | None = None,
        where: str | None = None,
        order: str | Sequence[str] | None = None,
        limit: int | None = None,
        *,
        timeout: float | None = None,
    ) -> list[RunConfig]:
        """The config and summary of each run :meth:`runs` would give (hidden ``_`` keys
        left out), and nothing else: the lean read behind charts of thousands of runs."""
        fragment, keys = self._compile(project, where, order, limit)
        with _collector_paused():
            found = self._store.find_trees(
                project=project, where=fragment, order=keys, limit=limit, timeout=timeout
            )
            return list(map(RunConfig._make, found))

    def count(
        self, project: str | None = None, where: str | None = None, *, timeout: float | None = None
    ) -> int:
        """How many runs match ``where`` (the query language) in ``project``."""
        fragment, _ = self._compile(project, where, None, None)
        return self._store.count_runs(project=project, where=fragment, timeout=timeout)

    def _compile(
        self,
        project: str | None,
        where: str | None,
        order: str | Sequence[str] | None,
        limit: int | None,
        offset: int = 0,
        filters: Mapping[str, Any] | None = None,
    ) -> tuple[SqlFragment | None, list[OrderKey]]:
        """The arguments of a read checked, its query compiled for the store, its order
        parsed: what :meth:`runs`, :meth:`configs` and :meth:`count` share."""
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be at least 0, got {limit}")
        if offset < 0:
            raise ValueError(f"offset must be at least 0, got {offset}")
        if project is not None and (problem := _not_text("project", project)):
            raise QueryError(problem)
        if not (where or filters or order):  # the query language costs an import
            return None, []
        from runconfig.query import And, compile_query, filters_to_query, parse_order, parse_query

        node = parse_query(where) if where else None
        if filters:
            fnode = filters_to_query(filters)
            node = fnode if node is None else And((node, fnode))
        fragment = compile_query(node, self._store.dialect) if node is not None else None
        keys = parse_order(order) if order else []
        _validate_order(keys, order or "")
        return fragment, keys

    def projects(self) -> list[tuple[str, int, str]]:
        """``(project, number of runs, newest run's start)`` for each project, by name."""
        return self._store.projects()

    def sweep(self, path: str, *, runs: bool = True) -> SweepRecord:
        """A sweep by id (or wandb's ``entity/project/id``): its file, state and runs, best
        first by its metric (wandb's ``Api().sweep``); ``runs=False`` reads no run."""
        from runconfig.sweeps import _find

        return self._sweep_record(_find(self._store, path), runs)

    def sweeps(self, project: str | None = None, *, runs: bool = True) -> list[SweepRecord]:
        """Every sweep (of ``project``), newest first, as :meth:`sweep` reads one."""
        from runconfig.sweeps import _statuses

        found = _statuses(self._store, self._location, project, runs=runs, trials=False)
        return [self._record_of(status) for status in found]

    def _sweep_record(self, found: Any, runs: bool) -> SweepRecord:
        from runconfig.sweeps import _status

        return self._record_of(_status(self._store, found, self._location, runs=runs))

    @staticmethod
    def _record_of(status: Any) -> SweepRecord:
        data = status.sweep
        return SweepRecord(
            id=data.id, name=data.name, project=data.project, state=data.state,
            method=data.method, config=data.spec, runs=RunList(status.runs),
            counts=status.counts, seed=data.seed, total=data.total, run_cap=data.run_cap,
            metric=status.metric, goal=status.goal,
        )  # fmt: skip

    def run(
        self, id_or_name: str, project: str | None = None, *, timeout: float | None = None
    ) -> RunRecord:
        """One run by id or name (its history included). A name that several projects
        use raises :class:`~runconfig.errors.StoreError` naming them: pass ``project``.

        A run's :attr:`~runconfig.Run.path` (``entity/project/id``, wandb's form) and
        :attr:`~runconfig.Run.url` (``<store>#<id>``) are taken too. ``timeout`` as for
        :meth:`runs`."""
        for what, text in (("run id or name", id_or_name), ("project", project)):
            if text is not None and (problem := _not_text(what, text)):
                raise RunNotFoundError(f"no run with id or name {id_or_name!r}: {problem}")
        data = self._store.get_run(id_or_name, project, timeout=timeout)
        if data is None and "#" in id_or_name:
            data = self._store.get_run(id_or_name.rpartition("#")[2], project, timeout=timeout)
        elif data is None and "/" in id_or_name:
            parts = id_or_name.split("/")
            data = self._store.get_run(parts[-1], project or parts[-2], timeout=timeout)
        if data is None:
            where = f" in project {project!r}" if project else ""
            raise RunNotFoundError(f"no run with id or name {id_or_name!r}{where} in {self.store}")
        return RunRecord.from_data(data, self._location)

    def files(self, run: RunRecord | str) -> list[FileRecord]:
        """The files recorded for a run (a record, or its id or name)."""
        data = self._store.get_run(run if isinstance(run, str) else run.id, with_history=False)
        if data is None or data.rid is None:
            raise RunNotFoundError(f"no run {run if isinstance(run, str) else run.id!r}")
        return self._store.list_files(data.rid)

    def artifact(self, name: str, type: str | None = None) -> Artifact:
        """A stored artifact version: ``"mnist:v2"``, ``"mnist:latest"``, ``"mnist"``
        (latest) or ``"project/mnist:best"``; with ``type``, it must be of that type."""
        from runconfig import artifacts

        return artifacts.find(self._store, self._location, None, name, type)

    def artifact_exists(self, name: str, type: str | None = None) -> bool:
        """Whether :meth:`artifact` finds ``name``."""
        try:
            self.artifact(name, type)
        except ValueError:
            return False
        return True

    def artifacts(
        self, type_name: str | None = None, name: str | None = None, project: str | None = None
    ) -> list[Artifact]:
        """Stored artifact versions, by project, name and version; of one type, one name."""
        from runconfig._places import objects_root
        from runconfig.artifacts import Artifact

        objects = objects_root(self._store.location)
        found = self._store.artifacts.versions(project=project, name=name, type=type_name)
        return [Artifact._from_stored(a, self._location, objects) for a in found]

    def delete(self, runs: Iterable[RunRecord]) -> int:
        """Delete runs: their config, summary, history, the records of their files, and
        their folders (saved files, media). Artifact versions they logged stay (their
        logger then unknown). Returns how many runs were deleted."""
        import shutil

        rids, folders = [], []
        for run in runs:
            data = self._store.get_run(run.id, with_history=False)
            if data is not None and data.rid is not None:
                rids.append(data.rid)
                folders.append(run_dir(data, self._location))
        deleted = self._writer().delete_runs(rids)
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
        return deleted

    def set_tags(self, run: RunRecord, tags: Sequence[str]) -> RunRecord:
        """Replace a run's tags (duplicates dropped, order kept); returns the run re-read."""
        return self._set(run, tags=list(dict.fromkeys(tags)))

    def set_notes(self, run: RunRecord, notes: str | None) -> RunRecord:
        """Replace a run's notes (None or "" clears them); returns the run re-read."""
        return self._set(run, notes=notes or None)

    def _set(self, run: RunRecord, **fields: Any) -> RunRecord:
        data = self._store.get_run(run.id, with_history=False)
        if data is None or data.rid is None:
            raise RunNotFoundError(f"no run with id {run.id!r} in {self.store}")
        self._writer().update_run(data.rid, **fields)
        return self.run(run.id)

    def import_runs(
        self,
        runs: Iterable[RunData],
        *,
        if_exists: Literal["error", "skip", "replace"] = "error",
        on_exists: Callable[[RunData], None] | None = None,
    ) -> int:
        """Bulk-insert complete runs (imports, benchmarks) through the store's bulk path.

        A run whose id is already in the store (or earlier in ``runs``) raises
        :class:`~runconfig.errors.StoreError` (``if_exists="error"``, before anything of
        its batch is written), is left out (``"skip"``), or replaces the stored run
        (``"replace"``: the old run is deleted first). ``on_exists`` is told of each such
        run. Returns how many runs were inserted.
        """
        if if_exists not in ("error", "skip", "replace"):
            raise ValueError(f"if_exists must be 'error', 'skip' or 'replace', not {if_exists!r}")

        def checked() -> Iterator[RunData]:
            seen: set[str] = set()
            batch: list[RunData] = []
            for run in runs:
                batch.append(run)
                if len(batch) == _IMPORT_BATCH:
                    yield from self._new_runs(batch, seen, if_exists, on_exists)
                    batch = []
            yield from self._new_runs(batch, seen, if_exists, on_exists)

        return self._writer().bulk_insert(checked())

    def _new_runs(
        self,
        batch: list[RunData],
        seen: set[str],
        if_exists: str,
        on_exists: Callable[[RunData], None] | None,
    ) -> list[RunData]:
        if not batch:
            return []
        stored = self._stored_ids([r.id for r in batch if r.id not in seen])
        fresh: list[RunData] = []
        doomed: list[int] = []
        for run in batch:
            twice = run.id in seen  # the first of the import wins, whatever if_exists says
            if (twice or run.id in stored) and if_exists == "error":
                where = "twice in the runs to import" if twice else f"already in {self.store}"
                raise StoreError(f"a run with id {run.id!r} is {where}")
            if twice or run.id in stored:
                if on_exists is not None:
                    on_exists(run)
                if twice or if_exists == "skip":
                    continue
                doomed.append(stored.pop(run.id))
            seen.add(run.id)
            fresh.append(run)
        if doomed:
            self._writer().delete_runs(doomed)
        return fresh

    def _stored_ids(self, ids: list[str]) -> dict[str, int]:
        """id -> rid of the runs among ``ids`` that the store holds.

        One indexed lookup per id: the query language's ``run.id == x`` scans the runs
        table, which a check per batch of an import cannot afford on a large store.
        """
        stored: dict[str, int] = {}
        for run_id in ids:
            try:
                data = self._store.get_run(run_id, with_history=False)
            except StoreError:  # a name several projects use: no run has this id
                continue
            # get_run falls back to names: only a run with this id counts.
            if data is not None and data.id == run_id and data.rid is not None:
                stored[run_id] = data.rid
        return stored

    def _writer(self) -> RunStore:
        """The store opened for writing, for the Api's few writes (delete, tags, imports):
        a connection of its own, opened on the first of them."""
        if self._writable is None:
            self._writable = open_store(self._location, create=False)
        return self._writable

    def close(self) -> None:
        """Release the store's connections."""
        self._store.close()
        if self._writable is not None and self._writable is not self._store:
            self._writable.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
