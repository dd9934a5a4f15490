"""Helpers to break a demo archive one record at a time and see which rule fires where."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from generator.core.problems import Problem
from generator.pipeline import check_archive
from generator.records.layout import dossier_folder
from generator.records.safeyaml import dump, locate, parse

TODAY = date(2026, 11, 20)
"""The demo's own "now": deadlines are judged as of this date in tests."""


def dossier(order_id: str) -> str:
    return dossier_folder(order_id)


def read(root: Path, rel: str) -> dict[str, Any]:
    data, problems = parse((root / rel).read_bytes(), rel)
    assert data is not None, problems
    return data


def write(root: Path, rel: str, data: dict[str, Any]) -> None:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(dump(data), encoding="utf-8")


def edit(root: Path, rel: str, change: Callable[[dict[str, Any]], object]) -> None:
    data = read(root, rel)
    change(data)
    write(root, rel, data)


def problems(root: Path, today: date = TODAY) -> list[Problem]:
    return check_archive(root, today).problems


def fired(root: Path, rule_id: str, today: date = TODAY) -> list[Problem]:
    """The problems of one rule; every other error in the archive fails the test (edits stay surgical)."""
    found = problems(root, today)
    others = [p.format() for p in found if p.rule != rule_id and p.severity == "error"]
    assert not others, others
    return [p for p in found if p.rule == rule_id]


def line_of(root: Path, rel: str, *loc: str | int) -> int:
    return locate((root / rel).read_bytes())[loc][0]


def assert_at(problem: Problem, root: Path, rel: str, *loc: str | int, clause: str | None = None) -> None:
    """The problem points at ``rel``, on the line of field ``loc``, citing ``clause``."""
    assert problem.path == rel
    assert problem.line == line_of(root, rel, *loc), problem.format()
    if clause is not None:
        assert clause in (problem.clause or ""), problem.format()


def reinspected(root: Path, order_id: str, on: str, inspector: str = "cheng.yuhsiang") -> str:
    """Add a passing final inspection to a dossier, so a test may break its other quality records without leaving it uninspected (§4.3)."""
    number = order_id.removeprefix("ORD-")
    rel = f"{dossier(order_id)}/quality/QC-{number}-09.yaml"
    record = {
        "kind": "quality_record",
        "schema_version": 1,
        "id": f"QC-{number}-09",
        "order": order_id,
        "status": "closed",
        "stage": "inspection",
        "inspected_on": on,
        "inspector": inspector,
        "standard": "QS-01 軟體交付檢驗規範",
        "result": "pass",
        "closed_on": on,
    }
    write(root, rel, record)
    return rel
