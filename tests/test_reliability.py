"""What runconfig promises under faults: reads that never write, damaged files, one writer
per run, and runs that outlive their PostgreSQL server going away (the server is restarted
and stopped for real, with pg_ctlcluster). See docs/reliability.md."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import PG_URL, child_env, pg_execute, require_pg

import runconfig
from runconfig.cli import main
from runconfig.errors import StoreError

pytestmark = pytest.mark.usefixtures("no_run")


def digest(path: Path) -> bytes:
    return path.read_bytes()


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


# -- reads never write -------------------------------------------------------------------------


def test_reading_commands_refuse_an_empty_file_and_leave_it_empty(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    code, out = cli("runs", "--store", str(empty))
    assert code == 1 and "is empty" in out and "runconfig init-store" in out
    with pytest.raises(StoreError, match="is empty"):
        runconfig.Api(store=str(empty))
    assert empty.stat().st_size == 0
    code, out = cli("init-store", str(empty))
    assert code == 0 and empty.stat().st_size > 0
    assert cli("runs", "--store", str(empty))[0] == 0


def test_another_programs_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    foreign = tmp_path / "app.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE users (id INTEGER)")
    before = digest(foreign)
    code, out = cli("runs", "--store", str(foreign))
    assert code == 1 and "not a runconfig store" in out
    with pytest.raises(StoreError, match="not a runconfig store"):
        runconfig.init(store=str(foreign))
    assert digest(foreign) == before


def test_init_makes_a_store_in_an_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "runs.db"
    empty.touch()
    runconfig.init(store=str(empty), config={"a": 1}).finish()
    with runconfig.Api(store=str(empty)) as api:
        assert api.runs()[0].config == {"a": 1}


def test_readers_report_a_dead_run_crashed_without_writing_it(tmp_path: Path) -> None:
    store = tmp_path / "runs.db"
    code = f"import os, runconfig; runconfig.init(store={str(store)!r}); os._exit(0)"
    subprocess.run([sys.executable, "-c", code], env=child_env(), check=True)
    before = digest(store), (tmp_path / "runs.db-wal").exists() and digest(tmp_path / "runs.db-wal")
    with runconfig.Api(store=str(store)) as api:
        assert api.runs()[0].state == "crashed"
    assert (digest(store), (tmp_path / "runs.db-wal").exists() and digest(
        tmp_path / "runs.db-wal"
    )) == before  # fmt: skip


def test_reading_a_postgresql_store_writes_nothing(pg_schema_url: str) -> None:
    code, out = cli("runs", "--store", pg_schema_url)
    assert code == 1 and "there is no runconfig store" in out
    with pytest.raises(StoreError, match="there is no runconfig store"):
        runconfig.Api(store=pg_schema_url)
    schema = pg_schema_url.rsplit("=", 1)[1]
    assert not _pg_rows(f"SELECT 1 FROM pg_namespace WHERE nspname = '{schema}'")
    code = f"import os, runconfig; runconfig.init(store={pg_schema_url!r}); os._exit(0)"
    subprocess.run([sys.executable, "-c", code], env=child_env(), check=True)
    states = f"SELECT state, heartbeat_at FROM {schema}.rc_runs"
    before = _pg_rows(states)
    with runconfig.Api(store=pg_schema_url) as api:
        assert api.runs()[0].state == "crashed"  # reported so...
    assert cli("runs", "--store", pg_schema_url)[0] == 0
    assert _pg_rows(states) == before  # ...but not written


def _pg_rows(sql: str) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        return conn.execute(sql).fetchall()


def test_a_damaged_file_is_refused_naming_the_tool_that_checks_it(tmp_path: Path) -> None:
    store = tmp_path / "runs.db"
    run = runconfig.init(store=str(store), config={f"k{i}": "x" * 200 for i in range(300)})
    run.finish()
    with sqlite3.connect(store) as conn:  # fold the WAL back into the file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(store.read_bytes())
    page = 4096
    for start in range(page * 2, len(data), page):  # every page but the first two
        data[start + 8 : start + 200] = os.urandom(192)
    store.write_bytes(bytes(data))
    code, out = cli("runs", "--store", str(store))
    assert code == 1 and "is damaged" in out and "PRAGMA integrity_check" in out
    with pytest.raises(StoreError, match="is damaged"):
        runconfig.init(store=str(store))


# -- one writer per run --------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys, time, runconfig
    store, mode, hold = sys.argv[1], sys.argv[2], float(sys.argv[3])
    try:
        run = runconfig.init(store=store, id="shared01", resume=mode)
    except runconfig.Error as e:
        print("REFUSED", e, flush=True)
        sys.exit(3)
    print("WRITING", run.resumed, flush=True)
    deadline = time.time() + hold
    i = 0
    try:
        while time.time() < deadline:
            run.log({"i": i}); i += 1
            time.sleep(0.01)
    except runconfig.Error as e:
        print("STOPPED", e, flush=True)
        sys.exit(4)
    run.finish()
    """
)


