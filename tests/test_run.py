"""Runs: init, finish, the sources of a run's config, and what a run records.

Every test runs against both engines through the ``store_url`` fixture (a fresh SQLite
file, or a fresh schema on the PostgreSQL server).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import runconfig
from runconfig.errors import ConfigError, LockedKeyWarning, StoreError, UsageError
from runconfig.store._pool import close_idle

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _pg_available() -> bool:
    try:
        import psycopg

        psycopg.connect(PG_URL, connect_timeout=3).close()
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store of each engine (PostgreSQL: a schema of its own, dropped after)."""
    if request.param == "sqlite":
        yield str(tmp_path / "runs.db")
        return
    if not _pg_available():
        if os.environ.get("RUNCONFIG_REQUIRE_PG"):
            pytest.fail("RUNCONFIG_REQUIRE_PG is set but PostgreSQL does not answer")
        pytest.skip("no PostgreSQL server answers at 127.0.0.1:5432")
    import psycopg

    schema = f"rc_run_{uuid.uuid4().hex[:12]}"
    yield f"{PG_URL}?schema={schema}"
    close_idle(f"{PG_URL}?schema={schema}")  # the connections kept for a next run
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(autouse=True)
def _no_run_left_behind(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Each test starts without a run and with no sweep or store in the environment."""
    for var in (
        "RUNCONFIG_STORE",
        "RUNCONFIG_MODE",
        "RUNCONFIG_SWEEP_PARAMS",
        "WANDB_MODE",
        "WANDB_SWEEP_PARAM_PATH",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    yield
    from runconfig._run import _state

    for run in list(_state.runs):
        run.finish()
    _state.config = runconfig.Config()


def read(store_url: str, run_id: str) -> runconfig.RunRecord:
    with runconfig.Api(store=store_url) as api:
        return api.run(run_id)


def child(
    tmp_path: Path, store_url: str, code: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter in ``tmp_path`` with the store set."""
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(code))
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNCONFIG_", "WANDB_"))}
    full_env.update(env, RUNCONFIG_STORE=store_url)
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


# -- init and the global objects ------------------------------------------------------


def test_init_makes_the_run_and_its_config_global(store_url: str) -> None:
    run = runconfig.init(project="p", config={"lr": 0.1}, store=store_url)
    assert runconfig.run is run
    assert runconfig.config is run.config
    assert runconfig.config.lr == 0.1
    runconfig.finish()
    assert runconfig.run is None
    assert run.config.lr == 0.1  # still readable after finish


def test_values_set_before_init_are_carried_into_the_run(store_url: str) -> None:
    line = sys._getframe().f_lineno + 1
    runconfig.config.epochs = 4
    runconfig.config["train"]["batch_size"] = 32
    run = runconfig.init(store=store_url)
    run.finish()
    stored = read(store_url, run.id)
    assert stored.config == {"epochs": 4, "train": {"batch_size": 32}}
    assert stored.origins["epochs"] == f"test_run.py:{line}"


def test_every_write_is_stored_before_it_returns(store_url: str) -> None:
    run = runconfig.init(store=store_url, config={"lr": 0.1})
    run.config.epochs = 3
    run.config["train"]["warmup"] = 100
    run.config.update({"train": {"steps": 10}, "optimizer": "adam"})
    run.config.layers = [64, 64]
    run.config.update({"lr": 0.2}, allow_val_change=True)
    stored = read(store_url, run.id)  # read while the run is still going
    assert stored.state == "running"
    assert stored.config == {
        "lr": 0.2,
        "epochs": 3,
        "train": {"warmup": 100, "steps": 10},
        "optimizer": "adam",
        "layers": [64, 64],
    }
    run.finish()


