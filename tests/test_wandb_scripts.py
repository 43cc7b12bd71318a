"""The corpus of wandb-style training scripts in ``tests/scripts``, each run two ways.

Each folder of ``tests/scripts`` is a small project whose ``train.py`` is written as wandb
users write theirs (argparse, absl flags, dataclasses, a sweep's parameter file,
``config-defaults.yaml``, resuming by environment, ``commit=False``, ``define_metric``,
Keras and Lightning callbacks...) and says ``import wandb``. It runs, in a copy of its
folder and against a fresh store (SQLite; PostgreSQL too for the unchanged script):

- ``import runconfig as wandb``: its ``import wandb`` lines rewritten (and ``from
  wandb.integration.X`` made ``from runconfig.integrations.X``), started with ``python``;
- ``runconfig run``: unchanged, started with ``runconfig run --store S -- python train.py``.

The script's last line of output is a JSON object of what it set: the config, the history
rows, the summary, the run's fields. The test reads the run back with ``runconfig.Api``
and compares, value for value and type for type.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import PG_URL, pg_execute, require_pg

from runconfig.api import Api, RunRecord

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = REPO / "tests" / "scripts"
_INSTALLED = Path(sys.executable).with_name("runconfig")
RUNCONFIG = [str(_INSTALLED)] if _INSTALLED.is_file() else [sys.executable, "-m", "runconfig"]


@dataclass(frozen=True)
class Case:
    """How a script of the corpus is started, and what it needs."""

    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)  # "{work}" is the script's folder
    runs: int = 1  # started this many times in a row (a resumed run: 2)
    first_exit: int = 0  # the exit status of every start but the last
    needs: tuple[str, ...] = ()  # modules that must import, else the case skips
    runconfig_module: str | None = None  # the runconfig module the script relies on
    only_under_run: str | None = None  # why it cannot run as `import runconfig as wandb`


CASES = {
    "argparse_mlp": Case(args=("--lr", "0.05", "--epochs", "4", "--hidden", "16", "8")),
    "absl_flags": Case(
        args=("--model=resnet34", "--learning_rate=0.2", "--milestones=1,2"), needs=("absl",)
    ),
    "dataclass_config": Case(),
    "sweep_params": Case(
        env={"WANDB_SWEEP_PARAM_PATH": "{work}/sweep-params.yaml", "WANDB_SWEEP_ID": "sw33p"},
        needs=("yaml",),
    ),
    "config_defaults": Case(needs=("yaml",)),
    "resume_env": Case(
        args=("--epochs", "6", "--preempt-at", "3"),
        env={"WANDB_RUN_ID": "preempt01", "WANDB_RESUME": "allow"},
        runs=2,
        first_exit=75,
    ),
    "commit_false": Case(),
    "define_metric": Case(),
    "nested_config": Case(),
    "alerts_and_fields": Case(),
    "nanogpt_style": Case(args=("--batch_size=8", "--wandb_run_name=gpt2-small")),
    "keras_callbacks": Case(
        needs=("keras", "torch"), runconfig_module="runconfig.integrations.keras"
    ),
    "lightning_callbacks": Case(
        needs=("lightning", "torch"),
        only_under_run="PyTorch Lightning imports wandb itself: it runs under `runconfig run`",
    ),
}

MODES = ("import runconfig as wandb", "runconfig run")

_IMPORT = re.compile(r"^(\s*)import wandb$", re.M)
_FROM_INTEGRATION = re.compile(r"^(\s*)from wandb\.integration\.(\w+) import", re.M)


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without runconfig's and wandb's variables, importing this checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNCONFIG_", "WANDB_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def as_runconfig(script: Path) -> None:
    """Rewrite ``script`` to say ``import runconfig as wandb`` instead of ``import wandb``."""
    text = script.read_text(encoding="utf-8")
    text, imports = _IMPORT.subn(r"\1import runconfig as wandb", text)
    text = _FROM_INTEGRATION.sub(r"\1from runconfig.integrations.\2 import", text)
    assert imports, f"{script} has no line 'import wandb'"
    script.write_text(text, encoding="utf-8")


def start(work: Path, mode: str, store: str, case: Case) -> subprocess.CompletedProcess[str]:
    """Start ``train.py`` in ``work`` once, the way ``mode`` says."""
    extra = {k: v.replace("{work}", str(work)) for k, v in case.env.items()}
    python = [sys.executable, "train.py", *case.args]
    if mode == "runconfig run":
        argv = [*RUNCONFIG, "run", "--store", store, "--", *python]
        env = clean_env(**extra)
    else:
        argv = python
        env = clean_env(RUNCONFIG_STORE=store, **extra)
    return subprocess.run(
        argv, cwd=work, env=env, capture_output=True, text=True, timeout=240, check=False
    )


def typed(value: Any) -> Any:
    """``value`` with the type of each leaf beside it, so that ``==`` tells 1 from 1.0."""
    if isinstance(value, Mapping):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


def public(row: Mapping[str, Any], keep: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``row`` without wandb's ``_`` keys, except those in ``keep``."""
    return {k: v for k, v in row.items() if not k.startswith("_") or k in (keep or {})}


