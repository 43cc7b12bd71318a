"""Tests for runconfig.config: Config as a mapping, access at every depth, keys, values,
origins, the callback and copies. Errors and change rules: test_config_errors.py; locks:
test_config_locks.py."""

from __future__ import annotations

import copy
import json
import math
import pickle
import sys
from collections.abc import Callable, MutableMapping
from typing import Any

import pytest

from runconfig import Config, ConfigList, ConfigNode
from runconfig._entries import REMOVED, Change
from runconfig.errors import (
    ConfigAttributeError,
    ConfigError,
    ConfigKeyError,
    ConfigValueError,
    UsageError,
)


class Recorder:
    """A callback that records every call."""

    def __init__(self) -> None:
        self.calls: list[list[Change]] = []

    def __call__(self, changes: list[Change]) -> None:
        self.calls.append(list(changes))

    @property
    def changes(self) -> list[Change]:
        return [c for call in self.calls for c in call]


def line_above() -> str:
    """``"test_config.py:<line>"``, the origin of a write made on the line above the call."""
    return f"test_config.py:{sys._getframe(1).f_lineno - 1}"


@pytest.fixture
def cfg() -> Config:
    return Config({"lr": 0.1, "train": {"epochs": 3, "batch_size": 32}, "_hidden": 1})


# -- 2. a real mapping ---------------------------------------------------------------------


def test_config_and_its_nodes_are_dicts_and_mutable_mappings(cfg: Config) -> None:
    assert isinstance(cfg, MutableMapping) and isinstance(cfg, dict)
    assert isinstance(cfg.train, MutableMapping) and isinstance(cfg.train, dict)


def test_len_and_iteration_give_user_keys_in_insertion_order(cfg: Config) -> None:
    cfg.zeta = 1
    cfg.alpha = 2
    assert len(cfg) == 4
    assert list(cfg) == ["lr", "train", "zeta", "alpha"]
    assert list(cfg.keys()) == ["lr", "train", "zeta", "alpha"]
    assert list(cfg.train) == ["epochs", "batch_size"]


def test_values_and_items_follow_the_keys(cfg: Config) -> None:
    assert list(cfg.values()) == [0.1, {"epochs": 3, "batch_size": 32}]
    assert list(cfg.items()) == [("lr", 0.1), ("train", {"epochs": 3, "batch_size": 32})]
    assert dict(cfg.train.items()) == {"epochs": 3, "batch_size": 32}


def test_get_returns_the_value_or_the_default(cfg: Config) -> None:
    assert cfg.get("lr") == 0.1
    assert cfg.get("absent") is None
    assert cfg.get("absent", 7) == 7
    assert cfg.train.get("epochs") == 3
    assert cfg.train.get("absent", "x") == "x"


def test_pop_removes_the_key_and_returns_a_plain_copy(cfg: Config) -> None:
    assert cfg.pop("train") == {"epochs": 3, "batch_size": 32}
    assert type(cfg.pop("lr")) is float
    assert "train" not in cfg and "lr" not in cfg
    assert cfg.pop("absent", None) is None
    assert type(Config({"a": {"b": 1}}).pop("a")) is dict


def test_popitem_removes_the_last_key(cfg: Config) -> None:
    assert cfg.popitem() == ("train", {"epochs": 3, "batch_size": 32})
    assert list(cfg) == ["lr"]


def test_setdefault_sets_only_an_absent_key_and_returns_the_value(cfg: Config) -> None:
    assert cfg.setdefault("lr", 5) == 0.1
    assert cfg.setdefault("momentum", 0.9) == 0.9
    assert cfg.momentum == 0.9
    assert cfg.train.setdefault("warmup", 2) == 2
    assert cfg.as_dict()["train"] == {"epochs": 3, "batch_size": 32, "warmup": 2}


def test_del_removes_a_key_by_item_and_by_attribute(cfg: Config) -> None:
    del cfg["lr"]
    del cfg.train.epochs
    assert cfg.as_dict() == {"train": {"batch_size": 32}}


def test_clear_removes_every_visible_key_and_keeps_hidden_ones(cfg: Config) -> None:
    cfg.clear()
    assert len(cfg) == 0 and cfg.as_dict() == {}
    assert cfg["_hidden"] == 1


def test_config_equals_a_dict_with_the_same_content(cfg: Config) -> None:
    assert cfg == {"lr": 0.1, "train": {"epochs": 3, "batch_size": 32}}
    assert {"lr": 0.1, "train": {"epochs": 3, "batch_size": 32}} == cfg  # noqa: SIM300
    assert cfg.train == {"batch_size": 32, "epochs": 3}
    assert cfg != {"lr": 0.1}
    assert cfg != 5
    assert cfg == Config({"lr": 0.1, "train": {"epochs": 3, "batch_size": 32}})


def test_as_dict_is_a_deep_plain_copy_that_json_accepts(cfg: Config) -> None:
    cfg.layers = [1, [2, 3], {"a": 1}]
    out = cfg.as_dict()
    assert type(out) is dict and type(out["train"]) is dict and type(out["layers"]) is list
    assert json.loads(json.dumps(out)) == out
    out["train"]["epochs"] = 99
    out["layers"][1].append(4)
    assert cfg.train.epochs == 3 and cfg.layers == [1, [2, 3], {"a": 1}]


