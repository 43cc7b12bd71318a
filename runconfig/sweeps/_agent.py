"""The agent: claims a sweep's trials through the store and runs them, one at a time.

There is no controller. Each claim is one short write transaction (see
:mod:`runconfig.store._sweeps`); while a trial runs, a thread of the agent renews its lease,
reads the sweep's state (a stop, a cancel, a pause reach the agent within a beat) and
applies hyperband's rule to the sweep's logged histories. A trial is a call of the user's
function in this process (wandb's ``agent(function=)``), or a process started from the
sweep file's ``program``/``command``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from runconfig._init import _hostname, _new_id
from runconfig._term import is_silent, termwarn
from runconfig.errors import StoreError, SweepError, TrialStopped
from runconfig.store import RunStore
from runconfig.store._sweeps import BLOCK, Claim, SweepData, TrialData
from runconfig.sweeps import _context
from runconfig.sweeps._spec import SweepSpec, load_spec

__all__ = ["Agent"]

LEASE = 60.0
"""Seconds a claimed trial stays its agent's without a renewal (``runconfig: {lease: S}`` in
the sweep file, or ``RUNCONFIG_SWEEP_LEASE``)."""

MAX_FAILURES = 5
"""Trials failing in a row after which an agent stops itself (the sweep goes on)."""

PATIENCE = 300.0
"""Seconds an agent waits for its store to answer again (a PostgreSQL server restarting)
before it gives up."""

T = TypeVar("T")

POLL = 1.0
"""Seconds between two claims while the sweep is paused or other agents' trials run."""


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SweepError(f"{name}={raw!r} is not a number of seconds") from None
    if not value > 0:
        raise SweepError(f"{name}={raw!r} must be more than 0 seconds")
    return value


