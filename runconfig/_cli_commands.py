"""The ``runconfig`` commands: thin over :mod:`runconfig.api`.

Each command opens an :class:`~runconfig.api.Api`, calls it, and hands the records to
:mod:`runconfig._cli_output`. runconfig's errors become one line (``Error: ...``, and
the caret under a query) and exit status 1 at one place, :class:`_Group`; usage
mistakes are click's (status 2).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

import click

from runconfig import __version__
from runconfig.api import Api, RunRecord
from runconfig.errors import RunconfigError
from runconfig.store import ENV_VAR

__all__ = ["DEFAULT_TABLE_LIMIT", "cli"]

DEFAULT_TABLE_LIMIT = 20
"""Rows ``runconfig runs`` shows in a table when ``--limit`` is not given."""

F = TypeVar("F", bound=Callable[..., Any])


class _Group(click.Group):
    """Turns every error of a command into one line on stderr and exit status 1: the
    message of runconfig's errors, the type and first line of anything else. The group's
    ``--debug`` shows the traceback instead."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # click's own: usage errors (status 2), exits, aborts
        except RunconfigError as e:
            if ctx.params.get("debug"):
                raise
            raise click.ClickException(str(e)) from None
        except BrokenPipeError:
            # The reader went away (`runconfig runs | head`): stop quietly.
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            except (OSError, ValueError, AttributeError):
                pass
            ctx.exit(1)
        except Exception as e:  # a bug, or a failure nobody foresaw: one line all the same
            if ctx.params.get("debug"):
                raise
            raise click.ClickException(_one_line(e)) from None


def _one_line(error: BaseException) -> str:
    """An unforeseen error as one line: its type, the first line of its message, and how
    to see more."""
    lines = str(error).strip().splitlines()
    first = lines[0] if lines else ""
    if len(first) > 300:
        first = first[:300] + "..."
    text = f"{type(error).__name__}: {first}" if first else type(error).__name__
    return f"{text} (runconfig --debug ... shows the traceback)"


def timeout_option(f: F) -> F:
    """``--timeout``, on the commands that query the store."""
    return click.option(
        "--timeout",
        metavar="SECONDS",
        type=click.FloatRange(min=0),
        help="Stop a query that takes longer than this, with an error (0: no limit). "
        "Default: $RUNCONFIG_QUERY_TIMEOUT, else 30.",
    )(f)


def store_option(f: F) -> F:
    """``--store``, on every command."""
    return click.option(
        "--store",
        metavar="PATH|URL",
        help="The store: a path, sqlite:///path or postgresql://user@host:port/db. "
        f"Default: ${ENV_VAR}, else the nearest .runconfig/runs.db.",
    )(f)


def project_option(f: F) -> F:
    """``--project``, to find a run by a name that several projects use."""
    return click.option(
        "--project", "-p", metavar="NAME", help="Look for RUN names in this project only."
    )(f)


def _api(store: str | None, *, create: bool = False) -> Api:
    """The Api on the store named by the command's --store, else the group's, else the
    environment's or the nearest (as the Api resolves it)."""
    ctx = click.get_current_context()
    if not store and isinstance(ctx.obj, dict):
        store = ctx.obj.get("store")
    return Api(store, create=create)


def _echo_err(message: str) -> None:
    click.echo(message, err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="runconfig")
@click.option(
    "--store",
    metavar="PATH|URL",
    help=f"The store, for every command (each command takes --store too; default: "
    f"${ENV_VAR}, else the nearest .runconfig/runs.db).",
)
@click.option(
    "--debug",
    is_flag=True,
    help="On an error, show the traceback instead of one line (for a bug report).",
)
@click.pass_context
def cli(ctx: click.Context, store: str | None, debug: bool) -> None:
    """Find, compare and export the configs of your ML runs.

    Runs are read from .runconfig/runs.db (found like git finds .git), or from the
    store that --store or RUNCONFIG_STORE names. Every command has --help.

    \b
    Examples:
      runconfig runs --where 'lr < 0.01 and optimizer == "adam"' --order summary.val_loss
      runconfig show swift-otter-12 --origin
      runconfig diff swift-otter-12 calm-heron-7
      runconfig export calm-heron-7 -o best.yaml
    """
    ctx.obj = {"store": store}


