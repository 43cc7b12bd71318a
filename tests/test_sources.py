"""runconfig.sources: every input of ``config.update(x)`` / ``init(config=x)`` as a Source."""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import os
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydantic
import pytest
import tf_style_flags  # tests/ is on sys.path: pytest puts it there (tests/ is no package)
from absl import flags

from runconfig.errors import ConfigTypeError, ConfigValueError
from runconfig.sources import Source, find_defaults_files, read_file, read_source

DATA = Path(__file__).parent / "data" / "sources"

# A parser at module level, as in a script that builds it outside main().
MODULE_PARSER = argparse.ArgumentParser()
MODULE_PARSER.add_argument("--module-level-option", dest="module_level", default=1)


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written to tmp_path are then named by their base name."""
    monkeypatch.chdir(tmp_path)


def here() -> types.FrameType:
    """The caller's frame, as the Config hands it to read_source."""
    return sys._getframe(1)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- mappings and runconfig's own Config ---------------------------------------------------


def test_a_dict_becomes_a_shallow_copy_with_the_callers_origin() -> None:
    given = {"lr": 0.1, "train": {"epochs": 4}}
    source = read_source(given, "train.py:3")
    assert source == Source({"lr": 0.1, "train": {"epochs": 4}}, "train.py:3")
    source.values["lr"] = 1.0
    assert given["lr"] == 0.1


@pytest.mark.parametrize(
    "mapping",
    [
        collections.OrderedDict([("b", 2), ("a", 1)]),
        types.MappingProxyType({"b": 2, "a": 1}),
        collections.ChainMap({"b": 2}, {"a": 1}),
    ],
    ids=["OrderedDict", "MappingProxyType", "ChainMap"],
)
def test_any_mapping_is_read_as_a_plain_dict(mapping: Any) -> None:
    source = read_source(mapping, "init")
    assert type(source.values) is dict
    assert source.values == {"b": 2, "a": 1}
    assert source.origin == "init"


class FakeConfig(dict[str, Any]):
    """The two methods sources.py relies on from runconfig's Config."""

    __module__ = "runconfig.config"

    def as_dict(self) -> dict[str, Any]:
        return {"lr": 0.1, "train": {"epochs": 4}, "a.b": 1}

    def origins(self) -> dict[str, str]:
        return {"lr": "init", "train.epochs": "train.py:9", "`a.b`": "sweep"}


def test_a_runconfig_config_keeps_its_values_and_the_origin_of_each_leaf() -> None:
    source = read_source(FakeConfig(), "other.py:1")
    assert source.values == {"lr": 0.1, "train": {"epochs": 4}, "a.b": 1}
    assert source.origins == {
        ("lr",): "init",
        ("train", "epochs"): "train.py:9",
        ("a.b",): "sweep",
    }
    assert source.origin == "other.py:1"


# -- argparse ------------------------------------------------------------------------------


def test_the_seed_argparse_example_is_named_by_its_long_option() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "-b",
        "--batch-size",
        type=int,
        default=8,
        metavar="N",
        help="input batch size for training (default: 8)",
    )
    args = parser.parse_args([])
    source = read_source(args, "train.py:12", frame=here())
    assert source.values == {"batch_size": 8}
    assert source.origins == {("batch_size",): "argparse --batch-size"}


def test_a_namespace_gives_command_line_values_and_is_copied() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.1)
    args = parser.parse_args(["--lr", "0.5"])
    source = read_source(args, "x", frame=here())
    source.values["lr"] = 0.0
    assert args.lr == 0.5
    assert source.origins == {("lr",): "argparse --lr"}


def test_a_positional_argument_is_named_by_its_dest() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("-v", "--verbose", action="store_true")
    source = read_source(parser.parse_args(["/data"]), "x", frame=here())
    assert source.values == {"data_dir": "/data", "verbose": False}
    assert source.origins == {
        ("data_dir",): "argparse data_dir",
        ("verbose",): "argparse --verbose",
    }


def test_a_parser_in_a_calling_function_is_found_up_the_stack() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-layers", "--layers", dest="depth", default=3)

    def update_config(ns: argparse.Namespace) -> Source:  # a helper of the user's own
        return read_source(ns, "x", frame=here())

    assert update_config(parser.parse_args([])).origins == {("depth",): "argparse --n-layers"}


