"""Sweeps end to end, on both engines: sweep files stored, trials claimed by agents (in this
process, as processes, racing, killed), values reaching the script, runs recorded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import child_env, finish_all_runs

import runconfig
from runconfig.errors import LockedKeyWarning, SweepError
from runconfig.store import open_store

GRID = {
    "method": "grid",
    "metric": {"name": "loss", "goal": "minimize"},
    "parameters": {
        "lr": {"values": [0.1, 0.01, 0.001]},
        "opt": {"parameters": {"name": {"values": ["adam", "sgd"]}, "beta": {"value": 0.9}}},
    },
}


@pytest.fixture(autouse=True)
def _clean(no_run: None) -> Iterator[None]:
    yield
    finish_all_runs()


def _trials(location: str, sweep_id: str) -> list[Any]:
    st = open_store(location)
    try:
        return st.sweeps.trials(sweep_id)
    finally:
        st.close()


def _runs(location: str, sweep_id: str) -> list[runconfig.RunRecord]:
    with runconfig.Api(location) as api:
        return list(api.runs(where=f'run.sweep == "{sweep_id}"'))


# -- function agents ------------------------------------------------------------------------
def test_a_grid_runs_every_point_once_with_its_values_locked_and_its_runs_in_the_sweep(
    store_location: str,
) -> None:
    sweep_id = runconfig.sweep(GRID, project="sw", store=store_location)
    seen: list[dict[str, Any]] = []

    def train() -> None:
        run = runconfig.init(project="elsewhere", config={"lr": 5.0, "epochs": 2})
        seen.append(run.config.as_dict())
        run.config.update({"lr": run.config.lr})  # the same value again: silent
        run.log({"loss": run.config.lr * (2 if run.config.opt.name == "sgd" else 1)})
        run.finish()

    with warnings.catch_warnings():
        warnings.simplefilter("error", LockedKeyWarning)
        ran = runconfig.agent(sweep_id, function=train, store=store_location)
    assert ran == 6
    # Every point once, in wandb's order: sorted names, the last one fastest.
    points = [(c["lr"], c["opt"]["name"]) for c in seen]
    assert points == [
        (0.1, "adam"), (0.1, "sgd"), (0.01, "adam"), (0.01, "sgd"), (0.001, "adam"),
        (0.001, "sgd"),
    ]  # fmt: skip
    assert all(c["epochs"] == 2 and c["opt"]["beta"] == 0.9 for c in seen)
    runs = _runs(store_location, sweep_id)
    assert len(runs) == 6 and {r.project for r in runs} == {"sw"}
    assert all(r.state == "finished" and r.sweep == sweep_id for r in runs)
    assert all(r.origins["lr"] == "sweep" for r in runs)
    assert [t.state for t in _trials(store_location, sweep_id)] == ["finished"] * 6
    status = runconfig.sweeps.status(sweep_id, store=store_location)
    assert status.sweep.state == "finished"
    assert status.best is not None and status.best.config["lr"] == 0.001
    assert status.best.config["opt"]["name"] == "adam"
    # A second agent finds nothing left; a plain init() afterwards is no part of it.
    assert runconfig.agent(sweep_id, function=train, store=store_location) == 0
    plain = runconfig.init(project="p", config={"lr": 3.0}, store=store_location)
    assert plain.sweep_id is None and plain.config.lr == 3.0
    plain.config.update({"lr": 4.0}, allow_val_change=True)  # not locked
    assert plain.config.lr == 4.0 and plain.config.locked_keys() == {}
    plain.finish()


def test_a_shuffled_grid_runs_every_point_once_in_its_seed_s_order(store_location: str) -> None:
    spec = {
        "method": "grid",
        "runconfig": {"order": "shuffled", "seed": 7},
        "parameters": {"a": {"values": [1, 2, 3, 4]}, "b": {"values": ["x", "y", "z"]}},
    }
    orders = []
    for _ in range(2):
        sweep_id = runconfig.sweep(spec, store=store_location)
        seen: list[tuple[int, str]] = []

        def train(seen: list[tuple[int, str]] = seen) -> None:
            run = runconfig.init()
            seen.append((run.config.a, run.config.b))

        assert runconfig.agent(sweep_id, function=train, store=store_location) == 12
        orders.append(seen)
    wandb_order = [(a, b) for a in (1, 2, 3, 4) for b in ("x", "y", "z")]
    assert sorted(orders[0]) == sorted(wandb_order)  # every point, once
    assert orders[0] != wandb_order  # shuffled ...
    assert orders[1] == orders[0]  # ... the same way for the same seed
    other = runconfig.sweep({**spec, "runconfig": {"order": "shuffled", "seed": 8}},
                            store=store_location)  # fmt: skip
    third: list[tuple[int, str]] = []

    def train_other() -> None:
        run = runconfig.init()
        third.append((run.config.a, run.config.b))

    runconfig.agent(other, function=train_other, store=store_location)
    assert sorted(third) == sorted(wandb_order) and third != orders[0]


def test_a_different_value_written_to_a_swept_key_is_ignored_with_one_warning_naming_the_sweep(
    store_location: str,
) -> None:
    sweep_id = runconfig.sweep(
        {"method": "grid", "parameters": {"lr": {"value": 0.1}}}, store=store_location
    )
    caught: list[warnings.WarningMessage] = []

    def train() -> None:
        run = runconfig.init()
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            run.config.lr = 0.5
            run.config.update({"lr": 0.7}, allow_val_change=True)
        caught.extend(got)
        assert run.config.lr == 0.1

    runconfig.agent(sweep_id, function=train, store=store_location)
    locked = [w for w in caught if issubclass(w.category, LockedKeyWarning)]
    assert len(locked) == 1
    assert "'lr'" in str(locked[0].message) and sweep_id in str(locked[0].message)


def test_count_and_run_cap_bound_the_trials_of_agents_and_of_the_sweep(
    store_location: str,
) -> None:
    spec = {
        "method": "random",
        "run_cap": 5,
        "parameters": {"x": {"min": 0.0, "max": 1.0}, "k": {"values": [1, 2, 3]}},
        "runconfig": {"seed": 7},
    }
    sweep_id = runconfig.sweep(spec, store=store_location)
    xs: list[float] = []

    def train() -> None:
        xs.append(runconfig.init().config.x)

    assert runconfig.agent(sweep_id, function=train, count=2, store=store_location) == 2
    assert runconfig.agent(sweep_id, function=train, count=10, store=store_location) == 3
    assert runconfig.agent(sweep_id, function=train, store=store_location) == 0
    assert len(xs) == 5 and len(set(xs)) == 5 and all(0.0 <= x <= 1.0 for x in xs)
    # The same seed draws the same trials.
    again = runconfig.sweep(spec, store=store_location)
    ys: list[float] = []
    runconfig.agent(again, function=lambda: ys.append(runconfig.init().config.x),
                    store=store_location)  # fmt: skip
    assert ys == xs


def test_a_failing_trial_is_offered_once_more_then_left_failed_and_the_agent_stops_after_a_streak(
    store_location: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep_id = runconfig.sweep(
        {"method": "grid", "parameters": {"n": {"values": [1, 2, 3, 4]}}}, store=store_location
    )
    calls: list[int] = []

    def train() -> None:
        run = runconfig.init()
        calls.append(run.config.n)
        if run.config.n == 2:
            raise RuntimeError("out of memory")

    ran = runconfig.agent(sweep_id, function=train, store=store_location)
    assert Counter(calls) == {1: 1, 2: 2, 3: 1, 4: 1} and ran == 5
    trials = _trials(store_location, sweep_id)
    assert [(t.idx, t.attempt, t.state) for t in trials] == [
        (0, 1, "finished"), (1, 1, "failed"), (1, 2, "failed"), (2, 1, "finished"),
        (3, 1, "finished"),
    ]  # fmt: skip
    assert "RuntimeError: out of memory" in (trials[1].reason or "")
    failed = [r for r in _runs(store_location, sweep_id) if r.config["n"] == 2]
    assert len(failed) == 2 and {r.state for r in failed} == {"failed"}

    streak = runconfig.sweep(
        {"method": "random", "parameters": {"n": {"values": [1, 2]}}}, store=store_location
    )

    def broken() -> None:
        runconfig.init()
        raise OSError("no space left on device")

    ran = runconfig.agent(streak, function=broken, store=store_location, max_consecutive_failures=3)
    assert ran == 3
    assert "3 trials failed in a row" in capsys.readouterr().err


def test_pause_resume_stop_and_cancel(store_location: str) -> None:
    sweep_id = runconfig.sweep(
        {"method": "grid", "parameters": {"n": {"values": [1, 2, 3]}}}, store=store_location
    )
    assert runconfig.sweeps.control(sweep_id, "pause", store=store_location) == "paused"
    assert runconfig.sweeps.control(sweep_id, "resume", store=store_location) == "running"
    assert runconfig.sweeps.control(sweep_id, "stop", store=store_location) == "stopped"
    assert runconfig.agent(sweep_id, function=lambda: None, store=store_location) == 0
    with pytest.raises(SweepError, match=r"cannot resume sweep .*: it is stopped"):
        runconfig.sweeps.control(sweep_id, "resume", store=store_location)
    with pytest.raises(SweepError, match="no sweep 'nope"):
        runconfig.sweeps.control("nope", "stop", store=store_location)

    # A cancel reaches a running trial: its next log() raises TrialStopped, which
    # `except Exception` does not catch; the run ends stopped, its history kept.
    other = runconfig.sweep(
        {"method": "grid", "parameters": {"n": {"values": [1, 2]}}, "runconfig": {"lease": 2}},
        store=store_location,
    )
    logged: list[int] = []

    def slow() -> None:
        run = runconfig.init()
        for step in range(200):
            try:
                run.log({"step": step})
            except Exception:  # must not swallow the stop
                pytest.fail("TrialStopped is not an Exception")
            logged.append(step)
            if step == 1:
                runconfig.sweeps.control(other, "cancel", store=store_location)
            time.sleep(0.05)

    started = time.monotonic()
    assert runconfig.agent(other, function=slow, store=store_location) == 1
    assert time.monotonic() - started < 10 and 2 <= len(logged) < 200
    (run,) = _runs(store_location, other)
    assert run.state == "stopped"
    states = [t.state for t in _trials(store_location, other)]
    assert states == ["canceled", "canceled"]  # the running one, and the one offered next


# -- hyperband ------------------------------------------------------------------------------
def test_hyperband_stops_a_trial_worse_than_the_band_threshold(store_location: str) -> None:
    spec = {
        "method": "grid",
        "metric": {"name": "loss", "goal": "minimize"},
        "parameters": {"bad": {"values": [0, 1, 2, 3]}},
        "early_terminate": {"type": "hyperband", "min_iter": 2, "eta": 2},
        "runconfig": {"lease": 1},
    }
    sweep_id = runconfig.sweep(spec, store=store_location)
    steps: dict[int, int] = {}

    def train() -> None:
        run = runconfig.init()
        bad = run.config.bad
        for step in range(60):
            run.log({"loss": 10.0 + step if bad == 3 else 1.0 / (1 + step)})
            steps[bad] = step + 1
            if bad == 3:
                time.sleep(0.1)

    runconfig.agent(sweep_id, function=train, store=store_location)
    assert steps[0] == steps[1] == steps[2] == 60 and steps[3] < 60
    stopped = [r for r in _runs(store_location, sweep_id) if r.config["bad"] == 3]
    with runconfig.Api(store_location) as api:
        history = api.run(stopped[0].id).history
    assert stopped[0].state == "stopped" and len(history or []) == steps[3]
    trial = next(t for t in _trials(store_location, sweep_id) if t.idx == 3)
    assert trial.state == "stopped" and "hyperband" in (trial.reason or "")


# -- program agents -------------------------------------------------------------------------
TRAIN = """
import argparse, json, os, sys
import runconfig
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float)
p.add_argument("--layers", type=json.loads)
p.add_argument("--flag", type=json.loads)
args = p.parse_args()
run = runconfig.init(config=vars(args))
with open(os.environ["OUT"], "a") as f:
    f.write(json.dumps({"args": vars(args), "config": run.config.as_dict(),
                        "sweep": os.environ["WANDB_SWEEP_ID"], "run": run.id}) + "\\n")