@cli.command("runs")
@click.option("--project", "-p", metavar="NAME", help="Only the runs of this project.")
@click.option("--where", "-w", metavar="QUERY", help='A query: lr < 0.01 and optimizer == "adam".')
@click.option(
    "--order",
    metavar="KEY",
    multiple=True,
    help="Sort by this key: summary.val_loss, -summary.acc (descending), run.created_at. "
    "Repeat it, or separate keys with commas. Missing values sort last. "
    "Default: newest first.",
)
@click.option(
    "--limit",
    "-n",
    metavar="N",
    type=click.IntRange(min=0),
    help=f"At most N runs; 0 for all. Default: {DEFAULT_TABLE_LIMIT} in a table, "
    "all in the other formats.",
)
@click.option(
    "--columns",
    "-c",
    metavar="KEYS",
    multiple=True,
    help="The columns after the name, separated by commas: lr,train.epochs,summary.acc,"
    "run.state. Default: state, created, the config keys that vary, the summary metrics.",
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["table", "json", "csv", "markdown"]),
    default="table",
    show_default=True,
    help="table fits the terminal; json prints every field of each run.",
)
@timeout_option
@store_option
def runs_command(
    project: str | None,
    where: str | None,
    order: tuple[str, ...],
    limit: int | None,
    columns: tuple[str, ...],
    fmt: str,
    timeout: float | None,
    store: str | None,
) -> None:
    """List runs, newest first: the config keys that vary, and the summary metrics.

    The query language is the one of Api.runs(where=...): config keys by their dotted
    path (train.epochs), summary.<metric>, run.<field> (run.state, run.tags...).

    \b
    Examples:
      runconfig runs --project mnist
      runconfig runs --where 'lr < 0.01 and optimizer == "adam"' --order summary.val_loss
      runconfig runs --where '"baseline" in run.tags' --columns lr,summary.acc -f markdown
      runconfig runs --format json --limit 0 > runs.json
    """
    from runconfig import _cli_output as out

    chosen = None
    if columns:
        try:
            chosen = out.parse_columns(columns)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="--columns") from None
    if limit is None and fmt == "table":
        limit = DEFAULT_TABLE_LIMIT
    wanted = None if not limit else limit + 1  # one more tells that there are more
    with _api(store) as api:
        runs = api.runs(
            project=project,
            where=where,
            order=list(order) or None,
            limit=wanted,
            timeout=timeout,
        )
        location = api.store
    more = wanted is not None and len(runs) == wanted
    if more:
        runs = runs[:-1]
    if fmt == "json":
        click.echo(out.render_json(runs), nl=False)
        return
    fixed, config, summary = out.default_columns(runs)
    if chosen is not None:
        config, summary = chosen, []
        fixed = fixed[:1]
    if fmt == "csv":  # for scripts: the id, and exact times
        fixed = [out.run_field("id"), *(out.csv_column(c) for c in fixed)]
        click.echo(out.render_csv(runs, fixed + config + summary), nl=False)
    elif fmt == "markdown":
        click.echo(out.render_markdown(runs, fixed + config + summary), nl=False)
    elif not runs:
        _echo_err(f"no runs {'match' if where or project else 'yet'} in {location}")
        return
    else:
        color = out.color_on(sys.stdout)
        table, hidden = out.render_table(
            runs, fixed, config, summary, width=out.terminal_width(), color=color
        )
        click.echo(table, nl=False)
        if hidden:
            _echo_err(f"{hidden} more columns: widen the terminal, or choose with --columns")
    if more:
        _echo_err("more runs match: use --limit N to see more (--limit 0: all)")


@cli.command("show")
@click.argument("run")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["yaml", "json"]),
    default="yaml",
    show_default=True,
    help="yaml is commented for reading; json for scripts.",
)
@click.option("--origin", is_flag=True, help="Show where each config value came from.")
@project_option
@timeout_option
@store_option
def show_command(
    run: str,
    fmt: str,
    origin: bool,
    project: str | None,
    timeout: float | None,
    store: str | None,
) -> None:
    """Show a run: its config (with the notes of defaults files), summary and metadata.

    RUN is a run id or name.

    \b
    Examples:
      runconfig show swift-otter-12
      runconfig show swift-otter-12 --origin     # batch_size: 8   # argparse --batch-size
      runconfig show 3k2j1h4g --format json
    """
    from runconfig import _cli_output as out

    with _api(store) as api:
        record = api.run(run, project, timeout=timeout)
    text = (
        out.show_json(record, origin=origin)
        if fmt == "json"
        else out.show_yaml(record, origin=origin)
    )
    click.echo(text, nl=False)


