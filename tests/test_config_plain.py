"""A config's values are what Python code expects in a config: dicts and lists.

Code that serialises or walks configs (json, yaml, OmegaConf, copy, pickle, isinstance)
takes nested nodes and lists as the plain values they are, while every write through them
is still checked and stored.
"""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
from typing import Any

import pytest
import yaml

import runconfig
from runconfig import Config, ConfigError
from runconfig._entries import Change

VALUES: dict[str, Any] = {
    "lr": 0.001,
    "opt": {"name": "adam", "betas": [0.9, 0.999], "sched": {"warmup": 10}},
    "layers": [64, {"units": 32}],
    "flag": True,
    "none": None,
}


@pytest.fixture
def cfg() -> Config:
    c = Config(VALUES)
    c["_hidden"] = 1
    return c


def test_nested_nodes_are_dicts_and_lists_are_lists_at_every_depth(cfg: Config) -> None:
    assert isinstance(cfg["opt"], dict) and isinstance(cfg.opt.sched, dict)
    assert isinstance(cfg.opt.betas, list) and isinstance(cfg.layers, list)
    assert isinstance(cfg, dict)


@pytest.mark.parametrize(
    "convert",
    [
        lambda c: dict(c),
        lambda c: c.as_dict(),
        lambda c: json.loads(json.dumps(dict(c))),
        lambda c: json.loads(json.dumps(c)),
        lambda c: {**c},
        lambda c: yaml.safe_load(yaml.safe_dump(dict(c))),
        lambda c: yaml.safe_load(yaml.dump(dict(c))),
        lambda c: yaml.safe_load(yaml.safe_dump(c)),
        lambda c: pickle.loads(pickle.dumps(dict(c))),
        lambda c: copy.deepcopy(dict(c)),
    ],
    ids=[
        "dict",
        "as_dict",
        "json of dict",
        "json of config",
        "unpacked",
        "yaml.safe_dump",
        "yaml.dump",
        "yaml.safe_dump of config",
        "pickle",
        "deepcopy",
    ],
)
def test_every_conversion_gives_the_same_values_without_hidden_keys(
    cfg: Config, convert: Any
) -> None:
    out = convert(cfg)
    assert out == VALUES
    assert "_hidden" not in out


def test_yaml_dump_writes_no_python_tags_and_no_origins(cfg: Config) -> None:
    text = yaml.dump(dict(cfg))
    assert "!!python" not in text and "origin" not in text and "test_config_plain" not in text
    assert "!!python" not in yaml.dump(cfg)


def test_nodes_compare_equal_to_plain_values_both_ways(cfg: Config) -> None:
    assert cfg == VALUES and VALUES == cfg  # noqa: SIM300 (both sides are meant)
    assert cfg.opt == VALUES["opt"] and VALUES["opt"] == cfg.opt
    assert cfg.opt.betas == [0.9, 0.999] and [0.9, 0.999] == cfg.opt.betas  # noqa: SIM300
    assert cfg.opt != {"name": "sgd"} and not (cfg != VALUES)  # noqa: SIM202
    assert cfg.opt.sched == {"warmup": 10}


def test_copies_and_pickles_of_nodes_are_plain_values_one_can_change(cfg: Config) -> None:
    for make in (copy.copy, copy.deepcopy, lambda v: pickle.loads(pickle.dumps(v))):
        assert make(cfg.opt) == VALUES["opt"] and type(make(cfg.opt)) is dict
        assert make(cfg.opt.betas) == [0.9, 0.999] and type(make(cfg.opt.betas)) is list
        assert make(cfg) == VALUES
    for make in (copy.deepcopy, lambda v: pickle.loads(pickle.dumps(v))):
        whole = make(dict(cfg))  # what multiprocessing and deepcopy of dict(config) give
        whole["opt"]["name"] = "sgd"
        whole["opt"]["sched"]["warmup"] = 0
        assert cfg.opt.name == "adam" and cfg.opt.sched.warmup == 10


