"""``wandb.plot``: charts of tables, each drawn by one of wandb's Vega specs.

Every function returns a :class:`CustomChart`; logged under a key, it stores its table as
a table file and the chart's spec, fields and title beside it (see
:mod:`runconfig.media._chart`)::

    table = runconfig.Table(data=[[0, 1.0], [1, 0.5]], columns=["step", "loss"])
    run.log({"loss_curve": runconfig.plot.line(table, "step", "loss", title="Loss")})

The spec ids and field names are wandb 0.31's (``wandb/line/v0``, ``wandb/bar/v0``,
``wandb/area-under-curve/v0``...). ``split_table`` is accepted for wandb's signatures
and recorded in the spec. ``roc_curve`` and ``pr_curve`` need numpy, not scikit-learn.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias

from runconfig._term import termwarn
from runconfig.errors import UsageTypeError, UsageValueError, did_you_mean
from runconfig.media._chart import (
    CustomChart,
    CustomChartSpec,
    Visualize,
    VisualizeSpec,
    plot_table,
    visualize,
)
from runconfig.media._table import Table

#: What the classifier charts take: a list, a numpy array, a pandas Series, a tensor...
ArrayLike: TypeAlias = Any

__all__ = [
    "CustomChart",
    "CustomChartSpec",
    "Visualize",
    "VisualizeSpec",
    "bar",
    "confusion_matrix",
    "histogram",
    "line",
    "line_series",
    "plot_table",
    "pr_curve",
    "roc_curve",
    "scatter",
    "visualize",
]


def line(
    table: Table,
    x: str,
    y: str,
    stroke: str | None = None,
    title: str = "",
    split_table: bool = False,
) -> CustomChart:
    """A line chart of column ``y`` against column ``x`` (one line per value of the column
    ``stroke``, when given)."""
    _check_columns(table, "line", x=x, y=y, stroke=stroke)
    return plot_table(
        "wandb/line/v0", table, {"x": x, "y": y, "stroke": stroke}, {"title": title}, split_table
    )


def scatter(
    table: Table, x: str, y: str, title: str = "", split_table: bool = False
) -> CustomChart:
    """A scatter plot of column ``y`` against column ``x``."""
    _check_columns(table, "scatter", x=x, y=y)
    return plot_table("wandb/scatter/v0", table, {"x": x, "y": y}, {"title": title}, split_table)


def bar(
    table: Table, label: str, value: str, title: str = "", split_table: bool = False
) -> CustomChart:
    """A bar chart: a bar of height ``value`` for each row, named by its ``label``."""
    _check_columns(table, "bar", label=label, value=value)
    return plot_table(
        "wandb/bar/v0", table, {"label": label, "value": value}, {"title": title}, split_table
    )


def histogram(table: Table, value: str, title: str = "", split_table: bool = False) -> CustomChart:
    """A histogram of the values of column ``value``."""
    _check_columns(table, "histogram", value=value)
    return plot_table("wandb/histogram/v0", table, {"value": value}, {"title": title}, split_table)


def line_series(
    xs: Iterable[Any],
    ys: Iterable[Iterable[Any]],
    keys: Iterable[str] | None = None,
    title: str = "",
    xname: str = "x",
    split_table: bool = False,
) -> CustomChart:
    """Several lines on one chart: ``ys[i]`` against ``xs`` (one x sequence for all) or
    ``xs[i]``, named ``keys[i]`` (default ``line_0``, ``line_1``...)."""
    y_lists = [_as_list(y, "ys") for y in _as_list(ys, "ys")]
    if not y_lists:
        raise UsageValueError("line_series: ys holds no series")
    x_list = _as_list(xs, "xs")
    if x_list and _is_sequence(x_list[0]):
        x_lists = [_as_list(x, "xs") for x in x_list]
    else:
        x_lists = [x_list] * len(y_lists)
    if len(x_lists) != len(y_lists):
        raise UsageValueError(
            f"Number of x-series ({len(x_lists)}) must match y-series ({len(y_lists)})."
        )
    names = [f"line_{i}" for i in range(len(y_lists))] if keys is None else list(keys)
    if len(names) != len(y_lists):
        raise UsageValueError(
            f"Number of keys ({len(names)}) must match y-series ({len(y_lists)})."
        )
    data = [
        [x, names[i], y]
        for i, (x_values, y_values) in enumerate(zip(x_lists, y_lists, strict=True))
        for x, y in zip(x_values, y_values, strict=False)
    ]
    table = Table(data=data, columns=["step", "lineKey", "lineVal"])
    return plot_table(
        "wandb/lineseries/v0",
        table,
        {"step": "step", "lineKey": "lineKey", "lineVal": "lineVal"},
        {"title": title, "xname": xname},
        split_table,
    )


def confusion_matrix(
    probs: ArrayLike | None = None,
    y_true: ArrayLike | None = None,
    preds: ArrayLike | None = None,
    class_names: Sequence[str] | None = None,
    title: str = "Confusion Matrix Curve",
    split_table: bool = False,
) -> CustomChart:
    """A confusion matrix of ``y_true`` against ``preds`` (or the argmax of each row of
    ``probs``): one row per (actual, predicted) pair with its count.

    With ``class_names``, labels are class indexes ``0..len(class_names) - 1``; without,
    the labels found are sorted and named ``Class_1``, ``Class_2``...
    """
    if probs is not None and preds is not None:
        raise UsageValueError("Only one of `probs` or `preds` should be provided, not both.")
    if y_true is None:
        raise UsageValueError("confusion_matrix needs y_true, the true labels")
    if probs is not None:
        preds = [max(range(len(row)), key=row.__getitem__) for row in probs]
    if preds is None:
        raise UsageValueError("confusion_matrix needs preds (labels) or probs (scores)")
    actual = [_scalar(v) for v in y_true]
    predicted = [_scalar(v) for v in preds]
    if len(predicted) != len(actual):
        raise UsageValueError(
            f"The number of predictions and true labels must be equal: {len(predicted)} "
            f"predictions, {len(actual)} true labels."
        )
    try:
        if class_names is not None:
            names = [str(n) for n in class_names]
            labels: list[Any] = list(range(len(names)))
            for what, values in (("predicted", predicted), ("true", actual)):
                if len(set(values)) > len(names):
                    raise UsageValueError(
                        f"The number of unique {what} labels exceeds the number of class names "
                        f"({len(names)})."
                    )
        else:
            labels = sorted(set(predicted) | set(actual))
            names = [f"Class_{i + 1}" for i in range(len(labels))]
    except TypeError:
        raise UsageTypeError("confusion_matrix: labels of types that do not sort") from None
    index = {label: i for i, label in enumerate(labels)}
    counts = [[0] * len(labels) for _ in labels]
    for t, p in zip(actual, predicted, strict=True):
        for value in (t, p):
            if value not in index:
                raise UsageValueError(
                    f"confusion_matrix: the label {value!r} is not a class index 0-"
                    f"{len(labels) - 1} of class_names"
                )
        counts[index[t]][index[p]] += 1
    data = [
        [names[i], names[j], counts[i][j]] for i in range(len(labels)) for j in range(len(labels))
    ]
    return plot_table(
        "wandb/confusion_matrix/v1",
        Table(columns=["Actual", "Predicted", "nPredictions"], data=data),
        {"Actual": "Actual", "Predicted": "Predicted", "nPredictions": "nPredictions"},
        {"title": title},
        split_table,
    )


def roc_curve(
    y_true: ArrayLike | None = None,
    y_probas: ArrayLike | None = None,
    labels: Sequence[str] | None = None,
    classes_to_plot: ArrayLike | None = None,
    title: str = "ROC Curve",
    split_table: bool = False,
) -> CustomChart:
    """The ROC curve of each class (or of ``classes_to_plot``): ``y_probas[:, i]`` scores
    the i-th class of the sorted labels of ``y_true``; ``labels`` names integer classes.
    A table of ``class``, ``fpr``, ``tpr`` (rounded to 3 places)."""
    import numpy as np

    from runconfig.media._curves import roc

    y, scores, classes, chosen = _classifier_inputs("roc_curve", y_true, y_probas, classes_to_plot)
    series: list[tuple[Any, Any, Any]] = []
    for i in chosen:
        fpr, tpr = roc(y, scores[:, i], classes[i])
        series.append((_class_label(classes, i, labels), fpr, tpr))
    rows = [
        [label, round(float(a), 3), round(float(b), 3)]
        for label, fpr, tpr in _limit(series, "roc_curve")
        for a, b in zip(np.asarray(fpr), np.asarray(tpr), strict=True)
    ]
    return plot_table(
        "wandb/area-under-curve/v0",
        Table(columns=["class", "fpr", "tpr"], data=rows),
        {"x": "fpr", "y": "tpr", "class": "class"},
        {
            "title": title,
            "x-axis-title": "False positive rate",
            "y-axis-title": "True positive rate",
        },
        split_table,
    )


def pr_curve(
    y_true: ArrayLike | None = None,
    y_probas: ArrayLike | None = None,
    labels: Sequence[str] | None = None,
    classes_to_plot: ArrayLike | None = None,
    interp_size: int = 21,
    title: str = "Precision-Recall Curve",
    split_table: bool = False,
) -> CustomChart:
    """The precision-recall curve of each class (or of ``classes_to_plot``), at
    ``interp_size`` recalls evenly spaced from 1 to 0, precision made monotonic as wandb
    makes it. A table of ``class``, ``precision``, ``recall`` (rounded to 3 places)."""
    import numpy as np

    from runconfig.media._curves import precision_recall

    if isinstance(interp_size, bool) or not isinstance(interp_size, int) or interp_size < 2:
        raise UsageValueError(f"pr_curve(interp_size={interp_size!r}): expected an int >= 2")
    y, scores, classes, chosen = _classifier_inputs("pr_curve", y_true, y_probas, classes_to_plot)
    recall_at = np.linspace(0, 1, interp_size)[::-1]
    series: list[tuple[Any, Any, Any]] = []
    for i in chosen:
        precision, recall = precision_recall(y, scores[:, i], classes[i])
        # The best precision at this recall or any lower one (recall decreases along it).
        precision = np.maximum.accumulate(precision)[::-1]
        recall = recall[::-1]
        at = np.searchsorted(recall, recall_at, side="left").clip(0, len(precision) - 1)
        series.append((_class_label(classes, i, labels), precision[at], recall_at))
    rows = [
        [label, round(float(p), 3), round(float(r), 3)]
        for label, precision, recall in _limit(series, "pr_curve")
        for p, r in zip(precision, recall, strict=True)
    ]
    return plot_table(
        "wandb/area-under-curve/v0",
        Table(columns=["class", "precision", "recall"], data=rows),
        {"x": "recall", "y": "precision", "class": "class"},
        {"title": title, "x-axis-title": "Recall", "y-axis-title": "Precision"},
        split_table,
    )


# -- helpers ----------------------------------------------------------------------------------
def _check_columns(table: Any, chart: str, **columns: str | None) -> None:
    if not isinstance(table, Table):
        raise UsageTypeError(
            f"plot.{chart} takes a runconfig.Table as its table, got {type(table).__name__}"
        )
    for role, name in columns.items():
        if name is not None and name not in table.columns:
            hint = did_you_mean(str(name), [str(c) for c in table.columns])
            raise UsageValueError(
                f"plot.{chart}({role}={name!r}): the table has no such column{hint} "
                f"(columns: {table.columns})"
            )


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, (str, bytes))


def _as_list(value: Any, what: str) -> list[Any]:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if not _is_sequence(value):
        raise UsageTypeError(f"line_series: {what} takes sequences, got {type(value).__name__}")
    return list(value)


def _scalar(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _classifier_inputs(
    chart: str, y_true: Any, y_probas: Any, classes_to_plot: Any
) -> tuple[Any, Any, Any, list[int]]:
    """Labels, scores (one column per class), the sorted classes, the indexes to plot."""
    import numpy as np

    if y_true is None or y_probas is None:
        missing = "y_true" if y_true is None else "y_probas"
        raise UsageValueError(f"{chart} needs {missing}")
    y = np.asarray(y_true)
    try:
        scores = np.asarray(y_probas, dtype=np.float64)
    except (TypeError, ValueError):
        raise UsageTypeError(f"{chart}: y_probas must hold numbers") from None
    if scores.ndim == 1:  # the positive class's score of a binary problem
        scores = np.stack([1.0 - scores, scores], axis=1)
    classes = np.unique(y)
    if y.ndim != 1 or scores.ndim != 2 or len(scores) != len(y):
        raise UsageValueError(
            f"{chart}: y_true of shape {y.shape} and y_probas of shape {scores.shape}; "
            "expected (samples,) and (samples, classes)"
        )
    if scores.shape[1] < len(classes):
        raise UsageValueError(
            f"{chart}: y_probas has {scores.shape[1]} columns for the {len(classes)} classes "
            f"of y_true {classes.tolist()}"
        )
    wanted = classes if classes_to_plot is None else np.asarray(classes_to_plot)
    chosen = [int(i) for i in np.where(np.isin(classes, wanted))[0]]
    return y, scores, classes, chosen


def _class_label(classes: Any, i: int, labels: Sequence[str] | None) -> Any:
    value = _scalar(classes[i])
    if labels is not None and isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < len(labels):
            raise UsageValueError(f"labels has {len(labels)} names; there is no label for {value}")
        return labels[value]
    return value


def _limit(series: list[tuple[Any, Any, Any]], chart: str) -> list[tuple[Any, Any, Any]]:
    """At most ``Table.MAX_ROWS`` points in all: each curve keeps its share, evenly spaced
    and with both ends (wandb resamples at random)."""
    import numpy as np

    total = sum(len(xs) for _, xs, _ in series)
    if total <= Table.MAX_ROWS:
        return series
    termwarn(f"{chart}: wandb uses only {Table.MAX_ROWS} data points to create the plots.")
    kept = []
    for label, xs, ys in series:
        n = max(2, Table.MAX_ROWS * len(xs) // total)
        at = np.unique(np.linspace(0, len(xs) - 1, n).round().astype(int))
        kept.append((label, np.asarray(xs)[at], np.asarray(ys)[at]))
    return kept
