"""Runs filtered without the query text: in memory, and from wandb's MongoDB-style filters.

:func:`matches` is the plain-Python reading of a query (:func:`runconfig.query.evaluate`,
the oracle the SQL is tested against). :func:`translate` turns wandb's filters
(:func:`runconfig.query.filters_to_query`) into the same AST, for scripts that move from
``wandb.Api().runs(path, filters={...})``::

    {"config.lr": {"$lt": 0.01}, "state": "finished"}
        ->  lr < 0.01 and run.state == "finished"
    {"$or": [{"tags": "baseline"}, {"summary_metrics.acc": {"$gte": 0.9}}]}
        ->  "baseline" in run.tags or summary.acc >= 0.9

Keys: ``config.<path>``, ``summary_metrics.<path>`` (or ``summary.<path>``), ``run.<field>``,
and wandb's run keys: ``display_name``/``displayName`` (the run's name), ``name`` (wandb's
name is the run id), ``createdAt``, ``updatedAt``, ``heartbeatAt``, ``jobType``,
``username``, plus every run field by its own name (``state``, ``tags``, ``group``...).
A dotted path is split at its dots (backticks work as in queries: ``config.`a.b```).

Operators: ``$and``, ``$or``, ``$nor``, ``$not``, ``$eq`` (a bare value), ``$ne``, ``$gt``,
``$gte``, ``$lt``, ``$lte``, ``$in``, ``$nin``, ``$exists``, ``$regex``. They mean what the
query language's operators mean (``$ne`` is ``!=``: false where the key is missing), except
on ``tags``, where, as in MongoDB, ``$eq``/``$ne``/``$in``/``$nin`` with strings test
membership: ``{"tags": "x"}`` is ``"x" in run.tags``. Anything else raises
:class:`QueryError` naming the key and the operator.
"""

from __future__ import annotations

import math
import operator
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from runconfig._entries import canonical_json
from runconfig._paths import leaf, parse_path
from runconfig._regex import search
from runconfig.errors import QueryError, did_you_mean
from runconfig.query import (
    MAX_DEPTH,
    And,
    Compare,
    Exists,
    Membership,
    Node,
    Not,
    Or,
    Path,
    Regex,
    Value,
    _atom_problem,
    _check_depth,
    _compare_problem,
    _float,
    _not_text,
    _plain,
    _regex_problem,
    _value_problem,
)
from runconfig.store.schema import RUN_COLUMNS
from runconfig.values import surrogate_at

__all__ = ["matches", "translate"]

