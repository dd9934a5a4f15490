"""The whole life of an order, with nothing but the `orders` command and git, as staff would do it.

orders init → orders new order on a branch, filled in, committed → orders check → orders approve by an
authorised reviewer → reviews, a change request, an inspection, delivery, acceptance, settlement and
archiving, each on its own branch, each approved → orders validate → orders build: the dossier shows
every step with its approver. And two branches taking the same number: orders check refuses the second.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from editing import read, write
from sitebuild import build

from generator.cli import main
from generator.demo.company import email, organization, policy

ORDER = "records/orders/2027/ORD-2027-0001"


def orders(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, f"orders {' '.join(args)}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def git(root: Path, *args: str, who: str | None = None, when: str | None = None) -> str:
    env = dict(os.environ)
    if who:
        env.update(GIT_AUTHOR_NAME=who, GIT_AUTHOR_EMAIL=email(who), GIT_COMMITTER_NAME=who, GIT_COMMITTER_EMAIL=email(who))
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    done = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def archive(tmp_path, monkeypatch) -> Path:
    """orders init, then the company's people and policy set up on day one (before tracking starts)."""
    root = tmp_path / "acme"
    orders("init", str(root), "--admin-id", "tseng.yawen", "--admin-email", email("tseng.yawen"), "--admin-name", "曾雅雯")
    write(root, "records/organization.yaml", organization())
    setup = policy()
    setup["approvals_required"] = True  # from the next commit on: this one is judged by init's policy, which tracks nothing
    write(root, "records/policy.yaml", setup)
    orders("codeowners", str(root))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Our people and policy", who="tseng.yawen", when="2026-12-28T10:00:00+08:00")
    monkeypatch.chdir(root)
    return root


def approve_on(day: str, branch: str, approvers: list[str]) -> None:
    """orders approve, with the merge dated on ``day`` (git reads the dates from the environment)."""
    os.environ["GIT_COMMITTER_DATE"] = os.environ["GIT_AUTHOR_DATE"] = f"{day}T16:00:00+08:00"
    try:
        orders("approve", branch, *[x for a in approvers for x in ("--as", email(a))], "--today", day)
    finally:
        del os.environ["GIT_COMMITTER_DATE"], os.environ["GIT_AUTHOR_DATE"]


def step(root: Path, branch: str, author: str, day: str, change, approvers: list[str], message: str) -> None:
    """One reviewed change: a branch commit by ``author``, orders check, orders approve by ``approvers``."""
    git(root, "checkout", "-q", "-b", branch, "main")
    change(root)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, who=author, when=f"{day}T10:00:00+08:00")
    orders("check", "--base", "main", "--today", day)
    git(root, "checkout", "-q", "main")
    approve_on(day, branch, approvers)


def edit(root: Path, rel: str, change) -> None:
    data = read(root, rel)
    change(data)
    write(root, rel, data)


def fill_order(root: Path) -> None:
    path = orders("new", "order", "--as", email("chen.yichun"), "--today", "2027-01-05").strip()
    assert path == f"{ORDER}/order.yaml"

    def fill(d):
        d["intake"].update(
            channel="email",
            delivery_due="2027-03-31",
            budget="480000",
            currency="TWD",
            project_name="客服中心外包 Call-centre outsourcing",
            service_type="customer_support",
            service_content="平日 09:00–18:00 電話客服。\nWeekday phone support.",
            client={"name": "宏遠物流股份有限公司", "contact": "林美玲 主任"},
        )
        d["forwarding"] = {"operations_on": "2027-01-06", "finance_on": "2027-01-06"}
        d["attachments"] = [{"file": "contract.pdf", "title": "服務合約 Service contract", "type": "contract"}]  # §8.1: needed from in_progress

    edit(root, path, fill)
    (root / ORDER / "attachments").mkdir()
    (root / ORDER / "attachments/contract.pdf").write_bytes(b"%PDF-1.4\n% signed contract\n")


