"""Other libraries take a config's nodes and lists as the plain dicts and lists they are.

Two libraries look at a value's exact type rather than ``isinstance``:

- PyYAML picks a representer by exact type: ``yaml.safe_dump`` refuses a ``dict``
  subclass and ``yaml.dump`` writes it with a ``!!python/object`` tag. The config's types
  are registered with both representers, as mappings and sequences.
- OmegaConf (2.1 and later) wraps only exact ``dict`` and ``list`` values, and refuses
  subclasses ("Value 'ConfigNode' is not a supported primitive type"). Its value wrapper
  (``omegaconf.omegaconf._node_wrap``) is given a plain copy of a config node or list
  instead, and, where OmegaConf keeps a list of the dict types it treats as plain
  (``_PRIMITIVE_DICT_TYPES``, 2.4), the config's types are added to it, so that
  ``OmegaConf.create(cfg)`` works too.

Each is done as soon as the library is imported: now if it already is, else right after
the program imports it (a finder on ``sys.meta_path`` wraps the library's loader, then
removes itself), so that ``import runconfig`` imports neither.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from functools import wraps
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

__all__ = ["treat_as_plain"]

_maps: list[type] = []
_lists: list[type] = []
_to_plain: list[Callable[[Any], Any]] = []


def treat_as_plain(
    maps: Sequence[type], lists: Sequence[type], to_plain: Callable[[Any], Any]
) -> None:
    """Have PyYAML and OmegaConf take ``maps`` as dicts and ``lists`` as lists;
    ``to_plain`` makes a deep plain copy of such a value."""
    _maps.extend(maps)
    _lists.extend(lists)
    _to_plain.append(to_plain)
    for name, teach in _TEACH.items():
        if name in sys.modules:
            teach()
        else:
            _AfterImport.install(name)


def _yaml() -> None:
    from yaml.representer import Representer, SafeRepresenter

    for representer in (SafeRepresenter, Representer):
        for cls in _maps:
            representer.add_representer(cls, SafeRepresenter.represent_dict)
        for cls in _lists:
            representer.add_representer(cls, SafeRepresenter.represent_list)


def _omegaconf() -> None:
    impl = sys.modules.get("omegaconf.omegaconf")
    utils = sys.modules.get("omegaconf._utils")
    node_wrap = getattr(impl, "_node_wrap", None)
    if node_wrap is None or getattr(node_wrap, "__runconfig__", False):
        return
    import inspect

    try:
        at = list(inspect.signature(node_wrap).parameters).index("value")
    except ValueError:
        return  # a version whose wrapper we do not know: leave it alone
    ours = (*_maps, *_lists)
    plain = _to_plain[0]

    @wraps(node_wrap)
    def wrap_plain(*args: Any, **kwargs: Any) -> Any:
        if "value" in kwargs:
            if isinstance(kwargs["value"], ours):
                kwargs["value"] = plain(kwargs["value"])
        elif len(args) > at and isinstance(args[at], ours):
            args = (*args[:at], plain(args[at]), *args[at + 1 :])
        return node_wrap(*args, **kwargs)

    wrap_plain.__runconfig__ = True  # type: ignore[attr-defined]
    impl._node_wrap = wrap_plain  # type: ignore[union-attr]
    listed = getattr(utils, "_PRIMITIVE_DICT_TYPES", None)
    if isinstance(listed, frozenset):
        utils._PRIMITIVE_DICT_TYPES = listed | {  # type: ignore[union-attr]
            (cls.__module__, cls.__qualname__) for cls in _maps
        }


_TEACH: dict[str, Callable[[], None]] = {"yaml": _yaml, "omegaconf": _omegaconf}


class _AfterImport:
    """Finds a module as the other finders do, and teaches it once it has run."""

    def __init__(self, name: str) -> None:
        self.name = name

    @classmethod
    def install(cls, name: str) -> None:
        if not any(isinstance(f, cls) and f.name == name for f in sys.meta_path):
            sys.meta_path.insert(0, cls(name))

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name != self.name:
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
            spec.loader = _ThenTeach(spec.loader, self)  # type: ignore[assignment]
        return spec


class _ThenTeach:
    """The module's own loader, followed by the teaching."""

    def __init__(self, loader: Any, finder: _AfterImport) -> None:
        self._loader = loader
        self._finder = finder

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        module: ModuleType | None = self._loader.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        if self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
        _TEACH[self._finder.name]()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)
