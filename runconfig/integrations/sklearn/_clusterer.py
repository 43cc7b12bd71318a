"""The clusterer plots: elbow curve, silhouette, and :func:`plot_clusterer`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from runconfig._term import termlog, termwarn
from runconfig.integrations.sklearn._charts import CHART_LIMIT, active_run, log_plot, visualize
from runconfig.integrations.sklearn._checks import fitted, is_kind, usable

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_clusterer", "plot_elbow_curve", "plot_silhouette"]


def _score(clusterer: Any, X: Any, n_clusters: int) -> tuple[float, float]:
    """``(|score|, seconds)`` of a copy of ``clusterer`` with ``n_clusters`` fitted to ``X``."""
    from sklearn.base import clone  # type: ignore[import-untyped]

    start = time.perf_counter()
    model = clone(clusterer).set_params(n_clusters=n_clusters).fit(X)
    return abs(float(model.score(X))), time.perf_counter() - start


def plot_elbow_curve(
    clusterer: Any = None,
    X: Any = None,
    cluster_ranges: Sequence[int] | None = None,
    n_jobs: int | None = 1,
    show_cluster_time: bool = True,
) -> None:
    """Log the error of the clusterer (the absolute value of its ``score``: the inertia,
    for k-means) against the number of clusters, as ``elbow_curve`` (chart
    ``wandb/elbow/v1``, columns ``cluster_ranges``, ``errors``, ``clustering_time``, in
    seconds).

    Fits a copy of ``clusterer`` for each number of clusters in ``cluster_ranges``
    (default 1, 3, 5, 7, 9), ``n_jobs`` at a time. ``show_cluster_time`` draws the times
    in the image; the table has them either way. Skipped for a clusterer without
    ``n_clusters``::

        plot_elbow_curve(kmeans, X_train, cluster_ranges=range(1, 8))
    """
    run = active_run("plot_elbow_curve()")
    if not hasattr(clusterer, "n_clusters"):
        termlog("n_clusters attribute not in classifier. Cannot plot elbow method.")
        return
    if not (usable(clusterer=clusterer, X=X) and fitted(clusterer)):
        return
    ranges = list(range(1, 10, 2)) if cluster_ranges is None else sorted(cluster_ranges)
    if n_jobs == 1:
        results = [_score(clusterer, X, int(k)) for k in ranges]
    else:
        from joblib import Parallel, delayed  # type: ignore[import-untyped]

        results = Parallel(n_jobs=n_jobs)(delayed(_score)(clusterer, X, int(k)) for k in ranges)
    rows = [[int(k), err, seconds] for k, (err, seconds) in zip(ranges, results, strict=True)]

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        ax.plot(ranges, [r[1] for r in rows], "o-")
        ax.set_xlabel("number of clusters")
        ax.set_ylabel("error")
        if show_cluster_time:
            twin = ax.twinx()
            twin.plot(ranges, [r[2] for r in rows], "g:", alpha=0.7)
            twin.set_ylabel("clustering time (s)", color="g")
        ax.set_title("Elbow Curve")

    chart = visualize("wandb/elbow/v1", ["cluster_ranges", "errors", "clustering_time"], rows)
    log_plot(run, "elbow_curve", chart, draw)


def plot_silhouette(
    clusterer: Any = None,
    X: Any = None,
    cluster_labels: Any = None,
    labels: Sequence[Any] | None = None,
    metric: str = "euclidean",
    kmeans: bool = True,
) -> None:
    """Log the silhouette coefficient of each example (near 1: well inside its cluster,
    near 0: on a border, negative: maybe in the wrong cluster), as ``silhouette_plot``
    (chart ``wandb/silhouette_/v1``).

    The table, as wandb's, holds two plots side by side, one row per example: the
    examples' first two features (``x``, ``y``) coloured by cluster (``colors``) with
    their cluster's centre (``centerx``, ``centery``, for k-means), and the silhouette
    bars (``x1`` = 0 to ``x2`` = the coefficient at height ``y_sil``, coloured
    ``color_sil``), each cluster's sorted, with the mean (``silhouette_avg``).

    ``cluster_labels`` is the cluster of each example of ``X`` (default: the clusterer's
    ``labels_``); ``labels`` is accepted and unused, as in wandb; ``metric`` is the
    distance. Unlike wandb 0.31, works with scikit-learn 1.6 and later. The first 1000
    examples are kept::

        plot_silhouette(kmeans, X_train, kmeans.labels_)
    """
    from sklearn.metrics import silhouette_samples  # type: ignore[import-untyped]

    run = active_run("plot_silhouette()")
    if not (
        usable(clusterer=clusterer, X=X)
        and is_kind("clusterer", clusterer, "clusterer")
        and fitted(clusterer)
    ):
        return
    features = np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=float)
    if cluster_labels is None:
        cluster_labels = getattr(clusterer, "labels_", None)
        if cluster_labels is None:
            cluster_labels = clusterer.predict(features)
    assigned = np.asarray(cluster_labels)
    clusters, codes = np.unique(assigned, return_inverse=True)
    if not 2 <= len(clusters) < len(features):
        termwarn(
            f"a silhouette needs 2 to n_samples - 1 clusters; got {len(clusters)} for "
            f"{len(features)} examples. Skipping the silhouette plot."
        )
        return
    if features.ndim != 2 or features.shape[1] < 2:
        termwarn("a silhouette plot draws the first two features of X: X needs two or more.")
        return
    values = silhouette_samples(features, assigned, metric=metric)
    average = float(values.mean())

    bars: list[tuple[float, int, int]] = []  # (coefficient, height, cluster), by cluster
    lower = 10
    for k in range(len(clusters)):
        mine = np.sort(values[codes == k])
        bars.extend((float(v), lower + j, k) for j, v in enumerate(mine))
        lower += len(mine) + 10
    centers = getattr(clusterer, "cluster_centers_", None) if kmeans else None
    if centers is not None and len(centers) != len(clusters):
        centers = None

    def center(code: int, axis: int) -> float | None:
        return None if centers is None else float(centers[code][axis])

    rows = [
        [
            float(features[i, 0]),
            float(features[i, 1]),
            int(codes[i]),
            center(int(codes[i]), 0),
            center(int(codes[i]), 1),
            height,
            0,
            coefficient,
            cluster,
            average,
        ]
        for i, (coefficient, height, cluster) in enumerate(bars[:CHART_LIMIT])
    ]

    def draw(fig: Figure) -> None:
        sil, scatter = fig.subplots(1, 2)
        for k in range(len(clusters)):
            mine = [b for b in bars if b[2] == k]
            sil.fill_betweenx(
                [b[1] for b in mine], 0, [b[0] for b in mine], color=f"C{k % 10}", alpha=0.7
            )
        sil.axvline(average, color="red", linestyle="--")
        sil.set_xlabel("silhouette coefficient")
        sil.set_yticks([])
        sil.set_title(f"Silhouette (mean {average:.3f})")
        colors = [f"C{c % 10}" for c in codes]  # the colours of the silhouette's bars
        scatter.scatter(features[:, 0], features[:, 1], c=colors, s=10)
        if centers is not None:
            scatter.scatter(centers[:, 0], centers[:, 1], marker="x", c="black", s=60)
        scatter.set_title("Clusters")

    columns = [
        "x",
        "y",
        "colors",
        "centerx",
        "centery",
        "y_sil",
        "x1",
        "x2",
        "color_sil",
        "silhouette_avg",
    ]
    chart = visualize("wandb/silhouette_/v1", columns, rows)
    log_plot(run, "silhouette_plot", chart, draw, size=(9.0, 4.5))


def plot_clusterer(
    model: Any,
    X_train: Any,
    cluster_labels: Any,
    labels: Sequence[Any] | None = None,
    model_name: str = "Clusterer",
) -> None:
    """Log every clusterer plot, in wandb's order, one step each: the elbow curve (k-means
    only), then the silhouette plot::

        plot_clusterer(kmeans, X_train, kmeans.labels_, model_name="KMeans")
    """
    from sklearn.cluster import KMeans  # type: ignore[import-untyped]

    active_run("plot_clusterer()")
    termlog(f"\nPlotting {model_name}.")
    is_kmeans = isinstance(model, KMeans)
    if is_kmeans:
        plot_elbow_curve(model, X_train)
        termlog("Logged elbow curve.")
    plot_silhouette(model, X_train, cluster_labels, labels=labels, kmeans=is_kmeans)
    termlog("Logged silhouette plot.")
