"""``wandb.util``: the helpers of wandb's ``wandb.util`` that scripts call, from
:mod:`runconfig.util` (``make_artifact_name_safe``, ``generate_id``, ``get_module``)."""

from __future__ import annotations

from runconfig import util as _util

from ._forward import forwarder, reexport

__all__ = reexport(globals(), _util)

__getattr__ = forwarder("wandb.util", lambda: _util)
