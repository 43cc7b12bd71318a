"""wandb's hyperband early-termination rule, as a pure function of the runs' metric histories.

This follows ``wandb/sweeps`` ``src/sweeps/hyperband_stopping.py`` (``hyperband_stop_runs``)
line by line, so a sweep file behaves as it does under a wandb controller:

* **Bands.** With ``max_iter`` (and ``s``): ``max_iter / eta**k`` for ``k = 1..s``, each
  truncated with ``int()``, stopping early once a quotient drops below 1, sorted ascending
  (``max_iter=27, s=3, eta=3`` -> ``[1, 3, 9]``). Otherwise with ``min_iter``: 100 bands
  ``int(min_iter * eta**k)`` for ``k = 0..99``, computed by repeated multiplication as wandb
  does (``min_iter=3, eta=3`` -> ``3, 9, 27, 81, 243, ...``). ``max_iter`` wins when both are
  given, as in wandb.
* **Iterations.** A run's iteration count is the number of *valid* values of the metric it has
  logged (finite numbers, not bools: wandb's ``metric_history(filter_invalid=True)``); band
  ``b`` is reached once ``b`` values are logged and its value there is ``history[b - 1]``.
* **Thresholds.** For each band, the values at that band of every run of the sweep that reached
  it (running or ended) are sorted and the threshold is ``sorted_values[int((1 / eta) * n)]``
  (``n`` = how many runs reached the band). No minimum count: one run alone sets the threshold
  to its own value, and so is never stopped by it.
* **Stopping.** A running run is judged against the threshold of the highest band it reached.
  ``strict`` (the default) compares its value *at* that band; non-strict compares the best
  value of its whole history so far (wandb's ``min(history)``, which can include values logged
  after the band). It is stopped only when that value is strictly worse than the threshold;
  a tie survives. For ``goal: maximize`` every value is negated first, as wandb does.

Deliberate differences, none changing which runs are stopped for a valid sweep file: errors
raise :class:`~runconfig.errors.SweepError` (a ``ValueError``, the type wandb raises) naming the
key; an integral ``eta`` (``3.0``) is used as an integer so ``min_iter`` bands stay exact
integers, and ``min_iter`` bands stop before a float ``eta`` would overflow to infinity (where
wandb's ``int(inf)`` would crash); ``strict: null`` means the default (true).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from numbers import Real
from typing import Any

from runconfig.errors import SweepError, did_you_mean

__all__ = ["bands", "runs_to_stop"]

_GOALS = ("minimize", "maximize")
_MIN_ITER_BANDS = 100  # wandb's count of bands from min_iter


def _is_number(value: object) -> bool:
    # wandb's run.is_number: a finite real number that is not a bool.
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _integer(early_terminate: Mapping[str, Any], key: str) -> int | None:
    value = early_terminate.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not _is_number(value) or value != int(value):
        raise SweepError(f"early_terminate.{key} must be an integer, found {value!r}")
    return int(value)


def _eta(early_terminate: Mapping[str, Any]) -> int | float:
    eta = early_terminate.get("eta")
    if eta is None:
        return 3  # wandb's schema default
    if not _is_number(eta) or eta <= 1:
        raise SweepError(f"early_terminate.eta must be a number greater than 1, found {eta!r}")
    # An integral eta is used as an int: min_iter bands then stay exact (wandb gets the same
    # ints from a YAML `eta: 3`).
    return int(eta) if eta == int(eta) else float(eta)


def _strict(early_terminate: Mapping[str, Any]) -> bool:
    strict = early_terminate.get("strict")
    if strict is None:
        return True  # wandb's schema default since wandb/sweeps#108
    if not isinstance(strict, bool):
        raise SweepError(f"early_terminate.strict must be true or false, found {strict!r}")
    return strict


def _check_type(early_terminate: Mapping[str, Any]) -> None:
    kind = early_terminate.get("type", "hyperband")
    if kind != "hyperband":
        raise SweepError(
            f"early_terminate.type {kind!r} is not known; only 'hyperband' is"
            + did_you_mean(str(kind), ["hyperband"])
        )


def bands(early_terminate: Mapping[str, Any]) -> list[int]:
    """The iterations at which runs are judged, ascending, computed as wandb computes them.

    ``early_terminate`` is the sweep file's block: ``min_iter``, or ``max_iter`` with ``s``;
    ``eta`` (default 3, must be > 1). Raises SweepError for a block wandb cannot run (no
    ``max_iter``/``min_iter``, ``max_iter`` without ``s``, no band at least 1).
    """
    _check_type(early_terminate)
    eta = _eta(early_terminate)
    max_iter = _integer(early_terminate, "max_iter")
    min_iter = _integer(early_terminate, "min_iter")
    found: list[int] = []
    if max_iter is not None:
        s = _integer(early_terminate, "s")
        if s is None:
            raise SweepError(
                "early_terminate: max_iter needs s (how many bands below max_iter); "
                "or give min_iter instead"
            )
        quotient: float = max_iter
        for _ in range(s):
            quotient /= eta
            if quotient < 1:
                break
            found.append(int(quotient))
        found.sort()
    elif min_iter is not None:
        if min_iter < 1:
            raise SweepError(f"early_terminate.min_iter must be at least 1, found {min_iter}")
        band: int | float = min_iter
        for _ in range(_MIN_ITER_BANDS):
            if isinstance(band, float) and math.isinf(band):
                break
            found.append(int(band))
            band *= eta
    else:
        raise SweepError(
            "early_terminate: hyperband needs either min_iter, or max_iter and s "
            "(e.g. {type: hyperband, min_iter: 3})"
        )
    if not found:
        raise SweepError(
            f"early_terminate: no band of at least 1 iteration (max_iter={max_iter}, "
            f"s={early_terminate.get('s')}, eta={eta}); increase max_iter or s, or decrease eta"
        )
    return found


def runs_to_stop(
    early_terminate: Mapping[str, Any],
    goal: str,
    histories: Mapping[str, Sequence[float]],
    running: Collection[str],
    *,
    metric: str = "the metric",
) -> dict[str, str]:
    """The running runs that wandb's hyperband rule stops, each with a one-line reason.

    ``histories`` maps every run of the sweep (running and ended) to the metric's logged values
    in order; ``running`` names the runs still running (only they can be stopped; an id with no
    history is never stopped). ``metric`` names the metric in the reasons, e.g.
    ``hyperband: at iteration 9 val_loss 0.52 is worse than the threshold 0.41``.
    """
    if goal not in _GOALS:
        raise SweepError(
            f"metric.goal must be 'minimize' or 'maximize', found {goal!r}"
            + did_you_mean(str(goal), _GOALS)
        )
    band_list = bands(early_terminate)
    eta = _eta(early_terminate)
    strict = _strict(early_terminate)
    r = 1.0 / eta
    sign = -1 if goal == "maximize" else 1

    # wandb's view: valid values only, negated for maximize, so "lower is better" throughout.
    signed = {
        run_id: [sign * value for value in history if _is_number(value)]
        for run_id, history in histories.items()
    }
    reached = [h for h in signed.values() if h]
    thresholds: list[float] = []
    for band in band_list:
        values = sorted(h[band - 1] for h in reached if len(h) >= band)
        thresholds.append(values[int(r * len(values))] if values else math.inf)

    running_ids = set(running)
    stops: dict[str, str] = {}
    for run_id, history in signed.items():
        if run_id not in running_ids:
            continue
        closest_band = -1
        closest_threshold = 0.0
        for band, threshold in zip(band_list, thresholds, strict=True):
            if band <= len(history):
                closest_band, closest_threshold = band, threshold
            else:
                break
        if closest_band == -1:
            continue  # no band reached yet
        value = history[closest_band - 1] if strict else min(history)
        if value > closest_threshold:
            what = metric if strict else f"the best {metric} so far"
            stops[run_id] = (
                f"hyperband: at iteration {closest_band} {what} {sign * value!r} "
                f"is worse than the threshold {sign * closest_threshold!r}"
            )
    return stops
