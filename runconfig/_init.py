"""``init()``: start a run, as wandb's ``wandb.init`` does, with runconfig's store.

Where each setting comes from, first found wins: the argument to :func:`init`; the
``settings=`` given to it (wandb's ``Settings`` or a dict); runconfig's environment
variable; wandb's (``RUNCONFIG_PROJECT``, then ``WANDB_PROJECT``...). See :data:`ENV`.
"""

from __future__ import annotations

import getpass
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from runconfig._places import files_root
from runconfig._run import Run, _now
from runconfig._state import _state
from runconfig._term import termwarn
from runconfig.config import Config, _plain
from runconfig.errors import ConfigValueError, StoreError, UsageError, UsageTypeError, did_you_mean
from runconfig.store import RunData, RunStore, _pool, open_store, resolve_location
from runconfig.store._common import process_start_token
from runconfig.store._resilient import ResilientStore

if TYPE_CHECKING:
    from runconfig.sweeps._context import Trial

__all__ = ["ENV", "init"]

# Each setting's environment variables: runconfig's name wins over wandb's.
ENV: dict[str, tuple[str, str]] = {
    "project": ("RUNCONFIG_PROJECT", "WANDB_PROJECT"),
    "entity": ("RUNCONFIG_ENTITY", "WANDB_ENTITY"),
    "name": ("RUNCONFIG_NAME", "WANDB_NAME"),
    "notes": ("RUNCONFIG_NOTES", "WANDB_NOTES"),
    "tags": ("RUNCONFIG_TAGS", "WANDB_TAGS"),
    "group": ("RUNCONFIG_RUN_GROUP", "WANDB_RUN_GROUP"),
    "job_type": ("RUNCONFIG_JOB_TYPE", "WANDB_JOB_TYPE"),
    "id": ("RUNCONFIG_RUN_ID", "WANDB_RUN_ID"),
    "resume": ("RUNCONFIG_RESUME", "WANDB_RESUME"),
    "mode": ("RUNCONFIG_MODE", "WANDB_MODE"),
    "dir": ("RUNCONFIG_DIR", "WANDB_DIR"),
    "config_paths": ("RUNCONFIG_CONFIG_PATHS", "WANDB_CONFIG_PATHS"),
}

# wandb's Settings fields that stand for an init() argument.
_SETTINGS = {
    "project": "project",
    "entity": "entity",
    "run_name": "name",
    "run_notes": "notes",
    "run_tags": "tags",
    "run_group": "group",
    "run_job_type": "job_type",
    "run_id": "id",
    "resume": "resume",
    "mode": "mode",
    "root_dir": "dir",
    "sync_tensorboard": "sync_tensorboard",
    "config_paths": "config_paths",
}

# The keywords wandb.init() takes (0.31 and older releases) beside runconfig's own.
WANDB_KEYWORDS = frozenset(
    {
        "entity",
        "project",
        "dir",
        "id",
        "name",
        "notes",
        "tags",
        "config",
        "config_exclude_keys",
        "config_include_keys",
        "allow_val_change",
        "group",
        "job_type",
        "mode",
        "force",
        "reinit",
        "resume",
        "resume_from",
        "fork_from",
        "save_code",
        "tensorboard",
        "sync_tensorboard",
        "monitor_gym",
        "settings",
        "anonymous",
        "magic",
    }
)
_MODES = ("online", "offline", "disabled", "dryrun", "run", "shared")
_RESUME = ("allow", "must", "never", "auto", "takeover")


_ADJECTIVES = (
    "amber azure bold brave brisk calm clever cosmic crisp daring eager fair fancy gentle "
    "glad golden grand happy hardy jolly keen kind lively lucid lunar merry mighty misty "
    "noble polar proud quick quiet rapid royal rustic sharp shy silent sleek smooth solar "
    "spry stellar stoic sunny swift tidy vivid warm wild wise witty young zesty"
).split()
_NOUNS = (
    "badger bison crane dingo eagle falcon ferret finch fox gecko gibbon heron ibis jackal "
    "koala lemur lynx magpie marten mink moose newt ocelot orca osprey otter owl panda "
    "pelican puffin quail raven robin salmon seal shrew skunk sparrow stoat swan tapir "
    "tern tiger toucan trout turtle viper walrus weasel wombat wren yak zebra"
).split()


