"""Bring wandb runs into a runconfig store, so that their history comes along.

>>> with runconfig.Api(create=True) as api:
...     report = import_wandb(["wandb/"], api, project="mnist")

``runconfig import-wandb PATH...`` is this function. A PATH is a wandb run folder, a
``wandb/`` folder of them, or the folder that holds ``wandb/``. From a run folder
(``run-20240101_120000-abc123``, as wandb writes it, or as a script that fetched a run
with wandb's API lays it out) it reads:

=================================  ===========================================================
``files/config.yaml``              the config: wandb's ``key: {desc, value}`` form (its
                                   ``_wandb`` block dropped) or a plain mapping. Values
                                   are read with YAML 1.2's core schema, as wandb writes
                                   JSON values: dates, ``yes`` and ``1:20`` stay strings.
                                   ``desc`` notes are kept; each key's origin is
                                   ``wandb config.yaml``.
``files/wandb-summary.json``       the summary, without wandb's ``_`` bookkeeping keys
                                   (``_runtime``, ``_step``, ``_timestamp``, ``_wandb``);
                                   ``_timestamp`` (else start + ``_runtime``) is the finish
                                   time.
``files/wandb-metadata.json``      ``startedAt`` (the creation time), ``program``,
                                   ``codePath`` and ``args`` (the command line), ``host``,
                                   ``username``, ``python``, ``root`` (cwd), ``git.commit``;
                                   ``name``, ``project``, ``tags``... when present. Without
                                   the file, the ``e`` entry of ``config.yaml``'s ``_wandb``.
``run-<id>.wandb``                 read when the ``wandb`` package is installed: the run's
                                   display name, project, tags, group, job type and notes;
                                   for an offline run (no ``config.yaml``) everything.
=================================  ===========================================================

The run id is the one in the folder's name. A run is ``finished``; an offline run whose log
has no exit record ``crashed``, one with a non-zero exit code ``failed``. The project is
``project=`` if given, else the run's own, else ``uncategorized``. Runs are inserted with
the store's bulk path; one already in the store is skipped (or replaced, ``replace=True``).
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import struct
import warnings
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runconfig.errors import RunconfigError
from runconfig.store import RunData

if TYPE_CHECKING:
    import yaml

    from runconfig.api import Api

__all__ = ["ImportReport", "WandbImportError", "find_run_dirs", "import_wandb", "read_run_dir"]

RUN_DIR = re.compile(r"^(?P<offline>offline-)?run-(?P<stamp>\d{8}_\d{6})-(?P<id>[^/\\]+)$")
"""The name wandb gives a run folder: ``run-20240101_120000-abc123``."""

DEFAULT_PROJECT = "uncategorized"
CONFIG_ORIGIN = "wandb config.yaml"
_BLOCK = 32768  # the .wandb log is a LevelDB log: 32 KiB blocks of framed records
_LOG_MAGIC = b":W&B"


class WandbImportError(RunconfigError, ValueError):
    """A wandb run folder that cannot be read; the message says what is missing."""


@dataclass
class ImportReport:
    """What :func:`import_wandb` did."""

    found: int = 0  # run folders found under the paths
    imported: int = 0  # runs inserted (replacements included)
    replaced: int = 0  # runs that replaced one with the same id
    skipped: int = 0  # runs left out: already stored, or unreadable


def find_run_dirs(path: str | os.PathLike[str]) -> list[Path]:
    """The wandb run folders at ``path``: itself, the run folders in it, or in its
    ``wandb/`` folder. ``latest-run`` and other links are left out of a listing."""
    root = Path(path)
    if not root.exists():
        raise WandbImportError(f"{root} does not exist")
    if not root.is_dir():
        raise WandbImportError(f"{root} is a file: give a wandb run folder or a folder of them")
    if _is_run_dir(root):
        return [root]
    base = root / "wandb" if (root / "wandb").is_dir() else root
    return sorted(
        child
        for child in base.iterdir()
        if RUN_DIR.match(child.name) and child.is_dir() and not child.is_symlink()
    )


def _is_run_dir(path: Path) -> bool:
    return (
        RUN_DIR.match(path.resolve().name) is not None
        or (path / "files" / "config.yaml").is_file()
        or any(path.glob("run-*.wandb"))
    )


def import_wandb(
    paths: Iterable[str | os.PathLike[str]],
    api: Api,
    *,
    project: str | None = None,
    replace: bool = False,
    on_note: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import the wandb runs under ``paths`` into ``api``'s store, in bulk.

    A run folder that cannot be read (an offline run without the wandb package, a broken
    ``config.yaml``) is skipped with a note; so is a run already in the store, unless
    ``replace``. ``on_note`` receives each note, one line each.
    """
    report = ImportReport()
    note = on_note or (lambda message: None)

    def runs() -> Iterator[RunData]:
        for path in paths:
            folders = find_run_dirs(path)
            if not folders:
                note(f"no wandb runs in {path}")
            for folder in folders:
                report.found += 1
                try:
                    yield read_run_dir(folder, project=project, on_note=note)
                except WandbImportError as e:
                    report.skipped += 1
                    note(f"skipped {folder}: {e}")

    def exists(run: RunData) -> None:
        if replace:
            report.replaced += 1
            note(f"replacing run {run.id} ({run.name})")
        else:
            report.skipped += 1
            note(f"skipped run {run.id} ({run.name}): already in the store (--replace replaces it)")

    report.imported = api.import_runs(
        runs(), if_exists="replace" if replace else "skip", on_exists=exists
    )
    return report


