"""Copies of a run's source code in its folder (``log_code``, ``init(save_code=True)``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable

__all__ = ["copy_code", "copy_files"]

# Folders never searched for code: tools' caches, environments, stores.
_SKIPPED = frozenset(
    {"__pycache__", "node_modules", "site-packages", "venv", "env", "wandb", "runconfig-files"}
)


def _is_code(path: str, root: str) -> bool:
    return path.endswith(".py")


def copy_code(
    root: str,
    dest: str,
    include_fn: Callable[..., bool] | None = None,
    exclude_fn: Callable[..., bool] | None = None,
) -> list[str]:
    """Copy the files under ``root`` that ``include_fn(path, root)`` accepts (``*.py`` by
    default) and ``exclude_fn(path, root)`` does not into ``dest``, keeping their relative
    paths. Hidden folders and the usual environments and caches are skipped. Returns the
    relative paths copied, sorted."""
    include = include_fn or _is_code
    root = os.path.abspath(root)
    found: list[str] = []
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED)
        for name in sorted(files):
            path = os.path.join(here, name)
            if _call(include, path, root) and not (exclude_fn and _call(exclude_fn, path, root)):
                found.append(path)
    return copy_files(found, root, dest)


def _call(fn: Callable[..., bool], path: str, root: str) -> bool:
    # wandb's include_fn/exclude_fn take (path, root); older ones take (path).
    try:
        return bool(fn(path, root))
    except TypeError:
        return bool(fn(path))


def copy_files(paths: Iterable[str], root: str, dest: str) -> list[str]:
    """Copy ``paths`` (below ``root``) into ``dest`` at their paths relative to ``root``."""
    copied = []
    for path in paths:
        rel = os.path.relpath(path, root)
        target = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(path, target)
        copied.append(rel.replace(os.sep, "/"))
    return sorted(copied)