run.log({"loss": args.lr})
"""


def _program_sweep(tmp_path: Path, store_location: str, extra: dict[str, Any]) -> str:
    (tmp_path / "train.py").write_text(TRAIN)
    spec = {
        "program": "train.py",
        "method": "grid",
        "parameters": {
            "lr": {"values": [1e-5, 0.5]},
            "layers": {"value": [64, 64]},
            "flag": {"values": [True, False]},
        },
        **extra,
    }
    return runconfig.sweep(spec, project="prog", store=store_location)


def test_a_program_agent_runs_each_trial_as_a_process_with_typed_arguments(
    tmp_path: Path, store_location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out.jsonl"
    monkeypatch.setenv("OUT", str(out))
    sweep_id = _program_sweep(tmp_path, store_location, {})
    assert runconfig.agent(sweep_id, store=store_location) == 4
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    # wandb's grid order: names sorted (flag, layers, lr), the last one fastest.
    assert [(x["args"]["lr"], x["args"]["flag"]) for x in lines] == [
        (1e-05, True), (0.5, True), (1e-05, False), (0.5, False)
    ]  # fmt: skip
    assert all(x["args"]["layers"] == [64, 64] for x in lines)
    assert all(x["config"]["lr"] == x["args"]["lr"] for x in lines)
    assert {x["sweep"] for x in lines} == {sweep_id}
    runs = _runs(store_location, sweep_id)
    assert {r.id for r in runs} == {x["run"] for x in lines}
    assert all(r.state == "finished" and r.project == "prog" for r in runs)


def _agent_process(location: str, sweep_id: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "runconfig", "agent", sweep_id, "--store", location, *extra],
        env={**child_env(), "RUNCONFIG_AGENT_KILL_DELAY": "2"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


SLOW = """
import os, time, runconfig
run = runconfig.init()
if run.config.n == 1 and not os.path.exists(os.environ["MARK"] + "/again"):
    open(os.environ["MARK"] + "/again", "w").close()
    time.sleep(120)
