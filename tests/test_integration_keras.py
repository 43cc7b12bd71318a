"""The Keras callbacks, with real Keras 3 training (torch backend) in real runs.

Each test trains a one-layer model on 64 random rows (4 batches of 16 an epoch, 16 rows
of validation) inside a run on a SQLite store in its own folder, and reads the run back
through ``runconfig.Api``. Where runconfig's artifacts or tables are not there yet, a
recording stand-in with wandb's API takes their place (``fake_artifacts``,
``FakeTable``), and the tests against the real ones skip until they exist.
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "torch"  # before Keras is imported: TensorFlow is not needed

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch", reason="the Keras tests run Keras 3 on its torch backend")
pytest.importorskip("keras", reason="the Keras integration needs Keras 3")

import keras  # type: ignore[import-untyped]
import numpy as np
from conftest import run_python

import runconfig
from runconfig import _term
from runconfig._run import Run
from runconfig.errors import UsageError
from runconfig.integrations import keras as kmod
from runconfig.integrations.keras import (
    WandbCallback,
    WandbEvalCallback,
    WandbMetricsLogger,
    WandbModelCheckpoint,
)
from runconfig.media._base import Media
from runconfig.store import open_store

# Keras saves models and returns predictions through NumPy, and torch 2.13's tensors
# implement __array__ without NumPy 2's `copy` keyword: each warns, in Keras' code.
KERAS_NUMPY_WARNING = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 4)).astype("float32")
Y = (X @ np.array([1.0, -2.0, 0.5, 3.0], dtype="float32"))[:, None]
VAL = (X[:16], Y[:16])


@pytest.fixture(autouse=True)
def _in_tmp_path_with_no_run_left(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[None]:
    for var in (
        "RUNCONFIG_STORE",
        "RUNCONFIG_MODE",
        "RUNCONFIG_FILES",
        "RUNCONFIG_SWEEP_PARAMS",
        "RUNCONFIG_SILENT",
        "WANDB_MODE",
        "WANDB_DIR",
        "WANDB_SILENT",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_term, "_said", set())  # each test sees its repeat=False warnings
    yield
    from runconfig._run import _state

    for run in list(_state.runs):
        run.finish()
    _state.config = runconfig.Config()


@pytest.fixture
def store(tmp_path: Path) -> str:
    return str(tmp_path / "s.db")


def tiny_model(learning_rate: Any = 0.125) -> Any:
    """A compiled one-layer regression model, the same weights every time."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, name="out")])
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mse", metrics=["mae"]
    )
    return model


def fit(model: Any, callbacks: list[Any], epochs: int = 3) -> dict[str, list[float]]:
    """Train with 4 batches an epoch and validation; Keras' own record of each epoch."""
    history = model.fit(
        X, Y, epochs=epochs, batch_size=16, validation_data=VAL, callbacks=callbacks, verbose=0
    )
    return dict(history.history)


def history(store: str, run_id: str) -> list[dict[str, Any]]:
    """The run's history rows as logged (without ``_step``, which counts 0, 1, 2...)."""
    with runconfig.Api(store=store) as api:
        rows = api.run(run_id).history or []
    assert [row["_step"] for row in rows] == list(range(len(rows)))
    return [{k: v for k, v in row.items() if k != "_step"} for row in rows]


def record(store: str, run_id: str) -> runconfig.RunRecord:
    with runconfig.Api(store=store) as api:
        return api.run(run_id)


