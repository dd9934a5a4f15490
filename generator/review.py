"""Reviewing a branch: ``orders check`` on a pull request and ``orders approve`` to merge it.

A branch is checked against the line it will be merged into (``--base``):
the whole archive must validate, every status it changes must move along
the lifecycle table, only departments the policy names may edit each record
kind, nothing is deleted without a disposal, and no record it creates may
collide with one created on the base meanwhile — two people who both took
``ORD-2026-0042`` from "the next free number" is the classic failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import git

from .approvals import STATUS_TYPES, People, invalid_move, is_disposed
from .catalog import Catalog
from .history import open_repository, parse_identity
from .layout import RECORDS_DIR, place_of
from .pipeline import check_archive
from .problems import Problem, Severity, UserError
from .safeyaml import parse


@dataclass(frozen=True)
class BranchChange:
    status: str  # A, M or D (against the merge base)
    path: str


def _repo(root: Path) -> git.Repo:
    repo = open_repository(root)
    if repo is None:
        raise UserError(f"{root} is not the top folder of a git repository")
    return repo


def _rev(repo: git.Repo, ref: str) -> str:
    try:
        return repo.git.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except git.GitCommandError:
        raise UserError(f"unknown revision {ref!r}; in CI fetch it first (actions/checkout with fetch-depth: 0)") from None


def check_branch(root: Path, base: str, today: date | None = None) -> list[Problem]:
    """All problems of the work tree at ``root`` as a change to ``base``."""
    repo = _repo(root)
    base_sha = _rev(repo, base)
    merge_base = repo.git.merge_base(base_sha, "HEAD").strip()
    result = check_archive(root, today, history=False)
    catalog = result.catalog
    problems = list(result.problems)
    changes = _changes(repo, merge_base)
    problems += _transitions(repo, merge_base, changes, catalog)
    problems += _editors(repo, merge_base, catalog)
    problems += _collisions(repo, merge_base, base_sha, changes)
    problems.sort(key=lambda p: p.sort_key)
    return problems


def _changes(repo: git.Repo, merge_base: str) -> list[BranchChange]:
    """Record files the branch (and the uncommitted work tree) adds, modifies or deletes."""
    out = repo.git.diff("--name-status", "--no-renames", "-z", merge_base, "--", RECORDS_DIR + "/")
    parts = out.strip("\x00").split("\x00") if out else []
    changes = [BranchChange(parts[i][0], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
    untracked = repo.git.ls_files("--others", "--exclude-standard", "-z", "--", RECORDS_DIR + "/")
    changes += [BranchChange("A", p) for p in untracked.split("\x00") if p]
    return [c for c in changes if place_of(c.path.removeprefix(RECORDS_DIR + "/"))]


def _problem(catalog: Catalog, path: str, rule: str, message: str, clause: str | None, loc=("id",)) -> Problem:
    place = place_of(path.removeprefix(RECORDS_DIR + "/"))
    entry = next((e for e in catalog.by_id.get(place.expected_id or "", []) if e.path == path), None) if place else None
    line, col = catalog.position(entry, loc) if entry is not None else (1, 1)
    return Problem(path, line, col, rule, message, clause, Severity.ERROR)


def _transitions(repo: git.Repo, merge_base: str, changes: list[BranchChange], catalog: Catalog) -> list[Problem]:
    problems = []
    for change in changes:
        place = place_of(change.path.removeprefix(RECORDS_DIR + "/"))
        if change.status == "D":
            if not is_disposed(change.path, catalog):
                problems.append(
                    _problem(catalog, change.path, "check.deleted-without-disposal", "the branch deletes this record, but no disposal lists it", "§8.2")
                )
            continue
        status_type = STATUS_TYPES.get(place.kind)
        if change.status != "M" or status_type is None:
            continue
        old_data, _ = parse(repo.odb.stream(bytes.fromhex(repo.git.rev_parse(f"{merge_base}:{change.path}"))).read(), change.path)
        entry = next((e for e in catalog.by_id.get(place.expected_id or "", []) if e.path == change.path), None)
        if old_data is None or entry is None:
            continue
        broken = invalid_move(status_type, old_data.get("status"), entry.model.status)
        if broken:
            problems.append(_problem(catalog, change.path, "check.invalid-transition", f"the branch moves it {broken}", "§2.3, §5.4, §6.5", ("status",)))
    return problems


def _editors(repo: git.Repo, merge_base: str, catalog: Catalog) -> list[Problem]:
    """Each commit on the branch is written by someone whose department may edit what it touches."""
    if catalog.policy is None or catalog.organization is None:
        return []
    people = People(catalog)
    out = repo.git.log("--format=%x1e%H%x1f%an <%ae>", "--name-only", "--no-renames", f"{merge_base}..HEAD", "--", RECORDS_DIR + "/")
    problems = []
    seen: set[tuple[str, str]] = set()
    for chunk in out.split("\x1e")[1:]:
        header, _, names = chunk.partition("\n")
        sha, identity = header.split("\x1f")
        name, address = parse_identity(identity)
        person = people.find(address)
        for path in filter(None, (n.strip() for n in names.splitlines())):
            place = place_of(path.removeprefix(RECORDS_DIR + "/"))
            if place is None or (address, place.kind) in seen:
                continue
            seen.add((address, place.kind))
            editors = getattr(catalog.policy.approvals, place.kind).editors
            if person is None:
                problems.append(
                    _problem(catalog, path, "check.unknown-author", f"commit {sha[:10]} is by {name} <{address}>, who is not in organization.yaml", "§1.4")
                )
            elif editors and person.department not in editors:
                allowed = ", ".join(editors)
                problems.append(
                    _problem(
                        catalog, path, "check.editor-not-allowed", f"{person.id} ({person.department}) may not edit {place.kind} records; {allowed} may", "§1.4"
                    )
                )
    return problems


def _collisions(repo: git.Repo, merge_base: str, base_sha: str, changes: list[BranchChange]) -> list[Problem]:
    """Records this branch creates that the base created too, after the branch started."""
    added = [c.path for c in changes if c.status == "A"]
    if not added:
        return []
    on_base = set(repo.git.ls_tree("-r", "--name-only", base_sha, "--", RECORDS_DIR + "/").splitlines())
    problems = []
    for path in added:
        if path in on_base:
            record_id = place_of(path.removeprefix(RECORDS_DIR + "/")).expected_id or path  # type: ignore[union-attr]
            problems.append(
                Problem(
                    path,
                    1,
                    1,
                    "check.id-collision",
                    f"{record_id} was also created on {base_sha[:10]} after this branch started; renumber it (orders new takes the next free number)",
                    "§2.2",
                )
            )
    return problems


# --------------------------------------------------------------------------
# orders approve


def approve(root: Path, branch: str, approver_emails: list[str], today: date | None = None, sign: bool = False) -> str:
    """Merge ``branch`` into the current branch with ``Approved-by`` trailers, after checking everything.

    Returns the merge commit; raises ``UserError`` with every reason it refuses.
    """
    repo = _repo(root)
    if repo.is_dirty(untracked_files=True):
        raise UserError("the work tree has uncommitted changes; commit or stash them before approving")
    target = repo.active_branch.name
    branch_sha = _rev(repo, branch)
    head_sha = repo.head.commit.hexsha
    result = check_archive(root, today, history=False)
    catalog = result.catalog
    people = People(catalog)
    reasons: list[str] = []
    approvers = []
    for address in approver_emails:
        person = people.find(address)
        if person is None:
            reasons.append(f"{address} is not in organization.yaml")
        else:
            approvers.append(person)
    authors = {parse_identity(a) for a in repo.git.log("--format=%an <%ae>", f"{head_sha}..{branch_sha}").splitlines()}
    if not authors:
        raise UserError(f"{branch} has nothing to merge into {target}")
    author_people = {p.id for _, address in authors if (p := people.find(address))}
    for person in approvers:
        if person.id in author_people:
            reasons.append(f"{person.id} wrote changes on {branch}, so cannot approve them (four-eyes)")
    kinds = sorted(
        {
            p.kind
            for path in repo.git.diff("--name-only", f"{head_sha}...{branch_sha}", "--", RECORDS_DIR + "/").splitlines()
            if (p := place_of(path.removeprefix(RECORDS_DIR + "/")))
        }
    )
    if catalog.policy is not None:
        for kind in kinds:
            rule = getattr(catalog.policy.approvals, kind)
            for department in rule.departments:
                if not any(people.may_approve(p, department, rule.heads_only) and p.id not in author_people for p in approvers):
                    reasons.append(f"changes to {kind} need {'the head' if rule.heads_only else 'an approver'} of {department}")
    problems = _check_in_worktree(repo, branch_sha, target, today)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    reasons += [f"check: {p.format()}" for p in errors]
    if reasons:
        raise UserError("refused to approve " + branch + ":\n  " + "\n  ".join(reasons))
    trailers = "\n".join(f"Approved-by: {p.name_en or p.name} <{addr}>" for p, addr in zip(approvers, approver_emails, strict=False))
    message = f"Merge branch '{branch}'\n\nReviewed with orders check: {len(problems)} warning(s), no errors.\n\n{trailers}\n"
    first = approvers[0]
    env = {
        "GIT_AUTHOR_NAME": first.name_en or first.name,
        "GIT_AUTHOR_EMAIL": approver_emails[0],
        "GIT_COMMITTER_NAME": first.name_en or first.name,
        "GIT_COMMITTER_EMAIL": approver_emails[0],
    }
    args = ["git", "merge", "--no-ff", "-m", message] + (["-S"] if sign else []) + [branch_sha]
    merged = subprocess.run(args, cwd=root, env={**os.environ, **env}, capture_output=True, text=True, check=False)
    if merged.returncode != 0:
        subprocess.run(["git", "merge", "--abort"], cwd=root, capture_output=True, check=False)
        raise UserError(f"git could not merge {branch}: {merged.stderr.strip() or merged.stdout.strip()}")
    return repo.head.commit.hexsha


def _check_in_worktree(repo: git.Repo, branch_sha: str, base: str, today: date | None) -> list[Problem]:
    """``orders check`` of the branch tip, in a temporary work tree, so the reviewer's checkout is untouched."""
    folder = Path(tempfile.mkdtemp(prefix="orders-approve-"))
    tree = folder / "tree"
    try:
        repo.git.worktree("add", "--detach", "--quiet", str(tree), branch_sha)
        return check_branch(tree, base, today)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=repo.working_tree_dir, capture_output=True, check=False)
        shutil.rmtree(folder, ignore_errors=True)