class Agent:
    """Runs trials of sweep ``sweep`` from ``store`` until the sweep says there is nothing
    left, ``count`` trials ran here, or trials failed ``max_failures`` times in a row."""

    def __init__(
        self,
        store: RunStore,
        sweep: SweepData,
        *,
        function: Callable[[], Any] | None = None,
        count: int | None = None,
        max_failures: int | None = None,
        out: Any = None,
    ) -> None:
        self.store = store
        self.sweep = sweep
        self.spec: SweepSpec = load_spec(sweep.spec)
        self.function = function
        self.count = count
        self.lease = self.spec.lease or _env_float("RUNCONFIG_SWEEP_LEASE", LEASE)
        self.beat = max(0.05, min(self.lease / 4, 2.0))
        self.max_failures = max_failures or self.spec.max_consecutive_failures or MAX_FAILURES
        self.kill_delay = _env_float(
            "RUNCONFIG_AGENT_KILL_DELAY" if os.environ.get("RUNCONFIG_AGENT_KILL_DELAY")
            else "WANDB_AGENT_KILL_DELAY", 30.0
        )  # fmt: skip
        self.id = f"{_hostname()}:{os.getpid()}:{_new_id()[:6]}"
        self._store_lock = threading.Lock()
        self.out = out if out is not None else sys.stderr
        self.ran = 0
        self.stopped_because: str | None = None
        self._files: str | None = None
        if function is None:  # a program agent: the command must be complete now
            from runconfig.sweeps._command import build_command

            build_command(self.spec.command, self.spec.program, {}, args_json_file="",
                          environ=os.environ, interpreter=sys.executable)  # fmt: skip

    # -- the loop ---------------------------------------------------------------------------
    def run(self) -> int:
        """Run trials; return how many ran here."""
        failures = 0
        try:
            while self.count is None or self.ran < self.count:
                claim = self._patiently(self._claim)
                for lost in claim.expired:
                    self._say(
                        f"trial {lost.idx} (run {lost.run_id}) crashed: its agent stopped "
                        "renewing its lease" + ("; it is offered again" if lost.attempt < 2 else "")
                    )
                if claim.trial is None:
                    if claim.done:
                        self.stopped_because = f"the sweep is {claim.state}"
                        break
                    time.sleep(POLL)
                    continue
                state = self._run_trial(claim.trial)
                self.ran += 1
                failures = failures + 1 if state == "failed" else 0
                if failures >= self.max_failures:
                    self.stopped_because = (
                        f"{failures} trials failed in a row on this agent; it stops (the sweep "
                        "goes on with other agents). Fix the cause, then start an agent again"
                    )
                    self._say(self.stopped_because)
                    break
        finally:
            if self._files is not None:
                import shutil

                shutil.rmtree(self._files, ignore_errors=True)
        return self.ran

    def _claim(self) -> Claim:
        bayes = None
        if self.spec.method == "bayes":
            from runconfig.sweeps._bayes import suggest

            bayes = suggest(self.spec, self.sweep, self.store)
        spec, seed = self.spec, self.sweep.seed

        def params_of(index: int) -> dict[str, Any]:
            if bayes is not None and index >= 0:
                return bayes
            return spec.point(index, seed)

        return self.store.sweeps.claim(
            self.sweep.id, self.id, self.lease, _new_id, params_of,
            block=1 if bayes is not None else BLOCK,
        )  # fmt: skip

    def _say(self, text: str) -> None:
        if not is_silent():  # RUNCONFIG_SILENT / WANDB_SILENT, as for every other line
            print(f"runconfig agent: {text}", file=self.out, flush=True)

    # -- one trial ------------------------------------------------------------------------
    def _run_trial(self, trial: TrialData) -> str:
        self._say(
            f"trial {trial.idx}{'' if trial.attempt == 1 else f' (attempt {trial.attempt})'}: "
            f"run {trial.run_id} with {json.dumps(trial.params, ensure_ascii=False)}"
        )
        ctx = _context.Trial(
            sweep=self.sweep.id, project=self.sweep.project, run_id=trial.run_id,
            params=trial.params, store=self.store.location,
        )  # fmt: skip
        watch = _Watch(self, trial, ctx)
        try:
            if self.function is not None:
                watch.start()
                state, code, reason = self._call(ctx)
            else:
                state, code, reason = self._spawn(trial, ctx, watch)
        except KeyboardInterrupt:
            watch.stop()
            with contextlib.suppress(StoreError):  # offered again now, not at its lease's end
                self.store.sweeps.end(trial, "crashed", None, "the agent was interrupted",
                                      run_state="crashed")  # fmt: skip
            raise
        finally:
            watch.stop()
        if watch.lost:
            self._say(f"trial {trial.idx}: its lease was lost meanwhile; nothing recorded")
            return "crashed"
        if watch.canceled and state != "finished":
            state, reason = "canceled", "the sweep was canceled"
        elif ctx.stop.is_set() and state != "finished":
            state, reason = "stopped", ctx.reason
        run_state = {"stopped": "stopped", "canceled": "stopped", "failed": "crashed"}.get(state)
        self._patiently(
            lambda: self.store.sweeps.end(trial, state, code, reason, run_state=run_state,
                                          force_run=state in ("stopped", "canceled"))
        )  # fmt: skip
        self._say(f"trial {trial.idx}: {state}" + (f" ({reason})" if reason else ""))
        if state == "finished":
            self._patiently(lambda: self._check_target(trial))
        return state

    def _patiently(self, action: Callable[[], T]) -> T:
        """``action()``; while the store is out of reach (a server restarting), tried again
        on a new connection for up to :data:`PATIENCE` seconds."""
        deadline = time.monotonic() + PATIENCE
        pause = 0.5
        while True:
            try:
                return action()
            except StoreError as e:
                if time.monotonic() + pause > deadline:
                    raise
                self._say(f"the store is out of reach ({e}); trying again in {pause:g} s")
                time.sleep(pause)
                pause = min(pause * 2, 10.0)
                self._reopen()

    def _reopen(self) -> None:
        """A new connection to the store (the old one may be dead)."""
        from runconfig.store import open_store

        with self._store_lock:
            old = self.store
            try:
                self.store = open_store(old.location)
            except StoreError:
                return
            with contextlib.suppress(Exception):
                old.close()

    def _check_target(self, trial: TrialData) -> None:
        """``metric.target``: a run that reaches it ends the sweep (wandb's meaning)."""
        metric = self.spec.metric
        if not metric or metric.get("target") is None or trial.run_id is None:
            return
        run = self.store.get_run(trial.run_id)
        value = run.summary.get(metric["name"]) if run is not None else None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return
        target = float(metric["target"])
        reached = value >= target if metric.get("goal") == "maximize" else value <= target
        if reached and self.store.sweeps.set_state(self.sweep.id, "finished", ("running",)):
            self.store.sweeps.cancel_pending(self.sweep.id)
            self._say(f"run {trial.run_id} reached the target {metric['name']} = {value}: "
                      "the sweep is finished")  # fmt: skip

    def _call(self, ctx: _context.Trial) -> tuple[str, int | None, str | None]:
        """Call the function with the trial as this process's; end the runs it left open."""
        from runconfig._state import _state

        assert self.function is not None
        before = set(map(id, _state.runs))
        _context.current = ctx
        outcome: tuple[str, int | None, str | None] = ("finished", 0, None)
        try:
            self.function()
        except TrialStopped as e:
            outcome = ("stopped", None, str(e) or ctx.reason)
        except KeyboardInterrupt:
            self._end_runs(before, 255)
            raise
        except Exception as e:
            traceback.print_exc()
            outcome = ("failed", 1, f"{type(e).__name__}: {e}")
        finally:
            _context.current = None
        self._end_runs(before, 0 if outcome[0] == "finished" else 1)
        return outcome

    @staticmethod
    def _end_runs(before: set[int], exit_code: int) -> None:
        from runconfig._state import _state

        for run in list(_state.runs):
            if id(run) not in before and not run._finished:
                run.finish(exit_code=exit_code)

    def _spawn(
        self, trial: TrialData, ctx: _context.Trial, watch: _Watch
    ) -> tuple[str, int | None, str | None]:
        """Start the trial's process per the sweep file; wait for it, stopping it when the
        trial must stop (SIGTERM to its process group, SIGKILL after the kill delay)."""
        from runconfig._launch import environment
        from runconfig.sweeps._command import build_command, write_args_json_file, write_param_file

        if self._files is None:
            self._files = tempfile.mkdtemp(prefix=f"runconfig-sweep-{self.sweep.id}-")
        base = os.path.join(self._files, f"config-{trial.run_id}")
        write_param_file(base + ".yaml", trial.params)
        write_args_json_file(base + ".json", trial.params)
        env = environment(self.store.location)
        env.update(
            RUNCONFIG_SWEEP_ID=self.sweep.id,
            RUNCONFIG_RUN_ID=str(trial.run_id),
            RUNCONFIG_SWEEP_PROJECT=self.sweep.project,
            RUNCONFIG_SWEEP_STORE=self.store.location,
            RUNCONFIG_SWEEP_PARAMS=json.dumps(trial.params),
            WANDB_SWEEP_ID=self.sweep.id,
            WANDB_RUN_ID=str(trial.run_id),
            WANDB_SWEEP_PARAM_PATH=base + ".yaml",
        )
        command = build_command(
            self.spec.command, self.spec.program, trial.params,
            args_json_file=base + ".json", environ=env, interpreter=sys.executable,
        )  # fmt: skip
        try:
            # Its own process group (a stop signals the trial and what it started), and
            # killed with the agent (a lost agent's trial must not live on unseen).
            # Started before the agent's thread, as a preexec_fn wants.
            proc = subprocess.Popen(
                command, env=env, stdin=subprocess.DEVNULL, start_new_session=True,
                preexec_fn=_die_with_parent,
            )  # fmt: skip
        except OSError as e:
            return "failed", None, f"could not start {command[0]!r}: {e.strerror or e}"
        watch.start()
        signalled_at: float | None = None
        try:
            while True:
                try:
                    code = proc.wait(timeout=0.1)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if (ctx.stop.is_set() or watch.lost) and signalled_at is None:
                    signalled_at = time.monotonic()
                    _signal(proc, signal.SIGTERM)
                elif signalled_at is not None and time.monotonic() - signalled_at > self.kill_delay:
                    _signal(proc, signal.SIGKILL)
        except KeyboardInterrupt:
            _signal(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=self.kill_delay)
            except subprocess.TimeoutExpired:
                _signal(proc, signal.SIGKILL)
            raise
        if code == 0:
            return "finished", 0, None
        if code < 0:
            return "failed", code, f"killed by signal {-code}"
        return "failed", code, f"exit code {code}"


