"""``Config``: the dictionary-like record of a run's inputs (hyperparameters).

A :class:`Config` is a :class:`~collections.abc.MutableMapping` with attribute access at
every depth. Every mutation, at any depth, goes through one place
(:meth:`Config._commit`) that checks it (change rules, locks), tells the callback, and
only then applies it: if the callback refuses (the run is finished, the store is gone), the
config stays as it was.

Values are sanitized (:func:`runconfig.values.sanitize`) into JSON-safe copies on the way
in, and each leaf remembers where its value came from (:meth:`Config.origin`).

Attribute names that belong to the class (``keys``, ``items``, ``update``...) read as the
method; the key of the same name stays reachable by item access (``cfg["items"]``).
Assigning such a name as an attribute (``cfg.items = 3``) raises, because reading it back
as ``cfg.items`` could never return 3.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any, NoReturn

from runconfig._entries import REMOVED, Change
from runconfig._paths import format_path, parse_path
from runconfig.errors import (
    ConfigAttributeError,
    ConfigKeyError,
    ConfigTypeError,
    ConfigValueError,
    LockedKeyWarning,
    UsageError,
    did_you_mean,
)
from runconfig.values import sanitize

__all__ = ["Callback", "Config", "ConfigList", "ConfigNode"]

Callback = Callable[[list[Change]], None]
"""Told of every change: ``callback(changes)``, a list of :class:`Change` per operation.

One call per operation (a set, an ``update()``, a ``del``...), so a callback that writes
to a store can make each operation one transaction. :meth:`Config.persist` calls it with a
single ``Change(path=(), value=<the whole config as a plain nested dict, hidden keys
included>, origin="persist")``.
"""

_ATOMS = (str, int, float, bool, type(None))
_ATOM_TYPES = frozenset(_ATOMS)
_MISSING: Any = object()
_SLOTS = frozenset({"_data", "_root", "_path", "_origins", "_descs"})
_basenames: dict[str, str] = {}


def _caller(depth: int) -> str:
    """``"train.py:12"``: the user's line ``depth`` frames above the caller."""
    frame = sys._getframe(depth + 1)
    code = frame.f_code
    name = _basenames.get(code.co_filename)
    if name is None:
        name = _basenames[code.co_filename] = os.path.basename(code.co_filename)
    return f"{name}:{frame.f_lineno}"


def _dotted(path: tuple[str, ...]) -> str:
    return format_path(path) if path else "<config>"


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _same(stored: Any, new: Any) -> bool:
    """Equal as the config sees it: numbers by value, bools strict, NaN equals NaN."""
    if isinstance(stored, ConfigNode):
        if not isinstance(new, dict) or len(stored._data) != len(new):
            return False
        return all(k in new and _same(v, new[k]) for k, v in stored._data.items())
    ts, tn = type(stored), type(new)
    if ts is bool or tn is bool:
        return ts is tn and stored == new
    if isinstance(stored, list):
        return isinstance(new, list) and len(stored) == len(new) and all(
            _same(a, b) for a, b in zip(stored, new)
        )
    if isinstance(stored, dict):
        return isinstance(new, dict) and stored.keys() == new.keys() and all(
            _same(v, new[k]) for k, v in stored.items()
        )
    if ts in (int, float) and tn in (int, float):
        return stored == new or (stored != stored and new != new)
    return ts is tn and stored == new


