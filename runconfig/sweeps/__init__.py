"""Sweeps: wandb sweep files run offline, their trials claimed by agents through the store.

``sweep_id = runconfig.sweep("sweep.yaml")`` validates the file (wandb's schema, every
distribution) and stores the sweep where runs are stored; ``runconfig.agent(sweep_id,
function=train, count=10)`` claims trials and runs them. Any number of agents, on any
number of machines sharing a PostgreSQL store, run one sweep: no controller, no server.
See docs/sweeps.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from runconfig.errors import SweepError, did_you_mean

if TYPE_CHECKING:
    from runconfig.api import RunRecord
    from runconfig.store import RunStore
    from runconfig.store._sweeps import SweepData, TrialData

__all__ = [
    "SweepStatus",
    "agent",
    "control",
    "metric_value",
    "status",
    "sweep",
    "sweep_query",
    "sweeps",
]

_BIGINT = 2**62  # a grid bigger than this is never done: stored as "no end"

# What each control does: the state it sets, from which states.
_CONTROLS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pause": ("paused", ("running",)),
    "resume": ("running", ("paused",)),
    "stop": ("stopped", ("running", "paused")),
    "cancel": ("canceled", ("running", "paused", "stopped")),
}


def _open(store: str | os.PathLike[str] | None) -> RunStore:
    from runconfig.store import open_store, resolve_location

    return open_store(resolve_location(store))


def _project(project: str | None, spec_project: str | None) -> str:
    from runconfig._init import ENV

    if project:
        return project
    if spec_project:
        return spec_project
    for var in ENV["project"]:
        if os.environ.get(var):
            return os.environ[var]
    return "uncategorized"


def sweep(
    sweep_config: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    entity: str | None = None,
    project: str | None = None,
    prior_runs: Sequence[str] | None = None,
    *,
    store: str | os.PathLike[str] | None = None,
    sweep: Mapping[str, Any] | str | os.PathLike[str] | None = None,
) -> str:
    """Create a sweep from a wandb sweep file (a dict, or the path of a YAML/JSON file) and
    return its id. The file is checked whole first: a mistake is a
    :class:`~runconfig.errors.SweepError` naming the file, the line and the key.

    The sweep's runs go to ``project``, else the file's ``project``, else
    ``RUNCONFIG_PROJECT``/``WANDB_PROJECT``, else ``"uncategorized"``. The store resolves as
    :func:`runconfig.init` resolves it. ``entity`` and ``prior_runs`` are wandb's, accepted
    and unused; ``sweep=`` is wandb's name of ``sweep_config``."""
    from runconfig.store._sweeps import SweepData
    from runconfig.sweeps._spec import load_spec

    if (sweep_config is None) == (sweep is None):
        raise SweepError("sweep() takes one sweep config: a dict, or the path of a YAML/JSON file")
    from runconfig._init import _new_id, _random_below
    from runconfig._term import termwarn

    spec = load_spec(sweep_config if sweep_config is not None else sweep)  # type: ignore[arg-type]
    for warning in spec.warnings:
        termwarn(warning)  # it names the file (or "sweep config") and the key
    if spec.method == "bayes":
        _need_optuna()
    total = spec.grid_size() if spec.method == "grid" else None
    if total is not None and total >= _BIGINT:
        total = None
    seed = spec.seed if spec.seed is not None else _random_below(2**31)
    data = SweepData(
        id=_new_id(),
        project=_project(project, spec.project),
        name=spec.source.get("name") if isinstance(spec.source.get("name"), str) else None,
        method=spec.method,
        spec=spec.source,
        seed=seed,
        total=total,
        run_cap=spec.run_cap,
    )
    st = _open(store)
    try:
        st.sweeps.create(data)
    finally:
        st.close()
    return data.id


def _need_optuna() -> None:
    try:
        import optuna  # noqa: F401
    except ImportError:
        raise SweepError(
            "method: bayes needs Optuna (its TPE sampler suggests the trials): "
            "pip install 'runconfig[bayes]'"
        ) from None


def _find(st: RunStore, sweep_id: str) -> SweepData:
    sweep_id = sweep_id.rstrip("/").rpartition("/")[2]  # entity/project/ID, as wandb prints
    found = st.sweeps.get(sweep_id)
    if found is None:
        known = [s.id for s in st.sweeps.find()]
        raise SweepError(f"no sweep {sweep_id!r} in {st.location}{did_you_mean(sweep_id, known)}")
    return found


def agent(
    sweep_id: str,
    function: Callable[[], Any] | None = None,
    entity: str | None = None,
    project: str | None = None,
    count: int | None = None,
    *,
    store: str | os.PathLike[str] | None = None,
    max_consecutive_failures: int | None = None,
) -> int:
    """Run trials of sweep ``sweep_id`` until none is left, ``count`` ran here (failed ones
    included), or ``max_consecutive_failures`` (default 5) failed in a row; return how many
    ran. With ``function``, each trial calls it in this process: ``runconfig.init()`` in it
    receives the trial's values (locked, origin ``sweep``). Without, each trial runs the
    sweep file's ``program``/``command`` as a process. ``entity``/``project`` are wandb's:
    the sweep's runs go to the sweep's project."""
    from runconfig.sweeps._agent import Agent

    if count is not None and count < 0:
        raise SweepError(f"agent(count={count}): count must be at least 0")
    st = _open(store)
    try:
        found = _find(st, sweep_id)
        if found.method == "bayes":
            _need_optuna()
        worker = Agent(
            st, found, function=function, count=count, max_failures=max_consecutive_failures
        )
        try:
            return worker.run()
        finally:
            st = worker.store  # a new connection if the old one was lost meanwhile
    finally:
        st.close()


