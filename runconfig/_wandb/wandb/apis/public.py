"""``wandb.apis.public``: runconfig's :class:`~runconfig.Api` as wandb's public API."""

from __future__ import annotations

from runconfig.api import Api

from .._forward import forwarder

__all__ = ["Api"]

__getattr__ = forwarder("wandb.apis.public")
