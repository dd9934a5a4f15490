"""orders check on a pull request and orders approve, in real repositories."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from editing import dossier, edit, write
from gitrepo import amend_setup, git, make_repo, merge

from generator.cli import main
from generator.core.problems import UserError
from generator.workflow.approve import approve
from generator.workflow.check import check_branch

O5 = f"{dossier('ORD-2026-0005')}/order.yaml"
O3 = f"{dossier('ORD-2026-0003')}/order.yaml"
ST1 = f"{dossier('ORD-2026-0003')}/settlement.yaml"  # the order is accepted: its settlement is open
T1, T2 = "2026-02-02T10:00:00+08:00", "2026-02-02T16:00:00+08:00"


def new_order(number: str, who: str) -> dict:
    return {
        "kind": "order",
        "schema_version": 1,
        "id": number,
        "status": "received",
        "intake": {
            "channel": "email",
            "received_on": "2026-02-02",
            "confirmed_on": "2026-02-02",
            "sales_rep": who,
            "client": {"name": "新竹精密工業股份有限公司", "contact": "吳俊傑 課長"},
            "project_name": "報表自動化 Report automation",
            "service_type": "data_analysis",
            "service_content": "自動產生月報。",
            "delivery_due": "2026-05-29",
            "budget": "300000",
            "currency": "TWD",
        },
        "forwarding": {"operations_on": "2026-02-03", "finance_on": "2026-02-03"},
    }


def start(root, branch, who, change, when=T1):
    git(root, "checkout", "-q", "-b", branch, "main")
    change(root)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", f"work on {branch}", who=who, when=when)


def rules(problems):
    return [p.rule for p in problems if str(p.severity) == "error"]


def test_a_clean_branch_passes(tmp_path):
    root = make_repo(tmp_path)
    start(root, "new-order", "chen.yichun", lambda r: write(r, f"{dossier('ORD-2026-0042')}/order.yaml", new_order("ORD-2026-0042", "chen.yichun")))
    assert rules(check_branch(root, "main")) == []


def test_two_branches_taking_the_same_number_collide(tmp_path):
    root = make_repo(tmp_path)
    path = f"{dossier('ORD-2026-0042')}/order.yaml"
    start(root, "first", "chen.yichun", lambda r: write(r, path, new_order("ORD-2026-0042", "chen.yichun")))
    git(root, "checkout", "-q", "main")
    start(root, "second", "wong.kaming", lambda r: write(r, path, new_order("ORD-2026-0042", "wong.kaming")))
    git(root, "checkout", "-q", "main")
    merge(root, "first", ["lin.yating"], T2)  # the first branch lands while the second is under review
    git(root, "checkout", "-q", "second")
    found = check_branch(root, "main")
    assert "check.id-collision" in rules(found)
    problem = next(p for p in found if p.rule == "check.id-collision")
    assert problem.path == path and "ORD-2026-0042 was also created" in problem.message and problem.clause == "§2.2"


def test_a_sales_rep_cannot_edit_a_settlement(tmp_path):
    root = make_repo(tmp_path)
    start(root, "settle", "chen.yichun", lambda r: edit(r, ST1, lambda d: d["plan"].update(method="cheque")))
    found = [p for p in check_branch(root, "main") if str(p.severity) == "error"]
    assert rules(found) == ["check.editor-not-allowed"]
    assert "chen.yichun (sales) may not edit settlement records; finance may" in found[0].message


def test_unknown_author(tmp_path):
    root = make_repo(tmp_path)
    git(root, "checkout", "-q", "-b", "x", "main")
    edit(root, O5, lambda d: d["intake"].update(project_name="改名 Renamed"))
    git(root, "commit", "-q", "-am", "rename", who="intern")  # intern@hongxin.example is not in organization.yaml
    assert rules(check_branch(root, "main")) == ["check.unknown-author"]


def test_branch_transitions_follow_the_table(tmp_path):
    root = make_repo(tmp_path)
    start(root, "back", "chen.yichun", lambda r: edit(r, O3, lambda d: d.update(status="in_progress")))
    found = check_branch(root, "main")
    assert "check.invalid-transition" in rules(found)


def test_branch_deleting_a_record(tmp_path):
    root = make_repo(tmp_path)
    start(root, "rm", "tsai.mingche", lambda r: (r / "records/archive/borrowing/BR-2026-0001.yaml").unlink())
    assert rules(check_branch(root, "main")) == ["check.deleted-without-disposal"]


def test_unknown_base_says_how_to_fetch(tmp_path):
    root = make_repo(tmp_path)
    with pytest.raises(UserError, match="fetch-depth: 0"):
        check_branch(root, "origin/main")


def test_check_command_prints_github_annotations(tmp_path, monkeypatch):
    root = make_repo(tmp_path)
    start(root, "settle", "chen.yichun", lambda r: edit(r, ST1, lambda d: d["plan"].update(method="cheque")))
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["check", "--base", "main", "--format", "github"])
    assert result.exit_code == 1
    assert f"::error file={ST1},line=3,col=1,title=check.editor-not-allowed (§1.4)::chen.yichun (sales)" in result.stdout


def add_task(root):
    edit(root, O5, lambda d: d["work_plan"]["tasks"].append({"id": "T9", "title": "驗收準備", "owner": "wu.shufen", "due": "2026-12-15"}))


def test_approve_refuses_self_approval_and_wrong_department(tmp_path):
    root = make_repo(tmp_path)
    start(root, "task", "lin.yating", add_task)
    git(root, "checkout", "-q", "main")
    with pytest.raises(UserError) as refused:
        approve(root, "task", ["lin.yating@hongxin.example"])
    assert "four-eyes" in str(refused.value)
    with pytest.raises(UserError) as refused:
        approve(root, "task", ["huang.shuhua@hongxin.example"])
    assert "changes to order need an approver of sales" in str(refused.value)
    with pytest.raises(UserError, match=r"not in organization\.yaml"):
        approve(root, "task", ["nobody@evil.example"])
    assert git(root, "rev-list", "--count", "HEAD").strip() == "1"  # nothing merged


def test_approve_refuses_a_branch_that_fails_check(tmp_path):
    root = make_repo(tmp_path)
    start(root, "settle", "chen.yichun", lambda r: edit(r, ST1, lambda d: d["plan"].update(method="cheque")))
    git(root, "checkout", "-q", "main")
    with pytest.raises(UserError, match=r"check\.editor-not-allowed"):
        approve(root, "settle", ["huang.shuhua@hongxin.example"])


def test_approve_merges_with_the_trailer(tmp_path):
    root = make_repo(tmp_path)
    start(root, "task", "huang.chihming", add_task)
    git(root, "checkout", "-q", "main")
    result = CliRunner().invoke(main, ["approve", "task", "--as", "chang.chiahao@hongxin.example", "--root", str(root)])
    assert result.exit_code == 0, result.stderr
    message = git(root, "log", "-1", "--format=%B")
    assert "Approved-by: Chia-Hao Chang <chang.chiahao@hongxin.example>" in message
    assert git(root, "log", "-1", "--format=%P").count(" ") == 1  # a real merge
    from generator.pipeline import check_archive

    checked = check_archive(root)
    assert [p.rule for p in checked.problems if p.rule.startswith("history.")] == []
    assert checked.approvals[-1].approvers[0].person == "chang.chiahao"


def test_two_departments_sign_through_orders_approve(tmp_path):
    """Signed mode: finance signs an approval commit on the branch, sales signs the merge; the trail verifies both."""
    import subprocess

    root = make_repo(tmp_path / "repo", {"require_signed_approvals": True})
    keys = {}
    for who in ("lin.yating", "huang.shuhua"):
        keys[who] = tmp_path / who
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys[who])], check=True)

    def register(data):
        for person in data["people"]:
            if person["id"] in keys:
                person["signing_keys"] = [" ".join((tmp_path / f"{person['id']}.pub").read_text().split()[:2])]

    edit(root, "records/organization.yaml", register)
    edit(root, "records/policy.yaml", lambda d: d["approvals"]["order"].update(departments=["sales", "finance"]))
    amend_setup(root)
    git(root, "config", "gpg.format", "ssh")
    start(root, "task", "huang.chihming", add_task)
    git(root, "checkout", "-q", "main")
    runner = CliRunner()
    git(root, "config", "user.signingkey", str(keys["huang.shuhua"]))
    result = runner.invoke(main, ["approve", "task", "--on-branch", "--as", "huang.shuhua@hongxin.example", "--root", str(root)])
    assert result.exit_code == 0, result.output
    git(root, "config", "user.signingkey", str(keys["lin.yating"]))
    args = ["approve", "task", "--sign", "--as", "lin.yating@hongxin.example", "--as", "huang.shuhua@hongxin.example", "--root", str(root)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    from generator.pipeline import check_archive

    checked = check_archive(root)
    assert [p.rule for p in checked.problems if p.rule.startswith("history.")] == []
    assert [(a.person, a.verified) for a in checked.approvals[-1].approvers] == [("lin.yating", True), ("huang.shuhua", True)]


def test_check_sees_what_a_merge_on_the_branch_changed_itself(tmp_path):
    """A sales person merges main into the branch and slips a settlement change into that merge."""
    root = make_repo(tmp_path)
    start(root, "task", "huang.chihming", add_task)
    git(root, "checkout", "-q", "main")
    merge_main = "2026-02-03T10:00:00+08:00"
    start(root, "other", "wu.shufen", lambda r: edit(r, O3, lambda d: d["intake"].update(project_name="改名")))
    git(root, "checkout", "-q", "main")
    merge(root, "other", ["lin.yating"], T2)
    git(root, "checkout", "-q", "task")
    git(root, "merge", "-q", "--no-ff", "--no-commit", "main", who="chen.yichun", when=merge_main)
    edit(root, ST1, lambda d: d["plan"].update(method="cheque"))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Merge main into task", who="chen.yichun", when=merge_main)
    problems = check_branch(root, "main")
    assert "check.editor-not-allowed" in rules(problems)
    assert any(p.path == ST1 and "chen.yichun" in p.message for p in problems)
    # Merged anyway, with every approval the change needs: orders validate finds the breach in the history.
    git(root, "checkout", "-q", "main")
    merge(root, "task", ["lin.yating", "huang.shuhua", "wang.chienhung"], "2026-02-04T10:00:00+08:00")
    from generator.pipeline import check_archive

    history = [p for p in check_archive(root).problems if p.rule.startswith("history.")]
    assert [p.rule for p in history] == ["history.editor-not-allowed"]
    assert "chen.yichun (sales) wrote changes to settlement" in history[0].message and "huang.chihming" not in history[0].message
