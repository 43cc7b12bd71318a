"""The run API as wandb 0.31 has it: log's steps and commits, define_metric's summaries,
the summary at every depth, the run's settable fields, notes on the run, the module's
functions, and init()'s keywords, settings and environment variables.

Runs that touch the store run on both engines through ``run_store``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import child_env

import runconfig
from runconfig.errors import UsageError

pytestmark = pytest.mark.usefixtures("no_run")


def read(run_store: str, run_id: str) -> runconfig.RunRecord:
    with runconfig.Api(store=run_store) as api:
        return api.run(run_id)


def rows(record: runconfig.RunRecord) -> list[dict[str, Any]]:
    assert record.history is not None
    return record.history


# -- log: steps and commits ------------------------------------------------------------------


def test_commit_false_accumulates_one_row_until_a_call_commits_it(run_store: str) -> None:
    run = runconfig.init(store=run_store)
    run.log({"a": 1}, commit=False)
    run.log({"b": 2}, commit=False)
    assert run.step == 0
    assert rows(read(run_store, run.id)) == [{"_step": 0, "a": 1, "b": 2}]  # already stored
    assert "a" not in run.summary  # the summary changes when the row is committed
    run.log({"c": 3})
    assert run.step == 1 and run.summary["a"] == 1
    run.log({"d": 4})
    run.finish()
    assert rows(read(run_store, run.id)) == [
        {"_step": 0, "a": 1, "b": 2, "c": 3},
        {"_step": 1, "d": 4},
    ]


def test_explicit_steps_follow_wandb(run_store: str, capsys: pytest.CaptureFixture[str]) -> None:
    run = runconfig.init(store=run_store)
    run.log({"a": 0})
    run.log({"a": 1}, step=5)  # a step makes commit default to False
    run.log({"b": 1}, step=5)  # the same step adds to the row
    run.log({"a": 2}, step=3)  # lower: dropped, with a warning, no exception
    run.log({"c": 1})  # commits row 5
    run.log({"d": 1}, step=10, commit=True)
    run.log({"e": 1}, step=10)  # already committed: lower than the current step 11
    run.log({"f": 1}, commit=False)
    run.log({"g": 1}, step=12, commit=False)  # a higher step commits row 11 first
    run.log({"h": 1}, commit=True)
    assert run.step == 13
    run.finish()
    err = capsys.readouterr().err
    assert "Tried to log to step 3 that is less than the current step 5" in err
    assert "Tried to log to step 10 that is less than the current step 11" in err
    assert rows(read(run_store, run.id)) == [
        {"_step": 0, "a": 0},
        {"_step": 5, "a": 1, "b": 1, "c": 1},
        {"_step": 10, "d": 1},
        {"_step": 11, "f": 1},
        {"_step": 12, "g": 1, "h": 1},
    ]


def test_finish_commits_a_pending_row_and_a_user_step_key_is_dropped(run_store: str) -> None:
    run = runconfig.init(store=run_store)
    run.log({"x": 1, "_step": 99}, step=2, commit=False)
    run.finish()
    stored = read(run_store, run.id)
    assert rows(stored) == [{"_step": 2, "x": 1}]
    assert stored.summary == {"x": 1}


@pytest.mark.parametrize("bad", [1.5, "3", None], ids=["float", "str", "none-is-fine"])
def test_a_step_must_be_an_integer(tmp_path: Path, bad: Any) -> None:
    run = runconfig.init(store=str(tmp_path / "s.db"))
    if bad is None:
        run.log({"a": 1}, step=bad)
        return
    with pytest.raises(TypeError, match="step"):
        run.log({"a": 1}, step=bad)


def test_log_takes_a_dict(tmp_path: Path) -> None:
    run = runconfig.init(store=str(tmp_path / "s.db"))
    with pytest.raises(TypeError, match="takes a dict"):
        run.log([1, 2])  # type: ignore[arg-type]


def test_nested_dicts_are_logged_leaf_by_leaf(run_store: str) -> None:
    run = runconfig.init(store=run_store)
    run.log({"val": {"acc": 0.5, "loss": 2.0}, "lr": 0.1})
    run.log({"val": {"acc": 0.7}})
    run.log({"n": 5})
    run.log({"n": {"z": 1}})  # a dict replaces a value that was not one
    assert run.summary["val"] == {"acc": 0.7, "loss": 2.0}
    run.finish()
    stored = read(run_store, run.id)
    assert stored.summary == {"val": {"acc": 0.7, "loss": 2.0}, "lr": 0.1, "n": {"z": 1}}
    assert rows(stored)[1] == {"_step": 1, "val": {"acc": 0.7}}
    with runconfig.Api(store=run_store) as api:
        assert [r.id for r in api.runs(where="summary.val.acc > 0.6")] == [run.id]


# -- define_metric ------------------------------------------------------------------------------

# loss = 3, 1, 2, as in wandb 0.31 (see the research notes in runconfig._summary).
SUMMARIES = [
    ({}, 2),
    ({"summary": "copy"}, 2),
    ({"summary": "min"}, {"min": 1}),
    ({"summary": "max"}, {"max": 3}),
    ({"summary": "mean"}, {"mean": 2.0}),
    ({"summary": "last"}, {"last": 2}),
    ({"summary": "first"}, {"first": 3}),
    ({"summary": "min,max"}, {"min": 1, "max": 3}),
    ({"summary": "MIN"}, {"min": 1}),
    ({"summary": "copy,min"}, {"min": 1}),
    ({"summary": "best", "goal": "minimize"}, {"best": 1}),
    ({"summary": "best", "goal": "maximize"}, {"best": 3}),
]


@pytest.mark.parametrize(("kwargs", "expected"), SUMMARIES, ids=[str(k) for k, _ in SUMMARIES])
def test_define_metric_summaries_match_wandb(
    tmp_path: Path, kwargs: dict[str, str], expected: Any
) -> None:
    store = str(tmp_path / "s.db")
    run = runconfig.init(store=store)
    run.define_metric("loss", **kwargs)
    for v in (3, 1, 2):
        run.log({"loss": v})
    assert run.summary["loss"] == expected
    run.finish()
    assert read(store, run.id).summary == {"loss": expected}


@pytest.mark.parametrize("summary", ["none", "min,none", "last,none"])
def test_a_none_summary_leaves_the_key_out(tmp_path: Path, summary: str) -> None:
    run = runconfig.init(store=str(tmp_path / "s.db"))
    run.define_metric("loss", summary=summary)
    run.log({"loss": 1, "acc": 2})
    assert "loss" not in run.summary and run.summary["acc"] == 2


def test_statistics_count_values_logged_before_the_definition(run_store: str) -> None:
    run = runconfig.init(store=run_store)
    run.log({"loss": 3})
    run.define_metric("loss", summary="min,first")
    assert run.summary["loss"] == {"min": 3, "first": 3}  # at once, before a new log
    run.log({"loss": 5})
    run.finish()
    assert read(run_store, run.id).summary == {"loss": {"min": 3, "first": 3}}


def test_a_value_set_by_hand_turns_the_statistics_off_until_defined_again(
    tmp_path: Path,
) -> None:
    run = runconfig.init(store=str(tmp_path / "s.db"))
    run.define_metric("loss", summary="min")
    run.log({"loss": 1.0})
    run.summary["loss"] = 100
    assert run.summary["loss"] == 100
    run.log({"loss": 0.5})
    assert run.summary["loss"] == 0.5
    run.define_metric("loss", summary="min")
    run.log({"loss": 0.7})
    assert run.summary["loss"] == {"min": 0.5}


def test_repeated_definitions_add_up_unless_overwritten(tmp_path: Path) -> None:
    run = runconfig.init(store=str(tmp_path / "s.db"))
    run.define_metric("acc", summary="mean")
    run.define_metric("acc", summary="max")
    run.log({"acc": 1})
    run.log({"acc": 3})
    assert run.summary["acc"] == {"mean": 2.0, "max": 3}
    run.define_metric("acc", summary="min", overwrite=True)
    assert run.summary["acc"] == {"min": 1}


def test_globs_match_prefixes_and_an_exact_name_wins(tmp_path: Path) -> None:
    run = runconfig.init(store=str(tmp_path / "s.db"))
    run.define_metric("train/*", summary="max")
    run.define_metric("*", summary="min")
    run.define_metric("epoch", hidden=True)
    for v in (1, 3, 2):
        run.log({"train/acc": v, "val_loss": v, "epoch": v, "_hidden": v})
    assert run.summary["train/acc"] == {"max": 3}  # the longer prefix
    assert run.summary["val_loss"] == {"min": 1}
    assert run.summary["epoch"] == 2  # defined by name: no summary op
    assert run.summary["_hidden"] == 2  # keys starting with _ match no glob


def test_a_step_metric_is_added_to_rows_that_lack_it(run_store: str) -> None:
    run = runconfig.init(store=run_store)
    run.define_metric("val/acc", step_metric="epoch")
    run.log({"val/acc": 0.1})  # no epoch logged yet: 0
    run.log({"epoch": 1})
    run.log({"val/acc": 0.2})
    run.define_metric("test/*", step_metric="epoch", step_sync=False)
    run.log({"test/acc": 0.3})
    run.finish()
    assert rows(read(run_store, run.id)) == [
        {"_step": 0, "val/acc": 0.1, "epoch": 0},
        {"_step": 1, "epoch": 1},
        {"_step": 2, "val/acc": 0.2, "epoch": 1},
        {"_step": 3, "test/acc": 0.3},
    ]


def test_define_metric_names_nested_and_dotted_keys(tmp_path: Path) -> None:
    run = runconfig.init(store=str(tmp_path / "s.db"))
    run.define_metric("n.x", summary="max")
    run.define_metric("a\\.b", summary="min")
    for v in (1, 3):
        run.log({"n": {"x": v, "y": v}, "a.b": v})
    assert run.summary["n"] == {"x": {"max": 3}, "y": 3}
    assert run.summary["a.b"] == {"min": 1}


def test_define_metric_returns_the_metric_and_is_kept_for_a_resume(run_store: str) -> None:
    run = runconfig.init(store=run_store, id="kept0001")
    metric = runconfig.define_metric("loss", summary="min", step_metric="epoch", hidden=True)
    assert (metric.name, metric.summary, metric.step_metric, metric.step_sync, metric.hidden) == (
        "loss",
        ("min",),
        "epoch",
        True,
        True,
    )
    run.log({"loss": 2.0, "epoch": 0})
    run.finish()
    again = runconfig.init(store=run_store, id="kept0001", resume="allow")
    assert again.resumed and again.step == 1 and again.starting_step == 1
    again.log({"loss": 1.0, "epoch": 1})
    assert again.summary["loss"] == {"min": 1.0}
    again.finish()
    assert read(run_store, "kept0001").meta["metrics"] == [
        {"name": "loss", "step_metric": "epoch", "step_sync": True, "hidden": True,
         "summary": ["min"]}
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "non-empty name"),
        ({"name": "a*b"}, "may only end a name"),
        ({"name": "x", "summary": "bset"}, "did you mean 'best'"),
        ({"name": "x", "hidden": "yes"}, "hidden must be a bool"),
        ({"name": "x", "summary": "best"}, "needs goal"),
        ({"name": "x", "goal": "up"}, "goal must be"),
    ],
    ids=["empty", "star inside", "unknown op", "bad type", "best without goal", "bad goal"],
)
def test_bad_definitions_are_refused_clearly(
    tmp_path: Path, kwargs: dict[str, Any], message: str
) -> None:
    run = runconfig.init(store=str(tmp_path / "s.db"))
    with pytest.raises(runconfig.Error, match=message):
        run.define_metric(**kwargs)


# -- the summary --------------------------------------------------------------------------------


def test_the_summary_reads_by_attribute_and_item_at_every_depth(run_store: str) -> None:
    run = runconfig.init(store=run_store)
    run.log({"x": {"y": {"z": 1}}, "top": 2})
    assert run.summary.x.y.z == 1 and run.summary["x"].y["z"] == 1
    assert runconfig.summary is not None and runconfig.summary["x"].y.z == 1
    assert isinstance(run.summary["x"], dict) and dict(run.summary)["top"] == 2
    assert "x" in run.summary and len(run.summary) == 2 and sorted(run.summary) == ["top", "x"]
    with pytest.raises(KeyError):
        run.summary["missing"]
    assert not hasattr(run.summary, "missing") and not hasattr(run.summary.x, "nope")
    run.summary["x"]["y"]["w"] = 5  # a nested write sets the summary at its path
    run.summary.best = {"acc": 0.9}
    run.summary.update({"u": 1})
    del run.summary["top"]
    run.finish()
    assert read(run_store, run.id).summary == {
        "x": {"y": {"z": 1, "w": 5}},
        "best": {"acc": 0.9},
        "u": 1,
    }


# -- what a run records -------------------------------------------------------------------------


def test_name_notes_tags_group_job_type_are_stored_when_set(run_store: str) -> None:
    run = runconfig.init(store=run_store, project="p", entity="team")
    run.name = "renamed"
    run.notes = "why"
    run.tags = ["a", "b"]
    run.group = "g"
    run.job_type = "train"
    stored = read(run_store, run.id)  # while the run is live
    assert (stored.name, stored.notes, stored.tags, stored.group, stored.job_type) == (
        "renamed",
        "why",
        ["a", "b"],
        "g",
        "train",
    )
    assert stored.entity == "team" and run.entity == "team" and run.project == "p"
    assert run.tags == ("a", "b") and run.group == "g"


def test_a_name_taken_in_the_project_is_refused(run_store: str) -> None:
    first = runconfig.init(store=run_store, project="p", name="taken")
    first.finish()
    run = runconfig.init(store=run_store, project="p")
    with pytest.raises(UsageError, match="has that name"):
        run.name = "taken"


def test_path_and_url_lead_back_to_the_run(run_store: str) -> None:
    run = runconfig.init(store=run_store, project="p", entity="team")
    assert run.path == f"team/p/{run.id}"
    assert run.url is not None and run.url.endswith(f"#{run.id}")
    run.finish()
    with runconfig.Api(store=run_store) as api:
        assert api.run(run.path).id == run.id
        assert api.run(run.url).id == run.id
        assert api.run(f"p/{run.id}").id == run.id


def test_the_run_folder_sits_beside_the_store_and_dir_never_moves_the_store(
    tmp_path: Path,
) -> None:
    run = runconfig.init(project="p")  # the default store: .runconfig/runs.db here
    assert Path(run.dir) == tmp_path / ".runconfig" / "files" / run.id and Path(run.dir).is_dir()
    run.finish()
    out = tmp_path / "out"
    other = runconfig.init(project="p", dir=str(out))
    assert Path(other.dir) == out / ".runconfig" / "files" / other.id
    assert other.store == str(tmp_path / ".runconfig" / "runs.db")
    assert not (out / ".runconfig" / "runs.db").exists()
    other.finish()
    with runconfig.Api() as api:
        assert {r.id for r in api.runs()} == {run.id, other.id}


def test_runconfig_files_and_wandb_dir_say_where_run_folders_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_DIR", str(tmp_path / "wd"))
    run = runconfig.init(store=str(tmp_path / "s.db"))
    assert Path(run.dir) == tmp_path / "wd" / ".runconfig" / "files" / run.id
    run.finish()
    monkeypatch.setenv("RUNCONFIG_FILES", str(tmp_path / "files"))
    run = runconfig.init(store=str(tmp_path / "s.db"))
    assert Path(run.dir) == tmp_path / "files" / run.id


def test_config_static_is_a_read_only_snapshot(tmp_path: Path) -> None:
    run = runconfig.init(store=str(tmp_path / "s.db"), config={"lr": 0.1})
    static = run.config_static
    assert static.lr == 0.1 and static["lr"] == 0.1 and dict(static) == {"lr": 0.1}
    with pytest.raises(AttributeError, match="read-only"):
        static.lr = 0.2
    run.config.epochs = 3
    assert "epochs" not in static and run.config_static.epochs == 3


def test_alerts_are_recorded_printed_and_not_repeated_within_the_wait(
    run_store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run = runconfig.init(store=run_store)
    run.alert("diverged", "loss is nan", level=runconfig.AlertLevel.ERROR)
    run.alert("diverged", "again")  # the same title within 60 s: not repeated
    runconfig.alert("slow", "epoch took 2 h", level="WARN", wait_duration=0)
    with pytest.raises(ValueError, match="level must be"):
        run.alert("x", "y", level="LOUD")
    with pytest.raises(TypeError, match="wait_duration"):
        run.alert("x", "y", wait_duration="soon")  # type: ignore[arg-type]
    err = capsys.readouterr().err
    assert "ALERT ERROR: diverged: loss is nan" in err and "again" not in err
    alerts = read(run_store, run.id).meta["alerts"]
    assert [(a["title"], a["level"], a["text"]) for a in alerts] == [
        ("diverged", "ERROR", "loss is nan"),
        ("slow", "WARN", "epoch took 2 h"),
    ]


def test_preempting_labels_and_pinned_keys_are_recorded(run_store: str) -> None:
    run = runconfig.init(store=run_store)
    runconfig.mark_preempting()
    run._label(code="transformers_trainer")
    run.pin_config_keys(["lr"])
    meta = read(run_store, run.id).meta
    assert meta["preempting"] and meta["labels"] == {"code": "transformers_trainer"}
    assert meta["pinned_keys"] == ["lr"]


def test_log_code_copies_the_sources_into_the_run_folder(tmp_path: Path) -> None:
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "train.py").write_text("print(1)\n")
    (tmp_path / "src" / "pkg" / "model.py").write_text("x = 1\n")
    (tmp_path / "src" / "notes.txt").write_text("no\n")
    (tmp_path / "src" / ".venv").mkdir()
    (tmp_path / "src" / ".venv" / "lib.py").write_text("no\n")
    run = runconfig.init(store=str(tmp_path / "s.db"))
    run.log_code(str(tmp_path / "src"))
    code = Path(run.dir) / "code"
    assert sorted(p.relative_to(code).as_posix() for p in code.rglob("*.py")) == [
        "pkg/model.py",
        "train.py",
    ]
    run.finish()
    assert read(str(tmp_path / "s.db"), run.id).meta["code"]["files"] == [
        "pkg/model.py",
        "train.py",
    ]


def test_finish_takes_an_exit_code_and_quiet(run_store: str) -> None:
    run = runconfig.init(store=run_store)
    assert run.status().sync_items_pending == 0
    run.finish(exit_code=3, quiet=True)
    stored = read(run_store, run.id)
    assert stored.state == "failed" and stored.exit_code == 3
    with pytest.raises(UsageError, match="finished"):
        run.log({"a": 1})


def test_sweep_id_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = runconfig.init(store=str(tmp_path / "s.db"))
    assert run.sweep_id is None
    run.finish()
    # A run started by a sweep's agent (wandb's, or runconfig's) records the sweep.
    monkeypatch.setenv("WANDB_SWEEP_ID", "k3x9q2")
    run = runconfig.init(store=str(tmp_path / "s.db"))
    assert run.sweep_id == "k3x9q2"
    run.finish()
    with runconfig.Api(str(tmp_path / "s.db")) as api:
        assert [r.id for r in api.runs(where='run.sweep == "k3x9q2"')] == [run.id]


def test_a_wandb_name_runconfig_lacks_says_so() -> None:
    run = runconfig.init(mode="disabled")
    with pytest.raises(AttributeError, match=r"runconfig does not provide wandb's Run\.to_html"):
        run.to_html  # noqa: B018


# -- the module ------------------------------------------------------------------------------


def test_the_module_functions_wandb_scripts_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert runconfig.login() is True and runconfig.login(key="x", relogin=True) is True
    runconfig.setup()
    runconfig.require("service")
    with pytest.raises(runconfig.Error):
        runconfig.log({"a": 1})  # no run
    assert issubclass(runconfig.errors.UsageError, runconfig.Error)
    assert issubclass(runconfig.errors.CommError, runconfig.errors.Error)
    run = runconfig.init(store=str(tmp_path / "s.db"), settings=runconfig.Settings(silent=True))
    runconfig.join()
    assert run.state == "finished" and runconfig.run is None
    run = runconfig.init(store=str(tmp_path / "s.db"))
    runconfig.teardown()
    assert run.state == "finished"
    runconfig.termlog("hello")
    runconfig.termwarn("careful", repeat=False)
    runconfig.termwarn("careful", repeat=False)
    runconfig.termerror("bad")
    err = capsys.readouterr().err
    assert "runconfig: hello" in err and err.count("WARNING careful") == 1
    assert "ERROR bad" in err
    assert runconfig.util.make_artifact_name_safe("source-my proj/x:y.py") == (
        "source-my_proj_x_y.py"
    )
    long = runconfig.util.make_artifact_name_safe("a" * 100 + "b" * 100)
    assert long == "a" * 63 + ".." + "b" * 63


def test_silent_environment_silences_the_messages(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WANDB_SILENT", "true")
    runconfig.termlog("hello")
    runconfig.termwarn("hi")
    assert capsys.readouterr().err == ""


# -- init's keywords, settings and environment -----------------------------------------------


def test_every_wandb_init_keyword_is_accepted(tmp_path: Path) -> None:
    run = runconfig.init(
        entity="team",
        project="p",
        dir=str(tmp_path / "out"),
        id="allkw001",
        name="n",
        notes="notes",
        tags=["t"],
        config={"lr": 0.1},
        config_exclude_keys=None,
        config_include_keys=None,
        allow_val_change=True,
        group="g",
        job_type="train",
        mode="offline",
        force=True,
        reinit="finish_previous",
        resume="allow",
        resume_from=None,
        fork_from=None,
        save_code=False,
        tensorboard=False,
        sync_tensorboard=False,
        monitor_gym=True,
        settings={"console": "off"},
        anonymous="never",
        magic=True,
        store=str(tmp_path / "s.db"),
    )
    assert run.offline and run.config.lr == 0.1
    run.finish()
    stored = read(str(tmp_path / "s.db"), "allkw001")
    assert stored.meta["settings"] == {"console": "off"} and stored.meta["monitor_gym"] is True


def test_a_misspelled_keyword_is_a_type_error_with_a_suggestion() -> None:
    with pytest.raises(TypeError, match=r"'projct'.*did you mean 'project'"):
        runconfig.init(projct="p")  # type: ignore[call-arg]
    assert runconfig.run is None


def test_settings_stand_for_init_arguments(tmp_path: Path) -> None:
    settings = runconfig.Settings(run_name="from-settings", run_tags=("a",), project="sp")
    run = runconfig.init(store=str(tmp_path / "s.db"), settings=settings, notes="n")
    assert (run.name, run.tags, run.project, run.notes) == ("from-settings", ("a",), "sp", "n")
    other = runconfig.init(store=str(tmp_path / "s.db"), settings={"run_group": "g"}, name="x")
    assert other.group == "g" and other.name == "x"


WANDB_ENV = {
    "WANDB_PROJECT": "envp",
    "WANDB_ENTITY": "enve",
    "WANDB_NAME": "env-name",
    "WANDB_NOTES": "env notes",
    "WANDB_TAGS": "a,b, c",
    "WANDB_RUN_GROUP": "envg",
    "WANDB_JOB_TYPE": "envj",
}


def test_wandb_environment_variables_are_read(
    run_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k, v in WANDB_ENV.items():
        monkeypatch.setenv(k, v)
    run = runconfig.init(store=run_store)
    assert (run.project, run.entity, run.name, run.notes) == (
        "envp",
        "enve",
        "env-name",
        "env notes",
    )
    assert run.tags == ("a", "b", "c") and run.group == "envg" and run.job_type == "envj"
    run.finish()
    monkeypatch.setenv("RUNCONFIG_PROJECT", "ours")  # runconfig's own name wins
    run = runconfig.init(store=run_store)
    assert run.project == "ours"
    run.finish()
    run = runconfig.init(store=run_store, project="arg")  # an argument wins over both
    assert run.project == "arg"


def test_wandb_run_id_and_resume_continue_one_run(
    run_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_RUN_ID", "envrun01")
    monkeypatch.setenv("WANDB_RESUME", "allow")
    first = runconfig.init(store=run_store, config={"lr": 0.1})
    first.log({"loss": 1.0})
    first.finish()
    second = runconfig.init(store=run_store, config={"lr": 0.1})
    assert second.id == "envrun01" and second.resumed and second.step == 1
    second.log({"loss": 0.5})
    second.finish()
    with runconfig.Api(store=run_store) as api:
        runs = api.runs()
        assert [r.id for r in runs] == ["envrun01"]
        assert [h["loss"] for h in rows(api.run("envrun01"))] == [1.0, 0.5]


def test_resume_never_and_must_are_refused_clearly(run_store: str) -> None:
    with pytest.raises(UsageError, match="resume='must'"):
        runconfig.init(store=run_store, id="nope0001", resume="must")
    runconfig.init(store=run_store, id="seen0001").finish()
    with pytest.raises(UsageError, match="resume='never'"):
        runconfig.init(store=run_store, id="seen0001", resume="never")
    with pytest.raises(UsageError, match="resume is one of"):
        runconfig.init(store=run_store, id="seen0001", resume="sometimes")


@pytest.mark.parametrize("mode", ["offline", "online", "dryrun", "run", "shared"])
def test_every_recording_mode_records_locally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("WANDB_MODE", mode)
    run = runconfig.init(store=str(tmp_path / "s.db"), config={"a": 1})
    run.finish()
    assert read(str(tmp_path / "s.db"), run.id).config == {"a": 1}


def test_disabled_mode_records_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_MODE", "disabled")
    run = runconfig.init(config={"a": 1})
    run.log({"x": 1})
    assert run.disabled and run.config.a == 1 and run.summary["x"] == 1
    run.finish()
    assert not (tmp_path / ".runconfig").exists()
    with pytest.raises(UsageError, match="the modes are"):
        runconfig.init(mode="sometimes")


def test_wandb_config_paths_load_above_the_init_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "one.yaml").write_text("b: 20\nc: 30\n")
    (tmp_path / "two.yaml").write_text("c: 300\n")
    monkeypatch.setenv("WANDB_CONFIG_PATHS", f"{tmp_path / 'one.yaml'},{tmp_path / 'two.yaml'}")
    run = runconfig.init(store=str(tmp_path / "s.db"), config={"a": 1, "b": 2})
    assert run.config.as_dict() == {"a": 1, "b": 20, "c": 300}
    assert run.config.origin("c") == "two.yaml:1"


# -- config-defaults.yaml -------------------------------------------------------------------


def test_defaults_beside_the_script_and_in_the_working_directory_both_load(
    tmp_path: Path,
) -> None:
    script_dir = tmp_path / "code"
    work = tmp_path / "work"
    script_dir.mkdir()
    work.mkdir()
    (script_dir / "config-defaults.yaml").write_text("lr: {value: 0.1}\nbatch: {value: 32}\n")
    (work / "config-defaults.yaml").write_text("lr: {value: 0.5}\nepochs: {value: 3}\n")
    (script_dir / "train.py").write_text(
        textwrap.dedent(
            """
            import json, runconfig
            run = runconfig.init(store="runs.db")
            print(json.dumps([run.config.as_dict(), run.config.origins()]))
            runconfig.finish()
            """
        )
    )
    env = {k: v for k, v in child_env().items() if not k.startswith(("RUNCONFIG_", "WANDB_"))}
    done = subprocess.run(
        [sys.executable, str(script_dir / "train.py")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    import json

    values, origins = json.loads(done.stdout.strip().splitlines()[-1])
    assert values == {"lr": 0.5, "epochs": 3, "batch": 32}  # the working directory's wins
    assert (origins["lr"], origins["epochs"]) == (
        "config-defaults.yaml:1",
        "config-defaults.yaml:2",
    )


# -- sync_tensorboard ---------------------------------------------------------------------------


def test_init_sync_tensorboard_logs_the_writers_scalars(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard", reason="the TensorBoard sync needs the tensorboard package")
    pytest.importorskip("torch", reason="the test writes events with torch's SummaryWriter")
    from torch.utils.tensorboard import SummaryWriter

    store = str(tmp_path / "s.db")
    run = runconfig.init(store=store, sync_tensorboard=True)
    writer = SummaryWriter(str(tmp_path / "tb"))
    for step in range(3):
        writer.add_scalar("loss", 1.0 / (step + 1), step)
    run.log({"mine": 1}, step=50)  # ignored step while syncing: its own row
    run.finish()  # flushes the writer and logs what is left
    history = rows(read(store, run.id))
    scalars = [(r["global_step"], r["loss"]) for r in history if "loss" in r]
    assert scalars == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]
    assert any(r.get("mine") == 1 for r in history)
    assert all(r["_step"] < 50 for r in history)


def test_a_wandb_module_name_runconfig_lacks_says_so_in_one_line() -> None:
    with pytest.raises(AttributeError) as info:
        runconfig.controller  # noqa: B018 (wandb's sweep controller)
    assert str(info.value) == "runconfig does not provide wandb.controller; see docs/wandb.md"
    with pytest.raises(AttributeError, match="has no attribute 'nonsense'"):
        runconfig.nonsense  # noqa: B018


# -- reading the history back -----------------------------------------------------------------


def test_history_called_gives_wandbs_frame_with_media_as_objects(tmp_path: Path) -> None:
    pytest.importorskip("pandas", reason="run.history() makes a pandas DataFrame")
    store = str(tmp_path / "s.db")
    run = runconfig.init(store=store)
    table = runconfig.Table(columns=["id", "label"], data=[[1, "cat"], [2, "dog"]])
    run.log({"val": {"acc": 0.5}, "preds": table})
    run.log({"val": {"acc": 0.7}, "hist": runconfig.Histogram([1, 2, 2, 3])})
    run.summary["best"] = runconfig.Table(columns=["a"], data=[[1]])  # media by hand too
    run.finish()
    record = read(store, run.id)
    assert record.history is not None and record.history[0]["preds"]["_type"] == "table-file"
    frame = record.history()
    assert list(frame["val.acc"]) == [0.5, 0.7] and list(frame["_step"]) == [0, 1]
    assert frame["preds"][0].to_pandas().to_dict("list") == {"id": [1, 2], "label": ["cat", "dog"]}
    rows = record.history(pandas=False, keys=["hist"])
    assert [r["_step"] for r in rows] == [1] and sum(rows[0]["hist"].histogram) == 4
    assert [r["val.acc"] for r in record.scan_history(keys=["val.acc"], min_step=1)] == [0.7]
    assert record.summary["best"]["_type"] == "table-file"


# -- what the review found -------------------------------------------------------------------


def test_a_resume_with_a_changed_value_takes_it_as_wandb_does(run_store: str) -> None:
    runconfig.init(store=run_store, id="chg00001", config={"lr": 0.1, "epochs": 3}).finish()
    again = runconfig.init(store=run_store, id="chg00001", resume="allow", config={"epochs": 5})
    assert again.config.epochs == 5 and again.config.lr == 0.1
    again.finish()
    assert read(run_store, "chg00001").config == {"lr": 0.1, "epochs": 5}


def test_a_failed_resume_leaves_the_stored_run_and_the_config_as_they_were(
    run_store: str, tmp_path: Path
) -> None:
    runconfig.init(store=run_store, id="fail0001", config={"lr": 0.1}).finish()
    with pytest.raises(runconfig.Error):
        runconfig.init(
            store=run_store, id="fail0001", resume="allow", config=str(tmp_path / "missing.yaml")
        )
    stored = read(run_store, "fail0001")
    assert stored.state == "finished" and stored.finished_at is not None
    runconfig.config.x = 1  # the pending config works, tied to no closed store
    assert runconfig.config.x == 1


def test_a_resumed_run_keeps_counting_its_statistics(run_store: str) -> None:
    run = runconfig.init(store=run_store, id="stat0001")
    run.define_metric("loss", summary="min,mean")
    run.log({"loss": 1.0})
    run.log({"loss": 2.0})
    run.finish()
    again = runconfig.init(store=run_store, id="stat0001", resume="allow")
    again.log({"loss": 6.0})
    assert again.summary["loss"] == {"min": 1.0, "mean": 3.0}


def test_big_arrays_log_as_histograms_and_frames_as_tables(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy", reason="numpy arrays")
    pd = pytest.importorskip("pandas", reason="pandas frames")
    store = str(tmp_path / "s.db")
    run = runconfig.init(store=store)
    run.log({"w": np.arange(200_000.0), "small": np.arange(4), "df": pd.DataFrame({"a": [1]})})
    run.finish()
    row = rows(read(store, run.id))[0]
    assert row["w"]["_type"] == "histogram" and len(row["w"]["values"]) == 32
    assert sum(row["w"]["values"]) == 200_000
    assert row["small"] == [0, 1, 2, 3]  # 32 numbers or fewer stay a list, as in wandb
    assert row["df"]["_type"] == "table-file"


def test_ctrl_c_in_a_with_block_fails_the_run(run_store: str) -> None:
    with pytest.raises(KeyboardInterrupt), runconfig.init(store=run_store, id="ctrlc001"):
        raise KeyboardInterrupt
    stored = read(run_store, "ctrlc001")
    assert stored.state == "failed" and stored.error_type == "KeyboardInterrupt"


def test_config_static_neither_writes_through_nor_follows_changes(tmp_path: Path) -> None:
    run = runconfig.init(store=str(tmp_path / "s.db"), config={"opt": {"lr": 1}, "l": [1]})
    static = run.config_static
    with pytest.raises(AttributeError, match="read-only"):
        static.opt["lr"] = 5
    run.config.update({"opt": {"lr": 7}}, allow_val_change=True)
    assert static.opt.lr == 1 and static.l == (1,) and run.config_static.opt.lr == 7


def test_a_disabled_run_leaves_no_file_and_no_thread(tmp_path: Path) -> None:
    import threading

    np = pytest.importorskip("numpy", reason="an image from an array")
    pytest.importorskip("PIL", reason="images need Pillow")
    (tmp_path / "live.txt").write_text("x")
    run = runconfig.init(mode="disabled")
    run.save("live.txt")
    run.log({"img": runconfig.Image(np.zeros((4, 4, 3), dtype=np.uint8))})
    folder = Path(run.dir)
    run.finish()
    assert not folder.exists() and not folder.parent.exists()
    assert not any(t.name == "runconfig-save" and t.is_alive() for t in threading.enumerate())
    assert not (tmp_path / ".runconfig").exists()


def test_artifacts_of_a_finished_run_are_still_listed(tmp_path: Path) -> None:
    (tmp_path / "m.pt").write_text("w")
    run = runconfig.init(store=str(tmp_path / "s.db"))
    run.log_artifact(str(tmp_path / "m.pt"))
    run.finish()
    assert [a.name for a in run.logged_artifacts()] == [f"run-{run.id}-m.pt:v0"]
    with pytest.raises(UsageError, match="finished"):
        run.name = "late"
