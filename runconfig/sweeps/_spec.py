"""A wandb sweep file, read and checked, and the trials of its grid and random methods.

:func:`load_spec` reads a sweep file (YAML or JSON) or a mapping and returns a
:class:`SweepSpec`, or raises :class:`~runconfig.errors.SweepError` with the file, the line
and the key path of the problem (``sweep.yaml:7: parameters.lr.distribution: 'loguniform'
is not a distribution: did you mean 'log_uniform'?``). The file is the one wandb reads (the
keys, the parameter shapes and wandb's inference rules, see ``docs`` and the reference notes),
plus one optional block of runconfig's own, ``runconfig: {seed, order, lease,
max_consecutive_failures}``. Where wandb only warns, runconfig refuses, except for unknown
top-level keys (kept as warnings, so that wandb files with new keys still load) and
compatibility rules that are kept but announced in :attr:`SweepSpec.warnings` (``{min: 0,
max: 1}`` samples integers; a quoted number in a numeric key is read as a number).

Trials are computed from an index, never materialised: :meth:`SweepSpec.point` gives trial
``index`` of a grid (mixed radix over the parameters sorted by path, the last one fastest, as
wandb walks it; optionally through a seeded permutation) or of a random sweep (each trial
drawn from its own ``random.Random`` seeded by ``(seed, index)``, the same in every process).

One deliberate difference from wandb's engine: a ``q_uniform`` grid includes ``max`` when
``(max - min) / q`` is a whole number (wandb's ``arange`` drops it).
"""

from __future__ import annotations

import copy
import decimal
import functools
import math
import numbers
import os
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runconfig.errors import ConfigValueError, SweepError, did_you_mean

__all__ = ["DISTRIBUTIONS", "Param", "SweepSpec", "load_spec", "nest"]

# name -> (required keys, defaults of the optional keys), as wandb's schema has them.
DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "constant": (("value",), {}),
    "categorical": (("values",), {}),
    "categorical_w_probabilities": (("values", "probabilities"), {}),
    "int_uniform": (("min", "max"), {}),
    "uniform": (("min", "max"), {}),
    "q_uniform": (("min", "max"), {"q": 1.0}),
    "log_uniform": (("min", "max"), {}),
    "log_uniform_values": (("min", "max"), {}),
    "inv_log_uniform": (("min", "max"), {}),
    "inv_log_uniform_values": (("min", "max"), {}),
    "q_log_uniform": (("min", "max"), {"q": 1.0}),
    "q_log_uniform_values": (("min", "max"), {"q": 1.0}),
    "normal": ((), {"mu": 0, "sigma": 1}),
    "q_normal": ((), {"mu": 0, "sigma": 1, "q": 1.0}),
    "log_normal": ((), {"mu": 0, "sigma": 1}),
    "q_log_normal": ((), {"mu": 0, "sigma": 1, "q": 1.0}),
    "beta": ((), {"a": 1, "b": 1}),
    "q_beta": ((), {"a": 1, "b": 1, "q": 1.0}),
}

METHODS = ("grid", "random", "bayes")
ORDERS = ("wandb", "shuffled")
GOALS = ("minimize", "maximize")
IMPUTES = ("worst", "best", "latest")

_GRID_LAWS = frozenset({"constant", "categorical", "int_uniform", "q_uniform"})
_NUMERIC_KEYS = ("min", "max", "q", "mu", "sigma", "a", "b")
_POSITIVE_KEYS = ("sigma", "a", "b", "q")
_EXPONENT_LAWS = frozenset({"log_uniform", "inv_log_uniform", "q_log_uniform"})
_VALUES_LAWS = frozenset({"log_uniform_values", "inv_log_uniform_values", "q_log_uniform_values"})
_PARAM_KEYS = frozenset({"distribution", "parameters"}).union(
    *(set(required) | set(defaults) for required, defaults in DISTRIBUTIONS.values())
)
_TOP_KEYS = (
    "method",
    "metric",
    "parameters",
    "early_terminate",
    "command",
    "program",
    "run_cap",
    "name",
    "description",
    "project",
    "entity",
    "controller",
    "apiVersion",
    "kind",
    "runconfig",
)
_REFUSED_TOP_KEYS = {
    "metrics": "several metrics need wandb's method: custom, which runconfig does not run; "
    "give one metric: {name, goal}",
    "scheduler": "an external scheduler (method: custom) is not supported; runconfig runs "
    "grid, random and bayes",
    "job": "W&B Launch jobs are not supported; give the script with program: or command:",
    "image_uri": "W&B Launch images are not supported; give the script with program: or command:",
}
_METRIC_KEYS = ("name", "goal", "target", "impute", "impute_while_running")
_EXTENSION_KEYS = ("seed", "order", "lease", "max_consecutive_failures")
_HYPERBAND_KEYS = ("type", "min_iter", "max_iter", "s", "eta", "strict")
_MAX_LEASE = 3600.0
_MAX_EXP = 709.0  # math.exp overflows a float just above 709.78
_SHAPES = (
    "{value: X} (a constant), {values: [...]}, {values: [...], probabilities: [...]}, "
    "{min: A, max: B}, {distribution: NAME, ...} or {parameters: {...}} (a nested group)"
)
_NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_INTEGER = re.compile(r"[-+]?[0-9]+")
_DURATION = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)\s*(s|m|h)")
_DURATION_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}

