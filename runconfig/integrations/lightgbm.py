"""LightGBM training logged into the active run, as wandb 0.31's ``wandb.integration.lightgbm``.

::

    import lightgbm as lgb
    import runconfig as wandb
    from runconfig.integrations.lightgbm import log_summary, wandb_callback

    run = wandb.init(project="gbm")
    booster = lgb.train(params, train_set, valid_sets=[val_set], valid_names=["val"],
                        callbacks=[wandb_callback(), lgb.early_stopping(5)])
    log_summary(booster, save_model_checkpoint=True)

What is logged, as in wandb:

- :func:`wandb_callback` at the first boosting round: ``config.update(params)`` (the
  parameters LightGBM trains with, ``num_iterations`` included) and, for each evaluation
  result, ``define_metric(f"{data}_{metric}", summary="min" | "max")``: ``min`` for names
  containing ``loss`` and for :data:`MINIMIZE_METRICS`, ``max`` for
  :data:`MAXIMIZE_METRICS`, nothing for the others; so the summary holds
  ``{"min": best}`` rather than the last value. Each round: ``log({f"{data}_{metric}":
  value}, commit=False)`` per result, then ``log({"iteration": i})``: one history row
  (one step) per round. Under ``lightgbm.cv`` the keys are ``f"{data}_{metric}-mean"`` and
  ``-stdv`` (and the ``min``/``max`` choice is made on those names, as wandb makes it).
- :func:`log_summary` after training: ``summary["best_iteration"]``,
  ``summary["best_score"]`` (the booster's ``best_score`` as plain nested dicts:
  ``{"val": {"auc": 0.93, ...}}``), the feature importance (``split`` counts) as the bar chart
  ``"Feature Importance"`` over a table with columns ``Feature`` and ``Importance``,
  logged with ``commit=False``, and with ``save_model_checkpoint=True`` the model at its
  best iteration saved as ``model_ckpt_<best_iteration>.txt`` in :attr:`Run.dir
  <runconfig.Run.dir>` (recorded among the run's files when it finishes) and logged as
  the artifact ``model_<run id>`` of type ``model``, with the alias ``best``.

What differs from wandb:

- The cross-validation results of LightGBM 4.7 (``EvalResult`` with ``dataset_name``
  ``"valid"``) are read as well as the older ``("cv_agg", "valid auc", ...)`` tuples;
  wandb 0.31 fails on the first form.
- A metric name with a ``.`` is defined by its flat key (the dot escaped), so that
  ``define_metric`` does not take it for a nested one.
- Where runconfig has no ``Artifact``, the checkpoint stays in the run's folder and one
  warning line says so; a disabled run logs no artifact.
- A call without an active run raises :class:`~runconfig.errors.UsageError` saying to
  call ``runconfig.init()`` (wandb raises its ``Error`` in ``log_summary`` and fails in
  ``log`` in the callback).

LightGBM is imported by :func:`log_summary` only; ``import runconfig`` never imports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runconfig.errors import UsageTypeError
from runconfig.integrations.sklearn._charts import active_run, bar_chart, keep_model_file

if TYPE_CHECKING:
    from runconfig._run import Run

__all__ = ["MAXIMIZE_METRICS", "MINIMIZE_METRICS", "log_summary", "wandb_callback"]

MINIMIZE_METRICS: tuple[str, ...] = (
    "l1",
    "l2",
    "rmse",
    "mape",
    "huber",
    "fair",
    "poisson",
    "gamma",
    "binary_logloss",
)
"""Metrics whose summary is their minimum (with any name containing ``loss``)."""

MAXIMIZE_METRICS: tuple[str, ...] = ("map", "auc", "average_precision")
"""Metrics whose summary is their maximum."""


def _summary_kind(metric: str) -> str | None:
    name = metric.lower()
    if "loss" in name or name in MINIMIZE_METRICS:
        return "min"
    if name in MAXIMIZE_METRICS:
        return "max"
    return None


def _define(run: Run, key: str, metric: str) -> None:
    kind = _summary_kind(metric)
    if kind is not None:
        # A dot would make define_metric read the key as nested; log() keeps it flat.
        run.define_metric(key.replace(".", "\\."), summary=kind)


def _results(env: Any) -> Iterable[tuple[str, str, float, float | None]]:
    """``(data, metric, value, stdv)`` per evaluation result; ``stdv`` is None except for
    ``lightgbm.cv``, whose results come as ``("cv_agg", "valid auc", mean, higher_better,
    stdv)`` before LightGBM 4.7 and as ``EvalResult("valid", "auc", mean, ..., stdv)``
    since."""
    for item in env.evaluation_result_list or ():
        values = tuple(item)
        data, metric, value = str(values[0]), str(values[1]), float(values[2])
        stdv = float(values[4]) if len(values) > 4 and values[4] is not None else None
        if stdv is not None and data == "cv_agg" and " " in metric:
            data, metric = metric.split(" ", 1)
        yield data, metric, value, stdv


class _WandbCallback:
    """The callback :func:`wandb_callback` returns; LightGBM calls it after each round."""

    # Before LightGBM's early_stopping (order 30), which ends training by raising.
    order = 20
    before_iteration = False

    def __init__(self, log_params: bool = True, define_metric: bool = True) -> None:
        self.log_params = log_params
        self.define_metric = define_metric

    def _first_round(self, run: Run, env: Any) -> None:
        if self.log_params:
            run.config.update(dict(env.params))
        if not self.define_metric:
            return
        for data, metric, _value, stdv in _results(env):
            if stdv is None:
                _define(run, f"{data}_{metric}", metric)
            else:
                for part in ("mean", "stdv"):
                    _define(run, f"{data}_{metric}-{part}", f"{metric}-{part}")

    def __call__(self, env: Any) -> None:
        run = active_run("lightgbm's wandb_callback()")
        if env.iteration == env.begin_iteration:
            self._first_round(run, env)
        for data, metric, value, stdv in _results(env):
            if stdv is None:
                run.log({f"{data}_{metric}": value}, commit=False)
            else:
                run.log(
                    {f"{data}_{metric}-mean": value, f"{data}_{metric}-stdv": stdv},
                    commit=False,
                )
        run.log({"iteration": int(env.iteration)}, commit=True)


def wandb_callback(log_params: bool = True, define_metric: bool = True) -> _WandbCallback:
    """A LightGBM callback that logs each boosting round's evaluation results.

    ``log_params``: store the training parameters in the run's config at the first
    round. ``define_metric``: summarise losses by their minimum and ``auc``/``map`` by
    their maximum (see the module's docstring for the keys)::

        booster = lgb.train(params, train_set, valid_sets=[val_set], valid_names=["val"],
                            callbacks=[wandb_callback()])
    """
    return _WandbCallback(log_params, define_metric)


def _plain_scores(best_score: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    return {str(d): {str(m): float(v) for m, v in ms.items()} for d, ms in best_score.items()}


def _log_feature_importance(run: Run, booster: Any) -> None:
    names = [str(n) for n in booster.feature_name()]
    importances = [int(v) for v in booster.feature_importance()]
    chart = bar_chart(
        [[n, v] for n, v in zip(names, importances, strict=True)],
        ["Feature", "Importance"],
        title="Feature Importance",
    )
    run.log({"Feature Importance": chart}, commit=False)


def log_summary(
    model: Any, feature_importance: bool = True, save_model_checkpoint: bool = False
) -> None:
    """Log what a trained LightGBM ``Booster`` learnt into the active run.

    Sets ``summary["best_iteration"]`` and ``summary["best_score"]``; with
    ``feature_importance`` logs the feature importance bar chart; with
    ``save_model_checkpoint`` saves the model at its best iteration in the run's folder
    (as an artifact when runconfig has them). Raises
    :class:`~runconfig.errors.UsageError` without an active run and
    :class:`~runconfig.errors.UsageTypeError` when ``model`` is not a ``Booster`` (a
    scikit-learn ``LGBMModel`` is not: pass its ``booster_``)::

        log_summary(booster, save_model_checkpoint=True)
    """
    from lightgbm import Booster

    run = active_run("log_summary()")
    if not isinstance(model, Booster):
        raise UsageTypeError(
            "log_summary() takes a lightgbm.Booster, got "
            f"{type(model).__name__}"
            + ("; pass its booster_" if hasattr(model, "booster_") else "")
        )
    best_iteration = int(model.best_iteration)
    run.summary["best_iteration"] = best_iteration
    run.summary["best_score"] = _plain_scores(model.best_score)
    if feature_importance:
        _log_feature_importance(run, model)
    if save_model_checkpoint:
        path = Path(run.dir) / f"model_ckpt_{best_iteration}.txt"
        model.save_model(str(path), num_iteration=best_iteration)
        keep_model_file(run, path, f"model_{run.id}", ["best"])
