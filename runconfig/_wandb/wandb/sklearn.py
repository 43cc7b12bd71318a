"""``wandb.sklearn``: runconfig's scikit-learn plots (``plot_classifier``,
``plot_confusion_matrix``...), from :mod:`runconfig.integrations.sklearn`.

Importing it raises ``ModuleNotFoundError`` in one line while runconfig has no such
integration module; an ``ImportError`` of the library itself (not installed) is left as
it is.
"""

from __future__ import annotations

from ._forward import forwarder, load, reexport

_target = load("wandb.sklearn", "runconfig.integrations.sklearn")

__all__ = reexport(globals(), _target)

__getattr__ = forwarder("wandb.sklearn", lambda: _target)
