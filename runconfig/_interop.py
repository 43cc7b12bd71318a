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
the program imports it (:func:`runconfig._import_hooks.when_imported`), so that ``import
runconfig`` imports neither.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from functools import wraps
from types import ModuleType
from typing import Any

from runconfig._import_hooks import when_imported

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
    when_imported("yaml", _yaml)
    when_imported("omegaconf", _omegaconf)


def _yaml(module: ModuleType) -> None:
    from yaml.representer import Representer, SafeRepresenter

    for representer in (SafeRepresenter, Representer):
        for cls in _maps:
            representer.add_representer(cls, SafeRepresenter.represent_dict)
        for cls in _lists:
            representer.add_representer(cls, SafeRepresenter.represent_list)


def _omegaconf(module: ModuleType) -> None:
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