def test_a_parser_in_the_module_globals_is_found() -> None:
    source = read_source(MODULE_PARSER.parse_args([]), "x", frame=here())
    assert source.origins == {("module_level",): "argparse --module-level-option"}


def test_options_of_a_subcommand_are_named_by_the_subparser() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command")
    train = commands.add_parser("train")
    train.add_argument("-e", "--epochs", type=int, default=1)
    source = read_source(parser.parse_args(["train", "-e", "5"]), "x", frame=here())
    assert source.values == {"command": "train", "epochs": 5}
    assert source.origins[("epochs",)] == "argparse --epochs"
    assert source.origins[("command",)] == "argparse command"


def test_without_a_parser_in_sight_the_option_is_guessed_from_the_dest() -> None:
    source = read_source(argparse.Namespace(batch_size=8), "x")
    assert source.origins == {("batch_size",): "argparse --batch-size"}


# -- absl ----------------------------------------------------------------------------------


def test_absl_flags_are_read_before_parsing_one_entry_per_flag() -> None:
    fv = flags.FlagValues()
    flags.DEFINE_string("model", None, "model to run", flag_values=fv)
    flags.DEFINE_integer("batch_size", 32, "batch size", short_name="b", flag_values=fv)
    flags.DEFINE_alias("bs", "batch_size", flag_values=fv)
    assert not fv.is_parsed()
    source = read_source(fv, "train.py:1")
    assert source.values == {"model": None, "batch_size": 32}
    assert source.origins == {("model",): "absl --model", ("batch_size",): "absl --batch_size"}
    assert not fv.is_parsed()


def test_parsed_absl_flags_give_the_command_line_values() -> None:
    fv = flags.FlagValues()
    flags.DEFINE_float("lr", 0.1, "learning rate", flag_values=fv)
    fv(["train.py", "--lr=0.5"])
    assert read_source(fv, "x").values == {"lr": 0.5}


@pytest.fixture
def global_flags() -> Iterator[flags.FlagValues]:
    """absl's global FLAGS; the flags a test defines there are deleted after it."""
    before = set(flags.FLAGS)
    yield flags.FLAGS
    for name in set(flags.FLAGS) - before:
        delattr(flags.FLAGS, name)


def test_the_seed_absl_example_leaves_out_the_flags_absl_defines_itself(
    global_flags: flags.FlagValues,
) -> None:
    from absl import app, logging  # noqa: F401  (they define verbosity, pdb, ...)

    flags.DEFINE_string("model", None, "model to run")
    source = read_source(global_flags, "x")
    assert source.values["model"] is None
    assert source.origins[("model",)] == "absl --model"
    assert not {"verbosity", "v", "logtostderr", "log_dir", "pdb"} & source.values.keys()


def test_help_flags_are_left_out_whoever_defines_them() -> None:
    from absl import app

    fv = flags.FlagValues()
    for help_flag in (app.HelpFlag(), app.HelpfullFlag(), app.HelpshortFlag()):
        flags.DEFINE_flag(help_flag, flag_values=fv)
    flags.DEFINE_integer("epochs", 2, "passes", flag_values=fv)
    assert read_source(fv, "x").values == {"epochs": 2}


def test_the_absl_flags_module_stands_for_its_FLAGS(global_flags: flags.FlagValues) -> None:
    flags.DEFINE_integer("module_flag", 7, "a flag")
    source = read_source(flags, "x")
    assert source.values["module_flag"] == 7
    assert source.origins[("module_flag",)] == "absl --module_flag"


# -- TensorFlow ----------------------------------------------------------------------------


def test_tf_compat_v1_flags_are_unwrapped_without_parsing_the_command_line() -> None:
    fv = flags.FlagValues()
    flags.DEFINE_string("data_dir", "/tmp/data", "data directory", flag_values=fv)
    flags.DEFINE_integer("batch_size", 128, "Batch size.", flag_values=fv)
    source = read_source(tf_style_flags._FlagValuesWrapper(fv), "x")
    assert source.values == {"data_dir": "/tmp/data", "batch_size": 128}
    assert source.origins[("batch_size",)] == "tf.flags --batch_size"
    assert not fv.is_parsed()


