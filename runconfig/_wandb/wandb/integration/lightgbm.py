"""``wandb.integration.lightgbm``: runconfig's LightGBM callback (``wandb_callback``,
``log_summary``), from :mod:`runconfig.integrations.lightgbm`.

Importing it raises ``ModuleNotFoundError`` in one line while runconfig has no such
integration module; an ``ImportError`` of the library itself (not installed) is left as
it is.
"""

from __future__ import annotations

from .._forward import forwarder, load, reexport

_target = load("wandb.integration.lightgbm", "runconfig.integrations.lightgbm")

__all__ = reexport(globals(), _target)

__getattr__ = forwarder("wandb.integration.lightgbm", lambda: _target)
