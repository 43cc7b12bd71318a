"""How the command line shows runs: values, tables (rich), CSV, Markdown, JSON and YAML.

Nothing here reads a store; the commands in :mod:`runconfig._cli_commands` hand records
in. rich is imported only by the functions that draw a table, so ``--format json`` and
``--format csv`` never load it.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from runconfig._paths import format_path, leaf, parse_path
from runconfig.api import MISSING, RunRecord, diff, flatten, yaml_scalar

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "Column",
    "color_on",
    "console",
    "csv_column",
    "default_columns",
    "diff_json",
    "diff_table",
    "parse_columns",
    "render_csv",
    "render_json",
    "render_markdown",
    "render_table",
    "run_field",
    "run_labels",
    "run_object",
    "show_json",
    "show_yaml",
    "terminal_width",
    "text_of",
]

MAX_CELL = 24  # characters of a cell before the table cuts it with an ellipsis
_NUMBER_LIKE = re.compile(r"^\s*[-+]?(\d[\d_]*\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
_WORDS = frozenset({"true", "false", "null", "nan", "inf", "-inf"})
_SECTIONS = {"config": "c", "summary": "s", "run": "r"}
# Run fields a column may name besides the stored ones.
_RUN_EXTRAS = ("command", "created")


# -- values -----------------------------------------------------------------------------
def _short_float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = repr(value)
    if len(text) <= 10:
        return text
    return format(value, ".6g")


def text_of(value: Any, *, exact: bool = False) -> str:
    """A value on one line, its type visible: ``1`` and ``1.0`` differ, a string that
    reads as a number or a keyword is quoted (``"1e-5"``), null is ``null``.

    Floats are cut to 6 significant digits unless ``exact``; missing is ``""``.
    """
    if value is MISSING:
        return ""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if exact and math.isfinite(value) else _short_float(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        ambiguous = (
            not value
            or value != value.strip()
            or "\n" in value
            or value.lower() in _WORDS
            or _NUMBER_LIKE.match(value) is not None
        )
        return json.dumps(value, ensure_ascii=False) if ambiguous else value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _csv_text(value: Any) -> str:
    if value is MISSING or value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return value if isinstance(value, str) else repr(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _short_time(stamp: str | None) -> str:
    """``2026-11-27T19:42:16.123456+00:00`` -> ``2026-11-27 20:42`` in local time."""
    if not stamp:
        return ""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


# -- columns ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """A column of the runs table: a config or summary path, or a run field."""

    title: str
    section: str  # "c", "s" or "r"
    path: tuple[str, ...]

    def value(self, run: RunRecord) -> Any:
        """The run's value in this column, or MISSING."""
        if self.section == "r":
            name = self.path[0]
            if name == "created":
                return _short_time(run.created_at)
            if name == "command":
                return run.command
            return getattr(run, name, MISSING)
        return leaf(run.config if self.section == "c" else run.summary, self.path, MISSING)


def run_field(name: str) -> Column:
    """A column of a run field, titled with the field's name."""
    return Column(name, "r", (name,))


def csv_column(column: Column) -> Column:
    """The column as CSV writes it: ``created`` is ``created_at``, exact."""
    return run_field("created_at") if column == run_field("created") else column


def parse_columns(specs: Iterable[str]) -> list[Column]:
    """Columns from ``--columns`` values: ``lr,train.epochs,summary.acc,run.state``.

    A bare path is a config key, as in queries; ``summary.`` and ``run.`` name the other
    sections; backticks quote a key holding a dot (```a.b```). Raises ``ValueError``.
    """
    from runconfig.store.schema import RUN_COLUMNS

    columns: list[Column] = []
    for spec in specs:
        for item in _split_commas(spec):
            section, rest = "c", item
            head, dot, tail = item.partition(".")
            if dot and not item.startswith("`") and head in _SECTIONS:
                section, rest = _SECTIONS[head], tail
            path = parse_path(rest)
            if section == "r":
                known = (*RUN_COLUMNS, *_RUN_EXTRAS)
                if len(path) != 1 or path[0] not in known:
                    raise ValueError(
                        f"unknown run field {item!r} in --columns: the fields are "
                        + ", ".join(f"run.{k}" for k in known)
                    )
                columns.append(Column(f"run.{path[0]}", "r", path))
            elif section == "s":
                columns.append(Column(f"summary.{format_path(path)}", "s", path))
            else:
                title = format_path(path)
                if path[0] in _SECTIONS:
                    title = f"config.{title}"
                columns.append(Column(title, "c", path))
    return columns


