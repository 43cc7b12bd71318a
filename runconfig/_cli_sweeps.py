"""The sweep commands: ``sweep`` (create, show, stop/cancel/pause/resume), ``sweeps`` and
``agent``. Registered on the group of :mod:`runconfig._cli_commands`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from runconfig._cli_commands import cli, store_option

if TYPE_CHECKING:
    from runconfig.sweeps import SweepStatus

__all__: list[str] = []


def _store(store: str | None) -> str | None:
    ctx = click.get_current_context()
    if not store and ctx.parent is not None and isinstance(ctx.parent.obj, dict):
        store = ctx.parent.obj.get("store")
    return store


@cli.command("sweep")
@click.argument("args", nargs=-1, required=True, metavar="FILE | show ID | --stop ID")
@click.option("--project", "-p", metavar="NAME", help="The project the sweep's runs go to.")
@click.option("--stop", "action", flag_value="stop", help="No new trials; running ones finish.")
@click.option("--cancel", "action", flag_value="cancel", help="Stop the running trials too.")
@click.option("--pause", "action", flag_value="pause", help="No new trials until --resume.")
@click.option("--resume", "action", flag_value="resume", help="Hand out trials again.")
@click.option("--entity", "-e", metavar="NAME", hidden=True)
@store_option
def sweep_command(
    args: tuple[str, ...],
    project: str | None,
    action: str | None,
    entity: str | None,
    store: str | None,
) -> None:
    """Create a sweep from a wandb sweep file and print its id and the agent command;
    `sweep show ID` prints its space, progress and best runs; `--stop`, `--cancel`,
    `--pause`, `--resume` ID control it.

    \b
    Examples:
      runconfig sweep sweep.yaml --project mnist
      runconfig agent k3x9q2ab --count 10
      runconfig sweep show k3x9q2ab
      runconfig sweep --stop k3x9q2ab
    """
    from runconfig import sweeps

    store = _store(store)
    if action is not None:
        if len(args) != 1:
            raise click.UsageError(f"--{action} takes one sweep id")
        state = sweeps.control(args[0], action, store=store)
        click.echo(f"sweep {args[0]}: {state}")
        return
    if args[0] == "show":
        if len(args) != 2:
            raise click.UsageError("sweep show takes one sweep id")
        click.echo(_show(sweeps.status(args[1], store=store)))
        return
    if len(args) != 1:
        raise click.UsageError("sweep takes one file (or: show ID)")
    sweep_id = sweeps.sweep(args[0], project=project, store=store)
    agent = ["runconfig", "agent", sweep_id]
    if store:
        agent += ["--store", store]
    click.echo(f"created sweep {sweep_id}")
    import shlex

    click.echo(f"run an agent: {shlex.join(agent)}")


@cli.command("agent")
@click.argument("sweep_id", metavar="SWEEP_ID")
@click.option("--count", type=click.IntRange(min=0), help="Run at most this many trials here.")
@click.option(
    "--max-consecutive-failures",
    type=click.IntRange(min=1),
    help="Stop this agent after this many trials failed in a row (default 5).",
)
@click.option("--project", "-p", metavar="NAME", hidden=True)
@click.option("--entity", "-e", metavar="NAME", hidden=True)
@store_option
def agent_command(
    sweep_id: str,
    count: int | None,
    max_consecutive_failures: int | None,
    project: str | None,
    entity: str | None,
    store: str | None,
) -> None:
    """Run trials of a sweep as processes, per its file's program and command, until the
    sweep has none left (or --count ran here). Run as many agents as you like, on any
    machine that reaches the store.

    \b
    Examples:
      runconfig agent k3x9q2ab
      runconfig agent k3x9q2ab --count 5 --store postgresql://me@db/runs
    """
    from runconfig import sweeps

    ran = sweeps.agent(
        sweep_id, count=count, store=_store(store),
        max_consecutive_failures=max_consecutive_failures,
    )  # fmt: skip
    click.echo(f"runconfig agent: {ran} trial{'' if ran == 1 else 's'} ran here", err=True)


@cli.command("sweeps")
@click.option("--project", "-p", metavar="NAME", help="Only the sweeps of this project.")
@store_option
def sweeps_command(project: str | None, store: str | None) -> None:
    """List the sweeps: state, trials per state, and the best run so far.

    \b
    Examples:
      runconfig sweeps
      runconfig sweeps --project mnist --store postgresql://me@db/runs
    """
    from runconfig import sweeps
    from runconfig._cli_output import text_of

    found = sweeps.sweeps(project, store=_store(store))
    if not found:
        click.echo("no sweeps")
        return
    rows = [("id", "project", "method", "state", "trials", "best run", "metric")]
    for s in found:
        best = s.best
        metric = f"{s.metric}={text_of(s.metric_of(best))}" if best is not None else ""
        rows.append(
            (s.sweep.id, s.sweep.project, s.sweep.method, s.sweep.state, _counts(s.counts),
             best.name if best is not None else "", metric)
        )  # fmt: skip
    click.echo(_table(rows))


def _counts(counts: dict[str, int]) -> str:
    order = ("running", "pending", "finished", "failed", "crashed", "stopped", "canceled")
    return " ".join(f"{n} {state}" for state in order if (n := counts.get(state)))


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _show(status: SweepStatus) -> str:
    from runconfig._cli_output import text_of
    from runconfig._summary import dotted
    from runconfig.sweeps._spec import load_spec

    s = status.sweep
    spec = load_spec(s.spec)
    lines = [
        f"sweep {s.id}  project {s.project}  method {s.method}  state {s.state}  seed {s.seed}",
    ]
    if status.metric:
        lines.append(f"metric: {status.metric} ({status.goal})")
    size = f"grid of {s.total}; " if s.total is not None else ""
    cap = f"run_cap {s.run_cap}; " if s.run_cap is not None else ""
    lines.append(f"trials: {size}{cap}{_counts(status.counts) or 'none yet'}")
    lines.append("parameters:")
    for param in spec.params:
        lines.append(f"  {param.name}: {param.describe()}")
    top = [r for r in status.runs if status.metric_of(r) is not None][:10]
    swept = {p.name for p in spec.params if p.distribution != "constant"}
    if top:
        lines.append("best runs:")
        rows = [("run", "state", status.metric or "", "config")]
        for run in top:
            rows.append(
                (run.name, run.state, text_of(status.metric_of(run)),
                 " ".join(f"{k}={text_of(v)}" for k, v in dotted(run.config).items()
                          if k in swept))
            )  # fmt: skip
        lines.extend("  " + line for line in _table(rows).splitlines())
    return "\n".join(lines)
