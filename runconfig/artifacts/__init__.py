"""Artifacts: named, versioned sets of files, stored once by content, with their lineage.

:class:`Artifact` is wandb's class; :func:`log` and :func:`use` are what
:meth:`Run.log_artifact <runconfig.Run.log_artifact>` and
:meth:`Run.use_artifact <runconfig.Run.use_artifact>` do with a store; :func:`find` reads
a version back (``Api.artifact``). Where the files go: see :mod:`runconfig._places`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from runconfig._places import objects_root
from runconfig.artifacts._artifact import Artifact, ArtifactManifestEntry, manifest_digest
from runconfig.artifacts._objects import put
from runconfig.errors import UsageError, UsageValueError
from runconfig.store import ArtifactData, RunStore

__all__ = [
    "Artifact",
    "ArtifactManifestEntry",
    "find",
    "from_path",
    "log",
    "manifest_digest",
    "parse_ref",
    "use",
]


def log(
    store: RunStore,
    location: str,
    project: str,
    rid: int | None,
    artifact: Artifact,
    aliases: Sequence[str] = (),
) -> Artifact:
    """Store ``artifact``'s files, then its version (the same content: the same version),
    with the aliases ``latest`` and ``aliases``; bind the artifact to it."""
    if artifact._stored is not None:
        raise UsageError(f"artifact {artifact.name} is already logged; use it, or log a new one")
    objects = objects_root(store.location)
    for entry in artifact._entries.values():
        if entry.ref is None:
            assert entry.local_path is not None and entry.sha256 is not None
            put(objects, entry.local_path, entry.sha256, entry.size or 0)
    data = ArtifactData(
        project=project,
        name=artifact._name,
        type=artifact.type,
        digest=artifact.digest,
        manifest=artifact.manifest,
        description=artifact.description,
        metadata=artifact.metadata,
        size=artifact.size,
        file_count=artifact.file_count,
        rid=rid,
    )
    names = ["latest", *(str(a) for a in aliases), *artifact._extra_aliases]
    for alias in names:
        _check_alias(alias)
    stored, _ = store.artifacts.save(data, names)
    artifact._bind(stored, location, objects)
    return artifact


def from_path(
    path: str | os.PathLike[str], name: str | None, type: str | None, run_id: str
) -> Artifact:
    """The artifact ``log_artifact("model.pt")`` makes of a file or a folder: named
    ``run-<run id>-model.pt`` unless ``name`` is given, as wandb names it."""
    text = os.fspath(path)
    if not os.path.exists(text):
        raise UsageValueError(f"log_artifact(): {text!r} does not exist")
    base = os.path.basename(os.path.normpath(text))
    from runconfig.util import make_artifact_name_safe

    default = make_artifact_name_safe(f"run-{run_id}-{base}")
    artifact = Artifact(name or default, type or "unspecified")
    if os.path.isdir(text):
        artifact.add_dir(text)
    else:
        artifact.add_file(text)
    return artifact


def parse_ref(text: str) -> tuple[str | None, str, str]:
    """``"entity/project/name:alias"`` -> ``(project, name, alias)``; the alias defaults to
    ``latest`` and the project to None (the caller's)."""
    path, _, ref = text.partition(":")
    parts = path.split("/")
    name = parts[-1]
    project = parts[-2] if len(parts) >= 2 else None
    if not name:
        raise UsageValueError(
            f"{text!r} names no artifact: write 'name', 'name:v3' or 'name:latest'"
        )
    return project, name, ref or "latest"


def find(
    store: RunStore, location: str, project: str | None, text: str, type: str | None = None
) -> Artifact:
    """The stored version ``text`` names (``name:alias``, ``project/name:v2``...): in its
    project, else in ``project``, else in any project."""
    named_project, name, ref = parse_ref(text)
    stored = None
    for where in dict.fromkeys((named_project or project, None)):
        stored = store.artifacts.get(where, name, ref)
        if stored is not None:
            break
    if stored is None:
        versions = store.artifacts.versions(project=named_project or project, name=name)
        known = sorted(
            {f"v{v.version}" for v in versions} | {a for v in versions for a in v.aliases}
        )
        have = f"; it has {', '.join(known)}" if known else ""
        raise UsageValueError(f"no artifact {name}:{ref} in {store.location}{have}")
    if type is not None and stored.type != type:
        raise UsageValueError(f"artifact {name}:{ref} is of type {stored.type!r}, not {type!r}")
    return Artifact._from_stored(stored, location, objects_root(store.location))


def use(
    store: RunStore,
    location: str,
    project: str,
    rid: int | None,
    artifact_or_name: Artifact | str,
    type: str | None = None,
    aliases: Sequence[str] | None = None,
) -> Artifact:
    """Record that run ``rid`` uses a version, and return it. A local artifact not logged
    yet is stored first (logged by no run), as wandb does."""
    if isinstance(artifact_or_name, Artifact):
        artifact = artifact_or_name
        if artifact._stored is None:
            log(store, location, project, None, artifact, aliases or ())
        elif aliases:
            artifact.link(artifact._name, list(aliases))
    elif isinstance(artifact_or_name, str):
        artifact = find(store, location, project, artifact_or_name, type)
        if aliases:
            artifact.link(artifact._name, list(aliases))
    else:
        raise UsageValueError(
            f"use_artifact() takes an Artifact or a name such as 'mnist:latest', got "
            f"{type_name(artifact_or_name)}"
        )
    stored = artifact._stored
    assert stored is not None and stored.aid is not None
    if rid is not None:
        store.artifacts.use(stored.aid, rid)
    return artifact


def type_name(value: object) -> str:
    return type(value).__name__


def _check_alias(alias: str) -> None:
    if not alias or "/" in alias or ":" in alias:
        raise UsageValueError(f"artifact alias {alias!r}: a non-empty name without '/' or ':'")