def _git_commit(start: str) -> tuple[str | None, str | None]:
    """``(commit sha, repo root)`` read from ``.git`` without running git."""
    path = os.path.abspath(start)
    while True:
        git = os.path.join(path, ".git")
        if os.path.isdir(git):
            break
        parent = os.path.dirname(path)
        if parent == path:
            return None, None
        path = parent
    try:
        with open(os.path.join(git, "HEAD"), encoding="utf-8") as f:
            head = f.read().strip()
        if not head.startswith("ref: "):
            return head or None, path
        ref = head[5:]
        ref_file = os.path.join(git, ref)
        if os.path.exists(ref_file):
            with open(ref_file, encoding="utf-8") as f:
                return f.read().strip() or None, path
        packed = os.path.join(git, "packed-refs")
        if os.path.exists(packed):
            with open(packed, encoding="utf-8") as f:
                for line in f:
                    parts = line.split()
                    if len(parts) == 2 and parts[1] == ref:
                        return parts[0], path
    except OSError:
        pass
    return None, path


def _script_dir() -> str | None:
    main = sys.modules.get("__main__")
    file = getattr(main, "__file__", None)
    return os.path.dirname(os.path.abspath(file)) if file else None


def _user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:
        return None


def _random_below(n: int) -> int:
    # os.urandom rather than the secrets module: its import costs init() milliseconds.
    return int.from_bytes(os.urandom(8), "big") % n


