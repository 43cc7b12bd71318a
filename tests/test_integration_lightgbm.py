"""The LightGBM integration: real boosting on a small synthetic problem, in a real run on a
SQLite store, read back through ``runconfig.Api``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("lightgbm", reason="the LightGBM integration needs lightgbm")
pytest.importorskip("sklearn", reason="the tests make their data with scikit-learn")

import lightgbm as lgb
from sklearn.datasets import make_classification

import runconfig
from runconfig.errors import UsageError, UsageTypeError
from runconfig.integrations.lightgbm import log_summary, wandb_callback

PARAMS = {"objective": "binary", "metric": ["binary_logloss", "auc"], "verbose": -1, "seed": 1}
ROUNDS = 30


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
def data() -> tuple[Any, Any]:
    """Training and validation sets of a noisy problem, so early stopping stops early."""
    X, y = make_classification(
        n_samples=400, n_features=6, n_informative=3, flip_y=0.2, random_state=0
    )
    train = lgb.Dataset(X[:250], y[:250], free_raw_data=False)
    val = lgb.Dataset(X[250:], y[250:], reference=train, free_raw_data=False)
    return train, val


def train(data: tuple[Any, Any], *callbacks: Any, stop: bool = True) -> tuple[Any, dict[str, Any]]:
    """A booster trained with ``callbacks`` (and early stopping), and LightGBM's own record
    of the evaluation results, to compare the logged values with."""
    record: dict[str, Any] = {}
    extra = [lgb.early_stopping(3, verbose=False)] if stop else []
    booster = lgb.train(
        PARAMS,
        data[0],
        num_boost_round=ROUNDS,
        valid_sets=[data[0], data[1]],
        valid_names=["train", "val"],
        callbacks=[*callbacks, lgb.record_evaluation(record), *extra],
    )
    return booster, record


def read(store: str, run: runconfig.Run) -> runconfig.RunRecord:
    with runconfig.Api(store=store) as api:
        return api.run(run.id)


def test_each_round_is_one_step_with_the_params_as_config_and_the_best_in_the_summary(
    store: str, data: tuple[Any, Any]
) -> None:
    run = runconfig.init(project="p", store=store)
    _, record = train(data, wandb_callback())
    runconfig.finish()

    rounds = len(record["val"]["auc"])
    assert 3 < rounds < ROUNDS  # early stopping stopped it
    r = read(store, run)
    assert r.config == {**PARAMS, "num_iterations": ROUNDS}
    keys = ["train_binary_logloss", "train_auc", "val_binary_logloss", "val_auc"]
    assert r.history is not None
    assert [row["_step"] for row in r.history] == list(range(rounds))
    for i, row in enumerate(r.history):
        assert list(row) == ["_step", *keys, "iteration"]
        assert row["iteration"] == i
        assert row["val_auc"] == record["val"]["auc"][i]
        assert row["train_binary_logloss"] == record["train"]["binary_logloss"][i]
    assert r.summary == {
        "train_binary_logloss": {"min": min(record["train"]["binary_logloss"])},
        "train_auc": {"max": max(record["train"]["auc"])},
        "val_binary_logloss": {"min": min(record["val"]["binary_logloss"])},
        "val_auc": {"max": max(record["val"]["auc"])},
        "iteration": rounds - 1,
    }
    assert [m["name"] for m in r.meta["metrics"]] == keys


def test_without_params_and_definitions_the_summary_keeps_the_last_values(
    store: str, data: tuple[Any, Any]
) -> None:
    run = runconfig.init(project="p", store=store)
    _, record = train(data, wandb_callback(log_params=False, define_metric=False), stop=False)
    runconfig.finish()

    r = read(store, run)
    assert r.config == {}
    assert r.summary["val_auc"] == record["val"]["auc"][-1]
    assert r.summary["iteration"] == ROUNDS - 1
    assert "metrics" not in r.meta


def test_cross_validation_logs_means_and_deviations_named_as_wandb_names_them(
    store: str, data: tuple[Any, Any]
) -> None:
    run = runconfig.init(project="p", store=store)
    results = lgb.cv(
        PARAMS, data[0], num_boost_round=4, nfold=3, seed=0, callbacks=[wandb_callback()]
    )
    runconfig.finish()

    r = read(store, run)
    assert r.history is not None
    assert len(r.history) == 4
    assert list(r.history[0]) == [
        "_step",
        "valid_binary_logloss-mean",
        "valid_binary_logloss-stdv",
        "valid_auc-mean",
        "valid_auc-stdv",
        "iteration",
    ]
    assert [row["valid_auc-mean"] for row in r.history] == results["valid auc-mean"]
    assert [row["valid_auc-stdv"] for row in r.history] == results["valid auc-stdv"]
    # wandb chooses by the suffixed names: "loss" is in both logloss keys; auc-mean is
    # in neither list, so it keeps its last value.
    losses = results["valid binary_logloss-mean"]
    assert r.summary["valid_binary_logloss-mean"] == {"min": min(losses)}
    assert r.summary["valid_binary_logloss-stdv"] == {
        "min": min(results["valid binary_logloss-stdv"])
    }
    assert r.summary["valid_auc-mean"] == results["valid auc-mean"][-1]


def test_log_summary_stores_the_best_round_and_logs_the_feature_importance_chart(
    store: str, data: tuple[Any, Any]
) -> None:
    run = runconfig.init(project="p", store=store)
    booster, record = train(data, wandb_callback())
    log_summary(booster)
    run_dir = Path(run.dir)
    runconfig.finish()

    r = read(store, run)
    best = booster.best_iteration
    assert r.summary["best_iteration"] == best
    assert r.summary["best_score"] == {
        name: {metric: values[best - 1] for metric, values in metrics.items()}
        for name, metrics in record.items()
    }
    assert r.history is not None
    rounds = len(record["val"]["auc"])
    # Logged with commit=False after the last round: its own row, committed by finish().
    last = r.history[-1]
    assert len(r.history) == rounds + 1
    assert set(last) == {"_step", "Feature Importance"}
    chart = last["Feature Importance"]
    table = chart_table(chart, run_dir)
    assert table["columns"] == ["Feature", "Importance"]
    assert table["data"] == [
        [name, int(v)]
        for name, v in zip(booster.feature_name(), booster.feature_importance(), strict=True)
    ]
    assert (chart["spec"], chart["fields"]) == (
        "wandb/bar/v0",
        {"label": "Feature", "value": "Importance"},
    )
    assert chart["string_fields"]["title"] == "Feature Importance"


def test_log_summary_saves_the_best_model_in_the_run_folder_and_as_an_artifact(
    store: str, data: tuple[Any, Any]
) -> None:
    run = runconfig.init(project="p", store=store)
    booster, _ = train(data, wandb_callback())
    log_summary(booster, feature_importance=False, save_model_checkpoint=True)
    name = f"model_ckpt_{booster.best_iteration}.txt"
    path = Path(run.dir) / name
    runconfig.finish()

    saved = lgb.Booster(model_file=str(path))
    assert saved.num_trees() == booster.best_iteration
    X = data[1].get_data()
    np.testing.assert_allclose(saved.predict(X), booster.predict(X))
    with runconfig.Api(store=store) as api:
        artifact = api.artifact(f"model_{run.id}:best", type="model")
        assert sorted(artifact.aliases) == ["best", "latest"]
        assert [entry.path for entry in artifact.files()] == [name]
        assert Path(artifact.files()[0].download(run.dir + "-copy")).read_bytes() == (
            path.read_bytes()
        )
        record = api.run(run.id)
        assert name in [f.path for f in record.files()]
        assert [a.name for a in record.logged_artifacts()] == [f"model_{run.id}:v0"]


def test_without_artifacts_the_checkpoint_stays_in_the_run_folder_with_one_warning(
    store: str,
    data: tuple[Any, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from runconfig import _term

    monkeypatch.setattr(runconfig, "Artifact", None, raising=False)
    monkeypatch.setattr(_term, "_said", set())  # what repeat=False has printed so far
    run = runconfig.init(project="p", store=store)
    booster = lgb.train(PARAMS, data[0], num_boost_round=2)
    log_summary(booster, feature_importance=False, save_model_checkpoint=True)
    log_summary(booster, feature_importance=False, save_model_checkpoint=True)
    runconfig.finish()

    err = capsys.readouterr().err
    assert err.count("not logged as artifacts") == 1  # once per process (repeat=False)
    with runconfig.Api(store=store) as api:
        assert [f.path for f in api.run(run.id).files()] == ["model_ckpt_0.txt"]
        assert api.run(run.id).logged_artifacts() == []


def test_log_summary_needs_a_run_and_a_booster(data: tuple[Any, Any], store: str) -> None:
    booster = lgb.train(PARAMS, data[0], num_boost_round=2)
    with pytest.raises(UsageError, match=r"runconfig.init\(\)"):
        log_summary(booster)
    runconfig.init(project="p", store=store)
    model = lgb.LGBMClassifier(n_estimators=2, verbose=-1).fit(*make_xy())
    with pytest.raises(UsageTypeError, match="pass its booster_"):
        log_summary(model)
    log_summary(model.booster_, feature_importance=False)


def make_xy() -> tuple[Any, Any]:
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    return X, y


def test_the_callback_without_a_run_says_to_call_init(data: tuple[Any, Any]) -> None:
    with pytest.raises(UsageError, match=r"call runconfig.init\(\) first"):
        lgb.train(PARAMS, data[0], num_boost_round=2, callbacks=[wandb_callback()])


def test_importing_runconfig_and_these_integrations_imports_no_ml_library() -> None:
    code = (
        "import json, sys, runconfig, runconfig.integrations.lightgbm, "
        "runconfig.integrations.sklearn; "
        "print(json.dumps([m for m in ('lightgbm', 'xgboost', 'sklearn') if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


# -- reading back ------------------------------------------------------------------------------
def chart_table(chart: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    """The table behind a logged chart reference: ``{"columns": [...], "data": [...]}``, read
    from its file in the run's folder (wandb's ``.table.json`` layout)."""
    assert chart["_type"] == "chart"
    ref = chart["table"]
    assert ref["_type"] == "table-file"
    table: dict[str, Any] = json.loads((run_dir / ref["path"]).read_text())
    assert ref["columns"] == table["columns"] and ref["nrows"] == len(table["data"])
    return table


def stored_files(store: str, run: runconfig.Run) -> list[str]:
    """The paths of the files the store records for ``run``."""
    from runconfig.store import open_store

    s = open_store(store)
    try:
        data = s.get_run(run.id)
        assert data is not None and data.rid is not None
        return [f.path for f in s.list_files(data.rid)]
    finally:
        s.close()
