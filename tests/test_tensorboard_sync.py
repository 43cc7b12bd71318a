"""TensorBoard sync: scalars written with real TensorBoard writers land in a real run.

Each test makes a run on a SQLite store in its own folder, wires the sync by hand (as
``init(sync_tensorboard=True)`` and ``finish()`` will), writes with torch's
``SummaryWriter`` (or tensorboard's, or tensorboardX's), and reads the history back
through ``runconfig.Api``. Most syncs poll once a minute, so that only ``poll()`` and
``stop()`` read the files and the order of rows across files is the same on every run;
one test lets the thread do the polling.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch", reason="the TensorBoard sync tests write with torch's SummaryWriter")
pytest.importorskip("tensorboard", reason="the TensorBoard sync reads events with tensorboard")

from conftest import run_python
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from torch.utils.tensorboard import SummaryWriter

import runconfig
from runconfig.errors import UsageError
from runconfig.integrations import tensorboard as tb
from runconfig.integrations.tensorboard import TensorBoardSync

QUIET = 60.0  # a polling interval no test lasts: only poll() and stop() read the files


@pytest.fixture(autouse=True)
def _in_tmp_path_with_nothing_left_patched(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[None]:
    for var in ("RUNCONFIG_STORE", "RUNCONFIG_MODE", "RUNCONFIG_SWEEP_PARAMS", "WANDB_MODE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    yield
    tb.unpatch()
    from runconfig._run import _state

    for run in list(_state.runs):
        run.finish()
    _state.config = runconfig.Config()


@pytest.fixture
def store(tmp_path: Path) -> str:
    return str(tmp_path / "s.db")


def history(store: str, run_id: str) -> list[dict[str, Any]]:
    """The run's history rows as logged (without ``_step``, which counts 0, 1, 2...)."""
    with runconfig.Api(store=store) as api:
        rows = api.run(run_id).history or []
    assert [row["_step"] for row in rows] == list(range(len(rows)))
    return [{k: v for k, v in row.items() if k != "_step"} for row in rows]


def test_scalars_of_one_writer_become_one_row_per_step_without_prefix(store: str) -> None:
    run = runconfig.init(project="p", store=store)
    sync = TensorBoardSync(run, interval=QUIET)
    sync.start()
    writer = SummaryWriter("runs/exp")  # torch's module was imported before start()
    for step, (loss, acc) in enumerate([(1.0, 0.5), (0.5, 0.75), (0.25, 1.0)]):
        writer.add_scalar("loss", loss, step)  # simple_value
        writer.add_scalar("acc", acc, step, new_style=True)  # a float tensor, "scalars" plugin
    writer.add_scalar("lr", 0.125, 2, new_style=True, double_precision=True)
    writer.close()
    sync.stop()
    run.finish()

    assert history(store, run.id) == [
        {"loss": 1.0, "acc": 0.5, "global_step": 0},
        {"loss": 0.5, "acc": 0.75, "global_step": 1},
        {"loss": 0.25, "acc": 1.0, "lr": 0.125, "global_step": 2},
    ]
    with runconfig.Api(store=store) as api:
        assert api.run(run.id).summary == {"loss": 0.25, "acc": 1.0, "lr": 0.125, "global_step": 2}


def test_a_writer_never_flushed_nor_closed_is_flushed_at_stop(store: str) -> None:
    run = runconfig.init(project="p", store=store)
    sync = TensorBoardSync(run, interval=QUIET)
    sync.start()
    # It flushes every 120 s: its last events may still be in its queue at stop (and, with
    # TensorFlow installed, in its file's buffer); the tensorboardX test shows the buffer.
    writer = SummaryWriter("runs/exp")
    for step in range(5):
        writer.add_scalar("loss", step / 4, step)
    sync.stop()
    run.finish()

    assert history(store, run.id) == [{"loss": s / 4, "global_step": s} for s in range(5)]
    writer.close()


def test_a_writer_made_before_start_is_read_from_its_first_scalar(store: str) -> None:
    writer = SummaryWriter("runs/early")
    writer.add_scalar("loss", 1.0, 0)
    run = runconfig.init(project="p", store=store)
    sync = TensorBoardSync(run, interval=QUIET)
    sync.start()
    writer.add_scalar("loss", 0.5, 1)
    sync.stop()
    run.finish()

    assert history(store, run.id) == [
        {"loss": 1.0, "global_step": 0},
        {"loss": 0.5, "global_step": 1},
    ]
    writer.close()


