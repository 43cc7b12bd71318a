"""``wandb.errors``: runconfig's errors under wandb's names.

``Error`` is the base of every runconfig error (:class:`runconfig.errors.RunconfigError`),
so ``except wandb.errors.Error`` catches them all, as in wandb.
"""

from __future__ import annotations

from runconfig import errors as _errors
from runconfig.errors import CommError, Error, UsageError

from ._forward import forwarder

__all__ = ["CommError", "Error", "UsageError"]

__getattr__ = forwarder("wandb.errors", lambda: _errors)