run.log({"loss": 1.0})
"""


def _slow_sweep(tmp_path: Path, store_location: str, lease: float) -> tuple[str, Path]:
    """A two-point sweep whose first trial hangs the first time (it marks ``again``)."""
    (tmp_path / "slow.py").write_text(SLOW)
    marks = tmp_path / "marks"
    marks.mkdir()
    spec = {"program": "slow.py", "method": "grid", "runconfig": {"lease": lease},
            "parameters": {"n": {"values": [1, 2]}}}  # fmt: skip
    return runconfig.sweep(spec, store=store_location), marks


def _agent_in_its_hanging_trial(location: str, sweep_id: str, marks: Path) -> Any:
    agent = _agent_process(location, sweep_id)
    deadline = time.monotonic() + 60
    while not (marks / "again").exists():
        assert time.monotonic() < deadline, "the trial never started"
        time.sleep(0.1)
    return agent


def _assert_the_first_point_ran_twice(location: str, sweep_id: str) -> None:
    trials = _trials(location, sweep_id)
    assert [(t.idx, t.attempt, t.state) for t in trials] == [
        (0, 1, "crashed"), (0, 2, "finished"), (1, 1, "finished")
    ]  # fmt: skip
    runs = {r.id: r for r in _runs(location, sweep_id)}
    assert runs[trials[0].run_id].state == "crashed"  # type: ignore[index]
    assert {runs[t.run_id].state for t in trials[1:]} == {"finished"}  # type: ignore[index]
    assert trials[0].run_id != trials[1].run_id


def test_an_agent_killed_mid_trial_leaves_a_crashed_run_and_the_point_runs_again(
    tmp_path: Path, store_location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep_id, marks = _slow_sweep(tmp_path, store_location, lease=2)
    monkeypatch.setenv("MARK", str(marks))
    first = _agent_in_its_hanging_trial(store_location, sweep_id, marks)
    os.killpg(first.pid, signal.SIGKILL)  # the agent and its trial, as a lost machine
    first.communicate()
    time.sleep(2.5)  # past the lease
    second = _agent_process(store_location, sweep_id)
    output, _ = second.communicate(timeout=120)
    assert second.returncode == 0, output
    _assert_the_first_point_ran_twice(store_location, sweep_id)


def test_ctrl_c_on_an_agent_ends_its_trial_and_offers_the_point_again_at_once(
    tmp_path: Path, store_location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep_id, marks = _slow_sweep(tmp_path, store_location, lease=600)
    monkeypatch.setenv("MARK", str(marks))
    first = _agent_in_its_hanging_trial(store_location, sweep_id, marks)
    started = time.monotonic()
    os.killpg(first.pid, signal.SIGINT)  # Ctrl-C in the agent's terminal
    output, _ = first.communicate(timeout=30)
    assert first.returncode != 0, output
    assert time.monotonic() - started < 10, output  # the trial was ended, not awaited
    # The lease (600 s) has not passed: the point is offered again by the interrupt.
    second = _agent_process(store_location, sweep_id)
    again, _ = second.communicate(timeout=120)
    assert second.returncode == 0, again
    _assert_the_first_point_ran_twice(store_location, sweep_id)


RACER = """
import sys, runconfig
def train():
    run = runconfig.init()
    run.log({"loss": float(run.config.i)})
