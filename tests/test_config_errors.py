"""Tests for the errors a Config raises and for its change rules (allow_val_change)."""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable
from typing import Any

import pytest

from runconfig import Config
from runconfig._entries import Change
from runconfig.errors import (
    ConfigAttributeError,
    ConfigError,
    ConfigKeyError,
    ConfigTypeError,
    ConfigValueError,
    RunconfigError,
    UsageError,
)


def base() -> Config:
    return Config(
        {
            "lr": 0.1,
            "learning_rate": 0.01,
            "train": {"epochs": 3, "layers": [1, 2]},
            "flag": True,
            "count": 1,
            "name": "adam",
            "unset": None,
        }
    )


def cyclic_list() -> list[Any]:
    a: list[Any] = []
    a.append(a)
    return a


def cyclic_dict() -> dict[str, Any]:
    d: dict[str, Any] = {}
    d["self"] = d
    return d


def detached_write(cfg: Config) -> None:
    node = cfg.train
    cfg.update({"train": 5}, allow_val_change=True)
    node.epochs = 4


def write_below_a_leaf(cfg: Config) -> None:
    placeholder = cfg["later"]
    cfg.later = 1
    placeholder["x"] = 2


# (id, action, error type, fragments the message must contain)
MISTAKES: list[tuple[str, Callable[[Config], Any], type[Exception], list[str]]] = [
    (
        "change a top-level value",
        lambda c: setattr(c, "lr", 0.2),
        ConfigValueError,
        ["'lr'", "from 0.1 to 0.2", "allow_val_change=True"],
    ),
    (
        "change by item",
        lambda c: c.__setitem__("lr", 0.2),
        ConfigValueError,
        ["'lr'", "from 0.1 to 0.2", "allow_val_change=True"],
    ),
    (
        "change by update",
        lambda c: c.update({"lr": 0.2}),
        ConfigValueError,
        ["'lr'", "from 0.1 to 0.2", "config.update({'lr': 0.2}, allow_val_change=True)"],
    ),
    (
        "change a nested value by attribute",
        lambda c: setattr(c.train, "epochs", 4),
        ConfigValueError,
        ["'train.epochs'", "from 3 to 4", "{'train': {'epochs': 4}}", "allow_val_change=True"],
    ),
    (
        "change a nested value by item",
        lambda c: c["train"].__setitem__("epochs", 4),
        ConfigValueError,
        ["'train.epochs'", "from 3 to 4"],
    ),
    (
        "change a nested value by update",
        lambda c: c.update({"train": {"epochs": 4}}),
        ConfigValueError,
        ["'train.epochs'", "from 3 to 4"],
    ),
    (
        "change a nested value by a node's update",
        lambda c: c.train.update(epochs=4),
        ConfigValueError,
        ["'train.epochs'", "from 3 to 4"],
    ),
    (
        "fill a key that holds None",
        lambda c: setattr(c, "unset", 2048),
        ConfigValueError,
        ["'unset'", "from None to 2048"],
    ),
    (
        "turn a bool into an int",
        lambda c: setattr(c, "flag", 1),
        ConfigValueError,
        ["'flag'", "from True to 1"],
    ),
    (
        "turn an int into a bool",
        lambda c: setattr(c, "count", True),
        ConfigValueError,
        ["'count'", "from 1 to True"],
    ),
    (
        "turn a number into a string",
        lambda c: setattr(c, "count", "1"),
        ConfigValueError,
        ["'count'", "from 1 to '1'"],
    ),
    (
        "replace a node by a scalar",
        lambda c: setattr(c, "train", 5),
        ConfigValueError,
        ["'train'", "from {'epochs': 3, 'layers': [1, 2]} to 5"],
    ),
    (
        "replace a node by another dict",
        lambda c: setattr(c, "train", {"epochs": 3}),
        ConfigValueError,
        ["'train'", "to {'epochs': 3}"],
    ),
    (
        "replace a scalar by a dict",
        lambda c: c.update({"lr": {"a": 1}}),
        ConfigValueError,
        ["'lr'", "from 0.1 to {'a': 1}"],
    ),
    (
        "change a list in place",
        lambda c: c.train.layers.append(3),
        ConfigValueError,
        ["'train.layers'", "from [1, 2] to [1, 2, 3]"],
    ),
    (
        "write below a key that holds a scalar",
        write_below_a_leaf,
        ConfigValueError,
        ["'later.x'", "'later' holds a value that is not a dict", "allow_val_change=True"],
    ),
    (
        "a top-level key that is an int",
        lambda c: c.__setitem__(1, 2),  # type: ignore[index]
        ConfigTypeError,
        ["must be strings", "got 1 (int)"],
    ),
    (
        "a top-level key that is a tuple, in update",
        lambda c: c.update({("a", "b"): 1}),
        ConfigTypeError,
        ["must be strings", "('a', 'b') (tuple)"],
    ),
    (
        "a top-level key that is None, in the constructor",
        lambda c: Config({None: 1}),
        ConfigTypeError,
        ["must be strings", "None (NoneType)"],
    ),
    (
        "a top-level key that is an int, in setdefault",
        lambda c: c.setdefault(3, 1),  # type: ignore[arg-type]
        ConfigTypeError,
        ["must be strings", "got 3 (int)"],
    ),
    (
        "a top-level key that is an int, read by item",
        lambda c: c[5],  # type: ignore[index]
        ConfigTypeError,
        ["must be strings", "got 5 (int)"],
    ),
    (
        "an empty key",
        lambda c: c.__setitem__("", 1),
        ConfigValueError,
        ["cannot be empty"],
    ),
    (
        "a key made only of dashes",
        lambda c: c.update({"--": 1}),
        ConfigValueError,
        ["'--'", "empty once its leading and trailing dashes are stripped"],
    ),
    (
        "two spellings of one key in one update",
        lambda c: c.update({"--batch": 1, "batch": 2}),
        ConfigValueError,
        ["'--batch'", "'batch'", "same key 'batch'"],
    ),
    (
        "two nested keys stored alike",
        lambda c: c.update({"m": {1: "a", "1": "b"}}),
        ConfigValueError,
        ["'m'", "stored as '1'"],
    ),
    (
        "a list that contains itself",
        lambda c: setattr(c, "loop", cyclic_list()),
        ConfigValueError,
        ["'loop", "cycle"],
    ),
    (
        "a nested dict that contains itself",
        lambda c: c.update({"opt": {"d": cyclic_dict()}}),
        ConfigValueError,
        ["'opt.d", "cycle"],
    ),
    (
        "a missing key read by attribute",
        lambda c: c.learning_rte,
        ConfigAttributeError,
        ["'learning_rte'", "did you mean 'learning_rate'?", ".get('learning_rte', default)"],
    ),
    (
        "a missing nested key read by attribute",
        lambda c: c.train.epoch,
        ConfigAttributeError,
        ["'train.epoch'", "did you mean 'train.epochs'?", "config.train.get('epoch', default)"],
    ),
    (
        "a missing key read by item and used",
        lambda c: c["learning_rte"] * 2,
        ConfigKeyError,
        ["'learning_rte'", "did you mean 'learning_rate'?", "config.get('learning_rte', default)"],
    ),
    (
        "a missing key deleted by item",
        lambda c: c.__delitem__("nope"),
        ConfigKeyError,
        ["'nope'"],
    ),
    (
        "a missing key deleted by attribute",
        lambda c: delattr(c, "nope"),
        ConfigAttributeError,
        ["'nope'"],
    ),
    (
        "a missing key popped",
        lambda c: c.pop("lrr"),
        ConfigKeyError,
        ["'lrr'", "did you mean 'lr'?"],
    ),
    (
        "popitem on an empty config",
        lambda c: Config().popitem(),
        ConfigKeyError,
        ["popitem()", "empty"],
    ),
    (
        "a method name set by attribute",
        lambda c: setattr(c, "items", 1),
        ConfigAttributeError,
        ["'items'", "config['items'] = ..."],
    ),
    (
        "update with None",
        lambda c: c.update(None),
        ConfigTypeError,
        ["None"],
    ),
    (
        "update with a list that is not pairs",
        lambda c: c.update([1, 2]),
        ConfigTypeError,
        ["list"],
    ),
    (
        "a write through a node that was replaced",
        detached_write,
        UsageError,
        ["'train'", "replaced or removed", "config.train"],
    ),
    (
        "an origin path that cannot be parsed",
        lambda c: c.origin("a..b"),
        ConfigValueError,
        ["'a..b'"],
    ),
]