def test_dict_of_a_config_is_a_shallow_copy_without_hidden_keys(cfg: Config) -> None:
    assert dict(cfg) == {"lr": 0.1, "train": {"epochs": 3, "batch_size": 32}}
    assert {**cfg}.keys() == {"lr", "train"}


def test_hidden_keys_are_reachable_but_not_listed(cfg: Config) -> None:
    assert "_hidden" in cfg
    assert cfg["_hidden"] == 1 and cfg._hidden == 1 and cfg.get("_hidden") == 1
    assert "_hidden" not in list(cfg)
    assert "_hidden" not in cfg.keys()  # noqa: SIM118
    assert len(cfg) == 2
    assert "_hidden" not in cfg.as_dict()
    assert "_hidden" not in repr(cfg) and "_hidden" not in str(cfg)
    assert "_hidden" not in dir(cfg)


def test_hidden_keys_are_a_top_level_notion(cfg: Config) -> None:
    cfg.train._note = "x"
    assert list(cfg.train) == ["epochs", "batch_size", "_note"]
    assert cfg.as_dict()["train"]["_note"] == "x"


def test_repr_shows_the_visible_content_as_a_dict(cfg: Config) -> None:
    assert repr(cfg) == "{'lr': 0.1, 'train': {'epochs': 3, 'batch_size': 32}}"
    assert repr(cfg.train) == "{'epochs': 3, 'batch_size': 32}"


def test_an_empty_config_is_falsy_and_a_filled_one_truthy() -> None:
    assert not Config()
    assert Config({"a": 1})
    assert not Config({"_h": 1})


# -- 3. attribute and item access at every depth ------------------------------------------


def test_attribute_and_item_reads_give_the_same_value_at_every_depth(cfg: Config) -> None:
    assert cfg.train.epochs == cfg["train"]["epochs"] == cfg.train["epochs"] == 3
    assert cfg["train"] is cfg.train
    assert isinstance(cfg.train, ConfigNode)


def test_attribute_write_is_read_back_by_item_and_the_reverse() -> None:
    cfg = Config({"train": {}})
    cfg.train.epochs = 5
    assert cfg["train"]["epochs"] == 5
    cfg["train"]["batch"] = 8
    assert cfg.train.batch == 8


def test_nested_assignment_creates_the_key_in_an_existing_node() -> None:
    rec = Recorder()
    cfg = Config({"train": {"epochs": 3}}, callback=rec)
    rec.calls.clear()
    cfg.train.lr = 0.1
    line = line_above()
    assert cfg.as_dict() == {"train": {"epochs": 3, "lr": 0.1}}
    assert rec.calls == [[Change(("train", "lr"), 0.1, line)]]


def test_item_assignment_through_missing_keys_creates_them_all() -> None:
    rec = Recorder()
    cfg = Config(callback=rec)
    cfg["a"]["b"]["c"] = 1
    line = line_above()
    assert cfg.as_dict() == {"a": {"b": {"c": 1}}}
    assert cfg.a.b.c == 1
    assert rec.calls == [[Change(("a", "b", "c"), 1, line)]]
    assert cfg.origin("a.b.c") == line


def test_the_seed_nested_example_works() -> None:
    config = Config()
    config["train"]["epochs"] = 4
    assert list(range(config["train"]["epochs"])) == [0, 1, 2, 3]
    assert config.train.epochs == 4


def test_attribute_assignment_through_a_placeholder_creates_the_key() -> None:
    cfg = Config()
    cfg["opt"].name = "adam"
    assert cfg.as_dict() == {"opt": {"name": "adam"}}


def test_update_and_setdefault_through_a_placeholder_create_the_key() -> None:
    cfg = Config()
    cfg["opt"].update({"beta": 0.9}, eps=1e-8)
    assert cfg["sched"].setdefault("warmup", 3) == 3
    assert cfg.as_dict() == {"opt": {"beta": 0.9, "eps": 1e-8}, "sched": {"warmup": 3}}


def test_nested_dicts_become_config_nodes() -> None:
    cfg = Config()
    cfg.model = {"enc": {"layers": 2}}
    assert type(cfg.model) is ConfigNode and type(cfg.model.enc) is ConfigNode
    assert cfg.model.enc.layers == 2


def test_a_change_at_depth_is_reported_with_its_dotted_path() -> None:
    rec = Recorder()
    cfg = Config({"model": {"enc": {"layers": 2}}}, callback=rec, allow_val_change=True)
    rec.calls.clear()
    cfg.model.enc.layers = 4
    assert rec.changes == [Change(("model", "enc", "layers"), 4, rec.changes[0].origin)]
    assert cfg.model.enc.layers == 4


def test_update_with_a_nested_dict_merges_leaf_by_leaf() -> None:
    rec = Recorder()
    cfg = Config({"train": {"epochs": 3, "bs": 32}}, callback=rec)
    rec.calls.clear()
    cfg.update({"train": {"epochs": 3, "warmup": 1}, "lr": 0.1})
    assert cfg.as_dict() == {"train": {"epochs": 3, "bs": 32, "warmup": 1}, "lr": 0.1}
    assert [c.path for c in rec.changes] == [("train", "warmup"), ("lr",)]
    assert len(rec.calls) == 1


