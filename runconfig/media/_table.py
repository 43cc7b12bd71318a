"""``Table``: wandb's table, stored as a JSON file that pandas reads back in one call.

The file is ``{"columns": [...], "data": [[...], ...]}``: wandb's own ``.table.json``
layout, which is also pandas' "split" orientation, so either of

    pandas.read_json(path, orient="split", dtype=False, precise_float=True)
    runconfig.media.read_table(path).to_pandas()    # media cells as objects

(``dtype=False`` keeps the string ``"1"`` a string, ``precise_float=True`` reads 0.7 as
0.7; pandas reads a null in a column of objects as NaN.)

gives the table back. Cells holding media (an ``Image`` per row) hold their references.
"""

from __future__ import annotations

import json
import numbers
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, ClassVar

from runconfig.errors import UsageTypeError, UsageValueError, did_you_mean
from runconfig.media._base import FileSink, Media
from runconfig.media._files import FolderSink, store_bytes, write_named
from runconfig.values import sanitize

if TYPE_CHECKING:
    from runconfig._run import Run

__all__ = ["Table", "read_table"]

_LOG_MODES = ("IMMUTABLE", "MUTABLE", "INCREMENTAL")
_DEFAULT_COLUMNS = ["Input", "Output", "Expected"]


class Table(Media):
    """Rows of values under named columns: ``Table(columns=["id", "image"], data=rows)``.

    As wandb's: ``columns`` (default ``["Input", "Output", "Expected"]``); ``data``, a
    list of rows, a 2-D numpy array or a pandas DataFrame; ``rows`` (wandb's old name for
    ``data``); ``dataframe`` (its columns replace ``columns``). A column keeps one kind
    of value (numbers, strings, bools, lists, dicts, one media type) unless
    ``allow_mixed_types``; None is allowed where ``optional`` (a bool, or one per
    column). ``dtype`` (a type, or one per column: ``int``, ``str``, ``Image``...) fixes a
    column's kind up front.

    Logged, a Table is written whole (every row; wandb keeps the first ``MAX_ROWS`` of a
    table logged to a run) and becomes ``{"_type": "table-file", "path": ..., "sha256":
    ..., "size": ..., "ncols": ..., "nrows": ..., "columns": [...]}``. ``log_mode`` is
    accepted for wandb's signature; each log writes the table as it is then.
    """

    MAX_ROWS: ClassVar[int] = 10000
    MAX_ARTIFACT_ROWS: ClassVar[int] = 200000
    _log_type: ClassVar[str] = "table-file"

    columns: list[str | int]
    data: list[list[Any]]
    sha256: str | None
    size: int | None

    def __init__(
        self,
        columns: Sequence[str | int] | None = None,
        data: Any = None,
        rows: Any = None,
        dataframe: Any = None,
        dtype: Any = None,
        optional: bool | Sequence[bool] = True,
        allow_mixed_types: bool = False,
        log_mode: str | None = "IMMUTABLE",
    ) -> None:
        if log_mode is not None and log_mode not in _LOG_MODES:
            raise UsageValueError(
                f"Table(log_mode={log_mode!r}): expected one of {', '.join(_LOG_MODES)}"
            )
        self.log_mode = log_mode
        self.sha256 = None
        self.size = None
        self._path: str | None = None
        self._allow_mixed = bool(allow_mixed_types)
        if dataframe is None and _is_dataframe(data):
            dataframe, data = data, None
        if dataframe is not None:
            if not _is_dataframe(dataframe):
                raise UsageTypeError(
                    f"Table(dataframe=...) takes a pandas DataFrame, got {type(dataframe).__name__}"
                )
            columns = list(dataframe.columns)
            by_column = [dataframe[c].tolist() for c in dataframe.columns]
            data = [list(row) for row in zip(*by_column, strict=True)] if by_column else []
        elif data is None:
            data = rows if rows is not None else []
        self.columns = _check_columns(_DEFAULT_COLUMNS if columns is None else columns)
        self.data = []
        self._optional = _per_column(optional, self.columns, "optional")
        dtypes = _per_column(dtype, self.columns, "dtype")
        self._kinds: list[str | None] = [_kind_of_dtype(d) for d in dtypes]
        if isinstance(data, (str, bytes, Mapping)) or not hasattr(data, "__iter__"):
            raise UsageTypeError(
                "Table(data=...) takes a list of rows, a 2-D numpy array or a pandas "
                f"DataFrame, got {type(data).__name__}"
            )
        for row in data:
            if isinstance(row, (str, bytes)) or not hasattr(row, "__len__"):
                raise UsageTypeError(
                    f"Table: row {len(self.data)} of data is a {type(row).__name__}, "
                    "not a list of values"
                )
            self.add_data(*row)

    # -- building ----------------------------------------------------------------------------
    def add_data(self, *data: Any) -> None:
        """Add one row: a value per column, in the order of :attr:`columns`."""
        if len(data) != len(self.columns):
            raise UsageValueError(
                f"This table expects {len(self.columns)} columns: {self.columns}, found "
                f"{len(data)} (row {len(self.data)}: {_show(list(data))})"
            )
        kinds = list(self._kinds)
        for i, value in enumerate(data):
            kinds[i] = self._check(i, value, kinds[i], len(self.data))
        self.data.append(list(data))
        self._kinds = kinds

    def add_row(self, *row: Any) -> None:
        """wandb's old name of :meth:`add_data`."""
        self.add_data(*row)

    def add_column(self, name: str, data: Any, optional: bool = False) -> None:
        """Add a column ``name`` holding ``data`` (a list or array, a value per row)."""
        if not isinstance(name, str):
            raise UsageTypeError(f"Table.add_column: a column name is a str, got {name!r}")
        if name in self.columns:
            raise UsageValueError(f"Table.add_column: the table has a column {name!r} already")
        if isinstance(data, (str, bytes, Mapping)) or not hasattr(data, "__iter__"):
            raise UsageTypeError(
                f"Table.add_column({name!r}): data is a list or array of values, got "
                f"{type(data).__name__}"
            )
        values = list(data)
        if self.columns and len(values) != len(self.data):
            raise UsageValueError(
                f"Table.add_column({name!r}): {len(values)} values for a table of "
                f"{len(self.data)} rows"
            )
        kind: str | None = None
        self._optional.append(bool(optional))
        try:
            for row, value in enumerate(values):
                kind = self._check(len(self.columns), value, kind, row, name)
        except Exception:
            self._optional.pop()
            raise
        if not self.columns:
            self.data = [[] for _ in values]
        for row_values, value in zip(self.data, values, strict=True):
            row_values.append(value)
        self.columns.append(name)
        self._kinds.append(kind)

    def add_computed_columns(self, fn: Callable[[int, dict[Any, Any]], dict[str, Any]]) -> None:
        """Add the columns ``fn(index, row_as_dict)`` returns (a dict of new values)."""
        new: dict[str, list[Any]] = {}
        for index, row in self.iterrows():
            for name, value in fn(index, dict(zip(self.columns, row, strict=True))).items():
                new.setdefault(name, []).append(value)
        for name, values in new.items():
            self.add_column(name, values)

    def _check(
        self, col: int, value: Any, kind: str | None, row: int, name: str | int | None = None
    ) -> str | None:
        """The column's kind once ``value`` is in it; an error if it does not fit."""
        column = self.columns[col] if name is None else name
        new = _kind_of(value)
        if new is None:
            if not self._optional[col]:
                raise UsageValueError(
                    f"Table column {column!r} is not optional and row {row} holds None"
                )
            return kind
        if kind is None or kind == new or self._allow_mixed:
            return kind if kind is not None else new
        raise UsageTypeError(
            f"Table column {column!r} holds {kind} values; row {row} holds {new} "
            f"{_show(value)} (pass allow_mixed_types=True to mix them)"
        )

    # -- reading -----------------------------------------------------------------------------
    def get_column(self, name: str | int, convert_to: str | None = None) -> Any:
        """The values of column ``name``, a list, or a numpy array with
        ``convert_to="numpy"``."""
        if name not in self.columns:
            hint = did_you_mean(str(name), [str(c) for c in self.columns])
            raise UsageValueError(f"the table has no column {name!r}{hint}")
        if convert_to not in (None, "numpy"):
            raise UsageValueError(
                f"Table.get_column(convert_to={convert_to!r}): only 'numpy' is supported"
            )
        col = self.columns.index(name)
        values = [row[col] for row in self.data]
        if convert_to == "numpy":
            import numpy as np

            return np.array(values)
        return values

    def get_index(self) -> list[int]:
        """The rows' indexes, ``[0, 1, ...]`` (wandb's are ints that also link tables)."""
        return list(range(len(self.data)))

    def iterrows(self) -> Iterator[tuple[int, list[Any]]]:
        """``(index, row)`` for each row."""
        yield from enumerate(self.data)

    def to_pandas(self) -> Any:
        """The table as a pandas DataFrame (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "Table.to_pandas() needs pandas: pip install 'runconfig[pandas]'"
            ) from None
        return pd.DataFrame.from_records(
            [list(row) for row in self.data], columns=list(self.columns)
        )

    def get_dataframe(self) -> Any:
        """wandb's name of :meth:`to_pandas`."""
        return self.to_pandas()

    @property
    def path(self) -> str | None:
        """The table's file, once logged or read back; else None."""
        return self._path

    def open(self) -> IO[bytes]:
        """The table's file, open for reading in binary (once logged or read back)."""
        if self._path is None:
            raise UsageValueError("this Table was not logged yet: it has no file")
        return open(self._path, "rb")

    # -- logging -----------------------------------------------------------------------------
    def to_ref(self, run: Run, key: str) -> dict[str, Any]:
        """Write the table's file (once per content) in ``run``'s folder; its reference."""
        return self._write(run, key)

    def _write(self, sink: FileSink, key: str) -> dict[str, Any]:
        body = self._document(sink, key)
        stored = store_bytes(sink, body, ".table.json", f"the table logged as {key!r}")
        self._path = os.path.join(sink.dir, *stored.path.split("/"))
        self.sha256, self.size = stored.sha256, stored.size
        return {
            "_type": self._log_type,
            "path": stored.path,
            "sha256": stored.sha256,
            "size": stored.size,
            "ncols": len(self.columns),
            "nrows": len(self.data),
            "columns": list(self.columns),
        }

    def to_file(self, folder: str, name: str) -> str:
        """Write the table as ``<folder>/<name>.table.json`` (how an artifact holds it);
        its path. Media cells are written under ``media/`` beside the file and referenced
        relative to its folder, where :func:`read_table` looks for them."""
        ext = ".table.json"
        path = os.path.join(folder, name if name.endswith(ext) else name + ext)
        body = self._document(FolderSink(os.path.dirname(path) or "."), name)
        write_named(path, body, None, f"the table {name!r}")
        self._path = os.path.abspath(path)
        return path

    def _document(self, sink: FileSink, key: str) -> bytes:
        """The table file's content (media cells written to ``sink``)."""
        doc = {
            "columns": list(self.columns),
            "data": [
                [
                    _cell(value, sink, key, f"{key}[{r}].{self.columns[c]}")
                    for c, value in enumerate(row)
                ]
                for r, row in enumerate(self.data)
            ],
        }
        body = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=True)
        return body.encode("utf-8")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Table):
            return NotImplemented
        return self.columns == other.columns and self.data == other.data

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by content

    def __repr__(self) -> str:
        return f"<Table {len(self.data)} rows x {len(self.columns)} columns {self.columns}>"


