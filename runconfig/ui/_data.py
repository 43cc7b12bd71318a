"""What the page shows, computed from the Api: the runs table, a run, a comparison, the
columns of the parallel coordinates and the parameter importance. No HTML here."""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any
from urllib.parse import urlencode

from runconfig._cli_output import Column, default_columns, parse_columns, text_of
from runconfig._paths import format_segment, leaf, parse_path
from runconfig._summary import dotted
from runconfig.api import MISSING, Api, RunConfig, RunRecord, _validate_order, diff, flatten

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
    numeric: list[bool] = field(default_factory=list)
    """Per column: whether it holds numbers (its header is aligned with them)."""
    error_field: str = "q"
    """The parameter the error is in: ``q`` (the query), ``order`` or ``cols``."""
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
    from runconfig.query import parse_order

    # Each parameter is checked on its own, so that an error names it and its caret is
    # under its own text: the query, the sort, the columns.
    field, text = "q", where
    try:
        total = api.count(project=project, where=where or None)
        field, text = "order", order
        if order:
            _validate_order(parse_order(order), order)  # a bad key, an unknown run field
        field, text = "cols", cols
        columns, candidates, metrics = _columns(api, project, where, cols)
        field, text = "q", where
        pages = max(1, math.ceil(total / PAGE))
        page = min(max(page, 1), pages)
        runs = api.runs(
            project=project, where=where or None, order=order or None, limit=PAGE,
            offset=(page - 1) * PAGE,
        )  # fmt: skip
    except (QueryError, ValueError) as e:
        position = getattr(e, "position", None)
        message = getattr(e, "message", None) or str(e)
        if field != "q":
            message = f"{_FIELDS[field]} {text!r}: {message}"
        return Table([], [], 0, 1, 1, order, error=message, error_query=text,
                     error_position=position, error_field=field)  # fmt: skip
    rows = [(run, [cell(c.value(run)) for c in columns]) for run in runs]
    numeric = [
        any(cells[i].number for _, cells in rows)
        and all(cells[i].number or cells[i].missing for _, cells in rows)
        for i in range(len(columns))
    ]
    return Table(columns, rows, total, page, pages, order, metrics=metrics,
                 candidates=candidates, numeric=numeric)  # fmt: skip


_FIELDS = {"order": "sort", "cols": "columns"}


def check_metric(metric: str) -> None:
    """Raise ``ValueError`` naming ``metric`` if it is not a path (``val.acc``,
    ```val/loss` ``)."""
    if metric:
        try:
            parse_path(metric)
        except ValueError as e:
            raise ValueError(f"metric {metric!r}: {e}") from None


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


def _rows(run: RunRecord) -> list[Mapping[str, Any]]:
    """The run's logged rows, nested dicts' leaves named as wandb names them (``val.acc``)."""
    return [dotted(row) if any(type(v) is dict for v in row.values()) else row
            for row in run.history or ()]  # fmt: skip


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
        for row in _rows(run):
            metrics.update(
                dict.fromkeys(k for k, v in row.items() if not k.startswith("_") and _is_number(v))
            )
    return Comparison(list(runs), keys, len(every) - len(differing), list(metrics))


def histories(runs: Iterable[RunRecord], metrics: Sequence[str], since: int = 0) -> dict[str, Any]:
    """Per metric, per run: ``[[step...], [value...]]`` of its logged numbers (those
    logged after its first ``since`` rows)."""
    out: dict[str, Any] = {m: [] for m in metrics}
    for run in runs:
        rows = _rows(run)[since:]
        for metric in metrics:
            steps: list[Any] = []
            values: list[float] = []
            for i, row in enumerate(rows, since):
                value: Any = row.get(metric)
                if _is_number(value) and math.isfinite(value):
                    steps.append(row.get("_step", i))
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
    # Runs mostly share their keys: collect each distinct key order once, not each key.
    shapes = dict.fromkeys(tuple(tree) for tree in trees if tree)
    keys = dict.fromkeys(k for shape in shapes for k in shape)
    everywhere = set.intersection(*map(set, shapes)) if len(shapes) and all(trees) else set()
    for key in keys:
        if key in everywhere:  # no run lacks it: read in C
            column = list(map(itemgetter(key), trees))
        else:
            column = [tree.get(key, MISSING) if tree else MISSING for tree in trees]
        name = prefix + format_segment(key)
        if dict in set(map(type, column)) and any(type(v) is dict and v for v in column):
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
        nums = [None if v is MISSING or v is None else _finite(v) for v in values]
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
    if isinstance(value, str):
        # The language's strings have two escapes (a backslash before a quote or a
        # backslash), and a query box holds one line: a control character cannot be written.
        if any(c < " " or c == "\x7f" for c in value):
            return None
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return json.dumps(value, ensure_ascii=False)


