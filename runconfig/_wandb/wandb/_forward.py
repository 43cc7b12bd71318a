"""How the modules of this ``wandb`` hand wandb's names over to runconfig's.

Each module of the package stands for one of wandb's and takes its names from a runconfig
module (or computes them); a name that neither has raises one line that says so::

    AttributeError: runconfig does not provide wandb.util.to_forward_slash_path; see docs/wandb.md
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, MutableMapping
from types import ModuleType
from typing import Any

__all__ = ["forwarder", "load", "missing", "reexport"]

DOCS = "docs/wandb.md"


def missing(name: str) -> AttributeError:
    """The error for a wandb name that runconfig does not provide (``wandb.X``)."""
    return AttributeError(f"runconfig does not provide {name}; see {DOCS}")


def load(wandb_name: str, target: str) -> ModuleType:
    """The runconfig module behind wandb's ``wandb_name``.

    When runconfig has no such module, a ``ModuleNotFoundError`` in one line naming both;
    an ``ImportError`` raised inside the module (its library not installed, say) is left
    as it is, since it says what to install.
    """
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as e:
        if e.name is None or not target.startswith(e.name) or not e.name.startswith("runconfig"):
            raise
        raise ModuleNotFoundError(
            f"runconfig does not provide {wandb_name} (it would be {target}); see {DOCS}",
            name=wandb_name,
        ) from None


def reexport(namespace: MutableMapping[str, Any], module: ModuleType) -> list[str]:
    """Copy the public names of ``module`` (its ``__all__``, else those without ``_``) into
    ``namespace``; return them, for the ``__all__`` of the module that re-exports."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    for name in names:
        namespace[name] = getattr(module, name)
    return list(names)


def forwarder(wandb_name: str, *sources: Callable[[], ModuleType]) -> Callable[[str], Any]:
    """A module ``__getattr__``: the name from the first of ``sources`` (each called on
    every miss, so a name runconfig gains later shows) that has it, else :func:`missing`."""

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(f"module {wandb_name!r} has no attribute {name!r}")
        for source in sources:
            module = source()
            if hasattr(module, name):
                return getattr(module, name)
        raise missing(f"{wandb_name}.{name}")

    return __getattr__