@pytest.mark.parametrize(
    ("action", "error", "fragments"),
    [m[1:] for m in MISTAKES],
    ids=[m[0] for m in MISTAKES],
)
def test_a_users_mistake_raises_a_runconfig_error_that_says_what_and_where(
    action: Callable[[Config], Any], error: type[Exception], fragments: list[str]
) -> None:
    cfg = base()
    with pytest.raises(error) as info:
        action(cfg)
    assert isinstance(info.value, RunconfigError)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message


# Those whose setup does not itself change the config.
UNCHANGED = [m for m in MISTAKES if m[1] not in (write_below_a_leaf, detached_write)]


@pytest.mark.parametrize(
    ("action", "error"),
    [m[1:3] for m in UNCHANGED],
    ids=[m[0] for m in UNCHANGED],
)
def test_a_users_mistake_leaves_the_config_as_it_was(
    action: Callable[[Config], Any], error: type[Exception]
) -> None:
    cfg = base()
    before, origins = cfg.as_dict(), cfg.origins()
    with pytest.raises(error):
        action(cfg)
    assert cfg.as_dict() == before and cfg.origins() == origins


@pytest.mark.parametrize(
    ("action", "error"),
    [m[1:3] for m in MISTAKES],
    ids=[m[0] for m in MISTAKES],
)
def test_a_users_mistake_is_not_chained_to_an_internal_exception(
    action: Callable[[Config], Any], error: type[Exception]
) -> None:
    with pytest.raises(error) as info:
        action(base())
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (ConfigKeyError, KeyError),
        (ConfigAttributeError, AttributeError),
        (ConfigTypeError, TypeError),
        (ConfigValueError, ValueError),
    ],
    ids=["key", "attribute", "type", "value"],
)
def test_config_errors_derive_from_the_base_and_the_builtin_they_stand_for(
    error: type[Exception], builtin: type[Exception]
) -> None:
    assert issubclass(error, ConfigError)
    assert issubclass(error, RunconfigError)
    assert issubclass(error, builtin)


