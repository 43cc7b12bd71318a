"""The ``runconfig`` command line: find, compare and export runs.

``main`` is the console script (``runconfig = runconfig.cli:main``) and the click group of
every command (``runconfig.cli.cli`` is the same object). The commands live in
:mod:`runconfig._cli_commands`; they need click and rich (``pip install
'runconfig[cli]'``). Without them, ``main()`` prints that line and exits with status 1.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import click

__all__ = ["INSTALL_HINT", "cli", "main"]

INSTALL_HINT = "pip install 'runconfig[cli]'"


def _missing_dependency() -> str | None:
    """The first of click and rich that cannot be imported, or None."""
    for name in ("click", "rich"):
        try:
            if importlib.util.find_spec(name) is None:
                return name
        except (ImportError, ValueError):
            return name
    return None


def _explain(missing: str) -> Callable[..., Any]:
    def main(*args: Any, **kwargs: Any) -> None:
        print(
            f"runconfig: the command line needs {missing} (click and rich): {INSTALL_HINT}",
            file=sys.stderr,
        )
        raise SystemExit(1)

    return main


_missing = _missing_dependency()
# Typed as the group it is whenever click is installed; without click, a function that
# prints the install line.
cli: click.Group
if _missing is None:
    try:
        from runconfig._cli_commands import cli
    except ImportError as e:  # a broken install of click
        cli = _explain(e.name or "click")  # type: ignore[assignment]
else:
    cli = _explain(_missing)  # type: ignore[assignment]
main = cli