def _split_commas(spec: str) -> list[str]:
    parts: list[str] = []
    buf: list[str] = []
    quoted = False
    for ch in spec:
        if ch == "`":
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append("".join(buf).strip())
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf).strip())
    empty = [p for p in parts if not p]
    if empty or quoted:
        raise ValueError(f"cannot read --columns {spec!r}: write keys separated by commas")
    return parts


def _config_column(key: str) -> Column:
    path = parse_path(key)
    title = f"config.{key}" if path[0] in _SECTIONS else key
    return Column(title, "c", path)


def default_columns(runs: Sequence[RunRecord]) -> tuple[list[Column], list[Column], list[Column]]:
    """The columns ``runconfig runs`` shows: (run fields, config keys, summary metrics).

    Run fields: name, state, created (and project when the runs span several). Config:
    the keys whose values vary across the runs (every key for a single run). Summary:
    every metric but wandb-style hidden ``_`` keys.
    """
    fixed = [run_field("name"), run_field("state"), run_field("created")]
    if len({r.project for r in runs}) > 1:
        fixed.insert(1, run_field("project"))
    if len(runs) > 1:
        keys: Iterable[str] = diff(runs)
    else:
        keys = flatten(runs[0].config) if runs else {}
    config = [_config_column(k) for k in keys]
    metrics: dict[str, None] = {}
    for run in runs:
        metrics.update(dict.fromkeys(k for k in flatten(run.summary) if not k.startswith("_")))
    summary = [Column(f"summary.{k}", "s", parse_path(k)) for k in metrics]
    return fixed, config, summary


# -- output of runs ---------------------------------------------------------------------
# The run fields of ``--format json``, in order; ``show`` adds the process metadata.
_RUN_FIELDS = (
    "id", "name", "project", "state", "tags", "group", "job_type", "notes", "created_at",
    "updated_at", "finished_at", "exit_code", "error_type", "error_message",
)  # fmt: skip
_PROCESS_FIELDS = (
    "host", "user", "pid", "python", "program", "cwd", "git_commit", "git_dirty", "entity",
    "sweep",
)  # fmt: skip


def run_object(run: RunRecord) -> dict[str, Any]:
    """A run as ``--format json`` writes it."""
    out = {name: getattr(run, name) for name in _RUN_FIELDS}
    out["tags"] = list(run.tags)
    return {**out, "config": run.config, "summary": run.summary}


def render_json(runs: Sequence[RunRecord]) -> str:
    """One JSON array, one run per line. NaN and infinities as Python's json spells them."""
    if not runs:
        return "[]\n"
    lines = [json.dumps(run_object(r), ensure_ascii=False) for r in runs]
    return "[\n" + ",\n".join(lines) + "\n]\n"


def render_csv(runs: Sequence[RunRecord], columns: Sequence[Column]) -> str:
    """A header line and one line per run; values exact, lists and dicts as JSON."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.title for c in columns])
    for run in runs:
        writer.writerow([_csv_text(c.value(run)) for c in columns])
    return out.getvalue()


def render_markdown(runs: Sequence[RunRecord], columns: Sequence[Column]) -> str:
    """A GitHub-flavoured Markdown table; numbers right-aligned."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|")

    cells = [[text_of(c.value(r)) for c in columns] for r in runs]
    numeric = [
        any(_is_number(c.value(r)) for r in runs)
        and all(_is_number(c.value(r)) or c.value(r) is MISSING for r in runs)
        for c in columns
    ]
    lines = [
        "| " + " | ".join(escape(c.title) for c in columns) + " |",
        "| " + " | ".join("---:" if n else "---" for n in numeric) + " |",
    ]
    lines += ["| " + " | ".join(escape(t) for t in row) + " |" for row in cells]
    return "\n".join(lines) + "\n"


def terminal_width(stream: Any = None) -> int:
    """The width to fit: the terminal's; when not a terminal, ``COLUMNS`` or 120."""
    stream = sys.stdout if stream is None else stream
    if _is_tty(stream):
        import shutil

        return shutil.get_terminal_size().columns
    try:
        return max(int(os.environ.get("COLUMNS", "")), 20)
    except ValueError:
        return 120


def _is_tty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except ValueError:  # a closed stream
        return False


def color_on(stream: Any) -> bool:
    """Whether to colour output to ``stream``: a terminal, and no ``NO_COLOR``."""
    return _is_tty(stream) and not os.environ.get("NO_COLOR")


def console(stderr: bool = False) -> Console:
    """A rich Console on stdout (or stderr), :func:`terminal_width` wide.

    Colours only on a terminal (and never with ``NO_COLOR``).
    """
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if _is_tty(stream) else terminal_width(stream)
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)


