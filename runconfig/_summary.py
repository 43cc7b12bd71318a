"""A run's summary (its outputs) and the metric definitions that shape it.

The summary holds, for each metric, the last value logged, or the statistics that
:meth:`Run.define_metric <runconfig.Run.define_metric>` asks for, as wandb 0.31 computes
them. Logging ``loss`` = 3, 1, 2:

=================================  =========================================
``define_metric("loss", ...)``     ``summary["loss"]``
=================================  =========================================
(none), ``summary="copy"``         ``2``
``summary="min"``                  ``{"min": 1}``
``summary="min,max"``              ``{"min": 1, "max": 3}``
``summary="mean"``                 ``{"mean": 2.0}``
``summary="first"`` / ``"last"``   ``{"first": 3}`` / ``{"last": 2}``
``summary="best", goal="min..."``  ``{"best": 1}`` (wandb before 0.31; kept)
``summary="none"`` (any ``none``)  absent
=================================  =========================================

- The statistics count every number logged under the key, also before the definition
  (``min``, ``max`` and ``mean`` look at numbers only; a key that never held one has
  just ``first``/``last``).
- Nested dicts are logged leaf by leaf: ``log({"val": {"acc": 0.9}})`` is the metric
  ``val.acc``, and ``define_metric("val.acc")`` names it (``"a\\.b"`` is the flat key
  ``a.b``). A name ending in ``*`` is a prefix glob (``"train/*"``, ``"*"``), applied to a
  key the first time it is logged; a definition by exact name wins over any glob. Keys
  starting with ``_`` never match a glob.
- ``step_metric="epoch"`` (with ``step_sync``, its default) adds the step metric's last
  value (0 before any) to each committed row that logs the metric without it.
- Setting ``summary[k] = v`` by hand stores ``v`` and turns off the statistics of ``k``:
  later logs store their plain last value, until ``define_metric(k, ...)`` again.

The summary reads like a dict (``in``, iteration, ``len``) with attribute access at
every depth (``run.summary.val.acc``, ``run.summary["val"].acc``); a nested value read
from it is a :class:`SummaryNode`, a plain ``dict`` whose writes go to the summary.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from runconfig._entries import REMOVED, Change
from runconfig.errors import RunconfigError, UsageError
from runconfig.values import sanitize

__all__ = [
    "Metric",
    "Summary",
    "SummaryKeyError",
    "SummaryNode",
    "dotted",
    "leaves",
    "make_metric",
    "parse_metric_name",
    "put_path",
]

Path = tuple[str, ...]
_OPS = ("min", "max", "mean", "last", "first", "best", "copy", "none")
_NUMBER = (int, float)


class SummaryKeyError(RunconfigError, KeyError, AttributeError):
    """A key the summary does not hold: a ``KeyError`` (as in wandb) that ``hasattr`` sees."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Metric:
    """What :meth:`Run.define_metric <runconfig.Run.define_metric>` returns."""

    name: str
    step_metric: str | None = None
    step_sync: bool | None = None
    hidden: bool | None = None
    summary: tuple[str, ...] | None = None
    goal: str | None = None


def parse_metric_name(name: str) -> Path:
    """``"val.acc"`` -> ``("val", "acc")``; ``"a\\.b"`` -> ``("a.b",)`` (wandb's spelling)."""
    parts: list[str] = []
    buf: list[str] = []
    i = 0
    while i < len(name):
        c = name[i]
        if c == "\\" and i + 1 < len(name) and name[i + 1] == ".":
            buf.append(".")
            i += 2
            continue
        if c == ".":
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(c)
        i += 1
    parts.append("".join(buf))
    return tuple(parts)


def _flat(path: Path) -> str:
    """The inverse of :func:`parse_metric_name`."""
    return ".".join(p.replace(".", "\\.") for p in path)


def leaves(row: Mapping[str, Any], prefix: Path = ()) -> Iterator[tuple[Path, Any]]:
    """``(path, value)`` of every leaf of a nested dict (an empty dict is a leaf, and so is
    a media reference, a dict with a ``_type``)."""
    for k, v in row.items():
        if type(v) is dict and v and "_type" not in v:
            yield from leaves(v, (*prefix, k))
        else:
            yield (*prefix, k), v


def dotted(tree: Mapping[str, Any]) -> dict[str, Any]:
    """Every leaf of a nested dict under its keys joined by dots, as wandb names the
    columns of a logged nested dict (``{"val": {"acc": 1}}`` -> ``val.acc``; the names as
    logged otherwise: ``train/loss`` stays ``train/loss``)."""
    return {".".join(path): value for path, value in leaves(tree)}


