"""The ``runconfig`` command, through its real entry point.

Most tests drive ``runconfig.cli.main`` (the click group) with click's CliRunner; a few
start ``python -m runconfig`` and the ``runconfig`` console script as processes. Stores
are made by real runs (``runconfig.init`` in a child process: origins, argv, notes) or by
the store's bulk path (chosen ids, names, times and values).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from conftest import fill, make_run

from runconfig.api import Api, diff
from runconfig.cli import cli, main

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("RUNCONFIG_STORE", "RUNCONFIG_MODE", "RUNCONFIG_SWEEP_PARAMS", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)


def invoke(args: Sequence[str], input: str | None = None, **env: str) -> Result:
    return CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)


def ok(args: Sequence[str], input: str | None = None, **env: str) -> Result:
    result = invoke(args, input, **env)
    assert result.exit_code == 0, result.output
    return result


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNCONFIG_", "WANDB_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


@pytest.fixture
def three(tmp_path: Path) -> str:
    """Three runs of project p; lr, optimizer and a nested key vary, epochs does not."""
    return fill(
        str(tmp_path / "runs.db"),
        [
            make_run(1, config={"lr": 0.1, "optimizer": "sgd", "epochs": 5,
                                "train": {"warmup": 100}, "a.b": 1},
                     summary={"val_loss": 0.5, "acc": 0.7, "_runtime": 3}),
            make_run(2, config={"lr": 0.01, "optimizer": "adam", "epochs": 5, "a.b": 2},
                     summary={"val_loss": 0.3, "acc": 0.8}, tags=["baseline"]),
            make_run(3, config={"lr": 1, "optimizer": "adam", "epochs": 5,
                                "train": {"warmup": 100}, "a.b": 1},
                     summary={"acc": 0.9}, state="failed"),
        ],
    )  # fmt: skip


TRAIN = """\
import argparse, runconfig
parser = argparse.ArgumentParser()
parser.add_argument("-b", "--batch-size", type=int, default=8)
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--name")
args = parser.parse_args()
run = runconfig.init(project="mnist", name=args.name, config={"optimizer": "adam", "f": 2.0})
runconfig.config.update(args)
run.log({"loss": 0.25})
runconfig.finish()
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Two real runs of train.py (argparse, a config-defaults.yaml with a note)."""
    folder = tmp_path_factory.mktemp("trained")
    (folder / "train.py").write_text(TRAIN)
    (folder / "config-defaults.yaml").write_text(
        "wd:\n  desc: weight decay, per step\n  value: 0.0001\n"
    )
    store = str(folder / "runs.db")
    for args in (["--lr", "0.01", "--name", "calm-heron"], ["-b", "16", "--name", "swift otter"]):
        subprocess.run(
            [sys.executable, "train.py", *args],
            cwd=folder,
            env=child_env(RUNCONFIG_STORE=store),
            check=True,
            capture_output=True,
            timeout=120,
        )
    return store


# -- every command helps, with an example, and is documented ---------------------------------
def commands() -> list[tuple[str, click.Command]]:
    assert isinstance(cli, click.Group)
    return sorted(cli.commands.items())


def test_main_is_the_click_group() -> None:
    assert main is cli and isinstance(main, click.Group)
    assert {name for name, _ in commands()} == {
        "agent", "artifact", "artifacts", "diff", "export", "files", "import-wandb",
        "init-store", "rm", "run", "runs", "show", "sweep", "sweeps", "sync", "tag", "ui",
    }  # fmt: skip


@pytest.mark.parametrize("name", [name for name, _ in commands()])
def test_every_command_has_help_with_an_example(name: str) -> None:
    result = ok([name, "--help"])
    assert "Examples:" in result.output
    assert re.search(rf"^\s+runconfig {name} ", result.output, re.M), result.output
    assert "--store" in result.output


@pytest.mark.parametrize("name", [name for name, _ in commands()])
def test_every_command_and_option_is_documented(name: str) -> None:
    docs = (REPO / "docs" / "cli.md").read_text()
    section = re.search(rf"^## `?runconfig {name}\b.*?(?=^## |\Z)", docs, re.M | re.S)
    assert section, f"docs/cli.md has no '## runconfig {name}' section"
    command = dict(commands())[name]
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.opts[0] in section.group(0), f"{param.opts[0]} of {name} undocumented"


def test_the_group_help_lists_every_command() -> None:
    result = ok(["--help"])
    for name, _ in commands():
        assert name in result.output


# -- runs -----------------------------------------------------------------------------------------
def table_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


def test_runs_table_shows_the_config_keys_that_vary_and_the_summary(three: str) -> None:
    result = ok(["runs", "--store", three])
    header, rule, *rows = table_lines(result.stdout)
    assert header.split() == [
        "name", "state", "created", "lr", "optimizer", "train.warmup", "`a.b`",
        "summary.acc", "summary.val_loss",
    ]  # fmt: skip
    assert set(rule) == {"─"}
    assert [row.split()[0] for row in rows] == ["run-3", "run-2", "run-1"]
    assert "epochs" not in header  # the same in every run
    assert "_runtime" not in header
    assert rows[0].split()[:2] == ["run-3", "failed"]
    assert re.search(r"run-2\s+finished\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+0\.01\s+adam\s+2", rows[1])
    assert result.stderr == ""


def test_runs_where_order_and_project(three: str) -> None:
    result = ok(["runs", "--store", three, "--where", 'optimizer == "adam"', "--order", "lr"])
    assert [row.split()[0] for row in table_lines(result.stdout)[2:]] == ["run-2", "run-3"]
    result = ok(["runs", "--store", three, "--order", "summary.val_loss", "-p", "p"])
    assert [row.split()[0] for row in table_lines(result.stdout)[2:]] == [
        "run-2", "run-1", "run-3",  # run-3 has no val_loss: last
    ]  # fmt: skip


def test_a_bad_query_prints_one_error_and_a_caret_and_exits_1(three: str) -> None:
    result = invoke(["runs", "--store", three, "--where", "lr << 0.1"])
    assert result.exit_code == 1
    assert result.stdout == ""
    first, query, caret = result.stderr.splitlines()
    assert first.startswith("Error: ")
    assert query.strip() == "lr << 0.1"
    assert caret.index("^") == query.index("<") + 1
    assert "Traceback" not in result.output


def test_runs_shows_a_page_and_says_there_are_more(tmp_path: Path) -> None:
    store = fill(str(tmp_path / "runs.db"), [make_run(i, config={"i": i}) for i in range(25)])
    result = ok(["runs", "--store", store])
    assert len(table_lines(result.stdout)) == 2 + 20
    assert "more runs match: use --limit" in result.stderr
    result = ok(["runs", "--store", store, "--limit", "0"])
    assert len(table_lines(result.stdout)) == 2 + 25
    assert result.stderr == ""
    result = ok(["runs", "--store", store, "-n", "3"])
    assert [row.split()[0] for row in table_lines(result.stdout)[2:]] == [
        "run-24", "run-23", "run-22",
    ]  # fmt: skip


def test_runs_fits_the_width_and_says_what_it_left_out(tmp_path: Path) -> None:
    config = {f"key_number_{i}": i for i in range(12)}
    store = fill(
        str(tmp_path / "runs.db"),
        [make_run(1, config=config), make_run(2, config={k: v + 1 for k, v in config.items()})],
    )
    result = ok(["runs", "--store", store], COLUMNS="80")
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert re.search(
        r"\d+ more columns: widen the terminal, or choose with --columns", result.stderr
    )


def test_runs_cuts_long_values_with_an_ellipsis(tmp_path: Path) -> None:
    store = fill(
        str(tmp_path / "runs.db"),
        [make_run(1, config={"path": "/data/" + "x" * 80}), make_run(2, config={"path": "/b"})],
    )
    row = table_lines(ok(["runs", "--store", store]).stdout)[3]
    assert "…" in row and "x" * 30 not in row


def test_runs_columns_choose_what_follows_the_name(three: str) -> None:
    result = ok(
        ["runs", "--store", three, "--columns", "epochs,`a.b`", "-c", "summary.acc,run.tags"]
    )
    header, _, *rows = table_lines(result.stdout)
    assert header.split() == ["name", "epochs", "`a.b`", "summary.acc", "run.tags"]
    assert rows[1].split() == ["run-2", "5", "2", "0.8", '["baseline"]']


def test_runs_columns_refuses_an_unknown_run_field(three: str) -> None:
    result = invoke(["runs", "--store", three, "--columns", "run.colour"])
    assert result.exit_code == 2
    assert "unknown run field 'run.colour'" in result.stderr


def test_runs_json_prints_one_array_of_run_objects(three: str) -> None:
    result = ok(["runs", "--store", three, "--format", "json"])
    runs = json.loads(result.stdout)
    assert [r["name"] for r in runs] == ["run-3", "run-2", "run-1"]
    keys = {"id", "name", "project", "state", "tags", "config", "summary", "created_at"}
    assert keys <= set(runs[0])
    assert runs[1]["config"] == {"lr": 0.01, "optimizer": "adam", "epochs": 5, "a.b": 2}
    assert runs[1]["tags"] == ["baseline"]


def test_runs_json_lists_every_run_unless_limited(tmp_path: Path) -> None:
    store = fill(str(tmp_path / "runs.db"), [make_run(i) for i in range(30)])
    assert len(json.loads(ok(["runs", "--store", store, "-f", "json"]).stdout)) == 30
    assert len(json.loads(ok(["runs", "--store", store, "-f", "json", "-n", "4"]).stdout)) == 4
    empty = fill(str(tmp_path / "empty.db"), [])
    assert json.loads(ok(["runs", "--store", empty, "-f", "json"]).stdout) == []


def test_runs_csv_has_exact_values(three: str) -> None:
    result = ok(["runs", "--store", three, "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[:4] == ["id", "name", "state", "created_at"]
    assert [r["name"] for r in rows] == ["run-3", "run-2", "run-1"]
    assert rows[0]["id"] == "r3" and rows[0]["created_at"] == "2026-01-01T12:00:03.000000+00:00"
    assert rows[0]["lr"] == "1" and rows[2]["lr"] == "0.1"
    assert rows[0]["summary.val_loss"] == ""
    assert rows[1]["`a.b`"] == "2"


def test_runs_markdown_is_a_pipe_table(three: str) -> None:
    lines = ok(["runs", "--store", three, "--format", "markdown"]).stdout.splitlines()
    assert lines[0].startswith("| name | state | created | lr |")
    assert lines[1].startswith("| --- | --- | --- | ---: |")
    assert len(lines) == 5 and all(line.endswith("|") for line in lines)


def test_runs_on_an_empty_store_says_so(tmp_path: Path) -> None:
    store = fill(str(tmp_path / "runs.db"), [])
    result = ok(["runs", "--store", store])
    assert result.stdout == "" and "no runs yet" in result.stderr


def test_commands_fail_in_one_line_when_there_is_no_store(tmp_path: Path) -> None:
    for args in (["runs"], ["show", "x"], ["diff", "x", "y"], ["tag", "x"], ["rm", "x"]):
        result = invoke(args)
        assert result.exit_code == 1, args
        assert result.stderr.startswith("Error: no runconfig store found: looked for")
        assert len(result.stderr.splitlines()) == 1
    assert not (Path.cwd() / ".runconfig").exists()


def test_the_store_comes_from_option_env_or_the_nearest_folder(three: str, tmp_path: Path) -> None:
    assert "run-2" in ok(["runs"], RUNCONFIG_STORE=three).stdout
    assert "run-2" in ok(["--store", three, "runs"]).stdout
    elsewhere = str(tmp_path / "elsewhere.db")
    assert "run-2" in ok(["--store", three, "runs"], RUNCONFIG_STORE=elsewhere).stdout
    assert "run-2" in ok(["--store", elsewhere, "runs", "--store", three]).stdout
    assert "run-2" in ok(["runs", "--store", f"sqlite:///{three}"]).stdout
    home = Path.cwd() / ".runconfig"
    home.mkdir()
    shutil.copy(three, home / "runs.db")
    (Path.cwd() / "sub").mkdir()
    os.chdir(Path.cwd() / "sub")
    assert "run-2" in ok(["runs"]).stdout


# -- show -------------------------------------------------------------------------------------
def test_show_prints_config_with_notes_summary_and_metadata(trained: str) -> None:
    text = ok(["show", "calm-heron", "--store", trained]).stdout
    assert text.startswith("# run calm-heron (id ")
    assert re.search(r"^  wd: 0\.0001 +# weight decay, per step$", text, re.M)
    assert re.search(r"^  f: 2\.0$", text, re.M)
    assert re.search(r"^  lr: 0\.01$", text, re.M)
    assert re.search(r"^summary:\n  loss: 0\.25$", text, re.M)
    assert re.search(r"^  command: python train.py --lr 0\.01 --name calm-heron$", text, re.M)
    assert "argparse" not in text
    import yaml

    data = yaml.safe_load(text)
    assert data["config"]["batch_size"] == 8
    assert data["metadata"]["state"] == "finished"


def test_show_origin_says_where_each_value_came_from(trained: str) -> None:
    text = ok(["show", "calm-heron", "--origin", "--store", trained]).stdout
    assert re.search(r"^  batch_size: 8 +# argparse --batch-size$", text, re.M)
    assert re.search(r"^  lr: 0\.01 +# argparse --lr$", text, re.M)
    assert re.search(r"^  optimizer: adam +# init$", text, re.M)
    assert re.search(
        r"^  wd: 0\.0001 +# config-defaults.yaml:\d+ — weight decay, per step$", text, re.M
    )


def test_show_json_is_one_object(trained: str) -> None:
    data = json.loads(
        ok(["show", "swift otter", "-f", "json", "--origin", "--store", trained]).stdout
    )
    assert data["name"] == "swift otter"
    assert data["config"]["batch_size"] == 16
    assert data["descs"] == {"wd": "weight decay, per step"}
    assert data["origins"]["batch_size"] == "argparse --batch-size"
    assert data["summary"] == {"loss": 0.25}


def test_show_a_missing_run_exits_1(three: str) -> None:
    result = invoke(["show", "nope", "--store", three])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: no run with id or name 'nope' in {three}"


def test_a_name_in_two_projects_needs_project(tmp_path: Path) -> None:
    store = fill(
        str(tmp_path / "runs.db"),
        [make_run(1, name="same", config={"v": 1}), make_run(2, name="same", project="q")],
    )
    result = invoke(["show", "same", "--store", store])
    assert result.exit_code == 1 and "p, q" in result.stderr
    assert "v: 1" in ok(["show", "same", "--project", "p", "--store", store]).stdout


# -- diff -------------------------------------------------------------------------------------
def test_diff_shows_only_differing_keys_side_by_side(three: str) -> None:
    result = ok(["diff", "run-1", "run-2", "run-3", "--store", three])
    header, _, *rows = table_lines(result.stdout)
    assert header.split() == ["key", "run-1", "run-2", "run-3"]
    table = {row.split()[0]: row.split()[1:] for row in rows}
    assert table == {
        "lr": ["0.1", "0.01", "1"],
        "optimizer": ["sgd", "adam", "adam"],
        "train.warmup": ["100", "—", "100"],
        "`a.b`": ["1", "2", "1"],
    }


def test_diff_all_marks_the_keys_that_differ(three: str) -> None:
    rows = table_lines(ok(["diff", "run-1", "r2", "--all", "--store", three]).stdout)[2:]
    assert "* lr" in rows[0] and rows[2].lstrip().startswith("epochs")


def test_diff_is_type_strict(tmp_path: Path) -> None:
    store = fill(
        str(tmp_path / "runs.db"), [make_run(1, config={"x": 1}), make_run(2, config={"x": 1.0})]
    )
    row = table_lines(ok(["diff", "r1", "r2", "--store", store]).stdout)[2]
    assert row.split() == ["x", "1", "1.0"]


def test_diff_of_equal_configs_says_so(tmp_path: Path) -> None:
    store = fill(
        str(tmp_path / "runs.db"), [make_run(1, config={"x": 1}), make_run(2, config={"x": 1})]
    )
    result = ok(["diff", "r1", "r2", "--store", store])
    assert result.stdout == "" and "the configs are the same (1 keys)" in result.stderr


def test_diff_json(three: str) -> None:
    data = json.loads(ok(["diff", "r1", "r2", "-f", "json", "--store", three]).stdout)
    assert data["train.warmup"] == {"run-1": 100}
    assert data["lr"] == {"run-1": 0.1, "run-2": 0.01}


def test_diff_needs_two_runs(three: str) -> None:
    result = invoke(["diff", "r1", "--store", three])
    assert result.exit_code == 2 and "two runs or more" in result.stderr


# -- export -------------------------------------------------------------------------------------
def test_export_prints_yaml_ending_with_the_command_line(trained: str) -> None:
    result = ok(["export", "calm-heron", "--store", trained])
    assert (
        result.stdout.splitlines()[-1]
        == "# started with: python train.py --lr 0.01 --name calm-heron"
    )
    assert "f: 2.0\n" in result.stdout
    assert result.stderr == ""


def test_export_to_a_file_says_the_command_on_stderr(trained: str, tmp_path: Path) -> None:
    target = tmp_path / "best.json"
    result = ok(["export", "swift otter", "-o", str(target), "--store", trained])
    assert result.stdout == ""
    assert "# started with: python train.py -b 16 --name 'swift otter'" in result.stderr
    data = json.loads(target.read_text())
    assert data["batch_size"] == 16 and data["f"] == 2.0


@pytest.mark.parametrize("fmt", ["yaml", "json", "wandb"])
def test_exported_file_reproduces_the_config_through_init(
    trained: str, tmp_path: Path, fmt: str
) -> None:
    name = "best.json" if fmt == "json" else "best.yaml"
    ok(["export", "calm-heron", "-f", fmt, "-o", str(tmp_path / name), "--store", trained])
    store = str(tmp_path / "again.db")
    script = (
        f"import runconfig\nrun = runconfig.init(config={name!r})\n"
        "print(run.id)\nrunconfig.finish()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=child_env(RUNCONFIG_STORE=store),
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    with Api(trained) as old, Api(store) as new:
        before, after = old.run("calm-heron"), new.run(out.stdout.strip())
    assert diff([before, after]) == {}
    assert type(after.config["f"]) is float
    if fmt == "wandb":
        assert after.descs == {"wd": "weight decay, per step"}


def test_export_wandb_form_has_the_notes(trained: str) -> None:
    text = ok(["export", "calm-heron", "--format", "wandb", "--store", trained]).stdout
    assert text.startswith("wandb_version: 1\n")
    assert "wd:\n  desc: weight decay, per step\n  value: 0.0001\n" in text


def test_export_json_to_stdout_puts_the_command_on_stderr(trained: str) -> None:
    result = ok(["export", "calm-heron", "-f", "json", "--store", trained])
    json.loads(result.stdout)
    assert result.stderr.startswith("# started with: python train.py")


# -- rm and tag ---------------------------------------------------------------------------------
def test_rm_asks_before_deleting(three: str) -> None:
    result = invoke(["rm", "run-1", "r2", "--store", three], input="n\n")
    assert result.exit_code == 1
    assert "Delete 2 runs? [y/N]" in result.output
    with Api(three) as api:
        assert len(api.runs()) == 3
    result = ok(["rm", "run-1", "r2", "--store", three], input="y\n")
    assert "deleted 2 runs" in result.stdout
    with Api(three) as api:
        assert [r.id for r in api.runs()] == ["r3"]


def test_rm_yes_does_not_ask(three: str) -> None:
    result = ok(["rm", "r3", "--yes", "--store", three])
    assert "Delete" not in result.output and "deleted 1 run\n" in result.stdout


def test_rm_of_a_missing_run_deletes_nothing(three: str) -> None:
    result = invoke(["rm", "r1", "nope", "--yes", "--store", three])
    assert result.exit_code == 1 and "'nope'" in result.stderr
    with Api(three) as api:
        assert len(api.runs()) == 3


def test_tag_adds_and_removes_and_prints_the_tags(three: str) -> None:
    assert ok(["tag", "r2", "--store", three]).stdout == "run-2: baseline\n"
    out = ok(["tag", "r2", "--add", "paper", "-a", "best", "--add", "paper", "--store", three])
    assert out.stdout == "run-2: baseline, paper, best\n"
    assert (
        ok(["tag", "r2", "--remove", "baseline", "--store", three]).stdout == "run-2: paper, best\n"
    )
    assert ok(["tag", "r1", "--store", three]).stdout == "run-1: (no tags)\n"
    with Api(three) as api:
        assert [r.name for r in api.runs(where='"paper" in run.tags')] == ["run-2"]


# -- both engines ---------------------------------------------------------------------------------
def test_the_commands_work_on_both_engines(store_location: str) -> None:
    fill(
        store_location,
        [make_run(1, config={"lr": 0.1}, summary={"acc": 0.5}),
         make_run(2, config={"lr": 0.2}, summary={"acc": 0.6})],
    )  # fmt: skip
    rows = table_lines(ok(["runs", "--store", store_location, "--order", "-summary.acc"]).stdout)
    assert [r.split()[0] for r in rows[2:]] == ["run-2", "run-1"]
    assert "lr: 0.1" in ok(["show", "run-1", "--store", store_location]).stdout
    assert "0.2" in ok(["diff", "r1", "r2", "--store", store_location]).stdout
    assert ok(["tag", "r1", "-a", "x", "--store", store_location]).stdout == "run-1: x\n"
    ok(["rm", "r1", "--yes", "--store", store_location])
    data = json.loads(ok(["runs", "-f", "json", "--store", store_location]).stdout)
    assert [r["id"] for r in data] == ["r2"]


# -- as a program ---------------------------------------------------------------------------------
def run_cli(*args: str, module: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "runconfig"] if module else [_console_script()]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, env=child_env(**env), timeout=120
    )


def _console_script() -> str:
    found = shutil.which("runconfig", path=os.path.dirname(sys.executable)) or shutil.which(
        "runconfig"
    )
    if found is None:
        pytest.skip("the runconfig console script is not installed (pip install -e .)")
    return found


def test_python_dash_m_runconfig_lists_runs(three: str) -> None:
    out = run_cli("runs", "--store", three, COLUMNS="120")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].split()[:3] == ["name", "state", "created"]


def test_the_console_script_reports_errors_in_one_line_with_status_1(three: str) -> None:
    out = run_cli("runs", "--store", three, "--where", "lr <", module=False)
    assert out.returncode == 1
    assert out.stderr.startswith("Error: ") and "Traceback" not in out.stderr
    out = run_cli("show", "--store", three, module=False)
    assert out.returncode == 2 and "Missing argument 'RUN'" in out.stderr
    out = run_cli("--version", module=False)
    assert out.returncode == 0 and out.stdout.startswith("runconfig, version ")


def test_without_click_main_names_the_extra_to_install() -> None:
    for missing in ("click", "rich"):
        code = (
            f"import sys; sys.modules[{missing!r}] = None\nfrom runconfig.cli import main\nmain()"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=child_env()
        )
        assert out.returncode == 1
        assert out.stderr.count("\n") == 1
        assert "pip install 'runconfig[cli]'" in out.stderr and missing in out.stderr


def test_import_runconfig_loads_neither_click_nor_rich() -> None:
    code = "import sys, runconfig; print([m for m in ('click', 'rich') if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=child_env()
    )
    assert out.stdout.strip() == "[]"


def test_runs_loads_neither_rich_nor_pandas(three: str) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        from runconfig.cli import main
        try:
            main(["runs", "--store", {three!r}])
        except SystemExit:
            pass
        print([m for m in ("rich", "pandas") if m in sys.modules], file=sys.stderr)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=child_env()
    )
    assert out.stderr.strip().splitlines()[-1] == "[]"


def test_runs_of_several_projects_show_the_project(tmp_path: Path) -> None:
    store = fill(
        str(tmp_path / "runs.db"),
        [make_run(1, config={"lr": 0.1}), make_run(2, project="cifar", config={"lr": 0.2})],
    )
    header = table_lines(ok(["runs", "--store", store]).stdout)[0]
    assert header.split()[:4] == ["name", "project", "state", "created"]
    header = table_lines(ok(["runs", "--store", store, "-p", "cifar"]).stdout)[0]
    assert "project" not in header.split()


def test_runs_order_by_an_unknown_run_field_says_what_was_meant(three: str) -> None:
    result = invoke(["runs", "--store", three, "--order", "run.create_at"])
    assert result.exit_code == 1
    assert "did you mean 'created_at'" in result.stderr
