"""What the page shows, computed from the Api: the runs table, a run, a comparison, the
columns of the parallel coordinates and the parameter importance. No HTML here."""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from runconfig._cli_output import Column, default_columns, parse_columns, text_of
from runconfig._paths import format_segment, leaf, parse_path
from runconfig.api import MISSING, Api, RunConfig, RunRecord, diff, flatten

__all__ = [
    "PAGE",
    "Table",
    "axes",
    "compare",
    "importance",
    "runs_table",
]

PAGE = 50
"""Rows of the runs table a page shows."""

_SAMPLE = 500
"""Runs read to choose the default columns (the keys that vary among them)."""


@dataclass
class Cell:
    text: str
    number: bool
    missing: bool


@dataclass
class Table:
    """The runs table of one view: columns, rows, the count and the links."""

    columns: list[Column]
    rows: list[tuple[RunRecord, list[Cell]]]
    total: int
    page: int
    pages: int
    order: str
    error: str | None = None
    error_query: str = ""
    error_position: int | None = None
    metrics: list[str] = field(default_factory=list)
    candidates: list[tuple[str, str, bool]] = field(default_factory=list)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def cell(value: Any) -> Cell:
    if value is MISSING:
        return Cell("", False, True)
    return Cell(text_of(value), _is_number(value), False)


def column_key(column: Column) -> str:
    """The column as ``order=`` and ``cols=`` spell it: ``config.lr``, ``summary.acc``,
    ``run.state``."""
    from runconfig._paths import format_path

    section = {"c": "config", "s": "summary", "r": "run"}[column.section]
    name = column.path[0] if column.section == "r" else format_path(column.path)
    if column.section == "r" and name == "created":
        name = "created_at"
    return f"{section}.{name}"


def _columns(
    api: Api, project: str | None, where: str | None, cols: str
) -> tuple[list[Column], list[tuple[str, str, bool]], list[str]]:
    """The table's columns (``cols``, else the default: the keys that vary among the
    first runs, and the metrics); every column to choose from, as ``(key, title,
    shown)``; the metrics."""
    sample = list(api.runs(project=project, where=where or None, limit=_SAMPLE))
    fixed, config, summary = default_columns(sample)
    fixed = [c for c in fixed if c.path[0] != "name"]
    columns = parse_columns([cols]) if cols else [*fixed, *config, *summary]
    keys: dict[str, None] = {}
    for run in sample:
        keys.update(dict.fromkeys(flatten(run.config)))
    every = [
        *(Column(n, "r", (n,)) for n in ("state", "created", "project", "group", "tags", "host")),
        *parse_columns([",".join("config." + k for k in keys)] if keys else []),
        *summary,
    ]
    shown = {column_key(c) for c in columns}
    candidates = [(column_key(c), c.title, column_key(c) in shown) for c in every]
    metrics = [column_key(c)[len("summary.") :] for c in summary]
    return columns, candidates, metrics


def runs_table(
    api: Api, project: str | None, where: str, order: str, cols: str, page: int
) -> Table:
    """The table of the runs page; a bad query gives an empty table with its error."""
    from runconfig.errors import QueryError

    try:
        columns, candidates, metrics = _columns(api, project, where, cols)
        total = api.count(project=project, where=where or None)
        pages = max(1, math.ceil(total / PAGE))
        page = min(max(page, 1), pages)
        runs = api.runs(
            project=project, where=where or None, order=order or None, limit=PAGE,
            offset=(page - 1) * PAGE,
        )  # fmt: skip
    except (QueryError, ValueError) as e:
        position = getattr(e, "position", None)
        text = getattr(e, "message", None) or str(e)
        return Table([], [], 0, 1, 1, order, error=text, error_query=where,
                     error_position=position)  # fmt: skip
    rows = [(run, [cell(c.value(run)) for c in columns]) for run in runs]
    return Table(columns, rows, total, page, pages, order, metrics=metrics,
                 candidates=candidates)  # fmt: skip


def link(base: str, params: Mapping[str, Any], **changes: Any) -> str:
    """``base`` with the query string of ``params`` changed by ``changes`` (None drops)."""
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return base + ("?" + urlencode(merged) if merged else "")


# -- compare ---------------------------------------------------------------------------------
@dataclass
class Comparison:
    runs: list[RunRecord]
    keys: list[tuple[str, list[Cell], bool]]  # key, a cell per run, whether they differ
    same: int
    metrics: list[str]


def compare(runs: Sequence[RunRecord], show_all: bool) -> Comparison:
    """The config keys of ``runs`` side by side: those that differ (or all)."""
    every = diff(runs, all=True)
    differing = set(diff(runs))
    keys = [
        (key, [cell(v) for v in values], key in differing)
        for key, values in every.items()
        if show_all or key in differing
    ]
    metrics: dict[str, None] = {}
    for run in runs:
        for row in run.history or ():
            metrics.update(
                dict.fromkeys(k for k, v in row.items() if not k.startswith("_") and _is_number(v))
            )
    return Comparison(list(runs), keys, len(every) - len(differing), list(metrics))


