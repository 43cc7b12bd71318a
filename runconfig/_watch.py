"""``watch(model)``: histograms of a PyTorch model's gradients and parameters, as wandb.

Hooks count the model's forward passes (parameters) and each parameter's backward passes
(gradients); every ``log_freq``-th one logs a 64-bin :class:`~runconfig.media.Histogram`
per tensor, named as wandb names them (``gradients/fc1.weight``, ``parameters/fc1.bias``;
a second watched model's names start ``graph_1``), into the run's current history row
(as ``commit=False`` would: the next ``log()`` commits and stores it, the histograms of
one step in one write). ``unwatch()`` removes every hook.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from runconfig.errors import UsageError, UsageTypeError, UsageValueError

if TYPE_CHECKING:
    from runconfig._run import Run

__all__ = ["Watcher"]

BINS = 64
_LOGS = ("gradients", "parameters", "all", None)


class Watcher:
    """The hooks one run put on the models it watches."""

    def __init__(self, run: Run) -> None:
        self._run = run
        self._handles: dict[int, list[Any]] = {}  # id(model) -> hook handles
        self._count = 0  # models watched so far: the prefix of the next one

    def watch(
        self,
        models: Any,
        criterion: Any = None,
        log: str | None = "gradients",
        log_freq: int = 1000,
        idx: int | None = None,
        log_graph: bool = False,
    ) -> list[Any]:
        try:
            import torch
        except ImportError:
            raise UsageError(
                "watch() records PyTorch models (torch.nn.Module), and torch is not "
                "installed; other frameworks are not supported"
            ) from None
        listed = list(models) if isinstance(models, (list, tuple)) else [models]
        for model in listed:
            if not isinstance(model, torch.nn.Module):
                raise UsageTypeError(
                    f"watch() records PyTorch models (torch.nn.Module), not "
                    f"{type(model).__module__}.{type(model).__name__}"
                )
        if log not in _LOGS:
            raise UsageValueError(f"watch(log={log!r}): 'gradients', 'parameters', 'all' or None")
        if not isinstance(log_freq, int) or isinstance(log_freq, bool) or log_freq < 1:
            raise UsageValueError(f"watch(log_freq={log_freq!r}): a positive integer")
        start = self._count if idx is None else idx
        for i, model in enumerate(listed):
            prefix = f"graph_{start + i}" if start + i > 0 else ""
            handles = self._handles.setdefault(id(model), [])
            if log in ("parameters", "all"):
                handles.append(self._hook_parameters(model, prefix, log_freq))
            if log in ("gradients", "all"):
                handles.extend(self._hook_gradients(model, prefix, log_freq))
        self._count = start + len(listed)
        return []

    def unwatch(self, models: Any = None) -> None:
        """Remove the hooks of ``models`` (default: every watched model)."""
        if models is None:
            chosen = list(self._handles)
        else:
            listed = list(models) if isinstance(models, (list, tuple)) else [models]
            chosen = [id(m) for m in listed]
        for key in chosen:
            for handle in self._handles.pop(key, []):
                handle.remove()

    def _hook_parameters(self, model: Any, prefix: str, log_freq: int) -> Any:
        count = [0]

        def after_forward(module: Any, inputs: Any, output: Any) -> None:
            count[0] += 1
            if count[0] % log_freq:
                return
            self._log(
                {f"parameters/{prefix}{name}": p.detach() for name, p in module.named_parameters()}
            )

        return model.register_forward_hook(after_forward)

    def _hook_gradients(self, model: Any, prefix: str, log_freq: int) -> list[Any]:
        handles = []
        for name, parameter in model.named_parameters():
            if not parameter.requires_grad:
                continue
            hook = self._gradient_hook(f"gradients/{prefix}{name}", log_freq)
            handles.append(parameter.register_hook(hook))
        return handles

    def _gradient_hook(self, key: str, log_freq: int) -> Any:
        count = [0]

        def on_gradient(grad: Any) -> None:
            count[0] += 1
            if count[0] % log_freq == 0:
                self._log({key: grad.detach()})

        return on_gradient

    def _log(self, tensors: dict[str, Any]) -> None:
        self._run._add_to_row({key: histogram(t) for key, t in tensors.items()})


def histogram(tensor: Any) -> Any:
    """A 64-bin :class:`~runconfig.media.Histogram` of a tensor's values (finite ones)."""
    import torch

    from runconfig.media import Histogram

    flat = tensor.detach().reshape(-1).float().cpu()
    if flat.numel() == 0:
        return Histogram(np_histogram=([0] * BINS, [float(i) for i in range(BINS + 1)]))
    low_t, high_t = torch.aminmax(flat)
    low, high = float(low_t), float(high_t)
    if not (math.isfinite(low) and math.isfinite(high)):  # NaN or inf: count the rest
        flat = flat[torch.isfinite(flat)]
        if flat.numel() == 0:
            return Histogram(np_histogram=([0] * BINS, [float(i) for i in range(BINS + 1)]))
        low, high = float(flat.min()), float(flat.max())
    if low == high:
        low, high = low - 0.5, high + 0.5
    counts = torch.histc(flat, bins=BINS, min=low, max=high)
    edges = torch.linspace(low, high, steps=BINS + 1)
    return Histogram(np_histogram=([int(c) for c in counts.tolist()], edges.tolist()))
