"""Clear errors everywhere: what used to escape as a raw builtin exception is a
QueryError pointing at the column, a ConfigError naming the key, and one line from the
command line (the traceback with ``--debug``)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import child_env, fill, make_run

import runconfig
from runconfig.api import RunNotFoundError
from runconfig.cli import main
from runconfig.errors import ConfigError, QueryError, UsageTypeError, UsageValueError
from runconfig.query import (
    MAX_DEPTH,
    And,
    Compare,
    Not,
    Or,
    compile_query,
    evaluate,
    filters_to_query,
    parse_order,
    parse_query,
)
from runconfig.query import (
    Path as QueryPath,
)
from runconfig.store import RunStore

SURROGATE = "\udcff"  # what os.fsdecode() makes of the byte 0xff


def nested(depth: int, inner: str = "x == 1") -> str:
    return "(" * depth + inner + ")" * depth


# -- queries ------------------------------------------------------------------------------
# (id, query, column of the caret, part of the message)
QUERY_ERRORS: list[tuple[str, Any, int, str]] = [
    ("parentheses_300_deep", nested(300), 100, "nests more than 100 levels deep"),
    ("parentheses_101_deep", nested(101), 100, "nests more than 100 levels deep"),
    ("not_300_deep", "not " * 300 + "x == 1", 400, "nests more than 100 levels deep"),
    ("lists_300_deep", "x == " + "[" * 300 + "]" * 300, 105, "nests more than 100 levels"),
    ("parentheses_and_not", "not (" * 51 + "x == 1" + ")" * 51, 250, "more than 100 levels"),
    ("integer_of_5000_digits", "x == " + "9" * 5000, 5, "a number of 5,000 characters"),
    ("negative_integer", "x > -" + "1" * 1001, 4, "a number of 1,002 characters: at most"),
    ("fraction_of_2000_digits", "x < 0." + "1" * 2000, 4, "at most 1,000"),
    ("surrogate_in_a_string", f'x == "a{SURROGATE}b"', 7, "lone surrogate, not text"),
    ("surrogate_in_a_key", f"{SURROGATE} == 1", 0, "'\\udcff' at index 0 is a lone surrogate"),
    ("surrogate_in_backticks", f"`a{SURROGATE}` == 1", 2, "lone surrogate"),
    ("surrogate_in_a_regex", f'x ~ "{SURROGATE}"', 5, "lone surrogate"),
    ("high_surrogate", 'x == "\ud800"', 6, "'\\ud800' at index 6"),
    ("bytes_not_utf8", b'x == "\xff"', 6, "not UTF-8 text: byte 0xff"),
    ("bytes_cut_character", b'x == "\xe6\x97"', 6, "not UTF-8 text"),
    ("regex_backreference", 'x ~ "(a)\\1"', 4, "no backreferences or look-around"),
    ("regex_lookahead", 'x ~ "a(?=b)"', 4, "no backreferences or look-around"),
    ("regex_repeat_too_many", 'x ~ "a{1001}"', 4, "RE2 repeats at most {1000}"),
]


@pytest.mark.parametrize(
    ("query", "position", "message"),
    [e[1:] for e in QUERY_ERRORS],
    ids=[e[0] for e in QUERY_ERRORS],
)
def test_a_query_beyond_the_limits_raises_query_error_at_the_column(
    query: Any, position: int, message: str
) -> None:
    with pytest.raises(QueryError) as info:
        parse_query(query)
    error = info.value
    assert message in error.message
    assert error.position == position
    lines = str(error).splitlines()
    assert lines[-1].endswith("^")
    # The message prints: no lone surrogate in it, and the caret under the column shown.
    str(error).encode("utf-8")
    shown, caret = lines[-2], lines[-1]
    text = query.decode("utf-8", "replace") if isinstance(query, bytes) else query
    if len(text) <= 100:
        assert len(caret) - 1 == position + 2
    else:
        assert len(shown) < 120 and shown[len(caret) - 1] == text[position].replace(
            SURROGATE, "\ufffd"
        )


def deep_or(levels: int) -> str:
    """``levels`` parentheses, each holding an ``or`` and an ``and``: twice as deep a tree."""
    return "(x == 5 or " * levels + "y == 2" + " and x == 1)" * levels


def test_a_query_at_the_limits_runs_on_both_engines(store: RunStore) -> None:
    store.bulk_insert([make_run(1, config={"x": 1, "y": 2}), make_run(2, config={"x": 2})])
    # 100 levels each of parentheses, `not`s and lists; a number of 1,000 digits; and/or
    # nested as deep as SQLite's parser reads.
    queries = [
        nested(MAX_DEPTH),
        "not " * MAX_DEPTH + "x == 1",
        "not (" * (MAX_DEPTH // 2) + "x == 1 or y == 2" + ")" * (MAX_DEPTH // 2),
        "x != " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1),
        "x < " + "9" * 1000,
        deep_or(15),
    ]
    if store.dialect == "postgresql":
        queries.append(deep_or(MAX_DEPTH))
    for query in queries:
        node = parse_query(query)
        expected = {
            f"r{n}" for n, config in ((1, {"x": 1, "y": 2}), (2, {"x": 2}))
            if evaluate(node, {"config": config})
        }  # fmt: skip
        found = {r.id for r in store.find_runs(where=compile_query(node, store.dialect))}
        assert found == expected, query[:60]


def test_and_or_nested_deeper_than_sqlite_reads_is_a_query_error(tmp_path: Path) -> None:
    location = fill(str(tmp_path / "runs.db"), [make_run(1, config={"x": 1, "y": 2})])
    with runconfig.Api(location) as api:
        with pytest.raises(QueryError, match="nests too deeply for SQLite to read it"):
            api.runs(where=deep_or(MAX_DEPTH))
        assert len(api.runs(where="x == 1")) == 1  # the store is fine


def test_a_sort_key_with_a_lone_surrogate_is_a_query_error() -> None:
    with pytest.raises(QueryError, match="lone surrogate") as info:
        parse_order(f"summary.{SURROGATE}")
    assert info.value.position == 8


def test_a_query_that_is_not_text_is_a_usage_type_error() -> None:
    with pytest.raises(UsageTypeError, match="a query is text"):
        parse_query(42)  # type: ignore[arg-type]


def deep_tree(depth: int) -> Any:
    node: Any = Compare(QueryPath("c", ("x",)), "==", 1)
    for i in range(depth):
        node = Not(node) if i % 3 == 0 else Or((node,)) if i % 3 == 1 else And((node,))
    return node


@pytest.mark.parametrize("depth", [203, 1000, 5000])
def test_a_tree_built_by_hand_too_deep_is_a_query_error_not_a_recursion_error(
    depth: int,
) -> None:
    node = deep_tree(depth)
    with pytest.raises(QueryError, match="nests and, or and not more than 202 levels"):
        compile_query(node, "sqlite")
    with pytest.raises(QueryError, match="nests and, or and not more than 202 levels"):
        evaluate(node, {"config": {"x": 1}})


def test_a_tree_built_by_hand_with_a_lone_surrogate_is_a_query_error() -> None:
    for node in (
        Compare(QueryPath("c", (SURROGATE,)), "==", 1),
        Compare(QueryPath("c", ("x",)), "==", f"a{SURROGATE}"),
        Compare(QueryPath("c", ("x",)), "==", (1, ("b", SURROGATE))),
    ):
        with pytest.raises(QueryError, match="lone surrogate"):
            compile_query(node, "postgresql")
        with pytest.raises(QueryError, match="lone surrogate"):
            evaluate(node, {"config": {"x": 1}})


# -- wandb's filters ----------------------------------------------------------------------
def deep_and(depth: int) -> dict[str, Any]:
    filters: dict[str, Any] = {"config.x": 1}
    for _ in range(depth):
        filters = {"$and": [filters]}
    return filters


def deep_not(depth: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"$eq": 1}
    for _ in range(depth):
        spec = {"$not": spec}
    return {"config.x": spec}


def deep_list(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


# (id, filters, part of the message)
FILTER_ERRORS: list[tuple[str, Any, str]] = [
    ("and_300_deep", deep_and(300), "filters nest more than 100 levels deep (at '$and')"),
    ("and_5000_deep", deep_and(5000), "filters nest more than 100 levels deep"),
    ("or_inside_nor", {"$nor": [{"$or": [deep_and(200)]}]}, "more than 100 levels"),
    ("not_300_deep", deep_not(300), "nest more than 100 levels deep (at 'config.x: $not')"),
    ("list_300_deep", {"config.x": deep_list(300)}, "a list nested more than 100 levels"),
    ("integer_of_5000_digits", {"config.x": 10**5000}, "more than 1,000 digits"),
    ("integer_in_a_list", {"config.x": {"$in": [[1, -(10**2000)]]}}, "more than 1,000 digits"),
    ("surrogate_in_a_key", {f"config.{SURROGATE}": 1}, "bad filter key 'config.\\udcff'"),
    ("surrogate_in_a_run_key", {f"run.{SURROGATE}": 1}, "lone surrogate"),
    ("surrogate_in_a_value", {"config.x": f"a{SURROGATE}"}, "filter on 'config.x'"),
    ("surrogate_in_in", {"config.x": {"$in": ["a", SURROGATE]}}, "lone surrogate"),
    ("surrogate_in_a_regex", {"config.x": {"$regex": SURROGATE}}, "lone surrogate"),
    ("surrogate_deep", deep_and(50) | {"tags": SURROGATE}, "lone surrogate"),
    ("key_not_a_string", {1: 2}, "filter keys are strings: 1 is a int"),
]


@pytest.mark.parametrize(
    ("filters", "message"), [e[1:] for e in FILTER_ERRORS], ids=[e[0] for e in FILTER_ERRORS]
)
def test_bad_wandb_filters_raise_query_error_never_a_builtin(filters: Any, message: str) -> None:
    with pytest.raises(QueryError) as info:
        filters_to_query(filters)
    assert message in str(info.value)
    str(info.value).encode("utf-8")


def test_filters_at_the_depth_limit_still_translate() -> None:
    node = filters_to_query(deep_and(MAX_DEPTH - 1))
    assert evaluate(node, {"config": {"x": 1}}) is True
    assert evaluate(filters_to_query(deep_not(MAX_DEPTH - 1)), {"config": {"x": 1}}) is False


# -- the Api ------------------------------------------------------------------------------
def test_the_api_names_a_lone_surrogate_in_a_project_or_a_run(tmp_path: Path) -> None:
    location = fill(str(tmp_path / "runs.db"), [make_run(1)])
    with runconfig.Api(location) as api:
        with pytest.raises(QueryError, match="the project 'p\\\\udcff' holds"):
            api.runs(project=f"p{SURROGATE}")
        with pytest.raises(RunNotFoundError, match="lone surrogate"):
            api.run(f"run-{SURROGATE}")
        with pytest.raises(RunNotFoundError, match="lone surrogate"):
            api.run("run-1", project=SURROGATE)
        with pytest.raises(QueryError, match="lone surrogate"):
            api.runs(where=f"x == '{SURROGATE}'")
        with pytest.raises(QueryError, match="lone surrogate"):
            api.runs(filters={"config.x": SURROGATE})


# -- config keys and values ---------------------------------------------------------------
def set_item(key: Any, value: Any) -> Any:
    return lambda cfg: cfg.__setitem__(key, value)


def nested_set(key: Any, value: Any) -> Any:
    def act(cfg: Any) -> None:
        cfg["train"] = {}
        cfg["train"][key] = value

    return act


# (id, what the script does, the key the error names, as it is printed)
CONFIG_ERRORS: list[tuple[str, Any, str]] = [
    ("top_level_key", set_item("\ud800", 1), "config key '`\\ud800`': the key holds"),
    ("key_with_a_byte", set_item(f"lr{SURROGATE}", 1), "'`lr\\udcff`': the key holds"),
    ("string_value", set_item("name", f"run{SURROGATE}"), "config key 'name': its value"),
    ("attribute", lambda cfg: setattr(cfg, "name", SURROGATE), "config key 'name': its value"),
    ("nested_key_in_a_dict", set_item("opt", {SURROGATE: 1}), "config key 'opt.`\\udcff`'"),
    ("nested_value", set_item("opt", {"betas": ["a", SURROGATE]}), "'opt.betas[1]': its value"),
    ("tuple_value", set_item("t", (1, SURROGATE)), "config key 't[1]': its value"),
    ("path_value", set_item("data", Path(f"/data/{SURROGATE}")), "config key 'data': its"),
    ("bytes_key_decoded", set_item(b"k\xff".decode(errors="surrogateescape"), 1), "`k\\udcff`"),
    ("node_key", nested_set(SURROGATE, 1), "config key 'train.`\\udcff`': the key"),
    ("node_value", nested_set("opt", SURROGATE), "config key 'train.opt': its value"),
    ("placeholder_key", lambda cfg: cfg["p"].__setitem__(SURROGATE, 1), "'p.`\\udcff`'"),
    ("update_value", lambda cfg: cfg.update({"a": 1, "b": SURROGATE}), "config key 'b': its"),
    ("update_key", lambda cfg: cfg.update({"a": 1, SURROGATE: 2}), "'`\\udcff`': the key"),
    ("update_nested", lambda cfg: cfg.update({"o": {"k": SURROGATE}}), "'o.k': its value"),
    ("setdefault", lambda cfg: cfg.setdefault("s", SURROGATE), "config key 's': its value"),
    ("update_kwargs", lambda cfg: cfg.update(x=SURROGATE), "config key 'x': its value"),
]


@pytest.mark.parametrize(
    ("act", "named"), [e[1:] for e in CONFIG_ERRORS], ids=[e[0] for e in CONFIG_ERRORS]
)
def test_text_that_no_store_can_hold_is_a_config_error_naming_the_key(act: Any, named: str) -> None:
    cfg = runconfig.Config()
    cfg["kept"] = 1
    with pytest.raises(ConfigError) as info:
        act(cfg)
    message = str(info.value)
    assert named in message
    assert "lone surrogate" in message
    message.encode("utf-8")  # printable
    assert cfg.as_dict() == {"kept": 1} or "train" in cfg  # nothing of the write applied


def test_a_run_refuses_such_text_clearly_and_goes_on(
    run_store: str, no_run: None, tmp_path: Path
) -> None:
    run = runconfig.init(store=run_store, project="p", config={"lr": 0.1})
    for act, named in (
        (set_item("\ud800", 1), "`\\ud800`"),
        (set_item("name", f"a{SURROGATE}"), "'name'"),
        (lambda cfg: cfg.update({"b": 2, "c": SURROGATE}), "'c'"),
        (set_item("opt", {"k": [SURROGATE]}), "'opt.k[0]'"),
    ):
        with pytest.raises(ConfigError, match=re.escape(named)):
            act(run.config)
    run.config["after"] = "fine"
    run.finish()
    with runconfig.Api(run_store) as api:
        assert api.run(run.id).config == {"lr": 0.1, "after": "fine"}


def test_other_text_no_store_can_hold_is_a_clear_error_and_the_run_goes_on(
    run_store: str, no_run: None
) -> None:
    # Past the config's own checks (a run's name, a logged string), the store's guard
    # turns the driver's UnicodeEncodeError into one clear error naming the text.
    with pytest.raises(UsageValueError, match=r"cannot create run 'n\\udcff'.*lone surrogate"):
        runconfig.init(store=run_store, project="p", name=f"n{SURROGATE}")
    run = runconfig.init(store=run_store, project="p")
    with pytest.raises(UsageValueError, match=r"cannot log: .*lone surrogate"):
        run.log({"x": f"a{SURROGATE}"})
    run.log({"loss": 0.5})
    run.finish()
    with runconfig.Api(run_store) as api:
        assert api.run(run.id).summary == {"loss": 0.5}


def test_init_with_such_a_config_is_a_config_error(run_store: str, no_run: None) -> None:
    with pytest.raises(ConfigError, match="config key 'x': its value"):
        runconfig.init(store=run_store, project="p", config={"x": SURROGATE})


# -- the command line ---------------------------------------------------------------------
@pytest.fixture
def store_file(tmp_path: Path) -> str:
    return fill(str(tmp_path / "runs.db"), [make_run(1, config={"x": 1})])


def cli(args: list[str]) -> Any:
    return CliRunner().invoke(main, args, catch_exceptions=False)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (nested(300), "Error: the query nests more than 100 levels deep here"),
        ("x == " + "9" * 5000, "Error: a number of 5,000 characters: at most 1,000"),
        (f"x == '{SURROGATE}'", "Error: '\\udcff' at index 6 is a lone surrogate"),
    ],
    ids=["deep", "long_number", "surrogate"],
)
def test_the_cli_shows_a_query_error_as_its_message_and_caret(
    store_file: str, where: str, message: str
) -> None:
    result = cli(["runs", "--store", store_file, "--where", where])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == message or lines[0].startswith(message)
    assert len(lines) == 3 and lines[2].strip() == "^"
    assert "Traceback" not in result.output


def test_an_unforeseen_error_is_one_line_and_status_1(
    store_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded while calling a Python object")

    monkeypatch.setattr(runconfig.Api, "runs", explode)
    result = cli(["runs", "--store", store_file])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: RecursionError: maximum recursion depth exceeded while calling a Python object"
        " (runconfig --debug ... shows the traceback)"
    ]


def test_usage_mistakes_stay_clicks_with_status_2(store_file: str) -> None:
    result = cli(["runs", "--store", store_file, "--timeout", "-1"])
    assert result.exit_code == 2
    assert "--timeout" in result.output


BROKEN = """
import sys
import runconfig.api

