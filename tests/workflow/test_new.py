"""orders new: the next free number across branch and main line, known values filled in, never overwrite."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner
from editing import dossier, write
from gitrepo import git, make_repo

from generator.cli import main
from generator.core.problems import UserError
from generator.records.validate import validate_source
from generator.workflow.new import create, plan

TODAY = date(2026, 11, 27)


def test_next_order_number_follows_the_work_tree(archive):
    path, record_id, _ = plan(archive, "order", TODAY)
    assert record_id == "ORD-2026-0009" and path == "records/orders/2026/ORD-2026-0009/order.yaml"


def test_numbers_taken_on_the_main_line_are_skipped(tmp_path):
    root = make_repo(tmp_path)
    git(root, "checkout", "-q", "-b", "other", "main")
    write(root, f"{dossier('ORD-2026-0009')}/order.yaml", {"kind": "order"})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "taken on another branch")
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--no-ff", "-m", "merge", "other")
    git(root, "checkout", "-q", "-b", "mine", "main~1")  # a branch started before that merge
    assert not (root / dossier("ORD-2026-0009")).exists()
    assert plan(root, "order", TODAY)[1] == "ORD-2026-0010"


def test_change_numbers_count_within_the_order(archive):
    assert plan(archive, "change", TODAY, "ORD-2026-0003")[1] == "CR-2026-0003-02"
    assert plan(archive, "quality", TODAY, "ORD-2026-0005")[1] == "QC-2026-0005-02"
    assert plan(archive, "borrowing", TODAY)[1] == "BR-2026-0005"


def test_dossier_kinds_need_an_existing_order(archive):
    with pytest.raises(UserError, match="needs --order"):
        plan(archive, "change", TODAY)
    with pytest.raises(UserError, match="there is no"):
        plan(archive, "delivery", TODAY, "ORD-2026-0099")


def test_never_overwrites(archive):
    with pytest.raises(UserError, match="never overwritten"):
        create(archive, "delivery", TODAY, "ORD-2026-0003")


def test_new_record_is_commented_and_prefilled(archive):
    target = create(archive, "change", TODAY, "ORD-2026-0005", email="chen.yichun@hongxin.example")
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../../../../records/.schemas/change_request.schema.json")
    assert "id: CR-2026-0005-01" in text and "order: ORD-2026-0005" in text and "status: requested" in text
    assert "recorded_by: chen.yichun" in text and "requested_on: 2026-11-27" in text
    assert "變更原因" in text and "(§7.1)" in text


def test_only_what_a_person_must_write_is_left_to_fix(archive):
    target = create(archive, "order", TODAY, email="lin.yating@hongxin.example")
    from generator.records.layout import place_of
    from generator.records.load import Source
    from generator.records.safeyaml import parse

    raw = target.read_bytes()
    rel = target.relative_to(archive).as_posix()
    data, problems = parse(raw, rel)
    assert problems == []
    _, found = validate_source(Source(rel, place_of(rel.removeprefix("records/")), raw, data))
    fields = {p.message.split(":")[0] for p in found}
    assert fields == {
        "intake.channel",
        "intake.client.name",
        "intake.client.contact",
        "intake.project_name",
        "intake.service_type",
        "intake.service_content",
        "intake.budget",
        "intake.currency",
        "intake.delivery_due",  # nobody knows it when the file is made: left empty, never today
    }
    delivery_due = next(p for p in found if p.message.startswith("intake.delivery_due"))
    assert "is empty: write the date as YYYY-MM-DD" in delivery_due.message
    assert "delivery_due:  # YYYY-MM-DD:" in raw.decode() and f"received_on: {TODAY}" in raw.decode()


def test_orders_new_command(archive):
    result = CliRunner().invoke(main, ["new", "borrowing", "--root", str(archive), "--as", "tsai.mingche@hongxin.example", "--today", "2026-11-27"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "records/archive/borrowing/BR-2026-0005.yaml"
    assert "borrower: tsai.mingche" in (archive / result.stdout.strip()).read_text(encoding="utf-8")


def test_interactive_asks_each_required_field_and_checks_the_answer(archive):
    answers = (
        "\n".join(["tsai.mingche", "finance", "ORD-2026-0001, ORD-2099", "ORD-2026-0001, ORD-2025-0002", "稽核 Audit sample", "2026-02-30", "2026-11-27"])
        + "\n"
    )
    result = CliRunner().invoke(main, ["new", "borrowing", "-i", "--root", str(archive), "--today", "2026-11-27"], input=answers)
    assert result.exit_code == 0, result.output
    assert "✗" in result.stderr  # the bad record number and the bad date were asked again
    text = (archive / result.stdout.strip()).read_text(encoding="utf-8")
    assert "borrower: tsai.mingche" in text and "department: finance" in text and "requested_on: 2026-11-27" in text
    assert "- ORD-2025-0002" in text and "稽核 Audit sample" in text
    from generator.pipeline import check_archive

    assert [p.format() for p in check_archive(archive, TODAY).problems if p.path.endswith("BR-2026-0005.yaml")] == []