def test_update_of_a_node_merges_into_that_node() -> None:
    cfg = Config({"train": {"epochs": 3}})
    cfg.train.update({"bs": 8}, warmup=1)
    assert cfg.as_dict() == {"train": {"epochs": 3, "bs": 8, "warmup": 1}}


def test_update_takes_keyword_arguments_and_pairs() -> None:
    cfg = Config()
    cfg.update(lr=0.1)
    cfg.update([("bs", 8), ("opt", "adam")])
    assert cfg.as_dict() == {"lr": 0.1, "bs": 8, "opt": "adam"}


def test_assigning_an_equal_dict_to_a_node_is_not_a_change() -> None:
    rec = Recorder()
    cfg = Config({"train": {"epochs": 3, "bs": 8}}, callback=rec)
    rec.calls.clear()
    cfg.train = {"bs": 8, "epochs": 3}
    assert rec.calls == []


def test_assigning_a_new_dict_to_a_node_replaces_it_with_allow_val_change() -> None:
    rec = Recorder()
    cfg = Config({"train": {"epochs": 3, "bs": 8}}, callback=rec, allow_val_change=True)
    rec.calls.clear()
    old_node = cfg.train
    cfg.train = {"epochs": 5}
    assert cfg.as_dict() == {"train": {"epochs": 5}}
    assert rec.changes == [Change(("train",), {"epochs": 5}, rec.changes[0].origin)]
    with pytest.raises(UsageError, match="train"):
        old_node.epochs = 6


def test_setdefaults_adds_absent_keys_at_every_depth_and_keeps_the_rest() -> None:
    rec = Recorder()
    cfg = Config({"lr": 0.1, "train": {"epochs": 3}}, callback=rec)
    rec.calls.clear()
    cfg.setdefaults({"lr": 0.5, "train": {"epochs": 9, "bs": 8}, "opt": {"name": "adam"}})
    assert cfg.as_dict() == {
        "lr": 0.1,
        "train": {"epochs": 3, "bs": 8},
        "opt": {"name": "adam"},
    }
    assert [c.path for c in rec.changes] == [("train", "bs"), ("opt",)]
    assert len(rec.calls) == 1


def test_setdefaults_with_nothing_to_add_changes_nothing() -> None:
    rec = Recorder()
    cfg = Config({"lr": 0.1}, callback=rec)
    rec.calls.clear()
    cfg.setdefaults({"lr": 0.2})
    assert rec.calls == [] and cfg.lr == 0.1


# -- 3. missing keys -------------------------------------------------------------------------


def test_a_missing_attribute_raises_an_error_that_is_a_config_and_attribute_error() -> None:
    cfg = Config({"learning_rate": 0.1})
    with pytest.raises(ConfigError) as info:
        _ = cfg.learning_rte
    assert isinstance(info.value, AttributeError)
    assert isinstance(info.value, ConfigAttributeError)
    assert "did you mean 'learning_rate'?" in str(info.value)
    assert "'learning_rte'" in str(info.value)


def test_hasattr_and_getattr_with_a_default_work(cfg: Config) -> None:
    assert hasattr(cfg, "lr")
    assert not hasattr(cfg, "lr_typo")
    assert getattr(cfg, "lr_typo", "default") == "default"
    assert getattr(cfg.train, "absent", 0) == 0
    assert getattr(cfg, "lr", None) == 0.1


def test_a_missing_nested_attribute_names_the_dotted_key_and_the_close_match(cfg: Config) -> None:
    with pytest.raises(ConfigAttributeError) as info:
        _ = cfg.train.epoch
    assert "'train.epoch'" in str(info.value)
    assert "did you mean 'train.epochs'?" in str(info.value)


def test_a_missing_item_returns_a_placeholder_that_changes_nothing(cfg: Config) -> None:
    before = cfg.as_dict()
    placeholder = cfg["missing"]
    cfg["train"]["missing"]["deeper"]
    assert placeholder is not None
    assert "missing" not in cfg and "missing" not in cfg.train
    assert cfg.get("missing") is None
    assert len(cfg) == 2 and list(cfg.keys()) == ["lr", "train"]
    assert cfg.as_dict() == before


def test_a_read_never_reaches_the_callback() -> None:
    rec = Recorder()
    cfg = Config({"a": {"b": 1}}, callback=rec)
    rec.calls.clear()
    cfg["x"]["y"]
    cfg.a.b, cfg["a"]["b"], cfg.get("z"), "x" in cfg, list(cfg), len(cfg), cfg.as_dict()
    hasattr(cfg, "nope")
    assert rec.calls == []


USES = {
    "truth": bool,
    "equality": lambda p: p == 1,
    "inequality": lambda p: p != 1,
    "reflected equality": lambda p: 1 == p,  # noqa: SIM300
    "ordering": lambda p: p < 1,
    "reflected ordering": lambda p: 1 < p,  # noqa: SIM300
    "addition": lambda p: p + 1,
    "reflected addition": lambda p: 1 + p,
    "subtraction": lambda p: 1 - p,
    "multiplication": lambda p: p * 2,
    "division": lambda p: p / 2,
    "floor division": lambda p: p // 2,
    "power": lambda p: p**2,
    "negation": lambda p: -p,
    "str": str,
    "repr": repr,
    "format": lambda p: f"{p}",
    "format spec": lambda p: f"{p:>5}",
    "iteration": list,
    "range": range,
    "len": len,
    "int": int,
    "float": float,
    "round": round,
    "containment": lambda p: "a" in p,
    "hash": hash,
    "json": json.dumps,
    "json indented": lambda p: json.dumps(p, indent=2),
    "json nested": lambda p: json.dumps({"x": [p]}),
    "dict": dict,
    "keys": lambda p: p.keys(),
    "get": lambda p: p.get("a"),
    "attribute": lambda p: p.anything,
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
    "pickle": pickle.dumps,
    "stored as a value": lambda p: Config().__setitem__("x", p),
    "stored inside a value": lambda p: Config().update({"x": {"y": p}}),
}


