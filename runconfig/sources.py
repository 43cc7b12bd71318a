"""Turn what a user hands to ``config.update(x)`` or ``init(config=x)`` into a :class:`Source`.

A :class:`Source` is a mapping plus where each value came from, its *origin*, which
``runconfig show --origin`` prints. The accepted inputs, and the origin of their values:

====================================  ============================  =========================
input                                 values                        origin
====================================  ============================  =========================
a mapping (dict, OrderedDict, ...)    a shallow copy                the caller's ``origin``
a runconfig ``Config``                ``as_dict()``                 its own, leaf by leaf
``argparse.Namespace``                ``vars(ns)``                  ``argparse --batch-size``
absl ``FlagValues``, ``absl.flags``   the user's flags, not absl's  ``absl --model``
``tf.compat.v1.flags`` (absl inside)  as absl                       ``tf.flags --batch_size``
legacy ``tf.app.flags`` (TF < 1.4)    ``__flags``, parsed as TF     ``tf.flags --batch_size``
a dataclass instance                  its fields, shallow           the caller's ``origin``
a pydantic model (v2 or v1)           ``model_dump()``/``dict()``   the caller's ``origin``
``str`` or ``os.PathLike``: a file    see :func:`read_file`         ``params.yaml:7``
any other object with a ``__dict__``  ``vars(obj)``, ``_x`` too     the caller's ``origin``
====================================  ============================  =========================

A module that has a ``FLAGS`` attribute (``absl.flags``, ``tf.app.flags``) stands for its
``FLAGS``. Anything else (``None``, lists, tuples, numbers, bytes, classes, functions, other
modules) raises :class:`~runconfig.errors.ConfigTypeError`. Values are left raw: the
Config sanitizes them.

The argparse origin names the option as the user typed it: the parser is looked up in the
calling frame (and up to three frames above it), and the longest option string of the
action that wrote the key is used (``--batch-size`` rather than ``-b``).
"""

from __future__ import annotations

import functools
import json
import os
import re
import reprlib
import sys
import types
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from runconfig.errors import ConfigTypeError, ConfigValueError

if TYPE_CHECKING:
    import argparse

    import yaml

__all__ = ["DEFAULTS_FILE", "Source", "find_defaults_files", "read_file", "read_source"]

DEFAULTS_FILE = "config-defaults.yaml"

KeyPath = tuple[Any, ...]  # a key path as read from a file; keys may not be strings yet

# Frames above the caller's searched for an ArgumentParser (a main() calling a helper...).
_FRAME_DEPTH = 3
# Flags absl adds on its own; FlagValues handles flagfile/undefok even when undefined.
_ABSL_NAMES = frozenset({"help", "helpshort", "helpfull", "helpxml", "?", "flagfile", "undefok"})
_WANDB_ENTRY_KEYS = frozenset({"value", "desc"})
_WANDB_META_KEYS = ("wandb_version", "_wandb")
_ACCEPTED = (
    "a mapping, a path to a YAML or JSON file, an argparse.Namespace, absl or TensorFlow "
    "flags, a dataclass, a pydantic model or an object with a __dict__"
)


