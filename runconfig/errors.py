"""The exceptions and warnings runconfig raises.

Every exception derives from :class:`RunconfigError`; each subclass also derives from the
built-in it stands for, so ``except KeyError`` and ``hasattr`` keep working::

    try:
        cfg.learning_rte
    except runconfig.ConfigError as e:   # also an AttributeError
        print(e)   # Config has no key 'learning_rte': did you mean 'learning_rate'?
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "CommError",
    "ConfigAttributeError",
    "ConfigError",
    "ConfigKeyError",
    "ConfigTypeError",
    "ConfigValueError",
    "Error",
    "LockedKeyWarning",
    "QueryError",
    "RunconfigError",
    "StoreError",
    "SweepError",
    "TrialStopped",
    "UsageError",
    "UsageTypeError",
    "UsageValueError",
]


class RunconfigError(Exception):
    """Base of every error raised by runconfig."""


Error = RunconfigError
"""wandb's name for the base of its errors: ``except wandb.Error`` catches runconfig's."""


class UsageError(RunconfigError, RuntimeError):
    """An API called at the wrong moment, such as logging to a finished run."""


class UsageTypeError(UsageError, TypeError):
    """An API called with an argument of the wrong type, such as ``log([1, 2])``."""


class UsageValueError(UsageError, ValueError):
    """An API called with a value it does not take, such as ``alert(level="LOUD")``."""


class CommError(RunconfigError):
    """wandb's error for a failed exchange with its server; runconfig has no server and
    raises it only where wandb code expects it."""


class ConfigError(RunconfigError):
    """A config value or key was refused: a change without ``allow_val_change``, a bad key."""


class ConfigValueError(ConfigError, ValueError):
    """A value was refused: a change of an existing key, a cycle, a malformed file."""


class ConfigTypeError(ConfigError, TypeError):
    """A key or an input of a type the config cannot hold."""


class ConfigKeyError(ConfigError, KeyError):
    """A missing key, read by item (``cfg["x"]``) and then used as a value."""

    def __str__(self) -> str:
        # KeyError's str() wraps the message in quotes; show it as written.
        return str(self.args[0]) if self.args else ""


class ConfigAttributeError(ConfigError, AttributeError):
    """A missing key read by attribute (``cfg.x``); ``hasattr`` and ``getattr`` see it."""


class QueryError(RunconfigError, ValueError):
    """A query that cannot be parsed or compiled. The message points at the column."""

    def __init__(self, message: str, query: str = "", position: int | None = None) -> None:
        self.message = message
        self.query = query
        self.position = position
        text = message
        if query and position is not None:
            # A lone surrogate (not text) would make the message unprintable: it shows as
            # U+FFFD, one column wide, so the caret stays under its column.
            shown = query if query.isascii() else _replace_surrogates(query)
            column = position
            if len(shown) > _SHOWN:  # a long query: the part around the column
                start = max(0, min(position - _SHOWN // 2, len(shown) - _SHOWN))
                end = start + _SHOWN
                column = position - start + (3 if start else 0)
                shown = ("..." if start else "") + shown[start:end]
                shown += "..." if end < len(query) else ""
            text = f"{message}\n  {shown}\n  {' ' * column}^"
        super().__init__(text)


class StoreError(RunconfigError, OSError):
    """The store cannot be opened, read or written. The message names its location."""


class SweepError(RunconfigError, ValueError):
    """A sweep file that cannot be run (the message names the file, the line and the key),
    or a sweep command that cannot be carried out (an unknown sweep id...)."""


class TrialStopped(BaseException):
    """Raised by ``run.log()`` in a sweep trial its agent stopped (hyperband, or the sweep
    canceled). A ``BaseException``, so ``except Exception`` in training code lets it through
    to the agent, which ends the run as ``stopped``."""


class LockedKeyWarning(UserWarning):
    """A write to a key that a sweep (or another controller) locked was ignored."""


_SHOWN = 100  # characters of a query shown under a QueryError's message


def _replace_surrogates(text: str) -> str:
    return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``": did you mean 'x'?"`` for the closest choice, or ``""``."""
    import difflib  # only on the error path

    close = difflib.get_close_matches(word, [c for c in choices if isinstance(c, str)], n=1)
    return f": did you mean '{close[0]}'?" if close else ""
