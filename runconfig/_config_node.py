"""The pieces of a :class:`~runconfig.config.Config` tree: nodes, lists and the placeholder.

Private: :mod:`runconfig.config` re-exports the public names (``ConfigNode``,
``ConfigList``) and documents the behaviour. Every write made here is handed to the root
(:meth:`Config._commit`), the one place where changes are checked and applied.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, ItemsView, Iterable, KeysView, Mapping, ValuesView
from functools import partial
from sys import _getframe
from types import FrameType, FunctionType, MethodType
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from runconfig._entries import REMOVED
from runconfig._paths import format_path, format_segment, parse_path
from runconfig.errors import (
    ConfigAttributeError,
    ConfigError,
    ConfigKeyError,
    ConfigTypeError,
    ConfigValueError,
    UsageError,
)
from runconfig.values import sanitize

if TYPE_CHECKING:
    from runconfig.config import Config

__all__ = ["ConfigList", "ConfigNode"]

_ATOM_TYPES = frozenset({str, int, float, bool, type(None)})
_MISSING: Any = object()
# The errors that are the user's mistakes: their traceback ends at the method called.
_USER_ERRORS = (ConfigError, UsageError)
# Instance fields: attribute reads of these names never fall back to the config's keys.
_FIELDS = frozenset(
    {"_root", "_path", "_origins", "_descs", "_allow", "_callback", "_locks", "_new_keys"}
    | {"_warned"}
)
# dict's own methods, for the node's raw contents (a node's methods track writes).
_dget = dict.get
_dset = dict.__setitem__
_dpop = dict.pop
_dhas = dict.__contains__
_dkeys = dict.keys
_dvalues = dict.values
_ditems = dict.items
_dclear = dict.clear
_dupdate = dict.update
_deq = dict.__eq__
_T = TypeVar("_T")

Write = tuple[tuple[str, ...], Any, "str | None", "str | None"]
"""One planned write: ``(path, JSON-safe value or REMOVED, origin, desc)``."""


# -- origins: "train.py:12" ----------------------------------------------------------------

# Computing a line number scans the code's line table, and formatting it costs more than
# the rest of a set, so each assigning instruction is resolved once: the last one is
# remembered (a loop sets from the same line), the others in _lines, keyed by
# (id(code), instruction offset) and holding the code object to make the id check exact.
_lines: dict[tuple[int, int], tuple[Any, str]] = {}
_last: tuple[Any, int, str] = (None, -1, "")  # one tuple, so threads read it whole


def _origin(frame: FrameType) -> str:
    """``"train.py:12"``: the file and line that ``frame`` is executing."""
    global _last
    code, lasti = frame.f_code, frame.f_lasti
    last = _last
    if last[0] is code and last[1] == lasti:
        return last[2]
    hit = _lines.get((id(code), lasti))
    if hit is not None and hit[0] is code:
        text = hit[1]
    else:
        text = f"{os.path.basename(code.co_filename)}:{frame.f_lineno}"
        if len(_lines) >= 4096:
            _lines.clear()
        _lines[(id(code), lasti)] = (code, text)
    _last = (code, lasti, text)
    return text


# -- values ----------------------------------------------------------------------------------


def _same(stored: Any, new: Any) -> bool:
    """Equal as the change rule sees it: numbers by value, bools strict, NaN equals NaN.

    ``stored`` is a value held by a node (atoms, ``ConfigNode``, ``ConfigList``), ``new`` a
    sanitized one (atoms, ``dict``, ``list``).
    """
    ts, tn = type(stored), type(new)
    if ts is tn and (ts is str or ts is int or ts is bool or stored is None):
        return bool(stored == new)
    if ts is bool or tn is bool:
        return False
    if (ts is int or ts is float) and (tn is int or tn is float):
        return bool(stored == new or (stored != stored and new != new))
    if tn is dict:
        if ts is not ConfigNode and ts is not dict:
            return False
        return len(stored) == len(new) and all(
            k in new and _same(v, new[k]) for k, v in _ditems(stored)
        )
    if tn is list and (ts is list or ts is ConfigList):
        return len(stored) == len(new) and all(map(_same, stored, new))
    return False


def _plain(value: Any) -> Any:
    """A deep plain copy of a stored value: nodes become dicts, ``ConfigList``s lists."""
    t = type(value)
    if t is ConfigNode:
        return {k: _plain(v) for k, v in _ditems(value)}
    if t is ConfigList or t is list:
        return [_plain(v) for v in value]
    if t is dict:
        return {k: _plain(v) for k, v in value.items()}
    return value


def _clean(value: Any, path: tuple[str, ...]) -> Any:
    """The JSON-safe copy of ``value`` to store at ``path`` (see :mod:`runconfig.values`)."""
    if type(value) is _Missing:
        value._fail()  # cfg.x = cfg["absent"]: reading a missing key as a value
    return sanitize(value, format_path(path))


# -- messages ---------------------------------------------------------------------------------


def _dotted(path: tuple[str, ...]) -> str:
    return format_path(path) if path else "<config>"


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _expr(path: tuple[str, ...], base: str = "config") -> str:
    """How a user reaches ``path``: ``config.train.epochs`` or ``config['batch-size']``."""
    parts = [base]
    for seg in path:
        plain = seg.isidentifier() and not seg.startswith("__") and seg not in _NODE_ATTRS
        parts.append(f".{seg}" if plain else f"[{seg!r}]")
    return "".join(parts)


def _items_expr(path: tuple[str, ...]) -> str:
    return "config" + "".join(f"[{seg!r}]" for seg in path)


def _nested_literal(path: tuple[str, ...], value: Any) -> str:
    """``{'train': {'epochs': 4}}``: the dict that ``update()`` takes to set ``path``."""
    text = repr(value)
    for seg in reversed(path):
        text = f"{{{seg!r}: {text}}}"
    return text


def _where(node: ConfigNode, key: str) -> str:
    """``": did you mean 'train.epochs'?"``, or the keys that exist at ``node``."""
    names = [k for k in _dkeys(node) if k[:1] != "_" or node._path or key[:1] == "_"]
    close = difflib.get_close_matches(key, names, n=1)
    if close:
        return f": did you mean '{format_path((*node._path, close[0]))}'?"
    if not names:
        return f" ({'the config' if not node._path else repr(_dotted(node._path))} is empty)."
    shown = ", ".join(format_segment(k) for k in names[:12])
    more = ", ..." if len(names) > 12 else ""
    where = f" at '{_dotted(node._path)}'" if node._path else ""
    return f" (keys{where}: {shown}{more})."


def _missing(node: ConfigNode, key: str, kind: type[ConfigError]) -> ConfigError:
    """The error for reading (or deleting) ``key``, absent from ``node``."""
    return kind(
        f"Config has no key '{format_path((*node._path, key))}'{_where(node, key)} "
        f"Set it first, or use {_expr(node._path)}.get({key!r}, default) "
        "for a key that may be absent."
    )


def _detached(path: tuple[str, ...], what: str = "node") -> UsageError:
    return UsageError(
        f"this config {what} ('{_dotted(path)}') was replaced or removed, so a write "
        f"through it would be lost; read it again from the config ({_expr(path)})"
    )


# -- nodes ---------------------------------------------------------------------------------


def _shadow_proof(cls: type[_T]) -> type[_T]:
    """Make the methods of ``cls`` data descriptors, so a key never hides a method.

    A node's instance ``__dict__`` is the node itself: ``cfg.lr`` reads the key ``lr``
    with no Python code run. Python looks in the instance dict before it looks at the
    type's plain methods, so a key named ``items`` or ``_commit`` would hide the method;
    it does not look there before the type's data descriptors, which these become
    (``property`` of a ``MethodType`` partial: all C, ~0.1 µs per method access).
    """
    for name, attr in list(vars(cls).items()):
        if name[:2] == "__":
            continue
        if isinstance(attr, FunctionType):
            setattr(cls, name, property(partial(MethodType, attr), doc=attr.__doc__))
        elif isinstance(attr, staticmethod):
            setattr(cls, name, property(partial(_constant, attr.__func__), doc=attr.__doc__))
    return cls


def _constant(value: Any, _self: Any) -> Any:
    return value


@_shadow_proof
class ConfigNode(dict[str, Any]):
    """A nested level of a :class:`~runconfig.config.Config`: ``cfg.train``, ``cfg["train"]``.

    A real ``dict`` (``isinstance``, ``json``, ``yaml``, OmegaConf and ``==`` take it as
    one) that reads and writes like the config itself: every write is checked by the
    config's rules and reported with its full dotted key (``train.epochs``).
    """

    # The instance __dict__ is the node itself (see _shadow_proof): attribute reads of keys
    # and item reads both run no Python code. Item reads of absent keys go to __missing__.
    __slots__ = ("__dict__", "_descs", "_origins", "_path", "_root")

    _root: Config | None
    _path: tuple[str, ...]
    _origins: dict[str, str]
    _descs: dict[str, str]

    def __init__(self, root: Config | None, path: tuple[str, ...]) -> None:
        setter = object.__setattr__
        setter(self, "__dict__", self)
        setter(self, "_root", root)
        setter(self, "_path", path)
        setter(self, "_origins", {})
        setter(self, "_descs", {})

    def __missing__(self, key: Any) -> Any:
        try:
            return self._read_absent(key)
        except _USER_ERRORS as e:
            raise e.with_traceback(None) from None

    # -- reads ----------------------------------------------------------------------------
    # Reads of stored keys never get here: ``node.key`` is found in the instance dict (the
    # node) and ``node[key]`` by dict's own lookup. These handle the rest.
    def __getattr__(self, name: str) -> Any:
        if name in _FIELDS or name[:2] == "__":
            raise AttributeError(name)
        value = self._lookup(name)
        if value is _MISSING:
            raise _missing(self, self._key_or(name), ConfigAttributeError)
        return value

    def _read_absent(self, key: Any) -> Any:
        """``node[key]`` for a key not stored as given: another spelling, or a placeholder."""
        k = self._key(key)
        value = _dget(self, k, _MISSING)
        return _Missing(self, (k,)) if value is _MISSING else value

    def _lookup(self, key: Any) -> Any:
        """The value stored under another spelling of ``key``, or ``_MISSING``."""
        try:
            k = self._key(key)
        except (ConfigTypeError, ConfigValueError):
            return _MISSING
        return _dget(self, k, _MISSING)

    def _key_or(self, key: Any) -> str:
        try:
            return self._key(key)
        except (ConfigTypeError, ConfigValueError):
            return str(key)

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, or ``default`` when absent (never a placeholder)."""
        value = _dget(self, key, _MISSING)
        if value is _MISSING:
            value = self._lookup(key)
        return default if value is _MISSING else value

    def __contains__(self, key: object) -> bool:
        return _dhas(self, key) or self._lookup(key) is not _MISSING

    # The views of a node are dict's own (a root Config hides its "_" keys in its own).
    def keys(self) -> KeysView[str]:  # type: ignore[override]
        """The keys, in insertion order."""
        return _dkeys(self)

    def values(self) -> ValuesView[Any]:  # type: ignore[override]
        """The values, in insertion order."""
        return _dvalues(self)

    def items(self) -> ItemsView[str, Any]:  # type: ignore[override]
        """``(key, value)`` pairs, in insertion order."""
        return _ditems(self)

    def fromkeys(  # type: ignore[override]
        self, iterable: Iterable[Any], value: Any = None
    ) -> dict[Any, Any]:
        """``dict.fromkeys``: a plain dict (a node belongs to a config)."""
        return dict.fromkeys(iterable, value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, dict):
            if isinstance(other, ConfigNode) and other._path == () and other is not self:
                return other.__eq__(self)  # a root Config compares its visible keys
            return _deq(self, other)
        if isinstance(other, Mapping):
            return _deq(self, dict(other))
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None

    def __or__(self, other: Any) -> Any:
        if not isinstance(other, Mapping):
            return NotImplemented
        return {**self, **other}

    def __ror__(self, other: Any) -> Any:
        if not isinstance(other, Mapping):
            return NotImplemented
        return {**other, **self}

    def __ior__(self, other: Any) -> ConfigNode:  # type: ignore[override]
        frame = _getframe(1)
        try:
            self._live()._merge(self._path, other, {}, None, _origin(frame), frame)
        except _USER_ERRORS as e:
            raise e.with_traceback(None) from None
        return self

    def __dir__(self) -> list[str]:
        keys = (k for k in self if k.isidentifier())
        return sorted({*dir(type(self)), *keys})

    def as_dict(self) -> dict[str, Any]:
        """A deep copy in plain dicts and lists, ready for ``json.dumps`` or YAML."""
        return {k: _plain(_dget(self, k)) for k in self}

    def origin(self, key: str | tuple[str, ...]) -> str | None:
        """Where the value at ``key`` came from (``"train.py:12"``), or None if absent.

        ``key`` is a dotted path below this node (``"train.epochs"``; a key holding a dot is
        written in backticks: ``"`a.b`"``) or a tuple of keys.
        """
        if isinstance(key, str):
            try:
                path = parse_path(key)
            except ValueError as e:
                raise ConfigValueError(f"cannot read the origin of {key!r}: {e}") from None
        else:
            path = tuple(key)
        node: ConfigNode = self
        for seg in path[:-1]:
            child = _dget(node, node._key_or(seg))
            if type(child) is not ConfigNode:
                return None
            node = child
        return node._origins.get(node._key_or(path[-1])) if path else None

    def origins(self) -> dict[str, str]:
        """``{dotted path: origin}`` for every leaf (and empty dict) below this node."""
        out: dict[str, str] = {}
        self._collect(out, (), "_origins")
        return out

    def descs(self) -> dict[str, str]:
        """``{dotted path: note}`` for the values whose defaults file gave a ``desc``."""
        out: dict[str, str] = {}
        self._collect(out, (), "_descs")
        return out

    def _collect(self, out: dict[str, str], prefix: tuple[str, ...], field: str) -> None:
        table: dict[str, str] = getattr(self, field)
        for k, v in _ditems(self):
            if type(v) is ConfigNode and v:
                v._collect(out, (*prefix, k), field)
            else:
                got = table.get(k)
                if got is not None:
                    out[format_path((*prefix, k))] = got

    # -- writes ---------------------------------------------------------------------------
    # A user's mistake (a refused change, a bad key...) is re-raised from the method the
    # user called, so the traceback ends there rather than deep inside the library.

    def __setattr__(self, name: str, value: Any) -> None:
        try:
            if hasattr(type(self), name):
                raise _method_name(self._path, name, "set")
            self._write(self._key(name), value, _origin(_getframe(1)))
        except _USER_ERRORS as e:
            raise e.with_traceback(None) from None

    def __setitem__(self, key: str, value: Any) -> None:
        try:
            self._write(self._key(key), value, _origin(_getframe(1)))
        except _USER_ERRORS as e:
            raise e.with_traceback(None) from None

    def __delattr__(self, name: str) -> None:
        try:
            if hasattr(type(self), name):
                raise _method_name(self._path, name, "delete")
            key = self._key_or(name)
            if not _dhas(self, key):
                raise _missing(self, key, ConfigAttributeError)
            self._remove(key)
        except _USER_ERRORS as e:
            raise e.with_traceback(None) from None

    def __delitem__(self, key: str) -> None:
        try:
            k = self._key(key)
            if not _dhas(self, k):
                raise _missing(self, k, ConfigKeyError)
            self._remove(k)
        except _USER_ERRORS as e:
            raise e.with_traceback(None) from None

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        """Remove ``key`` and return its value as a plain copy, or ``default`` if absent."""
        try:
            k = self._key_or(key) if default is not _MISSING else self._key(key)
            if not _dhas(self, k):
                if default is _MISSING:
                    raise _missing(self, k, ConfigKeyError)
                return default
            value = _plain(_dget(self, k))
            self._remove(k)
            return value
        except _USER_ERRORS as e:
            raise e.with_traceback(None) from None

    def popitem(self) -> tuple[str, Any]:
        """Remove the last key and return ``(key, plain copy of its value)``.

        Locked keys cannot be removed, so they are skipped.
        """
        root = self._live()
        for key in reversed(list(self)):
            if not root._locked_around((*self._path, key)):
                return key, self.pop(key)
        raise ConfigKeyError(
            f"popitem(): '{_dotted(self._path)}' has no key that can be removed"
            + (" (the keys left are locked)" if len(self) else " (it is empty)")
        )

    def setdefault(self, key: str, default: Any = None) -> Any:
        """The value of ``key``; if absent, first set it to ``default``."""
        try:
            k = self._key(key)
            if not _dhas(self, k):
                self._write(k, default, _origin(_getframe(1)))
            return _dget(self, k, default)
        except _USER_ERRORS as e:
            raise e.with_traceback(None) from None

    def clear(self) -> None:
        """Remove every key you can see (hidden ``_`` keys stay): one operation."""
        keys = list(self)
        if keys:
            writes: list[Write] = [((*self._path, k), REMOVED, None, None) for k in keys]
            try:
                self._live()._commit(writes, True)
            except _USER_ERRORS as e:
                raise e.with_traceback(None) from None

    def update(
        self, other: Any = (), /, allow_val_change: bool | None = None, **kwargs: Any
    ) -> None:
        """Merge ``other`` and ``kwargs`` into this node, leaf by leaf, in one operation.

        ``other`` may be a mapping, pairs, an ``argparse.Namespace``, absl or TensorFlow
        flags, a dataclass, a pydantic model, another Config, or the path of a YAML or JSON
        file. Changing a value raises :class:`~runconfig.errors.ConfigValueError` unless
        ``allow_val_change=True``; if any key is refused, none of the call is applied.
        """
        frame = _getframe(1)
        try:
            root = self._live()
            root._merge(self._path, other, kwargs, allow_val_change, _origin(frame), frame)
        except _USER_ERRORS as e:
            raise e.with_traceback(None) from None

    def setdefaults(self, other: Any) -> None:
        """Add the keys of ``other`` that are absent, at any depth; keep every other value."""
        frame = _getframe(1)
        try:
            root = self._live()
            root._merge(self._path, other, {}, None, _origin(frame), frame, defaults=True)
        except _USER_ERRORS as e:
            raise e.with_traceback(None) from None

    # -- copies -----------------------------------------------------------------------------
    # A copy of a nested node is the plain value it stands for (a dict of plain values), as
    # with a dict in a plain config; a copy of a whole Config is a Config (config.py).
    def copy(self) -> Any:
        """A deep copy in plain dicts and lists (:meth:`as_dict`); ``copy.copy``,
        ``copy.deepcopy`` and pickle give the same."""
        return self.as_dict()

    def __copy__(self) -> Any:
        return self.as_dict()

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return self.as_dict()

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (self.as_dict(),))

    # -- internals --------------------------------------------------------------------------
    def _key(self, key: Any) -> str:
        """A nested key as stored: strings as given, others as JSON spells them (1 -> "1")."""
        return key if type(key) is str else _nested_key(key, self._path)

    def _live(self) -> Config:
        root = self._root
        if root is None:
            raise _detached(self._path)
        return root

    def _write(self, key: str, value: Any, origin: str) -> None:
        path = (*self._path, key)
        root = self._live()
        if type(value) not in _ATOM_TYPES:
            value = _clean(value, path)
        root._commit([(path, value, origin, None)], None)

    def _remove(self, key: str) -> None:
        self._live()._commit([((*self._path, key), REMOVED, None, None)], True)

    def _detach(self) -> None:
        object.__setattr__(self, "_root", None)
        for v in _dvalues(self):
            if type(v) is ConfigNode or type(v) is ConfigList:
                v._detach()


