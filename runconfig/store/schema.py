"""The store's schema, one definition for both engines, with versioned migrations.

Tables (every name prefixed ``rc_`` so a shared PostgreSQL database stays tidy):

``rc_meta(key, value)``
    ``schema_version`` and the like.
``rc_runs``
    One row per run. ``rid`` is the internal integer key; ``id`` the short public id;
    ``name`` is unique within ``project``. Times are ISO-8601 UTC text
    (``2026-11-27T19:42:16.123456+00:00``), so they sort and compare as text.
    ``tags`` and ``argv`` are JSON lists. ``state`` is ``running``, ``finished``,
    ``failed`` or ``crashed``.
``rc_entries``
    Config (``section = 'c'``) and summary (``section = 's'``) of every run as typed
    entries, one per node: see :mod:`runconfig._entries` for ``kind``, ``num``, ``txt``
    and ``value``. ``seq`` orders entries as they were inserted (the tree's key order);
    ``origin`` and ``desc`` are the provenance of a value and its note from a file.
``rc_history``
    ``run.log()`` rows: ``(rid, step) -> JSON``.

``rc_files``
    The files of a run's folder that runconfig wrote or was asked to keep (saved files,
    logged media, code): ``path`` relative to the folder, ``kind`` (``file``, ``media``,
    ``code``...), ``size``, ``sha256``, ``created_at``.

``rc_artifacts``, ``rc_artifact_aliases``, ``rc_artifact_uses``
    Artifact versions (``name`` ``v<version>`` within ``project``, their ``manifest`` of
    files as JSON, the ``rid`` of the run that logged them), their aliases (``latest``...),
    and the runs that used each version: the lineage. The files themselves are in a
    content-addressed folder beside the store (see :mod:`runconfig.artifacts`).

Schema 3 adds ``rc_files``, the artifact tables, ``rc_runs.entity`` (wandb's, recorded)
and ``rc_runs.meta``, a JSON object of what a run records beyond its columns: ``metrics``
(its ``define_metric`` definitions), ``alerts``, ``labels``, ``preempting``, ``settings``,
``code``.

Schema 4 lets PostgreSQL hold whatever SQLite holds. A btree entry there is at most 2,704
bytes, so the text index no longer holds ``txt`` whole but ``txt_key``, its first
:data:`TEXT_KEY` characters (a stored generated column, so that an index-only scan can
answer a range); queries compare ``txt_key`` and, for a literal that long, ``txt`` too
(see :mod:`runconfig.query`). ``txt`` is kept escaped (:func:`runconfig._entries.
postgres_text`), as PostgreSQL's text cannot hold a NUL. On both engines a NUL in a key is
written ``\\`0`` in ``path`` (see :mod:`runconfig._paths`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

__all__ = ["ENTRY_INDEXES", "MIGRATIONS", "RUN_COLUMNS", "SCHEMA_VERSION", "TEXT_KEY", "Step"]

# The characters of txt that PostgreSQL's text index holds (txt_key): at most 1 KB of
# UTF-8, which leaves room in a 2,704-byte index entry for a path of 1.6 KB. Prefixes this
# long almost never tie, so a range read off the index is about as narrow as on the text.
TEXT_KEY = 256

# The documents of an ended run in its row (schema 5): its config, its summary, and its
# notes ([origins, descs]), as JSON.
DOC_COLUMNS = ("config_doc", "summary_doc", "notes_doc")

Step = str | Callable[[Callable[..., Any]], None]
"""A step of a migration: an SQL statement, or a function given the connection's
``execute(sql, params)`` (for rewrites that SQL cannot do on that engine)."""

# The columns of rc_runs that the query language can name as ``run.<column>``, with the
# kind of value they hold ('s' string, 'n' number, 'b' bool, 'l' JSON list).
RUN_COLUMNS: dict[str, str] = {
    "id": "s",
    "name": "s",
    "project": "s",
    "group": "s",
    "job_type": "s",
    "tags": "l",
    "notes": "s",
    "state": "s",
    "created_at": "s",
    "updated_at": "s",
    "finished_at": "s",
    "heartbeat_at": "s",
    "exit_code": "n",
    "error_type": "s",
    "error_message": "s",
    "host": "s",
    "user": "s",
    "pid": "n",
    "python": "s",
    "program": "s",
    "cwd": "s",
    "git_commit": "s",
    "git_dirty": "b",
    "entity": "s",
    "sweep": "s",
}

# The SQL column behind each run field where the name differs (``group`` and ``user``
# are SQL keywords).
COLUMN_NAMES: dict[str, str] = {"group": "grp", "user": "username"}

_RUNS = """
CREATE TABLE rc_runs (
    rid {serial},
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    project TEXT NOT NULL,
    grp TEXT,
    job_type TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    notes TEXT,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT,
    heartbeat_at TEXT,
    exit_code INTEGER,
    error_type TEXT,
    error_message TEXT,
    host TEXT,
    username TEXT,
    pid INTEGER,
    pid_started TEXT,
    python TEXT,
    program TEXT,
    argv TEXT NOT NULL DEFAULT '[]',
    cwd TEXT,
    git_commit TEXT,
    git_dirty {bool},
    UNIQUE (project, name)
)"""

_ENTRIES = """
CREATE TABLE rc_entries (
    rid BIGINT NOT NULL REFERENCES rc_runs(rid) ON DELETE CASCADE,
    section TEXT NOT NULL,
    path TEXT {collate} NOT NULL,
    kind TEXT NOT NULL,
    num {real},
    txt TEXT {collate},
    value TEXT,
    seq BIGINT NOT NULL,
    origin TEXT,
    "desc" TEXT,
    PRIMARY KEY (rid, section, path)
){without_rowid}"""

_HISTORY = """
CREATE TABLE rc_history (
    rid BIGINT NOT NULL REFERENCES rc_runs(rid) ON DELETE CASCADE,
    step BIGINT NOT NULL,
    ts TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (rid, step)
){without_rowid}"""

_DIALECT = {
    "sqlite": {
        "serial": "INTEGER PRIMARY KEY AUTOINCREMENT",  # a deleted run's rid is never reused
        "bool": "INTEGER",
        "real": "REAL",
        "collate": "",
        "without_rowid": " WITHOUT ROWID",
    },
    "postgresql": {
        "serial": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        "bool": "BOOLEAN",
        "real": "DOUBLE PRECISION",
        "collate": 'COLLATE "C"',
        "without_rowid": "",
    },
}

# Partial: an entry holds a number or a text, rarely both, so each row costs one secondary
# index, not two. Every predicate that uses them (num < ?, txt = ?, ... IS NOT NULL)
# implies the condition. A big bulk load on SQLite drops and rebuilds them (sorting once
# is faster than inserting at random places).
ENTRY_INDEXES: dict[str, str] = {
    "rc_entries_num": "CREATE INDEX rc_entries_num ON rc_entries (section, path, num) "
    "WHERE num IS NOT NULL",
    "rc_entries_txt": "CREATE INDEX rc_entries_txt ON rc_entries (section, path, txt) "
    "WHERE txt IS NOT NULL",
}

_V1 = [
    "CREATE TABLE rc_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    _RUNS,
    _ENTRIES,
    _HISTORY,
    "CREATE INDEX rc_runs_project ON rc_runs (project, created_at)",
    "CREATE INDEX rc_runs_state ON rc_runs (state)",
    *ENTRY_INDEXES.values(),
    # The default order of a listing (newest first) without a project.
    "CREATE INDEX rc_runs_created ON rc_runs (created_at)",
]

# Version 2 leaves rc_entries.value NULL where num or txt hold the value exactly (see
# runconfig._entries): rows written by version 1 read the same, and the version tells an
# older runconfig not to read the new rows (it would see NULLs). On PostgreSQL the entry
# indexes also carry the rid, so that a range's runs come from the index alone (SQLite's
# indexes of a WITHOUT ROWID table hold the primary key already): intersecting two ranges
# of 10,000 entries takes 8 ms instead of 90.
_V2: dict[str, list[str]] = {
    "sqlite": [],
    "postgresql": [
        statement
        for name, create in ENTRY_INDEXES.items()
        for statement in (f"DROP INDEX {name}", create.replace(" WHERE ", " INCLUDE (rid) WHERE "))
    ],
}

_FILES = """
CREATE TABLE rc_files (
    rid BIGINT NOT NULL REFERENCES rc_runs(rid) ON DELETE CASCADE,
    path TEXT {collate} NOT NULL,
    kind TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (rid, path)
){without_rowid}"""

_ARTIFACTS = """
CREATE TABLE rc_artifacts (
    aid {serial},
    project TEXT {collate} NOT NULL,
    name TEXT {collate} NOT NULL,
    type TEXT NOT NULL,
    version BIGINT NOT NULL,
    digest TEXT NOT NULL,
    description TEXT,
    metadata TEXT NOT NULL DEFAULT '{{}}',
    manifest TEXT NOT NULL,
    size BIGINT NOT NULL,
    file_count BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    rid BIGINT,
    UNIQUE (project, name, version)
)"""

_V3 = [
    "ALTER TABLE rc_runs ADD COLUMN entity TEXT",
    "ALTER TABLE rc_runs ADD COLUMN meta TEXT NOT NULL DEFAULT '{{}}'",
    _FILES,
    _ARTIFACTS,
    "CREATE INDEX rc_artifacts_digest ON rc_artifacts (project, name, digest)",
    "CREATE INDEX rc_artifacts_rid ON rc_artifacts (rid)",
    "CREATE TABLE rc_artifact_aliases (project TEXT {collate} NOT NULL, "
    "name TEXT {collate} NOT NULL, alias TEXT {collate} NOT NULL, aid BIGINT NOT NULL, "
    "PRIMARY KEY (project, name, alias))",
    "CREATE TABLE rc_artifact_uses (aid BIGINT NOT NULL, rid BIGINT NOT NULL, "
    "used_at TEXT NOT NULL, PRIMARY KEY (aid, rid))",
    "CREATE INDEX rc_artifact_uses_rid ON rc_artifact_uses (rid)",
]


def _nul_free_paths(execute: Callable[..., Any]) -> None:
    """Rewrite the SQLite paths that hold a NUL (keys written before schema 4) as schema 4
    writes them, ``\\`0``. SQLite's replace() stops at a NUL, so this is done here; a NUL
    was only ever written inside backticks, where ``\\`0`` was not yet a spelling, so no
    path can take another's place."""
    rows = execute(
        "SELECT rid, section, path FROM rc_entries WHERE instr(CAST(path AS BLOB), X'00') > 0"
    ).fetchall()
    for rid, section, path in rows:
        execute(
            "UPDATE rc_entries SET path = ? WHERE rid = ? AND section = ? AND path = ?",
            (path.replace("\x00", "`0"), rid, section, path),
        )


