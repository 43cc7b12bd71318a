"""XGBoost training logged into the active run, as wandb 0.31's ``wandb.integration.xgboost``.

::

    import runconfig as wandb
    import xgboost as xgb
    from runconfig.integrations.xgboost import WandbCallback

    run = wandb.init(project="gbm")
    model = xgb.XGBClassifier(n_estimators=50, early_stopping_rounds=5,
                              callbacks=[WandbCallback(log_model=True)])
    model.fit(X_train, y_train, eval_set=[(X_val, y_val)])

What :class:`WandbCallback` logs, as in wandb:

- before training: ``config.update(json.loads(booster.save_config()))``, XGBoost's whole
  configuration (``{"learner": {...}, "version": [3, 2, 0]}``, values as XGBoost writes
  them: mostly strings).
- each round: ``log({f"{data}-{metric}": value}, commit=False)`` per evaluation result
  (``validation_0-logloss``: note the ``-``, where LightGBM's integration uses ``_``),
  then ``log({"epoch": epoch})``: one history row (one step) per round. At the first
  round, with ``define_metric``: ``define_metric(key, summary="min" | "max")``, ``min``
  for names containing ``loss`` and for :data:`MINIMIZE_METRICS`, ``max`` for
  :data:`MAXIMIZE_METRICS`, nothing for the others (so the summary holds
  ``{"min": best}``).
- after training: with ``log_model``, the model saved as ``<run id>_model.json`` in
  :attr:`Run.dir <runconfig.Run.dir>` (recorded among the run's files when it finishes)
  and logged as the artifact of that name, of type ``model``; with
  ``log_feature_importance``, ``log({"Feature Importance": bar chart})`` over a table
  with columns ``Feature`` and ``Importance`` (``booster.get_score(importance_type)``);
  when early stopping kept a best round, ``log({"best_score": float, "best_iteration":
  int})`` (a history row, so the summary holds them too).

:func:`wandb_callback` is the older callback: it warns (``UserWarning``) that it will be
deprecated, and logs each result under ``f"{data}-{metric}"`` with ``commit=False``
followed by ``log({})`` each round; nothing else.

What differs from wandb:

- ``wandb_callback()`` returns a ``TrainingCallback`` (still callable with an old-style
  ``env``), so XGBoost 2 and 3 accept it; wandb's is a plain function they refuse.
- ``xgboost.cv``: the config is the first fold's, and each result, a ``(mean, std)``
  pair, is logged as ``f"{data}-{metric}-mean"`` and ``-std`` (XGBoost's own column
  names), the ``min``/``max`` summary going to ``-mean``. wandb fails on the config and
  logs the pairs as lists, which no summary can take the minimum of.
- ``error@0.7``, ``ndcg@5``, ``map@3``... are matched to wandb's list entries
  ``error@t``, ``ndcg@n`` and ``map@n`` (wandb compares the literal names, so never
  defines them), and a name with a ``.`` is defined by its flat key.
- Where runconfig has no ``Artifact``, the saved model stays in the run's folder and one
  warning line says so; a disabled run logs no artifact.
- ``xgboost.cv`` gives no single Booster: there is no model to save nor feature
  importance to draw then (wandb fails).

This module imports XGBoost; ``import runconfig`` never imports it.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xgboost as xgb
from xgboost.callback import TrainingCallback

from runconfig.integrations.sklearn._charts import active_run, bar_chart, keep_model_file

if TYPE_CHECKING:
    from runconfig._run import Run

__all__ = ["MAXIMIZE_METRICS", "MINIMIZE_METRICS", "WandbCallback", "wandb_callback"]

MINIMIZE_METRICS: tuple[str, ...] = (
    "rmse",
    "rmsle",
    "mae",
    "mape",
    "mphe",
    "logloss",
    "error",
    "error@t",
    "merror",
)
"""Metrics whose summary is their minimum (with any name containing ``loss``)."""

MAXIMIZE_METRICS: tuple[str, ...] = ("auc", "aucpr", "ndcg", "map", "ndcg@n", "map@n")
"""Metrics whose summary is their maximum."""

EvalsLog = Mapping[str, Mapping[str, Sequence[Any]]]


def _summary_kind(metric: str) -> str | None:
    name = metric.lower()
    head, at, tail = name.partition("@")
    if at and tail:  # wandb's lists spell a parameter as "@t" (a threshold) and "@n" (a cut)
        name = f"{head}@t" if head == "error" else f"{head}@n"
    if "loss" in name or name in MINIMIZE_METRICS:
        return "min"
    if name in MAXIMIZE_METRICS:
        return "max"
    return None


def _booster_config(model: Any) -> dict[str, Any] | None:
    """XGBoost's configuration of ``model``, a Booster or (under ``xgboost.cv``) the pack of
    the folds' boosters; None when there is none to read."""
    if not hasattr(model, "save_config"):
        folds = getattr(model, "cvfolds", None)
        if not folds:
            return None
        model = folds[0].bst
    config: dict[str, Any] = json.loads(model.save_config())
    return config


