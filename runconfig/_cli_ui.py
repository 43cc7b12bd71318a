"""``runconfig ui``: serve the web page. Registered on the group of
:mod:`runconfig._cli_commands`."""

from __future__ import annotations

import click

from runconfig._cli_commands import cli, store_option

__all__: list[str] = []


@cli.command("ui")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to bind: the loopback only (no authentication yet).")  # fmt: skip
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="The port.")  # fmt: skip
@click.option("--open", "open_browser", is_flag=True, help="Open the page in a browser.")
@store_option
def ui_command(host: str, port: int, open_browser: bool, store: str | None) -> None:
    """Serve a web page over the store: the runs table (query, sort, columns), each run,
    comparisons, parallel coordinates, parameter importance and sweeps.

    \b
    Examples:
      runconfig ui
      runconfig ui --store postgresql://me@db/runs --port 8000 --open
    """
    from runconfig.ui import check_host, serve

    ctx = click.get_current_context()
    if not store and ctx.parent is not None and isinstance(ctx.parent.obj, dict):
        store = ctx.parent.obj.get("store")
    check_host(host)
    serve(store, host=host, port=port, open_browser=open_browser)
