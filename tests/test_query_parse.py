"""The query language's parser, error positions, wandb filters, sort keys and semantics."""

from __future__ import annotations

import math
import pathlib
from typing import Any

import pytest

from runconfig._paths import format_segment, format_segments, parse_path
from runconfig.errors import QueryError
from runconfig.query import (
    And,
    Compare,
    Exists,
    Membership,
    Node,
    Not,
    Or,
    Path,
    Regex,
    compile_query,
    evaluate,
    filters_to_query,
    parse_order,
    parse_query,
)
from runconfig.store.base import OrderKey


def c(*segments: str) -> Path:
    return Path("c", segments)


def s(*segments: str) -> Path:
    return Path("s", segments)


def r(field: str) -> Path:
    return Path("r", (field,))


def eq(path: Path, value: Any) -> Compare:
    return Compare(path, "==", value)


# -- structure and precedence ---------------------------------------------------------------
STRUCTURE = [
    ("a == 1", eq(c("a"), 1)),
    ("not a == 1 and b == 2", And((Not(eq(c("a"), 1)), eq(c("b"), 2)))),
    ("a == 1 or b == 2 and c == 3", Or((eq(c("a"), 1), And((eq(c("b"), 2), eq(c("c"), 3)))))),
    ("(a == 1 or b == 2) and c == 3", And((Or((eq(c("a"), 1), eq(c("b"), 2))), eq(c("c"), 3)))),
    ("a == 1 and b == 2 and c == 3", And((eq(c("a"), 1), eq(c("b"), 2), eq(c("c"), 3)))),
    ("not not a == 1", Not(Not(eq(c("a"), 1)))),
    ("not (a == 1 or b == 2)", Not(Or((eq(c("a"), 1), eq(c("b"), 2))))),
    ("not exists(a) or b ~ 'x'", Or((Not(Exists(c("a"))), Regex(c("b"), "x")))),
    ("not 'x' in tags", Not(Membership("x", c("tags")))),
    ("not a in [1, 2]", Not(Or((eq(c("a"), 1), eq(c("a"), 2))))),
    ("a in [1, 'x']", Or((eq(c("a"), 1), eq(c("a"), "x")))),
    ("a in [1]", eq(c("a"), 1)),
    ("a in []", Or(())),
    ("a not in [1, 2]", And((Compare(c("a"), "!=", 1), Compare(c("a"), "!=", 2)))),
    ("a not in []", And(())),
    ("'x' in tags", Membership("x", c("tags"))),
    ("'x' not in run.tags", Membership("x", r("tags"), negated=True)),
    ("null in a", Membership(None, c("a"))),
    ("2.5 in a", Membership(2.5, c("a"))),
    ("exists(train.warmup)", Exists(c("train", "warmup"))),
    ("run.name ~ '^resnet'", Regex(r("name"), "^resnet")),
    (
        "A == 1 AND NOT B == 2 Or c == 3",
        Or((And((eq(c("A"), 1), Not(eq(c("B"), 2)))), eq(c("c"), 3))),
    ),
    ("a IN [1, 2]", Or((eq(c("a"), 1), eq(c("a"), 2)))),
    ("EXISTS(a)", Exists(c("a"))),
    ("a<1", Compare(c("a"), "<", 1)),
    ("x>=-1", Compare(c("x"), ">=", -1)),
    ("x != 'y'", Compare(c("x"), "!=", "y")),
    ("x <= 'y'", Compare(c("x"), "<=", "y")),
    ("x > 0.5", Compare(c("x"), ">", 0.5)),
    ("  a\t==\n1  ", eq(c("a"), 1)),
]


@pytest.mark.parametrize(("query", "expected"), STRUCTURE, ids=[q for q, _ in STRUCTURE])
def test_queries_parse_into_the_expected_tree(query: str, expected: Node) -> None:
    assert parse_query(query) == expected