def explode(*args, **kwargs):
    def deeper(n):
        return deeper(n + 1)
    return deeper(0)

runconfig.api.Api.runs = explode
from runconfig.cli import main
sys.argv[0] = "runconfig"
main()
"""


@pytest.mark.parametrize("debug", [False, True], ids=["one_line", "debug"])
def test_a_real_recursion_error_through_the_entry_point(store_file: str, debug: bool) -> None:
    args = ["--debug"] if debug else []
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(BROKEN), *args, "runs", "--store", store_file],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    if debug:
        assert done.stderr.startswith("Traceback (most recent call last):")
        assert done.stderr.rstrip().splitlines()[-1].startswith("RecursionError: maximum")
    else:
        assert done.stderr.splitlines() == [
            "Error: RecursionError: maximum recursion depth exceeded"
            " (runconfig --debug ... shows the traceback)"
        ]


def test_debug_shows_the_traceback_of_runconfigs_own_errors_too(store_file: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "runconfig", "--debug", "runs", "--store", store_file,
         "--where", "x <<"],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Traceback (most recent call last):" in done.stderr
    assert "runconfig.errors.QueryError: unexpected '<'" in done.stderr


def test_the_time_limit_of_the_cli_is_one_line(
    store_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_query_limits import ENDLESS

    from runconfig.store import SqlFragment

    real = runconfig.Api.runs

    def endless(self: runconfig.Api, *args: Any, **kwargs: Any) -> Any:
        self._store.find_runs(where=SqlFragment(ENDLESS), timeout=kwargs["timeout"])
        return real(self, *args, **kwargs)

    monkeypatch.setattr(runconfig.Api, "runs", endless)
    result = cli(["runs", "--store", store_file, "--timeout", "0.3"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: the query took longer than 0.3 s, its time limit")
    assert len(result.output.splitlines()) == 1