def test_a_flags_module_holding_the_tf_wrapper_stands_for_it() -> None:
    fv = flags.FlagValues()
    flags.DEFINE_boolean("use_tpu", False, "tpu", flag_values=fv)
    module = types.ModuleType("tf_compat_v1_flags")
    module.FLAGS = tf_style_flags._FlagValuesWrapper(fv)  # type: ignore[attr-defined]
    assert read_source(module, "x").origins == {("use_tpu",): "tf.flags --use_tpu"}


@pytest.fixture
def legacy_flags(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """tf.app.flags as TensorFlow < 1.4 had it, fresh for each test."""
    tf_style_flags.reset_legacy_flags()
    monkeypatch.setattr(sys, "argv", ["train.py"])
    return tf_style_flags


def test_the_seed_legacy_tf_example_is_parsed_as_tf_would_then_read(
    legacy_flags: types.ModuleType,
) -> None:
    legacy_flags.DEFINE_string("data_dir", "/tmp/data", "Data directory.")
    legacy_flags.DEFINE_integer("batch_size", 128, "Batch size.")
    source = read_source(legacy_flags.FLAGS, "x")
    assert source.values == {"data_dir": "/tmp/data", "batch_size": 128}
    assert source.origins[("batch_size",)] == "tf.flags --batch_size"
    assert legacy_flags.FLAGS.__dict__["__parsed"] is True


def test_legacy_tf_flags_take_the_command_line_and_the_module_stands_for_FLAGS(
    legacy_flags: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    legacy_flags.DEFINE_integer("batch_size", 128, "Batch size.")
    monkeypatch.setattr(sys, "argv", ["train.py", "--batch_size", "64", "--other"])
    assert read_source(legacy_flags, "x").values == {"batch_size": 64}


def test_legacy_tf_flags_already_parsed_are_copied_not_parsed_again(
    legacy_flags: types.ModuleType,
) -> None:
    legacy_flags.DEFINE_integer("epochs", 1, "Epochs.")
    legacy_flags.FLAGS.epochs = 3  # a write parses first, then overrides
    source = read_source(legacy_flags.FLAGS, "x")
    assert source.values == {"epochs": 3}
    source.values["epochs"] = 0
    assert legacy_flags.FLAGS.epochs == 3


# -- dataclasses, pydantic, other objects --------------------------------------------------


@dataclasses.dataclass
class Optimizer:
    name: str = "adam"
    beta: float = 0.9


@dataclasses.dataclass
class TrainConfig:
    lr: float = 0.1
    optimizer: Optimizer = dataclasses.field(default_factory=Optimizer)


def test_a_dataclass_gives_its_fields_and_keeps_nested_dataclasses_as_values() -> None:
    source = read_source(TrainConfig(), "train.py:5")
    assert source.values == {"lr": 0.1, "optimizer": Optimizer()}
    assert source.origin == "train.py:5"


class Model(pydantic.BaseModel):
    lr: float = 0.1
    layers: list[int] = [64, 32]


def test_a_pydantic_model_gives_its_model_dump() -> None:
    source = read_source(Model(lr=0.5), "init")
    assert source == Source({"lr": 0.5, "layers": [64, 32]}, "init")


def test_a_pydantic_v1_model_gives_its_dict() -> None:
    from pydantic import v1

    class OldModel(v1.BaseModel):
        lr: float = 0.1

    assert read_source(OldModel(), "init").values == {"lr": 0.1}


class Hyper:
    epochs_default = 1  # a class attribute: not part of vars()

    def __init__(self) -> None:
        self.epochs = 4
        self._seed = 0


def test_any_other_object_gives_its_instance_attributes_private_ones_too() -> None:
    assert read_source(Hyper(), "init").values == {"epochs": 4, "_seed": 0}


class Slotted:
    __slots__ = ("x",)


@pytest.mark.parametrize(
    ("obj", "given"),
    [
        (None, "got None"),
        ([("lr", 0.1)], "got list [('lr', 0.1)]"),
        (("lr", 0.1), "got tuple"),
        (3, "got int 3"),
        (0.5, "got float"),
        (b"params.yaml", "got bytes"),
        ({"a", "b"}, "got set"),
        (TrainConfig, "got type"),
        (len, "got builtin_function_or_method"),
        (lambda: 0, "got function"),
        (Slotted(), "got Slotted"),
        (json, "got module 'json'"),
    ],
    ids=[
        "None",
        "list",
        "tuple",
        "int",
        "float",
        "bytes",
        "set",
        "a-class",
        "a-builtin",
        "a-function",
        "slots-without-dict",
        "a-module-without-FLAGS",
    ],
)
def test_inputs_that_are_not_configs_are_refused_with_what_was_given(obj: Any, given: str) -> None:
    with pytest.raises(ConfigTypeError) as info:
        read_source(obj, "x")
    assert given in str(info.value)
    assert "a mapping" in str(info.value)
    assert isinstance(info.value, TypeError)


# -- files ---------------------------------------------------------------------------------


def test_a_plain_yaml_file_gives_nested_values_and_the_line_of_every_key(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "params.yaml",
        "# training\nlr: 1e-5\ntrain:\n  epochs: 4\n  sizes: [1, 2]\nname: null\n",
    )
    source = read_file(path, display="params.yaml")
    assert source.values == {"lr": 1e-5, "train": {"epochs": 4, "sizes": [1, 2]}, "name": None}
    assert source.origin == "params.yaml"
    assert source.origins == {
        ("lr",): "params.yaml:2",
        ("train",): "params.yaml:3",
        ("train", "epochs"): "params.yaml:4",
        ("train", "sizes"): "params.yaml:5",
        ("name",): "params.yaml:6",
    }
    assert source.descs == {}


def test_a_merged_key_takes_the_line_where_its_value_is_written(tmp_path: Path) -> None:
    text = "base: &b\n  lr: 0.1\n  epochs: 3\nexp:\n  <<: *b\n  lr: 0.5\n"
    source = read_file(write(tmp_path, "m.yaml", text))
    assert source.values["exp"] == {"lr": 0.5, "epochs": 3}
    assert source.origins[("exp", "lr")] == "m.yaml:6"
    assert source.origins[("exp", "epochs")] == "m.yaml:3"


def test_a_recursive_alias_is_read_without_looping(tmp_path: Path) -> None:
    source = read_file(write(tmp_path, "r.yaml", "a: &x\n  b: *x\n"))
    assert source.values["a"]["b"] is source.values["a"]
    assert source.origins == {("a",): "r.yaml:1", ("a", "b"): "r.yaml:2"}


@pytest.mark.parametrize(
    ("text", "value"),
    [("1e-5", 1e-5), ("1.0e5", 1e5), ("-2E+3", -2e3), ("1.5e-3", 1.5e-3), ('"1e-5"', "1e-5")],
)
def test_yaml_numbers_with_an_exponent_are_floats_as_in_yaml_1_2(
    tmp_path: Path, text: str, value: Any
) -> None:
    path = write(tmp_path, "p.yaml", f"lr: {text}\n")
    assert read_file(path).values == {"lr": value}


def test_the_wandb_form_gives_values_descs_and_lines_and_drops_wandb_metadata() -> None:
    source = read_file(DATA / "wandb_form.yaml", display="wandb_form.yaml")
    assert source.values == {
        "lr": 0.01,
        "optimizer": {"name": "adam", "beta": 0.9},
        "note": None,
    }
    assert source.descs == {("lr",): "learning rate"}
    assert source.origins == {
        ("lr",): "wandb_form.yaml:5",  # the line of its value
        ("optimizer",): "wandb_form.yaml:7",
        ("optimizer", "name"): "wandb_form.yaml:8",
        ("optimizer", "beta"): "wandb_form.yaml:9",
        ("note",): "wandb_form.yaml:10",
    }


def test_the_wandb_form_is_recognised_without_wandb_version(tmp_path: Path) -> None:
    path = write(tmp_path, "d.yaml", "lr:\n  value: 0.1\nepochs: {desc: passes, value: 3}\n")
    source = read_file(path)
    assert source.values == {"lr": 0.1, "epochs": 3}
    assert source.descs == {("epochs",): "passes"}


def test_a_file_with_one_plain_entry_is_read_as_plain(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "lr: {value: 0.1}\nepochs: 3\n")
    assert read_file(path).values == {"lr": {"value": 0.1}, "epochs": 3}


def test_a_json_file_gives_json_values_and_the_line_of_every_key(tmp_path: Path) -> None:
    path = write(tmp_path, "p.json", '{\n  "lr": 1e-5,\n  "train": {\n    "epochs": 4\n  }\n}\n')
    source = read_file(path)
    assert source.values == {"lr": 1e-5, "train": {"epochs": 4}}
    assert source.origins == {
        ("lr",): "p.json:2",
        ("train",): "p.json:3",
        ("train", "epochs"): "p.json:4",
    }


def test_json_that_yaml_cannot_read_still_loads_with_the_file_as_origin(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "tabs.json", '{\n\t"lr": 0.1\n}\n')  # YAML refuses tabs here
    source = read_file(path)
    assert source.values == {"lr": 0.1}
    assert source.origin == "tabs.json"
    assert source.origins == {}


def test_a_json_file_in_wandb_form_is_read_as_such(tmp_path: Path) -> None:
    path = write(tmp_path, "w.json", json.dumps({"lr": {"desc": "rate", "value": 0.1}}))
    source = read_file(path)
    assert (source.values, source.descs) == ({"lr": 0.1}, {("lr",): "rate"})


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing yet\n", "---\n"])
def test_an_empty_file_gives_an_empty_source(tmp_path: Path, text: str) -> None:
    assert read_file(write(tmp_path, "e.yaml", text)) == Source({}, "e.yaml")


def test_an_empty_json_file_gives_an_empty_source(tmp_path: Path) -> None:
    assert read_file(write(tmp_path, "e.json", "  \n")) == Source({}, "e.json")


def test_a_string_or_path_given_to_read_source_is_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "params.yaml", "lr: 0.1\n")
    assert read_source("params.yaml", "init").origins == {("lr",): "params.yaml:1"}
    assert read_source(tmp_path / "params.yaml", "init").origins == {("lr",): "params.yaml:1"}


def test_a_file_is_named_relative_to_the_cwd_when_under_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "p.yaml", "lr: 0.1\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    outside = str(tmp_path / "p.yaml")
    assert read_file(outside).origin == outside
    assert read_file("../p.yaml").origin == "../p.yaml"
    monkeypatch.chdir(tmp_path)
    assert read_file(outside).origin == "p.yaml"
    assert read_file("./p.yaml").origin == "p.yaml"


def test_a_utf8_bom_and_unicode_text_are_read(tmp_path: Path) -> None:
    path = tmp_path / "u.yaml"
    path.write_bytes("\ufeffname: café\n".encode())
    assert read_file(path).values == {"name": "café"}


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bad.yaml", "lr: 0.1\na: b: c\n", ["bad.yaml:2:5", "mapping values are not allowed"]),
        ("bad.yaml", "lr: [1, 2\nb: 3\n", ["bad.yaml:2:2", "expected ',' or ']'", "line 1"]),
        ("bad.yaml", 'a: "open\n', ["bad.yaml:2:1", "unexpected end of stream"]),
        ("bad.yaml", "a:\n\t- 1\n", ["bad.yaml:2:1", "'\\t'"]),
        ("bad.yaml", "--- {a: 1}\n--- {b: 2}\n", ["bad.yaml:2:1", "another document"]),
        ("bad.yaml", "x: 1\ny: !!python/object:os.system {}\n", ["bad.yaml:2:4", "tag"]),
        ("bad.yaml", "lr: 0.1\nday: 2024-13-45\n", ["bad.yaml:2:6", "invalid date"]),
        ("bad.yaml", "a: 1\n? [x]\n: 2\n", ["bad.yaml:2", "unhashable"]),
        ("bad.yaml", "- lr\n- epochs\n", ["bad.yaml", "found list ['lr', 'epochs']"]),
        ("bad.yaml", "just text\n", ["bad.yaml", "found str 'just text'"]),
        ("bad.yaml", "lr: 0.1\n1: a\n", ["bad.yaml:2", "key 1 is a int"]),
        ("bad.yaml", "yes: 1\n", ["bad.yaml:1", "key True", "quotes"]),
        ("bad.yaml", "wandb_version: 2\nlr: {value: 1}\n", ["bad.yaml:1", "wandb_version 2"]),
        (
            "bad.yaml",
            "wandb_version: 1\nlr: {value: 1}\nepochs: 3\n",
            ["bad.yaml:3", "'epochs'", "no 'value'"],
        ),
        (
            "bad.yaml",
            "wandb_version: 1\nlr:\n  desc: rate\n",
            ["bad.yaml:2", "'lr'", "no 'value'"],
        ),
        ("bad.json", '{\n  "lr": 0.1,\n}\n', ["bad.json:3:1", "invalid JSON"]),
        ("bad.json", "[1, 2]", ["bad.json", "found list"]),
        ("bad.json", '{"wandb_version": 3}', ["bad.json:1", "wandb_version 3"]),
    ],
    ids=[
        "scanner-error",
        "parser-error-names-where-the-list-began",
        "unclosed-quote",
        "tab-indentation",
        "two-documents",
        "unsafe-tag",
        "impossible-date",
        "unhashable-key",
        "top-level-list",
        "top-level-scalar",
        "int-key",
        "yes-is-a-bool-key",
        "unknown-wandb-version",
        "versioned-entry-without-value",
        "versioned-entry-with-desc-only",
        "json-trailing-comma",
        "json-top-level-list",
        "json-unknown-wandb-version",
    ],
)
def test_a_malformed_file_is_refused_naming_the_file_and_line(
    tmp_path: Path, name: str, text: str, expected: list[str]
) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(ConfigValueError) as info:
        read_file(path, display=name)
    for part in expected:
        assert part in str(info.value)
    assert isinstance(info.value, ValueError)


