"""The safe reader: every refusal, the YAML 1.1 traps, positions, and the writer's round trip."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from generator.records.safeyaml import MAX_BYTES, MAX_DEPTH, dump, locate, parse, position_of


def refused(text: str | bytes) -> list[tuple[int, int, str, str]]:
    data = text.encode() if isinstance(text, str) else text
    value, problems = parse(data, "r.yaml")
    assert value is None, "the file should have been refused"
    assert problems
    assert all(p.path == "r.yaml" for p in problems)
    return [(p.line, p.col, p.rule, p.message) for p in problems]


def test_plain_mapping_reads_as_plain_values():
    value, problems = parse(b"a: text\nb: 12\nc: [1, two]\nd:\n  e: null\n", "r.yaml")
    assert problems == []
    assert value == {"a": "text", "b": 12, "c": [1, "two"], "d": {"e": None}}


def test_duplicate_key_names_both_lines():
    [(line, col, rule, message)] = refused("kind: order\nid: A\nstatus: x\nid: B\n")
    assert (line, col, rule) == (4, 1, "yaml.duplicate-key")
    assert "'id'" in message and "line 2" in message


def test_duplicate_key_in_nested_mapping_is_found():
    [(line, _, rule, message)] = refused("a:\n  b: 1\n  c: 2\n  b: 3\n")
    assert (line, rule) == (4, "yaml.duplicate-key")
    assert "line 2" in message


def test_anchor_and_alias_are_refused():
    problems = refused("a: &x 1\nb: *x\n")
    assert [(p[0], p[2]) for p in problems] == [(1, "yaml.anchor"), (2, "yaml.alias")]


def test_alias_bomb_is_refused_without_expanding():
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for level in "bcdefghi":
        prev = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
    problems = refused(bomb)
    assert {p[2] for p in problems} >= {"yaml.anchor", "yaml.alias"}


def test_merge_key_is_refused():
    [(line, _, rule, _)] = refused("base: 1\n<<: {a: 1}\n")
    assert (line, rule) == (2, "yaml.merge-key")


@pytest.mark.parametrize("text", ["a: !!python/object/apply:os.system ['ls']\n", "a: !!float 1\n", "a: !custom x\n", "a: !!map {b: 1}\n"])
def test_explicit_tags_are_refused(text):
    problems = refused(text)
    assert problems[0][:3] == (1, 4, "yaml.tag")


def test_more_than_one_document_is_refused():
    [(line, _, rule, _)] = refused("a: 1\n---\nb: 2\n")
    assert (line, rule) == (2, "yaml.multiple-documents")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "{}\n"])
def test_empty_file_is_refused(text):
    assert refused(text)[0][2] == "yaml.empty"


@pytest.mark.parametrize(("text", "what"), [("- a\n- b\n", "a list"), ("just text\n", "a single value")])
def test_top_level_must_be_a_mapping(text, what):
    [(_, _, rule, message)] = refused(text)
    assert rule == "yaml.not-mapping"
    assert what in message


def test_non_utf8_bytes_are_located():
    [(line, col, rule, _)] = refused(b"a: ok\nb: caf\xe9\n")
    assert (line, col, rule) == (2, 7, "yaml.encoding")


def test_utf16_is_refused_as_not_utf8():
    assert refused("a: 1\n".encode("utf-16"))[0][2] == "yaml.encoding"


def test_utf8_byte_order_mark_is_accepted():
    assert parse("\ufeffa: 中文\n".encode(), "r.yaml") == ({"a": "中文"}, [])


def test_tabs_are_refused_on_every_line_with_one():
    problems = refused("a:\n\tb: 1\nc: x\td\n")
    assert [(p[0], p[1], p[2]) for p in problems] == [(2, 1, "yaml.tab"), (3, 5, "yaml.tab")]


def test_oversized_file_is_refused_unread():
    [(_, _, rule, _)] = refused(b"a: " + b"x" * MAX_BYTES + b"\n")
    assert rule == "yaml.too-large"


def test_excessive_depth_is_refused():
    deep = "a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n"
    assert refused(deep)[0][2] == "yaml.too-deep"


def test_depth_at_the_limit_is_accepted():
    ok = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    assert parse(ok.encode(), "r.yaml")[1] == []


def test_complex_keys_are_refused():
    assert refused("? [a, b]\n: 1\n")[0][2] == "yaml.complex-key"


def test_syntax_error_is_located():
    [(line, _, rule, message)] = refused("a: 1\nb: [1, 2\nc: 3\n")
    assert rule == "yaml.syntax"
    assert line >= 2
    assert "could not be read" in message and "not valid YAML" not in message  # libyaml failing is not proof the YAML is invalid


def test_control_characters_in_the_stream_are_located():
    [(line, col, rule, message)] = refused("a: 1\nb: x\x07c\n")
    assert (line, col, rule) == (2, 5, "yaml.character")
    assert "U+0007" in message


@pytest.mark.parametrize(
    ("plain", "expected"),
    [
        ("NO", "NO"),
        ("no", "no"),
        ("Yes", "Yes"),
        ("on", "on"),
        ("1:30", "1:30"),
        ("0123", "0123"),
        ("0x1F", "0x1F"),
        ("1e3", "1e3"),
        ("1_000", "1_000"),
        (".inf", ".inf"),
        ("2026-01-05", "2026-01-05"),
        ("2026-01-05T10:00:00", "2026-01-05T10:00:00"),
        ("1200000.10", Decimal("1200000.10")),
        ("-3", -3),
        ("0", 0),
        ("true", True),
        ("FALSE", False),
        ("~", None),
        ("null", None),
    ],
)
def test_yaml_11_surprises_never_change_a_value(plain, expected):
    value, problems = parse(f"v: {plain}\n".encode(), "r.yaml")
    assert problems == []
    assert value["v"] == expected
    assert type(value["v"]) is type(expected)


def test_unquoted_decimal_is_exact_not_float():
    value, _ = parse(b"v: 1200000.10\nw: 0.1\n", "r.yaml")
    assert value["v"] == Decimal("1200000.10") and str(value["v"]) == "1200000.10"
    assert value["w"] + value["w"] + value["w"] == Decimal("0.3")


def test_quoted_scalars_stay_text():
    value, _ = parse(b"a: '12'\nb: \"true\"\nc: 'null'\n", "r.yaml")
    assert value == {"a": "12", "b": "true", "c": "null"}


def test_block_scalars_keep_their_lines():
    value, _ = parse("a: |\n  第一行\n  second\n".encode(), "r.yaml")
    assert value == {"a": "第一行\nsecond\n"}


def test_locate_gives_line_and_column_of_every_key_and_item():
    text = b"kind: order\nintake:\n  client:\n    name: X\ntasks:\n  - id: T1\n  - id: T2\n    due: 2026-01-01\n"
    positions = locate(text)
    assert positions[("kind",)] == (1, 1)
    assert positions[("intake", "client", "name")] == (4, 5)
    assert positions[("tasks", 1)] == (7, 5)
    assert positions[("tasks", 1, "due")] == (8, 5)
    assert position_of(positions, ("intake", "client", "missing")) == (3, 3)
    assert position_of(positions, ("nowhere",)) == (1, 1)


def test_every_problem_of_a_file_is_reported_not_just_the_first():
    problems = refused("a: &x 1\nb: !!str 2\nc: 3\nc: 4\n")
    assert [p[2] for p in problems] == ["yaml.anchor", "yaml.tag", "yaml.duplicate-key"]


@pytest.mark.parametrize(
    "value",
    [
        "NO",
        "0123",
        "1:30",
        "- dash",
        "key: value",
        "# hash",
        " leading space",
        "trailing space ",
        "中文 #1",
        "true",
        "null",
        "",
        "'quoted'",
        '"dq"',
        "@at",
        "line one\nline two",
        "ends with newline\n",
        "a\\b",
        "{braces}",
        "[brackets]",
    ],
)
def test_dump_round_trips_text(value):
    record = {"kind": "x", "v": value, "list": [value, {"k": value}]}
    assert parse(dump(record).encode(), "r.yaml") == (record, [])


def test_dump_writes_amounts_quoted_and_dates_plain():
    text = dump({"budget": Decimal("1200000.50"), "on": date(2026, 1, 5), "n": 3, "ok": True, "none": None})
    assert 'budget: "1200000.50"' in text
    assert "on: 2026-01-05" in text
    assert parse(text.encode(), "r.yaml")[0] == {"budget": "1200000.50", "on": "2026-01-05", "n": 3, "ok": True, "none": None}


def test_equal_text_in_two_files_is_one_string():
    """A large archive holds the same ids, people, dates and states thousands of times: each is kept once."""
    first, _ = parse(b"id: ORD-2026-0001\nowner: lin.yating\ntags: [done, done]\n", "a.yaml")
    second, _ = parse(b"'id': 'ORD-2026-0001'\nowner: lin.yating\n", "b.yaml")
    assert first == {"id": "ORD-2026-0001", "owner": "lin.yating", "tags": ["done", "done"]}
    assert first["id"] is second["id"] and first["owner"] is second["owner"]
    assert first["tags"][0] is first["tags"][1]
    assert next(iter(first)) is next(iter(second))
