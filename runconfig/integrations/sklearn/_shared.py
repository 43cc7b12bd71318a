"""The plots of classifiers and regressors alike: summary metrics and learning curve."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from runconfig.integrations.sklearn._charts import CHART_LIMIT, active_run, log_plot, visualize
from runconfig.integrations.sklearn._checks import fitted, is_kind, usable

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_learning_curve", "plot_summary_metrics"]


def _metrics(model: Any, X_test: Any, y_test: Any) -> dict[str, float]:
    from sklearn import metrics  # type: ignore[import-untyped]
    from sklearn.base import is_classifier  # type: ignore[import-untyped]

    y_pred = model.predict(X_test)
    if is_classifier(model):
        kw: dict[str, Any] = {"average": "weighted", "zero_division": 0}
        values = {
            "accuracy_score": metrics.accuracy_score(y_test, y_pred),
            "precision": metrics.precision_score(y_test, y_pred, **kw),
            "recall": metrics.recall_score(y_test, y_pred, **kw),
            "f1_score": metrics.f1_score(y_test, y_pred, **kw),
        }
    else:
        values = {
            "mae": metrics.mean_absolute_error(y_test, y_pred),
            "mse": metrics.mean_squared_error(y_test, y_pred),
            "r2_score": metrics.r2_score(y_test, y_pred),
        }
    return {name: round(float(v), 2) for name, v in values.items()}


def plot_summary_metrics(
    model: Any = None, X: Any = None, y: Any = None, X_test: Any = None, y_test: Any = None
) -> None:
    """Log a fitted model's scores on the test set as ``summary_metrics`` (chart
    ``wandb/metrics/v1``, columns ``metric_name``, ``metric_value``, ``model_name``):
    ``accuracy_score``, ``precision``, ``recall``, ``f1_score`` (weighted) for a
    classifier; ``mae``, ``mse``, ``r2_score`` for a regressor; two decimals. ``X`` and
    ``y``, the training set, are checked but not used, as in wandb::

        plot_summary_metrics(model, X_train, y_train, X_test, y_test)
    """
    run = active_run("plot_summary_metrics()")
    if not (
        usable(model=model, X=X, y=y, X_test=X_test, y_test=y_test)
        and is_kind("model", model, "classifier", "regressor")
        and fitted(model)
    ):
        return
    values = _metrics(model, X_test, np.asarray(y_test))
    model_name = type(model).__name__
    rows = [[name, value, model_name] for name, value in values.items()]

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        bars = ax.bar(list(values), list(values.values()))
        ax.bar_label(bars, fmt="%.2f")
        ax.set_title(f"Summary Metrics ({model_name})")

    chart = visualize("wandb/metrics/v1", ["metric_name", "metric_value", "model_name"], rows)
    log_plot(run, "summary_metrics", chart, draw)


def plot_learning_curve(
    model: Any = None,
    X: Any = None,
    y: Any = None,
    cv: Any = None,
    shuffle: bool = False,
    random_state: Any = None,
    train_sizes: Sequence[float] | np.ndarray | None = None,
    n_jobs: int | None = 1,
    scoring: Any = None,
) -> None:
    """Log the model's mean score on the training folds and on the held-out folds for
    training sets of growing size, as ``learning_curve`` (chart
    ``wandb/learning_curve/v1``, columns ``dataset`` (``train``/``test``), ``score`` (two
    decimals), ``train_size``).

    Fits copies of ``model`` with ``sklearn.model_selection.learning_curve``, whose
    arguments the others are (``train_sizes`` default to 10%, 32.5%, 55%, 77.5%, 100%)::

        plot_learning_curve(model, X, y, cv=3)
    """
    from sklearn.model_selection import learning_curve  # type: ignore[import-untyped]

    run = active_run("plot_learning_curve()")
    if not (usable(model=model, X=X, y=y) and is_kind("model", model, "classifier", "regressor")):
        return
    sizes, train_scores, test_scores = learning_curve(
        model,
        X,
        np.asarray(y),
        cv=cv,
        n_jobs=n_jobs,
        train_sizes=np.linspace(0.1, 1.0, 5) if train_sizes is None else train_sizes,
        scoring=scoring,
        shuffle=shuffle,
        random_state=random_state,
    )
    train_mean, test_mean = train_scores.mean(axis=1), test_scores.mean(axis=1)
    rows: list[list[Any]] = []
    points = list(zip(sizes, train_mean, test_mean, strict=True))[: CHART_LIMIT // 2]
    for size, train, test in points:
        rows.append(["train", round(float(train), 2), int(size)])
        rows.append(["test", round(float(test), 2), int(size)])

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        ax.plot(sizes, train_mean, "o-", label="train")
        ax.plot(sizes, test_mean, "o-", label="test")
        ax.set_xlabel("training examples")
        ax.set_ylabel("score")
        ax.legend()
        ax.set_title(f"Learning Curve ({type(model).__name__})")

    chart = visualize("wandb/learning_curve/v1", ["dataset", "score", "train_size"], rows)
    log_plot(run, "learning_curve", chart, draw)