def _get(tree: Mapping[str, Any], path: Path) -> Any:
    node: Any = tree
    for seg in path:
        if type(node) is not dict or seg not in node:
            return REMOVED
        node = node[seg]
    return node


def put_path(tree: dict[str, Any], path: Path, value: Any) -> None:
    """Set ``path`` in a nested dict, making the dicts on its way (``REMOVED``: delete)."""
    node = tree
    for seg in path[:-1]:
        child = node.get(seg)
        if type(child) is not dict:
            child = node[seg] = {}
        node = child
    if value is REMOVED:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value


class _Stats:
    """What the summary can report of one metric."""

    __slots__ = ("count", "first", "last", "max", "min", "total")

    def __init__(self) -> None:
        self.first: Any = REMOVED
        self.last: Any = REMOVED
        self.count = 0
        self.total = 0.0
        self.min = math.inf
        self.max = -math.inf

    def add(self, value: Any) -> None:
        if self.first is REMOVED:
            self.first = value
        self.last = value
        if type(value) in _NUMBER and type(value) is not bool:
            self.count += 1
            self.total += value
            if value < self.min or self.count == 1:
                self.min = value
            if value > self.max or self.count == 1:
                self.max = value

    def report(self, ops: tuple[str, ...], goal: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for op in ops:
            if op in ("first", "last"):
                out[op] = getattr(self, op)
            elif self.count:
                if op == "mean":
                    out[op] = self.total / self.count
                elif op in ("min", "max"):
                    out[op] = getattr(self, op)
                elif op == "best":
                    out[op] = self.max if goal == "maximize" else self.min
        return out


class Summary(MutableMapping[str, Any]):
    """A run's outputs: each metric's last value or its statistics, and values set by hand.

    ``write(changes)`` stores changes (it raises if the store refuses them; the summary is
    changed only after it returns). See the module for the rules.
    """

    _write: Callable[[list[Change]], None]
    _convert: Callable[[Any, str], Any]
    _lock: AbstractContextManager[Any]
    _data: dict[str, Any]
    _metrics: _Metrics

    def __init__(
        self,
        write: Callable[[list[Change]], None],
        convert: Callable[[Any, str], Any] | None = None,
        lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        object.__setattr__(self, "_write", write)
        object.__setattr__(self, "_convert", convert or _sanitize)
        # Held while the summary changes (a run's log lock: a TensorBoard sync logs from
        # a thread of its own).
        object.__setattr__(self, "_lock", lock or nullcontext())
        object.__setattr__(self, "_data", {})
        object.__setattr__(self, "_metrics", _Metrics())

    # -- reads ----------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        data: dict[str, Any] = self._data
        if key not in data:
            raise SummaryKeyError(f"the summary has no key {key!r}")
        return _wrap(self, (key,), data[key])

    def __getattr__(self, name: str) -> Any:
        if name[:1] == "_":
            raise AttributeError(name)
        return self[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __repr__(self) -> str:
        return repr(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return bool(self._data == dict(other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def as_dict(self) -> dict[str, Any]:
        """A deep plain copy."""
        copied: dict[str, Any] = _copy(self._data)
        return copied

    _as_dict = as_dict  # wandb's spelling

    # -- writes by hand -------------------------------------------------------------------
    def __setitem__(self, key: str, value: Any) -> None:
        self._set_paths({(str(key),): value})

    def __setattr__(self, name: str, value: Any) -> None:
        if name[:1] == "_":
            raise AttributeError(f"cannot set summary key {name!r} by attribute; use item access")
        self[name] = value

    def __delitem__(self, key: str) -> None:
        self._delete((key,))

    def __delattr__(self, name: str) -> None:
        self._delete((name,))

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        """Set several values in one transaction."""
        values = {**dict(other), **kwargs}
        self._set_paths({(str(k),): v for k, v in values.items()})

    def _set_paths(self, values: Mapping[Path, Any]) -> None:
        clean = {p: self._convert(v, _flat(p)) for p, v in values.items()}
        with self._lock:
            changes = [Change(p, v) for p, v in clean.items()]
            self._write(self._fit(changes))
            for p, v in clean.items():
                put_path(self._data, p, v)
                self._metrics.explicit.add(p)

    def _delete(self, path: Path) -> None:
        with self._lock:
            if _get(self._data, path) is REMOVED:
                raise SummaryKeyError(f"the summary has no key {_flat(path)!r}")
            self._write([Change(path, REMOVED)])
            put_path(self._data, path, REMOVED)

    def _fit(self, changes: list[Change]) -> list[Change]:
        """Changes the store can apply: a leaf below a value that is not a dict replaces
        that value with a dict (as wandb does)."""
        out = []
        for ch in changes:
            path = ch.path
            for i in range(1, len(path)):
                above = _get(self._data, path[:i])
                if above is not REMOVED and type(above) is not dict:
                    tree: dict[str, Any] = {}
                    put_path(tree, path[i:], ch.value)
                    ch = Change(path[:i], tree)
                    break
            out.append(ch)
        return out

    # -- metrics ----------------------------------------------------------------------------
    def _define(self, metric: Metric, overwrite: bool | None) -> list[Change]:
        """Record ``metric`` and return the summary changes it makes right away."""
        metrics = self._metrics
        path = parse_metric_name(metric.name)
        if metric.name.endswith("*"):
            metrics.globs[metric.name[:-1]] = metric
            return []
        old = metrics.defined.get(path)
        if old is not None and not overwrite:
            metric = _merged(old, metric)
        metrics.defined[path] = metric
        metrics.resolved.pop(path, None)
        metrics.explicit.discard(path)
        value = metrics.value(path)
        if value is _KEEP:
            return []
        current = _get(self._data, path)
        if value is REMOVED and current is REMOVED:
            return []
        return self._fit([Change(path, value)])

    def _commit_row(self, row: dict[str, Any]) -> list[Change]:
        """Update the statistics with a committed history row (adding step metrics to it)
        and return the summary changes it makes."""
        metrics = self._metrics
        pairs = list(leaves(row))
        for path, _ in pairs:
            metric = metrics.resolve(path)
            if metric is None or not metric.step_metric or metric.step_sync is False:
                continue
            step = parse_metric_name(metric.step_metric)
            if _get(row, step) is REMOVED:
                stats = metrics.stats.get(step)
                put_path(row, step, 0 if stats is None or stats.last is REMOVED else stats.last)
                pairs.append((step, _get(row, step)))
        changes = []
        for path, value in pairs:
            metrics.stats_of(path).add(value)
            summary_value = metrics.value(path)
            if summary_value is _KEEP:
                summary_value = value
            if summary_value is REMOVED and _get(self._data, path) is REMOVED:
                continue
            changes.append(Change(path, summary_value))
        return self._fit(changes)

    def _replay(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Count a resumed run's stored history in the statistics (its summary is loaded
        as stored, by :meth:`_load`)."""
        stats = self._metrics.stats_of
        for row in rows:
            for path, value in leaves(row):
                if path != ("_step",):
                    stats(path).add(value)

    def _apply(self, changes: list[Change]) -> None:
        """Show stored changes."""
        for ch in changes:
            put_path(self._data, ch.path, ch.value)

    def _load(self, tree: Mapping[str, Any]) -> None:
        """The summary of a resumed run."""
        self._data.update(_copy(dict(tree)))


_KEEP: Any = object()  # "the plain last value"


def _sanitize(value: Any, key: str) -> Any:
    return sanitize(value, "summary." + key)


class _Metrics:
    """Metric definitions, the globs, the statistics and the keys set by hand."""

    __slots__ = ("defined", "explicit", "globs", "resolved", "stats")

    def __init__(self) -> None:
        self.defined: dict[Path, Metric] = {}
        self.globs: dict[str, Metric] = {}
        self.resolved: dict[Path, Metric | None] = {}  # a glob's choice, made once per key
        self.stats: dict[Path, _Stats] = {}
        self.explicit: set[Path] = set()

    def stats_of(self, path: Path) -> _Stats:
        stats = self.stats.get(path)
        if stats is None:
            stats = self.stats[path] = _Stats()
        return stats

    def resolve(self, path: Path) -> Metric | None:
        metric = self.defined.get(path)
        if metric is not None:
            return metric
        if path in self.resolved:
            return self.resolved[path]
        found = None
        if self.globs and path[0][:1] != "_":
            flat = _flat(path)
            # The longest matching prefix: deterministic where wandb's choice is not.
            for prefix in sorted(self.globs, key=len, reverse=True):
                if flat.startswith(prefix):
                    found = self.globs[prefix]
                    break
        self.resolved[path] = found
        return found

    def value(self, path: Path) -> Any:
        """The summary value of ``path``: ``_KEEP`` (the last value), ``REMOVED``, or the
        statistics the definition asks for."""
        if path in self.explicit:
            return _KEEP
        metric = self.resolve(path)
        ops = metric.summary if metric is not None else None
        if not ops:
            return _KEEP
        if "none" in ops:
            return REMOVED
        tracked = tuple(op for op in ops if op != "copy")
        if not tracked:
            return _KEEP
        stats = self.stats.get(path)
        if stats is None or stats.first is REMOVED:
            return REMOVED
        return stats.report(tracked, metric.goal if metric is not None else None)


def _merged(old: Metric, new: Metric) -> Metric:
    """A repeated definition adds to the old one (``overwrite=True`` replaces it)."""
    ops = tuple(dict.fromkeys((*(old.summary or ()), *(new.summary or ())))) or None
    return Metric(
        name=new.name,
        step_metric=new.step_metric or old.step_metric,
        step_sync=new.step_sync if new.step_sync is not None else old.step_sync,
        hidden=new.hidden if new.hidden is not None else old.hidden,
        summary=ops,
        goal=new.goal or old.goal,
    )


def make_metric(
    name: Any,
    step_metric: Any,
    step_sync: Any,
    hidden: Any,
    summary: Any,
    goal: Any,
) -> Metric:
    """A checked :class:`Metric` from ``define_metric``'s arguments (wandb's rules)."""
    if isinstance(step_metric, Metric):
        step_metric = step_metric.name
    checks = (
        ("name", name, str),
        ("step_metric", step_metric, str),
        ("step_sync", step_sync, bool),
        ("hidden", hidden, bool),
        ("summary", summary, str),
        ("goal", goal, str),
    )
    for arg, value, kind in checks:
        if value is not None and not isinstance(value, kind):
            raise UsageError(
                f"define_metric(): {arg} must be a {kind.__name__}, got {type(value).__name__}"
            )
    if not name:
        raise UsageError("define_metric() requires a non-empty name")
    if "*" in name[:-1]:
        raise UsageError(
            f"define_metric(): {name!r}: a '*' may only end a name (a prefix glob: 'train/*')"
        )
    ops: tuple[str, ...] | None = None
    if summary:
        ops = tuple(op.strip().lower() for op in summary.split(","))
        for op in ops:
            if op not in _OPS:
                from runconfig.errors import did_you_mean

                raise UsageError(
                    f"define_metric(): unknown summary {op!r}{did_you_mean(op, _OPS)} "
                    f"(one or more of {', '.join(_OPS)}, separated by commas)"
                )
    if goal is not None:
        goal = goal.lower()
        if goal in ("min", "minimize"):
            goal = "minimize"
        elif goal in ("max", "maximize"):
            goal = "maximize"
        else:
            raise UsageError(
                f"define_metric(): goal must be 'minimize' or 'maximize', not {goal!r}"
            )
    if ops and "best" in ops and goal is None:
        raise UsageError("define_metric(summary='best') needs goal='minimize' or 'maximize'")
    if step_metric and step_sync is None:
        step_sync = True
    return Metric(name, step_metric, step_sync, hidden, ops, goal)


# -- nested values ---------------------------------------------------------------------------


class SummaryNode(dict[str, Any]):
    """A nested value of the summary: a plain ``dict`` (a copy) with attribute access,
    whose writes (``node["x"] = 1``, ``node.x = 1``) set the summary at its path."""

    __slots__ = ("_path", "_summary")

    def __init__(self, summary: Summary, path: Path, data: Mapping[str, Any]) -> None:
        super().__init__((k, _wrap(summary, (*path, k), v)) for k, v in data.items())
        object.__setattr__(self, "_summary", summary)
        object.__setattr__(self, "_path", path)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise SummaryKeyError(
                f"the summary has no key {_flat((*self._path, name))!r}"
            ) from None

    def __setitem__(self, key: str, value: Any) -> None:
        self._summary._set_paths({(*self._path, str(key)): value})
        dict.__setitem__(self, key, _wrap(self._summary, (*self._path, key), value))

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delitem__(self, key: str) -> None:
        self._summary._delete((*self._path, key))
        dict.__delitem__(self, key)

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (_copy(dict(self)),))


def _wrap(summary: Summary, path: Path, value: Any) -> Any:
    return SummaryNode(summary, path, value) if type(value) is dict else value


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
