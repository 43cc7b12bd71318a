"""Writing files whole or not at all, and hashing them: what saved files, media and
artifacts share.

:func:`write_whole` writes to a hidden temporary file in the target's folder, flushes it
to disk, then renames it into place: a reader (or a process killed half-way) never sees
half a file, and a failure leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
from typing import IO

__all__ = ["CHUNK", "copy_hashing", "hash_file", "temporary", "write_whole"]

CHUNK = 1 << 20


def temporary(folder: str) -> tuple[int, str]:
    """A new hidden file in ``folder``, open for writing. Unlike ``mkstemp``'s (0600), its
    mode follows the umask, as any file written with ``open``."""
    while True:
        path = os.path.join(folder, f".{secrets.token_hex(8)}.tmp")
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), path
        except FileExistsError:
            continue


def hash_file(path: str) -> tuple[str, int]:
    """``(sha256 in hex, size)`` of a file."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def copy_hashing(source: IO[bytes], out: IO[bytes]) -> tuple[str, int]:
    """Copy ``source`` into ``out``; ``(sha256, size)`` of what was copied."""
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        out.write(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def write_whole(
    path: str, data: bytes | None = None, source: str | None = None, keep_stat: bool = False
) -> tuple[str, int]:
    """Write ``data``, or a copy of the file ``source``, as ``path``, whole or not at all;
    ``(sha256, size)`` of what was written. ``keep_stat`` copies the source's times and
    mode. Raises ``OSError`` (``FileNotFoundError`` for a missing source)."""
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    src = open(source, "rb") if source is not None else None  # noqa: SIM115 (closed below)
    tmp = None
    try:
        fd, tmp = temporary(folder)
        with os.fdopen(fd, "wb") as out:
            if src is not None:
                written = copy_hashing(src, out)
            else:
                body = data or b""
                out.write(body)
                written = hashlib.sha256(body).hexdigest(), len(body)
            out.flush()
            os.fsync(out.fileno())
        if keep_stat and source is not None:
            shutil.copystat(source, tmp)
        os.replace(tmp, path)
        tmp = None
        return written
    finally:
        if src is not None:
            src.close()
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
