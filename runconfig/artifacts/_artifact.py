"""``Artifact``: a named, versioned set of files that runs log and use, as in wandb.

An artifact is built locally (:meth:`Artifact.add_file`, :meth:`~Artifact.add_dir`,
:meth:`~Artifact.new_file`, :meth:`~Artifact.add_reference`), then logged by a run
(:meth:`runconfig.Run.log_artifact`): its files go to the content-addressed folder beside
the store, then its version row is committed (``v0``, ``v1``... per name and project, with
the alias ``latest``). Content that did not change is not a new version: the digest is
wandb 0.31's (each file's MD5 in base64, then the MD5 of the sorted manifest), so the same
files give the same digest here and in wandb.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from runconfig.artifacts._objects import digests, object_path
from runconfig.errors import UsageError, UsageTypeError, UsageValueError

if TYPE_CHECKING:
    from runconfig.api import RunRecord
    from runconfig.store import ArtifactData

__all__ = ["Artifact", "ArtifactManifestEntry", "manifest_digest"]

_NAME = re.compile(r"[A-Za-z0-9_\-.]+\Z")
_HEADER = b"wandb-artifact-manifest-v1\n"


def manifest_digest(entries: dict[str, str]) -> str:
    """wandb's digest of a manifest: ``{path: entry digest}`` -> hex MD5."""
    md5 = hashlib.md5(_HEADER, usedforsecurity=False)
    for path, digest in sorted(entries.items()):
        md5.update(f"{path}:{digest}\n".encode())
    return md5.hexdigest()


@dataclass
class ArtifactManifestEntry:
    """One file of an artifact: its ``path`` in the artifact, ``digest`` (base64 MD5, or a
    reference's URI), ``size``, ``sha256``; ``ref`` for a reference (recorded, not
    fetched)."""

    path: str
    digest: str
    size: int | None = None
    sha256: str | None = None
    ref: str | None = None
    local_path: str | None = field(default=None, repr=False)
    _artifact: Artifact | None = field(default=None, repr=False, compare=False)

    def download(self, root: str | os.PathLike[str] | None = None, skip_cache: Any = None) -> str:
        """Copy this file out of a logged artifact, into ``root`` (default: the artifact's
        download folder), at its path in the artifact. Returns the file's path."""
        if self._artifact is None:
            raise UsageError(f"the entry {self.path!r} belongs to no artifact")
        return self._artifact._fetch(self, root)

    def ref_url(self) -> str:
        """The reference's URI, or ``runconfig-artifact://<sha256>`` for a stored file."""
        return self.ref or f"runconfig-artifact://{self.sha256}"

    def _record(self) -> dict[str, Any]:
        if self.ref is not None:
            return {"ref": self.ref, "digest": self.digest, "size": self.size}
        return {"digest": self.digest, "sha256": self.sha256, "size": self.size}