def _latest(evals_log: EvalsLog) -> dict[str, tuple[str, Any]]:
    """``{key: (metric, value)}`` for each data set and metric's latest value; a
    cross-validation ``(mean, std)`` pair gives the keys ``...-mean`` and ``...-std``."""
    latest: dict[str, tuple[str, Any]] = {}
    for data, metrics in evals_log.items():
        for metric, values in metrics.items():
            if not values:
                continue
            value = values[-1]
            key = f"{data}-{metric}"
            if isinstance(value, tuple):
                latest[f"{key}-mean"] = (metric, float(value[0]))
                latest[f"{key}-std"] = ("", float(value[1]))
            else:
                latest[key] = (metric, float(value))
    return latest


class WandbCallback(TrainingCallback):
    """An XGBoost callback that logs the config, each round's evaluation results, the
    feature importance, the best round and (optionally) the model into the active run.

    ``log_model``: save the trained model in the run's folder (an artifact when runconfig
    has them). ``log_feature_importance``: log a bar chart of ``importance_type``
    (``weight``, ``gain``, ``cover``, ``total_gain``, ``total_cover``). ``define_metric``:
    summarise losses and errors by their minimum and ``auc``, ``ndcg``, ``map`` by their
    maximum. Raises :class:`~runconfig.errors.UsageError` (a ``runconfig.Error``) when no
    run is active, as wandb does::

        xgb.train(params, dtrain, evals=[(dval, "val")], callbacks=[WandbCallback()])
    """

    def __init__(
        self,
        log_model: bool = False,
        log_feature_importance: bool = True,
        importance_type: str = "gain",
        define_metric: bool = True,
    ) -> None:
        super().__init__()
        self.log_model = log_model
        self.log_feature_importance = log_feature_importance
        self.importance_type = importance_type
        self.define_metric = define_metric
        # The run is looked up at each call, never kept: scikit-learn deep-copies callbacks.
        active_run("xgboost's WandbCallback()")
        self._defined = False

    def before_training(self, model: Any) -> Any:
        """Store XGBoost's configuration in the run's config."""
        run = active_run("xgboost's WandbCallback")
        self._defined = False
        config = _booster_config(model)
        if config is not None:
            run.config.update(config)
        return model

    def after_iteration(self, model: Any, epoch: int, evals_log: EvalsLog) -> bool:
        """Log the round's evaluation results as one history row; never stops training."""
        run = active_run("xgboost's WandbCallback")
        latest = _latest(evals_log)
        if self.define_metric and not self._defined:
            for key, (metric, _value) in latest.items():
                kind = _summary_kind(metric) if metric else None
                if kind is not None:
                    # A dot would make define_metric read the key as nested.
                    run.define_metric(key.replace(".", "\\."), summary=kind)
        self._defined = True
        for key, (_metric, value) in latest.items():
            run.log({key: value}, commit=False)
        run.log({"epoch": int(epoch)})
        return False

    def after_training(self, model: Any) -> Any:
        """Save the model, log the feature importance and the best round."""
        run = active_run("xgboost's WandbCallback")
        is_booster = isinstance(model, xgb.Booster)
        if self.log_model and is_booster:
            name = f"{run.id}_model.json"
            path = Path(run.dir) / name
            model.save_model(str(path))
            keep_model_file(run, path, name, None)
        if self.log_feature_importance and is_booster:
            self._log_feature_importance(run, model)
        best_score = model.attr("best_score")
        if best_score is not None:
            run.log(
                {
                    "best_score": float(best_score),
                    "best_iteration": int(model.attr("best_iteration") or 0),
                }
            )
        return model

    def _log_feature_importance(self, run: Run, model: xgb.Booster) -> None:
        scores = model.get_score(importance_type=self.importance_type)
        rows = [[str(name), _importance(score)] for name, score in scores.items()]
        chart = bar_chart(rows, ["Feature", "Importance"], title="Feature Importance")
        run.log({"Feature Importance": chart})


def _importance(score: Any) -> float:
    """A feature's importance: ``get_score`` gives a number, or a list (one per output)
    for linear boosters with several outputs, whose mean is taken."""
    if isinstance(score, (list, tuple)):
        return sum(float(s) for s in score) / len(score) if score else 0.0
    return float(score)


class _LegacyCallback(TrainingCallback):
    """What :func:`wandb_callback` returns: wandb's old callback, as a ``TrainingCallback``
    for the XGBoost of today and a function of ``env`` for XGBoost before 1.3."""

    def __call__(self, env: Any) -> None:
        run = active_run("xgboost's wandb_callback()")
        for key, value in env.evaluation_result_list:
            run.log({key: value}, commit=False)
        run.log({})

    def after_iteration(self, model: Any, epoch: int, evals_log: EvalsLog) -> bool:
        """Log the round's results as wandb's old callback did; never stops training."""
        run = active_run("xgboost's wandb_callback()")
        for data, metrics in evals_log.items():
            for metric, values in metrics.items():
                if values:
                    run.log({f"{data}-{metric}": values[-1]}, commit=False)
        run.log({})
        return False


def wandb_callback() -> _LegacyCallback:
    """wandb's older XGBoost callback: each round's results under ``f"{data}-{metric}"``,
    one history row per round. Warns (``UserWarning``) that :class:`WandbCallback`, which
    logs more, replaces it."""
    warnings.warn(
        "wandb_callback will be deprecated in favor of WandbCallback. "
        "Please use WandbCallback for more features.",
        UserWarning,
        stacklevel=2,
    )
    return _LegacyCallback()
