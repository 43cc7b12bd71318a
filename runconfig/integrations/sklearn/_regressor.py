"""The regressor plots: outlier candidates, residuals, and :func:`plot_regressor`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from runconfig._term import termlog
from runconfig.integrations.sklearn._charts import CHART_LIMIT, active_run, log_plot, visualize
from runconfig.integrations.sklearn._checks import fitted, is_kind, usable
from runconfig.integrations.sklearn._shared import plot_learning_curve, plot_summary_metrics

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_outlier_candidates", "plot_regressor", "plot_residuals"]

_RESIDUALS_PER_SET = 100


def _features(X: Any) -> np.ndarray:
    dense = X.toarray() if hasattr(X, "toarray") else X
    return np.asarray(dense, dtype=float)


def plot_outlier_candidates(regressor: Any = None, X: Any = None, y: Any = None) -> None:
    """Log each example's influence on a linear fit of ``X`` to ``y`` (Cook's distance),
    as ``outlier_candidates`` (chart ``wandb/outliers/v1``, columns ``distance``,
    ``instance_indicies`` (wandb's spelling), ``outlier_percentage``: how many examples,
    in percent, reach ``influence_threshold``, which is 4 / the number of examples).

    As wandb does, the residuals are those of the regressor fitted to ``X`` and ``y``; a
    copy is fitted, the ``regressor`` given is left as it is. The first 1000 examples are
    kept::

        plot_outlier_candidates(ridge, X_train, y_train)
    """
    from sklearn.base import clone  # type: ignore[import-untyped]

    run = active_run("plot_outlier_candidates()")
    if not (
        usable(regressor=regressor, X=X, y=y)
        and is_kind("regressor", regressor, "regressor")
        and fitted(regressor)
    ):
        return
    features, target = _features(X), np.asarray(y, dtype=float)
    residuals = target - clone(regressor).fit(features, target).predict(features)
    n, p = features.shape
    # The leverage of each example: the diagonal of the hat matrix X (X'X)^-1 X'.
    leverage = (features * np.linalg.pinv(features).T).sum(axis=1)
    mse = residuals @ residuals / (n - np.linalg.matrix_rank(features))
    with np.errstate(divide="ignore", invalid="ignore"):
        studentized = residuals / np.sqrt(mse) / np.sqrt(1 - leverage)
        distance = studentized**2 / p * (leverage / (1 - leverage))
    threshold = 4 / n
    percentage = round(float((distance >= threshold).sum() / n * 100.0), 3)
    rows = [[float(d), i, percentage, threshold] for i, d in enumerate(distance[:CHART_LIMIT])]

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        ax.stem(range(len(rows)), [r[0] for r in rows], markerfmt=",")
        ax.axhline(threshold, color="red", linestyle="--", label=f"threshold {threshold:.3g}")
        ax.set_xlabel("instance")
        ax.set_ylabel("Cook's distance")
        ax.legend()
        ax.set_title(f"Outlier Candidates ({percentage:g}% above the threshold)")

    columns = ["distance", "instance_indicies", "outlier_percentage", "influence_threshold"]
    chart = visualize("wandb/outliers/v1", columns, rows)
    log_plot(run, "outlier_candidates", chart, draw)


def plot_residuals(regressor: Any = None, X: Any = None, y: Any = None) -> None:
    """Log a regressor's residuals (prediction minus truth) against its predictions, as
    ``residuals`` (chart ``wandb/residuals_plot/v1``, columns ``dataset``
    (``train``/``test``), ``y_pred``, ``residuals``, ``train_score``, ``test_score``).

    As wandb does, a copy of ``regressor`` (the one given is left as it is) is fitted on a
    random 80% of ``X``, ``y`` and scored (R²) on both parts; the first 100 examples of
    each part are kept::

        plot_residuals(ridge, X_train, y_train)
    """
    from sklearn.base import clone
    from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]

    run = active_run("plot_residuals()")
    if not (
        usable(regressor=regressor, X=X, y=y)
        and is_kind("regressor", regressor, "regressor")
        and fitted(regressor)
    ):
        return
    x_train, x_test, y_train, y_test = train_test_split(X, np.asarray(y), test_size=0.2)
    model = clone(regressor).fit(x_train, y_train)
    scores = float(model.score(x_train, y_train)), float(model.score(x_test, y_test))
    parts = []
    for name, features, target in (("train", x_train, y_train), ("test", x_test, y_test)):
        predicted = np.asarray(model.predict(features[:_RESIDUALS_PER_SET]), dtype=float)
        residual = predicted - np.asarray(target[:_RESIDUALS_PER_SET], dtype=float)
        parts.append((name, predicted, residual))
    rows = [
        [name, float(p), float(r), *scores]
        for name, predicted, residual in parts
        for p, r in zip(predicted, residual, strict=True)
    ]

    def draw(fig: Figure) -> None:
        ax, hist = fig.subplots(1, 2, width_ratios=[4, 1], sharey=True)
        for name, predicted, residual in parts:
            ax.scatter(predicted, residual, s=12, alpha=0.7, label=name)
            hist.hist(residual, bins=20, orientation="horizontal", alpha=0.6)
        ax.axhline(0, color="black", linewidth=1)
        ax.set_xlabel("predicted value")
        ax.set_ylabel("residual")
        ax.legend(title=f"R² train {scores[0]:.3f}, test {scores[1]:.3f}")
        ax.set_title(f"Residuals ({type(regressor).__name__})")

    columns = ["dataset", "y_pred", "residuals", "train_score", "test_score"]
    chart = visualize("wandb/residuals_plot/v1", columns, rows)
    log_plot(run, "residuals", chart, draw, size=(7.5, 4.5))


def plot_regressor(
    model: Any,
    X_train: Any,
    X_test: Any,
    y_train: Any,
    y_test: Any,
    model_name: str = "Regressor",
) -> None:
    """Log every regressor plot, in wandb's order, one step each: summary metrics,
    learning curve, outlier candidates, residuals (the last three on the training set)::

        plot_regressor(ridge, X_train, X_test, y_train, y_test, "Ridge")
    """
    active_run("plot_regressor()")
    termlog(f"\nPlotting {model_name}.")
    plot_summary_metrics(model, X_train, y_train, X_test, y_test)
    termlog("Logged summary metrics.")
    plot_learning_curve(model, X_train, y_train)
    termlog("Logged learning curve.")
    plot_outlier_candidates(model, X_train, y_train)
    termlog("Logged outlier candidates.")
    plot_residuals(model, X_train, y_train)
    termlog("Logged residuals.")
