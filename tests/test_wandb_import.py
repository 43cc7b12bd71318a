"""Importing wandb runs: run folders as wandb writes them, and ``runconfig import-wandb``.

The run folders are written here, in the shapes wandb gives them (see
/work/shared/reference/wandb-config-behaviour.md §7.5): wandb-core's ``config.yaml``
(sorted keys, 4-space indents, a ``_wandb`` block), the legacy form (``wandb_version: 1``,
``desc``), ``wandb-summary.json`` and ``wandb-metadata.json``. ``tests/data/wandb`` holds
the ``.wandb`` log of a real offline run made by wandb 0.31.
"""

from __future__ import annotations

import json
import shutil
import struct
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner, Result

from runconfig import wandb_import
from runconfig.api import Api
from runconfig.cli import main
from runconfig.wandb_import import (
    WandbImportError,
    find_run_dirs,
    import_wandb,
    read_run_dir,
)

DATA = Path(__file__).resolve().parent / "data" / "wandb"

CORE_CONFIG = """\
_wandb:
    value:
        cli_version: 0.31.0
        e:
            0193f6aa-7b4e-7c1e-9b2d-3c5e0f1a2b3c:
                args:
                    - --lr
                    - "0.00001"
                codePath: train.py
                host: gpu-7
                program: /home/me/mnist/train.py
                python: CPython 3.11.7
                root: /home/me/mnist
                startedAt: "2024-03-05T08:09:10.5Z"
        m: []
        python_version: 3.11.7
        t:
            "1":
                - 1
                - 5
                - 55
            "2":
                - 1
                - 5
                - 55
            "3":
                - 13
                - 16
a.b:
    value: 3
batch_size:
    value: 32
date:
    value: "2024-01-01"
dropout:
    value: 0.5
lr:
    value: 1e-05
model:
    value:
        arch: resnet
        depth: 50
        layers:
            - 64
            - 128
scheduler:
    value: null
"yes":
    value: "on"
"""

CORE_METADATA = {
    "os": "Linux-6.5.0-x86_64-with-glibc2.35",
    "python": "CPython 3.11.7",
    "startedAt": "2024-03-05T08:09:10.123456789Z",
    "args": ["--lr", "0.00001", "--name", "my run"],
    "program": "/home/me/mnist/train.py",
    "codePath": "train.py",
    "codePathLocal": "train.py",
    "git": {"remote": "git@github.com:me/mnist.git", "commit": "9f1c2d3e4b5a"},
    "email": "me@example.com",
    "root": "/home/me/mnist",
    "host": "gpu-7",
    "username": "me",
    "executable": "/usr/bin/python3",
    "cpu_count": 8,
}

SUMMARY = {
    "_runtime": 12.5,
    "_step": 99,
    "_timestamp": 1709626162.5,
    "_wandb": {"runtime": 12},
    "acc": 0.93,
    "loss": 0.1,
    "sample": {"_type": "image-file", "path": "media/images/sample.png"},
}

LEGACY_CONFIG = """\
wandb_version: 1

_wandb:
  desc: null
  value:
    cli_version: 0.12.21
    framework: torch
    is_jupyter_run: false
    python_version: 3.8.10
    start_time: 1620229168
    t:
      1: [1, 55]
lr:
  desc: learning rate
  value: 0.001
epochs:
  desc: null
  value: 10
"""

LEGACY_METADATA = {
    "os": "Linux-5.4.0-x86_64-with-glibc2.29",
    "python": "3.8.10",
    "heartbeatAt": "2021-05-05T15:40:00.000000",
    "startedAt": "2021-05-05T15:39:28.123456",
    "docker": None,
    "cuda": "11.1",
    "args": ["--epochs", "10"],
    "state": "running",
    "program": "train.py",
    "codePath": "train.py",
    "git": {"remote": "https://github.com/me/mnist.git", "commit": "abc123"},
    "email": None,
    "root": "/home/me/mnist",
    "host": "desk",
    "username": "me",
    "executable": "/usr/bin/python3",
}


