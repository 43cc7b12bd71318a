"""Small values a :class:`~runconfig.Run` hands out: alert levels, its sync status, and
the read-only snapshot of its config."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

__all__ = ["AlertLevel", "ConfigStatic", "RunStatus"]


class AlertLevel(str, Enum):
    """The level of :meth:`Run.alert` (wandb's ``wandb.AlertLevel``)."""

    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


@dataclass(frozen=True)
class RunStatus:
    """What :meth:`Run.status` returns: runconfig syncs nothing, so nothing is pending."""

    sync_items_total: int = 0
    sync_items_pending: int = 0
    sync_time: datetime | None = None


class ConfigStatic(Mapping[str, Any]):
    """``run.config_static``: a read-only snapshot of the config, with attribute access at
    every depth (nested values are ConfigStatic too; lists are tuples)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        plain = config.as_dict() if hasattr(config, "as_dict") else dict(config)
        object.__setattr__(self, "_values", {k: _frozen(v) for k, v in plain.items()})

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"'ConfigStatic' object has no attribute {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("run.config_static is read-only: set values on run.config")

    __setitem__ = __setattr__

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return repr(self._values)


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return ConfigStatic(value)
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value