def test_event_files_already_in_a_reused_logdir_are_not_read(store: str) -> None:
    old = SummaryWriter("runs/exp")
    old.add_scalar("loss", 9.0, 0)
    old.close()  # an earlier run's: closed, so not adopted, and its file is left alone
    run = runconfig.init(project="p", store=store)
    sync = TensorBoardSync(run, interval=QUIET)
    sync.start()
    writer = SummaryWriter("runs/exp")
    writer.add_scalar("loss", 1.0, 0)
    sync.stop()
    run.finish()

    assert history(store, run.id) == [{"loss": 1.0, "global_step": 0}]
    writer.close()


def test_two_writers_in_two_logdirs_prefix_keys_with_their_directory(store: str) -> None:
    run = runconfig.init(project="p", store=store)
    sync = TensorBoardSync(run, interval=QUIET)
    sync.start()
    train, val = SummaryWriter("runs/exp1/train"), SummaryWriter("runs/exp1/val")
    for step in range(2):
        train.add_scalar("loss", 1.0 / (step + 1), step)
        train.add_scalar("lr", 0.25, step)
        val.add_scalar("loss", 2.0 / (step + 1), step)
    sync.stop()
    run.finish()

    assert history(store, run.id) == [
        {"train/loss": 1.0, "train/lr": 0.25, "global_step": 0},
        {"train/loss": 0.5, "train/lr": 0.25, "global_step": 1},
        {"val/loss": 2.0, "global_step": 0},
        {"val/loss": 1.0, "global_step": 1},
    ]
    train.close()
    val.close()


def test_add_scalars_subdirectories_are_prefixed_relative_to_the_writers_logdir(
    store: str,
) -> None:
    run = runconfig.init(project="p", store=store)
    sync = TensorBoardSync(run, interval=QUIET)
    sync.start()
    writer = SummaryWriter("runs/exp")
    writer.add_scalar("loss", 1.0, 0)
    writer.add_scalars("pair", {"x": 1.0, "y": 2.0}, 0)  # writes runs/exp/pair_x, pair_y
    writer.add_scalar("loss", 0.5, 1)
    writer.add_scalars("pair", {"x": 0.5, "y": 0.25}, 1)
    sync.stop()  # the sub-directories' writers were never flushed by anyone
    run.finish()

    assert history(store, run.id) == [
        {"loss": 1.0, "global_step": 0},
        {"loss": 0.5, "global_step": 1},
        {"pair_x/pair": 1.0, "global_step": 0},
        {"pair_x/pair": 0.5, "global_step": 1},
        {"pair_y/pair": 2.0, "global_step": 0},
        {"pair_y/pair": 0.25, "global_step": 1},
    ]
    writer.close()


def test_a_second_logdir_after_the_first_rows_leaves_the_first_keys_bare(store: str) -> None:
    run = runconfig.init(project="p", store=store)
    sync = TensorBoardSync(run, interval=QUIET)
    sync.start()
    train = SummaryWriter("runs/train")
    train.add_scalar("loss", 1.0, 0)
    train.add_scalar("loss", 0.5, 1)
    train.flush()
    assert sync.poll() == 1  # step 0 is complete; step 1 waits for a later step or stop()
    val = SummaryWriter("runs/val")
    val.add_scalar("loss", 2.0, 0)
    sync.stop()
    run.finish()

    assert history(store, run.id) == [
        {"loss": 1.0, "global_step": 0},
        {"loss": 0.5, "global_step": 1},
        {"val/loss": 2.0, "global_step": 0},
    ]
    train.close()
    val.close()


def test_root_logdir_of_patch_prefixes_even_a_single_writer(store: str) -> None:
    tb.patch(root_logdir="runs")  # before init, as wandb.tensorboard.patch allows
    writer = SummaryWriter("runs/exp")
    writer.add_scalar("loss", 1.0, 0)
    run = runconfig.init(project="p", store=store)
    sync = TensorBoardSync(run, interval=QUIET)
    sync.start()  # takes the patch as it is
    sync.stop()
    run.finish()

    assert history(store, run.id) == [{"exp/loss": 1.0, "global_step": 0}]
    writer.close()