def control(sweep_id: str, action: str, *, store: str | os.PathLike[str] | None = None) -> str:
    """``pause``, ``resume``, ``stop`` (no new trials; running ones finish) or ``cancel``
    (running trials are stopped too) a sweep; return its state after."""
    if action not in _CONTROLS:
        raise SweepError(f"unknown sweep action {action!r}{did_you_mean(action, _CONTROLS)}")
    state, when = _CONTROLS[action]
    st = _open(store)
    try:
        found = _find(st, sweep_id)
        if not st.sweeps.set_state(found.id, state, when):
            now = _find(st, found.id).state
            if now != state:
                raise SweepError(f"cannot {action} sweep {found.id}: it is {now}")
        if action in ("stop", "cancel"):
            st.sweeps.cancel_pending(found.id)
        return state
    finally:
        st.close()


class SweepStatus:
    """A sweep, its trials' counts per state, and its runs best first."""

    def __init__(
        self,
        sweep: SweepData,
        counts: dict[str, int],
        trials: list[TrialData],
        runs: list[RunRecord],
        metric: str | None,
        goal: str,
    ) -> None:
        self.sweep = sweep
        self.counts = counts
        self.trials = trials
        self.runs = runs
        self.metric = metric
        self.goal = goal

    @property
    def best(self) -> RunRecord | None:
        return self.runs[0] if self.runs and self.metric_of(self.runs[0]) is not None else None

    def metric_of(self, run: RunRecord) -> float | None:
        """The run's value of the sweep's metric (its summary's), if it is a number."""
        return metric_value(run, self.metric)


def metric_value(run: RunRecord, metric: str | None) -> float | None:
    """``run``'s summary value of a sweep's ``metric``, if it is a number (not NaN)."""
    value = run.summary.get(metric) if metric else None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
        return float(value)
    return None


def _status(
    st: RunStore,
    found: SweepData,
    location: str,
    *,
    runs: bool = True,
    trials: bool = False,
    counts: dict[str, int] | None = None,
) -> SweepStatus:
    """The sweep's status: its runs best first by its metric (none read if ``runs`` is
    false), its trials if asked for; ``counts``: its trials per state, if already read."""
    from runconfig.api import RunRecord
    from runconfig.store.base import OrderKey

    metric = found.spec.get("metric") if isinstance(found.spec.get("metric"), dict) else None
    name = metric.get("name") if metric else None
    goal = (metric.get("goal") if metric else None) or "minimize"
    if counts is None:
        counts = st.sweeps.counts([found.id])[found.id]
    if not runs:
        return SweepStatus(found, counts, [], [], name, goal)
    from runconfig._paths import format_segment
    from runconfig.query import compile_query, parse_query

    fragment = compile_query(parse_query(sweep_query(found.id)), st.dialect)
    # The store sorts as the metric ranks runs: numbers first (by the goal), the rest last.
    order = [OrderKey("s", format_segment(name), goal == "maximize")] if name else []
    records = [RunRecord.from_data(d, location) for d in st.find_runs(where=fragment, order=order)]
    found_trials = st.sweeps.trials(found.id) if trials else []
    return SweepStatus(found, counts, found_trials, records, name, goal)


def _statuses(
    st: RunStore, location: str, project: str | None, *, runs: bool, trials: bool
) -> list[SweepStatus]:
    """:func:`_status` of every sweep (of ``project``), newest first; their trial counts
    read at once."""
    found = st.sweeps.find(project)
    counts = st.sweeps.counts([f.id for f in found])
    return [_status(st, f, location, runs=runs, trials=trials, counts=counts[f.id])
            for f in found]  # fmt: skip


def sweep_query(sweep_id: str) -> str:
    """The query of a sweep's runs: ``run.sweep == "k3x9q2ab"``."""
    from runconfig._init import _quote

    return "run.sweep == " + _quote(sweep_id)


def status(sweep_id: str, *, store: str | os.PathLike[str] | None = None) -> SweepStatus:
    """The sweep with its trials and its runs, best first by its metric."""
    from runconfig.store import open_store, resolve_location

    location = resolve_location(store)
    st = open_store(location, readonly=True)
    try:
        return _status(st, _find(st, sweep_id), location, trials=True)
    finally:
        st.close()


def sweeps(
    project: str | None = None, *, store: str | os.PathLike[str] | None = None
) -> list[SweepStatus]:
    """Every sweep of the store (of ``project``), newest first, with its status."""
    from runconfig.store import open_store, resolve_location

    location = resolve_location(store)
    st = open_store(location, readonly=True)
    try:
        return _statuses(st, location, project, runs=True, trials=True)
    finally:
        st.close()
