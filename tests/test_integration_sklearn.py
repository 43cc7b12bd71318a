"""The scikit-learn plots: each on small real data, in a real run on a SQLite store, read
back through ``runconfig.Api`` and ``runconfig.media.load``: the key, the chart id, the
table's columns and rows, and the image beside it when matplotlib is installed."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="the scikit-learn plots need scikit-learn")

from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.datasets import make_blobs, make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import (
    confusion_matrix,
    precision_recall_curve,
    roc_curve,
    silhouette_samples,
    silhouette_score,
)
from sklearn.naive_bayes import MultinomialNB

import runconfig
from runconfig.errors import UsageError
from runconfig.integrations import sklearn as wsk
from runconfig.media import load

try:
    import matplotlib  # noqa: F401

    HAS_MATPLOTLIB = True
except ImportError:
    HAS_MATPLOTLIB = False


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for var in ("RUNCONFIG_STORE", "RUNCONFIG_MODE", "RUNCONFIG_FILES", "WANDB_MODE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    yield
    from runconfig._run import _state

    for run in list(_state.runs):
        run.finish()
    _state.config = runconfig.Config()


@pytest.fixture
def store(tmp_path: Path) -> str:
    return str(tmp_path / "s.db")


# -- data: small and fixed ---------------------------------------------------------------------
def _binary() -> dict[str, Any]:
    X, y = make_classification(n_samples=240, n_features=5, n_informative=3, random_state=0)
    model = LogisticRegression().fit(X[:160], y[:160])
    return {"X": X[:160], "y": y[:160], "X_test": X[160:], "y_test": y[160:], "model": model}


def _three_classes() -> dict[str, Any]:
    X, y = make_classification(
        n_samples=240, n_features=5, n_informative=3, n_classes=3, random_state=1
    )
    model = RandomForestClassifier(n_estimators=8, max_depth=4, random_state=0)
    model.fit(X[:160], y[:160])
    return {"X": X[:160], "y": y[:160], "X_test": X[160:], "y_test": y[160:], "model": model}


def _regression() -> dict[str, Any]:
    X, y = make_regression(n_samples=150, n_features=3, noise=4.0, random_state=0)
    return {"X": X[:120], "y": y[:120], "X_test": X[120:], "y_test": y[120:], "model": Ridge()}


def _blobs() -> dict[str, Any]:
    X, _ = make_blobs(n_samples=90, centers=3, random_state=0)
    return {"X": X, "model": KMeans(n_clusters=3, n_init=2, random_state=0).fit(X)}


BINARY = _binary()
THREE = _three_classes()
REGRESSION = _regression()
REGRESSION["model"].fit(REGRESSION["X"], REGRESSION["y"])
BLOBS = _blobs()
LABELS = ["ant", "bee", "cat"]


def logged(store: str, run: runconfig.Run) -> list[dict[str, Any]]:
    """The run's history, as stored."""
    with runconfig.Api(store=store) as api:
        history = api.run(run.id).history
    assert history is not None
    return history


def run_plot(store: str, plot: Callable[[], None]) -> tuple[list[dict[str, Any]], str]:
    """The history rows that ``plot()`` logs in a fresh run, and the run's folder."""
    run = runconfig.init(project="p", store=store)
    plot()
    run_dir = run.dir
    runconfig.finish()
    return logged(store, run), run_dir


def chart_at(row: dict[str, Any], key: str, run_dir: str) -> Any:
    """The chart logged under ``key`` in ``row``, read back with its table."""
    ref = row[key]
    assert ref["_type"] == "chart"
    return load(ref, run_dir)


