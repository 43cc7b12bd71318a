"""Many processes writing one store at once, while a reader keeps reading it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import child_env

from runconfig.store import OrderKey, RunStore, open_store

# Each writer creates runs all named "run" (so names collide across processes) and sets
# their config one key per write_changes call, as a live run does.
WRITER = """
import os, socket, sys
from runconfig._entries import Change
from runconfig.store import RunData, open_store

location, worker, runs, keys = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
store = open_store(location)
for i in range(runs):
    run = store.create_run(RunData(id=f"w{worker}-{i}", name="run", project="crowd",
                                   host=socket.gethostname(), pid=os.getpid()))
    for k in range(keys):
        path = (f"k{k}",) if k % 5 else ("group", f"k{k}")
        store.write_changes(run.rid, "c", [Change(path, k * 1.5, f"w{worker}")])
    store.write_log(run.rid, 0, {"loss": 1.0}, [])
    store.update_run(run.rid, state="finished")
store.close()
"""


def expected_config(keys: int) -> dict[str, object]:
    config: dict[str, object] = {}
    for k in range(keys):
        if k % 5:
            config[f"k{k}"] = k * 1.5
        else:
            group = config.setdefault("group", {})
            assert isinstance(group, dict)
            group[f"k{k}"] = k * 1.5
    return config


def start_writers(location: str, workers: int, runs: int, keys: int) -> list[subprocess.Popen[str]]:
    return [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, location, str(w), str(runs), str(keys)],
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]


SIZES = {"sqlite": (8, 25, 50), "postgresql": (8, 10, 20)}


def test_eight_processes_writing_at_once_lose_nothing_while_a_reader_reads(
    store: RunStore, store_location: str
) -> None:
    workers, runs, keys = SIZES[store.dialect]
    writers = start_writers(store_location, workers, runs, keys)
    reads = 0
    try:
        while any(w.poll() is None for w in writers):
            found = store.find_runs(project="crowd", order=[OrderKey("c", "k3")], limit=20)
            assert len(found) <= 20
            everything = store.find_runs(project="crowd")
            assert all(r.state in ("running", "finished") for r in everything)
            reads += 1
    finally:
        outputs = [w.communicate(timeout=240) for w in writers]
    for writer, (_, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, err
        assert err == ""
    assert reads > 0

    found = store.find_runs(project="crowd", with_history=True)
    total = workers * runs
    assert len(found) == total
    assert sorted(r.name for r in found) == sorted(
        ["run", *(f"run-{i}" for i in range(2, total + 1))]
    )
    config = expected_config(keys)
    for run in found:
        assert run.config == config, run.id
        assert run.state == "finished" and run.history == [{"_step": 0, "loss": 1.0}]
        assert set(run.origins.values()) == {f"w{run.id[1:].split('-')[0]}"}
    assert sum(len(r.config) - 1 + len(r.config["group"]) for r in found) == total * keys


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_processes_opening_a_new_store_at_once_all_succeed(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if engine == "sqlite":
        location = str(tmp_path / "fresh" / "runs.db")
    else:
        location = request.getfixturevalue("pg_schema_url")
    writers = start_writers(location, 6, 1, 3)
    outputs = [w.communicate(timeout=240) for w in writers]
    for writer, (_, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, err
    store = open_store(location)
    try:
        assert len(store.find_runs()) == 6
    finally:
        store.close()