@cli.command("diff")
@click.argument("runs", nargs=-1, required=True, metavar="RUN RUN [RUN...]")
@click.option("--all", "-a", "show_all", is_flag=True, help="Show the keys that are equal too.")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="json: {key: {run: value}}, a run that lacks the key left out.",
)
@project_option
@timeout_option
@store_option
def diff_command(
    runs: tuple[str, ...],
    show_all: bool,
    fmt: str,
    project: str | None,
    timeout: float | None,
    store: str | None,
) -> None:
    """Compare the configs of runs side by side: only the keys that differ.

    Values are compared type for type (1 and 1.0 differ); a dash marks a key a run
    lacks.

    \b
    Examples:
      runconfig diff swift-otter-12 calm-heron-7
      runconfig diff swift-otter-12 calm-heron-7 quiet-lynx-3 --all
    """
    from runconfig import _cli_output as out
    from runconfig.api import diff

    if len(runs) < 2:
        raise click.UsageError("diff needs two runs or more")
    with _api(store) as api:
        records = [api.run(r, project, timeout=timeout) for r in runs]
    changed = diff(records, all=show_all)
    if fmt == "json":
        click.echo(out.diff_json(records, changed), nl=False)
        return
    if not changed:
        count = len(diff(records, all=True))
        _echo_err(f"the configs are the same ({count} keys)")
        return
    out.diff_table(out.console(), records, changed)


@cli.command("export")
@click.argument("run")
@click.option(
    "--output",
    "-o",
    metavar="FILE",
    type=click.Path(dir_okay=False, writable=True),
    help="Write to FILE (default: print). The format follows its extension: *.json is json.",
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["yaml", "json", "wandb"]),
    help="yaml (default), json, or wandb's config.yaml form (key: {desc, value}).",
)
@project_option
@timeout_option
@store_option
def export_command(
    run: str,
    output: str | None,
    fmt: str | None,
    project: str | None,
    timeout: float | None,
    store: str | None,
) -> None:
    """Write a run's config as a file that init(config=FILE) takes back exactly.

    Types survive the round trip: 2.0 stays a float, NaN and infinities stay, strings
    that look like numbers stay strings. The command line the run was started with ends
    YAML output as a comment (# started with: python train.py --lr 0.1); with -o, or
    for json, it goes to stderr.

    \b
    Examples:
      runconfig export calm-heron-7 -o best.yaml
      runconfig export calm-heron-7 --format json -o best.json
      runconfig export calm-heron-7 --format wandb > config-defaults.yaml
    """
    if fmt is None:
        fmt = "json" if output is not None and output.lower().endswith(".json") else "yaml"
    with _api(store) as api:
        record = api.run(run, project, timeout=timeout)
    text = record.export(fmt)
    started = f"# started with: {record.command}" if record.command else ""
    if started and fmt != "json":
        text += started + "\n"
    if output is None:
        click.echo(text, nl=False)
        if started and fmt == "json":
            _echo_err(started)
        return
    if output.lower().endswith(".json") != (fmt == "json"):
        reads = "JSON" if output.lower().endswith(".json") else "YAML"
        _echo_err(f"note: init(config={output!r}) reads the file as {reads} (by its name)")
    try:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise click.ClickException(f"cannot write {output}: {e.strerror or e}") from None
    _echo_err(f"wrote the config of {record.name} ({record.id}) to {output}")
    if started:
        _echo_err(started)