# -- every plot: key, chart id, columns, rows, image ---------------------------------------------
CASES: list[tuple[str, Callable[[], None], str, str, list[str], int]] = [
    (
        "feature_importances",
        lambda: wsk.plot_feature_importances(THREE["model"]),
        "feature_importances",
        "wandb/feature_importances/v1",
        ["feature_names", "importances"],
        5,
    ),
    (
        "confusion_matrix",
        lambda: wsk.plot_confusion_matrix(
            THREE["y_test"], THREE["model"].predict(THREE["X_test"]), LABELS
        ),
        "confusion_matrix",
        "wandb/confusion_matrix/v1",
        ["Predicted", "Actual", "Count"],
        9,
    ),
    (
        "summary_metrics_classifier",
        lambda: wsk.plot_summary_metrics(
            THREE["model"], THREE["X"], THREE["y"], THREE["X_test"], THREE["y_test"]
        ),
        "summary_metrics",
        "wandb/metrics/v1",
        ["metric_name", "metric_value", "model_name"],
        4,
    ),
    (
        "summary_metrics_regressor",
        lambda: wsk.plot_summary_metrics(
            REGRESSION["model"],
            REGRESSION["X"],
            REGRESSION["y"],
            REGRESSION["X_test"],
            REGRESSION["y_test"],
        ),
        "summary_metrics",
        "wandb/metrics/v1",
        ["metric_name", "metric_value", "model_name"],
        3,
    ),
    (
        "class_proportions",
        lambda: wsk.plot_class_proportions(THREE["y"], THREE["y_test"], LABELS),
        "class_proportions",
        "wandb/class_proportions/v1",
        ["class", "dataset", "count"],
        6,
    ),
    (
        "roc",
        lambda: wsk.plot_roc(THREE["y_test"], THREE["model"].predict_proba(THREE["X_test"])),
        "roc",
        "wandb/area-under-curve/v0",
        ["class", "fpr", "tpr"],
        -1,  # checked against sklearn below
    ),
    (
        "precision_recall",
        lambda: wsk.plot_precision_recall(
            THREE["y_test"], THREE["model"].predict_proba(THREE["X_test"])
        ),
        "precision_recall",
        "wandb/area-under-curve/v0",
        ["class", "precision", "recall"],
        3 * 21,
    ),
    (
        "learning_curve",
        lambda: wsk.plot_learning_curve(
            BINARY["model"], BINARY["X"], BINARY["y"], cv=3, shuffle=True, random_state=0
        ),
        "learning_curve",
        "wandb/learning_curve/v1",
        ["dataset", "score", "train_size"],
        10,
    ),
    (
        "calibration_curve",
        lambda: wsk.plot_calibration_curve(BINARY["model"], BINARY["X"], BINARY["y"], "LR"),
        "calibration_curve",
        "wandb/calibration/v1",
        ["model", "fraction_of_positives", "mean_predicted_value", "hist_dict", "edge_dict"],
        -1,  # 2 + the non-empty bins of three models
    ),
    (
        "elbow_curve",
        lambda: wsk.plot_elbow_curve(BLOBS["model"], BLOBS["X"]),
        "elbow_curve",
        "wandb/elbow/v1",
        ["cluster_ranges", "errors", "clustering_time"],
        5,
    ),
    (
        "silhouette",
        lambda: wsk.plot_silhouette(BLOBS["model"], BLOBS["X"], BLOBS["model"].labels_),
        "silhouette_plot",
        "wandb/silhouette_/v1",
        [
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
        ],
        90,
    ),
    (
        "outlier_candidates",
        lambda: wsk.plot_outlier_candidates(REGRESSION["model"], REGRESSION["X"], REGRESSION["y"]),
        "outlier_candidates",
        "wandb/outliers/v1",
        ["distance", "instance_indicies", "outlier_percentage", "influence_threshold"],
        120,
    ),
    (
        "residuals",
        lambda: wsk.plot_residuals(REGRESSION["model"], REGRESSION["X"], REGRESSION["y"]),
        "residuals",
        "wandb/residuals_plot/v1",
        ["dataset", "y_pred", "residuals", "train_score", "test_score"],
        96 + 24,
    ),
]


