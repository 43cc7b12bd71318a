"""``import wandb`` with no edit: runconfig's ``wandb`` package under ``runconfig run``.

Every test starts a real process through the real entry points (the ``runconfig`` script
and ``python -m runconfig.run``), with a real store, and reads the runs back with
``runconfig.Api``. PyTorch Lightning's ``WandbLogger`` and Transformers'
``report_to="wandb"`` are driven by the libraries themselves (each test skips with a
one-line reason when its library is not installed; it is looked up, not imported here:
the script imports it).
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from runconfig._launch import SHIM
from runconfig.api import Api, RunRecord

REPO = Path(__file__).resolve().parent.parent
_INSTALLED = Path(sys.executable).with_name("runconfig")
RUNCONFIG = [str(_INSTALLED)] if _INSTALLED.is_file() else [sys.executable, "-m", "runconfig"]
VIA = ("runconfig run", "python -m runconfig.run")


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without runconfig's and wandb's variables, importing this checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNCONFIG_", "WANDB_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def argv_for(
    python_args: Sequence[str], via: str = "runconfig run", store: str | None = None
) -> list[str]:
    """The command line that runs ``python PYTHON_ARGS`` on runconfig's wandb."""
    option = ["--store", store] if store else []
    if via == "runconfig run":
        return [*RUNCONFIG, "run", *option, "--", sys.executable, *python_args]
    return [sys.executable, "-m", "runconfig.run", *option, "--", *python_args]


