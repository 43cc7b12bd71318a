"""``wandb.wandb_run``: where code finds the run class (``isinstance(run,
wandb.wandb_run.Run)``, as PyTorch Lightning checks before ``define_metric``): runconfig's
:class:`~runconfig.Run`."""

from __future__ import annotations

from runconfig import Run

from ._forward import forwarder

__all__ = ["Run"]

__getattr__ = forwarder("wandb.wandb_run")
