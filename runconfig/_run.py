"""Runs: ``init()``, ``finish()`` and the :class:`Run` that ties a Config to a store.

A run's config is written to the store as it changes, one transaction per operation,
committed before the setter returns. The run also records its metadata (argv, host, git
commit...), its summary and history (``run.log``), and its end: ``finished``, ``failed``
(an uncaught exception, kept with its type and message) or, when the process dies,
``crashed`` (told by readers from the pid or from a stale heartbeat).
"""

from __future__ import annotations

import atexit
import getpass
import os
import sys
import threading
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from datetime import datetime, timezone
from types import TracebackType
from typing import Any, NoReturn

from runconfig._entries import REMOVED, Change
from runconfig.config import Config, _plain
from runconfig.errors import ConfigValueError, UsageError
from runconfig.store import RunData, RunStore, open_store, resolve_location
from runconfig.store._common import process_start_token
from runconfig.values import sanitize

__all__ = ["Run", "Summary", "finish", "init", "log"]

HEARTBEAT_SECONDS = 15.0

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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class Summary(MutableMapping[str, Any]):
    """A run's outputs: the last logged value of each metric, unless set explicitly.

    ``run.summary["best_acc"] = 0.93`` sets a value that later ``log()`` calls of the same
    key no longer overwrite. Every change is stored before the call returns.
    """

    def __init__(self, run: Run) -> None:
        self._run = run
        self._data: dict[str, Any] = {}
        self._explicit: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        value = sanitize(value, f"summary.{key}")
        self._run._write_summary([Change((key,), value)])
        self._data[key] = value
        self._explicit.add(key)

    def __delitem__(self, key: str) -> None:
        if key not in self._data:
            raise KeyError(key)
        self._run._write_summary([Change((key,), REMOVED)])
        del self._data[key]
        self._explicit.discard(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return repr(self._data)

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        """Set several values in one transaction."""
        values = {**dict(other), **kwargs}
        clean = {k: sanitize(v, f"summary.{k}") for k, v in values.items()}
        self._run._write_summary([Change((k,), v) for k, v in clean.items()])
        self._data.update(clean)
        self._explicit.update(clean)

    def _from_log(self, row: Mapping[str, Any]) -> list[Change]:
        """The summary changes a logged row makes (keys set explicitly keep their value)."""
        return [Change((k,), v) for k, v in row.items() if k not in self._explicit]

    def _apply(self, changes: list[Change]) -> None:
        for ch in changes:
            self._data[ch.path[0]] = ch.value


class Run:
    """One execution of a script: its config, summary, history and metadata.

    Made by :func:`init`. Use it as a context manager to finish it on exit (``failed``
    if an exception escapes)::

        with runconfig.init(project="mnist", config={"lr": 1e-3}) as run:
            run.log({"loss": 0.3})
    """

    def __init__(self, data: RunData, config: Config, store: RunStore | None) -> None:
        self._data = data
        self.config = config
        self.summary = Summary(self)
        self._store = store
        self._step = 0
        self._finished = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        config._set_callback(self._write_config, self._write_new_keys)

    # -- identity -----------------------------------------------------------------------
    @property
    def id(self) -> str:
        """Short, unique, URL-safe id."""
        return self._data.id

    @property
    def name(self) -> str:
        """Readable name, unique within the project."""
        return self._data.name

    @property
    def project(self) -> str:
        return self._data.project

    @property
    def group(self) -> str | None:
        return self._data.group

    @property
    def job_type(self) -> str | None:
        return self._data.job_type

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self._data.tags)

    @property
    def notes(self) -> str | None:
        return self._data.notes

    @property
    def state(self) -> str:
        """``running``, ``finished`` or ``failed``."""
        return self._data.state

    @property
    def store(self) -> str | None:
        """Where the run is stored (None in disabled mode)."""
        return self._store.location if self._store is not None else None

    @property
    def disabled(self) -> bool:
        return self._store is None

    def __repr__(self) -> str:
        return f"<Run {self.name} ({self.id}) project={self.project!r} state={self.state}>"

    # -- writes ---------------------------------------------------------------------------
    def _check_live(self) -> None:
        if self._finished:
            raise UsageError(
                f"run {self.name} ({self.id}) is finished; its config and summary are "
                "read-only now. Start a new run with runconfig.init()"
            )

    def _write_config(self, changes: list[Change]) -> None:
        # The hot path of every config write: the store holds its own lock.
        if self._finished:
            self._check_live()
        if self._store is not None and self._data.rid is not None:
            self._store.write_changes(self._data.rid, "c", changes)

    def _write_new_keys(self, keys: list[str], values: list[Any], origin: str) -> None:
        # The many-keys update(): the config's new top-level atoms, with no Change each.
        if self._finished:
            self._check_live()
        if self._store is not None and self._data.rid is not None:
            self._store.write_new_keys(self._data.rid, "c", keys, values, origin)

    def _write_summary(self, changes: list[Change]) -> None:
        self._check_live()
        if self._store is not None and self._data.rid is not None:
            self._store.write_changes(self._data.rid, "s", changes)

    def log(self, data: Mapping[str, Any], step: int | None = None, commit: Any = None) -> None:
        """Append a row of metrics to the history; the summary keeps the last values."""
        self._check_live()
        if not isinstance(data, Mapping):
            raise ConfigValueError(f"run.log() takes a dict of metrics, got {type(data).__name__}")
        if step is not None:
            if step < self._step - 1:
                raise ConfigValueError(
                    f"run.log(step={step}) goes back in time: the last step was {self._step - 1}"
                )
            self._step = step
        row = {str(k): sanitize(v, f"summary.{k}") for k, v in data.items()}
        changes = self.summary._from_log(row)
        if self._store is not None and self._data.rid is not None:
            self._store.write_log(self._data.rid, self._step, row, changes)
        # Stored first, then shown: a refused write leaves the summary as it was.
        self.summary._apply(changes)
        self._step += 1

    # -- lifecycle --------------------------------------------------------------------------
    def finish(self, exit_code: int | None = None, *, _error: BaseException | None = None) -> None:
        """Mark the run ``finished`` (or ``failed`` with a non-zero exit code or an error)."""
        if self._finished:
            return
        self._stop.set()
        for t in self._threads:
            t.join(timeout=2.0)
        self._finished = True
        state = "finished"
        fields: dict[str, Any] = {"finished_at": _now()}
        if _error is not None:
            state = "failed"
            fields["error_type"] = type(_error).__name__
            fields["error_message"] = str(_error)
            exit_code = 1 if exit_code is None else exit_code
        elif exit_code:
            state = "failed"
        fields["exit_code"] = 0 if exit_code is None else exit_code
        fields["state"] = state
        self._data.state = state
        try:
            if self._store is not None and self._data.rid is not None:
                with self._lock:
                    self._store.update_run(self._data.rid, **fields)
        finally:
            if self._store is not None:
                self._store.close()
            _state.forget(self)

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None and not isinstance(exc, (KeyboardInterrupt, SystemExit)):
            self.finish(_error=exc)
        elif isinstance(exc, SystemExit) and exc.code not in (None, 0):
            self.finish(exit_code=exc.code if isinstance(exc.code, int) else 1)
        else:
            self.finish()

    def _start_background(self) -> None:
        store, rid = self._store, self._data.rid
        if store is None or rid is None:
            return
        beat = threading.Thread(target=self._heartbeat, name="runconfig-heartbeat", daemon=True)
        beat.start()
        self._threads.append(beat)

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                with self._lock:
                    if self._store is not None and self._data.rid is not None:
                        self._store.heartbeat(self._data.rid)
            except Exception:  # a beat lost is not worth a crash of the training
                pass

    def _record_git(self, cwd: str) -> None:
        """Record whether the git tree is dirty, off the start-up path."""

        def work() -> None:
            import subprocess

            try:
                out = subprocess.run(
                    ["git", "status", "--porcelain", "--untracked-files=no"],
                    cwd=cwd,
                    capture_output=True,
                    text=True,
                    timeout=10,
                    check=False,
                )
            except (OSError, subprocess.SubprocessError):
                return
            if out.returncode != 0:
                return
            dirty = bool(out.stdout.strip())
            self._data.git_dirty = dirty
            with self._lock:
                if self._store is not None and self._data.rid is not None and not self._finished:
                    self._store.update_run(self._data.rid, git_dirty=dirty)

        t = threading.Thread(target=work, name="runconfig-git", daemon=True)
        t.start()
        self._threads.append(t)