def test_the_change_error_reads_as_one_clear_message() -> None:
    cfg = Config({"train": {"epochs": 3}})
    with pytest.raises(ConfigValueError) as info:
        cfg.train.epochs = 4
    assert str(info.value) == (
        "Attempted to change value of key 'train.epochs' from 3 to 4. If the change is "
        "intended, call config.update({'train': {'epochs': 4}}, allow_val_change=True), or "
        "pass allow_val_change=True to init() to allow changes for the whole run."
    )


def test_the_missing_attribute_error_reads_as_one_clear_message() -> None:
    cfg = Config({"lr": 0.1, "train": {"epochs": 3}})
    with pytest.raises(ConfigAttributeError) as info:
        _ = cfg.momentum
    assert str(info.value) == (
        "Config has no key 'momentum' (keys: lr, train). Set it first, or use "
        "config.get('momentum', default) for a key that may be absent."
    )


def test_the_change_error_shortens_huge_values() -> None:
    cfg = Config({"big": list(range(1000))})
    with pytest.raises(ConfigValueError) as info:
        cfg.big = list(range(1001))
    assert len(str(info.value)) < 400
    assert "'big'" in str(info.value) and "allow_val_change=True" in str(info.value)


@pytest.mark.parametrize(
    "action",
    [m[1] for m in MISTAKES if m[0] != "an origin path that cannot be parsed"],
    ids=[m[0] for m in MISTAKES if m[0] != "an origin path that cannot be parsed"],
)
def test_the_traceback_of_a_mistake_stops_at_the_method_the_user_called(
    action: Callable[[Config], Any],
) -> None:
    cfg = base()
    try:
        action(cfg)
    except RunconfigError as e:
        frames = traceback.extract_tb(e.__traceback__)
    # The method called, and for list methods and placeholder writes the helper they share.
    library = [f for f in frames if "/runconfig/" in f.filename.replace("\\", "/")]
    assert len(library) <= 2, [f"{f.filename}:{f.lineno} {f.name}" for f in frames]
    first = library[0].name  # a public method or a dunder (the placeholder's are all _fail)
    assert not first.startswith("_") or first.startswith("__") or first == "_fail"


# -- the change rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (1, 1),
        (1, 1.0),
        (1.0, 1),
        (0.1, 0.1),
        (float("nan"), float("nan")),
        ("a", "a"),
        (None, None),
        (True, True),
        ([1, 2], (1, 2)),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
        ({"a": [float("nan")]}, {"a": [float("nan")]}),
        ({}, {}),
    ],
    ids=[
        "same int",
        "int then equal float",
        "float then equal int",
        "same float",
        "nan",
        "same str",
        "none",
        "same bool",
        "tuple equal to a list",
        "dict in another order",
        "nan inside",
        "empty dict",
    ],
)
def test_resetting_an_equal_value_is_not_a_change(first: Any, second: Any) -> None:
    calls: list[list[Change]] = []
    cfg = Config({"x": first}, callback=calls.append)
    calls.clear()
    cfg.x = second
    cfg["x"] = second
    cfg.update({"x": second})
    assert calls == []


def test_an_equal_number_keeps_the_first_type() -> None:
    cfg = Config({"i": 1, "f": 2.0})
    cfg.update({"i": 1.0, "f": 2})
    assert type(cfg.i) is int and type(cfg.f) is float