@cli.command("import-wandb")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True), metavar="PATH...")
@click.option(
    "--project",
    "-p",
    metavar="NAME",
    help="The project of the runs (default: what the run says, else uncategorized).",
)
@click.option(
    "--replace", is_flag=True, help="Replace runs already in the store (default: skip them)."
)
@store_option
def import_wandb_command(
    paths: tuple[str, ...], project: str | None, replace: bool, store: str | None
) -> None:
    """Import wandb runs: their config, summary and metadata.

    PATH is a wandb run folder (wandb/run-20240101_120000-abc123, holding
    files/config.yaml), a wandb/ folder of them, or the folder that holds wandb/. An
    offline run keeps its config only in its .wandb log: it is read with the wandb
    package when that is installed, else skipped with a note. Creates the store if
    there is none.

    \b
    Examples:
      runconfig import-wandb wandb/
      runconfig import-wandb ~/projects/mnist --project mnist --store runs.db
    """
    from runconfig.wandb_import import import_wandb

    started = time.perf_counter()
    notes = 0

    def note(message: str) -> None:
        nonlocal notes
        notes += 1
        if notes <= 20:
            _echo_err(message)

    with _api(store, create=True) as api:
        report = import_wandb(paths, api, project=project, replace=replace, on_note=note)
        location = api.store
    if notes > 20:
        _echo_err(f"... and {notes - 20} more notes like these")
    seconds = time.perf_counter() - started
    parts = [f"imported {report.imported} runs into {location} in {seconds:.1f} s"]
    if report.replaced:
        parts.append(f"{report.replaced} replaced")
    if report.skipped:
        parts.append(f"{report.skipped} skipped")
    click.echo(", ".join(parts))
    if report.found == 0:
        raise click.ClickException("no wandb runs found in " + ", ".join(paths))


@cli.command("rm")
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@project_option
@store_option
def rm_command(runs: tuple[str, ...], yes: bool, project: str | None, store: str | None) -> None:
    """Delete runs, with their config, summary and history. Asks first.

    \b
    Examples:
      runconfig rm calm-heron-7
      runconfig rm 3k2j1h4g 9x8w7v6u --yes
    """
    with _api(store) as api:
        records: dict[str, RunRecord] = {}
        for r in runs:
            record = api.run(r, project)
            records.setdefault(record.id, record)
        for record in records.values():
            click.echo(f"{record.name} ({record.id}) in {record.project}: {record.state}")
        count = len(records)
        if not yes:
            click.confirm(f"Delete {count} run{'s' if count != 1 else ''}?", abort=True)
        deleted = api.delete(records.values())
    click.echo(f"deleted {deleted} run{'s' if deleted != 1 else ''}")


@cli.command("tag")
@click.argument("run")
@click.option("--add", "-a", metavar="TAG", multiple=True, help="Add this tag (repeat for more).")
@click.option(
    "--remove", "-r", metavar="TAG", multiple=True, help="Remove this tag (repeat for more)."
)
@project_option
@store_option
def tag_command(
    run: str, add: tuple[str, ...], remove: tuple[str, ...], project: str | None, store: str | None
) -> None:
    """Add or remove tags of a run, and print its tags. Without options: print them.

    \b
    Examples:
      runconfig tag calm-heron-7 --add baseline --add paper
      runconfig tag calm-heron-7 --remove paper
    """
    with _api(store) as api:
        record = api.run(run, project)
        if add or remove:
            tags = [t for t in record.tags if t not in remove]
            tags += [t for t in add if t not in tags and t not in remove]
            record = api.set_tags(record, tags)
    click.echo(f"{record.name}: {', '.join(record.tags) if record.tags else '(no tags)'}")


@cli.command(
    "run",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED, metavar="COMMAND...")
@store_option
def run_command(command: tuple[str, ...], store: str | None) -> None:
    """Run a training script on runconfig, unchanged: its `import wandb` is runconfig.

    Puts runconfig's wandb package first on PYTHONPATH for COMMAND and every process it
    starts (nothing is installed; a real wandb stays as it is elsewhere), with
    RUNCONFIG_STORE set by --store. `python train.py` (this Python) and a bare
    `train.py` run in this process; any other command replaces it. The exit status is
    the command's. `python -m runconfig.run train.py` does the same without click.

    \b
    Examples:
      runconfig run python train.py --lr 0.01
      runconfig run --store runs.db -- python -m mypackage.train
      runconfig run torchrun --nproc-per-node 2 train.py
    """
    from runconfig._launch import launch

    if not store:
        ctx = click.get_current_context()
        parent = ctx.parent.obj if ctx.parent is not None else None
        store = parent.get("store") if isinstance(parent, dict) else None
    launch(command, store)


# The commands about files, artifacts and the store, in modules of their own, join here.
from runconfig import _cli_files, _cli_store, _cli_sweeps, _cli_ui  # noqa: E402, F401