runconfig.agent(sys.argv[1], function=train, store=sys.argv[2])
"""


def test_sixteen_agents_racing_run_each_grid_point_exactly_once(store_location: str) -> None:
    spec = {"method": "grid", "parameters": {"i": {"values": list(range(80))}}}
    sweep_id = runconfig.sweep(spec, store=store_location)
    argv = [sys.executable, "-c", RACER, sweep_id, store_location]
    procs = [
        subprocess.Popen(
            argv, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(16)
    ]
    outputs = [p.communicate(timeout=240)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    trials = _trials(store_location, sweep_id)
    assert sorted(t.idx for t in trials) == list(range(80))
    assert {t.state for t in trials} == {"finished"}
    runs = _runs(store_location, sweep_id)
    assert sorted(r.config["i"] for r in runs) == list(range(80))


# -- the command line -----------------------------------------------------------------------
def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runconfig", *args], env=child_env(),
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def test_the_sweep_commands(tmp_path: Path, store_location: str) -> None:
    (tmp_path / "train.py").write_text(
        "import runconfig\nrun = runconfig.init()\nrun.log({'acc': run.config.a * 1.0})\n"
    )
    (tmp_path / "sweep.yaml").write_text(
        "program: train.py\nmethod: grid\nmetric:\n  name: acc\n  goal: maximize\n"
        "parameters:\n  a:\n    values: [1, 3, 2]\n"
    )
    made = _cli("sweep", str(tmp_path / "sweep.yaml"), "--project", "cli", "--store",
                store_location)  # fmt: skip
    assert made.returncode == 0, made.stderr
    sweep_id = made.stdout.split()[2]
    assert f"runconfig agent {sweep_id} --store {store_location}" in made.stdout.replace("'", "")
    ran = _cli("agent", sweep_id, "--count", "2", "--store", store_location)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    listed = _cli("sweeps", "--store", store_location)
    assert sweep_id in listed.stdout and "2 finished" in listed.stdout
    assert "acc=3" in listed.stdout
    shown = _cli("sweep", "show", sweep_id, "--store", store_location)
    assert "a: values" in shown.stdout and "grid of 3; 1 pending 2 finished" in shown.stdout
    best = shown.stdout.split("best runs:\n", 1)[1].splitlines()
    assert best[0].split() == ["run", "state", "acc", "config"]
    assert best[1].split()[1:] == ["finished", "3.0", "a=3"]  # best first, its swept value
    stopped = _cli("sweep", "--stop", sweep_id, "--store", store_location)
    assert stopped.stdout.strip() == f"sweep {sweep_id}: stopped"
    bad = tmp_path / "bad.yaml"
    bad.write_text("method: grid\nparameters:\n  lr:\n    distribution: loguniform\n"
                   "    min: 0.1\n    max: 1.0\n")  # fmt: skip
    refused = _cli("sweep", str(bad), "--store", store_location)
    assert refused.returncode == 1
    assert "bad.yaml:4" in refused.stderr and "log_uniform" in refused.stderr


# -- bayes ----------------------------------------------------------------------------------
BAYES = {
    "method": "bayes",
    "metric": {"name": "loss", "goal": "minimize"},
    "parameters": {
        "x": {"min": -5.0, "max": 5.0},
        "n": {"min": 1, "max": 4},
        "opt": {"values": ["good", "bad"]},
        "fixed": {"value": "yes"},
    },
    "runconfig": {"seed": 3},
}


def test_bayes_learns_from_the_trials_in_the_store(store_location: str) -> None:
    pytest.importorskip("optuna")
    sweep_id = runconfig.sweep(BAYES, store=store_location)
    losses: list[float] = []

    def train() -> None:
        run = runconfig.init()
        c = run.config
        assert isinstance(c.x, float) and isinstance(c.n, int) and c.fixed == "yes"
        assert -5.0 <= c.x <= 5.0 and 1 <= c.n <= 4 and c.opt in ("good", "bad")
        loss = (c.x - 1.0) ** 2 + (0.0 if c.opt == "good" else 4.0) + abs(c.n - 2)
        losses.append(loss)
        run.log({"loss": loss})

    assert runconfig.agent(sweep_id, function=train, count=40, store=store_location) == 40
    first, last = losses[:10], losses[-10:]
    assert min(losses) < 0.5
    assert sum(last) / 10 < sum(first) / 10 / 2, (first, last)


BLOCK_OPTUNA = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "optuna":
            raise ImportError("no optuna here")
sys.meta_path.insert(0, Block())
import runconfig
try:
    runconfig.sweep({"method": "bayes", "metric": {"name": "loss"},
                     "parameters": {"x": {"min": 0.0, "max": 1.0}}}, store=sys.argv[1])
except runconfig.SweepError as e:
    print(e)
"""