@pytest.mark.parametrize(
    ("first", "second"),
    [(True, 1), (1, True), (False, 0), (0.0, False), (None, 0), (0, None), ("1", 1), ([1], 1)],
    ids=[
        "true then 1",
        "1 then true",
        "false then 0",
        "0.0 then false",
        "none then 0",
        "0 then none",
        "str then int",
        "list then int",
    ],
)
def test_values_of_different_kinds_are_a_change(first: Any, second: Any) -> None:
    cfg = Config({"x": first})
    with pytest.raises(ConfigValueError):
        cfg.x = second
    cfg.update({"x": second}, allow_val_change=True)
    assert type(cfg.x) is type(second) or isinstance(second, tuple)


def test_update_with_allow_val_change_overwrites_at_every_depth() -> None:
    calls: list[list[Change]] = []
    cfg = Config({"lr": 0.1, "train": {"epochs": 3}}, callback=calls.append)
    calls.clear()
    cfg.update({"lr": 0.2, "train": {"epochs": 4}}, allow_val_change=True)
    assert cfg.as_dict() == {"lr": 0.2, "train": {"epochs": 4}}
    assert [(c.path, c.value) for c in calls[0]] == [(("lr",), 0.2), (("train", "epochs"), 4)]


def test_a_config_created_with_allow_val_change_allows_every_write() -> None:
    cfg = Config({"lr": 0.1, "train": {"epochs": 3}}, allow_val_change=True)
    cfg.lr = 0.2
    cfg["lr"] = 0.3
    cfg.train.epochs = 4
    cfg.train = {"epochs": 5, "bs": 8}
    cfg.update({"lr": 0.4})
    assert cfg.as_dict() == {"lr": 0.4, "train": {"epochs": 5, "bs": 8}}


def test_an_explicit_false_overrides_the_configs_default() -> None:
    cfg = Config({"lr": 0.1}, allow_val_change=True)
    with pytest.raises(ConfigValueError):
        cfg.update({"lr": 0.2}, allow_val_change=False)


def test_the_default_can_be_switched_for_a_run() -> None:
    cfg = Config({"lr": 0.1})
    cfg._set_allow_val_change(True)
    cfg.lr = 0.2
    assert cfg.lr == 0.2


def test_update_is_atomic_across_keys() -> None:
    calls: list[list[Change]] = []
    cfg = Config({"lr": 0.1, "train": {"epochs": 3}}, callback=calls.append)
    calls.clear()
    with pytest.raises(ConfigValueError, match=r"'train\.epochs'"):
        cfg.update({"new": 1, "train": {"bs": 8, "epochs": 4}, "later": 2})
    assert cfg.as_dict() == {"lr": 0.1, "train": {"epochs": 3}}
    assert calls == []


@pytest.mark.parametrize(
    "bad",
    [{"ok": 1, 5: 2}, {"ok": 1, "loop": cyclic_list()}, {"ok": 1, "lr": 0.5}],
    ids=["a bad key", "a bad value", "a refused change"],
)
def test_update_applies_nothing_when_any_key_is_refused(bad: dict[Any, Any]) -> None:
    cfg = Config({"lr": 0.1})
    with pytest.raises(ConfigError):
        cfg.update(bad)
    assert cfg.as_dict() == {"lr": 0.1}


def test_deleting_needs_no_allow_val_change() -> None:
    cfg = Config({"a": 1, "b": {"c": 2}, "d": 3, "e": 4})
    del cfg.a
    del cfg["b"]["c"]
    cfg.pop("d")
    cfg.popitem()
    assert cfg.as_dict() == {"b": {}}


def test_a_deleted_key_can_be_set_again_to_another_value() -> None:
    cfg = Config({"a": 1})
    del cfg.a
    cfg.a = 2
    assert cfg.a == 2


def test_replacing_a_scalar_by_a_dict_with_allow_val_change_makes_a_node() -> None:
    cfg = Config({"opt": "adam"}, allow_val_change=True)
    cfg["opt"] = {"name": "adam"}
    assert cfg.opt.name == "adam"
    cfg.update({"lr": 1})
    placeholder = cfg["sched"]
    cfg.sched = 1
    placeholder["warmup"] = 3
    assert cfg.as_dict()["sched"] == {"warmup": 3}


def test_nan_and_infinities_are_stored_and_compared() -> None:
    cfg = Config({"n": float("nan"), "i": float("inf")})
    cfg.update({"n": float("nan"), "i": float("inf")})
    assert math.isnan(cfg.n) and cfg.i == math.inf
