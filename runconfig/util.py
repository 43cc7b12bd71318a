"""Helpers of wandb's ``wandb.util`` that training scripts call.

>>> make_artifact_name_safe("source-my proj/x:y.py")
'source-my_proj_x_y.py'
"""

from __future__ import annotations

import importlib
import re
from types import ModuleType

__all__ = ["generate_id", "get_module", "make_artifact_name_safe"]


def make_artifact_name_safe(name: str) -> str:
    """``name`` with every character other than letters, digits, ``_``, ``-`` and ``.``
    replaced by ``_``; past 128 characters, its first and last 63 joined by ``..``
    (wandb's rule)."""
    cleaned = re.sub(r"[^a-zA-Z0-9_\-.]", "_", name)
    if len(cleaned) <= 128:
        return cleaned
    return re.sub(r"(^.{63}).*(.{63}$)", r"\g<1>..\g<2>", cleaned)


def generate_id(length: int = 8) -> str:
    """A random id of ``length`` characters of ``[a-z0-9]``, as runs get."""
    import secrets

    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def get_module(name: str, required: str | None = None, lazy: bool = True) -> ModuleType | None:
    """The module ``name``, or None when it is not installed; with ``required``, an
    ``ImportError`` carrying that message instead of None."""
    try:
        return importlib.import_module(name)
    except ImportError:
        if required:
            raise ImportError(required) from None
        return None