# -- process-wide state -------------------------------------------------------------------


class _State:
    """The active run and the config that ``runconfig.config`` stands for."""

    def __init__(self) -> None:
        self.run: Run | None = None
        self.config: Config = Config()
        self.runs: list[Run] = []
        self.error: BaseException | None = None
        self.exit_code: int | None = None  # what sys.exit() was last called with
        self.hooked = False

    def forget(self, run: Run) -> None:
        if run in self.runs:
            self.runs.remove(run)
        if self.run is run:
            self.run = None
            self.config = Config()

    def hook(self) -> None:
        if self.hooked:
            return
        self.hooked = True
        previous = sys.excepthook

        def excepthook(
            kind: type[BaseException], exc: BaseException, tb: TracebackType | None
        ) -> None:
            self.error = exc
            previous(kind, exc, tb)

        sys.excepthook = excepthook
        # `sys.exit(main())` ends the script with a code that atexit cannot see: note it on
        # the way, as wandb does; in the main thread only (elsewhere it ends a thread).
        # Not under IPython, which catches SystemExit and goes on. A script that catches
        # the SystemExit of its own sys.exit() and goes on leaves the code noted.
        if "IPython" not in sys.modules:
            exit_ = sys.exit

            def recording_exit(status: str | int | None = None) -> NoReturn:
                if threading.current_thread() is threading.main_thread():
                    self.exit_code = _exit_status(status)
                exit_(status)

            sys.exit = recording_exit
        atexit.register(self.at_exit)

    def at_exit(self) -> None:
        for run in list(self.runs):
            try:
                run.finish(self.exit_code or None, _error=self.error)
            except Exception:
                import traceback

                traceback.print_exc()