def test_rows_merge_a_steps_scalars_and_skip_what_is_not_a_scalar(store: str) -> None:
    import torch

    run = runconfig.init(project="p", store=store)
    sync = TensorBoardSync(run, interval=QUIET)
    sync.start()
    writer = SummaryWriter("runs/exp")
    writer.add_scalar("a", 1.0, 0)
    writer.add_histogram("weights", torch.arange(4.0), 0)  # skipped: not a scalar
    writer.add_text("note", "hello", 0)  # skipped too, and neither splits the row
    writer.add_scalar("b", 2.0, 0)
    writer.add_scalar("a", 3.0, 0)  # `a` again at the same step: a new row
    writer.add_scalar("a", 4.0, 5)
    writer.add_scalar("a", 5.0, 2)  # steps need not grow
    writer.close()
    sync.stop()
    run.finish()

    assert history(store, run.id) == [
        {"a": 1.0, "b": 2.0, "global_step": 0},
        {"a": 3.0, "global_step": 0},
        {"a": 4.0, "global_step": 5},
        {"a": 5.0, "global_step": 2},
    ]


def test_tensorboards_own_writer_is_synced(store: str) -> None:
    from tensorboard.summary import Writer

    run = runconfig.init(project="p", store=store)
    sync = TensorBoardSync(run, interval=QUIET)
    sync.start()
    writer = Writer("runs/tb")  # a tensor of the "scalars" plugin per value
    writer.add_scalar("x", 0.5, step=3)
    writer.add_scalar("x", 2, step=4)
    sync.stop()
    run.finish()

    assert history(store, run.id) == [
        {"x": 0.5, "global_step": 3},
        {"x": 2.0, "global_step": 4},
    ]
    writer.close()


def test_tensorboardx_writers_are_synced(store: str) -> None:
    tensorboardx = pytest.importorskip("tensorboardX", reason="tensorboardX is not installed")
    run = runconfig.init(project="p", store=store)
    sync = TensorBoardSync(run, interval=QUIET)
    sync.start()
    writer = tensorboardx.SummaryWriter("runs/x")
    writer.add_scalar("loss", 0.5, 1)
    writer.add_scalar("acc", 0.75, 1)
    writer.add_scalar("loss", 0.25, 2)
    time.sleep(0.1)  # its thread has written them, into the file's buffer
    (event_file,) = Path("runs/x").iterdir()
    on_disk = event_file.stat().st_size
    sync.stop()  # never flushed nor closed by the user: stop() flushes it
    run.finish()

    assert event_file.stat().st_size > on_disk
    assert history(store, run.id) == [
        {"loss": 0.5, "acc": 0.75, "global_step": 1},
        {"loss": 0.25, "global_step": 2},
    ]
    writer.close()