def start_work(root: Path) -> None:
    def go(d):
        d["status"] = "in_progress"
        d["complexity"] = "standard"  # decided by the reviews (§3.3)
        d["operations_review"] = {"reviewer": "wang.chienhung", "reviewed_on": "2027-01-07", "decision": "approved", "feasibility": "可行 Feasible"}
        d["finance_review"] = {"reviewer": "huang.shuhua", "reviewed_on": "2027-01-07", "decision": "approved"}
        d["work_plan"] = {
            "tasks": [{"id": "T1", "title": "客服上線 Go live", "owner": "lee.chiawei", "due": "2027-03-25"}],
            "milestones": [{"name": "交付 Delivery", "due": "2027-03-31"}],
        }

    edit(root, f"{ORDER}/order.yaml", go)


def test_the_whole_life_of_an_order(archive):
    root = archive
    step(root, "order/new", "chen.yichun", "2027-01-05", fill_order, ["lin.yating"], "ORD-2027-0001: intake")
    # Work starts only with the approval of the reviewing departments (the policy's order states: in_progress).
    git(root, "checkout", "-q", "-b", "order/start", "main")
    start_work(root)
    git(root, "commit", "-q", "-am", "ORD-2027-0001: reviews and work plan", who="wang.chienhung", when="2027-01-07T10:00:00+08:00")
    git(root, "checkout", "-q", "main")
    refused = CliRunner().invoke(main, ["approve", "order/start", "--as", email("lin.yating"), "--today", "2027-01-07"])
    assert refused.exit_code != 0 and "changes to order entering in_progress need an approver of operations" in refused.output
    approve_on("2027-01-07", "order/start", ["lin.yating", "lee.chiawei", "huang.shuhua"])

    cr = f"{ORDER}/changes/CR-2027-0001-01.yaml"

    def request_change(r):
        assert orders("new", "change", "--order", "ORD-2027-0001", "--as", email("chen.yichun"), "--today", "2027-01-20").strip() == cr
        edit(
            r,
            cr,
            lambda d: d.update(
                title="延長服務時段 Longer hours",
                requested_by="林美玲 主任",
                reason="客戶需求",
                content="延長至 20:00",
                impact="費用 +30k",
                major=False,
                cost_delta="30000",
            ),
        )

    step(root, "change/1", "chen.yichun", "2027-01-20", request_change, ["wang.chienhung", "huang.shuhua"], "CR-2027-0001-01")

    def reject_change(r):
        edit(
            r,
            cr,
            lambda d: d.update(
                status="rejected",
                approvals=[{"department": "finance", "by": "huang.shuhua", "on": "2027-01-22", "decision": "rejected", "comment": "超出預算"}],
            ),
        )

    step(root, "change/1-reject", "lee.chiawei", "2027-01-22", reject_change, ["wang.chienhung", "huang.shuhua"], "CR-2027-0001-01 rejected")

    qc = f"{ORDER}/quality/QC-2027-0001-01.yaml"

    def inspect(r):
        orders("new", "quality", "--order", "ORD-2027-0001", "--as", email("cheng.yuhsiang"), "--today", "2027-03-20")
        edit(r, qc, lambda d: d.update(status="closed", stage="inspection", standard="QS-03 服務品質標準", result="pass", closed_on="2027-03-20"))

    step(root, "quality/1", "cheng.yuhsiang", "2027-03-20", inspect, ["liu.yihsuan"], "QC-2027-0001-01")

    delivery = f"{ORDER}/delivery.yaml"

    def deliver(r):
        orders("new", "delivery", "--order", "ORD-2027-0001", "--as", email("lee.chiawei"), "--today", "2027-03-29")
        edit(
            r,
            delivery,
            lambda d: d.update(
                method="service_handover",
                documents=[{"type": "service_report", "title": "服務報告 Service report", "file": "service-report.pdf"}],
                notified={"sales_on": "2027-03-29", "finance_on": "2027-03-29"},
            ),
        )
        (r / ORDER / "attachments/service-report.pdf").write_bytes(b"%PDF-1.4\n% service report\n")
        edit(
            r,
            f"{ORDER}/order.yaml",
            lambda d: (
                d.update(status="delivered"),
                d["work_plan"]["tasks"][0].update(status="done"),
                d["work_plan"]["milestones"][0].update(done_on="2027-03-29"),
            ),
        )

    step(root, "delivery", "lee.chiawei", "2027-03-29", deliver, ["wang.chienhung", "lin.yating"], "ORD-2027-0001 delivered")

    def accept(r):
        edit(
            r,
            delivery,
            lambda d: d.update(
                acceptance={"criteria": "合約附件", "method": "客戶測試", "result": "accepted", "accepted_on": "2027-04-06", "accepted_by": "林美玲 主任"}
            ),
        )
        edit(r, f"{ORDER}/order.yaml", lambda d: d.update(status="accepted"))

    step(root, "acceptance", "chen.yichun", "2027-04-06", accept, ["lin.yating", "wang.chienhung"], "ORD-2027-0001 accepted")

    settlement = f"{ORDER}/settlement.yaml"

    def settle(r):
        orders("new", "settlement", "--order", "ORD-2027-0001", "--as", email("tsai.mingche"), "--today", "2027-04-08")
        edit(
            r,
            settlement,
            lambda d: d.update(
                status="settled",
                currency="TWD",
                settled_on="2027-05-10",
                notified={"sales_on": "2027-05-10", "operations_on": "2027-05-10"},
                plan={
                    "method": "bank_transfer",
                    "cycle": "one_off",
                    "fee_lines": [{"description": "全案 Whole service", "amount": "480000"}],
                    "drafted_by": "tsai.mingche",
                    "drafted_on": "2027-04-08",
                    "client_confirmed_on": "2027-04-09",
                    "client_confirmed_by": "客戶財務",
                },
                invoices=[{"number": "AB27000001", "issued_on": "2027-04-10", "amount": "480000", "tax": "24000"}],
                payments=[{"received_on": "2027-05-10", "amount": "504000", "invoice": "AB27000001"}],
            ),
        )
        (r / ORDER / "attachments/settlement-statement.pdf").write_bytes(b"%PDF-1.4\n% statement\n")
        statement = {"file": "settlement-statement.pdf", "title": "結算對帳單 Settlement statement", "type": "settlement"}
        edit(r, f"{ORDER}/order.yaml", lambda d: (d.update(status="settled"), d["attachments"].append(statement)))

    step(root, "settlement", "tsai.mingche", "2027-05-10", settle, ["huang.shuhua", "lin.yating"], "ORD-2027-0001 settled")
    step(
        root,
        "archive",
        "tseng.yawen",
        "2027-06-01",
        lambda r: edit(r, f"{ORDER}/order.yaml", lambda d: d.update(status="archived", archived_on="2027-06-01")),
        ["lin.yating"],
        "archive",
    )

    out = CliRunner().invoke(main, ["validate", ".", "--today", "2027-06-02"])
    assert out.exit_code == 0 and "error[" not in out.stdout, out.stdout
    assert "approvals in the history" in out.stderr
    build(root)
    page = (root / "site/dossiers/ORD-2027-0001.html").read_text(encoding="utf-8")
    for approver in ("林雅婷", "王建宏", "黃淑華", "劉怡萱"):  # the approvers, by their names on this 繁體中文 site
        assert approver in page, approver
    for status in ("已接收", "執行中", "已交付", "已驗收", "已結算", "已歸檔"):  # every state the order went through
        assert f"→ {status}" in page, status


def test_the_same_number_on_two_branches(archive):
    root = archive
    for branch, who in (("first", "chen.yichun"), ("second", "wong.kaming")):
        git(root, "checkout", "-q", "-b", branch, "main")
        orders("new", "order", "--as", email(who), "--today", "2027-01-05")
        fill_order_path = f"{ORDER}/order.yaml"
        edit(
            root,
            fill_order_path,
            lambda d: d["intake"].update(
                channel="phone",
                delivery_due="2027-02-26",
                budget="100000",
                currency="TWD",
                project_name="問卷 Survey",
                service_type="data_analysis",
                service_content="問卷統計",
                client={"name": "綠野食品股份有限公司", "contact": "張文華"},
            ),
        )
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"{branch} order", who=who, when="2027-01-05T10:00:00+08:00")
        git(root, "checkout", "-q", "main")
    approve_on("2027-01-05", "first", ["lin.yating"])
    git(root, "checkout", "-q", "second")
    refused = CliRunner().invoke(main, ["check", "--base", "main", "--today", "2027-01-05"])
    assert refused.exit_code == 1
    assert "error[check.id-collision] ORD-2027-0001 was also created" in refused.stdout
