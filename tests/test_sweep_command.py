"""A trial's command line and parameter files (runconfig.sweeps._command): every macro of wandb's
sweep ``command``, values that read back with their types, and wandb's parameter file."""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path
from typing import Any

import pytest
import yaml

from runconfig.errors import SweepError
from runconfig.sources import read_file
from runconfig.sweeps._command import (
    DEFAULT_COMMAND,
    MACROS,
    build_command,
    render_value,
    write_args_json_file,
    write_param_file,
)

PARAMS: dict[str, Any] = {
    "lr": 1e-05,
    "epochs": 2.0,
    "flag": False,
    "on": True,
    "opt": {"name": "adam", "betas": [0.9, 0.999]},
    "layers": [64, 64],
    "name": "two words",
    "none": None,
}
PY = "/opt/py/bin/python3"
JSON_FILE = "/runs/wandb/sweep-s1/config-r1.json"


def build(command: list[str] | None, params: dict[str, Any] = PARAMS, **kw: Any) -> list[str]:
    options: dict[str, Any] = {
        "args_json_file": JSON_FILE,
        "environ": {},
        "interpreter": PY,
        "program": "train.py",
    }
    options.update(kw)
    program = options.pop("program")
    return build_command(command, program, params, **options)


# -- render_value -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("two words", "two words"),
        ("", ""),
        ("1e-05", "1e-05"),  # a string stays as it is
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (1e-05, "1e-05"),
        (2.0, "2.0"),
        (3, "3"),
        (-0.5, "-0.5"),
        ([64, 64], "[64, 64]"),
        ((1, 2), "[1, 2]"),
        ({"name": "adam"}, '{"name": "adam"}'),
        ({"name": "é"}, '{"name": "é"}'),  # not escaped
        ([], "[]"),
    ],
)
def test_render_value(value: Any, text: str) -> None:
    assert render_value(value) == text
    if not isinstance(value, str):
        back = json.loads(text)
        assert back == (list(value) if isinstance(value, tuple) else value)
        assert type(back) is type(value) or isinstance(value, tuple)


# -- every macro ----------------------------------------------------------------------------


def test_default_command() -> None:
    assert DEFAULT_COMMAND == ["${env}", "${interpreter}", "${program}", "${args}"]
    expected = [
        "/usr/bin/env",
        PY,
        "train.py",
        "--lr=1e-05",
        "--epochs=2.0",
        "--flag=false",
        "--on=true",
        '--opt={"name": "adam", "betas": [0.9, 0.999]}',
        "--layers=[64, 64]",
        "--name=two words",
        "--none=null",
    ]
    assert build(None) == expected
    assert build([]) == expected  # wandb: `command or DEFAULT_SWEEP_COMMAND`


def test_default_command_is_not_modified() -> None:
    build(None)
    assert DEFAULT_COMMAND == ["${env}", "${interpreter}", "${program}", "${args}"]


def test_env_interpreter_program() -> None:
    assert build(["${env}", "${interpreter}", "${program}"]) == ["/usr/bin/env", PY, "train.py"]


def test_env_dropped_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform, "system", lambda: "Windows")
    assert build(["${env}", "${interpreter}", "${program}"]) == [PY, "train.py"]


def test_args() -> None:
    assert build(["${args}"]) == [
        "--lr=1e-05",
        "--epochs=2.0",
        "--flag=false",
        "--on=true",
        '--opt={"name": "adam", "betas": [0.9, 0.999]}',
        "--layers=[64, 64]",
        "--name=two words",
        "--none=null",
    ]


def test_args_no_hyphens_flattens_nested() -> None:
    assert build(["${args_no_hyphens}"]) == [
        "lr=1e-05",
        "epochs=2.0",
        "flag=false",
        "on=true",
        "opt.name=adam",
        "opt.betas=[0.9, 0.999]",
        "layers=[64, 64]",
        "name=two words",
        "none=null",
    ]


def test_args_no_boolean_flags() -> None:
    assert build(["${args_no_boolean_flags}"]) == [
        "--lr=1e-05",
        "--epochs=2.0",
        "--on",
        '--opt={"name": "adam", "betas": [0.9, 0.999]}',
        "--layers=[64, 64]",
        "--name=two words",
        "--none=null",
    ]


def test_args_no_equals() -> None:
    assert build(["${args_no_equals}"]) == [
        "--lr",
        "1e-05",
        "--epochs",
        "2.0",
        "--flag",
        "false",
        "--on",
        "true",
        "--opt",
        '{"name": "adam", "betas": [0.9, 0.999]}',
        "--layers",
        "[64, 64]",
        "--name",
        "two words",
        "--none",
        "null",
    ]


def test_args_append_and_override_hydra() -> None:
    tail = [
        "lr=1e-05",
        "epochs=2.0",
        "flag=false",
        "on=true",
        "opt.name=adam",
        "opt.betas=[0.9, 0.999]",
        "layers=[64, 64]",
        "name=two words",
        "none=null",
    ]
    assert build(["${args_append_hydra}"]) == ["+" + t for t in tail]
    assert build(["${args_override_hydra}"]) == ["++" + t for t in tail]


