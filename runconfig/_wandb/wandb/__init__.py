"""``wandb``, as runconfig provides it: wandb's Python API over runconfig's runs.

``runconfig run python train.py`` (or ``python -m runconfig.run train.py``) puts the folder
that holds this package, and its ``wandb-0.31.0.dist-info``, first on the import path of
the script and of its children, so that code saying ``import wandb`` runs on runconfig
unchanged::

    import wandb                                  # this package
    run = wandb.init(project="mnist", config={"lr": 1e-3})   # runconfig.init
    wandb.log({"loss": 0.5})
    wandb.finish()

Every name is runconfig's, looked up when first read (``wandb.Table`` exists as soon as
runconfig has ``Table``); ``wandb.run``, ``wandb.config`` and ``wandb.summary`` are read
from runconfig each time, since ``init`` and ``finish`` change them. The submodules that
code imports by path are here too (``wandb.sdk.lib.config_util``, ``wandb.wandb_run``,
``wandb.integration.keras``...). A wandb name runconfig lacks raises
``AttributeError: runconfig does not provide wandb.X; see docs/wandb.md``.
"""

from __future__ import annotations

import importlib
from typing import Any

import runconfig

from ._forward import missing

__version__ = "0.31.0"

# Read from runconfig on every access: init() and finish() change them.
_LIVE = frozenset({"run", "config", "summary"})

# This package's modules, imported on first read of `wandb.<name>` (wandb loads its
# integrations lazily in the same way: `wandb.keras.X` works without an import).
_SUBMODULES = frozenset(
    {
        "apis",
        "env",
        "errors",
        "integration",
        "keras",
        "lightgbm",
        "sdk",
        "sklearn",
        "tensorboard",
        "util",
        "wandb_run",
        "xgboost",
    }
)

# wandb 0.31's `__all__` (its module and its stub): `from wandb import *` takes those that
# runconfig provides.
_WANDB_ALL = (
    "Api", "Artifact", "ArtifactTTL", "Audio", "Error", "EvalTable", "Graph", "Histogram",
    "Html", "Image", "Molecule", "Object3D", "Plotly", "Run", "Settings", "Table", "Video",
    "agent", "box3d", "config", "controller", "define_metric", "finish", "init", "join",
    "link_model", "log", "log_artifact", "log_model", "login", "plot", "plot_table",
    "restore", "save", "setup", "summary", "sweep", "teardown", "termerror", "termlog",
    "termsetup", "termwarn", "unwatch", "use_artifact", "use_model", "watch",
)  # fmt: skip
__all__ = [
    "__version__",
    *(n for n in _WANDB_ALL if n in _LIVE or n in getattr(runconfig, "__all__", ())),
]


def __getattr__(name: str) -> Any:
    if name in _LIVE:
        return getattr(runconfig, name)
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        value = getattr(runconfig, name)
    except AttributeError:
        if name in getattr(runconfig, "__all__", ()):
            raise  # runconfig says it has the name: its own error says what went wrong
        raise missing(f"wandb.{name}") from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    public = getattr(runconfig, "__all__", ())
    return sorted({"__version__", *_LIVE, *_SUBMODULES, *public})
