"""The :class:`Run` that ties a Config to a store, and the module-level run functions.

A run's config is written to the store as it changes, one transaction per operation,
committed before the setter returns. The run also records its metadata (argv, host, git
commit...), its summary and history (``run.log``), and its end: ``finished``, ``failed``
(an uncaught exception, kept with its type and message) or, when the process dies,
``crashed`` (told by readers from the pid or from a stale heartbeat). :func:`init`, which
makes runs, is in :mod:`runconfig._init`.
"""

from __future__ import annotations

import operator
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Any

from runconfig._entries import Change
from runconfig._run_files import RunFiles
from runconfig._run_types import AlertLevel, ConfigStatic, RunStatus
from runconfig._state import _state
from runconfig._summary import Metric, Summary, leaves, make_metric, put_path
from runconfig._term import termlog, termwarn
from runconfig.config import Config
from runconfig.errors import StoreError, UsageError, UsageTypeError, UsageValueError
from runconfig.store import RunData, RunStore, _pool
from runconfig.values import sanitize

if TYPE_CHECKING:
    from runconfig._saved import SavedFiles
    from runconfig._watch import Watcher
    from runconfig.media._base import Media

__all__ = ["Run", "_state"]

HEARTBEAT_SECONDS = 15.0

# wandb's Run members that runconfig does not provide yet: reading one says so in a line
# (see docs/wandb.md) instead of a bare AttributeError.
_NOT_PROVIDED = frozenset({"display", "to_html", "settings", "sync_dir", "write_logs"})


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class Run(RunFiles):
    """One execution of a script: its config, summary, history and metadata.

    Made by :func:`~runconfig.init`. Use it as a context manager to finish it on exit
    (``failed`` if an exception escapes)::

        with runconfig.init(project="mnist", config={"lr": 1e-3}) as run:
            run.log({"loss": 0.3})
    """

    def __init__(
        self,
        data: RunData,
        config: Config,
        store: RunStore | None,
        *,
        files: str,
        resumed: bool = False,
        mode: str | None = None,
        location: str | None = None,
    ) -> None:
        self._data = data
        self.config = config
        self._log_lock = threading.RLock()  # the step and the pending row: a TensorBoard
        self._syncs_tensorboard = False  # sync logs from a thread of its own
        self.summary = Summary(self._write_summary, self._value, self._log_lock)
        self._store = store
        self._files = files
        self._location = location or (store.location if store is not None else None)
        self._resumed = resumed
        self._trial: Any = None  # the sweep trial it records (runconfig.sweeps._context)
        self._mode = mode or "online"
        self._step = 0
        self._starting_step = 0
        self._pending: dict[str, Any] | None = None  # a row logged with commit=False
        self._start_time = time.time()
        self._finished = False
        self._lock = threading.Lock()  # the store, between this thread and the heartbeat
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._on_finish: list[Callable[[], None]] = []
        self._alerts: dict[str, float] = {}
        self._saved: SavedFiles | None = None
        self._taken_over: str | None = None  # why this process may write the run no more
        self._watcher: Watcher | None = None
        config._set_callback(self._write_config, self._write_new_keys)

    # -- identity -------------------------------------------------------------------------
    @property
    def id(self) -> str:
        """Short, unique, URL-safe id."""
        return self._data.id

    @property
    def name(self) -> str:
        """Readable name, unique within the project; settable (stored at once)."""
        return self._data.name

    @name.setter
    def name(self, value: str) -> None:
        self._check_live("setting its name")
        value = str(value)
        if value == self._data.name:
            return
        if self._store is not None:
            taken = self._store.get_run(value, self._data.project, with_history=False)
            if taken is not None and taken.id != self.id:
                raise UsageError(
                    f"cannot rename run {self.id} to {value!r}: run {taken.id} of project "
                    f"{self._data.project!r} has that name"
                )
        self._set_field("name", value)

    @property
    def project(self) -> str:
        return self._data.project

    @property
    def entity(self) -> str:
        """wandb's entity, as given to ``init`` or ``WANDB_ENTITY`` (``""`` if none)."""
        return self._data.entity or ""

    @property
    def group(self) -> str:
        return self._data.group or ""

    @group.setter
    def group(self, value: str | None) -> None:
        self._set_field("group", None if value is None else str(value))

    @property
    def job_type(self) -> str:
        return self._data.job_type or ""

    @job_type.setter
    def job_type(self, value: str | None) -> None:
        self._set_field("job_type", None if value is None else str(value))

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self._data.tags)

    @tags.setter
    def tags(self, value: Sequence[str]) -> None:
        self._set_field("tags", [str(t) for t in tuple(value)])

    @property
    def notes(self) -> str | None:
        return self._data.notes

    @notes.setter
    def notes(self, value: str | None) -> None:
        self._set_field("notes", None if value is None else str(value))

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
        """True in disabled mode: nothing is stored."""
        return self._store is None

    @property
    def offline(self) -> bool:
        """True when started with ``mode="offline"`` (runconfig always records locally)."""
        return self._mode in ("offline", "dryrun")

    @property
    def path(self) -> str:
        """``entity/project/id`` (without an empty entity), as wandb writes a run's path;
        :meth:`Api.run <runconfig.Api.run>` takes it."""
        return "/".join(p for p in (self._data.entity, self._data.project, self.id) if p)

    @property
    def url(self) -> str | None:
        """The store and the run: ``sqlite:////abs/runs.db#<id>`` or
        ``postgresql://user@host/db#<id>`` (None in disabled mode);
        :meth:`Api.run <runconfig.Api.run>` takes it."""
        if self._store is None:
            return None
        location = self._store.location
        if "://" not in location:
            location = "sqlite:///" + os.path.abspath(location)
        return f"{location}#{self.id}"

    @property
    def project_url(self) -> None:
        """wandb's page of the project: runconfig has no server, so None."""
        return None

    @property
    def sweep_url(self) -> None:
        """wandb's page of the sweep: None."""
        return None

    @property
    def sweep_id(self) -> str | None:
        """The sweep this run is a trial of (``run.sweep`` in queries), else None."""
        return self._data.sweep

    @property
    def resumed(self) -> bool:
        """True when ``init`` resumed a stored run."""
        return self._resumed

    @property
    def step(self) -> int:
        """The step of the next :meth:`log` (a row logged with ``commit=False`` holds it)."""
        return self._step

    @property
    def starting_step(self) -> int:
        """The first step of this process: 0, or the next step of a resumed run."""
        return self._starting_step

    @property
    def start_time(self) -> float:
        """When this process started the run, in seconds since the epoch."""
        return self._start_time

    @property
    def dir(self) -> str:
        """The run's folder for files, created on first use: ``<files>/<run id>``, where
        ``<files>`` is ``RUNCONFIG_FILES``, else ``<dir>/.runconfig/files`` for
        ``init(dir=...)`` or ``WANDB_DIR``, else the store's folder's ``files``."""
        return self._folder(create=True)

    def _folder(self, create: bool = False) -> str:
        """The run's folder; with ``create``, made (and its place recorded in
        ``meta.dir``, for ``restore`` from another process) if it is not yet."""
        path = os.path.join(self._files, self.id)
        if create and not os.path.isdir(path):
            os.makedirs(path, exist_ok=True)
            if not self._finished and self._data.meta.get("dir") != path:
                self._set_meta("dir", path)
        return path

    @property
    def config_static(self) -> ConfigStatic:
        """A read-only snapshot of the config, with attribute access."""
        return ConfigStatic(self.config)

    def __repr__(self) -> str:
        return f"<Run {self.name} ({self.id}) project={self.project!r} state={self.state}>"

    def __getattr__(self, name: str) -> Any:
        if name in _NOT_PROVIDED:
            raise AttributeError(
                f"runconfig does not provide wandb's Run.{name}; see docs/wandb.md"
            )
        raise AttributeError(f"'Run' object has no attribute {name!r}")

    # -- writes ---------------------------------------------------------------------------
    def _check_live(self, action: str = "") -> None:
        if self._taken_over is not None:
            raise StoreError(self._taken_over)
        if self._finished:
            ignored = f"; {action} is ignored" if action else ""
            raise UsageError(
                f"run {self.name} ({self.id}) is finished{ignored}; its config and summary "
                "are read-only now. Start a new run with runconfig.init()"
            )

    def _set_field(self, field: str, value: Any) -> None:
        self._check_live(f"setting its {field}")
        if self._store is not None and self._data.rid is not None:
            with self._lock:
                self._store.update_run(self._data.rid, **{field: value})
        setattr(self._data, field, value)

    def _record_file(self, path: str, kind: str, size: int, sha256: str) -> None:
        """Record a file written in the run's folder (``path`` relative to :attr:`dir`)."""
        self._check_live(f"keeping the file {path!r}")
        if self._store is not None and self._data.rid is not None:
            with self._lock:
                self._store.record_file(self._data.rid, path, kind, size, sha256)

    def _set_meta(self, key: str, value: Any) -> None:
        meta = {**self._data.meta, key: value}
        self._set_field("meta", meta)

    def _write_config(self, changes: list[Change]) -> None:
        # The hot path of every config write: the store holds its own lock.
        if self._finished or self._taken_over is not None:
            self._check_live()
        if self._store is not None and self._data.rid is not None:
            self._store.write_changes(self._data.rid, "c", changes)

    def _write_new_keys(self, keys: list[str], values: list[Any], origin: str) -> None:
        # The many-keys update(): the config's new top-level atoms, with no Change each.
        if self._finished or self._taken_over is not None:
            self._check_live()
        if self._store is not None and self._data.rid is not None:
            self._store.write_new_keys(self._data.rid, "c", keys, values, origin)

    def _write_summary(self, changes: list[Change]) -> None:
        self._check_live()
        if self._store is not None and self._data.rid is not None and changes:
            self._store.write_changes(self._data.rid, "s", changes)

    # -- history ----------------------------------------------------------------------------
    def log(self, data: Mapping[str, Any], step: int | None = None, commit: Any = None) -> None:
        """Log a row of metrics to the history; the summary keeps each metric's last value
        (or what :meth:`define_metric` asks for).

        As in wandb: each call is a new row (a step), unless ``commit=False``, which adds to
        the current row until a call that commits it. ``step=N`` logs at step ``N``: a
        higher step commits the current row first, the current step adds to it (``step``
        makes ``commit`` default to False), and a lower one is dropped with a warning.
        Nested dicts are logged leaf by leaf (``{"val": {"acc": 1}}`` is ``val.acc``).
        The row is stored before the call returns, committed or not; the summary changes
        when the row is committed.
        """
        self._check_live("log()")
        if self._trial is not None and self._trial.stop.is_set():
            from runconfig.errors import TrialStopped

            raise TrialStopped(self._trial.reason or "the sweep's agent stopped this trial")
        if not isinstance(data, Mapping):
            raise UsageTypeError(f"run.log() takes a dict of metrics, got {type(data).__name__}")
        if step is not None and self._syncs_tensorboard:
            termwarn(
                "log(step=...) is ignored while TensorBoard is synced: its rows take the "
                "steps. Log the step as a metric instead (see define_metric)",
                repeat=False,
            )
            step = None
        with self._log_lock:
            self._log(data, step, commit)

    def _log(
        self, data: Mapping[str, Any], step: Any, commit: Any, store_pending: bool = True
    ) -> None:
        if step is not None:
            try:
                step = operator.index(step)
            except TypeError:
                raise UsageTypeError(
                    f"run.log(step=...) takes an integer, got {type(step).__name__}"
                ) from None
            if step < self._step:
                termwarn(
                    f"Tried to log to step {step} that is less than the current step "
                    f"{self._step}. Steps must be monotonically increasing, so this data "
                    "will be ignored."
                )
                return
            if step > self._step:
                self._commit_pending()
                self._step = step
            if commit is None:
                commit = False
        row = {str(k): self._value(v, str(k)) for k, v in data.items() if k != "_step"}
        if self._pending is not None:
            pending = self._pending
            for path, value in leaves(row):
                put_path(pending, path, value)
            row = pending
        if commit or commit is None:
            self._pending = None
            self._commit_row(row)
        else:
            if store_pending and self._store is not None and self._data.rid is not None:
                self._store.write_log(self._data.rid, self._step, row, [])
            self._pending = row

    def _add_to_row(self, data: Mapping[str, Any]) -> None:
        """Add ``data`` to the current row, to be stored when the row is committed (by the
        next ``log()``, or ``finish()``): what :mod:`runconfig._watch` logs, so that the
        histograms of one step do not rewrite the row once each."""
        if self._finished:
            return
        with self._log_lock:
            self._log(data, None, False, store_pending=False)

    def _value(self, value: Any, key: str) -> Any:
        """A logged value as stored: media written to files and referenced, the rest
        sanitized (see :mod:`runconfig.values`)."""
        if type(value) in _ATOMS:
            return value
        media = _media_types()
        if isinstance(value, media):
            return value.to_ref(self, key)
        if type(value) is dict:
            return {str(k): self._value(v, f"{key}.{k}") for k, v in value.items()}
        if type(value) in (list, tuple) and any(isinstance(v, media) for v in value):
            return [self._value(v, key) for v in value]
        converted = _as_media(value)
        if converted is not None:
            return converted.to_ref(self, key)
        return sanitize(value, f"summary.{key}")

    def _commit_row(self, row: dict[str, Any]) -> None:
        changes = self.summary._commit_row(row)
        if self._store is not None and self._data.rid is not None:
            self._store.write_log(self._data.rid, self._step, row, changes)
        # Stored first, then shown: a refused write leaves the summary as it was.
        self.summary._apply(changes)
        self._step += 1

    def _commit_pending(self) -> None:
        with self._log_lock:
            if self._pending is not None:
                row, self._pending = self._pending, None
                self._commit_row(row)

    def define_metric(
        self,
        name: str,
        step_metric: str | Metric | None = None,
        step_sync: bool | None = None,
        hidden: bool | None = None,
        summary: str | None = None,
        goal: str | None = None,
        overwrite: bool | None = None,
    ) -> Metric:
        """Say how a metric is summarised and plotted, as wandb 0.31 does.

        ``summary``: ``"min"``, ``"max"``, ``"mean"``, ``"first"``, ``"last"``, ``"copy"``,
        ``"none"`` or several (``"min,max"``); ``"best"`` with ``goal="minimize"`` or
        ``"maximize"`` (wandb before 0.31). ``step_metric`` names the metric to plot it
        against, added to its rows when missing (``step_sync``). ``name`` may end in
        ``*`` (``"train/*"``). A repeated definition adds to the last one unless
        ``overwrite=True``. See :mod:`runconfig._summary` for the values it gives.
        """
        self._check_live("define_metric()")
        metric = make_metric(name, step_metric, step_sync, hidden, summary, goal)
        with self._log_lock:
            changes = self.summary._define(metric, overwrite)
            self._write_summary(changes)
            self.summary._apply(changes)
        kept = [m for m in self._data.meta.get("metrics", ()) if m.get("name") != name]
        self._set_meta("metrics", [*kept, _metric_record(self.summary._metrics.defined, metric)])
        return metric

    # -- notes on the run -------------------------------------------------------------------
    def alert(
        self,
        title: str,
        text: str,
        level: str | AlertLevel | None = None,
        wait_duration: float | timedelta | None = None,
    ) -> None:
        """Record an alert on the run (``meta.alerts``) and print it on stderr.

        As in wandb, ``level`` is ``"INFO"`` (default), ``"WARN"`` or ``"ERROR"``, and an
        alert with the same title within ``wait_duration`` (default 60 s) of the last one
        is not repeated.
        """
        self._check_live("alert()")
        if level is None:
            level = "INFO"
        elif isinstance(level, AlertLevel):
            level = level.value
        if level not in ("INFO", "WARN", "ERROR"):
            raise UsageValueError(
                f"alert(level={level!r}): level must be 'INFO', 'WARN' or 'ERROR'"
            )
        if wait_duration is None:
            wait = 60.0
        elif isinstance(wait_duration, timedelta):
            wait = wait_duration.total_seconds()
        elif isinstance(wait_duration, (int, float)) and not isinstance(wait_duration, bool):
            wait = float(wait_duration)
        else:
            raise UsageTypeError("wait_duration must be an int, float, or datetime.timedelta")
        now = time.monotonic()
        last = self._alerts.get(title)
        if last is not None and now - last < wait:
            return
        self._alerts[title] = now
        record = {"title": str(title), "text": str(text), "level": level, "at": _now()}
        self._set_meta("alerts", [*self._data.meta.get("alerts", ()), record])
        termlog(f"ALERT {level}: {title}: {text}")

    def mark_preempting(self) -> None:
        """Record that the run is about to be preempted (``meta.preempting``)."""
        self._check_live("mark_preempting()")
        self._set_meta("preempting", _now())

    def _label(self, **labels: Any) -> None:
        """What integrations tell wandb about themselves (``code="transformers_trainer"``),
        kept in ``meta.labels``."""
        if self._finished:
            return
        clean = {str(k): v for k, v in labels.items() if isinstance(v, (str, int, float, bool))}
        if clean:
            self._set_meta("labels", {**self._data.meta.get("labels", {}), **clean})

    def pin_config_keys(self, keys: Sequence[str] = ()) -> None:
        """Record config keys to show first (wandb's page); kept in ``meta.pinned_keys``."""
        self._set_meta("pinned_keys", [str(k) for k in keys])

    def status(self) -> RunStatus:
        """wandb's sync status: runconfig stores as it goes, so nothing is ever pending."""
        return RunStatus(sync_time=datetime.now(timezone.utc))

    # -- lifecycle --------------------------------------------------------------------------
    def finish(
        self,
        exit_code: int | None = None,
        quiet: bool | None = None,
        *,
        _error: BaseException | None = None,
    ) -> None:
        """Mark the run ``finished`` (or ``failed`` with a non-zero exit code or an error).

        A row logged with ``commit=False`` is committed first. ``quiet`` is accepted, as
        older wandb took it. Finishing a finished run does nothing.
        """
        if self._finished:
            return
        try:
            self.unwatch()
            for hook in self._on_finish:
                try:
                    hook()
                except Exception as e:  # one integration failing to close must not lose the run
                    termwarn(f"while finishing run {self.id}: {type(e).__name__}: {e}")
            self._commit_pending()
            self._keep_files()
        finally:
            self._end(exit_code, _error)

    def _keep_files(self) -> None:
        """Copy the files saved for the end; record every file of the run's folder."""
        if self._saved is None:
            if self._store is None or not os.path.isdir(self._folder()):
                return
            from runconfig._saved import SavedFiles

            self._saved = SavedFiles(self)
        self._saved.finish(record=self._store is not None)

    def _end(self, exit_code: int | None, error: BaseException | None) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=2.0)
        self._finished = True
        state = "finished"
        fields: dict[str, Any] = {"finished_at": _now()}
        if error is not None:
            state = "failed"
            fields["error_type"] = type(error).__name__
            fields["error_message"] = str(error)
            exit_code = 1 if exit_code is None else exit_code
        elif exit_code:
            state = "failed"
        fields["exit_code"] = 0 if exit_code is None else exit_code
        fields["state"] = state
        self._data.state = state
        try:
            if self._store is not None and self._data.rid is not None and not self._taken_over:
                with self._lock:
                    self._store.update_run(self._data.rid, **fields)
        except StoreError as e:
            if "taken over" not in str(e):
                raise
            termwarn(str(e))  # the run is another process's now: its end is not ours to say
        finally:
            if self._store is not None:
                # Kept open for the next run of this process (see runconfig.store._pool).
                _pool.release(self._location or self._store.location, self._store)
            else:  # a disabled run's folder was a temporary one
                import shutil

                shutil.rmtree(self._files, ignore_errors=True)
            _state.forget(self)

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(exc, SystemExit):
            code = exc.code
            self.finish(exit_code=0 if code is None else code if isinstance(code, int) else 1)
        elif exc is not None:  # Ctrl-C too: the run did not finish its work
            self.finish(_error=exc)
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
            except StoreError as e:
                if "taken over" in str(e):  # another process writes the run now
                    self._taken_over = str(e)
                    termwarn(str(e))
                    return
            except Exception:  # a beat lost is not worth a crash of the training
                pass

    def _record_git(self, cwd: str) -> None:
        """Record whether the git tree is dirty, off the start-up path. A run that starts
        within GIT_FRESH seconds of another of this process in the same tree, at the same
        commit, takes that run's answer (``git status`` takes milliseconds, as long as a
        short run in a loop)."""
        commit = self._data.git_commit
        seen = _git_seen.get(cwd)
        if seen is not None and seen[1] == commit and time.monotonic() - seen[0] < GIT_FRESH:
            self._data.git_dirty = seen[2]
            with self._lock:
                if self._store is not None and self._data.rid is not None:
                    self._store.update_run(self._data.rid, git_dirty=seen[2])
            return

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
            _git_seen[cwd] = (time.monotonic(), commit, dirty)
            self._data.git_dirty = dirty
            with self._lock:
                if self._store is not None and self._data.rid is not None and not self._finished:
                    self._store.update_run(self._data.rid, git_dirty=dirty)

        t = threading.Thread(target=work, name="runconfig-git", daemon=True)
        t.start()
        self._threads.append(t)