_NODE_ATTRS = frozenset(dir(ConfigNode))


def _method_name(path: tuple[str, ...], name: str, verb: str) -> ConfigAttributeError:
    where = _items_expr((*path, name))
    how = f"{where} = ..." if verb == "set" else f"del {where}"
    return ConfigAttributeError(
        f"cannot {verb} config key '{format_path((*path, name))}' by attribute: "
        f"'{name}' is the name of a Config method or field, which {_expr(path)}.{name} "
        f"reads. Use item access instead: {how}"
    )


# -- lists ---------------------------------------------------------------------------------


class ConfigList(list[Any]):
    """A list stored in a config: changing it in place is a change like any other.

    ``cfg.layers.append(4)`` is checked, reported and stored as a change of ``layers``:
    without ``allow_val_change`` it raises and the list stays as it was. Dicts and lists
    *inside* the list are plain values; change them by assigning the whole list again.
    """

    __slots__ = ("_path", "_root")

    def __init__(self, root: Config, path: tuple[str, ...], items: Iterable[Any]) -> None:
        super().__init__(items)
        self._root: Config | None = root
        self._path = path

    def _change(self, op: Callable[[list[Any]], Any], frame: FrameType) -> Any:
        root = self._root
        if root is None:
            raise _detached(self._path, "list")
        new = list(self)
        result = op(new)
        try:
            root._commit([(self._path, _clean(new, self._path), _origin(frame), None)], None)
        except _USER_ERRORS as e:
            raise e.with_traceback(None) from None
        return result

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (_plain(self),))

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        return _plain(self)  # type: ignore[no-any-return]

    def __setitem__(self, i: Any, v: Any) -> None:
        self._change(lambda n: n.__setitem__(i, v), _getframe(1))

    def __delitem__(self, i: Any) -> None:
        self._change(lambda n: n.__delitem__(i), _getframe(1))

    def __iadd__(self, other: Iterable[Any]) -> ConfigList:  # type: ignore[misc]
        self._change(lambda n: n.extend(other), _getframe(1))
        return self

    def __imul__(self, k: Any) -> ConfigList:  # type: ignore[misc]
        self._change(lambda n: n.__imul__(k), _getframe(1))
        return self

    def append(self, v: Any) -> None:
        self._change(lambda n: n.append(v), _getframe(1))

    def extend(self, other: Iterable[Any]) -> None:
        self._change(lambda n: n.extend(other), _getframe(1))

    def insert(self, i: Any, v: Any) -> None:
        self._change(lambda n: n.insert(i, v), _getframe(1))

    def pop(self, i: Any = -1) -> Any:
        return self._change(lambda n: n.pop(i), _getframe(1))

    def remove(self, v: Any) -> None:
        self._change(lambda n: n.remove(v), _getframe(1))

    def clear(self) -> None:
        self._change(lambda n: n.clear(), _getframe(1))

    def sort(self, *, key: Any = None, reverse: bool = False) -> None:
        self._change(lambda n: n.sort(key=key, reverse=reverse), _getframe(1))

    def reverse(self) -> None:
        self._change(lambda n: n.reverse(), _getframe(1))

    def _replace(self, items: list[Any]) -> None:
        list.__setitem__(self, slice(None), items)

    def _detach(self) -> None:
        self._root = None