def launch(
    python_args: Sequence[str],
    cwd: Path,
    *,
    via: str = "runconfig run",
    store: str | None = None,
    timeout: float = 120,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv_for(python_args, via, store),
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def script(folder: Path, code: str, name: str = "train.py") -> str:
    path = folder / name
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    return str(path)


def last_json(output: str) -> Any:
    return json.loads(output.strip().splitlines()[-1])


def stored(store: str) -> list[RunRecord]:
    """Every run of the store, oldest first, history included."""
    with Api(store) as api:
        return [api.run(r.id) for r in reversed(api.runs())]


def needs(module: str, what: str) -> None:
    """Skip unless ``module`` is installed (looked up, not imported)."""
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{what} needs {module}, which is not installed")


# -- the package --------------------------------------------------------------------------
IMPORTS = """\
    import importlib.metadata, json, sys
    import runconfig
    import wandb
    from wandb import (AlertLevel, Api, Config, Error, Run, Settings, alert, define_metric,
                       errors, finish, init, join, log, login, mark_preempting, require,
                       setup, teardown, termerror, termlog, termwarn, util)

    same = {n: getattr(wandb, n) is getattr(runconfig, n) for n in
            ("init", "finish", "log", "define_metric", "alert", "mark_preempting", "login",
             "setup", "teardown", "join", "require", "Settings", "Error", "termlog",
             "termwarn", "termerror", "Api", "Run", "AlertLevel", "Config")}
    checks = {"metadata": importlib.metadata.version("wandb"),
              "name": importlib.metadata.metadata("wandb")["Name"]}
    try:
        from lightning_utilities.core.imports import RequirementCache
        checks["lightning"] = bool(RequirementCache("wandb>=0.12.10"))
    except ImportError:
        checks["lightning"] = True
    print(json.dumps({"file": wandb.__file__, "version": wandb.__version__, "same": same,
                      "errors": errors.__name__, "util": util.__name__, **checks,
                      "path0": sys.path[0], "path1": sys.path[1]}))
"""


@pytest.mark.parametrize("via", VIA)
def test_import_wandb_is_runconfigs_package_and_its_version_is_0_31_0(
    via: str, tmp_path: Path
) -> None:
    done = launch([script(tmp_path, IMPORTS)], tmp_path, via=via)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # nothing printed but the script's own output
    got = last_json(done.stdout)
    assert done.stdout.count("\n") == 1
    assert got["file"] == os.path.join(SHIM, "wandb", "__init__.py")
    assert got["version"] == got["metadata"] == "0.31.0"
    assert got["name"] == "wandb"  # what accelerate checks
    assert got["lightning"] is True  # Lightning's RequirementCache("wandb>=0.12.10")
    assert all(got["same"].values()), got["same"]
    assert (got["errors"], got["util"]) == ("wandb.errors", "wandb.util")
    assert (got["path0"], got["path1"]) == (str(tmp_path), SHIM)  # the script's folder first


def test_outside_runconfig_run_the_import_path_is_untouched(tmp_path: Path) -> None:
    code = "import importlib.util, json, os; s = importlib.util.find_spec('wandb'); "
    code += "print(json.dumps([s and s.origin, os.environ.get('PYTHONPATH', '')]))"
    done = subprocess.run(
        [sys.executable, "-c", code], env=clean_env(), capture_output=True, text=True, check=True
    )
    origin, path = last_json(done.stdout)
    assert origin is None or not origin.startswith(SHIM)
    assert SHIM not in path


SUBMODULES = """\
    import importlib, json, os
    import wandb
    import wandb.wandb_run
    import wandb.apis.public
    import wandb.env
    from wandb.errors import CommError, Error, UsageError
    from wandb.sdk import Settings, wandb_config, wandb_run
    from wandb.sdk.lib import RunDisabled, telemetry
    from wandb.sdk.lib.config_util import ConfigError
    import runconfig

    wandb.env.set_project("from-env")
    run = wandb.init(config={"lr": 0.1})
    got = {
        "project": run.project,
        "isinstance": isinstance(run, wandb.wandb_run.Run) and isinstance(run, wandb_run.Run),
        "disabled": isinstance(run, RunDisabled),
        "config_class": wandb_config.Config is runconfig.Config,
        "settings": Settings is runconfig.Settings,
        "api": wandb.apis.public.Api is runconfig.Api,
        "errors": [issubclass(c, runconfig.Error) for c in (CommError, Error, UsageError)],
        "safe": wandb.util.make_artifact_name_safe("source-my proj/x:y.py"),
    }
    try:
        wandb.config.lr = 0.2
    except ConfigError as e:
        got["config_error"] = type(e).__name__
    with telemetry.context(run=run) as tel:
        tel.feature.keras = True
        tel.imports_finish.deep.er = 1
    got["telemetry"] = tel.feature.keras
    wandb.finish()

    integrations = {}
    for name in ("keras", "lightgbm", "xgboost", "sklearn", "tensorboard"):
        try:
            ours = importlib.import_module(f"runconfig.integrations.{name}")
        except ImportError:
            ours = None  # not written yet, or its library missing
        for path in (f"wandb.{name}", f"wandb.integration.{name}"):
            try:
                shim = importlib.import_module(path)
            except ImportError as e:
                integrations[path] = [type(e).__name__, str(e)]
                continue
            same = all(getattr(shim, n) is getattr(ours, n) for n in shim.__all__)
            integrations[path] = ["ok", sorted(shim.__all__), same]
    print(json.dumps({"modules": got, "integrations": integrations}))
"""


@pytest.fixture(scope="module")
def submodules(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """What a script importing wandb's submodules and integrations by path saw."""
    folder = tmp_path_factory.mktemp("submodules")
    store = str(folder / "runs.db")
    done = launch([script(folder, SUBMODULES)], folder, store=store, KERAS_BACKEND="torch")
    assert done.returncode == 0, done.stderr
    return last_json(done.stdout)


def test_the_modules_libraries_import_from_wandb_are_there(submodules: Any) -> None:
    assert submodules["modules"] == {
        "project": "from-env",  # wandb.env.set_project, before init
        "isinstance": True,  # Lightning's check before define_metric
        "disabled": False,
        "config_class": True,
        "settings": True,
        "api": True,
        "errors": [True, True, True],
        "safe": "source-my_proj_x_y.py",
        "config_error": "ConfigValueError",  # what Transformers catches as WandbConfigError
        "telemetry": True,
    }


@pytest.mark.parametrize("name", ["keras", "lightgbm", "xgboost", "sklearn", "tensorboard"])
def test_an_integration_reexports_runconfigs_or_says_what_is_missing_in_one_line(
    name: str, submodules: Any
) -> None:
    short = submodules["integrations"][f"wandb.{name}"]
    assert submodules["integrations"][f"wandb.integration.{name}"] == short  # both paths
    if importlib.util.find_spec(f"runconfig.integrations.{name}") is None:
        assert short == [
            "ModuleNotFoundError",
            f"runconfig does not provide wandb.{name} (it would be "
            f"runconfig.integrations.{name}); see docs/wandb.md",
        ]
    elif short[0] == "ok":
        assert short[2] is True  # the very objects of runconfig.integrations.<name>
    else:  # the library itself is missing: its own message, in one line
        assert short[0] in ("ImportError", "ModuleNotFoundError") and "\n" not in short[1]
    if name == "tensorboard":
        assert short[0] == "ok" and {"patch", "unpatch"} <= set(short[1])


# -- wandb.run, wandb.config, wandb.summary follow init and finish -------------------------
FOLLOW = """\
    import json
    import wandb

    seen = {"before": [wandb.run is None, dict(wandb.config), wandb.summary is None]}
    wandb.config.epochs = 3  # before init: carried into the run
    run = wandb.init(project="follow", config={"lr": 0.1})
    wandb.config.batch_size = 16
    wandb.log({"loss": 0.5})
    seen["during"] = [wandb.run is run, wandb.config is run.config,
                      wandb.summary is run.summary, wandb.summary["loss"]]
    wandb.finish()
    seen["after"] = [wandb.run is None, dict(wandb.config), wandb.summary is None]
    second = wandb.init(project="follow", config={"lr": 0.2})
    seen["second"] = [wandb.run is second, second is not run, wandb.config.lr]
    wandb.finish()
    print(json.dumps(seen))
"""


def test_wandb_run_config_and_summary_follow_init_and_finish(
    store_location: str, tmp_path: Path
) -> None:
    done = launch([script(tmp_path, FOLLOW)], tmp_path, store=store_location)
    assert done.returncode == 0, done.stderr
    assert last_json(done.stdout) == {
        "before": [True, {}, True],
        "during": [True, True, True, 0.5],
        "after": [True, {}, True],
        "second": [True, True, 0.2],
    }
    first, second = stored(store_location)
    assert (first.config, first.summary, first.state) == (
        {"epochs": 3, "lr": 0.1, "batch_size": 16},
        {"loss": 0.5},
        "finished",
    )
    assert (second.config, second.state) == ({"lr": 0.2}, "finished")


# -- names runconfig lacks, exit codes, tracebacks ------------------------------------------
def test_a_wandb_name_runconfig_lacks_raises_one_line_attribute_error(tmp_path: Path) -> None:
    code = """\
        import json
        import wandb
        import wandb.sdk
        messages = []
        for owner, name in ((wandb, "not_a_wandb_name"), (wandb.sdk, "nope"),
                            (wandb.util, "nope"), (wandb.errors, "nope"), (wandb.env, "nope")):
            try:
                getattr(owner, name)
            except AttributeError as e:
                messages.append(str(e))
        print(json.dumps(messages))
        wandb.init(project="p")
        wandb.not_a_wandb_name
    """
    store = str(tmp_path / "runs.db")
    done = launch([script(tmp_path, code)], tmp_path, store=store)
    assert last_json(done.stdout) == [
        f"runconfig does not provide wandb.{path}; see docs/wandb.md"
        for path in ("not_a_wandb_name", "sdk.nope", "util.nope", "errors.nope", "env.nope")
    ]
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "AttributeError: runconfig does not provide wandb.not_a_wandb_name; see docs/wandb.md"
    )
    (run,) = stored(store)
    assert (run.state, run.error_type) == ("failed", "AttributeError")


ENDINGS = {
    "returns": ("pass", 0, "finished", None),
    "sys.exit(0)": ("sys.exit(0)", 0, "finished", None),
    "sys.exit(3)": ("sys.exit(3)", 3, "failed", None),
    "raises": ("raise ValueError('boom')", 1, "failed", "ValueError"),
}


@pytest.mark.parametrize("via", [*VIA, "exec"])
@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_the_exit_status_is_the_scripts_and_the_run_ends_so(
    ending: str, via: str, store_location: str, tmp_path: Path
) -> None:
    statement, status, state, error = ENDINGS[ending]
    path = script(
        tmp_path,
        f"""\
        import sys
        import wandb

        def main():
            wandb.init(project="endings", config={{"ending": {ending!r}}})
            wandb.log({{"x": 1}})
            {statement}

        main()
        """,
    )
    if via == "exec":  # a command that is not this Python: `env` starts it in our place
        argv = [*RUNCONFIG, "run", "--store", store_location, "env", sys.executable, path]
        done = subprocess.run(argv, cwd=tmp_path, env=clean_env(), capture_output=True, text=True)
    else:
        done = launch([path], tmp_path, via=via, store=store_location)
    assert done.returncode == status, done.stderr
    assert done.stdout == ""
    (run,) = stored(store_location)
    assert (run.state, run.exit_code, run.error_type) == (state, status, error)
    if error:  # the traceback is the script's, as python prints it
        lines = done.stderr.strip().splitlines()
        assert lines[0] == "Traceback (most recent call last):"
        assert lines[1].startswith(f'  File "{path}", line ')
        assert lines[-1] == "ValueError: boom"
        assert "_launch.py" not in done.stderr and "runpy" not in done.stderr
    else:
        assert done.stderr == ""


def test_ctrl_c_ends_the_process_by_sigint_after_the_run_is_finished(tmp_path: Path) -> None:
    store = str(tmp_path / "runs.db")
    code = "import wandb\nwandb.init(project='p')\nraise KeyboardInterrupt\n"
    done = launch([script(tmp_path, code)], tmp_path, store=store)
    assert done.returncode == -signal.SIGINT  # as `python train.py` ends
    assert done.stderr.strip().endswith("KeyboardInterrupt")
    (run,) = stored(store)
    assert (run.state, run.error_type) == ("failed", "KeyboardInterrupt")


def test_a_command_that_is_not_found_exits_127_with_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [*RUNCONFIG, "run", "no-such-command-here", "x"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 127
    assert done.stderr == (
        "Error: cannot run 'no-such-command-here': No such file or directory "
        "(looked for it on PATH)\n"
    )


# -- how the program is started --------------------------------------------------------------
ARGV = """\
    import json, os, sys
    import wandb
    print(json.dumps({"argv": sys.argv, "name": __name__, "pid": os.getpid(),
                      "file": globals().get("__file__"), "wandb": wandb.__version__}))
"""


def test_python_m_runconfig_run_runs_a_script_a_module_and_code(tmp_path: Path) -> None:
    path = script(tmp_path, ARGV)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    script(tmp_path / "pkg", ARGV, "train.py")
    for args, argv0, file in (
        ([path, "--lr", "1"], path, path),
        (["-m", "pkg.train", "--lr", "1"], str(tmp_path / "pkg" / "train.py"), None),
        (["-c", textwrap.dedent(ARGV), "--lr", "1"], "-c", None),
    ):
        done = launch(args, tmp_path, via="python -m runconfig.run")
        assert done.returncode == 0, done.stderr
        got = last_json(done.stdout)
        assert (got["argv"], got["name"], got["wandb"]) == (
            [argv0, "--lr", "1"],
            "__main__",
            "0.31.0",
        )
        if file:
            assert got["file"] == file


CONSOLE = "import sys; from runconfig._launch import console; sys.exit(console())"


def test_the_console_entry_point_runs_run_without_click_and_the_rest_with_it(
    tmp_path: Path,
) -> None:
    # What pip writes for `runconfig = "runconfig._launch:console"`, minus the file.
    code = (
        "import json, sys, wandb; wandb.init(project='console'); wandb.finish(); "
        "print(json.dumps(sorted({'click', 'rich'} & set(sys.modules))))"
    )
    store = str(tmp_path / "runs.db")
    argv = [sys.executable, "-c", CONSOLE, "--store", store, "run", sys.executable, "-c", code]
    done = subprocess.run(argv, cwd=tmp_path, env=clean_env(), capture_output=True, text=True)
    assert (done.returncode, done.stderr, last_json(done.stdout)) == (0, "", [])
    listed = subprocess.run(
        [sys.executable, "-c", CONSOLE, "runs", "--store", store, "--format", "json"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
    )
    assert listed.returncode == 0, listed.stderr  # click's command
    assert [r["project"] for r in json.loads(listed.stdout)] == ["console"]


def test_another_command_is_executed_in_place_of_the_launcher(tmp_path: Path) -> None:
    path = script(tmp_path, ARGV)
    argv = [*RUNCONFIG, "run", "env", "SOME_VAR=1", sys.executable, "-u", path, "a"]
    with subprocess.Popen(
        argv, cwd=tmp_path, env=clean_env(), stdout=subprocess.PIPE, text=True
    ) as proc:
        out, _ = proc.communicate(timeout=120)
    got = last_json(out)
    assert proc.returncode == 0
    assert got["pid"] == proc.pid  # exec: the same process, not a child
    assert (got["argv"], got["wandb"]) == ([path, "a"], "0.31.0")


def test_children_of_the_script_import_runconfigs_wandb_and_record_to_the_store(
    tmp_path: Path,
) -> None:
    code = """\
        import json, os, subprocess, sys
        import wandb

        run = wandb.init(project="parent")
        child = ("import importlib.metadata, json, os, wandb; "
                 "wandb.init(project='child', config={'worker': 1}); wandb.finish(); "
                 "print(json.dumps([wandb.__file__, importlib.metadata.version('wandb')]))")
        out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                             check=True).stdout
        wandb.finish()
        print(out.strip())
    """
    done = launch([script(tmp_path, code)], tmp_path, store="runs.db")
    assert done.returncode == 0, done.stderr
    assert last_json(done.stdout) == [os.path.join(SHIM, "wandb", "__init__.py"), "0.31.0"]
    runs = stored(str(tmp_path / "runs.db"))
    assert sorted((r.project, r.config) for r in runs) == [
        ("child", {"worker": 1}),
        ("parent", {}),
    ]


def test_a_relative_store_is_found_from_wherever_the_script_goes(tmp_path: Path) -> None:
    code = """\
        import os
        import wandb
        os.makedirs("elsewhere")
        os.chdir("elsewhere")
        wandb.init(project="moved", config={"a": 1})
        wandb.finish()
    """
    done = launch([script(tmp_path, code)], tmp_path, store="runs.db")
    assert done.returncode == 0, done.stderr
    (run,) = stored(str(tmp_path / "runs.db"))
    assert (run.project, run.config) == ("moved", {"a": 1})
    assert not (tmp_path / "elsewhere" / ".runconfig").exists()


def test_importing_the_runconfig_run_file_is_refused_so_runconfig_run_stays_the_run() -> None:
    code = """\
        import json, sys
        import runconfig
        try:
            import runconfig.run
        except ImportError as e:
            error = str(e)
        from runconfig import run
        print(json.dumps([error, runconfig.run is None, run is None,
                          "runconfig.run" in sys.modules]))
    """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    error, attribute_is_run, from_import_is_run, module_kept = last_json(done.stdout)
    assert "runconfig.run is the active run" in error
    assert (attribute_is_run, from_import_is_run, module_kept) == (True, True, False)


# -- libraries that import wandb themselves -----------------------------------------------
LIGHTNING = """\
    import json
    import lightning.pytorch as pl
    import torch
    from lightning.pytorch.loggers import WandbLogger
    from torch.utils.data import DataLoader, TensorDataset

    class Model(pl.LightningModule):
        def __init__(self, lr=0.05, hidden=8):
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Sequential(torch.nn.Linear(4, hidden), torch.nn.ReLU(),
                                           torch.nn.Linear(hidden, 1))

        def training_step(self, batch, batch_idx):
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.net(x), y)
            self.log("train_loss", loss)
            return loss

        def validation_step(self, batch, batch_idx):
            x, y = batch
            self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

    torch.manual_seed(0)
    data = TensorDataset(torch.randn(64, 4), torch.randn(64, 1))
    logger = WandbLogger(project="lightning", save_dir=".")
    trainer = pl.Trainer(max_epochs=2, logger=logger, log_every_n_steps=2, accelerator="cpu",
                         enable_progress_bar=False, enable_model_summary=False,
                         enable_checkpointing=False)
    trainer.fit(Model(), DataLoader(data, batch_size=16), DataLoader(data, batch_size=32))
    print(json.dumps({"id": logger.experiment.id, "version": logger.version}))
"""


@pytest.mark.timeout(240)
def test_lightning_wandb_logger_logs_config_metrics_and_summary_into_the_run(
    tmp_path: Path,
) -> None:
    needs("lightning", "PyTorch Lightning's WandbLogger")
    needs("torch", "PyTorch Lightning's WandbLogger")
    store = str(tmp_path / "runs.db")
    done = launch([script(tmp_path, LIGHTNING)], tmp_path, store=store, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    got = last_json(done.stdout)
    (run,) = stored(store)
    assert got == {"id": run.id, "version": run.id}  # Lightning's checkpoint folder name
    assert (run.project, run.state) == ("lightning", "finished")
    assert run.config == {"lr": 0.05, "hidden": 8}  # save_hyperparameters
    history = run.history or []
    train = [r for r in history if "train_loss" in r]
    val = [r for r in history if "val_loss" in r]
    # 4 batches of 16 a epoch, logged every 2 steps; validation once an epoch
    assert [r["trainer/global_step"] for r in train] == [1, 3, 5, 7]
    assert [r["trainer/global_step"] for r in val] == [3, 7]
    assert [r["epoch"] for r in val] == [0, 1]
    assert all(isinstance(r["train_loss"], float) for r in train)
    assert run.summary["train_loss"] == train[-1]["train_loss"]
    assert run.summary["val_loss"] == val[-1]["val_loss"]
    assert (run.summary["trainer/global_step"], run.summary["epoch"]) == (7, 1)
    assert run.meta["metrics"] == [  # Lightning's define_metric calls, after its isinstance
        {"name": "trainer/global_step"},
        {"name": "*", "step_metric": "trainer/global_step", "step_sync": True},
    ]


TRANSFORMERS = """\
    import json, sys
    import torch
    from transformers import (BertConfig, BertForSequenceClassification, Trainer,
                              TrainingArguments)

    class Pairs(torch.utils.data.Dataset):
        def __init__(self, n, seed):
            g = torch.Generator().manual_seed(seed)
            self.ids = torch.randint(0, 50, (n, 8), generator=g)
            self.labels = torch.randint(0, 2, (n,), generator=g)

        def __len__(self):
            return len(self.ids)

        def __getitem__(self, i):
            return {"input_ids": self.ids[i], "attention_mask": torch.ones(8, dtype=torch.long),
                    "labels": self.labels[i]}

    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=16, max_position_embeddings=16)
    args = TrainingArguments(output_dir=sys.argv[1], max_steps=4, logging_steps=1,
                             eval_strategy="steps", eval_steps=2, report_to="wandb",
                             use_cpu=True, per_device_train_batch_size=4,
                             per_device_eval_batch_size=4, save_strategy="no", disable_tqdm=True)
    trainer = Trainer(model=BertForSequenceClassification(config), args=args,
                      train_dataset=Pairs(16, 1), eval_dataset=Pairs(8, 2))
    result = trainer.train()
    print(json.dumps(result.metrics))
"""


@pytest.mark.timeout(240)
def test_transformers_trainer_reports_config_metrics_and_summary_into_the_run(
    tmp_path: Path,
) -> None:
    needs("transformers", "Transformers' report_to='wandb'")
    needs("torch", "Transformers' Trainer")
    store = str(tmp_path / "runs.db")
    out = str(tmp_path / "out")
    done = launch(
        [script(tmp_path, TRANSFORMERS), out],
        tmp_path,
        store=store,
        timeout=240,
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    metrics = last_json(done.stdout)
    (run,) = stored(store)
    assert (run.project, run.state) == ("huggingface", "finished")
    config = run.config
    # TrainingArguments and the model's config, as WandbCallback.setup merges them
    assert (config["max_steps"], config["logging_steps"], config["eval_steps"]) == (4, 1, 2)
    assert (config["eval_strategy"], config["report_to"]) == ("steps", ["wandb"])
    assert (config["output_dir"], config["learning_rate"]) == (out, 5e-05)
    assert (config["hidden_size"], config["vocab_size"], config["model_type"]) == (16, 50, "bert")
    assert isinstance(config["model/num_parameters"], int)
    history = run.history or []
    train = [r for r in history if "train/loss" in r]
    evals = [r for r in history if "eval/loss" in r]
    assert [r["train/global_step"] for r in train] == [1, 2, 3, 4]
    assert [r["train/global_step"] for r in evals] == [2, 4]
    assert all(isinstance(r["train/loss"], float) for r in train)
    summary = run.summary
    assert summary["train_runtime"] == metrics["train_runtime"]
    assert summary["train_loss"] == metrics["train_loss"]
    assert summary["eval/loss"] == evals[-1]["eval/loss"]
    assert summary["train/global_step"] == 4
    assert run.meta["labels"] == {"code": "transformers_trainer"}


ACCELERATE = """\
    import json
    from accelerate import Accelerator

    accelerator = Accelerator(log_with="wandb", cpu=True)
    accelerator.init_trackers("accelerated", config={"lr": 0.1, "data": {"shards": 2}},
                              init_kwargs={"wandb": {"name": "acc-run", "tags": ["acc"]}})
    for step in range(3):
        accelerator.log({"loss": 1.0 / (step + 1)}, step=step)
    accelerator.end_training()
    print(json.dumps(accelerator.get_tracker("wandb", unwrap=True).id))
"""


@pytest.mark.timeout(240)
def test_accelerate_finds_wandb_by_its_metadata_and_logs_into_the_run(tmp_path: Path) -> None:
    needs("accelerate", "accelerate's log_with='wandb'")
    store = str(tmp_path / "runs.db")
    done = launch([script(tmp_path, ACCELERATE)], tmp_path, store=store, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    (run,) = stored(store)  # without the dist-info, accelerate drops the tracker silently
    assert last_json(done.stdout) == run.id
    assert (run.project, run.name, run.tags, run.state) == (
        "accelerated",
        "acc-run",
        ["acc"],
        "finished",
    )
    assert run.config == {"lr": 0.1, "data": {"shards": 2}}
    assert [(r["_step"], r["loss"]) for r in run.history or []] == [
        (0, 1.0),
        (1, 0.5),
        (2, 1.0 / 3),
    ]