def warnings_printed(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The runconfig lines printed on stderr since the last call."""
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("runconfig:")]


def epoch_rows(keras_history: dict[str, list[float]], prefix: str) -> list[dict[str, Any]]:
    """What one row per epoch holds: Keras' logs of the epoch under ``prefix``."""
    epochs = len(keras_history["loss"])
    return [{f"{prefix}{k}": v[e] for k, v in keras_history.items()} for e in range(epochs)]


# -- stand-ins for what runconfig does not have yet, with wandb's API -----------------------


class FakeArtifact:
    """Records what a callback puts in an artifact, and how the run takes it."""

    def __init__(self, name: str, type: str) -> None:
        self.name = name
        self.type = type
        self.files: list[str] = []
        self.tables: dict[str, Any] = {}
        self.aliases: list[str] | None = None
        self.how = ""
        self.waited = False

    def add_file(self, path: str) -> None:
        self.files.append(path)

    def add_dir(self, path: str) -> None:
        self.files.append(path + os.sep)

    def add(self, obj: Any, name: str) -> None:
        self.tables[name] = obj

    def wait(self) -> FakeArtifact:
        self.waited = True
        return self

    def get(self, name: str) -> Any:
        return self.tables[name]


class FakeTable:
    """wandb's ``Table`` as the callbacks use it: columns, rows, ``add_data``."""

    def __init__(self, columns: list[str], allow_mixed_types: bool = False) -> None:
        self.columns = list(columns)
        self.data: list[list[Any]] = []
        self.allow_mixed_types = allow_mixed_types

    def add_data(self, *row: Any) -> None:
        assert len(row) == len(self.columns)
        self.data.append(list(row))


def _stand_in(monkeypatch: pytest.MonkeyPatch, **replacements: Any) -> Callable[[str], Any]:
    real = kmod._optional

    def optional(name: str) -> Any:
        return replacements[name] if name in replacements else real(name)

    monkeypatch.setattr(kmod, "_optional", optional)
    return optional


@pytest.fixture
def fake_artifacts(monkeypatch: pytest.MonkeyPatch) -> list[FakeArtifact]:
    """Artifacts logged or used by the run, in order, through wandb's API."""
    taken: list[FakeArtifact] = []

    def log_artifact(run: Run, artifact: FakeArtifact, aliases: list[str] | None = None) -> None:
        artifact.how, artifact.aliases = "log", list(aliases or [])
        # What the file holds now: a later save may overwrite it.
        artifact.files = [f"{p} ({os.path.getsize(p)} bytes)" for p in artifact.files]
        taken.append(artifact)

    def use_artifact(run: Run, artifact: FakeArtifact) -> None:
        artifact.how = "use"
        taken.append(artifact)

    monkeypatch.setattr(Run, "log_artifact", log_artifact, raising=False)
    monkeypatch.setattr(Run, "use_artifact", use_artifact, raising=False)
    _stand_in(monkeypatch, Artifact=FakeArtifact)
    return taken


@pytest.fixture
def no_artifacts(monkeypatch: pytest.MonkeyPatch) -> None:
    """runconfig as it is before artifacts: no ``runconfig.Artifact``."""
    _stand_in(monkeypatch, Artifact=None)


needs_artifacts = pytest.mark.skipif(
    not hasattr(runconfig, "Artifact"), reason="runconfig.Artifact not available yet"
)
needs_tables = pytest.mark.skipif(
    not hasattr(runconfig, "Table"), reason="runconfig.Table not available yet"
)


# -- every callback needs a run -------------------------------------------------------------


class Eval(WandbEvalCallback):
    """Ground truth: each validation row's index and target; predictions: the model's."""

    def __init__(self) -> None:
        super().__init__(["idx", "target"], ["epoch", "idx", "target", "pred"])
        self.ground_truth_calls = 0

    def add_ground_truth(self, logs: dict[str, Any] | None = None) -> None:
        self.ground_truth_calls += 1
        for idx, target in enumerate(VAL[1][:3, 0]):
            self.data_table.add_data(idx, float(target))

    def add_model_predictions(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        preds = self.model.predict(VAL[0][:3], verbose=0)[:, 0]
        for row in self.data_table_ref.data:
            self.pred_table.add_data(epoch, row[0], row[1], float(preds[row[0]]))


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(WandbMetricsLogger, id="WandbMetricsLogger"),
        pytest.param(lambda: WandbModelCheckpoint("m.keras"), id="WandbModelCheckpoint"),
        pytest.param(Eval, id="WandbEvalCallback"),
        pytest.param(WandbCallback, id="WandbCallback"),
    ],
)
def test_each_callback_refuses_to_be_made_without_an_active_run(
    make: Callable[[], Any],
) -> None:
    with pytest.raises(UsageError, match=r"call runconfig\.init\(\) before") as caught:
        make()
    assert isinstance(caught.value, runconfig.Error)


