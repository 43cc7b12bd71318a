"""``wandb.sdk.wandb_run``: the run class, runconfig's :class:`~runconfig.Run`."""

from __future__ import annotations

from runconfig import Run

from .._forward import forwarder

__all__ = ["Run"]

__getattr__ = forwarder("wandb.sdk.wandb_run")