def read_run_dir(
    path: str | os.PathLike[str],
    *,
    project: str | None = None,
    on_note: Callable[[str], None] | None = None,
) -> RunData:
    """One wandb run folder as a complete run (see the module docstring for what is read).

    Raises :class:`WandbImportError` when the folder holds no config that can be read.
    """
    folder = Path(path)
    note = on_note or (lambda message: None)
    match = RUN_DIR.match(folder.resolve().name)
    logs = sorted(folder.glob("run-*.wandb"))
    files = folder / "files"
    config_file = files / "config.yaml"
    found: dict[str, Any]
    if config_file.is_file():
        found = _read_files(files, note)
        if logs and _wandb_proto() is not None:
            try:
                found = {**_read_log(logs[0], until_run=True), **found}
            except WandbImportError as e:
                note(f"{logs[0]}: {e}")
    elif logs:
        if _wandb_proto() is None:
            raise WandbImportError(
                f"offline run; its config is only in {logs[0].name}; install wandb to import it"
            )
        found = _read_log(logs[0], until_run=False)
    else:
        raise WandbImportError("no files/config.yaml and no run-<id>.wandb log in it")
    run_id = found.get("id") or (match["id"] if match else folder.resolve().name)
    created = found.get("created_at") or _folder_time(match["stamp"] if match else None)
    return RunData(
        id=run_id,
        name=found.get("name") or run_id,
        project=project or found.get("project") or DEFAULT_PROJECT,
        state=found.get("state", "finished"),
        group=found.get("group") or None,
        job_type=found.get("job_type") or None,
        tags=[str(t) for t in found.get("tags") or ()],
        notes=found.get("notes") or None,
        created_at=created,
        updated_at=found.get("finished_at") or created,
        finished_at=found.get("finished_at"),
        exit_code=found.get("exit_code") if "state" in found else 0,
        host=found.get("host"),
        user=found.get("user"),
        python=found.get("python"),
        program=found.get("program"),
        argv=found.get("argv", []),
        cwd=found.get("cwd"),
        git_commit=found.get("git_commit"),
        config=found["config"],
        origins=dict.fromkeys(_formatted_keys(found["config"]), found["origin"]),
        descs=found.get("descs", {}),
        summary=found.get("summary", {}),
    )


def _formatted_keys(config: Mapping[str, Any]) -> list[str]:
    from runconfig._paths import format_segment

    return [format_segment(k) for k in config]


# -- the files of a synced run -----------------------------------------------------------
def _read_files(files: Path, note: Callable[[str], None]) -> dict[str, Any]:
    config, descs, wandb_block = _read_config(files / "config.yaml")
    found: dict[str, Any] = {"config": config, "descs": descs, "origin": CONFIG_ORIGIN}
    metadata: Mapping[str, Any] | None = _read_json(files / "wandb-metadata.json", note)
    if metadata is None:
        metadata = _environment(wandb_block)
    if metadata is not None:
        found.update(_metadata_fields(metadata))
    summary = _read_json(files / "wandb-summary.json", note)
    if summary is not None:
        found.update(_summary_fields(summary, found.get("created_at")))
    return found


