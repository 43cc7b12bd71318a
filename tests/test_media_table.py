"""Table and Histogram: built as wandb's, logged to a real run, read back with pandas."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import runconfig
from runconfig._run import Run
from runconfig.api import RunRecord
from runconfig.errors import UsageTypeError, UsageValueError
from runconfig.media import Histogram, Image, Table, load, load_file, read_table


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.delenv("RUNCONFIG_FILES", raising=False)
    monkeypatch.delenv("WANDB_DIR", raising=False)
    r = runconfig.init(project="p", store=str(tmp_path / "s.db"))
    yield r
    r.finish()


def read_back(run: Run) -> RunRecord:
    run.finish()
    with runconfig.Api(store=run._store.location) as api:  # type: ignore[union-attr]
        return api.run(run.id)


ROWS = [
    [1, 0.5, "1", True, None],
    [2, math.nan, "b", False, [1, 2]],
    [3, math.inf, "c", True, {"k": 1}],
]
COLUMNS = ["id", "score", "label", "ok", "extra"]


def test_a_logged_table_is_a_file_pandas_reads_back_in_one_call(run: Run) -> None:
    table = Table(columns=COLUMNS, data=ROWS, allow_mixed_types=True)
    run.log({"predictions": table})
    ref = (read_back(run).history or [])[0]["predictions"]
    assert ref["_type"] == "table-file"
    assert (ref["ncols"], ref["nrows"], ref["columns"]) == (5, 3, COLUMNS)
    path = os.path.join(run.dir, ref["path"])
    assert ref["path"].endswith(".table.json") and os.path.getsize(path) == ref["size"]

    frame = pd.read_json(path, orient="split", dtype=False, precise_float=True)
    assert list(frame.columns) == COLUMNS
    assert frame["id"].tolist() == [1, 2, 3]
    assert frame["label"].tolist() == ["1", "b", "c"]  # "1" stays a str
    assert frame["ok"].tolist() == [True, False, True]
    assert frame["score"].iloc[0] == 0.5 and math.isnan(frame["score"].iloc[1])
    assert frame["score"].iloc[2] == math.inf
    assert pd.isna(frame["extra"].iloc[0])  # pandas reads a null as NaN
    assert frame["extra"].tolist()[1:] == [[1, 2], {"k": 1}]

    again = load(ref, run.dir)
    assert isinstance(again, Table) and again.columns == COLUMNS
    assert again.path == path
    assert again.data[0] == ROWS[0] and again.data[2] == ROWS[2]
    pd.testing.assert_frame_equal(again.to_pandas(), table.to_pandas())


def test_a_table_from_a_dataframe_or_an_array_keeps_its_values(run: Run) -> None:
    frame = pd.DataFrame({"x": [1, 2], "y": [0.5, 1.5], "name": ["a", "b"]})
    for table in (Table(dataframe=frame), Table(data=frame)):
        assert table.columns == ["x", "y", "name"]
        assert table.data == [[1, 0.5, "a"], [2, 1.5, "b"]]
        assert all(type(v) in (int, float, str) for row in table.data for v in row)
    pd.testing.assert_frame_equal(Table(dataframe=frame).to_pandas(), frame)
    array = Table(columns=["a", "b"], data=np.arange(6).reshape(3, 2))
    assert array.get_column("b") == [1, 3, 5]
    ref = array.to_ref(run, "array")
    back = pd.read_json(
        os.path.join(run.dir, ref["path"]), orient="split", dtype=False, precise_float=True
    )
    assert back.values.tolist() == [[0, 1], [2, 3], [4, 5]]


def test_add_data_add_column_get_column_and_get_index(run: Run) -> None:
    table = Table(columns=["a"])
    table.add_data(1)
    table.add_data(2)
    table.add_column("b", ["x", "y"])
    table.add_computed_columns(lambda i, row: {"c": row["a"] * 10 + i})
    assert table.columns == ["a", "b", "c"]
    assert table.data == [[1, "x", 10], [2, "y", 21]]
    assert table.get_column("c") == [10, 21]
    assert table.get_column("a", convert_to="numpy").tolist() == [1, 2]
    assert table.get_index() == [0, 1]
    assert list(table.iterrows()) == [(0, [1, "x", 10]), (1, [2, "y", 21])]
    empty = Table(columns=[])
    empty.add_column("first", [1, 2, 3])
    assert empty.data == [[1], [2], [3]]
    assert Table().columns == ["Input", "Output", "Expected"]  # wandb's default
    assert Table(columns=["r"], rows=[[1]]).data == [[1]]  # wandb's old name
    assert Table.MAX_ROWS == 10000
    assert table == Table(columns=["a", "b", "c"], data=[[1, "x", 10], [2, "y", 21]])


def test_a_table_holding_images_stores_their_references_and_reads_them_back(run: Run) -> None:
    pytest.importorskip("PIL")
    table = Table(columns=["id", "image"])
    for i in range(3):
        table.add_data(i, Image(np.full((2, 3), i * 100, dtype=np.uint8), caption=str(i)))
    table.add_data(3, None)
    run.log({"samples": table})
    ref = (read_back(run).history or [])[0]["samples"]
    frame = pd.read_json(
        os.path.join(run.dir, ref["path"]), orient="split", dtype=False, precise_float=True
    )
    cells = frame["image"].tolist()
    assert [c["_type"] for c in cells[:3]] == ["image-file"] * 3 and pd.isna(cells[3])
    assert all(os.path.isfile(os.path.join(run.dir, c["path"])) for c in cells[:3])
    back = load(ref, run.dir)
    images = back.get_column("image")
    assert [img.caption for img in images[:3]] == ["0", "1", "2"]
    assert (images[2].width, images[2].height) == (3, 2)
    assert (np.asarray(images[2].image) == 200).all()


def test_a_table_written_for_an_artifact_reads_back_from_its_folder(tmp_path: Path) -> None:
    pytest.importorskip("PIL")
    table = Table(columns=["img", "n"], data=[[Image(np.zeros((2, 2))), 1]])
    path = table.to_file(str(tmp_path / "art"), "val_data")
    assert path.endswith("val_data.table.json")
    back = load_file(path)
    assert isinstance(back, Table) and back.get_column("n") == [1]
    assert os.path.isfile(back.get_column("img")[0].path)
    assert read_table(path).columns == ["img", "n"]
    hist = Histogram([1, 2, 3], num_bins=3)
    assert load_file(hist.to_file(str(tmp_path / "art"), "weights")) == hist


@pytest.mark.parametrize(
    ("build", "error", "words"),
    [
        (
            lambda: Table(columns=["a", "b"], data=[[1, 2], [3]]),
            UsageValueError,
            "This table expects 2 columns: ['a', 'b'], found 1 (row 1: [3])",
        ),
        (
            lambda: Table(columns=["a"], data=[[1], ["x"]]),
            UsageTypeError,
            "column 'a' holds number values; row 1 holds str 'x'",
        ),
        (
            lambda: Table(columns=["a"], data=[[None]], optional=False),
            UsageValueError,
            "column 'a' is not optional and row 0 holds None",
        ),
        (lambda: Table(columns=["a", "a"]), UsageValueError, "column 'a' is named twice"),
        (
            lambda: Table(columns=[1.5]),  # type: ignore[list-item]
            UsageTypeError,
            "a column name is a str or an int",
        ),
        (lambda: Table(columns=["a"], data=[1, 2]), UsageTypeError, "row 0 of data is a int"),
        (lambda: Table(columns=["a"], data="rows"), UsageTypeError, "got str"),
        (lambda: Table(columns=["a"], dtype=str, data=[[1]]), UsageTypeError, "holds str values"),
        (lambda: Table(dtype=object), UsageTypeError, "Table(dtype=<class 'object'>)"),
        (lambda: Table(log_mode="SOMETIMES"), UsageValueError, "log_mode='SOMETIMES'"),
        (
            lambda: Table(columns=["a"], data=[[1]]).add_column("b", [1, 2]),
            UsageValueError,
            "2 values for a table of 1 rows",
        ),
        (
            lambda: Table(columns=["a"]).add_column("a", []),
            UsageValueError,
            "has a column 'a' already",
        ),
        (
            lambda: Table(columns=["label"]).get_column("lable"),
            UsageValueError,
            "no column 'lable': did you mean 'label'?",
        ),
    ],
    ids=[
        "row-length",
        "mixed-types",
        "not-optional",
        "duplicate-column",
        "column-name-type",
        "rows-not-lists",
        "data-a-string",
        "dtype-mismatch",
        "unknown-dtype",
        "log-mode",
        "add-column-length",
        "add-column-exists",
        "unknown-column",
    ],
)
def test_a_wrong_table_is_refused_naming_what_was_wrong(
    build: Any, error: type[Exception], words: str
) -> None:
    with pytest.raises(error) as caught:
        build()
    assert words in str(caught.value)


def test_a_refused_row_or_column_leaves_the_table_as_it_was() -> None:
    table = Table(columns=["a"], data=[[1], [2]])
    with pytest.raises(UsageTypeError):
        table.add_data("x")
    with pytest.raises(UsageTypeError, match="column 'b' holds str values; row 1 holds number"):
        table.add_column("b", ["s", 2])
    with pytest.raises(UsageValueError, match="column 'c' is not optional"):
        table.add_column("c", [None, 3])
    assert table.columns == ["a"] and table.data == [[1], [2]]
    table.add_column("c", [None, 3], optional=True)
    assert table.data == [[1, None], [2, 3]]
    mixed = Table(columns=["a"], data=[[1], ["x"]], allow_mixed_types=True)
    assert mixed.get_column("a") == [1, "x"]


def test_a_histogram_is_computed_as_numpy_does_and_stored_inline(run: Run) -> None:
    values = np.random.default_rng(0).normal(size=1000)
    hist = Histogram(values)
    counts, edges = np.histogram(values, bins=64)
    assert hist.histogram == counts.tolist() and hist.bins == edges.tolist()
    assert len(Histogram([1, 2, 3], num_bins=10).histogram) == 10
    given = Histogram(np_histogram=np.histogram([1, 2, 2, 3], bins=3))
    assert given.histogram == [1, 2, 1]
    run.log({"weights": hist, "given": given})
    record = read_back(run)
    row = (record.history or [])[0]
    assert row["given"] == {"_type": "histogram", "values": [1, 2, 1], "bins": given.bins}
    assert row["weights"]["values"] == counts.tolist()
    assert record.summary["given"]["values"] == [1, 2, 1]
    assert not os.path.isdir(os.path.join(run.dir, "media"))  # no file
    assert load(row["given"], run.dir) == given


def test_a_histogram_of_a_tensor_and_its_refusals() -> None:
    torch = pytest.importorskip("torch")
    tensor = torch.arange(10.0, requires_grad=True)
    assert sum(Histogram(tensor, num_bins=5).histogram) == 10
    with pytest.raises(UsageValueError, match="the maximum length of a histogram is 512"):
        Histogram([1, 2], num_bins=513)
    with pytest.raises(UsageValueError, match="the maximum length of a histogram is 512"):
        Histogram(np_histogram=(list(range(600)), list(range(601))))
    with pytest.raises(UsageValueError, match=r"len\(bins\) must be len\(histogram\) \+ 1"):
        Histogram(np_histogram=([1, 2], [0, 1]))
    with pytest.raises(UsageValueError, match="1 of the 3 values are NaN or infinite"):
        Histogram([1.0, math.nan, 2.0])
    with pytest.raises(UsageTypeError, match="sequence of numbers"):
        Histogram(["a", "b"])
    with pytest.raises(UsageValueError, match="needs a sequence"):
        Histogram()
