"""Turn any value a user stores in a config into plain JSON data.

:func:`sanitize` returns a new value built only from ``dict`` (``str`` keys), ``list``, ``str``,
``int``, ``float``, ``bool`` and ``None``; later changes to the caller's objects change nothing
stored. Types are kept: ``2.0`` stays a float, big ints stay exact, NaN and infinities stay
floats. The first matching rule wins; every conversion but the last is deliberate and silent:

=========================================  ====================================================
value                                      stored as
=========================================  ====================================================
exact ``str``/``int``/``float``/``bool``,  itself
``None``
``Mapping``, ``argparse.Namespace``,       ``dict``, values converted. Other keys than ``str``
dataclass instance, pydantic model         as JSON spells them (``1`` -> ``"1"``, ``True`` ->
                                           ``"true"``, ``None`` -> ``"null"``), a tuple key as
                                           ``str(key)``; two keys spelled alike are an error
``list``, ``tuple``, namedtuple, ``range``, ``list``, elements converted
``deque``, ``bytearray``, any ``Sequence``
``set``, ``frozenset``, any ``abc.Set``    ``list``, sorted when the elements sort
numpy scalar or array, torch/JAX/TF        ``.tolist()``: a scalar (0-d) or nested lists of any
tensor                                     size; torch tensors detached and moved to the CPU
OmegaConf config, runconfig ``Config``     ``OmegaConf.to_container(resolve=True)``,
                                           ``as_dict()``
``enum.Enum`` member                       its ``.value`` if a rule converts it, else ``.name``
``bytes``                                  UTF-8 ``str``; ``ConfigValueError`` if not UTF-8
``datetime``, ``date``, ``time``           ``isoformat()``
``timedelta``                              ``total_seconds()``, a ``float``
``PurePath``, ``UUID``, ``Decimal``,       ``str(value)``, which is exact (``"(1+2j)"``)
``Fraction``, ``complex``, ``UserString``
``slice``                                  ``{"start": ..., "stop": ..., "step": ...}``
class, function, method, builtin, module   ``"module.qualname"`` (``"math.sqrt"``); a module:
                                           its ``__name__``
``str``/``int``/``float`` subclass         the plain ``str``/``int``/``float``
anything else                              ``str(value)`` and a :class:`ValueConversionWarning`,
                                           once per key and type
=========================================  ====================================================

A cycle, nesting deeper than :data:`MAX_DEPTH`, or a key or string holding a lone surrogate
(not text: see :func:`surrogate_at`) raises ``ConfigValueError`` naming the key.
"""

from __future__ import annotations

import collections
import collections.abc as abc
import enum
import json
import sys
import types
import warnings
from collections.abc import Callable
from typing import Any

from runconfig._paths import format_segment
from runconfig.errors import ConfigValueError

__all__ = [
    "MAX_DEPTH",
    "ValueConversionWarning",
    "check_text",
    "is_json_safe_scalar",
    "printable",
    "sanitize",
    "surrogate_at",
]

#: Levels allowed on one path, counting containers and conversion steps (a dataclass is
#: two: itself, then the dict of its fields). Deeper values raise ``ConfigValueError``.
MAX_DEPTH = 500

_SCALARS = frozenset({str, int, float, bool, type(None)})
_TERMINAL = _SCALARS | {dict, list}
_ARRAY_LIBRARIES = frozenset({"numpy", "torch", "jax", "jaxlib", "tensorflow"})
_NO_RULE = object()
_warned: set[tuple[str, type]] = set()

_Converter = Callable[[Any, str], Any]
_Task = tuple[Any, Any, Any, str, int]


class ValueConversionWarning(UserWarning):
    """A value no rule knows was stored as its ``str()``; warned once per key and type."""


class _Unconvertible(Exception):
    """Raised in strict mode where the ``str()`` fallback would be used."""


def is_json_safe_scalar(value: Any) -> bool:
    """True for an exact ``str``, ``int``, ``float``, ``bool`` or ``None``."""
    return type(value) in _SCALARS