# -- the placeholder -------------------------------------------------------------------------

_GUARD = object()


class _Missing(dict):  # type: ignore[type-arg]
    """What ``cfg["absent"]`` returns: writing through it creates the key.

    Any use as a value (truth, comparison, arithmetic, ``str``/``repr``/``format``,
    iteration, ``len``, ``int``/``float``, JSON) raises :class:`ConfigKeyError` naming the
    full key. It is a ``dict`` holding one private entry only so that ``json.dumps`` does
    not write it as ``{}`` but asks its (raising) ``items()``.
    """

    __slots__ = ("_owner", "_rel")

    def __init__(self, owner: ConfigNode, rel: tuple[str, ...]) -> None:
        dict.__setitem__(self, _GUARD, None)
        object.__setattr__(self, "_owner", owner)
        object.__setattr__(self, "_rel", rel)

    def _fail(self, *args: Any, **kwargs: Any) -> NoReturn:
        owner: ConfigNode = object.__getattribute__(self, "_owner")
        rel: tuple[str, ...] = object.__getattribute__(self, "_rel")
        path = (*owner._path, *rel)
        unset = "" if len(rel) == 1 else f" ('{format_path((*owner._path, rel[0]))}' is not set)"
        expr = _items_expr(path)
        raise ConfigKeyError(
            f"Config has no key '{format_path(path)}'{unset}{_where(owner, rel[0])} "
            f"{expr} was used as a value, but reading a key by item does not create it. "
            f"Set it first ({expr} = ...), or use "
            f"{_items_expr(path[:-1])}.get({path[-1]!r}, default) for a key that may be absent."
        )

    def __getitem__(self, key: Any) -> Any:
        owner: ConfigNode = object.__getattribute__(self, "_owner")
        rel: tuple[str, ...] = object.__getattribute__(self, "_rel")
        return _Missing(owner, (*rel, _nested_key(key, (*owner._path, *rel))))

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        self._fail()

    def __setitem__(self, key: Any, value: Any) -> None:
        self._create({key: value}, _origin(_getframe(1)))

    def __setattr__(self, name: str, value: Any) -> None:
        self._create({name: value}, _origin(_getframe(1)))

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        self._create({**dict(other), **kwargs}, _origin(_getframe(1)))

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self._create({key: default}, _origin(_getframe(1)))
        owner: ConfigNode = object.__getattribute__(self, "_owner")
        rel: tuple[str, ...] = object.__getattribute__(self, "_rel")
        base = (*owner._path, *rel)
        value, _ = owner._live()._existing((*base, _nested_key(key, base)))
        return None if value is _MISSING else value

    def _create(self, items: dict[Any, Any], origin: str) -> None:
        owner: ConfigNode = object.__getattribute__(self, "_owner")
        rel: tuple[str, ...] = object.__getattribute__(self, "_rel")
        root = owner._live()
        base = (*owner._path, *rel)
        writes: list[Write] = []
        if not items:
            writes.append((base, {}, origin, None))
        try:
            for key, value in items.items():
                path = (*base, _nested_key(key, base))
                if type(value) not in _ATOM_TYPES:
                    value = _clean(value, path)
                writes.append((path, value, origin, None))
            root._commit(writes, None)
        except _USER_ERRORS as e:
            raise e.with_traceback(None) from None

    __bool__ = __len__ = __iter__ = __reversed__ = __contains__ = _fail
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = _fail  # type: ignore[assignment]
    __str__ = __repr__ = __format__ = __bytes__ = _fail
    __int__ = __float__ = __complex__ = __index__ = __round__ = __trunc__ = _fail
    __floor__ = __ceil__ = __neg__ = __pos__ = __abs__ = __invert__ = _fail
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __matmul__ = _fail
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _fail
    __divmod__ = __rdivmod__ = __pow__ = __rpow__ = __lshift__ = __rshift__ = _fail
    __and__ = __rand__ = __xor__ = __rxor__ = __or__ = __ror__ = __ior__ = _fail
    __delitem__ = __delattr__ = __copy__ = __deepcopy__ = __reduce__ = __reduce_ex__ = _fail
    keys = values = items = get = copy = pop = popitem = clear = fromkeys = _fail


def _nested_key(key: Any, path: tuple[str, ...]) -> str:
    """A key below the top level, as stored: JSON's spelling of non-strings (1 -> "1")."""
    if type(key) is str:
        return key
    if isinstance(key, str):
        return str(key)
    if type(key) is _Missing:
        key._fail()
    return next(iter(sanitize({key: None}, _dotted(path))))  # type: ignore[no-any-return]
