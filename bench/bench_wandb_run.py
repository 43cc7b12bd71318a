"""Issue 9: the start-up cost of ``runconfig run``, which runs scripts on runconfig's wandb.

    python bench/bench_wandb_run.py [--rounds 20]

Floor: ``runconfig run python -c pass`` at most 1.3x "a bare ``python -c pass`` plus
runconfig's import", that is ``python -c "import runconfig"``, measured in the same run.
``python`` is this interpreter (``sys.executable``), for ours and the baselines alike.

Figures (each the median of ``--rounds`` runs, every command run once per round in turn,
so that the machine's load hits all alike; the note gives the spread, min-max):

- ``runconfig run python -c pass`` through the console script as pip writes it for
  ``runconfig._launch:console`` (generated in the benchmark's cache folder): ``run``
  without loading click; floor 1.3x;
- the same through the ``runconfig`` script installed now (``runconfig.cli:main`` until
  ``[project.scripts]`` says ``runconfig._launch:console``: click and the readers first);
  floor 1.3x;
- ``python -m runconfig.run -c pass``; floor 1.3x;
- ``runconfig run env python -c pass``: a command that is not this Python, so the
  launcher replaces itself with it (``os.execvpe``) and a second interpreter starts;
  reported;
- ``runconfig run python -c "import wandb"``: the shim's own import (``wandb`` over
  runconfig, ``importlib.metadata`` not touched); reported.
"""

from __future__ import annotations

import argparse
import os
import stat
import statistics
import sys
import sysconfig
from collections.abc import Sequence

from _harness import PYCACHE, Floor, Row, child_env, fmt, print_table, spawn

FLOOR = Floor("ratio_max", 1.3)

# What pip writes for a console script (pip's distlib template), here for the entry point
# runconfig._launch:console.
SCRIPT = """#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from runconfig._launch import console
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(console())
"""


def console_script() -> str:
    """The console script for ``runconfig._launch:console``, written beside the bytecode
    cache (a file of its own per interpreter)."""
    folder = os.path.dirname(PYCACHE)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "runconfig-console")
    with open(path, "w", encoding="utf-8") as f:
        f.write(SCRIPT.format(python=sys.executable))
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def installed_script() -> tuple[str | None, str]:
    """The ``runconfig`` script installed beside this Python, and the entry point it calls."""
    path = os.path.join(sysconfig.get_path("scripts"), "runconfig")
    if not os.path.isfile(path):
        return None, "not installed"
    with open(path, encoding="utf-8") as f:
        text = f.read()
    entry = (
        "runconfig._launch:console" if "_launch import console" in text else "runconfig.cli:main"
    )
    return path, entry


def timed(commands: dict[str, Sequence[str]], rounds: int) -> dict[str, list[float]]:
    """Wall seconds of each command over ``rounds`` rounds, the commands in turn in each
    (after one untimed run of each, which also fills the bytecode cache)."""
    env = child_env()
    for argv in commands.values():
        spawn(argv, env=env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, argv in commands.items():
            times[name].append(spawn(argv, env=env))
    return times


def spread(values: list[float]) -> str:
    return f"{fmt(min(values))}-{fmt(max(values))}"


def measure(rounds: int = 20) -> list[Row]:
    py = sys.executable
    script = console_script()
    installed, entry = installed_script()
    commands: dict[str, Sequence[str]] = {
        "bare": [py, "-c", "pass"],
        "import": [py, "-c", "import runconfig"],
        "console": [script, "run", py, "-c", "pass"],
        "module": [py, "-m", "runconfig.run", "-c", "pass"],
        "exec": [script, "run", "env", py, "-c", "pass"],
        "wandb": [script, "run", py, "-c", "import wandb"],
    }
    if installed is not None:
        commands["installed"] = [installed, "run", py, "-c", "pass"]
    times = timed(commands, rounds)
    median = {name: statistics.median(values) for name, values in times.items()}
    base, base_name = median["import"], 'python -c "import runconfig"'
    baseline_note = (
        f"median of {rounds}; baseline {spread(times['import'])}; "
        f"python -c pass {fmt(median['bare'])} ({spread(times['bare'])})"
    )

    def row(label: str, name: str, floor: Floor | None, note: str = "") -> Row:
        figure = Row(label, median[name], base, base_name, floor)
        figure.note = f"{baseline_note}; ours {spread(times[name])}" + (f"; {note}" if note else "")
        return figure

    rows = [
        row(
            "runconfig run python -c pass (script for runconfig._launch:console)",
            "console",
            FLOOR,
        ),
    ]
    if installed is not None:
        rows.append(
            row(
                f"the same, the runconfig script installed now ({entry})",
                "installed",
                FLOOR,
                "" if entry.endswith("console") else "click and the store's readers load first",
            )
        )
    else:
        rows.append(Row("the same, the runconfig script installed now", None, note="n/a"))
    rows += [
        row("python -m runconfig.run -c pass", "module", FLOOR),
        row(
            "runconfig run env python -c pass (exec: a second interpreter)",
            "exec",
            None,
            "any command other than this Python replaces the launcher (os.execvpe)",
        ),
        row('runconfig run python -c "import wandb" (the shim\'s import)', "wandb", None),
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="runs of each command")
    args = parser.parse_args()
    print_table("bench_wandb_run: runconfig run's start-up (issue 9)", measure(args.rounds))


if __name__ == "__main__":
    main()
