"""The process's active run and the config that ``runconfig.config`` stands for, and the
hooks that finish runs when the process ends (an uncaught exception, ``sys.exit``)."""

from __future__ import annotations

import atexit
import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING, NoReturn

from runconfig.config import Config

if TYPE_CHECKING:
    from runconfig._run import Run

__all__ = ["_state"]


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