def surrogate_at(text: str) -> int:
    """The index of the first lone surrogate in ``text``, or -1 if it has none.

    A lone surrogate (U+D800 to U+DFFF) is not text: no UTF-8 spells it, so no store can
    keep it. Python makes one of each byte that is not UTF-8 when it decodes with
    ``surrogateescape``, as it does file names, ``sys.argv`` and ``os.environ``.
    """
    if text.isascii():
        return -1
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:  # only a surrogate stops UTF-8
        return int(e.start)
    return -1


def printable(text: str) -> str:
    """``text`` with each lone surrogate written as its escape (``\\udcff``), so that a
    message holding it can be printed."""
    return text if text.isascii() else text.encode("utf-8", "backslashreplace").decode("utf-8")


def check_text(text: str, key: str, *, is_key: bool = False) -> None:
    """Raise ``ConfigValueError`` naming the dotted ``key`` if ``text`` (the key's last
    segment when ``is_key``, else a string stored at ``key``) holds a lone surrogate."""
    at = surrogate_at(text)
    if at < 0:
        return
    what = "the key" if is_key else "its value"
    raise ConfigValueError(
        f"config key '{_show(printable(key))}': {what} holds {text[at]!r} at index {at}, "
        "a lone surrogate, which is not text and cannot be stored (a byte that is not "
        "UTF-8, decoded with surrogateescape?); store valid Unicode, or decode the bytes "
        "with the encoding they are in"
    )


def sanitize(value: Any, key: str) -> Any:
    """Return a new JSON-safe copy of ``value``, which is stored under the dotted ``key``.

    ``key`` names the value in messages; nested keys extend it (``train.layers[2].act``).
    Raises ``ConfigValueError`` for a cycle, too deep a value, bytes that are not UTF-8,
    text holding a lone surrogate (a key or a string) and dict keys that collide once
    converted.

    >>> sanitize({"lr": 0.1, 2: (1, 2)}, "opt")
    {'lr': 0.1, '2': [1, 2]}
    """
    if type(value) in _SCALARS:
        if type(value) is str and not value.isascii():
            check_text(value, key)
        return value
    return _sanitize(value, key, strict=False)


def _sanitize(value: Any, key: str, strict: bool) -> Any:
    # An explicit stack, not recursion: a deep value gives ConfigValueError, never
    # RecursionError, however deep the caller's stack. A task (value, target, slot, path,
    # depth) puts its result in target[slot]; one with target None closes a container.
    root: list[Any] = [None]
    stack: list[_Task] = [(value, root, 0, key, 0)]
    on_path: dict[int, Any] = {}  # id -> object; holding the object keeps its id unique
    while stack:
        original, target, slot, path, depth = stack.pop()
        if target is None:
            del on_path[id(original)]
            continue
        value = original
        while type(value) not in _TERMINAL:
            depth += 1  # conversions count as levels, so a chain of them always ends
            if depth >= MAX_DEPTH:
                raise _too_deep(path)
            converted = _convert(value, path)
            if converted is _NO_RULE:
                if strict:
                    raise _Unconvertible
                converted = _stringify(value, path)
            value = converted
        if type(value) in _SCALARS:
            if type(value) is str and not value.isascii():
                check_text(value, path)
            target[slot] = value
            continue
        if depth >= MAX_DEPTH:
            raise _too_deep(path)
        if id(original) in on_path:
            raise ConfigValueError(
                f"config key '{_show(path)}' contains itself (a cycle); "
                "store a copy without the back-reference"
            )
        on_path[id(original)] = original
        stack.append((original, None, None, path, depth))
        children: list[_Task] = []
        out: Any
        if type(value) is dict:
            out = {}
            for k, v in value.items():
                if type(k) is not str:
                    k = _key_text(k, path)
                if not k.isascii():
                    check_text(k, f"{path}.{format_segment(k)}", is_key=True)
                if type(v) in _SCALARS:
                    if type(v) is str and not v.isascii():
                        check_text(v, f"{path}.{format_segment(k)}")
                    out[k] = v
                else:
                    out[k] = None  # holds the key's place until the child is converted
                    children.append((v, out, k, f"{path}.{format_segment(k)}", depth + 1))
            if len(out) != len(value):
                raise _collision(value, path)
        else:
            out = list(value)
            for i, v in enumerate(out):
                if type(v) is str:
                    if not v.isascii():
                        check_text(v, f"{path}[{i}]")
                elif type(v) not in _SCALARS:
                    children.append((v, out, i, f"{path}[{i}]", depth + 1))
        target[slot] = out
        stack.extend(reversed(children))  # so an error names the first bad child
    return root[0]


