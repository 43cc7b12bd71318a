"""``wandb.sdk``: the modules that code imports wandb's classes from by path
(``wandb.sdk.wandb_run.Run``, ``wandb.sdk.wandb_config.Config``,
``wandb.sdk.lib.config_util.ConfigError``); other names are the ``wandb`` module's
(``wandb.sdk.init`` is ``wandb.init``)."""

from __future__ import annotations

import sys
from types import ModuleType

from runconfig import Settings

from .._forward import forwarder
from . import lib, wandb_config, wandb_run, wandb_settings

__all__ = ["Settings", "lib", "wandb_config", "wandb_run", "wandb_settings"]


def _wandb() -> ModuleType:
    return sys.modules[__name__.rpartition(".")[0]]


__getattr__ = forwarder("wandb.sdk", _wandb)
