"""A real git repository in tmp_path, with repo-local identities and explicit dates, for history tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from editing import read, write

from generator.demo.archive import demo_files
from generator.demo.company import email

SETUP_DATE = "2025-12-01T09:00:00+08:00"


def git(root: Path, *args: str, who: str = "tseng.yawen", when: str = SETUP_DATE, check: bool = True) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": who,
        "GIT_AUTHOR_EMAIL": email(who),
        "GIT_COMMITTER_NAME": who,
        "GIT_COMMITTER_EMAIL": email(who),
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
    }
    result = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def make_repo(root: Path, policy_changes: dict[str, Any] | None = None) -> Path:
    """The 10-order demo archive committed once: the root commit, judged by no policy; its policy tracks every commit after it."""
    for rel, content in demo_files(10, seed=7).items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    policy = read(root, "records/policy.yaml")
    policy.update(policy_changes or {})
    write(root, "records/policy.yaml", policy)
    (root / ".gitignore").write_text(".cache/\n.order-archive/\nsite/\n.site.*/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test Runner")
    git(root, "config", "user.email", "runner@test.invalid")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Set up the archive")
    return root


def amend_setup(root: Path) -> None:
    """Fold the work tree into the set-up commit: the root commit, which no policy judges."""
    git(root, "add", "-A")
    git(root, "commit", "-q", "--amend", "--no-edit")


def on_branch(root: Path, branch: str, who: str, when: str, message: str, change) -> None:
    """Commit ``change(root)`` as ``who`` on a new branch from main, then return to main."""
    git(root, "checkout", "-q", "-b", branch, "main")
    change(root)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, who=who, when=when)
    git(root, "checkout", "-q", "main")


def merge(root: Path, branch: str, approvers: list[str], when: str, committer: str | None = None, extra: list[str] = ()) -> None:
    trailers = "\n".join([f"Approved-by: {p} <{email(p)}>" for p in approvers] + list(extra))
    who = committer or (approvers[0] if approvers else "tseng.yawen")
    git(root, "merge", "-q", "--no-ff", "-m", f"Merge branch '{branch}'\n\n{trailers}\n", branch, who=who, when=when)


def direct(root: Path, who: str, when: str, message: str, change) -> None:
    change(root)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, who=who, when=when)
