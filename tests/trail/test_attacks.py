"""An insider attacks the approval trail: each test is an attack in a real repository.

Each was written first against the code before its fix and seen to pass
unnoticed there (or crash); the fix makes it a located error. Honest work
beside each attack must still pass.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from editing import dossier, edit
from gitrepo import amend_setup, direct, git, make_repo, merge, on_branch
from sitebuild import with_site

from generator.core import cachefile
from generator.demo.company import email
from generator.pipeline import check_archive

O5 = f"{dossier('ORD-2026-0005')}/order.yaml"
T1, T2, T3 = "2026-02-02T10:00:00+08:00", "2026-02-02T16:00:00+08:00", "2026-02-03T10:00:00+08:00"


def orders(root: Path, *args: str) -> subprocess.CompletedProcess:
    """The ``orders`` command in a fresh process, as a user runs it (no traceback may appear)."""
    return subprocess.run([sys.executable, "-m", "generator.cli", *args], cwd=root, capture_output=True, text=True, check=False, timeout=300)


def history_rules(root: Path) -> list[str]:
    found = [p for p in check_archive(root).problems if p.rule.startswith("history.")]
    assert all(p.message_zh and re.search(r"[\u4e00-\u9fff]", p.message_zh) for p in found), [p.format() for p in found]  # said in 繁體中文 too
    return sorted(p.rule for p in found)


def new_task(root: Path) -> None:
    edit(root, O5, lambda d: d["work_plan"]["tasks"].append({"id": "T9", "title": "驗收準備 Acceptance prep", "owner": "wu.shufen", "due": "2026-12-15"}))


def raw_commit(root: Path, tree: str, parents: list[str], author: bytes, committer: bytes, message: bytes) -> str:
    """A commit object written byte for byte, as an insider with push access can (git commit would clean it)."""
    body = b"tree " + tree.encode() + b"\n"
    body += b"".join(b"parent " + p.encode() + b"\n" for p in parents)
    body += b"author " + author + b"\ncommitter " + committer + b"\n\n" + message
    out = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--stdin", "--literally"], cwd=root, input=body, capture_output=True, check=True)
    return out.stdout.decode().strip()


def ident(person: str, when: int = 1770000000, name: bytes | None = None, address: bytes | None = None) -> bytes:
    name = person.encode() if name is None else name
    address = email(person).encode() if address is None else address
    return name + b" <" + address + b"> " + str(when).encode() + b" +0800"


# --------------------------------------------------------------------------
# 7. ASCII digits only


@pytest.mark.parametrize("digits", ["２０２６", "٢٠٢٦"], ids=["full-width", "arabic-indic"])
def test_a_look_alike_dossier_folder_is_a_located_error_and_the_build_survives(tmp_path, digits):
    root = make_repo(tmp_path)
    number = "０００５" if digits == "２０２６" else "٠٠٠٥"
    fake = root / f"records/orders/{digits}/ORD-{digits}-{number}"
    fake.mkdir(parents=True)
    (fake / "order.yaml").write_bytes((root / O5).read_bytes().replace(b"ORD-2026-0005", f"ORD-{digits}-{number}".encode()))
    checked = check_archive(root)
    [problem] = [p for p in checked.problems if digits in p.path]
    assert problem.rule.startswith("layout.") and problem.line == 1
    result = orders(root, "build", ".")
    assert "Traceback" not in result.stderr, result.stderr


def test_a_look_alike_id_in_a_record_is_refused_by_the_schema():
    from pydantic import TypeAdapter, ValidationError

    from schemas.base import OrderId

    with pytest.raises(ValidationError):
        TypeAdapter(OrderId).validate_python("ORD-２０２６-０００５")


def test_the_json_schemas_use_ascii_digit_classes():
    from schemas.export import json_schemas

    for name, text in json_schemas().items():
        assert "\\\\d" not in text, f"{name} has a \\d pattern (Unicode digits in Python's re and in jsonschema)"


# --------------------------------------------------------------------------
# 2. Nothing printed can be forged


def test_a_file_name_cannot_print_a_forged_problem_line(tmp_path):
    root = make_repo(tmp_path)
    forged = "x.yaml\nFORGED.yaml:1:1: error[history.rewritten] the history was rewritten"
    (root / "records/archive/borrowing" / forged).write_text("kind: loan\n", encoding="utf-8")
    result = orders(root, "validate", ".", "--no-history")
    lines = result.stdout.splitlines()
    assert not any(line.startswith("FORGED.yaml") for line in lines)
    assert any("x.yaml\\n" in line for line in lines)
    data = json.loads(orders(root, "validate", ".", "--no-history", "--format", "json").stdout)
    assert any(p["path"].endswith(forged) for p in data)  # JSON stays exact


def test_bidi_and_control_characters_are_shown_escaped():
    from generator.core.problems import Problem

    line = Problem("records/a\u202eb\x1b[31m.yaml", 1, 1, "layout.unknown-file", "name\u2066x\u2069 \x07").format()
    assert "\u202e" not in line and "\x1b" not in line and "\x07" not in line and "\u2066" not in line
    assert "\\u202e" in line and "\\x1b" in line


# --------------------------------------------------------------------------
# 1. Commit data is untrusted bytes


def test_control_characters_in_an_author_name_do_not_crash_and_are_judged(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
    tree = git(root, "rev-parse", "task^{tree}").strip()
    base = git(root, "rev-parse", "main").strip()
    # Field separators and a fake second commit inside the author's name and the subject.
    evil = raw_commit(
        root,
        tree,
        [base],
        ident("huang.chihming", name=b"huang\x1f\x1eforged\x1fname"),
        ident("huang.chihming"),
        b"subject\x1f\x1e0000000000000000000000000000000000000000\x1f\n\nApproved-by: Lin <" + email("lin.yating").encode() + b">\x1d\n",
    )
    git(root, "update-ref", "refs/heads/main", evil)
    git(root, "reset", "-q", "--hard", "main")
    for args in (("validate", "."), ("history", "ORD-2026-0005", "--root", "."), ("build", ".")):
        result = orders(root, *args)
        assert "Traceback" not in result.stderr, (args, result.stderr)
    rules = history_rules(root)
    assert "history.unapproved-change" in rules  # a direct commit: its trailer approves nothing


def test_a_fake_merge_whose_second_parent_is_its_first_approves_nothing(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
    tree = git(root, "rev-parse", "task^{tree}").strip()
    base = git(root, "rev-parse", "main").strip()
    evil = raw_commit(root, tree, [base, base], ident("lin.yating"), ident("lin.yating"), b"Merge\n\nApproved-by: Lin <lin.yating@hongxin.example>\n")
    git(root, "update-ref", "refs/heads/main", evil)
    git(root, "reset", "-q", "--hard", "main")
    assert history_rules(root) == ["history.fake-merge"]


def test_an_honest_history_with_unicode_names_passes(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "task", "huang.chihming", T1, "ORD-2026-0005：新增工作 add a task ✓", new_task)
    merge(root, "task", ["lin.yating"], T2)
    assert history_rules(root) == []


# --------------------------------------------------------------------------
# 3. Four-eyes against every hand that touched the change


def test_an_approver_who_committed_a_brought_in_commit_is_not_a_second_pair_of_eyes(tmp_path):
    """The reviewer amends the author's commit (becoming its committer), then approves the merge."""
    root = make_repo(tmp_path)
    on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
    git(root, "checkout", "-q", "task")
    edit(root, O5, lambda d: d["work_plan"]["tasks"][-1].update(title="驗收準備（修訂）Acceptance prep, revised"))
    git(root, "commit", "-q", "-a", "--amend", "--no-edit", who="lin.yating", when=T2)
    assert git(root, "log", "-1", "--format=%an|%cn").strip() == "huang.chihming|lin.yating"
    git(root, "checkout", "-q", "main")
    merge(root, "task", ["lin.yating"], T3)
    assert history_rules(root) == ["history.approver-not-authorised", "history.self-approval"]


