"""``method: bayes``: Optuna's TPE through ask-and-tell, with the store as the only truth.

Each suggestion replays the sweep's trials into a fresh in-memory study: finished ones with
their metric, running ones as running (TPE's constant liar then spreads parallel agents
out), failed or crashed ones per ``metric.impute`` (``worst``, the default, ``best`` or
``latest``: the last value the run logged), and asks for the next point. Nothing of Optuna's
is stored; any agent on any machine computes the same kind of answer from the store.

Distributions map to Optuna's: categorical values by their index (Optuna's choices cannot be
lists or dicts), ranges as float or int ranges (log ones on a log scale, the ``q_`` forms
rounded after), normal and log-normal laws through their quantile (a uniform in (0, 1)
mapped by the inverse CDF), beta over its [0, 1] range. Reproducible with one agent only:
with several, the order in which trials end varies.
"""

from __future__ import annotations

import math
import statistics
from typing import TYPE_CHECKING, Any

from runconfig._paths import leaf

if TYPE_CHECKING:
    from runconfig.store import RunStore
    from runconfig.store._sweeps import SweepData
    from runconfig.sweeps._spec import Param, SweepSpec

__all__ = ["suggest"]

_EDGE = 1e-9  # quantiles stay inside (0, 1)


def _key(param: Param) -> str:
    return "\x1f".join(param.path)


def _distribution(param: Param) -> Any:
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    law, a = param.distribution, param.args
    if law in ("categorical", "categorical_w_probabilities"):
        return CategoricalDistribution(list(range(len(a["values"]))))
    if law == "int_uniform":
        return IntDistribution(int(a["min"]), int(a["max"]))
    if law in ("uniform", "q_uniform"):
        return FloatDistribution(float(a["min"]), float(a["max"]))
    if law in ("log_uniform_values", "inv_log_uniform_values", "q_log_uniform_values"):
        return FloatDistribution(float(a["min"]), float(a["max"]), log=True)
    if law in ("log_uniform", "q_log_uniform"):
        return FloatDistribution(math.exp(a["min"]), math.exp(a["max"]), log=True)
    if law == "inv_log_uniform":
        return FloatDistribution(math.exp(-a["max"]), math.exp(-a["min"]), log=True)
    if law in ("beta", "q_beta"):
        return FloatDistribution(0.0, 1.0)
    # normal, log_normal and their q_ forms: the quantile
    return FloatDistribution(_EDGE, 1 - _EDGE)


def _to_value(param: Param, raw: Any) -> Any:
    """The parameter's value for Optuna's suggestion ``raw``."""
    law, a = param.distribution, param.args
    if law.startswith("categorical"):
        import copy

        return copy.deepcopy(a["values"][int(raw)])
    if law == "int_uniform":
        return int(raw)
    value = float(raw)
    if law in ("normal", "q_normal"):
        value = statistics.NormalDist(a["mu"], a["sigma"]).inv_cdf(value)
    elif law in ("log_normal", "q_log_normal"):
        value = math.exp(statistics.NormalDist(a["mu"], a["sigma"]).inv_cdf(value))
    return param.quantize(value) if law.startswith("q_") else value


def _to_raw(param: Param, value: Any) -> Any | None:
    """Optuna's internal value for a trial's ``value`` (None: it does not fit the law)."""
    law, a = param.distribution, param.args
    try:
        if law.startswith("categorical"):
            for i, choice in enumerate(a["values"]):
                if choice == value and type(choice) is type(value):
                    return i
            return next((i for i, c in enumerate(a["values"]) if c == value), None)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        if law == "int_uniform":
            return int(value)
        if law in ("normal", "q_normal"):
            u = statistics.NormalDist(a["mu"], a["sigma"]).cdf(value)
        elif law in ("log_normal", "q_log_normal"):
            u = statistics.NormalDist(a["mu"], a["sigma"]).cdf(math.log(value))
        else:
            dist = _distribution(param)
            return min(max(float(value), dist.low), dist.high)
        return min(max(u, _EDGE), 1 - _EDGE)
    except (ValueError, TypeError, KeyError, OverflowError):
        return None


_MISSING = object()


def _storage() -> Any:
    """Optuna's in-memory storage, less the deep copy of each trial added: the replayed
    trials are made here and used once (the copy was half the time of a suggestion at
    1,000 trials). Optuna's own method if its internals are not as expected."""
    from optuna.storages import InMemoryStorage

    class Storage(InMemoryStorage):
        def create_new_trial(self, study_id: int, template_trial: Any = None) -> int:
            needed = ("_lock", "_studies", "_max_trial_id", "_trial_id_to_study_id_and_number")
            if template_trial is None or not all(hasattr(self, n) for n in needed):
                return super().create_new_trial(study_id, template_trial)
            with self._lock:
                self._check_study_id(study_id)
                trial = template_trial
                self._max_trial_id += 1
                trial_id = self._max_trial_id
                trial.number = len(self._studies[study_id].trials)
                trial._trial_id = trial_id
                self._trial_id_to_study_id_and_number[trial_id] = (study_id, trial.number)
                self._studies[study_id].trials.append(trial)
                self._update_cache(trial_id, study_id)
                return trial_id

    return Storage()


def suggest(spec: SweepSpec, sweep: SweepData, store: RunStore) -> dict[str, Any]:
    """The next point of a bayes sweep, from its trials so far (see the module)."""
    import optuna
    from optuna.trial import TrialState, create_trial

    from runconfig.sweeps._spec import nest

    assert spec.metric is not None
    metric, goal = spec.metric["name"], spec.metric.get("goal") or "minimize"
    impute = spec.metric.get("impute") or "worst"
    swept = [p for p in spec.params if p.distribution != "constant"]
    dists = {_key(p): _distribution(p) for p in swept}

    trials = store.sweeps.trials(sweep.id)
    metric_of = store.sweeps.metric_values(sweep.id, metric)
    seen = [v for t in trials if t.state == "finished" and (v := metric_of.get(t.run_id or ""))
            is not None]  # fmt: skip
    worst = (max(seen) if goal == "minimize" else min(seen)) if seen else None
    best = (min(seen) if goal == "minimize" else max(seen)) if seen else None

    replay = []
    for t in trials:
        if t.state in ("pending", "canceled"):
            continue
        params = {}
        for p in swept:
            raw = _to_raw(p, leaf(t.params, p.path, _MISSING))
            if raw is None:
                break
            params[_key(p)] = raw
        else:
            value = metric_of.get(t.run_id or "")
            if t.state == "running":
                replay.append(create_trial(params=params, distributions=dists,
                                           state=TrialState.RUNNING))  # fmt: skip
                continue
            if t.state in ("failed", "crashed"):
                value = {"worst": worst, "best": best}.get(impute, value)
                if value is None:
                    value = worst
            if value is None:
                replay.append(create_trial(params=params, distributions=dists,
                                           state=TrialState.FAIL))  # fmt: skip
            else:
                replay.append(create_trial(params=params, distributions=dists, value=value))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=(sweep.seed * 1_000_003 + len(trials)) % 2**31)
    study = optuna.create_study(
        storage=_storage(), direction="maximize" if goal == "maximize" else "minimize",
        sampler=sampler,
    )  # fmt: skip
    study.add_trials(replay)
    asked = study.ask(dists)
    flat = {p.path: _to_value(p, asked.params[_key(p)]) for p in swept}
    for p in spec.params:
        if p.distribution == "constant":
            flat[p.path] = p.args["value"]
    return nest(flat)