def _new_id() -> str:
    """8 characters of [a-z0-9]: 2.8e12 ids, URL-safe."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[_random_below(36)] for _ in range(8))


def _new_name() -> str:
    adjective, noun = (
        _ADJECTIVES[_random_below(len(_ADJECTIVES))],
        _NOUNS[_random_below(len(_NOUNS))],
    )
    return f"{adjective}-{noun}-{_random_below(99) + 1}"


def _hostname() -> str:
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


def _sweep_params() -> dict[str, Any] | str | None:
    """The sweep's values: a JSON object in RUNCONFIG_SWEEP_PARAMS, or wandb's file."""
    raw = os.environ.get("RUNCONFIG_SWEEP_PARAMS")
    if raw:
        import json

        try:
            params = json.loads(raw)
        except json.JSONDecodeError as e:
            raise ConfigValueError(
                f"RUNCONFIG_SWEEP_PARAMS is not valid JSON ({e.msg} at column {e.colno})"
            ) from None
        if not isinstance(params, dict):
            raise ConfigValueError("RUNCONFIG_SWEEP_PARAMS must be a JSON object")
        return params
    return os.environ.get("WANDB_SWEEP_PARAM_PATH") or None


def _trial_of_process() -> Trial | None:
    # A process with no agent in it (the context module unloaded) and no trial in its
    # environment imports nothing of the sweeps: init() is on every run's start.
    if "runconfig.sweeps._context" not in sys.modules and not (
        os.environ.get("RUNCONFIG_SWEEP_ID") or os.environ.get("WANDB_SWEEP_ID")
    ):
        return None
    from runconfig.sweeps._context import of_process

    return of_process()


def _filter_keys(
    values: dict[str, Any], include: Sequence[str] | None, exclude: Sequence[str] | None
) -> dict[str, Any]:
    if include is not None and exclude is not None:
        raise UsageError("pass config_include_keys or config_exclude_keys, not both")
    if include is not None:
        return {k: v for k, v in values.items() if k in include}
    if exclude is not None:
        return {k: v for k, v in values.items() if k not in exclude}
    return values


def init(
    project: str | None = None,
    name: str | None = None,
    config: Any = None,
    *,
    store: str | os.PathLike[str] | None = None,
    entity: str | None = None,
    dir: str | os.PathLike[str] | None = None,
    id: str | None = None,
    notes: str | None = None,
    tags: Sequence[str] | None = None,
    group: str | None = None,
    job_type: str | None = None,
    resume: bool | str | None = None,
    allow_val_change: bool | None = None,
    config_exclude_keys: Sequence[str] | None = None,
    config_include_keys: Sequence[str] | None = None,
    mode: str | None = None,
    reinit: bool | str | None = None,
    settings: Any = None,
    sync_tensorboard: bool | None = None,
    tensorboard: bool | None = None,
    save_code: bool | None = None,
    resume_from: str | None = None,
    fork_from: str | None = None,
    monitor_gym: bool | None = None,
    force: bool | None = None,
    anonymous: Any = None,
    magic: Any = None,
    **unknown: Any,
) -> Run:
    """Start a run: build its config, store it, and make it ``runconfig.run``.

    Config sources, lowest to highest: ``config-defaults.yaml`` (the script's directory,
    then the working directory, which wins key by key), values set on ``runconfig.config``
    before ``init``, ``config`` (a dict, a YAML/JSON path, argparse/absl/TF flags, a
    dataclass...), the files of ``RUNCONFIG_CONFIG_PATHS`` / ``WANDB_CONFIG_PATHS``
    (comma-separated, as in wandb), then a sweep's values (``RUNCONFIG_SWEEP_PARAMS``,
    JSON, or wandb's ``WANDB_SWEEP_PARAM_PATH``), which are locked. Nested dicts merge.

    The store is ``store``, ``RUNCONFIG_STORE``, the nearest ``.runconfig/runs.db``
    walking up from the working directory, else one created there. ``dir`` (or
    ``WANDB_DIR``) only says where the run's files go (:attr:`Run.dir`), as in wandb.

    ``id`` with ``resume``: ``"allow"`` (or ``True``/``"auto"``) continues the stored run
    with that id if there is one, ``"must"`` requires it, ``"never"`` refuses it.
    ``"auto"`` without an id continues this program's last crashed run in the store.

    A second ``init()`` while a run is active finishes that run and starts a new one
    (``reinit="return_previous"`` returns the active run instead; ``"create_new"`` starts
    an independent run and leaves ``runconfig.run`` as it is).

    Every keyword of ``wandb.init`` is accepted: ``entity`` and ``settings`` are recorded,
    ``sync_tensorboard=True`` logs the scalars of TensorBoard writers into the run,
    ``save_code=True`` keeps a copy of the script; ``force``, ``anonymous``, ``magic``,
    ``monitor_gym`` have no meaning without a server. A misspelled keyword is a
    ``TypeError``.
    """
    if unknown:
        word = next(iter(unknown))
        raise UsageTypeError(
            f"init() got an unexpected keyword argument {word!r}"
            f"{did_you_mean(word, [*WANDB_KEYWORDS, 'store'])}"
        )
    frame = sys._getframe(1)
    given = _settings_of(settings)
    project = _pick("project", project, given)
    entity = _pick("entity", entity, given)
    name = _pick("name", name, given)
    notes = _pick("notes", notes, given)
    group = _pick("group", group, given)
    job_type = _pick("job_type", job_type, given)
    id = _pick("id", id, given)
    mode = _pick("mode", mode, given)
    resume = _pick("resume", resume, given)
    dir = _pick("dir", dir, given)
    tags = _pick_tags(tags, given)
    if sync_tensorboard is None:
        sync_tensorboard = tensorboard if tensorboard is not None else given.get("sync_tensorboard")
    if mode is not None and mode not in _MODES:
        raise UsageError(f"init(mode={mode!r}): the modes are {', '.join(_MODES)}")
    if isinstance(resume, str) and resume not in _RESUME:
        raise UsageError(
            f"init(resume={resume!r}): resume is one of {', '.join(_RESUME)}, or a bool"
        )

    for _ in range(3):  # a process that created the same id meanwhile: look again
        try:
            return _start(
                frame, project, name, config, store, entity, dir, id, notes, tags, group,
                job_type, resume, allow_val_change, config_exclude_keys, config_include_keys,
                mode, reinit, given, sync_tensorboard, save_code, resume_from, fork_from,
                monitor_gym,
            )  # fmt: skip
        except _CreatedMeanwhile:
            continue
    raise StoreError(f"run {id!r} was created and deleted again while init() looked at it")


def _start(
    frame: Any,
    project: str | None,
    name: str | None,
    config: Any,
    store: str | os.PathLike[str] | None,
    entity: str | None,
    dir: str | os.PathLike[str] | None,
    id: str | None,
    notes: str | None,
    tags: list[str],
    group: str | None,
    job_type: str | None,
    resume: bool | str | None,
    allow_val_change: bool | None,
    config_exclude_keys: Sequence[str] | None,
    config_include_keys: Sequence[str] | None,
    mode: str | None,
    reinit: bool | str | None,
    given: dict[str, Any],
    sync_tensorboard: Any,
    save_code: bool | None,
    resume_from: str | None,
    fork_from: str | None,
    monitor_gym: bool | None,
) -> Run:
    """What :func:`init` does once its arguments are read."""
    active = _state.run
    if active is not None and not active._finished:
        if reinit in ("return_previous", False):
            return active
        if reinit != "create_new":
            active.finish()
    becomes_global = not (reinit == "create_new" and _state.run is not None)

    disabled = mode == "disabled"
    trial = _trial_of_process()
    if trial is not None:  # a sweep's trial: its project and run id, as in wandb
        if project is not None and trial.project is not None and project != trial.project:
            termwarn(
                f"init(project={project!r}) is ignored: the run is a trial of sweep "
                f"{trial.sweep}, whose runs go to project {trial.project!r}",
                repeat=False,
            )
        project = trial.project or project
        if trial.store is not None:
            store = trial.store
        if trial.used and id == trial.run_id:
            id = None
        elif not trial.used and trial.run_id:
            id, resume = trial.run_id, None
        trial.used = True
    project = project or "uncategorized"
    cwd = os.getcwd()

    cfg = _state.config if becomes_global else Config()
    cfg._set_callback(None)
    if allow_val_change:
        cfg._set_allow_val_change(True)

    run_store: RunStore | None = None
    resumed: RunData | None = None
    commit, repo = _git_commit(cwd)
    before = cfg.copy()
    paths = _config_paths(given)
    meta = _meta(given, resume_from, fork_from, monitor_gym)
    try:
        location = resolve_location(store)
        if not disabled:
            run_store = _open_for_writing(location)
            resumed = _to_resume(run_store, id, resume)
        if disabled:  # nothing of a disabled run is kept: its folder is a temporary one,
            import tempfile  # removed when it finishes

            files = tempfile.mkdtemp(prefix="runconfig-disabled-")
        else:
            files = files_root(run_store.location if run_store is not None else None, dir)
        if resumed is not None:
            # The stored config comes back first; everything below is applied to it as
            # ordinary changes (stored with their origins), so equal values are no-ops. As
            # in wandb, the sources may change stored values: a restarted job may bring a
            # new --epochs. The stored run says it is running once all that succeeded.
            pending = _carry(cfg.as_dict(), cfg.origins())
            cfg._load_plain(resumed.config, resumed.origins, resumed.descs)
            run = Run(
                resumed, cfg, run_store, files=files, resumed=True, mode=mode, location=location
            )
            run.summary._load(resumed.summary)
            _redefine(run, resumed.meta.get("metrics", ()))
            run.summary._replay(resumed.history or ())
            run._step = run._starting_step = 1 + max(
                (row["_step"] for row in resumed.history or ()), default=-1
            )
            cfg._merge((), pending, {}, True, "runconfig.config", frame)
            _populate(
                cfg, config, frame, True, config_include_keys, config_exclude_keys, paths, trial
            )
            if run_store is not None:
                _resume_row(run_store, resumed)
        else:
            _populate(
                cfg, config, frame, True, config_include_keys, config_exclude_keys, paths, trial
            )
            now = _now()
            data = RunData(
                id=id or _new_id(),
                name=name or _new_name(),
                project=project,
                entity=entity,
                sweep=trial.sweep if trial is not None else None,
                group=group,
                job_type=job_type,
                tags=tags,
                notes=notes,
                state="running",
                created_at=now,
                updated_at=now,
                heartbeat_at=now,
                config={k: _plain(v) for k, v in dict.items(cfg)},
                origins=cfg.origins(),
                descs=cfg.descs(),
                git_commit=commit,
                meta=meta,
                **_process_fields(cwd),
            )
            if run_store is not None:
                data = _create(run_store, data, resume)
            run = Run(data, cfg, run_store, files=files, mode=mode, location=location)
    except BaseException:
        # Leave no half-made run: the pending config as it was, the store closed.
        cfg._set_callback(None)
        cfg._load_plain(
            {k: _plain(v) for k, v in dict.items(before)}, before.origins(), before.descs()
        )
        cfg._locks.clear()
        cfg._locks.update(before._locks)
        if run_store is not None:
            run_store.close()
        raise
    if run_store is not None and run._data.rid is not None:
        run_store.own(run._data.rid, _hostname(), os.getpid())
    if isinstance(run_store, ResilientStore):
        run_store.bind(run.id)
    run._trial = trial
    if becomes_global:
        _state.run = run
        _state.config = cfg
    _state.runs.append(run)
    _state.hook()
    run._start_background()
    if repo is not None and run_store is not None:
        run._record_git(repo)
    if sync_tensorboard:
        _sync_tensorboard(run)
    if save_code and not disabled:
        _save_script(run)
    return run


def _open_for_writing(location: str) -> RunStore:
    """The store a run writes to: a PostgreSQL one outlives a blip of its server (see
    :mod:`runconfig.store._resilient`), and the writes that runs of this machine could not
    send before they ended are sent, in the background."""
    kept = _pool.take(location)
    store = kept or open_store(location)
    if store.dialect != "postgresql":
        return store
    from runconfig.store._journal import journal_files
    from runconfig.store._resilient import ResilientStore

    if journal_files(store.location):
        threading.Thread(
            target=_send_kept, args=(location,), name="runconfig-sync", daemon=True
        ).start()
    return ResilientStore(
        store,
        lambda: open_store(location, create=False),
        release=lambda inner: _pool.release(location, inner),
    )


def _send_kept(location: str) -> None:
    from runconfig.store._resilient import sync_journals

    try:
        store = open_store(location, create=False)
        try:
            sync_journals(store)
        finally:
            store.close()
    except Exception as e:  # the next run, or `runconfig sync`, tries again
        termwarn(f"could not send the writes kept for {location}: {e}", repeat=False)


def _env(setting: str) -> str | None:
    for var in ENV[setting]:
        value = os.environ.get(var)
        if value:
            return value
    return None


def _pick(setting: str, argument: Any, given: Mapping[str, Any]) -> Any:
    """The argument, else what ``settings=`` says, else the environment."""
    if argument is not None:
        return argument
    if given.get(setting) is not None:
        return given[setting]
    value: Any = _env(setting)
    if setting == "resume" and value is not None:
        low = value.lower()
        value = True if low in ("true", "1") else None if low in ("false", "0") else low
    return value


def _pick_tags(tags: Sequence[str] | None, given: Mapping[str, Any]) -> list[str]:
    if tags is None:
        tags = given.get("tags")
    if tags is None:
        text = _env("tags")
        tags = [t.strip() for t in text.split(",") if t.strip()] if text else []
    if isinstance(tags, str):
        raise UsageTypeError(f"init(tags=...) takes a list of tags, got the string {tags!r}")
    return [str(t) for t in tags]


def _settings_of(settings: Any) -> dict[str, Any]:
    """The init() arguments that wandb's ``settings=`` (a Settings or a dict) stands for."""
    if settings is None:
        return {}
    values = settings.to_dict() if hasattr(settings, "to_dict") else settings
    if not isinstance(values, Mapping):
        raise UsageTypeError(
            f"init(settings=...) takes runconfig.Settings or a dict, got {type(settings).__name__}"
        )
    out = {_SETTINGS[k]: v for k, v in values.items() if k in _SETTINGS and v is not None}
    out["_all"] = {str(k): v for k, v in values.items() if _is_plain(v)}
    return out


