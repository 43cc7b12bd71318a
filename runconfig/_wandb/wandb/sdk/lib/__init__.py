"""``wandb.sdk.lib``: what libraries import from wandb's internals.

``RunDisabled`` is the class of wandb's stand-in run in disabled mode; runconfig's
disabled runs are :class:`~runconfig.Run` objects, so no run is an instance of it (PyTorch
Lightning checks ``isinstance(run, (Run, RunDisabled))``).
"""

from __future__ import annotations

from ..._forward import forwarder
from . import config_util, telemetry

__all__ = ["RunDisabled", "config_util", "telemetry"]


class RunDisabled:
    """wandb's disabled run: no runconfig run is an instance of it."""


__getattr__ = forwarder("wandb.sdk.lib")