def _plain(value: Any, hidden: bool = True) -> Any:
    """A deep plain copy of a stored value (nodes to dicts, ConfigLists to lists)."""
    if isinstance(value, ConfigNode):
        return {k: _plain(v) for k, v in value._data.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class ConfigNode(MutableMapping[str, Any]):
    """A nested level of a :class:`Config`: ``cfg.train`` and ``cfg["train"]``.

    Reads and writes work as on the config itself; every write is checked and reported
    with its full dotted key (``train.epochs``).
    """

    __slots__ = ("_data", "_descs", "_origins", "_path", "_root")

    _data: dict[str, Any]
    _root: Config | None
    _path: tuple[str, ...]
    _origins: dict[str, str]
    _descs: dict[str, str]

    def __init__(self, root: Config | None, path: tuple[str, ...]) -> None:
        object.__setattr__(self, "_data", {})
        object.__setattr__(self, "_root", root)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_origins", {})
        object.__setattr__(self, "_descs", {})

    # -- reads ----------------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name in _SLOTS or name[:2] == "__":
            raise AttributeError(name)
        try:
            return self._data[name]
        except KeyError:
            pass
        self._missing(name, ConfigAttributeError)

    def __getitem__(self, key: str) -> Any:
        try:
            return self._data[key]
        except (KeyError, TypeError):
            pass
        key = self._key(key)
        if key in self._data:
            return self._data[key]
        return _Missing(self, (key,))

    def _missing(self, name: str, kind: type[Exception]) -> NoReturn:
        path = (*self._path, name)
        raise kind(
            f"config has no key '{format_path(path)}'"
            + did_you_mean(name, self._data)
            + (f" (keys here: {', '.join(list(self)[:10])})" if self._data else "")
        )

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self._data[self._key(key)]
        except (KeyError, ConfigTypeError, ConfigValueError):
            return default

    def __contains__(self, key: object) -> bool:
        try:
            return self._key(key) in self._data
        except (ConfigTypeError, ConfigValueError):
            return False

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ConfigNode):
            return self.as_dict() == other.as_dict()
        if isinstance(other, Mapping):
            return self.as_dict() == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.as_dict())

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *(k for k in self._data if k.isidentifier())})

    def as_dict(self) -> dict[str, Any]:
        """A deep copy as plain dicts and lists, ready for ``json.dumps`` or YAML."""
        return {k: _plain(v) for k, v in self._data.items() if k[:1] != "_" or self._path}

    def origin(self, key: str | tuple[str, ...]) -> str | None:
        """Where the value at ``key`` (a dotted path below this node) came from."""
        node: ConfigNode = self
        path = parse_path(key) if isinstance(key, str) else tuple(key)
        for i, seg in enumerate(path):
            if not isinstance(node, ConfigNode) or seg not in node._data:
                return None
            if i == len(path) - 1:
                return node._origins.get(seg)
            node = node._data[seg]
        return None

    def origins(self) -> dict[str, str]:
        """``{dotted path: origin}`` for every leaf (and empty dict) below this node."""
        out: dict[str, str] = {}
        self._collect(out, (), self._origins_of)
        return out

    def descs(self) -> dict[str, str]:
        """``{dotted path: note}`` for values whose defaults file gave a ``desc``."""
        out: dict[str, str] = {}
        self._collect(out, (), lambda node, k: node._descs.get(k))
        return out

    @staticmethod
    def _origins_of(node: ConfigNode, key: str) -> str | None:
        return node._origins.get(key)

    def _collect(
        self,
        out: dict[str, str],
        prefix: tuple[str, ...],
        pick: Callable[[ConfigNode, str], str | None],
    ) -> None:
        for k, v in self._data.items():
            if isinstance(v, ConfigNode) and v._data:
                v._collect(out, (*prefix, k), pick)
            else:
                got = pick(self, k)
                if got is not None:
                    out[format_path((*prefix, k))] = got

    # -- writes ---------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(type(self), name):
            raise ConfigAttributeError(
                f"'{name}' is the name of a Config attribute, so cfg.{name} reads the attribute; "
                f"set the key with cfg[{name!r}] = ... and read it the same way"
            )
        self._write((name,), value, _caller(1))

    def __setitem__(self, key: str, value: Any) -> None:
        self._write((self._key(key),), value, _caller(1))

    def __delattr__(self, name: str) -> None:
        self.__delitem__(name)

    def __delitem__(self, key: str) -> None:
        key = self._key(key)
        if key not in self._data:
            self._missing(key, ConfigKeyError)
        self._live()._commit([((*self._path, key), REMOVED, None, None)], _caller(1), True)

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        """Remove ``key`` and return its value (a plain copy), or ``default``."""
        key = self._key(key)
        if key not in self._data:
            if default is _MISSING:
                self._missing(key, ConfigKeyError)
            return default
        value = _plain(self._data[key])
        self._live()._commit([((*self._path, key), REMOVED, None, None)], _caller(1), True)
        return value

    def setdefault(self, key: str, default: Any = None) -> Any:
        """Return the value of ``key``, first setting it to ``default`` if absent."""
        key = self._key(key)
        if key not in self._data:
            self._write((key,), default, _caller(1))
        return self._data[key]

    def clear(self) -> None:
        """Remove every key (one change, one transaction)."""
        keys = list(self._data)
        if keys:
            changes = [((*self._path, k), REMOVED, None, None) for k in keys]
            self._live()._commit(changes, _caller(1), True)

    def update(  # type: ignore[override]
        self, other: Any = (), /, allow_val_change: bool | None = None, **kwargs: Any
    ) -> None:
        """Merge ``other`` (and keyword arguments) into this node, leaf by leaf.

        ``other`` may be a mapping, an ``argparse.Namespace``, absl / TensorFlow flags, a
        dataclass or pydantic model, or the path of a YAML or JSON file. Changing an
        existing value raises :class:`ConfigError` unless ``allow_val_change=True``; the
        update is atomic: if one key is refused, none is applied.
        """
        root = self._live()
        root._merge(self._path, other, kwargs, allow_val_change, _caller(1), sys._getframe(1))

    def setdefaults(self, other: Any) -> None:
        """Add the keys of ``other`` that are absent (at any depth); keep the rest."""
        root = self._live()
        root._merge(self._path, other, {}, None, _caller(1), sys._getframe(1), defaults=True)

    # -- internals ------------------------------------------------------------------------
    def _key(self, key: object) -> str:
        if type(key) is str:
            return key
        if isinstance(key, str):
            return str(key)
        return str(sanitize(key, format_path(self._path)) if key is not None else "null")

    def _live(self) -> Config:
        root = self._root
        if root is None:
            raise UsageError(
                f"config node '{_dotted(self._path)}' was replaced by a new value; "
                "read it again from the config"
            )
        return root

    def _write(self, rel: tuple[str, ...], value: Any, origin: str) -> None:
        self._live()._commit([((*self._path, *rel), value, origin, None)], origin, None)

    def _detach(self) -> None:
        object.__setattr__(self, "_root", None)
        for v in self._data.values():
            if isinstance(v, (ConfigNode, ConfigList)):
                v._detach()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (self.as_dict(), self.origins(), self.descs(), {}, False))

    def copy(self) -> Config:
        """A standalone :class:`Config` with the same values and origins (no callback)."""
        return _restore(self.as_dict(), self.origins(), self.descs(), {}, False)