def _die_with_parent() -> None:
    """In the trial's process, before its program: be killed when the agent dies (Linux)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _signal(proc: subprocess.Popen[Any], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


class _Watch:
    """The agent's thread while a trial runs: renews the lease every beat, carries out a
    stop or cancel of the sweep, and applies hyperband's rule."""

    def __init__(self, agent: Agent, trial: TrialData, ctx: _context.Trial) -> None:
        self.agent = agent
        self.trial = trial
        self.ctx = ctx
        self.lost = False
        self.canceled = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="runconfig-agent", daemon=True)
        self._next_rule = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        agent, trial = self.agent, self.trial
        while not self._done.wait(agent.beat):
            try:
                state, kept = agent.store.sweeps.renew(
                    trial.sweep, agent.id, agent.lease, [(trial.idx, trial.attempt)]
                )
                request = kept.get((trial.idx, trial.attempt), "")
                if (trial.idx, trial.attempt) not in kept:
                    self.lost = True
                    self._stop("its lease expired before it was renewed")
                    return
                if state == "canceled" and not self.canceled:
                    self.canceled = True
                    self._stop("the sweep was canceled")
                elif request:
                    self._stop(request)
                elif agent.spec.early_terminate and time.monotonic() >= self._next_rule:
                    self._next_rule = time.monotonic() + max(agent.beat, 1.0)
                    self._hyperband()
            except StoreError as e:  # a blip of the store: the next beat tries again
                termwarn(f"sweep agent: could not renew the lease of trial {trial.idx}: {e}")
                agent._reopen()
            except Exception as e:  # a fault of the stopping rule: the lease goes on
                termwarn(f"sweep agent: early termination is off for trial {trial.idx}: {e}")
                self._next_rule = math.inf

    def _stop(self, reason: str) -> None:
        if not self.ctx.stop.is_set():
            self.ctx.reason = reason
            self.ctx.stop.set()

    def _hyperband(self) -> None:
        from runconfig.sweeps._hyperband import runs_to_stop

        spec, trial = self.agent.spec, self.trial
        if spec.metric is None or spec.early_terminate is None or trial.run_id is None:
            return
        histories, running = self.agent.store.sweeps.metric_histories(
            trial.sweep, spec.metric["name"]
        )
        if trial.run_id not in running:
            return
        stop = runs_to_stop(spec.early_terminate, spec.metric.get("goal") or "minimize",
                            histories, running, metric=spec.metric["name"])  # fmt: skip
        reason = stop.get(trial.run_id)
        if reason:
            self.agent.store.sweeps.request_stop(trial, reason)
            self._stop(reason)
