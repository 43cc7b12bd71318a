"""``wandb.sdk.lib.config_util``: ``ConfigError``, what a config write raises when it
changes a stored value without ``allow_val_change`` (or reads a malformed config file):
runconfig's :class:`~runconfig.errors.ConfigValueError`. Transformers imports it in every
``WandbCallback.setup``."""

from __future__ import annotations

from runconfig.errors import ConfigValueError as ConfigError

from ..._forward import forwarder

__all__ = ["ConfigError"]

__getattr__ = forwarder("wandb.sdk.lib.config_util")