class Config(ConfigNode):
    """The config of a run: a dictionary-like object for hyperparameters and inputs.

    >>> cfg = Config({"lr": 1e-3})
    >>> cfg.epochs = 4
    >>> cfg["train"]["batch_size"] = 32      # creates "train"
    >>> cfg.train.batch_size
    32
    >>> cfg.as_dict()
    {'lr': 0.001, 'epochs': 4, 'train': {'batch_size': 32}}

    Top-level keys are strings; leading and trailing dashes are dropped (``"--lr"`` is
    ``lr``). Keys starting with ``_`` are hidden from iteration, ``len``, ``keys()``,
    ``as_dict()`` and ``repr`` but readable by name. ``callback`` (see :data:`Callback`)
    is told of every change.
    """

    __slots__ = ("_allow", "_callback", "_locks", "_warned")

    _callback: Callback | None
    _locks: dict[tuple[str, ...], str]
    _warned: set[tuple[str, ...]]
    _allow: bool

    def __init__(
        self,
        values: Any = None,
        *,
        callback: Callback | None = None,
        allow_val_change: bool = False,
    ) -> None:
        super().__init__(None, ())
        object.__setattr__(self, "_root", self)
        object.__setattr__(self, "_callback", callback)
        object.__setattr__(self, "_locks", {})
        object.__setattr__(self, "_warned", set())
        object.__setattr__(self, "_allow", allow_val_change or "ipykernel" in sys.modules)
        if values is not None:
            self._merge((), values, {}, None, _caller(1), sys._getframe(1))

    # Hidden keys are a top-level notion: skip them when iterating the root only.
    def __iter__(self) -> Iterator[str]:
        return (k for k in self._data if k[:1] != "_")

    def __len__(self) -> int:
        return sum(1 for k in self._data if k[:1] != "_")

    def _key(self, key: object) -> str:
        if type(key) is not str:
            if not isinstance(key, str):
                raise ConfigTypeError(
                    f"config keys must be strings, got {key!r} ({type(key).__name__})"
                )
            key = str(key)
        if key[:1] == "-" or key[-1:] == "-":
            stripped = key.strip("-")
            if not stripped:
                raise ConfigValueError(f"config key {key!r} is empty once its dashes are removed")
            return stripped
        if not key:
            raise ConfigValueError("config keys cannot be empty strings")
        return key

    def __setitem__(self, key: str, value: Any) -> None:
        self._set(key, value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _CLASS_ATTRS:
            ConfigNode.__setattr__(self, name, value)
        else:
            self._set(name, value)

    # The hot path: a scalar set on a top-level key, no locks. Same rules as _commit.
    def _set(self, key: str, value: Any) -> None:
        if (
            type(key) is str
            and type(value) in _ATOM_TYPES
            and not self._locks
            and key
            and key[0] != "-"
            and key[-1] != "-"
        ):
            data = self._data
            old = data.get(key, _MISSING)
            if old is _MISSING or self._allow:
                if old is not _MISSING and _same(old, value):
                    return
                origin = _caller(2)
                if self._callback is not None:
                    self._callback([Change((key,), value, origin)])
                if isinstance(old, (ConfigNode, ConfigList)):
                    old._detach()
                data[key] = value
                self._origins[key] = origin
                if self._descs:
                    self._descs.pop(key, None)
                return
            if _same(old, value):
                return
        self._write((self._key(key),), value, _caller(2))

    # -- public API beyond the mapping ----------------------------------------------------
    def persist(self) -> None:
        """Hand the whole config to the callback: ``Change((), <plain dict>, "persist")``."""
        if self._callback is not None:
            whole = {k: _plain(v) for k, v in self._data.items()}
            self._callback([Change((), whole, "persist")])

    def update_locked(self, other: Any, user: str = "sweep") -> None:
        """Set values on behalf of a controller such as a sweep, and lock their leaves.

        Later user writes to a locked key are ignored with one :class:`LockedKeyWarning`
        per key. The controller's values win over existing ones without a change error.
        """
        self._merge((), other, {}, True, user, sys._getframe(1), lock=user)

    merge_locked = update_locked

    def locked_keys(self) -> dict[str, str]:
        """``{dotted key: who locked it}``."""
        return {format_path(p): u for p, u in self._locks.items()}

    def _set_callback(self, callback: Callback | None) -> None:
        object.__setattr__(self, "_callback", callback)

    def _set_allow_val_change(self, allow: bool) -> None:
        object.__setattr__(self, "_allow", allow)

    # -- the one place where writes happen -------------------------------------------------
    def _merge(
        self,
        base: tuple[str, ...],
        other: Any,
        kwargs: Mapping[str, Any],
        allow: bool | None,
        origin: str,
        frame: Any,
        *,
        defaults: bool = False,
        lock: str | None = None,
    ) -> None:
        from runconfig.sources import Source, read_source

        if type(other) is dict or (isinstance(other, tuple) and not other):
            source = Source(dict(other), origin)
        elif isinstance(other, Source):
            source = other
        else:
            source = read_source(other, origin, frame=frame)
        if kwargs:
            source.values.update(kwargs)
        writes: list[tuple[tuple[str, ...], Any, str | None, str | None]] = []
        node = self._node_at(base)
        for key, value in source.values.items():
            k = self._key(key) if not base else node._key(key)
            self._plan_merge(
                node, (*base, k), (k,), value, source, writes, defaults=defaults
            )
        self._commit(writes, origin, allow, lock=lock)

    def _plan_merge(
        self,
        node: ConfigNode | None,
        path: tuple[str, ...],
        rel: tuple[str, ...],
        value: Any,
        source: Any,
        writes: list[tuple[tuple[str, ...], Any, str | None, str | None]],
        *,
        defaults: bool,
    ) -> None:
        """Split a nested update into the writes of its leaves (and new subtrees)."""
        existing = node._data.get(path[-1], _MISSING) if node is not None else _MISSING
        origin = source.origins.get(rel, source.origin)
        desc = source.descs.get(rel)
        if isinstance(value, Mapping) and (
            existing is _MISSING or isinstance(existing, ConfigNode)
        ):
            pending = list(value.items())
            if existing is _MISSING:
                uniform = not any(r[: len(rel)] == rel for r in source.origins if r != rel)
                uniform = uniform and not any(r[: len(rel)] == rel for r in source.descs)
                if uniform or not pending:
                    writes.append((path, value, origin, desc))
                    return
                writes.append((path, {}, origin, desc))
            for k, v in pending:
                k = k if type(k) is str else str(sanitize(k, format_path(path)))
                sub = existing if isinstance(existing, ConfigNode) else None
                self._plan_merge(sub, (*path, k), (*rel, k), v, source, writes, defaults=defaults)
            return
        if defaults and existing is not _MISSING:
            return
        writes.append((path, value, origin, desc))

    def _commit(
        self,
        writes: Sequence[tuple[tuple[str, ...], Any, str | None, str | None]],
        origin: str,
        allow: bool | None,
        *,
        lock: str | None = None,
    ) -> None:
        """Check every write, tell the callback, then apply. All or nothing."""
        if allow is None:
            allow = self._allow
        changes: list[Change] = []
        for path, value, org, desc in writes:
            if self._locks and lock is None and self._blocked(path, value):
                continue
            if value is REMOVED:
                changes.append(Change(path, REMOVED, None))
                continue
            if type(value) not in _ATOM_TYPES:
                value = sanitize(value, format_path(path))
                if self._locks and lock is None and type(value) is dict:
                    self._keep_locked(path, value)
            parent, existing = self._existing(path)
            if existing is not _MISSING:
                if _same(existing, value):
                    continue
                if not allow:
                    raise ConfigValueError(
                        f"Attempted to change value of key '{format_path(path)}' from "
                        f"{_short(_plain(existing))} to {_short(value)}. "
                        "Pass allow_val_change=True to config.update() to change it "
                        "(or init(allow_val_change=True) for the whole run)."
                    )
            elif isinstance(parent, _Leaf):
                if not allow:
                    raise ConfigValueError(
                        f"cannot set '{format_path(path)}': "
                        f"'{format_path(parent.path)}' holds {_short(parent.value)}, "
                        "not a dict. Pass allow_val_change=True to replace it."
                    )
            changes.append(Change(path, value, org or origin, desc))
        if lock is not None:
            for ch in changes:
                self._lock_leaves(ch.path, ch.value, lock)
        if not changes:
            return
        if self._callback is not None:
            self._callback(changes)
        for ch in changes:
            self._apply(ch)

    def _existing(self, path: tuple[str, ...]) -> tuple[Any, Any]:
        """``(parent node or _Leaf blocking the path or None, value at path or _MISSING)``."""
        node: Any = self
        for i, seg in enumerate(path[:-1]):
            child = node._data.get(seg, _MISSING)
            if child is _MISSING:
                return None, _MISSING
            if not isinstance(child, ConfigNode):
                return _Leaf(path[: i + 1], _plain(child)), _MISSING
            node = child
        return node, node._data.get(path[-1], _MISSING)

    def _node_at(self, path: tuple[str, ...]) -> ConfigNode | None:
        node: Any = self
        for seg in path:
            node = node._data.get(seg) if isinstance(node, ConfigNode) else None
        return node if isinstance(node, ConfigNode) else None

    def _apply(self, change: Change) -> None:
        path, value = change.path, change.value
        if not path:
            self._load_plain(value, {}, {})
            return
        node: ConfigNode = self
        for i, seg in enumerate(path[:-1]):
            child = node._data.get(seg)
            if not isinstance(child, ConfigNode):
                child = ConfigNode(self, path[: i + 1])
                node._data[seg] = child
                node._origins[seg] = change.origin or ""
            node = child
        key = path[-1]
        old = node._data.get(key)
        if isinstance(old, ConfigNode):
            old._detach()
        elif isinstance(old, ConfigList) and type(value) is list:
            old._replace(value)  # keep the object the user may hold
            node._origins[key] = change.origin or ""
            return
        elif isinstance(old, ConfigList):
            old._root = None
        if value is REMOVED:
            node._data.pop(key, None)
            node._origins.pop(key, None)
            node._descs.pop(key, None)
            return
        node._data[key] = self._build(path, value, change.origin or "")
        node._origins[key] = change.origin or ""
        if change.desc is not None:
            node._descs[key] = change.desc
        else:
            node._descs.pop(key, None)

    def _build(self, path: tuple[str, ...], value: Any, origin: str) -> Any:
        if type(value) is dict:
            node = ConfigNode(self, path)
            for k, v in value.items():
                node._data[k] = self._build((*path, k), v, origin)
                node._origins[k] = origin
            return node
        if type(value) is list:
            return ConfigList(self, path, value)
        return value

    def _load_plain(
        self, tree: Mapping[str, Any], origins: Mapping[str, str], descs: Mapping[str, str]
    ) -> None:
        for v in self._data.values():
            if isinstance(v, ConfigNode):
                v._detach()
        self._data.clear()
        self._origins.clear()
        self._descs.clear()
        for k, v in tree.items():
            self._data[k] = self._build((k,), v, "")
        for dotted, org in origins.items():
            self._set_meta(dotted, org, "_origins")
        for dotted, desc in descs.items():
            self._set_meta(dotted, desc, "_descs")

    def _set_meta(self, dotted: str, text: str, attr: str) -> None:
        path = parse_path(dotted)
        node = self._node_at(path[:-1])
        if node is not None and path[-1] in node._data:
            getattr(node, attr)[path[-1]] = text

    # -- locks ------------------------------------------------------------------------------
    def _lock_leaves(self, path: tuple[str, ...], value: Any, user: str) -> None:
        if isinstance(value, dict) and value:
            for k, v in value.items():
                self._lock_leaves((*path, k), v, user)
        else:
            self._locks[path] = user

    def _blocked(self, path: tuple[str, ...], value: Any) -> bool:
        """True (after warning once per key) if ``path`` is a locked key or lies under one."""
        for i in range(1, len(path) + 1):
            user = self._locks.get(path[:i])
            if user is not None:
                self._warn_locked(path[:i], user)
                return True
        n = len(path)
        below = [p for p in self._locks if len(p) > n and p[:n] == path]
        if not below:
            return False
        if not isinstance(value, Mapping):
            for p in below:
                self._warn_locked(p, self._locks[p])
            return True
        # A dict written over a node that holds locked leaves: keep the locked values.
        return False

    def _keep_locked(self, path: tuple[str, ...], value: dict[str, Any]) -> None:
        """A dict written over a node holding locked leaves keeps the locked values."""
        n = len(path)
        for p, user in self._locks.items():
            if len(p) > n and p[:n] == path:
                parent, current = self._existing(p)
                target = value
                for seg in p[n:-1]:
                    target = target.setdefault(seg, {})
                if current is _MISSING or not isinstance(target, dict):
                    continue
                if p[-1] not in target or not _same(current, target[p[-1]]):
                    self._warn_locked(p, user)
                target[p[-1]] = _plain(current)

    def _warn_locked(self, path: tuple[str, ...], user: str) -> None:
        if path not in self._warned:
            self._warned.add(path)
            warnings.warn(
                f"config key '{format_path(path)}' was locked by '{user}'; "
                "your update of it is ignored (warned once per key)",
                LockedKeyWarning,
                stacklevel=5,
            )

    # -- copies and pickling ----------------------------------------------------------------
    def __reduce__(self) -> tuple[Any, ...]:
        state = (
            {k: _plain(v) for k, v in self._data.items()},
            self.origins(),
            self.descs(),
            dict(self._locks),
            self._allow,
        )
        return (_restore, state)

    def copy(self) -> Config:
        """A standalone copy (same values, origins and locks; no callback)."""
        return _restore(*self.__reduce__()[1])

    def __copy__(self) -> Config:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> Config:
        return self.copy()


def _restore(
    tree: dict[str, Any],
    origins: dict[str, str],
    descs: dict[str, str],
    locks: dict[tuple[str, ...], str],
    allow: bool,
) -> Config:
    cfg = Config(allow_val_change=allow)
    cfg._load_plain(tree, origins, descs)
    cfg._locks.update(locks)
    return cfg


_CLASS_ATTRS = frozenset(dir(Config))


class _Leaf:
    """A non-dict value standing where a write needs a dict (for the error message)."""

    __slots__ = ("path", "value")

    def __init__(self, path: tuple[str, ...], value: Any) -> None:
        self.path = path
        self.value = value


class ConfigList(list[Any]):
    """A list stored in a config: in-place changes are checked and stored like any write.

    ``cfg.layers.append(4)`` is a change of ``layers``: without ``allow_val_change`` it
    raises :class:`ConfigError` and the list is left as it was. Dicts and lists *inside*
    a list are plain values: change them by assigning the list again.
    """

    __slots__ = ("_path", "_root")

    def __init__(self, root: Config, path: tuple[str, ...], items: Iterable[Any]) -> None:
        super().__init__(items)
        self._root: Config | None = root
        self._path = path

    def _change(self, op: Callable[[list[Any]], Any]) -> Any:
        new = list(self)
        result = op(new)
        root = self._root
        if root is None:
            raise UsageError(f"config list '{format_path(self._path)}' was replaced")
        origin = _caller(2)
        root._commit([(self._path, new, origin, None)], origin, None)
        return result

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))

    def __setitem__(self, i: Any, v: Any) -> None:
        self._change(lambda n: n.__setitem__(i, v))

    def __delitem__(self, i: Any) -> None:
        self._change(lambda n: n.__delitem__(i))

    def __iadd__(self, other: Iterable[Any]) -> ConfigList:  # type: ignore[override,misc]
        self._change(lambda n: n.extend(other))
        return self

    def __imul__(self, k: Any) -> ConfigList:  # type: ignore[override,misc]
        self._change(lambda n: n.__imul__(k))
        return self

    def append(self, v: Any) -> None:
        self._change(lambda n: n.append(v))

    def extend(self, other: Iterable[Any]) -> None:
        self._change(lambda n: n.extend(other))

    def insert(self, i: Any, v: Any) -> None:
        self._change(lambda n: n.insert(i, v))

    def pop(self, i: Any = -1) -> Any:
        return self._change(lambda n: n.pop(i))

    def remove(self, v: Any) -> None:
        self._change(lambda n: n.remove(v))

    def clear(self) -> None:
        self._change(lambda n: n.clear())

    def sort(self, *, key: Any = None, reverse: bool = False) -> None:
        self._change(lambda n: n.sort(key=key, reverse=reverse))

    def reverse(self) -> None:
        self._change(lambda n: n.reverse())

    def _replace(self, items: list[Any]) -> None:
        list.__setitem__(self, slice(None), items)

    def _detach(self) -> None:
        self._root = None


