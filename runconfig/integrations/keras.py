"""Keras 3 training logged into the active run, as wandb's Keras callbacks do it.

::

    import os
    os.environ.setdefault("KERAS_BACKEND", "torch")   # any Keras 3 backend; no TensorFlow
    import runconfig as wandb
    from runconfig.integrations.keras import WandbMetricsLogger, WandbModelCheckpoint

    run = wandb.init(project="mnist", config={"lr": 1e-3})
    model.fit(x, y, epochs=5, validation_data=(vx, vy),
              callbacks=[WandbMetricsLogger(), WandbModelCheckpoint("ckpt/m-{epoch:02d}.keras")])
    wandb.finish()

What each callback logs (wandb 0.31's callbacks, and wandb 0.26's legacy ``WandbCallback``):

- :class:`WandbMetricsLogger` ``(log_freq="epoch")``: at construction
  ``define_metric("epoch/epoch")`` and ``define_metric("epoch/*", step_metric="epoch/epoch")``;
  at the end of each epoch one history row ``{"epoch/<k>": v}`` for each of Keras' logs
  (``loss``, ``val_loss``, the compiled metrics), with ``"epoch/epoch"`` (Keras' epoch,
  from 0) and ``"epoch/learning_rate"``. The definitions ask for no statistics, so the
  summary holds each key's last value. With ``log_freq="batch"`` (every batch) or an int
  ``N``: ``define_metric("batch/batch_step")`` and ``define_metric("batch/*",
  step_metric="batch/batch_step")``, and a row ``{"batch/<k>": v, "batch/batch_step": s,
  "batch/learning_rate": lr}`` at each batch whose index in its epoch is a multiple of
  ``N``, ``s`` counting 0, N, 2N...; the epoch rows are logged as well, as wandb does. The
  learning rate is the optimizer's current one: a schedule evaluated at the step Keras
  reached.
- :class:`WandbModelCheckpoint` ``(filepath, ...)``: Keras' ``ModelCheckpoint`` saves the
  file (Keras 3 wants ``.keras``, or ``.weights.h5`` with ``save_weights_only``); each
  checkpoint saved is then logged as an artifact of type ``"model"`` named
  ``run_<run id>_model``, aliases ``["latest", "epoch_<epoch>"]`` (with ``save_freq=N``
  batches: ``"epoch_<epoch>_batch_<batch>"``), Keras' epoch and batch counting from 0.
- :class:`WandbEvalCallback` ``(data_table_columns, pred_table_columns)``, abstract: at the
  start of training a ``Table`` of ``data_table_columns`` filled by ``add_ground_truth``,
  logged as the artifact ``val`` (type ``dataset``, table ``val_data``) used by the run,
  ``data_table_ref`` being the table as stored; at the end of each epoch a ``Table`` of
  ``pred_table_columns`` filled by ``add_model_predictions``, logged as the artifact
  ``run_<run id>_pred`` (type ``evaluation``, table ``eval_data``, alias ``latest``).
- :class:`WandbCallback`, the legacy callback (removed in wandb 0.27.1, still imported as
  ``from wandb.keras import WandbCallback``): each epoch one row of Keras' logs with
  ``"epoch"``; with ``log_batch_frequency=N`` a row of the batch's logs every ``N`` batches
  of each epoch; ``summary["best_<monitor>"]`` and ``summary["best_epoch"]`` when
  ``monitor`` improves (``mode="auto"``: larger is better for names containing ``acc`` or
  starting with ``fmeasure``); with ``save_model``, the best model saved as
  ``<run.dir>/model-best.keras`` (``model-best.weights.h5`` with ``save_weights_only``),
  recorded among the run's files and logged as the artifact ``model-<run name>``, aliases
  ``["latest", "epoch_<epoch>"]``; with ``log_weights``, histograms
  ``parameters/<layer>.weights`` and ``.bias`` in each epoch's row.

What differs from wandb:

- No TensorFlow: the callbacks subclass ``keras.callbacks`` and work on any Keras 3
  backend (wandb 0.31 imports ``tensorflow`` and fails without it).
- Without an active run the constructors raise :class:`~runconfig.errors.UsageError`, a
  :class:`runconfig.Error` as wandb's ``wandb.Error`` is. A ``log_freq`` other than
  ``"epoch"``, ``"batch"`` or a positive int raises ``ValueError`` (wandb takes any other
  value for ``"epoch"``, and fails at the first batch on ``0``).
- In a disabled run (``mode="disabled"``) nothing is logged as an artifact and
  :class:`WandbCallback` saves no model; Keras' own checkpoints are still written.
- :class:`WandbModelCheckpoint` logs an artifact only for a checkpoint Keras saved at that
  moment. With ``save_best_only`` and no improvement, wandb 0.31 fails with
  ``FileNotFoundError`` when the path has placeholders and, when it has none, logs the
  previous best again under the new epoch's alias. Keyword arguments that Keras 3's
  ``ModelCheckpoint`` does not take (tf.keras 2's ``options``...) are ignored with a
  warning instead of a ``TypeError``.
- :class:`WandbCallback` saves in Keras 3's format (``.keras`` instead of ``.h5``, and the
  artifact holds that file instead of a TensorFlow SavedModel). The graph
  (``summary["graph"]``), example images, predictions, evaluation tables, gradients and
  FLOPs are not logged: the arguments asking for them are accepted, and one warning line
  names those given. A best value of ``0`` counts (wandb skipped falsy values), and
  ``log_gradients`` needs no ``training_data``.

This module imports Keras (which needs its backend, ``KERAS_BACKEND``); ``import
runconfig`` never does.
"""

