"""Issue 13: sweeps. Claiming trials through the store, a function trial's overhead, bayes.

    python bench/bench_sweep.py                # everything (~3 min)
    python bench/bench_sweep.py --claims 2000  # a quicker look

Figures, each beside a baseline measured in the same run:

- claiming a trial (``store.sweeps.claim`` + ending it, the claim timed) with 8 agent
  processes on SQLite, floor: median <= 5 ms; with 32 on PostgreSQL, floor <= 10 ms.
  Baseline: the same number of processes claiming with raw SQL the way a counter numbers
  trials (one ``UPDATE ... RETURNING`` of a counter row and one ``INSERT`` in a write
  transaction): the store's claim is one ``UPDATE`` of an offered row (``SKIP LOCKED``),
  and numbers a block of 16 trials when none is offered;
- 10,000 claims by 16 agent processes on each engine: duplicate claims (floor: 0), the
  trials' numbers checked against what every process saw;
- a function trial's whole overhead (claim, ``init()`` receiving the values, ``finish()``,
  the trial ended; empty objective), median per trial in one agent, floor <= 10 ms;
  beside: Optuna with RDB storage on the same engine (``study.optimize`` with an empty
  objective, per trial);
- bayes: suggesting the next point after 1,000 finished trials (Optuna's TPE replaying the
  store's trials), floor <= 100 ms; baseline: Optuna's own in-memory study asking after
  the same 1,000 told trials.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

from _harness import Floor, Row, child_env, print_table

PG_URL = os.environ.get("RUNCONFIG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
HERE = os.path.abspath(__file__)
SPACE = {
    "x": {"min": -5.0, "max": 5.0},
    "lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 0.1},
    "n": {"min": 1, "max": 8},
    "opt": {"values": ["adam", "sgd", "rmsprop"]},
}


# -- the workers (each in a process of its own) -------------------------------------------
def _wait(start: float) -> None:
    time.sleep(max(0.0, start - time.time()))


def worker_claim(location: str, sweep_id: str, count: int, start: float) -> dict[str, Any]:
    """Claim and end ``count`` trials (or until none is left); the claims' latencies."""
    from runconfig.store import open_store

    store = open_store(location)
    found = store.sweeps.get(sweep_id)
    assert found is not None
    agent = f"bench:{os.getpid()}"
    latencies, seen = [], []
    _wait(start)
    for _ in range(count):
        t = time.perf_counter()
        claim = store.sweeps.claim(
            sweep_id, agent, 60.0, lambda: uuid.uuid4().hex[:8], lambda i: {"i": i}
        )
        latencies.append(time.perf_counter() - t)
        if claim.trial is None:
            break
        seen.append(claim.trial.idx)
        store.sweeps.end(claim.trial, "finished")
    store.close()
    return {"latencies": latencies, "seen": seen}


RAW_SQLITE = [
    "UPDATE counter SET n = n + 1 RETURNING n - 1",
    "INSERT INTO trials (idx, agent, params) VALUES (?, ?, ?)",
    "UPDATE trials SET state = 'finished' WHERE idx = ?",
]


def worker_raw(location: str, count: int, start: float) -> dict[str, Any]:
    """The baseline: claims with raw SQL, the same pattern (counter, insert; then end)."""
    latencies, seen = [], []
    if location.startswith("postgresql"):
        import psycopg

        url, _, schema = location.partition("?schema=")
        conn = psycopg.connect(url, autocommit=True)
        conn.execute(f"SET search_path TO {schema}")
        ph = "%s"
    else:
        import sqlite3

        conn = sqlite3.connect(location, isolation_level=None, timeout=60)  # type: ignore[assignment]
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        ph = "?"
    begin = "BEGIN" if ph == "%s" else "BEGIN IMMEDIATE"
    _wait(start)
    for _ in range(count):
        t = time.perf_counter()
        conn.execute(begin)
        idx = conn.execute(RAW_SQLITE[0]).fetchone()[0]
        params = (idx, str(os.getpid()), json.dumps({"i": idx}))
        conn.execute(RAW_SQLITE[1].replace("?", ph), params)
        conn.execute("COMMIT")
        latencies.append(time.perf_counter() - t)
        seen.append(idx)
        conn.execute(begin)
        conn.execute(RAW_SQLITE[2].replace("?", ph), (idx,))
        conn.execute("COMMIT")
    conn.close()
    return {"latencies": latencies, "seen": seen}


def worker_function(location: str, trials: int) -> dict[str, Any]:
    """A function agent with an empty objective: seconds per trial."""
    import runconfig

    sweep_id = runconfig.sweep({"method": "random", "parameters": SPACE}, store=location)
    runconfig.agent(sweep_id, function=lambda: runconfig.init().finish(), count=5, store=location)
    t = time.perf_counter()
    runconfig.agent(sweep_id, function=lambda: runconfig.init().finish(), count=trials,
                    store=location)  # fmt: skip
    return {"per_trial": (time.perf_counter() - t) / trials}