def compare(record: RunRecord, expected: Mapping[str, Any]) -> None:
    """The stored run against what the script says it set."""
    assert typed(record.config) == typed(expected["config"])
    assert typed(public(record.summary)) == typed(expected["summary"])
    rows = record.history or []
    wanted = expected["history"]
    assert len(rows) == len(wanted), [public(r) for r in rows]
    assert [typed(public(r, w)) for r, w in zip(rows, wanted, strict=True)] == [
        typed(w) for w in wanted
    ]
    if not any("_step" in w for w in wanted):  # one row per step, from 0, in order
        assert [r["_step"] for r in rows] == list(range(len(rows)))
    for name in ("project", "id", "name", "notes", "group", "job_type", "state", "tags"):
        if name in expected:
            assert getattr(record, name) == expected[name], name
    if "alerts" in expected:
        alerts = record.meta.get("alerts", [])
        assert [{k: a[k] for k in ("title", "text", "level")} for a in alerts] == expected["alerts"]


# Every case both ways, except those that can only run under `runconfig run`; unchanged
# under `runconfig run`, on PostgreSQL too.
RUNS = [
    (name, mode, engine)
    for name in sorted(CASES)
    for mode in MODES
    for engine in ("sqlite", "postgresql")
    if (mode == "runconfig run" or not CASES[name].only_under_run)
    and (engine == "sqlite" or mode == "runconfig run")
]


@pytest.fixture
def engine_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The store of a case: a file, or a schema of its own on the PostgreSQL server."""
    if request.param == "sqlite":
        yield str(tmp_path / "runs.db")
        return
    require_pg()
    schema = f"rc_corpus_{uuid.uuid4().hex[:10]}"
    yield f"{PG_URL}?schema={schema}"
    pg_execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.mark.timeout(300)
@pytest.mark.parametrize(("name", "mode", "engine_store"), RUNS, indirect=["engine_store"])
def test_the_script_stores_what_it_set(
    name: str, mode: str, engine_store: str, tmp_path: Path
) -> None:
    case = CASES[name]
    for module in case.needs:  # looked up, not imported: the script imports it
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{name} needs {module}, which is not installed")
    if case.runconfig_module and importlib.util.find_spec(case.runconfig_module) is None:
        pytest.skip(f"{name} needs {case.runconfig_module}, which runconfig does not have yet")
    work = tmp_path / "work"
    shutil.copytree(SCRIPTS / name, work)
    if mode != "runconfig run":
        as_runconfig(work / "train.py")
    store = engine_store

    done = [start(work, mode, store, case) for _ in range(case.runs)]

    for first in done[:-1]:
        assert first.returncode == case.first_exit, first.stderr[-3000:]
    last = done[-1]
    assert last.returncode == 0, last.stderr[-3000:]
    expected = json.loads(last.stdout.strip().splitlines()[-1])
    with Api(store) as api:
        runs = api.runs()
        assert len(runs) == 1, [r.name for r in runs]
        record = api.run(runs[0].id)
    compare(record, expected)
    if case.runs > 1:
        assert expected["resumed"] is True
