"""Run a program on runconfig's ``wandb``: ``runconfig run`` and ``python -m runconfig.run``.

The folder :data:`SHIM` holds a package ``wandb`` (wandb's API over runconfig) and its
``wandb-0.31.0.dist-info``, which libraries check before they import wandb. :func:`launch`
puts that folder first on ``PYTHONPATH`` (and sets ``RUNCONFIG_STORE`` for ``--store``),
so the program and every Python process it starts import runconfig's ``wandb``; nothing is
installed, and a real wandb, if there is one, stays where it is for everything else.

How the program runs:

- A Python program for this very interpreter, ``python train.py ARGS`` (``python`` being
  this interpreter, found on ``PATH``), ``python -m pkg``, ``python -c CODE``, or a bare
  ``train.py``, runs in this process, as ``python -m cProfile train.py`` does: a second
  interpreter would cost a whole ``python -c pass`` (40-50 ms here, most of it the
  ``.pth`` files of site-packages), over the issue's budget of 1.3x. ``__main__``,
  ``sys.argv`` and ``sys.path[0]`` are the program's, as ``python`` sets them; an uncaught
  exception prints its traceback (without the launcher's frames) and exits with status 1,
  ``KeyboardInterrupt`` ends the process by SIGINT, after the ``atexit`` handlers.
- Anything else (another interpreter, interpreter options such as ``-u`` or ``-X``,
  ``torchrun``, a shell script) replaces this process (``os.execvpe``): the pid, the
  signals and the exit status are the program's own.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, NoReturn

__all__ = ["SHIM", "USAGE", "console", "environment", "launch", "main"]

SHIM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_wandb")
"""The folder holding the ``wandb`` package and its dist-info."""

USAGE = (
    "usage: python -m runconfig.run [--store PATH|URL] [--] "
    "(SCRIPT | -m MODULE | -c CODE | COMMAND) [ARGS]..."
)


class _Program(NamedTuple):
    """A Python program to run in this interpreter: ``kind`` is ``script``, ``module`` or
    ``code``; ``target`` the path, module name or source; ``args`` what follows."""

    kind: str
    target: str
    args: list[str]


def environment(store: str | None = None, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: ``os.environ``) with :data:`SHIM` first on ``PYTHONPATH`` and,
    given a store, ``RUNCONFIG_STORE`` (a plain path made absolute, so a program that
    changes its directory still finds it)."""
    env = dict(os.environ if base is None else base)
    rest = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != SHIM]
    env["PYTHONPATH"] = os.pathsep.join([SHIM, *rest])
    if store:
        env["RUNCONFIG_STORE"] = (
            store if "://" in store else os.path.abspath(os.path.expanduser(store))
        )
    return env


