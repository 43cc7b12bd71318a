"""What a value logged as a file is: the protocol between :meth:`Run.log` and the media.

A :class:`Media` value (``Image``, ``Table``, ``Histogram``...) in the dict given to
``log()``, at any depth or in a list, is handed the run and the key it is logged under;
it writes what it holds under the run's folder and returns the JSON reference that the
history row (and the summary) keep instead: ``{"_type": "image-file", "path": ...}``.

Internally a value writes to a :class:`FileSink`: a run, or a plain folder (a value
added to an artifact, whose files no run records).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from runconfig._run import Run

__all__ = ["FileSink", "Media"]


class FileSink(Protocol):
    """Where media files go: a folder (``dir``) and a way to record each file written in
    it (``path`` relative to ``dir``). A :class:`~runconfig.Run` is one."""

    @property
    def dir(self) -> str:
        """The folder the files go under."""
        ...

    def _record_file(self, path: str, kind: str, size: int, sha256: str) -> None: ...


class Media:
    """Base of the values that ``log()`` stores as files and references."""

    def to_ref(self, run: Run, key: str) -> dict[str, Any]:
        """Write this value for ``run`` (logged under ``key``: ``"examples"``, or
        ``"val.images"`` when nested) and return the JSON-safe reference to store."""
        raise NotImplementedError

    def _write(self, sink: FileSink, key: str) -> dict[str, Any]:
        """:meth:`to_ref` for any sink (runconfig's media override it); a value that
        knows only runs refuses other sinks."""
        from runconfig._run import Run

        if isinstance(sink, Run):
            return self.to_ref(sink, key)
        from runconfig.errors import UsageTypeError

        raise UsageTypeError(f"a {type(self).__name__} can be stored in a run only")