class Artifact:
    """A named, versioned set of files (wandb's ``wandb.Artifact``).

    >>> art = runconfig.Artifact("mnist", type="dataset", metadata={"rows": 60000})
    >>> art.add_file("train.csv")
    >>> run.log_artifact(art, aliases=["best"])      # mnist:v0, aliases latest and best
    >>> path = run.use_artifact("mnist:latest").download()
    """

    def __init__(
        self,
        name: str,
        type: str,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        incremental: bool = False,
        use_as: str | None = None,
        **ignored: Any,
    ) -> None:
        if not isinstance(name, str) or not _NAME.match(name) or len(name) > 128:
            raise UsageValueError(
                f"artifact name {name!r}: use letters, digits, '-', '_' and '.' "
                "(at most 128 characters); runconfig.util.make_artifact_name_safe() makes one"
            )
        if not isinstance(type, str) or not type or "/" in type or ":" in type:
            raise UsageValueError(f"artifact type {type!r}: a non-empty name without '/' or ':'")
        if metadata is not None and not isinstance(metadata, dict):
            raise UsageTypeError(
                f"artifact metadata must be a dict, got {metadata.__class__.__name__}"
            )
        from runconfig.values import sanitize

        self._name = name
        self.type = type
        self.description = description
        self.metadata: dict[str, Any] = sanitize(metadata or {}, "metadata")
        self._entries: dict[str, ArtifactManifestEntry] = {}
        self._staging: str | None = None
        self._unstage: weakref.finalize[Any, Any] | None = None
        self._stored: ArtifactData | None = None
        self._location: str | None = None  # the store it was logged to or read from
        self._objects: str | None = None
        self._extra_aliases: list[str] = []

    # -- identity ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """``name:v3`` once logged, else the name given."""
        return f"{self._name}:v{self._stored.version}" if self._stored else self._name

    @property
    def source_name(self) -> str:
        return self.name

    @property
    def version(self) -> str | None:
        """``v3`` once logged, else None."""
        return f"v{self._stored.version}" if self._stored else None

    @property
    def aliases(self) -> list[str]:
        """The aliases of the version (``latest``...), and those to give it when logged."""
        stored = list(self._stored.aliases) if self._stored else []
        return stored + [a for a in self._extra_aliases if a not in stored]

    @aliases.setter
    def aliases(self, value: list[str]) -> None:
        self._extra_aliases = [str(a) for a in value]

    @property
    def id(self) -> str | None:
        return str(self._stored.aid) if self._stored else None

    @property
    def project(self) -> str | None:
        return self._stored.project if self._stored else None

    @property
    def entity(self) -> str:
        return ""

    @property
    def qualified_name(self) -> str:
        """``project/name:vN`` once logged."""
        return f"{self.project}/{self.name}" if self._stored else self._name

    @property
    def state(self) -> str:
        """``PENDING`` until logged, then ``COMMITTED``."""
        return "COMMITTED" if self._stored else "PENDING"

    @property
    def created_at(self) -> str | None:
        return self._stored.created_at if self._stored else None

    @property
    def digest(self) -> str:
        """wandb's digest of the content (see :func:`manifest_digest`)."""
        return manifest_digest({p: e.digest for p, e in self._entries.items()})

    @property
    def size(self) -> int:
        return sum(e.size or 0 for e in self._entries.values())

    @property
    def file_count(self) -> int:
        return len(self._entries)

    @property
    def manifest(self) -> dict[str, dict[str, Any]]:
        """``{path: {"digest", "sha256", "size"}}`` (``{"ref", "digest"}`` for references)."""
        return {p: e._record() for p, e in sorted(self._entries.items())}

    def __repr__(self) -> str:
        return f"<Artifact {self.name} type={self.type!r} files={self.file_count}>"

    # -- building ----------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._stored is not None:
            raise UsageError(
                f"artifact {self.name} is logged: its files cannot change. Make a new "
                f"Artifact({self._name!r}, type={self.type!r}) for the next version"
            )

    def _stage(self) -> str:
        """A temporary folder for copies of added files, removed once the artifact is
        logged, or when the object goes (an artifact never logged leaves nothing)."""
        if self._staging is None:
            self._staging = tempfile.mkdtemp(prefix="runconfig-artifact-")
            self._unstage = weakref.finalize(self, shutil.rmtree, self._staging, True)
        return self._staging

    def _add(self, path: str, source: str, overwrite: bool, copy: bool) -> ArtifactManifestEntry:
        path = _clean_path(path)
        if path in self._entries and not overwrite:
            raise UsageValueError(
                f"artifact {self._name!r} already has a file {path!r}; pass overwrite=True "
                "to replace it"
            )
        if copy:  # as wandb's policy="mutable": later changes to the source change nothing
            staged = os.path.join(self._stage(), "files", path)
            os.makedirs(os.path.dirname(staged), exist_ok=True)
            shutil.copy2(source, staged)
            source = staged
        d = digests(source)
        entry = ArtifactManifestEntry(path, d.md5_b64, d.size, d.sha256, None, source, self)
        self._entries[path] = entry
        return entry

    def add_file(
        self,
        local_path: str | os.PathLike[str],
        name: str | None = None,
        is_tmp: bool | None = False,
        skip_cache: bool | None = None,
        policy: str = "mutable",
        overwrite: bool = False,
    ) -> ArtifactManifestEntry:
        """Add a file, as ``name`` (default: its file name). With ``policy="mutable"`` (the
        default) the file is copied now; ``"immutable"`` reads it in place when logged."""
        self._check_open()
        source = os.fspath(local_path)
        if not os.path.isfile(source):
            raise UsageValueError(f"artifact {self._name!r}: {source!r} is not a file")
        if policy not in ("mutable", "immutable"):
            raise UsageValueError(f"add_file(policy={policy!r}): 'mutable' or 'immutable'")
        return self._add(name or os.path.basename(source), source, overwrite, policy == "mutable")

    def add_dir(
        self,
        local_path: str | os.PathLike[str],
        name: str | None = None,
        skip_cache: bool | None = None,
        policy: str = "mutable",
        merge: bool = False,
    ) -> None:
        """Add every file below a folder, at its path relative to it (under ``name``)."""
        self._check_open()
        root = os.fspath(local_path)
        if not os.path.isdir(root):
            raise UsageValueError(f"artifact {self._name!r}: {root!r} is not a folder")
        for here, dirs, files in os.walk(root):
            dirs.sort()
            for f in sorted(files):
                source = os.path.join(here, f)
                if not os.path.isfile(source):
                    continue  # a broken link, a socket...
                rel = os.path.relpath(source, root)
                path = f"{name.rstrip('/')}/{rel}" if name else rel
                self._add(path, source, merge, policy == "mutable")

    def add_reference(
        self,
        uri: str | os.PathLike[str],
        name: str | None = None,
        checksum: bool = True,
        max_objects: int | None = None,
    ) -> list[ArtifactManifestEntry]:
        """Record a reference to data elsewhere (``s3://``, ``https://``, ``file://``...):
        recorded, not fetched. A ``file://`` reference to a local file is digested as the
        file (``checksum=True``), others by their URI."""
        self._check_open()
        text = os.fspath(uri)
        path = _clean_path(name or text.rstrip("/").rsplit("/", 1)[-1] or text)
        local = text[7:] if text.startswith("file://") else None
        if local is not None and checksum and os.path.isfile(local):
            d = digests(local)
            entry = ArtifactManifestEntry(path, d.md5_b64, d.size, None, text, None, self)
        else:
            entry = ArtifactManifestEntry(path, text, None, None, text, None, self)
        self._entries[path] = entry
        return [entry]

    @contextmanager
    def new_file(
        self, name: str, mode: str = "x", encoding: str | None = None
    ) -> Iterator[IO[Any]]:
        """Write a new file of the artifact: ``with art.new_file("notes.txt") as f: ...``."""
        self._check_open()
        path = _clean_path(name)
        if path in self._entries:
            raise UsageValueError(f"artifact {self._name!r} already has a file {path!r}")
        staged = os.path.join(self._stage(), "new", path)
        os.makedirs(os.path.dirname(staged), exist_ok=True)
        with open(staged, mode.replace("x", "w"), encoding=encoding) as f:
            yield f
        self._add(path, staged, False, False)

    def add(self, obj: Any, name: str, overwrite: bool = False) -> ArtifactManifestEntry:
        """Add a media value (a ``Table``, an ``Image``...) as the file it is stored as."""
        self._check_open()
        write = getattr(obj, "to_file", None)
        if write is None:
            raise UsageTypeError(
                f"Artifact.add() takes a runconfig media value (Table, Image...), got "
                f"{type(obj).__name__}; use add_file() for a file"
            )
        folder = os.path.join(self._stage(), "media")
        written = write(folder, name)
        entry = self._add(os.path.relpath(written, folder), written, overwrite, False)
        for here, _, files in os.walk(folder):  # what the value's file refers to (a
            for f in files:  # table's images), beside it
                path = os.path.join(here, f)
                rel = _clean_path(os.path.relpath(path, folder))
                if rel not in self._entries:
                    self._add(rel, path, False, False)
        return entry

    def remove(self, item: str | ArtifactManifestEntry) -> None:
        """Take a file out of an artifact not yet logged."""
        self._check_open()
        path = item.path if isinstance(item, ArtifactManifestEntry) else _clean_path(item)
        if self._entries.pop(path, None) is None:
            raise UsageValueError(f"artifact {self._name!r} has no file {path!r}")

    # -- reading -----------------------------------------------------------------------------
    def files(self) -> list[ArtifactManifestEntry]:
        """The files, by path."""
        return [self._entries[p] for p in sorted(self._entries)]

    def get_entry(self, name: str) -> ArtifactManifestEntry:
        """The file ``name`` of the artifact."""
        entry = self._entries.get(_clean_path(name))
        if entry is None:
            from runconfig.errors import did_you_mean

            raise KeyError(
                f"artifact {self.name} has no file {name!r}{did_you_mean(name, self._entries)}"
            )
        return entry

    get_path = get_entry

    def get(self, name: str) -> Any:
        """The media value added with :meth:`add` under ``name``, read back (a Table...)."""
        from runconfig.media import load_file

        for path in (name, *(p for p in self._entries if p.startswith(f"{name}."))):
            if path in self._entries:
                return load_file(self._fetch(self._entries[path], None))
        raise KeyError(f"artifact {self.name} has no value {name!r}")

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __setitem__(self, name: str, obj: Any) -> None:
        self.add(obj, name)

    def download(
        self,
        root: str | os.PathLike[str] | None = None,
        allow_missing_references: bool = False,
        skip_cache: bool | None = None,
        path_prefix: str | None = None,
        multipart: bool | None = None,
    ) -> str:
        """Copy the files of the logged artifact into ``root`` (default
        ``./artifacts/<name>:<version>``) and return that folder. References are recorded,
        not fetched: a ``file://`` one is copied when the file exists."""
        folder = self._download_root(root)
        for entry in self.files():
            if path_prefix and not entry.path.startswith(path_prefix):
                continue
            if entry.ref is not None and not entry.ref.startswith("file://"):
                continue
            self._fetch(entry, folder)
        return folder

    def _download_root(self, root: str | os.PathLike[str] | None) -> str:
        if root is not None:
            return os.fspath(root)
        return os.path.join(os.getcwd(), "artifacts", self.name.replace("/", "_"))

    def _fetch(self, entry: ArtifactManifestEntry, root: str | os.PathLike[str] | None) -> str:
        source = entry.local_path
        if entry.ref is not None:
            source = entry.ref[7:] if entry.ref.startswith("file://") else None
            if source is None or not os.path.isfile(source):
                raise UsageError(f"artifact {self.name}: the reference {entry.ref} is not here")
        elif self._objects is not None and entry.sha256 is not None:
            source = object_path(self._objects, entry.sha256)
        if source is None or not os.path.isfile(source):
            raise UsageError(
                f"artifact {self.name}: the content of {entry.path!r} is missing"
                + (f" from {self._objects}" if self._objects else "")
            )
        if root is None and self._stored is None:
            return source
        target = os.path.join(self._download_root(root), entry.path)
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(source, target)
        except OSError as e:
            raise UsageError(
                f"artifact {self.name}: cannot write {target}: {e.strerror or e}"
            ) from None
        return target

    # -- lineage -----------------------------------------------------------------------------
    def logged_by(self) -> RunRecord | None:
        """The run that logged this version (None if unknown or deleted)."""
        if self._stored is None or self._stored.logged_by is None:
            return None
        from runconfig.api import Api

        with Api(store=self._location) as api:
            return api.run(self._stored.logged_by)

    def used_by(self) -> list[RunRecord]:
        """The runs that used this version, in the order they did."""
        if self._stored is None or self._stored.aid is None:
            return []
        from runconfig.api import Api
        from runconfig.store import open_store

        store = open_store(self._location, readonly=True)
        try:
            ids = store.artifacts.users(self._stored.aid)
        finally:
            store.close()
        with Api(store=self._location) as api:
            return [api.run(i) for i in ids]

    def wait(self, timeout: int | None = None) -> Artifact:
        """wandb waits for the upload here; a logged artifact is already stored."""
        return self

    def save(self) -> None:
        """Log the artifact with the active run (wandb's ``artifact.save()``)."""
        from runconfig._run import _state

        if self._stored is not None:
            if self._extra_aliases:
                self.link(self._name, self._extra_aliases)
            return
        if _state.run is None:
            raise UsageError("Artifact.save() needs a run: call runconfig.init() first")
        _state.run.log_artifact(self)

    def link(self, target_path: str, aliases: list[str] | None = None) -> Artifact:
        """Give this version more aliases (wandb links it into a registry collection;
        here the collection's name becomes an alias when no aliases are given)."""
        if self._stored is None or self._stored.aid is None:
            raise UsageError(f"link(): artifact {self.name} is not logged yet")
        from runconfig.store import open_store

        names = list(aliases or [target_path.rstrip("/").rsplit("/", 1)[-1]])
        store = open_store(self._location, create=False)
        try:
            store.artifacts.add_aliases(self._stored.aid, names)
            self._stored.aliases = sorted({*self._stored.aliases, *names})
        finally:
            store.close()
        return self

    # -- the store's side ---------------------------------------------------------------------
    @classmethod
    def _from_stored(cls, stored: ArtifactData, location: str, objects: str) -> Artifact:
        art = cls(stored.name, stored.type, stored.description, stored.metadata)
        for path, rec in stored.manifest.items():
            art._entries[path] = ArtifactManifestEntry(
                path, rec["digest"], rec.get("size"), rec.get("sha256"), rec.get("ref"), None, art
            )
        art._bind(stored, location, objects)
        return art

    def _bind(self, stored: ArtifactData, location: str, objects: str) -> None:
        self._stored = stored
        self._location = location
        self._objects = objects
        self._extra_aliases = []
        for entry in self._entries.values():
            entry.local_path = None
        if self._staging is not None:
            assert self._unstage is not None
            self._unstage()
            self._staging = None


def _clean_path(path: str) -> str:
    """A file's path in an artifact: relative, with '/' separators, never leaving it."""
    text = os.fspath(path).replace(os.sep, "/").lstrip("/")
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise UsageValueError(f"{path!r} is not a path inside an artifact")
    return "/".join(parts)
