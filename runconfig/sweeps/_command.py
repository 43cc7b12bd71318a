"""A trial's command line (the sweep file's ``command`` and its macros) and its parameter files.

The macros are wandb's (``wandb/wandb_agent.py`` ``_command_run`` and
``wandb/sdk/launch/sweeps/utils.py`` ``create_sweep_command`` / ``create_sweep_command_args``).
A macro is a whole item of the ``command`` list; ``${program}`` inside a longer item is passed
as written, as wandb does. ``${envvar:NAME}`` is the exception: it is replaced inside any item,
several per item, by the variable's value, or by ``NAME`` itself when the variable is unset
(wandb's ``os.environ.get(name, name)``).

===========================  ==============================================================
``${env}``                   ``/usr/bin/env`` (no item on Windows)
``${interpreter}``           the interpreter the agent runs (``sys.executable``)
``${program}``               the sweep file's ``program``
``${args}``                  ``--key=value`` per top-level parameter
``${args_no_hyphens}``       ``key=value`` (Hydra)
``${args_no_boolean_flags}`` ``--key`` for true, nothing for false, else ``--key=value``
``${args_no_equals}``        ``--key`` and ``value`` as two items
``${args_append_hydra}``     ``+key=value``
``${args_override_hydra}``   ``++key=value``
``${args_json}``             one item: the JSON object of all parameters
``${args_json_file}``        the path of a file holding that JSON object
``${envvar:NAME}``           the environment variable ``NAME``, inside any item
===========================  ==============================================================

**Where runconfig deliberately differs from wandb.** wandb renders values with Python's
``str()``: ``--flag=False``, ``--none=None``, ``--opt={'name': 'adam'}`` (a Python repr that no
JSON or CLI parser reads), which makes ``argparse(type=bool)`` read ``False`` as true. Here every
value that is not a string is rendered as JSON (:func:`render_value`): ``--flag=false``,
``--none=null``, ``--lr=1e-05``, ``--epochs=2.0``, ``--layers=[64, 64]``,
``--opt={"name": "adam"}``, so ``type=float``, ``type=json.loads`` or Hydra read each value back
with its type; strings are passed as they are (``--name=two words``, one argv item). For the
Hydra-style macros (``args_no_hyphens``, ``args_append_hydra``, ``args_override_hydra``) a nested
mapping is flattened to dotted keys (``+opt.name=adam``), which is how Hydra sets nested values;
the ``--`` macros pass it as one JSON value. Also:

* an unknown macro item (``${argz}``) raises SweepError with a did-you-mean; wandb silently
  drops it (and wandb's undocumented ``${args_dict}``, which expands to the parameter *names*,
  is not offered);
* ``${envvar:NAME}`` accepts lowercase names too (wandb's pattern is ``[A-Z0-9_]*`` and leaves
  ``${envvar:name}`` as written), and a variable's value is never itself read as a macro;
* ``${args_json}`` keeps non-ASCII characters as they are (wandb escapes them, ``\\u00e9``;
  ``json.loads`` gives the same object either way);
* ``${interpreter}`` is the agent's own interpreter (wandb writes the word ``python``);
* a command needing ``${program}`` in a sweep without ``program`` raises SweepError (wandb
  would pass ``None`` to the process launcher).

The parameter file (:func:`write_param_file`, what ``WANDB_SWEEP_PARAM_PATH`` points to) is
byte-for-byte what wandb's ``config_util.save_config_file_from_dict`` writes, except that a
string that only a YAML 1.2 reader takes for a number (``"1e-05"``) is quoted, so that
``yaml.safe_load`` and runconfig's own reader (which reads ``1e-05`` as a float) agree.
"""

from __future__ import annotations

import json
import platform
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from runconfig._fileio import write_whole
from runconfig.errors import SweepError, did_you_mean

__all__ = [
    "DEFAULT_COMMAND",
    "MACROS",
    "build_command",
    "render_value",
    "write_args_json_file",
    "write_param_file",
]

DEFAULT_COMMAND: list[str] = ["${env}", "${interpreter}", "${program}", "${args}"]

#: The whole-item macros, without ``${`` and ``}`` (``${envvar:NAME}`` aside).
MACROS: tuple[str, ...] = (
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
)

_ENVVAR = re.compile(r"\$\{envvar:([A-Za-z0-9_]*)\}")