def test_an_update_of_many_new_keys_is_stored_with_its_line_as_origin(store_url: str) -> None:
    # The usual update() (new top-level keys, plain values) goes to the store without a
    # Change per key: the same rows, origins included, as any other write.
    run = runconfig.init(store=store_url, config={"lr": 0.1})
    params = {f"p{i}": [i, i / 8, f"v{i}", i % 2 == 0, None][i % 5] for i in range(250)}
    run.config.update(params)
    line = f"test_run.py:{sys._getframe().f_lineno - 1}"
    run.config.update({"p0": 1, "more": 2}, allow_val_change=True)  # a known key among them
    stored = read(store_url, run.id)
    assert stored.config == {"lr": 0.1, **params, "p0": 1, "more": 2}
    assert list(stored.config)[:3] == ["lr", "p0", "p1"]
    assert stored.origins["p1"] == stored.origins["p249"] == line
    run.finish()
    with pytest.raises(UsageError, match="finished"):
        run.config.update({"late1": 1, "late2": 2})
    assert "late1" not in run.config


def test_an_update_the_store_refuses_leaves_the_config_as_it_was(store_url: str) -> None:
    run = runconfig.init(store=store_url, config={"lr": 0.1})
    with runconfig.Api(store=store_url) as api:
        api.delete([api.run(run.id)])  # the run is gone from the store under the writer
    with pytest.raises(StoreError, match="no run"):
        run.config.update({"a": 1, "b": 2})
    with pytest.raises(StoreError, match="no run"):
        run.config.update({"c": {"d": 1}, "e": 2})
    assert dict(run.config) == {"lr": 0.1}
    with pytest.raises(StoreError, match="no run"):
        run.finish()


def test_config_types_come_back_exactly(store_url: str) -> None:
    values = {
        "f": 2.0,
        "i": 2**70,
        "b": True,
        "n": None,
        "nan": float("nan"),
        "inf": float("-inf"),
        "s": "",
        "empty": {},
        "nested": {"a.b": 1, "a": {"b": 2}, "list": [1, 2.5, "x", None, [True]]},
        "ünï": "çødé",
    }
    run = runconfig.init(store=store_url, config=values)
    run.finish()
    got = read(store_url, run.id).config
    assert json.dumps(got, sort_keys=True) == json.dumps(
        {**values, "nan": float("nan")}, sort_keys=True
    )
    assert type(got["f"]) is float and type(got["i"]) is int and got["b"] is True


def test_a_second_init_finishes_the_first_run(store_url: str) -> None:
    first = runconfig.init(store=store_url, config={"a": 1})
    second = runconfig.init(store=store_url, config={"a": 2})
    assert first.state == "finished"
    assert runconfig.run is second and runconfig.config.a == 2
    assert read(store_url, first.id).state == "finished"
    second.finish()


def test_reinit_return_previous_gives_back_the_active_run(store_url: str) -> None:
    first = runconfig.init(store=store_url)
    assert runconfig.init(store=store_url, reinit="return_previous") is first
    first.finish()


def test_wandb_only_arguments_are_accepted(store_url: str) -> None:
    run = runconfig.init(
        store=store_url, entity="team", settings=None, sync_tensorboard=False, save_code=True
    )
    assert run.state == "running"
    run.finish()


def test_disabled_mode_stores_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = runconfig.init(mode="disabled", config={"lr": 0.1})
    run.config.epochs = 2
    run.log({"loss": 1.0})
    assert run.config.as_dict() == {"lr": 0.1, "epochs": 2}
    assert run.summary["loss"] == 1.0
    run.finish()
    assert not (tmp_path / ".runconfig").exists()


def test_disabled_mode_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RUNCONFIG_MODE", "disabled")
    runconfig.init(config={"lr": 0.1}).finish()
    assert not (tmp_path / ".runconfig").exists()