def _convert(value: Any, path: str) -> Any:
    """One step towards JSON, or ``_NO_RULE``. Containers come back unconverted."""
    rule = _BY_TYPE.get(type(value))
    if rule is not None:
        return rule(value, path)
    for matches, rule in _DUCK_RULES:
        if matches(value):
            return rule(value, path)
    for cls, rule in _BY_TYPE.items():
        if isinstance(value, cls):
            return rule(value, path)
    for module, name, rule in _BY_NAME:
        lazy_type = getattr(sys.modules.get(module), name, None)
        if lazy_type is not None and isinstance(value, lazy_type):
            return rule(value, path)
    return _NO_RULE


def _key_text(key: Any, path: str) -> str:
    if type(key) not in _SCALARS:
        try:
            converted = _sanitize(key, path, strict=True)
        except (_Unconvertible, ConfigValueError):
            return str(key)
        if type(converted) not in _SCALARS:
            return str(key)  # a tuple key, say
        key = converted
    if type(key) is str:
        return key
    return str(key) if type(key) is int else json.dumps(key)  # "true", "null", "NaN"


def _collision(mapping: dict[Any, Any], path: str) -> ConfigValueError:
    seen: dict[str, Any] = {}
    for k in mapping:
        text = k if type(k) is str else _key_text(k, path)
        if text in seen:
            return ConfigValueError(
                f"config key '{_show(path)}' has keys {seen[text]!r} and {k!r}, which are "
                f"both stored as {text!r}; keep only one of them"
            )
        seen[text] = k
    return ConfigValueError(f"config key '{_show(path)}' changed while it was being stored")


def _too_deep(path: str) -> ConfigValueError:
    return ConfigValueError(
        f"config key '{_show(path)}' is nested more than {MAX_DEPTH} levels deep; "
        f"runconfig stores at most {MAX_DEPTH} levels"
    )


