"""Where media values are written: content-addressed files under the run's folder.

Every file a media value writes goes to ``<run.dir>/media/<sha256[:2]>/<sha256><ext>``, so
the same content logged twice (the same image every step) is stored once. A file appears
under its final name only complete: it is written to a temporary file in the same folder,
flushed to disk, then renamed into place; a failure (a full disk) removes the temporary
file and raises :class:`~runconfig.errors.StoreError`. Each file is recorded in the store
(``rc_files``, kind ``media``) before the reference to it is returned.

:class:`FileMedia` is the base of the values held in one such file (``Image``, ``Audio``,
``Video``, ``Html``, ``Object3D``): before logging, in memory or in a file of the user's;
after logging (or when read back), in its stored file.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, ClassVar

from runconfig._fileio import copy_hashing, hash_file, temporary, write_whole
from runconfig.errors import StoreError, UsageValueError
from runconfig.media._base import FileSink, Media

if TYPE_CHECKING:
    from runconfig._run import Run

__all__ = [
    "INSTALL_MEDIA",
    "FileMedia",
    "FolderSink",
    "MediaFileNotFoundError",
    "StoredFile",
    "existing_file",
    "store_bytes",
    "store_file",
    "write_named",
]

INSTALL_MEDIA = "pip install 'runconfig[media]'"


class MediaFileNotFoundError(UsageValueError, FileNotFoundError):
    """A media value was made from a path that is not a file (or that vanished before it
    was stored). Also a ``FileNotFoundError``, as wandb's (from Pillow or ``open``) was."""


@dataclass(frozen=True)
class StoredFile:
    """A file written under a run's folder: ``path`` relative to ``run.dir`` (``/``-separated)."""

    path: str
    sha256: str
    size: int


def existing_file(path: Any, what: str) -> str:
    """``path`` as a string, or :class:`MediaFileNotFoundError` naming it when it is not a file."""
    text = str(os.fspath(path))
    if not os.path.isfile(text):
        reason = "is a folder" if os.path.isdir(text) else "does not exist"
        raise MediaFileNotFoundError(f"{what}: {text!r} {reason}; give the path of a file")
    return text


def _relative(sha256: str, ext: str) -> str:
    return f"media/{sha256[:2]}/{sha256}{ext}"


def _present(path: str, size: int) -> bool:
    try:
        return os.path.getsize(path) == size
    except OSError:
        return False


def _failure(what: str, where: str, error: OSError) -> StoreError:
    reason = error.strerror or str(error)
    return StoreError(f"cannot store {what} in {where}: {reason}")


def store_bytes(sink: FileSink, data: bytes, ext: str, what: str) -> StoredFile:
    """Write ``data`` under ``sink``'s folder (once per content) and record it (for a run:
    in the store).

    ``ext`` is the file's extension with its dot (``".png"``); ``what`` names the value in
    messages (``"the image logged as 'examples'"``)."""
    sha256 = hashlib.sha256(data).hexdigest()
    rel = _relative(sha256, ext)
    final = os.path.join(sink.dir, *rel.split("/"))
    if not _present(final, len(data)):
        try:
            write_whole(final, data=data)
        except OSError as e:
            raise _failure(what, os.path.dirname(final), e) from e
    sink._record_file(rel, "media", len(data), sha256)
    return StoredFile(rel, sha256, len(data))


def store_file(sink: FileSink, source: str, ext: str, what: str) -> StoredFile:
    """Copy the file ``source`` under ``sink``'s folder (once per content) and record it.

    The content is hashed first, so a file already stored (logged every step) is not
    copied again; otherwise it is copied (hashed again: the stored name is what was
    copied, even if the file changed meanwhile) to a temporary file, then renamed."""
    try:
        sha256, size = hash_file(source)
    except FileNotFoundError:
        raise MediaFileNotFoundError(
            f"{what}: {source!r} was removed before it was stored"
        ) from None
    run_dir = sink.dir
    final = os.path.join(run_dir, *_relative(sha256, ext).split("/"))
    if not _present(final, size):
        media = os.path.join(run_dir, "media")
        tmp = None
        try:
            os.makedirs(media, exist_ok=True)
            fd, tmp = temporary(media)
            with os.fdopen(fd, "wb") as out:
                sha256, size = _copy(source, out, what)
                out.flush()
                os.fsync(out.fileno())
            final = os.path.join(run_dir, *_relative(sha256, ext).split("/"))
            os.makedirs(os.path.dirname(final), exist_ok=True)
            os.replace(tmp, final)
            tmp = None
        except MediaFileNotFoundError:
            raise
        except OSError as e:
            raise _failure(what, media, e) from e
        finally:
            if tmp is not None:
                _discard(tmp)
    rel = _relative(sha256, ext)
    sink._record_file(rel, "media", size, sha256)
    return StoredFile(rel, sha256, size)