def test_the_thread_logs_a_complete_step_while_training_goes_on(store: str) -> None:
    run = runconfig.init(project="p", store=store)
    sync = TensorBoardSync(run, interval=0.05)
    sync.start()
    writer = SummaryWriter("runs/exp")
    writer.add_scalar("loss", 1.0, 0)
    writer.add_scalar("loss", 0.5, 1)
    writer.flush()
    deadline = time.monotonic() + 4
    while not history(store, run.id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert history(store, run.id) == [{"loss": 1.0, "global_step": 0}]
    sync.stop()
    run.finish()

    assert history(store, run.id) == [
        {"loss": 1.0, "global_step": 0},
        {"loss": 0.5, "global_step": 1},
    ]
    writer.close()


def test_stop_unpatches_the_writer_classes_and_the_import_hook(store: str) -> None:
    original_init = EventFileWriter.__init__
    meta_path = list(sys.meta_path)
    run = runconfig.init(project="p", store=store)
    sync = TensorBoardSync(run, interval=QUIET)
    sync.start()
    assert EventFileWriter.__init__ is not original_init
    sync.stop()

    assert EventFileWriter.__init__ is original_init
    assert sys.meta_path == meta_path
    writer = SummaryWriter("runs/after")  # writes as usual, and is not synced
    writer.add_scalar("loss", 1.0, 0)
    writer.close()
    assert sync.poll() == 0
    run.finish()
    assert history(store, run.id) == []
    assert next(Path("runs/after").iterdir()).name.startswith("events.out.tfevents")


def test_a_writer_module_imported_after_start_is_patched(store: str, tmp_path: Path) -> None:
    code = """
import json, sys
import runconfig
from runconfig.integrations.tensorboard import TensorBoardSync

run = runconfig.init(project="p", store=sys.argv[1])
sync = TensorBoardSync(run, interval=60)
sync.start()
imported = "torch" in sys.modules or "tensorboard.summary.writer.event_file_writer" in sys.modules
from torch.utils.tensorboard import SummaryWriter

writer = SummaryWriter(sys.argv[2])
writer.add_scalar("loss", 0.5, 7)
sync.stop()
run.finish()
print(json.dumps({"id": run.id, "imported_by_start": imported}))
"""
    done = run_python(code, store, str(tmp_path / "runs" / "late"), timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["imported_by_start"] is False  # neither torch nor tensorboard's writer
    assert history(store, out["id"]) == [{"loss": 0.5, "global_step": 7}]


def test_a_corrupt_event_file_is_reported_once_and_what_it_held_before_is_kept(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run = runconfig.init(project="p", store=store)
    sync = TensorBoardSync(run, interval=QUIET)
    sync.start()
    writer = SummaryWriter("runs/exp")
    writer.add_scalar("loss", 1.0, 0)
    writer.add_scalar("loss", 0.5, 1)
    writer.flush()
    (good,) = Path("runs/exp").iterdir()
    # Sorted after the writer's own file: good records, then bytes that are no record.
    bad = Path("runs/exp/events.out.tfevents.9.bad")
    bad.write_bytes(good.read_bytes() + b"this is not a TFRecord, whatever it is")
    sync.poll()
    sync.poll()
    sync.stop()
    run.finish()

    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("runconfig: tensorboard sync: ")
    assert f"{bad.resolve()}: _CorruptFile: bad record header at byte {good.stat().st_size}" in err
    # Step 0 of each file at the first poll, the last steps at stop(): each file in order.
    first, last = {"loss": 1.0, "global_step": 0}, {"loss": 0.5, "global_step": 1}
    assert history(store, run.id) == [first, first, last, last]
    writer.close()


def test_a_refused_run_log_is_reported_once_and_stop_still_unpatches(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    original_init = EventFileWriter.__init__
    run = runconfig.init(project="p", store=store)
    sync = TensorBoardSync(run, interval=QUIET)
    sync.start()
    writer = SummaryWriter("runs/exp")
    for step in range(3):
        writer.add_scalar("loss", 1.0, step)
    run.finish()  # too early: the run refuses rows from now on
    sync.stop()

    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "run.log: UsageError: run " in err and "is finished" in err
    assert EventFileWriter.__init__ is original_init
    writer.close()


def test_patch_twice_is_refused_and_so_is_a_second_sync(store: str) -> None:
    tb.patch()
    with pytest.raises(UsageError, match="already patched"):
        tb.patch()
    first = runconfig.init(project="p", store=store)
    sync = TensorBoardSync(first, interval=QUIET)
    sync.start()
    second = runconfig.init(project="p", store=store, reinit="create_new")
    with pytest.raises(UsageError, match="already running"):
        TensorBoardSync(second, interval=QUIET).start()
    sync.stop()
    second.finish()
    first.finish()


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="interval must be a positive number of seconds, got 0"):
        TensorBoardSync(runconfig.init(mode="disabled"), interval=0)


def test_unpatch_without_patch_is_a_no_op() -> None:
    original_init = EventFileWriter.__init__
    tb.unpatch()
    assert EventFileWriter.__init__ is original_init


@pytest.mark.parametrize(
    ("logdir", "known", "root", "expected"),
    [
        ("/r/a", ["/r/a"], "", ""),
        ("/r/a", ["/r/a", "/r/b"], "", "a"),
        ("/r/a", ["/r/a", "/r/a/x_y"], "", ""),
        ("/r/a/x_y", ["/r/a", "/r/a/x_y"], "", "x_y"),
        ("/r/a/b", ["/r/a/b"], "/r", "a/b"),
        ("/r", ["/r"], "/r", ""),
        ("/elsewhere/a", ["/r/a", "/elsewhere/a"], "/r", "elsewhere/a"),
        ("/r/a", ["/r/a"], "/r/ab", ""),
    ],
    ids=[
        "one-dir-no-prefix",
        "two-siblings",
        "parent-keeps-bare-keys",
        "add-scalars-subdir",
        "root-given",
        "root-itself",
        "outside-root-uses-common-parent",
        "root-is-a-path-not-a-string-prefix",
    ],
)
def test_key_prefixes(logdir: str, known: list[str], root: str, expected: str) -> None:
    if os.sep != "/":
        pytest.skip("POSIX paths")
    assert tb._namespace(logdir, known, root) == expected
