"""§4 rules: rectification, client notice, records closed before acceptance, inspector role."""

from __future__ import annotations

from editing import assert_at, dossier, edit, fired, reinspected

QC3 = f"{dossier('ORD-2026-0003')}/quality/QC-2026-0003-01.yaml"  # the order is accepted
DEFECT = [{"type": "functional", "severity": "major", "description": "查詢逾時 Lookup times out"}]
RECT = {
    "action": "rework",
    "description": "返工",
    "client_notified_on": "2026-11-06",  # the day of the inspection that found the defect
    "completed_on": "2026-11-06",
    "verified_by": "liu.yihsuan",
}


def test_failed_inspection_without_rectification(archive):
    reinspected(archive, "ORD-2026-0003", "2026-11-07")
    edit(archive, QC3, lambda d: d.update(result="fail", defects=DEFECT))
    [problem] = fired(archive, "quality.no-rectification")
    assert_at(problem, archive, QC3, "result", clause="§4.4")
    edit(archive, QC3, lambda d: d.update(rectification=RECT))
    assert fired(archive, "quality.no-rectification") == []


def test_client_is_notified_of_the_rectification(archive):
    quiet = {k: v for k, v in RECT.items() if k != "client_notified_on"}
    edit(archive, QC3, lambda d: d.update(result="fail", defects=DEFECT, rectification=quiet))
    [problem] = fired(archive, "quality.client-not-notified")
    assert_at(problem, archive, QC3, "rectification", clause="§4.4")


def test_quality_record_closed_before_acceptance(archive):
    assert fired(archive, "quality.open-at-acceptance") == []
    reinspected(archive, "ORD-2026-0003", "2026-11-07")
    edit(archive, QC3, lambda d: (d.update(status="rectifying", result="fail", defects=DEFECT, rectification={**RECT}), d.pop("closed_on")))
    edit(archive, QC3, lambda d: d["rectification"].pop("completed_on"))
    [problem] = fired(archive, "quality.open-at-acceptance")
    assert_at(problem, archive, QC3, "status", clause="§4.4")


def test_inspector_holds_the_role(archive):
    edit(archive, QC3, lambda d: d.update(inspector="lin.yating"))
    [problem] = fired(archive, "quality.inspector-role")
    assert_at(problem, archive, QC3, "inspector", clause="§4.3")
