"""Charts: a table and the name of the chart (a Vega spec) that draws it.

``plot_table(spec, table, fields)`` and ``visualize(id, table)`` are wandb's two kinds of
chart; every ``wandb.plot`` function returns the first. Logged under a key, a chart
stores its table as a table file and becomes

    {"_type": "chart", "spec": "wandb/line/v0", "panel": "Vega2",
     "fields": {"x": "step", "y": "loss"}, "string_fields": {"title": "Loss"},
     "title": "Loss", "table": {"_type": "table-file", ...}}

(``panel`` is "Vega2" for a custom chart, "viz" for ``visualize``), so a page can draw it
again from the spec's name, the field mapping and the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from runconfig.errors import UsageTypeError
from runconfig.media._base import FileSink, Media
from runconfig.media._table import Table
from runconfig.values import sanitize

if TYPE_CHECKING:
    from runconfig._run import Run

__all__ = [
    "CustomChart",
    "CustomChartSpec",
    "Visualize",
    "VisualizeSpec",
    "plot_table",
    "visualize",
]


@dataclass
class CustomChartSpec:
    """What draws a custom chart: the Vega spec's name, which table column feeds each of
    its fields, and its string settings (``title``...)."""

    spec_name: str
    fields: dict[str, Any]
    string_fields: dict[str, Any] = field(default_factory=dict)
    key: str = ""
    panel_type: str = "Vega2"
    split_table: bool = False

    @property
    def table_key(self) -> str:
        """Where wandb puts the chart's table: ``<key>_table``."""
        prefix = "Custom Chart Tables/" if self.split_table else ""
        return f"{prefix}{self.key}_table"


class CustomChart(Media):
    """A table drawn by a Vega spec: what ``wandb.plot.*`` and :func:`plot_table` return."""

    _panel: ClassVar[str] = "Vega2"

    def __init__(self, table: Table, spec: CustomChartSpec) -> None:
        self.table = table
        self.spec = spec

    @property
    def title(self) -> Any:
        """The chart's title (its ``title`` string field), or None."""
        return self.spec.string_fields.get("title")

    def set_key(self, key: str) -> None:
        """Set the key the chart is logged under (done by logging it)."""
        self.spec.key = key

    def to_ref(self, run: Run, key: str) -> dict[str, Any]:
        """Store the chart's table in ``run``'s folder; the chart's reference."""
        return self._write(run, key)

    def _write(self, sink: FileSink, key: str) -> dict[str, Any]:
        self.set_key(key)
        return {
            "_type": "chart",
            "spec": self.spec.spec_name,
            "panel": self._panel,
            "fields": sanitize(self.spec.fields, f"{key}.fields"),
            "string_fields": sanitize(self.spec.string_fields, f"{key}.string_fields"),
            "title": sanitize(self.title, f"{key}.title"),
            "table": self.table._write(sink, self.spec.table_key),
        }

    def __repr__(self) -> str:
        return f"<CustomChart {self.spec.spec_name} {self.table!r}>"


@dataclass
class VisualizeSpec:
    """What draws a :func:`visualize` chart: a preset's id (``"wandb/elbow/v1"``)."""

    name: str
    key: str = ""


class Visualize(Media):
    """A table drawn by one of wandb's preset charts: what :func:`visualize` returns."""

    def __init__(self, table: Table, spec: VisualizeSpec) -> None:
        self.table = table
        self.spec = spec

    @property
    def title(self) -> Any:
        """None: a preset chart has no title of its own."""
        return None

    def set_key(self, key: str) -> None:
        """Set the key the chart is logged under (done by logging it)."""
        self.spec.key = key

    def to_ref(self, run: Run, key: str) -> dict[str, Any]:
        """Store the chart's table in ``run``'s folder; the chart's reference."""
        return self._write(run, key)

    def _write(self, sink: FileSink, key: str) -> dict[str, Any]:
        self.set_key(key)
        return {
            "_type": "chart",
            "spec": self.spec.name,
            "panel": "viz",
            "fields": {},
            "string_fields": {},
            "title": None,
            "table": self.table._write(sink, key),
        }

    def __repr__(self) -> str:
        return f"<Visualize {self.spec.name} {self.table!r}>"


def plot_table(
    vega_spec_name: str,
    data_table: Table,
    fields: Mapping[str, Any],
    string_fields: Mapping[str, Any] | None = None,
    split_table: bool = False,
) -> CustomChart:
    """A chart of ``data_table`` drawn by the Vega spec ``vega_spec_name``.

    ``fields`` maps the spec's fields to the table's columns; ``string_fields`` gives its
    string settings::

        table = runconfig.Table(data=[[1, 1], [2, 4]], columns=["x", "y"])
        run.log({"curve": runconfig.plot_table("wandb/line/v0", table, {"x": "x", "y": "y"},
                                               {"title": "y = x^2"})})
    """
    if not isinstance(data_table, Table):
        raise UsageTypeError(
            f"Expected `data_table` to be `wandb.Table` type, instead got "
            f"{type(data_table).__name__}"
        )
    if not isinstance(fields, Mapping):
        raise UsageTypeError(f"plot_table(fields=...) takes a dict, got {type(fields).__name__}")
    if string_fields is not None and not isinstance(string_fields, Mapping):
        raise UsageTypeError(
            f"plot_table(string_fields=...) takes a dict, got {type(string_fields).__name__}"
        )
    return CustomChart(
        table=data_table,
        spec=CustomChartSpec(
            spec_name=str(vega_spec_name),
            fields=dict(fields),
            string_fields=dict(string_fields or {}),
            split_table=bool(split_table),
        ),
    )


def visualize(id: str, value: Table) -> Visualize:
    """A chart of the table ``value`` drawn by wandb's preset ``id`` (``"wandb/elbow/v1"``)."""
    if not isinstance(value, Table):
        raise UsageTypeError(
            f"Expected `value` to be `wandb.Table` type, instead got {type(value).__name__}"
        )
    return Visualize(table=value, spec=VisualizeSpec(name=str(id)))
