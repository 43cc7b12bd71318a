"""Dotted paths: how a nested key is written in queries, columns and the store.

``("train", "epochs")`` is written ``train.epochs``. A segment that is not a plain name
(it holds a dot, a space, starts with a digit, or is a query keyword) is written in
backticks, a backtick inside doubled: ``("a.b",)`` is ``\\`a.b\\```. The notation is
injective, so ``{"a.b": 1}`` and ``{"a": {"b": 1}}`` never share a path.

A NUL inside a key is written ``\\`0`` (in backticks, a backtick is otherwise followed by
another, a dot or the end, so this spelling is free): PostgreSQL's text cannot hold a NUL,
and a path written this way is the same text on both engines. Every other character
stands for itself.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "KEYWORDS",
    "format_path",
    "format_segment",
    "format_segments",
    "leaf",
    "parse_path",
]

# Words the query language reserves; a key spelled like one is written in backticks.
KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null", "exists"})
_LONGEST_KEYWORD = max(map(len, KEYWORDS))

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")


_formatted: dict[str, str] = {}  # keys repeat across runs: format each once


def format_segment(segment: str) -> str:
    """One key as it is written in a path."""
    text = _formatted.get(segment)
    if text is None:
        # isidentifier() and isascii() run in C: most keys pass them; the rest (a dash, a
        # dot, a space...) go through the pattern.
        plain = (segment.isidentifier() and segment.isascii()) or _PLAIN.match(segment)
        if plain and (len(segment) > _LONGEST_KEYWORD or segment.lower() not in KEYWORDS):
            text = segment
        else:
            text = "`" + segment.replace("`", "``").replace("\x00", "`0") + "`"
        if len(_formatted) < 100_000:
            _formatted[segment] = text
    return text


# Every spelling of a keyword (``AND``, ``And``...): 2**len variants of each, 152 in all.
_KEYWORD_SPELLINGS = frozenset(
    "".join(c.upper() if bit else c for c, bit in zip(word, bits, strict=True))
    for word in KEYWORDS
    for bits in itertools.product((0, 1), repeat=len(word))
)


def format_segments(segments: list[str]) -> list[str]:
    """:func:`format_segment` of each key. The keys of a many-keys ``update()`` come here:
    when they are all plain names, which the checks tell in C, they are the list itself."""
    if (
        "".join(segments).isascii()
        and all(map(str.isidentifier, segments))
        and _KEYWORD_SPELLINGS.isdisjoint(segments)
    ):
        return segments
    return list(map(format_segment, segments))


def format_path(segments: tuple[str, ...] | list[str]) -> str:
    """``("train", "epochs")`` -> ``"train.epochs"``."""
    if len(segments) == 1:
        return format_segment(segments[0])
    return ".".join([format_segment(s) for s in segments])


def parse_path(text: str) -> tuple[str, ...]:
    """The inverse of :func:`format_path`. Raises ``ValueError`` on malformed text."""
    segments: list[str] = []
    i, n = 0, len(text)
    while True:
        if i < n and text[i] == "`":
            j = i + 1
            buf: list[str] = []
            while True:
                k = text.find("`", j)
                if k < 0:
                    raise ValueError(f"unclosed backtick in path {text!r}")
                buf.append(text[j:k])
                if k + 1 < n and text[k + 1] in "`0":
                    buf.append("`" if text[k + 1] == "`" else "\x00")
                    j = k + 2
                    continue
                i = k + 1
                break
            segments.append("".join(buf))
        else:
            k = text.find(".", i)
            end = n if k < 0 else k
            seg = text[i:end]
            if not seg:
                raise ValueError(f"empty segment in path {text!r}")
            segments.append(seg)
            i = end
        if i == n:
            return tuple(segments)
        if text[i] != ".":
            raise ValueError(f"expected '.' at {i} in path {text!r}")
        i += 1


def leaf(tree: Any, path: tuple[str, ...], missing: Any = None) -> Any:
    """The value at ``path`` in a nested mapping, or ``missing`` where there is none."""
    for key in path:
        if not isinstance(tree, Mapping) or key not in tree:
            return missing
        tree = tree[key]
    return tree
