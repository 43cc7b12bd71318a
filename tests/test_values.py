"""Tests for runconfig.values: how any value becomes plain JSON data."""

from __future__ import annotations

import argparse
import collections
import dataclasses
import datetime
import decimal
import enum
import fractions
import inspect
import json
import math
import pathlib
import re
import sys
import timeit
import types
import uuid
from typing import Any, NamedTuple

import numpy as np
import pydantic
import pytest

from runconfig.errors import ConfigValueError
from runconfig.values import (
    MAX_DEPTH,
    ValueConversionWarning,
    is_json_safe_scalar,
    sanitize,
)

# -- helpers and the real objects the tables use ------------------------------------------


def same(a: Any, b: Any) -> bool:
    """Equal, of the same types all the way down (1 != 1.0 != True), keys in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def json_safe(value: Any) -> bool:
    if isinstance(value, dict):
        return type(value) is dict and all(
            type(k) is str and json_safe(v) for k, v in value.items()
        )
    if isinstance(value, list):
        return type(value) is list and all(map(json_safe, value))
    return type(value) in {str, int, float, bool, type(None)}


class Point(NamedTuple):
    x: int
    y: int


class Color(enum.Enum):
    RED = "red"
    GREEN = 2


class Level(enum.IntEnum):
    LOW = 1


class Mode(str, enum.Enum):
    TRAIN = "train"


class Shape(enum.Enum):
    SQUARE = (2, 2)


class Opaque(enum.Enum):
    THING = object()


class Activation:
    def __str__(self) -> str:
        return "ReLU()"

    def forward(self) -> None:
        """A method, stored by name."""


class Callable:
    def __call__(self) -> None:
        """A callable object is not a function: it falls back to str()."""

    def __str__(self) -> str:
        return "Callable()"


class Args(argparse.Namespace):
    pass


class Tag(str):
    def __str__(self) -> str:
        return "overridden"


class Count(int):
    pass


class Ratio(float):
    pass


class ReadOnly(collections.abc.Mapping[str, int]):
    def __init__(self, data: dict[str, int]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> int:
        return self._data[key]

    def __iter__(self) -> Any:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


@dataclasses.dataclass
class Optim:
    name: str = "adam"
    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)


@dataclasses.dataclass
class Train:
    optim: Optim = dataclasses.field(default_factory=Optim)
    out: pathlib.Path = pathlib.Path("runs")
    unset: int = dataclasses.field(init=False)  # never assigned: left out
    module: types.ModuleType = math  # dataclasses.asdict() cannot deep-copy a module


@dataclasses.dataclass
class Node:
    name: str
    children: list[Any] = dataclasses.field(default_factory=list)


class OptimModel(pydantic.BaseModel):
    name: str = "sgd"
    momentum: float = 0.9
    when: datetime.date = datetime.date(2024, 1, 2)


class TrainModel(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)

    optim: OptimModel = OptimModel()
    steps: list[int] = [1, 2]
    weights: np.ndarray = np.array([0.5, 1.5])


def double(x: int) -> int:
    return 2 * x


# -- scalars -----------------------------------------------------------------------------

BIG = 2**100
SCALARS = [
    pytest.param("text", id="str"),
    pytest.param(3, id="int"),
    pytest.param(BIG, id="big-int-stays-exact"),
    pytest.param(2.0, id="whole-float-stays-float"),
    pytest.param(True, id="bool-stays-bool"),
    pytest.param(None, id="none"),
    pytest.param(float("nan"), id="nan-stays-float"),
    pytest.param(float("inf"), id="inf"),
    pytest.param(float("-inf"), id="minus-inf"),
]


@pytest.mark.parametrize("value", SCALARS)
def test_plain_scalars_are_returned_as_they_are(value: Any) -> None:
    assert sanitize(value, "k") is value


@pytest.mark.parametrize("value", SCALARS)
def test_plain_scalars_are_json_safe_scalars(value: Any) -> None:
    assert is_json_safe_scalar(value)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(Level.LOW, id="int-enum"),
        pytest.param(Mode.TRAIN, id="str-enum"),
        pytest.param(Count(1), id="int-subclass"),
        pytest.param(np.float64(1.0), id="numpy-float64"),
        pytest.param(np.str_("a"), id="numpy-str"),
        pytest.param([1], id="list"),
        pytest.param({}, id="dict"),
        pytest.param(b"x", id="bytes"),
    ],
)
def test_subclasses_and_containers_are_not_json_safe_scalars(value: Any) -> None:
    assert not is_json_safe_scalar(value)


# -- the silent conversions --------------------------------------------------------------

CONVERSIONS = [
    # containers
    pytest.param((1, (2.0, "a")), [1, [2.0, "a"]], id="nested-tuples-become-lists"),
    pytest.param(Point(1, 2), [1, 2], id="namedtuple-becomes-list-not-dict"),
    pytest.param(range(3), [0, 1, 2], id="range"),
    pytest.param(collections.deque([1, 2]), [1, 2], id="deque"),
    pytest.param(bytearray(b"\x01\x02"), [1, 2], id="bytearray-becomes-list-of-ints"),
    pytest.param(collections.UserList([1]), [1], id="user-list"),
    pytest.param({3, 1, 2}, [1, 2, 3], id="set-is-sorted"),
    pytest.param(frozenset({"b", "a"}), ["a", "b"], id="frozenset-is-sorted"),
    pytest.param({"a": 1}.keys(), ["a"], id="dict-keys-view-is-a-set"),
    pytest.param(collections.OrderedDict(b=1, a=2), {"b": 1, "a": 2}, id="ordered-dict"),
    pytest.param(collections.defaultdict(list, a=[1]), {"a": [1]}, id="defaultdict"),
    pytest.param(types.MappingProxyType({"a": 1}), {"a": 1}, id="mapping-proxy"),
    pytest.param(ReadOnly({"a": 1}), {"a": 1}, id="abc-mapping"),
    pytest.param(collections.UserDict(a=1), {"a": 1}, id="user-dict"),
    pytest.param(argparse.Namespace(lr=0.1, tags=("a",)), {"lr": 0.1, "tags": ["a"]}, id="ns"),
    pytest.param(Args(seed=1), {"seed": 1}, id="namespace-subclass"),
    pytest.param(slice(1, None, 2), {"start": 1, "stop": None, "step": 2}, id="slice"),
    # objects
    pytest.param(
        Train(),
        {
            "optim": {"name": "adam", "lr": 1e-3, "betas": [0.9, 0.999]},
            "out": "runs",
            "module": "math",
        },
        id="dataclass-instance-with-odd-and-unset-fields",
    ),
    pytest.param(
        OptimModel(),
        {"name": "sgd", "momentum": 0.9, "when": "2024-01-02"},
        id="pydantic-model",
    ),
    pytest.param(
        TrainModel(),
        {
            "optim": {"name": "sgd", "momentum": 0.9, "when": "2024-01-02"},
            "steps": [1, 2],
            "weights": [0.5, 1.5],
        },
        id="nested-pydantic-model-holding-a-numpy-array",
    ),
    # enums
    pytest.param(Color.RED, "red", id="enum-value"),
    pytest.param(Color.GREEN, 2, id="enum-int-value"),
    pytest.param(Level.LOW, 1, id="int-enum-value"),
    pytest.param(Mode.TRAIN, "train", id="str-enum-value"),
    pytest.param(Shape.SQUARE, [2, 2], id="enum-tuple-value"),
    pytest.param(Opaque.THING, "THING", id="enum-with-unconvertible-value-gives-name"),
    # scalars of other types
    pytest.param(b"caf\xc3\xa9", "café", id="utf8-bytes"),
    pytest.param(datetime.date(2024, 1, 2), "2024-01-02", id="date"),
    pytest.param(
        datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        "2024-01-02T03:04:05+00:00",
        id="datetime",
    ),
    pytest.param(datetime.time(12, 30), "12:30:00", id="time"),
    pytest.param(datetime.timedelta(minutes=1, seconds=30), 90.0, id="timedelta-in-seconds"),
    pytest.param(pathlib.PurePosixPath("runs/a"), "runs/a", id="posix-path"),
    pytest.param(pathlib.PureWindowsPath("C:/runs"), "C:\\runs", id="windows-path"),
    pytest.param(
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "12345678-1234-5678-1234-567812345678",
        id="uuid",
    ),
    pytest.param(decimal.Decimal("0.10"), "0.10", id="decimal-exact"),
    pytest.param(fractions.Fraction(1, 3), "1/3", id="fraction"),
    pytest.param(complex(1, 2), "(1+2j)", id="complex"),
    pytest.param(collections.UserString("ab"), "ab", id="user-string"),
    pytest.param(Tag("plain"), "plain", id="str-subclass-ignores-its-str"),
    pytest.param(Count(7), 7, id="int-subclass"),
    pytest.param(Ratio(0.5), 0.5, id="float-subclass"),
    # names
    pytest.param(math.sqrt, "math.sqrt", id="builtin-function"),
    pytest.param(len, "builtins.len", id="builtin"),
    pytest.param(double, f"{__name__}.double", id="function"),
    pytest.param(Activation, f"{__name__}.Activation", id="class"),
    pytest.param(Activation().forward, f"{__name__}.Activation.forward", id="method"),
    pytest.param(Optim, f"{__name__}.Optim", id="dataclass-type"),
    pytest.param(OptimModel, f"{__name__}.OptimModel", id="pydantic-model-type"),
    pytest.param(Color, f"{__name__}.Color", id="enum-type"),
    pytest.param(int, "builtins.int", id="builtin-type"),
    pytest.param(math, "math", id="module"),
    pytest.param(np.float32, "numpy.float32", id="numpy-type"),
    pytest.param(np.sqrt, "numpy.sqrt", id="numpy-ufunc"),
]


@pytest.mark.parametrize(("value", "expected"), CONVERSIONS)
def test_known_types_convert_silently_to_plain_json_values(value: Any, expected: Any) -> None:
    result = sanitize(value, "k")
    assert same(result, expected), result
    assert json_safe(result)


def test_lambda_is_stored_by_its_qualified_name() -> None:
    assert (
        sanitize(lambda: 0, "k")
        == f"{__name__}.test_lambda_is_stored_by_its_qualified_name.<locals>.<lambda>"
    )


def test_unsortable_set_keeps_its_iteration_order() -> None:
    mixed = {1, "a", None}
    assert sanitize(mixed, "k") == list(mixed)


# -- numpy and torch -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(np.int64(5), 5, id="int64"),
        pytest.param(np.uint8(255), 255, id="uint8"),
        pytest.param(np.float32(0.5), 0.5, id="float32"),
        pytest.param(np.float16(1.0), 1.0, id="float16-stays-float"),
        pytest.param(np.float64("nan"), float("nan"), id="nan-stays-float"),
        pytest.param(np.bool_(True), True, id="bool"),
        pytest.param(np.str_("adam"), "adam", id="str"),
        pytest.param(np.datetime64("2024-01-02"), "2024-01-02", id="datetime64"),
    ],
)
def test_numpy_scalars_become_python_scalars(value: Any, expected: Any) -> None:
    assert same(sanitize(value, "k"), expected)


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        pytest.param(np.array(3.5), 3.5, id="0-d-is-a-scalar"),
        pytest.param(np.array([7]), [7], id="one-element"),
        pytest.param(np.arange(6).reshape(2, 3), [[0, 1, 2], [3, 4, 5]], id="2x3"),
        pytest.param(np.zeros((2, 1, 2)), [[[0.0, 0.0]], [[0.0, 0.0]]], id="3-d"),
        pytest.param(np.arange(1000), list(range(1000)), id="large-is-not-abbreviated"),
        pytest.param(np.array([True, False]), [True, False], id="bool"),
        pytest.param(np.array([], dtype=float), [], id="empty"),
    ],
)
def test_numpy_array_of_any_shape_becomes_nested_lists(array: Any, expected: Any) -> None:
    assert same(sanitize(array, "k"), expected)


def test_numpy_object_array_elements_are_converted_too() -> None:
    array = np.array([{"p": pathlib.PurePosixPath("a")}, Color.RED, None], dtype=object)
    assert sanitize(array, "k") == [{"p": "a"}, "red", None]


def test_torch_tensors_become_python_values() -> None:
    torch = pytest.importorskip("torch")
    weights = torch.ones(2, 2, requires_grad=True)
    assert sanitize(weights, "k") == [[1.0, 1.0], [1.0, 1.0]]
    assert same(sanitize(torch.tensor(3), "k"), 3)
    assert same(sanitize({"t": torch.tensor([0.5])}, "k"), {"t": [0.5]})


# -- other libraries' configs ----------------------------------------------------------


def test_runconfig_config_as_a_value_is_stored_as_its_dict() -> None:
    config = pytest.importorskip("runconfig.config")
    cfg = config.Config({"opt": {"lr": 0.1, "betas": [0.9, 0.99]}})
    assert sanitize({"copied": cfg}, "k") == {"copied": {"opt": {"lr": 0.1, "betas": [0.9, 0.99]}}}
    assert sanitize(cfg.opt, "k") == {"lr": 0.1, "betas": [0.9, 0.99]}


def test_omegaconf_config_is_resolved_and_stored_as_plain_data() -> None:
    omegaconf = pytest.importorskip("omegaconf")
    conf = omegaconf.OmegaConf.create({"lr": 0.1, "copy": "${lr}", "layers": [1, 2]})
    assert sanitize(conf, "k") == {"lr": 0.1, "copy": 0.1, "layers": [1, 2]}


# -- keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "stored"),
    [
        pytest.param(1, "1", id="int"),
        pytest.param(BIG, str(BIG), id="big-int"),
        pytest.param(True, "true", id="bool"),
        pytest.param(None, "null", id="none"),
        pytest.param(1.5, "1.5", id="float"),
        pytest.param(float("nan"), "NaN", id="nan"),
        pytest.param(Color.RED, "red", id="enum-value"),
        pytest.param(Level.LOW, "1", id="int-enum"),
        pytest.param(Opaque.THING, "THING", id="enum-name"),
        pytest.param(np.int64(3), "3", id="numpy-int"),
        pytest.param(datetime.date(2024, 1, 2), "2024-01-02", id="date"),
        pytest.param((1, 2), "(1, 2)", id="tuple-as-its-str"),
        pytest.param(Tag("t"), "t", id="str-subclass"),
    ],
)
def test_keys_that_are_not_strings_are_stored_as_json_spells_them(key: Any, stored: str) -> None:
    assert sanitize({key: 0}, "k") == {stored: 0}
    if is_json_safe_scalar(key):  # the same spelling json.dumps uses
        assert json.dumps({key: 0}) == json.dumps({stored: 0})


def test_keys_of_nested_dicts_inside_lists_are_converted() -> None:
    assert sanitize([{1: {2: "x"}}], "k") == [{"1": {"2": "x"}}]


@pytest.mark.parametrize(
    ("value", "path", "keys"),
    [
        pytest.param({1: "a", "1": "b"}, "k", "1 and '1'", id="int-and-str"),
        pytest.param({"true": 1, True: 2}, "k", "'true' and True", id="str-and-bool"),
        pytest.param({None: 1, "null": 2}, "k", "None and 'null'", id="none-and-str"),
        pytest.param(
            {"x": {Color.GREEN: 1, "2": 2}}, "k.x", "<Color.GREEN: 2> and '2'", id="nested"
        ),
    ],
)
def test_keys_that_collide_once_converted_are_refused(value: Any, path: str, keys: str) -> None:
    with pytest.raises(ConfigValueError, match=f"config key '{re.escape(path)}' has keys"):
        sanitize(value, "k")
    with pytest.raises(ConfigValueError, match=re.escape(keys)):
        sanitize(value, "k")


# -- errors --------------------------------------------------------------------------------


def test_bytes_that_are_not_utf8_raise_config_value_error_naming_the_key() -> None:
    with pytest.raises(ConfigValueError, match=r"config key 'data\.blob' holds bytes") as info:
        sanitize({"blob": b"\xff\xfe"}, "data")
    assert type(info.value) is ConfigValueError
    assert not isinstance(info.value, UnicodeDecodeError)


def test_error_messages_give_the_full_path_with_list_indices() -> None:
    value = {"layers": [{}, {}, {"act": b"\xff"}]}
    with pytest.raises(ConfigValueError, match=re.escape("'train.layers[2].act'")):
        sanitize(value, "train")


def test_error_messages_write_odd_nested_keys_in_backticks() -> None:
    with pytest.raises(ConfigValueError, match=re.escape("'k.`a.b`'")):
        sanitize({"a.b": b"\xff"}, "k")


def self_dict() -> dict[str, Any]:
    d: dict[str, Any] = {}
    d["b"] = d
    return d


def self_list() -> list[Any]:
    items: list[Any] = [1]
    items.append(items)
    return items


def indirect() -> dict[str, Any]:
    outer: dict[str, Any] = {"x": [0, {}]}
    outer["x"][1]["y"] = outer
    return outer


def node_cycle() -> Node:
    node = Node("root")
    node.children.append(node)
    return node


@pytest.mark.parametrize(
    ("make", "where"),
    [
        pytest.param(self_dict, "a.b", id="dict-contains-itself"),
        pytest.param(self_list, "a[1]", id="list-contains-itself"),
        pytest.param(indirect, "a.x[1].y", id="indirect"),
        pytest.param(node_cycle, "a.children[0]", id="through-a-dataclass"),
    ],
)
def test_a_cycle_raises_config_value_error_where_it_closes(make: Any, where: str) -> None:
    message = f"config key '{re.escape(where)}' contains itself \\(a cycle\\)"
    with pytest.raises(ConfigValueError, match=message):
        sanitize(make(), "a")


def test_a_shared_reference_is_not_a_cycle_and_is_copied_twice() -> None:
    shared = [1, {"z": 2}]
    result = sanitize({"a": shared, "b": [shared]}, "k")
    assert result == {"a": shared, "b": [shared]}
    assert result["a"] is not result["b"][0]


def nested_dicts(depth: int) -> dict[str, Any]:
    root: dict[str, Any] = {}
    node = root
    for _ in range(depth):
        node["a"] = {}
        node = node["a"]
    return root


def nested_lists(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("make", [nested_dicts, nested_lists], ids=["dicts", "lists"])
def test_very_deep_nesting_raises_config_value_error_not_recursion_error(make: Any) -> None:
    with pytest.raises(ConfigValueError, match=f"nested more than {MAX_DEPTH} levels deep"):
        sanitize(make(10_000), "deep")


@pytest.mark.parametrize("make", [nested_dicts, nested_lists], ids=["dicts", "lists"])
def test_nesting_within_the_depth_limit_is_stored(make: Any) -> None:
    value = make(MAX_DEPTH - 1)
    assert sanitize(value, "deep") == value


def test_deep_values_convert_even_when_the_call_stack_is_nearly_full() -> None:
    def call_at_depth(remaining: int) -> Any:
        if remaining:
            return call_at_depth(remaining - 1)
        return sanitize(nested_lists(MAX_DEPTH - 1), "deep")

    free_frames = sys.getrecursionlimit() - len(inspect.stack(0))
    assert call_at_depth(free_frames - 30) == nested_lists(MAX_DEPTH - 1)


# -- the str() fallback --------------------------------------------------------------------


def test_unknown_objects_are_stored_as_their_str_with_a_warning_naming_key_and_type() -> None:
    expected = (
        f"config key 'model.act' holds a {__name__}.Activation; stored as its str(): 'ReLU()'"
    )
    with pytest.warns(ValueConversionWarning, match=re.escape(expected)) as record:
        assert sanitize({"act": Activation()}, "model") == {"act": "ReLU()"}
    assert record[0].filename == __file__  # points at the caller, not at runconfig


def test_the_fallback_warns_once_per_key_and_type() -> None:
    with pytest.warns(ValueConversionWarning):
        sanitize(Activation(), "once.a")
    assert sanitize(Activation(), "once.a") == "ReLU()"  # warnings are errors here
    with pytest.warns(ValueConversionWarning, match="once.b"):
        sanitize(Activation(), "once.b")


def test_a_callable_object_is_stored_as_its_str_not_as_a_name() -> None:
    with pytest.warns(ValueConversionWarning, match="Callable"):
        assert sanitize(Callable(), "callable") == "Callable()"


# -- copies, JSON and speed ----------------------------------------------------------------


def test_later_changes_to_the_callers_dict_change_nothing_stored() -> None:
    source: dict[str, Any] = {"a": [1, 2], "b": {"c": 1}}
    result = sanitize(source, "k")
    source["a"].append(3)
    source["b"]["c"] = 2
    source["d"] = 4
    assert result == {"a": [1, 2], "b": {"c": 1}}


def test_later_changes_to_the_callers_list_change_nothing_stored() -> None:
    source: list[Any] = [1, [2], {"x": 3}]
    result = sanitize(source, "k")
    source[1].append(9)
    source[2]["x"] = 0
    source.append(5)
    assert result == [1, [2], {"x": 3}]
    assert result is not source


def test_later_changes_to_the_callers_numpy_array_change_nothing_stored() -> None:
    array = np.zeros(3)
    result = sanitize({"w": array}, "k")
    array[0] = 5.0
    assert result == {"w": [0.0, 0.0, 0.0]}


def test_a_large_mixed_structure_survives_json_dumps() -> None:
    value = {
        "optim": Optim(),
        "model": TrainModel(),
        "color": Color.RED,
        "level": Level.LOW,
        "grid": np.arange(100).reshape(10, 10),
        "weights": np.linspace(0, 1, 50, dtype=np.float32),
        "tags": {"b", "a"},
        "when": datetime.datetime(2024, 1, 2, 3, 4),
        "span": datetime.timedelta(hours=1),
        "limits": [float("nan"), float("inf"), -float("inf"), 2.0, BIG],
        "path": pathlib.PurePosixPath("/data"),
        "fn": math.sqrt,
        "ns": argparse.Namespace(seed=1),
        "bytes": b"ok",
        7: {None: (Point(1, 2), range(2))},
        "layers": [{"units": np.int64(u), "act": "relu"} for u in range(200)],
    }
    result = sanitize(value, "run")
    assert json_safe(result)
    text = json.dumps(result)
    assert same(json.loads(text), result)
    assert result["7"] == {"null": [[1, 2], [0, 1]]}


def test_a_flat_dict_of_a_thousand_floats_converts_well_under_a_millisecond() -> None:
    flat = {f"key{i}": i * 0.5 for i in range(1000)}
    seconds = min(timeit.repeat(lambda: sanitize(flat, "k"), number=20, repeat=5)) / 20
    assert seconds < 1e-3
