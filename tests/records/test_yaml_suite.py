"""The record reader against the official YAML test suite: every error refused, every valid document read
to exactly the suite's content or refused with a located reason — never read to something else.

The reader takes a deliberately small part of YAML (one block mapping per file, no anchors, tags or complex
keys), so many valid cases are refused; what matters is that nothing is silently read otherwise than YAML
1.2 says, which libyaml alone does for a few forms (a comment glued to a quote, spaces on a block's blank
lines, a '?' in a flow mapping, continuation lines left of their key).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from generator.records.safeyaml import parse

CASES = json.loads((Path(__file__).parents[1] / "fixtures/yaml-test-suite/cases.json").read_text(encoding="utf-8"))
ERRORS = [c for c in CASES if c.get("fail")]
VALID = [c for c in CASES if not c.get("fail")]


def _plain(value: Any) -> Any:
    """The reader's values as JSON has them (its decimals are exact; the suite's JSON has floats)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _expected(case: dict[str, Any]) -> tuple[bool, Any]:
    """(whether the suite's JSON is one document, that document)."""
    text = case.get("json")
    if text is None or not text.strip():
        return False, None
    try:
        return True, json.loads(text)
    except json.JSONDecodeError:  # several documents: the reader refuses those anyway
        return False, None


def test_the_suite_is_all_there():
    assert len(CASES) == 402 and len(ERRORS) == 94


@pytest.mark.parametrize("case", ERRORS, ids=[c["id"] for c in ERRORS])
def test_every_error_case_is_refused_at_a_place(case):
    data, problems = parse(case["yaml"].encode(), "case.yaml")
    assert data is None and problems, f"{case['id']} {case['name']}: accepted {data!r}"
    assert all(p.line >= 1 and p.col >= 1 and p.rule.startswith("yaml.") for p in problems)


@pytest.mark.parametrize("case", VALID, ids=[c["id"] for c in VALID])
def test_every_valid_case_is_read_exactly_or_refused_with_a_reason(case):
    data, problems = parse(case["yaml"].encode(), "case.yaml")
    if problems:
        assert data is None
        assert all(p.message and p.rule.startswith("yaml.") for p in problems)
        if any(p.rule == "yaml.syntax" for p in problems):  # libyaml could not read it: never called "invalid YAML"
            assert all("not valid YAML" not in p.message for p in problems)
        return
    single, expected = _expected(case)
    if single:
        assert _plain(data) == expected, f"{case['id']} {case['name']}: read {data!r}, the suite says {expected!r}"


def test_the_forms_libyaml_reads_otherwise_are_refused_with_what_to_write():
    said = {}
    for text in ['key: "value"# comment\n', "block: >#comment\n  x\n", "{ ?foo: bar }\n", "foo: |\n  x\n   \n", 'quoted: "a\nb"\n', "flow: [a,\nb]\n"]:
        data, problems = parse(text.encode(), "case.yaml")
        assert data is None, text
        said[text] = problems[0].message
    assert "space before its '#'" in said['key: "value"# comment\n']
    assert "'?' keys are not supported" in said["{ ?foo: bar }\n"]
    assert "indented more than its key" in said['quoted: "a\nb"\n'] and "indented more than its key" in said["flow: [a,\nb]\n"]
    data, problems = parse(b"a: 1\n? \n: value\n", "case.yaml")
    assert data is None and "empty or null key" in problems[0].message
