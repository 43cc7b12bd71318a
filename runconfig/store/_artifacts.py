"""Artifact versions, their aliases and their lineage, in the store's tables.

A version is written in one transaction: the same content (digest) as a stored version of
the name is that version again (its aliases move to it), else the next ``v<N>``. Numbers
are handed out under the store's write lock (SQLite) or a transaction-scoped advisory lock
on the name (PostgreSQL), so concurrent writers on many machines never share one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from runconfig._entries import dumps, loads
from runconfig.store.base import ArtifactData

if TYPE_CHECKING:
    from runconfig.store._common import SqlStore

__all__ = ["ArtifactRecords"]

_COLUMNS = (
    "a.aid, a.project, a.name, a.type, a.version, a.digest, a.description, a.metadata, "
    "a.manifest, a.size, a.file_count, a.created_at, a.rid, r.id"
)
_FROM = "rc_artifacts a LEFT JOIN rc_runs r ON r.rid = a.rid"


class ArtifactRecords:
    """The artifact tables of one store (``store.artifacts``)."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    def _q(self, sql: str) -> str:
        return sql.replace("?", self._store._ph)

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._store._exec(self._q(sql), params)

    # -- writes -------------------------------------------------------------------------
    def save(self, art: ArtifactData, aliases: Sequence[str]) -> tuple[ArtifactData, bool]:
        """Store ``art`` as a new version of its name, unless a version has its digest;
        give the version ``aliases`` (taken from any other version of the name). Returns
        the stored version and whether it is new."""
        from runconfig.store._common import now

        store = self._store
        with store._guard(f"log artifact {art.name!r}"), store._transaction(write=True):
            if store.dialect == "postgresql":
                self._exec(
                    "SELECT pg_advisory_xact_lock(hashtext(?))", (f"{art.project}/{art.name}",)
                )
            row = self._exec(
                "SELECT aid FROM rc_artifacts WHERE project = ? AND name = ? AND digest = ? "
                "ORDER BY version DESC LIMIT 1",
                (art.project, art.name, art.digest),
            ).fetchone()
            created = row is None
            if created:
                top = self._exec(
                    "SELECT MAX(version) FROM rc_artifacts WHERE project = ? AND name = ?",
                    (art.project, art.name),
                ).fetchone()[0]
                version = 0 if top is None else int(top) + 1
                values = (
                    art.project,
                    art.name,
                    art.type,
                    version,
                    art.digest,
                    art.description,
                    dumps(art.metadata),
                    dumps(art.manifest),
                    art.size,
                    art.file_count,
                    now(),
                    art.rid,
                )
                insert = (
                    "INSERT INTO rc_artifacts (project, name, type, version, digest, "
                    "description, metadata, manifest, size, file_count, created_at, rid) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                )
                if store.dialect == "postgresql":
                    aid = int(self._exec(insert + " RETURNING aid", values).fetchone()[0])
                else:
                    aid = int(self._exec(insert, values).lastrowid)
            else:
                aid = int(row[0])
            self._alias(aid, art.project, art.name, aliases)
            saved = self._one(aid)
        assert saved is not None
        return saved, created

    def add_aliases(self, aid: int, aliases: Sequence[str]) -> None:
        """Give version ``aid`` the ``aliases`` (each taken from any other version)."""
        store = self._store
        with store._guard("alias an artifact"), store._transaction(write=True):
            row = self._exec("SELECT project, name FROM rc_artifacts WHERE aid = ?", (aid,))
            project, name = row.fetchone()
            self._alias(aid, project, name, aliases)

    def _alias(self, aid: int, project: str, name: str, aliases: Sequence[str]) -> None:
        for alias in dict.fromkeys(aliases):
            self._exec(
                "DELETE FROM rc_artifact_aliases WHERE project = ? AND name = ? AND alias = ?",
                (project, name, alias),
            )
            self._exec(
                "INSERT INTO rc_artifact_aliases (project, name, alias, aid) VALUES (?, ?, ?, ?)",
                (project, name, alias, aid),
            )

    def use(self, aid: int, rid: int) -> None:
        """Record that run ``rid`` used version ``aid``."""
        from runconfig.store._common import now

        store = self._store
        with store._guard("record an artifact's use"), store._transaction(write=True):
            self._exec(
                "INSERT INTO rc_artifact_uses (aid, rid, used_at) VALUES (?, ?, ?) "
                "ON CONFLICT (aid, rid) DO NOTHING",
                (aid, rid, now()),
            )

    # -- reads --------------------------------------------------------------------------
    def get(self, project: str | None, name: str, ref: str) -> ArtifactData | None:
        """Version ``ref`` (``"v3"``, an alias such as ``"latest"``) of ``name``; in
        ``project``, or in any project when None (the newest such version)."""
        store = self._store
        where, params = ("a.project = ? AND ", [project]) if project is not None else ("", [])
        with store._guard(f"read artifact {name}:{ref}"), store._reading(None):
            if ref[:1] == "v" and ref[1:].isdigit():
                row = self._exec(
                    f"SELECT a.aid FROM rc_artifacts a WHERE {where}a.name = ? AND a.version = ? "
                    "ORDER BY a.aid DESC LIMIT 1",
                    (*params, name, int(ref[1:])),
                ).fetchone()
            else:
                row = self._exec(
                    f"SELECT a.aid FROM rc_artifact_aliases a WHERE {where}a.name = ? "
                    "AND a.alias = ? ORDER BY a.aid DESC LIMIT 1",
                    (*params, name, ref),
                ).fetchone()
            return self._one(int(row[0])) if row else None

    def versions(
        self, project: str | None = None, name: str | None = None, type: str | None = None
    ) -> list[ArtifactData]:
        """Stored versions, by project, name and version."""
        conds, params = [], []
        for column, value in (("a.project", project), ("a.name", name), ("a.type", type)):
            if value is not None:
                conds.append(f"{column} = ?")
                params.append(value)
        where = " WHERE " + " AND ".join(conds) if conds else ""
        store = self._store
        with store._guard("list artifacts"), store._reading(None):
            rows = self._exec(
                f"SELECT {_COLUMNS} FROM {_FROM}{where} ORDER BY a.project, a.name, a.version",
                params,
            ).fetchall()
            return self._with_aliases([_artifact(row) for row in rows])

    def of_run(self, rid: int, used: bool) -> list[ArtifactData]:
        """The versions run ``rid`` logged (or, with ``used``, used)."""
        store = self._store
        if used:
            sql = (
                f"SELECT {_COLUMNS} FROM rc_artifact_uses u JOIN rc_artifacts a ON a.aid = u.aid "
                "LEFT JOIN rc_runs r ON r.rid = a.rid WHERE u.rid = ? ORDER BY u.used_at, a.aid"
            )
        else:
            sql = f"SELECT {_COLUMNS} FROM {_FROM} WHERE a.rid = ? ORDER BY a.aid"
        with store._guard("list a run's artifacts"), store._reading(None):
            rows = self._exec(sql, (rid,)).fetchall()
            return self._with_aliases([_artifact(row) for row in rows])

    def users(self, aid: int) -> list[str]:
        """The ids of the runs that used version ``aid``, in the order they did."""
        store = self._store
        with store._guard("list an artifact's users"), store._reading(None):
            rows = self._exec(
                "SELECT r.id FROM rc_artifact_uses u JOIN rc_runs r ON r.rid = u.rid "
                "WHERE u.aid = ? ORDER BY u.used_at, r.id",
                (aid,),
            ).fetchall()
        return [row[0] for row in rows]

    def forget_runs(self, cond: str, params: Sequence[Any]) -> None:
        """Inside a deletion of runs: their uses go, their versions stay (no logger)."""
        self._store._exec(f"DELETE FROM rc_artifact_uses WHERE {cond}", params)
        self._store._exec(f"UPDATE rc_artifacts SET rid = NULL WHERE {cond}", params)

    def _one(self, aid: int) -> ArtifactData | None:
        row = self._exec(f"SELECT {_COLUMNS} FROM {_FROM} WHERE a.aid = ?", (aid,)).fetchone()
        return self._with_aliases([_artifact(row)])[0] if row else None

    def _with_aliases(self, found: list[ArtifactData]) -> list[ArtifactData]:
        by_aid = {a.aid: a for a in found}
        if by_aid:
            marks = ", ".join("?" for _ in by_aid)
            for aid, alias in self._exec(
                f"SELECT aid, alias FROM rc_artifact_aliases WHERE aid IN ({marks}) ORDER BY alias",
                list(by_aid),
            ).fetchall():
                by_aid[aid].aliases.append(alias)
        return found


def _artifact(row: Any) -> ArtifactData:
    (aid, project, name, type_, version, digest, description, metadata, manifest, size,
     file_count, created_at, rid, run_id) = row  # fmt: skip
    return ArtifactData(
        project=project,
        name=name,
        type=type_,
        digest=digest,
        manifest=loads(manifest),
        version=int(version),
        description=description,
        metadata=loads(metadata) if metadata else {},
        size=int(size),
        file_count=int(file_count),
        created_at=created_at,
        rid=rid,
        aid=int(aid),
        logged_by=run_id,
    )
