"""Tables, charts and images for the integrations: the one place that builds them.

A plot is logged as one history row: ``{key: chart, f"{key}_image": Image(figure)}``,
the chart made from a :class:`runconfig.media.Table` with :mod:`runconfig.plot`, the image
drawn with matplotlib when it is installed (on a ``Figure`` of its own, so pyplot's
state and backend are left alone). The LightGBM and XGBoost integrations use it too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from runconfig._run import Run
    from runconfig.media import CustomChart, Image, Table, Visualize

__all__ = [
    "CHART_LIMIT",
    "IMAGE_SUFFIX",
    "TABLE_MAX_ROWS",
    "active_run",
    "bar_chart",
    "custom_chart",
    "keep_model_file",
    "log_plot",
    "plain",
    "visualize",
]

CHART_LIMIT = 1000
"""The most rows a chart's table keeps: the first ones (wandb's ``chart_limit``)."""

TABLE_MAX_ROWS = 10000
"""wandb's ``Table.MAX_ROWS``: curves with more points are resampled to this many."""

IMAGE_SUFFIX = "_image"
"""The key of a plot's image: the chart's key with this suffix."""

Draw = Callable[["Figure"], None]


def active_run(call: str) -> Run:
    """The active run, or :class:`~runconfig.errors.UsageError` naming ``call``."""
    from runconfig._run import _state
    from runconfig.errors import UsageError

    run = _state.run
    if run is None:
        raise UsageError(f"{call} logs into the active run: call runconfig.init() first")
    return run


def plain(value: Any) -> Any:
    """``value`` with numpy scalars turned into Python ones (tables hold JSON values)."""
    item = getattr(value, "item", None)
    if item is not None and type(value).__module__ == "numpy":
        return item()
    return value


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    from runconfig.media import Table

    return Table(columns=list(columns), data=[[plain(v) for v in row] for row in rows])


def visualize(spec_id: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Visualize:
    """A chart of wandb's preset ``spec_id`` over a table of ``rows`` (``wandb.visualize``)."""
    from runconfig import plot

    return plot.visualize(spec_id, _table(columns, rows))


def custom_chart(
    spec_id: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    fields: dict[str, str],
    string_fields: dict[str, str] | None = None,
) -> CustomChart:
    """A custom chart of ``spec_id`` over a table of ``rows`` (``wandb.plot_table``)."""
    from runconfig import plot

    return plot.plot_table(spec_id, _table(columns, rows), fields, string_fields=string_fields)


def bar_chart(rows: Sequence[Sequence[Any]], columns: Sequence[str], title: str) -> CustomChart:
    """``wandb.plot.bar`` over a two-column table: labels, then values."""
    from runconfig import plot

    return plot.bar(_table(columns, rows), columns[0], columns[1], title=title)


def _image(draw: Draw, size: tuple[float, float]) -> Image | None:
    """The image ``draw`` makes on a fresh figure, or None without matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    figure = Figure(figsize=size, layout="constrained")
    draw(figure)
    from runconfig.media import Image

    return Image(figure)


def log_plot(
    run: Run,
    key: str,
    chart: Visualize | CustomChart,
    draw: Draw | None = None,
    *,
    size: tuple[float, float] = (6.0, 4.5),
    commit: bool | None = None,
) -> None:
    """Log ``chart`` under ``key`` in ``run``, with the image ``draw`` makes under
    ``key + "_image"`` when matplotlib is installed: one ``log()`` call, one step."""
    row: dict[str, Any] = {key: chart}
    if draw is not None:
        image = _image(draw, size)
        if image is not None:
            row[key + IMAGE_SUFFIX] = image
    run.log(row, commit=commit)


def keep_model_file(run: Run, path: Path, artifact: str, aliases: list[str] | None) -> None:
    """Log the model file ``path`` (written in ``run.dir``, which the run records among
    its files at ``finish()``) as the artifact ``artifact`` of type ``model``, with
    ``aliases``. Without artifacts in this runconfig, the file stays where it is and one
    line says so; a disabled run logs no artifact."""
    import runconfig

    artifact_type = getattr(runconfig, "Artifact", None)
    if artifact_type is None:
        runconfig.termwarn(
            "runconfig has no artifacts here: models are kept in the run's folder, "
            "not logged as artifacts",
            repeat=False,
        )
        return
    if run.disabled:
        return
    art = artifact_type(name=artifact, type="model")
    art.add_file(str(path))
    run.log_artifact(art, aliases=aliases)