def test_hydra_deeply_nested_and_empty_mapping() -> None:
    params = {"model": {"enc": {"depth": 2}, "extra": {}}, "k": 1}
    assert build(["${args_append_hydra}"], params) == [
        "+model.enc.depth=2",
        "+model.extra={}",
        "+k=1",
    ]
    assert build(["${args}"], params) == ['--model={"enc": {"depth": 2}, "extra": {}}', "--k=1"]


def test_args_json() -> None:
    argv = build(["${args_json}"])
    assert len(argv) == 1
    assert json.loads(argv[0]) == PARAMS
    assert list(json.loads(argv[0])) == list(PARAMS)  # key order kept
    assert build(["${args_json}"], {"who": "é"}) == ['{"who": "é"}']


def test_args_json_file() -> None:
    assert build(["python", "t.py", "--config", "${args_json_file}"]) == [
        "python",
        "t.py",
        "--config",
        JSON_FILE,
    ]


def test_every_macro_is_covered() -> None:
    assert set(MACROS) == {
        "env",
        "interpreter",
        "program",
        "args",
        "args_no_hyphens",
        "args_no_boolean_flags",
        "args_no_equals",
        "args_append_hydra",
        "args_override_hydra",
        "args_json",
        "args_json_file",
    }
    for macro in MACROS:
        assert build(["${" + macro + "}"]) is not None


def test_literal_items_and_order() -> None:
    argv = build(["${env}", "python3", "-u", "${program}", "--seed", "${args}", "--fast"])
    assert argv[:5] == ["/usr/bin/env", "python3", "-u", "train.py", "--seed"]
    assert argv[5] == "--lr=1e-05" and argv[-1] == "--fast"


def test_non_string_items_become_strings() -> None:
    command: Any = ["python", "train.py", 3, 0.5]  # YAML gives numbers
    assert build(command) == ["python", "train.py", "3", "0.5"]


def test_macro_inside_longer_item_is_passed_as_written() -> None:
    # as wandb: only whole items are macros (${envvar:...} aside)
    assert build(["--config=${args_json_file}"]) == ["--config=${args_json_file}"]


# -- values read back with their types -------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    p.add_argument("--lr", type=float)
    p.add_argument("--epochs", type=float)
    p.add_argument("--flag", type=json.loads)
    p.add_argument("--on", type=json.loads)
    p.add_argument("--opt", type=json.loads)
    p.add_argument("--layers", type=json.loads)
    p.add_argument("--name", type=str)
    p.add_argument("--none", type=json.loads)
    return p


@pytest.mark.parametrize("macro", ["${args}", "${args_no_equals}"])
def test_argparse_reads_values_back_typed(macro: str) -> None:
    ns = _parser().parse_args(build([macro]))
    assert vars(ns) == PARAMS
    assert isinstance(ns.lr, float) and isinstance(ns.epochs, float)
    assert ns.flag is False and ns.on is True and ns.none is None
    assert ns.opt == {"name": "adam", "betas": [0.9, 0.999]}


def test_argparse_bool_flags() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--flag", action="store_true")
    p.add_argument("--on", action="store_true")
    p.add_argument("--lr", type=float)
    p.add_argument("--epochs", type=float)
    p.add_argument("--opt", type=json.loads)
    p.add_argument("--layers", type=json.loads)
    p.add_argument("--name")
    p.add_argument("--none", type=json.loads)
    assert vars(p.parse_args(build(["${args_no_boolean_flags}"]))) == PARAMS


def _hydra_like(items: list[str], prefix: str) -> dict[str, Any]:
    """Read `+a.b=value` items back as Hydra would: JSON values, else strings; dotted keys
    nest."""
    out: dict[str, Any] = {}
    for item in items:
        assert item.startswith(prefix)
        key, _, text = item[len(prefix) :].partition("=")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        *parents, leaf = key.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


@pytest.mark.parametrize(
    ("macro", "prefix"),
    [("${args_no_hyphens}", ""), ("${args_append_hydra}", "+"), ("${args_override_hydra}", "++")],
)
def test_hydra_items_read_back_typed(macro: str, prefix: str) -> None:
    back = _hydra_like(build([macro]), prefix)
    assert back == PARAMS
    assert isinstance(back["lr"], float) and isinstance(back["epochs"], float)


# -- ${envvar:NAME} ---------------------------------------------------------------------------


def test_envvar_set_unset_and_inside_items() -> None:
    environ = {"DATA": "/data", "GPU": "1", "lower_ok": "x"}
    argv = build(
        [
            "${envvar:DATA}",
            "--data=${envvar:DATA}/train",
            "${envvar:GPU}-${envvar:GPU}:${envvar:DATA}",
            "${envvar:MISSING}",
            "--x=${envvar:MISSING}!",
            "${envvar:lower_ok}",
        ],
        environ=environ,
    )
    # unset: the bare name, as wandb's os.environ.get(name, name)
    assert argv == ["/data", "--data=/data/train", "1-1:/data", "MISSING", "--x=MISSING!", "x"]


