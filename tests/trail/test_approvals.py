"""The approval trail checked against organization.yaml and policy.yaml, in real repositories."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from editing import dossier, edit, write
from gitrepo import amend_setup, direct, git, make_repo, merge, on_branch

from generator.demo.company import email
from generator.pipeline import check_archive
from generator.trail import approvals
from generator.trail.approvals import lifecycle_subjects
from generator.trail.history import read_history

O5 = f"{dossier('ORD-2026-0005')}/order.yaml"
ST1 = f"{dossier('ORD-2026-0003')}/settlement.yaml"  # the order is accepted: its settlement is open
T1, T2 = "2026-02-02T10:00:00+08:00", "2026-02-02T16:00:00+08:00"


def history_problems(root):
    found = [p for p in check_archive(root).problems if p.rule.startswith("history.")]
    assert all(p.message_zh and re.search(r"[\u4e00-\u9fff]", p.message_zh) for p in found), [p.format() for p in found]  # said in 繁體中文 too
    return [(p.rule, p.message) for p in found]


def new_task(root):
    edit(root, O5, lambda d: d["work_plan"]["tasks"].append({"id": "T9", "title": "驗收準備 Acceptance prep", "owner": "wu.shufen", "due": "2026-12-15"}))


def test_a_valid_approval(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "task", "huang.chihming", T1, "ORD-2026-0005: add a task", new_task)
    merge(root, "task", ["lin.yating"], T2)
    result = check_archive(root)
    assert history_problems(root) == []
    approval = result.approvals[-1]
    assert approval.kinds == ("order",) and approval.tracked and approval.ok
    assert [(a.person, a.verified) for a in approval.approvers] == [("lin.yating", False)]


def test_the_setup_commit_is_before_approval_tracking(tmp_path):
    root = make_repo(tmp_path)
    [setup] = check_archive(root).approvals
    assert not setup.tracked and setup.problems == []


def test_direct_commit_to_main_is_unapproved(tmp_path):
    root = make_repo(tmp_path)
    direct(root, "huang.chihming", T1, "quick fix", new_task)
    [(rule, message)] = history_problems(root)
    assert rule == "history.unapproved-change"
    assert "committed straight to the main line by huang.chihming@hongxin.example" in message


def test_merge_without_trailer_is_unapproved_unless_policy_allows_the_committer(tmp_path):
    for allowed in (False, True):
        root = make_repo(tmp_path / str(allowed), {"allow_committer_as_approver": allowed})
        on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
        merge(root, "task", [], T2, committer="lin.yating")
        assert [rule for rule, _ in history_problems(root)] == ([] if allowed else ["history.unapproved-change"])
    edit(root, "records/policy.yaml", lambda d: d.update(allow_committer_as_approver=False))  # the work tree judges no commit
    assert history_problems(root) == []


def test_approver_from_the_wrong_department(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "settle", "kuo.peiling", T1, "fix a settlement", lambda r: edit(r, ST1, lambda d: d["plan"].update(method="cheque")))
    merge(root, "settle", ["lin.yating"], T2)
    [(rule, message)] = history_problems(root)
    assert rule == "history.approver-not-authorised"
    assert "changes to settlement need an approver of finance; approved by lin.yating" in message


def test_a_person_without_the_approver_role(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
    merge(root, "task", ["chen.yichun"], T2)  # in sales, but no approver role
    assert [r for r, _ in history_problems(root)] == ["history.approver-not-authorised"]


def test_self_approval_is_refused(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "task", "lin.yating", T1, "add a task", new_task)
    merge(root, "task", ["lin.yating"], T2)
    rules = sorted(r for r, _ in history_problems(root))
    assert rules == ["history.approver-not-authorised", "history.self-approval"]


def test_unknown_approver(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
    git(root, "merge", "-q", "--no-ff", "-m", "Merge\n\nApproved-by: Mallory <mallory@evil.example>\n", "task", who="lin.yating", when=T2)
    rules = sorted(r for r, _ in history_problems(root))
    assert rules == ["history.approver-not-authorised", "history.committer-not-approver", "history.unknown-approver"]


def test_changes_needing_two_departments(tmp_path):
    root = make_repo(tmp_path)
    cr = f"{dossier('ORD-2026-0005')}/changes/CR-2026-0005-01.yaml"
    change = {
        "kind": "change_request",
        "schema_version": 1,
        "id": "CR-2026-0005-01",
        "order": "ORD-2026-0005",
        "status": "requested",
        "title": "新增報表",
        "requested_on": "2026-01-20",
        "requested_by": "客戶",
        "recorded_by": "chen.yichun",
        "reason": "需求",
        "content": "月報",
        "impact": "+60k",
        "major": False,
        "cost_delta": "60000",
    }
    on_branch(root, "cr", "chen.yichun", T1, "change request", lambda r: write(r, cr, change))
    merge(root, "cr", ["wang.chienhung"], T2)
    [(rule, message)] = history_problems(root)
    assert rule == "history.approver-not-authorised" and "need an approver of finance" in message
    git(root, "reset", "-q", "--hard", "HEAD~1")
    merge(root, "cr", ["wang.chienhung", "huang.shuhua"], T2)
    assert history_problems(root) == []


def test_backwards_transition(tmp_path):
    root = make_repo(tmp_path)
    o3 = f"{dossier('ORD-2026-0003')}/order.yaml"  # accepted
    on_branch(root, "back", "chen.yichun", T1, "reopen", lambda r: edit(r, o3, lambda d: d.update(status="in_progress")))
    merge(root, "back", ["lin.yating"], T2)
    [(_, message)] = [(r, m) for r, m in history_problems(root) if r == "history.invalid-transition"]
    assert "accepted → in_progress; from accepted it may go to" in message


@pytest.mark.parametrize(
    ("rel", "author", "approver", "status", "clause"),
    [
        (f"{dossier('ORD-2025-0001')}/quality/QC-2025-0001-01.yaml", "cheng.yuhsiang", "liu.yihsuan", "open", "§4.4"),
        (f"{dossier('ORD-2025-0001')}/changes/CR-2025-0001-01.yaml", "chen.yichun", "wang.chienhung", "requested", "§7.1, §7.4"),
    ],
)
def test_a_bad_move_is_reported_under_its_own_kinds_clauses(tmp_path, rel, author, approver, status, clause):
    root = make_repo(tmp_path)
    on_branch(root, "back", author, T1, "reopen", lambda r: edit(r, rel, lambda d: d.update(status=status)))
    merge(root, "back", [approver, "huang.shuhua"], T2)
    [problem] = [p for p in check_archive(root).problems if p.rule == "history.invalid-transition"]
    assert problem.path == rel and problem.clause == clause


def test_deletion_without_disposal(tmp_path):
    root = make_repo(tmp_path)
    loan = "records/archive/borrowing/BR-2026-0001.yaml"
    on_branch(root, "rm", "tsai.mingche", T1, "remove", lambda r: (r / loan).unlink())
    merge(root, "rm", ["huang.shuhua"], T2)
    assert [r for r, _ in history_problems(root)] == ["history.deleted-without-disposal"]


@pytest.fixture
def signing_key(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    key = folder / "lin"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lin", "-f", str(key)], check=True)
    return key


def test_signed_approvals_are_verified_and_forged_trailers_are_not(tmp_path, signing_key):
    root = make_repo(tmp_path, {"require_signed_approvals": True})
    public = signing_key.with_suffix(".pub").read_text().split()
    edit(root, "records/organization.yaml", lambda d: next(p for p in d["people"] if p["id"] == "lin.yating").update(signing_keys=[" ".join(public[:2])]))
    amend_setup(root)
    git(root, "config", "gpg.format", "ssh")
    git(root, "config", "user.signingkey", str(signing_key))
    on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
    git(root, "merge", "-q", "--no-ff", "-S", "-m", f"Merge\n\nApproved-by: lin.yating <{email('lin.yating')}>\n", "task", who="lin.yating", when=T2)
    result = check_archive(root)
    assert [p.rule for p in result.problems if p.rule.startswith("history.")] == []
    assert [a.verified for a in result.approvals[-1].approvers] == [True]
    # A forged approval: same trailer, but the merge is not signed by lin.yating.
    on_branch(root, "task2", "huang.chihming", "2026-02-03T10:00:00+08:00", "another task", new_task)
    git(
        root,
        "merge",
        "-q",
        "--no-ff",
        "--no-gpg-sign",
        "-m",
        f"Merge\n\nApproved-by: lin.yating <{email('lin.yating')}>\n",
        "task2",
        who="huang.chihming",
        when="2026-02-03T16:00:00+08:00",
    )
    result = check_archive(root)
    found = sorted((p.rule, p.message) for p in result.problems if p.rule.startswith("history."))
    assert [rule for rule, _ in found] == ["history.approver-not-authorised", "history.unverified-approval"]
    assert "only a claim" in found[1][1]
    assert [a.verified for a in result.approvals[-1].approvers] == [False]


def test_the_lifecycle_of_a_few_commits_is_what_the_whole_history_says_of_them(tmp_path):
    """After a merge only the new commits are judged, from the versions of the dossiers they touch: the states
    they enter (an order created in progress) and a form added to a dossier archived in the set-up commit must be the ones a reading of
    every version gives."""
    root = make_repo(tmp_path)

    def born_in_progress(r):
        text = (r / O5).read_text(encoding="utf-8").replace("ORD-2026-0005", "ORD-2026-0009")
        (r / dossier("ORD-2026-0009")).mkdir(parents=True)
        (r / dossier("ORD-2026-0009") / "order.yaml").write_text(text, encoding="utf-8")

    def late_form(r):  # a change form added to the settled dossier: closed_dossier, known from its order.yaml
        old = r / f"{dossier('ORD-2025-0001')}/changes/CR-2025-0001-01.yaml"
        (old.parent / "CR-2025-0001-02.yaml").write_text(old.read_text(encoding="utf-8").replace("CR-2025-0001-01", "CR-2025-0001-02"), encoding="utf-8")

    on_branch(root, "late", "chen.yichun", T1, "a change form", late_form)
    merge(root, "late", ["wang.chienhung", "huang.shuhua"], T2)
    on_branch(root, "born", "chen.yichun", T1, "a new order", born_in_progress)
    merge(root, "born", ["lin.yating"], T2)
    direct(root, "chen.yichun", T2, "a task", new_task)
    history = read_history(root)
    whole = lifecycle_subjects(history)
    assert "closed_dossier" in whole[1] and "order→in_progress" in whole[2]
    for index in range(len(history.commits)):
        assert lifecycle_subjects(history, [index]).get(index, set()) == whole.get(index, set()), index


def test_a_history_judged_in_two_processes_is_judged_as_in_one(tmp_path, monkeypatch):
    """From ``JUDGED_APART_FROM`` commits on, a process beside judges half of them: the judgements and approvals,
    problems and all, are those one process makes."""
    root = make_repo(tmp_path)
    on_branch(root, "task", "chen.yichun", T1, "a task", new_task)
    merge(root, "task", ["chen.yichun"], T2)  # approved by its own author: refused
    direct(root, "chen.yichun", T2, "straight onto main", lambda r: edit(r, O5, lambda d: d["intake"].update(project_name="direct")))
    on_branch(root, "late", "chen.yichun", T1, "renamed", lambda r: edit(r, O5, lambda d: d["intake"].update(project_name="late")))
    merge(root, "late", ["lin.yating"], T2)
    history, catalog = read_history(root), check_archive(root, history=False).catalog
    forked: list[int | None] = []
    real = approvals.Beside

    class Watched(real):
        def __init__(self, work):
            super().__init__(work)
            forked.append(self.pid)

    def judged(apart_from: int) -> tuple[dict, list]:
        monkeypatch.setattr(approvals, "JUDGED_APART_FROM", apart_from)
        monkeypatch.setattr(approvals, "Beside", Watched)
        kept: dict = {}
        found = approvals.evaluate(history, catalog, kept)
        return kept, [(a.commit.sha, a.kinds, a.approvers, a.tracked, a.acknowledged, a.problems) for a in found]

    alone = judged(10**9)
    assert forked == []
    split = judged(2)
    assert len(forked) == 1 and forked[0] not in (None, os.getpid())  # a process of its own judged the later half
    assert split == alone
    assert len(alone[0]) == len(history.commits) >= 4 and any(problems for *_, problems in alone[1])