# -- literals -------------------------------------------------------------------------------
LITERALS = [
    ("1", 1),
    ("-2", -2),
    ("-2.5", -2.5),
    ("1e-3", 0.001),
    ("1E3", 1000.0),
    ("2.", 2.0),
    (".5", 0.5),
    ("-.5", -0.5),
    ("1e999", math.inf),
    ("-1e999", -math.inf),
    ("12345678901234567890", 12345678901234567890),
    ('"adam"', "adam"),
    ("'adam'", "adam"),
    ('""', ""),
    ("'日本語 é'", "日本語 é"),
    (r'"say \"hi\""', 'say "hi"'),
    (r"'it\'s'", "it's"),
    (r'"a\\b"', "a\\b"),
    (r'"it\'s"', "it's"),
    ('"it\'s"', "it's"),
    (r'"\d+"', "\\d+"),
    ("true", True),
    ("false", False),
    ("null", None),
    ("TRUE", True),
    ("Null", None),
    ("[]", ()),
    ("[1, 'a', true, null, 2.5]", (1, "a", True, None, 2.5)),
    ("[1, [2, [3]]]", (1, (2, (3,)))),
    ("[1, 2,]", (1, 2)),
]


@pytest.mark.parametrize(("text", "value"), LITERALS, ids=[t for t, _ in LITERALS])
def test_every_literal_form_is_read_as_its_value(text: str, value: Any) -> None:
    node = parse_query(f"x == {text}")
    assert isinstance(node, Compare)
    assert node.value == value
    assert type(node.value) is type(value)


def test_integer_literals_stay_ints_and_decimal_literals_floats() -> None:
    assert parse_query("x == 2") == eq(c("x"), 2)
    node = parse_query("x == 2.0")
    assert isinstance(node, Compare) and isinstance(node.value, float)


# -- paths ----------------------------------------------------------------------------------
PATHS = [
    ("lr", c("lr")),
    ("train.epochs", c("train", "epochs")),
    ("batch-size", c("batch-size")),
    ("_private", c("_private")),
    ("config.lr", c("lr")),
    ("config.run", c("run")),
    ("config.config.x", c("config", "x")),
    ("summary.val_loss", s("val_loss")),
    ("summary.run", s("run")),
    ("run.name", r("name")),
    ("run.group", r("group")),
    ("run.created_at", r("created_at")),
    ("`a.b`", c("a.b")),
    ("`with space`.x", c("with space", "x")),
    ("`x``y`", c("x`y")),
    ("`run`", c("run")),
    ("`summary`.acc", c("summary", "acc")),
    ("`run`.name", c("run", "name")),
    ("``", c("")),
    ("train.`in`", c("train", "in")),
    ("train.in", c("train", "in")),
    ("`and`", c("and")),
    ("`1`.x", c("1", "x")),
    ("Config.x", c("Config", "x")),
    ("summary.`a.b`.c", s("a.b", "c")),
]


@pytest.mark.parametrize(("text", "path"), PATHS, ids=[t for t, _ in PATHS])
def test_paths_name_the_section_and_keys(text: str, path: Path) -> None:
    node = parse_query(f"exists({text})")
    assert node == Exists(path)


@pytest.mark.parametrize(("text", "path"), PATHS, ids=[t for t, _ in PATHS])
def test_a_path_written_back_parses_to_itself(text: str, path: Path) -> None:
    assert parse_query(f"exists({path})") == Exists(path)


KEYS_WRITTEN = [
    ("lr", "lr"),
    ("_private", "_private"),
    ("warmup-steps", "warmup-steps"),  # a dash is plain, though not an identifier
    ("exists_x", "exists_x"),  # longer than any keyword
    ("and", "`and`"),
    ("AND", "`AND`"),  # keywords in any case
    ("Null", "`Null`"),
    ("ключ", "`ключ`"),  # an identifier, but not ASCII
    ("1st", "`1st`"),
    ("a.b", "`a.b`"),
    ("a b", "`a b`"),
    ("-x", "`-x`"),
    ("back`tick", "`back``tick`"),
]


@pytest.mark.parametrize(("key", "written"), KEYS_WRITTEN)
def test_a_key_is_written_plain_or_in_backticks(key: str, written: str) -> None:
    assert format_segment(key) == written
    assert format_segment(key) == written  # from the cache too
    assert parse_path(written) == (key,)