def _is_plain(value: Any) -> bool:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    return False


def _meta(
    given: Mapping[str, Any], resume_from: str | None, fork_from: str | None, gym: bool | None
) -> dict[str, Any]:
    """What the run records of wandb's arguments that have no column."""
    meta: dict[str, Any] = {}
    if given.get("_all"):
        meta["settings"] = {
            k: list(v) if isinstance(v, tuple) else v for k, v in given["_all"].items()
        }
    if resume_from:
        meta["resume_from"] = resume_from
    if fork_from:
        meta["fork_from"] = fork_from
    if gym:
        meta["monitor_gym"] = True
    return meta


def _config_paths(given: Mapping[str, Any]) -> list[str]:
    paths = given.get("config_paths")
    if paths is None:
        text = _env("config_paths")
        paths = [p.strip() for p in text.split(",") if p.strip()] if text else []
    if isinstance(paths, str):
        paths = [paths]
    return [os.fspath(p) for p in paths]


class _CreatedMeanwhile(Exception):
    """Another process made the run with this id between our look and our insert."""


def _create(store: RunStore, data: RunData, resume: bool | str | None) -> RunData:
    try:
        return store.create_run(data)
    except StoreError as e:
        if resume in (None, False, "never") or "is already in" not in str(e):
            raise
        raise _CreatedMeanwhile from e