def _show(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else f"{text[: limit // 2]}...{text[-limit // 3 :]}"


def _stringify(value: Any, path: str) -> str:
    text, cls = str(value), type(value)
    if (path, cls) not in _warned:
        _warned.add((path, cls))
        name = cls.__qualname__
        if cls.__module__ != "builtins":
            name = f"{cls.__module__}.{name}"
        what = (
            f"logged value '{path[8:]}'" if path.startswith("summary.") else f"config key '{path}'"
        )
        warnings.warn(
            f"{_show(what)} holds a {name}; stored as its str(): {_show(text, 80)!r}",
            ValueConversionWarning,
            stacklevel=user_stacklevel(),
        )
    return text


def user_stacklevel() -> int:
    """The stacklevel of the first frame outside runconfig, so warnings point at user code."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None:
        module = str(frame.f_globals.get("__name__", ""))
        if module != "runconfig" and not module.startswith("runconfig."):
            break
        frame, level = frame.f_back, level + 1
    return level


# The rules. Each takes (value, path) and returns a simpler value, converted further.


def _to_str(value: Any, path: str) -> str:
    return str(value)


def _decode(value: bytes, path: str) -> str:
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigValueError(
            f"config key '{_show(path)}' holds bytes that are not UTF-8 ({e.reason} at byte "
            f"{e.start}): {value[:24]!r}; decode them or store a str"
        ) from None


def _sorted_list(value: abc.Set[Any], path: str) -> list[Any]:
    try:
        return sorted(value)
    except TypeError:  # elements that do not sort: keep the iteration order
        return list(value)


def _library(value: Any) -> str:
    """The top-level package of the value's type: ``"numpy"`` for a ``numpy.ndarray``."""
    return type(value).__module__.partition(".")[0]


def _is_array(value: Any) -> bool:
    return _library(value) in _ARRAY_LIBRARIES and (
        hasattr(value, "tolist") or hasattr(value, "numpy")
    )


def _array_to_list(value: Any, path: str) -> Any:
    if hasattr(value, "detach"):  # torch
        value = value.detach().cpu()
    return value.tolist() if hasattr(value, "tolist") else value.numpy()


def _is_named(value: Any) -> bool:
    # Instances do not see their class's __qualname__, so a callable object is not named.
    return isinstance(value, (type, types.ModuleType)) or (
        callable(value) and hasattr(value, "__qualname__")
    )


def _qualified_name(value: Any, path: str) -> str:
    if isinstance(value, types.ModuleType):
        return value.__name__
    module = getattr(value, "__module__", None)
    return f"{module}.{value.__qualname__}" if module else str(value.__qualname__)


def _enum_value(member: enum.Enum, path: str) -> Any:
    try:
        return _sanitize(member.value, path, strict=True)
    except (_Unconvertible, ConfigValueError):
        return member.name


def _is_pydantic(value: Any) -> bool:
    cls = type(value)
    v2 = hasattr(cls, "model_dump") and hasattr(cls, "model_fields")
    return v2 or (hasattr(cls, "__fields__") and hasattr(cls, "parse_obj") and hasattr(cls, "dict"))


def _pydantic_fields(value: Any, path: str) -> Any:
    return value.model_dump(mode="python") if hasattr(value, "model_dump") else value.dict()


def _is_dataclass_instance(value: Any) -> bool:
    return hasattr(type(value), "__dataclass_fields__") and not isinstance(value, type)


def _dataclass_fields(value: Any, path: str) -> dict[str, Any]:
    # Not dataclasses.asdict(): it deep-copies every field, which fails on some objects.
    # (A dataclass instance exists, so the dataclasses module is loaded.)
    fields = sys.modules["dataclasses"].fields(value)
    return {f.name: getattr(value, f.name) for f in fields if hasattr(value, f.name)}


_DUCK_RULES: tuple[tuple[Callable[[Any], bool], _Converter], ...] = (
    (_is_array, _array_to_list),
    (_is_named, _qualified_name),
    (lambda v: isinstance(v, enum.Enum), _enum_value),
    (
        lambda v: _library(v) == "omegaconf",
        lambda v, path: sys.modules["omegaconf"].OmegaConf.to_container(v, resolve=True),
    ),
    (
        lambda v: _library(v) == "runconfig" and callable(getattr(v, "as_dict", None)),
        lambda v, path: v.as_dict(),
    ),
    (_is_pydantic, _pydantic_fields),
    (_is_dataclass_instance, _dataclass_fields),
)

# Looked up by exact type first; after the duck rules, by isinstance in this order.
_BY_TYPE: dict[type, _Converter] = {
    tuple: lambda v, path: list(v),
    set: _sorted_list,
    frozenset: _sorted_list,
    bytes: _decode,
    complex: _to_str,
    slice: lambda v, path: {"start": v.start, "stop": v.stop, "step": v.step},
    collections.UserString: _to_str,  # a Sequence, but not one of elements
    str: lambda v, path: str.__str__(v),  # subclasses: the plain value, not their __str__
    int: lambda v, path: int.__int__(v),
    float: lambda v, path: float.__float__(v),
    abc.Mapping: lambda v, path: dict(v.items()),
    abc.Set: _sorted_list,
    abc.Sequence: lambda v, path: list(v),
}

# Types of modules this one does not import (to keep ``import runconfig`` fast): while such
# a module is not loaded, no value can be of its types. Matched last, by isinstance.
_BY_NAME: tuple[tuple[str, str, _Converter], ...] = (
    ("datetime", "datetime", lambda v, path: v.isoformat()),
    ("datetime", "date", lambda v, path: v.isoformat()),
    ("datetime", "time", lambda v, path: v.isoformat()),
    ("datetime", "timedelta", lambda v, path: v.total_seconds()),
    ("pathlib", "PurePath", _to_str),
    ("uuid", "UUID", _to_str),
    ("decimal", "Decimal", _to_str),
    ("fractions", "Fraction", _to_str),
    ("argparse", "Namespace", lambda v, path: dict(vars(v))),
)
