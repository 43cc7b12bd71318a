"""The module's run functions: ``wandb.log``, ``wandb.finish``... on the active run.

Each is the :class:`~runconfig.Run` method of the same name, called on
``runconfig.run``; without an active run, each raises
:class:`~runconfig.errors.UsageError` (``finish`` and ``unwatch`` do nothing).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import IO, TYPE_CHECKING, Any

from runconfig._run_types import AlertLevel
from runconfig._state import _state
from runconfig.errors import UsageError

if TYPE_CHECKING:
    from runconfig._run import Run
    from runconfig._summary import Metric
    from runconfig.artifacts import Artifact

__all__ = [
    "alert",
    "define_metric",
    "finish",
    "join",
    "link_model",
    "log",
    "log_artifact",
    "log_model",
    "mark_preempting",
    "restore",
    "save",
    "unwatch",
    "use_artifact",
    "use_model",
    "watch",
]


def _active(call: str) -> Run:
    run = _state.run
    if run is None:
        raise UsageError(f"You must call init() before {call}: no run is active")
    return run


def finish(exit_code: int | None = None, quiet: bool | None = None) -> None:
    """Finish the active run (no-op without one)."""
    if _state.run is not None:
        _state.run.finish(exit_code, quiet)


join = finish


def log(data: Mapping[str, Any], step: int | None = None, commit: Any = None) -> None:
    """:meth:`Run.log` on the active run."""
    _active("log()").log(data, step=step, commit=commit)


def define_metric(
    name: str,
    step_metric: str | Metric | None = None,
    step_sync: bool | None = None,
    hidden: bool | None = None,
    summary: str | None = None,
    goal: str | None = None,
    overwrite: bool | None = None,
) -> Metric:
    """:meth:`Run.define_metric` on the active run."""
    return _active("define_metric()").define_metric(
        name, step_metric, step_sync, hidden, summary, goal, overwrite
    )


def alert(
    title: str,
    text: str,
    level: str | AlertLevel | None = None,
    wait_duration: float | timedelta | None = None,
) -> None:
    """:meth:`Run.alert` on the active run."""
    _active("alert()").alert(title, text, level, wait_duration)


def mark_preempting() -> None:
    """:meth:`Run.mark_preempting` on the active run."""
    _active("mark_preempting()").mark_preempting()


def log_artifact(
    artifact_or_path: Artifact | str | os.PathLike[str],
    name: str | None = None,
    type: str | None = None,
    aliases: Sequence[str] | None = None,
    tags: Sequence[str] | None = None,
) -> Artifact:
    """:meth:`Run.log_artifact` on the active run."""
    return _active("log_artifact()").log_artifact(artifact_or_path, name, type, aliases, tags)


def use_artifact(
    artifact_or_name: Artifact | str,
    type: str | None = None,
    aliases: Sequence[str] | None = None,
    use_as: str | None = None,
) -> Artifact:
    """:meth:`Run.use_artifact` on the active run."""
    return _active("use_artifact()").use_artifact(artifact_or_name, type, aliases, use_as)


def log_model(
    path: str | os.PathLike[str], name: str | None = None, aliases: Sequence[str] | None = None
) -> Artifact:
    """:meth:`Run.log_model` on the active run."""
    return _active("log_model()").log_model(path, name, aliases)


def save(
    glob_str: str | os.PathLike[str],
    base_path: str | os.PathLike[str] | None = None,
    policy: str = "live",
    glob: bool = True,
) -> list[str]:
    """:meth:`Run.save` on the active run."""
    return _active("save()").save(glob_str, base_path, policy, glob)


def restore(
    name: str,
    run_path: str | None = None,
    replace: bool = False,
    root: str | os.PathLike[str] | None = None,
) -> IO[Any]:
    """A file of a run's folder, copied into ``root`` and opened: the active run's, or
    ``run_path``'s (then possible before ``init``)."""
    from runconfig._saved import restore as restore_file

    return restore_file(name, run_path, replace, root, current=_state.run)


def watch(
    models: Any,
    criterion: Any = None,
    log: str | None = "gradients",
    log_freq: int = 1000,
    idx: int | None = None,
    log_graph: bool = False,
) -> list[Any]:
    """:meth:`Run.watch` on the active run."""
    return _active("watch()").watch(models, criterion, log, log_freq, idx, log_graph)


def unwatch(models: Any = None) -> None:
    """:meth:`Run.unwatch` on the active run (nothing without one)."""
    if _state.run is not None:
        _state.run.unwatch(models)


def use_model(name: str) -> str:
    """:meth:`Run.use_model` on the active run."""
    return _active("use_model()").use_model(name)


def link_model(
    path: str | os.PathLike[str],
    registered_model_name: str,
    name: str | None = None,
    aliases: Sequence[str] | None = None,
) -> Artifact:
    """:meth:`Run.link_model` on the active run."""
    return _active("link_model()").link_model(path, registered_model_name, name, aliases)