@pytest.mark.parametrize(("key", "written"), KEYS_WRITTEN)
def test_many_keys_are_written_as_each_alone(key: str, written: str) -> None:
    # format_segments tells plain names apart in C, for the keys of a whole update().
    plain = ["lr", "batch_size", "x1", "exists_x"]
    assert format_segments([*plain, key]) == [*plain, written]
    assert format_segments([key]) == [written]


def test_every_spelling_of_a_keyword_among_many_keys_is_quoted() -> None:
    spellings = ["and", "AND", "aNd", "Or", "nOT", "IN", "True", "fALSE", "NULL", "eXiStS"]
    assert format_segments(["lr", *spellings]) == ["lr", *(f"`{w}`" for w in spellings)]


def test_a_path_remembers_its_column() -> None:
    node = parse_query("a == 1 and   summary.b == 2")
    assert isinstance(node, And)
    second = node.operands[1]
    assert isinstance(second, Compare)
    assert second.path.position == 13


# -- errors ---------------------------------------------------------------------------------
ERRORS = [
    ("double_operator", "lr << 0.1", 4, "unexpected '<'"),
    ("unclosed_double_quote", 'x == "abc', 5, "unclosed string"),
    ("unclosed_single_quote", "x == 'abc", 5, "unclosed string"),
    ("escaped_closing_quote", r'x == "abc\"', 5, "unclosed string"),
    ("unclosed_backtick", "`a.b == 1", 0, "unclosed '`'"),
    ("unknown_run_field", "run.nme == 'x'", 4, "did you mean 'name'?"),
    ("run_field_with_subkey", "run.name.x == 1", 8, "no sub-keys"),
    ("bare_run_prefix", "run == 1", 0, "config.run"),
    ("prefix_without_key", "summary. == 1", 9, "expected a key"),
    ("regex_with_number", "x ~ 1", 4, "'~' needs a string"),
    ("regex_with_list", "x ~ ['a']", 4, "'~' needs a string"),
    ("bad_regex", "run.name ~ '(abc'", 11, "bad regular expression"),
    ("trailing_tokens", "a == 1 b == 2", 7, "unexpected 'b'"),
    ("trailing_value", "a == 1 2", 7, "unexpected '2'"),
    ("empty_query", "", 0, "empty query"),
    ("blank_query", "   ", 0, "empty query"),
    ("less_than_true", "x < true", 2, "'<' needs a number or a string"),
    ("greater_than_null", "x >= null", 2, "'>=' needs a number or a string"),
    ("less_than_list", "x < [1]", 2, "'<' needs a number or a string"),
    ("missing_value", "x ==", 4, "unexpected end of query"),
    ("missing_operator", "x", 1, "expected an operator"),
    ("path_on_the_right", "x == y", 5, "unexpected 'y'"),
    ("single_equals", "x = 1", 2, "did you mean '=='?"),
    ("bang", "!x", 0, "'not' or '!='"),
    ("unknown_character", "x == 1 & y == 2", 7, "unexpected character '&'"),
    ("unclosed_paren", "(a == 1 or b == 2", 0, "unclosed '('"),
    ("stray_close_paren", "a == 1)", 6, "unexpected ')'"),
    ("unclosed_list", "x in [1, 2", 5, "unclosed '['"),
    ("list_without_comma", "x in [1 2]", 8, "expected ',' or ']'"),
    ("in_without_list", "x in 'abc'", 5, "a list '[...]' after 'in'"),
    ("literal_on_the_left", "1 == x", 2, "a comparison starts with the path"),
    ("list_in_path", "[1] in x", 0, "before 'in'"),
    ("membership_into_literal", "'x' in 'y'", 7, "a path after 'in'"),
    ("value_without_in", "'x' y", 4, "expected 'in'"),
    ("starts_with_and", "and a == 1", 0, "unexpected 'and'"),
    ("dangling_and", "a == 1 and", 10, "unexpected end of query"),
    ("dangling_not", "not", 3, "unexpected end of query"),
    ("exists_without_paren", "exists a", 7, "'(' after 'exists'"),
    ("exists_unclosed", "exists(a", 8, "expected ')'"),
    ("digit_segment", "layers.0 == 1", 7, "backticks"),
    ("keyword_as_key", "in == 1", 0, "unexpected 'in'"),
    ("not_then_operator", "x not == 1", 2, "expected an operator"),
]


