"""``wandb.sdk.wandb_config``: the config class, runconfig's :class:`~runconfig.Config`."""

from __future__ import annotations

from runconfig import Config

from .._forward import forwarder

__all__ = ["Config"]

__getattr__ = forwarder("wandb.sdk.wandb_config")