# Version 4 (see the module docstring). On PostgreSQL: the strings holding a U+0001 (none
# can hold a NUL yet) are escaped, their text kept in value; the text index is dropped
# before the column is added, so the table's rewrite does not rebuild it for nothing.
_V4: dict[str, list[Step]] = {
    "sqlite": [_nul_free_paths],
    "postgresql": [
        "UPDATE rc_entries SET value = COALESCE(value, to_json(txt)::text), "
        "txt = replace(txt, chr(1), chr(1) || chr(2)) WHERE kind = 's' AND strpos(txt, chr(1)) > 0",
        "DROP INDEX rc_entries_txt",
        'ALTER TABLE rc_entries ADD COLUMN txt_key TEXT COLLATE "C" '
        f"GENERATED ALWAYS AS (left(txt, {TEXT_KEY})) STORED",
        "CREATE INDEX rc_entries_txt ON rc_entries (section, path, txt_key) INCLUDE (rid) "
        "WHERE txt_key IS NOT NULL",
        # The paths that hold a text longer than its key (a superset: bytes, not
        # characters; octet_length() reads no TOASTed text): only where one does must a
        # sort break the keys' ties by the texts, which costs it a quarter more.
        "CREATE INDEX rc_entries_long ON rc_entries (section, path) "
        f"WHERE octet_length(txt) > {TEXT_KEY}",
    ],
}


