"""Artifacts: versions by content, aliases, files kept once, lineage; both engines."""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
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


def b64md5(text: str) -> str:
    return base64.b64encode(hashlib.md5(text.encode()).digest()).decode()


def test_the_digest_is_wandbs(tmp_path: Path) -> None:
    art = runconfig.Artifact("data", type="dataset")
    art.add_file(write(tmp_path / "a.txt", "alpha"))
    art.add_file(write(tmp_path / "b.txt", "beta"), name="sub/b.txt")
    md5 = hashlib.md5(b"wandb-artifact-manifest-v1\n")
    md5.update(f"a.txt:{b64md5('alpha')}\n".encode())
    md5.update(f"sub/b.txt:{b64md5('beta')}\n".encode())
    assert art.digest == md5.hexdigest()
    assert art.manifest["a.txt"]["digest"] == b64md5("alpha")


def test_versions_follow_content_and_latest_moves(run_store: str, tmp_path: Path) -> None:
    run = runconfig.init(project="p", store=run_store)
    first = runconfig.Artifact("data", "dataset", metadata={"rows": 2})
    first.add_file(write(tmp_path / "d.csv", "x\n1\n"))
    run.log_artifact(first, aliases=["best"])
    assert (first.name, first.version, sorted(first.aliases)) == (
        "data:v0",
        "v0",
        ["best", "latest"],
    )
    same = runconfig.Artifact("data", "dataset")
    same.add_file(tmp_path / "d.csv")
    run.log_artifact(same)
    assert same.version == "v0"  # the same content is the same version
    changed = runconfig.Artifact("data", "dataset")
    changed.add_file(write(tmp_path / "d.csv", "x\n1\n2\n"))
    run.log_artifact(changed)
    assert changed.version == "v1"
    run.finish()
    with runconfig.Api(store=run_store) as api:
        assert api.artifact("data:latest").version == "v1"
        assert api.artifact("data").version == "v1"
        assert api.artifact("data:best").version == "v0"
        assert api.artifact("data:v0").metadata == {"rows": 2}
        assert api.artifact("p/data:v1").digest == changed.digest
        assert [a.name for a in api.artifacts(type_name="dataset")] == ["data:v0", "data:v1"]


def test_a_file_shared_by_versions_is_stored_once(run_store: str, tmp_path: Path) -> None:
    big = write(tmp_path / "weights.bin", "w" * 100_000)
    run = runconfig.init(project="p", store=run_store)
    for i in range(3):
        art = runconfig.Artifact("model", "model")
        art.add_file(big)
        art.add_file(write(tmp_path / f"notes{i}.txt", f"version {i}"), name="notes.txt")
        run.log_artifact(art)
    from runconfig._places import objects_root

    root = Path(objects_root(run._store.location if run._store else None))
    kept = sorted(p for p in root.rglob("*") if p.is_file())
    assert len(kept) == 4  # the weights once, three notes
    assert sum(p.stat().st_size for p in kept) < 100_000 + 100


def test_use_records_lineage_and_download_gives_the_files(run_store: str, tmp_path: Path) -> None:
    producer = runconfig.init(project="p", store=run_store, name="producer")
    art = runconfig.Artifact("data", "dataset")
    art.add_dir(tmp_path / write(tmp_path / "src" / "x" / "a.txt", "A").parent.parent)
    with art.new_file("notes/readme.md") as f:
        f.write("# data\n")
    art.add_reference("s3://bucket/raw/part-0.parquet")
    producer.log_artifact(art)
    producer.finish()
    consumer = runconfig.init(project="p", store=run_store, name="consumer")
    used = consumer.use_artifact("data:latest")
    folder = Path(used.download(root=tmp_path / "out"))
    assert (folder / "x" / "a.txt").read_text() == "A"
    assert (folder / "notes" / "readme.md").read_text() == "# data\n"
    assert not (folder / "part-0.parquet").exists()  # a reference is recorded, not fetched
    assert used.get_entry("part-0.parquet").ref == "s3://bucket/raw/part-0.parquet"
    assert Path(used.get_path("x/a.txt").download(tmp_path / "one")).read_text() == "A"
    consumer.finish()
    with runconfig.Api(store=run_store) as api:
        stored = api.artifact("data:v0")
        logger = stored.logged_by()
        assert logger is not None and logger.name == "producer"
        assert [r.name for r in stored.used_by()] == ["consumer"]
        assert [a.name for a in api.run(consumer.id).used_artifacts()] == ["data:v0"]
        assert [a.name for a in api.run(producer.id).logged_artifacts()] == ["data:v0"]


def test_files_added_mutable_are_copied_when_added(run_store: str, tmp_path: Path) -> None:
    path = write(tmp_path / "cfg.txt", "before")
    art = runconfig.Artifact("cfg", "config")
    art.add_file(path)
    path.write_text("after")  # changed after add_file: the artifact keeps what was added
    run = runconfig.init(project="p", store=run_store)
    run.log_artifact(art)
    got = run.use_artifact("cfg:v0").download(tmp_path / "dl")
    assert (Path(got) / "cfg.txt").read_text() == "before"