def _to_resume(store: RunStore, id: str | None, resume: bool | str | None) -> RunData | None:
    """The stored run ``init`` continues, or None for a new run."""
    if resume in (None, False):
        return None
    if id is None:
        if resume in (True, "auto"):
            return _last_crashed(store)
        if resume == "must":
            raise UsageError("init(resume='must') needs the id of the run to resume (id=...)")
        return None
    found = store.get_run(id)  # with its history, which a resumed run continues
    if found is not None and found.id != id:
        found = None  # get_run also finds names; resuming goes by id
    if resume == "never":
        if found is not None:
            raise UsageError(
                f"run {id!r} already exists in {store.location} and resume='never' does not "
                "continue it: pass resume='allow' to continue it, or another id"
            )
        return None
    if found is None and resume == "must":
        raise UsageError(f"resume='must' but no run has the id {id!r} in {store.location}")
    if found is not None and found.state == "running" and resume != "takeover":
        # Readers mark a run whose writer is gone crashed: "running" is a live writer.
        raise StoreError(
            f"run {id!r} is being written by pid {found.pid} on {found.host} (its last "
            f"heartbeat: {found.heartbeat_at}); one process writes a run: resume it once that "
            "one has ended, or pass resume='takeover' to take it over"
        )
    return found


def _last_crashed(store: RunStore) -> RunData | None:
    """This program's newest run in the store, if it crashed (wandb's ``resume="auto"``)."""
    from runconfig.query import compile_query, parse_query
    from runconfig.store import OrderKey

    program = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if program is None:
        return None
    where = compile_query(parse_query(f"run.program == {_quote(program)}"), store.dialect)
    found = store.find_runs(where=where, order=[OrderKey("r", "created_at", True)], limit=1)
    if found and found[0].state == "crashed":
        return store.get_run(found[0].id)
    return None


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _process_fields(cwd: str) -> dict[str, Any]:
    return {
        "host": _hostname(),
        "user": _user(),
        "pid": os.getpid(),
        "pid_started": process_start_token(os.getpid()),
        "python": "{}.{}.{}".format(*sys.version_info[:3]),
        "program": os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else None,
        "argv": list(sys.argv),
        "cwd": cwd,
    }


