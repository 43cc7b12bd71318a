"""The seed's examples, each run unchanged (``import runconfig as wandb``) in a fresh
interpreter, in a temporary directory; then we read back what was stored."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import runconfig

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "seed"
TESTS = ROOT / "tests"


def run_example(tmp_path: Path, script: str, *args: str, files: tuple[str, ...] = ()) -> Any:
    shutil.copy(SEED / script, tmp_path / script)
    for name in files:
        shutil.copy(SEED / name, tmp_path / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNCONFIG_", "WANDB_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), str(TESTS / "tf_stub")])
    proc = subprocess.run(
        [sys.executable, script, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    with runconfig.Api(store=tmp_path / ".runconfig" / "runs.db") as api:
        (run,) = api.runs()
    assert run.state == "finished"
    return run


def test_config_set_before_init_is_carried_into_the_run(tmp_path: Path) -> None:
    run = run_example(tmp_path, "basic.py")
    assert run.config == {"epochs": 4}
    assert run.origins["epochs"] == "basic.py:3"


def test_config_given_to_init_is_stored(tmp_path: Path) -> None:
    run = run_example(tmp_path, "init_config.py")
    assert run.config == {"epochs": 4, "batch_size": 32}
    assert run.origins == {"epochs": "init", "batch_size": "init"}


def test_nested_item_assignment_creates_the_parent(tmp_path: Path) -> None:
    run = run_example(tmp_path, "nested.py")
    assert run.config == {"train": {"epochs": 4}}


def test_absl_flags_are_added_without_absl_own_flags(tmp_path: Path) -> None:
    run = run_example(tmp_path, "absl_flags.py")
    assert run.config == {"model": None}
    assert run.origins["model"] == "absl --model"


def test_argparse_namespace_is_added_with_its_option_as_origin(tmp_path: Path) -> None:
    run = run_example(tmp_path, "argparse_flags.py", "--batch-size", "16")
    assert run.config == {"epochs": 4, "batch_size": 16}
    assert run.origins["batch_size"] == "argparse --batch-size"
    assert run.origins["epochs"] == "argparse_flags.py:5"
    assert run.argv[1:] == ["--batch-size", "16"]


def test_argparse_default_is_stored_when_the_option_is_not_given(tmp_path: Path) -> None:
    run = run_example(tmp_path, "argparse_flags.py")
    assert run.config["batch_size"] == 8


def test_tensorflow_legacy_flags_are_added(tmp_path: Path) -> None:
    run = run_example(tmp_path, "tensorflow_flags.py", "--batch_size", "64")
    assert run.config == {"data_dir": "/tmp/data", "batch_size": 64}


def test_yaml_file_given_to_init_is_loaded_with_its_lines_and_notes(tmp_path: Path) -> None:
    run = run_example(tmp_path, "yaml_file.py", files=("my_config_file.yaml",))
    assert run.config == {"learning_rate": 0.01, "optimizer": "adam"}
    assert run.origins["learning_rate"] == "my_config_file.yaml:3"
    assert run.origins["optimizer"] == "my_config_file.yaml:5"
    assert run.descs == {"learning_rate": "step size of the optimizer"}


def test_config_defaults_yaml_is_loaded_below_everything_else(tmp_path: Path) -> None:
    (tmp_path / "config-defaults.yaml").write_text(
        "epochs:\n  desc: passes over the data\n  value: 10\ndropout:\n  value: 0.1\n"
    )
    run = run_example(tmp_path, "basic.py")
    assert run.config == {"epochs": 4, "dropout": 0.1}
    assert run.origins["dropout"] == "config-defaults.yaml:5"
    assert run.origins["epochs"] == "basic.py:3"


@pytest.mark.parametrize("script", sorted(p.name for p in SEED.glob("*.py")))
def test_every_seed_example_starts_with_the_wandb_import(script: str) -> None:
    first = (SEED / script).read_text().splitlines()[0]
    assert first == "import runconfig as wandb"