@pytest.mark.parametrize("use", list(USES.values()), ids=list(USES))
def test_a_placeholder_used_as_a_value_raises_a_config_key_error(use: Any) -> None:
    cfg = Config({"learning_rate": 0.1, "train": {"epochs": 3}})
    with pytest.raises(ConfigKeyError) as info:
        use(cfg["learning_rte"])
    assert isinstance(info.value, KeyError) and isinstance(info.value, ConfigError)
    message = str(info.value)
    assert "'learning_rte'" in message
    assert "did you mean 'learning_rate'?" in message


def test_a_nested_placeholder_error_names_the_full_dotted_key() -> None:
    cfg = Config({"train": {"epochs": 3}})
    with pytest.raises(ConfigKeyError) as info:
        cfg["train"]["epoch"] + 1
    assert "'train.epoch'" in str(info.value)
    assert "did you mean 'train.epochs'?" in str(info.value)
    with pytest.raises(ConfigKeyError) as info:
        int(cfg["trian"]["epochs"])
    assert "'trian.epochs'" in str(info.value)
    assert "did you mean 'train'?" in str(info.value)


def test_the_placeholder_error_says_what_to_do() -> None:
    with pytest.raises(ConfigKeyError) as info:
        str(Config()["lr"])
    assert str(info.value) == (
        "Config has no key 'lr' (the config is empty). config['lr'] was used as a value, "
        "but reading a key by item does not create it. Set it first (config['lr'] = ...), "
        "or use config.get('lr', default) for a key that may be absent."
    )


def test_a_placeholder_is_never_stored() -> None:
    cfg = Config()
    with pytest.raises(ConfigKeyError):
        cfg.x = cfg["missing"]
    with pytest.raises(ConfigKeyError):
        cfg.update({"x": cfg["missing"]})
    assert cfg.as_dict() == {}


def test_a_placeholder_write_after_the_key_appeared_goes_into_it() -> None:
    cfg = Config()
    placeholder = cfg["train"]
    cfg.train = {"epochs": 3}
    placeholder["bs"] = 8
    assert cfg.as_dict() == {"train": {"epochs": 3, "bs": 8}}


# -- 3. keys named like methods --------------------------------------------------------------


@pytest.mark.parametrize("name", ["keys", "items", "values", "update", "get", "copy", "pop"])
def test_a_key_named_like_a_method_is_reached_by_item(name: str) -> None:
    cfg = Config({name: 3, "nested": {name: 4}})
    assert cfg[name] == 3 and cfg["nested"][name] == 4
    assert callable(getattr(cfg, name)) and callable(getattr(cfg.nested, name))
    assert cfg.as_dict() == {name: 3, "nested": {name: 4}}


def test_attribute_read_of_a_method_name_returns_the_method() -> None:
    cfg = Config({"keys": 3, "lr": 0.1})
    assert list(cfg.keys()) == ["keys", "lr"]
    cfg["update"] = 1
    cfg.update({"x": 1})
    assert cfg["update"] == 1 and cfg.x == 1


def test_attribute_write_of_a_method_name_raises_and_tells_to_use_item_access() -> None:
    cfg = Config({"train": {}})
    with pytest.raises(ConfigAttributeError) as info:
        cfg.keys = 3  # type: ignore[method-assign,assignment]
    assert "config['keys'] = ..." in str(info.value)
    with pytest.raises(ConfigAttributeError, match=r"config\['train'\]\['items'\] = \.\.\."):
        cfg.train.items = 3
    assert "keys" not in cfg and "items" not in cfg.train


def test_attribute_delete_of_a_method_name_raises_and_tells_to_use_item_access() -> None:
    cfg = Config({"keys": 3})
    with pytest.raises(ConfigAttributeError, match=r"del config\['keys'\]"):
        del cfg.keys
    del cfg["keys"]
    assert "keys" not in cfg


def test_a_nested_key_named_like_a_field_is_reached_by_item() -> None:
    cfg = Config({"m": {"_path": 1, "_data": 2}})
    assert cfg.m["_path"] == 1 and cfg.m["_data"] == 2
    assert cfg.m._path == ("m",)
    assert cfg.as_dict() == {"m": {"_path": 1, "_data": 2}}


def test_attribute_write_of_an_internal_field_name_raises() -> None:
    cfg = Config()
    with pytest.raises(ConfigAttributeError):
        cfg._root = {}  # type: ignore[assignment]
    cfg["_root"] = 1
    assert cfg["_root"] == 1 and cfg._root is cfg


def test_dir_lists_methods_and_identifier_keys(cfg: Config) -> None:
    cfg["batch-size"] = 8
    names = dir(cfg)
    assert {"lr", "train", "update", "keys", "as_dict"} <= set(names)
    assert "batch-size" not in names
    assert "epochs" in dir(cfg.train)


