"""Tests for locked keys: values a sweep sets with update_locked(), which user writes cannot
change."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from runconfig import Config
from runconfig._entries import Change
from runconfig.errors import ConfigValueError, LockedKeyWarning


def swept(**extra: Any) -> tuple[Config, list[list[Change]]]:
    """A config whose ``lr`` and ``opt.beta`` a sweep locked; the callback's calls after."""
    calls: list[list[Change]] = []
    cfg = Config(
        {"lr": 0.5, "bs": 8, "opt": {"beta": 0.5, "name": "adam"}, **extra},
        callback=calls.append,
    )
    cfg.update_locked({"lr": 0.1, "opt": {"beta": 0.9}}, user="sweep")
    calls.clear()
    return cfg, calls


def messages(record: Any) -> list[str]:
    return [str(w.message) for w in record]


# -- update_locked -------------------------------------------------------------------------


def test_update_locked_sets_values_and_locks_their_leaves() -> None:
    cfg, _ = swept()
    assert cfg.as_dict() == {"lr": 0.1, "bs": 8, "opt": {"beta": 0.9, "name": "adam"}}
    assert cfg.locked_keys() == {"lr": "sweep", "opt.beta": "sweep"}


def test_update_locked_values_win_without_a_change_error_and_have_the_user_as_origin() -> None:
    cfg, _ = swept()
    assert cfg.origin("lr") == "sweep" and cfg.origin("opt.beta") == "sweep"
    assert cfg.origin("opt.name") != "sweep"


def test_update_locked_of_a_new_subtree_locks_each_leaf() -> None:
    cfg = Config()
    cfg.update_locked({"sched": {"warmup": 3, "decay": {"rate": 0.1}}}, user="launch")
    assert cfg.locked_keys() == {"sched.warmup": "launch", "sched.decay.rate": "launch"}


def test_update_locked_locks_keys_whose_value_did_not_change() -> None:
    cfg = Config({"lr": 0.1})
    cfg.update_locked({"lr": 0.1})
    assert cfg.locked_keys() == {"lr": "sweep"}


def test_update_locked_reports_one_call_to_the_callback() -> None:
    calls: list[list[Change]] = []
    cfg = Config({"lr": 0.5}, callback=calls.append)
    calls.clear()
    cfg.update_locked({"lr": 0.1, "opt": {"beta": 0.9}})
    assert calls == [[Change(("lr",), 0.1, "sweep"), Change(("opt",), {"beta": 0.9}, "sweep")]]


def test_a_later_update_locked_relocks_and_changes_without_a_warning() -> None:
    cfg, _ = swept()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cfg.update_locked({"lr": 0.2}, user="launch")
    assert cfg.lr == 0.2 and cfg.locked_keys()["lr"] == "launch"


# -- user writes to locked keys ------------------------------------------------------------

WRITES: dict[str, Callable[[Config], Any]] = {
    "attribute": lambda c: setattr(c, "lr", 0.3),
    "item": lambda c: c.__setitem__("lr", 0.3),
    "dashed item": lambda c: c.__setitem__("--lr", 0.3),
    "update": lambda c: c.update({"lr": 0.3}),
    "dashed update": lambda c: c.update({"--lr": 0.3}),
    "update with allow_val_change": lambda c: c.update({"lr": 0.3}, allow_val_change=True),
    "keyword update": lambda c: c.update(lr=0.3),
    "del": lambda c: c.__delitem__("lr"),
    "del by attribute": lambda c: delattr(c, "lr"),
    "pop": lambda c: c.pop("lr"),
}


@pytest.mark.parametrize("write", list(WRITES.values()), ids=list(WRITES))
def test_a_user_write_to_a_locked_key_is_ignored_with_a_warning(write: Any) -> None:
    cfg, calls = swept()
    with pytest.warns(LockedKeyWarning) as record:
        write(cfg)
    assert cfg.lr == 0.1 and cfg.origin("lr") == "sweep"
    assert messages(record) == [
        "config key 'lr' was locked by 'sweep' (value 0.1); writes to it are ignored. "
        "This warning is shown once per key."
    ]
    assert calls == []


NESTED_WRITES: dict[str, Callable[[Config], Any]] = {
    "attribute": lambda c: setattr(c.opt, "beta", 0.3),
    "item": lambda c: c["opt"].__setitem__("beta", 0.3),
    "update": lambda c: c.update({"opt": {"beta": 0.3}}),
    "node update": lambda c: c.opt.update(beta=0.3),
    "update with allow_val_change": lambda c: c.update(
        {"opt": {"beta": 0.3}}, allow_val_change=True
    ),
    "del": lambda c: c.opt.__delitem__("beta"),
    "scalar over the node": lambda c: c.update({"opt": 1}, allow_val_change=True),
    "del of the node": lambda c: c.__delitem__("opt"),
    "pop of the node": lambda c: c.pop("opt"),
    "node clear": lambda c: c.opt.clear(),
}


@pytest.mark.parametrize("write", list(NESTED_WRITES.values()), ids=list(NESTED_WRITES))
def test_a_user_write_to_a_locked_nested_key_is_ignored_with_a_warning(write: Any) -> None:
    cfg, _ = swept()
    with pytest.warns(LockedKeyWarning) as record:
        write(cfg)
    assert cfg.opt.beta == 0.9
    assert len(record) == 1
    assert "'opt.beta'" in str(record[0].message) and "'sweep'" in str(record[0].message)