@pytest.mark.parametrize(
    ("query", "position", "message"),
    [e[1:] for e in ERRORS],
    ids=[e[0] for e in ERRORS],
)
def test_a_bad_query_raises_query_error_with_a_caret_under_the_column(
    query: str, position: int, message: str
) -> None:
    with pytest.raises(QueryError) as info:
        parse_query(query)
    error = info.value
    assert message in error.message
    assert error.position == position
    assert error.query == query
    if query:
        lines = str(error).splitlines()
        assert lines[-2] == f"  {query}"
        assert lines[-1] == "  " + " " * position + "^"


def test_query_error_is_a_value_error_and_shows_the_caret() -> None:
    with pytest.raises(ValueError, match=r"unexpected '<'") as info:
        parse_query("lr << 0.1")
    assert str(info.value) == "unexpected '<': expected a value after '<'\n  lr << 0.1\n      ^"


def test_unknown_run_field_error_lists_the_run_fields() -> None:
    with pytest.raises(QueryError, match="created_at") as info:
        parse_query("run.colour == 'red'")
    assert "run fields:" in info.value.message


# -- semantics (engine-free) ----------------------------------------------------------------
RUN: dict[str, Any] = {
    "config": {
        "lr": 0.001,
        "epochs": 10,
        "two": 2.0,
        "optimizer": "adam",
        "flag": True,
        "nothing": None,
        "nan": math.nan,
        "inf": math.inf,
        "layers": [1, 2.0, "x", True, None],
        "nanlist": [math.nan, 1],
        "train": {"warmup": 0, "empty": {}},
        "a.b": 1,
        "run": "config key named run",
    },
    "summary": {"val_loss": 0.25},
    "run": {"name": "resnet-50", "state": "finished", "tags": ["baseline"], "group": None},
}
SEMANTICS = [
    ("lr < 0.01", True),
    ("epochs == 10.0", True),
    ("two == 2", True),
    ("optimizer == 'adam'", True),
    ("optimizer == 'Adam'", False),
    ("optimizer != 'Adam'", True),
    ("optimizer < 'b'", True),
    ("optimizer == 1", False),
    ("optimizer != 1", False),
    ("missing != 1", False),
    ("not missing == 1", True),
    ("not optimizer == 'sgd'", True),
    ("flag == true", True),
    ("flag == 1", False),
    ("flag != 1", False),
    ("flag != false", True),
    ("nothing == null", True),
    ("nothing != null", False),
    ("missing == null", False),
    ("missing != null", False),
    ("train != null", True),
    ("exists(nothing)", True),
    ("exists(train.empty)", True),
    ("exists(missing)", False),
    ("exists(lr.sub)", False),
    ("nan != 1", True),
    ("nan == 1", False),
    ("nan < 1", False),
    ("nan >= 1", False),
    ("inf > 1e308", True),
    ("inf == 1e999", True),
    ("layers == [1, 2, 'x', true, null]", True),
    ("layers == [1.0, 2, 'x', true, null]", True),
    ("layers == [1, 2, 'x', 1, null]", False),
    ("layers != [1, 2]", True),
    ("lr != [1, 2]", False),
    ("nanlist == [null, 1]", False),
    ("nanlist != [null, 1]", True),
    ("null in nanlist", False),
    ("1 in nanlist", True),
    ("2 in layers", True),
    ("1 in layers", True),
    ("'x' in layers", True),
    ("'X' in layers", False),
    ("null in layers", True),
    ("false in layers", False),
    ("'x' not in layers", False),
    ("'y' not in layers", True),
    ("'y' not in missing", False),
    ("'a' in optimizer", False),
    ("lr in [0.001, 1]", True),
    ("lr not in [0.001, 1]", False),
    ("missing not in [1]", False),
    ("optimizer not in [1]", False),
    ("optimizer ~ 'da'", True),
    ("optimizer ~ '^da'", False),
    ("lr ~ '0'", False),
    ("`a.b` == 1", True),
    ("a.b == 1", False),
    ("config.run ~ 'named'", True),
    ("summary.val_loss < 0.3", True),
    ("run.state == 'finished'", True),
    ("'baseline' in run.tags", True),
    ("run.tags == ['baseline']", True),
    ("run.group == null", True),
    ("exists(run.group)", False),
    ("exists(run.name)", True),
    ("run.notes == null", True),
    ("run.name ~ '^resnet'", True),
]