# wandb's names for run fields, where they differ from ours.
WANDB_RUN_KEYS = {
    "display_name": "name",
    "displayName": "name",
    "name": "id",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
    "heartbeatAt": "heartbeat_at",
    "jobType": "job_type",
    "username": "user",
}
_COMPARISONS = {"$eq": "==", "$ne": "!=", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
_LOGICAL = ("$and", "$or", "$nor")
_FIELD_OPS = (*_COMPARISONS, "$in", "$nin", "$exists", "$regex", "$not")
_SECTION_KEYS = {"c": "config", "s": "summary"}


# -- in memory ------------------------------------------------------------------------------
_MISSING: Any = object()
_PY_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _kind(value: Any) -> str:
    if value is _MISSING:
        return ""
    if value is None:
        return "z"
    if isinstance(value, bool):
        return "b"
    if isinstance(value, (int, float)):
        return "n"
    if isinstance(value, str):
        return "s"
    if isinstance(value, Mapping):
        return "d"
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return "l"
    return "?"


def _has_nan(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, Mapping):
        return any(_has_nan(v) for v in value.values())
    return _kind(value) == "l" and any(_has_nan(v) for v in value)


def _same(stored: Any, literal: Value) -> bool:
    """``==`` between a stored list (or list element) and a literal, by value."""
    if _has_nan(stored):
        return False
    return canonical_json(_plain(stored)) == canonical_json(_plain(literal))


def _lookup(run: Mapping[str, Any], path: Path) -> Any:
    if path.section == "r":
        fields = run.get("run") or {}
        return fields.get(path.segments[0])
    return leaf(run.get(_SECTION_KEYS[path.section]) or {}, path.segments, _MISSING)


def _compare(stored: Any, op: str, value: Value) -> bool:
    kind = _kind(stored)
    if value is None:
        return kind == "z" if op == "==" else kind not in ("", "z")
    if isinstance(value, bool):
        return kind == "b" and _PY_OPS[op](stored, value)
    if isinstance(value, (int, float)):
        return kind == "n" and _PY_OPS[op](_float(stored), _float(value))
    if isinstance(value, str):
        return kind == "s" and _PY_OPS[op](stored, value)
    return kind == "l" and _same(stored, value) == (op == "==")


def matches(node: Node, run: Mapping[str, Any]) -> bool:
    """See :func:`runconfig.query.evaluate`."""
    if _CHECKED.get(id(node)) is not node:
        _check(node)
        _CHECKED[id(node)] = node
    return _match(node, run)


# The trees checked whole (depth, every atom), by identity: evaluate() is called once per
# run with the same tree, and checking it each time cost more than the test itself.
_CHECKED: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()


def _check(node: Node) -> None:
    """Raise for a tree that cannot be evaluated: nested past ``_MAX_TREE_DEPTH`` (built
    by hand: the parser and the filters stop sooner), or holding a bad node or atom."""
    _check_depth(node)
    stack: list[Any] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, (And, Or)):
            stack.extend(item.operands)
        elif isinstance(item, Not):
            stack.append(item.operand)
        elif not isinstance(item, (Compare, Membership, Regex, Exists)):
            raise TypeError(f"not a query node: {item!r}")
        elif problem := _atom_problem(item):
            raise QueryError(problem)


def _match(node: Node, run: Mapping[str, Any]) -> bool:
    """:func:`matches` for a tree :func:`_check` accepted."""
    if isinstance(node, And):
        return all(_match(n, run) for n in node.operands)
    if isinstance(node, Or):
        return any(_match(n, run) for n in node.operands)
    if isinstance(node, Not):
        return not _match(node.operand, run)
    assert isinstance(node, (Compare, Membership, Regex, Exists))
    stored = _lookup(run, node.path)
    if isinstance(node, Compare):
        return _compare(stored, node.op, node.value)
    if isinstance(node, Membership):
        found = _kind(stored) == "l" and any(_same(e, node.value) for e in stored)
        return _kind(stored) == "l" and found != node.negated
    if isinstance(node, Regex):
        return isinstance(stored, str) and search(node.pattern, stored)
    return stored is not None if node.path.section == "r" else stored is not _MISSING


# -- wandb filters --------------------------------------------------------------------------


def translate(filters: Mapping[str, Any]) -> Node:
    """The query AST for a filter document (all its keys must hold: an implicit ``$and``).

    Documents nest at most :data:`~runconfig.query.MAX_DEPTH` levels (``$and``, ``$or``,
    ``$nor``, ``$not``)."""
    return _translate(filters, 1)


def _translate(filters: Mapping[str, Any], depth: int) -> Node:
    if not isinstance(filters, Mapping):
        raise QueryError(f"filters must be a dict, not {type(filters).__name__}")
    parts: list[Node] = []
    for key, value in filters.items():
        if not isinstance(key, str):
            raise QueryError(f"filter keys are strings: {key!r} is a {type(key).__name__}")
        if key in _LOGICAL:
            if not isinstance(value, (list, tuple)) or not value:
                raise QueryError(f"'{key}' needs a non-empty list of filters, got {value!r}")
            _deeper(depth, key)
            nodes = tuple(_translate(v, depth + 1) for v in value)
            parts.append(
                Or(nodes) if key == "$or" else And(nodes) if key == "$and" else Not(Or(nodes))
            )
        elif key.startswith("$"):
            raise QueryError(_unknown(key, (*_LOGICAL, "a key")))
        else:
            parts.append(_field(key, _path(key), value, depth))
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _deeper(depth: int, where: str) -> None:
    """Refuse a document nested past MAX_DEPTH: translating it recurses once per level."""
    if depth >= MAX_DEPTH:
        raise QueryError(f"filters nest more than {MAX_DEPTH} levels deep (at {where!r})")