def test_a_yaml_error_shows_the_offending_line_with_a_caret(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "lr: 0.1\na: b: c\n")
    with pytest.raises(ConfigValueError) as info:
        read_file(path, display="bad.yaml")
    assert str(info.value).endswith("\n  a: b: c\n      ^")


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "nope.yaml"


def _directory(tmp_path: Path) -> Path:
    (tmp_path / "dir.yaml").mkdir()
    return tmp_path / "dir.yaml"


def _not_utf8(tmp_path: Path) -> Path:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    return path


def _under_a_file(tmp_path: Path) -> Path:
    return write(tmp_path, "file.yaml", "a: 1\n") / "inner.yaml"


def _unreadable(tmp_path: Path) -> Path:
    if os.name != "posix" or os.geteuid() == 0:
        pytest.skip("root (or this OS) reads files whatever their mode")
    path = write(tmp_path, "secret.yaml", "a: 1\n")
    path.chmod(0)
    return path


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (_missing, "config file nope.yaml doesn't exist"),
        (_directory, "couldn't read config file dir.yaml: it is a directory"),
        (_not_utf8, "couldn't read config file latin.yaml: not UTF-8 (byte 9)"),
        (_under_a_file, "couldn't read config file file.yaml/inner.yaml: Not a directory"),
        (_unreadable, "couldn't read config file secret.yaml: Permission denied"),
    ],
    ids=["missing", "a-directory", "not-utf8", "under-a-file", "no-permission"],
)
def test_a_file_that_cannot_be_read_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: Any, expected: str
) -> None:
    path = make(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigValueError) as info:
        read_source(str(path), "init")
    assert str(info.value) == expected


