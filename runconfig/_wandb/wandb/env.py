"""``wandb.env``: the names of wandb's environment variables, and the setters that
libraries call before ``wandb.init`` (Transformers' hyperparameter search calls
``set_project`` and ``set_entity``).

runconfig reads these variables at every ``init()``, after its own (``RUNCONFIG_PROJECT``
wins over ``WANDB_PROJECT``); setting one before ``init`` is enough.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

from ._forward import forwarder

__all__ = [
    "CONFIG_PATHS",
    "DIR",
    "ENTITY",
    "JOB_TYPE",
    "MODE",
    "NAME",
    "NOTES",
    "PROJECT",
    "RESUME",
    "RUN_GROUP",
    "RUN_ID",
    "SILENT",
    "SWEEP_ID",
    "SWEEP_PARAM_PATH",
    "TAGS",
    "get_entity",
    "get_project",
    "set_entity",
    "set_project",
]

PROJECT = "WANDB_PROJECT"
ENTITY = "WANDB_ENTITY"
NAME = "WANDB_NAME"
NOTES = "WANDB_NOTES"
TAGS = "WANDB_TAGS"
RUN_GROUP = "WANDB_RUN_GROUP"
JOB_TYPE = "WANDB_JOB_TYPE"
RUN_ID = "WANDB_RUN_ID"
RESUME = "WANDB_RESUME"
MODE = "WANDB_MODE"
DIR = "WANDB_DIR"
CONFIG_PATHS = "WANDB_CONFIG_PATHS"
SILENT = "WANDB_SILENT"
SWEEP_ID = "WANDB_SWEEP_ID"
SWEEP_PARAM_PATH = "WANDB_SWEEP_PARAM_PATH"


def set_project(value: str, env: MutableMapping[str, str] | None = None) -> None:
    """Set ``WANDB_PROJECT`` (``"uncategorized"`` for an empty value, as wandb does)."""
    (os.environ if env is None else env)[PROJECT] = value or "uncategorized"


def set_entity(value: str, env: MutableMapping[str, str] | None = None) -> None:
    """Set ``WANDB_ENTITY``."""
    (os.environ if env is None else env)[ENTITY] = value


def get_project(
    default: str | None = None, env: MutableMapping[str, str] | None = None
) -> str | None:
    """``WANDB_PROJECT``, else ``default``."""
    return (os.environ if env is None else env).get(PROJECT, default)


def get_entity(
    default: str | None = None, env: MutableMapping[str, str] | None = None
) -> str | None:
    """``WANDB_ENTITY``, else ``default``."""
    return (os.environ if env is None else env).get(ENTITY, default)


__getattr__ = forwarder("wandb.env")
