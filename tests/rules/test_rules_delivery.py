"""§5 rules: documents, objections, dispute escalation, notice to Sales and Finance."""

from __future__ import annotations

from editing import assert_at, dossier, edit, fired

DL3 = f"{dossier('ORD-2026-0003')}/delivery.yaml"
DL4 = f"{dossier('ORD-2026-0004')}/delivery.yaml"  # disputed


def test_delivery_needs_documents(archive):
    assert fired(archive, "delivery.no-documents") == []
    edit(archive, DL3, lambda d: d.update(documents=[]))
    (archive / dossier("ORD-2026-0003") / "attachments" / "delivery-user-guide.pdf").unlink()  # else a file no record lists
    [problem] = fired(archive, "delivery.no-documents")
    assert_at(problem, archive, DL3, "delivered_on", clause="§5.1")


def test_open_objection_past_the_policys_days_is_a_warning(archive):
    objection = {"raised_on": "2026-10-01", "description": "報表缺漏", "status": "open"}
    edit(archive, DL3, lambda d: d.update(objections=[objection]))
    [problem] = fired(archive, "delivery.objection-open")
    assert str(problem.severity) == "warning" and "open after 50 days" in problem.message
    assert_at(problem, archive, DL3, "objections", 0, "status", clause="§5.3")


def test_escalated_objection_needs_a_dispute(archive):
    assert fired(archive, "delivery.escalated-without-dispute") == []
    edit(archive, DL4, lambda d: d.pop("dispute"))
    [problem] = fired(archive, "delivery.escalated-without-dispute")
    assert_at(problem, archive, DL4, "objections", 0, "status", clause="§5.3")


def test_sales_and_finance_are_told(archive):
    assert fired(archive, "delivery.not-notified") == []
    edit(archive, DL3, lambda d: d.pop("notified"))
    [problem] = fired(archive, "delivery.not-notified")
    assert_at(problem, archive, DL3, "delivered_on", clause="§5.4")