def test_log_artifact_of_a_path_and_models(run_store: str, tmp_path: Path) -> None:
    run = runconfig.init(project="p", store=run_store)
    art = runconfig.log_artifact(str(write(tmp_path / "ckpt.pt", "weights")), type="model")
    assert art.name == f"run-{run.id}-ckpt.pt:v0" and art.type == "model"  # wandb's name
    model = run.log_model(str(tmp_path / "ckpt.pt"), name="net", aliases=["prod"])
    assert sorted(model.aliases) == ["latest", "prod"]
    path = run.use_model("net:prod")
    assert Path(path).read_text() == "weights"
    linked = run.link_model(str(tmp_path / "ckpt.pt"), "registry-net")
    assert "registry-net" in linked.aliases


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda run, tmp: run.use_artifact("nope:latest"), "no artifact nope:latest"),
        (lambda run, tmp: run.use_artifact("data:v9"), "it has latest, v0"),
        (lambda run, tmp: run.use_artifact("data:v0", type="model"), "of type 'dataset'"),
        (lambda run, tmp: runconfig.Artifact("bad name", "t"), "artifact name 'bad name'"),
        (lambda run, tmp: runconfig.Artifact("ok", "a/b"), "artifact type 'a/b'"),
        (lambda run, tmp: runconfig.Artifact("ok", "t").add_file(tmp / "missing"), "is not a file"),
        (lambda run, tmp: run.log_artifact(str(tmp / "missing")), "does not exist"),
        (lambda run, tmp: run.log_artifact(run.use_artifact("data:v0")), "already logged"),
    ],
    ids=[
        "unknown name",
        "unknown alias",
        "wrong type",
        "bad name",
        "bad type",
        "missing file",
        "missing path",
        "logged twice",
    ],
)
def test_bad_artifact_calls_say_what_was_wrong(
    tmp_path: Path, action: object, message: str
) -> None:
    run = runconfig.init(project="p", store=str(tmp_path / "s.db"))
    art = runconfig.Artifact("data", "dataset")
    art.add_file(write(tmp_path / "d.txt", "d"))
    run.log_artifact(art)
    with pytest.raises(runconfig.Error, match=message):
        action(run, tmp_path)  # type: ignore[operator]


def test_a_logged_artifact_cannot_change(tmp_path: Path) -> None:
    run = runconfig.init(project="p", store=str(tmp_path / "s.db"))
    art = runconfig.Artifact("data", "dataset")
    art.add_file(write(tmp_path / "d.txt", "d"))
    run.log_artifact(art)
    with pytest.raises(UsageError, match="cannot change"):
        art.add_file(tmp_path / "d.txt", name="again.txt")
    art2 = runconfig.Artifact("data", "dataset")
    art2.add_file(tmp_path / "d.txt")
    with pytest.raises(ValueError, match="already has a file"):
        art2.add_file(tmp_path / "d.txt")


def wait_for_temporary(folder: Path, seconds: float = 30) -> None:
    """Until a file is being written in ``folder`` (a hidden ``.*.tmp``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if folder.exists() and any(folder.rglob(".*.tmp")):
            return
        time.sleep(0.002)
    raise AssertionError(f"nothing was written in {folder}")


def test_a_killed_log_artifact_leaves_no_half_version(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(256 << 20))
    code = textwrap.dedent(
        f"""
        import runconfig
        run = runconfig.init(project="p", store={str(store)!r})
        art = runconfig.Artifact("big", "dataset")
        art.add_file({str(big)!r}, policy="immutable")
        run.log_artifact(art)
        """
    )
    with subprocess.Popen([sys.executable, "-c", code], env=child_env()) as proc:
        wait_for_temporary(tmp_path / "objects")  # killed while the content is copied
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with runconfig.Api(store=str(store)) as api:
        assert api.artifacts() == []  # no version: its row comes after its files
    kept = [p for p in (tmp_path / "objects").rglob("*") if p.is_file()]
    assert all(p.name.startswith(".") and p.name.endswith(".tmp") for p in kept)


def test_a_disabled_run_logs_no_artifact_and_says_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = runconfig.init(mode="disabled")
    art = runconfig.Artifact("data", "dataset")
    art.add_file(write(tmp_path / "d.txt", "d"))
    assert run.log_artifact(art) is art and art.version is None
    assert capsys.readouterr().err == ""
    assert not (tmp_path / ".runconfig").exists()


def test_staging_folders_do_not_outlive_their_artifact(tmp_path: Path) -> None:
    import gc
    import tempfile

    before = set(Path(tempfile.gettempdir()).glob("runconfig-artifact-*"))
    art = runconfig.Artifact("never", "dataset")
    art.add_file(write(tmp_path / "d.txt", "d"))  # copied into a staging folder
    staged = set(Path(tempfile.gettempdir()).glob("runconfig-artifact-*")) - before
    assert len(staged) == 1
    del art
    gc.collect()
    assert not any(p.exists() for p in staged)


def test_a_postgresql_store_keeps_artifacts_where_any_working_directory_finds_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import PG_URL, pg_execute, require_pg

    require_pg()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    schema = f"rc_home_{uuid.uuid4().hex[:10]}"
    store = f"{PG_URL}?schema={schema}"
    try:
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        os.chdir(tmp_path / "a")
        run = runconfig.init(store=store)
        run.log_artifact(str(write(tmp_path / "w.bin", "weights")), name="wts", type="model")
        run.finish()
        os.chdir(tmp_path / "b")
        with runconfig.Api(store=store) as api:
            folder = Path(api.artifact("wts:latest").download())
        assert (folder / "w.bin").read_text() == "weights"
        assert (tmp_path / "home" / ".runconfig" / "objects").is_dir()
    finally:
        pg_execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