Path = tuple[str | int, ...]  # a key path in the file; ints are list indices


@dataclass(frozen=True)
class Param:
    """One parameter of a sweep: its path (``("optimizer", "lr")`` when nested), its
    distribution after wandb's inference, and that distribution's arguments, defaults filled."""

    path: tuple[str, ...]
    distribution: str
    args: dict[str, Any]

    @property
    def name(self) -> str:
        """The dotted name, ``optimizer.lr``."""
        return ".".join(self.path)

    def grid_values(self) -> list[Any]:
        """Every value a grid takes, in order. Raises SweepError for a continuous law or a
        weighted choice, which have no grid."""
        return [self._grid_value(i) for i in range(self._grid_count())]

    def sample(self, rng: random.Random) -> Any:
        """One value drawn from the distribution with ``rng``."""
        law, args = self.distribution, self.args
        if law == "constant":
            return copy.deepcopy(args["value"])
        if law == "categorical":
            return copy.deepcopy(rng.choice(args["values"]))
        if law == "categorical_w_probabilities":
            picked = rng.choices(args["values"], weights=args["probabilities"])[0]
            return copy.deepcopy(picked)
        if law == "int_uniform":
            return rng.randint(args["min"], args["max"])
        if law in ("beta", "q_beta"):
            x = rng.betavariate(args["a"], args["b"])
        elif law in ("normal", "q_normal"):
            x = rng.gauss(args["mu"], args["sigma"])
        elif law in ("log_normal", "q_log_normal"):
            x = math.exp(rng.gauss(args["mu"], args["sigma"]))
        else:  # the laws between min and max
            x = _clip(self._draw_bounded(rng), *self._bounds())
        if law.startswith("q_"):
            return self.quantize(x)
        return x

    def describe(self) -> str:
        """Short human text: ``log_uniform_values 1e-05 .. 0.1``, ``values [adam, sgd]``."""
        law, args = self.distribution, self.args
        if law == "constant":
            return f"value {_show(args['value'])}"
        if law == "categorical":
            return f"values {_show(args['values'])}"
        if law == "categorical_w_probabilities":
            return f"values {_show(args['values'])} p {_show(args['probabilities'])}"
        if law == "int_uniform":
            return f"int {args['min']} .. {args['max']}"
        if "min" in args:
            text = f"{law} {_show(args['min'])} .. {_show(args['max'])}"
        elif "mu" in args:
            text = f"{law} mu {_show(args['mu'])} sigma {_show(args['sigma'])}"
        else:
            text = f"{law} a {_show(args['a'])} b {_show(args['b'])}"
        return text + (f" q {_show(args['q'])}" if "q" in args else "")

    # -- internals ----------------------------------------------------------------------

    def _grid_count(self) -> int:
        law, args = self.distribution, self.args
        if law == "constant":
            return 1
        if law == "categorical":
            return len(args["values"])
        if law == "int_uniform":
            return int(args["max"]) - int(args["min"]) + 1
        if law == "q_uniform":
            steps: float = (args["max"] - args["min"]) / args["q"]
            whole = round(steps)
            if math.isclose(steps, whole, rel_tol=1e-9, abs_tol=1e-9):
                return int(whole) + 1  # max included (wandb's arange drops it)
            return math.floor(steps) + 1
        raise SweepError(f"{self.name}: {_no_grid(self)}")

    def _grid_value(self, i: int) -> Any:
        law, args = self.distribution, self.args
        if law == "constant":
            return copy.deepcopy(args["value"])
        if law == "categorical":
            return copy.deepcopy(args["values"][i])
        if law == "int_uniform":
            return args["min"] + i
        # q_uniform: min, min + q, ... (the only other law with a grid)
        low, q = args["min"], args["q"]
        if _is_int(low) and _is_int(q) and _is_int(args["max"]):
            return low + i * q
        return round(low + i * q, max(_decimals(q), _decimals(low)))

    def _bounds(self) -> tuple[float, float]:
        """The range of the values of a law bounded by min and max (beta: [0, 1])."""
        law, args = self.distribution, self.args
        if law in ("beta", "q_beta"):
            return 0.0, 1.0
        low, high = args["min"], args["max"]
        if law in ("log_uniform", "q_log_uniform"):
            return math.exp(low), math.exp(high)
        if law == "inv_log_uniform":
            return math.exp(-high), math.exp(-low)
        return low, high

    def _draw_bounded(self, rng: random.Random) -> float:
        law, args = self.distribution, self.args
        low, high = args["min"], args["max"]
        if law in ("uniform", "q_uniform"):
            return rng.uniform(low, high)
        if law in ("log_uniform", "q_log_uniform"):
            return math.exp(rng.uniform(low, high))
        if law in ("log_uniform_values", "q_log_uniform_values"):
            return math.exp(rng.uniform(math.log(low), math.log(high)))
        if law == "inv_log_uniform":
            return math.exp(-rng.uniform(low, high))
        # inv_log_uniform_values
        return 1.0 / math.exp(rng.uniform(math.log(1.0 / high), math.log(1.0 / low)))

    def quantize(self, x: float) -> Any:
        """``x`` rounded to a multiple of q (an int when q is one), kept in the law's range
        (the ``q_`` laws' last step; bayes applies it to Optuna's suggestions too)."""
        q = self.args["q"]
        k = round(x / q)
        if self.distribution not in ("q_normal", "q_log_normal"):
            k_low, k_high = _q_range(q, *self._bounds())
            k = min(max(k, k_low), k_high)
        return _q_value(k, q)