def _environment(wandb_block: str) -> Mapping[str, Any] | None:
    """The run's environment from the ``_wandb`` block, where wandb-core keeps it under
    ``value.e``, keyed by writer id. None when it is not there."""
    try:
        data = _parse_yaml(wandb_block) if wandb_block else None
    except WandbImportError:
        return None
    entry = data.get("_wandb") if isinstance(data, dict) else None
    value = entry.get("value") if isinstance(entry, dict) else None
    writers = value.get("e") if isinstance(value, dict) else None
    if not isinstance(writers, dict):
        return None
    return next((w for w in writers.values() if isinstance(w, dict)), None)


def _read_config(path: Path) -> tuple[dict[str, Any], dict[str, str], str]:
    """(values, descs, the text of the ``_wandb`` block) of a ``config.yaml``."""
    from runconfig._paths import format_segment

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise WandbImportError(f"cannot read {path.name}: {e}") from e
    text, block = _split_wandb_block(text)
    data = _parse_yaml(text, path.name)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise WandbImportError(f"{path.name} holds a {type(data).__name__}, not a mapping")
    if "_wandb" in data:  # a _wandb entry the cut did not find (flow style)
        block = _dump_entry(data["_wandb"])
    values: dict[str, Any] = {}
    descs: dict[str, str] = {}
    for key, entry in data.items():
        if key in ("wandb_version", "_wandb"):
            continue
        name = str(key)
        if isinstance(entry, dict) and "value" in entry and entry.keys() <= {"value", "desc"}:
            values[name] = entry["value"]
            if entry.get("desc") is not None:
                descs[format_segment(name)] = str(entry["desc"])
        else:  # a plain config.yaml, as a user may have written it
            values[name] = entry
    return _plain(values, path.name), descs, block


def _dump_entry(entry: Any) -> str:
    return json.dumps({"_wandb": entry}, default=str)  # JSON is YAML