@pytest.mark.parametrize(
    ("plot", "key", "chart_id", "columns", "nrows"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_plot_logs_one_row_with_its_chart_table_and_image(
    store: str,
    plot: Callable[[], None],
    key: str,
    chart_id: str,
    columns: list[str],
    nrows: int,
) -> None:
    history, run_dir = run_plot(store, plot)

    assert len(history) == 1
    row = history[0]
    assert row["_step"] == 0
    image_key = f"{key}_image"
    assert set(row) == ({"_step", key, image_key} if HAS_MATPLOTLIB else {"_step", key})
    chart = chart_at(row, key, run_dir)
    spec = chart.spec.spec_name if row[key]["panel"] == "Vega2" else chart.spec.name
    assert spec == chart_id
    assert chart.table.columns == columns
    if nrows >= 0:
        assert len(chart.table.data) == nrows
    assert all(len(r) == len(columns) for r in chart.table.data)
    if HAS_MATPLOTLIB:
        image = load(row[image_key], run_dir)
        assert row[image_key]["_type"] == "image-file"
        assert Path(image.path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert image.width > 100 and image.height > 100


# -- the data behind the charts ------------------------------------------------------------------
def test_feature_importances_are_sorted_named_and_cut_to_max_num_features(store: str) -> None:
    model = THREE["model"]
    names = ["a", "b", "c", "d", "e"]
    history, run_dir = run_plot(
        store, lambda: wsk.plot_feature_importances(model, names, max_num_features=3)
    )

    table = chart_at(history[0], "feature_importances", run_dir).table
    order = np.argsort(model.feature_importances_)[::-1][:3]
    expected = [[names[i], model.feature_importances_[i]] for i in order]
    assert table.data == [[n, pytest.approx(v)] for n, v in expected]


def test_feature_importances_default_to_the_columns_a_model_was_fitted_on(store: str) -> None:
    pd = pytest.importorskip("pandas", reason="needs pandas for a DataFrame")
    frame = pd.DataFrame(BINARY["X"], columns=["w", "x", "y", "z", "v"])
    model = LogisticRegression().fit(frame, BINARY["y"])
    history, run_dir = run_plot(store, lambda: wsk.plot_feature_importances(model))

    table = chart_at(history[0], "feature_importances", run_dir).table
    assert sorted(r[0] for r in table.data) == ["v", "w", "x", "y", "z"]
    assert [r[1] for r in table.data] == sorted(model.coef_[0], reverse=True)


def test_confusion_matrix_counts_are_sklearns_with_actual_and_predicted_named(
    store: str,
) -> None:
    y_true = THREE["y_test"]
    y_pred = THREE["model"].predict(THREE["X_test"])
    history, run_dir = run_plot(store, lambda: wsk.plot_confusion_matrix(y_true, y_pred, LABELS))

    cm = confusion_matrix(y_true, y_pred)
    table = chart_at(history[0], "confusion_matrix", run_dir).table
    assert table.data == [[LABELS[p], LABELS[a], int(cm[a, p])] for a in range(3) for p in range(3)]


def test_confusion_matrix_normalizes_rows_and_keeps_the_labels_asked_for(store: str) -> None:
    y_true = np.array(["x", "x", "y", "y", "y", "z"])
    y_pred = np.array(["x", "y", "y", "y", "z", "z"])

    def plot() -> None:
        wsk.plot_confusion_matrix(
            y_true, y_pred, true_labels=["y"], pred_labels=["y", "z"], normalize=True
        )

    history, run_dir = run_plot(store, plot)
    table = chart_at(history[0], "confusion_matrix", run_dir).table
    assert table.data == [["y", "y", 0.67], ["z", "y", 0.33]]


def test_class_proportions_count_each_class_in_train_and_test(store: str) -> None:
    history, run_dir = run_plot(
        store, lambda: wsk.plot_class_proportions(THREE["y"], THREE["y_test"], LABELS)
    )

    table = chart_at(history[0], "class_proportions", run_dir).table
    assert table.data == [
        [LABELS[c], dataset, int((y == c).sum())]
        for c in range(3)
        for dataset, y in (("train", THREE["y"]), ("test", THREE["y_test"]))
    ]


def test_summary_metrics_are_sklearns_rounded(store: str) -> None:
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    m = REGRESSION
    history, run_dir = run_plot(
        store,
        lambda: wsk.plot_summary_metrics(m["model"], m["X"], m["y"], m["X_test"], m["y_test"]),
    )

    table = chart_at(history[0], "summary_metrics", run_dir).table
    pred = m["model"].predict(m["X_test"])
    assert table.data == [
        ["mae", round(mean_absolute_error(m["y_test"], pred), 2), "Ridge"],
        ["mse", round(mean_squared_error(m["y_test"], pred), 2), "Ridge"],
        ["r2_score", round(r2_score(m["y_test"], pred), 2), "Ridge"],
    ]


def test_roc_and_precision_recall_are_sklearns_curves_per_class(store: str) -> None:
    y, probas = THREE["y_test"], THREE["model"].predict_proba(THREE["X_test"])

    def plot() -> None:
        wsk.plot_roc(y, probas, LABELS)
        wsk.plot_precision_recall(y, probas, LABELS, classes_to_plot=[2])

    history, run_dir = run_plot(store, plot)

    roc = chart_at(history[0], "roc", run_dir)
    assert (roc.spec.fields, roc.spec.string_fields["title"]) == (
        {"x": "fpr", "y": "tpr", "class": "class"},
        "ROC Curve",
    )
    expected = []
    for c in range(3):
        fpr, tpr, _ = roc_curve(y, probas[:, c], pos_label=c)
        expected += [[LABELS[c], round(f, 3), round(t, 3)] for f, t in zip(fpr, tpr, strict=True)]
    assert roc.table.data == expected

    pr = chart_at(history[1], "precision_recall", run_dir)
    assert pr.spec.fields == {"x": "recall", "y": "precision", "class": "class"}
    assert {r[0] for r in pr.table.data} == {"cat"}
    assert [r[2] for r in pr.table.data] == [round(r, 3) for r in np.linspace(1, 0, 21)]
    precision, _, _ = precision_recall_curve(y, probas[:, 2], pos_label=2)
    assert pr.table.data[-1][1] == round(float(precision.max()), 3)  # at recall 0


def test_a_binary_roc_takes_the_positive_probabilities_alone(store: str) -> None:
    y, scores = BINARY["y_test"], BINARY["model"].predict_proba(BINARY["X_test"])[:, 1]
    history, run_dir = run_plot(store, lambda: wsk.plot_roc(y, scores))

    fpr, tpr, _ = roc_curve(y, scores)
    table = chart_at(history[0], "roc", run_dir).table
    assert [r[1:] for r in table.data if r[0] == 1] == [
        [round(f, 3), round(t, 3)] for f, t in zip(fpr, tpr, strict=True)
    ]


def test_calibration_compares_three_models_and_leaves_the_classifier_alone(store: str) -> None:
    model = BINARY["model"]
    coef = model.coef_.copy()
    history, run_dir = run_plot(
        store, lambda: wsk.plot_calibration_curve(model, BINARY["X"], BINARY["y"], "LR")
    )

    table = chart_at(history[0], "calibration_curve", run_dir).table
    assert table.data[:2] == [
        ["Perfectly calibrated", 0, 0, 0, 0],
        ["Perfectly calibrated", 1, 1, 0, 0],
    ]
    models = [r[0] for r in table.data[2:]]
    assert list(dict.fromkeys(models)) == ["Logistic", "LR Isotonic", "LR Sigmoid"]
    for name in ("Logistic", "LR Isotonic", "LR Sigmoid"):
        rows = [r for r in table.data if r[0] == name]
        # 90% of 160 examples are scored, each counted once in a bin.
        assert sum(r[3] for r in rows) == 144
        assert all(0 <= r[1] <= 1 and 0 <= r[2] <= 1 and 0 <= r[4] < 1 for r in rows)
    np.testing.assert_array_equal(model.coef_, coef)


def test_learning_curve_holds_a_train_and_a_test_score_per_size(store: str) -> None:
    sizes = [0.5, 1.0]
    history, run_dir = run_plot(
        store,
        lambda: wsk.plot_learning_curve(
            BINARY["model"], BINARY["X"], BINARY["y"], cv=4, train_sizes=sizes
        ),
    )

    table = chart_at(history[0], "learning_curve", run_dir).table
    assert [(r[0], r[2]) for r in table.data] == [
        ("train", 60),
        ("test", 60),
        ("train", 120),
        ("test", 120),
    ]
    assert all(0.5 <= r[1] <= 1 for r in table.data)


def test_elbow_curve_errors_are_kmeans_inertias(store: str) -> None:
    X = BLOBS["X"]
    history, run_dir = run_plot(
        store, lambda: wsk.plot_elbow_curve(BLOBS["model"], X, cluster_ranges=[4, 2])
    )

    table = chart_at(history[0], "elbow_curve", run_dir).table
    assert [r[0] for r in table.data] == [2, 4]
    for k, error, seconds in table.data:
        refit = KMeans(n_clusters=k, n_init=2, random_state=0).fit(X)
        assert error == pytest.approx(refit.inertia_)
        assert seconds >= 0


def test_silhouette_works_with_this_scikit_learn_and_matches_its_scores(store: str) -> None:
    X, model = BLOBS["X"], BLOBS["model"]
    history, run_dir = run_plot(store, lambda: wsk.plot_silhouette(model, X))

    table = chart_at(history[0], "silhouette_plot", run_dir).table
    average = silhouette_score(X, model.labels_)
    assert [r[9] for r in table.data] == [pytest.approx(average)] * len(X)
    values = silhouette_samples(X, model.labels_)
    for k in range(3):
        bars = [r[7] for r in table.data if r[8] == k]
        assert bars == pytest.approx(sorted(values[model.labels_ == k]))
    first = table.data[0]
    assert first[:3] == [X[0, 0], X[0, 1], int(model.labels_[0])]
    center = model.cluster_centers_[model.labels_[0]]
    assert first[3:5] == [pytest.approx(center[0]), pytest.approx(center[1])]
    assert [r[6] for r in table.data] == [0] * len(X)


def test_outlier_candidates_and_residuals_fit_copies_not_the_model(store: str) -> None:
    model = LinearRegression().fit(REGRESSION["X_test"], REGRESSION["y_test"])
    coef = model.coef_.copy()

    def plot() -> None:
        wsk.plot_outlier_candidates(model, REGRESSION["X"], REGRESSION["y"])
        wsk.plot_residuals(model, REGRESSION["X"], REGRESSION["y"])

    history, run_dir = run_plot(store, plot)

    np.testing.assert_array_equal(model.coef_, coef)
    outliers = chart_at(history[0], "outlier_candidates", run_dir).table
    assert [r[1] for r in outliers.data] == list(range(120))
    assert {r[3] for r in outliers.data} == {4 / 120}
    percentage = outliers.data[0][2]
    assert percentage == round(100 * sum(r[0] >= 4 / 120 for r in outliers.data) / 120, 3)
    residuals = chart_at(history[1], "residuals", run_dir).table
    assert [r[0] for r in residuals.data] == ["train"] * 96 + ["test"] * 24
    assert len({(r[3], r[4]) for r in residuals.data}) == 1


# -- the groups ------------------------------------------------------------------------------------
def keys_by_step(history: list[dict[str, Any]]) -> list[list[str]]:
    return [[k for k in row if k != "_step" and not k.endswith("_image")] for row in history]


def test_plot_classifier_logs_wandbs_plots_in_wandbs_order(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    b = BINARY
    model = b["model"]

    def plot() -> None:
        wsk.plot_classifier(
            model,
            b["X"],
            b["X_test"],
            b["y"],
            b["y_test"],
            model.predict(b["X_test"]),
            model.predict_proba(b["X_test"]),
            ["no", "yes"],
            model_name="LR",
            log_learning_curve=True,
        )

    history, _ = run_plot(store, plot)

    assert keys_by_step(history) == [
        ["feature_importances"],
        ["learning_curve"],
        ["confusion_matrix"],
        ["summary_metrics"],
        ["class_proportions"],
        ["calibration_curve"],
        ["roc"],
        ["precision_recall"],
    ]
    assert [row["_step"] for row in history] == list(range(8))
    err = capsys.readouterr().err
    assert "Plotting LR." in err and "Logged precision-recall curve." in err


def test_plot_classifier_skips_what_a_multinomial_nb_lacks(store: str) -> None:
    X, y = np.abs(THREE["X"]), THREE["y"]
    model = MultinomialNB().fit(X, y)

    def plot() -> None:
        wsk.plot_classifier(model, X, X, y, y, model.predict(X), model.predict_proba(X), LABELS)

    history, _ = run_plot(store, plot)

    assert keys_by_step(history) == [
        ["confusion_matrix"],
        ["summary_metrics"],
        ["class_proportions"],
        ["roc"],
        ["precision_recall"],
    ]


def test_plot_regressor_logs_its_four_plots(store: str) -> None:
    m = REGRESSION

    def plot() -> None:
        wsk.plot_regressor(m["model"], m["X"], m["X_test"], m["y"], m["y_test"], "Ridge")

    history, _ = run_plot(store, plot)

    assert keys_by_step(history) == [
        ["summary_metrics"],
        ["learning_curve"],
        ["outlier_candidates"],
        ["residuals"],
    ]


def test_plot_clusterer_draws_the_elbow_for_kmeans_only(store: str) -> None:
    X = BLOBS["X"]
    agglomerative = AgglomerativeClustering(n_clusters=3).fit(X)

    def plot() -> None:
        wsk.plot_clusterer(BLOBS["model"], X, BLOBS["model"].labels_, model_name="KMeans")
        wsk.plot_clusterer(agglomerative, X, agglomerative.labels_)

    history, run_dir = run_plot(store, plot)

    assert keys_by_step(history) == [["elbow_curve"], ["silhouette_plot"], ["silhouette_plot"]]
    table = chart_at(history[2], "silhouette_plot", run_dir).table
    assert {(r[3], r[4]) for r in table.data} == {(None, None)}


# -- what is refused -------------------------------------------------------------------------------
REFUSED: list[tuple[str, Callable[[], None], str]] = [
    (
        "missing_argument",
        lambda: wsk.plot_confusion_matrix(None, [1, 0]),
        "y_true is None",
    ),
    (
        "missing_values",
        lambda: wsk.plot_learning_curve(BINARY["model"], np.full((4, 2), np.nan), [0, 1, 0, 1]),
        "X contains 8 missing values",
    ),
    (
        "not_fitted",
        lambda: wsk.plot_feature_importances(RandomForestClassifier()),
        "Please fit the model",
    ),
    (
        "not_a_classifier",
        lambda: wsk.plot_calibration_curve(REGRESSION["model"], REGRESSION["X"], REGRESSION["y"]),
        "clf is not a classifier",
    ),
    (
        "not_binary",
        lambda: wsk.plot_calibration_curve(THREE["model"], THREE["X"], THREE["y"]),
        "only supports binary classification",
    ),
    (
        "not_a_clusterer",
        lambda: wsk.plot_silhouette(BINARY["model"], BINARY["X"], BINARY["y"]),
        "clusterer is not a clusterer",
    ),
    (
        "no_importances",
        lambda: wsk.plot_feature_importances(fitted_knn()),
        "Cannot plot feature importances",
    ),
]


def fitted_knn() -> Any:
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(n_neighbors=1).fit([[0.0], [1.0]], [0, 1])


@pytest.mark.parametrize(("plot", "message"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_an_unusable_input_is_reported_in_one_line_and_nothing_is_logged(
    store: str, plot: Callable[[], None], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    history, _ = run_plot(store, plot)

    assert history == []
    assert message in capsys.readouterr().err


def test_plots_need_a_run() -> None:
    with pytest.raises(UsageError, match=r"plot_roc\(\) logs into the active run"):
        wsk.plot_roc([0, 1], [[0.4, 0.6], [0.3, 0.7]])


def test_without_matplotlib_only_the_chart_is_logged(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import raises ImportError
    history, _ = run_plot(store, lambda: wsk.plot_class_proportions([0, 1, 1], [1, 0]))

    assert list(history[0]) == ["_step", "class_proportions"]