def importance(runs: Sequence[RunRecord | RunConfig], metric: str) -> list[dict[str, Any]]:
    """Per config key that varies: the Spearman rank correlation with the metric and the
    share of the metric's variance explained by the key's binned means (10 quantile bins
    for numbers, one per value otherwise), sorted by that share."""
    path = parse_path(metric)
    if len(path) == 1:
        found: list[Any] = [r.summary.get(path[0], MISSING) for r in runs]
    else:
        found = [_leaf(r.summary, path) for r in runs]
    if set(map(type, found)) <= {float} and all(map(math.isfinite, found)):
        chosen, ys = list(runs), found  # the usual case: every run has the metric
    else:
        numbers = [_finite(m) if type(m) in _NUMBER_TYPES else None for m in found]
        keep = [i for i, m in enumerate(numbers) if m is not None]
        chosen, ys = [runs[i] for i in keep], [numbers[i] for i in keep]
    if len(ys) < 3:
        return []
    ys = _scaled(ys)
    columns = _config_columns([r.config for r in chosen])
    try:
        import numpy as np
    except ImportError:
        out = [row for key, xs in columns.items() if (row := _py_key(key, xs, ys)) is not None]
    else:
        stats = _NpMetric(np, np.asarray(ys, dtype=float))
        out = [row for key, xs in columns.items() if (row := stats.key(key, xs)) is not None]
    for row in out:  # rounding can leave a share a hair outside [0, 1]
        if row["explained"] is not None:
            row["explained"] = min(max(row["explained"], 0.0), 1.0)
    out.sort(key=lambda row: -float(row["explained"] or 0.0))
    return out


_HUGE = 1e150
"""Numbers beyond this are scaled down before the statistics, whose squares and
differences would overflow (the statistics do not change with the scale)."""


def _finite(value: float) -> float | None:
    """A number as a float, None when it is not finite or no float holds it."""
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _scaled(values: list[float]) -> list[float]:
    """``values``, divided by the largest magnitude among them if that is huge."""
    top = max(map(abs, values), default=0.0)
    return [v / top for v in values] if top > _HUGE else values


_NUMBER_TYPES = {int, float}
_NUMERIC_COLUMN = {int, float, type(None), type(MISSING)}
_PLAIN = {str, bool, type(None)}
"""Kinds of values that are their own label when a key holds no other kind."""


def _is_numeric(kinds: set[type]) -> bool:
    return bool(kinds & _NUMBER_TYPES) and kinds <= _NUMERIC_COLUMN


def _label(value: Any) -> tuple[type, Any]:
    """The group of a value of a categorical key (``1`` and ``True`` apart, a missing key
    apart from ``""``, a list apart from its text)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return (type(value), value)
    return (type(value), "" if value is MISSING else text_of(value))


def _py_key(key: str, xs: list[Any], ys: list[float]) -> dict[str, Any] | None:
    """One key's row of :func:`importance` in Python (no numpy; None: it does not vary)."""
    if not _varies(xs):
        return None
    rho = None
    if _is_numeric(set(map(type, xs))):
        numbers = [None if x is MISSING or x is None else _finite(x) for x in xs]
        kept = [(x, y) for x, y in zip(numbers, ys, strict=True) if x is not None]
        scaled = _scaled([x for x, _ in kept])
        kept = [(x, y) for x, (_, y) in zip(scaled, kept, strict=True)]
        if len(kept) >= 3:
            rho = _spearman([x for x, _ in kept], [y for _, y in kept])
        groups = _bins(kept)
    else:
        by: dict[Any, list[float]] = {}
        for x, y in zip(xs, ys, strict=True):
            by.setdefault(_label(x), []).append(y)
        groups = list(by.values())
    return {"key": key, "spearman": rho, "explained": _eta2(groups, ys)}


