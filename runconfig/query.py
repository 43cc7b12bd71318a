"""The query language: find runs by config, summary and run fields.

::

    lr < 0.01 and optimizer == "adam"
    train.epochs >= 10 or not (optimizer in ["sgd", "rmsprop"])
    summary.val_loss < 0.3 and run.state == "finished" and "baseline" in run.tags
    exists(train.warmup) and run.name ~ "^resnet"

A hand-written lexer and recursive-descent parser turn the text into an AST (the frozen
dataclasses below); :func:`compile_query` turns the AST into a parameterised SQL condition
for SQLite or PostgreSQL, and :func:`evaluate` applies the same rules to a run in memory.
User text reaches SQL only as bound parameters. Errors are :class:`QueryError` with a caret
under the offending column::

    lr << 0.1
       ^ unexpected '<': expected a value after '<'

Grammar (EBNF; keywords are case-insensitive, whitespace is free between tokens)::

    query     = or_expr ;
    or_expr   = and_expr , { "or" , and_expr } ;
    and_expr  = not_expr , { "and" , not_expr } ;
    not_expr  = "not" , not_expr | atom ;
    atom      = "(" , or_expr , ")"
              | "exists" , "(" , path , ")"
              | path , ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) , literal
              | path , [ "not" ] , "in" , list
              | path , "~" , string
              | scalar , [ "not" ] , "in" , path ;
    path      = [ ( "config" | "summary" | "run" ) , "." ] , segment , { "." , segment } ;
    segment   = name | "`" , { any character but "`" | "``" } , "`" ;
    name      = ( letter | "_" ) , { letter | digit | "_" | "-" } ;
    literal   = scalar | list ;
    list      = "[" , [ literal , { "," , literal } , [ "," ] ] , "]" ;
    scalar    = number | string | "true" | "false" | "null" ;
    number    = [ "-" ] , ( digits , [ "." , [ digits ] ] | "." , digits ) , [ exponent ] ;
    string    = '"' , { char } , '"' | "'" , { char } , "'" ;

A bare path is a config key; ``summary.`` and ``run.`` name the other sections and
``config.`` is explicit (``config.run`` is a config key named ``run``; a backticked first
segment is never a prefix). In strings ``\\"``, ``\\'`` and ``\\\\`` stand for the character;
any other backslash is kept, so ``"^\\d+$"`` is the regular expression it looks like.
``1e999`` is infinity.

Semantics (a run "holds" a value at a path; missing keys hold nothing):

=========================  ===================================================================
``p == v`` / ``p != v``    p holds a value of v's type that is / is not equal to v. Numbers
                           (ints and floats; bools are not numbers) compare as floats, strings
                           by code point, lists element-wise by these rules (``[1, 2.0] ==
                           [1, 2]``). Another type, or nothing, is false for both. NaN is
                           ``!=`` every number and ``==`` none.
``p == null``              p holds null. ``p != null``: p holds anything else (a dict too).
``p < v`` ``<=`` ``>`` …   numbers with numbers, strings with strings; v must be one of them.
``p in [a, b]``            exactly ``p == a or p == b`` (``in []`` is false).
``p not in [a, b]``        exactly ``p != a and p != b`` (so false where p is missing).
``v in p``                 p holds a list with an element equal to the scalar v.
``v not in p``             p holds a list and no element is equal to v.
``p ~ "re"``               p holds a string in which the regular expression is found.
``exists(p)``              p holds something (null and ``{}`` included). For a run field:
                           the field is not null.
``not x``                  x is false: ``not optimizer == "adam"`` includes runs without one.
=========================  ===================================================================

``not`` binds looser than any comparison and tighter than ``and``; ``and`` tighter than
``or``. A run field (``run.group``) is never missing: unset, it holds null.

Limits: numbers compare as 64-bit floats, so integers beyond 2**53 compare by their nearest
float (list elements are compared exactly up to 2**63). Regular expressions are checked with
Python's :mod:`re` and run by the engine (Python's ``re.search`` in SQLite, POSIX ARE in
PostgreSQL): keep to the portable subset (classes like ``[a-z0-9]``, anchors ``^ $``,
alternation, groups, quantifiers ``* + ? {m,n}``); ``.`` and ``$`` treat a newline
differently in the two engines.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, NoReturn, TypeAlias

from runconfig._entries import canonical_json
from runconfig._paths import KEYWORDS, format_path
from runconfig.errors import QueryError, did_you_mean
from runconfig.store.base import OrderKey, SqlFragment
from runconfig.store.schema import COLUMN_NAMES, RUN_COLUMNS

__all__ = [
    "And",
    "Compare",
    "Exists",
    "Membership",
    "Node",
    "Not",
    "Or",
    "Path",
    "Regex",
    "Value",
    "compile_query",
    "evaluate",
    "filters_to_query",
    "parse_order",
    "parse_query",
]

Value: TypeAlias = "bool | int | float | str | tuple[Value, ...] | None"
"""A literal: a JSON scalar, or a tuple for a list literal."""

COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=")
_ORDERING = frozenset({"<", "<=", ">", ">="})
_PREFIXES = {"config": "c", "summary": "s", "run": "r"}
_SECTION_WORDS = {"c": "config", "s": "summary", "r": "run"}


# -- the AST --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Path:
    """Where a value is read: a config (``"c"``) or summary (``"s"``) key, or a run field.

    ``segments`` are the keys from the root (for ``"r"``: the one field name). ``position``
    is the column of the path in the query text (not compared).
    """

    section: str
    segments: tuple[str, ...]
    position: int = field(default=-1, compare=False, repr=False)

    def __str__(self) -> str:
        text = format_path(self.segments)
        if self.section == "c" and self.segments[0] not in _PREFIXES:
            return text
        return f"{_SECTION_WORDS[self.section]}.{text}"


@dataclass(frozen=True)
class Compare:
    """``path op value``, with ``op`` one of ``== != < <= > >=``."""

    path: Path
    op: str
    value: Value


@dataclass(frozen=True)
class Membership:
    """``value in path`` (``negated``: ``value not in path``): list membership."""

    value: Value
    path: Path
    negated: bool = False


@dataclass(frozen=True)
class Regex:
    """``path ~ pattern``: a regular-expression search in a string."""

    path: Path
    pattern: str


@dataclass(frozen=True)
class Exists:
    """``exists(path)``."""

    path: Path


@dataclass(frozen=True)
class And:
    """All operands are true (an empty ``And`` is true)."""

    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """Some operand is true (an empty ``Or`` is false)."""

    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """The operand is false."""

    operand: Node


Node: TypeAlias = "Compare | Membership | Regex | Exists | And | Or | Not"
"""Any node of a parsed query."""


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _value_problem(value: object) -> str | None:
    if isinstance(value, (tuple, list)):
        return next((p for v in value if (p := _value_problem(v))), None)
    if isinstance(value, float) and math.isnan(value):
        return "NaN is equal to nothing: compare with a number"
    ok = value is None or isinstance(value, (bool, int, float, str))
    return None if ok else f"not a query value: {value!r}"


def _compare_problem(op: str, value: object) -> str | None:
    """Why ``path op value`` is not a valid comparison, or None."""
    if op not in COMPARE_OPS:
        return f"unknown operator {op!r}"
    if op in _ORDERING and not (_is_number(value) or isinstance(value, str)):
        return f"'{op}' needs a number or a string"
    return _value_problem(value)


def _membership_problem(value: object) -> str | None:
    if isinstance(value, (tuple, list)) or _value_problem(value):
        return "expected a number, a string, true, false or null before 'in'"
    return None


def _atom_problem(node: Compare | Membership | Regex | Exists) -> str | None:
    """Why a node built by hand (not by the parser) cannot be evaluated, or None."""
    path = node.path
    if path.section not in _SECTION_WORDS or not path.segments:
        return f"bad path: section {path.section!r}, keys {path.segments!r}"
    if path.section == "r" and path.segments[0] not in RUN_COLUMNS:
        name = path.segments[0]
        return f"unknown run field '{name}'{did_you_mean(name, RUN_COLUMNS)}"
    if isinstance(node, Compare):
        return _compare_problem(node.op, node.value)
    if isinstance(node, Membership):
        return _membership_problem(node.value)
    return _regex_problem(node.pattern) if isinstance(node, Regex) else None


def _regex_problem(pattern: object) -> str | None:
    if not isinstance(pattern, str):
        return "'~' needs a string (a regular expression)"
    try:
        re.compile(pattern)
    except re.error as e:
        return f"bad regular expression: {e}"
    return None


# -- the lexer ------------------------------------------------------------------------------
class _Token(NamedTuple):
    kind: str  # name keyword quoted string number op ( ) [ ] , . - + end
    text: str  # as written (for messages)
    value: Any
    pos: int


_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "~")
# After these a "." starts a number (".5"); after a name it joins path segments.
_VALUE_CONTEXT = frozenset({"op", "(", "[", ",", "keyword", ""})


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """A string literal at ``start``: its value and the index after it."""
    quote, i, buf = text[start], start + 1, []
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] in "\"'\\":
            buf.append(text[i + 1])
            i += 2
        elif c == quote:
            return "".join(buf), i + 1
        else:
            buf.append(c)
            i += 1
    raise QueryError("unclosed string", text, start)


def _read_backticked(text: str, start: int) -> tuple[str, int]:
    """A backticked key at ``start`` (a doubled backtick stands for one)."""
    i, buf = start + 1, []
    while True:
        k = text.find("`", i)
        if k < 0:
            raise QueryError("unclosed '`'", text, start)
        buf.append(text[i:k])
        if text.startswith("``", k):
            buf.append("`")
            i = k + 2
        else:
            return "".join(buf), k + 1


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        prev = tokens[-1].kind if tokens else ""
        if c.isspace():
            i += 1
            continue
        start = i
        number = _NUMBER.match(text, i) if c in "-.0123456789" else None
        if number and (c != "." or prev in _VALUE_CONTEXT):
            word = number.group()
            i = number.end()
            is_float = any(ch in word for ch in ".eE")
            tokens.append(_Token("number", word, float(word) if is_float else int(word), start))
        elif c in "\"'":
            value, i = _read_quoted(text, i)
            tokens.append(_Token("string", text[start:i], value, start))
        elif c == "`":
            value, i = _read_backticked(text, i)
            tokens.append(_Token("quoted", text[start:i], value, start))
        elif name := _NAME.match(text, i):
            word = name.group()
            i = name.end()
            if word.lower() in KEYWORDS:
                tokens.append(_Token("keyword", word, word.lower(), start))
            else:
                tokens.append(_Token("name", word, word, start))
        elif op := next((o for o in _OPERATORS if text.startswith(o, i)), None):
            i += len(op)
            tokens.append(_Token("op", op, op, start))
        elif c in "()[],.-+":
            i += 1
            tokens.append(_Token(c, c, c, start))
        else:
            hint = {"=": ": did you mean '=='?", "!": ": write 'not' or '!='"}.get(c, "")
            raise QueryError(f"unexpected character {c!r}{hint}", text, start)
    tokens.append(_Token("end", "", None, n))
    return tokens


# -- the parser -----------------------------------------------------------------------------
def _describe(tok: _Token) -> str:
    return "end of query" if tok.kind == "end" else repr(tok.text)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def advance(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, message: str, pos: int) -> NoReturn:
        raise QueryError(message, self.text, pos)

    def unexpected(self, expected: str) -> NoReturn:
        tok = self.tok
        self.fail(f"unexpected {_describe(tok)}: expected {expected}", tok.pos)

    def at_keyword(self, *words: str) -> bool:
        return self.tok.kind == "keyword" and self.tok.value in words

    def at_not_in(self) -> bool:
        nxt = self.tokens[self.i + 1] if self.i + 1 < len(self.tokens) else self.tok
        return self.at_keyword("not") and nxt.kind == "keyword" and nxt.value == "in"

    def expect(self, kind: str, expected: str) -> _Token:
        if self.tok.kind != kind:
            self.unexpected(expected)
        return self.advance()

    # query ------------------------------------------------------------------------------
    def query(self) -> Node:
        if self.tok.kind == "end":
            self.fail("empty query", 0)
        node = self.or_expr()
        if self.tok.kind == ")":
            self.fail("unexpected ')': no '(' to close", self.tok.pos)
        if self.tok.kind != "end":
            self.unexpected("'and', 'or' or the end of the query")
        return node

    def or_expr(self) -> Node:
        operands = [self.and_expr()]
        while self.at_keyword("or"):
            self.advance()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Node:
        operands = [self.not_expr()]
        while self.at_keyword("and"):
            self.advance()
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def not_expr(self) -> Node:
        if self.at_keyword("not"):
            self.advance()
            return Not(self.not_expr())
        return self.atom()

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "(":
            self.advance()
            node = self.or_expr()
            if self.tok.kind == "end":
                self.fail("unclosed '('", tok.pos)
            self.expect(")", "')'")
            return node
        if tok.kind == "keyword" and tok.value == "exists":
            self.advance()
            self.expect("(", "'(' after 'exists'")
            path = self.path()
            self.expect(")", "')'")
            return Exists(path)
        if tok.kind in ("name", "quoted"):
            return self.comparison(self.path())
        if tok.kind in ("number", "string", "[") or self.at_keyword("true", "false", "null"):
            return self.membership()
        self.unexpected("a comparison, 'not', 'exists' or '('")

    def comparison(self, path: Path) -> Node:
        tok = self.tok
        if tok.kind == "op" and tok.value == "~":
            self.advance()
            lit = self.tok
            pattern = self.literal("'~'")
            if problem := _regex_problem(pattern):
                self.fail(problem, lit.pos)
            assert isinstance(pattern, str)
            return Regex(path, pattern)
        if tok.kind == "op":
            self.advance()
            value = self.literal(f"'{tok.value}'")
            if problem := _compare_problem(tok.value, value):
                self.fail(problem, tok.pos)
            return Compare(path, tok.value, value)
        negated = self.at_not_in()
        if negated:
            self.advance()
        if self.at_keyword("in"):
            self.advance()
            if self.tok.kind != "[":
                self.unexpected("a list '[...]' after 'in'")
            values = self.literal("'in'")
            assert isinstance(values, tuple)
            if negated:
                return And(tuple(Compare(path, "!=", v) for v in values))
            if len(values) == 1:
                return Compare(path, "==", values[0])
            return Or(tuple(Compare(path, "==", v) for v in values))
        self.unexpected(f"an operator (== != < <= > >= ~ in) after {str(path)!r}")

    def membership(self) -> Node:
        lit = self.tok
        value = self.literal("")
        if self.tok.kind == "op":
            self.fail(
                f"unexpected {_describe(self.tok)}: a comparison starts with the path"
                f" ('x {self.tok.value} {lit.text}')",
                self.tok.pos,
            )
        negated = self.at_not_in()
        if negated:
            self.advance()
        if not self.at_keyword("in"):
            self.unexpected(f"'in' after {lit.text}")
        if problem := _membership_problem(value):
            self.fail(problem, lit.pos)
        self.advance()
        if self.tok.kind not in ("name", "quoted"):
            self.unexpected("a path after 'in'")
        return Membership(value, self.path(), negated)

    def literal(self, after: str) -> Value:
        tok = self.tok
        if tok.kind in ("number", "string"):
            self.advance()
            return tok.value  # type: ignore[no-any-return]
        if self.at_keyword("true", "false", "null"):
            self.advance()
            return {"true": True, "false": False, "null": None}[tok.value]
        if tok.kind == "[":
            self.advance()
            items: list[Value] = []
            while self.tok.kind != "]":
                if self.tok.kind != "end":
                    items.append(self.literal("'['" if not items else "','"))
                if self.tok.kind == "end":
                    self.fail("unclosed '['", tok.pos)
                if self.tok.kind == ",":
                    self.advance()
                elif self.tok.kind != "]":
                    self.unexpected("',' or ']'")
            self.advance()
            return tuple(items)
        self.unexpected(f"a value after {after}" if after else "a value")

    def segment(self) -> tuple[str, int]:
        tok = self.tok
        if tok.kind in ("name", "quoted", "keyword"):
            self.advance()
            return str(tok.value if tok.kind != "keyword" else tok.text), tok.pos
        hint = (
            f" (write a key like this in backticks: `{tok.text}`)" if tok.kind == "number" else ""
        )
        self.fail(f"unexpected {_describe(tok)}: expected a key after '.'{hint}", tok.pos)

    def path(self) -> Path:
        first = self.tok
        if first.kind not in ("name", "quoted"):
            self.unexpected("a path")
        section = "c"
        if first.kind == "name" and first.value in _PREFIXES:
            self.advance()
            if self.tok.kind != ".":
                self.fail(
                    f"'{first.value}' must be followed by '.' and a key"
                    f" (a config key named '{first.value}' is config.{first.value})",
                    first.pos,
                )
            self.advance()
            section = _PREFIXES[first.value]
        segments = [self.segment()]
        while self.tok.kind == ".":
            dot = self.advance()
            if section == "r":
                self.fail(f"run.{segments[0][0]} has no sub-keys", dot.pos)
            segments.append(self.segment())
        if section == "r":
            name, pos = segments[0]
            if name not in RUN_COLUMNS:
                fields = ", ".join(RUN_COLUMNS)
                hint = did_you_mean(name, RUN_COLUMNS)
                self.fail(f"unknown run field '{name}'{hint} (run fields: {fields})", pos)
        return Path(section, tuple(s for s, _ in segments), first.pos)


def parse_query(text: str) -> Node:
    """Parse a query into its AST.

    >>> parse_query('not lr < 0.01 and run.state == "finished"')  # doctest: +SKIP
    And((Not(Compare(Path('c', ('lr',)), '<', 0.01)), Compare(Path('r', ('state',)), ...)))

    Raises :class:`QueryError` (a ``ValueError``) pointing at the offending column.
    """
    return _Parser(text).query()


def parse_order(spec: str | Sequence[str]) -> list[OrderKey]:
    """Sort keys from ``"summary.val_loss"``, ``"-summary.acc"`` (descending), ``"lr"``
    (a config key), ``"run.created_at"``, or a list of them (a string may hold several,
    separated by commas)."""
    items = [spec] if isinstance(spec, str) else list(spec)
    keys: list[OrderKey] = []
    for item in items:
        parser = _Parser(item)
        if parser.tok.kind == "end":
            parser.fail("empty sort key", 0)
        while True:
            descending = parser.tok.kind == "-"
            if parser.tok.kind in ("-", "+"):
                parser.advance()
            path = parser.path()
            text = path.segments[0] if path.section == "r" else format_path(path.segments)
            keys.append(OrderKey(path.section, text, descending))
            if parser.tok.kind == "end":
                break
            parser.expect(",", "',' or the end of the sort keys")
    return keys


def filters_to_query(filters: Mapping[str, Any]) -> Node:
    """Translate wandb's MongoDB-style filters into a query AST.

    >>> filters_to_query({"config.lr": {"$lt": 0.01}, "state": "finished"})  # doctest: +SKIP

    See :mod:`runconfig.query_filters` for the keys and operators understood.
    """
    from runconfig.query_filters import translate

    return translate(filters)


# -- in memory ------------------------------------------------------------------------------
def _float(value: Any) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray)):
        return [_plain(v) for v in value]
    return value


def evaluate(node: Node, run: Mapping[str, Any]) -> bool:
    """Whether a run matches a query, computed in Python by the same rules as the SQL.

    ``run`` is ``{"config": {...}, "summary": {...}, "run": {field: value}}`` (any part may
    be left out; a run field left out is null)::

        >>> q = parse_query('lr < 0.01 and "baseline" in run.tags')
        >>> evaluate(q, {"config": {"lr": 0.001}, "run": {"tags": ["baseline"]}})
        True
    """
    from runconfig.query_filters import matches

    return matches(node, run)


# -- SQL ------------------------------------------------------------------------------------
_FALSE = "(1 = 0)"
_TRUE = "(1 = 1)"
_SQL_OPS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
# occurrences of 'null' in a JSON text: canonical txt writes NaN as null, value as NaN,
# and both encode strings alike, so the counts differ exactly when a list holds a NaN.
_NULLS = "(length({0}) - length(replace({0}, 'null', '')))"
# The entry's list as JSON, NULL (no elements) for other kinds: a CASE, because neither
# engine promises to test e.kind before it parses the JSON of a string or a number.
_LIST = "CASE WHEN e.kind = 'l' THEN e.txt END"
# The same with NaN and infinities turned into numbers, so the nulls left are real ones.
_LIST_NULLS = (
    "CASE WHEN e.kind = 'l' THEN replace(replace(e.value, 'NaN', '0'), 'Infinity', '0') END"
)


def _balanced(word: str, parts: list[str]) -> str:
    """``(a OR b OR ...)``, nested in halves past 64 terms: SQLite parses a flat chain
    one level deeper per term and refuses expressions 1,000 levels deep (a long ``in``)."""
    if len(parts) <= 64:
        return "(" + word.join(parts) + ")"
    mid = len(parts) // 2
    return "(" + _balanced(word, parts[:mid]) + word + _balanced(word, parts[mid:]) + ")"


class _Compiler:
    def __init__(self, dialect: str) -> None:
        if dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"unknown SQL dialect {dialect!r}: expected 'sqlite' or 'postgresql'")
        self.pg = dialect == "postgresql"
        self.placeholder = "%s" if self.pg else "?"
        self.params: list[Any] = []

    def bind(self, value: Any) -> str:
        self.params.append(value)
        return self.placeholder

    def node(self, node: Node) -> str:
        if isinstance(node, (And, Or)):
            if not node.operands:
                return _TRUE if isinstance(node, And) else _FALSE
            word = " AND " if isinstance(node, And) else " OR "
            return _balanced(word, [self.node(n) for n in node.operands])
        if isinstance(node, Not):
            return f"NOT ({self.node(node.operand)})"
        if not isinstance(node, (Compare, Membership, Regex, Exists)):
            raise TypeError(f"not a query node: {node!r}")
        if problem := _atom_problem(node):
            raise QueryError(problem)
        if node.path.section == "r":
            return self.run_atom(node)
        # Section and path first, so the (section, path, num|txt) indexes serve the lookup.
        head = (
            "EXISTS (SELECT 1 FROM rc_entries e WHERE e.rid = r.rid"
            f" AND e.section = '{node.path.section}'"
            f" AND e.path = {self.bind(format_path(node.path.segments))}"
        )
        if isinstance(node, Exists):
            return head + ")"
        return f"{head} AND {self.entry_condition(node)})"

    def entry_condition(self, node: Compare | Membership | Regex) -> str:
        if isinstance(node, Regex):
            if self.pg:
                return f"e.kind = 's' AND e.txt ~ {self.bind(node.pattern)}"
            # CASE keeps the user function from ever seeing a NULL txt.
            return f"CASE WHEN e.kind = 's' THEN e.txt REGEXP {self.bind(node.pattern)} END"
        if isinstance(node, Membership):
            found = self.element_found(node.value)
            return f"e.kind = 'l' AND {'NOT ' if node.negated else ''}{found}"
        op, value = node.op, node.value
        if value is None:
            return "e.kind = 'z'" if op == "==" else "e.kind <> 'z'"
        if isinstance(value, bool):
            return f"e.kind = 'b' AND e.num {_SQL_OPS[op]} {self.bind(float(value))}"
        if isinstance(value, (int, float)):
            number = self.bind(_float(value))
            if op == "!=":  # NaN is stored as NULL and is != every number
                return f"e.kind = 'n' AND (e.num IS NULL OR e.num <> {number})"
            return f"e.kind = 'n' AND e.num {_SQL_OPS[op]} {number}"
        if isinstance(value, str):
            return f"e.kind = 's' AND e.txt {_SQL_OPS[op]} {self.bind(value)}"
        same = f"e.txt = {self.bind(canonical_json(_plain(value)))}"
        if "null" in canonical_json(_plain(value)):
            same = f"({same} AND {_NULLS.format('e.txt')} = {_NULLS.format('e.value')})"
        return f"e.kind = 'l' AND {same}" if op == "==" else f"e.kind = 'l' AND NOT {same}"

    def element_found(self, value: Value) -> str:
        """EXISTS over the elements of the entry's list, one equal to ``value``."""
        if self.pg:
            # json (not jsonb) keeps each element's text: canonical JSON, compared as text.
            if value is None:
                rows, cond = (
                    f"json_array_elements(({_LIST_NULLS})::json)",
                    "json_typeof(j) = 'null'",
                )
            else:
                rows = f"json_array_elements(({_LIST})::json)"
                cond = f"j::text = {self.bind(canonical_json(value))}"
        elif value is None:
            rows, cond = f"json_each({_LIST_NULLS})", "j.type = 'null'"
        else:
            rows, cond = f"json_each({_LIST})", self.sqlite_element(value)
        return f"EXISTS (SELECT 1 FROM {rows} j WHERE {cond})"

    def sqlite_element(self, value: Value) -> str:
        if isinstance(value, bool):
            return f"j.type = '{'true' if value else 'false'}'"
        if isinstance(value, str):
            return f"j.type = 'text' AND j.value = {self.bind(value)}"
        # Parsed by SQLite's own JSON reader, so it is the same double as the element's.
        number = self.bind(canonical_json(value))
        return f"j.type IN ('integer', 'real') AND j.value = json_extract({number}, '$')"

    def run_atom(self, node: Compare | Membership | Regex | Exists) -> str:
        name = node.path.segments[0]
        kind, col = RUN_COLUMNS[name], "r." + COLUMN_NAMES.get(name, name)
        if isinstance(node, Exists):
            return f"{col} IS NOT NULL"
        if isinstance(node, Regex):
            if kind != "s":
                return _FALSE
            if self.pg:
                return f"COALESCE({col} ~ {self.bind(node.pattern)}, FALSE)"
            return f"CASE WHEN {col} IS NULL THEN 0 ELSE {col} REGEXP {self.bind(node.pattern)} END"
        if isinstance(node, Membership):
            if kind != "l":
                return _FALSE
            if not isinstance(node.value, str):  # tags hold strings only
                return _TRUE if node.negated else _FALSE
            if self.pg:
                found = f"{col}::jsonb @> jsonb_build_array({self.bind(node.value)}::text)"
            else:
                found = (
                    f"EXISTS (SELECT 1 FROM json_each({col}) j"
                    f" WHERE j.type = 'text' AND j.value = {self.bind(node.value)})"
                )
            return f"NOT ({found})" if node.negated else found
        op, value = node.op, node.value
        if value is None:
            return f"{col} IS NULL" if op == "==" else f"{col} IS NOT NULL"
        if isinstance(value, (tuple, list)):
            if kind != "l":
                return _FALSE
            same = self.tags_equal(col, tuple(value))
            return same if op == "==" else f"NOT {same}"
        if isinstance(value, bool):
            if kind != "b":
                return _FALSE
            param = self.bind(value if self.pg else int(value))
        elif isinstance(value, (int, float)):
            if kind != "n":
                return _FALSE
            param = self.bind(_float(value))
        else:
            if kind != "s":
                return _FALSE
            param = self.bind(value)
            if self.pg and op not in ("==", "!="):
                # Code-point order; equality needs no collation, so the index stays usable.
                return f'({col} IS NOT NULL AND {col} COLLATE "C" {_SQL_OPS[op]} {param})'
        # Never NULL (so NOT works), and `r.id = ?` can use the index on id.
        return f"({col} IS NOT NULL AND {col} {_SQL_OPS[op]} {param})"

    def tags_equal(self, col: str, value: tuple[Value, ...]) -> str:
        if not all(isinstance(v, str) for v in value):
            return _FALSE
        if self.pg:
            return f"({col}::jsonb = {self.bind(json.dumps(list(value)))}::jsonb)"
        parts = [f"json_array_length({col}) = {len(value)}"]
        for i, v in enumerate(value):
            parts.append(f"json_type({col}, '$[{i}]') = 'text'")
            parts.append(f"json_extract({col}, '$[{i}]') = {self.bind(v)}")
        return "(" + " AND ".join(parts) + ")"