def histories(runs: Iterable[RunRecord], metrics: Sequence[str]) -> dict[str, Any]:
    """Per metric, per run: ``[[step...], [value...]]`` of its logged numbers."""
    out: dict[str, Any] = {m: [] for m in metrics}
    for run in runs:
        rows = run.history or ()
        for metric in metrics:
            steps: list[Any] = []
            values: list[float] = []
            for row in rows:
                value: Any = row.get(metric)
                if _is_number(value) and math.isfinite(value):
                    steps.append(row.get("_step", len(steps)))
                    values.append(float(value))
            out[metric].append({"run": run.name, "id": run.id, "steps": steps, "values": values})
    return out


# -- parallel coordinates and importance ------------------------------------------------------
def _numbers(values: list[Any]) -> bool:
    present = [v for v in values if v is not MISSING and v is not None]
    return bool(present) and all(_is_number(v) for v in present)


def _config_columns(trees: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The config leaves of the runs as columns (``key: [value per run]``), MISSING where
    a run lacks the key; keys as :func:`flatten` writes them."""
    out: dict[str, list[Any]] = {}
    _columns_into(trees, "", out)
    return out


def _columns_into(trees: list[Any], prefix: str, out: dict[str, list[Any]]) -> None:
    keys = dict.fromkeys(k for tree in trees if tree for k in tree)
    for key in keys:
        column = [tree.get(key, MISSING) if tree else MISSING for tree in trees]
        name = prefix + format_segment(key)
        if any(type(v) is dict and v for v in column):
            leaves = [MISSING if type(v) is dict and v else v for v in column]
            if any(v is not MISSING for v in leaves):
                out[name] = leaves
            _columns_into([v if type(v) is dict else None for v in column], name + ".", out)
        else:
            out[name] = column


def _leaf(tree: Any, path: tuple[str, ...]) -> Any:
    return leaf(tree, path, MISSING)


def _varies(values: list[Any]) -> bool:
    first = values[0]
    kind = type(first)
    return any(type(v) is not kind or v != first for v in values[1:]) if values else False


def axes(runs: Sequence[RunRecord | RunConfig], metric: str | None) -> dict[str, Any]:
    """The parallel coordinates of ``runs``: an axis per config key that varies (numeric,
    log when positive values span three decades or more, else categorical) and the metric;
    each run's position on each axis. Columns, not rows: compact JSON."""
    columns = _config_columns([r.config for r in runs])
    out_axes = [_axis(key, key, values) for key, values in columns.items() if _varies(values)]
    if metric:
        path = parse_path(metric)
        values = [_leaf(r.summary, path) for r in runs]
        if _numbers(values):
            out_axes.append(_axis(f"summary.{metric}", metric, values, metric=True))
    return {"ids": [r.id for r in runs], "names": [r.name for r in runs], "axes": out_axes}


def _axis(key: str, title: str, values: list[Any], metric: bool = False) -> dict[str, Any]:
    if _numbers(values):
        nums = [None if v is MISSING or v is None or not math.isfinite(v) else float(v)
                for v in values]  # fmt: skip
        present = [v for v in nums if v is not None]
        positive = [v for v in present if v > 0]
        log = len(positive) == len(present) > 1 and max(positive) / min(positive) >= 1000
        return {"key": key, "title": title, "kind": "log" if log else "linear",
                "values": nums, "metric": metric}  # fmt: skip
    labels: dict[str, int] = {}
    literals: list[str | None] = []
    codes = []
    for v in values:
        text = "(missing)" if v is MISSING else text_of(v)
        if text not in labels:
            labels[text] = len(labels)
            literals.append(_literal(v))
        codes.append(labels[text])
    return {"key": key, "title": title, "kind": "category", "labels": list(labels),
            "literals": literals, "values": codes, "metric": False}  # fmt: skip


def _literal(value: Any) -> str | None:
    """The value as the query language writes it, if it can (None: it cannot)."""
    if value is MISSING or isinstance(value, (list, dict)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return json.dumps(value, ensure_ascii=False)


def importance(runs: Sequence[RunRecord | RunConfig], metric: str) -> list[dict[str, Any]]:
    """Per config key that varies: the Spearman rank correlation with the metric and the
    share of the metric's variance explained by the key's binned means (10 quantile bins
    for numbers, one per value otherwise), sorted by that share."""
    path = parse_path(metric)
    keep = []
    ys: list[float] = []
    top = path[0] if len(path) == 1 else None
    for i, r in enumerate(runs):
        m: Any = r.summary.get(top, MISSING) if top is not None else _leaf(r.summary, path)
        if type(m) in _NUMBER_TYPES and math.isfinite(m):
            keep.append(i)
            ys.append(float(m))
    if len(ys) < 3:
        return []
    columns = _config_columns([runs[i].config for i in keep])
    np: Any
    try:
        import numpy as np
    except ImportError:
        np = None
    y_array = np.asarray(ys, dtype=float) if np is not None else None
    out: list[dict[str, Any]] = []
    for key, xs in columns.items():
        kinds = set(map(type, xs))
        numeric = bool(kinds & _NUMBER_TYPES) and kinds <= _NUMERIC_COLUMN
        if numeric and np is not None and y_array is not None:
            row = _np_key(np, key, xs, y_array, kinds)
            if row is not None:
                out.append(row)
            continue
        if not _varies(xs):
            continue
        rho = None
        if numeric:
            kept = [(float(x), y) for x, y in zip(xs, ys, strict=True)
                    if x is not MISSING and x is not None]  # fmt: skip
            if len(kept) >= 3:
                rho = _spearman([x for x, _ in kept], [y for _, y in kept])
            groups = _bins(kept)
        else:
            by: dict[Any, list[float]] = {}
            for x, y in zip(xs, ys, strict=True):
                label = x if isinstance(x, (str, int, float, bool)) or x is None else text_of(x)
                by.setdefault((type(label), label), []).append(y)
            groups = list(by.values())
        out.append({"key": key, "spearman": rho, "explained": _eta2(groups, ys)})
    out.sort(key=lambda row: -float(row["explained"] or 0.0))
    return out


_NUMBER_TYPES = {int, float}
_NUMERIC_COLUMN = {int, float, type(None), type(MISSING)}


def _np_key(np: Any, key: str, xs: list[Any], ys: Any, kinds: set[type]) -> dict[str, Any] | None:
    """One numeric key's row of :func:`importance` with numpy (None: it does not vary)."""
    if len(kinds) == len(kinds & _NUMBER_TYPES):  # no run lacks it
        x = np.asarray(xs, dtype=float)
        y = ys
    else:
        mask = np.fromiter((v is not MISSING and v is not None for v in xs), dtype=bool,
                           count=len(xs))  # fmt: skip
        x = np.asarray([v for v in xs if v is not MISSING and v is not None], dtype=float)
        y = ys[mask]
    finite = np.isfinite(x)
    if not finite.all():
        x, y = x[finite], y[finite]
    same = len(x) < 2 or x.min() == x.max()
    if same and len(x) == len(xs) and len(kinds & _NUMBER_TYPES) == 1:
        return None  # every run has the same number: not an axis of the search
    rho = None
    if len(x) >= 3:
        a = _np_ranks(x)
        b = _np_ranks(y)
        a -= a.mean()
        b -= b.mean()
        denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
        rho = float((a * b).sum()) / denominator if denominator else None  # Spearman's rho
    explained = None
    if len(x) >= 2:
        edges = np.unique(np.quantile(x, np.linspace(0.1, 0.9, 9)))
        groups = np.searchsorted(edges, x, side="right")
        counts = np.bincount(groups)
        sums = np.bincount(groups, weights=y)
        mean = y.mean()
        total = float(((y - mean) ** 2).sum())
        if total:
            used = counts > 0
            explained = float((counts[used] * (sums[used] / counts[used] - mean) ** 2).sum())
            explained /= total
    return {"key": key, "spearman": rho, "explained": explained}


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2
        i = j + 1
    return ranks


def _spearman(xs: list[float], ys: list[float]) -> float | None:
    rx, ry = _ranks(xs), _ranks(ys)
    n = len(rx)
    mx, my = sum(rx) / n, sum(ry) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx)
    vy = sum((b - my) ** 2 for b in ry)
    if vx == 0 or vy == 0:
        return None
    return cov / math.sqrt(vx * vy)


def _np_ranks(values: Any) -> Any:
    """Average ranks (ties share theirs), as numpy arrays."""
    import numpy as np

    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values), dtype=float)
    ranks[order] = np.arange(len(values), dtype=float)
    sorted_values = values[order]
    # Runs of equal values get the mean of their ranks.
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    if len(starts) < len(values):
        means = (starts + ends - 1) / 2.0
        ranks[order] = np.repeat(means, ends - starts)
    return ranks


def _bins(kept: list[tuple[float, float]]) -> list[list[float]]:
    """The metric values of ``(x, metric)`` pairs grouped by the decile intervals of x
    (equal values in one bin): what :func:`_np_key` does with numpy, in Python."""
    if not kept:
        return []
    xs = sorted(x for x, _ in kept)
    edges = sorted({_quantile(xs, k / 10) for k in range(1, 10)})
    groups: dict[int, list[float]] = {}
    for x, y in kept:
        groups.setdefault(bisect.bisect_right(edges, x), []).append(y)
    return list(groups.values())


def _quantile(ordered: list[float], q: float) -> float:
    """numpy's default (linear) quantile of sorted values, to the same last bit."""
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    a, b, t = ordered[low], ordered[high], position - low
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t


def _eta2(groups: list[list[float]], ys: list[float]) -> float | None:
    n = sum(len(g) for g in groups)
    if n < 2:
        return None
    mean = sum(sum(g) for g in groups) / n
    total = sum((y - mean) ** 2 for g in groups for y in g)
    if total == 0:
        return None
    between = sum(len(g) * (sum(g) / len(g) - mean) ** 2 for g in groups if g)
    return between / total


def value_text(value: Any) -> str:
    return "" if value is MISSING else text_of(value)