def write_run(
    wandb_dir: Path,
    run_id: str,
    config: str = CORE_CONFIG,
    *,
    summary: dict[str, Any] | None = SUMMARY,
    metadata: dict[str, Any] | None = CORE_METADATA,
    stamp: str = "20240305_080910",
) -> Path:
    """A synced run folder: files/config.yaml, wandb-summary.json, wandb-metadata.json."""
    folder = wandb_dir / f"run-{stamp}-{run_id}"
    files = folder / "files"
    files.mkdir(parents=True)
    (files / "config.yaml").write_text(config)
    if summary is not None:
        (files / "wandb-summary.json").write_text(json.dumps(summary))
    if metadata is not None:
        (files / "wandb-metadata.json").write_text(json.dumps(metadata, indent=4))
    (files / "requirements.txt").write_text("torch==2.2.0\n")
    (folder / "logs").mkdir()
    return folder


def write_offline_run(wandb_dir: Path, run_id: str, stamp: str = "20240305_090000") -> Path:
    """An offline run folder: only the binary log holds the config (here: a copy of a
    real one, renamed)."""
    folder = wandb_dir / f"offline-run-{stamp}-{run_id}"
    (folder / "files").mkdir(parents=True)
    real = next(DATA.glob("offline-run-*/run-*.wandb"))
    shutil.copy(real, folder / f"run-{run_id}.wandb")
    return folder


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RUNCONFIG_STORE", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    work = tmp_path / "project"
    work.mkdir()
    monkeypatch.chdir(work)