class FolderSink:
    """A sink that writes under ``folder`` and records nothing (files for an artifact)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.dir = os.path.abspath(folder)

    def _record_file(self, path: str, kind: str, size: int, sha256: str) -> None:
        pass


def write_named(path: str, data: bytes | None, source: str | None, what: str) -> None:
    """Write ``data`` (or a copy of the file ``source``) as ``path``, whole or not at all."""
    try:
        write_whole(path, data=data, source=source)
    except FileNotFoundError:
        raise MediaFileNotFoundError(
            f"{what}: {source!r} was removed before it was stored"
        ) from None
    except OSError as e:
        raise _failure(what, os.path.dirname(path) or ".", e) from e


def _copy(source: str, out: IO[bytes], what: str) -> tuple[str, int]:
    try:
        f = open(source, "rb")  # noqa: SIM115 (closed below; an open error is told apart)
    except FileNotFoundError:
        raise MediaFileNotFoundError(
            f"{what}: {source!r} was removed before it was stored"
        ) from None
    with f:
        return copy_hashing(f, out)


def _discard(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


class FileMedia(Media):
    """A media value held in one file: the base of ``Image``, ``Audio``, ``Video``,
    ``Html`` and ``Object3D``.

    :attr:`path` is the file that holds the value: the user's file for a value made from
    a path, the stored copy once logged or read back, None for a value held in memory
    that was not logged yet. :meth:`open` reads it either way.
    """

    _log_type: ClassVar[str] = "file"
    _noun: ClassVar[str] = "file"

    caption: str | None
    sha256: str | None
    size: int | None
    _data: bytes | None
    _source: str | None
    _ext: str

    def __init__(self, caption: str | None = None) -> None:
        self.caption = None if caption is None else str(caption)
        self.sha256 = None
        self.size = None
        self._data = None
        self._source = None
        self._ext = ""

    @property
    def path(self) -> str | None:
        """The file that holds this value, or None while it is only in memory."""
        return self._source

    def open(self) -> IO[bytes]:
        """The content, as a binary file object open for reading (close it when done)."""
        if self._source is not None:
            return open(self._source, "rb")
        if self._data is not None:
            return io.BytesIO(self._data)
        raise UsageValueError(f"this {type(self).__name__} holds no content")

    def _set_bytes(self, data: bytes, ext: str) -> None:
        self._data = data
        self._source = None
        self._ext = ext

    def _set_source(self, path: str, ext: str) -> None:
        self._data = None
        self._source = os.path.abspath(path)
        self._ext = ext

    def to_ref(self, run: Run, key: str) -> dict[str, Any]:
        """Store the content (once per content) in ``run``'s folder; its reference."""
        return self._write(run, key)

    def _write(self, sink: FileSink, key: str) -> dict[str, Any]:
        return self._finish_ref(self._store(sink, key))

    def to_file(self, folder: str, name: str) -> str:
        """Write the content as the file ``<folder>/<name><ext>`` (how an artifact holds
        a media value); its path. :func:`runconfig.media.load_file` reads it back."""
        path = os.path.join(folder, name if name.endswith(self._ext) else name + self._ext)
        write_named(path, self._data, self._source, f"the {self._noun} {name!r}")
        return path

    def _store(self, sink: FileSink, key: str) -> dict[str, Any]:
        """Write the content to ``sink``; the reference's common part."""
        what = f"the {self._noun} logged as {key!r}"
        if self._data is not None:
            stored = store_bytes(sink, self._data, self._ext, what)
        elif self._source is not None:
            stored = store_file(sink, self._source, self._ext, what)
        else:
            raise UsageValueError(f"{what} holds no content")
        # From now on the value lives in the run's folder; the memory copy can go.
        self._set_source(os.path.join(sink.dir, *stored.path.split("/")), self._ext)
        self.sha256 = stored.sha256
        self.size = stored.size
        ref: dict[str, Any] = {
            "_type": self._log_type,
            "path": stored.path,
            "sha256": stored.sha256,
            "size": stored.size,
        }
        return ref

    def _finish_ref(self, ref: dict[str, Any]) -> dict[str, Any]:
        if self.caption is not None:
            ref["caption"] = self.caption
        return ref

    def _load_ref(self, ref: dict[str, Any], run_dir: str) -> None:
        """Point this (bare) value at the stored file of ``ref``."""
        path = str(ref["path"])
        self._set_source(os.path.join(run_dir, *path.split("/")), _extension_of(path))
        self.sha256 = ref.get("sha256")
        self.size = ref.get("size")
        self.caption = ref.get("caption")

    def __repr__(self) -> str:
        where = self._source if self._source is not None else "in memory"
        return f"<{type(self).__name__} {where}>"


def _extension_of(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    if name.endswith(".table.json"):
        return ".table.json"
    if name.endswith(".pts.json"):
        return ".pts.json"
    return os.path.splitext(name)[1]
