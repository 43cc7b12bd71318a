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
    segment   = name | "`" , { any character but "`" | "``" | "`0" } , "`" ;
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
float (list elements are compared exactly up to 2**63). Regular expressions are RE2's
(:mod:`runconfig._regex`: linear in the text, so no pattern can hang a query), checked when
the query is parsed, and run by RE2 on SQLite and in :func:`evaluate`, by PostgreSQL's own
engine there: keep to the portable subset (classes like ``[a-z0-9]``, anchors ``^ $``,
alternation, groups, quantifiers ``* + ? {m,n}`` up to 255), which both read alike, newlines
included (``.`` matches one, ``$`` is the end of the text). A query nests at most
:data:`MAX_DEPTH` levels (parentheses, ``not``, lists in lists) and a number literal is at
most :data:`MAX_NUMBER_LENGTH` characters; text must be Unicode (no lone surrogate, as a
byte that is not UTF-8 becomes when it is decoded with ``surrogateescape``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, NoReturn, TypeAlias

from runconfig._entries import canonical_json, postgres_text
from runconfig._paths import KEYWORDS, format_path
from runconfig._regex import regex_problem
from runconfig.errors import QueryError, UsageTypeError, did_you_mean
from runconfig.store.base import OrderKey, SqlFragment
from runconfig.store.schema import COLUMN_NAMES, RUN_COLUMNS, TEXT_KEY
from runconfig.values import surrogate_at

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

MAX_DEPTH = 100
"""Levels a query may nest: parentheses, ``not``, lists within lists, wandb's ``$and`` /
``$or`` / ``$not``. Deeper ones raise :class:`QueryError` (the parser, the compiler and
:func:`evaluate` recurse once per level, and SQLite refuses deep expressions)."""
MAX_NUMBER_LENGTH = 1000
"""Characters a number literal may have (an integer of 1,000 digits is far past any
float: it compares as infinity). Python refuses to read integers of more than 4,300."""
_MAX_INT_BITS = 3322  # the bits of 10**1000 - 1: an int of (about) 1,000 digits at most
# and/or/not levels of a tree: a parsed query has at most two per level it nests ('(a or
# b and (...))') and one per 'not', so only trees built by hand reach this.
_MAX_TREE_DEPTH = 2 * MAX_DEPTH + 2
_TOO_DEEP = f"the query nests and, or and not more than {_MAX_TREE_DEPTH} levels deep"

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


def _value_problem(value: object, depth: int = 0) -> str | None:
    if isinstance(value, (tuple, list)):
        if depth >= MAX_DEPTH:
            return f"a list nested more than {MAX_DEPTH} levels deep"
        return next((p for v in value if (p := _value_problem(v, depth + 1))), None)
    if isinstance(value, float) and math.isnan(value):
        return "NaN is equal to nothing: compare with a number"
    if isinstance(value, str) and (at := surrogate_at(value)) >= 0:
        return _not_text(value, at)
    if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
        return f"an integer of more than {MAX_NUMBER_LENGTH:,} digits"
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
        return f"unknown run field {name!r}{did_you_mean(name, RUN_COLUMNS)}"
    for segment in path.segments:
        if not isinstance(segment, str):
            return f"bad path: keys are strings, not {type(segment).__name__}"
        if (at := surrogate_at(segment)) >= 0:
            return f"key {segment!r}: {_not_text(segment, at)}"
    if isinstance(node, Compare):
        return _compare_problem(node.op, node.value)
    if isinstance(node, Membership):
        return _membership_problem(node.value)
    return _regex_problem(node.pattern) if isinstance(node, Regex) else None


def _regex_problem(pattern: object) -> str | None:
    if isinstance(pattern, str) and (at := surrogate_at(pattern)) >= 0:
        return _not_text(pattern, at)
    return regex_problem(pattern)


def _not_text(text: str, at: int) -> str:
    return (
        f"{text[at]!r} at index {at} is a lone surrogate, not text (a byte that is not "
        "UTF-8, decoded with surrogateescape?): no store holds one"
    )


# -- the lexer ------------------------------------------------------------------------------
class _Token(NamedTuple):
    kind: str  # name keyword quoted string number op ( ) [ ] , . - + end
    text: str  # as written (for messages)
    value: Any
    pos: int


# One token after any whitespace, in one match (a list of 10,000 values is 20,000 tokens):
# a number (starting with - . or an ASCII digit), a name, an operator, a punctuation mark.
# Strings and backticked keys, and what is none of these, match no group.
_LEXEME = re.compile(
    r"\s*(?:(?P<number>(?=[-.0-9])-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_\-]*)"
    r"|(?P<op>==|!=|<=|>=|<|>|~)"
    r"|(?P<punct>[()\[\],.+-]))?"
)
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
    """A backticked key at ``start``: a doubled backtick stands for one, and ```0`` for a
    NUL, as runconfig shows such a key (:mod:`runconfig._paths`)."""
    i, buf = start + 1, []
    while True:
        k = text.find("`", i)
        if k < 0:
            raise QueryError("unclosed '`'", text, start)
        buf.append(text[i:k])
        if text.startswith(("``", "`0"), k):
            buf.append("`" if text[k + 1] == "`" else "\x00")
            i = k + 2
        else:
            return "".join(buf), k + 1


def _tokenize(text: str) -> list[_Token]:
    if (at := surrogate_at(text)) >= 0:
        raise QueryError(_not_text(text, at), text, at)
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while True:
        lexeme = _LEXEME.match(text, i)
        assert lexeme is not None  # every part of the pattern is optional
        kind = lexeme.lastgroup
        if kind is None:  # a string, a backticked key, the end, or a stray character
            start = lexeme.end()
            if start >= n:
                break
            c = text[start]
            if c in "\"'":
                value, i = _read_quoted(text, start)
                tokens.append(_Token("string", text[start:i], value, start))
            elif c == "`":
                value, i = _read_backticked(text, start)
                tokens.append(_Token("quoted", text[start:i], value, start))
            else:
                hint = {"=": ": did you mean '=='?", "!": ": write 'not' or '!='"}.get(c, "")
                raise QueryError(f"unexpected character {c!r}{hint}", text, start)
            continue
        word = lexeme.group(kind)
        start, i = lexeme.start(kind), lexeme.end()
        if kind == "number":
            if word[0] == "." and (tokens[-1].kind if tokens else "") not in _VALUE_CONTEXT:
                tokens.append(_Token(".", ".", ".", start))  # a path's dot: `a.5` is a key
                i = start + 1
                continue
            if len(word) > MAX_NUMBER_LENGTH:
                raise QueryError(
                    f"a number of {len(word):,} characters: at most {MAX_NUMBER_LENGTH:,}",
                    text,
                    start,
                )
            is_float = "." in word or "e" in word or "E" in word
            tokens.append(_Token("number", word, float(word) if is_float else int(word), start))
        elif kind == "name":
            lower = word.lower()
            if lower in KEYWORDS:
                tokens.append(_Token("keyword", word, lower, start))
            else:
                tokens.append(_Token("name", word, word, start))
        elif kind == "op":
            tokens.append(_Token("op", word, word, start))
        else:
            tokens.append(_Token(word, word, word, start))
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
        self.depth = 0  # the levels open: '(', 'not', '['

    def deeper(self, tok: _Token) -> None:
        """Open a level at ``tok``: the parser recurses once per level, so a limit keeps
        a query of 1,000 '(' a QueryError, not a RecursionError."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"the query nests more than {MAX_DEPTH} levels deep here", tok.pos)

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
            self.deeper(self.advance())
            node = Not(self.not_expr())
            self.depth -= 1
            return node
        return self.atom()

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "(":
            self.deeper(self.advance())
            node = self.or_expr()
            if self.tok.kind == "end":
                self.fail("unclosed '('", tok.pos)
            self.expect(")", "')'")
            self.depth -= 1
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
            self.deeper(self.advance())
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
            self.depth -= 1
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


def parse_query(text: str | bytes) -> Node:
    """Parse a query into its AST.

    >>> parse_query('not lr < 0.01 and run.state == "finished"')  # doctest: +SKIP
    And((Not(Compare(Path('c', ('lr',)), '<', 0.01)), Compare(Path('r', ('state',)), ...)))

    Raises :class:`QueryError` (a ``ValueError``) pointing at the offending column. Bytes
    are read as UTF-8.
    """
    return _Parser(_query_text(text)).query()


def _query_text(text: object) -> str:
    """The text of a query given as ``str`` (or UTF-8 ``bytes``)."""
    if isinstance(text, str):
        return text
    if isinstance(text, (bytes, bytearray)):
        try:
            return bytes(text).decode("utf-8")
        except UnicodeDecodeError as e:
            shown = bytes(text).decode("utf-8", "replace")
            column = len(bytes(text)[: e.start].decode("utf-8", "replace"))
            raise QueryError(
                f"the query is not UTF-8 text: byte {text[e.start]:#04x} ({e.reason})",
                shown,
                column,
            ) from None
    raise UsageTypeError(f"a query is text (str), not {type(text).__name__}: {text!r}")


def parse_order(spec: str | Sequence[str]) -> list[OrderKey]:
    """Sort keys from ``"summary.val_loss"``, ``"-summary.acc"`` (descending), ``"lr"``
    (a config key), ``"run.created_at"``, or a list of them (a string may hold several,
    separated by commas)."""
    items = [spec] if isinstance(spec, str) else list(spec)
    keys: list[OrderKey] = []
    for item in items:
        parser = _Parser(_query_text(item))
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
# The comparison of two prefixes that the comparison of their texts implies.
_WITH_TIES = {"==": "=", "<": "<=", "<=": "<=", ">": ">=", ">=": ">="}
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


def _check_depth(node: Node) -> None:
    """Raise :class:`QueryError` for a tree nested deeper than ``_MAX_TREE_DEPTH``: one
    built by hand, since the parser and :func:`filters_to_query` refuse deeper ones."""
    stack: list[tuple[Any, int]] = [(node, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > _MAX_TREE_DEPTH:
            raise QueryError(_TOO_DEEP)
        if isinstance(item, (And, Or)):
            stack.extend((operand, depth + 1) for operand in item.operands)
        elif isinstance(item, Not):
            stack.append((item.operand, depth + 1))


def _flat(node: And | Or) -> Iterator[Node]:
    """The operands of ``node``, those of the same kind spliced in (``a and (b and c)``:
    ``a, b, c``; an empty ``and`` in an ``and`` is true, so it adds nothing)."""
    stack = list(reversed(node.operands))
    while stack:
        item = stack.pop()
        if type(item) is type(node):
            stack.extend(reversed(item.operands))
        else:
            yield item


_Atom: TypeAlias = "Compare | Membership | Regex | Exists"
_OTHER: Any = object()  # stands for the value of an atom that joins no set of values
_INLINE_VALUES = 16  # values of a set SQLite gets as `IN (?, ...)`; past them, JSON


def _exact_in_json(value: float | str) -> bool:
    """Whether SQLite's JSON reader gives ``value`` back exactly (see ``one_of``)."""
    if isinstance(value, str):
        return "\x00" not in value
    return value.is_integer() and abs(value) <= 2**53


def _balanced(word: str, parts: list[str]) -> str:
    """``(a OR b OR ...)``, nested in halves past 64 terms: SQLite parses a flat chain
    one level deeper per term and refuses expressions 1,000 levels deep (a long ``in``)."""
    if len(parts) <= 64:
        return "(" + word.join(parts) + ")"
    mid = len(parts) // 2
    return "(" + _balanced(word, parts[:mid]) + word + _balanced(word, parts[mid:]) + ")"


def _text_condition(op: str, value: str, pg: bool, bind: Callable[[Any], str]) -> str:
    """``e.txt op value``, for a string ``value``, in a form the text index serves.

    On PostgreSQL ``txt`` is escaped (:func:`~runconfig._entries.postgres_text`, which keeps
    equality and order) and the index holds ``txt_key``, its first TEXT_KEY characters.
    Against a shorter literal the prefix compares exactly as the text does (the text and
    the literal differ within the literal's length plus one, or the literal is a prefix of
    both), so the prefix alone answers, from the index alone. A longer literal narrows the
    index range by its own prefix, and the text decides."""
    if not pg:
        return f"e.txt {_SQL_OPS[op]} {bind(value)}"
    text = postgres_text(value)
    if op == "!=":  # an index does not serve it
        return f"e.txt <> {bind(text)}"
    if len(text) < TEXT_KEY:
        return f"e.txt_key {_SQL_OPS[op]} {bind(text)}"
    key = bind(text[:TEXT_KEY])  # Python's slice counts code points, as left() does
    return f"e.txt_key {_WITH_TIES[op]} {key} AND e.txt {_SQL_OPS[op]} {bind(text)}"


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
            parts = self.operands(node)
            if not parts:
                return _TRUE if isinstance(node, And) else _FALSE
            return _balanced(" AND " if isinstance(node, And) else " OR ", parts)
        if isinstance(node, Not):
            # Every part is true or false, never NULL: `not not x` is x, one level less
            # for SQLite's parser, which reads only so many (see docs/query.md).
            if isinstance(node.operand, Not):
                return self.node(node.operand.operand)
            return f"NOT ({self.node(node.operand)})"
        if not isinstance(node, (Compare, Membership, Regex, Exists)):
            raise TypeError(f"not a query node: {node!r}")
        if problem := _atom_problem(node):
            raise QueryError(problem)
        if node.path.section == "r":
            return self.run_atom(node)
        head = self.entry_head(node.path)
        if isinstance(node, Exists):
            return head + ")"
        return f"{head} AND {self.entry_condition(node)})"

    def entry_head(self, path: Path) -> str:
        """``EXISTS (SELECT 1 FROM rc_entries e WHERE`` the run's entry at ``path``, the
        parenthesis left open for a condition on ``e``."""
        # Section and path first, so the (section, path, num|txt) indexes serve the lookup.
        return (
            "EXISTS (SELECT 1 FROM rc_entries e WHERE e.rid = r.rid"
            f" AND e.section = '{path.section}'"
            f" AND e.path = {self.bind(format_path(path.segments))}"
        )

    def operands(self, node: And | Or) -> list[str]:
        """The SQL of each operand of an ``and`` or an ``or``, the atoms on one path as one.

        A run has at most one entry per path, so ``EXISTS (e: a) OR EXISTS (e: b)`` is
        ``EXISTS (e: a OR b)`` (``and`` alike); inside it the equalities of an ``or``
        (``in``), or the ``!=`` of an ``and`` (``not in``), are one set lookup per kind of
        value (:meth:`one_of`). ``x in [1, ..., 10000]`` was 10,000 EXISTS per run (minutes
        on SQLite, and PostgreSQL's JIT compiled them for as long); it is one lookup. An
        ``and`` in an ``and`` (``or`` in ``or``) joins it: the SQL nests less.
        """
        groups: dict[tuple[str, tuple[str, ...]], list[_Atom]] = {}
        slots: list[Node | tuple[str, tuple[str, ...]]] = []
        for operand in _flat(node):
            if isinstance(operand, (Compare, Membership, Regex, Exists)):
                if problem := _atom_problem(operand):
                    raise QueryError(problem)
                key = (operand.path.section, tuple(operand.path.segments))
                if key in groups:
                    groups[key].append(operand)
                else:
                    groups[key] = [operand]
                    slots.append(key)
            else:
                slots.append(operand)
        conjunction = isinstance(node, And)
        parts = []
        for slot in slots:
            if not isinstance(slot, tuple):
                parts.append(self.node(slot))
            elif len(atoms := groups[slot]) == 1:
                parts.append(self.node(atoms[0]))
            elif slot[0] == "r":
                parts.append(self.run_group(atoms, conjunction))
            else:
                parts.append(self.entry_group(atoms, conjunction))
        return parts

    def entry_group(self, atoms: list[_Atom], conjunction: bool) -> str:
        """Atoms on one config or summary path, as one EXISTS (see :meth:`operands`)."""
        head = self.entry_head(atoms[0].path)  # first: parameters bind in the text's order
        if not conjunction and any(isinstance(atom, Exists) for atom in atoms):
            return head + ")"  # an entry is all the `or` needs
        wanted = "!=" if conjunction else "=="  # the comparisons that make a set
        numbers: list[float] = []
        strings: list[str] = []
        null = False
        conditions: list[str] = []
        for atom in atoms:
            if isinstance(atom, Exists):
                continue  # true whenever the entry exists
            value = atom.value if isinstance(atom, Compare) and atom.op == wanted else _OTHER
            if value is None:
                null = True
            elif isinstance(value, str):
                strings.append(postgres_text(value) if self.pg else value)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                numbers.append(_float(value))
            else:
                conditions.append(self.entry_condition(atom))
        if null:
            conditions.append("e.kind <> 'z'" if conjunction else "e.kind = 'z'")
        if numbers:
            found = self.one_of("e.num", numbers, conjunction)
            # NaN is stored as NULL, and is != every number
            conditions.append(
                f"e.kind = 'n' AND (e.num IS NULL OR {found})"
                if conjunction
                else f"e.kind = 'n' AND {found}"
            )
        if strings:
            conditions.append(f"e.kind = 's' AND {self.one_of('e.txt', strings, conjunction)}")
        if not conditions:
            return head + ")"
        return f"{head} AND {_balanced(' AND ' if conjunction else ' OR ', conditions)})"

    def run_group(self, atoms: list[_Atom], conjunction: bool) -> str:
        """Atoms on one run field: its equalities (``!=`` in an ``and``) as one set."""
        name = atoms[0].path.segments[0]
        kind, col = RUN_COLUMNS[name], "r." + COLUMN_NAMES.get(name, name)
        wanted = "!=" if conjunction else "=="
        values: list[Any] = []
        parts: list[str] = []
        for atom in atoms:
            value = atom.value if isinstance(atom, Compare) and atom.op == wanted else _OTHER
            if kind == "s" and isinstance(value, str) and not (self.pg and "\x00" in value):
                values.append(value)
            elif kind == "n" and isinstance(value, (int, float)) and not isinstance(value, bool):
                values.append(_float(value))
            else:
                parts.append(self.run_atom(atom))
        if values:
            parts.append(f"({col} IS NOT NULL AND {self.one_of(col, values, conjunction)})")
        return _balanced(" AND " if conjunction else " OR ", parts)

    def one_of(self, column: str, values: list[Any], negated: bool) -> str:
        """``column`` is one of ``values`` (``negated``: none of them), all floats or all
        strings: true or false wherever ``column`` is not NULL, whatever the values."""
        values = list(dict.fromkeys(values))
        if len(values) == 1:
            return f"{column} {'<>' if negated else '='} {self.bind(values[0])}"
        if self.pg:
            # An array, whatever its length: one parameter, hashed by the executor.
            array = "double precision[]" if isinstance(values[0], float) else "text[]"
            found = f"{column} = ANY({self.bind(values)}::{array})"
            return f"NOT ({found})" if negated else found
        word = "NOT IN" if negated else "IN"
        if len(values) <= _INLINE_VALUES:
            return f"{column} {word} ({', '.join(map(self.bind, values))})"
        # Past a few, one JSON array that SQLite reads exactly: ints of up to 53 bits and
        # strings without NUL (its reader ends a string there). The others, floats with a
        # fraction, are bound each, so they stay the doubles they are.
        listed = [v for v in values if _exact_in_json(v)]
        bound = [v for v in values if not _exact_in_json(v)]
        parts = []
        if listed:
            array = json.dumps([int(v) if isinstance(v, float) else v for v in listed])
            parts.append(f"{column} {word} (SELECT value FROM json_each({self.bind(array)}))")
        if bound:
            parts.append(f"{column} {word} ({', '.join(map(self.bind, bound))})")
        return _balanced(" AND " if negated else " OR ", parts)

    def entry_condition(self, node: Compare | Membership | Regex) -> str:
        if isinstance(node, Regex):
            if self.pg:
                return f"e.kind = 's' AND e.txt ~ {self.bind(_pg_pattern(node))}"
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
            return f"e.kind = 's' AND {_text_condition(op, value, self.pg, self.bind)}"
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
            # SQLite's JSON reader ends a string at a \u0000, so "a\u0000b" reads as "a":
            # where the list holds a NUL, its element's JSON text (two copies, as a list:
            # the only way to have it) decides.
            token = canonical_json(value)
            head = f"j.type = 'text' AND j.value = {self.bind(value.split(chr(0))[0])}"
            pair = self.bind(f"[{token},{token}]")
            exact = f"json_extract(e.txt, j.fullkey, j.fullkey) = {pair}"
            if "\x00" in value:
                return f"{head} AND {exact}"
            return f"{head} AND (instr(e.txt, '\\u0000') = 0 OR {exact})"
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
                return f"COALESCE({col} ~ {self.bind(_pg_pattern(node))}, FALSE)"
            return f"CASE WHEN {col} IS NULL THEN 0 ELSE {col} REGEXP {self.bind(node.pattern)} END"
        if isinstance(node, Membership):
            if kind != "l":
                return _FALSE
            if not isinstance(node.value, str):  # tags hold strings only
                return _TRUE if node.negated else _FALSE
            if self.pg and "\x00" in node.value:
                # Neither text nor jsonb holds a NUL; json keeps each element's JSON text.
                found = (
                    f"EXISTS (SELECT 1 FROM json_array_elements({col}::json) j"
                    f" WHERE j::text = {self.bind(canonical_json(node.value))})"
                )
            elif self.pg:
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
            if self.pg and "\x00" in value:
                # No run field holds a NUL there (its text cannot): none is equal, and one
                # sorts before the literal exactly when it sorts up to the part before the NUL.
                if op in ("==", "!="):
                    return _FALSE if op == "==" else f"({col} IS NOT NULL)"
                op, value = "<=" if op in ("<", "<=") else ">", value[: value.index("\x00")]
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


def _pg_pattern(node: Regex) -> str:
    """The pattern of ``node`` for PostgreSQL, whose text cannot hold a NUL."""
    if "\x00" in node.pattern:
        raise QueryError(
            f"the regular expression for {node.path} holds a NUL character, which PostgreSQL"
            " cannot run (its text has no NUL; see docs/query.md)"
        )
    return node.pattern


def compile_query(node: Node, dialect: str) -> SqlFragment:
    """The SQL condition, over the runs table aliased ``r``, that holds for matching runs.

    ``dialect`` is ``"sqlite"`` (``?`` placeholders) or ``"postgresql"`` (``%s``). Every
    part is true or false, never NULL, so ``NOT`` is exact. SQLite needs a ``regexp(pattern,
    string)`` function registered (:func:`runconfig._regex.search`) for ``~``.
    """
    compiler = _Compiler(dialect)
    _check_depth(node)
    sql = compiler.node(node)
    return SqlFragment(
        sql, tuple(compiler.params), tuple(_narrowing(node, compiler.placeholder, compiler.pg))
    )


def _narrowing(node: Node, placeholder: str, pg: bool) -> Iterator[SqlFragment]:
    """For each comparison that must hold (a top-level ``and`` operand) and that one index
    range answers (a number or a string compared by ``== < <= > >=``), the rids of that
    range: a superset of the matching runs (see :class:`SqlFragment`)."""
    if isinstance(node, And):
        for operand in node.operands:
            yield from _narrowing(operand, placeholder, pg)
        return
    if not isinstance(node, Compare) or node.path.section == "r" or node.op == "!=":
        return
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return
    params: list[Any] = [format_path(node.path.segments)]

    def bind(param: Any) -> str:
        params.append(param)
        return placeholder

    if isinstance(value, str):
        condition = _text_condition(node.op, value, pg, bind)
    else:
        condition = f"e.num {_SQL_OPS[node.op]} {bind(_float(value))}"
    yield SqlFragment(
        f"SELECT e.rid FROM rc_entries e WHERE e.section = '{node.path.section}'"
        f" AND e.path = {placeholder} AND {condition}",
        tuple(params),
    )