@pytest.mark.parametrize(("query", "expected"), SEMANTICS, ids=[q for q, _ in SEMANTICS])
def test_evaluate_follows_the_documented_rules(query: str, expected: bool) -> None:
    assert evaluate(parse_query(query), RUN) is expected


def test_evaluate_accepts_a_run_with_sections_left_out() -> None:
    assert evaluate(parse_query("exists(lr)"), {}) is False
    assert evaluate(parse_query("run.group == null"), {}) is True


# -- SQL ------------------------------------------------------------------------------------
@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_user_text_reaches_sql_only_as_parameters(dialect: str) -> None:
    evil = "'; DROP TABLE rc_runs; -- %s ?"
    query = (
        f"`{evil}` == {evil!r} or run.name ~ {evil!r} or {evil!r} in run.tags"
        f" or x == [{evil!r}] or {evil!r} in x or run.tags == [{evil!r}]"
    )
    fragment = compile_query(parse_query(query), dialect)
    assert "DROP" not in fragment.sql
    placeholder = "?" if dialect == "sqlite" else "%s"
    other = "%s" if dialect == "sqlite" else "?"
    assert fragment.sql.count(placeholder) == len(fragment.params)
    assert other not in fragment.sql
    assert any(evil in str(p) for p in fragment.params)


def test_compile_query_refuses_an_unknown_dialect() -> None:
    with pytest.raises(ValueError, match="dialect"):
        compile_query(parse_query("a == 1"), "mysql")


def test_hand_built_nodes_are_checked_when_compiled_and_evaluated() -> None:
    bad = Compare(c("a"), "<", True)
    with pytest.raises(QueryError, match="needs a number or a string"):
        compile_query(bad, "sqlite")
    with pytest.raises(QueryError, match="needs a number or a string"):
        evaluate(bad, RUN)
    with pytest.raises(QueryError, match="unknown run field"):
        compile_query(Exists(r("colour")), "postgresql")


