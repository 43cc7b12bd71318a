"""``wandb.sdk.wandb_settings``: runconfig's :class:`~runconfig.Settings`, which takes
wandb's settings and reads those that stand for ``init()`` arguments."""

from __future__ import annotations

from runconfig import Settings

from .._forward import forwarder

__all__ = ["Settings"]

__getattr__ = forwarder("wandb.sdk.wandb_settings")
