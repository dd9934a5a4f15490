"""The synthetic archive: deterministic, valid, and covering every kind and lifecycle state."""

from __future__ import annotations

from pathlib import Path

from generator.demo.archive import demo_files
from generator.demo.company import TODAY
from generator.pipeline import check_archive
from schemas import OrderStatus

ROOT = Path(__file__).resolve().parents[2]


def test_same_seed_same_archive():
    assert demo_files(12, seed=5) == demo_files(12, seed=5)
    assert demo_files(12, seed=5) != demo_files(12, seed=6)


def test_bundled_demo_validates_and_shows_every_kind_and_state():
    checked = check_archive(ROOT, TODAY, history=False)
    entries = checked.catalog.entries
    assert [p.format() for p in checked.problems if p.severity == "error"] == []
    kinds = {e.kind for e in entries}
    assert kinds == {"organization", "policy", "order", "change_request", "quality_record", "delivery", "settlement", "loan", "disposal"}
    statuses = {e.model.status for e in entries if e.kind == "order"}
    assert statuses == set(OrderStatus)
    orders = [e for e in entries if e.kind == "order"]
    assert len(orders) >= 15
    assert len({e.model.id[4:8] for e in orders}) >= 2  # two or more years


def test_bundled_demo_shows_the_special_cases():
    entries = check_archive(ROOT, TODAY, history=False).catalog.entries
    models = [e.model for e in entries]
    assert any(m.kind == "change_request" and m.major and m.major_review for m in models)
    assert any(m.kind == "quality_record" and m.result == "fail" and m.rectification and m.rectification.action == "rework" for m in models)
    assert any(m.kind == "loan" and m.borrowed_on and not m.returned_on and m.due_on < TODAY for m in models)
    assert any(m.kind == "disposal" and m.destroyed_on for m in models)
    names = [m.intake.client.name for m in models if m.kind == "order"]
    assert any("股份有限公司" in n for n in names)
    assert any("有限公司" in n and "股份" not in n for n in names)


def test_larger_archives_validate_cleanly(tmp_path: Path):
    for rel, content in demo_files(120, seed=11).items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    checked = check_archive(tmp_path, TODAY)
    entries = checked.catalog.entries
    assert [p.format() for p in checked.problems if p.severity == "error"] == []
    assert sum(e.kind == "order" for e in entries) == 120


def test_bundled_demo_shows_deliberate_deadline_findings():
    """A pending acceptance and an overdue invoice are flagged; a delivery within its approved extension is not."""
    checked = check_archive(ROOT, TODAY, history=False)
    fired = {p.rule for p in checked.problems}
    assert {"delivery.acceptance-pending", "settlement.unpaid-invoice"} <= fired
    assert all(p.attention for p in checked.problems if p.rule in ("delivery.acceptance-pending", "settlement.unpaid-invoice"))
    extended = [
        d
        for d in checked.catalog.dossiers.values()
        if d.delivery is not None and any(c.model.new_delivery_due for c in d.changes) and d.delivery.model.delivered_on > d.order.model.intake.delivery_due
    ]
    assert extended and "delivery.late" not in fired