def test_importing_runconfig_and_its_integrations_does_not_import_keras() -> None:
    done = run_python(
        "import sys, runconfig, runconfig.integrations\n"
        "runconfig.init(mode='disabled').finish()\n"
        "print('keras' in sys.modules, 'torch' in sys.modules)"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]


@KERAS_NUMPY_WARNING
def test_in_a_disabled_run_the_callbacks_train_and_keep_nothing_but_keras_own_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = runconfig.init(mode="disabled")
    callbacks = [
        WandbMetricsLogger(),
        WandbModelCheckpoint(str(tmp_path / "ckpt" / "m.keras")),
        WandbCallback(),
    ]
    fit(tiny_model(), callbacks, epochs=2)
    assert run.summary["epoch/epoch"] == 1
    runconfig.finish()

    assert os.listdir(tmp_path / "ckpt") == ["m.keras"]
    assert os.listdir(run.dir) == []
    assert warnings_printed(capsys) == []


# -- WandbMetricsLogger ---------------------------------------------------------------------


def test_metrics_logger_logs_a_row_per_epoch_against_epoch_with_the_learning_rate(
    store: str,
) -> None:
    run = runconfig.init(project="p", store=store)
    logged = fit(tiny_model(), [WandbMetricsLogger()])
    runconfig.finish()

    expected = [
        {**row, "epoch/epoch": e, "epoch/learning_rate": 0.125}
        for e, row in enumerate(epoch_rows(logged, "epoch/"))
    ]
    assert list(expected[0]) == [
        "epoch/loss",
        "epoch/mae",
        "epoch/val_loss",
        "epoch/val_mae",
        "epoch/epoch",
        "epoch/learning_rate",
    ]
    assert history(store, run.id) == expected
    stored = record(store, run.id)
    assert stored.summary == expected[-1]  # "epoch/*" asks for no statistics: last values
    assert stored.meta["metrics"] == [
        {"name": "epoch/epoch"},
        {"name": "epoch/*", "step_metric": "epoch/epoch", "step_sync": True},
    ]


def test_metrics_logger_by_batch_logs_each_batch_and_still_each_epoch(store: str) -> None:
    run = runconfig.init(project="p", store=store)
    logged = fit(tiny_model(), [WandbMetricsLogger(log_freq="batch")], epochs=2)
    runconfig.finish()

    rows = history(store, run.id)
    assert [sorted(r) for r in rows] == 2 * (
        4 * [["batch/batch_step", "batch/learning_rate", "batch/loss", "batch/mae"]]
        + [
            [
                "epoch/epoch",
                "epoch/learning_rate",
                "epoch/loss",
                "epoch/mae",
                "epoch/val_loss",
                "epoch/val_mae",
            ]
        ]
    )
    batch_rows = [r for r in rows if "batch/batch_step" in r]
    assert [r["batch/batch_step"] for r in batch_rows] == list(range(8))
    assert {r["batch/learning_rate"] for r in batch_rows} == {0.125}
    # Keras' batch logs are the epoch's running means: its last batch gives the epoch's.
    assert [batch_rows[3]["batch/loss"], batch_rows[7]["batch/loss"]] == logged["loss"]
    assert [r["epoch/epoch"] for r in rows if "epoch/epoch" in r] == [0, 1]
    assert record(store, run.id).meta["metrics"] == [
        {"name": "batch/batch_step"},
        {"name": "batch/*", "step_metric": "batch/batch_step", "step_sync": True},
    ]


def test_metrics_logger_every_n_batches_logs_batches_whose_index_is_a_multiple_of_n(
    store: str,
) -> None:
    run = runconfig.init(project="p", store=store)
    fit(tiny_model(), [WandbMetricsLogger(log_freq=3)], epochs=2)
    runconfig.finish()

    rows = history(store, run.id)
    # Batches 0 and 3 of each epoch; the step counts by 3, as wandb's does.
    assert [r.get("batch/batch_step", "epoch") for r in rows] == [0, 3, "epoch", 6, 9, "epoch"]