def read_table(path: str | os.PathLike[str], run_dir: str | None = None) -> Table:
    """The :class:`Table` stored in the file ``path`` (a ``.table.json`` file).

    Cells that hold media references become media objects, their paths taken relative to
    ``run_dir`` (by default the run folder the file is in: ``<run dir>/media/xx/...``)."""
    from runconfig.media._files import existing_file
    from runconfig.media._load import is_ref, load

    text = existing_file(path, "read_table")
    with open(text, encoding="utf-8") as f:
        try:
            doc = json.load(f)
        except ValueError as e:
            raise UsageValueError(f"{text!r} is not a table file: {e}") from None
    if not isinstance(doc, dict) or not {"columns", "data"} <= doc.keys():
        raise UsageValueError(f"{text!r} is not a table file: no 'columns' and 'data'")
    if run_dir is None:
        run_dir = _run_dir_of(os.path.abspath(text))
    rows = [[load(v, run_dir) if is_ref(v) else v for v in row] for row in doc["data"]]
    table = Table(columns=doc["columns"], data=rows, allow_mixed_types=True)
    table._path = os.path.abspath(text)
    return table


def _run_dir_of(path: str) -> str:
    # <run dir>/media/<xx>/<sha>.table.json
    folder = os.path.dirname(os.path.dirname(path))
    if os.path.basename(folder) == "media":
        return os.path.dirname(folder)
    return os.path.dirname(path)


