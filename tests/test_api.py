"""The read API: Api.runs and Api.run, RunList, to_pandas, diff, export and imports.

Stores are filled with the store's bulk path (complete runs, chosen ids, names and times);
the tests that need a real run's origins or argv start one with ``runconfig.init``.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import fill, make_run

import runconfig
from runconfig.api import MISSING, Api, RunList, RunNotFoundError, RunRecord, diff, flatten
from runconfig.errors import ConfigValueError, QueryError, RunconfigError, StoreError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for var in ("RUNCONFIG_STORE", "RUNCONFIG_MODE", "RUNCONFIG_SWEEP_PARAMS", "WANDB_MODE"):
        monkeypatch.delenv(var, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield
    from runconfig._run import _state

    for run in list(_state.runs):
        run.finish()
    _state.config = runconfig.Config()


@pytest.fixture
def mnist(store_location: str) -> str:
    """Five runs of project mnist and one of cifar, on each engine."""
    return fill(
        store_location,
        [
            make_run(1, config={"lr": 0.1, "optimizer": "sgd", "train": {"epochs": 10}},
                     summary={"val_loss": 0.5, "acc": 0.7}),
            make_run(2, config={"lr": 0.01, "optimizer": "adam", "train": {"epochs": 20}},
                     summary={"val_loss": 0.3, "acc": 0.8}, tags=["baseline"]),
            make_run(3, config={"lr": 0.001, "optimizer": "adam", "train": {"epochs": 5}},
                     summary={"val_loss": 0.4, "acc": 0.9}),
            make_run(4, config={"lr": 0.005, "optimizer": "adam"}, summary={},
                     state="failed", exit_code=1, error_type="ValueError",
                     error_message="loss is NaN"),
            make_run(5, config={"lr": 0.02, "optimizer": "sgd", "train": {"epochs": 1}},
                     summary={"val_loss": 0.9}),
            make_run(6, project="cifar", config={"lr": 0.3}, summary={"acc": 0.99}),
        ],
    )  # fmt: skip


def names(runs: RunList) -> list[str]:
    return [r.name for r in runs]


# -- Api.runs -------------------------------------------------------------------------------
def test_runs_come_newest_first_by_default(mnist: str) -> None:
    with Api(mnist) as api:
        assert names(api.runs()) == ["run-6", "run-5", "run-4", "run-3", "run-2", "run-1"]


def test_runs_filter_by_project_where_and_wandb_filters(mnist: str) -> None:
    with Api(mnist) as api:
        assert names(api.runs(project="cifar")) == ["run-6"]
        assert names(api.runs(where='lr < 0.02 and optimizer == "adam"')) == [
            "run-4",
            "run-3",
            "run-2",
        ]
        assert names(api.runs(where="train.epochs >= 10")) == ["run-2", "run-1"]
        assert names(api.runs(where='"baseline" in run.tags')) == ["run-2"]
        both = api.runs(where="lr < 0.02", filters={"config.optimizer": "adam"}, project="p")
        assert names(both) == ["run-4", "run-3", "run-2"]


def test_runs_order_by_summary_with_missing_values_last(mnist: str) -> None:
    with Api(mnist) as api:
        ascending = api.runs(project="p", order="summary.val_loss")
        assert names(ascending) == ["run-2", "run-3", "run-1", "run-5", "run-4"]
        descending = api.runs(project="p", order="-summary.acc")
        assert names(descending)[:3] == ["run-3", "run-2", "run-1"]
        assert set(names(descending)[3:]) == {"run-4", "run-5"}  # no acc: last


def test_runs_order_takes_a_list_of_keys(mnist: str) -> None:
    with Api(mnist) as api:
        runs = api.runs(project="p", order=["optimizer", "-lr"])
        assert names(runs) == ["run-2", "run-4", "run-3", "run-1", "run-5"]


def test_runs_limit_keeps_the_first_runs_in_order(mnist: str) -> None:
    with Api(mnist) as api:
        assert names(api.runs(order="lr", limit=2)) == ["run-3", "run-4"]
        assert names(api.runs(limit=0)) == []
        with pytest.raises(ValueError, match="limit"):
            api.runs(limit=-1)


RARE_RUNS = 3000  # more than the store's RARE, so that some predicates are common


def _rare_config(i: int) -> dict[str, Any]:
    return {"lr": i / RARE_RUNS, "opt": ("adam", "sgd")[i % 2], "tag": "x" if i % 300 else "y"}


def _rare_summary(i: int) -> dict[str, Any]:
    if i % 50 == 0:
        return {}
    return {"val_loss": "n/a" if i % 70 == 0 else ((i * 7919) % RARE_RUNS) / RARE_RUNS}


@pytest.fixture
def many(store_location: str) -> str:
    runs = [make_run(i, config=_rare_config(i), summary=_rare_summary(i)) for i in range(RARE_RUNS)]
    return fill(store_location, runs)


def _expected(test: Any, descending: bool, limit: int | None) -> list[str]:
    """The matching runs in the order the Api promises: numbers, then strings, then runs
    without the key, each class in the asked direction; ties newest first."""
    sign = -1 if descending else 1
    rows = []
    for i in range(RARE_RUNS):
        if not test(_rare_config(i)):
            continue
        loss = _rare_summary(i).get("val_loss")
        if isinstance(loss, float):
            rank: tuple[Any, ...] = (0, sign * loss, 0)
        elif isinstance(loss, str):
            rank = (1, 0, 0)  # one string value: ties
        else:
            rank = (2, 0, 0)
        rows.append((rank, -i, f"run-{i}"))  # newest (highest i) first among ties
    return [name for _, _, name in sorted(rows)][:limit]


@pytest.mark.parametrize(
    ("where", "test"),
    [
        ('tag == "y" and lr < 0.5', lambda c: c["tag"] == "y" and c["lr"] < 0.5),  # 5 runs
        ('lr < 0.001 and opt == "adam"', lambda c: c["lr"] < 0.001 and c["opt"] == "adam"),
        ("lr >= 0.999", lambda c: c["lr"] >= 0.999),
        ("lr > 0.1 and lr < 0.9", lambda c: 0.1 < c["lr"] < 0.9),  # both common
        ('tag == "y" or lr < 0.01', lambda c: c["tag"] == "y" or c["lr"] < 0.01),  # no narrowing
    ],
)
@pytest.mark.parametrize(("order", "limit"), [("summary.val_loss", 3), ("-summary.val_loss", 7),
                                              ("summary.val_loss", None)])  # fmt: skip
def test_rare_and_common_predicates_give_the_same_order_as_python(
    many: str,
    where: str,
    test: Any,
    order: str,
    limit: int | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A query starts from the runs of its rarest predicates' index ranges, or walks the
    # order: whichever it picks, and however far it counts the ranges (RARE), the runs
    # and their order must be the ones computed here in Python.
    from runconfig.store import _select

    newest = [f"run-{i}" for i in reversed(range(RARE_RUNS)) if test(_rare_config(i))]
    for rare in (20_000, 1_000, 10):
        monkeypatch.setattr(_select, "RARE", rare)
        with Api(many) as api:
            got = names(api.runs(where=where, order=order, limit=limit))
            default = names(api.runs(where=where, limit=limit))
        assert got == _expected(test, order.startswith("-"), limit), rare
        assert default == newest[:limit], rare


def test_a_bad_query_raises_query_error_pointing_at_the_column(mnist: str) -> None:
    with Api(mnist) as api, pytest.raises(QueryError) as caught:
        api.runs(where="lr << 0.1")
    lines = str(caught.value).splitlines()
    assert lines[1].strip() == "lr << 0.1"
    assert lines[2].index("^") == lines[1].index("<") + 1


def test_ordering_by_an_unknown_run_field_is_a_query_error(mnist: str) -> None:
    with Api(mnist) as api, pytest.raises(QueryError, match="did you mean 'created_at'"):
        api.runs(order="run.created")


def test_run_records_read_as_attributes(mnist: str) -> None:
    with Api(mnist) as api:
        run = api.runs(where="lr == 0.01")[0]
    assert run.config == {"lr": 0.01, "optimizer": "adam", "train": {"epochs": 20}}
    assert run.summary == {"val_loss": 0.3, "acc": 0.8}
    assert (run.id, run.name, run.project, run.state, run.tags) == (
        "r2",
        "run-2",
        "p",
        "finished",
        ["baseline"],
    )
    assert run.created_at.startswith("2026-01-01T12:00:02")


def test_a_failed_run_keeps_its_error_type_and_message(mnist: str) -> None:
    with Api(mnist) as api:
        failed = api.runs(where='run.state == "failed"')
    assert [(r.error_type, r.error_message, r.exit_code) for r in failed] == [
        ("ValueError", "loss is NaN", 1)
    ]


def test_a_run_that_raised_is_stored_failed_with_its_error(tmp_path: Path) -> None:
    store = str(tmp_path / "runs.db")
    with pytest.raises(ZeroDivisionError), runconfig.init(project="p", store=store) as run:
        1 / 0  # noqa: B018
    with Api(store) as api:
        record = api.run(run.id)
    assert record.state == "failed"
    assert record.error_type == "ZeroDivisionError"
    assert record.error_message == "division by zero"


# -- Api.run --------------------------------------------------------------------------------
def test_run_is_found_by_id_or_by_name(mnist: str) -> None:
    with Api(mnist) as api:
        assert api.run("r3").name == "run-3"
        assert api.run("run-3").id == "r3"
        assert api.run("run-6", project="cifar").project == "cifar"


def test_a_missing_run_raises_run_not_found_naming_it(mnist: str) -> None:
    with Api(mnist) as api, pytest.raises(RunNotFoundError) as caught:
        api.run("nope")
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, RunconfigError)
    assert "'nope'" in str(caught.value)


def test_a_name_used_by_two_projects_needs_the_project(store_location: str) -> None:
    fill(store_location, [make_run(1, name="same"), make_run(2, name="same", project="q")])
    with Api(store_location) as api:
        with pytest.raises(RunconfigError, match=r"p, q"):
            api.run("same")
        assert api.run("same", project="q").id == "r2"


# -- the store it reads -----------------------------------------------------------------------
def test_reading_a_missing_store_says_where_it_looked_and_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        Api()
    message = str(caught.value)
    assert "looked for .runconfig/runs.db in" in message and "runconfig.init()" in message
    assert "\n" not in message
    assert not (Path.cwd() / ".runconfig").exists()
    missing = tmp_path / "nowhere" / "runs.db"
    with pytest.raises(StoreError, match="there is no runconfig store at"):
        Api(missing)
    assert not missing.parent.exists()


def test_api_finds_the_store_like_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = runconfig.init(project="p", config={"lr": 0.1})
    runconfig.finish()
    (Path.cwd() / "deeper").mkdir()
    monkeypatch.chdir(Path.cwd() / "deeper")
    with Api() as api:
        assert api.run(run.id).config == {"lr": 0.1}
        assert api.store == str(tmp_path / "work" / ".runconfig" / "runs.db")
    monkeypatch.setenv("RUNCONFIG_STORE", f"sqlite:///{tmp_path}/work/.runconfig/runs.db")
    with Api() as api:
        assert len(api.runs()) == 1


# -- RunList ----------------------------------------------------------------------------------
def test_run_list_is_a_sequence_whose_slices_are_run_lists(mnist: str) -> None:
    with Api(mnist) as api:
        runs = api.runs()
    assert len(runs) == 6
    assert isinstance(runs[0], RunRecord)
    assert isinstance(runs[1:3], RunList) and names(runs[1:3]) == ["run-5", "run-4"]
    assert runs[-1].name == "run-1"
    assert "run-6" in repr(runs)
    assert [d["id"] for d in runs.to_dicts()] == ["r6", "r5", "r4", "r3", "r2", "r1"]


def test_to_pandas_has_run_fields_then_config_then_summary_columns(store_location: str) -> None:
    pd = pytest.importorskip("pandas")
    fill(
        store_location,
        [
            make_run(1, config={"lr": 0.1, "bs": 32, "a.b": 1, "model": {"depth": 50}},
                     summary={"acc": 0.9}),
            make_run(2, config={"lr": 0.01, "bs": 64, "a.b": 2, "flag": True},
                     summary={"acc": 0.8, "loss": 1}),
        ],
    )  # fmt: skip
    with Api(store_location) as api:
        frame = api.runs(order="run.created_at").to_pandas()
    assert list(frame.columns[:4]) == ["id", "name", "project", "state"]
    config = [c for c in frame.columns if c.startswith("config.")]
    assert config == ["config.lr", "config.bs", "config.`a.b`", "config.model.depth", "config.flag"]
    summary = [c for c in frame.columns if c.startswith("summary.")]
    assert summary == ["summary.acc", "summary.loss"]
    assert list(frame.columns).index("summary.acc") > list(frame.columns).index("config.flag")
    assert frame["config.lr"].dtype == "float64"
    assert frame["config.bs"].dtype == "int64"
    assert frame["config.`a.b`"].tolist() == [1, 2]
    assert frame["summary.loss"].dtype == "float64"  # 1 and a missing value
    assert math.isnan(frame["summary.loss"][0])
    assert pd.api.types.is_datetime64_any_dtype(frame["created_at"])
    assert frame["tags"].tolist() == [[], []]


def test_to_pandas_has_each_runs_leaves_as_flatten_names_them(store_location: str) -> None:
    # Runs whose configs differ in shape: a key missing, a dict in one run and a number or
    # an empty dict in another, None, lists, bools: each run's row holds its flattened
    # leaves, NaN where it has none.
    pd = pytest.importorskip("pandas")
    configs = [
        {"lr": 0.1, "opt": {"name": "adam", "beta": [0.9, 0.99]}, "flag": True, "x": None},
        {"lr": 0.2, "opt": "sgd", "extra": {"a": {"b": 1}}},
        {"opt": {}, "flag": False, "n": 3},
        {"lr": 1, "opt": {"name": "sgd", "momentum": 0.9}, "`tick": "q"},
    ]
    fill(
        store_location,
        [make_run(i, config=c, summary={"s": float(i)}) for i, c in enumerate(configs)],
    )
    with Api(store_location) as api:
        runs = api.runs(order="run.created_at")
        frame = runs.to_pandas()
    # The frame a row per run would make (pandas reads None as missing there too).
    rows = [{**flatten(r.config, "config"), **flatten(r.summary, "summary")} for r in runs]
    leaves = list(dict.fromkeys(k for row in rows for k in row))
    expected = pd.DataFrame.from_records(rows, columns=leaves).infer_objects()
    assert sorted(c for c in frame.columns if c.startswith(("config.", "summary."))) == sorted(
        leaves
    )
    pd.testing.assert_frame_equal(frame[leaves], expected)
    assert frame["config.opt.name"].tolist()[0] == "adam"
    assert frame["config.opt"].tolist()[1:3] == ["sgd", {}]
    assert frame["config.lr"].dtype == "float64" and frame["config.n"].dtype == "float64"


def test_to_pandas_of_no_runs_is_an_empty_frame_with_the_run_columns(store_location: str) -> None:
    pytest.importorskip("pandas")
    fill(store_location, [])
    with Api(store_location) as api:
        frame = api.runs().to_pandas()
    assert len(frame) == 0 and "id" in frame.columns


# -- diff ---------------------------------------------------------------------------------------
def test_diff_returns_only_the_keys_that_differ_with_each_runs_value() -> None:
    a = {"lr": 0.1, "train": {"epochs": 10, "warmup": 100}, "optimizer": "adam"}
    b = {"lr": 0.01, "train": {"epochs": 10}, "optimizer": "adam"}
    assert diff([a, b]) == {"lr": [0.1, 0.01], "train.warmup": [100, MISSING]}


@pytest.mark.parametrize(
    ("left", "right"),
    [
        pytest.param(1, 1.0, id="int-vs-float"),
        pytest.param(True, 1, id="bool-vs-int"),
        pytest.param("1", 1, id="string-vs-int"),
        pytest.param(None, 0, id="null-vs-zero"),
        pytest.param([1, 2], [1, 2.0], id="list-element-types"),
    ],
)
def test_diff_is_type_strict(left: Any, right: Any) -> None:
    assert diff([{"x": left}, {"x": right}]) == {"x": [left, right]}


def test_diff_treats_nan_as_equal_to_nan() -> None:
    assert diff([{"x": math.nan}, {"x": float("nan")}]) == {}


def test_diff_all_keeps_equal_keys_and_ignore_drops_subtrees() -> None:
    a = {"lr": 0.1, "seed": 1, "data": {"path": "/a", "workers": 4}}
    b = {"lr": 0.1, "seed": 2, "data": {"path": "/b", "workers": 4}}
    assert diff([a, b], all=True) == {
        "lr": [0.1, 0.1],
        "seed": [1, 2],
        "data.path": ["/a", "/b"],
        "data.workers": [4, 4],
    }
    assert diff([a, b], ignore=["seed", "data"]) == {}


def test_diff_writes_a_literal_dotted_key_in_backticks() -> None:
    assert diff([{"a.b": 1, "a": {"b": 1}}, {"a.b": 2, "a": {"b": 1}}]) == {"`a.b`": [1, 2]}


def test_diff_takes_records_and_run_lists(mnist: str) -> None:
    with Api(mnist) as api:
        runs = api.runs(project="p", order="run.created_at")
    changed = diff(runs[:2])
    assert changed == {
        "lr": [0.1, 0.01],
        "optimizer": ["sgd", "adam"],
        "train.epochs": [10, 20],
    }
    assert runconfig.diff is diff


# -- export ---------------------------------------------------------------------------------------
TRICKY: dict[str, Any] = {
    "lr": 0.001,
    "two": 2.0,
    "tiny": 1e-05,
    "big": 2**70,
    "neg_zero": -0.0,
    "nan": math.nan,
    "inf": math.inf,
    "minus_inf": -math.inf,
    "flag": False,
    "nothing": None,
    "exp_string": "1e-5",
    "int_string": "10",
    "date_string": "2024-01-01",
    "yes_string": "yes",
    "null_string": "null",
    "hex_string": "0x10",
    "empty_string": "",
    "spaces": "  padded  ",
    "multiline": "line one\nline two",
    "unicode": "résumé ✓",
    "a.b": {"c.d": 1},
    "1": "numeric key",
    "layers": [64, 64.0, "64", None, True],
    "nested": {"deep": {"er": [{"x": 1}], "empty": {}}},
    "empty": {},
}


def same_config(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return diff([a, b]) == {} and list(a) == list(b)


@pytest.mark.parametrize("fmt", ["yaml", "json", "wandb"])
def test_export_reads_back_through_init_exactly(tmp_path: Path, fmt: str) -> None:
    store = str(tmp_path / "runs.db")
    fill(store, [make_run(1, config=TRICKY, descs={"lr": "learning rate"})])
    with Api(store) as api:
        text = api.run("r1").export(fmt)
    path = tmp_path / ("config.json" if fmt == "json" else "config.yaml")
    path.write_text(text, encoding="utf-8")
    run = runconfig.init(project="p", config=str(path), store=store)
    runconfig.finish()
    with Api(store) as api:
        again = api.run(run.id)
    assert same_config(again.config, TRICKY), diff([again.config, TRICKY])
    assert type(again.config["two"]) is float and type(again.config["big"]) is int
    if fmt == "wandb":
        assert text.startswith("wandb_version: 1\n")
        assert again.descs["lr"] == "learning rate"


def test_export_yaml_is_plain_and_readable() -> None:
    record = RunRecord(
        id="x", name="x", project="p", state="finished",
        config={"lr": 0.1, "layers": [64, 64], "train": {"epochs": 4}, "s": "1e-5"},
        summary={},
    )  # fmt: skip
    assert record.export("yaml") == textwrap.dedent(
        """\
        lr: 0.1
        layers: [64, 64]
        train:
          epochs: 4
        s: '1e-5'
        """
    )


def test_a_config_that_looks_like_wandbs_form_is_exported_in_it(tmp_path: Path) -> None:
    tricky = {"a": {"value": 1}, "b": {"value": 2, "desc": "x"}}
    record = RunRecord(id="x", name="x", project="p", state="finished", config=tricky, summary={})
    text = record.export("yaml")
    assert text.startswith("wandb_version: 1\n")
    from runconfig.sources import read_file

    path = tmp_path / "c.yaml"
    path.write_text(text)
    assert read_file(path).values == tricky


def test_a_config_with_a_wandb_version_key_cannot_be_exported() -> None:
    record = RunRecord(
        id="x", name="x", project="p", state="finished", config={"wandb_version": 2}, summary={}
    )
    with pytest.raises(ConfigValueError, match="wandb_version"):
        record.export("yaml")


def test_command_quotes_the_runs_arguments_for_a_shell() -> None:
    record = RunRecord(
        id="x", name="x", project="p", state="finished", config={}, summary={},
        argv=["train.py", "--name", "my run", "--lr=0.1"],
    )  # fmt: skip
    assert record.command == "python train.py --name 'my run' --lr=0.1"


# -- import_runs ------------------------------------------------------------------------------
def test_import_runs_refuses_skips_or_replaces_runs_already_stored(store_location: str) -> None:
    fill(store_location, [make_run(1, config={"v": 1})])
    told: list[str] = []
    with Api(store_location) as api:
        with pytest.raises(StoreError, match="'r1' is already in"):
            api.import_runs([make_run(1, config={"v": 2})])
        count = api.import_runs(
            [make_run(1, config={"v": 2}), make_run(2), make_run(2, name="again")],
            if_exists="skip",
            on_exists=lambda run: told.append(run.id),
        )
        assert count == 1 and told == ["r1", "r2"]
        assert api.run("r1").config == {"v": 1}
        count = api.import_runs([make_run(1, config={"v": 3})], if_exists="replace")
        assert count == 1
        assert api.run("r1").config == {"v": 3}
        assert len(api.runs()) == 2


def test_import_runs_inserts_thousands_in_bulk(tmp_path: Path) -> None:
    store = str(tmp_path / "runs.db")
    runs = (make_run(i % 60, id=f"id{i}", name=f"n{i}", config={"i": i}) for i in range(3000))
    with Api(store, create=True) as api:
        assert api.import_runs(runs) == 3000
        assert len(api.runs(where="i >= 1500")) == 1500


def test_api_does_not_import_the_query_language_to_list_runs(tmp_path: Path) -> None:
    store = fill(str(tmp_path / "runs.db"), [make_run(1)])
    code = (
        "import sys, runconfig\n"
        f"api = runconfig.Api({store!r}); api.runs(); api.run('r1'); api.close()\n"
        "print(sorted(m for m in sys.modules if m in "
        "('runconfig.query', 'click', 'rich', 'pandas')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )  # fmt: skip
    assert out.stdout.strip() == "[]"


def test_tags_notes_projects_counts_and_the_lean_read(store_location: str) -> None:
    from runconfig.store import open_store

    st = open_store(store_location)
    st.bulk_insert([make_run(1, project="p", config={"lr": 0.1}),
                    make_run(2, project="p", config={"lr": 0.2}),
                    make_run(3, project="q")])  # fmt: skip
    st.close()
    with Api(store_location) as api:
        tagged = api.set_tags(api.run("r1"), ["x", "y", "x"])
        assert tagged.tags == ["x", "y"] and api.run("r1").tags == ["x", "y"]
        assert api.set_notes(tagged, "first try").notes == "first try"
        assert api.set_notes(tagged, "").notes is None and api.run("r1").notes is None
        newest = [make_run(2).created_at, make_run(3).created_at]
        assert api.projects() == [("p", 2, newest[0]), ("q", 1, newest[1])]
        assert api.count() == 3 and api.count(project="p", where="lr > 0.15") == 1
        assert [c.id for c in api.configs(project="p", order="-lr", limit=1)] == ["r2"]
        assert len(api.configs(limit=2)) == 2
        with pytest.raises(ValueError, match="limit"):  # as runs() says it
            api.configs(limit=-1)
        gone = api.run("r3")
        api.delete([gone])
        with pytest.raises(RunNotFoundError):
            api.set_notes(gone, "too late")
        assert [p for p, _, _ in api.projects()] == ["p"]
