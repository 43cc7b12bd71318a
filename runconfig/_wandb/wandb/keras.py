"""``wandb.keras``: runconfig's Keras callbacks (``WandbMetricsLogger``,
``WandbModelCheckpoint``...), from :mod:`runconfig.integrations.keras`.

Importing it raises ``ModuleNotFoundError`` in one line while runconfig has no such
integration module; an ``ImportError`` of the library itself (not installed) is left as
it is.
"""

from __future__ import annotations

from ._forward import forwarder, load, reexport

_target = load("wandb.keras", "runconfig.integrations.keras")

__all__ = reexport(globals(), _target)

__getattr__ = forwarder("wandb.keras", lambda: _target)