class _Missing(dict):  # type: ignore[type-arg]
    """What ``cfg["missing"]`` returns: writing through it creates the key.

    Any use as a value (truth, comparison, arithmetic, ``str``, iteration, ``len``,
    ``int``/``float``, JSON) raises :class:`ConfigKeyError` naming the full key. It is a
    ``dict`` subclass only so that ``json.dumps`` reaches the raising ``items()``.
    """

    __slots__ = ("_owner", "_rel")

    def __init__(self, owner: ConfigNode, rel: tuple[str, ...]) -> None:
        super().__init__()
        object.__setattr__(self, "_owner", owner)
        object.__setattr__(self, "_rel", rel)

    def _fail(self, *args: Any, **kwargs: Any) -> NoReturn:
        owner: ConfigNode = object.__getattribute__(self, "_owner")
        rel: tuple[str, ...] = object.__getattribute__(self, "_rel")
        path = (*owner._path, *rel)
        raise ConfigKeyError(
            f"config has no key '{format_path(path)}'" + did_you_mean(rel[0], owner._data)
            + "; item access returned a placeholder, which can only be written through"
        )

    def __getitem__(self, key: str) -> Any:
        rel = object.__getattribute__(self, "_rel")
        owner = object.__getattribute__(self, "_owner")
        return _Missing(owner, (*rel, str(key)))

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        self._fail()

    def __setitem__(self, key: str, value: Any) -> None:
        self._write(str(key), value, _caller(1))

    def __setattr__(self, name: str, value: Any) -> None:
        self._write(name, value, _caller(1))

    def _write(self, key: str, value: Any, origin: str) -> None:
        owner: ConfigNode = object.__getattribute__(self, "_owner")
        rel: tuple[str, ...] = object.__getattribute__(self, "_rel")
        # Create the missing parents as one new subtree: one change, one origin.
        tree: Any = {key: value}
        for seg in reversed(rel[1:]):
            tree = {seg: tree}
        owner._write((rel[0],), tree, origin)

    __bool__ = __len__ = __iter__ = __contains__ = _fail  # type: ignore[assignment]
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _fail  # type: ignore[assignment]
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _fail
    __truediv__ = __rtruediv__ = __floordiv__ = __mod__ = __pow__ = _fail
    __neg__ = __pos__ = __abs__ = __int__ = __float__ = __index__ = _fail
    __str__ = __repr__ = __format__ = __hash__ = _fail  # type: ignore[assignment]
    keys = values = items = get = copy = _fail  # type: ignore[assignment]
    __or__ = __ror__ = __reversed__ = _fail

