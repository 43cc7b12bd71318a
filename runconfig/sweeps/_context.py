"""The trial a process is running, as ``init()`` sees it (no store, no heavy import).

A function agent sets :data:`current` around the call of the user's function; a program
trial learns its trial from the environment the agent started it with
(``RUNCONFIG_SWEEP_ID``, ``RUNCONFIG_RUN_ID``, ``RUNCONFIG_SWEEP_PROJECT``, and the values
in ``RUNCONFIG_SWEEP_PARAMS`` or wandb's ``WANDB_SWEEP_PARAM_PATH``).
"""

from __future__ import annotations

import os
import threading
from typing import Any

__all__ = ["Trial", "current", "of_process"]


class Trial:
    """A trial as the run that records it needs it.

    ``params``: the values (None: a program trial reads them from the environment);
    ``store``: where the sweep is (its runs go there); ``stop``: set by the agent when the
    trial must stop (the run's next ``log()`` raises); ``used``: whether a run took
    ``run_id`` already (a second ``init()`` in a trial gets a new id).
    """

    __slots__ = ("params", "project", "reason", "run_id", "stop", "store", "sweep", "used")

    def __init__(
        self,
        sweep: str,
        project: str | None,
        run_id: str | None,
        params: dict[str, Any] | None,
        store: str | None = None,
    ) -> None:
        self.sweep = sweep
        self.project = project
        self.run_id = run_id
        self.params = params
        self.store = store
        self.stop = threading.Event()
        self.reason = ""
        self.used = False


current: Trial | None = None
"""The trial of a function agent, while its function runs."""

_from_env: Trial | None = None


def of_process() -> Trial | None:
    """The trial this process is running: the function agent's, else the environment's."""
    global _from_env
    if current is not None:
        return current
    sweep = os.environ.get("RUNCONFIG_SWEEP_ID") or os.environ.get("WANDB_SWEEP_ID")
    if not sweep:
        return None
    if _from_env is None or _from_env.sweep != sweep:
        _from_env = Trial(
            sweep=sweep,
            project=os.environ.get("RUNCONFIG_SWEEP_PROJECT") or None,
            run_id=os.environ.get("RUNCONFIG_RUN_ID") or os.environ.get("WANDB_RUN_ID") or None,
            params=None,
            store=os.environ.get("RUNCONFIG_SWEEP_STORE") or None,
        )
    return _from_env