def _populate(
    cfg: Config,
    config: Any,
    frame: Any,
    allow: bool | None,
    include: Sequence[str] | None,
    exclude: Sequence[str] | None,
    paths: Sequence[str] = (),
    trial: Trial | None = None,
) -> None:
    """Merge the init-time sources into ``cfg``, lowest priority first."""
    from runconfig.sources import find_defaults_files, read_file, read_source

    # Defaults only fill keys that are absent, so the file that wins key by key, the
    # working directory's, goes first.
    for path in reversed(find_defaults_files(_script_dir())):
        cfg._merge((), read_file(path), {}, True, "config-defaults.yaml", frame, defaults=True)
    if config is not None:
        source = read_source(config, "init", frame=frame)
        source.values = _filter_keys(source.values, include, exclude)
        cfg._merge((), source, {}, allow, "init", frame)
    for path in paths:
        cfg._merge((), read_file(path), {}, True, os.path.basename(path), frame)
    note = f"sweep {trial.sweep}" if trial is not None else None
    sweep = trial.params if trial is not None and trial.params is not None else _sweep_params()
    if isinstance(sweep, str):
        cfg.update_locked(read_file(sweep), user="sweep", note=note)
    elif sweep is not None:
        cfg.update_locked(sweep, user="sweep", note=note)


