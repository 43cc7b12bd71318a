"""Do something with a module once it is imported, without importing it ourselves.

``when_imported("yaml", teach)`` calls ``teach(module)`` now if ``yaml`` is imported, else
right after the program imports it: one finder at the front of ``sys.meta_path`` finds the
module as the other finders do and wraps its loader, whose ``exec_module`` runs the module
then the callbacks. The module keeps its own loader afterwards (``module.__loader__``),
and the finder leaves ``sys.meta_path`` when no call is pending. A callback that raises
is reported on stderr in one line and the import succeeds: a library must import as it
did without runconfig.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

__all__ = ["when_imported"]

Callback = Callable[[ModuleType], None]

_lock = threading.RLock()
_pending: dict[str, list[Callback]] = {}


def when_imported(name: str, callback: Callback) -> Callable[[], None]:
    """Call ``callback(module)`` once the module ``name`` is imported (now, if it is).
    Returns a function that cancels the call if it is still pending."""
    module = sys.modules.get(name)
    if module is not None:
        callback(module)
        return _nothing
    with _lock:
        _pending.setdefault(name, []).append(callback)
        if not any(isinstance(f, _Finder) for f in sys.meta_path):
            sys.meta_path.insert(0, _Finder())

    def cancel() -> None:
        with _lock:
            waiting = _pending.get(name, [])
            if callback in waiting:
                waiting.remove(callback)
            if not waiting:
                _pending.pop(name, None)
            _leave_if_idle()

    return cancel


def _nothing() -> None:
    pass


def _leave_if_idle() -> None:
    if not _pending:
        sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _Finder)]


class _Finder:
    """Finds a module with a pending call as the other finders would, then wraps its loader."""

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name not in _pending:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec: ModuleSpec | None = find(name, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _ThenCall(spec.loader)  # type: ignore[assignment]
        return spec


class _ThenCall:
    """The module's own loader, followed by the pending calls."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        module: ModuleType | None = self._loader.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        with _lock:
            callbacks = _pending.pop(module.__name__, [])
            _leave_if_idle()
        for callback in callbacks:
            try:
                callback(module)
            except Exception as e:  # the import must succeed whatever happens here
                print(
                    f"runconfig: after importing {module.__name__}: {type(e).__name__}: {e}",
                    file=sys.stderr,
                )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)
