"""§8 rules: retention and approved destruction, the borrowing register."""

from __future__ import annotations

import shutil
from datetime import date

from editing import assert_at, dossier, edit, fired, problems, write

BR1 = "records/archive/borrowing/BR-2026-0001.yaml"  # returned
BR2 = "records/archive/borrowing/BR-2026-0002.yaml"  # overdue
DS1 = "records/archive/disposals/DS-2026-0001.yaml"  # carried out


def test_loan_approved_by_the_head_of_the_borrowers_department(archive):
    assert fired(archive, "loan.approver-not-head") == []
    edit(archive, BR1, lambda d: d.update(approved_by="tsai.mingche"))
    [problem] = fired(archive, "loan.approver-not-head")
    assert "huang.shuhua is" in problem.message
    assert_at(problem, archive, BR1, "approved_by", clause="§8.3")


def test_loan_department_is_the_borrowers(archive):
    edit(archive, BR1, lambda d: d.update(department="sales", approved_by="lin.yating"))
    [problem] = fired(archive, "loan.approver-not-head")
    assert_at(problem, archive, BR1, "department", clause="§8.3")


def test_loan_no_longer_than_the_maximum(archive):
    assert fired(archive, "loan.too-long") == []
    edit(archive, BR1, lambda d: d.update(due_on="2026-06-30", returned_on="2026-06-30"))
    [problem] = fired(archive, "loan.too-long")
    assert "38 days; the most is 30" in problem.message
    assert_at(problem, archive, BR1, "due_on", clause="§8.3")


def test_overdue_loan_relative_to_today(archive):
    [problem] = fired(archive, "loan.overdue")
    assert_at(problem, archive, BR2, "due_on", clause="§8.3")
    assert str(problem.severity) == "warning"
    assert fired(archive, "loan.overdue", today=date(2026, 10, 28)) == []


def test_retention_expiry_is_a_warning_until_disposed(archive):
    d1 = dossier("ORD-2025-0001")
    assert fired(archive, "archive.retention-expired") == []
    found = fired(archive, "archive.retention-expired", today=date(2040, 1, 1))
    paths = {p.path for p in found}
    assert f"{d1}/order.yaml" in paths and f"{d1}/quality/QC-2025-0001-01.yaml" in paths
    assert all(str(p.severity) == "warning" and p.clause == "§8.2" for p in found)


def test_destroyed_records_are_gone(archive):
    assert fired(archive, "disposal.record-still-present") == []
    edit(archive, DS1, lambda d: d["items"].append({"record": "BR-2026-0001", "retention_until": "2026-05-31"}))
    found = problems(archive)  # it is also destroyed too early: disposal.under-retention
    [problem] = [p for p in found if p.rule == "disposal.record-still-present"]
    assert_at(problem, archive, DS1, "items", 6, "record", clause="§8.2")


def test_disposal_only_of_expired_records(archive):
    def propose(data):
        data.pop("destroyed_on")
        data.pop("witness")
        data["items"] = [{"record": "BR-2026-0001", "retention_until": "2026-05-31"}]

    edit(archive, DS1, propose)
    [problem] = fired(archive, "disposal.under-retention")
    assert "must be kept until 2029-05-31" in problem.message
    assert_at(problem, archive, DS1, "items", 0, "record", clause="§8.2")


def test_disposal_of_an_open_dossier(archive):
    def propose(data):
        data.pop("destroyed_on")
        data.pop("witness")
        data["items"] = [{"record": "ORD-2026-0005", "retention_until": "2026-01-01"}]

    edit(archive, DS1, propose)
    [problem] = fired(archive, "disposal.under-retention")
    assert "still open" in problem.message


def test_destruction_needs_the_heads_the_policy_names(archive):
    assert fired(archive, "disposal.unapproved") == []
    edit(archive, DS1, lambda d: d["approvals"].pop())
    [problem] = fired(archive, "disposal.unapproved")
    assert "management" in problem.message
    assert_at(problem, archive, DS1, "approvals", clause="§8.2")
    edit(archive, DS1, lambda d: d["approvals"].append({"by": "cheng.yuhsiang", "department": "management", "on": "2026-08-27"}))
    [problem] = fired(archive, "disposal.unapproved")
    assert "works in quality" in problem.message


def test_approved_disposal_proposal_needs_no_approval_yet(archive, tmp_path):
    proposal = {
        "kind": "disposal",
        "schema_version": 1,
        "id": "DS-2026-0002",
        "items": [{"record": "BR-2026-0001", "retention_until": "2029-05-31"}],
        "reason": "到期",
        "proposed_by": "chou.peichun",
        "proposed_on": "2029-06-01",
        "method": "shredding",
    }
    write(archive, "records/archive/disposals/DS-2026-0002.yaml", proposal)
    assert fired(archive, "disposal.unapproved") == []
    assert fired(archive, "disposal.under-retention") == []
    shutil.rmtree(tmp_path, ignore_errors=True)