def _split_wandb_block(text: str) -> tuple[str, str]:
    """Cut the top-level ``_wandb:`` block out of block-style YAML: it holds wandb's
    telemetry, and is most of the file; it is parsed only when the metadata is missing."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == "_wandb:"), None)
    if start is None:
        return text, ""
    end = start + 1
    while end < len(lines) and (
        lines[end][:1] in (" ", "\t", "\r", "\n", "#", "-") or not lines[end].strip()
    ):
        end += 1
    return "".join(lines[:start] + lines[end:]), "".join(lines[start:end])


_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_TAG = "tag:yaml.org,2002:"


@functools.cache
def _loader() -> type[yaml.SafeLoader]:
    """A safe loader (libyaml's parser when present) that resolves plain scalars by the
    YAML 1.2 core schema."""
    import yaml

    base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[valid-type,misc]
        pass

    Loader.yaml_implicit_resolvers = {}
    Loader.add_implicit_resolver(
        _TAG + "null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
    )
    Loader.add_implicit_resolver(
        _TAG + "bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    Loader.add_implicit_resolver(_TAG + "int", _INT, list("-+0123456789"))
    Loader.add_implicit_resolver(_TAG + "float", _FLOAT, list("-+.0123456789"))
    return Loader


def _parse_yaml(text: str, name: str = "_wandb") -> Any:
    """The data of a YAML document, built straight from its nodes: three times faster
    than PyYAML's constructor, which matters for thousands of files."""
    import yaml

    loader = _loader()(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _construct(node)
    except (yaml.YAMLError, ValueError, TypeError) as e:
        raise WandbImportError(f"{name} is not valid YAML: {' '.join(str(e).split())}") from e
    finally:
        loader.dispose()


def _construct(node: Any) -> Any:
    import yaml

    if isinstance(node, yaml.ScalarNode):
        tag, text = node.tag, node.value
        if tag == _TAG + "str":
            return text
        if tag == _TAG + "int":
            if text.startswith("0o"):
                return int(text[2:], 8)
            return int(text[2:], 16) if text.startswith("0x") else int(text.replace("_", ""))
        if tag == _TAG + "float":
            low = text.lower().lstrip("+")
            if low in (".inf", "-.inf", ".nan"):
                return {".inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}[low]
            return float(text.replace("_", ""))
        if tag == _TAG + "bool":
            return text.lower() in ("true", "yes", "on", "y")
        if tag == _TAG + "null":
            return None
        raise ValueError(f"unsupported tag {tag} at line {node.start_mark.line + 1}")
    if isinstance(node, yaml.MappingNode):
        return {_construct(k): _construct(v) for k, v in node.value}
    return [_construct(v) for v in node.value]


def _plain(values: dict[str, Any], where: str) -> dict[str, Any]:
    """JSON-safe values (string keys, lists for tuples...), as a Config would store."""
    from runconfig.errors import ConfigError
    from runconfig.values import sanitize

    try:
        clean: dict[str, Any] = sanitize(values, where)
    except ConfigError as e:
        raise WandbImportError(str(e)) from e
    return clean


def _read_json(path: Path, note: Callable[[str], None]) -> dict[str, Any] | None:
    """A JSON object from a file; None (with a note if it is broken) when there is none."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        note(f"{path}: left out: {e}")
        return None
    if not isinstance(data, dict):
        note(f"{path}: left out: not a JSON object")
        return None
    return data


def _metadata_fields(meta: Mapping[str, Any]) -> dict[str, Any]:
    """Run fields from wandb-metadata.json (wandb-core's camelCase or the older names)."""
    out: dict[str, Any] = {}
    if meta.get("startedAt"):
        out["created_at"] = _iso(str(meta["startedAt"]))
    python = meta.get("python")
    if python:
        out["python"] = str(python).removeprefix("CPython ").strip()
    program = meta.get("program")
    if program:
        out["program"] = str(program)
    script = meta.get("codePath") or meta.get("code_path") or program
    args = [str(a) for a in meta.get("args") or ()]
    if script or args:
        out["argv"] = [str(script), *args] if script else args
    for field, key in (("host", "host"), ("user", "username"), ("cwd", "root")):
        if meta.get(key):
            out[field] = str(meta[key])
    git = meta.get("git")
    if isinstance(git, Mapping) and git.get("commit"):
        out["git_commit"] = str(git["commit"])
    for field in ("name", "display_name", "project", "group", "job_type", "notes", "tags"):
        if meta.get(field):
            out["name" if field == "display_name" else field] = meta[field]
    return out


def _summary_fields(summary: Mapping[str, Any], created_at: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "summary": _plain({k: v for k, v in summary.items() if not k.startswith("_")}, "summary")
    }
    stamp: Any = summary.get("_timestamp")
    runtime: Any = summary.get("_runtime")
    if _is_number(stamp):
        out["finished_at"] = _from_epoch(float(stamp))
    elif _is_number(runtime) and created_at:
        started = datetime.fromisoformat(created_at).timestamp()
        out["finished_at"] = _from_epoch(started + float(runtime))
    return out


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


# -- times ----------------------------------------------------------------------------------
_ISO = re.compile(r"^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)?$")


def _iso(text: str) -> str:
    """A wandb time (``2024-01-01T12:00:00.123456789Z``, or naive UTC) as the store writes."""
    match = _ISO.match(text.strip())
    if match is None:
        return ""
    zone = match[3] or "Z"
    stamp = match[1] + (match[2] or "")[:7] + ("+00:00" if zone == "Z" else zone)
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return ""
    return when.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _from_epoch(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="microseconds")


def _folder_time(stamp: str | None) -> str:
    """The local time in a run folder's name, as the store writes times; ``""`` if none."""
    if stamp is None:
        return ""
    when = datetime.strptime(stamp, "%Y%m%d_%H%M%S").astimezone()
    return when.astimezone(timezone.utc).isoformat(timespec="microseconds")


# -- the .wandb log -------------------------------------------------------------------------
@functools.cache
def _wandb_proto() -> Any:
    """wandb's protobuf messages, or None when the wandb package is not installed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from wandb.proto import wandb_internal_pb2
    except Exception:  # not installed, or an install that does not import
        return None
    return wandb_internal_pb2


def _log_records(path: Path) -> Generator[bytes, None, None]:
    """The records of a ``.wandb`` log, read block by block: a LevelDB log of 32 KiB
    blocks after a 7-byte header; each record is framed by a checksum, a length and a
    type (whole, or the first, a middle or the last part of one that spans blocks)."""
    try:
        f = open(path, "rb")  # noqa: SIM115 (a generator: closed in finally)
    except OSError as e:
        raise WandbImportError(f"cannot read {path.name}: {e.strerror or e}") from e
    try:
        block = f.read(_BLOCK)
        if not block.startswith(_LOG_MAGIC):
            raise WandbImportError(f"{path.name} is not a wandb log")
        pos, parts = 7, []
        while block:
            if pos + 7 > len(block):  # the rest of a block too small for a frame is padding
                block, pos = f.read(_BLOCK), 0
                continue
            _checksum, length, kind = struct.unpack_from("<IHB", block, pos)
            if kind == 0 and length == 0:  # zeroes: the rest of the block is unused
                block, pos = f.read(_BLOCK), 0
                continue
            body = block[pos + 7 : pos + 7 + length]
            pos += 7 + length
            if kind == 1:
                yield body
            elif kind == 2:
                parts = [body]
            elif kind == 3:
                parts.append(body)
            elif kind == 4:
                parts.append(body)
                yield b"".join(parts)
                parts = []
    finally:
        f.close()


def _set_path(tree: dict[str, Any], item: Any, remove: bool = False) -> None:
    keys = [str(k) for k in item.nested_key] or [str(item.key)]
    node = tree
    for key in keys[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            if remove:
                return
            child = node[key] = {}
        node = child
    if remove:
        node.pop(keys[-1], None)
        return
    value = json.loads(item.value_json)
    old = node.get(keys[-1])
    # wandb merges a dict into the dict it updates (it never removes by an update).
    node[keys[-1]] = _merge(old, value) if isinstance(old, dict) else value


def _merge(old: dict[str, Any], new: Any) -> Any:
    if not isinstance(new, dict):
        return new
    merged = dict(old)
    for key, value in new.items():
        merged[key] = _merge(merged[key], value) if isinstance(merged.get(key), dict) else value
    return merged


def _read_log(path: Path, *, until_run: bool) -> dict[str, Any]:
    """What a run's ``.wandb`` log says; with ``until_run``, only its run record (names)."""
    pb = _wandb_proto()
    config: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    found: dict[str, Any] = {}
    records = _log_records(path)
    for body in records:
        record = pb.Record()
        try:
            record.ParseFromString(body)
        except Exception as e:  # protobuf's DecodeError: a torn last record
            raise WandbImportError(f"{path.name}: a record cannot be read ({e})") from e
        kind = record.WhichOneof("record_type")
        if kind == "run":
            found.update(_run_record(record.run))
            if until_run:
                records.close()  # the file too, now
                return found
            for item in record.run.config.update:
                _set_path(config, item)
            for item in record.run.summary.update:
                _set_path(summary, item)
        elif kind in ("config", "summary"):
            tree = config if kind == "config" else summary
            section = getattr(record, kind)
            for item in section.update:
                _set_path(tree, item)
            for item in section.remove:
                _set_path(tree, item, remove=True)
        elif kind == "environment":
            from google.protobuf.json_format import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
                MessageToDict,
            )

            env = MessageToDict(record.environment)
            found.update({k: v for k, v in _metadata_fields(env).items() if k not in found})
        elif kind == "exit":
            found["exit_code"] = int(record.exit.exit_code)
    if until_run:
        return found
    config.pop("_wandb", None)
    found["config"] = _plain(config, path.name)
    found["descs"] = {}
    found["origin"] = f"wandb {path.name}"
    found.update(_summary_fields(summary, found.get("created_at")))
    code = found.get("exit_code")
    found["state"] = "crashed" if code is None else "finished" if code == 0 else "failed"
    return found


def _run_record(run: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": run.run_id,
        "name": run.display_name,
        "project": run.project,
        "group": run.run_group,
        "job_type": run.job_type,
        "notes": run.notes,
        "tags": list(run.tags),
        "host": run.host,
    }
    if run.HasField("start_time"):
        seconds = run.start_time.seconds + run.start_time.nanos / 1e9
        out["created_at"] = _from_epoch(seconds)
    return {k: v for k, v in out.items() if v}