def _exit_status(status: object) -> int:
    """The process's exit status for ``sys.exit(status)``."""
    if status is None:
        return 0
    if isinstance(status, int):
        return int(status)
    return 1  # a message (printed to stderr), or any other object


_state = _State()


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
    dir: str | os.PathLike[str] | None = None,
    store: str | os.PathLike[str] | None = None,
    tags: Sequence[str] | None = None,
    notes: str | None = None,
    group: str | None = None,
    job_type: str | None = None,
    id: str | None = None,
    resume: bool | str | None = None,
    allow_val_change: bool | None = None,
    config_exclude_keys: Sequence[str] | None = None,
    config_include_keys: Sequence[str] | None = None,
    mode: str | None = None,
    reinit: bool | str | None = None,
    **ignored_wandb_kwargs: Any,
) -> Run:
    """Start a run: build its config, store it, and make it ``runconfig.run``.

    Config sources, lowest to highest: ``config-defaults.yaml`` (the script's directory,
    then the working directory), values set on ``runconfig.config`` before ``init``,
    ``config`` (a dict, a YAML/JSON path, argparse/absl/TF flags, a dataclass...), then a
    sweep's values (``RUNCONFIG_SWEEP_PARAMS``, JSON), which are locked. Nested dicts merge.

    A second ``init()`` while a run is active finishes that run and starts a new one
    (``reinit="return_previous"`` returns the active run instead; ``"create_new"`` starts
    an independent run and leaves ``runconfig.run`` as it is).

    wandb-only arguments (``entity``, ``settings``, ``sync_tensorboard``...) are accepted
    and ignored, so ``import runconfig as wandb`` scripts run unchanged.
    """
    frame = sys._getframe(1)
    active = _state.run
    if active is not None and not active._finished:
        if reinit in ("return_previous", False):
            return active
        if reinit != "create_new":
            active.finish()
    becomes_global = not (reinit == "create_new" and _state.run is not None)

    mode = mode or os.environ.get("RUNCONFIG_MODE") or os.environ.get("WANDB_MODE")
    disabled = mode == "disabled"
    project = (
        project
        or os.environ.get("RUNCONFIG_PROJECT")
        or os.environ.get("WANDB_PROJECT")
        or "uncategorized"
    )
    cwd = os.getcwd()

    cfg = _state.config if becomes_global else Config()
    cfg._set_callback(None)
    if allow_val_change:
        cfg._set_allow_val_change(True)

    run_store: RunStore | None = None
    resumed: RunData | None = None
    commit, repo = _git_commit(cwd)
    before = cfg.copy()
    try:
        if not disabled:
            run_store = open_store(resolve_location(store, dir=dir))
            if id is not None and resume not in (None, False, "never"):
                resumed = run_store.get_run(id)
                if resumed is None and resume == "must":
                    where = run_store.location
                    raise UsageError(f"resume='must' but no run has the id {id!r} in {where}")
        if resumed is not None:
            # The stored config comes back first; everything below is applied to it as
            # ordinary changes (stored with their origins), so equal values are no-ops.
            pending = _carry(cfg.as_dict(), cfg.origins())
            cfg._load_plain(resumed.config, resumed.origins, resumed.descs)
            data = _resume_row(run_store, resumed) if run_store is not None else resumed
            run = Run(data, cfg, run_store)
            run.summary._data.update(resumed.summary)
            run._step = len(resumed.history or ())
            cfg._merge((), pending, {}, allow_val_change, "runconfig.config", frame)
            _populate(
                cfg, config, frame, allow_val_change, config_include_keys, config_exclude_keys
            )
        else:
            _populate(cfg, config, frame, True, config_include_keys, config_exclude_keys)
            now = _now()
            data = RunData(
                id=id or _new_id(),
                name=name or _new_name(),
                project=project,
                group=group,
                job_type=job_type,
                tags=list(tags or ()),
                notes=notes,
                state="running",
                created_at=now,
                updated_at=now,
                heartbeat_at=now,
                config={k: _plain(v) for k, v in dict.items(cfg)},
                origins=cfg.origins(),
                descs=cfg.descs(),
                git_commit=commit,
                **_process_fields(cwd),
            )
            if run_store is not None:
                data = run_store.create_run(data)
            run = Run(data, cfg, run_store)
    except BaseException:
        # Leave no half-made run: the pending config as it was, the store closed.
        cfg._load_plain(
            {k: _plain(v) for k, v in dict.items(before)}, before.origins(), before.descs()
        )
        cfg._locks.clear()
        cfg._locks.update(before._locks)
        if run_store is not None:
            run_store.close()
        raise
    if becomes_global:
        _state.run = run
        _state.config = cfg
    _state.runs.append(run)
    _state.hook()
    run._start_background()
    if repo is not None and run_store is not None:
        run._record_git(repo)
    return run


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
) -> None:
    """Merge the init-time sources into ``cfg``, lowest priority first."""
    from runconfig.sources import find_defaults_files, read_file, read_source

    for path in find_defaults_files(_script_dir()):
        cfg._merge((), read_file(path), {}, True, "config-defaults.yaml", frame, defaults=True)
    if config is not None:
        source = read_source(config, "init", frame=frame)
        source.values = _filter_keys(source.values, include, exclude)
        cfg._merge((), source, {}, allow, "init", frame)
    sweep = _sweep_params()
    if isinstance(sweep, str):
        cfg.update_locked(read_file(sweep), user="sweep")
    elif sweep is not None:
        cfg.update_locked(sweep, user="sweep")


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


def finish(exit_code: int | None = None) -> None:
    """Finish the active run (no-op without one)."""
    if _state.run is not None:
        _state.run.finish(exit_code)


def log(data: Mapping[str, Any], step: int | None = None, commit: Any = None) -> None:
    """``run.log`` on the active run."""
    if _state.run is None:
        raise UsageError("runconfig.log() needs a run: call runconfig.init() first")
    _state.run.log(data, step=step, commit=commit)