def _document_ended_runs(execute: Callable[..., Any], placeholder: str) -> None:
    """Write the documents of every run that has ended, from its entries (as a run that
    ends now writes them), a few hundred runs at a time."""
    from runconfig._entries import dumps, run_trees

    update = (
        "UPDATE rc_runs SET config_doc = ?, summary_doc = ?, notes_doc = ? WHERE rid = ?"
    ).replace("?", placeholder)
    ended = [
        row[0] for row in execute("SELECT rid FROM rc_runs WHERE state <> 'running' ORDER BY rid")
    ]
    for start in range(0, len(ended), 500):
        chunk = ended[start : start + 500]
        trees = run_trees(
            execute(
                'SELECT rid, section, path, kind, num, txt, value, origin, "desc" FROM '
                f"rc_entries WHERE rid >= {int(chunk[0])} AND rid <= {int(chunk[-1])} "
                "ORDER BY rid, seq"
            ).fetchall()
        )
        for rid in chunk:
            config, summary, origins, descs = trees.get(rid, ({}, {}, {}, {}))
            execute(update, (dumps(config), dumps(summary), dumps([origins, descs]), rid))


# Version 5 keeps, in the row of a run that has ended, its config, summary and notes
# (origins and descs) as JSON documents: reading runs back decodes three texts instead of
# rebuilding trees from entries. The entries stay the truth, which queries read; a run
# that runs (again) has none (NULL), and is read from its entries.
_DOCUMENTS = [f"ALTER TABLE rc_runs ADD COLUMN {c} TEXT" for c in DOC_COLUMNS]
_V5: dict[str, list[Step]] = {
    "sqlite": [*_DOCUMENTS, partial(_document_ended_runs, placeholder="?")],
    "postgresql": [*_DOCUMENTS, partial(_document_ended_runs, placeholder="%s")],
}