@dataclass(frozen=True)
class SweepSpec:
    """A checked sweep file. ``source`` is what is stored (JSON-serialisable, numbers
    converted): ``load_spec(spec.source) == spec``. ``name`` and ``warnings`` are for
    messages and take no part in comparisons."""

    source: dict[str, Any]
    name: str = field(compare=False)
    method: str
    metric: dict[str, Any] | None
    params: tuple[Param, ...]
    run_cap: int | None
    program: str | None
    command: list[str] | None
    early_terminate: dict[str, Any] | None
    project: str | None
    entity: str | None
    seed: int | None
    order: str
    lease: float | None
    max_consecutive_failures: int | None
    warnings: tuple[str, ...] = field(compare=False)

    def grid_size(self) -> int | None:
        """The number of grid points (method grid), else None. Nothing is materialised."""
        if self.method != "grid":
            return None
        return math.prod(p._grid_count() for p in self.params)

    def point(self, index: int, seed: int) -> dict[str, Any]:
        """The nested values of trial ``index``: the grid point at that index (method grid)
        or the draw of that index for ``seed`` (random, and bayes's first trials)."""
        if index < 0:
            raise IndexError(f"trial index {index} is negative")
        if self.method == "grid":
            total = self.grid_size() or 0
            if index >= total:
                raise IndexError(f"trial index {index} is outside the grid of {total} points")
            if self.order == "shuffled":
                a, b = _affine(seed, total)
                index = (a * index + b) % total
            flat: dict[tuple[str, ...], Any] = {}
            for param in reversed(self.params):  # the last parameter varies fastest
                index, digit = divmod(index, param._grid_count())
                flat[param.path] = param._grid_value(digit)
            return nest({p.path: flat[p.path] for p in self.params})
        rng = random.Random(f"runconfig:{seed}:{index}")
        return nest({p.path: p.sample(rng) for p in self.params})


def load_spec(source: Mapping[str, Any] | str | os.PathLike[str]) -> SweepSpec:
    """Read and check a sweep file (``.json`` as JSON, anything else as YAML) or mapping.
    Every refusal is a SweepError naming the file, the line and the key path."""
    if isinstance(source, Mapping):
        return _Reader("sweep config", {}).read(source)
    if not isinstance(source, (str, os.PathLike)):
        raise SweepError(
            f"a sweep config is a mapping or the path of a YAML or JSON file, "
            f"not {type(source).__name__}"
        )
    from runconfig.sources import _display_name, _parse, _read_text

    name = _display_name(source)
    try:
        text = _read_text(source, name)
        data, lines = _parse(text, name, is_json=os.fspath(source).lower().endswith(".json"))
    except ConfigValueError as e:
        raise SweepError(str(e).replace("config file", "sweep file", 1)) from e
    if data is None:
        raise SweepError(f"{name}: the sweep file is empty")
    return _Reader(name, lines).read(data)


