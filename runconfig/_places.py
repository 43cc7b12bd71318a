"""Where a run's files and the artifacts' contents are kept, beside its store.

=====================================  ==============================  ====================
store                                  a run's folder (``run.dir``)    artifact contents
=====================================  ==============================  ====================
SQLite ``<folder>/runs.db``            ``<folder>/files/<run id>``     ``<folder>/objects``
PostgreSQL                             ``~/.runconfig/files/<id>``     ``~/.runconfig/objects``
``RUNCONFIG_FILES=<root>`` (any)       ``<root>/<run id>``             ``<root>/.objects``
=====================================  ==============================  ====================

``init(dir=D)`` (or ``WANDB_DIR``) puts the run's folder at ``D/.runconfig/files/<run id>``
and moves nothing else. A PostgreSQL store without ``RUNCONFIG_FILES`` keeps them in the
user's home folder, the same from any working directory; several machines sharing the
store need ``RUNCONFIG_FILES`` on a folder they all mount (NFS, SMB...). The layout (a
folder per run, contents named by their sha256) is that of an object store's keys, should
one be added.
"""

from __future__ import annotations

import os

__all__ = ["files_root", "objects_root"]


def _configured() -> str | None:
    root = os.environ.get("RUNCONFIG_FILES")
    return os.path.abspath(os.path.expanduser(root)) if root else None


def _store_folder(location: str | None) -> str | None:
    if location is None or "://" in location:
        return None
    return os.path.dirname(os.path.abspath(location))


def files_root(location: str | None, dir: str | os.PathLike[str] | None = None) -> str:
    """The folder that holds the runs' folders, for a store at ``location``."""
    configured = _configured()
    if configured is not None:
        return configured
    if dir is not None:
        base = os.path.abspath(os.path.expanduser(os.fspath(dir)))
        return os.path.join(base, ".runconfig", "files")
    folder = _store_folder(location)
    if folder is not None:
        return os.path.join(folder, "files")
    return os.path.join(_home(), "files")


def objects_root(location: str | None) -> str:
    """The content-addressed folder of artifact files, for a store at ``location``."""
    configured = _configured()
    if configured is not None:
        return os.path.join(configured, ".objects")
    folder = _store_folder(location)
    if folder is not None:
        return os.path.join(folder, "objects")
    return os.path.join(_home(), "objects")


def _home() -> str:
    return os.path.join(os.path.expanduser("~"), ".runconfig")