def _carry(values: dict[str, Any], origins: dict[str, str]) -> Any:
    from runconfig._paths import parse_path
    from runconfig.sources import Source

    return Source(values, "runconfig.config", {parse_path(k): v for k, v in origins.items()})


def _resume_row(store: RunStore, old: RunData) -> RunData:
    assert old.rid is not None
    fields = _process_fields(os.getcwd())
    fields.pop("cwd")
    store.update_run(
        old.rid,
        state="running",
        finished_at=None,
        exit_code=None,
        error_type=None,
        error_message=None,
        heartbeat_at=_now(),
        **fields,
    )
    old.state = "running"
    return old


def _redefine(run: Run, records: Sequence[Mapping[str, Any]]) -> None:
    """A resumed run's metric definitions, as its last process made them."""
    from runconfig._summary import make_metric

    for r in records:
        summary = r.get("summary")
        metric = make_metric(
            r.get("name"),
            r.get("step_metric"),
            r.get("step_sync"),
            r.get("hidden"),
            ",".join(summary) if summary else None,
            r.get("goal"),
        )
        run.summary._define(metric, True)


def _sync_tensorboard(run: Run) -> None:
    try:
        from runconfig.integrations.tensorboard import TensorBoardSync
    except ImportError as e:
        raise UsageError(
            f"init(sync_tensorboard=True) reads TensorBoard's event files with the "
            f"tensorboard package ({e}): pip install 'runconfig[tensorboard]'"
        ) from None
    sync = TensorBoardSync(run)
    sync.start()
    run._syncs_tensorboard = True
    run._on_finish.append(sync.stop)


def _save_script(run: Run) -> None:
    """``save_code=True``: a copy of the main script in the run's folder."""
    from runconfig._code import copy_files

    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None)
    if not script or not os.path.isfile(script):
        termwarn("save_code=True, but there is no script file to save (an interactive session?)")
        return
    copied = copy_files(
        [os.path.abspath(script)],
        os.path.dirname(os.path.abspath(script)),
        os.path.join(run.dir, "code"),
    )
    run._set_meta("code", {"name": f"source-{run.project}", "files": copied})