@pytest.fixture
def no_wandb(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the wandb package were not installed."""
    monkeypatch.setattr(wandb_import, "_wandb_proto", lambda: None)


def invoke(args: Sequence[str]) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# -- finding run folders --------------------------------------------------------------------
def test_a_path_is_a_run_folder_a_wandb_folder_or_the_folder_above(tmp_path: Path) -> None:
    wandb_dir = tmp_path / "mnist" / "wandb"
    first = write_run(wandb_dir, "aaa111", stamp="20240101_000000")
    second = write_run(wandb_dir, "bbb222", stamp="20240102_000000")
    (wandb_dir / "latest-run").symlink_to(second, target_is_directory=True)
    (wandb_dir / "debug.log").write_text("")
    assert find_run_dirs(first) == [first]
    assert find_run_dirs(wandb_dir) == [first, second]
    assert find_run_dirs(tmp_path / "mnist") == [first, second]
    assert find_run_dirs(wandb_dir / "latest-run") == [wandb_dir / "latest-run"]
    assert find_run_dirs(tmp_path) == []
    with pytest.raises(WandbImportError, match="is a file"):
        find_run_dirs(wandb_dir / "debug.log")


# -- reading a run folder -------------------------------------------------------------------
def test_a_wandb_core_run_folder_becomes_a_complete_run(tmp_path: Path, no_wandb: None) -> None:
    run = read_run_dir(write_run(tmp_path / "wandb", "k3x9q2ab"))
    assert run.id == "k3x9q2ab" and run.name == "k3x9q2ab"
    assert run.project == "uncategorized" and run.state == "finished" and run.exit_code == 0
    assert run.config == {
        "a.b": 3,
        "batch_size": 32,
        "date": "2024-01-01",
        "dropout": 0.5,
        "lr": 1e-05,
        "model": {"arch": "resnet", "depth": 50, "layers": [64, 128]},
        "scheduler": None,
        "yes": "on",
    }
    assert type(run.config["lr"]) is float
    assert run.origins["lr"] == "wandb config.yaml" and run.origins["`a.b`"] == "wandb config.yaml"
    assert run.summary == {
        "acc": 0.93,
        "loss": 0.1,
        "sample": {"_type": "image-file", "path": "media/images/sample.png"},
    }
    assert run.created_at == "2024-03-05T08:09:10.123456+00:00"
    assert run.finished_at == "2024-03-05T08:09:22.500000+00:00"
    assert run.argv == ["train.py", "--lr", "0.00001", "--name", "my run"]
    assert run.program == "/home/me/mnist/train.py"
    assert (run.python, run.host, run.user, run.cwd, run.git_commit) == (
        "3.11.7",
        "gpu-7",
        "me",
        "/home/me/mnist",
        "9f1c2d3e4b5a",
    )


def test_a_legacy_run_folder_keeps_its_notes(tmp_path: Path, no_wandb: None) -> None:
    folder = write_run(tmp_path / "wandb", "old1", LEGACY_CONFIG, metadata=LEGACY_METADATA)
    run = read_run_dir(folder, project="mnist")
    assert run.config == {"lr": 0.001, "epochs": 10}
    assert run.descs == {"lr": "learning rate"}
    assert run.project == "mnist"
    assert run.created_at == "2021-05-05T15:39:28.123456+00:00"
    assert run.argv == ["train.py", "--epochs", "10"] and run.python == "3.8.10"


def test_without_metadata_the_environment_comes_from_the_wandb_block(
    tmp_path: Path, no_wandb: None
) -> None:
    run = read_run_dir(write_run(tmp_path / "wandb", "nometa", metadata=None, summary=None))
    assert run.created_at == "2024-03-05T08:09:10.500000+00:00"
    assert run.argv == ["train.py", "--lr", "0.00001"] and run.host == "gpu-7"
    assert run.summary == {} and run.finished_at is None


def test_a_plain_config_yaml_is_read_as_it_is(tmp_path: Path, no_wandb: None) -> None:
    plain = "lr: 0.1\ntrain:\n  epochs: 4\n"
    run = read_run_dir(write_run(tmp_path / "wandb", "plain1", plain, metadata=None))
    assert run.config == {"lr": 0.1, "train": {"epochs": 4}}
    assert run.created_at.startswith("2024-03-05T")  # from the folder's name


def test_a_broken_config_yaml_is_an_import_error(tmp_path: Path, no_wandb: None) -> None:
    folder = write_run(tmp_path / "wandb", "broken", "lr: [1, 2\n")
    with pytest.raises(WandbImportError, match=r"config\.yaml is not valid YAML"):
        read_run_dir(folder)


def test_an_offline_run_without_wandb_says_what_is_missing(tmp_path: Path, no_wandb: None) -> None:
    folder = write_offline_run(tmp_path / "wandb", "off123")
    with pytest.raises(WandbImportError) as caught:
        read_run_dir(folder)
    assert str(caught.value) == (
        "offline run; its config is only in run-off123.wandb; install wandb to import it"
    )


def test_an_offline_run_is_read_from_its_log_with_wandb(tmp_path: Path) -> None:
    pytest.importorskip("wandb.proto.wandb_internal_pb2")
    wandb_import._wandb_proto.cache_clear()
    run = read_run_dir(next(DATA.glob("offline-run-*")))
    assert (run.id, run.name, run.project, run.tags, run.state) == (
        "fbew6p31",
        "offline-otter",
        "mnist",
        ["base"],
        "finished",
    )
    assert run.config == {
        "lr": 0.01,
        "model": {"depth": 50, "arch": "resnet"},
        "dotted.key": 3,
        "f": 2.0,
        "epochs": 4,
    }
    assert run.summary == {"loss": 0.3333333333333333, "acc": 0.7}
    assert run.argv == ["train.py", "--lr", "0.01"]


def test_a_synced_run_takes_its_name_project_and_tags_from_its_log_with_wandb(
    tmp_path: Path,
) -> None:
    pytest.importorskip("wandb.proto.wandb_internal_pb2")
    wandb_import._wandb_proto.cache_clear()
    folder = write_run(tmp_path / "wandb", "fbew6p31")
    shutil.copy(next(DATA.glob("offline-run-*/run-*.wandb")), folder / "run-fbew6p31.wandb")
    run = read_run_dir(folder)
    assert (run.id, run.name, run.project, run.tags) == (
        "fbew6p31",
        "offline-otter",
        "mnist",
        ["base"],
    )
    assert run.config["batch_size"] == 32  # the files win over the log
    assert run.created_at == "2024-03-05T08:09:10.123456+00:00"
    assert read_run_dir(folder, project="other").project == "other"


# -- the .wandb log, without wandb ----------------------------------------------------------------
BLOCK = 32768


def write_log(path: Path, bodies: list[bytes]) -> None:
    """A LevelDB log as wandb writes it: header, then records framed within 32 KiB blocks."""
    out = bytearray(b":W&B" + struct.pack("<HB", 0xBEE1, 0))
    for body in bodies:
        first = True
        while True:
            left = BLOCK - len(out) % BLOCK
            if left < 7:
                out += b"\0" * left
                continue
            chunk, body = body[: left - 7], body[left - 7 :]
            kind = (1 if not body else 2) if first else (4 if not body else 3)
            out += struct.pack("<IHB", 0, len(chunk), kind) + chunk
            first = False
            if not body:
                break
    path.write_bytes(bytes(out))


def test_log_records_span_blocks_and_skip_padding(tmp_path: Path) -> None:
    bodies = [b"a" * 10, b"b" * 40000, b"c" * (BLOCK - 7 - 7 - 3), b"d", b"e" * 70000]
    path = tmp_path / "run-x.wandb"
    write_log(path, bodies)
    assert list(wandb_import._log_records(path)) == bodies


def test_a_file_that_is_not_a_wandb_log_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "run-x.wandb"
    path.write_bytes(b"PK\x03\x04 not a log")
    with pytest.raises(WandbImportError, match="not a wandb log"):
        list(wandb_import._log_records(path))


class _FakeRecords:
    """wandb's protobuf Record, as far as the reader uses it, over JSON bodies."""

    class Record:
        def ParseFromString(self, data: bytes) -> None:
            raw = json.loads(data)
            self.kind = raw["kind"]
            setattr(self, self.kind, _namespace(raw["body"]))

        def WhichOneof(self, name: str) -> str:
            return str(self.kind)


def _namespace(value: Any) -> Any:
    if isinstance(value, dict):
        ns = SimpleNamespace(**{k: _namespace(v) for k, v in value.items()})
        ns.HasField = lambda name: name in value
        return ns
    if isinstance(value, list):
        return [_namespace(v) for v in value]
    return value


def item(*path: str, value: Any = None) -> dict[str, Any]:
    return {"key": "", "nested_key": list(path), "value_json": json.dumps(value)}


def test_the_log_reader_merges_updates_and_reads_the_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wandb_import, "_wandb_proto", lambda: _FakeRecords)
    run_body = {
        "run_id": "fake1", "display_name": "quiet-lynx-3", "project": "cifar", "run_group": "",
        "job_type": "train", "notes": "", "tags": ["a"], "host": "h",
        "start_time": {"seconds": 1700000000, "nanos": 500000000},
        "config": {"update": [item("_wandb", value={}), item("opt", value={"name": "adam"})]},
        "summary": {"update": []},
    }  # fmt: skip
    records = [
        {"kind": "header", "body": {}},
        {"kind": "run", "body": run_body},
        {"kind": "config", "body": {"update": [item("opt", value={"beta": 0.9})], "remove": []}},
        {"kind": "config", "body": {"update": [item("x", value=1)], "remove": [item("x")]}},
        {"kind": "summary", "body": {"update": [item("acc", value=0.5)], "remove": []}},
        {"kind": "summary", "body": {"update": [item("_step", value=3)], "remove": []}},
        {"kind": "exit", "body": {"exit_code": 2}},
    ]
    folder = tmp_path / "wandb" / "offline-run-20231114_221320-fake1"
    folder.mkdir(parents=True)
    write_log(folder / "run-fake1.wandb", [json.dumps(r).encode() for r in records])
    run = read_run_dir(folder)
    assert (run.name, run.project, run.job_type, run.tags) == (
        "quiet-lynx-3",
        "cifar",
        "train",
        ["a"],
    )
    assert run.config == {"opt": {"name": "adam", "beta": 0.9}}
    assert run.summary == {"acc": 0.5}
    assert (run.state, run.exit_code) == ("failed", 2)
    assert run.created_at == "2023-11-14T22:13:20.500000+00:00"
    assert run.origins == {"opt": "wandb run-fake1.wandb"}