# -- wandb filters --------------------------------------------------------------------------
FILTERS: list[tuple[str, dict[str, Any], Node]] = [
    ("lt", {"config.lr": {"$lt": 0.01}}, Compare(c("lr"), "<", 0.01)),
    ("bare_value", {"config.optimizer": "adam"}, eq(c("optimizer"), "adam")),
    ("nested_key", {"config.train.epochs": {"$gte": 10}}, Compare(c("train", "epochs"), ">=", 10)),
    ("backticks", {"config.`a.b`": 1}, eq(c("a.b"), 1)),
    ("summary_metrics", {"summary_metrics.acc": {"$gt": 0.9}}, Compare(s("acc"), ">", 0.9)),
    ("summary", {"summary.acc": {"$lte": 0.9}}, Compare(s("acc"), "<=", 0.9)),
    ("state", {"state": "finished"}, eq(r("state"), "finished")),
    ("display_name", {"display_name": "a"}, eq(r("name"), "a")),
    ("displayName", {"displayName": {"$regex": "^res"}}, Regex(r("name"), "^res")),
    ("name_is_id", {"name": "3xk9w2"}, eq(r("id"), "3xk9w2")),
    (
        "createdAt",
        {"createdAt": {"$gt": "2024-01-01"}},
        Compare(r("created_at"), ">", "2024-01-01"),
    ),
    ("group", {"group": "g"}, eq(r("group"), "g")),
    ("jobType", {"jobType": "train"}, eq(r("job_type"), "train")),
    ("run_prefix", {"run.exit_code": 0}, eq(r("exit_code"), 0)),
    ("ne", {"config.lr": {"$ne": 1}}, Compare(c("lr"), "!=", 1)),
    ("in", {"config.o": {"$in": ["a", "b"]}}, Or((eq(c("o"), "a"), eq(c("o"), "b")))),
    (
        "nin",
        {"config.o": {"$nin": ["a", "b"]}},
        And((Compare(c("o"), "!=", "a"), Compare(c("o"), "!=", "b"))),
    ),
    ("exists_true", {"config.w": {"$exists": True}}, Exists(c("w"))),
    ("exists_false", {"config.w": {"$exists": False}}, Not(Exists(c("w")))),
    ("list_value", {"config.l": [1, 2]}, eq(c("l"), (1, 2))),
    ("null_value", {"config.l": None}, eq(c("l"), None)),
    ("tags_value", {"tags": "baseline"}, Membership("baseline", r("tags"))),
    ("tags_ne", {"tags": {"$ne": "x"}}, Membership("x", r("tags"), negated=True)),
    (
        "tags_in",
        {"tags": {"$in": ["a", "b"]}},
        Or((Membership("a", r("tags")), Membership("b", r("tags")))),
    ),
    ("tags_list", {"tags": ["a"]}, eq(r("tags"), ("a",))),
    (
        "two_operators",
        {"config.lr": {"$gt": 0, "$lt": 1}},
        And((Compare(c("lr"), ">", 0), Compare(c("lr"), "<", 1))),
    ),
    (
        "implicit_and",
        {"config.a": 1, "state": "x"},
        And((eq(c("a"), 1), eq(r("state"), "x"))),
    ),
    (
        "or",
        {"$or": [{"config.a": 1}, {"config.a": 2}]},
        Or((eq(c("a"), 1), eq(c("a"), 2))),
    ),
    (
        "and_or",
        {"$and": [{"config.a": 1}, {"$or": [{"tags": "x"}, {"state": "y"}]}]},
        And((eq(c("a"), 1), Or((Membership("x", r("tags")), eq(r("state"), "y"))))),
    ),
    ("nor", {"$nor": [{"config.a": 1}]}, Not(Or((eq(c("a"), 1),)))),
    ("not", {"config.a": {"$not": {"$gt": 1}}}, Not(Compare(c("a"), ">", 1))),
]


@pytest.mark.parametrize(
    ("filters", "expected"), [f[1:] for f in FILTERS], ids=[f[0] for f in FILTERS]
)
def test_wandb_filters_translate_into_the_query_tree(
    filters: dict[str, Any], expected: Node
) -> None:
    assert filters_to_query(filters) == expected


def test_wandb_filters_mean_what_the_equivalent_query_means() -> None:
    filters = {"config.lr": {"$lt": 0.01}, "$or": [{"tags": "baseline"}, {"state": "crashed"}]}
    query = 'lr < 0.01 and ("baseline" in run.tags or run.state == "crashed")'
    assert filters_to_query(filters) == parse_query(query)


FILTER_ERRORS: list[tuple[str, Any, str]] = [
    ("unknown_operator", {"config.lr": {"$lte": 1, "$foo": 2}}, "'$foo'"),
    ("unknown_operator_suggests", {"config.lr": {"$gtee": 2}}, "did you mean '$gte'?"),
    ("unknown_logical", {"$xor": []}, "'$xor'"),
    ("unknown_key", {"colour": "red"}, "unknown filter key 'colour'"),
    ("unknown_run_field", {"run.colour": "red"}, "unknown filter key 'run.colour'"),
    ("or_not_a_list", {"$or": {"config.a": 1}}, "needs a non-empty list"),
    ("in_not_a_list", {"config.a": {"$in": 1}}, "needs a list"),
    ("exists_not_bool", {"config.a": {"$exists": 1}}, "true or false"),
    ("regex_not_string", {"config.a": {"$regex": 1}}, "'~' needs a string"),
    ("bad_regex", {"config.a": {"$regex": "("}}, "bad regular expression"),
    ("lt_bool", {"config.a": {"$lt": True}}, "'<' needs a number or a string"),
    ("dict_value", {"config.a": {"b": 1}}, "only $-operators"),
    ("nan_value", {"config.a": math.nan}, "NaN"),
    ("object_value", {"config.a": object()}, "not a query value"),
    ("not_a_dict", [("config.a", 1)], "must be a dict"),
]


