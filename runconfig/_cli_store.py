"""The commands about the store itself: ``sync`` (send what runs kept while their
PostgreSQL server was away) and ``init-store`` (make a store). Registered on the group of
:mod:`runconfig._cli_commands`."""

from __future__ import annotations

import click

from runconfig._cli_commands import cli, store_option

__all__: list[str] = []


def _location(store: str | None) -> str:
    from runconfig.store import resolve_location

    ctx = click.get_current_context()
    if not store and isinstance(ctx.obj, dict):
        store = ctx.obj.get("store")
    return resolve_location(store)


@cli.command("sync")
@store_option
def sync_command(store: str | None) -> None:
    """Send the writes that runs of this machine kept while their PostgreSQL server was out
    of reach (each run also sends them itself once the server is back, and the next run on
    this machine sends those of runs that ended meanwhile).

    \b
    Examples:
      runconfig sync --store postgresql://me@db:5432/runs
      RUNCONFIG_STORE=postgresql://me@db/runs runconfig sync
    """
    from runconfig.store import open_store
    from runconfig.store._journal import journal_files
    from runconfig.store._resilient import sync_journals

    location = _location(store)
    opened = open_store(location, create=False)
    try:
        if not journal_files(opened.location):
            click.echo(f"nothing kept for {opened.location}")
            return
        journals, writes = sync_journals(opened)
    finally:
        opened.close()
    click.echo(f"sent {writes} writes of {journals} runs to {opened.location}")


@cli.command("init-store")
@click.argument("location", metavar="[PATH|URL]", required=False)
@store_option
def init_store_command(location: str | None, store: str | None) -> None:
    """Make a store at PATH (an SQLite file, created with its folder; an existing empty
    file becomes a store) or URL (a PostgreSQL database or schema). Reading commands never
    make one: they refuse a missing or empty file.

    \b
    Without PATH|URL: --store, else the store ``init()`` would use.

    \b
    Examples:
      runconfig init-store .runconfig/runs.db
      runconfig init-store postgresql://me@db:5432/runs?schema=team
    """
    from runconfig.store import open_store

    made = open_store(location or _location(store), create=True)
    made.close()
    click.echo(f"store ready: {made.location}")