def test_omegaconf_takes_the_config_and_its_nodes() -> None:
    omegaconf = pytest.importorskip("omegaconf", reason="omegaconf is not installed")
    cfg = Config(VALUES)
    OmegaConf = omegaconf.OmegaConf
    for given in (dict(cfg), cfg.as_dict(), {**cfg}):
        assert OmegaConf.to_container(OmegaConf.create(given)) == VALUES
    assert OmegaConf.to_container(OmegaConf.create({"l": cfg.layers})) == {"l": VALUES["layers"]}
    merged = OmegaConf.merge(OmegaConf.create({"x": 1}), dict(cfg))
    assert OmegaConf.to_container(merged) == {"x": 1, **VALUES}
    if tuple(int(p) for p in omegaconf.__version__.split(".")[:2]) >= (2, 4):
        # OmegaConf 2.4 keeps a list of the dict types it takes as they are (2.3: exact dicts)
        assert OmegaConf.to_container(OmegaConf.create(cfg)) == VALUES
        assert OmegaConf.create(cfg.opt).sched.warmup == 10


def test_keys_named_like_methods_do_not_hide_the_methods() -> None:
    cfg = Config({"m": {"items": 1, "keys": 2, "get": 3, "update": 4, "_commit": 5}})
    cfg["items"] = "i"
    cfg["_set"] = "s"  # a hidden key named like an internal method
    node = cfg.m
    assert (
        node["items"] == 1
        and node.items() == {"items": 1, "keys": 2, "get": 3, "update": 4, "_commit": 5}.items()
    )
    assert list(node.keys()) == ["items", "keys", "get", "update", "_commit"]
    assert json.loads(json.dumps(dict(cfg))) == cfg.as_dict()
    assert yaml.safe_load(yaml.safe_dump(dict(cfg)))["m"]["items"] == 1
    cfg.lr = 0.1  # the config's own machinery still works
    node.update({"extra": 1})
    assert cfg.as_dict()["m"]["extra"] == 1 and cfg["items"] == "i"


def test_writes_through_a_node_are_still_checked_and_reported() -> None:
    seen: list[list[Change]] = []
    cfg = Config(VALUES, callback=seen.append)
    seen.clear()
    with pytest.raises(ConfigError):
        cfg.opt.name = "sgd"
    cfg.opt.sched["decay"] = 0.5
    cfg.opt |= {"eps": 1e-8}
    with pytest.raises(ConfigError):
        cfg.layers.append(16)  # a change of "layers", refused like any other
    cfg.opt.betas.extend([])  # no change: nothing reported
    paths = [ch.path for batch in seen for ch in batch]
    assert paths == [("opt", "sched", "decay"), ("opt", "eps")]
    assert cfg.opt.name == "adam" and cfg.layers == [64, {"units": 32}]


def test_a_merge_with_or_gives_a_plain_dict(cfg: Config) -> None:
    merged = cfg.opt | {"name": "sgd"}
    assert type(merged) is dict and merged["name"] == "sgd" and cfg.opt.name == "adam"
    assert ({"x": 1} | cfg.opt)["x"] == 1


def test_the_run_config_dumps_like_a_dict(tmp_path: Any) -> None:
    run = runconfig.init(project="p", store=str(tmp_path / "s.db"), config=VALUES)
    try:
        assert json.loads(json.dumps(dict(runconfig.config))) == VALUES
        assert yaml.safe_load(yaml.safe_dump(dict(run.config))) == VALUES
        assert isinstance(runconfig.config["opt"], dict)
    finally:
        runconfig.finish()


@pytest.mark.parametrize("order", ["import yaml, runconfig", "import runconfig, yaml"])
def test_yaml_knows_the_config_types_whichever_is_imported_first(order: str) -> None:
    code = (
        f"{order}\n"
        "c = runconfig.Config({'a': {'b': [1, 2]}})\n"
        "assert yaml.safe_load(yaml.safe_dump(dict(c))) == {'a': {'b': [1, 2]}}\n"
        "assert '!!python' not in yaml.dump(dict(c))\n"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_importing_runconfig_does_not_import_yaml() -> None:
    code = "import sys, runconfig; print('yaml' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