class Source:
    """A mapping of config values and the origin of each.

    ``origins`` maps a key path (a leaf, or a subtree whose leaves all share the origin) to
    its origin; a value at a path not listed takes the origin of its longest listed prefix,
    else ``origin``. ``descs`` holds the notes of a file in wandb's ``{desc, value}`` form.
    """

    # A plain class, not a dataclass: importing dataclasses would cost init() milliseconds.
    __slots__ = ("descs", "origin", "origins", "values")

    def __init__(
        self,
        values: dict[str, Any],
        origin: str,
        origins: dict[tuple[str, ...], str] | None = None,
        descs: dict[tuple[str, ...], str] | None = None,
    ) -> None:
        self.values = values
        self.origin = origin
        self.origins = {} if origins is None else origins
        self.descs = {} if descs is None else descs

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Source):
            return NotImplemented
        return (self.values, self.origin, self.origins, self.descs) == (
            other.values,
            other.origin,
            other.origins,
            other.descs,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Source(values={self.values!r}, origin={self.origin!r}, "
            f"origins={self.origins!r}, descs={self.descs!r})"
        )


def read_source(obj: Any, origin: str, *, frame: types.FrameType | None = None) -> Source:
    """Read any accepted input (see the module docstring) into a :class:`Source`.

    ``origin`` is the caller's name for plain values, such as ``"init"`` or ``"train.py:30"``;
    ``frame`` is the user's frame, searched for the ArgumentParser behind a Namespace::

        >>> read_source({"lr": 0.1}, "train.py:3")
        Source(values={'lr': 0.1}, origin='train.py:3', origins={}, descs={})
    """
    cls = type(obj)
    if _package(cls) == "runconfig" and hasattr(obj, "as_dict") and hasattr(obj, "origins"):
        from runconfig._paths import parse_path

        leaf_origins = {parse_path(p): o for p, o in obj.origins().items()}
        return Source(obj.as_dict(), origin, leaf_origins)
    if isinstance(obj, Mapping):
        return Source(dict(obj), origin)
    if isinstance(obj, (str, os.PathLike)):
        return read_file(obj)
    argparse = sys.modules.get("argparse")  # a Namespace exists only if argparse is loaded
    if argparse is not None and isinstance(obj, argparse.Namespace):
        return _read_namespace(obj, frame)
    if isinstance(obj, types.ModuleType):
        if "FLAGS" in vars(obj):
            return read_source(vars(obj)["FLAGS"], origin, frame=frame)
        raise ConfigTypeError(f"config input must be {_ACCEPTED}; got module {obj.__name__!r}")
    attrs = _instance_dict(obj)
    if _is_absl_flags(obj):
        return _read_absl(obj, "absl")
    if attrs is not None and "__wrapped" in attrs and _is_absl_flags(attrs["__wrapped"]):
        return _read_absl(attrs["__wrapped"], "tf.flags")  # TensorFlow's wrapper of absl
    if attrs is not None and isinstance(attrs.get("__flags"), dict):  # absl keeps one too
        return _read_legacy_tf(obj, attrs)
    if hasattr(cls, "__dataclass_fields__") and not isinstance(obj, type):
        fields = sys.modules["dataclasses"].fields(obj)
        return Source({f.name: getattr(obj, f.name) for f in fields}, origin)
    if any(_package(c) == "pydantic" for c in cls.__mro__):
        dump = obj.model_dump() if _has_methods(obj, "model_dump") else obj.dict()
        return Source(dict(dump), origin)
    refused = (type, types.FunctionType, types.BuiltinFunctionType, types.MethodType)
    if attrs is None or isinstance(obj, refused):
        given = "None" if obj is None else f"{cls.__name__} {reprlib.repr(obj)}"
        raise ConfigTypeError(f"config input must be {_ACCEPTED}; got {given}")
    # As wandb does: any other object gives its instance attributes, private ones too.
    return Source(dict(attrs), origin)


def read_file(path: str | os.PathLike[str], *, display: str | None = None) -> Source:
    """Read a YAML or JSON config file (JSON when the name ends in ``.json``).

    Plain form: ``lr: 0.1``, nested mappings kept nested. wandb's form: every top-level entry
    is ``lr: {desc: learning rate, value: 0.1}`` (``desc`` optional), with an optional
    ``wandb_version: 1``; a file is read in wandb's form when it has ``wandb_version`` or when
    every entry (``_wandb`` aside) has that shape. Each key's origin is ``file:line``.
    ``display`` names the file in origins and messages (default: relative to the cwd when
    under it). An empty file gives an empty Source; every problem raises ConfigValueError.
    """
    name = display if display is not None else _display_name(path)
    text = _read_text(path, name)
    data, lines = _parse(text, name, is_json=os.fspath(path).lower().endswith(".json"))
    return _source_from_tree(data, lines, name)


def find_defaults_files(script_dir: str | None) -> list[str]:
    """The ``config-defaults.yaml`` files to load at init, lowest priority first.

    The one next to the script (when ``script_dir`` is given and is not the cwd), then the
    one in the cwd, which wins. Only files that exist; absolute paths.
    """
    cwd = os.getcwd()
    candidates = []
    if script_dir and os.path.realpath(script_dir) != os.path.realpath(cwd):
        candidates.append(os.path.join(os.path.abspath(script_dir), DEFAULTS_FILE))
    candidates.append(os.path.join(cwd, DEFAULTS_FILE))
    return [p for p in candidates if os.path.isfile(p)]


# -- objects ----------------------------------------------------------------------------


def _package(cls: type) -> str:
    return str(getattr(cls, "__module__", None) or "").partition(".")[0]


def _has_methods(obj: Any, *names: str) -> bool:
    # Looked up on the class: FlagValues.__getattr__ raises for unparsed flags, and TF's
    # wrapper parses sys.argv on any unknown attribute.
    return all(callable(getattr(type(obj), n, None)) for n in names)


def _instance_dict(obj: Any) -> dict[str, Any] | None:
    try:
        attrs = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        return None
    return attrs if isinstance(attrs, dict) else None


def _is_absl_flags(obj: Any) -> bool:
    return _has_methods(obj, "flags_by_module_dict", "__getitem__", "__iter__")


def _read_namespace(ns: argparse.Namespace, frame: types.FrameType | None) -> Source:
    names = _option_names(_find_parsers(frame))
    values = dict(vars(ns))
    origins: dict[tuple[str, ...], str] = {
        (k,): "argparse " + names.get(k, "--" + k.replace("_", "-")) for k in values
    }
    return Source(values, "argparse", origins)


def _find_parsers(frame: types.FrameType | None) -> list[argparse.ArgumentParser]:
    import argparse  # loaded already: the caller holds a Namespace

    parsers: dict[int, argparse.ArgumentParser] = {}
    for _ in range(_FRAME_DEPTH + 1):
        if frame is None:
            break
        for scope in (frame.f_locals, frame.f_globals):
            for value in list(scope.values()):
                if isinstance(value, argparse.ArgumentParser):
                    parsers.setdefault(id(value), value)
        frame = frame.f_back
    return list(parsers.values())


def _option_names(parsers: list[argparse.ArgumentParser]) -> dict[str, str]:
    """dest -> the longest option string of its action (or the dest of a positional)."""
    import argparse

    names: dict[str, str] = {}
    seen: set[int] = set()
    queue = list(parsers)
    while queue:
        parser = queue.pop(0)
        if id(parser) in seen:
            continue
        seen.add(id(parser))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                queue.extend(action.choices.values())
            if action.dest != argparse.SUPPRESS and action.dest not in names:
                options = action.option_strings
                names[action.dest] = max(options, key=len) if options else action.dest
    return names


def _read_absl(flag_values: Any, prefix: str) -> Source:
    # Flags are read from the Flag objects, never by attribute: that works before parsing.
    by_absl = {
        id(flag)
        for module, flags in flag_values.flags_by_module_dict().items()
        if module == "absl" or module.startswith("absl.")
        for flag in flags
    }
    values: dict[str, Any] = {}
    for key in list(flag_values):
        flag = flag_values[key]
        name = flag.name
        if id(flag) in by_absl or name in _ABSL_NAMES or name in values:
            continue
        if type(flag).__name__ == "_FlagAlias":  # DEFINE_alias: a second name, same value
            continue
        values[name] = flag.value
    origins: dict[tuple[str, ...], str] = {(k,): f"{prefix} --{k}" for k in values}
    return Source(values, prefix, origins)


def _read_legacy_tf(obj: Any, attrs: dict[str, Any]) -> Source:
    # TensorFlow < 1.4 fills __flags on the first read of any flag; do what that read does.
    if attrs.get("__parsed") is False and _has_methods(obj, "_parse_flags"):
        obj._parse_flags()
    values = dict(attrs["__flags"])
    origins: dict[tuple[str, ...], str] = {(k,): f"tf.flags --{k}" for k in values}
    return Source(values, "tf.flags", origins)


# -- files ------------------------------------------------------------------------------


def _display_name(path: str | os.PathLike[str]) -> str:
    given = os.fspath(path)
    full, cwd = os.path.abspath(given), os.getcwd()
    try:
        under_cwd = os.path.commonpath([full, cwd]) == cwd
    except ValueError:  # another drive
        under_cwd = False
    return os.path.relpath(full, cwd) if under_cwd and full != cwd else given


def _read_text(path: str | os.PathLike[str], name: str) -> str:
    try:
        with open(path, encoding="utf-8-sig") as f:
            return f.read()
    except FileNotFoundError as e:
        raise ConfigValueError(f"config file {name} doesn't exist") from e
    except IsADirectoryError as e:
        raise ConfigValueError(f"couldn't read config file {name}: it is a directory") from e
    except OSError as e:
        raise ConfigValueError(f"couldn't read config file {name}: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise ConfigValueError(
            f"couldn't read config file {name}: not UTF-8 (byte {e.start})"
        ) from e


@functools.cache
def _loader() -> type[yaml.SafeLoader]:
    """SafeLoader, plus YAML 1.2 floats (``1e-5`` is a float, not a string) and dates
    that fail with their line."""
    import yaml

    class Loader(yaml.SafeLoader):
        def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
            try:
                return super().construct_yaml_timestamp(node)
            except ValueError as e:
                problem = f"invalid date {node.value!r}: {e}"
                raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from e

    exponent = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)[eE][-+]?[0-9]+$")
    Loader.add_implicit_resolver("tag:yaml.org,2002:float", exponent, list("-+.0123456789"))
    Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_yaml_timestamp)
    return Loader


