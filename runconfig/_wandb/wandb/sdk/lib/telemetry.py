"""``wandb.sdk.lib.telemetry``: wandb's record of which features a run uses, which its
integrations fill in (``with telemetry.context(run=run) as tel: tel.feature.keras =
True``). runconfig keeps no telemetry: the context takes any attribute, at any depth, and
forgets it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..._forward import forwarder

__all__ = ["TelemetryRecord", "context"]


class TelemetryRecord:
    """Takes any attribute at any depth (``tel.feature.keras = True``) and keeps it."""

    def __getattr__(self, name: str) -> TelemetryRecord:
        if name.startswith("__"):
            raise AttributeError(name)
        child = TelemetryRecord()
        object.__setattr__(self, name, child)
        return child

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)


@contextmanager
def context(run: Any = None, obj: Any = None) -> Iterator[TelemetryRecord]:
    """A record to fill in; nothing is sent anywhere."""
    yield TelemetryRecord()


__getattr__ = forwarder("wandb.sdk.lib.telemetry")
