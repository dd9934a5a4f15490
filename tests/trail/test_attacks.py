"""An insider attacks the approval trail: each test is an attack in a real repository.

Each was written first against the code before its fix and seen to pass
unnoticed there (or crash); the fix makes it a located error. Honest work
beside each attack must still pass.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from editing import dossier, edit
from gitrepo import git, make_repo, merge, on_branch

from generator.demo.company import email
from generator.pipeline import check_archive

O5 = f"{dossier('ORD-2026-0005')}/order.yaml"
T1, T2, T3 = "2026-02-02T10:00:00+08:00", "2026-02-02T16:00:00+08:00", "2026-02-03T10:00:00+08:00"


def orders(root: Path, *args: str) -> subprocess.CompletedProcess:
    """The ``orders`` command in a fresh process, as a user runs it (no traceback may appear)."""
    return subprocess.run([sys.executable, "-m", "generator.cli", *args], cwd=root, capture_output=True, text=True, check=False, timeout=300)


def history_rules(root: Path) -> list[str]:
    return sorted(p.rule for p in check_archive(root).problems if p.rule.startswith("history."))


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
