"""A run's files: save() with its three policies, restore(), the records in the store."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import child_env

import runconfig
from runconfig.errors import UsageError

pytestmark = pytest.mark.usefixtures("no_run")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def recorded(run_store: str, run_id: str) -> dict[str, tuple[str, int, str]]:
    with runconfig.Api(store=run_store) as api:
        return {f.path: (f.kind, f.size, f.sha256) for f in api.files(run_id)}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_save_now_copies_files_at_their_paths_and_records_them(
    run_store: str, tmp_path: Path
) -> None:
    write(tmp_path / "ckpt" / "a.pt", "A")
    write(tmp_path / "ckpt" / "b.pt", "BB")
    write(tmp_path / "ckpt" / "notes.txt", "no")
    run = runconfig.init(store=run_store)
    saved = runconfig.save("ckpt/*.pt", policy="now")
    assert [Path(p).relative_to(run.dir).as_posix() for p in saved] == ["ckpt/a.pt", "ckpt/b.pt"]
    assert (Path(run.dir) / "ckpt" / "b.pt").read_text() == "BB"
    assert recorded(run_store, run.id) == {
        "ckpt/a.pt": ("file", 1, sha("A")),
        "ckpt/b.pt": ("file", 2, sha("BB")),
    }
    run.finish()


def test_base_path_and_absolute_globs_choose_the_folders_kept(tmp_path: Path) -> None:
    write(tmp_path / "out" / "exp" / "m.h5", "m")
    run = runconfig.init(store=str(tmp_path / "s.db"))
    a = run.save(str(tmp_path / "out" / "exp" / "m.h5"), policy="now")
    b = run.save("out/exp/m.h5", base_path="out", policy="now")
    assert Path(a[0]).relative_to(run.dir).as_posix() == "exp/m.h5"  # one folder level
    assert Path(b[0]).relative_to(run.dir).as_posix() == "exp/m.h5"
    with pytest.raises(ValueError, match="not a folder above it"):
        run.save("out/exp/m.h5", base_path="elsewhere")


def test_live_files_are_copied_again_when_they_change(run_store: str, tmp_path: Path) -> None:
    log = write(tmp_path / "train.log", "epoch 1\n")
    run = runconfig.init(store=run_store)
    run.save("train.log")  # live, the default
    log.write_text("epoch 1\nepoch 2\n")
    run.finish()  # the last change is copied at the end at the latest
    assert (Path(run.dir) / "train.log").read_text() == "epoch 1\nepoch 2\n"
    assert recorded(run_store, run.id)["train.log"][2] == sha("epoch 1\nepoch 2\n")


def test_end_files_are_copied_when_the_run_finishes(tmp_path: Path) -> None:
    final = write(tmp_path / "final.txt", "draft")
    gone = write(tmp_path / "gone.txt", "x")
    run = runconfig.init(store=str(tmp_path / "s.db"))
    run.save("final.txt", policy="end")
    run.save("gone.txt", policy="end")
    assert not (Path(run.dir) / "final.txt").exists()
    final.write_text("done")
    gone.unlink()
    run.finish()
    assert (Path(run.dir) / "final.txt").read_text() == "done"
    assert set(recorded(str(tmp_path / "s.db"), run.id)) == {"final.txt"}


def test_files_written_into_the_run_folder_are_recorded_at_finish(run_store: str) -> None:
    run = runconfig.init(store=run_store)
    write(Path(run.dir) / "model.pt", "weights")
    run.finish()
    assert recorded(run_store, run.id) == {"model.pt": ("file", 7, sha("weights"))}


def test_a_symlink_out_of_the_base_path_is_not_followed(tmp_path: Path) -> None:
    secret = write(tmp_path / "elsewhere" / "secret.txt", "s")
    write(tmp_path / "work" / "ok.txt", "ok")
    (tmp_path / "work" / "link.txt").symlink_to(secret)
    run = runconfig.init(store=str(tmp_path / "s.db"))
    saved = run.save("work/*.txt", base_path="work", policy="now")
    assert [Path(p).name for p in saved] == ["ok.txt"]
    assert not (Path(run.dir) / "link.txt").exists()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda run: run.save("missing.txt"), "no such file"),
        (lambda run: run.save("*.txt", policy="sometimes"), "the policies are"),
        (lambda run: run.save("s3://bucket/x"), "a cloud URL"),
        (lambda run: run.restore("nope.txt"), "has no file 'nope.txt'"),
    ],
    ids=["missing", "bad policy", "cloud url", "restore unknown"],
)
def test_bad_file_calls_say_what_was_wrong(tmp_path: Path, call: object, message: str) -> None:
    run = runconfig.init(store=str(tmp_path / "s.db"))
    with pytest.raises(runconfig.Error, match=message):
        call(run)  # type: ignore[operator]


def test_restore_brings_a_file_of_another_run_back(run_store: str, tmp_path: Path) -> None:
    write(tmp_path / "model.ckpt", "v1 weights")
    first = runconfig.init(store=run_store, project="p")
    first.save("model.ckpt", policy="now")
    first.finish()
    os.chdir(tmp_path / "..")
    second = runconfig.init(store=run_store, project="p")
    with second.restore("model.ckpt", run_path=first.path) as f:
        assert f.read() == "v1 weights"
    assert (Path(second.dir) / "model.ckpt").read_text() == "v1 weights"
    second.finish()
    with runconfig.restore("model.ckpt", run_path=first.url, root=str(tmp_path / "r")) as f:
        assert f.read() == "v1 weights"  # also before init, by the run's url


def test_restore_keeps_a_file_already_there_unless_replace(tmp_path: Path) -> None:
    store = str(tmp_path / "s.db")
    write(tmp_path / "w.txt", "stored")
    run = runconfig.init(store=store)
    run.save("w.txt", policy="now")
    write(tmp_path / "dest" / "w.txt", "local")
    with run.restore("w.txt", root=str(tmp_path / "dest")) as f:
        assert f.read() == "local"
    with run.restore("w.txt", root=str(tmp_path / "dest"), replace=True) as f:
        assert f.read() == "stored"


def test_restore_before_init_needs_a_run_path() -> None:
    with pytest.raises(UsageError, match="run_path"):
        runconfig.restore("x.txt")


def test_a_killed_save_leaves_no_half_file_in_the_run_folder(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(256 << 20))
    store = tmp_path / "s.db"
    code = textwrap.dedent(
        f"""
        import runconfig
        run = runconfig.init(store={str(store)!r})
        print(run.dir, flush=True)
        run.save({str(big)!r}, base_path={str(tmp_path)!r}, policy="live")
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", code], env=child_env(), stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        folder = Path(proc.stdout.readline().strip())
        deadline = time.monotonic() + 30
        while not any(folder.glob(".*.tmp")) and time.monotonic() < deadline:
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)  # while the file is being copied
        proc.wait()
    assert not (folder / "big.bin").exists()
    with runconfig.Api(store=str(store)) as api:
        run = api.runs()[0]
        assert run.state == "crashed" and api.files(run) == []


def test_a_symlinked_folder_out_of_the_base_path_is_not_followed(tmp_path: Path) -> None:
    write(tmp_path / "outside" / "secret.txt", "s")
    write(tmp_path / "base" / "ok.txt", "ok")
    (tmp_path / "base" / "linkdir").symlink_to(tmp_path / "outside")
    run = runconfig.init(store=str(tmp_path / "s.db"))
    saved = run.save("base/*.txt", base_path="base", policy="now")
    saved += run.save("base/linkdir/*", base_path="base", policy="now")
    assert [Path(p).name for p in saved] == ["ok.txt"]
    assert not (Path(run.dir) / "linkdir").exists()


def test_runconfig_rm_removes_the_run_folder(tmp_path: Path) -> None:
    write(tmp_path / "f.txt", "f")
    store = str(tmp_path / "s.db")
    run = runconfig.init(store=store)
    run.save("f.txt", policy="now")
    run.finish()
    folder = Path(run.dir)
    assert (folder / "f.txt").is_file()
    with runconfig.Api(store=store) as api:
        assert api.delete([api.run(run.id)]) == 1
    assert not folder.exists()
