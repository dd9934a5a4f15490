"""Every finding of every archive-wide rule is said in 繁體中文 as well as in English."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from generator.demo.archive import write_demo
from generator.pipeline import check_archive
from generator.rules import REGISTRY

RULES = Path(__file__).parents[2] / "generator" / "rules"


def test_every_finding_in_the_code_has_its_chinese_message():
    missing = []
    for path in sorted(RULES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Finding" and not any(k.arg == "zh" for k in node.keywords):
                missing.append(f"{path.name}:{node.lineno}")
    assert missing == []


def test_the_demos_findings_read_in_chinese_without_codes(tmp_path):
    write_demo(tmp_path, 60, seed=3)
    problems = [p for p in check_archive(tmp_path, history=False).problems if p.rule in REGISTRY and REGISTRY[p.rule].check is not None]
    assert len({p.rule for p in problems}) >= 5
    for problem in problems:
        assert problem.message_zh and re.search(r"[\u4e00-\u9fff]", problem.message_zh), problem.format()
        assert not re.search(r"\b(in_progress|on_track|not recorded|days ago|the policy allows)\b", problem.message_zh), problem.message_zh