def launch(command: Sequence[str], store: str | None = None) -> None:
    """Run ``command`` on runconfig's ``wandb`` (see the module's doc).

    Returns when a program run in this process ends normally; raises ``SystemExit`` with
    its status otherwise; never returns from a program it executes in its place.
    """
    if not command:
        raise ValueError("launch() needs a command: python train.py, or train.py")
    env = environment(store)
    program = _python_program(command)
    if program is None:
        _exec(list(command), env)
    os.environ.update(env)
    _run_here(program)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m runconfig.run [--store S] [--] (SCRIPT | -m MOD | -c CODE | COMMAND) ARGS``."""
    args = list(sys.argv[1:] if argv is None else argv)
    store: str | None = None
    while args:
        head = args[0]
        if head in ("-h", "--help"):
            print(USAGE)
            print(
                "\nRuns a Python script (or module, or command) with runconfig's wandb first"
                "\non its import path, so `import wandb` records into runconfig's store."
                "\n\n  --store PATH|URL  the store (sets RUNCONFIG_STORE for the program)"
            )
            return
        if head == "--store" and len(args) > 1:
            store, args = args[1], args[2:]
        elif head.startswith("--store="):
            store, args = head.partition("=")[2], args[1:]
        elif head == "--":
            args = args[1:]
            break
        else:
            break
    if not args or args[0] == "--store":
        print(USAGE, file=sys.stderr)
        print("Error: give the script to run: python -m runconfig.run train.py", file=sys.stderr)
        raise SystemExit(2)
    launch(args, store)


def console() -> None:
    """The ``runconfig`` console script, for ``[project.scripts]``: ``runconfig run ...``
    starts the program without loading the rest of the command line (click and the
    store's readers cost ~35 ms, more than the start-up budget of ``runconfig run``);
    every other command, ``runconfig run --help`` and usage errors go to
    :func:`runconfig.cli.main`."""
    parsed = _run_arguments(sys.argv[1:])
    if parsed is None:
        from runconfig.cli import main as click_main

        click_main(prog_name="runconfig")
        return
    command, store = parsed
    launch(command, store)


def _run_arguments(args: list[str]) -> tuple[list[str], str | None] | None:
    """``(command, store)`` of ``[--store S] run [--store S] [--] COMMAND...``; None for
    anything else, which click parses."""
    store: str | None = None
    seen_run = False
    while args:
        head = args[0]
        if head == "--store" and len(args) > 1:
            store, args = args[1], args[2:]
        elif head.startswith("--store="):
            store, args = head.partition("=")[2], args[1:]
        elif head == "run" and not seen_run:
            seen_run, args = True, args[1:]
        elif head == "--" and seen_run:
            args = args[1:]
            break
        elif head.startswith("-") or not seen_run:
            return None  # --help, an unknown option, another command: click's
        else:
            break
    return (args, store) if seen_run and args else None


# -- which programs run here ----------------------------------------------------------------
def _python_program(command: Sequence[str]) -> _Program | None:
    """The Python program ``command`` stands for, when this interpreter can run it itself."""
    first, rest = command[0], list(command[1:])
    if first in ("-m", "-c"):
        return _interpreter_args([first, *rest])
    if first.endswith(".py") and (os.path.isfile(first) or os.sep in first or not _which(first)):
        return _Program("script", first, rest)  # a missing one: python's "can't open file"
    if not _is_this_python(first):
        return None
    return _interpreter_args(rest)


def _interpreter_args(args: list[str]) -> _Program | None:
    """What ``python ARGS`` runs, for the forms run here; None for any interpreter option
    (``-u``, ``-X dev``...), which the real command line must see, or for no program."""
    if not args:
        return None  # the interactive interpreter
    head = args[0]
    for flag, kind in (("-c", "code"), ("-m", "module")):
        if head == flag:
            return _Program(kind, args[1], args[2:]) if len(args) > 1 else None
        if head.startswith(flag):
            return _Program(kind, head[2:], args[1:])
    if head.startswith("-") or not os.path.isfile(head):
        return None  # an option, or python's own "can't open file" to print
    return _Program("script", head, args[1:])


def _is_this_python(name: str) -> bool:
    """Whether ``name`` (a path, or a command found on ``PATH``) is this interpreter, in
    this environment: the same file, reached from the same folder (a virtualenv's python
    is a link to the base interpreter, yet its own environment)."""
    path = name if os.sep in name else _which(name)
    if path is None or not sys.executable:
        return False
    here = os.path.abspath(sys.executable)
    there = os.path.abspath(path)
    return os.path.dirname(here) == os.path.dirname(there) and os.path.realpath(
        here
    ) == os.path.realpath(there)


def _which(name: str) -> str | None:
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        path = os.path.join(folder or ".", name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


# -- running ----------------------------------------------------------------------------------
def _exec(command: list[str], env: dict[str, str]) -> NoReturn:
    """Replace this process with ``command`` (a child process where exec cannot replace
    it, on Windows)."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    try:
        if os.name == "nt":  # pragma: no cover - exec does not replace the process there
            import subprocess

            raise SystemExit(subprocess.call(command, env=env))
        os.execvpe(command[0], command, env)
    except OSError as e:
        where = "" if os.sep in command[0] else " (looked for it on PATH)"
        print(f"Error: cannot run {command[0]!r}: {e.strerror or e}{where}", file=sys.stderr)
        raise SystemExit(127 if isinstance(e, FileNotFoundError) else 126) from None


_interrupted = False


def _run_here(program: _Program) -> None:
    """Run ``program`` in this interpreter as ``python`` would run it."""
    import atexit

    # Registered before the program's own handlers, so it runs after them (atexit is LIFO).
    atexit.register(_exit_by_sigint)
    if program.kind == "script":
        path0 = os.path.dirname(os.path.realpath(program.target))
        sys.argv = [program.target, *program.args]
    elif program.kind == "module":
        path0 = os.getcwd()
        sys.argv = ["-m", *program.args]
    else:
        path0 = ""
        sys.argv = ["-c", *program.args]
    # As `python` sets it: the program's folder first (unless this interpreter runs with
    # -P or -I, which leave it out), then PYTHONPATH, the shim first.
    safe = bool(getattr(sys.flags, "safe_path", False) or sys.flags.isolated)
    rest = [p for p in (sys.path if safe else sys.path[1:]) if p != SHIM]
    sys.path[:] = [*([] if safe else [path0]), SHIM, *rest]
    try:
        _execute(program)
    except SystemExit:
        raise
    except BaseException as e:
        _report(e)
        if isinstance(e, KeyboardInterrupt):
            global _interrupted
            _interrupted = True
            raise SystemExit(130) from None
        raise SystemExit(1) from None


def _execute(program: _Program) -> None:
    main = _fresh_main()
    if program.kind == "module":
        import runpy

        # What `python -m` itself calls: the module runs in the __main__ just made.
        runpy._run_module_as_main(program.target, alter_argv=True)  # type: ignore[attr-defined]
        return
    if program.kind == "code":
        exec(compile(program.target, "<string>", "exec"), main.__dict__)
        return
    path = os.path.abspath(program.target)
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        print(
            f"{sys.executable}: can't open file {path!r}: [Errno {e.errno}] {e.strerror}",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
    main.__file__ = path
    main.__cached__ = None
    exec(compile(source, path, "exec", dont_inherit=True), main.__dict__)


_previous_main: list[Any] = []


def _fresh_main() -> Any:
    """A new, empty ``__main__`` module in ``sys.modules`` (the launcher's is kept alive)."""
    import builtins
    import types

    _previous_main.append(sys.modules.get("__main__"))
    module = types.ModuleType("__main__")
    module.__dict__["__builtins__"] = builtins
    sys.modules["__main__"] = module
    return module


def _report(error: BaseException) -> None:
    """Print an uncaught exception as ``python`` does: through ``sys.excepthook`` (which
    runconfig's runs see, to end ``failed``), without the launcher's own frames."""
    import runpy

    skip = {os.path.abspath(__file__), os.path.abspath(runpy.__file__ or "")}
    tb = error.__traceback__
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) in skip:
        tb = tb.tb_next
    sys.excepthook(type(error), error.with_traceback(tb), tb)


def _exit_by_sigint() -> None:
    """After an uncaught ``KeyboardInterrupt``, end as ``python`` does: killed by SIGINT."""
    if not _interrupted or os.name == "nt":
        return
    import contextlib
    import signal

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)