def _fit(
    fixed: list[Column],
    config: list[Column],
    summary: list[Column],
    widths: Mapping[Column, int],
    room: int,
) -> tuple[list[Column], int]:
    """The columns that fit in ``room`` characters, in table order; and how many were left.

    Run fields first, then up to half the rest for summary metrics, then config keys,
    then the remaining metrics.
    """

    def cost(c: Column) -> int:
        return widths[c] + len(_GAP)

    used = sum(cost(c) for c in fixed) - len(_GAP)
    chosen: set[Column] = set()
    half = used + (room - used) // 2

    def take(columns: list[Column], limit: int) -> None:
        nonlocal used
        for c in columns:
            if c not in chosen and used + cost(c) <= limit:
                chosen.add(c)
                used += cost(c)

    take(summary, half)
    take(config, room)
    take(summary, room)
    kept = fixed + [c for c in config + summary if c in chosen]
    return kept, len(config) + len(summary) - len(chosen)


_GAP = "  "


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(
    runs: Sequence[RunRecord],
    fixed: list[Column],
    config: list[Column],
    summary: list[Column],
    *,
    width: int | None = None,
    color: bool = False,
) -> tuple[str, int]:
    """The runs table as text, and how many columns were left out to fit ``width``.

    One line per run; a cell longer than :data:`MAX_CELL` is cut with ``…``; numbers are
    right-aligned. Plain text (no rich) keeps the first page fast; ``color`` makes the
    header bold.
    """
    every = fixed + config + summary
    cells = {c: [text_of(c.value(r)) for r in runs] for c in every}
    widths = {
        c: min(MAX_CELL, max([len(c.title), *(len(t) for t in texts)]))
        for c, texts in cells.items()
    }
    columns, hidden = every, 0
    if width is not None:
        columns, hidden = _fit(fixed, config, summary, widths, width)
    right = {c: any(_is_number(c.value(r)) for r in runs) for c in columns}

    def line(texts: Iterable[str]) -> str:
        parts = []
        for c, text in zip(columns, texts, strict=True):
            text = _cut(text, widths[c])
            parts.append(text.rjust(widths[c]) if right[c] else text.ljust(widths[c]))
        return _GAP.join(parts).rstrip()

    header = line(c.title for c in columns)
    if color:
        header = f"\x1b[1m{header}\x1b[0m"
    rule = "─" * (sum(widths[c] for c in columns) + len(_GAP) * (len(columns) - 1))
    rows = [line(cells[c][i] for c in columns) for i in range(len(runs))]
    return "\n".join([header, rule, *rows]) + "\n", hidden


# -- show -------------------------------------------------------------------------------
def _origin_of(path: tuple[str, ...], origins: Mapping[str, str]) -> str | None:
    """The origin of a leaf: its own, else that of its nearest listed ancestor."""
    for end in range(len(path), 0, -1):
        origin = origins.get(format_path(path[:end]))
        if origin is not None:
            return origin
    return None


def _yaml_lines(
    tree: Mapping[str, Any],
    note: Callable[[tuple[str, ...], bool], str | None],
    indent: int = 2,
    prefix: tuple[str, ...] = (),
) -> list[tuple[str, str | None]]:
    lines: list[tuple[str, str | None]] = []
    pad = " " * indent
    for key, value in tree.items():
        path = (*prefix, key)
        if isinstance(value, Mapping) and value:
            lines.append((f"{pad}{yaml_scalar(key)}:", note(path, False)))
            lines += _yaml_lines(value, note, indent + 2, path)
        else:
            lines.append((f"{pad}{yaml_scalar(key)}: {yaml_scalar(value)}", note(path, True)))
    return lines


def _with_comments(lines: list[tuple[str, str | None]]) -> list[str]:
    noted = [len(line) for line, comment in lines if comment]
    column = min(max(noted, default=0), 48) + 2
    out = []
    for line, comment in lines:
        if comment:
            comment = " ".join(comment.split())  # one line, whatever the note held
            out.append(f"{line.ljust(column)}# {comment}")
        else:
            out.append(line)
    return out


def _metadata(run: RunRecord) -> dict[str, Any]:
    fields = {name: getattr(run, name) for name in (*_RUN_FIELDS, *_PROCESS_FIELDS)}
    fields["tags"] = list(run.tags)
    fields["command"] = run.command or None
    fields["history_rows"] = len(run.history) if run.history is not None else None
    keep = {"id", "name", "project", "state", "tags"}
    return {k: v for k, v in fields.items() if v is not None or k in keep}