def worker_optuna(location: str, trials: int) -> dict[str, Any] | None:
    """Optuna with RDB storage on the same engine, an empty objective: seconds per trial."""
    try:
        import optuna
    except ImportError:
        return None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if location.startswith("postgresql"):
        url, _, schema = location.partition("?schema=")
        storage: Any = optuna.storages.RDBStorage(
            url.replace("postgresql://", "postgresql+psycopg://"),
            engine_kwargs={"connect_args": {"options": f"-csearch_path={schema}"}},
        )
    else:
        storage = f"sqlite:///{location}"

    def objective(trial: Any) -> float:
        trial.suggest_float("x", -5, 5)
        trial.suggest_float("lr", 1e-5, 0.1, log=True)
        trial.suggest_int("n", 1, 8)
        trial.suggest_categorical("opt", ["adam", "sgd", "rmsprop"])
        return 0.0

    study = optuna.create_study(storage=storage, sampler=optuna.samplers.RandomSampler())
    study.optimize(objective, n_trials=5)
    t = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    return {"per_trial": (time.perf_counter() - t) / trials}


def worker_bayes(location: str, finished: int) -> dict[str, Any] | None:
    """Time a bayes suggestion after ``finished`` finished trials; and Optuna's own ask
    after the same trials told to an in-memory study."""
    try:
        import optuna
    except ImportError:
        return None
    import random

    import runconfig
    from runconfig.store import RunData, open_store
    from runconfig.sweeps._bayes import suggest
    from runconfig.sweeps._spec import load_spec

    spec_source = {"method": "bayes", "metric": {"name": "loss"}, "parameters": SPACE,
                   "runconfig": {"seed": 1}}  # fmt: skip
    sweep_id = runconfig.sweep(spec_source, store=location)
    store = open_store(location)
    found = store.sweeps.get(sweep_id)
    assert found is not None
    spec = load_spec(found.spec)
    rng = random.Random(0)
    runs, told = [], []
    for i in range(finished):
        claim = store.sweeps.claim(sweep_id, "bench", 60.0, lambda: uuid.uuid4().hex[:8],
                                   lambda i: spec.point(i, 1))  # fmt: skip
        assert claim.trial is not None
        loss = rng.random()
        runs.append(RunData(id=str(claim.trial.run_id), name=f"r{i}", project="uncategorized",
                            state="finished", sweep=sweep_id, config=claim.trial.params,
                            summary={"loss": loss}))  # fmt: skip
        store.sweeps.end(claim.trial, "finished")
        told.append((claim.trial.params, loss))
    store.bulk_insert(runs)
    found = store.sweeps.get(sweep_id)
    assert found is not None
    suggest(spec, found, store)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        suggest(spec, found, store)
        times.append(time.perf_counter() - t)
    store.close()

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    dists = {
        "x": FloatDistribution(-5, 5),
        "lr": FloatDistribution(1e-5, 0.1, log=True),
        "n": IntDistribution(1, 8),
        "opt": CategoricalDistribution(["adam", "sgd", "rmsprop"]),
    }
    base = []
    for _ in range(5):
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=1))
        for params, loss in told:
            made = optuna.trial.create_trial(params=params, distributions=dists, value=loss)
            study.add_trial(made)
        t = time.perf_counter()
        study.ask(dists)
        base.append(time.perf_counter() - t)
    return {"ours": statistics.median(times), "optuna_ask": statistics.median(base)}


# -- the driver -----------------------------------------------------------------------------
def _spawn_all(args_list: list[list[str]]) -> list[dict[str, Any]]:
    procs = [
        subprocess.Popen([sys.executable, HERE, "--worker", *args], env=child_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for args in args_list
    ]  # fmt: skip
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=1800)
        if proc.returncode != 0:
            raise RuntimeError(stderr[-2000:])
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def _fresh(engine: str, tmp: str) -> tuple[str, Any]:
    """A new store location, and how to drop it."""
    if engine == "sqlite":
        path = os.path.join(tmp, f"{uuid.uuid4().hex[:8]}.db")
        return path, lambda: None
    import psycopg

    schema = f"rc_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")

    def drop() -> None:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    return f"{PG_URL}?schema={schema}", drop


def _raw_tables(location: str) -> None:
    ddl = [
        "CREATE TABLE counter (n BIGINT NOT NULL)",
        "INSERT INTO counter VALUES (0)",
        "CREATE TABLE trials (idx BIGINT PRIMARY KEY, agent TEXT, params TEXT, "
        "state TEXT NOT NULL DEFAULT 'running')",
    ]
    if location.startswith("postgresql"):
        import psycopg

        url, _, schema = location.partition("?schema=")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"SET search_path TO {schema}")
            for sql in ddl:
                conn.execute(sql)
    else:
        import sqlite3

        with sqlite3.connect(location) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            for sql in ddl:
                conn.execute(sql)


