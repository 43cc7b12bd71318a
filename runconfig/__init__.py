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

from runconfig.config import Config, ConfigList, ConfigNode
from runconfig.errors import (
    ConfigError,
    LockedKeyWarning,
    QueryError,
    RunconfigError,
    StoreError,
    UsageError,
)

# Importing runconfig.config bound the submodule as an attribute of the package; the name
# `runconfig.config` belongs to the active config (see __getattr__ below).
globals().pop("config", None)

if TYPE_CHECKING:
    from runconfig._run import Run, Summary, finish, init, log
    from runconfig.api import Api, RunList, RunRecord, diff
    from runconfig.query import evaluate, parse_query

    config: Config
    run: Run | None
    summary: Summary | None

__version__ = "0.1.0"

__all__ = [
    "Api",
    "Config",
    "ConfigError",
    "ConfigList",
    "ConfigNode",
    "LockedKeyWarning",
    "QueryError",
    "Run",
    "RunList",
    "RunRecord",
    "RunconfigError",
    "StoreError",
    "Summary",
    "UsageError",
    "config",
    "diff",
    "evaluate",
    "finish",
    "init",
    "log",
    "parse_query",
    "run",
    "summary",
]

# Imported on first use, so that ``import runconfig`` costs next to nothing.
_LAZY = {
    "init": "runconfig._run",
    "finish": "runconfig._run",
    "log": "runconfig._run",
    "Run": "runconfig._run",
    "Summary": "runconfig._run",
    "Api": "runconfig.api",
    "RunList": "runconfig.api",
    "RunRecord": "runconfig.api",
    "diff": "runconfig.api",
    "parse_query": "runconfig.query",
    "evaluate": "runconfig.query",
}


def __getattr__(name: str) -> Any:
    if name in ("config", "run", "summary"):
        from runconfig._run import _state

        if name == "config":
            return _state.config
        if name == "run":
            return _state.run
        return _state.run.summary if _state.run is not None else None
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runconfig' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    if name not in ("config", "run", "summary"):
        globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
