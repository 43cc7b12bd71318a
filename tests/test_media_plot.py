"""wandb.plot: each chart logged to a real run, stored as its table and spec, read back."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import runconfig
import runconfig.plot as plot
from runconfig._run import Run
from runconfig.errors import Error, UsageTypeError, UsageValueError
from runconfig.media import CustomChart, Table, Visualize, load


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.delenv("RUNCONFIG_FILES", raising=False)
    monkeypatch.delenv("WANDB_DIR", raising=False)
    r = runconfig.init(project="p", store=str(tmp_path / "s.db"))
    yield r
    r.finish()


def logged(run: Run, chart: Any, key: str = "chart") -> tuple[dict[str, Any], pd.DataFrame]:
    """Log ``chart``, read the row back from the store: the reference and its table."""
    run.log({key: chart})
    run.finish()
    with runconfig.Api(store=run._store.location) as api:  # type: ignore[union-attr]
        ref = (api.run(run.id).history or [])[-1][key]
    path = os.path.join(run.dir, ref["table"]["path"])
    return ref, pd.read_json(path, orient="split", dtype=False, precise_float=True)


def steps() -> Table:
    return Table(
        columns=["step", "loss", "split"],
        data=[[0, 1.0, "train"], [1, 0.5, "train"], [0, 1.2, "val"], [1, 0.7, "val"]],
    )


@pytest.mark.parametrize(
    ("make", "spec", "fields", "title"),
    [
        (
            lambda t: plot.line(t, "step", "loss", stroke="split", title="Loss"),
            "wandb/line/v0",
            {"x": "step", "y": "loss", "stroke": "split"},
            "Loss",
        ),
        (
            lambda t: plot.scatter(t, "step", "loss", title="Scatter"),
            "wandb/scatter/v0",
            {"x": "step", "y": "loss"},
            "Scatter",
        ),
        (
            lambda t: plot.bar(t, "split", "loss", title="Bars"),
            "wandb/bar/v0",
            {"label": "split", "value": "loss"},
            "Bars",
        ),
        (
            lambda t: plot.histogram(t, "loss", title="Spread"),
            "wandb/histogram/v0",
            {"value": "loss"},
            "Spread",
        ),
    ],
    ids=["line", "scatter", "bar", "histogram"],
)
def test_a_chart_of_a_table_stores_the_table_and_its_spec(
    run: Run, make: Any, spec: str, fields: dict[str, Any], title: str
) -> None:
    ref, frame = logged(run, make(steps()))
    assert ref["_type"] == "chart" and ref["spec"] == spec and ref["panel"] == "Vega2"
    assert ref["fields"] == fields
    assert ref["title"] == title and ref["string_fields"] == {"title": title}
    assert ref["table"]["_type"] == "table-file" and ref["table"]["nrows"] == 4
    assert frame.values.tolist() == steps().data
    chart = load(ref, run.dir)
    assert isinstance(chart, CustomChart) and chart.spec.spec_name == spec
    assert chart.table.to_pandas().values.tolist() == steps().data


def test_a_chart_naming_a_column_the_table_lacks_is_refused() -> None:
    with pytest.raises(UsageValueError, match=r"plot.line\(y='los'\).*did you mean 'loss'"):
        plot.line(steps(), "step", "los")
    with pytest.raises(UsageTypeError, match=re.escape("takes a runconfig.Table")):
        plot.bar([[1, 2]], "a", "b")  # type: ignore[arg-type]


def test_line_series_with_shared_or_own_xs(run: Run) -> None:
    shared = plot.line_series([0, 1, 2], [[1, 2, 3], [3, 2, 1]], title="Two", xname="epoch")
    assert shared.table.data == [
        [0, "line_0", 1],
        [1, "line_0", 2],
        [2, "line_0", 3],
        [0, "line_1", 3],
        [1, "line_1", 2],
        [2, "line_1", 1],
    ]
    own = plot.line_series(np.array([[0, 1], [10, 20]]), [[5, 6], [7, 8]], keys=["a", "b"])
    assert own.table.get_column("step") == [0, 1, 10, 20]
    assert own.table.get_column("lineKey") == ["a", "a", "b", "b"]
    ref, frame = logged(run, shared)
    assert ref["spec"] == "wandb/lineseries/v0"
    assert ref["fields"] == {"step": "step", "lineKey": "lineKey", "lineVal": "lineVal"}
    assert ref["string_fields"] == {"title": "Two", "xname": "epoch"}
    assert list(frame.columns) == ["step", "lineKey", "lineVal"] and len(frame) == 6
    with pytest.raises(UsageValueError, match=r"Number of keys \(1\) must match y-series \(2\)"):
        plot.line_series([0, 1], [[1, 2], [3, 4]], keys=["only"])
    with pytest.raises(UsageValueError, match=r"Number of x-series \(3\)"):
        plot.line_series([[0], [1], [2]], [[1], [2]])


def test_a_confusion_matrix_counts_each_actual_and_predicted_pair(run: Run) -> None:
    chart = plot.confusion_matrix(
        y_true=[0, 1, 1, 2], preds=[0, 1, 0, 2], class_names=["cat", "dog", "owl"]
    )
    counts = {(a, p): n for a, p, n in chart.table.data}
    assert counts[("cat", "cat")] == 1 and counts[("dog", "dog")] == 1
    assert counts[("dog", "cat")] == 1 and counts[("owl", "owl")] == 1
    assert sum(counts.values()) == 4 and len(counts) == 9
    ref, frame = logged(run, chart)
    assert ref["spec"] == "wandb/confusion_matrix/v1"
    assert ref["fields"] == {
        "Actual": "Actual",
        "Predicted": "Predicted",
        "nPredictions": "nPredictions",
    }
    assert ref["title"] == "Confusion Matrix Curve"
    assert list(frame.columns) == ["Actual", "Predicted", "nPredictions"]
    from_probs = plot.confusion_matrix(probs=np.array([[0.9, 0.1], [0.2, 0.8]]), y_true=[1, 1])
    assert from_probs.table.data == [
        ["Class_1", "Class_1", 0],
        ["Class_1", "Class_2", 0],
        ["Class_2", "Class_1", 1],
        ["Class_2", "Class_2", 1],
    ]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"probs": [[1.0]], "preds": [0], "y_true": [0]}, "Only one of `probs` or `preds`"),
        ({"preds": [0, 1], "y_true": [0]}, "must be equal: 2 predictions, 1 true labels"),
        ({"preds": [0, 5], "y_true": [0, 1], "class_names": ["a", "b"]}, "the label 5 is not"),
        ({"preds": [0, 1, 2], "y_true": [0, 1, 2], "class_names": ["a"]}, "exceeds the number"),
        ({"preds": [0]}, "needs y_true"),
    ],
    ids=["probs-and-preds", "lengths", "label-out-of-range", "too-few-names", "no-y-true"],
)
def test_a_wrong_confusion_matrix_is_refused(kwargs: dict[str, Any], words: str) -> None:
    with pytest.raises(UsageValueError) as caught:
        plot.confusion_matrix(**kwargs)
    assert words in str(caught.value)


def test_roc_curve_gives_scikit_learns_points_per_class(run: Run) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 3, 60)
    y_probas = rng.dirichlet(np.ones(3), 60)
    chart = plot.roc_curve(y_true, y_probas, labels=["a", "b", "c"], classes_to_plot=[0, 2])
    table = chart.table
    assert table.columns == ["class", "fpr", "tpr"]
    assert sorted(set(table.get_column("class"))) == ["a", "c"]
    for label, k in (("a", 0), ("c", 2)):
        fpr, tpr, _ = metrics.roc_curve(y_true, y_probas[:, k], pos_label=k)
        ours = [(f, t) for c, f, t in table.data if c == label]
        assert ours == [(round(f, 3), round(t, 3)) for f, t in zip(fpr, tpr, strict=True)]
    ref, frame = logged(run, chart)
    assert ref["spec"] == "wandb/area-under-curve/v0"
    assert ref["fields"] == {"x": "fpr", "y": "tpr", "class": "class"}
    assert ref["string_fields"]["x-axis-title"] == "False positive rate"
    assert ref["title"] == "ROC Curve" and len(frame) == len(table.data)


def test_pr_curve_interpolates_each_class_at_interp_size_recalls(run: Run) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    from runconfig.media._curves import precision_recall

    rng = np.random.default_rng(4)
    y_true = rng.integers(0, 2, 50)
    y_probas = rng.dirichlet(np.ones(2), 50)
    precision, recall = precision_recall(y_true, y_probas[:, 1], 1)
    expected_p, expected_r, _ = metrics.precision_recall_curve(y_true, y_probas[:, 1], pos_label=1)
    assert np.allclose(precision, expected_p) and np.allclose(recall, expected_r)

    chart = plot.pr_curve(y_true, y_probas, interp_size=11)
    assert chart.table.columns == ["class", "precision", "recall"]
    for k in (0, 1):
        rows = [(p, r) for c, p, r in chart.table.data if c == k]
        assert [r for _, r in rows] == [round(x, 3) for x in np.linspace(1, 0, 11)]
        precisions = [p for p, _ in rows]
        assert precisions == sorted(precisions)  # monotonic as recall falls
        assert all(0 <= p <= 1 for p in precisions)
    ref, _ = logged(run, chart)
    assert ref["fields"] == {"x": "recall", "y": "precision", "class": "class"}
    assert ref["title"] == "Precision-Recall Curve"


def test_classifier_curves_refuse_inputs_that_do_not_fit() -> None:
    with pytest.raises(UsageValueError, match="roc_curve needs y_probas"):
        plot.roc_curve([0, 1])
    with pytest.raises(UsageValueError, match="2 columns for the 3 classes"):
        plot.pr_curve([0, 1, 2], [[0.5, 0.5]] * 3)
    with pytest.raises(UsageValueError, match=r"expected \(samples,\) and \(samples, classes\)"):
        plot.roc_curve([0, 1, 1], [[0.5, 0.5]] * 2)
    binary = plot.roc_curve([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3])  # scores of class 1
    assert set(binary.table.get_column("class")) == {0, 1}


def test_plot_table_and_visualize_keep_what_integrations_give_them(run: Run) -> None:
    table = Table(columns=["x", "y"], data=[[1, 2]])
    custom = runconfig.media.plot_table(
        "my/spec/v1", table, {"x": "x", "y": "y"}, {"title": "Mine", "note": "n"}
    )
    assert plot.plot_table is runconfig.media.plot_table
    run.log({"custom": custom, "preset": plot.visualize("wandb/elbow/v1", table)})
    run.finish()
    with runconfig.Api(store=run._store.location) as api:  # type: ignore[union-attr]
        row = (api.run(run.id).history or [])[0]
    assert row["custom"]["spec"] == "my/spec/v1" and row["custom"]["title"] == "Mine"
    assert row["custom"]["string_fields"] == {"title": "Mine", "note": "n"}
    assert row["preset"]["spec"] == "wandb/elbow/v1" and row["preset"]["panel"] == "viz"
    assert row["preset"]["table"]["path"] == row["custom"]["table"]["path"]  # one table file
    preset = load(row["preset"], run.dir)
    assert isinstance(preset, Visualize) and preset.table.data == [[1, 2]]
    with pytest.raises(Error, match=re.escape("Expected `data_table` to be `wandb.Table` type")):
        runconfig.media.plot_table("s", {"x": [1]}, {})  # type: ignore[arg-type]
    with pytest.raises(
        UsageTypeError, match=re.escape("Expected `value` to be `wandb.Table` type")
    ):
        runconfig.media.visualize("s", [[1]])  # type: ignore[arg-type]
