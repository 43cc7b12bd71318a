"""The configs bench_config compares: the baselines and the peers' config classes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class AttrDict(dict):  # type: ignore[type-arg]
    """The baseline of attribute reads: a dict whose instance ``__dict__`` is itself, the
    fastest attribute dict Python has (issue 11): a read runs no Python code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.__dict__ = self


class BareSubclass(dict):  # type: ignore[type-arg]
    """A dict subclass with nothing added: CPython 3.11 specialises ``d[k]`` for exact dicts
    only, so this is the fastest item read any dict subclass can have."""


class Minimal:
    """The least a mapping that does not subclass dict can do: a Python ``__getitem__``."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]


def values() -> dict[str, Any]:
    """What every config holds (a fresh copy each call)."""
    return {"lr": 1e-3, "batch_size": 32, "optimizer": "adam", "train": {"epochs": 10}}


def makers() -> dict[str, Callable[[dict[str, Any]], Any] | None]:
    """For each peer, a function making its config from a dict; None if not installed."""
    found: dict[str, Callable[[dict[str, Any]], Any] | None] = {}

    def wandb_config(data: dict[str, Any]) -> Any:
        from wandb.sdk import wandb_config

        cfg: Any = wandb_config.Config  # untyped upstream
        cfg = cfg()
        cfg.update(data)
        return cfg

    def omegaconf(data: dict[str, Any]) -> Any:
        from omegaconf import OmegaConf

        return OmegaConf.create(data)

    def ml_collections(data: dict[str, Any]) -> Any:
        from ml_collections import ConfigDict

        return ConfigDict(data)

    for name, make in (
        ("wandb Config", wandb_config),
        ("OmegaConf", omegaconf),
        ("ml_collections", ml_collections),
    ):
        try:
            make({})
            found[name] = make
        except Exception:
            found[name] = None
    return found


def peers() -> dict[str, Any]:
    """Each peer's config holding the same values (None: not installed)."""
    return {name: make and make(values()) for name, make in makers().items()}