def test_default_store_is_created_in_the_working_directory_and_found_from_below(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RUNCONFIG_STORE", raising=False)
    monkeypatch.chdir(tmp_path)
    run = runconfig.init(config={"x": 1})
    run.finish()
    assert (tmp_path / ".runconfig" / "runs.db").is_file()
    below = tmp_path / "a" / "b"
    below.mkdir(parents=True)
    monkeypatch.chdir(below)
    assert [r.id for r in runconfig.Api().runs()] == [run.id]


# -- sources and precedence -------------------------------------------------------------


def test_sources_apply_lowest_to_highest_and_merge_deeply(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config-defaults.yaml").write_text(
        "lr: 0.1\nopt:\n  name: sgd\n  beta: 0.5\n  eps: 1.0e-8\nepochs: 1\n"
    )
    monkeypatch.setenv("RUNCONFIG_SWEEP_PARAMS", json.dumps({"opt": {"beta": 0.9}}))
    line = sys._getframe().f_lineno + 1
    runconfig.config.epochs = 5
    run = runconfig.init(store=store_url, config={"lr": 0.01, "opt": {"name": "adam"}})
    assert run.config.as_dict() == {
        "lr": 0.01,
        "opt": {"name": "adam", "beta": 0.9, "eps": 1e-8},
        "epochs": 5,
    }
    assert run.config.origin("lr") == "init"
    assert run.config.origin("opt.eps") == "config-defaults.yaml:5"
    assert run.config.origin("opt.beta") == "sweep"
    assert run.config.origin("epochs") == f"test_run.py:{line}"
    run.finish()
    assert read(store_url, run.id).origins["opt.beta"] == "sweep"


def test_sweep_values_are_locked_against_user_writes(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNCONFIG_SWEEP_PARAMS", '{"lr": 0.05}')
    run = runconfig.init(store=store_url, config={"lr": 0.1, "bs": 8})
    assert run.config.lr == 0.05
    with pytest.warns(LockedKeyWarning, match="'lr' was locked by 'sweep'"):
        run.config.update({"lr": 0.3, "bs": 16}, allow_val_change=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run.config["--lr"] = 0.4  # warned once per key, not per write
    run.finish()
    assert read(store_url, run.id).config == {"lr": 0.05, "bs": 16}


def test_init_allow_val_change_makes_changes_the_default(store_url: str) -> None:
    run = runconfig.init(store=store_url, config={"lr": 0.1}, allow_val_change=True)
    run.config.lr = 0.2
    run.config.update({"lr": 0.3})
    run.finish()
    assert read(store_url, run.id).config == {"lr": 0.3}


def test_a_refused_change_leaves_config_and_store_unchanged(store_url: str) -> None:
    run = runconfig.init(store=store_url, config={"lr": 0.1, "bs": 8})
    with pytest.raises(ConfigError, match="lr"):
        run.config.update({"new": 16, "lr": 0.2})
    assert run.config.as_dict() == {"lr": 0.1, "bs": 8}
    run.finish()
    assert read(store_url, run.id).config == {"lr": 0.1, "bs": 8}


def test_config_include_and_exclude_keys_filter_the_init_config(store_url: str) -> None:
    run = runconfig.init(store=store_url, config={"a": 1, "b": 2}, config_exclude_keys=["b"])
    assert run.config.as_dict() == {"a": 1}
    run.finish()
    with pytest.raises(UsageError):
        runconfig.init(
            store=store_url, config={"a": 1}, config_include_keys=["a"], config_exclude_keys=["b"]
        )


# -- lifecycle ------------------------------------------------------------------------------


def test_writes_after_finish_raise_and_change_nothing(store_url: str) -> None:
    run = runconfig.init(store=store_url, config={"lr": 0.1})
    run.finish()
    with pytest.raises(UsageError, match="finished"):
        run.config.epochs = 3
    assert "epochs" not in run.config
    with pytest.raises(UsageError):
        run.log({"loss": 1.0})


def test_context_manager_finishes_and_records_failure(store_url: str) -> None:
    with runconfig.init(store=store_url) as ok:
        ok.config.a = 1
    assert read(store_url, ok.id).state == "finished"
    with pytest.raises(ZeroDivisionError), runconfig.init(store=store_url) as bad:
        1 / 0  # noqa: B018
    stored = read(store_url, bad.id)
    assert stored.state == "failed"
    assert stored.error_type == "ZeroDivisionError"
    assert stored.error_message == "division by zero"
    assert stored.exit_code == 1


def test_a_run_is_finished_at_interpreter_exit(store_url: str, tmp_path: Path) -> None:
    proc = child(
        tmp_path,
        store_url,
        """
        import runconfig
        run = runconfig.init(config={"a": 1})
        print(run.id)
        """,
    )
    assert proc.returncode == 0, proc.stderr
    stored = read(store_url, proc.stdout.strip())
    assert stored.state == "finished" and stored.exit_code == 0


def test_an_uncaught_exception_marks_the_run_failed(store_url: str, tmp_path: Path) -> None:
    proc = child(
        tmp_path,
        store_url,
        """
        import runconfig
        run = runconfig.init(config={"a": 1})
        print(run.id, flush=True)
        raise ValueError("bad batch")
        """,
    )
    assert proc.returncode == 1
    stored = read(store_url, proc.stdout.strip())
    assert (stored.state, stored.error_type, stored.error_message) == (
        "failed",
        "ValueError",
        "bad batch",
    )


@pytest.mark.parametrize(
    ("call", "state", "code"),
    [
        ("sys.exit(3)", "failed", 3),
        ("sys.exit(main())", "failed", 2),
        ('sys.exit("cannot train")', "failed", 1),
        ("sys.exit(0)", "finished", 0),
        ("sys.exit()", "finished", 0),
        ("pass", "finished", 0),
    ],
)
def test_sys_exit_records_the_exit_code(
    store_url: str, tmp_path: Path, call: str, state: str, code: int
) -> None:
    proc = child(
        tmp_path,
        store_url,
        f"""
        import sys, threading
        import runconfig
        run = runconfig.init(config={{"a": 1}})
        print(run.id, flush=True)
        def main():
            return 2
        t = threading.Thread(target=sys.exit, args=(5,))  # ends a thread, not the run
        t.start(); t.join()
        {call}
        """,
    )
    assert proc.returncode == code, proc.stderr
    stored = read(store_url, proc.stdout.strip())
    assert (stored.state, stored.exit_code) == (state, code)


def test_values_survive_sigkill_and_the_run_reads_as_crashed(
    store_url: str, tmp_path: Path
) -> None:
    proc = child(
        tmp_path,
        store_url,
        """
        import os, signal
        import runconfig
        run = runconfig.init(config={"lr": 0.1})
        print(run.id, flush=True)
        for i in range(50):
            run.config[f"k{i}"] = i
        run.config.update({"nested": {"a": [1, 2]}, "last": True})
        run.log({"loss": 0.5})
        os.kill(os.getpid(), signal.SIGKILL)
        """,
    )
    assert proc.returncode == -9
    stored = read(store_url, proc.stdout.strip())
    assert stored.state == "crashed"
    assert stored.config == {
        "lr": 0.1,
        **{f"k{i}": i for i in range(50)},
        "nested": {"a": [1, 2]},
        "last": True,
    }
    assert stored.summary == {"loss": 0.5}


# -- summary, history, resume ---------------------------------------------------------------


def test_log_appends_history_and_summary_keeps_the_last_value(store_url: str) -> None:
    run = runconfig.init(store=store_url)
    run.log({"loss": 1.0, "acc": 0.5})
    run.summary["best_acc"] = 0.5
    run.log({"loss": 0.5, "acc": 0.7})
    run.summary["acc"] = 0.99  # set by hand; a later log sets it again, as in wandb 0.31
    runconfig.log({"loss": 0.25, "acc": 0.6})
    run.finish()
    stored = read(store_url, run.id)
    assert stored.summary == {"loss": 0.25, "acc": 0.6, "best_acc": 0.5}
    assert stored.history is not None
    assert [h["loss"] for h in stored.history] == [1.0, 0.5, 0.25]


def test_resume_brings_the_config_back_and_resending_it_is_not_a_change(
    store_url: str,
) -> None:
    config = {"lr": 0.1, "opt": {"beta": 0.9}, "f": 1e-7}
    first = runconfig.init(store=store_url, config=config, id="resume01")
    first.log({"loss": 1.0})
    first.finish()
    again = runconfig.init(store=store_url, id="resume01", resume="allow", config=config)
    assert again.id == "resume01" and again.name == first.name
    assert again.config.as_dict() == config
    again.config.update(config)  # the same values: not a change
    with pytest.raises(ConfigError):
        again.config.lr = 0.5
    again.config.epochs = 2
    again.finish()
    stored = read(store_url, "resume01")
    assert stored.config == {**config, "epochs": 2}
    assert stored.state == "finished"


def test_resume_must_fails_for_an_unknown_id(store_url: str) -> None:
    with pytest.raises(UsageError, match="nope"):
        runconfig.init(store=store_url, id="nope", resume="must")


# -- what a run records ----------------------------------------------------------------------


def test_a_run_records_its_metadata(store_url: str, tmp_path: Path) -> None:
    run = runconfig.init(
        project="proj",
        name="first",
        store=store_url,
        tags=["a", "b"],
        notes="n",
        group="g",
        job_type="train",
    )
    run.finish()
    r = read(store_url, run.id)
    assert (r.name, r.project, r.tags, r.notes, r.group, r.job_type) == (
        "first",
        "proj",
        ["a", "b"],
        "n",
        "g",
        "train",
    )
    assert r.pid == os.getpid() and r.host and r.python == ".".join(map(str, sys.version_info[:3]))
    assert r.cwd == os.getcwd()
    assert r.argv == sys.argv
    assert r.created_at <= r.finished_at  # type: ignore[operator]
    assert len(run.id) == 8 and run.id.isalnum()


def test_names_are_unique_within_a_project(store_url: str) -> None:
    a = runconfig.init(project="p", name="same", store=store_url)
    b = runconfig.init(project="p", name="same", store=store_url)
    c = runconfig.init(project="q", name="same", store=store_url)
    runconfig.finish()
    assert a.name == "same" and b.name != "same" and c.name == "same"


def dirty_repository(folder: Path) -> Callable[..., str]:
    """A git repository in ``folder`` with one commit and a change since; its ``git``."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=folder, check=True, capture_output=True, text=True
        ).stdout.strip()

    git("init", "-q")
    (folder / "train.py").write_text("print(1)\n")
    git("add", "train.py")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    (folder / "train.py").write_text("print(2)\n")
    return git


def test_git_commit_and_dirty_tree_are_recorded(store_url: str, tmp_path: Path) -> None:
    git = dirty_repository(tmp_path)
    proc = child(tmp_path, store_url, "import runconfig\nprint(runconfig.init().id)\n")
    assert proc.returncode == 0, proc.stderr
    r = read(store_url, proc.stdout.strip())
    assert r.git_commit == git("rev-parse", "HEAD")
    assert r.git_dirty is True


def test_runs_in_a_loop_share_one_connection_and_every_value_is_kept(store_url: str) -> None:
    # A sweep's agent or a notebook runs many runs in one process: each finish() keeps the
    # store open for the next init() to the same place, and nothing is less durable.
    ids, stores = [], []
    for i in range(5):
        run = runconfig.init(project="loop", config={"i": i, "lr": 0.1 * i}, store=store_url)
        stores.append(run._store)
        run.config.extra = f"set {i}"
        with runconfig.Api(store=store_url) as api:  # committed before the setter returned
            assert api.run(run.id).config["extra"] == f"set {i}"
        run.log({"loss": 1.0 / (i + 1)})
        run.finish()
        ids.append(run.id)
    connections = {id(getattr(s, "_inner", s)._conn) for s in stores}
    assert len(connections) == 1
    with runconfig.Api(store=store_url) as api:
        for i, run_id in enumerate(ids):
            r = api.run(run_id)
            assert r.state == "finished"
            assert r.config == {"i": i, "lr": 0.1 * i, "extra": f"set {i}"}
            assert r.summary["loss"] == 1.0 / (i + 1)


def test_a_store_file_deleted_between_two_runs_of_a_process_is_made_anew(tmp_path: Path) -> None:
    # The first run's connection is kept for the next run: it must not write on into the
    # deleted file, where nobody would ever read it.
    path = tmp_path / "runs.db"
    first = runconfig.init(project="p", config={"n": 1}, store=str(path))
    first.finish()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    second = runconfig.init(project="p", config={"n": 2}, store=str(path))
    second.config.later = True
    second.finish()
    with runconfig.Api(store=str(path)) as api:
        assert [(r.id, r.config) for r in api.runs()] == [(second.id, {"n": 2, "later": True})]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_never_uses_its_parents_kept_connection(tmp_path: Path) -> None:
    # A DataLoader worker or a multiprocessing child made by fork inherits the parent's
    # kept store; an SQLite connection must never be used across a fork.
    path = str(tmp_path / "runs.db")
    first = runconfig.init(project="p", config={"who": "parent 1"}, store=path)
    kept = first._store
    first.finish()  # kept open for the parent's next run
    pid = os.fork()
    if pid == 0:  # the child: a run of its own, then out without the parent's atexit
        code = 1
        try:
            run = runconfig.init(project="p", config={"who": "child"}, store=path)
            code = 0 if run._store is not kept else 2
            run.finish()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    runconfig.init(project="p", config={"who": "parent 2"}, store=path).finish()
    with runconfig.Api(store=path) as api:
        assert sorted(r.config["who"] for r in api.runs()) == ["child", "parent 1", "parent 2"]


def test_a_relative_store_path_names_the_file_in_the_folder_of_each_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        monkeypatch.chdir(tmp_path / folder)
        run = runconfig.init(project="p", config={"folder": folder}, store="runs.db")
        run.finish()
    for folder in ("a", "b"):
        with runconfig.Api(store=str(tmp_path / folder / "runs.db")) as api:
            assert [r.config["folder"] for r in api.runs()] == [folder]


def test_a_run_soon_after_another_in_the_same_tree_takes_its_git_state(
    store_url: str, tmp_path: Path
) -> None:
    git = dirty_repository(tmp_path)
    code = """
        import runconfig
        for _ in range(3):
            print(runconfig.init().id)
            runconfig.finish()
    """
    proc = child(tmp_path, store_url, code)
    assert proc.returncode == 0, proc.stderr
    runs = [read(store_url, run_id) for run_id in proc.stdout.split()]
    assert [(r.git_commit, r.git_dirty) for r in runs] == [(git("rev-parse", "HEAD"), True)] * 3


def test_outside_a_git_repository_nothing_fails(store_url: str, tmp_path: Path) -> None:
    proc = child(tmp_path, store_url, "import runconfig\nprint(runconfig.init().id)\n")
    assert proc.returncode == 0, proc.stderr
    r = read(store_url, proc.stdout.strip())
    assert r.git_commit is None and r.git_dirty is None


# -- bad stores ------------------------------------------------------------------------------


def test_a_foreign_file_as_store_is_a_clear_error_at_init(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("not a database\n" * 100)
    with pytest.raises(StoreError, match=r"notes\.txt"):
        runconfig.init(store=str(bad))
    assert runconfig.run is None


def test_an_unreachable_postgresql_is_a_clear_error_at_init() -> None:
    with pytest.raises(StoreError, match=r"127\.0\.0\.1:1\b"):
        runconfig.init(store="postgresql://postgres@127.0.0.1:1/test")


def test_a_read_only_directory_is_a_clear_error_at_init(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can write into read-only directories")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(StoreError, match="ro"):
        runconfig.init(dir=str(ro))


def test_run_repr_names_the_run(store_url: str) -> None:
    run = runconfig.init(store=store_url, name="visible")
    assert "visible" in repr(run)
    run.finish()


def test_a_log_the_store_refuses_leaves_the_summary_as_it_was(store_url: str) -> None:
    run = runconfig.init(store=store_url)
    run.log({"loss": 1.0})
    assert run._data.rid is not None
    with runconfig.Api(store=store_url) as api:
        api.delete([api.run(run.id)])  # the run is gone from the store under the writer
    with pytest.raises(StoreError, match="no run"):
        run.log({"loss": 0.5})
    assert run.summary["loss"] == 1.0
    with pytest.raises(StoreError, match="no run"):
        run.finish()  # says so, and still lets go of the store
    assert runconfig.run is None


def test_a_wandb_sweep_parameter_file_is_merged_and_locked(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep = tmp_path / "config-abc.yaml"
    sweep.write_text("wandb_version: 1\n\nlr:\n  desc: null\n  value: 0.003\n")
    monkeypatch.setenv("WANDB_SWEEP_PARAM_PATH", str(sweep))
    run = runconfig.init(store=store_url, config={"lr": 0.1, "bs": 8})
    assert run.config.as_dict() == {"lr": 0.003, "bs": 8}
    assert run.config.origin("lr") == "sweep"
    with pytest.warns(LockedKeyWarning):
        run.config.update({"lr": 0.5}, allow_val_change=True)
    assert run.config.lr == 0.003
    run.finish()