# -- runconfig import-wandb -------------------------------------------------------------------
def test_import_wandb_imports_a_folder_of_runs_into_a_new_store(
    tmp_path: Path, no_wandb: None
) -> None:
    wandb_dir = Path.cwd() / "wandb"
    write_run(wandb_dir, "aaa111", stamp="20240101_000000")
    write_run(wandb_dir, "bbb222", LEGACY_CONFIG, metadata=LEGACY_METADATA, stamp="20240102_000000")
    result = invoke(["import-wandb", ".", "--project", "mnist"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("imported 2 runs into ")
    assert (Path.cwd() / ".runconfig" / "runs.db").exists()
    with Api() as api:
        runs = api.runs(order="run.id")
        assert [(r.id, r.project) for r in runs] == [("aaa111", "mnist"), ("bbb222", "mnist")]
        assert api.run("aaa111").command == "python train.py --lr 0.00001 --name 'my run'"
        assert [r.id for r in api.runs(where="model.depth == 50 and summary.acc > 0.9")] == [
            "aaa111"
        ]
    shown = invoke(["show", "bbb222"]).stdout
    assert "lr: 0.001  # learning rate" in shown


def test_importing_again_skips_the_runs_already_there_or_replaces_them(
    tmp_path: Path, no_wandb: None
) -> None:
    wandb_dir = tmp_path / "wandb"
    write_run(wandb_dir, "aaa111")
    store = str(tmp_path / "runs.db")
    assert invoke(["import-wandb", str(wandb_dir), "--store", store]).exit_code == 0
    again = invoke(["import-wandb", str(wandb_dir), "--store", store])
    assert again.exit_code == 0
    assert "skipped run aaa111 (aaa111): already in the store" in again.stderr
    assert again.stdout.startswith("imported 0 runs") and "1 skipped" in again.stdout
    replaced = invoke(["import-wandb", str(wandb_dir), "--store", store, "--replace"])
    assert replaced.stdout.startswith("imported 1 runs") and "1 replaced" in replaced.stdout
    with Api(store) as api:
        assert len(api.runs()) == 1


def test_offline_runs_are_skipped_in_one_line_without_wandb(tmp_path: Path, no_wandb: None) -> None:
    wandb_dir = tmp_path / "wandb"
    write_run(wandb_dir, "aaa111")
    offline = write_offline_run(wandb_dir, "off123")
    result = invoke(["import-wandb", str(wandb_dir), "--store", str(tmp_path / "runs.db")])
    assert result.exit_code == 0
    assert result.stderr == (
        f"skipped {offline}: offline run; its config is only in run-off123.wandb; "
        "install wandb to import it\n"
    )
    assert result.stdout.startswith("imported 1 runs") and "1 skipped" in result.stdout


def test_a_folder_without_runs_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = invoke(["import-wandb", str(empty), "--store", str(tmp_path / "runs.db")])
    assert result.exit_code == 1
    assert f"no wandb runs in {empty}" in result.stderr
    assert "Error: no wandb runs found" in result.stderr


def test_import_wandb_is_fast_in_bulk(tmp_path: Path, no_wandb: None) -> None:
    wandb_dir = tmp_path / "wandb"
    config = CORE_CONFIG
    for i in range(1000):
        write_run(wandb_dir, f"run{i:05d}", config, stamp=f"20240101_{i // 60:04d}{i % 60:02d}")
    with Api(tmp_path / "runs.db", create=True) as api:
        started = time.perf_counter()
        report = import_wandb([wandb_dir], api)
        seconds = time.perf_counter() - started
        assert (report.found, report.imported) == (1000, 1000)
        assert len(api.runs(where="lr < 0.001", limit=5)) == 5
    assert 1000 / seconds > 100, f"{1000 / seconds:.0f} runs/s"


def test_legacy_yaml_quirks_read_as_wandb_meant_them(tmp_path: Path, no_wandb: None) -> None:
    config = textwrap.dedent(
        """\
        when:
            value: 2024-01-01
        octal:
            value: 012
        sexagesimal:
            value: 1:20
        switch:
            value: on
        exp:
            value: 1E+3
        inf:
            value: -.inf
        """
    )
    run = read_run_dir(write_run(tmp_path / "wandb", "quirks", config))
    assert run.config == {
        "when": "2024-01-01",
        "octal": 12,
        "sexagesimal": "1:20",
        "switch": "on",
        "exp": 1000.0,
        "inf": float("-inf"),
    }