from __future__ import annotations

import abc
import hashlib
import inspect
import operator
import os
import string
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import runconfig
from runconfig._term import termerror, termlog, termwarn
from runconfig.errors import UsageError

if TYPE_CHECKING:
    from runconfig._run import Run

try:
    import keras  # type: ignore[import-untyped,import-not-found,unused-ignore]
except ModuleNotFoundError as e:  # pragma: no cover - depends on the environment
    if e.name == "keras":
        raise ImportError("runconfig.integrations.keras needs Keras 3: pip install keras") from e
    if e.name == "tensorflow":
        raise ImportError(
            "Keras could not load its backend, TensorFlow, which is not installed: set "
            "KERAS_BACKEND=torch (or jax) before importing keras, or install tensorflow"
        ) from e
    raise

__all__ = ["WandbCallback", "WandbEvalCallback", "WandbMetricsLogger", "WandbModelCheckpoint"]

LogStrategy = Literal["epoch", "batch"]
Mode = Literal["auto", "min", "max"]

if not str(getattr(keras, "__version__", "3")).startswith("3"):  # pragma: no cover
    termwarn(
        f"runconfig's Keras callbacks are written for Keras 3; Keras {keras.__version__} "
        "may not work with them",
        repeat=False,
    )


# -- what the callbacks share ---------------------------------------------------------------


def _require_run(who: str) -> Run:
    run = runconfig.run
    if run is None:
        raise UsageError(f"You must call runconfig.init() before {who}()")
    return run


def _active_run(who: str) -> Run:
    run = runconfig.run
    if run is None:
        raise UsageError(
            f"{who} needs an active run, and the run has finished: call runconfig.init() "
            "before training"
        )
    return run


def _optional(name: str) -> Any:
    """``runconfig.<name>`` (``Artifact``, ``Table``, ``Histogram``), or None while this
    runconfig does not have it."""
    return getattr(runconfig, name, None)


def _artifacts_for(run: Run) -> Any:
    """The ``Artifact`` class when ``run`` can log artifacts, else None."""
    artifact = _optional("Artifact")
    if artifact is None or not hasattr(run, "log_artifact"):
        return None
    return artifact


def _to_float(value: Any) -> float:
    # float() of a 0-d Variable or backend tensor, not keras.ops.convert_to_numpy(): that
    # goes through __array__, which torch 2.13 implements without NumPy 2's `copy` keyword
    # (a DeprecationWarning at each call).
    return float(value)


