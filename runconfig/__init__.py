"""runconfig: the config of every ML run, saved the moment it is set, searchable later.

A drop-in for ``wandb.config`` that stores runs locally (SQLite) or in a shared
PostgreSQL database::

    import runconfig as wandb

    wandb.config.epochs = 4
    run = wandb.init(project="mnist", config={"lr": 1e-3, "batch_size": 32})
    for epoch in range(wandb.config.epochs):
        run.log({"loss": 0.1})
    wandb.finish()

``runconfig.config`` is the active run's config (before ``init``, a config whose values
the next run takes over); ``runconfig.run`` the active run or None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runconfig import errors
from runconfig._term import termerror, termlog, termwarn
from runconfig.config import Config, ConfigList, ConfigNode
from runconfig.errors import (
    CommError,
    ConfigError,
    Error,
    LockedKeyWarning,
    QueryError,
    RunconfigError,
    StoreError,
    SweepError,
    TrialStopped,
    UsageError,
)

# Importing runconfig.config bound the submodule as an attribute of the package; the name
# `runconfig.config` belongs to the active config (see __getattr__ below).
globals().pop("config", None)

if TYPE_CHECKING:
    from runconfig import plot, sweeps, util
    from runconfig._active import (
        alert,
        define_metric,
        finish,
        join,
        link_model,
        log,
        log_artifact,
        log_model,
        mark_preempting,
        restore,
        save,
        unwatch,
        use_artifact,
        use_model,
        watch,
    )
    from runconfig._init import init
    from runconfig._run import Run
    from runconfig._run_types import AlertLevel, ConfigStatic, RunStatus
    from runconfig._session import Settings, login, require, setup, teardown
    from runconfig._summary import Metric, Summary, SummaryNode
    from runconfig.api import Api, RunList, RunRecord, diff
    from runconfig.artifacts import Artifact
    from runconfig.media import (
        Audio,
        Histogram,
        Html,
        Image,
        Object3D,
        Table,
        Video,
        plot_table,
        visualize,
    )
    from runconfig.query import evaluate, parse_query
    from runconfig.sweeps import agent, sweep

    config: Config
    run: Run | None
    summary: Summary | None

__version__ = "0.1.0"

__all__ = [
    "AlertLevel",
    "Api",
    "Artifact",
    "Audio",
    "CommError",
    "Config",
    "ConfigError",
    "ConfigList",
    "ConfigNode",
    "ConfigStatic",
    "Error",
    "Histogram",
    "Html",
    "Image",
    "LockedKeyWarning",
    "Metric",
    "Object3D",
    "QueryError",
    "Run",
    "RunList",
    "RunRecord",
    "RunStatus",
    "RunconfigError",
    "Settings",
    "StoreError",
    "Summary",
    "SummaryNode",
    "SweepError",
    "Table",
    "TrialStopped",
    "UsageError",
    "Video",
    "agent",
    "alert",
    "config",
    "define_metric",
    "diff",
    "errors",
    "evaluate",
    "finish",
    "init",
    "join",
    "link_model",
    "log",
    "log_artifact",
    "log_model",
    "login",
    "mark_preempting",
    "parse_query",
    "plot",
    "plot_table",
    "require",
    "restore",
    "run",
    "save",
    "setup",
    "summary",
    "sweep",
    "sweeps",
    "teardown",
    "termerror",
    "termlog",
    "termwarn",
    "unwatch",
    "use_artifact",
    "use_model",
    "util",
    "visualize",
    "watch",
]

# Imported on first use, so that ``import runconfig`` costs next to nothing.
_LAZY = {
    "init": "runconfig._init",
    "finish": "runconfig._active",
    "join": "runconfig._active",
    "log": "runconfig._active",
    "define_metric": "runconfig._active",
    "alert": "runconfig._active",
    "mark_preempting": "runconfig._active",
    "AlertLevel": "runconfig._run_types",
    "ConfigStatic": "runconfig._run_types",
    "Run": "runconfig._run",
    "RunStatus": "runconfig._run_types",
    "Artifact": "runconfig.artifacts",
    "Image": "runconfig.media",
    "Table": "runconfig.media",
    "Histogram": "runconfig.media",
    "Audio": "runconfig.media",
    "Video": "runconfig.media",
    "Html": "runconfig.media",
    "Object3D": "runconfig.media",
    "plot_table": "runconfig.media",
    "visualize": "runconfig.media",
    "log_artifact": "runconfig._active",
    "save": "runconfig._active",
    "watch": "runconfig._active",
    "unwatch": "runconfig._active",
    "restore": "runconfig._active",
    "use_artifact": "runconfig._active",
    "log_model": "runconfig._active",
    "use_model": "runconfig._active",
    "link_model": "runconfig._active",
    "Metric": "runconfig._summary",
    "Summary": "runconfig._summary",
    "SummaryNode": "runconfig._summary",
    "Settings": "runconfig._session",
    "login": "runconfig._session",
    "setup": "runconfig._session",
    "teardown": "runconfig._session",
    "require": "runconfig._session",
    "Api": "runconfig.api",
    "RunList": "runconfig.api",
    "RunRecord": "runconfig.api",
    "diff": "runconfig.api",
    "parse_query": "runconfig.query",
    "evaluate": "runconfig.query",
    "sweep": "runconfig.sweeps",
    "agent": "runconfig.sweeps",
}


def __getattr__(name: str) -> Any:
    if name in ("config", "run", "summary"):
        from runconfig._state import _state

        if name == "config":
            return _state.config
        if name == "run":
            return _state.run
        return _state.run.summary if _state.run is not None else None
    import importlib

    if name in ("util", "plot", "sweeps"):
        value: Any = importlib.import_module(f"runconfig.{name}")
        globals()[name] = value
        return value
    module = _LAZY.get(name)
    if module is None:
        if name in _WANDB_NAMES:
            raise AttributeError(f"runconfig does not provide wandb.{name}; see docs/wandb.md")
        raise AttributeError(f"module 'runconfig' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


# wandb's public names (0.31 and the common older ones): reading one that runconfig lacks
# says so, for ``import runconfig as wandb`` scripts.
_WANDB_NAMES = frozenset(
    """
    Api Artifact ArtifactTTL Audio Classes Config EvalTable Graph Histogram Html Image
    JoinedTable Molecule Object3D Plotly Table Video agent agents analytics api apis
    attach box3d catboost controller data_types env gym helper integration jupyter keras
    lightgbm link_model log_artifact log_model patched pin_config_keys plot plot_table
    profiler proto restore sacred sagemaker_auth save sdk sklearn sweep tensorboard
    tensorflow termsetup trigger unwatch use_artifact use_model visualize wandb_agent
    wandb_sdk wandb_torch watch xgboost
    """.split()
)


def __dir__() -> list[str]:
    return sorted(__all__)