def _parse(text: str, name: str, *, is_json: bool) -> tuple[Any, dict[KeyPath, int]]:
    """The file's tree and the line of each key. JSON values come from json (YAML 1.1 reads
    some JSON otherwise), their lines from YAML's composer, which reads most JSON."""
    import yaml

    data: Any = None
    if is_json:
        try:
            data = json.loads(text) if text.strip() else None
        except json.JSONDecodeError as e:
            raise ConfigValueError(f"{name}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}") from e
    try:
        loader = _loader()(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return data, {}
            if not is_json:
                data = loader.construct_document(node)
            return data, _key_lines(loader, node, data)
        finally:
            loader.dispose()
    except (yaml.YAMLError, ValueError) as e:
        if is_json:  # valid JSON that YAML cannot read: the file is the origin
            return data, {}
        if isinstance(e, yaml.YAMLError):
            raise ConfigValueError(_yaml_message(name, text, e)) from e
        raise ConfigValueError(f"{name}: invalid YAML: {e}") from e


def _key_lines(loader: yaml.SafeLoader, root: yaml.Node, data: Any) -> dict[KeyPath, int]:
    """The 1-based line of every mapping key in ``data``, walking ``root`` alongside it."""
    import yaml

    lines: dict[KeyPath, int] = {}
    on_path: set[int] = set()  # aliases can make a node its own descendant

    def walk(node: yaml.Node, value: Any, prefix: KeyPath) -> None:
        mapping = isinstance(node, yaml.MappingNode) and isinstance(value, dict)
        if not mapping or id(node) in on_path:
            return
        on_path.add(id(node))
        for key_node, value_node in node.value:  # later duplicates win, as in the values
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = loader.construct_object(key_node)
            if key in value:
                path = (*prefix, key)
                lines[path] = key_node.start_mark.line + 1
                walk(value_node, value[key], path)
        on_path.discard(id(node))

    walk(root, data, ())
    return lines


def _yaml_message(name: str, text: str, error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None)
    if mark is None or problem is None:
        return f"{name}: invalid YAML: {error}"
    message = f"{name}:{mark.line + 1}:{mark.column + 1}: invalid YAML: {problem}"
    context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
    if context and context_mark is not None:
        message += f" ({context} at line {context_mark.line + 1})"
    source_lines = text.splitlines()
    if mark.line < len(source_lines):
        message += f"\n  {source_lines[mark.line]}\n  {' ' * mark.column}^"
    return message


def _at(name: str, line: int | None) -> str:
    return name if line is None else f"{name}:{line}"


def _source_from_tree(data: Any, lines: dict[KeyPath, int], name: str) -> Source:
    if data is None:
        return Source({}, name)
    if not isinstance(data, dict):
        found = f"{type(data).__name__} {reprlib.repr(data)}"
        raise ConfigValueError(f"{name}: the top level must be a mapping of keys, found {found}")
    for key in data:
        if not isinstance(key, str):
            raise ConfigValueError(
                f"{_at(name, lines.get((key,)))}: top-level key {key!r} is a "
                f"{type(key).__name__}, not a string; write it in quotes"
            )
    if _is_wandb_form(data):
        return _wandb_form(data, lines, name)
    origins = {p: f"{name}:{n}" for p, n in lines.items() if all(isinstance(s, str) for s in p)}
    return Source(data, name, origins)


def _is_wandb_form(data: dict[str, Any]) -> bool:
    if "wandb_version" in data:
        return True
    entries = [v for k, v in data.items() if k not in _WANDB_META_KEYS]
    return bool(entries) and all(
        isinstance(e, dict) and "value" in e and e.keys() <= _WANDB_ENTRY_KEYS for e in entries
    )


def _wandb_form(data: dict[str, Any], lines: dict[KeyPath, int], name: str) -> Source:
    version = data.get("wandb_version", 1)
    if version != 1 or isinstance(version, bool):
        where = _at(name, lines.get(("wandb_version",)))
        raise ConfigValueError(f"{where}: unknown wandb_version {version!r}; only 1 is known")
    values: dict[str, Any] = {}
    descs: dict[tuple[str, ...], str] = {}
    for key, entry in data.items():
        if key in _WANDB_META_KEYS:
            continue
        if not isinstance(entry, dict) or "value" not in entry:
            raise ConfigValueError(
                f"{_at(name, lines.get((key,)))}: key {key!r} has no 'value'; a file with "
                f"wandb_version writes each key as '{key}: {{value: ..., desc: ...}}'"
            )
        values[key] = entry["value"]  # other fields, as in wandb, are ignored
        if entry.get("desc") is not None:
            descs[(key,)] = str(entry["desc"])
    origins: dict[tuple[str, ...], str] = {}
    for path, line in lines.items():
        if path[0] not in values or not all(isinstance(s, str) for s in path):
            continue
        if len(path) == 1 or path[1] == "value":  # lr.value.x is lr.x; lr.value beats lr
            origins[path[:1] + path[2:]] = f"{name}:{line}"
    return Source(values, name, origins, descs)