def writer(tmp_path: Path, store: str, mode: str, hold: float) -> subprocess.Popen[str]:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    return subprocess.Popen(
        [sys.executable, str(script), store, mode, str(hold)],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_resuming_one_run_at_once_never_clash(run_store: str, tmp_path: Path) -> None:
    for trial in range(6):
        store = run_store if trial == 0 or "://" in run_store else str(tmp_path / f"{trial}.db")
        pair = [writer(tmp_path, store, "allow", 0.3) for _ in range(2)]
        outs = [p.communicate(timeout=120) for p in pair]
        codes = sorted(p.returncode for p in pair)
        text = " ".join(o for o, _ in outs) + " ".join(e for _, e in outs)
        assert "already in" not in text and "UNIQUE" not in text and "Traceback" not in text
        assert codes in ([0, 0], [0, 3]), text  # both wrote in turn, or one was refused
        if codes == [0, 3]:
            assert "is being written by pid" in text
        if store == run_store and "://" in run_store:
            break  # one trial on the shared server is enough
        runconfig.Api(store=store).close()


def test_a_live_writer_is_refused_and_a_takeover_stops_it(run_store: str, tmp_path: Path) -> None:
    first = writer(tmp_path, run_store, "allow", 60)
    assert first.stdout is not None and first.stdout.readline().startswith("WRITING")
    second = writer(tmp_path, run_store, "allow", 0)
    out, _ = second.communicate(timeout=60)
    assert second.returncode == 3 and f"pid {first.pid}" in out
    third = writer(tmp_path, run_store, "takeover", 0.5)
    out, err = third.communicate(timeout=60)
    assert third.returncode == 0, err
    rest, err = first.communicate(timeout=60)  # its next log is refused
    assert first.returncode == 4 and "taken over" in rest, err
    with runconfig.Api(store=run_store) as api:
        run = api.run("shared01")
        assert run.state == "finished" and run.pid == third.pid


# -- PostgreSQL going away ---------------------------------------------------------------------


def _cluster() -> list[str]:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions or shutil.which("pg_ctlcluster") is None:
        pytest.skip("this machine has no pg_ctlcluster to restart the PostgreSQL server with")
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main"]


def _server(action: str) -> None:
    if action == "start" and _answers():
        return
    subprocess.run([*_cluster(), action], check=True, capture_output=True, timeout=120)
    if action != "stop":
        deadline = time.monotonic() + 60
        while not _answers():
            assert time.monotonic() < deadline, "the PostgreSQL server did not come back"
            time.sleep(0.2)


def _answers() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode == 0


@pytest.fixture
def pg_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    require_pg()
    _cluster()
    monkeypatch.setenv("RUNCONFIG_JOURNAL", str(tmp_path / "journal"))
    schema = f"rc_blip_{uuid.uuid4().hex[:10]}"
    yield f"{PG_URL}?schema={schema}"
    _server("start")  # whatever happened, the server runs again for the other tests
    pg_execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


BLIPS = textwrap.dedent(
    """
    import json, sys, time, runconfig
    store, n, pace = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    run = runconfig.init(store=store, project="blips")
    print(json.dumps({"id": run.id}), flush=True)
    for i in range(n):
        run.log({"i": i})
        if i % 10 == 0:
            run.config[f"k{i}"] = i
        time.sleep(pace)
    run.finish()
    print(json.dumps({"done": True}), flush=True)
    """
)


@pytest.mark.timeout(600)
def test_a_run_survives_restarts_and_an_outage_of_its_server(pg_store: str, tmp_path: Path) -> None:
    script = tmp_path / "blips.py"
    script.write_text(BLIPS)
    env = {
        **child_env(),
        "RUNCONFIG_JOURNAL": str(tmp_path / "journal"),
        "RUNCONFIG_SYNC_WAIT": "60",
    }
    with subprocess.Popen(
        [sys.executable, str(script), pg_store, "10000", "0.005"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None
        run_id = json.loads(child.stdout.readline())["id"]
        time.sleep(3)
        _server("restart")
        time.sleep(3)
        _server("stop")
        time.sleep(30)  # down for 30 s: the child keeps writing to its journal
        _server("start")
        time.sleep(3)
        _server("restart")
        _out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err[-3000:]
    assert "Traceback" not in err
    with runconfig.Api(store=pg_store) as api:
        run = api.run(run_id)
    assert run.state == "finished"
    assert run.history is not None
    assert [row["i"] for row in run.history] == list(range(10_000))  # each once, in order
    assert [row["_step"] for row in run.history] == list(range(10_000))
    assert run.config == {f"k{i}": i for i in range(0, 10_000, 10)}
    assert run.summary == {"i": 9999}


def test_a_run_that_ends_while_its_server_is_away_is_sent_by_sync(
    pg_store: str, tmp_path: Path
) -> None:
    code = textwrap.dedent(
        f"""
        import subprocess, runconfig
        run = runconfig.init(store={pg_store!r}, project="late", id="late0001")
        run.log({{"loss": 1.0}})
        subprocess.run({[*_cluster(), "stop"]!r}, check=True)
        run.config.lr = 0.1
        run.log({{"loss": 0.5}})
        run.finish()
        """
    )
    env = {
        **child_env(),
        "RUNCONFIG_JOURNAL": str(tmp_path / "journal"),
        "RUNCONFIG_SYNC_WAIT": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "is out of reach" in done.stderr and "runconfig sync" in done.stderr
    assert done.stderr.count("\n") == 1  # one line
    _server("start")
    code_, out = cli("sync", "--store", pg_store)
    assert code_ == 0 and "sent 3 writes of 1 runs" in out, out
    with runconfig.Api(store=pg_store) as api:
        run = api.run("late0001")
    assert run.state == "finished" and run.config == {"lr": 0.1}
    assert [row["loss"] for row in run.history or ()] == [1.0, 0.5]
    assert cli("sync", "--store", pg_store)[1].startswith("nothing kept")


def test_a_run_cannot_start_while_its_server_is_away(pg_store: str) -> None:
    _server("stop")
    with pytest.raises(StoreError, match="cannot connect"):
        runconfig.init(store=pg_store)
    _server("start")


@pytest.mark.timeout(600)
def test_a_run_after_a_restart_of_its_server_gets_a_working_connection(pg_store: str) -> None:
    # The connection a finished run keeps open for the next run of the process (see
    # runconfig.store._pool) died with the server: the next run must not be given it.
    first = runconfig.init(store=pg_store, config={"n": 1})
    first.finish()
    _server("restart")
    second = runconfig.init(store=pg_store, config={"n": 2})
    second.config.after = True
    second.finish()
    with runconfig.Api(store=pg_store) as api:
        assert api.run(second.id).config == {"n": 2, "after": True}
        assert api.run(second.id).state == "finished"


# -- a full disk ---------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB file system (tmpfs), to fill up."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)


def _fill(path: Path) -> None:
    """Take the disk's last bytes: the next write that needs a block fails."""
    with contextlib.suppress(OSError), open(path, "wb", buffering=0) as f:
        while True:
            f.write(b"\0" * 4096)


def test_a_full_disk_refuses_a_set_clearly_and_the_run_goes_on_once_there_is_room(
    small_disk: Path,
) -> None:
    store = small_disk / "runs.db"
    run = runconfig.init(store=str(store), config={"lr": 0.1})
    _fill(small_disk / "filler")
    with pytest.raises(StoreError, match="disk is full") as refused:
        for i in range(1000):
            run.config[f"k{i}"] = "x" * 5000
    assert str(store) in str(refused.value)
    accepted = {k for k in run.config if k.startswith("k")}
    (small_disk / "filler").unlink()
    run.config["after"] = 1
    run.finish()
    with runconfig.Api(store=str(store)) as api:
        stored = api.run(run.id)
    assert stored.state == "finished"
    assert {k for k in stored.config if k.startswith("k")} == accepted  # nothing half-kept
    assert stored.config["lr"] == 0.1 and stored.config["after"] == 1
    with sqlite3.connect(store) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# -- PostgreSQL away for one role only: the journal itself on a full disk ---------------------


@pytest.fixture
def lockout(tmp_path: Path) -> Iterator[tuple[str, Callable[[bool], None]]]:
    """A store reached as a role of its own, and a switch that shuts that role out of the
    server (its connections ended, new ones refused) or lets it in again: an outage the
    rest of the test suite does not see."""
    require_pg()
    role = "rc_test_lockout"
    pg_execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
        f"CREATE ROLE {role} LOGIN; END IF; END $$"
    )
    pg_execute(f"ALTER ROLE {role} LOGIN")
    pg_execute(f"GRANT CREATE ON DATABASE {PG_URL.rsplit('/', 1)[1]} TO {role}")
    schema = f"rc_lock_{uuid.uuid4().hex[:10]}"

    def away(gone: bool) -> None:
        pg_execute(f"ALTER ROLE {role} {'NOLOGIN' if gone else 'LOGIN'}")
        if gone:
            pg_execute(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"
            )

    yield PG_URL.replace("postgres@", f"{role}@", 1) + f"?schema={schema}", away
    away(False)
    pg_execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def test_a_journal_on_a_full_disk_refuses_the_write_instead_of_losing_it(
    lockout: tuple[str, Callable[[bool], None]],
    small_disk: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, away = lockout
    monkeypatch.setenv("RUNCONFIG_JOURNAL", str(small_disk / "journal"))
    monkeypatch.setenv("RUNCONFIG_SYNC_WAIT", "30")
    run = runconfig.init(store=store, config={"lr": 0.1})
    away(True)
    run.config["kept"] = 1  # to the journal
    _fill(small_disk / "filler")
    with pytest.raises(StoreError, match=r"out of reach.*cannot keep") as refused:
        for i in range(1000):
            run.config[f"k{i}"] = "x" * 5000
    assert str(small_disk / "journal") in str(refused.value)
    accepted = {k for k in run.config if k.startswith("k")}
    (small_disk / "filler").unlink()
    run.config["after"] = 2
    away(False)
    run.finish()
    with runconfig.Api(store=store) as api:
        stored = api.run(run.id)
    assert stored.state == "finished"
    assert stored.config["kept"] == 1 and stored.config["after"] == 2
    assert {k for k in stored.config if k.startswith("k")} == accepted


def test_the_next_run_on_the_machine_sends_what_an_earlier_one_kept(
    lockout: tuple[str, Callable[[bool], None]], tmp_path: Path
) -> None:
    store, away = lockout
    code = textwrap.dedent(
        f"""
        import psycopg, runconfig
        run = runconfig.init(store={store!r}, id="kept0001", config={{"lr": 0.1}})
        with psycopg.connect({PG_URL!r}, autocommit=True) as admin:
            admin.execute("ALTER ROLE rc_test_lockout NOLOGIN")
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE usename = 'rc_test_lockout'")
        run.config.update({{"batch": 64, "layers": [1, 2]}})
        run.log({{"loss": 0.5}})
        """
    )  # the server goes away for the run's role, from inside the run
    env = {**child_env(), "RUNCONFIG_SYNC_WAIT": "0"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and "runconfig sync" in done.stderr, done.stderr
    away(False)
    runconfig.init(store=store, config={"next": True}).finish()
    deadline = time.monotonic() + 30
    while True:  # sent in the background: the last write, then the journal's removal
        with runconfig.Api(store=store) as api:
            kept = api.run("kept0001")
        journals = list((tmp_path / "journal").rglob("*.db"))
        if (kept.state == "finished" and not journals) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert kept.state == "finished"
    assert kept.config == {"lr": 0.1, "batch": 64, "layers": [1, 2]}
    assert [row["loss"] for row in kept.history or ()] == [0.5]
    assert not journals


def test_a_write_the_server_refuses_is_an_error_not_kept_for_later(pg_store: str) -> None:
    run = runconfig.init(store=pg_store)
    key = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(1000))  # 3,000 bytes
    with pytest.raises(StoreError, match="exceeds"):
        run.config[key] = 1  # too long for the server's index: refused, not "away"
    run.config["next"] = 2
    run.finish()
    with runconfig.Api(store=pg_store) as api:
        assert api.run(run.id).config == {"next": 2}
    assert not list(Path(os.environ["RUNCONFIG_JOURNAL"]).rglob("*.db"))


def test_a_sweep_agent_rides_out_a_server_restart(pg_store: str) -> None:
    # The server restarts in the middle of the sweep (inside a trial): the agent's next
    # writes wait for it and go on with a new connection; every point runs exactly once.
    sweep_id = runconfig.sweep(
        {"method": "grid", "parameters": {"n": {"values": list(range(6))}}}, store=pg_store
    )
    seen: list[int] = []

    def train() -> None:
        run = runconfig.init()
        run.log({"loss": float(run.config.n)})
        seen.append(run.config.n)
        if run.config.n == 2:
            _server("restart")

    assert runconfig.agent(sweep_id, function=train, store=pg_store) == 6
    assert sorted(seen) == list(range(6))
    with runconfig.Api(pg_store) as api:
        runs = api.runs(where=f'run.sweep == "{sweep_id}"')
        assert sorted(r.config["n"] for r in runs) == list(range(6))
        assert api.sweep(sweep_id).state == "finished"