def test_metrics_logger_reads_a_schedule_at_the_step_keras_reached(store: str) -> None:
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay(
        boundaries=[4], values=[0.125, 0.0625]
    )
    run = runconfig.init(project="p", store=store)
    fit(tiny_model(schedule), [WandbMetricsLogger(log_freq="batch")], epochs=2)
    runconfig.finish()

    rows = history(store, run.id)
    assert [r["batch/learning_rate"] for r in rows if "batch/learning_rate" in r] == [
        0.125,
        0.125,
        0.125,
        0.125,  # after the 4th step
        0.0625,
        0.0625,
        0.0625,
        0.0625,
    ]
    assert [r["epoch/learning_rate"] for r in rows if "epoch/learning_rate" in r] == [
        0.125,
        0.0625,
    ]


@pytest.mark.parametrize("log_freq", [0, -1, "epochs", 2.0, True])
def test_metrics_logger_refuses_a_log_freq_it_cannot_follow(store: str, log_freq: Any) -> None:
    runconfig.init(project="p", store=store)
    with pytest.raises(ValueError, match=r"log_freq=.*expected 'epoch', 'batch' or a positive"):
        WandbMetricsLogger(log_freq=log_freq)


# -- WandbModelCheckpoint -------------------------------------------------------------------


@KERAS_NUMPY_WARNING
def test_model_checkpoint_saves_each_epoch_and_training_goes_on_without_artifacts(
    store: str, tmp_path: Path, no_artifacts: None, capsys: pytest.CaptureFixture[str]
) -> None:
    run = runconfig.init(project="p", store=store)
    model = tiny_model()
    ckpt = WandbModelCheckpoint(str(tmp_path / "ckpt" / "m-{epoch:02d}.keras"))
    fit(model, [WandbMetricsLogger(), ckpt], epochs=2)
    runconfig.finish()

    assert sorted(os.listdir(tmp_path / "ckpt")) == ["m-01.keras", "m-02.keras"]
    saved = keras.saving.load_model(tmp_path / "ckpt" / "m-02.keras")
    for got, want in zip(saved.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    assert [r["epoch/epoch"] for r in history(store, run.id)] == [0, 1]
    assert warnings_printed(capsys) == [
        "runconfig: WARNING runconfig.Artifact is not available yet: WandbModelCheckpoint's "
        "checkpoints stay where Keras saved them and are not logged as artifacts"
    ]


@KERAS_NUMPY_WARNING
def test_model_checkpoint_logs_each_checkpoint_as_a_model_artifact_with_its_epoch(
    store: str, tmp_path: Path, fake_artifacts: list[FakeArtifact]
) -> None:
    run = runconfig.init(project="p", store=store)
    fit(tiny_model(), [WandbModelCheckpoint(str(tmp_path / "m-{epoch}.keras"))], epochs=2)
    runconfig.finish()

    assert [(a.name, a.type, a.how, a.aliases) for a in fake_artifacts] == [
        (f"run_{run.id}_model", "model", "log", ["latest", "epoch_0"]),
        (f"run_{run.id}_model", "model", "log", ["latest", "epoch_1"]),
    ]
    size = os.path.getsize(tmp_path / "m-1.keras")
    assert [a.files for a in fake_artifacts] == [
        [f"{tmp_path / 'm-1.keras'} ({size} bytes)"],
        [f"{tmp_path / 'm-2.keras'} ({os.path.getsize(tmp_path / 'm-2.keras')} bytes)"],
    ]


@KERAS_NUMPY_WARNING
def test_model_checkpoint_every_n_batches_logs_with_epoch_and_batch_aliases(
    tmp_path: Path, store: str, fake_artifacts: list[FakeArtifact]
) -> None:
    runconfig.init(project="p", store=store)
    ckpt = WandbModelCheckpoint(
        str(tmp_path / "m-{epoch}-{batch}.weights.h5"), save_weights_only=True, save_freq=2
    )
    fit(tiny_model(), [ckpt], epochs=2)
    runconfig.finish()

    # (The store's -wal and -shm files stay while the process keeps it open for a next run.)
    assert sorted(n for n in os.listdir(tmp_path) if not n.endswith(("-wal", "-shm"))) == [
        "m-1-2.weights.h5",
        "m-1-4.weights.h5",
        "m-2-2.weights.h5",
        "m-2-4.weights.h5",
        "s.db",
    ]
    assert [a.aliases for a in fake_artifacts] == [
        ["latest", "epoch_0_batch_1"],
        ["latest", "epoch_0_batch_3"],
        ["latest", "epoch_1_batch_1"],
        ["latest", "epoch_1_batch_3"],
    ]


def test_model_checkpoint_logs_nothing_when_keras_saved_nothing(
    tmp_path: Path, store: str, fake_artifacts: list[FakeArtifact]
) -> None:
    runconfig.init(project="p", store=store)
    # No val_loss is below 0: Keras never saves (wandb 0.31 fails here).
    ckpt = WandbModelCheckpoint(
        str(tmp_path / "best-{epoch}.keras"), save_best_only=True, initial_value_threshold=0.0
    )
    fit(tiny_model(), [ckpt], epochs=2)
    runconfig.finish()

    assert not list(tmp_path.glob("best-*"))
    assert fake_artifacts == []


@KERAS_NUMPY_WARNING
def test_model_checkpoint_best_only_logs_the_epochs_that_improved(
    tmp_path: Path, store: str, fake_artifacts: list[FakeArtifact]
) -> None:
    runconfig.init(project="p", store=store)
    # Larger is "better" here: only the first epoch, from -inf, improves.
    ckpt = WandbModelCheckpoint(str(tmp_path / "best.keras"), save_best_only=True, mode="max")
    fit(tiny_model(), [ckpt], epochs=3)
    runconfig.finish()

    assert [a.aliases for a in fake_artifacts] == [["latest", "epoch_0"]]


def test_model_checkpoint_warns_about_best_only_without_placeholders_and_foreign_arguments(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    runconfig.init(project="p", store=store)
    ckpt = WandbModelCheckpoint("best.keras", save_best_only=True, options=None)
    assert ckpt.filepath == "best.keras"
    printed = warnings_printed(capsys)
    assert printed[0] == (
        "runconfig: WARNING WandbModelCheckpoint: Keras 3's ModelCheckpoint does not take "
        "options; ignored"
    )
    assert printed[1].startswith(
        "runconfig: WARNING When using `save_best_only`, ensure that the `filepath` argument "
        "contains formatting placeholders"
    )
    assert len(printed) == 2


@needs_artifacts
@KERAS_NUMPY_WARNING
def test_model_checkpoint_artifacts_are_stored_with_their_versions_and_aliases(
    tmp_path: Path, store: str
) -> None:
    run = runconfig.init(project="p", store=store)
    fit(tiny_model(), [WandbModelCheckpoint(str(tmp_path / "m.keras"))], epochs=2)
    runconfig.finish()

    with runconfig.Api(store=store) as api:
        first = api.artifact(f"run_{run.id}_model:epoch_0")
        latest = api.artifact(f"run_{run.id}_model:latest")
        assert (first.type, first.version) == ("model", "v0")
        assert (latest.version, sorted(latest.aliases)) == ("v1", ["epoch_1", "latest"])
        root = latest.download(root=str(tmp_path / "download"))
    assert os.listdir(root) == ["m.keras"]
    assert (Path(root) / "m.keras").read_bytes() == (tmp_path / "m.keras").read_bytes()


# -- WandbEvalCallback ----------------------------------------------------------------------


def test_eval_callback_without_tables_warns_once_and_training_goes_on(
    monkeypatch: pytest.MonkeyPatch, store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _stand_in(monkeypatch, Table=None)
    run = runconfig.init(project="p", store=store)
    callback = Eval()
    fit(tiny_model(), [callback, WandbMetricsLogger()], epochs=2)
    runconfig.finish()

    assert callback.ground_truth_calls == 0
    assert len(history(store, run.id)) == 2
    assert warnings_printed(capsys) == [
        "runconfig: WARNING runconfig.Table is not available yet: WandbEvalCallback logs no table"
    ]


@KERAS_NUMPY_WARNING
def test_eval_callback_logs_the_data_table_once_and_a_prediction_table_each_epoch(
    monkeypatch: pytest.MonkeyPatch, store: str, fake_artifacts: list[FakeArtifact]
) -> None:
    _stand_in(monkeypatch, Table=FakeTable, Artifact=FakeArtifact)
    run = runconfig.init(project="p", store=store)
    callback = Eval()
    model = tiny_model()
    fit(model, [callback], epochs=2)
    runconfig.finish()

    data, *preds = fake_artifacts
    assert (data.name, data.type, data.how, data.waited) == ("val", "dataset", "use", True)
    assert list(data.tables) == ["val_data"]
    assert callback.data_table.allow_mixed_types
    assert callback.data_table_ref is data.tables["val_data"]
    assert callback.data_table_ref.data == [[i, float(VAL[1][i, 0])] for i in range(3)]
    assert [(a.name, a.type, a.how, a.aliases, list(a.tables)) for a in preds] == [
        (f"run_{run.id}_pred", "evaluation", "log", ["latest"], ["eval_data"]),
        (f"run_{run.id}_pred", "evaluation", "log", ["latest"], ["eval_data"]),
    ]
    last = preds[-1].tables["eval_data"]
    assert last.columns == ["epoch", "idx", "target", "pred"]
    final = model.predict(VAL[0][:3], verbose=0)[:, 0]
    assert last.data == [[1, i, float(VAL[1][i, 0]), float(final[i])] for i in range(3)]


@KERAS_NUMPY_WARNING
def test_eval_callback_without_artifacts_refers_to_its_own_data_table(
    monkeypatch: pytest.MonkeyPatch, store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _stand_in(monkeypatch, Table=FakeTable, Artifact=None)
    runconfig.init(project="p", store=store)
    callback = Eval()
    fit(tiny_model(), [callback], epochs=2)
    runconfig.finish()

    assert callback.data_table_ref is callback.data_table
    assert [row[0] for row in callback.pred_table.data] == [1, 1, 1]
    assert warnings_printed(capsys) == [
        "runconfig: WARNING runconfig.Artifact is not available yet: WandbEvalCallback keeps "
        "its tables in memory, not logged as artifacts"
    ]


@KERAS_NUMPY_WARNING
@needs_tables
@needs_artifacts
def test_eval_callback_tables_are_stored_as_artifacts(store: str) -> None:
    run = runconfig.init(project="p", store=store)
    callback = Eval()
    fit(tiny_model(), [callback], epochs=2)
    runconfig.finish()

    assert [list(row) for row in callback.data_table_ref.data] == [
        [i, float(VAL[1][i, 0])] for i in range(3)
    ]
    with runconfig.Api(store=store) as api:
        assert api.artifact("val:latest").type == "dataset"
        preds = api.artifact(f"run_{run.id}_pred:latest")
        assert (preds.type, preds.version) == ("evaluation", "v1")


# -- WandbCallback (legacy) -----------------------------------------------------------------


@KERAS_NUMPY_WARNING
def test_legacy_callback_logs_each_epoch_and_keeps_the_best_value_and_model(
    store: str, no_artifacts: None, capsys: pytest.CaptureFixture[str]
) -> None:
    run = runconfig.init(project="p", store=store)
    model = tiny_model()
    logged = fit(model, [WandbCallback()])
    runconfig.finish()

    rows = history(store, run.id)
    assert rows == [{"epoch": e, **row} for e, row in enumerate(epoch_rows(logged, ""))]
    assert list(rows[0]) == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    best = min(range(3), key=lambda e: logged["val_loss"][e])
    assert best == 2  # the model learns: each epoch improves
    assert record(store, run.id).summary == {
        **rows[-1],
        "best_val_loss": logged["val_loss"][best],
        "best_epoch": best,
    }

    path = Path(run.dir) / "model-best.keras"
    assert sorted(os.listdir(run.dir)) == ["model-best.keras"]
    saved = keras.saving.load_model(path)
    for got, want in zip(saved.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    files = open_store(store)
    try:
        stored = files.get_run(run.id)
        assert stored is not None and stored.rid is not None
        [kept] = files.list_files(stored.rid)
    finally:
        files.close()
    assert (kept.path, kept.size) == ("model-best.keras", path.stat().st_size)
    assert warnings_printed(capsys) == [
        "runconfig: WARNING runconfig.Artifact is not available yet: WandbCallback's best "
        "model stays in the run's folder and is not logged as an artifact"
    ]


@KERAS_NUMPY_WARNING
def test_legacy_callback_with_save_weights_only_saves_weights_and_logs_the_artifact(
    store: str, fake_artifacts: list[FakeArtifact]
) -> None:
    run = runconfig.init(project="p", store=store, name="my run")
    model = tiny_model()
    fit(model, [WandbCallback(save_weights_only=True)], epochs=2)
    runconfig.finish()

    path = Path(run.dir) / "model-best.weights.h5"
    assert sorted(os.listdir(run.dir)) == ["model-best.weights.h5"]
    other = tiny_model(learning_rate=0.5)
    other.load_weights(path)
    for got, want in zip(other.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    assert [(a.name, a.type, a.aliases) for a in fake_artifacts] == [
        ("model-my_run", "model", ["latest", "epoch_0"]),
        ("model-my_run", "model", ["latest", "epoch_1"]),
    ]


@needs_artifacts
@KERAS_NUMPY_WARNING
def test_legacy_callback_best_model_artifact_is_stored_with_its_epoch(store: str) -> None:
    runconfig.init(project="p", store=store, name="my run")
    fit(tiny_model(), [WandbCallback()], epochs=2)
    runconfig.finish()

    with runconfig.Api(store=store) as api:
        best = api.artifact("model-my_run:latest")
        assert (best.type, best.version, sorted(best.aliases)) == (
            "model",
            "v1",
            ["epoch_1", "latest"],
        )
        assert [f.path for f in best.files()] == ["model-best.keras"]


def test_legacy_callback_logs_every_nth_batch_of_each_epoch(store: str) -> None:
    run = runconfig.init(project="p", store=store)
    logged = fit(tiny_model(), [WandbCallback(log_batch_frequency=3, save_model=False)], 2)
    runconfig.finish()

    rows = history(store, run.id)
    assert [sorted(r) for r in rows] == 2 * (
        2 * [["loss", "mae"]] + [["epoch", "loss", "mae", "val_loss", "val_mae"]]
    )
    assert [rows[1]["loss"], rows[4]["loss"]] == logged["loss"]  # batch 3: the epoch's mean


@pytest.mark.parametrize(
    ("kwargs", "values", "best"),
    [
        pytest.param({}, [3.0, 2.0, 2.5], (2.0, 1), id="val_loss-smaller-is-better"),
        pytest.param({"monitor": "val_acc"}, [0.5, 0.9, 0.7], (0.9, 1), id="auto-acc-larger"),
        pytest.param({"monitor": "fmeasure"}, [0.5, 0.9, 0.7], (0.9, 1), id="auto-fmeasure"),
        pytest.param({"mode": "max"}, [1.0, 3.0, 2.0], (3.0, 1), id="max-mode"),
        pytest.param({"mode": "min"}, [1.0, 0.0, 0.5], (0.0, 1), id="zero-is-a-best-value"),
        pytest.param({"mode": "lowest"}, [2.0, 1.0, 3.0], (1.0, 1), id="unknown-mode-is-auto"),
        pytest.param({"monitor": "val_auc"}, [1.0, 2.0, 3.0], None, id="monitor-never-logged"),
        pytest.param({"log_best_prefix": None}, [3.0, 2.0, 1.0], None, id="no-prefix"),
        pytest.param({"log_best_prefix": "top_"}, [3.0, 2.0, 4.0], (2.0, 1), id="another-prefix"),
    ],
)
def test_legacy_callback_records_the_best_monitored_value_and_its_epoch(
    store: str, kwargs: dict[str, Any], values: list[float], best: tuple[float, int] | None
) -> None:
    run = runconfig.init(project="p", store=store)
    callback = WandbCallback(save_model=False, **kwargs)
    monitor = kwargs.get("monitor", "val_loss")
    logged = "val_loss" if monitor == "val_auc" else monitor
    for epoch, value in enumerate(values):
        callback.on_epoch_end(epoch, {"loss": 1.0, logged: value})
    runconfig.finish()

    summary = record(store, run.id).summary
    prefix = kwargs.get("log_best_prefix", "best_")
    best_keys = {k: v for k, v in summary.items() if prefix and k.startswith(prefix)}
    if best is None:
        assert best_keys == {}
    else:
        assert best_keys == {f"{prefix}{monitor}": best[0], f"{prefix}epoch": best[1]}


def test_legacy_callback_on_a_resumed_run_starts_from_the_best_it_recorded(store: str) -> None:
    run = runconfig.init(project="p", store=store)
    run.summary["best_val_loss"] = 1.0
    callback = WandbCallback(save_model=False)
    callback.on_epoch_end(0, {"val_loss": 2.0})
    assert "best_epoch" not in run.summary
    callback.on_epoch_end(1, {"val_loss": 0.5})
    assert (run.summary["best_val_loss"], run.summary["best_epoch"]) == (0.5, 1)


def test_legacy_callback_names_in_one_line_the_arguments_it_ignores(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    runconfig.init(project="p", store=store)
    WandbCallback()
    WandbCallback(save_graph=True, infer_missing_processors=True, predictions=36)
    assert warnings_printed(capsys) == []

    WandbCallback(
        log_gradients=True,
        training_data=(X, Y),
        validation_data=VAL,
        input_type="image",
        compute_flops=True,
        data_type="image",
    )
    assert warnings_printed(capsys) == [
        "runconfig: WARNING WandbCallback: runconfig does not log images, predictions, "
        "evaluation tables, gradients, the graph or FLOPs; ignored: log_gradients, "
        "training_data, validation_data, input_type, compute_flops, data_type"
    ]


class FakeHistogram(Media):
    """A stand-in for ``runconfig.Histogram``: logged as the count of its values."""

    def __init__(self, values: Any) -> None:
        self.count = int(np.asarray(values).size)

    def to_ref(self, run: Run, key: str) -> dict[str, Any]:
        return {"_type": "histogram", "count": self.count}


@KERAS_NUMPY_WARNING
def test_legacy_callback_log_weights_adds_histograms_of_each_layer_to_the_epoch_row(
    monkeypatch: pytest.MonkeyPatch, store: str
) -> None:
    _stand_in(monkeypatch, Histogram=FakeHistogram)
    run = runconfig.init(project="p", store=store)
    fit(tiny_model(), [WandbCallback(log_weights=True, save_model=False)], epochs=2)
    runconfig.finish()

    rows = history(store, run.id)
    assert [r["epoch"] for r in rows] == [0, 1]
    assert [(r["parameters/out.weights"], r["parameters/out.bias"]) for r in rows] == 2 * [
        ({"_type": "histogram", "count": 4}, {"_type": "histogram", "count": 1})
    ]


def test_legacy_callback_log_weights_without_histograms_is_named_among_the_ignored(
    monkeypatch: pytest.MonkeyPatch, store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _stand_in(monkeypatch, Histogram=None)
    run = runconfig.init(project="p", store=store)
    fit(tiny_model(), [WandbCallback(log_weights=True, save_model=False)], epochs=1)
    runconfig.finish()

    assert list(history(store, run.id)[0]) == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert warnings_printed(capsys)[0].endswith("ignored: log_weights")