def nest(flat: Mapping[tuple[str, ...], Any]) -> dict[str, Any]:
    """``{("a", "b"): 1, ("c",): 2}`` -> ``{"a": {"b": 1}, "c": 2}``."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        if not path:
            raise SweepError("an empty key path cannot be nested")
        node = out
        for depth, key in enumerate(path[:-1]):
            child = node.setdefault(key, {})
            if not isinstance(child, dict) or (path[: depth + 1] in flat):
                raise SweepError(f"{'.'.join(path)} collides with {'.'.join(path[: depth + 1])}")
            node = child
        if path[-1] in node:
            raise SweepError(f"{'.'.join(path)} collides with another key path")
        node[path[-1]] = value
    return out


# -- reading ------------------------------------------------------------------------------


class _Reader:
    """Checks one sweep config, collecting warnings; errors carry the file and the line."""

    def __init__(self, name: str, lines: Mapping[tuple[Any, ...], int]) -> None:
        self.name = name
        self.lines = lines
        self.warnings: list[str] = []

    # -- messages

    def where(self, path: Path) -> str:
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return f"{self.name}:{line}: "
        return f"{self.name}: "

    def error(self, path: Path, message: str) -> SweepError:
        shown = f"{_dotted(path)}: " if path else ""
        return SweepError(f"{self.where(path)}{shown}{message}")

    def warn(self, path: Path, message: str) -> None:
        shown = f"{_dotted(path)}: " if path else ""
        self.warnings.append(f"{self.where(path)}{shown}{message}")

    # -- the tree

    def plain(self, value: Any, path: Path) -> Any:
        """A JSON copy of ``value``: string keys, lists, finite numbers."""
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    shown = f"{_dotted(path)}: " if path else ""
                    what = f"the key {_show(key)!r} is not a string (quote it)"
                    raise SweepError(f"{self.where((*path, key))}{shown}{what}")
                out[key] = self.plain(item, (*path, key))
            return out
        if isinstance(value, (list, tuple)):
            return [self.plain(item, (*path, i)) for i, item in enumerate(value)]
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, numbers.Real):
            number = float(value)
            if not math.isfinite(number):
                raise self.error(path, f"{number} is not a finite number")
            return number
        kind = type(value).__name__
        raise self.error(path, f"a {kind} ({value!r}) is not a JSON value: quote it")

    def read(self, data: Any) -> SweepSpec:
        if not isinstance(data, Mapping):
            raise self.error((), f"a sweep config is a mapping of keys, not {_kind(data)}")
        tree: dict[str, Any] = self.plain(data, ())
        for key in tree:
            if key in _REFUSED_TOP_KEYS:
                raise self.error((key,), _REFUSED_TOP_KEYS[key])
            if key not in _TOP_KEYS:
                self.warn((key,), f"unknown key, ignored{did_you_mean(key, _TOP_KEYS)}")
        method = self.method(tree)
        metric = self.metric(tree)
        if method == "bayes" and metric is None:
            raise self.error(("method",), "bayes needs a metric: {name: ..., goal: minimize}")
        early_terminate = self.early_terminate(tree)
        if early_terminate is not None and metric is None:
            raise self.error(("early_terminate",), "early termination needs a metric")
        params = self.parameters(tree, method)
        extension = self.extension(tree)
        return SweepSpec(
            source=tree,
            name=self.name,
            method=method,
            metric=metric,
            params=params,
            run_cap=self.integer(tree, "run_cap", ("run_cap",), minimum=1),
            program=self.string(tree, "program", ("program",)),
            command=self.command(tree),
            early_terminate=early_terminate,
            project=self.string(tree, "project", ("project",)),
            entity=self.string(tree, "entity", ("entity",)),
            seed=extension.get("seed"),
            order=extension.get("order", "wandb"),
            lease=extension.get("lease"),
            max_consecutive_failures=extension.get("max_consecutive_failures"),
            warnings=tuple(self.warnings),
        )

    # -- scalars

    def number(self, tree: dict[str, Any], key: str, path: Path) -> Any:
        """``tree[key]`` as a number (a numeric string converted, see :meth:`convert`), or
        None when the key is absent."""
        if key not in tree:
            return None
        value = self.convert(tree, key, path)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(path, f"{_kind(value)} is not a number")
        return value

    def convert(self, container: Any, key: Any, path: Path) -> Any:
        """``container[key]``; a string that reads as a number (``"1e-5"``) is replaced by
        that number in place, with a warning."""
        value = container[key]
        number = _to_number(value)
        if number is not value:
            if not math.isfinite(number):
                raise self.error(path, f"{value!r} is not a finite number")
            self.warn(path, f"the string {value!r} is read as the number {number!r}")
            container[key] = number
        return number

    def integer(
        self, tree: dict[str, Any], key: str, path: Path, *, minimum: int | None = None
    ) -> int | None:
        value = self.number(tree, key, path)
        if value is None:
            return None
        if not isinstance(value, int):
            raise self.error(path, f"{value!r} is not an integer")
        if minimum is not None and value < minimum:
            raise self.error(path, f"{value} is below {minimum}")
        return value

    def string(self, tree: dict[str, Any], key: str, path: Path) -> str | None:
        value = tree.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(path, f"{_kind(value)} is not a string")
        return value

    def mapping(self, tree: dict[str, Any], key: str, path: Path) -> dict[str, Any] | None:
        value = tree.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.error(path, f"expected a mapping, got {_kind(value)}")
        return value

    def known_keys(self, tree: dict[str, Any], path: Path, keys: tuple[str, ...]) -> None:
        for key in tree:
            if key not in keys:
                hint = did_you_mean(key, keys) or f" (keys: {', '.join(keys)})"
                raise self.error((*path, key), f"unknown key{hint}")

    # -- top-level blocks

    def method(self, tree: dict[str, Any]) -> str:
        if "method" not in tree:
            raise self.error((), "method is missing: method: grid, random or bayes")
        value = tree["method"]
        if value == "custom":
            raise self.error(
                ("method",),
                "custom (an external scheduler) is not supported: runconfig "
                "runs grid, random and bayes",
            )
        if value not in METHODS:
            hint = did_you_mean(value, METHODS) if isinstance(value, str) else ""
            raise self.error(
                ("method",), f"{_show(value)!r} is not a method (grid, random or bayes){hint}"
            )
        return str(value)

    def metric(self, tree: dict[str, Any]) -> dict[str, Any] | None:
        block = self.mapping(tree, "metric", ("metric",))
        if block is None:
            return None
        path: Path = ("metric",)
        self.known_keys(block, path, _METRIC_KEYS)
        name = block.get("name")
        if not isinstance(name, str) or not name:
            why = "is missing" if name is None else f"must be a non-empty string, not {name!r}"
            raise self.error((*path, "name") if "name" in block else path, f"name {why}")
        goal = block.get("goal", "minimize")
        if goal not in GOALS:
            raise self.error((*path, "goal"), self.not_one_of(goal, GOALS))
        target = self.number(block, "target", (*path, "target"))
        impute = block.get("impute", "worst")
        if impute not in IMPUTES:
            raise self.error((*path, "impute"), self.not_one_of(impute, IMPUTES))
        out: dict[str, Any] = {
            "name": name,
            "goal": goal,
            "target": None if target is None else float(target),
            "impute": impute,
        }
        if "impute_while_running" in block:
            running = block["impute_while_running"]
            if running is not False and running not in IMPUTES:
                choices = "false, latest, best or worst"
                raise self.error(
                    (*path, "impute_while_running"), f"{_show(running)!r} is not {choices}"
                )
            out["impute_while_running"] = running
        return out

    @staticmethod
    def not_one_of(value: Any, choices: tuple[str, ...]) -> str:
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        return f"{_show(value)!r} is not one of {', '.join(choices)}{hint}"

    def early_terminate(self, tree: dict[str, Any]) -> dict[str, Any] | None:
        block = self.mapping(tree, "early_terminate", ("early_terminate",))
        if block is None:
            return None
        path: Path = ("early_terminate",)
        self.known_keys(block, path, _HYPERBAND_KEYS)
        kind = block.get("type")
        if kind != "hyperband":
            hint = did_you_mean(kind, ["hyperband"]) if isinstance(kind, str) else ""
            what = "type is missing" if kind is None else f"{_show(kind)!r} is not a type"
            raise self.error(
                (*path, "type") if "type" in block else path,
                f"{what}: the only one is hyperband{hint}",
            )
        min_iter = self.integer(block, "min_iter", (*path, "min_iter"), minimum=1)
        max_iter = self.integer(block, "max_iter", (*path, "max_iter"), minimum=1)
        s = self.integer(block, "s", (*path, "s"), minimum=1)
        if min_iter is None and (max_iter is None or s is None):
            missing = "s" if max_iter is not None else "max_iter" if s is not None else None
            what = f"{missing} is missing" if missing else "no bands"
            raise self.error(path, f"{what}: give min_iter, or max_iter and s")
        eta = self.number(block, "eta", (*path, "eta"))
        if eta is not None and eta <= 1:
            raise self.error((*path, "eta"), f"{eta} must be above 1")
        strict = block.get("strict", True)
        if not isinstance(strict, bool):
            raise self.error((*path, "strict"), f"{_kind(strict)} is not true or false")
        out = {
            "type": "hyperband",
            "min_iter": min_iter,
            "max_iter": max_iter,
            "s": s,
            "eta": 3.0 if eta is None else float(eta),
            "strict": strict,
        }
        from runconfig.sweeps._hyperband import bands

        try:  # the bands the agents will judge at: a block with none is refused here
            bands(out)
        except SweepError as e:
            raise self.error(path, str(e).removeprefix("early_terminate: ")) from None
        return out

    def command(self, tree: dict[str, Any]) -> list[str] | None:
        value = tree.get("command")
        if value is None:
            return None
        if not isinstance(value, list):
            raise self.error(("command",), f"a list of strings, not {_kind(value)}")
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.error(("command", i), f"{_kind(item)} is not a string (quote it)")
        return list(value)

    def extension(self, tree: dict[str, Any]) -> dict[str, Any]:
        block = self.mapping(tree, "runconfig", ("runconfig",))
        if block is None:
            return {}
        path: Path = ("runconfig",)
        self.known_keys(block, path, _EXTENSION_KEYS)
        out: dict[str, Any] = {}
        seed = self.integer(block, "seed", (*path, "seed"))
        if seed is not None:
            out["seed"] = seed
        if "order" in block:
            order = block["order"]
            if order not in ORDERS:
                raise self.error((*path, "order"), self.not_one_of(order, ORDERS))
            out["order"] = order
        if "lease" in block:
            out["lease"] = self.lease(block, (*path, "lease"))
        failures = self.integer(
            block, "max_consecutive_failures", (*path, "max_consecutive_failures"), minimum=1
        )
        if failures is not None:
            out["max_consecutive_failures"] = failures
        return out

    def lease(self, block: dict[str, Any], path: Path) -> float:
        value = block["lease"]
        duration = _DURATION.fullmatch(value.strip()) if isinstance(value, str) else None
        if duration:
            seconds = float(duration.group(1)) * _DURATION_UNITS[duration.group(2)]
        else:
            seconds = float(self.number(block, "lease", path))
        if not 0 < seconds <= _MAX_LEASE:
            raise self.error(path, f"{_show(value)} must be above 0 and at most 3600 seconds")
        return seconds

    # -- parameters

    def parameters(self, tree: dict[str, Any], method: str) -> tuple[Param, ...]:
        if "parameters" not in tree:
            raise self.error((), "parameters is missing: the mapping of the swept parameters")
        found: dict[tuple[str, ...], Path] = {}
        params = self.group(tree["parameters"], ("parameters",), (), found)
        by_name: dict[str, tuple[str, ...]] = {}
        for param in params:
            other = by_name.setdefault(param.name, param.path)
            if other != param.path:
                raise self.error(
                    found[param.path], f"the name {param.name} is also a nested parameter's path"
                )
        params.sort(key=lambda p: p.path)
        if method == "grid":
            for param in params:
                if param.distribution not in _GRID_LAWS:
                    raise self.error(found[param.path], _no_grid(param))
        return tuple(params)

    def group(
        self,
        block: Any,
        path: Path,
        prefix: tuple[str, ...],
        found: dict[tuple[str, ...], Path],
    ) -> list[Param]:
        if not isinstance(block, dict):
            raise self.error(path, f"expected a mapping of parameters, not {_kind(block)}")
        if not block:
            raise self.error(path, "no parameters: give at least one")
        params: list[Param] = []
        for name, spec in block.items():
            where = (*path, name)
            if not name.strip():
                raise self.error(where, "a parameter name cannot be empty")
            if not isinstance(spec, dict):
                raise self.error(
                    where,
                    f"expected a mapping such as {{value: {_show(spec)}}} or "
                    f"{{values: [...]}}, not {_kind(spec)}",
                )
            if "parameters" in spec:
                others = [k for k in spec if k != "parameters"]
                if others:
                    raise self.error(
                        (*where, others[0]),
                        f"a nested group (parameters:) takes no other key: move {others[0]} "
                        f"into one of its parameters",
                    )
                params += self.group(
                    spec["parameters"], (*where, "parameters"), (*prefix, name), found
                )
                continue
            param = self.param(spec, where, (*prefix, name))
            found[param.path] = where
            params.append(param)
        return params

    def param(self, spec: dict[str, Any], path: Path, param_path: tuple[str, ...]) -> Param:
        for key in _NUMERIC_KEYS:
            if key in spec:
                self.convert(spec, key, (*path, key))
        if isinstance(spec.get("probabilities"), list):
            for i in range(len(spec["probabilities"])):
                self.convert(spec["probabilities"], i, (*path, "probabilities", i))
        law = self.infer(spec, path)
        required, defaults = DISTRIBUTIONS[law]
        accepted = (*required, *defaults)
        for key in spec:
            if key != "distribution" and key not in accepted:
                raise self.error((*path, key), self.stray_key(key, law, accepted))
        for key in required:
            if key not in spec:
                raise self.error(path, f"{law} needs {key} (keys: {', '.join(accepted)})")
        given = {k: copy.deepcopy(v) for k, v in spec.items() if k != "distribution"}
        args = {**given, **{k: v for k, v in defaults.items() if k not in given}}
        self.check(law, args, path)
        return Param(param_path, law, args)

    def infer(self, spec: dict[str, Any], path: Path) -> str:
        """The distribution, as wandb infers it (the first shape that fits wins)."""
        if "distribution" in spec:
            law = spec["distribution"]
            if not isinstance(law, str) or law not in DISTRIBUTIONS:
                hint = did_you_mean(law, DISTRIBUTIONS) if isinstance(law, str) else ""
                raise self.error(
                    (*path, "distribution"), f"{_show(law)!r} is not a distribution{hint}"
                )
            if law in _EXPONENT_LAWS:
                self.warn(
                    (*path, "distribution"),
                    f"{law} takes natural-log exponents (min: -5 means exp(-5) = 0.0067), as "
                    f"wandb does; for bounds given as values write {law}_values",
                )
            return str(law)
        if "value" in spec:
            return "constant"
        if "values" in spec:
            return "categorical_w_probabilities" if "probabilities" in spec else "categorical"
        if "min" in spec and "max" in spec:
            low, high = spec["min"], spec["max"]
            if _is_int(low) and _is_int(high):
                self.warn(
                    path,
                    f"min: {low} and max: {high} are both integers, so the values are the "
                    f"integers {low} .. {high} (int_uniform, as in wandb); write {low}.0 for a "
                    f"float range",
                )
                return "int_uniform"
            return "uniform"
        for key in spec:
            if key not in _PARAM_KEYS:
                hint = did_you_mean(key, sorted(_PARAM_KEYS))
                raise self.error(
                    (*path, key), f"not a parameter key{hint}; a parameter is one of {_SHAPES}"
                )
        given = "{" + ", ".join(spec) + "}"
        if "min" in spec or "max" in spec:
            missing = "max" if "min" in spec else "min"
            raise self.error(path, f"{given} has no {missing}: a range needs min and max")
        if spec:
            key = next(iter(spec))
            owners = [n for n, (req, opt) in DISTRIBUTIONS.items() if key in (*req, *opt)]
            raise self.error(
                path,
                f"no distribution fits {given}: name it, e.g. distribution: {owners[0]} "
                f"({key} is a key of {', '.join(owners)})",
            )
        raise self.error(path, f"no distribution fits {given}: a parameter is one of {_SHAPES}")

    @staticmethod
    def stray_key(key: str, law: str, accepted: tuple[str, ...]) -> str:
        hint = did_you_mean(key, accepted)
        if not hint:
            owners = [name for name, (req, opt) in DISTRIBUTIONS.items() if key in (*req, *opt)]
            if owners:
                hint = f" ({key} belongs to {', '.join(owners[:3])})"
            if accepted:
                hint += f"; {law} takes {', '.join(accepted)}"
        return f"{law} has no key {key!r}{hint}"

    def check(self, law: str, args: dict[str, Any], path: Path) -> None:
        """The values of a parameter's keys: types, ranges, relations."""
        for key in _NUMERIC_KEYS:
            if key in args:
                value = args[key]
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise self.error((*path, key), f"{_kind(value)} is not a number")
        for key in _POSITIVE_KEYS:
            if key in args and args[key] <= 0:
                raise self.error((*path, key), f"{args[key]} must be above 0")
        if "values" in args:
            self.check_values(args["values"], (*path, "values"))
        if law == "categorical_w_probabilities":
            self.check_probabilities(args, path)
        if "min" in args:
            low, high = args["min"], args["max"]
            if law == "int_uniform" and not (_is_int(low) and _is_int(high)):
                bad = "min" if not _is_int(low) else "max"
                raise self.error((*path, bad), f"int_uniform takes integers, not {args[bad]!r}")
            if low > high:
                raise self.error((*path, "min"), f"min {low} is above max {high}")
            if law in _VALUES_LAWS and low <= 0:
                raise self.error(
                    (*path, "min"),
                    f"{low} must be above 0 on a log scale: use a small positive min (1e-8) "
                    f"or list the values, 0 included, with values: [...]",
                )
            if law in _EXPONENT_LAWS:
                top = -low if law == "inv_log_uniform" else high
                if top > _MAX_EXP:
                    raise self.error(
                        (*path, "min" if law == "inv_log_uniform" else "max"),
                        f"exp({top}) overflows: {law}'s bounds are natural-log exponents; "
                        f"for bounds given as values write {law}_values",
                    )
        if law in ("log_normal", "q_log_normal") and args["mu"] + 20 * args["sigma"] > _MAX_EXP:
            raise self.error(path, "exp(mu + 20 sigma) overflows: mu or sigma is too large")
        if "q" in args and law in ("q_uniform", "q_log_uniform", "q_log_uniform_values", "q_beta"):
            low_b, high_b = Param(("_",), law, args)._bounds()
            k_low, k_high = _q_range(args["q"], low_b, high_b)
            if k_low > k_high:
                raise self.error(
                    (*path, "q"),
                    f"no multiple of q {args['q']} lies between {_show(low_b)} and "
                    f"{_show(high_b)}: use a smaller q",
                )

    def check_values(self, values: Any, path: Path) -> None:
        if not isinstance(values, list):
            raise self.error(path, f"expected a list, not {_kind(values)}")
        if not values:
            raise self.error(path, "the list is empty: give at least one value")
        numbers_seen = any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        if numbers_seen:
            for value in values:
                if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
                    self.warn(
                        path,
                        f"mixes numbers and the string {value!r}; write it unquoted if it is a "
                        f"number",
                    )
                    break

    def check_probabilities(self, args: dict[str, Any], path: Path) -> None:
        where = (*path, "probabilities")
        probabilities = args["probabilities"]
        if not isinstance(probabilities, list):
            raise self.error(where, f"expected a list of numbers, not {_kind(probabilities)}")
        if len(probabilities) != len(args["values"]):
            raise self.error(
                where,
                f"{len(probabilities)} probabilities for {len(args['values'])} values: give "
                f"one per value",
            )
        for i, p in enumerate(probabilities):
            if isinstance(p, bool) or not isinstance(p, (int, float)):
                raise self.error((*where, i), f"{_kind(p)} is not a number")
            if p < 0:
                raise self.error((*where, i), f"{p} is negative")
        total = math.fsum(probabilities)
        if abs(total - 1) > 1e-6:
            raise self.error(where, f"the probabilities add up to {total:g}, not 1")