def compile_query(node: Node, dialect: str) -> SqlFragment:
    """The SQL condition, over the runs table aliased ``r``, that holds for matching runs.

    ``dialect`` is ``"sqlite"`` (``?`` placeholders) or ``"postgresql"`` (``%s``). Every
    part is true or false, never NULL, so ``NOT`` is exact. SQLite needs a ``regexp(pattern,
    string)`` function registered (Python's ``re.search``) for ``~``.
    """
    compiler = _Compiler(dialect)
    sql = compiler.node(node)
    return SqlFragment(sql, tuple(compiler.params), tuple(_narrowing(node, compiler.placeholder)))


def _narrowing(node: Node, placeholder: str) -> Iterator[SqlFragment]:
    """For each comparison that must hold (a top-level ``and`` operand) and that one index
    range answers (a number or a string compared by ``== < <= > >=``), the rids of that
    range: a superset of the matching runs (see :class:`SqlFragment`)."""
    if isinstance(node, And):
        for operand in node.operands:
            yield from _narrowing(operand, placeholder)
        return
    if not isinstance(node, Compare) or node.path.section == "r" or node.op == "!=":
        return
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return
    column, param = ("txt", value) if isinstance(value, str) else ("num", _float(value))
    yield SqlFragment(
        f"SELECT e.rid FROM rc_entries e WHERE e.section = '{node.path.section}'"
        f" AND e.path = {placeholder} AND e.{column} {_SQL_OPS[node.op]} {placeholder}",
        (format_path(node.path.segments), param),
    )
