"""``wandb.apis``: ``wandb.apis.public.Api`` is runconfig's :class:`~runconfig.Api`, which
reads runs from the store."""

from __future__ import annotations

from .._forward import forwarder
from . import public

__all__ = ["public"]

__getattr__ = forwarder("wandb.apis")