# -- 4. keys -------------------------------------------------------------------------------


def test_nested_keys_that_are_not_strings_are_stored_as_json_spells_them() -> None:
    cfg = Config({"m": {1: "a", 2.5: "b", False: "c", None: "d"}})
    assert cfg.as_dict() == {"m": {"1": "a", "2.5": "b", "false": "c", "null": "d"}}
    assert cfg.m["1"] == "a" and cfg.m[1] == "a"
    cfg.m[3] = "e"
    assert cfg.m["3"] == "e" and 3 in cfg.m
    cfg["n"][7] = "x"
    assert cfg.as_dict()["n"] == {"7": "x"}


@pytest.mark.parametrize("spelling", ["--lr", "-lr", "lr-", "--lr--"])
def test_dashes_around_a_top_level_key_are_stripped_on_writes_and_reads(spelling: str) -> None:
    cfg = Config(allow_val_change=True)
    cfg[spelling] = 0.1
    assert cfg.as_dict() == {"lr": 0.1}
    assert cfg[spelling] == 0.1 and cfg.get(spelling) == 0.1 and spelling in cfg
    assert getattr(cfg, spelling) == 0.1
    cfg.update({spelling: 0.2})
    assert cfg.lr == 0.2
    assert cfg.pop(spelling) == 0.2
    assert cfg.as_dict() == {}


def test_inner_dashes_and_nested_dashes_are_kept() -> None:
    cfg = Config({"--batch-size": 8, "opt": {"--x": 1}})
    assert cfg.as_dict() == {"batch-size": 8, "opt": {"--x": 1}}


def test_a_dotted_key_is_one_literal_key_that_never_collides_with_nesting() -> None:
    cfg = Config({"a.b": 1, "a": {"b": 2}})
    assert cfg["a.b"] == 1 and cfg.a.b == 2
    assert cfg.as_dict() == {"a.b": 1, "a": {"b": 2}}
    assert cfg.origins().keys() == {"`a.b`", "a.b"}
    assert cfg.origin("`a.b`") == cfg.origin(("a.b",)) is not None
    del cfg["a.b"]
    assert cfg.as_dict() == {"a": {"b": 2}}


def test_an_empty_dict_is_a_value_that_round_trips() -> None:
    rec = Recorder()
    cfg = Config(callback=rec)
    cfg.opt = {}
    assert cfg.opt == {} and cfg.as_dict() == {"opt": {}}
    assert rec.changes[0].value == {}
    assert pickle.loads(pickle.dumps(cfg)).as_dict() == {"opt": {}}
    assert "opt" in cfg.origins()
    cfg.persist()
    assert rec.calls[-1][0].value == {"opt": {}}


# -- 7. values keep their type ------------------------------------------------------------


def test_values_keep_their_type() -> None:
    cfg = Config({"f": 2.0, "b": True, "i": 1, "n": None, "s": "x"})
    assert [type(cfg[k]) for k in "fbins"] == [float, bool, int, type(None), str]


def test_nan_is_kept_as_nan() -> None:
    cfg = Config({"x": float("nan")})
    assert math.isnan(cfg.x)
    assert math.isnan(cfg.as_dict()["x"])


def test_tuples_become_lists() -> None:
    cfg = Config({"t": (1, 2), "n": {"t": (3, (4,))}})
    assert cfg.as_dict() == {"t": [1, 2], "n": {"t": [3, [4]]}}
    assert type(cfg.t) is ConfigList


def test_the_callers_objects_are_copied() -> None:
    layers = [1, 2]
    opt: dict[str, Any] = {"betas": [0.9, 0.99]}
    cfg = Config({"layers": layers})
    cfg.opt = opt
    layers.append(3)
    opt["betas"].append(1.0)
    opt["new"] = 1
    assert cfg.as_dict() == {"layers": [1, 2], "opt": {"betas": [0.9, 0.99]}}


def test_values_go_through_the_sanitizer() -> None:
    import enum
    import pathlib

    class Color(enum.Enum):
        RED = "red"

    cfg = Config({"path": pathlib.PurePosixPath("/tmp/x"), "color": Color.RED, "s": {3, 1}})
    assert cfg.as_dict() == {"path": "/tmp/x", "color": "red", "s": [1, 3]}


# -- lists -----------------------------------------------------------------------------------


