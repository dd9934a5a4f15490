"""The archive the report tests compute by hand (see test_figures.py for what it holds)."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from editing import write

from generator.demo.archive import demo_files
from generator.pipeline import check_archive

from samples import sample

TODAY = date(2026, 11, 20)


def _order(number: int, received: str, confirmed: str, forwarded: str | None, due: str, budget: str, status: str) -> dict:
    order = copy.deepcopy(sample("order"))
    order["id"] = f"ORD-2026-{number:04d}"
    order["status"] = status
    order["intake"].update(received_on=received, confirmed_on=confirmed, delivery_due=due, budget=budget)
    if forwarded:
        order["forwarding"] = {"operations_on": forwarded, "finance_on": forwarded}
    else:
        order.pop("forwarding")
    for review in ("operations_review", "finance_review"):
        order[review]["reviewed_on"] = forwarded or confirmed
    order["work_plan"]["tasks"] = [{"id": "T1", "title": "工作 Work", "owner": "lee.chiawei", "due": due}]
    order["work_plan"]["milestones"] = [{"name": "交付 Delivery", "due": due}]
    return order


def _place(order_id: str, name: str) -> str:
    return f"records/orders/2026/{order_id}/{name}"


def _delivery(order_id: str, delivered: str, accepted: str) -> dict:
    record = copy.deepcopy(sample("delivery"))
    record.update(id=order_id.replace("ORD", "DLV"), order=order_id, delivered_on=delivered)
    record["acceptance"] = {"criteria": "依合約 As agreed", "method": "驗收測試 Acceptance test", "result": "accepted", "accepted_on": accepted}
    record["acceptance"]["accepted_by"] = "陳志明 經理"
    return record


def _settlement(order_id: str, status: str, fees: str, confirmed: str | None, invoices=(), payments=(), **extra) -> dict:
    record = copy.deepcopy(sample("settlement"))
    record.update(id=order_id.replace("ORD", "STL"), order=order_id, status=status, **extra)
    record["plan"]["fee_lines"] = [{"description": "全案 Whole project", "amount": fees}]
    if confirmed:
        record["plan"].update(client_confirmed_on=confirmed, client_confirmed_by="陳志明 經理")
    record["invoices"] = list(invoices)
    record["payments"] = list(payments)
    return record


def _inspection(order_id: str, n: int, on: str, result: str, satisfaction: int, **extra) -> dict:
    record = copy.deepcopy(sample("quality_record"))
    record.update(
        id=f"{order_id.replace('ORD', 'QC')}-{n:02d}", order=order_id, inspected_on=on, closed_on=on, result=result, satisfaction=satisfaction, **extra
    )
    return record


@pytest.fixture(scope="session")
def reports_archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    base = demo_files(1, seed=1)
    for rel in ("records/organization.yaml", "records/policy.yaml"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(base[rel])
    a, b, c, d = "ORD-2026-0001", "ORD-2026-0002", "ORD-2026-0003", "ORD-2026-0004"
    write(root, _place(a, "order.yaml"), _order(1, "2026-03-02", "2026-03-03", "2026-03-04", "2026-06-30", "1200000", "accepted"))
    change = copy.deepcopy(sample("change_request"))
    change.update(status="approved", cost_delta="60000", new_delivery_due="2026-07-15", requested_on="2026-04-01", reason_type="scope")
    change["assessment"] = {"by": "wang.chienhung", "on": "2026-04-02", "summary": "可行 Feasible"}
    change["approvals"] = [{"department": "operations", "by": "wang.chienhung", "on": "2026-04-02", "decision": "approved"}]
    write(root, _place(a, "changes/CR-2026-0001-01.yaml"), change)
    write(root, _place(a, "delivery.yaml"), _delivery(a, "2026-07-10", "2026-07-20"))
    invoice = {"number": "AB00000001", "issued_on": "2026-07-25", "amount": "1260000", "tax": "63000", "due_on": "2026-08-24"}
    write(
        root,
        _place(a, "settlement.yaml"),
        _settlement(a, "invoicing", "1260000", "2026-07-22", [invoice], [{"received_on": "2026-08-20", "amount": "500000", "invoice": "AB00000001"}]),
    )
    failed = {"defects": [{"type": "functional", "severity": "major", "description": "匯出失敗 Export fails"}]}
    failed["rectification"] = {"action": "rework", "description": "修正匯出 Fixed", "client_notified_on": "2026-06-21", "completed_on": "2026-06-25"}
    write(root, _place(a, "quality/QC-2026-0001-01.yaml"), _inspection(a, 1, "2026-06-20", "fail", 2, **failed))
    write(root, _place(a, "quality/QC-2026-0001-02.yaml"), _inspection(a, 2, "2026-07-05", "pass", 5))
    cancelled = _order(2, "2026-04-01", "2026-04-02", None, "2026-07-31", "500000", "cancelled")
    cancelled["cancellation"] = {"on": "2026-04-10", "reason": "客戶撤案 The client withdrew", "approved_by": "lin.yating"}
    write(root, _place(b, "order.yaml"), cancelled)
    write(root, _place(c, "order.yaml"), _order(3, "2026-05-04", "2026-05-05", "2026-05-07", "2026-08-31", "800000", "settled"))
    write(root, _place(c, "delivery.yaml"), _delivery(c, "2026-08-15", "2026-08-20"))
    invoice = {"number": "AB00000002", "issued_on": "2026-08-25", "amount": "800000", "tax": "40000", "due_on": "2026-09-24"}
    write_off = {"amount": "50000", "reason": "客戶破產 Client insolvent", "approved_by": "huang.shuhua", "on": "2026-10-01"}
    paid = [{"received_on": "2026-09-20", "amount": "790000", "invoice": "AB00000002"}]
    write(root, _place(c, "settlement.yaml"), _settlement(c, "settled", "800000", "2026-08-21", [invoice], paid, write_off=write_off, settled_on="2026-10-01"))
    write(root, _place(c, "quality/QC-2026-0003-01.yaml"), _inspection(c, 1, "2026-08-10", "pass", 5))
    write(root, _place(d, "order.yaml"), _order(4, "2026-06-01", "2026-06-02", "2026-06-03", "2026-09-30", "300000", "in_progress"))
    write(root, _place(d, "settlement.yaml"), _settlement(d, "draft", "300000", None))
    loans = [("BR-2026-0001", "2026-10-01", "2026-10-15"), ("BR-2026-0002", "2026-11-10", "2026-12-10")]  # one overdue, one out
    for loan_id, borrowed, due in loans:
        loan = copy.deepcopy(sample("loan"))
        loan.update(id=loan_id, requested_on=borrowed, approved_by="lin.yating", approved_on=borrowed, borrowed_on=borrowed, due_on=due)
        write(root, f"records/archive/borrowing/{loan_id}.yaml", loan)
    return root


@pytest.fixture(scope="session")
def catalog(reports_archive):
    checked = check_archive(reports_archive, TODAY, history=False)
    assert checked.catalog.broken_dossiers == set(), [p.format() for p in checked.problems if p.severity == "error"]
    return checked.catalog