def claim_rows(engine: str, agents: int, claims: int, floor: float, tmp: str) -> list[Row]:
    import runconfig

    location, drop = _fresh(engine, tmp)
    raw_location, raw_drop = _fresh(engine, tmp)
    try:
        sweep_id = runconfig.sweep({"method": "random", "parameters": {"i": {"min": 0, "max": 9}}},
                                   store=location)  # fmt: skip
        per = claims // agents
        start = time.time() + 4 + agents * 0.15
        ours = _spawn_all([["claim", location, sweep_id, str(per), str(start)]
                           for _ in range(agents)])  # fmt: skip
        _raw_tables(raw_location)
        start = time.time() + 2 + agents * 0.1
        raw = _spawn_all([["raw", raw_location, str(per), str(start)] for _ in range(agents)])
    finally:
        drop()
        raw_drop()
    lat = sorted(x for o in ours for x in o["latencies"])
    raw_lat = sorted(x for o in raw for x in o["latencies"])
    seen = [i for o in ours for i in o["seen"]]
    p99, raw_p99 = lat[int(len(lat) * 0.99)], raw_lat[int(len(raw_lat) * 0.99)]
    return [
        Row(
            f"claim a trial, {engine}, {agents} agent processes (median)",
            statistics.median(lat),
            statistics.median(raw_lat),
            "raw SQL: a counter row + an insert a claim",
            floor=Floor("abs_max", floor),
            note=f"{len(lat):,} claims; p99 {p99 * 1e3:.1f} ms (raw {raw_p99 * 1e3:.1f} ms); "
            f"{len(seen) - len(set(seen))} duplicates",
        )
    ]


def duplicate_row(engine: str, agents: int, claims: int, tmp: str) -> Row:
    import runconfig
    from runconfig.store import open_store

    location, drop = _fresh(engine, tmp)
    try:
        sweep_id = runconfig.sweep(
            {"method": "random", "run_cap": claims, "parameters": {"i": {"min": 0, "max": 9}}},
            store=location,
        )
        start = time.time() + 4 + agents * 0.15
        outs = _spawn_all([["claim", location, sweep_id, str(claims), str(start)]
                           for _ in range(agents)])  # fmt: skip
        store = open_store(location)
        trials = store.sweeps.trials(sweep_id)
        store.close()
    finally:
        drop()
    seen = [i for o in outs for i in o["seen"]]
    duplicates = len(seen) - len(set(seen))
    lost = claims - len({t.idx for t in trials if t.state == "finished"})
    return Row(
        f"duplicate claims: {claims:,} claims by {agents} agent processes, {engine}",
        float(duplicates),
        0.0,
        "none",
        floor=Floor("abs_max", 0.0),
        unit="claims",
        note=f"{len(seen):,} claims seen by the agents, {len(trials):,} trials stored, "
        f"{lost} not finished",
    )


def function_rows(engine: str, trials: int, tmp: str) -> Row:
    location, drop = _fresh(engine, tmp)
    optuna_location, optuna_drop = _fresh(engine, tmp)
    try:
        (ours,) = _spawn_all([["function", location, str(trials)]])
        (peer,) = _spawn_all([["optuna", optuna_location, str(trials)]])
    finally:
        drop()
        optuna_drop()
    return Row(
        f"a function trial's overhead (claim + init + finish), {engine}",
        ours["per_trial"],
        None,
        "",
        floor=Floor("abs_max", 0.010),
        peers=[("Optuna, RDB storage, empty objective", peer and peer["per_trial"])],
        note=f"mean of {trials} trials in one agent",
    )


def bayes_row(tmp: str, finished: int) -> Row:
    location, drop = _fresh("sqlite", tmp)
    try:
        (out,) = _spawn_all([["bayes", location, str(finished)]])
    finally:
        drop()
    if out is None:
        return Row("bayes suggestion", None, note="optuna not installed")
    return Row(
        f"bayes: the next point after {finished:,} finished trials (replayed from the store)",
        out["ours"],
        out["optuna_ask"],
        "Optuna's ask on its in-memory study",
        floor=Floor("abs_max", 0.100),
        note="median of 5",
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        name, *args = sys.argv[2:]
        if name == "claim":
            out: Any = worker_claim(args[0], args[1], int(args[2]), float(args[3]))
        elif name == "raw":
            out = worker_raw(args[0], int(args[1]), float(args[2]))
        elif name == "function":
            out = worker_function(args[0], int(args[1]))
        elif name == "optuna":
            out = worker_optuna(args[0], int(args[1]))
        else:
            out = worker_bayes(args[0], int(args[1]))
        print(json.dumps(out))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=4000, help="claims per latency figure")
    parser.add_argument("--trials", type=int, default=200, help="function trials timed")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        rows += claim_rows("sqlite", 8, args.claims, 0.005, tmp)
        if not args.no_pg:
            rows += claim_rows("postgresql", 32, args.claims, 0.010, tmp)
        for engine in ("sqlite",) if args.no_pg else ("sqlite", "postgresql"):
            rows.append(duplicate_row(engine, 16, 10_000, tmp))
        for engine in ("sqlite",) if args.no_pg else ("sqlite", "postgresql"):
            rows.append(function_rows(engine, args.trials, tmp))
        rows.append(bayes_row(tmp, 1000))
    print_table("Issue 13: sweeps", rows)


if __name__ == "__main__":
    main()