def test_a_list_changed_in_place_is_a_checked_and_reported_change() -> None:
    rec = Recorder()
    cfg = Config({"layers": [1, 2]}, callback=rec, allow_val_change=True)
    rec.calls.clear()
    layers = cfg.layers
    layers.append(3)
    line = line_above()
    assert cfg.layers == [1, 2, 3] and cfg.layers is layers
    assert rec.calls == [[Change(("layers",), [1, 2, 3], line)]]
    assert cfg.origin("layers") == line


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        (lambda xs: xs.append(9), [3, 1, 2, 9]),
        (lambda xs: xs.extend([9]), [3, 1, 2, 9]),
        (lambda xs: xs.insert(0, 9), [9, 3, 1, 2]),
        (lambda xs: xs.pop(), [3, 1]),
        (lambda xs: xs.remove(1), [3, 2]),
        (lambda xs: xs.clear(), []),
        (lambda xs: xs.sort(), [1, 2, 3]),
        (lambda xs: xs.reverse(), [2, 1, 3]),
        (lambda xs: xs.__setitem__(0, 9), [9, 1, 2]),
        (lambda xs: xs.__delitem__(0), [1, 2]),
        (lambda xs: xs.__iadd__([9]), [3, 1, 2, 9]),
        (lambda xs: xs.__imul__(2), [3, 1, 2, 3, 1, 2]),
    ],
    ids=[
        "append",
        "extend",
        "insert",
        "pop",
        "remove",
        "clear",
        "sort",
        "reverse",
        "setitem",
        "delitem",
        "iadd",
        "imul",
    ],
)
def test_every_in_place_list_method_is_tracked(op: Any, expected: list[int]) -> None:
    rec = Recorder()
    cfg = Config({"train": {"layers": [3, 1, 2]}}, callback=rec, allow_val_change=True)
    rec.calls.clear()
    op(cfg.train.layers)
    assert cfg.as_dict() == {"train": {"layers": expected}}
    assert [c.path for c in rec.changes] == [("train", "layers")]


def test_a_list_change_without_allow_val_change_raises_and_leaves_the_list() -> None:
    cfg = Config({"layers": [1, 2]})
    with pytest.raises(ConfigValueError, match="'layers' from \\[1, 2\\] to \\[1, 2, 3\\]"):
        cfg.layers.append(3)
    assert cfg.layers == [1, 2]


def test_augmented_assignment_on_a_list_key_is_one_change() -> None:
    rec = Recorder()
    cfg = Config({"layers": [1]}, callback=rec, allow_val_change=True)
    rec.calls.clear()
    cfg.layers += [2]
    assert cfg.layers == [1, 2] and len(rec.calls) == 1


def test_a_replaced_list_can_no_longer_be_written() -> None:
    cfg = Config({"layers": [1]}, allow_val_change=True)
    old = cfg.layers
    cfg.layers = "none"
    with pytest.raises(UsageError, match="layers"):
        old.append(2)


# -- 9. origins ----------------------------------------------------------------------------


def test_each_leaf_remembers_the_user_line_that_set_it() -> None:
    cfg = Config({"lr": 0.1})
    first = f"test_config.py:{sys._getframe().f_lineno - 1}"
    cfg.epochs = 4
    second = line_above()
    cfg["train"]["bs"] = 8
    third = line_above()
    cfg.update({"opt": {"name": "adam"}})
    fourth = line_above()
    assert cfg.origin("lr") == first
    assert cfg.origin("epochs") == second
    assert cfg.origin("train.bs") == third
    assert cfg.origin("opt.name") == fourth
    assert cfg.origins() == {
        "lr": first,
        "epochs": second,
        "train.bs": third,
        "opt.name": fourth,
    }


def test_origin_of_a_nested_attribute_write_is_the_users_line() -> None:
    cfg = Config({"train": {}})
    cfg.train.epochs = 5
    assert cfg.origin("train.epochs") == line_above()
    assert cfg.origin(("train", "epochs")) == cfg.train.origin("epochs")


def test_an_unchanged_value_keeps_its_origin_and_a_changed_one_takes_the_new() -> None:
    cfg = Config(allow_val_change=True)
    cfg.lr = 0.1
    line = line_above()
    cfg.lr = 0.1
    assert cfg.origin("lr") == line
    cfg.lr = 0.2
    assert cfg.origin("lr") == line_above()


def test_origin_of_an_absent_key_is_none() -> None:
    cfg = Config({"a": 1})
    assert cfg.origin("b") is None
    assert cfg.origin("a.b") is None


def test_origins_come_from_the_source() -> None:
    from runconfig.sources import Source

    cfg = Config()
    cfg.update(Source({"lr": 0.1, "opt": {"b": 1}}, "init", {("opt",): "params.yaml:7"}))
    assert cfg.origins() == {"lr": "init", "opt.b": "params.yaml:7"}


def test_argparse_values_have_the_option_as_origin() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("-b", "--batch-size", type=int, default=8)
    args = parser.parse_args([])
    cfg = Config()
    cfg.update(args)
    assert cfg.batch_size == 8
    assert cfg.origin("batch_size") == "argparse --batch-size"


def test_absl_flags_have_the_flag_as_origin() -> None:
    from absl import flags

    fv = flags.FlagValues()  # type: ignore[no-untyped-call]
    flags.DEFINE_string("model", "cnn", "model to run", flag_values=fv)
    fv(["train.py", "--model", "resnet"])
    cfg = Config()
    cfg.update(fv)
    assert cfg.model == "resnet"
    assert cfg.origin("model") == "absl --model"


def test_updating_from_another_config_keeps_its_origins() -> None:
    source = Config({"lr": 0.1})
    line = line_above()
    source.update_locked({"opt": {"beta": 0.9}})
    cfg = Config()
    cfg.update(source)
    assert cfg.origins() == {"lr": line, "opt.beta": "sweep"}


