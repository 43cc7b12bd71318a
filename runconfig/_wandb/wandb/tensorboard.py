"""``wandb.tensorboard``: runconfig's TensorBoard patching (``patch``, ``unpatch``), from
:mod:`runconfig.integrations.tensorboard`.

Importing it raises ``ModuleNotFoundError`` in one line while runconfig has no such
integration module; an ``ImportError`` of the library itself (not installed) is left as
it is.
"""

from __future__ import annotations

from ._forward import forwarder, load, reexport

_target = load("wandb.tensorboard", "runconfig.integrations.tensorboard")

__all__ = reexport(globals(), _target)

__getattr__ = forwarder("wandb.tensorboard", lambda: _target)
