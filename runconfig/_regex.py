"""Regular expressions of the query language (``p ~ "re"``), run by RE2.

RE2 (the ``google-re2`` package) runs in time linear in the text, whatever the pattern:
``(a+)+$`` against ``"a" * 30 + "!"``, which Python's backtracking :mod:`re` never
finishes, answers at once. It runs ``~`` wherever runconfig evaluates it in Python: the
``regexp`` function of an SQLite store and :func:`runconfig.evaluate`. PostgreSQL runs
``~`` with its own engine, bounded there by the query's time limit.

The options make RE2 read a pattern as PostgreSQL does by default: ``.`` and ``[^...]``
match a newline, ``^`` and ``$`` only the start and the end of the text. RE2 refuses
what it cannot run in linear time (backreferences, look-around), at parse time.

``re2`` is imported on the first pattern compiled, never by ``import runconfig``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

__all__ = ["regex_problem", "search"]

_NO_MATCH = (-1, -1)  # RE2's span of a group that did not match


def _import_re2() -> Any:
    try:
        import re2
    except ImportError as e:  # a broken install: google-re2 is a dependency
        raise ImportError(
            "runconfig's regular expressions (~) need google-re2: pip install 'google-re2>=1.1'"
        ) from e
    return re2


@functools.lru_cache(maxsize=256)
def _matcher(pattern: str) -> Callable[[str], bool]:
    """Whether a text holds a match of ``pattern``; raises ``re2.error`` for a bad one."""
    re2 = _import_re2()
    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused pattern on stderr
    options.dot_nl = True  # PostgreSQL's default: '.' matches a newline
    options.never_capture = True  # only whether it matches: no groups to record
    compiled = re2.compile(pattern, options)
    # re2's re-like search() builds a match object per call (~12 µs); the RE2 object it
    # wraps answers in ~2 µs, which matters to a query testing every run of a store.
    raw = getattr(compiled, "_regexp", None)
    anchor = getattr(getattr(getattr(re2, "_re2", None), "RE2", None), "Anchor", None)
    if raw is None or not hasattr(raw, "Match") or anchor is None:
        return lambda text: compiled.search(text) is not None
    match, unanchored = raw.Match, anchor.UNANCHORED

    def found(text: str) -> bool:
        # surrogatepass: a lone surrogate (never stored, but possible in a dict given to
        # evaluate()) reaches RE2 as bytes that match nothing but '.', never an error.
        data = text.encode("utf-8", "surrogatepass")
        return bool(match(unanchored, data, 0, len(data))[0] != _NO_MATCH)

    return found


def regex_problem(pattern: object) -> str | None:
    """Why ``pattern`` cannot be a query's regular expression, or None."""
    if not isinstance(pattern, str):
        return "'~' needs a string (a regular expression)"
    re2 = _import_re2()
    try:
        _matcher(pattern)
    except re2.error as e:
        reason = e.args[0] if e.args else str(e)
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        return f"bad regular expression: {reason}{_hint(str(reason))}"
    except UnicodeEncodeError as e:
        return f"bad regular expression: {e.reason} at index {e.start}"
    return None


def _hint(reason: str) -> str:
    if "perl operator" in reason or "escape sequence" in reason:
        return " (runconfig runs RE2: no backreferences or look-around; see docs/query.md)"
    if "repetition" in reason:
        return " (RE2 repeats at most {1000} times, PostgreSQL {255})"
    return ""


def search(pattern: str, text: str) -> bool:
    """Whether ``text`` holds a match of ``pattern`` (a search, not a match at the start).

    The pattern must be one that :func:`regex_problem` accepts.
    """
    return _matcher(pattern)(text)
