"""What a value logged as a file is: the protocol between :meth:`Run.log` and the media.

A :class:`Media` value (``Image``, ``Table``, ``Histogram``...) in the dict given to
``log()``, at any depth or in a list, is handed the run and the key it is logged under;
it writes what it holds under the run's folder and returns the JSON reference that the
history row (and the summary) keep instead: ``{"_type": "image-file", "path": ...}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runconfig._run import Run

__all__ = ["Media"]


class Media:
    """Base of the values that ``log()`` stores as files and references."""

    def to_ref(self, run: Run, key: str) -> dict[str, Any]:
        """Write this value for ``run`` (logged under ``key``: ``"examples"``, or
        ``"val.images"`` when nested) and return the JSON-safe reference to store."""
        raise NotImplementedError
