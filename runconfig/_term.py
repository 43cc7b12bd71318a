"""What runconfig prints: one-line messages on stderr, as wandb's ``termlog`` family.

``RUNCONFIG_SILENT`` (or wandb's ``WANDB_SILENT``) set to ``true`` or ``1`` silences
them. ``repeat=False`` prints a given message once per process.
"""

from __future__ import annotations

import os
import sys

__all__ = ["is_silent", "termerror", "termlog", "termwarn"]

PREFIX = "runconfig: "
_said: set[str] = set()


def is_silent() -> bool:
    """Whether the environment asks runconfig to print nothing."""
    for name in ("RUNCONFIG_SILENT", "WANDB_SILENT"):
        value = os.environ.get(name)
        if value is not None:
            return value.strip().lower() in ("1", "true", "yes")
    return False


def _say(kind: str, string: str, newline: bool, repeat: bool, prefix: bool) -> None:
    if is_silent():
        return
    if not repeat:
        if string in _said:
            return
        if len(_said) < 1000:
            _said.add(string)
    head = PREFIX + kind if prefix else ""
    text = "\n".join(head + line for line in str(string).split("\n"))
    sys.stderr.write(text + ("\n" if newline else ""))
    sys.stderr.flush()


def termlog(
    string: str = "", newline: bool = True, repeat: bool = True, prefix: bool = True
) -> None:
    """Print ``string`` on stderr, each line prefixed ``runconfig: ``."""
    _say("", string, newline, repeat, prefix)


def termwarn(string: str, newline: bool = True, repeat: bool = True, prefix: bool = True) -> None:
    """Print a warning line on stderr (``runconfig: WARNING ...``); not a Python warning."""
    _say("WARNING ", string, newline, repeat, prefix)


def termerror(string: str, newline: bool = True, repeat: bool = True, prefix: bool = True) -> None:
    """Print an error line on stderr (``runconfig: ERROR ...``)."""
    _say("ERROR ", string, newline, repeat, prefix)
