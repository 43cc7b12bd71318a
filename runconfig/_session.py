"""wandb's process-level calls, where runconfig has nothing to set up: ``login``,
``setup``, ``teardown``, ``require`` and ``Settings``."""

from __future__ import annotations

from typing import Any

__all__ = ["Settings", "login", "require", "setup", "teardown"]


class Settings:
    """wandb's settings object, accepted wherever wandb takes one.

    Any keyword is accepted and kept; :func:`~runconfig.init` reads the ones that stand
    for its arguments (``project``, ``entity``, ``run_name``, ``run_notes``,
    ``run_tags``, ``run_group``, ``run_job_type``, ``run_id``, ``resume``, ``mode``,
    ``root_dir``, ``sync_tensorboard``, ``config_paths``) and records the rest on the run.
    """

    def __init__(self, **values: Any) -> None:
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._values.get(name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._values[name] = value

    def update(self, values: dict[str, Any] | None = None, **kwargs: Any) -> None:
        """Set several values."""
        self._values.update(values or {}, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """The values given."""
        return dict(self._values)

    def __repr__(self) -> str:
        return f"Settings({', '.join(f'{k}={v!r}' for k, v in self._values.items())})"


def login(*args: Any, **kwargs: Any) -> bool:
    """There is no account to log in to: always True."""
    return True


def setup(settings: Settings | None = None) -> None:
    """Nothing to start: runconfig needs no service process."""


def teardown(exit_code: int | None = None) -> None:
    """Finish every run of the process (what wandb's teardown does with them)."""
    from runconfig._state import _state

    for run in list(_state.runs):
        run.finish(exit_code)


def require(requirement: str | None = None, experiment: str | None = None) -> None:
    """wandb's opt-in to SDK features (``"service"``, ``"core"``): nothing to opt into."""
