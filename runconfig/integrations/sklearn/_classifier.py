"""The classifier plots: feature importances, confusion matrix, class proportions,
calibration curve, ROC and precision-recall curves, and :func:`plot_classifier`."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from runconfig._term import termlog, termwarn
from runconfig.errors import UsageValueError
from runconfig.integrations.sklearn._charts import (
    CHART_LIMIT,
    TABLE_MAX_ROWS,
    active_run,
    custom_chart,
    log_plot,
    plain,
    visualize,
)
from runconfig.integrations.sklearn._checks import fitted, is_kind, usable
from runconfig.integrations.sklearn._shared import plot_learning_curve, plot_summary_metrics

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "plot_calibration_curve",
    "plot_class_proportions",
    "plot_classifier",
    "plot_confusion_matrix",
    "plot_feature_importances",
    "plot_precision_recall",
    "plot_roc",
]


def class_name(value: Any, labels: Sequence[Any] | None) -> Any:
    """How a class is shown: ``labels[value]`` for an integer class with a name, else the
    class itself."""
    value = plain(value)
    if (
        labels is not None
        and isinstance(value, int)
        and not isinstance(value, bool)
        and 0 <= value < len(labels)
    ):
        return plain(labels[value])
    return value


# -- feature importances --------------------------------------------------------------------
_IMPORTANCE_ATTRIBUTES = ("feature_importances_", "feature_log_prob_", "coef_")


def plot_feature_importances(
    model: Any = None,
    feature_names: Sequence[Any] | None = None,
    title: str = "Feature Importance",
    max_num_features: int | None = 50,
) -> None:
    """Log the importance of each feature to a fitted model, most important first, as
    ``feature_importances`` (chart ``wandb/feature_importances/v1``, columns
    ``feature_names``, ``importances``).

    Read from ``feature_importances_`` (trees), ``feature_log_prob_`` or ``coef_``
    (linear models with one output). ``feature_names`` default to the model's
    ``feature_names_in_`` (fitted on a DataFrame), else the features' indices; only the
    ``max_num_features`` most important are kept (None: all)::

        plot_feature_importances(forest, ["width", "height", "length"])
    """
    run = active_run("plot_feature_importances()")
    if not (usable(model=model) and is_kind("model", model, "classifier", "regressor")):
        return
    if not fitted(model):
        return
    found = next((a for a in _IMPORTANCE_ATTRIBUTES if hasattr(model, a)), None)
    if found is None:
        termwarn(
            f"could not find any of attributes {', '.join(_IMPORTANCE_ATTRIBUTES)} on "
            f"{type(model).__name__}. Cannot plot feature importances."
        )
        return
    importances = np.asarray(getattr(model, found), dtype=float)
    if sum(d > 1 for d in importances.shape) > 1:
        termwarn(
            f"{importances.ndim}-dimensional feature importances ({found} of "
            f"{type(model).__name__}, shape {importances.shape}) cannot be plotted."
        )
        return
    importances = importances.reshape(-1)
    if feature_names is None:
        feature_names = getattr(model, "feature_names_in_", None)
    names = list(range(len(importances))) if feature_names is None else list(feature_names)
    if len(names) != len(importances):
        raise UsageValueError(
            f"plot_feature_importances(): feature_names has {len(names)} names for the "
            f"{len(importances)} features of {type(model).__name__}"
        )
    order = np.argsort(importances, kind="stable")[::-1]
    if max_num_features is not None:
        order = order[:max_num_features]
    rows = [[plain(names[i]), float(importances[i])] for i in order]

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        ax.barh([str(r[0]) for r in reversed(rows)], [r[1] for r in reversed(rows)])
        ax.set_title(title)
        ax.set_xlabel("importance")

    chart = visualize("wandb/feature_importances/v1", ["feature_names", "importances"], rows)
    log_plot(run, "feature_importances", chart, draw)


# -- confusion matrix ------------------------------------------------------------------------
def _pick(names: list[Any], classes: np.ndarray, wanted: Sequence[Any] | None) -> list[int]:
    """The indexes of the classes that ``wanted`` names (by class or by label)."""
    if wanted is None:
        return list(range(len(names)))
    keep = {plain(w) for w in wanted}
    pairs = enumerate(zip(names, classes, strict=True))
    return [i for i, (n, c) in pairs if n in keep or plain(c) in keep]


def plot_confusion_matrix(
    y_true: Any = None,
    y_pred: Any = None,
    labels: Sequence[Any] | None = None,
    true_labels: Sequence[Any] | None = None,
    pred_labels: Sequence[Any] | None = None,
    normalize: bool = False,
) -> None:
    """Log the confusion matrix of predictions ``y_pred`` against ``y_true`` as
    ``confusion_matrix`` (chart ``wandb/confusion_matrix/v1``, one row per (actual,
    predicted) pair: columns ``Predicted``, ``Actual``, ``Count``).

    ``labels`` name integer classes (``labels[0]`` for class 0); ``true_labels`` and
    ``pred_labels`` keep only those actual and predicted classes; ``normalize`` divides
    each actual class's row by its total (two decimals)::

        plot_confusion_matrix(y_test, model.predict(X_test), ["cat", "dog"])
    """
    from sklearn.metrics import confusion_matrix  # type: ignore[import-untyped]
    from sklearn.utils.multiclass import unique_labels  # type: ignore[import-untyped]

    run = active_run("plot_confusion_matrix()")
    if not usable(y_true=y_true, y_pred=y_pred):
        return
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    classes = unique_labels(y_true, y_pred)
    cm = confusion_matrix(y_true, y_pred, labels=classes).astype(float if normalize else int)
    if normalize:
        with np.errstate(invalid="ignore", divide="ignore"):
            cm = np.around(cm / cm.sum(axis=1, keepdims=True), decimals=2)
        cm[np.isnan(cm)] = 0.0
    names = [class_name(c, labels) for c in classes]
    actual = _pick(names, classes, true_labels)
    predicted = _pick(names, classes, pred_labels)
    rows = [[names[p], names[a], plain(cm[a, p])] for a, p in itertools.product(actual, predicted)][
        :CHART_LIMIT
    ]

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        matrix = cm[np.ix_(actual, predicted)]
        ax.imshow(matrix, cmap="Blues")
        ax.set_xticks(range(len(predicted)), [str(names[p]) for p in predicted])
        ax.set_yticks(range(len(actual)), [str(names[a]) for a in actual])
        ax.set_xlabel("Predicted")
        ax.set_ylabel("Actual")
        top = matrix.max() if matrix.size else 0
        for (i, j), v in np.ndenumerate(matrix):
            ax.text(j, i, f"{v:g}", ha="center", va="center",
                    color="white" if v > top / 2 else "black")  # fmt: skip
        ax.set_title("Confusion Matrix")

    chart = visualize("wandb/confusion_matrix/v1", ["Predicted", "Actual", "Count"], rows)
    log_plot(run, "confusion_matrix", chart, draw)


# -- class proportions -----------------------------------------------------------------------
def plot_class_proportions(
    y_train: Any = None, y_test: Any = None, labels: Sequence[Any] | None = None
) -> None:
    """Log how many examples of each class the training and test sets hold, as
    ``class_proportions`` (chart ``wandb/class_proportions/v1``, columns ``class``,
    ``dataset`` (``train``/``test``), ``count``)::

        plot_class_proportions(y_train, y_test, ["dog", "cat", "owl"])
    """
    from sklearn.utils.multiclass import unique_labels

    run = active_run("plot_class_proportions()")
    if not usable(y_train=y_train, y_test=y_test):
        return
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    classes = unique_labels(y_train, y_test)
    rows: list[list[Any]] = []
    for c in classes[: CHART_LIMIT // 2]:
        name = class_name(c, labels)
        rows.append([name, "train", int((y_train == c).sum())])
        rows.append([name, "test", int((y_test == c).sum())])

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        x = np.arange(len(rows) // 2)
        ax.bar(x - 0.2, [r[2] for r in rows[0::2]], 0.4, label="train")
        ax.bar(x + 0.2, [r[2] for r in rows[1::2]], 0.4, label="test")
        ax.set_xticks(x, [str(r[0]) for r in rows[0::2]])
        ax.set_ylabel("count")
        ax.legend()
        ax.set_title("Class Proportions")

    chart = visualize("wandb/class_proportions/v1", ["class", "dataset", "count"], rows)
    log_plot(run, "class_proportions", chart, draw)


# -- calibration curve -----------------------------------------------------------------------
_CALIBRATION_BINS = 10


def _calibration_rows(name: str, y: np.ndarray, prob: np.ndarray, positive: Any) -> list[Any]:
    from sklearn.calibration import calibration_curve  # type: ignore[import-untyped]

    frac, mean = calibration_curve(y, prob, n_bins=_CALIBRATION_BINS, pos_label=positive)
    # The bins of calibration_curve, and their counts: it leaves out the empty ones.
    edges = np.linspace(0.0, 1.0, _CALIBRATION_BINS + 1)
    counts = np.bincount(np.searchsorted(edges[1:-1], prob), minlength=_CALIBRATION_BINS)
    kept = np.flatnonzero(counts)
    return [
        [name, round(float(f), 3), round(float(m), 3), int(counts[k]), float(edges[k])]
        for f, m, k in zip(frac, mean, kept, strict=True)
    ]


def plot_calibration_curve(
    clf: Any = None, X: Any = None, y: Any = None, clf_name: str = "Classifier"
) -> None:
    """Log how well the probabilities of a binary classifier are calibrated, as
    ``calibration_curve`` (chart ``wandb/calibration/v1``, columns ``model``,
    ``fraction_of_positives``, ``mean_predicted_value``, ``hist_dict`` (examples in the
    bin), ``edge_dict`` (the bin's lower edge)).

    As wandb does, this fits three models on 10% of ``X``, ``y`` and draws their curves
    on the other 90%: a logistic regression, and copies of ``clf`` calibrated with
    isotonic and with sigmoid calibration, beside the diagonal of a perfectly calibrated
    model. ``clf`` itself is left as it is. Skipped with a warning unless ``y`` holds two
    classes::

        plot_calibration_curve(forest, X_train, y_train, "RandomForest")
    """
    from sklearn.base import clone  # type: ignore[import-untyped]
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
    from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]
    from sklearn.naive_bayes import ComplementNB  # type: ignore[import-untyped]

    run = active_run("plot_calibration_curve()")
    if not (usable(clf=clf, X=X, y=y) and is_kind("clf", clf, "classifier") and fitted(clf)):
        return
    y = np.asarray(y)
    classes = np.unique(y)
    if len(classes) != 2:
        termwarn(
            "This function only supports binary classification at the moment and "
            "therefore expects labels to be binary. Skipping calibration curve."
        )
        return
    if isinstance(clf, ComplementNB):  # it takes non-negative features only
        X = X - X.min()
    x_fit, x_eval, y_fit, y_eval = train_test_split(X, y, test_size=0.9, random_state=42)
    models = [
        ("Logistic", LogisticRegression(C=1.0)),
        (f"{clf_name} Isotonic", CalibratedClassifierCV(clone(clf), cv=2, method="isotonic")),
        (f"{clf_name} Sigmoid", CalibratedClassifierCV(clone(clf), cv=2, method="sigmoid")),
    ]
    rows: list[list[Any]] = [
        ["Perfectly calibrated", 0, 0, 0, 0],
        ["Perfectly calibrated", 1, 1, 0, 0],
    ]
    for name, model in models:
        model.fit(x_fit, y_fit)
        prob = model.predict_proba(x_eval)[:, 1]
        rows.extend(_calibration_rows(name, y_eval, prob, classes[1]))
    rows = rows[:CHART_LIMIT]

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        for name, group in itertools.groupby(rows, key=lambda r: r[0]):
            points = list(group)
            style = "k:" if name == "Perfectly calibrated" else "s-"
            ax.plot([p[2] for p in points], [p[1] for p in points], style, label=name)
        ax.set_xlabel("mean predicted value")
        ax.set_ylabel("fraction of positives")
        ax.set_ylim(-0.05, 1.05)
        ax.legend(loc="lower right")
        ax.set_title(f"Calibration Curve ({clf_name})")

    columns = [
        "model",
        "fraction_of_positives",
        "mean_predicted_value",
        "hist_dict",
        "edge_dict",
    ]
    chart = visualize("wandb/calibration/v1", columns, rows)
    log_plot(run, "calibration_curve", chart, draw)


# -- ROC and precision-recall curves ---------------------------------------------------------
def _curve_inputs(
    y_true: Any, y_probas: Any, classes_to_plot: Sequence[Any] | None
) -> tuple[np.ndarray, np.ndarray, list[tuple[Any, int]]] | None:
    """``(y_true, probabilities, [(class, its column)])``, or None having said why not.

    A class's column is its index among the classes of ``y_true``, or the class itself
    when the classes are integers and there are more columns than classes (a test set
    that misses a class). A 1-d ``y_probas`` of a binary problem is the probability of
    the second class."""
    if not usable(y_true=y_true, y_probas=y_probas):
        return None
    truth = np.asarray(y_true)
    probas = np.asarray(y_probas, dtype=float)
    classes = np.unique(truth)
    if probas.ndim == 1 and len(classes) == 2:
        probas = np.column_stack([1.0 - probas, probas])
    if probas.ndim != 2 or probas.shape[0] != len(truth):
        termwarn(
            f"y_probas must have one row per example ({len(truth)}) and one column per "
            f"class; got shape {probas.shape}. Skipping the curve."
        )
        return None
    by_value = classes.dtype.kind in "iu" and len(classes) < probas.shape[1]
    columns = [int(c) if by_value else i for i, c in enumerate(classes)]
    if max(columns, default=0) >= probas.shape[1]:
        termwarn(
            f"y_probas has {probas.shape[1]} columns for the {len(classes)} classes of "
            "y_true. Skipping the curve."
        )
        return None
    wanted = None if classes_to_plot is None else {plain(c) for c in classes_to_plot}
    pairs = zip(classes, columns, strict=True)
    picked = [(c, col) for c, col in pairs if wanted is None or plain(c) in wanted]
    return truth, probas, picked


def _resampled(rows: list[list[Any]], sort_by: tuple[int, ...]) -> list[list[Any]]:
    """At most :data:`TABLE_MAX_ROWS` rows: a sample stratified by class (wandb's way)."""
    if len(rows) <= TABLE_MAX_ROWS:
        return rows
    from sklearn.utils import resample  # type: ignore[import-untyped]

    termwarn(f"runconfig uses only {TABLE_MAX_ROWS} data points to create the plots.")
    strata = [str(r[0]) for r in rows]
    index = resample(
        np.arange(len(rows)),
        replace=False,
        n_samples=TABLE_MAX_ROWS,
        random_state=42,
        stratify=strata,
    )
    sample = [rows[i] for i in index]
    return sorted(sample, key=lambda r: (*(r[k] for k in sort_by), str(r[0])))


def _draw_curves(x: int, y: int, title: str, x_title: str, y_title: str, diagonal: bool) -> Any:
    def draw(fig: Figure, rows: list[list[Any]]) -> None:
        ax = fig.subplots()
        for name, group in itertools.groupby(rows, key=lambda r: r[0]):
            points = list(group)
            ax.plot([p[x] for p in points], [p[y] for p in points], label=str(name))
        if diagonal:
            ax.plot([0, 1], [0, 1], "k:", linewidth=1)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.05)
        ax.set_xlabel(x_title)
        ax.set_ylabel(y_title)
        ax.legend(loc="lower right" if diagonal else "lower left")
        ax.set_title(title)

    return draw


def plot_roc(
    y_true: Any = None,
    y_probas: Any = None,
    labels: Sequence[Any] | None = None,
    plot_micro: bool = True,
    plot_macro: bool = True,
    classes_to_plot: Sequence[Any] | None = None,
) -> None:
    """Log the ROC curve of each class as ``roc`` (wandb's ``wandb.plot.roc_curve``: custom
    chart ``wandb/area-under-curve/v0`` with x ``fpr``, y ``tpr``, over a table with
    columns ``class``, ``fpr``, ``tpr``, rounded to 3 decimals).

    ``y_probas`` has a column per class of ``y_true`` (``predict_proba``); ``labels``
    name integer classes; ``classes_to_plot`` keeps some. ``plot_micro`` and
    ``plot_macro`` are accepted and ignored, as in wandb::

        plot_roc(y_test, model.predict_proba(X_test), ["cat", "dog"])
    """
    from sklearn.metrics import roc_curve

    run = active_run("plot_roc()")
    inputs = _curve_inputs(y_true, y_probas, classes_to_plot)
    if inputs is None:
        return
    truth, probas, picked = inputs
    rows: list[list[Any]] = []
    for c, col in picked:
        fpr, tpr, _ = roc_curve(truth, probas[:, col], pos_label=c)
        name = class_name(c, labels)
        points = zip(fpr, tpr, strict=True)
        rows.extend([name, round(float(f), 3), round(float(t), 3)] for f, t in points)
    rows = _resampled(rows, (1, 2))
    title = "ROC Curve"
    draw = _draw_curves(1, 2, title, "False positive rate", "True positive rate", True)
    chart = custom_chart(
        "wandb/area-under-curve/v0",
        ["class", "fpr", "tpr"],
        rows,
        {"x": "fpr", "y": "tpr", "class": "class"},
        {
            "title": title,
            "x-axis-title": "False positive rate",
            "y-axis-title": "True positive rate",
        },
    )
    log_plot(run, "roc", chart, lambda fig: draw(fig, rows))


def _monotone(values: np.ndarray) -> np.ndarray:
    """Each value raised to the largest one before it (wandb smooths precision so)."""
    return np.maximum.accumulate(values)


def plot_precision_recall(
    y_true: Any = None,
    y_probas: Any = None,
    labels: Sequence[Any] | None = None,
    plot_micro: bool = True,
    classes_to_plot: Sequence[Any] | None = None,
) -> None:
    """Log the precision-recall curve of each class as ``precision_recall`` (wandb's
    ``wandb.plot.pr_curve``: custom chart ``wandb/area-under-curve/v0`` with x ``recall``,
    y ``precision``, over a table with columns ``class``, ``precision``, ``recall``: 21
    recall values from 1 to 0 per class, rounded to 3 decimals).

    Arguments as :func:`plot_roc`; ``plot_micro`` is accepted and ignored, as in wandb::

        plot_precision_recall(y_test, model.predict_proba(X_test), ["cat", "dog"])
    """
    from sklearn.metrics import precision_recall_curve

    run = active_run("plot_precision_recall()")
    inputs = _curve_inputs(y_true, y_probas, classes_to_plot)
    if inputs is None:
        return
    truth, probas, picked = inputs
    recall_grid = np.linspace(0, 1, 21)[::-1]
    rows: list[list[Any]] = []
    for c, col in picked:
        precision, recall, _ = precision_recall_curve(truth, probas[:, col], pos_label=c)
        precision, recall = _monotone(precision)[::-1], recall[::-1]
        at = precision[np.searchsorted(recall, recall_grid, side="left")]
        name = class_name(c, labels)
        points = zip(at, recall_grid, strict=True)
        rows.extend([name, round(float(p), 3), round(float(r), 3)] for p, r in points)
    rows = _resampled(rows, (1, 2))
    title = "Precision-Recall Curve"
    draw = _draw_curves(2, 1, title, "Recall", "Precision", False)
    chart = custom_chart(
        "wandb/area-under-curve/v0",
        ["class", "precision", "recall"],
        rows,
        {"x": "recall", "y": "precision", "class": "class"},
        {"title": title, "x-axis-title": "Recall", "y-axis-title": "Precision"},
    )
    log_plot(run, "precision_recall", chart, lambda fig: draw(fig, rows))


# -- all of them -----------------------------------------------------------------------------
def plot_classifier(
    model: Any,
    X_train: Any,
    X_test: Any,
    y_train: Any,
    y_test: Any,
    y_pred: Any,
    y_probas: Any,
    labels: Sequence[Any] | None,
    is_binary: bool = False,
    model_name: str = "Classifier",
    feature_names: Sequence[Any] | None = None,
    log_learning_curve: bool = False,
) -> None:
    """Log every classifier plot, in wandb's order, one step each: feature importances,
    the learning curve (with ``log_learning_curve``), confusion matrix, summary metrics,
    class proportions, calibration curve, ROC and precision-recall curves (a
    ``MultinomialNB`` has no feature importances nor calibration curve). ``is_binary`` is
    accepted and ignored, as in wandb::

        plot_classifier(forest, X_train, X_test, y_train, y_test, y_pred, y_probas,
                        ["cat", "dog"], model_name="RandomForest")
    """
    from sklearn.naive_bayes import MultinomialNB

    active_run("plot_classifier()")
    termlog(f"\nPlotting {model_name}.")
    multinomial = isinstance(model, MultinomialNB)
    if not multinomial:
        plot_feature_importances(model, feature_names)
        termlog("Logged feature importances.")
    if log_learning_curve:
        plot_learning_curve(model, X_train, y_train)
        termlog("Logged learning curve.")
    plot_confusion_matrix(y_test, y_pred, labels)
    termlog("Logged confusion matrix.")
    plot_summary_metrics(model, X=X_train, y=y_train, X_test=X_test, y_test=y_test)
    termlog("Logged summary metrics.")
    plot_class_proportions(y_train, y_test, labels)
    termlog("Logged class proportions.")
    if not multinomial:
        plot_calibration_curve(model, X_train, y_train, model_name)
        termlog("Logged calibration curve.")
    plot_roc(y_test, y_probas, labels)
    termlog("Logged roc curve.")
    plot_precision_recall(y_test, y_probas, labels)
    termlog("Logged precision-recall curve.")
