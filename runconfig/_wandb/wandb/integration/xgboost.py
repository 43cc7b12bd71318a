"""``wandb.integration.xgboost``: runconfig's XGBoost callback (``WandbCallback``), from
:mod:`runconfig.integrations.xgboost`.

Importing it raises ``ModuleNotFoundError`` in one line while runconfig has no such
integration module; an ``ImportError`` of the library itself (not installed) is left as
it is.
"""

from __future__ import annotations

from .._forward import forwarder, load, reexport

_target = load("wandb.integration.xgboost", "runconfig.integrations.xgboost")

__all__ = reexport(globals(), _target)

__getattr__ = forwarder("wandb.integration.xgboost", lambda: _target)
