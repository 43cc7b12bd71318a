"""``Config``: the dictionary-like record of a run's inputs (hyperparameters).

A :class:`Config` is a :class:`~collections.abc.MutableMapping` with attribute access at
every depth::

    >>> cfg = Config({"lr": 1e-3})
    >>> cfg.epochs = 4
    >>> cfg["train"]["batch_size"] = 32      # creates "train"
    >>> cfg.train.batch_size
    32
    >>> cfg.as_dict()
    {'lr': 0.001, 'epochs': 4, 'train': {'batch_size': 32}}

The rules, in one place:

Reads
    ``cfg.train.epochs`` and ``cfg["train"]["epochs"]`` are the same value; nested dicts
    are :class:`ConfigNode`\\ s and lists :class:`ConfigList`\\ s. A missing key read by
    attribute raises :class:`~runconfig.errors.ConfigAttributeError` (an
    ``AttributeError``, so ``hasattr`` and ``getattr(cfg, k, default)`` work). Read by item
    it gives a placeholder: writing through it (``cfg["train"]["epochs"] = 4``, an attribute,
    ``update()``, ``setdefault()``) creates the key, and any use as a value (truth,
    comparison, arithmetic, ``str``, ``repr``, ``format``, iteration, ``len``, ``int``,
    ``float``, JSON, storing it) raises :class:`~runconfig.errors.ConfigKeyError` (a
    ``KeyError``). Both errors name the full dotted key and suggest a close match ("did you
    mean 'train.epochs'?"). A read never creates a key: ``in``, ``get``, ``keys()``,
    ``len`` and the callback never see a placeholder.

Names of methods
    A key named like a method or field (``keys``, ``update``, ``items``...) is reached by
    item: ``cfg["keys"]``. ``cfg.keys`` is always the method; ``cfg.keys = 3`` and
    ``del cfg.keys`` raise ``ConfigAttributeError`` telling to use ``cfg["keys"]``.

Keys
    Top-level keys are strings; any other raises
    :class:`~runconfig.errors.ConfigTypeError`. Their leading and trailing dashes are
    stripped on writes and reads alike (``cfg["--lr"]`` is ``cfg.lr``, as argparse-style
    keys expect); a key that is empty, or only dashes, is refused, and so is an update that
    holds two spellings of one key with different values. Keys starting with ``_`` are
    hidden from iteration, ``len``, ``keys()``, ``items()``, ``as_dict()``, ``==``, ``dir``
    and ``repr`` (``clear()`` keeps them) but reachable by name, ``in``, ``get`` and
    :meth:`Config.persist`. Dash stripping and hiding are top-level notions: nested keys are
    kept as given. Keys of nested dicts that are not strings are stored as JSON spells them
    (``1`` -> ``"1"``, ``False`` -> ``"false"``, ``None`` -> ``"null"``), since JSON has no
    other keys, and are read back under either spelling (``cfg.m[1]``). ``"a.b"`` is one
    literal key, never the nested ``{"a": {"b": ...}}`` (in a dotted path it is written
    ```a.b```). An empty dict is a value like any other and round-trips as ``{}``.

Changes
    Setting an existing key to a different value raises
    :class:`~runconfig.errors.ConfigValueError` naming the key, the old and new values,
    unless ``allow_val_change=True`` (per ``update()`` call, or for the whole config:
    ``Config(allow_val_change=True)``, ``init(allow_val_change=True)``; left unset, it is
    True in a Jupyter kernel, and an explicit ``False`` still refuses). Equality is: numbers
    by value (``1`` then ``1.0`` is no change; the first type is kept), bools strictly
    (``True`` then ``1`` is a change), NaN equals NaN; ``None`` then a value is a change.
    ``update()`` merges nested dicts leaf by leaf and is atomic: if one key is refused,
    nothing of that call is applied. Assigning a whole dict to an existing node is a change
    of that node. Deleting (``del``, ``pop``, ``popitem``, ``clear``) needs no
    ``allow_val_change``: it is an explicit act. A list changed in place
    (``cfg.layers.append(4)``) is a change of the list; dicts and lists inside a list are
    plain values (assign the list again to change them).

Locks
    :meth:`Config.update_locked` (a sweep) sets values, without change errors and with the
    locking user (``"sweep"``) as origin, and locks their leaves. A later user write to a
    locked key, at any depth and in any spelling, is ignored with one
    :class:`~runconfig.errors.LockedKeyWarning` per key, naming the key and who locked it
    (writing the locked value itself is silently a no-op); the other keys of the same call
    apply, and ``allow_val_change`` does not bypass a lock. A dict written over a node
    keeps its locked leaves; a locked key, or a node holding one, cannot be deleted.

The callback
    ``Config(callback=fn)`` calls ``fn(changes)``, ``changes`` a ``list`` of
    :class:`~runconfig._entries.Change`, once per operation (a set, an ``update()``, a
    ``del``, a list method...), **before** applying it: if ``fn`` raises, the config is left
    unchanged. ``Change.path`` is the tuple of keys, ``Change.value`` JSON-safe (plain dicts
    and lists), ``Change.origin`` as below; a deletion is ``Change(path, REMOVED)``. A new
    dict is one change (``cfg.train = {"epochs": 4}``: ``Change(("train",), {"epochs":
    4})``), a write through placeholders one change at its leaf (``cfg["a"]["b"] = 1``:
    ``Change(("a", "b"), 1)``), an update of existing nodes one change per leaf. Nothing
    is called for reads or for writes that change nothing.
    :meth:`Config.persist` calls
    ``fn([Change((), <the whole config as a plain nested dict, hidden keys included>,
    "persist")])``.

Origins
    Each leaf remembers where its value came from: ``cfg.origin("train.epochs")`` ->
    ``"train.py:12"`` (the file and line of the user's code that set it), ``"init"``,
    ``"argparse --batch-size"``, ``"absl --model"``, ``"params.yaml:7"``,
    ``"config-defaults.yaml:3"``, ``"sweep"``; :meth:`ConfigNode.origins` lists them all.

Copies
    ``cfg.copy()``, ``copy.copy``, ``copy.deepcopy`` and ``pickle`` of a Config give a
    standalone Config (same values, origins and locks; no callback). A nested node copies,
    deep-copies and pickles to the plain dict it stands for (as a dict in a plain config
    would), which can be changed freely: ``copy.deepcopy(dict(cfg))`` is all plain.

Errors
    A user's mistake raises a :class:`~runconfig.errors.ConfigError` (or ``UsageError``)
    whose message says what was wrong, with which key, and what to do; its traceback ends
    at the method the user called, without internal frames or chained exceptions.

A standalone ``Config()`` reads no file; ``init()`` is what loads ``config-defaults.yaml``.
Values are sanitized (:func:`runconfig.values.sanitize`) into JSON-safe copies: ``2.0``
stays a float, ``True`` a bool, NaN a float, tuples become lists, and the caller's objects
are copied, so changing them later changes nothing stored.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import (
    Callable,
    Collection,
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    Sequence,
    ValuesView,
)
from functools import partial
from itertools import repeat
from sys import _getframe
from typing import Any

from runconfig._config_node import (
    _ATOM_TYPES,
    _MISSING,
    _USER_ERRORS,
    ConfigList,
    ConfigNode,
    Write,
    _clean,
    _dclear,
    _dget,
    _dhas,
    _ditems,
    _dkeys,
    _dpop,
    _dset,
    _dupdate,
    _dvalues,
    _method_name,
    _nested_literal,
    _origin,
    _same,
    _shadow_proof,
    _short,
)
from runconfig._config_node import _plain as _plain  # re-exported for runconfig._run
from runconfig._entries import REMOVED, Change
from runconfig._interop import treat_as_plain
from runconfig._paths import format_path, parse_path
from runconfig.errors import (
    ConfigTypeError,
    ConfigValueError,
    LockedKeyWarning,
)
from runconfig.values import check_text, surrogate_at, user_stacklevel

__all__ = ["Callback", "Config", "ConfigList", "ConfigNode"]

Callback = Callable[[list[Change]], None]
"""``callback(changes)``: told of every change, one call per operation (see the module)."""
# What a run's store gets for new top-level atoms instead of their Changes: keys, values
# and their one origin (Config._add_atoms).
NewKeys = Callable[[list[str], list[Any], str], None]

# Change(path, value, origin, desc) without the Python-level __new__ of a NamedTuple.
_change: Callable[[tuple[Any, ...]], Change] = partial(tuple.__new__, Change)


@_shadow_proof
class Config(ConfigNode):
    """The config of a run: a dictionary-like object for its hyperparameters and inputs.

    ``values`` is anything :meth:`update` accepts. ``callback`` is told of every change
    (see the module docstring for its shape); ``allow_val_change=True`` lets every write
    change existing values (left unset, it is True in a Jupyter kernel, as in wandb).

    >>> cfg = Config({"lr": 0.1, "train": {"epochs": 3}})
    >>> cfg.train.epochs, cfg["train"]["epochs"]
    (3, 3)
    >>> cfg.update({"lr": 0.2}, allow_val_change=True)
    >>> cfg.lr
    0.2
    """

    __slots__ = ("_allow", "_callback", "_lock_notes", "_locks", "_new_keys", "_warned")

    _callback: Callback | None
    _locks: dict[tuple[str, ...], str]
    _lock_notes: dict[str, str]
    _warned: set[tuple[str, ...]]
    _allow: bool

    def __init__(
        self,
        values: Any = None,
        *,
        callback: Callback | None = None,
        allow_val_change: bool | None = None,
    ) -> None:
        super().__init__(None, ())
        setter = object.__setattr__
        setter(self, "_root", self)
        setter(self, "_callback", callback)
        setter(self, "_new_keys", None)
        setter(self, "_locks", {})
        setter(self, "_lock_notes", {})
        setter(self, "_warned", set())
        if allow_val_change is None:
            allow_val_change = "ipykernel" in sys.modules
        setter(self, "_allow", allow_val_change)
        if values is not None:
            frame = _getframe(1)
            try:
                self._merge((), values, {}, None, _origin(frame), frame)
            except _USER_ERRORS as e:
                raise e.with_traceback(None) from None

    # -- reads: hidden keys are a top-level notion ------------------------------------------
    def __iter__(self) -> Iterator[str]:
        return (k for k in _dkeys(self) if k[:1] != "_")

    def __reversed__(self) -> Iterator[str]:
        return (k for k in reversed(_dkeys(self)) if k[:1] != "_")

    def __len__(self) -> int:
        return sum(1 for k in _dkeys(self) if k[:1] != "_")

    def __repr__(self) -> str:
        return repr(self.as_dict())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Config):
            return self._visible() == other._visible()
        if isinstance(other, dict):
            return self._visible() == other
        if isinstance(other, Mapping):
            return self._visible() == dict(other)
        return NotImplemented

    def _visible(self) -> dict[str, Any]:
        return {k: v for k, v in _ditems(self) if k[:1] != "_"}

    def keys(self) -> KeysView[str]:  # type: ignore[override]
        """The keys you can see (not the hidden ``_`` ones), in insertion order."""
        return _Keys(self)

    def values(self) -> ValuesView[Any]:  # type: ignore[override]
        """The values of the keys you can see, in insertion order."""
        return ValuesView(self)

    def items(self) -> ItemsView[str, Any]:  # type: ignore[override]
        """``(key, value)`` for the keys you can see, in insertion order."""
        return _Items(self)

    # -- writes -------------------------------------------------------------------------------
    def __setitem__(self, key: str, value: Any) -> None:
        try:
            self._set(key, value, _getframe(1))
        except _USER_ERRORS as e:
            raise e.with_traceback(None) from None

    def __setattr__(self, name: str, value: Any) -> None:
        try:
            if name in _CLASS_ATTRS:
                raise _method_name((), name, "set")
            self._set(name, value, _getframe(1))
        except _USER_ERRORS as e:
            raise e.with_traceback(None) from None

    def _set(self, key: str, value: Any, frame: Any) -> None:
        # The hot path, for a scalar on a plain top-level key without locks; it follows
        # the rules of _commit, which handles every other case (non-ASCII text too: it
        # checks that the text can be stored).
        if (
            type(value) in _ATOM_TYPES
            and type(key) is str
            and key
            and key[0] != "-"
            and key[-1] != "-"
            and not self._locks
            and key.isascii()
            and (type(value) is not str or value.isascii())
        ):
            old = _dget(self, key, _MISSING)
            if old is not _MISSING:
                if (old == value and type(old) is type(value)) or _same(old, value):
                    return
                if not self._allow:
                    self._commit([((key,), value, _origin(frame), None)], None)  # raises
                    return
            origin = _origin(frame)
            if self._callback is not None:
                self._callback([_change(((key,), value, origin, None))])
            if type(old) is ConfigNode or type(old) is ConfigList:
                old._detach()
            _dset(self, key, value)
            self._origins[key] = origin
            if self._descs:
                self._descs.pop(key, None)
            return
        key = self._key(key)
        if type(value) not in _ATOM_TYPES:
            value = _clean(value, (key,))
        self._commit([((key,), value, _origin(frame), None)], None)

    # -- beyond the mapping -------------------------------------------------------------------
    def persist(self) -> None:
        """Hand the whole config to the callback, if there is one.

        The call is ``callback([Change((), tree, "persist")])``, ``tree`` the whole config
        as a plain nested dict, hidden keys included.
        """
        if self._callback is not None:
            tree = {k: _plain(v) for k, v in _ditems(self)}
            self._callback([Change((), tree, "persist")])

    def update_locked(self, other: Any, user: str = "sweep", *, note: str | None = None) -> None:
        """Set values on behalf of a controller such as a sweep, and lock their keys.

        The leaves are locked: ``update_locked({"opt": {"beta": 0.9}})`` locks
        ``opt.beta``, not ``opt``. The controller's values win over existing ones without
        a change error, and their origin is ``user``. Later user writes of another value
        to a locked key are ignored with one :class:`~runconfig.errors.LockedKeyWarning`
        per key (writing the same value again is silent); ``note`` names the controller
        there (``"sweep k3x9q2"``).
        """
        if note is not None:
            self._lock_notes[user] = note
        try:
            self._merge((), other, {}, True, user, _getframe(1), lock=user)
        except _USER_ERRORS as e:
            raise e.with_traceback(None) from None

    merge_locked = update_locked

    def locked_keys(self) -> dict[str, str]:
        """``{dotted key: who locked it}``."""
        return {format_path(p): u for p, u in self._locks.items()}

    def _set_callback(self, callback: Callback | None, new_keys: NewKeys | None = None) -> None:
        """Tell ``callback`` of every change; ``new_keys``, when given, takes the place of the
        callback for new top-level atoms (see :meth:`_add_atoms`)."""
        object.__setattr__(self, "_callback", callback)
        object.__setattr__(self, "_new_keys", new_keys if callback is not None else None)

    def _set_allow_val_change(self, allow: bool) -> None:
        object.__setattr__(self, "_allow", allow)

    # -- keys ---------------------------------------------------------------------------------
    def _key(self, key: Any) -> str:
        """A top-level key as stored: a string, dashes stripped. Raises if it cannot be one."""
        if type(key) is not str:
            if not isinstance(key, str):
                raise ConfigTypeError(
                    f"config keys must be strings; got {_short(key, 60)} "
                    f"({type(key).__name__}). Use a name such as {str(key)!r}"
                )
            key = str(key)
        text: str = key
        if text[:1] == "-" or text[-1:] == "-":
            stripped = text.strip("-")
            if not stripped:
                raise ConfigValueError(
                    f"config key {text!r} is empty once its leading and trailing dashes "
                    "are stripped (as for argparse options); give the key a name"
                )
            return stripped
        if not text:
            raise ConfigValueError("config keys cannot be empty strings; give the key a name")
        return text

    # -- planning an update -------------------------------------------------------------------
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
        """Merge ``other`` into the node at ``base``, leaf by leaf, as one operation."""
        source = _read(other, origin, frame)
        values: Mapping[Any, Any] = {**source.values, **kwargs} if kwargs else source.values
        origins = source.origins if lock is None else {}
        origin = source.origin if lock is None else lock
        descs = source.descs
        simple = not base and lock is None and not defaults and not origins and not descs
        if simple and self._new_atoms(values):
            self._add_atoms(values, origin)
            return
        if simple and (self._allow if allow is None else allow) and self._set_atoms(values, origin):
            return
        node = self._node_at(base)
        if node is None:  # the node was replaced since the caller read it
            node = ConfigNode(self, base)
        data = node
        writes: list[Write] = []
        renamed: dict[str, Any] = {}
        for raw, value in values.items():
            if type(raw) is str and raw and raw[0] != "-" and raw[-1] != "-":
                key = raw
            else:
                key = node._key(raw)
                if key in renamed or (key != raw and key in values):
                    first = renamed.get(key, key)
                    raise ConfigValueError(
                        f"config update has both {first!r} and {raw!r}, which name the same "
                        f"key '{format_path((*base, key))}'; keep only one of them"
                    )
                renamed[key] = raw
            path = (*base, key)
            if type(value) in _ATOM_TYPES:
                if defaults and _dhas(data, key):
                    continue
                key_origin = origins.get((key,), origin) if origins else origin
                desc = descs.get((key,)) if descs else None
                writes.append((path, value, key_origin, desc))
            else:
                value = _clean(value, path)
                self._plan(
                    _dget(data, key, _MISSING),
                    path,
                    (key,),
                    value,
                    source,
                    origin,
                    writes,
                    defaults,
                    lock is None,
                )
        self._commit(writes, allow, lock=lock)

    def _new_atoms(self, values: Mapping[Any, Any]) -> bool:
        """Whether ``values`` only adds top-level keys, each a plain name and an atom: the
        usual ``update()`` (a dict of hyperparameters, ``vars(args)``), which
        :meth:`_add_atoms` applies without planning each key. The checks run in C."""
        keys = values.keys()
        if not _plain_keys(keys):
            return False
        types = set(map(type, values.values()))
        return (
            types <= _ATOM_TYPES
            and (str not in types or _storable_strings(values.values()))
            and _dkeys(self).isdisjoint(keys)
            and (not self._locks or {p[0] for p in self._locks}.isdisjoint(keys))
        )

    def _add_atoms(self, values: Mapping[str, Any], origin: str) -> None:
        """Add new top-level atoms (see :meth:`_new_atoms`): what :meth:`_commit` does with
        them, with no change to check and nothing to replace."""
        keys = values.keys()
        if not keys:
            return
        if self._new_keys is not None:  # a run: its store takes them with no Change each
            self._new_keys(list(keys), list(values.values()), origin)
        elif self._callback is not None:
            atoms = values.values()
            self._callback(list(map(_change, zip(zip(keys), atoms, repeat(origin), repeat(None)))))
        _dupdate(self, values)
        if origin:
            self._origins.update(zip(keys, repeat(origin)))
        if self._descs:  # a note belongs to the value it came with, not to a new one
            for key in keys:
                self._descs.pop(key, None)

    def _set_atoms(self, values: Mapping[Any, Any], origin: str) -> bool:
        """Change top-level atoms to atoms, changes allowed: what :meth:`_commit` does with
        them (an ``update(..., allow_val_change=True)`` of a whole set of hyperparameters),
        with the checks in C. False, having done nothing, for any other update."""
        keys = values.keys()
        if not _plain_keys(keys) or not _dkeys(self) >= keys:
            return False
        types = set(map(type, values.values()))
        if not types <= _ATOM_TYPES or (str in types and not _storable_strings(values.values())):
            return False
        current = list(map(_dget.__get__(self), keys))
        if not set(map(type, current)) <= _ATOM_TYPES:  # a node among them: the plans' work
            return False
        if self._locks and not {p[0] for p in self._locks}.isdisjoint(keys):
            return False
        changed = {
            k: v for (k, v), old in zip(values.items(), current, strict=True) if not _same(old, v)
        }
        if changed:
            if self._callback is not None:
                self._callback(
                    list(
                        map(
                            _change,
                            zip(zip(changed), changed.values(), repeat(origin), repeat(None)),
                        )
                    )
                )
            _dupdate(self, changed)
            if origin:
                self._origins.update(zip(changed, repeat(origin)))
            else:  # a value of unknown origin: the old one's no longer applies
                for key in changed:
                    self._origins.pop(key, None)
            if self._descs:  # a note belongs to the value it came with, not to a new one
                for key in changed:
                    self._descs.pop(key, None)
        return True

    def _plan(
        self,
        existing: Any,
        path: tuple[str, ...],
        rel: tuple[str, ...],
        value: Any,
        source: Any,
        inherited: str,
        writes: list[Write],
        defaults: bool,
        use_origins: bool,
    ) -> None:
        """Split the write of ``value`` at ``path`` into the writes of its leaves."""
        origin = source.origins.get(rel, inherited) if use_origins and source.origins else inherited
        desc = source.descs.get(rel) if source.descs else None
        if type(value) is dict and (existing is _MISSING or type(existing) is ConfigNode):
            if existing is _MISSING:
                if not value or not _listed_below(source, rel, use_origins):
                    writes.append((path, value, origin, desc))  # a new subtree: one write
                    return
                writes.append((path, {}, origin, desc))
                data: dict[str, Any] = {}
            else:
                data = existing
            for k, v in value.items():
                sub = _dget(data, k, _MISSING)
                self._plan(
                    sub, (*path, k), (*rel, k), v, source, origin, writes, defaults, use_origins
                )
            return
        if defaults and existing is not _MISSING:
            return
        writes.append((path, value, origin, desc))

    # -- the one place where writes happen ----------------------------------------------------
    def _commit(
        self, writes: Sequence[Write], allow: bool | None, *, lock: str | None = None
    ) -> None:
        """Check every write, tell the callback, then apply them: all or nothing.

        ``writes`` hold sanitized values. With ``lock``, the writes come from a controller:
        locks do not stop them, and their leaves are locked once applied.
        """
        if allow is None:
            allow = self._allow
        locked = bool(self._locks) and lock is None
        changes: list[Change] = []
        for path, value, origin, desc in writes:
            if locked:
                if self._blocked(path, value):
                    continue
                if type(value) is dict:
                    value = self._keep_locked(path, value)
            if len(path) == 1:
                existing, blocker = _dget(self, path[0], _MISSING), None
            else:
                existing, blocker = self._existing(path)
            if value is REMOVED:
                if existing is not _MISSING:
                    changes.append(_change((path, REMOVED, None, None)))
                continue
            if existing is not _MISSING:
                if _same(existing, value):
                    continue
                if not allow:
                    raise _change_error(path, existing, value)
            elif blocker is not None and not allow:
                raise _under_leaf_error(path, value, blocker)
            _check_storable(path, value)
            changes.append(_change((path, value, origin, desc)))
        if changes:
            if self._callback is not None:
                self._callback(changes)
            origins = self._origins
            for ch in changes:
                path, value = ch.path, ch.value
                if len(path) == 1 and type(value) in _ATOM_TYPES:
                    key = path[0]
                    old = _dget(self, key)
                    if type(old) is ConfigNode or type(old) is ConfigList:
                        old._detach()
                    _dset(self, key, value)
                    if ch.origin and ch.desc is None and not self._descs:
                        origins[key] = ch.origin
                    else:
                        self._set_meta_of(self, key, ch.origin, ch.desc)
                else:
                    self._apply(ch)
        if lock is not None:
            for path, value, _, _ in writes:
                self._lock_leaves(path, value, lock)

    def _existing(self, path: tuple[str, ...]) -> tuple[Any, tuple[str, ...] | None]:
        """``(value at path or _MISSING, path of a non-dict value standing in the way)``."""
        node: ConfigNode = self
        for i, seg in enumerate(path[:-1]):
            child = _dget(node, seg, _MISSING)
            if child is _MISSING:
                return _MISSING, None
            if type(child) is not ConfigNode:
                return _MISSING, path[: i + 1]
            node = child
        return _dget(node, path[-1], _MISSING), None

    def _node_at(self, path: tuple[str, ...]) -> ConfigNode | None:
        node: Any = self
        for seg in path:
            node = _dget(node, seg)
            if type(node) is not ConfigNode:
                return None
        return node  # type: ignore[no-any-return]

    def _apply(self, change: Change) -> None:
        path, value, origin = change.path, change.value, change.origin
        node: ConfigNode = self
        for i, seg in enumerate(path[:-1]):
            child = _dget(node, seg)
            if type(child) is not ConfigNode:
                if type(child) is ConfigList:
                    child._detach()
                child = ConfigNode(self, path[: i + 1])
                _dset(node, seg, child)
                self._set_meta_of(node, seg, origin, None)
            node = child
        key = path[-1]
        old = _dget(node, key)
        if type(old) is ConfigList and type(value) is list:
            old._replace(value)  # keep the list object the user may hold
            self._set_meta_of(node, key, origin, change.desc)
            return
        if type(old) is ConfigNode or type(old) is ConfigList:
            old._detach()
        if value is REMOVED:
            _dpop(node, key, None)
            node._origins.pop(key, None)
            node._descs.pop(key, None)
            return
        _dset(node, key, self._build(path, value, origin))
        self._set_meta_of(node, key, origin, change.desc)

    @staticmethod
    def _set_meta_of(node: ConfigNode, key: str, origin: str | None, desc: str | None) -> None:
        if origin:
            node._origins[key] = origin
        else:
            node._origins.pop(key, None)
        if desc is not None:
            node._descs[key] = desc
        elif node._descs:
            node._descs.pop(key, None)

    def _build(self, path: tuple[str, ...], value: Any, origin: str | None) -> Any:
        if type(value) is dict:
            node = ConfigNode(self, path)
            origins = node._origins
            for k, v in value.items():
                _dset(node, k, v if type(v) in _ATOM_TYPES else self._build((*path, k), v, origin))
                if origin:
                    origins[k] = origin
            return node
        if type(value) is list:
            return ConfigList(self, path, value)
        return value

    def _load_plain(
        self, tree: Mapping[str, Any], origins: Mapping[str, str], descs: Mapping[str, str]
    ) -> None:
        """Replace everything with ``tree`` (plain, JSON-safe), without checks or callback."""
        for v in _dvalues(self):
            if type(v) is ConfigNode or type(v) is ConfigList:
                v._detach()
        _dclear(self)
        self._origins.clear()
        self._descs.clear()
        for k, v in tree.items():
            _dset(self, k, self._build((k,), v, ""))
        for dotted, text in origins.items():
            self._set_meta(dotted, text, "_origins")
        for dotted, text in descs.items():
            self._set_meta(dotted, text, "_descs")

    def _set_meta(self, dotted: str, text: str, field: str) -> None:
        path = parse_path(dotted)
        node = self._node_at(path[:-1])
        if node is not None and _dhas(node, path[-1]):
            getattr(node, field)[path[-1]] = text

    # -- locks --------------------------------------------------------------------------------
    def _lock_leaves(self, path: tuple[str, ...], value: Any, user: str) -> None:
        if type(value) is dict and value:
            for k, v in value.items():
                self._lock_leaves((*path, k), v, user)
        else:
            self._locks[path] = user

    def _locked_around(self, path: tuple[str, ...]) -> bool:
        """True if ``path``, a key above it, or a key below it is locked."""
        n = len(path)
        return any(p[:n] == path or path[: len(p)] == p for p in self._locks)

    def _blocked(self, path: tuple[str, ...], value: Any) -> bool:
        """True, after warning once per key, if the user's write at ``path`` is ignored.

        It is when ``path`` is locked or lies below a locked leaf, or when it holds locked
        leaves and ``value`` is not a dict (a dict keeps them: see ``_keep_locked``). Writing
        the very value a key is locked to is ignored without a warning.
        """
        locks = self._locks
        for i in range(1, len(path) + 1):
            user = locks.get(path[:i])
            if user is not None:
                if i < len(path) or value is REMOVED or not _same(self._existing(path)[0], value):
                    self._warn_locked(path[:i], user)  # silent when it writes the same value
                return True
        if type(value) is dict:
            return False
        n = len(path)
        below = [p for p in locks if len(p) > n and p[:n] == path]
        for p in below:
            self._warn_locked(p, locks[p])
        return bool(below)

    def _keep_locked(self, path: tuple[str, ...], value: dict[str, Any]) -> dict[str, Any]:
        """``value`` to write at ``path``, with the locked leaves below it kept as they are."""
        n = len(path)
        for p, user in self._locks.items():
            if len(p) <= n or p[:n] != path:
                continue
            current, _ = self._existing(p)
            if current is _MISSING:
                continue
            target = value
            for seg in p[n:-1]:
                child = target.get(seg)
                if type(child) is not dict:
                    child = target[seg] = {}
                target = child
            if p[-1] not in target or not _same(current, target[p[-1]]):
                self._warn_locked(p, user)
            target[p[-1]] = _plain(current)
        return value

    def _warn_locked(self, path: tuple[str, ...], user: str) -> None:
        if path in self._warned:
            return
        self._warned.add(path)
        value, _ = self._existing(path)
        held = f"value {_short(_plain(value), 60)}" if value is not _MISSING else ""
        notes = ", ".join(x for x in (self._lock_notes.get(user), held) if x)
        held = f" ({notes})" if notes else ""
        warnings.warn(
            f"config key '{format_path(path)}' was locked by '{user}'{held}; writes to it "
            "are ignored. This warning is shown once per key.",
            LockedKeyWarning,
            stacklevel=user_stacklevel(),
        )

    # -- copies and pickling ------------------------------------------------------------------
    def copy(self) -> Config:
        """A standalone :class:`Config` (no callback) with these values, origins, locks and
        ``allow_val_change`` default. ``copy.copy``, ``copy.deepcopy`` and pickle do the
        same. (A copy of a nested node is a plain dict.)"""
        restore, args = self.__reduce__()
        return restore(*args)  # type: ignore[no-any-return]

    def __copy__(self) -> Config:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> Config:
        return self.copy()

    def __reduce__(self) -> tuple[Any, ...]:
        tree = {k: _plain(v) for k, v in _ditems(self)}
        return (_restore, (tree, self.origins(), self.descs(), dict(self._locks), self._allow))


def _restore(
    tree: dict[str, Any],
    origins: dict[str, str],
    descs: dict[str, str],
    locks: dict[tuple[str, ...], str],
    allow: bool,
) -> Config:
    cfg = Config()
    cfg._set_allow_val_change(allow)
    cfg._load_plain(tree, origins, descs)
    cfg._locks.update(locks)
    return cfg


_CLASS_ATTRS = frozenset(dir(Config))


def _visible(cfg: Config, key: Any) -> bool:
    return key in cfg and cfg._key(key)[:1] != "_"


class _Keys(KeysView[str]):
    """``cfg.keys()``: ``in`` agrees with iteration, so hidden keys are not in it."""

    def __init__(self, cfg: Config) -> None:
        super().__init__(cfg)
        self._cfg = cfg

    def __contains__(self, key: object) -> bool:
        return _visible(self._cfg, key)


class _Items(ItemsView[str, Any]):
    """``cfg.items()``: ``in`` agrees with iteration, so hidden keys are not in it."""

    def __init__(self, cfg: Config) -> None:
        super().__init__(cfg)
        self._cfg = cfg

    def __contains__(self, item: object) -> bool:
        if not (isinstance(item, tuple) and len(item) == 2):
            return False
        return super().__contains__(item) and _visible(self._cfg, item[0])


def _read(other: Any, origin: str, frame: Any) -> Any:
    """``other`` as a :class:`~runconfig.sources.Source`."""
    from runconfig.sources import Source, read_source

    if type(other) is dict:
        return Source(other, origin)
    if isinstance(other, Source):
        return other
    if isinstance(other, (list, tuple)) and all(
        isinstance(p, tuple) and len(p) == 2 for p in other
    ):
        return Source(dict(other), origin)  # pairs, as dict.update() takes them
    return read_source(other, origin, frame=frame)


def _plain_keys(keys: Collection[Any]) -> bool:
    """Whether every key is a ``str`` that :meth:`Config._key` keeps as it is: not empty, no
    leading or trailing dash. (A NUL inside a key can only make this say no.)"""
    if set(map(type, keys)) - {str}:
        return False
    text = "\x00".join(keys)
    return not (
        "" in keys or text[:1] == "-" or text[-1:] == "-" or "\x00-" in text or "-\x00" in text
    ) and (text.isascii() or surrogate_at(text) < 0)


def _storable_strings(values: Iterable[Any]) -> bool:
    """Whether no ``str`` among ``values`` holds a lone surrogate (see :func:`_check_storable`)."""
    text = "".join([v for v in values if type(v) is str])
    return text.isascii() or surrogate_at(text) < 0


def _check_storable(path: tuple[str, ...], value: Any) -> None:
    """Refuse a key or a string value that holds a lone surrogate: no store can keep it
    (its UTF-8 does not exist), and the store's error would name no key. Values that are
    not atoms were checked by :func:`~runconfig.values.sanitize`."""
    for i, segment in enumerate(path):
        if not segment.isascii():
            check_text(segment, format_path(path[: i + 1]), is_key=True)
    if type(value) is str and not value.isascii():
        check_text(value, format_path(path))


def _listed_below(source: Any, rel: tuple[str, ...], use_origins: bool) -> bool:
    """Whether ``source`` lists an origin or a note strictly below ``rel``."""
    n = len(rel)
    tables = (source.origins, source.descs) if use_origins else (source.descs,)
    return any(len(r) > n and r[:n] == rel for table in tables for r in table)


def _change_error(path: tuple[str, ...], old: Any, new: Any) -> ConfigValueError:
    call = f"config.update({_nested_literal(path, new)}, allow_val_change=True)"
    if len(call) > 100:
        call = "config.update(..., allow_val_change=True) with the new value"
    return ConfigValueError(
        f"Attempted to change value of key '{format_path(path)}' from "
        f"{_short(_plain(old))} to {_short(new)}. If the change is intended, call {call}, "
        "or pass allow_val_change=True to init() to allow changes for the whole run."
    )


def _under_leaf_error(path: tuple[str, ...], value: Any, leaf: tuple[str, ...]) -> ConfigValueError:
    return ConfigValueError(
        f"cannot set config key '{format_path(path)}': '{format_path(leaf)}' holds a value "
        f"that is not a dict. To replace it with a dict, pass allow_val_change=True, as in "
        f"config.update({_short(_nested_literal(path, value), 60)}, allow_val_change=True)."
    )


def _as_plain(value: ConfigNode | ConfigList) -> Any:
    """A deep plain copy of a node (a root Config without its hidden keys) or a list."""
    return value.as_dict() if isinstance(value, ConfigNode) else _plain(value)


treat_as_plain((Config, ConfigNode), (ConfigList,), _as_plain)