@pytest.mark.parametrize(
    ("filters", "message"), [f[1:] for f in FILTER_ERRORS], ids=[f[0] for f in FILTER_ERRORS]
)
def test_bad_wandb_filters_raise_query_error_naming_the_problem(filters: Any, message: str) -> None:
    with pytest.raises(QueryError) as info:
        filters_to_query(filters)
    assert message in str(info.value)


# -- sort keys ------------------------------------------------------------------------------
ORDERS: list[tuple[Any, list[OrderKey]]] = [
    ("summary.val_loss", [OrderKey("s", "val_loss")]),
    ("-summary.acc", [OrderKey("s", "acc", descending=True)]),
    ("+summary.acc", [OrderKey("s", "acc")]),
    ("lr", [OrderKey("c", "lr")]),
    ("train.epochs", [OrderKey("c", "train.epochs")]),
    ("config.`a.b`", [OrderKey("c", "`a.b`")]),
    ("run.created_at", [OrderKey("r", "created_at")]),
    ("-run.group", [OrderKey("r", "group", descending=True)]),
    (["-summary.acc", "lr"], [OrderKey("s", "acc", True), OrderKey("c", "lr")]),
    ("-summary.acc, run.name", [OrderKey("s", "acc", True), OrderKey("r", "name")]),
    (("lr",), [OrderKey("c", "lr")]),
]


@pytest.mark.parametrize(("spec", "keys"), ORDERS, ids=[str(o[0]) for o in ORDERS])
def test_sort_keys_are_parsed_into_order_keys(spec: Any, keys: list[OrderKey]) -> None:
    assert parse_order(spec) == keys


ORDER_ERRORS = [
    ("empty", "", 0, "empty sort key"),
    ("unknown_run_field", "run.nam", 4, "did you mean 'name'?"),
    ("trailing", "lr desc", 3, "unexpected 'desc'"),
    ("double_minus", "--lr", 1, "expected a path"),
    ("number", "1", 0, "expected a path"),
    ("unclosed_backtick", "`lr", 0, "unclosed '`'"),
]


@pytest.mark.parametrize(
    ("spec", "position", "message"), [e[1:] for e in ORDER_ERRORS], ids=[e[0] for e in ORDER_ERRORS]
)
def test_bad_sort_keys_raise_query_error_at_the_column(
    spec: str, position: int, message: str
) -> None:
    with pytest.raises(QueryError) as info:
        parse_order(spec)
    assert message in info.value.message
    assert info.value.position == position


def test_a_run_id_lookup_uses_the_index_on_id(tmp_path: pathlib.Path) -> None:
    import sqlite3

    from runconfig.store import open_store

    open_store(str(tmp_path / "runs.db")).close()
    fragment = compile_query(parse_query('run.id == "abc" and not run.name == "x"'), "sqlite")
    conn = sqlite3.connect(tmp_path / "runs.db")
    try:
        plan = conn.execute(
            f"EXPLAIN QUERY PLAN SELECT r.rid FROM rc_runs r WHERE {fragment.sql}",
            fragment.params,
        ).fetchall()
    finally:
        conn.close()
    assert "(id=?)" in str(plan)


def test_a_long_in_list_compiles_to_sql_sqlite_accepts(tmp_path: pathlib.Path) -> None:
    import sqlite3

    from runconfig.store import open_store

    open_store(str(tmp_path / "runs.db")).close()
    values = ", ".join(str(i) for i in range(3000))
    fragment = compile_query(
        parse_query(f"lr in [{values}] and run.id not in ['a', 'b']"), "sqlite"
    )
    conn = sqlite3.connect(tmp_path / "runs.db")
    try:
        rows = conn.execute(f"SELECT r.rid FROM rc_runs r WHERE {fragment.sql}", fragment.params)
        assert rows.fetchall() == []
    finally:
        conn.close()
