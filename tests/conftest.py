"""Shared test fixtures."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runconfig.store import RunData, RunStore, open_store
from runconfig.store._pool import close_idle

REPO = Path(__file__).resolve().parent.parent


# ==== store fixtures: one suite, both engines ============================================
# `store_location` is parametrized over SQLite (a file in tmp_path) and PostgreSQL (a
# fresh schema of RUNCONFIG_TEST_PG, dropped after the test). The PostgreSQL cases skip
# when no server answers, unless RUNCONFIG_REQUIRE_PG is set: then they fail.

PG_URL = os.environ.get("RUNCONFIG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@functools.lru_cache(maxsize=1)
def _pg_unreachable() -> str | None:
    """None when the test server answers, else why not."""
    try:
        import psycopg
    except ImportError as e:
        return f"psycopg is not installed ({e})"
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.Error as e:
        return f"no PostgreSQL at {PG_URL} ({str(e).strip().splitlines()[0]})"
    return None


def require_pg() -> None:
    """Skip (or fail, under RUNCONFIG_REQUIRE_PG) when the test server is down."""
    reason = _pg_unreachable()
    if reason is None:
        return
    if os.environ.get("RUNCONFIG_REQUIRE_PG"):
        pytest.fail(f"RUNCONFIG_REQUIRE_PG is set but {reason}")
    pytest.skip(reason)


def pg_execute(sql: str) -> None:
    """Run one statement on the test server (outside any store)."""
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A store URL on the test server, in a schema that does not exist yet (dropped after)."""
    require_pg()
    schema = f"rc_test_{uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}schema={schema}"
    finally:
        pg_execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where a fresh, empty store is: a path, or a URL with a schema of its own."""
    if request.param == "sqlite":
        yield str(tmp_path / "runs.db")
        return
    require_pg()
    schema = f"rc_test_{uuid.uuid4().hex[:12]}"
    pg_execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}schema={schema}"
    finally:
        pg_execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture
def store(store_location: str) -> Iterator[RunStore]:
    """An open store, on each engine; ``store.dialect`` tells which."""
    opened = open_store(store_location)
    try:
        yield opened
    finally:
        opened.close()


def child_env() -> dict[str, str]:
    """The environment of a child interpreter that imports this checkout of runconfig."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def run_python(code: str, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a new interpreter, as a child process, and wait for it."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def finish_all_runs() -> None:
    """Finish every run of this process and forget the pending config."""
    import runconfig
    from runconfig._state import _state

    for run in list(_state.runs):
        run.finish()
    _state.config = runconfig.Config()


@pytest.fixture
def no_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No run, no RUNCONFIG_ or WANDB_ variable (but RUNCONFIG_JOURNAL, in tmp_path: a
    test never leaves a journal in the home folder), and tmp_path as the working
    directory; every run finished afterwards. Modules of run tests use it for each test."""
    for var in list(os.environ):
        if var.startswith(("RUNCONFIG_", "WANDB_")):
            monkeypatch.delenv(var)
    monkeypatch.setenv("RUNCONFIG_JOURNAL", str(tmp_path / "journal"))
    monkeypatch.chdir(tmp_path)
    yield
    finish_all_runs()


@pytest.fixture(params=["sqlite", "postgresql"])
def run_store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Where runs go, on each engine: a new SQLite file, or a schema of its own on the
    PostgreSQL server (with ``RUNCONFIG_FILES`` in tmp_path, as machines sharing one would
    set it), dropped once the test's runs are finished."""
    if request.param == "sqlite":
        yield str(tmp_path / "store" / "runs.db")
        return
    require_pg()
    monkeypatch.setenv("RUNCONFIG_FILES", str(tmp_path / "shared"))
    schema = f"rc_runs_{uuid.uuid4().hex[:12]}"
    yield f"{PG_URL}?schema={schema}"
    finish_all_runs()  # before the schema goes, and the connections kept open to it
    close_idle(f"{PG_URL}?schema={schema}")
    pg_execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


# ==== end of store fixtures ===============================================================


def make_run(n: int, **fields: Any) -> RunData:
    """Run number ``n``: id ``r<n>``, name ``run-<n>``, created ``n`` seconds after noon."""
    values: dict[str, Any] = {
        "id": f"r{n}",
        "name": f"run-{n}",
        "project": "p",
        "state": "finished",
        "created_at": f"2026-01-01T12:{n // 60:02d}:{n % 60:02d}.000000+00:00",
    }
    values.update(fields)
    return RunData(**values)


def fill(location: str, runs: list[RunData]) -> str:
    """Bulk-insert ``runs`` into the store at ``location``; return the location."""
    store = open_store(location)
    try:
        store.bulk_insert(runs)
    finally:
        store.close()
    return location