def test_a_yaml_file_gives_file_and_line_origins(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text("lr: 0.1\ntrain:\n  epochs: 3\n")
    cfg = Config()
    cfg.update("params.yaml")
    assert cfg.origins() == {"lr": "params.yaml:1", "train.epochs": "params.yaml:3"}


def test_a_standalone_config_does_not_read_config_defaults(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config-defaults.yaml").write_text("lr:\n  value: 0.1\n")
    assert Config().as_dict() == {}


# -- 10. the callback and persist() -------------------------------------------------------


def test_a_standalone_config_works_without_a_callback() -> None:
    cfg = Config()
    cfg.lr = 0.1
    cfg.persist()
    assert cfg.as_dict() == {"lr": 0.1}


def test_the_callback_gets_one_list_of_changes_per_operation() -> None:
    rec = Recorder()
    cfg = Config(callback=rec)
    cfg.lr = 0.1
    cfg["bs"] = 8
    cfg.update({"a": 1, "b": {"c": 2}})
    del cfg.a
    cfg.pop("b")
    assert [[(c.path, c.value) for c in call] for call in rec.calls] == [
        [(("lr",), 0.1)],
        [(("bs",), 8)],
        [(("a",), 1), (("b",), {"c": 2})],
        [(("a",), REMOVED)],
        [(("b",), REMOVED)],
    ]
    assert all(type(call) is list and all(type(c) is Change for c in call) for call in rec.calls)


def test_an_update_of_new_top_level_values_is_one_call_of_changes_in_order() -> None:
    # The usual update() (new keys, plain values) skips the per-key planning: the same
    # changes, origins and key rules as any other write.
    rec = Recorder()
    cfg = Config({"kept": 1}, callback=rec)
    rec.calls.clear()
    values = {"lr": 0.1, "epochs": 3, "opt": "adam", "flag": True, "none": None,
              "_hidden": 1, "a.b": 2, "ключ": 3, "warmup-steps": 4}  # fmt: skip
    cfg.update(values)
    line = line_above()
    assert rec.calls == [[Change((k,), v, line) for k, v in values.items()]]
    shown = {k: v for k, v in values.items() if k != "_hidden"}
    assert cfg.as_dict() == {"kept": 1, **shown} and list(cfg)[:2] == ["kept", "lr"]
    assert cfg["_hidden"] == 1 and cfg.origin("_hidden") == line
    assert {k: cfg.origin((k,)) for k in values} == dict.fromkeys(values, line)
    cfg.update({"--new-": 5, "other": 6})  # a dashed key: stripped, as any write does
    assert cfg["new"] == 5 and list(cfg)[-2:] == ["new", "other"]
    for bad in ({"ok": 1, 2: "x"}, {"ok": 1, "": "x"}, {"ok": 1, "-": "x"}):
        with pytest.raises(ConfigError):
            cfg.update(bad)
        assert "ok" not in cfg
    with pytest.raises(ConfigValueError, match="epochs"):
        cfg.update({"fresh": 1, "epochs": 4})
    assert "fresh" not in cfg


def test_the_constructor_values_are_one_call() -> None:
    rec = Recorder()
    Config({"a": 1, "b": 2}, callback=rec)
    assert len(rec.calls) == 1 and [c.path for c in rec.calls[0]] == [("a",), ("b",)]


def test_the_callback_is_not_called_when_nothing_changed() -> None:
    rec = Recorder()
    cfg = Config({"a": 1, "b": {"c": [1, 2]}}, callback=rec)
    rec.calls.clear()
    cfg.a = 1
    cfg.a = 1.0
    cfg.update({"a": 1, "b": {"c": (1, 2)}})
    cfg.b = {"c": [1, 2]}
    cfg.b.c.extend([])
    cfg.update({})
    cfg.setdefaults({"a": 2})
    Config(callback=rec).clear()
    assert rec.calls == []


def test_change_values_are_plain_json_data() -> None:
    rec = Recorder()
    cfg = Config(callback=rec)
    cfg.update({"a": {"b": (1, 2)}, "c": [{"d": 1}]})
    for change in rec.changes:
        json.dumps(change.value)
    assert rec.changes[0].value == {"b": [1, 2]} and type(rec.changes[0].value) is dict


def test_clear_is_one_call_of_removals() -> None:
    rec = Recorder()
    cfg = Config({"a": 1, "b": 2, "_h": 3}, callback=rec)
    rec.calls.clear()
    cfg.clear()
    assert rec.calls == [[Change(("a",), REMOVED), Change(("b",), REMOVED)]]


def test_persist_calls_the_callback_with_the_whole_config_as_a_plain_dict() -> None:
    rec = Recorder()
    cfg = Config({"lr": 0.1, "train": {"epochs": 3}, "layers": [1], "_wandb": {"v": 1}})
    cfg._set_callback(rec)
    cfg.persist()
    assert rec.calls == [
        [
            Change(
                (),
                {"lr": 0.1, "train": {"epochs": 3}, "layers": [1], "_wandb": {"v": 1}},
                "persist",
            )
        ]
    ]
    value = rec.calls[0][0].value
    assert type(value["train"]) is dict and type(value["layers"]) is list
    json.dumps(value)


def test_the_callback_runs_before_the_change_so_a_refusal_leaves_the_config_unchanged() -> None:
    seen: list[Any] = []

    def refuse(changes: list[Change]) -> None:
        seen.append(config.as_dict())
        raise RuntimeError("store is gone")

    config = Config({"lr": 0.1, "train": {"epochs": 3}, "layers": [1]}, allow_val_change=True)
    config._set_callback(refuse)
    before = config.as_dict()
    attempts: list[Callable[[], Any]] = [
        lambda: setattr(config, "lr", 0.2),
        lambda: config.__setitem__("new", 1),
        lambda: setattr(config.train, "epochs", 4),
        lambda: config.update({"lr": 0.3, "x": 1}),
        lambda: config.update({"x": 1, "y": "two"}),
        lambda: config.__delitem__("lr"),
        lambda: config.layers.append(2),
        lambda: config["a"]["b"].__setitem__("c", 1),
        lambda: config.clear(),
    ]
    for attempt in attempts:
        with pytest.raises(RuntimeError, match="store is gone"):
            attempt()
        assert config.as_dict() == before
    assert seen == [before] * len(attempts)
    assert config.origin("lr") is not None and config.layers == [1]


# -- copies and pickling --------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_copy",
    [lambda c: c.copy(), copy.copy, copy.deepcopy, lambda c: pickle.loads(pickle.dumps(c))],
    ids=["copy method", "copy.copy", "copy.deepcopy", "pickle"],
)
def test_a_copy_of_a_config_is_standalone_with_the_same_content(make_copy: Any) -> None:
    rec = Recorder()
    cfg = Config({"lr": 0.1, "train": {"epochs": 3}, "layers": [1], "_h": 2}, callback=rec)
    rec.calls.clear()
    other = make_copy(cfg)
    assert type(other) is Config and other is not cfg
    assert other == cfg and other["_h"] == 2
    assert other.origins() == cfg.origins()
    other.new = 1
    other.train.bs = 8
    assert "new" not in cfg and "bs" not in cfg.train
    assert rec.calls == []


@pytest.mark.parametrize(
    "make_copy",
    [lambda n: n.copy(), copy.copy, copy.deepcopy, lambda n: pickle.loads(pickle.dumps(n))],
    ids=["copy method", "copy.copy", "copy.deepcopy", "pickle"],
)
def test_a_copy_of_a_nested_node_is_the_plain_dict_it_stands_for(make_copy: Any) -> None:
    rec = Recorder()
    cfg = Config({"train": {"epochs": 3, "opt": {"b": 1}}}, callback=rec)
    rec.calls.clear()
    other = make_copy(cfg.train)
    assert type(other) is dict and type(other["opt"]) is dict
    assert other == {"epochs": 3, "opt": {"b": 1}}
    other["epochs"] = 10  # a plain value: changed freely, the config untouched
    other["opt"]["b"] = 2
    assert cfg.train.epochs == 3 and cfg.train.opt.b == 1 and rec.calls == []


def test_a_copy_keeps_the_allow_val_change_default() -> None:
    other = copy.deepcopy(Config({"a": 1}, allow_val_change=True))
    other.a = 2
    assert other.a == 2
    with pytest.raises(ConfigValueError):
        copy.deepcopy(Config({"a": 1})).a = 2


def test_allow_val_change_defaults_to_true_in_a_notebook_unless_given(monkeypatch: Any) -> None:
    monkeypatch.setitem(sys.modules, "ipykernel", sys)
    notebook = Config({"a": 1})
    notebook.a = 2
    assert notebook.a == 2
    with pytest.raises(ConfigValueError):
        Config({"a": 1}, allow_val_change=False).a = 2


def test_a_list_from_a_config_copies_and_pickles_as_a_plain_list() -> None:
    cfg = Config({"layers": [1, [2]]})
    assert type(copy.copy(cfg.layers)) is list
    assert type(pickle.loads(pickle.dumps(cfg.layers))) is list
    deep = copy.deepcopy(cfg.layers)
    deep[1].append(3)
    assert cfg.layers == [1, [2]]


def test_update_changing_many_atoms_reports_only_what_changed_in_one_call() -> None:
    # update(..., allow_val_change=True) of a whole set of hyperparameters: the changed
    # keys are one report, in order, with this line as origin; the unchanged are not
    # reported; origins and notes follow the values.
    rec = Recorder()
    cfg = Config(callback=rec, allow_val_change=True)
    cfg.update({"lr": 0.1, "n": 3, "name": "a", "flag": True, "z": None, "same": 1.0})
    cfg._descs["lr"] = "a note of the old value"
    rec.calls.clear()
    new = {"lr": 0.2, "n": 3.0, "name": "b", "flag": 1, "z": None, "same": 1.0}
    cfg.update(new)
    line = rec.changes[0].origin
    assert line is not None and line.endswith(f":{sys._getframe().f_lineno - 2}")
    assert rec.calls == [
        [
            Change(("lr",), 0.2, line),
            Change(("name",), "b", line),
            Change(("flag",), 1, line),
        ]
    ]
    assert dict(cfg) == {"lr": 0.2, "n": 3, "name": "b", "flag": 1, "z": None, "same": 1.0}
    assert type(cfg["n"]) is int and type(cfg["flag"]) is int
    assert cfg.origins()["lr"] == line and cfg.origins()["n"] != line
    assert "lr" not in cfg.descs()


def test_update_changing_atoms_without_allow_val_change_still_refuses_each() -> None:
    cfg = Config({"lr": 0.1, "n": 3}, allow_val_change=False)
    with pytest.raises(ConfigValueError, match="lr"):
        cfg.update({"n": 3, "lr": 0.2})
    assert dict(cfg) == {"lr": 0.1, "n": 3}