def test_bayes_without_optuna_says_what_to_install(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", BLOCK_OPTUNA, str(tmp_path / "runs.db")],
                          env=child_env(), capture_output=True, text=True, check=False)  # fmt: skip
    assert done.stdout.strip().endswith("pip install 'runconfig[bayes]'"), done.stdout + done.stderr
    assert len(done.stdout.strip().splitlines()) == 1


# -- a program that imports wandb, stopped by a cancel ------------------------------------
WANDB_TRAIN = """
import os, sys, time
import wandb
run = wandb.init(project="ignored")
print("lr", repr(wandb.config.lr), "layers", wandb.config.layers, flush=True)
for step in range(600):
    wandb.log({"loss": wandb.config.lr})
    if step == 2:
        open(os.environ["MARK"], "w").close()
    time.sleep(0.1)
"""


def test_a_program_that_imports_wandb_gets_its_values_and_a_cancel_stops_it(
    tmp_path: Path, store_location: str
) -> None:
    (tmp_path / "train.py").write_text(WANDB_TRAIN)
    spec = {"program": "train.py", "method": "grid", "runconfig": {"lease": 2},
            "parameters": {"lr": {"values": [1e-5]}, "layers": {"value": [64, 64]}}}  # fmt: skip
    sweep_id = runconfig.sweep(spec, project="wb", store=store_location)
    mark = tmp_path / "started"
    agent = subprocess.Popen(
        [sys.executable, "-m", "runconfig", "agent", sweep_id, "--store", store_location],
        env={**child_env(), "MARK": str(mark), "RUNCONFIG_AGENT_KILL_DELAY": "3"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not mark.exists():
        assert time.monotonic() < deadline and agent.poll() is None, agent.communicate()[0]
        time.sleep(0.1)
    canceled_at = time.monotonic()
    runconfig.sweeps.control(sweep_id, "cancel", store=store_location)
    output, _ = agent.communicate(timeout=60)
    assert time.monotonic() - canceled_at < 10, output
    assert "lr 1e-05 layers [64, 64]" in output
    (run,) = _runs(store_location, sweep_id)
    assert run.project == "wb" and run.state == "stopped" and run.config["lr"] == 1e-5
    assert [t.state for t in _trials(store_location, sweep_id)] == ["canceled"]


# -- the docs -------------------------------------------------------------------------------
def test_the_full_example_of_docs_sweeps_md_runs_as_written(tmp_path: Path) -> None:
    import re

    from conftest import REPO

    text = (REPO / "docs" / "sweeps.md").read_text()
    train, script = re.findall(r"```python\n(.*?)```", text, re.S)[:2]
    (tmp_path / "train.py").write_text(train)
    (tmp_path / "sweep.yaml").write_text(re.findall(r"```yaml\n(.*?)```", text, re.S)[0])
    env = {**child_env(), "RUNCONFIG_STORE": str(tmp_path / "runs.db")}

    def cli(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "runconfig", *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    made = cli("sweep", "sweep.yaml", "--project", "demo")
    sweep_id = made.split()[2]
    assert "6 trials ran here" in cli("agent", sweep_id)
    assert "6 finished" in cli("sweeps")
    status = runconfig.sweeps.status(sweep_id, store=str(tmp_path / "runs.db"))
    assert status.best is not None and status.best.config["lr"] == 0.01
    assert len(status.runs) == 6 and {r.project for r in status.runs} == {"demo"}

    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lr, loss = map(float, done.stdout.split())
    assert 1e-4 <= lr <= 0.1 and loss >= 0


def test_the_api_reads_a_sweep_back_and_a_target_ends_it(store_location: str) -> None:
    spec = {
        "method": "grid",
        "metric": {"name": "acc", "goal": "maximize", "target": 0.9},
        "parameters": {"a": {"values": [0.5, 0.95, 0.7, 0.99]}},
        "name": "reach",
    }
    sweep_id = runconfig.sweep(spec, project="t", store=store_location)

    def train() -> None:
        run = runconfig.init()
        run.log({"acc": run.config.a})

    assert runconfig.agent(sweep_id, function=train, store=store_location) == 2
    with runconfig.Api(store_location) as api:
        found = api.sweep(f"me/t/{sweep_id}")
    assert found.state == "finished" and found.name == "reach" and found.config["name"] == "reach"
    assert [r.config["a"] for r in found.runs] == [0.95, 0.5]
    best = found.best_run()
    assert best is not None and best.summary["acc"] == 0.95
    assert found.counts == {"finished": 2, "canceled": 2}  # the two offered next
    # Every sweep, newest first, by project; without their runs when asked so.
    other = runconfig.sweep({"method": "grid", "metric": {"name": "loss"},
                             "parameters": {"b": {"values": [1]}}},
                            project="u", store=store_location)  # fmt: skip
    with runconfig.Api(store_location) as api:
        assert [s.id for s in api.sweeps()] == [other, sweep_id]
        listed = api.sweeps(project="t")
        assert [s.id for s in listed] == [sweep_id] and listed[0].counts == found.counts
        best = listed[0].best_run()
        assert best is not None and best.summary["acc"] == 0.95
        lean = api.sweeps(project="t", runs=False)
        assert len(lean[0].runs) == 0 and lean[0].best_run() is None
        assert lean[0].counts == found.counts
        assert api.sweeps(project="u")[0].best_run() is None  # no run yet


def test_a_program_agent_on_a_sweep_without_a_program_says_what_to_do(
    store_location: str,
) -> None:
    sweep_id = runconfig.sweep({"method": "grid", "parameters": {"a": {"value": 1}}},
                               store=store_location)  # fmt: skip
    with pytest.raises(SweepError, match=r"the sweep has no program.*function=train"):
        runconfig.agent(sweep_id, store=store_location)
    assert _trials(store_location, sweep_id) == []  # nothing was claimed


def test_a_run_outside_any_sweep_imports_nothing_of_the_sweeps(tmp_path: Path) -> None:
    # init() is on the start of every run: the sweep machinery stays unloaded unless this
    # process runs an agent or its environment names a trial.
    script = (
        "import sys, runconfig\n"
        f"run = runconfig.init(store={str(tmp_path / 'runs.db')!r}, project='p', "
        "config={'lr': 0.1})\n"
        "run.log({'loss': 1.0}); run.finish()\n"
        "print(sorted(m for m in sys.modules if m.startswith('runconfig.sweeps')))\n"
    )
    env = {k: v for k, v in child_env().items() if "SWEEP" not in k}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=60, check=True)  # fmt: skip
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_an_agent_is_quiet_when_runconfig_is_asked_to_be(
    store_location: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = {"method": "grid", "parameters": {"x": {"values": [1, 2]}}}
    runconfig.agent(runconfig.sweep(spec, store=store_location),
                    function=lambda: runconfig.init().finish(), store=store_location)  # fmt: skip
    assert "runconfig agent: trial 0" in capsys.readouterr().err
    monkeypatch.setenv("RUNCONFIG_SILENT", "true")
    # A warning of the file (an int range inferred) and the agent's lines: all silent.
    quiet = {"method": "random", "parameters": {"n": {"min": 1, "max": 3}}}
    runconfig.agent(runconfig.sweep(quiet, store=store_location), count=1,
                    function=lambda: runconfig.init().finish(), store=store_location)  # fmt: skip
    assert capsys.readouterr().err == ""


def test_the_kill_delay_is_runconfig_s_else_wandb_s(
    store_location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runconfig.sweeps import _find
    from runconfig.sweeps._agent import Agent

    sweep_id = runconfig.sweep({"method": "grid", "parameters": {"x": {"values": [1]}}},
                               store=store_location)  # fmt: skip
    monkeypatch.setenv("WANDB_AGENT_KILL_DELAY", "7")
    st = open_store(store_location)
    try:
        found = _find(st, sweep_id)
        assert Agent(st, found, function=print).kill_delay == 7.0
        monkeypatch.setenv("WANDB_AGENT_KILL_DELAY", "soon")  # not read: runconfig's wins
        monkeypatch.setenv("RUNCONFIG_AGENT_KILL_DELAY", "2.5")
        assert Agent(st, found, function=print).kill_delay == 2.5
        monkeypatch.delenv("RUNCONFIG_AGENT_KILL_DELAY")
        with pytest.raises(SweepError, match="WANDB_AGENT_KILL_DELAY='soon'"):
            Agent(st, found, function=print)
    finally:
        st.close()
