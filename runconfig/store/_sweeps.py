"""Sweeps and their trials in the store's tables: the only coordination agents need.

Agents on any number of machines claim trials through the database, one short write
transaction a claim (SQLite: ``BEGIN IMMEDIATE``, the file's single writer lock;
PostgreSQL: ``FOR UPDATE SKIP LOCKED`` on the pending rows, and the sweep row's lock on the
counter that hands out trial numbers). A claimed trial carries a lease, renewed by its
agent; a trial whose lease has passed is found by the next claim of any agent: it is
``crashed``, its run too, and its point is offered again (once) as a new attempt.

Every write an agent makes about a trial after claiming it names the agent and the attempt
(``WHERE ... AND agent = ? AND state = 'running'``): an agent that lost its lease (frozen,
cut off) finds zero rows and records nothing.

Times of leases are seconds since the epoch by the store's clock: SQLite's (one machine),
or the PostgreSQL server's, so the clocks of the agents' machines do not matter.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runconfig._entries import dumps, loads

if TYPE_CHECKING:
    from runconfig.store._common import SqlStore

__all__ = ["ATTEMPTS", "BLOCK", "Claim", "SweepData", "SweepRecords", "TrialData"]

ATTEMPTS = 2
"""Attempts at a trial: a failed or crashed one is offered once more, then left failed."""

BLOCK = 16
"""Trials of a grid or random sweep numbered at once by a claim that finds none offered: one
is claimed, the others offered to the next claims (bayes numbers one at a time)."""

EXPIRE_EVERY = 1.0
"""Seconds between two looks for passed leases by the claims of one store (a claim that
finds nothing offered always looks)."""

_NOW = {
    "sqlite": "((julianday('now') - 2440587.5) * 86400.0)",
    "postgresql": "(EXTRACT(EPOCH FROM clock_timestamp())::float8)",
}

_SWEEP_COLUMNS = (
    "id, project, name, method, spec, state, seed, next_index, total, run_cap, created_at, "
    "updated_at"
)
_TRIAL_COLUMNS = (
    "sweep, idx, attempt, state, params, run_id, agent, lease_until, stop, exit_code, reason, "
    "created_at, ended_at"
)


@dataclass
class SweepData:
    """A sweep as stored. ``state``: running, paused, stopped, canceled or finished."""

    id: str
    project: str
    method: str
    spec: dict[str, Any]
    seed: int
    state: str = "running"
    name: str | None = None
    next_index: int = 0
    total: int | None = None
    run_cap: int | None = None
    created_at: str = ""
    updated_at: str = ""


@dataclass
class TrialData:
    """One attempt at one trial of a sweep."""

    sweep: str
    idx: int
    attempt: int
    state: str
    params: dict[str, Any]
    run_id: str | None = None
    agent: str | None = None
    lease_until: float | None = None
    stop: str | None = None
    exit_code: int | None = None
    reason: str | None = None
    created_at: str = ""
    ended_at: str | None = None


@dataclass
class Claim:
    """What a claim found: a trial to run, or why there is none now (``state`` of the
    sweep; ``done``: nothing is left to hand out or to wait for)."""

    trial: TrialData | None
    state: str
    done: bool = False
    expired: list[TrialData] = field(default_factory=list)


def _sweep(row: Sequence[Any]) -> SweepData:
    (sid, project, name, method, spec, state, seed, next_index, total, run_cap, created,
     updated) = row  # fmt: skip
    return SweepData(
        id=sid,
        project=project,
        name=name,
        method=method,
        spec=loads(spec),
        state=state,
        seed=int(seed),
        next_index=int(next_index),
        total=None if total is None else int(total),
        run_cap=None if run_cap is None else int(run_cap),
        created_at=created,
        updated_at=updated,
    )


def _trial(row: Sequence[Any]) -> TrialData:
    (sweep, idx, attempt, state, params, run_id, agent, lease, stop, code, reason, created,
     ended) = row  # fmt: skip
    return TrialData(
        sweep=sweep,
        idx=int(idx),
        attempt=int(attempt),
        state=state,
        params=loads(params),
        run_id=run_id,
        agent=agent,
        lease_until=None if lease is None else float(lease),
        stop=stop,
        exit_code=code,
        reason=reason,
        created_at=created,
        ended_at=ended,
    )


class SweepRecords:
    """The sweep tables of one store (``store.sweeps``)."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store
        self._now = _NOW[store.dialect]
        self._expire_due: dict[str, float] = {}

    def _q(self, sql: str) -> str:
        return sql.replace("?", self._store._ph).replace("NOW()", self._now)

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._store._exec(self._q(sql), params)

    # -- sweeps -------------------------------------------------------------------------
    def create(self, sweep: SweepData) -> SweepData:
        """Store a new sweep (its id must be free)."""
        from runconfig.store._common import now

        stamp = now()
        sweep.created_at = sweep.created_at or stamp
        sweep.updated_at = stamp
        store = self._store
        with store._guard(f"create sweep {sweep.id!r}"), store._transaction(write=True):
            self._exec(
                f"INSERT INTO rc_sweeps ({_SWEEP_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sweep.id, sweep.project, sweep.name, sweep.method, dumps(sweep.spec),
                 sweep.state, sweep.seed, sweep.next_index, sweep.total, sweep.run_cap,
                 sweep.created_at, sweep.updated_at),
            )  # fmt: skip
        return sweep

    def get(self, sweep_id: str) -> SweepData | None:
        """The sweep with this id, else None."""
        store = self._store
        with store._guard(f"read sweep {sweep_id!r}"), store._reading(None):
            row = self._exec(
                f"SELECT {_SWEEP_COLUMNS} FROM rc_sweeps WHERE id = ?", (sweep_id,)
            ).fetchone()
        return _sweep(row) if row else None

    def find(self, project: str | None = None) -> list[SweepData]:
        """The sweeps (of ``project``), newest first."""
        where, params = (" WHERE project = ?", (project,)) if project is not None else ("", ())
        store = self._store
        with store._guard("list sweeps"), store._reading(None):
            rows = self._exec(
                f"SELECT {_SWEEP_COLUMNS} FROM rc_sweeps{where} ORDER BY created_at DESC, id",
                params,
            ).fetchall()
        return [_sweep(row) for row in rows]

    def set_state(self, sweep_id: str, state: str, when: Sequence[str]) -> bool:
        """Move the sweep to ``state`` if it is in one of ``when``; whether it moved."""
        from runconfig.store._common import now

        marks = ", ".join("?" for _ in when)
        store = self._store
        with store._guard(f"set sweep {sweep_id!r} {state}"), store._transaction(write=True):
            cur = self._exec(
                "UPDATE rc_sweeps SET state = ?, updated_at = ? WHERE id = ? "
                f"AND state IN ({marks})",
                (state, now(), sweep_id, *when),
            )
            return bool(cur.rowcount)

    # -- trials -------------------------------------------------------------------------
    def claim(
        self,
        sweep_id: str,
        agent: str,
        lease: float,
        run_id: Callable[[], str],
        params_of: Callable[[int], dict[str, Any]],
        block: int = BLOCK,
    ) -> Claim:
        """Claim the next trial for ``agent``: the first trial offered (made ahead, or
        offered again), else a block of the sweep's next numbers, ``block`` of them, whose
        values ``params_of(number)`` gives: the first is claimed, the others offered.
        Trials whose lease has passed are expired first (``Claim.expired``).

        The usual claim is one statement, an ``UPDATE`` of the first offered row (on
        PostgreSQL with ``FOR UPDATE SKIP LOCKED``): racing agents never wait on one hot
        row. The rest is one short write transaction."""
        store = self._store
        with store._guard(f"claim a trial of sweep {sweep_id!r}"):
            expired: list[TrialData] = []
            if time.monotonic() >= self._expire_due.get(sweep_id, 0.0):
                with store._transaction(write=True):
                    expired = self._expire(sweep_id)
            trial = self._take_pending(sweep_id, agent, lease, run_id())
            if trial is not None:
                return Claim(trial, "running", expired=expired)
            with store._transaction(write=True):
                expired += self._expire(sweep_id)
                row = self._exec("SELECT state FROM rc_sweeps WHERE id = ?", (sweep_id,)).fetchone()
                if row is None:
                    return Claim(None, "deleted", done=True, expired=expired)
                state = row[0]
                if state != "running":
                    return Claim(None, state, done=state != "paused", expired=expired)
                trial = self._take_pending(sweep_id, agent, lease, run_id())
                if trial is None:
                    trial = self._take_new(sweep_id, agent, lease, run_id(), params_of, block)
                if trial is not None:
                    return Claim(trial, state, expired=expired)
                done = self._nothing_left(sweep_id)
                if done:
                    self._finish_sweep(sweep_id)
                return Claim(None, "finished" if done else state, done=done, expired=expired)

    def _expire(self, sweep_id: str) -> list[TrialData]:
        from runconfig.store._common import now

        self._expire_due[sweep_id] = time.monotonic() + EXPIRE_EVERY
        stamp = now()
        rows = self._exec(
            "UPDATE rc_trials SET state = 'crashed', ended_at = ?, reason = 'lease expired: "
            "its agent stopped renewing it' WHERE sweep = ? AND state = 'running' "
            f"AND lease_until < NOW() RETURNING {_TRIAL_COLUMNS}",
            (stamp, sweep_id),
        ).fetchall()
        expired = [_trial(row) for row in rows]
        for trial in expired:
            self._end_run(trial.run_id, "crashed", stamp)
            self._retry(trial, stamp)
        return expired

    def _retry(self, trial: TrialData, stamp: str) -> None:
        if trial.attempt < ATTEMPTS:
            self._exec(
                "INSERT INTO rc_trials (sweep, idx, attempt, state, params, created_at) "
                "VALUES (?, ?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING",
                (trial.sweep, trial.idx, trial.attempt + 1, dumps(trial.params), stamp),
            )

    def _end_run(self, run_id: str | None, state: str, stamp: str, force: bool = False) -> None:
        """The trial's run, if it is still running (or ``force``), ends as ``state``."""
        if run_id is not None:
            self._exec(
                "UPDATE rc_runs SET state = ?, finished_at = COALESCE(finished_at, ?), "
                "updated_at = ? WHERE id = ?" + ("" if force else " AND state = 'running'"),
                (state, stamp, stamp, run_id),
            )

    def _take_pending(
        self, sweep_id: str, agent: str, lease: float, run_id: str
    ) -> TrialData | None:
        """The first offered trial of a running sweep, claimed in one statement."""
        skip = " FOR UPDATE SKIP LOCKED" if self._store.dialect == "postgresql" else ""
        got = self._exec(
            "UPDATE rc_trials SET state = 'running', agent = ?, run_id = ?, "
            "lease_until = NOW() + ? WHERE (sweep, idx, attempt) = (SELECT sweep, idx, attempt "
            "FROM rc_trials WHERE sweep = ? AND state = 'pending' ORDER BY idx, attempt "
            f"LIMIT 1{skip}) AND state = 'pending' AND EXISTS (SELECT 1 FROM rc_sweeps "
            f"WHERE id = ? AND state = 'running') RETURNING {_TRIAL_COLUMNS}",
            (agent, run_id, lease, sweep_id, sweep_id),
        ).fetchone()
        return _trial(got) if got else None

    def _take_new(
        self,
        sweep_id: str,
        agent: str,
        lease: float,
        run_id: str,
        params_of: Callable[[int], dict[str, Any]],
        block: int,
    ) -> TrialData | None:
        """Number the next ``block`` trials (within the grid's size and run_cap): the first
        is this agent's, the others are offered. Inside the caller's write transaction."""
        from runconfig.store._common import now

        lock = " FOR UPDATE" if self._store.dialect == "postgresql" else ""
        first, total, run_cap = self._exec(
            f"SELECT next_index, total, run_cap FROM rc_sweeps WHERE id = ?{lock}", (sweep_id,)
        ).fetchone()
        first = int(first)
        limits = [int(x) for x in (total, run_cap) if x is not None]
        count = min([max(1, block), *(limit - first for limit in limits)])
        if count <= 0:
            return None
        self._exec("UPDATE rc_sweeps SET next_index = ? WHERE id = ?", (first + count, sweep_id))
        stamp = now()
        rows: list[Any] = [sweep_id, first, dumps(params_of(first)), run_id, agent, lease, stamp]
        values = ["(?, ?, 1, 'running', ?, ?, ?, NOW() + ?, ?)"]
        for idx in range(first + 1, first + count):
            rows += [sweep_id, idx, dumps(params_of(idx)), None, None, None, stamp]
            values.append("(?, ?, 1, 'pending', ?, ?, ?, ?, ?)")
        got = self._exec(
            "INSERT INTO rc_trials (sweep, idx, attempt, state, params, run_id, agent, "
            f"lease_until, created_at) VALUES {', '.join(values)} RETURNING {_TRIAL_COLUMNS}",
            rows,
        ).fetchall()
        return next(_trial(row) for row in got if int(row[1]) == first)

    def _nothing_left(self, sweep_id: str) -> bool:
        """No trial pending or running, and no number left to hand out (one query)."""
        row = self._exec(
            "SELECT next_index, total, run_cap, (SELECT COUNT(*) FROM rc_trials WHERE sweep = ? "
            "AND state IN ('pending', 'running')) FROM rc_sweeps WHERE id = ?",
            (sweep_id, sweep_id),
        ).fetchone()
        if row is None:
            return True
        next_index, total, run_cap, busy = row
        limits = [int(x) for x in (total, run_cap) if x is not None]
        return not busy and bool(limits) and next_index >= min(limits)

    def _finish_sweep(self, sweep_id: str) -> None:
        from runconfig.store._common import now

        self._exec(
            "UPDATE rc_sweeps SET state = 'finished', updated_at = ? WHERE id = ? "
            "AND state = 'running'",
            (now(), sweep_id),
        )

    def renew(
        self, sweep_id: str, agent: str, lease: float, trials: Sequence[tuple[int, int]]
    ) -> tuple[str, dict[tuple[int, int], str | None]]:
        """Renew the leases of ``agent``'s running ``trials`` ((idx, attempt) pairs). Returns
        the sweep's state and, for each trial still this agent's, its stop request (None:
        go on); a trial missing from the answer was lost (its lease expired meanwhile)."""
        store = self._store
        kept: dict[tuple[int, int], str | None] = {}
        with store._guard(f"renew leases of sweep {sweep_id!r}"), store._transaction(write=True):
            for idx, attempt in trials:
                row = self._exec(
                    "UPDATE rc_trials SET lease_until = NOW() + ? WHERE sweep = ? AND idx = ? "
                    "AND attempt = ? AND agent = ? AND state = 'running' RETURNING stop",
                    (lease, sweep_id, idx, attempt, agent),
                ).fetchone()
                if row is not None:
                    kept[(idx, attempt)] = row[0]
            state = self._exec("SELECT state FROM rc_sweeps WHERE id = ?", (sweep_id,)).fetchone()
        return (state[0] if state else "deleted"), kept

    def end(
        self,
        trial: TrialData,
        state: str,
        exit_code: int | None = None,
        reason: str | None = None,
        run_state: str | None = None,
        force_run: bool = False,
    ) -> bool:
        """End an attempt the agent holds as ``state`` (finished, failed, crashed, stopped,
        canceled); a failed or crashed attempt is offered once more. ``run_state``: what the trial's
        run becomes if it is still running (with ``force_run``, whatever its state). False
        when the attempt was no longer this agent's (nothing written)."""
        from runconfig.store._common import now

        stamp = now()
        store = self._store
        with (
            store._guard(f"end trial {trial.idx} of sweep {trial.sweep!r}"),
            store._transaction(write=True),
        ):
            cur = self._exec(
                "UPDATE rc_trials SET state = ?, exit_code = ?, reason = ?, ended_at = ? "
                "WHERE sweep = ? AND idx = ? AND attempt = ? AND agent = ? AND state = 'running'",
                (state, exit_code, reason, stamp, trial.sweep, trial.idx, trial.attempt,
                 trial.agent),
            )  # fmt: skip
            if not cur.rowcount:
                return False
            if run_state is not None:
                self._end_run(trial.run_id, run_state, stamp, force_run)
            if state in ("failed", "crashed"):
                self._retry(trial, stamp)
            if self._nothing_left(trial.sweep):
                self._finish_sweep(trial.sweep)
        return True

    def request_stop(self, trial: TrialData, reason: str) -> None:
        """Ask the agent running ``trial`` to stop it (hyperband), with why."""
        store = self._store
        with (
            store._guard(f"stop trial {trial.idx} of sweep {trial.sweep!r}"),
            store._transaction(write=True),
        ):
            self._exec(
                "UPDATE rc_trials SET stop = ? WHERE sweep = ? AND idx = ? AND attempt = ? "
                "AND state = 'running' AND stop IS NULL",
                (reason, trial.sweep, trial.idx, trial.attempt),
            )

    def cancel_pending(self, sweep_id: str) -> None:
        """The trials a stopped or canceled sweep offered are canceled."""
        from runconfig.store._common import now

        store = self._store
        with store._guard(f"cancel sweep {sweep_id!r}"), store._transaction(write=True):
            self._exec(
                "UPDATE rc_trials SET state = 'canceled', ended_at = ? WHERE sweep = ? "
                "AND state = 'pending'",
                (now(), sweep_id),
            )

    def metric_histories(
        self, sweep_id: str, metric: str
    ) -> tuple[dict[str, list[float]], set[str]]:
        """The values of ``metric`` each run of the sweep logged, in order, and the ids of
        the sweep's runs still running (hyperband's input)."""
        store = self._store
        with store._guard(f"read the histories of sweep {sweep_id!r}"), store._reading(None):
            runs = self._exec(
                "SELECT id, state FROM rc_runs WHERE sweep = ?", (sweep_id,)
            ).fetchall()
            rows = self._exec(
                "SELECT r.id, h.data FROM rc_runs r JOIN rc_history h ON h.rid = r.rid "
                "WHERE r.sweep = ? AND h.data LIKE ? ORDER BY r.rid, h.step",
                (sweep_id, "%" + dumps(metric)[1:-1] + "%"),
            ).fetchall()
        histories: dict[str, list[float]] = {run_id: [] for run_id, _ in runs}
        for run_id, data in rows:
            value = loads(data).get(metric)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                histories[run_id].append(float(value))
        return histories, {run_id for run_id, state in runs if state == "running"}

    def metric_values(self, sweep_id: str, metric: str) -> dict[str, float | None]:
        """Each run of the sweep's summary value of ``metric`` (None: not a number)."""
        from runconfig._paths import format_path

        store = self._store
        with store._guard(f"read the metric of sweep {sweep_id!r}"), store._reading(None):
            rows = self._exec(
                "SELECT r.id, e.num FROM rc_runs r LEFT JOIN rc_entries e ON e.rid = r.rid "
                "AND e.section = 's' AND e.path = ? AND e.kind = 'n' WHERE r.sweep = ?",
                (format_path((metric,)), sweep_id),
            ).fetchall()
        return {
            run_id: float(num) if num is not None and num == num and abs(num) != float("inf")
            else None
            for run_id, num in rows
        }  # fmt: skip

    def trials(self, sweep_id: str) -> list[TrialData]:
        """Every attempt at every trial of the sweep, by number and attempt."""
        store = self._store
        with store._guard(f"list trials of sweep {sweep_id!r}"), store._reading(None):
            rows = self._exec(
                f"SELECT {_TRIAL_COLUMNS} FROM rc_trials WHERE sweep = ? ORDER BY idx, attempt",
                (sweep_id,),
            ).fetchall()
        return [_trial(row) for row in rows]

    def counts(self, sweep_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """Attempts per state, per sweep."""
        out: dict[str, dict[str, int]] = {s: {} for s in sweep_ids}
        if not sweep_ids:
            return out
        marks = ", ".join("?" for _ in sweep_ids)
        store = self._store
        with store._guard("count trials"), store._reading(None):
            rows = self._exec(
                f"SELECT sweep, state, COUNT(*) FROM rc_trials WHERE sweep IN ({marks}) "
                "GROUP BY sweep, state",
                list(sweep_ids),
            ).fetchall()
        for sweep, state, n in rows:
            out[sweep][state] = int(n)
        return out