def _log_model_artifact(
    run: Run, name: str, path: str, aliases: list[str], unavailable: str
) -> None:
    """Log the file or folder ``path`` as the artifact ``name`` of type ``model``; while
    runconfig has no artifacts, print the warning ``unavailable`` once. A disabled run
    keeps nothing, as in wandb."""
    if run.disabled:
        return
    artifact_type = _artifacts_for(run)
    if artifact_type is None:
        termwarn(unavailable, repeat=False)
        return
    artifact = artifact_type(name, type="model")
    if os.path.isdir(path):
        artifact.add_dir(path)
    else:
        artifact.add_file(path)
    run.log_artifact(artifact, aliases=aliases)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- WandbMetricsLogger ---------------------------------------------------------------------


class WandbMetricsLogger(keras.callbacks.Callback):  # type: ignore[misc]
    """Log Keras' metrics and the learning rate into the active run, per epoch or per batch.

    ``log_freq``: ``"epoch"`` (a row per epoch, ``epoch/...`` keys), ``"batch"`` (also a
    row per batch, ``batch/...`` keys) or an int ``N`` (a row every ``N`` batches).
    ``initial_global_step``: the training step a resumed training starts from, used when
    the learning rate is a schedule Keras does not evaluate itself. See the module for
    the keys logged. Raises :class:`~runconfig.errors.UsageError` without an active run::

        model.fit(x, y, epochs=3, callbacks=[WandbMetricsLogger(log_freq=10)])
    """

    def __init__(
        self,
        log_freq: LogStrategy | int = "epoch",
        initial_global_step: int = 0,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _require_run("WandbMetricsLogger")
        if log_freq == "batch":
            log_freq = 1
        if isinstance(log_freq, bool) or not (
            log_freq == "epoch" or (isinstance(log_freq, int) and log_freq > 0)
        ):
            raise ValueError(
                f"WandbMetricsLogger(log_freq={log_freq!r}): expected 'epoch', 'batch' "
                "or a positive int"
            )
        self.logging_batch_wise = isinstance(log_freq, int)
        self.log_freq: int | None = log_freq if isinstance(log_freq, int) else None
        self.global_batch = 0
        self.global_step = initial_global_step
        if self.logging_batch_wise:
            runconfig.define_metric("batch/batch_step")
            runconfig.define_metric("batch/*", step_metric="batch/batch_step")
        else:
            runconfig.define_metric("epoch/epoch")
            runconfig.define_metric("epoch/*", step_metric="epoch/epoch")

    def _get_lr(self) -> float | None:
        try:
            rate = self.model.optimizer.learning_rate
            if isinstance(rate, (int, float)) or getattr(rate, "shape", None) == ():
                return _to_float(rate)
            # A schedule that the optimizer did not evaluate (older Keras): at our step.
            return _to_float(rate(step=self.global_step))
        except Exception as e:  # a learning rate we cannot read must not stop training
            termerror(f"Unable to log learning rate: {e}", repeat=False)
            return None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Log the epoch's row: its logs as ``epoch/<k>``, ``epoch/epoch`` and the rate."""
        row = {f"epoch/{k}": v for k, v in (logs or {}).items()}
        row["epoch/epoch"] = epoch
        lr = self._get_lr()
        if lr is not None:
            row["epoch/learning_rate"] = lr
        runconfig.log(row)

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Count the step; every ``log_freq`` batches, log the batch's row."""
        self.global_step += 1
        if self.log_freq is not None and batch % self.log_freq == 0:
            row = {f"batch/{k}": v for k, v in (logs or {}).items()}
            row["batch/batch_step"] = self.global_batch
            lr = self._get_lr()
            if lr is not None:
                row["batch/learning_rate"] = lr
            runconfig.log(row)
            self.global_batch += self.log_freq

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called by ``fit`` after each training batch: see :meth:`on_batch_end`."""
        self.on_batch_end(batch, logs)


# -- WandbModelCheckpoint -------------------------------------------------------------------


def _keras_checkpoint_parameters() -> tuple[set[str], bool]:
    """The keyword arguments Keras' ModelCheckpoint takes, and whether it takes any."""
    params = inspect.signature(keras.callbacks.ModelCheckpoint.__init__).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    return set(params), takes_any


class WandbModelCheckpoint(keras.callbacks.ModelCheckpoint):  # type: ignore[misc]
    """Keras' ``ModelCheckpoint``, each checkpoint it saves logged as a ``model`` artifact.

    The arguments are Keras' (``filepath`` may hold ``{epoch:02d}``, ``{batch}`` and log
    keys such as ``{val_loss:.2f}``); the artifact is ``run_<run id>_model`` with the
    aliases ``latest`` and ``epoch_<epoch>`` (``epoch_<epoch>_batch_<batch>`` when saving
    every ``save_freq`` batches). Raises :class:`~runconfig.errors.UsageError` without an
    active run::

        WandbModelCheckpoint("models/best.keras", monitor="val_loss", save_best_only=True)
    """

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: Mode = "auto",
        save_freq: Literal["epoch"] | int = "epoch",
        initial_value_threshold: float | None = None,
        **kwargs: Any,
    ) -> None:
        _require_run("WandbModelCheckpoint")
        taken, takes_any = _keras_checkpoint_parameters()
        ignored = sorted(k for k in kwargs if not takes_any and k not in taken)
        if ignored:
            termwarn(
                "WandbModelCheckpoint: Keras 3's ModelCheckpoint does not take "
                f"{', '.join(ignored)}; ignored",
                repeat=False,
            )
        super().__init__(
            filepath=filepath,
            monitor=monitor,
            verbose=verbose,
            save_best_only=save_best_only,
            save_weights_only=save_weights_only,
            mode=mode,
            save_freq=save_freq,
            initial_value_threshold=initial_value_threshold,
            **{k: v for k, v in kwargs.items() if k not in ignored},
        )
        # Set by _should_save_model, Keras' decision for the save under way (None: unknown).
        self._saving: bool | None = None
        if self.save_best_only:
            self._check_filepath()

    def _should_save_model(self, *args: Any, **kwargs: Any) -> bool:
        saving = bool(super()._should_save_model(*args, **kwargs))
        self._saving = saving
        return saving

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Save every ``save_freq`` batches (Keras' rule) and log what was saved."""
        if self._should_save_on_batch(batch):
            logs = logs or {}
            epoch = self._current_epoch
            self._saving = None
            self._save_model(epoch=epoch, batch=batch, logs=logs)
            path = self._get_file_path(epoch=epoch, batch=batch, logs=logs)
            self._log_checkpoint(path, ["latest", f"epoch_{epoch}_batch_{batch}"])

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Let Keras save at the end of the epoch, then log what it saved."""
        self._saving = None
        super().on_epoch_end(epoch, logs)
        if self.save_freq == "epoch":
            path = self._get_file_path(epoch=epoch, batch=None, logs=logs or {})
            self._log_checkpoint(path, ["latest", f"epoch_{epoch}"])

    def _log_checkpoint(self, path: str, aliases: list[str]) -> None:
        # Nothing saved now (save_best_only without improvement): nothing to log.
        if self._saving is False or not os.path.exists(path):
            return
        run = _active_run("WandbModelCheckpoint")
        _log_model_artifact(
            run,
            f"run_{run.id}_model",
            path,
            aliases,
            "runconfig.Artifact is not available yet: WandbModelCheckpoint's checkpoints "
            "stay where Keras saved them and are not logged as artifacts",
        )

    def _check_filepath(self) -> None:
        fields = [f for _, f, _, _ in string.Formatter().parse(self.filepath) if f is not None]
        if not fields:
            termwarn(
                "When using `save_best_only`, ensure that the `filepath` argument contains "
                "formatting placeholders like `{epoch:02d}` or `{batch:02d}`. This ensures "
                "correct interpretation of the logged artifacts.",
                repeat=False,
            )


# -- WandbEvalCallback ----------------------------------------------------------------------


_NO_TABLE_ARTIFACTS = (
    "runconfig.Artifact is not available yet: WandbEvalCallback keeps its tables in "
    "memory, not logged as artifacts"
)


def _tables_available() -> bool:
    if _optional("Table") is not None:
        return True
    termwarn("runconfig.Table is not available yet: WandbEvalCallback logs no table", repeat=False)
    return False


def _table_type() -> Any:
    table = _optional("Table")
    if table is None:
        raise UsageError("runconfig.Table is not available yet: a table cannot be made")
    return table


class WandbEvalCallback(keras.callbacks.Callback, abc.ABC):  # type: ignore[misc]
    """Base of callbacks that log a table of data and, each epoch, a table of predictions.

    Implement :meth:`add_ground_truth` (fill ``self.data_table``) and
    :meth:`add_model_predictions` (fill ``self.pred_table``, reading rows back through
    ``self.data_table_ref``)::

        class ClassifierEval(WandbEvalCallback):
            def __init__(self, x, y):
                super().__init__(["idx", "label"], ["epoch", "idx", "label", "pred"])
                self.x, self.y = x, y

            def add_ground_truth(self, logs=None):
                for idx, label in enumerate(self.y):
                    self.data_table.add_data(idx, int(label))

            def add_model_predictions(self, epoch, logs=None):
                preds = self.model.predict(self.x, verbose=0).argmax(axis=-1)
                for idx, row in enumerate(self.data_table_ref.data):
                    self.pred_table.add_data(epoch, row[0], row[1], int(preds[idx]))

    Raises :class:`~runconfig.errors.UsageError` without an active run.
    """

    def __init__(
        self,
        data_table_columns: list[str],
        pred_table_columns: list[str],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _require_run("WandbEvalCallback")
        self.data_table_columns = data_table_columns
        self.pred_table_columns = pred_table_columns

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Make ``data_table``, fill it with :meth:`add_ground_truth` and log it."""
        if not _tables_available():
            return
        self.init_data_table(column_names=self.data_table_columns)
        self.add_ground_truth(logs)
        self.log_data_table()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Make ``pred_table``, fill it with :meth:`add_model_predictions` and log it."""
        if not _tables_available():
            return
        self.init_pred_table(column_names=self.pred_table_columns)
        self.add_model_predictions(epoch, logs)
        self.log_pred_table()

    @abc.abstractmethod
    def add_ground_truth(self, logs: dict[str, Any] | None = None) -> None:
        """Add the data (inputs, labels) to ``self.data_table``; called once, as training
        begins."""
        raise NotImplementedError(f"{type(self).__name__}.add_ground_truth")

    @abc.abstractmethod
    def add_model_predictions(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Add the model's predictions to ``self.pred_table``; called at each epoch's end."""
        raise NotImplementedError(f"{type(self).__name__}.add_model_predictions")

    def init_data_table(self, column_names: list[str]) -> None:
        """Make ``self.data_table``, an empty ``Table`` of ``column_names`` (mixed types)."""
        self.data_table = _table_type()(columns=column_names, allow_mixed_types=True)

    def init_pred_table(self, column_names: list[str]) -> None:
        """Make ``self.pred_table``, an empty ``Table`` of ``column_names``."""
        self.pred_table = _table_type()(columns=column_names)

    def log_data_table(
        self, name: str = "val", type: str = "dataset", table_name: str = "val_data"
    ) -> None:
        """Log ``data_table`` as the artifact ``name`` of type ``type``, used by the run,
        and set ``data_table_ref`` to the table as stored (to ``data_table`` itself while
        runconfig has no artifacts)."""
        run = _active_run("WandbEvalCallback")
        artifact_type = None if run.disabled else _artifacts_for(run)
        if artifact_type is None:
            if not run.disabled:
                termwarn(_NO_TABLE_ARTIFACTS, repeat=False)
            self.data_table_ref = self.data_table
            return
        artifact = artifact_type(name, type=type)
        artifact.add(self.data_table, table_name)
        run.use_artifact(artifact)
        artifact.wait()
        self.data_table_ref = artifact.get(table_name)

    def log_pred_table(
        self,
        type: str = "evaluation",
        table_name: str = "eval_data",
        aliases: list[str] | None = None,
    ) -> None:
        """Log ``pred_table`` as the artifact ``run_<run id>_pred`` of type ``type``, with
        ``aliases`` (default ``["latest"]``): a new version each epoch."""
        run = _active_run("WandbEvalCallback")
        artifact_type = None if run.disabled else _artifacts_for(run)
        if artifact_type is None:
            if not run.disabled:
                termwarn(_NO_TABLE_ARTIFACTS, repeat=False)
            return
        artifact = artifact_type(f"run_{run.id}_pred", type=type)
        artifact.add(self.pred_table, table_name)
        run.log_artifact(artifact, aliases=aliases or ["latest"])


# -- WandbCallback (legacy) -----------------------------------------------------------------

# The legacy arguments runconfig accepts and does nothing with, and their defaults: one
# warning line names those given another value.
_IGNORED_DEFAULTS: dict[str, Any] = {
    "log_gradients": False,
    "training_data": None,
    "validation_data": None,
    "labels": None,
    "predictions": 36,
    "generator": None,
    "input_type": None,
    "output_type": None,
    "log_evaluation": False,
    "validation_steps": None,
    "class_colors": None,
    "validation_indexes": None,
    "validation_row_processor": None,
    "prediction_row_processor": None,
    "log_evaluation_frequency": 0,
    "compute_flops": False,
}


def _differs(value: Any, default: Any) -> bool:
    if default is None or value is None:
        return value is not default
    try:
        return bool(value != default)
    except Exception:  # an array, whose != is not a bool: given, so it differs
        return True


class WandbCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """wandb's legacy Keras callback: each epoch's logs, the best ``monitor`` value in the
    summary, and the best model saved in the run's folder.

    Every argument of wandb's is accepted; those about images, predictions, evaluation
    tables, gradients, the graph and FLOPs do nothing (one warning line names those
    given). See the module for what is logged. Raises
    :class:`~runconfig.errors.UsageError` without an active run::

        model.fit(x, y, validation_data=(vx, vy), callbacks=[WandbCallback()])
        # run.summary["best_val_loss"], run.summary["best_epoch"], <run.dir>/model-best.keras
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        verbose: int = 0,
        mode: str = "auto",
        save_weights_only: bool = False,
        log_weights: bool = False,
        log_gradients: bool = False,
        save_model: bool = True,
        training_data: Any = None,
        validation_data: Any = None,
        labels: list[str] | None = None,
        predictions: int = 36,
        generator: Any = None,
        input_type: str | None = None,
        output_type: str | None = None,
        log_evaluation: bool = False,
        validation_steps: int | None = None,
        class_colors: Any = None,
        log_batch_frequency: int | None = None,
        log_best_prefix: str | None = "best_",
        save_graph: bool = True,
        validation_indexes: Any = None,
        validation_row_processor: Callable[..., Any] | None = None,
        prediction_row_processor: Callable[..., Any] | None = None,
        infer_missing_processors: bool = True,
        log_evaluation_frequency: int = 0,
        compute_flops: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        run = _require_run("WandbCallback")
        given = {
            "log_gradients": log_gradients,
            "training_data": training_data,
            "validation_data": validation_data,
            "labels": labels,
            "predictions": predictions,
            "generator": generator,
            "input_type": input_type,
            "output_type": output_type,
            "log_evaluation": log_evaluation,
            "validation_steps": validation_steps,
            "class_colors": class_colors,
            "validation_indexes": validation_indexes,
            "validation_row_processor": validation_row_processor,
            "prediction_row_processor": prediction_row_processor,
            "log_evaluation_frequency": log_evaluation_frequency,
            "compute_flops": compute_flops,
        }
        ignored = [k for k, v in given.items() if _differs(v, _IGNORED_DEFAULTS[k])]
        ignored += sorted(kwargs)
        self.log_weights = log_weights
        if log_weights and _optional("Histogram") is None:
            ignored.insert(0, "log_weights")
            self.log_weights = False
        if ignored:
            termwarn(
                "WandbCallback: runconfig does not log images, predictions, evaluation "
                "tables, gradients, the graph or FLOPs; ignored: " + ", ".join(ignored),
                repeat=False,
            )
        self.monitor = monitor
        self.verbose = verbose
        self.save_weights_only = save_weights_only
        self.save_model = save_model
        self.save_graph = save_graph
        self.log_batch_frequency = log_batch_frequency
        self.log_best_prefix = log_best_prefix
        self.labels = labels or []
        self.predictions = min(predictions, 100)
        self.input_type = input_type if input_type is not None else kwargs.get("data_type")
        self.output_type = output_type
        self.current: float | None = None

        if mode not in ("auto", "min", "max"):
            termwarn(f"WandbCallback mode {mode} is unknown, fallback to auto mode.")
            mode = "auto"
        larger_is_better = mode == "max" or (
            mode == "auto" and ("acc" in monitor or monitor.startswith("fmeasure"))
        )
        self.monitor_op: Callable[[Any, Any], bool] = (
            operator.gt if larger_is_better else operator.lt
        )
        self.best: float = float("-inf") if larger_is_better else float("inf")
        if log_best_prefix:  # a resumed run carries on from the best it recorded
            previous = run.summary.get(f"{log_best_prefix}{monitor}")
            if isinstance(previous, (int, float)) and not isinstance(previous, bool):
                self.best = previous

    @property
    def filepath(self) -> str:
        """Where the best model is saved: ``<run.dir>/model-best.keras``, or
        ``model-best.weights.h5`` with ``save_weights_only``."""
        name = "model-best.weights.h5" if self.save_weights_only else "model-best.keras"
        return os.path.join(_active_run("WandbCallback").dir, name)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Log the epoch's row; on improvement of ``monitor``, the best values and model."""
        logs = logs or {}
        if self.log_weights:
            runconfig.log(self._weight_histograms(), commit=False)
        runconfig.log({"epoch": epoch}, commit=False)
        runconfig.log(logs, commit=True)

        self.current = logs.get(self.monitor)
        if self.current is None or not self.monitor_op(self.current, self.best):
            return
        run = _active_run("WandbCallback")
        if self.log_best_prefix:
            run.summary[f"{self.log_best_prefix}{self.monitor}"] = self.current
            run.summary[f"{self.log_best_prefix}epoch"] = epoch
            if self.verbose and not self.save_model:
                termlog(
                    f"Epoch {epoch:05d}: {self.monitor} improved from {self.best:.5f} "
                    f"to {self.current:.5f}"
                )
        if self.save_model:
            self._save_model(run, epoch)
        self.best = self.current

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Every ``log_batch_frequency`` batches of an epoch, log the batch's logs."""
        if self.log_batch_frequency and batch % self.log_batch_frequency == 0:
            runconfig.log(logs or {}, commit=True)

    def _save_model(self, run: Run, epoch: int) -> None:
        if run.disabled:
            return
        path = self.filepath
        if self.verbose > 0:
            termlog(
                f"Epoch {epoch:05d}: {self.monitor} improved from {self.best:.5f} to "
                f"{self.current:.5f}, saving model to {path}"
            )
        try:
            if self.save_weights_only:
                self.model.save_weights(path, overwrite=True)
            else:
                self.model.save(path, overwrite=True)
        except (ImportError, RuntimeError, TypeError, AttributeError, ValueError) as e:
            termerror(f"Can't save the model to {path}: {type(e).__name__}: {e}")
            return
        run._record_file(os.path.basename(path), "file", os.path.getsize(path), _sha256(path))
        name = runconfig.util.make_artifact_name_safe(f"model-{run.name}")
        _log_model_artifact(
            run,
            name,
            path,
            ["latest", f"epoch_{epoch}"],
            "runconfig.Artifact is not available yet: WandbCallback's best model stays "
            "in the run's folder and is not logged as an artifact",
        )

    def _weight_histograms(self) -> dict[str, Any]:
        import numpy as np

        histogram = _optional("Histogram")
        metrics: dict[str, Any] = {}
        for layer in self.model.layers:
            weights = layer.get_weights()
            if len(weights) not in (1, 2):
                continue
            for kind, values in zip(("weights", "bias"), weights, strict=False):
                key = f"parameters/{layer.name}.{kind}"
                if np.issubdtype(np.asarray(values).dtype, np.number):
                    metrics[key] = histogram(values)
                else:
                    termwarn(
                        f"Non-numeric values found in layer: {key}, not logging this layer",
                        repeat=False,
                    )
        return metrics