def test_envvar_reads_the_given_environ_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RC_TEST_ONLY_IN_OS", "from-os")
    assert build(["${envvar:RC_TEST_ONLY_IN_OS}"], environ={}) == ["RC_TEST_ONLY_IN_OS"]
    environ = dict(os.environ)
    assert build(["${envvar:RC_TEST_ONLY_IN_OS}"], environ=environ) == ["from-os"]


def test_envvar_value_is_not_read_as_a_macro() -> None:
    assert build(["${envvar:X}"], environ={"X": "${args}"}) == ["${args}"]


# -- errors -------------------------------------------------------------------------------


def test_missing_program() -> None:
    with pytest.raises(SweepError, match="the sweep has no program: "):
        build(None, program=None)
    with pytest.raises(SweepError, match="the sweep has no program"):
        build(["python", "${program}"], program=None)
    # not needed: fine
    assert build(["python", "train.py", "${args_json}"], program=None)[:2] == ["python", "train.py"]


def test_unknown_macro() -> None:
    with pytest.raises(SweepError, match=r"unknown macro '\$\{argz\}'.*did you mean 'args'"):
        build(["${argz}"])
    with pytest.raises(SweepError, match="unknown macro") as info:
        build(["${args_dict}"])  # wandb's undocumented macro is not offered
    assert "${args_json}" in str(info.value)


def test_several_macros_in_one_item() -> None:
    with pytest.raises(SweepError, match="a macro must be a whole item"):
        build(["${program} ${args}"])


def test_bad_envvar_name() -> None:
    with pytest.raises(SweepError, match="environment variable's name"):
        build(["${envvar:A-B}"])


# -- the parameter file -----------------------------------------------------------------------


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def test_param_file_round_trips(tmp_path: Path) -> None:
    path = os.path.join(tmp_path, "wandb", "sweep-s1", "config-r1.yaml")  # folders created
    write_param_file(path, PARAMS)
    text = _read(path)
    assert text.startswith("wandb_version: 1\n\nlr:\n  value: 1.0e-05\nepochs:\n  value: 2.0\n")
    assert "opt:\n  value:\n    name: adam\n    betas:\n    - 0.9\n    - 0.999\n" in text

    loaded = yaml.safe_load(text)
    assert loaded.pop("wandb_version") == 1
    assert list(loaded) == list(PARAMS)
    values = {k: v["value"] for k, v in loaded.items()}
    assert values == PARAMS
    assert isinstance(values["lr"], float) and isinstance(values["epochs"], float)
    assert values["flag"] is False and values["none"] is None

    source = read_file(path)
    assert source.values == PARAMS
    assert isinstance(source.values["lr"], float)


def test_param_file_is_what_wandb_writes(tmp_path: Path) -> None:
    path = os.path.join(tmp_path, "p.yaml")
    write_param_file(path, PARAMS)
    # wandb's config_util.save_config_file_from_dict over {key: {"value": v}}
    wandb_text = "wandb_version: 1\n\n" + yaml.dump(
        {k: {"value": v} for k, v in PARAMS.items()},
        Dumper=yaml.SafeDumper,
        default_flow_style=False,
        allow_unicode=True,
        sort_keys=False,
    )
    assert _read(path) == wandb_text


def test_param_file_strings_and_floats_keep_their_types(tmp_path: Path) -> None:
    params: dict[str, Any] = {
        "s": "1e-05",  # a string a YAML 1.2 reader would take for a float: quoted
        "yes": "yes",
        "date": "2024-01-01",
        "tiny": 1e-300,
        "big": 1e16,
        "negexp": -2.5e-07,
        "int": 3,
        "unicode": "é",
        "empty": {},
        "tuple": (1, 2),
    }
    path = os.path.join(tmp_path, "p.yaml")
    write_param_file(path, params)
    expected = {**params, "tuple": [1, 2]}
    loaded = yaml.safe_load(_read(path))
    assert {k: v["value"] for k, v in loaded.items() if k != "wandb_version"} == expected
    got = read_file(path).values
    assert got == expected
    assert isinstance(got["s"], str) and isinstance(got["tiny"], float)
    assert isinstance(got["big"], float) and isinstance(got["int"], int)


def test_param_file_empty(tmp_path: Path) -> None:
    path = os.path.join(tmp_path, "p.yaml")
    write_param_file(path, {})
    assert _read(path) == "wandb_version: 1"  # as wandb
    assert read_file(path).values == {}


def test_args_json_file_round_trips(tmp_path: Path) -> None:
    path = os.path.join(tmp_path, "wandb", "sweep-s1", "config-r1.json")
    write_args_json_file(path, {**PARAMS, "who": "é"})
    with open(path, encoding="utf-8") as f:
        back = json.load(f)
    assert back == {**PARAMS, "who": "é"}
    assert list(back) == [*PARAMS, "who"]
    assert read_file(path).values == {**PARAMS, "who": "é"}
    assert build(["${args_json_file}"], args_json_file=path) == [path]
