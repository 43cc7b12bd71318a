"""Files a run keeps: ``save()`` copies them into the run's folder, ``restore()`` brings
one back; every file of the folder is recorded in the store (path, size, sha256, kind).

``save(glob, base_path=None, policy="live")`` matches files as wandb does (relative to the
working directory, or to ``base_path``; an absolute glob without ``base_path`` keeps one
folder level) and copies each into ``run.dir`` at its path below the base (a file that a
symlink, of the file or of a folder on its way, leads out of ``base_path`` is skipped):

- ``"now"``: once, now;
- ``"live"``: now, and again each time it changes, until the run finishes;
- ``"end"``: when the run finishes.

A copy is written to a temporary name in its folder and renamed into place, so the run's
folder never holds half a file.
At ``finish()``, files written straight into ``run.dir`` (``torch.save(m,
os.path.join(run.dir, "model.pt"))``) are recorded too.
"""

from __future__ import annotations

import glob as globbing
import os
import threading
from typing import IO, TYPE_CHECKING, Any

from runconfig._fileio import hash_file, write_whole
from runconfig._term import termwarn
from runconfig.errors import UsageError, UsageValueError

if TYPE_CHECKING:
    from runconfig._run import Run

__all__ = ["SavedFiles", "restore"]

POLICIES = ("live", "now", "end")
LIVE_SECONDS = 2.0  # how often live files are checked for changes


class SavedFiles:
    """The files one run saves, and the thread that copies live ones again."""

    def __init__(self, run: Run) -> None:
        self._run = run
        self._lock = threading.Lock()
        self._live: dict[str, tuple[str, tuple[float, int]]] = {}  # target -> source, stamp
        self._at_end: dict[str, str] = {}  # target -> source
        self._recorded: dict[str, str] = {}  # relative path -> sha256 recorded
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def save(
        self,
        glob_str: str | os.PathLike[str],
        base_path: str | os.PathLike[str] | None = None,
        policy: str = "live",
        glob: bool = True,
    ) -> list[str]:
        """Copy the matching files into the run's folder (see the module); returns their
        paths there."""
        text = os.fsdecode(glob_str) if isinstance(glob_str, bytes) else os.fspath(glob_str)
        if text.startswith(("gs://", "s3://")):
            raise UsageValueError(f"save({text!r}): a cloud URL, not a local file")
        if policy not in POLICIES:
            raise UsageValueError(f"save(policy={policy!r}): the policies are live, now and end")
        pattern = os.path.abspath(text)
        if base_path is not None:
            base = os.path.abspath(os.fspath(base_path))
        elif not os.path.isabs(text):
            base = os.path.abspath(".")
        else:
            base = os.path.dirname(os.path.dirname(pattern))  # one folder level kept
        if os.path.commonpath([base, pattern]) != base:
            raise UsageValueError(f"save({text!r}): base_path {base!r} is not a folder above it")
        sources = sorted(globbing.glob(pattern)) if glob else [pattern] * os.path.lexists(pattern)
        folder = self._run.dir
        saved = []
        real_base = os.path.realpath(base)
        for source in sources:
            real = os.path.realpath(source)
            if not os.path.isfile(real):
                continue
            if os.path.commonpath([real_base, real]) != real_base:  # a link on the way out
                termwarn(f"save(): {source!r} leads outside {base!r}; not saved", repeat=False)
                continue
            rel = os.path.relpath(source, base)
            target = os.path.join(folder, rel)
            saved.append(target)
            if policy == "end":
                with self._lock:
                    self._at_end[target] = source
                continue
            self._copy(source, target)
            if policy == "live":
                with self._lock:
                    self._live[target] = (source, _stamp(source))
                self._start()
        if not sources and glob and globbing.escape(text) == text:
            raise UsageValueError(f"save({text!r}): no such file")
        return saved

    def _copy(self, source: str, target: str) -> None:
        try:
            write_whole(target, source=source, keep_stat=True)
        except FileNotFoundError:
            raise UsageValueError(f"save(): {source!r} was removed while being saved") from None
        except OSError as e:
            raise UsageError(f"save(): cannot copy {source!r} into the run's folder: {e}") from e
        self._record(target, "file")

    def _record(self, target: str, kind: str) -> None:
        rel = os.path.relpath(target, self._run.dir).replace(os.sep, "/")
        sha, size = hash_file(target)
        if self._recorded.get(rel) == sha:
            return
        self._run._record_file(rel, kind, size, sha)
        self._recorded[rel] = sha

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="runconfig-save", daemon=True)
            self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(LIVE_SECONDS):
            self._refresh()

    def _refresh(self) -> None:
        with self._lock:
            live = list(self._live.items())
        for target, (source, stamp) in live:
            now = _stamp(source)
            if now == stamp or now == (0.0, -1):
                continue  # unchanged, or gone: the last copy stays
            try:
                self._copy(source, target)
            except Exception as e:  # a failed copy must not stop the training
                termwarn(f"save(): {e}", repeat=False)
                continue
            with self._lock:
                self._live[target] = (source, now)

    def finish(self, record: bool = True) -> None:
        """Stop copying live files; copy the ``end`` files and changed ``live`` ones; with
        ``record``, record every file of the folder."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        self._refresh()
        with self._lock:
            at_end = list(self._at_end.items())
        for target, source in at_end:
            if os.path.isfile(source):
                self._copy(source, target)
            else:
                termwarn(f"save(policy='end'): {source!r} is gone; not saved")
        folder = self._run._folder()
        if not record or not os.path.isdir(folder):
            return
        for here, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if d != "media"]  # media record themselves
            for name in files:
                path = os.path.join(here, name)
                if not (name.startswith(".") and name.endswith(".tmp")) and os.path.isfile(path):
                    kind = "code" if os.path.relpath(path, folder).startswith("code") else "file"
                    self._record(path, kind)


def _stamp(path: str) -> tuple[float, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (0.0, -1)
    return (st.st_mtime, st.st_size)


def restore(
    name: str,
    run_path: str | None = None,
    replace: bool = False,
    root: str | os.PathLike[str] | None = None,
    *,
    current: Run | None = None,
) -> IO[Any]:
    """A file of a run's folder, copied into ``root`` and opened (wandb's ``restore``).

    ``run_path``: the run (its id, ``entity/project/id`` or its url); default: the active
    run. ``root``: default the active run's folder, else the working directory. A file
    already there is opened as it is unless ``replace``."""
    from runconfig._places import files_root
    from runconfig.api import Api

    if run_path is None:
        if current is None:
            raise UsageError("restore() before init() needs run_path= (the run's id or path)")
        run_path = current.id
    location = current._location if current is not None else None
    if "#" in run_path:
        location, _, run_path = run_path.rpartition("#")
    with Api(store=location) as api:
        record = api.run(run_path)
        folder = record.meta.get("dir") or os.path.join(files_root(api.store), record.id)
        known = {f.path for f in api.files(record)}
    source = os.path.join(folder, name)
    if name not in known and not os.path.isfile(source):
        raise UsageValueError(
            f"restore(): run {record.id} has no file {name!r} (it has: "
            f"{', '.join(sorted(known)) or 'none'})"
        )
    if root is None:
        root = current.dir if current is not None else os.getcwd()
    target = os.path.join(os.fspath(root), name)
    if replace or not os.path.exists(target):
        if not os.path.isfile(source):
            raise UsageError(f"restore(): the file {name!r} of run {record.id} is not at {folder}")
        if os.path.abspath(source) != os.path.abspath(target):
            write_whole(target, source=source, keep_stat=True)
    return open(target)