def _unknown(op: str, known: tuple[str, ...], key: str = "") -> str:
    where = f" for '{key}'" if key else ""
    hint = did_you_mean(op, known)
    return f"unknown filter operator '{op}'{where}{hint} (known: {', '.join(known)})"


def _path(key: str) -> Path:
    if (at := surrogate_at(key)) >= 0:
        raise QueryError(f"bad filter key {key!r}: {_not_text(key, at)}")
    prefix, _, rest = key.partition(".")
    if prefix in ("config", "summary_metrics", "summary") and rest:
        try:
            segments = parse_path(rest)
        except ValueError as e:
            raise QueryError(f"bad filter key {key!r}: {e}") from None
        return Path("c" if prefix == "config" else "s", segments)
    name = rest if prefix == "run" and rest else WANDB_RUN_KEYS.get(key, key)
    if name not in RUN_COLUMNS:
        choices = [*WANDB_RUN_KEYS, *RUN_COLUMNS, "config.<key>", "summary_metrics.<key>"]
        raise QueryError(
            f"unknown filter key {key!r}{did_you_mean(key, choices)}"
            " (use config.<key>, summary_metrics.<key> or a run field)"
        )
    return Path("r", (name,))


def _literal(value: Any, key: str) -> Value:
    if problem := _value_problem(value):
        raise QueryError(f"filter on {key!r}: {problem}")
    if isinstance(value, (list, tuple)):
        return tuple(_literal(v, key) for v in value)
    return value  # type: ignore[no-any-return]


def _field(key: str, path: Path, spec: Any, depth: int) -> Node:
    if not isinstance(spec, Mapping):
        return _operator(key, path, "$eq", spec, depth)
    ops = [k for k in spec if isinstance(k, str) and k.startswith("$")]
    if not ops or len(ops) != len(spec):
        raise QueryError(f"filter on {key!r}: a dict value must hold only $-operators: {spec!r}")
    parts = [_operator(key, path, op, arg, depth) for op, arg in spec.items()]
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _operator(key: str, path: Path, op: str, arg: Any, depth: int) -> Node:
    tags = path == Path("r", ("tags",))
    if op in ("$in", "$nin"):
        if not isinstance(arg, (list, tuple)):
            raise QueryError(f"'{op}' on {key!r} needs a list, got {arg!r}")
        each = "$eq" if op == "$in" else "$ne"
        nodes = tuple(_operator(key, path, each, v, depth) for v in arg)
        return Or(nodes) if op == "$in" else And(nodes)
    if op in _COMPARISONS:
        value = _literal(arg, key)
        if tags and op in ("$eq", "$ne") and isinstance(value, str):
            return Membership(value, path, negated=op == "$ne")
        if problem := _compare_problem(_COMPARISONS[op], value):
            raise QueryError(f"filter on {key!r}: {problem}, got {arg!r}")
        return Compare(path, _COMPARISONS[op], value)
    if op == "$exists":
        if not isinstance(arg, bool):
            raise QueryError(f"'$exists' on {key!r} needs true or false, got {arg!r}")
        return Exists(path) if arg else Not(Exists(path))
    if op == "$regex":
        if problem := _regex_problem(arg):
            raise QueryError(f"filter on {key!r}: {problem}")
        return Regex(path, arg)
    if op == "$not":
        _deeper(depth, f"{key}: $not")
        inner = arg if isinstance(arg, Mapping) else {"$regex": arg}
        return Not(_field(key, path, inner, depth + 1))
    raise QueryError(_unknown(op, _FIELD_OPS, key))