def _plain(value: Any) -> Any:
    """Mappings as dicts and tuples as lists, recursively: what JSON and YAML write."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def render_value(value: Any) -> str:
    """A value as one command-line item: a string as it is, anything else as JSON.

    ``True`` -> ``true``, ``None`` -> ``null``, ``1e-05`` -> ``1e-05``, ``2.0`` -> ``2.0``,
    ``[64, 64]`` -> ``[64, 64]``, ``{"name": "adam"}`` -> ``{"name": "adam"}``; non-ASCII
    characters kept; a value JSON cannot hold (a date) is written as its ``str()`` in quotes.
    """
    if isinstance(value, str):
        return value
    return json.dumps(_plain(value), ensure_ascii=False, default=str)


def _dotted(key: str, value: Any) -> Iterator[tuple[str, Any]]:
    """``(dotted key, leaf)`` pairs of a nested mapping; an empty mapping is one leaf ``{}``."""
    if isinstance(value, Mapping) and value:
        for sub, item in value.items():
            yield from _dotted(f"{key}.{sub}", item)
    else:
        yield key, value


def _args(macro: str, params: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for key, value in params.items():
        if macro == "args":
            out.append(f"--{key}={render_value(value)}")
        elif macro == "args_no_equals":
            out += [f"--{key}", render_value(value)]
        elif macro == "args_no_boolean_flags":
            if value is True:
                out.append(f"--{key}")
            elif value is not False:
                out.append(f"--{key}={render_value(value)}")
        else:
            prefix = {"args_no_hyphens": "", "args_append_hydra": "+"}.get(macro, "++")
            out += [f"{prefix}{k}={render_value(v)}" for k, v in _dotted(str(key), value)]
    return out


def _unknown(item: str) -> SweepError:
    name = item[2:-1]
    if "${" in name or "}" in name:
        return SweepError(
            f"the sweep's command item {item!r} holds several macros or text around them; "
            "a macro must be a whole item (only ${envvar:NAME} works inside an item)"
        )
    if name.startswith("envvar:"):
        return SweepError(
            f"the sweep's command item {item!r}: an environment variable's name is made of "
            "letters, digits and '_'"
        )
    return SweepError(
        f"the sweep's command has an unknown macro {item!r}; known: "
        + ", ".join("${" + m + "}" for m in MACROS)
        + ", ${envvar:NAME}"
        + did_you_mean(name, MACROS)
    )


def build_command(
    command: Sequence[str] | None,
    program: str | None,
    params: Mapping[str, Any],
    *,
    args_json_file: str,
    environ: Mapping[str, str],
    interpreter: str,
) -> list[str]:
    """The trial's argv: ``command`` (``None`` or empty: :data:`DEFAULT_COMMAND`) with its
    macros expanded for ``params`` (top-level key order kept).

    ``args_json_file`` is the path the agent wrote the parameters' JSON object to (see
    :func:`write_args_json_file`), ``environ`` the environment ``${envvar:NAME}`` reads, and
    ``interpreter`` what ``${interpreter}`` becomes. Raises SweepError for an unknown macro, or
    for ``${program}`` when ``program`` is None.
    """
    items = list(command) if command else DEFAULT_COMMAND  # wandb: `command or DEFAULT`
    argv: list[str] = []
    for raw in items:
        item = str(raw)  # YAML may give numbers: `command: [python, train.py, 3]`
        if _ENVVAR.search(item):
            argv.append(_ENVVAR.sub(lambda m: environ.get(m.group(1), m.group(1)), item))
        elif not (item.startswith("${") and item.endswith("}")):
            argv.append(item)
        elif (name := item[2:-1]) not in MACROS:
            raise _unknown(item)
        elif name == "env":
            if platform.system() != "Windows":
                argv.append("/usr/bin/env")
        elif name == "interpreter":
            argv.append(interpreter)
        elif name == "program":
            if program is None:
                raise SweepError(
                    "the sweep has no program: its command uses ${program} "
                    f"({' '.join(str(i) for i in items)}); add `program: <script>` to the "
                    "sweep file, name the script in `command`, or run the trials in Python "
                    "with runconfig.agent(sweep_id, function=train)"
                )
            argv.append(program)
        elif name == "args_json":
            argv.append(json.dumps(_plain(params), ensure_ascii=False, default=str))
        elif name == "args_json_file":
            argv.append(args_json_file)
        else:
            argv += _args(name, params)
    return argv


def _dumper() -> type[Any]:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    # runconfig's reader (sources._loader) reads `1e-5` as a float, as YAML 1.2 does; with the
    # same resolver the dumper quotes a *string* of that shape, so both readers get a string.
    exponent = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)[eE][-+]?[0-9]+$")
    Dumper.add_implicit_resolver("tag:yaml.org,2002:float", exponent, list("-+.0123456789"))
    return Dumper


def write_param_file(path: str, params: Mapping[str, Any]) -> None:
    """Write wandb's parameter file (what ``WANDB_SWEEP_PARAM_PATH`` points to), whole.

    ``wandb_version: 1``, then ``key: {value: ...}`` per top-level key in order (nested values
    as plain YAML mappings under ``value``), block style, as wandb's agent writes it. Floats
    are written as PyYAML writes them (``1.0e-05``), which ``yaml.safe_load`` reads as floats.
    Folders are created; a reader never sees half a file.
    """
    import yaml

    text = "wandb_version: 1"
    if params:  # wandb: an empty mapping would add `{}`, which its reader cannot take
        entries = {key: {"value": _plain(value)} for key, value in params.items()}
        text += "\n\n" + yaml.dump(
            entries,
            Dumper=_dumper(),
            default_flow_style=False,
            allow_unicode=True,
            sort_keys=False,
        )
    write_whole(path, text.encode("utf-8"))


def write_args_json_file(path: str, params: Mapping[str, Any]) -> None:
    """Write the JSON object of ``params`` (what ``${args_json_file}`` names), whole.

    As wandb writes it: ``json.dumps`` with its defaults (non-ASCII escaped, so any reader's
    encoding works). Folders are created.
    """
    write_whole(path, json.dumps(_plain(params), default=str).encode("utf-8"))
