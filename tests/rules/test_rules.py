"""The rule registry and the compliance map, as a whole."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner
from editing import problems

from generator.cli import main
from generator.rules import REGISTRY
from generator.site.compliance import CLAUSES, compliance_map

TESTS = Path(__file__).parent


def test_clean_demo_shows_only_the_deliberate_warnings(archive: Path):
    found = problems(archive)
    assert sorted({(p.rule, str(p.severity)) for p in found}) == [("loan.overdue", "warning"), ("order.forwarded-late", "warning")]


def test_every_rule_is_described_in_both_languages_with_known_clauses():
    for rule in REGISTRY.values():
        assert re.fullmatch(r"[a-z]+\.[a-z-]+", rule.id), rule.id
        assert rule.en and rule.zh and any("\u4e00" <= c <= "\u9fff" for c in rule.zh), rule.id
        assert set(rule.clauses) <= set(CLAUSES), rule.id


def test_every_archive_rule_has_a_failing_test():
    """Each rule id with a check is asserted to fire somewhere in the tests."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in TESTS.glob("test_rules_*.py"))
    untested = [r.id for r in REGISTRY.values() if r.check and f'"{r.id}"' not in source]
    assert untested == []


def test_every_clause_is_accounted_for():
    rows = compliance_map()
    assert [r.clause for r in rows] == list(CLAUSES)
    assert [r.clause for r in rows if not r.checked] == []
    expected = [f"§{major}.{minor}" for major, count in [(1, 4), (2, 5), (3, 5), (4, 5), (5, 4), (6, 5), (7, 4), (8, 3)] for minor in range(1, count + 1)]
    assert list(CLAUSES) == expected


def test_the_map_is_derived_from_rules_and_fields():
    by_clause = {row.clause: row for row in compliance_map()}
    assert "order.forwarded-late" in by_clause["§2.3"].rules
    assert "loan.approver-not-head" in by_clause["§8.3"].rules
    assert "order.intake.channel" in by_clause["§2.1"].fields
    assert by_clause["§1.1"].rules == [] and by_clause["§1.1"].by_people


def test_orders_rules_lists_every_rule():
    result = CliRunner().invoke(main, ["rules", "--format", "json"])
    listed = json.loads(result.stdout)
    assert [r["id"] for r in listed] == list(REGISTRY)
    forwarded = next(r for r in listed if r["id"] == "order.forwarded-late")
    assert forwarded == {
        "id": "order.forwarded-late",
        "clauses": ["§2.3"],
        "severity": "warning",
        "layer": "archive",
        "timely": True,
        "description": {"en": forwarded["description"]["en"], "zh-Hant": forwarded["description"]["zh-Hant"]},
    }


def test_the_policy_names_exactly_the_rules_that_measure_a_deadline():
    from schemas.policy import TIMELY_RULES

    assert sorted(TIMELY_RULES) == sorted(r.id for r in REGISTRY.values() if r.timely)
    text = CliRunner().invoke(main, ["rules"]).stdout
    assert "order.forwarded-late" in text and "§2.3" in text


def test_validate_today_option_moves_deadlines(archive: Path):
    runner = CliRunner()
    early = runner.invoke(main, ["validate", str(archive), "--today", "2026-10-01", "--format", "json"])
    later = runner.invoke(main, ["validate", str(archive), "--today", "2026-11-20", "--format", "json"])
    assert not any(p["rule"] == "loan.overdue" for p in json.loads(early.stdout))
    assert any(p["rule"] == "loan.overdue" for p in json.loads(later.stdout))
    assert runner.invoke(main, ["validate", str(archive), "--today", "someday"]).exit_code == 2


def test_fast_top_level_positions_agree_with_the_parser(archive: Path):
    from generator.records.catalog import _top_level_line
    from generator.records.safeyaml import locate

    for path in archive.rglob("*.yaml"):
        raw = path.read_bytes()
        for loc, (line, _) in locate(raw).items():
            if len(loc) == 1:
                assert _top_level_line(raw, loc[0]) == line, (path, loc)
    assert _top_level_line(b"a: 1\n", "b") is None
    assert _top_level_line(b"ab: 1\nb: 2\n", "b") == 2