_MEDIA_WORDS = {
    "image-file": "image",
    "table-file": "table",
    "histogram": "histogram",
    "audio-file": "audio",
    "video-file": "video",
    "html-file": "html",
    "object3D-file": "3D object",
    "chart": "chart",
}


def media_counts(run: RunRecord) -> dict[str, dict[str, int]]:
    """``{key: {reference type: how many}}`` of the media logged in the run's history."""
    counts: dict[str, dict[str, int]] = {}

    def walk(value: Any, key: str) -> None:
        if isinstance(value, dict) and "_type" in value:
            kinds = counts.setdefault(key, {})
            kinds[value["_type"]] = kinds.get(value["_type"], 0) + 1
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{key}.{k}")
        elif isinstance(value, list):
            for v in value:
                if isinstance(v, dict) and "_type" in v:
                    walk(v, key)

    for row in run.history or ():
        for k, v in row.items():
            if k != "_step":
                walk(v, k)
    return counts


def _media_lines(run: RunRecord) -> list[str]:
    lines = []
    for key, kinds in media_counts(run).items():
        parts = []
        for kind, n in kinds.items():
            word = _MEDIA_WORDS.get(kind, kind)
            parts.append(f"{n} {word}{'s' if n != 1 and not word.endswith('s') else ''}")
        lines.append(f"  {yaml_key(key)}: {', '.join(parts)}")
    return lines


def yaml_key(key: str) -> str:
    """A key as YAML reads it back: plain, or quoted when it holds what YAML would parse."""
    plain = (
        key
        and key[0] not in "-?:,[]{}#&*!|>'\"%@`"
        and not any(c in key for c in (": ", " #", "\n", "\t"))
    )
    return key if plain else json.dumps(key)


def show_yaml(run: RunRecord, *, origin: bool = False) -> str:
    """The run as commented YAML: config (notes from defaults files as comments; with
    ``origin``, where each value came from), summary and metadata."""

    def config_note(path: tuple[str, ...], leaf: bool) -> str | None:
        desc = run.descs.get(format_path(path))
        source = _origin_of(path, run.origins) if origin and leaf else None
        if source and desc:
            return f"{source} — {desc}"
        return source or desc

    def no_note(path: tuple[str, ...], leaf: bool) -> None:
        return None

    lines = [f"# run {run.name} (id {run.id}) in project {run.project}: {run.state}"]
    for title, tree, note in (
        ("config", run.config, config_note),
        ("summary", run.summary, no_note),
        ("metadata", _metadata(run), no_note),
    ):
        if not tree:
            lines.append(f"{title}: {{}}")
            continue
        lines.append(f"{title}:")
        lines += _with_comments(_yaml_lines(tree, note))
    media = _media_lines(run)
    if media:
        lines += ["media:", *media]
    return "\n".join(lines) + "\n"


def show_json(run: RunRecord, *, origin: bool = False) -> str:
    """The run as one JSON object: its fields, config, descs (and origins), summary."""
    data: dict[str, Any] = {**_metadata(run), "config": run.config, "descs": run.descs}
    if origin:
        data["origins"] = run.origins
    data["summary"] = run.summary
    data["media"] = media_counts(run)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# -- diff -------------------------------------------------------------------------------
def run_labels(runs: Sequence[RunRecord]) -> list[str]:
    """Column titles for runs: their names, with the id where two share a name."""
    names = [r.name for r in runs]
    return [f"{r.name} ({r.id})" if names.count(r.name) > 1 else r.name for r in runs]


def diff_table(out: Console, runs: Sequence[RunRecord], changed: Mapping[str, list[Any]]) -> None:
    """Print ``diff`` output: a row per key, a column per run; ``—`` where a run lacks
    the key. When equal keys are shown too, differing keys are marked ``*``."""
    from rich import box
    from rich.table import Table

    differing = set(diff(runs)) if len(changed) else set()
    mark = len(differing) < len(changed)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("key", no_wrap=True)
    for label in run_labels(runs):
        table.add_column(label, overflow="fold")
    for key, values in changed.items():
        title = (f"* {key}" if key in differing else f"  {key}") if mark else key
        cells = ["—" if v is MISSING else text_of(v, exact=True) for v in values]
        table.add_row(title, *cells, style=None if key in differing else "dim")
    out.print(table)


def diff_json(runs: Sequence[RunRecord], changed: Mapping[str, list[Any]]) -> str:
    """``{key: {run label: value}}``; a run that lacks the key is left out of its object."""
    labels = run_labels(runs)
    data = {
        key: {label: v for label, v in zip(labels, values, strict=True) if v is not MISSING}
        for key, values in changed.items()
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
