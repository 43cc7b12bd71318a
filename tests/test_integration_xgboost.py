"""The XGBoost integration: real boosting on a small synthetic problem, in a real run on a
SQLite store, read back through ``runconfig.Api``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("xgboost", reason="the XGBoost integration needs xgboost")
pytest.importorskip("sklearn", reason="the tests make their data with scikit-learn")

import xgboost as xgb
from sklearn.datasets import make_classification

import runconfig
from runconfig.integrations.xgboost import WandbCallback, wandb_callback

ROUNDS = 40


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


@pytest.fixture(scope="module")
def data() -> tuple[Any, Any, Any, Any]:
    """Training and validation sets of a noisy problem, so early stopping stops early."""
    X, y = make_classification(
        n_samples=400, n_features=6, n_informative=3, flip_y=0.2, random_state=0
    )
    return X[:250], X[250:], y[:250], y[250:]


def fit(data: tuple[Any, Any, Any, Any], callback: Any, **params: Any) -> Any:
    """An ``XGBClassifier`` fitted with ``callback`` and two evaluation sets."""
    X_train, X_val, y_train, y_val = data
    options: dict[str, Any] = {
        "n_estimators": ROUNDS,
        "max_depth": 3,
        "learning_rate": 0.3,
        "eval_metric": ["auc", "logloss"],
        "early_stopping_rounds": 3,
        "callbacks": [callback],
        **params,
    }
    model = xgb.XGBClassifier(**options)
    model.fit(X_train, y_train, eval_set=[(X_train, y_train), (X_val, y_val)], verbose=False)
    return model


def read(store: str, run: runconfig.Run) -> runconfig.RunRecord:
    with runconfig.Api(store=store) as api:
        return api.run(run.id)


def test_each_round_is_one_step_and_the_best_round_and_importance_follow(
    store: str, data: tuple[Any, Any, Any, Any]
) -> None:
    run = runconfig.init(project="p", store=store)
    model = fit(data, WandbCallback())
    run_dir = Path(run.dir)
    runconfig.finish()

    evals = model.evals_result()
    rounds = len(evals["validation_1"]["logloss"])
    assert 3 < rounds < ROUNDS  # early stopping stopped it
    r = read(store, run)
    booster = model.get_booster()

    assert set(r.config) == {"learner", "version"}
    assert r.config["learner"]["objective"]["name"] == "binary:logistic"
    assert r.config["learner"]["gradient_booster"]["tree_train_param"]["max_depth"] == "3"
    assert r.config["version"] == json.loads(booster.save_config())["version"]

    assert r.history is not None
    keys = [f"validation_{i}-{m}" for i in (0, 1) for m in ("auc", "logloss")]
    for epoch, row in enumerate(r.history[:rounds]):
        assert list(row) == ["_step", *keys, "epoch"]
        assert (row["_step"], row["epoch"]) == (epoch, epoch)
        assert row["validation_1-logloss"] == evals["validation_1"]["logloss"][epoch]
        assert row["validation_0-auc"] == evals["validation_0"]["auc"][epoch]
    importance, best = r.history[rounds:]
    assert list(importance) == ["_step", "Feature Importance"]
    table = chart_table(importance["Feature Importance"], run_dir)
    assert table["columns"] == ["Feature", "Importance"]
    assert table["data"] == [[k, v] for k, v in booster.get_score(importance_type="gain").items()]
    assert best == {
        "_step": rounds + 1,
        "best_score": evals["validation_1"]["logloss"][model.best_iteration],
        "best_iteration": model.best_iteration,
    }

    assert r.summary["validation_1-logloss"] == {"min": min(evals["validation_1"]["logloss"])}
    assert r.summary["validation_0-auc"] == {"max": max(evals["validation_0"]["auc"])}
    assert r.summary["best_iteration"] == model.best_iteration
    assert r.summary["epoch"] == rounds - 1


def test_without_definitions_and_importance_the_rows_are_the_rounds(
    store: str, data: tuple[Any, Any, Any, Any]
) -> None:
    run = runconfig.init(project="p", store=store)
    callback = WandbCallback(log_feature_importance=False, define_metric=False)
    model = fit(data, callback, early_stopping_rounds=None, n_estimators=5)
    runconfig.finish()

    r = read(store, run)
    assert r.history is not None
    assert [row["epoch"] for row in r.history] == [0, 1, 2, 3, 4]
    last = model.evals_result()["validation_1"]["logloss"][-1]
    assert r.summary["validation_1-logloss"] == last
    assert "best_score" not in r.summary


def test_log_model_saves_the_model_as_json_in_the_run_folder_and_as_an_artifact(
    store: str, data: tuple[Any, Any, Any, Any]
) -> None:
    run = runconfig.init(project="p", store=store)
    model = fit(data, WandbCallback(log_model=True, log_feature_importance=False))
    name = f"{run.id}_model.json"
    path = Path(run.dir) / name
    runconfig.finish()

    saved = xgb.Booster(model_file=str(path))
    X_val = xgb.DMatrix(data[1])
    np.testing.assert_allclose(saved.predict(X_val), model.get_booster().predict(X_val))
    with runconfig.Api(store=store) as api:
        artifact = api.artifact(f"{name}:latest", type="model")
        assert artifact.aliases == ["latest"]
        assert [entry.path for entry in artifact.files()] == [name]
        assert name in [f.path for f in api.run(run.id).files()]


def test_metrics_with_a_parameter_are_summarised_by_their_family(
    store: str, data: tuple[Any, Any, Any, Any]
) -> None:
    run = runconfig.init(project="p", store=store)
    metrics = ["error@0.7", "map@5"]
    model = fit(data, WandbCallback(log_feature_importance=False), eval_metric=metrics)
    runconfig.finish()

    evals = model.evals_result()["validation_1"]
    summary = read(store, run).summary
    assert summary["validation_1-error@0.7"] == {"min": min(evals["error@0.7"])}
    assert summary["validation_1-map@5"] == {"max": max(evals["map@5"])}


def test_cross_validation_logs_means_and_deviations(
    store: str, data: tuple[Any, Any, Any, Any]
) -> None:
    run = runconfig.init(project="p", store=store)
    dtrain = xgb.DMatrix(data[0], data[2])
    params = {"objective": "binary:logistic", "eval_metric": "logloss", "max_depth": 2}
    results = xgb.cv(
        params, dtrain, num_boost_round=3, nfold=3, seed=0, callbacks=[WandbCallback()]
    )
    runconfig.finish()

    r = read(store, run)
    assert r.config["learner"]["objective"]["name"] == "binary:logistic"
    assert r.history is not None
    assert [list(row) for row in r.history] == [
        [
            "_step",
            "train-logloss-mean",
            "train-logloss-std",
            "test-logloss-mean",
            "test-logloss-std",
            "epoch",
        ]
    ] * 3
    means = list(results["test-logloss-mean"])
    assert [row["test-logloss-mean"] for row in r.history] == pytest.approx(means)
    assert r.summary["test-logloss-mean"] == {"min": pytest.approx(min(means))}
    assert r.summary["test-logloss-std"] == pytest.approx(results["test-logloss-std"].iloc[-1])


def test_the_old_callback_warns_and_logs_each_round(
    store: str, data: tuple[Any, Any, Any, Any]
) -> None:
    run = runconfig.init(project="p", store=store)
    with pytest.warns(UserWarning, match="deprecated in favor of WandbCallback"):
        callback = wandb_callback()
    dtrain = xgb.DMatrix(data[0], data[2])
    dval = xgb.DMatrix(data[1], data[3])
    evals: dict[str, Any] = {}
    xgb.train(
        {"objective": "binary:logistic", "eval_metric": "logloss"},
        dtrain,
        num_boost_round=3,
        evals=[(dval, "val")],
        evals_result=evals,
        callbacks=[callback],
        verbose_eval=False,
    )
    runconfig.finish()

    r = read(store, run)
    assert r.config == {}
    assert r.history == [
        {"_step": i, "val-logloss": value} for i, value in enumerate(evals["val"]["logloss"])
    ]


def test_the_callback_needs_a_run() -> None:
    with pytest.raises(runconfig.Error, match=r"call runconfig.init\(\) first"):
        WandbCallback()


# -- reading back ------------------------------------------------------------------------------
def chart_table(chart: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    """The table behind a logged chart reference: ``{"columns": [...], "data": [...]}``, read
    from its file in the run's folder (wandb's ``.table.json`` layout)."""
    assert chart["_type"] == "chart"
    assert (chart["spec"], chart["fields"]) == (
        "wandb/bar/v0",
        {"label": "Feature", "value": "Importance"},
    )
    ref = chart["table"]
    table: dict[str, Any] = json.loads((run_dir / ref["path"]).read_text())
    assert ref["columns"] == table["columns"] and ref["nrows"] == len(table["data"])
    return table