# -- helpers -------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _to_number(value: Any) -> Any:
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        text = value.strip()
        return int(text) if _INTEGER.fullmatch(text) else float(text)
    return value


def _decimals(number: float) -> int:
    """The decimals of ``number`` as written (0.25 -> 2, 1e-05 -> 5), at most 15."""
    if _is_int(number):
        return 0
    exponent = decimal.Decimal(repr(number)).as_tuple().exponent
    return min(15, max(0, -exponent)) if isinstance(exponent, int) else 15


def _q_value(k: int, q: Any) -> Any:
    if _is_int(q):
        return k * q
    return round(k * q, _decimals(q))


def _q_range(q: Any, low: float, high: float) -> tuple[int, int]:
    """The multiples ``k`` of q whose value lies in [low, high] (k_low > k_high: none)."""
    k_low, k_high = math.ceil(low / q), math.floor(high / q)
    if _q_value(k_low - 1, q) >= low:  # float noise: 0.3 / 0.1 = 2.9999999999999996
        k_low -= 1
    if _q_value(k_high + 1, q) <= high:
        k_high += 1
    return k_low, k_high


def _no_grid(param: Param) -> str:
    if param.distribution == "categorical_w_probabilities":
        why = "a grid takes every value once: drop probabilities (or use method: random)"
    else:
        why = (
            f"{param.distribution} is continuous: list the values with values: [...] or use "
            f"q_uniform with a step q"
        )
    return f"no grid over {param.describe()}: {why}"


def _clip(x: float, low: float, high: float) -> float:
    return float(min(max(x, low), high))


@functools.lru_cache(maxsize=64)
def _affine(seed: int, total: int) -> tuple[int, int]:
    """``(a, b)`` with ``a`` coprime to ``total``: ``i -> (a*i + b) % total`` is a seeded
    permutation of ``range(total)``, computed one index at a time."""
    if total <= 1:
        return 1, 0
    rng = random.Random(f"{seed}:order")
    b = rng.randrange(total)
    while True:
        a = rng.randrange(1, total)
        if math.gcd(a, total) == 1:
            return a, b


def _dotted(path: Path) -> str:
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {value!r}"


def _show(value: Any, limit: int = 8) -> str:
    """Compact YAML-like text: ``[adam, sgd]``, ``1e-05``, ``{a: 1}``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        items = [_show(v, limit) for v in value[:limit]]
        more = f", ... ({len(value)} values)" if len(value) > limit else ""
        return "[" + ", ".join(items) + more + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v, limit)}" for k, v in value.items()) + "}"
    if isinstance(value, float):
        return repr(value)
    return str(value)