def test_other_keys_of_the_same_update_still_apply() -> None:
    cfg, calls = swept()
    with pytest.warns(LockedKeyWarning):
        cfg.update({"lr": 0.3, "opt": {"beta": 0.3, "eps": 1e-8}, "new": 1})
    assert cfg.as_dict() == {
        "lr": 0.1,
        "bs": 8,
        "opt": {"beta": 0.9, "name": "adam", "eps": 1e-8},
        "new": 1,
    }
    assert [c.path for c in calls[0]] == [("opt", "eps"), ("new",)]
    assert len(calls) == 1


def test_a_dict_written_over_a_node_keeps_its_locked_leaves() -> None:
    cfg, calls = swept()
    cfg._set_allow_val_change(True)
    with pytest.warns(LockedKeyWarning, match="'opt.beta'"):
        cfg.opt = {"beta": 0.3, "lr_decay": 0.5}
    assert cfg.as_dict()["opt"] == {"beta": 0.9, "lr_decay": 0.5}
    assert calls[0][0].value == {"beta": 0.9, "lr_decay": 0.5}


def test_a_dict_without_the_locked_leaf_keeps_it_too() -> None:
    cfg, _ = swept()
    with pytest.warns(LockedKeyWarning, match="'opt.beta'"):
        cfg.update({"opt": 5}, allow_val_change=True)
    cfg.update({"opt": {"name": "sgd"}}, allow_val_change=True)
    assert cfg.as_dict()["opt"] == {"beta": 0.9, "name": "sgd"}


def test_a_locked_leaf_deep_in_a_replaced_node_is_kept() -> None:
    cfg = Config({"model": {"enc": {"dim": 64, "act": "relu"}}}, allow_val_change=True)
    cfg.update_locked({"model": {"enc": {"dim": 128}}})
    with pytest.warns(LockedKeyWarning, match="'model.enc.dim'"):
        cfg.model = {"enc": "small"}
    assert cfg.as_dict() == {"model": {"enc": {"dim": 128}}}


def test_the_warning_is_given_once_per_key_not_once_per_write() -> None:
    cfg, _ = swept()
    with pytest.warns(LockedKeyWarning) as record:
        for value in (0.2, 0.3, 0.4):
            cfg.lr = value
            cfg["--lr"] = value
            cfg.update({"lr": value, "opt": {"beta": value}})
            cfg.opt.beta = value
    assert len(record) == 2
    assert ["'lr'" in m for m in messages(record)] == [True, False]
    assert "'opt.beta'" in messages(record)[1]


def test_writing_the_locked_value_itself_is_silent() -> None:
    cfg, calls = swept()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cfg.lr = 0.1
        cfg.update({"lr": 0.1, "opt": {"beta": 0.9}})
    assert calls == []


def test_the_locked_key_warning_is_a_user_warning_pointing_at_the_users_line() -> None:
    assert issubclass(LockedKeyWarning, UserWarning)
    cfg, _ = swept()
    with pytest.warns(LockedKeyWarning) as record:
        cfg.update({"lr": 0.3})
    assert record[0].filename == __file__
    with pytest.warns(LockedKeyWarning) as record:
        cfg.opt.beta = 0.3
    assert record[0].filename == __file__


def test_clear_keeps_locked_keys_and_removes_the_rest() -> None:
    cfg, _ = swept()
    with pytest.warns(LockedKeyWarning) as record:
        cfg.clear()
    assert cfg.as_dict() == {"lr": 0.1, "opt": {"beta": 0.9, "name": "adam"}}
    assert len(record) == 2


def test_popitem_skips_locked_keys() -> None:
    cfg, _ = swept(extra=1)
    assert cfg.popitem() == ("extra", 1)
    assert cfg.popitem() == ("bs", 8)
    with pytest.raises(KeyError, match="locked"):
        cfg.popitem()


def test_a_locked_list_cannot_be_changed_in_place() -> None:
    cfg = Config(allow_val_change=True)
    cfg.update_locked({"layers": [1, 2]})
    with pytest.warns(LockedKeyWarning, match="'layers'"):
        cfg.layers.append(3)
    assert cfg.layers == [1, 2]


def test_setdefault_and_setdefaults_keep_locked_values_silently() -> None:
    cfg, _ = swept()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cfg.setdefault("lr", 0.3) == 0.1
        cfg.setdefaults({"lr": 0.3, "opt": {"beta": 0.3, "eps": 1}})
    assert cfg.lr == 0.1 and cfg.opt.beta == 0.9 and cfg.opt.eps == 1


def test_a_lock_is_not_bypassed_by_a_refused_change_elsewhere() -> None:
    cfg, _ = swept()
    with pytest.warns(LockedKeyWarning), pytest.raises(ConfigValueError, match="'bs'"):
        cfg.update({"lr": 0.3, "bs": 16})
    assert cfg.lr == 0.1 and cfg.bs == 8


def test_a_copy_keeps_the_locks() -> None:
    cfg, _ = swept()
    other = copy.deepcopy(cfg)
    assert other.locked_keys() == cfg.locked_keys()
    with pytest.warns(LockedKeyWarning):
        other.lr = 0.3
    assert other.lr == 0.1