# Version 6: sweeps. A run records the sweep it is a trial of (rc_runs.sweep); a sweep
# keeps its file as parsed (spec, JSON), its state (running, paused, stopped, canceled,
# finished), the seed its trials are drawn with, and next_index, the counter that hands out
# trial numbers (below total, a grid's size, and run_cap). rc_trials holds one row per
# attempt at a trial: state pending, running (claimed by ``agent`` until ``lease_until``,
# seconds since the epoch by the store's clock), finished, failed, crashed, stopped or
# canceled; ``stop`` is a request to stop it (hyperband's reason) that its agent carries out.
_SWEEPS = """
CREATE TABLE rc_sweeps (
    id TEXT {collate} PRIMARY KEY,
    project TEXT NOT NULL,
    name TEXT,
    method TEXT NOT NULL,
    spec TEXT NOT NULL,
    state TEXT NOT NULL,
    seed BIGINT NOT NULL,
    next_index BIGINT NOT NULL DEFAULT 0,
    total BIGINT,
    run_cap BIGINT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)"""

_TRIALS = """
CREATE TABLE rc_trials (
    sweep TEXT {collate} NOT NULL REFERENCES rc_sweeps(id) ON DELETE CASCADE,
    idx BIGINT NOT NULL,
    attempt INTEGER NOT NULL,
    state TEXT NOT NULL,
    params TEXT NOT NULL,
    run_id TEXT,
    agent TEXT,
    lease_until {real},
    stop TEXT,
    exit_code INTEGER,
    reason TEXT,
    created_at TEXT NOT NULL,
    ended_at TEXT,
    PRIMARY KEY (sweep, idx, attempt)
)"""

_V6 = [
    "ALTER TABLE rc_runs ADD COLUMN sweep TEXT",
    "CREATE INDEX rc_runs_sweep ON rc_runs (sweep) WHERE sweep IS NOT NULL",
    _SWEEPS,
    _TRIALS,
    "CREATE INDEX rc_trials_state ON rc_trials (sweep, state, idx)",
    "CREATE INDEX rc_trials_run ON rc_trials (run_id)",
]

# MIGRATIONS[n] takes a store from version n to n + 1 (version 0: empty): steps for both
# engines, or per engine.
MIGRATIONS: list[Sequence[Step] | Mapping[str, Sequence[Step]]] = [_V1, _V2, _V3, _V4, _V5, _V6]
SCHEMA_VERSION = len(MIGRATIONS)


def statements(version: int, dialect: str) -> list[Step]:
    """The steps that migrate a store at ``version`` to the next, for ``dialect``."""
    params = _DIALECT[dialect]
    migration = MIGRATIONS[version]
    listed = migration[dialect] if isinstance(migration, Mapping) else migration
    return [s.format(**params) if isinstance(s, str) else s for s in listed]