# -- config-defaults.yaml ------------------------------------------------------------------


def test_defaults_files_come_script_dir_first_then_the_cwd_which_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script_dir, cwd = tmp_path / "src", tmp_path / "work"
    script_dir.mkdir()
    cwd.mkdir()
    write(script_dir, "config-defaults.yaml", "a: 1\n")
    write(cwd, "config-defaults.yaml", "a: 2\n")
    monkeypatch.chdir(cwd)
    assert find_defaults_files(str(script_dir)) == [
        str(script_dir / "config-defaults.yaml"),
        str(cwd / "config-defaults.yaml"),
    ]


def test_a_script_in_the_cwd_gives_its_defaults_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "config-defaults.yaml", "a: 1\n")
    monkeypatch.chdir(tmp_path)
    expected = [str(tmp_path / "config-defaults.yaml")]
    assert find_defaults_files(".") == expected
    assert find_defaults_files(str(tmp_path)) == expected
    assert find_defaults_files(None) == expected


def test_only_existing_defaults_files_are_listed_as_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "src").mkdir()
    write(tmp_path / "src", "config-defaults.yaml", "a: 1\n")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    assert find_defaults_files("../src") == [str(tmp_path / "src" / "config-defaults.yaml")]
    assert find_defaults_files(None) == []
    (tmp_path / "work" / "config-defaults.yaml").mkdir()  # a directory is not a file
    assert find_defaults_files(None) == []