def test_a_co_author_cannot_approve(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "task", "huang.chihming", T1, f"add a task\n\nCo-authored-by: Lin <{email('lin.yating')}>", new_task)
    merge(root, "task", ["lin.yating"], T2)
    assert history_rules(root) == ["history.approver-not-authorised", "history.self-approval"]


def test_an_approved_by_with_two_addresses_is_an_error_never_split(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
    merge(root, "task", [], T2, committer="lin.yating", extra=[f"Approved-by: Lin <{email('lin.yating')}>, Chang <{email('chang.chiahao')}>"])
    assert history_rules(root) == ["history.malformed-commit", "history.unapproved-change"]


# --------------------------------------------------------------------------
# 3. Evil merges: a merge whose tree is not what merging its parents gives


def change_settlement(root: Path) -> None:
    edit(root, ST1, lambda d: d.update(notes="已核對 checked"))


ST1 = f"{dossier('ORD-2026-0003')}/settlement.yaml"  # the order is accepted: its settlement is open


def test_a_merge_that_adds_its_own_change_is_an_evil_merge(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
    git(root, "merge", "-q", "--no-ff", "--no-commit", "task", who="lin.yating", when=T2)
    change_settlement(root)  # slipped into the merge: never on the reviewed branch
    git(root, "commit", "-q", "-a", "-m", f"Merge branch 'task'\n\nApproved-by: Lin <{email('lin.yating')}>\n", who="lin.yating", when=T2)
    assert "history.evil-merge" in history_rules(root)


def main_moves_on(root: Path) -> None:
    """Another reviewed change lands on main after ``task`` branched off."""
    on_branch(root, "other", "kuo.peiling", T1, "settlement note", change_settlement)
    merge(root, "other", ["huang.shuhua"], T2)


def test_a_clean_three_way_merge_passes_and_an_evil_one_does_not(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
    main_moves_on(root)
    merge(root, "task", ["lin.yating"], T3)
    assert history_rules(root) == []
    on_branch(root, "task2", "huang.chihming", T3, "another task", lambda r: edit(r, O5, lambda d: d["work_plan"]["tasks"][-1].update(due="2026-12-20")))
    on_branch(root, "other2", "kuo.peiling", T3, "settlement note", lambda r: edit(r, ST1, lambda d: d.update(notes="再核對 checked again")))
    merge(root, "other2", ["huang.shuhua"], T3)
    git(root, "merge", "-q", "--no-ff", "--no-commit", "task2", who="lin.yating", when=T3)
    edit(root, O5, lambda d: d["intake"].update(budget=d["intake"]["budget"] * 2))  # not on the branch
    git(root, "commit", "-q", "-a", "-m", f"Merge branch 'task2'\n\nApproved-by: Lin <{email('lin.yating')}>\n", who="lin.yating", when=T3)
    assert history_rules(root) == ["history.evil-merge"]


def test_a_conflict_resolved_inside_the_merge_is_reported(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "task", "huang.chihming", T1, "rename", lambda r: edit(r, O5, lambda d: d["work_plan"]["tasks"][0].update(title="A")))
    on_branch(root, "other", "wu.shufen", T1, "rename", lambda r: edit(r, O5, lambda d: d["work_plan"]["tasks"][0].update(title="B")))
    merge(root, "other", ["lin.yating"], T2)
    git(root, "merge", "-q", "--no-ff", "--no-commit", "task", who="lin.yating", when=T3, check=False)
    git(root, "checkout", "--theirs", "--", O5)
    edit(root, O5, lambda d: d["work_plan"]["tasks"][0].update(title="A+B"))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", f"Merge branch 'task'\n\nApproved-by: Lin <{email('lin.yating')}>\n", who="lin.yating", when=T3)
    rules = history_rules(root)
    assert rules == ["history.evil-merge"]
    [message] = [p.message for p in check_archive(root).problems if p.rule == "history.evil-merge"]
    assert "conflict" in message


# --------------------------------------------------------------------------
# 5. The committer of an unsigned merge must be an approver or the platform


def test_an_unsigned_merge_committed_by_someone_else_than_its_approvers_is_reported(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
    merge(root, "task", ["lin.yating"], T2, committer="tsai.mingche")  # tsai typed lin's trailer
    assert history_rules(root) == ["history.committer-not-approver"]
    edit(root, "records/policy.yaml", lambda d: d.update(platform_committers=[email("tsai.mingche")]))
    assert history_rules(root) == ["history.committer-not-approver"]  # only a committed policy judges later merges
    root = make_repo(tmp_path / "platform", {"platform_committers": [email("tsai.mingche")]})
    on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
    merge(root, "task", ["lin.yating"], T2, committer="tsai.mingche")  # the platform's merge button
    assert history_rules(root) == []


# --------------------------------------------------------------------------
# 4. Signatures prove every approval


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    out = {}
    for who in ("lin.yating", "huang.shuhua", "huang.chihming", "hsu.wenpin", "chou.peichun"):
        out[who] = folder / who
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", str(out[who])], check=True)
    return out


def public(key: Path) -> str:
    return " ".join(Path(f"{key}.pub").read_text().split()[:2])


def signing(key: Path) -> list[str]:
    return ["-c", "gpg.format=ssh", "-c", f"user.signingkey={key}"]


def signed_repo(tmp_path: Path, keys: dict[str, Path], order_departments: list[str] | None = None) -> Path:
    root = make_repo(tmp_path, {"require_signed_approvals": True})
    registered = {who: key for who, key in keys.items() if who != "huang.chihming"}
    edit(root, "records/organization.yaml", lambda d: [p.update(signing_keys=[public(registered[p["id"]])]) for p in d["people"] if p["id"] in registered])
    if order_departments:
        edit(root, "records/policy.yaml", lambda d: d["approvals"]["order"].update(departments=order_departments))
    amend_setup(root)
    return root


def signed_merge(root: Path, keys: dict[str, Path], signer: str, branch: str, approvers: list[str], when: str = T2) -> None:
    trailers = "\n".join(f"Approved-by: {p} <{email(p)}>" for p in approvers)
    git(root, *signing(keys[signer]), "merge", "-q", "--no-ff", "-S", "-m", f"Merge branch '{branch}'\n\n{trailers}\n", branch, who=signer, when=when)


def verified_approvers(root: Path) -> list[tuple[str | None, bool]]:
    """Who approved the one tracked merge, and whether git verified each one's own signature."""
    [approval] = [a for a in check_archive(root).approvals if a.tracked]
    return [(a.person, a.verified) for a in approval.approvers]


def approval_commit(root: Path, keys: dict[str, Path], who: str, branch: str) -> None:
    """``who`` signs an empty approval commit on the tip of ``branch`` (what ``orders approve --on-branch`` makes)."""
    git(root, "checkout", "-q", branch)
    message = f"Approve\n\nApproved-by: {who} <{email(who)}>\n"
    git(root, *signing(keys[who]), "commit", "-q", "--allow-empty", "-S", "-m", message, who=who, when=T2)
    git(root, "checkout", "-q", "main")


def test_one_signature_does_not_prove_two_departments(tmp_path, keys):
    root = signed_repo(tmp_path, keys, ["sales", "finance"])
    on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
    signed_merge(root, keys, "lin.yating", "task", ["lin.yating", "huang.shuhua"])  # huang.shuhua never signed
    assert history_rules(root) == ["history.approver-not-authorised", "history.unverified-approval"]
    assert verified_approvers(root) == [("lin.yating", True), ("huang.shuhua", False)]


def test_a_second_department_signs_with_an_approval_commit_on_the_branch(tmp_path, keys):
    root = signed_repo(tmp_path, keys, ["sales", "finance"])
    on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
    approval_commit(root, keys, "huang.shuhua", "task")
    signed_merge(root, keys, "lin.yating", "task", ["lin.yating", "huang.shuhua"], when=T3)
    assert history_rules(root) == []
    assert verified_approvers(root) == [("lin.yating", True), ("huang.shuhua", True)]


def test_an_approval_commit_before_a_later_change_proves_nothing(tmp_path, keys):
    root = signed_repo(tmp_path, keys, ["sales", "finance"])
    on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
    approval_commit(root, keys, "huang.shuhua", "task")
    git(root, "checkout", "-q", "task")
    edit(root, O5, lambda d: d["intake"].update(budget=d["intake"]["budget"] * 2))  # after finance signed
    git(root, "commit", "-q", "-am", "budget", who="huang.chihming", when=T2)
    git(root, "checkout", "-q", "main")
    signed_merge(root, keys, "lin.yating", "task", ["lin.yating", "huang.shuhua"], when=T3)
    assert "history.unverified-approval" in history_rules(root)


def test_a_committed_key_rotation_keeps_earlier_signed_approvals_verified(tmp_path, keys):
    root = signed_repo(tmp_path, keys)
    on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
    signed_merge(root, keys, "lin.yating", "task", ["lin.yating"])

    def rotate(r: Path) -> None:
        edit(
            r,
            "records/organization.yaml",
            lambda d: next(p for p in d["people"] if p["id"] == "lin.yating").update(signing_keys=[public(keys["huang.chihming"])]),
        )

    on_branch(root, "rotate", "tseng.yawen", T3, "Rotate lin.yating's key", rotate)
    approval_commit(root, keys, "chou.peichun", "rotate")
    signed_merge(root, keys, "hsu.wenpin", "rotate", ["hsu.wenpin", "chou.peichun"], when="2026-02-03T16:00:00+08:00")
    assert history_rules(root) == []
    first = next(a for a in check_archive(root).approvals if a.tracked)
    assert [(a.person, a.verified) for a in first.approvers] == [("lin.yating", True)]


def test_a_key_added_by_the_merge_it_signs_never_verifies_it(tmp_path, keys):
    root = signed_repo(tmp_path, keys)

    def plant_key(r: Path) -> None:
        new_task(r)
        edit(
            r,
            "records/organization.yaml",
            lambda d: next(p for p in d["people"] if p["id"] == "lin.yating")["signing_keys"].append(public(keys["huang.chihming"])),
        )

    on_branch(root, "task", "huang.chihming", T1, "add a task", plant_key)
    # huang.chihming signs the merge with his own key, now listed under lin.yating, and types her trailer.
    git(
        root,
        *signing(keys["huang.chihming"]),
        "merge",
        "-q",
        "--no-ff",
        "-S",
        "-m",
        f"Merge\n\nApproved-by: Lin <{email('lin.yating')}>\n",
        "task",
        who="lin.yating",
        when=T2,
    )
    checked = check_archive(root)
    approval = checked.approvals[-1]
    assert [a.verified for a in approval.approvers] == [False]
    assert "history.unverified-approval" in history_rules(root)


def test_the_display_name_of_a_trailer_is_never_shown(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
    merge(root, "task", [], T2, committer="lin.yating", extra=[f"Approved-by: 董事長 The Chairman <{email('lin.yating')}>"])
    approval = check_archive(root).approvals[-1]
    assert [a.name for a in approval.approvers] == ["林雅婷 Ya-Ting Lin"]
    shown = orders(root, "history", "ORD-2026-0005", "--root", ".").stdout
    assert "林雅婷" in shown and "Chairman" not in shown


# --------------------------------------------------------------------------
# 6. Caches never change a verdict


def same_as_fresh(root: Path) -> list[tuple[str, str]]:
    """The history problems with every cache in place, after checking they equal a run without caches."""
    cached = [(p.rule, p.message) for p in check_archive(root).problems if p.rule.startswith("history.")]
    caches = cachefile.folder(root)
    shutil.move(caches, caches.with_name("aside"))
    try:
        fresh = [(p.rule, p.message) for p in check_archive(root).problems if p.rule.startswith("history.")]
    finally:
        shutil.rmtree(caches)
        shutil.move(caches.with_name("aside"), caches)
    assert cached == fresh
    return cached


def test_a_validate_on_a_branch_does_not_change_the_verdict_on_main(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
    git(root, "checkout", "-q", "task")
    check_archive(root)  # the branch's main line: the branch commit is a direct commit there
    git(root, "checkout", "-q", "main")
    merge(root, "task", ["lin.yating"], T2)
    assert same_as_fresh(root) == []


def test_a_changed_organisation_or_policy_is_never_judged_from_the_cache(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
    merge(root, "task", ["lin.yating"], T2)
    assert same_as_fresh(root) == []
    edit(root, "records/organization.yaml", lambda d: next(p for p in d["people"] if p["id"] == "lin.yating").update(roles=[]))
    edit(root, "records/organization.yaml", lambda d: next(x for x in d["departments"] if x["id"] == "sales").update(head="chang.chiahao"))
    assert same_as_fresh(root) == []  # uncommitted: no commit is judged by it
    git(root, "commit", "-q", "-am", "lin.yating steps down", who="tseng.yawen", when=T3)
    assert [r for r, _ in same_as_fresh(root)] == ["history.unapproved-change"]  # the change itself, not lin's past approval
    on_branch(root, "task2", "huang.chihming", T3, "add a task", lambda r: new_task(r))
    merge(root, "task2", ["lin.yating"], "2026-02-03T16:00:00+08:00")
    assert sorted(r for r, _ in same_as_fresh(root)) == ["history.approver-not-authorised", "history.unapproved-change"]


def test_a_changed_published_head_or_shallow_state_is_never_judged_from_the_cache(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
    merge(root, "task", ["lin.yating"], T2)
    assert same_as_fresh(root) == []
    from generator.trail.published import mark_published

    mark_published(root, "1" * 40)
    assert [r for r, _ in same_as_fresh(root)] == ["history.rewritten"]


def test_a_cache_written_by_other_code_is_never_read(tmp_path, monkeypatch):
    root = make_repo(tmp_path)
    direct(root, "huang.chihming", T1, "quick fix", new_task)
    assert [r for r, _ in same_as_fresh(root)] == ["history.unapproved-change"]
    trail = cachefile.folder(root) / "trail.marshal"
    stored = trail.read_bytes()
    monkeypatch.setattr(cachefile, "CODE", "another version of the program")
    assert cachefile.read(trail, 2, "x") is None
    assert stored == trail.read_bytes()


def test_a_history_cache_committed_to_the_repository_is_never_read(tmp_path):
    """An insider commits a forged history cache: it names the commit before as read, minus the unapproved
    commit. A fresh clone (CI) must judge the history from git, never from a file a commit brought."""
    from generator.trail.cache import save_cache
    from generator.trail.history import read_history

    root = make_repo(tmp_path / "origin")
    direct(root, "huang.chihming", T1, "quick fix", new_task)
    forged = read_history(root, use_cache=False)
    forged.commits = [c for c in forged.commits if c.subject != "quick fix"]
    (root / ".gitignore").write_text("site/\n")
    save_cache(root / ".cache/order-archive/history.marshal", forged)
    (root / ".cache/order-archive/history.head").write_text(forged.head + "\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "tidy up", who="huang.chihming", when=T2)
    clone = tmp_path / "ci"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
    assert "history.unapproved-change" in history_rules(clone)


def test_a_committed_cache_folder_cannot_send_the_caches_into_the_records(tmp_path):
    root = make_repo(tmp_path)
    (root / ".gitignore").write_text("site/\n")
    (root / ".cache").symlink_to("records/orders")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "cache folder", who="huang.chihming", when=T1)
    before = sorted(p.relative_to(root).as_posix() for p in (root / "records").rglob("*"))
    check_archive(root)
    assert orders(root, "build", ".").returncode in (0, 1)
    assert sorted(p.relative_to(root).as_posix() for p in (root / "records").rglob("*")) == before


def test_a_committed_state_folder_cannot_send_the_published_head_into_the_records_nor_forge_it(tmp_path):
    root = with_site(make_repo(tmp_path))
    (root / ".gitignore").write_text("site/\n")
    (root / ".order-archive").symlink_to("records/orders")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "state folder", who="huang.chihming", when=T1)
    before = sorted(p.relative_to(root).as_posix() for p in (root / "records").rglob("*"))
    built = orders(root, "build", ".", "--publish")
    assert built.returncode == 0, built.stderr[-2000:]
    assert sorted(p.relative_to(root).as_posix() for p in (root / "records").rglob("*")) == before
    from generator.trail.published import published_head

    assert published_head(root) == git(root, "rev-parse", "HEAD").strip()
    (root / ".order-archive").unlink()  # a published head written by a commit is no record of what was published
    (root / ".order-archive").mkdir()
    (root / ".order-archive/published-head").write_text("1" * 40 + "\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "state file", who="huang.chihming", when=T2)
    assert published_head(root) != "1" * 40


def test_the_caches_live_in_the_git_directory_of_each_work_tree(tmp_path):
    root = make_repo(tmp_path / "main")
    git(root, "worktree", "add", "-q", str(tmp_path / "other"))
    assert cachefile.folder(root) == root / ".git/order-archive"
    assert cachefile.folder(tmp_path / "other") == (root / ".git/worktrees/other/order-archive").resolve()
    plain = tmp_path / "plain"
    plain.mkdir()
    assert cachefile.folder(plain) == plain / ".cache/order-archive"  # an archive outside git
    check_archive(tmp_path / "other")
    assert (cachefile.folder(tmp_path / "other") / "history.marshal").is_file()
    assert not (tmp_path / "other/.cache").exists()


def test_an_author_cannot_approve_under_a_second_address(tmp_path):
    root = make_repo(tmp_path)
    edit(root, "records/organization.yaml", lambda d: next(p for p in d["people"] if p["id"] == "lin.yating")["emails"].append("yating@home.example"))
    amend_setup(root)
    on_branch(root, "task", "lin.yating", T1, "add a task", new_task)  # written as lin.yating@hongxin.example
    merge(root, "task", [], T2, committer="lin.yating", extra=["Approved-by: Ya-Ting <yating@home.example>"])
    assert "history.self-approval" in history_rules(root)


def test_changed_keys_in_the_work_tree_never_change_a_signed_verdict(tmp_path, keys):
    root = signed_repo(tmp_path, keys)
    on_branch(root, "task", "huang.chihming", T1, "add a task", new_task)
    signed_merge(root, keys, "lin.yating", "task", ["lin.yating"])
    assert same_as_fresh(root) == []
    # The key is rotated away afterwards (uncommitted here): what it signed while in force stays verified.
    edit(root, "records/organization.yaml", lambda d: next(p for p in d["people"] if p["id"] == "lin.yating").update(signing_keys=[public(keys["hsu.wenpin"])]))
    assert same_as_fresh(root) == []
    assert [a.verified for a in check_archive(root).approvals[-1].approvers] == [True]


# --------------------------------------------------------------------------
# Nothing outside the archive is published (a symlink among the site's static files)


def test_a_symlink_among_the_sites_static_files_is_an_error_and_never_published(tmp_path):
    from sitebuild import with_site

    root = with_site(make_repo(tmp_path))
    (root / "records/.site/passwd.txt").symlink_to("/etc/passwd")
    (root / "records/.site/extra").mkdir()
    (root / "records/.site/extra/hosts.txt").symlink_to("/etc/hosts")
    problems = [(p.path, p.rule) for p in check_archive(root).problems if p.rule == "layout.symlink"]
    assert ("records/.site/passwd.txt", "layout.symlink") in problems and ("records/.site/extra/hosts.txt", "layout.symlink") in problems
    result = orders(root, "build", ".", "--today", "2026-11-20")
    assert "Traceback" not in result.stderr
    assert not (root / "site/passwd.txt").exists() and not (root / "site/extra/hosts.txt").exists()
    assert (root / "site/robots.txt").is_file() and any((root / "site/assets/javascripts").iterdir())  # the real files still are


# --------------------------------------------------------------------------
# Attachments and the site's static files are on the trail (issue 13, point 3)

CONTRACT = f"{dossier('ORD-2026-0001')}/attachments/contract.pdf"


def replace_contract(root: Path) -> None:
    (root / CONTRACT).write_bytes(b"%PDF-1.4\n% a different contract\n")


def test_an_attachment_replaced_straight_on_main_is_an_unapproved_change(tmp_path):
    root = make_repo(tmp_path)
    direct(root, "chen.yichun", T1, "fix the contract scan", replace_contract)
    assert history_rules(root) == ["history.unapproved-change"]


def test_an_attachment_needs_the_approval_its_dossier_needs(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "scan", "chen.yichun", T1, "new contract scan", replace_contract)
    merge(root, "scan", ["huang.shuhua"], T2)  # finance: not who approves an order's documents
    assert history_rules(root) == ["history.approver-not-authorised"]
    on_branch(root, "scan2", "chen.yichun", T1, "newer contract scan", lambda r: (r / CONTRACT).write_bytes(b"%PDF-1.4\n% v3\n"))
    merge(root, "scan2", ["lin.yating"], T3)  # sales approves orders
    assert history_rules(root) == ["history.approver-not-authorised"]  # only the first one


def test_a_site_file_changed_straight_on_main_is_an_unapproved_change(tmp_path):
    from sitebuild import with_site

    root = with_site(make_repo(tmp_path))
    amend_setup(root)
    direct(root, "chen.yichun", T1, "robots", lambda r: (r / "records/.site/robots.txt").write_text("User-agent: *\nAllow: /\n"))
    assert history_rules(root) == ["history.unapproved-change"]