GIT_FRESH = 30.0  # seconds a git tree's dirty state is taken as known (see _record_git)
# cwd -> (when, commit, dirty) of the last `git status` of this process there.
_git_seen: dict[str, tuple[float, str | None, bool]] = {}

_ATOMS = frozenset({str, int, float, bool, type(None)})


def _media_types() -> type[Media]:
    from runconfig.media._base import Media

    return Media


HISTOGRAM_FROM = 32  # elements of an array logged, past which it is logged as a histogram


def _as_media(value: Any) -> Media | None:
    """What a logged value that is not media already is stored as, as wandb does: a
    matplotlib figure (or ``pyplot``, meaning its current figure) an Image (wandb goes
    through plotly; an image is what users want), a numpy array or tensor of more than 32
    numbers a 32-bin Histogram, a pandas DataFrame a Table. None for anything else."""
    module = type(value).__module__ or ""
    if module.startswith("matplotlib") or getattr(value, "__name__", None) == "matplotlib.pyplot":
        figure = value.gcf() if hasattr(value, "gcf") else value
        if type(figure).__name__ not in ("Figure", "SubFigure"):
            return None
        from runconfig.media import Image

        return Image(figure)
    top = module.partition(".")[0]
    if top in ("numpy", "torch", "jax", "jaxlib", "tensorflow"):
        numel = getattr(value, "numel", None)
        count = numel() if callable(numel) else getattr(value, "size", None)
        if isinstance(count, int) and count > HISTOGRAM_FROM and hasattr(value, "shape"):
            from runconfig.media import Histogram

            return Histogram(value, num_bins=HISTOGRAM_FROM)
        return None
    if top == "pandas" and type(value).__name__ == "DataFrame":
        from runconfig.media import Table

        return Table(dataframe=value)
    return None


def _metric_record(defined: Mapping[tuple[str, ...], Metric], metric: Metric) -> dict[str, Any]:
    """The stored form of a definition (after a merge with an earlier one of the name)."""
    from runconfig._summary import parse_metric_name

    merged = (
        defined.get(parse_metric_name(metric.name), metric)
        if not metric.name.endswith("*")
        else metric
    )
    record = {k: v for k, v in asdict(merged).items() if v is not None}
    if "summary" in record:
        record["summary"] = list(record["summary"])
    return record
