"""The commands about a run's files and the artifacts: ``files``, ``artifacts``,
``artifact``. Registered on the group of :mod:`runconfig._cli_commands`."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence

import click

from runconfig._cli_commands import _api, cli, project_option, store_option
from runconfig.errors import UsageError

__all__: list[str] = []


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


def _rows(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("─" * len(lines[0]))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


@cli.command("files")
@click.argument("run")
@click.option("--get", "name", metavar="NAME", help="Copy this file of the run out.")
@click.option(
    "--output", "-o", metavar="PATH", help="Where --get writes the file (default: ./NAME)."
)
@project_option
@store_option
def files_command(
    run: str, name: str | None, output: str | None, project: str | None, store: str | None
) -> None:
    """List the files of a run's folder (saved files, media, code), or copy one out.

    RUN is a run id or name.

    \b
    Examples:
      runconfig files swift-otter-12
      runconfig files swift-otter-12 --get model.ckpt -o best.ckpt
    """
    from runconfig.api import run_dir

    with _api(store) as api:
        record = api.run(run, project)
        found = api.files(record)
        folder = run_dir(record, api.store)
    if name is None:
        if not found:
            click.echo(f"run {record.name} ({record.id}) has no files")
            return
        rows = [(f.path, f.kind, _size(f.size), f.sha256[:12], f.created_at[:19]) for f in found]
        click.echo(_rows(("path", "kind", "size", "sha256", "recorded"), rows))
        return
    if name not in {f.path for f in found}:
        from runconfig.errors import did_you_mean

        raise UsageError(
            f"run {record.name} ({record.id}) has no file {name!r}"
            f"{did_you_mean(name, [f.path for f in found])}"
        )
    source = os.path.join(folder, name)
    if not os.path.isfile(source):
        raise UsageError(f"the file {name!r} of run {record.id} is not at {folder}")
    target = output or os.path.basename(name)
    if os.path.isdir(target):
        target = os.path.join(target, os.path.basename(name))
    try:
        shutil.copyfile(source, target)
    except OSError as e:
        raise UsageError(f"cannot write {target}: {e.strerror or e}") from None
    click.echo(target)


@cli.command("artifacts")
@click.option("--type", "-t", "type_name", metavar="TYPE", help="Only artifacts of this type.")
@click.option("--project", "-p", metavar="NAME", help="Only the artifacts of this project.")
@store_option
def artifacts_command(type_name: str | None, project: str | None, store: str | None) -> None:
    """List the artifact versions: name, type, aliases, files, size, the run that logged it.

    \b
    Examples:
      runconfig artifacts
      runconfig artifacts --type model
    """
    with _api(store) as api:
        found = api.artifacts(type_name=type_name, project=project)
        rows = []
        for art in found:
            stored = art._stored
            logger = stored.logged_by if stored is not None else None
            rows.append(
                (
                    art.name,
                    art.type,
                    ", ".join(sorted(art.aliases)),
                    str(art.file_count),
                    _size(art.size),
                    logger or "-",
                    (art.created_at or "")[:19],
                )
            )
    if not rows:
        click.echo("no artifacts" + (f" of type {type_name!r}" if type_name else ""))
        return
    click.echo(
        _rows(("artifact", "type", "aliases", "files", "size", "logged by", "created"), rows)
    )


@cli.command("artifact")
@click.argument("name", metavar="NAME:VERSION")
@click.option("--download", "-d", metavar="DIR", help="Copy its files into DIR.")
@store_option
def artifact_command(name: str, download: str | None, store: str | None) -> None:
    """Show an artifact version: its files, metadata and lineage (the run that logged it,
    the runs that used it); --download copies its files.

    NAME:VERSION is ``name:v3``, ``name:latest``, any alias, or ``name`` (latest).

    \b
    Examples:
      runconfig artifact mnist:v2
      runconfig artifact model:best --download ./best-model
    """
    import yaml

    with _api(store) as api:
        art = api.artifact(name)
        logger = art.logged_by()
        users = art.used_by()
        if download:
            click.echo(f"downloaded to {art.download(root=download)}")
            return
    info = {
        "artifact": art.name,
        "project": art.project,
        "type": art.type,
        "aliases": sorted(art.aliases),
        "digest": art.digest,
        "size": _size(art.size),
        "created": art.created_at,
        "description": art.description,
        "metadata": art.metadata or None,
        "logged by": f"{logger.name} ({logger.id})" if logger else None,
        "used by": [f"{r.name} ({r.id})" for r in users] or None,
    }
    shown = {k: v for k, v in info.items() if v is not None}
    click.echo(yaml.safe_dump(shown, sort_keys=False, allow_unicode=True), nl=False)
    rows = [
        (e.path, _size(e.size), (e.sha256 or "")[:12] if e.ref is None else e.ref)
        for e in art.files()
    ]
    if rows:
        click.echo(_rows(("file", "size", "sha256 / reference"), rows))
