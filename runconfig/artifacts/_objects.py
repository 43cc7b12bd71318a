"""The content-addressed folder of artifact files: each content stored once, by sha256.

``<root>/<sha256[:2]>/<sha256>``, each written whole or not at all
(:func:`runconfig._fileio.write_whole`).
"""

from __future__ import annotations

import base64
import hashlib
import os
from typing import NamedTuple

from runconfig._fileio import write_whole
from runconfig.errors import StoreError

__all__ = ["Digests", "digests", "object_path", "put"]

_CHUNK = 1 << 20


class Digests(NamedTuple):
    """A file's size, its MD5 in base64 (wandb's entry digest) and its sha256 (hex)."""

    size: int
    md5_b64: str
    sha256: str


def digests(path: str) -> Digests:
    """Read ``path`` once and return its :class:`Digests`."""
    md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            md5.update(chunk)
            sha.update(chunk)
            size += len(chunk)
    return Digests(size, base64.b64encode(md5.digest()).decode("ascii"), sha.hexdigest())


def object_path(root: str, sha256: str) -> str:
    """Where the content with this sha256 is kept."""
    return os.path.join(root, sha256[:2], sha256)


def put(root: str, source: str, sha256: str, size: int) -> str:
    """Keep the content of ``source`` (whose digest is ``sha256``) under ``root``; a content
    already kept is not copied again. Returns its path."""
    target = object_path(root, sha256)
    try:
        if os.path.getsize(target) == size:
            return target
    except OSError:
        pass
    try:
        write_whole(target, source=source)
    except OSError as e:
        raise StoreError(f"cannot keep {source!r} in the artifact folder {root}: {e}") from e
    return target
