"""``wandb.integration``: wandb's integrations, each a module over runconfig's
(:mod:`runconfig.integrations`): ``keras``, ``lightgbm``, ``xgboost``, ``sklearn``,
``tensorboard``. ``wandb.integration.keras`` and ``wandb.keras`` are the same callbacks."""

from __future__ import annotations

import importlib
from typing import Any

from .._forward import missing

_SUBMODULES = frozenset({"keras", "lightgbm", "sklearn", "tensorboard", "xgboost"})


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    raise missing(f"wandb.integration.{name}")
