"""What a run keeps besides its config and history: files, code, hooks on a model,
artifacts. These are :class:`~runconfig.Run`'s methods, in a class of their own that
``Run`` inherits, so that the run's core (its config, history and lifecycle) reads alone.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING, Any, cast

from runconfig._term import termwarn
from runconfig.errors import UsageError

if TYPE_CHECKING:
    from runconfig._run import Run
    from runconfig._saved import SavedFiles
    from runconfig._watch import Watcher
    from runconfig.artifacts import Artifact
    from runconfig.store import RunData, RunStore

__all__ = ["RunFiles"]


class RunFiles:
    """The files, code, model hooks and artifacts of a :class:`~runconfig.Run`."""

    _data: RunData
    _store: RunStore | None
    _location: str | None
    _lock: threading.Lock
    _saved: SavedFiles | None
    _watcher: Watcher | None

    if TYPE_CHECKING:

        @property
        def id(self) -> str: ...

        @property
        def project(self) -> str: ...

        @property
        def dir(self) -> str: ...

        def _check_live(self, action: str = "") -> None: ...

        def _set_meta(self, key: str, value: Any) -> None: ...

    def _run(self) -> Run:
        return cast("Run", self)  # the only class that inherits this one

    def save(
        self,
        glob_str: str | os.PathLike[str],
        base_path: str | os.PathLike[str] | None = None,
        policy: str = "live",
        glob: bool = True,
    ) -> list[str]:
        """Copy files into the run's folder and record them (see :mod:`runconfig._saved`):
        ``policy`` ``"now"``, ``"live"`` (again when they change) or ``"end"``."""
        self._check_live("save()")
        if self._saved is None:
            from runconfig._saved import SavedFiles

            self._saved = SavedFiles(self._run())
        return self._saved.save(glob_str, base_path, policy, glob)

    def restore(
        self,
        name: str,
        run_path: str | None = None,
        replace: bool = False,
        root: str | os.PathLike[str] | None = None,
    ) -> IO[Any]:
        """A file of this run's folder (or, with ``run_path``, of another run), copied into
        ``root`` (default: this run's folder) and opened."""
        from runconfig._saved import restore

        return restore(name, run_path, replace, root, current=self._run())

    def log_code(
        self,
        root: str | os.PathLike[str] | None = ".",
        name: str | None = None,
        include_fn: Callable[..., bool] | None = None,
        exclude_fn: Callable[..., bool] | None = None,
    ) -> None:
        """Copy the source files under ``root`` (``*.py`` unless ``include_fn`` says
        otherwise) into ``<run.dir>/code`` and record their paths in ``meta.code``.

        wandb makes an artifact of them and returns it; runconfig keeps the copies in the
        run's folder and returns None. Hidden folders, ``__pycache__``, virtual
        environments and the store's folder are skipped.
        """
        self._check_live("log_code()")
        from runconfig._code import copy_code

        copied = copy_code(
            os.fspath(root or "."), os.path.join(self.dir, "code"), include_fn, exclude_fn
        )
        if not copied:
            termwarn(
                f"log_code(): no source files under {os.fspath(root or '.')!r}; "
                "no code is recorded for the run"
            )
            return
        self._set_meta("code", {"name": name or f"source-{self.project}", "files": copied})

    def watch(
        self,
        models: Any,
        criterion: Any = None,
        log: str | None = "gradients",
        log_freq: int = 1000,
        idx: int | None = None,
        log_graph: bool = False,
    ) -> list[Any]:
        """Log histograms of a PyTorch model's gradients and/or parameters every
        ``log_freq`` batches (see :mod:`runconfig._watch`); ``log_graph`` is accepted."""
        self._check_live("watch()")
        if self._watcher is None:
            from runconfig._watch import Watcher

            self._watcher = Watcher(self._run())
        return self._watcher.watch(models, criterion, log, log_freq, idx, log_graph)

    def unwatch(self, models: Any = None) -> None:
        """Remove the hooks :meth:`watch` put on ``models`` (default: all)."""
        if self._watcher is not None:
            self._watcher.unwatch(models)

    # -- artifacts ----------------------------------------------------------------------------
    def _artifact_store(self, call: str) -> RunStore:
        self._check_live(call)
        if self._store is None or self._location is None:
            raise UsageError(f"run.{call} needs a store: this run is disabled (mode='disabled')")
        return self._store

    def log_artifact(
        self,
        artifact_or_path: Artifact | str | os.PathLike[str],
        name: str | None = None,
        type: str | None = None,
        aliases: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
    ) -> Artifact:
        """Store an artifact (or a file or folder, as one) as the next version of its name,
        with the aliases ``latest`` and ``aliases``, logged by this run. Content that did not
        change is the stored version again. The files are kept once each, by content."""
        from runconfig import artifacts

        self._check_live("log_artifact()")
        art = artifact_or_path
        if not isinstance(art, artifacts.Artifact):
            art = artifacts.from_path(art, name, type, self.id)
        if self._store is None or self._location is None:
            return art  # disabled: nothing is stored, as in wandb
        store = self._store
        with self._lock:
            return artifacts.log(
                store, self._location, self.project, self._data.rid, art, aliases or ()
            )

    upsert_artifact = log_artifact
    finish_artifact = log_artifact

    def use_artifact(
        self,
        artifact_or_name: Artifact | str,
        type: str | None = None,
        aliases: Sequence[str] | None = None,
        use_as: str | None = None,
    ) -> Artifact:
        """A stored version (``"name:latest"``, ``"name:v3"``, ``"project/name:alias"``, or
        an Artifact), recorded as used by this run; ``.download()`` gives its files."""
        from runconfig import artifacts

        store = self._artifact_store("use_artifact()")
        assert self._location is not None
        return artifacts.use(
            store, self._location, self.project, self._data.rid, artifact_or_name, type, aliases
        )

    def link_artifact(
        self, artifact: Artifact, target_path: str, aliases: Sequence[str] | None = None
    ) -> Artifact:
        """Give a logged artifact more aliases (see :meth:`Artifact.link`)."""
        self._check_live("link_artifact()")
        return artifact.link(target_path, list(aliases) if aliases else None)

    def log_model(
        self,
        path: str | os.PathLike[str],
        name: str | None = None,
        aliases: Sequence[str] | None = None,
    ) -> Artifact:
        """Log a model file or folder as an artifact of type ``model``."""
        from runconfig import artifacts

        art = artifacts.from_path(path, name, "model", self.id)
        return self.log_artifact(art, aliases=aliases)

    def use_model(self, name: str) -> str:
        """Use a model artifact and return the path of its download."""
        art = self.use_artifact(name)
        folder = art.download()
        files = art.files()
        return os.path.join(folder, files[0].path) if len(files) == 1 else folder

    def link_model(
        self,
        path: str | os.PathLike[str],
        registered_model_name: str,
        name: str | None = None,
        aliases: Sequence[str] | None = None,
    ) -> Artifact:
        """Log a model and give it the registered model's name as an alias."""
        art = self.log_model(path, name)
        return self.link_artifact(art, registered_model_name, aliases)

    def logged_artifacts(self) -> list[Artifact]:
        """The versions this run logged."""
        return self._artifacts_of(used=False)

    def used_artifacts(self) -> list[Artifact]:
        """The versions this run used."""
        return self._artifacts_of(used=True)

    def _artifacts_of(self, used: bool) -> list[Artifact]:
        if self._store is None or self._location is None:
            return []
        from runconfig.api import Api

        with Api(store=self._location) as api:  # works once the run's own store is closed
            record = api.run(self.id)
            return record.used_artifacts() if used else record.logged_artifacts()
