"""A config tree as typed entries: the shape in which the store keeps and indexes it.

Every node of a tree (dicts included, so ``{}`` and ``exists(train)`` work) becomes one
:class:`Entry` keyed by its dotted path (see :mod:`runconfig._paths`). An entry carries its
kind and the columns the query language compares:

====  ========  ==========================================  ================================
kind  value     ``num``                                     ``txt``
====  ========  ==========================================  ================================
n     number    the number as float (NULL for NaN)          NULL
s     string    NULL                                        the string
b     bool      1.0 / 0.0                                   NULL
z     null      NULL                                        NULL
l     list      NULL                                        canonical JSON (for ``==``)
d     dict      NULL                                        NULL
====  ========  ==========================================  ================================

``value`` is the exact JSON of a leaf that ``num`` and ``txt`` do not hold exactly: ints
(``2`` is not ``2.0``; ints past 2**53 stay exact), NaN, infinities, zeros (``-0.0``),
lists, strings holding a NUL (on PostgreSQL, or a U+0001). It is ``None`` for the rest
(finite non-zero floats: ``num``; strings: ``txt``; bools: ``num``; null; dicts): most of a
config, whose rows it would otherwise double. :func:`decode` reads a leaf back from the
columns, type for type. (Stores of schema 1 wrote ``value`` for every leaf; :func:`decode`
reads those too.)

PostgreSQL's text cannot hold a NUL, so a PostgreSQL store keeps ``txt`` as
:func:`postgres_text` writes it: NUL as U+0001 U+0001 and U+0001 as U+0001 U+0002, every
other character as itself. The escape is injective and keeps code-point order (no
character's spelling is a prefix of another's, and the spellings sort as the characters
do), so ``==``, ``<`` and sorting on the escaped text answer as on the text; the string
itself is read back from ``value``, which such a row always carries. (Keys are kept
NUL-free by the path notation itself: see :mod:`runconfig._paths`.)
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, NamedTuple

from runconfig._paths import format_path, format_segment, parse_path

__all__ = [
    "REMOVED",
    "Change",
    "Entry",
    "build_tree",
    "canonical_json",
    "decode",
    "dumps",
    "encode_string",
    "entries",
    "entries_at",
    "entry",
    "is_hidden",
    "kind_of",
    "loads",
    "postgres_text",
    "without_hidden",
]


class _Removed:
    __slots__ = ()

    def __repr__(self) -> str:
        return "REMOVED"

    def __reduce__(self) -> str:
        return "REMOVED"


REMOVED: Any = _Removed()
"""The value of a :class:`Change` that deletes the key at its path."""

is_hidden: Callable[[str], bool] = operator.methodcaller("startswith", "_")
"""A hidden top-level key (``_wandb``...): kept in the store, left out of what is read back."""


def without_hidden(tree: dict[str, Any]) -> dict[str, Any]:
    """``tree`` without its hidden top-level keys (itself when it has none)."""
    if any(map(is_hidden, tree)):
        return {k: v for k, v in tree.items() if not is_hidden(k)}
    return tree


class Change(NamedTuple):
    """One mutation of a config (or a summary), as told to a callback and a store.

    ``path`` is the tuple of keys from the root; ``()`` stands for the whole config (what
    :meth:`Config.persist` sends). ``value`` is JSON-safe (plain dicts and lists), or
    :data:`REMOVED`. The node at ``path`` becomes ``value`` whole; missing parents are
    created as dicts. ``origin`` says where the value came from (``"train.py:12"``,
    ``"config-defaults.yaml:3"``, ``"sweep"``...), ``desc`` is a note from a defaults file.
    """

    path: tuple[str, ...]
    value: Any
    origin: str | None = None
    desc: str | None = None


class Entry(NamedTuple):
    """One node of a tree, flattened (see the module docstring for the columns)."""

    path: str
    kind: str
    num: float | None
    txt: str | None
    value: str | None


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
encode_string: Any = json.encoder.encode_basestring  # the C function where there is one


def dumps(value: Any) -> str:
    """Exact JSON of a JSON-safe value (NaN and infinities as Python's json writes them)."""
    return _encode(value)


def loads(text: str) -> Any:
    return json.loads(text)


def postgres_text(text: str) -> str:
    """``text`` as a PostgreSQL store's ``txt`` holds it (see the module docstring): the
    same string unless it holds U+0000 or U+0001.

    >>> postgres_text("a\\x00b\\x01")
    'a\\x01\\x01b\\x01\\x02'
    """
    if "\x01" in text:
        text = text.replace("\x01", "\x01\x02")
    return text.replace("\x00", "\x01\x01") if "\x00" in text else text


def _canonical(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return value
        if value.is_integer():
            return int(value)
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in sorted(value.items())}
    return value


def canonical_json(value: Any) -> str:
    """JSON in which equal values (by the query language's ``==``) are equal text.

    Integral floats are written as ints (``1.0 == 1``), dict keys sorted; bools stay
    ``true``/``false`` (they are not numbers). Infinities are written ``1e999``.
    """
    text = json.dumps(_canonical(value), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.replace("-Infinity", "-1e999").replace("Infinity", "1e999")


def kind_of(value: Any) -> str:
    if value is None:
        return "z"
    if value is True or value is False:
        return "b"
    if isinstance(value, (int, float)):
        return "n"
    if isinstance(value, str):
        return "s"
    if isinstance(value, list):
        return "l"
    if isinstance(value, dict):
        return "d"
    raise TypeError(f"not a JSON-safe value: {type(value).__name__}")


_new: Callable[[tuple[Any, ...]], Entry] = partial(tuple.__new__, Entry)  # no checks: fast
_INFINITIES = (math.inf, -math.inf)


def _float_json(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def entry(path: str, value: Any) -> Entry:
    """The entry of one node (a dict node stands for itself, not its children)."""
    # Exact types first: this runs for every key a live run sets and a bulk import writes.
    t = type(value)
    if t is float:
        if value != value or value in _INFINITIES or not value:
            return _new((path, "n", None if value != value else value, None, _float_json(value)))
        return _new((path, "n", value, None, None))
    if t is str:
        return _new((path, "s", None, value, encode_string(value) if "\x00" in value else None))
    if t is int:
        try:
            num = float(value)
        except OverflowError:  # beyond a double: it sorts as an infinity
            num = math.inf if value > 0 else -math.inf
        return _new((path, "n", num, None, int.__repr__(value)))
    if t is bool:
        return _new((path, "b", 1.0 if value else 0.0, None, None))
    if value is None:
        return _new((path, "z", None, None, None))
    if t is dict:
        return _new((path, "d", None, None, None))
    if t is list:
        return _new((path, "l", None, canonical_json(value), _encode(value)))
    kind_of(value)  # a TypeError naming the type, unless it is a subclass of the above
    plain: Any
    if isinstance(value, int):
        plain = int(value)
    elif isinstance(value, float):
        plain = float(value)
    elif isinstance(value, str):
        plain = str(value)
    elif isinstance(value, list):
        plain = list(value)
    else:
        plain = dict(value)
    return entry(path, plain)


def _walk(path: str, value: Any, out: list[Entry]) -> None:
    out.append(entry(path, value))
    if type(value) is dict:
        for k, v in value.items():
            _walk(f"{path}.{format_segment(k)}", v, out)


def entries(path: tuple[str, ...], value: Any) -> list[Entry]:
    """The entries of ``value`` placed at ``path``: the node first, then its descendants."""
    return entries_at(format_path(path), value)


def entries_at(path: str, value: Any) -> list[Entry]:
    """:func:`entries` for a path already written as text (``train.epochs``)."""
    if type(value) is not dict:
        return [entry(path, value)]
    out: list[Entry] = []
    _walk(path, value, out)
    return out


def decode(kind: str, num: float | None, txt: str | None, value: str | None) -> Any:
    """A leaf's value from its entry's columns (see the module docstring)."""
    if value is not None:
        return loads(value)
    if kind == "n":
        return float(num) if num is not None else math.nan
    if kind == "s":
        return txt
    if kind == "b":
        return bool(num)
    return None  # 'z'; a dict node never gets here


def build_tree(
    rows: Iterable[tuple[str, str, float | None, str | None, str | None]],
) -> dict[str, Any]:
    """Rebuild a tree from ``(path, kind, num, txt, value)`` rows given in insertion order."""
    root: dict[str, Any] = {}
    for path, kind, num, txt, value in rows:
        segments = parse_path(path)
        parent = root
        for seg in segments[:-1]:
            node = parent.get(seg)
            if not isinstance(node, dict):
                node = parent[seg] = {}
            parent = node
        if kind == "d":
            if not isinstance(parent.get(segments[-1]), dict):
                parent[segments[-1]] = {}
        else:
            parent[segments[-1]] = decode(kind, num, txt, value)
    return root


RunTrees = tuple[dict[str, Any], dict[str, Any], dict[str, str], dict[str, str]]
"""A run's config, summary, origins and descs."""


def run_trees(rows: Iterable[tuple[Any, ...]]) -> dict[int, RunTrees]:
    """The trees of runs from their entries: ``(rid, section, path, kind, num, txt, value,
    origin, desc)`` rows, each run's in insertion (``seq``) order. A run without entries is
    not in the result."""
    nodes: dict[tuple[int, str], list[tuple[str, str, Any, Any, Any]]] = {}
    notes: dict[int, tuple[dict[str, str], dict[str, str]]] = {}
    for rid, section, path, kind, num, txt, value, origin, desc in rows:
        node = (path, kind, num, txt, value)
        try:
            nodes[rid, section].append(node)
        except KeyError:
            nodes[rid, section] = [node]
        if section == "c" and (origin is not None or desc is not None):
            origins, descs = notes.setdefault(rid, ({}, {}))
            if origin is not None:
                origins[path] = origin
            if desc is not None:
                descs[path] = desc
    out: dict[int, RunTrees] = {}
    for rid in dict.fromkeys(rid for rid, _ in nodes):
        origins, descs = notes.get(rid, ({}, {}))
        config = build_tree(nodes.get((rid, "c"), ()))
        out[rid] = (config, build_tree(nodes.get((rid, "s"), ())), origins, descs)
    return out