class _NpMetric:
    """The metric's values as numpy arrays, with its ranks worked out once for every key
    that every run has."""

    def __init__(self, np: Any, ys: Any) -> None:
        self.np = np
        self.ys = ys
        self.mean = ys.mean()
        self.total = float(((ys - self.mean) ** 2).sum())
        self.ranks = _centred(_np_ranks(ys))

    def key(self, key: str, xs: list[Any]) -> dict[str, Any] | None:
        """One key's row of :func:`importance` (None: it does not vary)."""
        np = self.np
        kinds = set(map(type, xs))
        if not _is_numeric(kinds):
            if not _varies(xs):
                return None
            labels = xs if len(kinds) == 1 and kinds <= _PLAIN else list(map(_label, xs))
            index = dict.fromkeys(labels)
            for i, label in enumerate(index):
                index[label] = i
            codes = np.fromiter(map(index.__getitem__, labels), dtype=np.intp, count=len(xs))
            return {"key": key, "spearman": None, "explained": self._explained(codes, self.ys)}
        if kinds <= _NUMBER_TYPES:  # no run lacks it
            x, y, y_ranks = _floats(np, xs), self.ys, self.ranks
        else:
            mask = np.fromiter((v is not MISSING and v is not None for v in xs), dtype=bool,
                               count=len(xs))  # fmt: skip
            x = _floats(np, [v for v in xs if v is not MISSING and v is not None])
            y, y_ranks = self.ys[mask], None
        finite = np.isfinite(x)
        if not finite.all():
            x, y, y_ranks = x[finite], y[finite], None
        if len(x) and (top := float(np.abs(x).max())) > _HUGE:
            x = x / top
        same = len(x) < 2 or x.min() == x.max()
        if same and len(x) == len(xs) and len(kinds & _NUMBER_TYPES) == 1:
            return None  # every run has the same number: not an axis of the search
        rho = None
        if len(x) >= 3:
            a = _centred(_np_ranks(x))
            b = y_ranks if y_ranks is not None else _centred(_np_ranks(y))
            denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
            rho = float((a * b).sum()) / denominator if denominator else None  # Spearman's rho
        explained = None
        if len(x) >= 2:
            edges = np.unique(np.quantile(x, np.arange(1, 10) / 10))  # as _bins: k / 10
            explained = self._explained(np.searchsorted(edges, x, side="right"), y)
        return {"key": key, "spearman": rho, "explained": explained}

    def _explained(self, groups: Any, y: Any) -> float | None:
        """The share of y's variance its group means explain (eta squared)."""
        np = self.np
        mean, total = (self.mean, self.total) if y is self.ys else (y.mean(), None)
        if total is None:
            total = float(((y - mean) ** 2).sum())
        if not total:
            return None
        counts = np.bincount(groups)
        sums = np.bincount(groups, weights=y)
        used = counts > 0
        return float((counts[used] * (sums[used] / counts[used] - mean) ** 2).sum()) / total


def _floats(np: Any, values: list[Any]) -> Any:
    """Numbers as a float array; one too big for a float becomes NaN (left out after)."""
    try:
        return np.asarray(values, dtype=float)
    except OverflowError:
        return np.asarray([math.nan if (f := _finite(v)) is None else f for v in values])


def _centred(ranks: Any) -> Any:
    ranks -= ranks.mean()
    return ranks


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

    order = np.argsort(values)  # ties get their mean rank below: no need for a stable sort
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
    (equal values in one bin): what :meth:`_NpMetric.key` does with numpy, in Python."""
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