def _cell(value: Any, sink: FileSink, key: str, where: str) -> Any:
    if isinstance(value, Media):
        return value._write(sink, key)
    if type(value) in (list, tuple) and any(isinstance(v, Media) for v in value):
        return [_cell(v, sink, key, f"{where}[{i}]") for i, v in enumerate(value)]
    return sanitize(value, where)


def _is_dataframe(value: Any) -> bool:
    return type(value).__name__ == "DataFrame" and hasattr(value, "columns")


def _check_columns(columns: Any) -> list[str | int]:
    if isinstance(columns, (str, bytes)) or not hasattr(columns, "__iter__"):
        raise UsageTypeError(f"Table(columns=...) takes a list of names, got {columns!r}")
    names: list[str | int] = []
    for name in columns:
        if hasattr(name, "item") and not isinstance(name, (str, int)):
            name = name.item()  # a numpy scalar (DataFrame columns)
        if type(name) not in (str, int):
            raise UsageTypeError(
                f"Table: a column name is a str or an int, got {type(name).__name__} {name!r}"
            )
        if name in names:
            raise UsageValueError(f"Table: the column {name!r} is named twice in {list(columns)}")
        names.append(name)
    return names


def _per_column(value: Any, columns: list[str | int], what: str) -> list[Any]:
    if isinstance(value, (list, tuple)):
        if len(value) != len(columns):
            raise UsageValueError(
                f"Table({what}=...): {len(value)} values for {len(columns)} columns {columns}"
            )
        return list(value)
    return [value] * len(columns)


def _kind_of(value: Any) -> str | None:
    """The kind a column holds: None for None, then bool, number, str, list, dict, or a
    media type's name."""
    if value is None:
        return None
    if isinstance(value, bool) or (
        type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_")
    ):
        return "bool"
    if isinstance(value, numbers.Number):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, Media):
        return type(value).__name__
    if isinstance(value, Mapping):
        return "dict"
    if isinstance(value, (list, tuple)) or hasattr(value, "__array__"):
        return "list"
    return type(value).__name__


_DTYPE_KINDS: dict[Any, str] = {
    bool: "bool",
    int: "number",
    float: "number",
    str: "str",
    dict: "dict",
    list: "list",
    tuple: "list",
}


def _kind_of_dtype(dtype: Any) -> str | None:
    if dtype is None:
        return None
    if dtype in _DTYPE_KINDS:
        return _DTYPE_KINDS[dtype]
    if isinstance(dtype, type) and issubclass(dtype, Media):
        return dtype.__name__
    if isinstance(dtype, Media):  # an example value, as wandb takes
        return type(dtype).__name__
    raise UsageTypeError(
        f"Table(dtype={dtype!r}): expected bool, int, float, str, dict, list or a media "
        "type such as Image"
    )


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
