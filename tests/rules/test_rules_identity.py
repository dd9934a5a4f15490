"""References resolve: orders, people, departments, borrowed and disposed records."""

from __future__ import annotations

import shutil

from editing import TODAY, assert_at, dossier, edit, fired, problems, write

O5 = f"{dossier('ORD-2026-0005')}/order.yaml"
BR1 = "records/archive/borrowing/BR-2026-0001.yaml"


def test_people_named_in_records_exist(archive):
    assert fired(archive, "reference.unknown-person") == []
    edit(archive, O5, lambda d: d["work_plan"]["tasks"][1].update(owner="no.body"))
    [problem] = fired(archive, "reference.unknown-person")
    assert problem.message == "no.body is not a person in organization.yaml"
    assert_at(problem, archive, O5, "work_plan", "tasks", 1, "owner", clause="§1.4")


def test_the_rules_let_go_of_their_walks_and_find_the_same_again(archive):
    from generator.pipeline import check_archive
    from generator.rules import run_rules

    edit(archive, O5, lambda d: d["work_plan"]["tasks"][1].update(owner="no.body"))
    catalog = check_archive(archive, TODAY, history=False).catalog
    first = run_rules(catalog)
    assert "references" not in catalog.__dict__ and "attachment_refs" not in catalog.__dict__  # no page reads them
    assert run_rules(catalog) == first and any(p.rule == "reference.unknown-person" for p in first)


def test_departments_named_in_records_exist(archive):
    edit(archive, BR1, lambda d: d.update(department="legal"))
    found = [p for p in problems(archive) if p.rule == "reference.unknown-department"]  # loan.approver-not-head too
    assert [p.message for p in found] == ["legal is not a department in organization.yaml"]
    assert_at(found[0], archive, BR1, "department", clause="§1.4")


def test_dossier_records_need_their_order(archive):
    assert fired(archive, "reference.unknown-order") == []
    (archive / O5).unlink()
    found = fired(archive, "reference.unknown-order")
    assert [p.path for p in found] == [f"{dossier('ORD-2026-0005')}/quality/QC-2026-0005-01.yaml"]
    assert found[0].clause == "§8.1"


def test_a_broken_order_file_does_not_cascade(archive):
    (archive / O5).write_text("kind: order\nid: ORD-2026-0005\n")
    rules = {p.rule for p in problems(archive)}
    assert "schema.required" in rules
    assert "reference.unknown-order" not in rules


def test_borrowed_records_exist_or_were_destroyed(archive):
    edit(archive, BR1, lambda d: d.update(records=["ORD-2026-0099"]))
    [problem] = fired(archive, "reference.unknown-record")
    assert_at(problem, archive, BR1, "records", 0, clause="§8.3")
    edit(archive, BR1, lambda d: d.update(records=["ORD-2014-0002"]))  # destroyed by DS-2026-0001
    assert fired(archive, "reference.unknown-record") == []


def test_pending_disposal_lists_existing_records(archive):
    proposal = {
        "kind": "disposal",
        "schema_version": 1,
        "id": "DS-2026-0002",
        "items": [{"record": "ORD-2014-0001", "retention_until": "2024-12-31"}],
        "reason": "到期",
        "proposed_by": "chou.peichun",
        "proposed_on": "2026-10-01",
        "method": "shredding",
    }
    write(archive, "records/archive/disposals/DS-2026-0002.yaml", proposal)
    [problem] = fired(archive, "reference.unknown-record")
    assert "no record ORD-2014-0001 to destroy" in problem.message


def test_ids_are_unique(archive, tmp_path):
    # Two files cannot hold one id through the layout, so a duplicate needs a second archive root.
    copy = tmp_path / "copy"
    shutil.copytree(archive, copy)
    from generator.pipeline import check_archive
    from generator.records.catalog import build_catalog
    from generator.rules.identity import duplicate_ids

    entries = check_archive(archive).catalog.entries
    doubled = build_catalog(archive, entries + [e for e in entries if e.kind == "loan"][:1], check_archive(archive).catalog.today)
    [finding] = list(duplicate_ids(doubled))
    assert finding.loc == ("id",)
    assert fired(archive, "record.duplicate-id") == []
