"""``orders approve``: a reviewer merges a branch with ``Approved-by`` trailers, for teams without a platform.

It refuses what the main line's check would flag: approvers not in the
organisation, approvers who wrote changes on the branch (four-eyes), missing
departments for a kind, and any error of ``orders check`` on the branch tip.

Where the policy requires signed approvals, one merge carries one signature;
the other approvers each sign an *approval commit* first (``--on-branch``): an
empty commit on the branch's tip, signed by them, which the trail counts
while nothing on the branch changes after it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import git

from generator.core.problems import Problem, Severity, UserError
from generator.pipeline import check_archive
from generator.records.layout import RECORDS_DIR, dossier_folder, place_of
from generator.records.safeyaml import parse
from generator.trail.approvals import CLOSED, entered_states, kinds_changed, reopens, subject_name
from generator.trail.gitlog import hands_of, is_empty, read_commit_objects
from generator.trail.rules import People, Rules
from generator.workflow.check import check_branch, repository, revision
from schemas.organization import Person


def approve(root: Path, branch: str, approver_emails: list[str], today: date | None = None, sign: bool = False) -> str:
    """Merge ``branch`` into the current branch with ``Approved-by`` trailers, after checking everything.

    Returns the merge commit; raises ``UserError`` with every reason it refuses.
    """
    repo = repository(root)
    lock = Path(repo.git_dir) / "index.lock"
    if lock.exists():  # git would stop half-way and leave a merge in progress behind
        raise UserError(f"another git command is running here ({lock} exists); wait for it, or remove the lock if none is")
    if repo.is_dirty(untracked_files=True):
        raise UserError("the work tree has uncommitted changes; commit or stash them before approving")
    target = repo.active_branch.name
    branch_sha = revision(repo, branch)
    head_sha = repo.head.commit.hexsha
    result = check_archive(root, today, history=False)
    catalog = result.catalog
    rules = Rules(catalog.organization, catalog.policy, People.of(catalog))  # the target is checked out: its rules are in force
    people = rules.people
    reasons: list[str] = []
    approvers = []
    for address in approver_emails:
        person = people.find(address)
        if person is None:
            reasons.append(f"{address} is not in organization.yaml")
        else:
            approvers.append(person)
    brought_in = repo.git.rev_list(f"{head_sha}..{branch_sha}").split()
    if not brought_in:
        raise UserError(f"{branch} has nothing to merge into {target}")
    objects = read_commit_objects(repo.working_tree_dir, brought_in)
    hands = {who for raw in objects.values() if not is_empty(raw, objects) for who in hands_of(raw)}  # approval commits change nothing
    author_people = {p.id for _, address in hands if (p := people.find(address))}
    for person in approvers:
        if person.id in author_people:
            reasons.append(f"{person.id} wrote or committed changes on {branch}, so cannot approve them (four-eyes): someone else approves")
    changed = repo.git.diff("--name-only", "--no-renames", "-z", f"{head_sha}...{branch_sha}").split("\0")
    if catalog.policy is not None:
        subjects = kinds_changed(filter(None, changed), rules) + _lifecycle(repo, head_sha, branch_sha, [p for p in changed if p], rules)
        for kind in subjects:
            rule = rules.rule(kind)
            for department in rule.departments:
                if not any(people.may_approve(p, department, rule.heads_only) and p.id not in author_people for p in approvers):
                    who = "the head" if rule.heads_only else "an approver"
                    fix = _who_may(people, department, rule.heads_only, author_people)
                    reasons.append(f"changes to {subject_name(kind)} need {who} of {department}: {fix}")
    problems = _check_in_worktree(repo, branch_sha, target, today)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    reasons += [f"check: {p.format()}" for p in errors]
    if reasons:
        raise UserError("refused to approve " + branch + ":\n  " + "\n  ".join(reasons))
    trailers = "\n".join(f"Approved-by: {p.name_en or p.name} <{addr}>" for p, addr in zip(approvers, approver_emails, strict=False))
    message = f"Merge branch '{branch}'\n\nReviewed with orders check: {len(problems)} warning(s), no errors.\n\n{trailers}\n"
    env = _as_person(approvers[0], approver_emails[0])
    args = ["git", "merge", "--no-ff", "-m", message] + (["-S"] if sign else []) + [branch_sha]
    merged = subprocess.run(args, cwd=root, env={**os.environ, **env}, capture_output=True, text=True, check=False)
    if merged.returncode != 0:
        subprocess.run(["git", "merge", "--abort"], cwd=root, capture_output=True, check=False)
        for state in ("MERGE_HEAD", "MERGE_MSG", "MERGE_MODE"):  # whatever --abort could not undo
            (Path(repo.git_dir) / state).unlink(missing_ok=True)
        raise UserError(f"git could not merge {branch}: {merged.stderr.strip() or merged.stdout.strip()}")
    return repo.head.commit.hexsha


def _who_may(people, department: str, heads_only: bool, authors: set[str]) -> str:
    """Who could give the missing approval, or what to do when nobody can (a new archive has one person)."""
    able = [p for p in people.people.values() if p.id not in authors and people.may_approve(p, department, heads_only)]
    if able:
        return "ask " + ", ".join(f"{p.id} <{p.emails[0]}>" for p in able[:5]) + (" …" if len(able) > 5 else "")
    return f"nobody but the branch's authors can approve for {department}: add a second person to records/organization.yaml first"


def _lifecycle(repo: git.Repo, head: str, branch: str, paths: list[str], rules: Rules) -> tuple[str, ...]:
    """The states the branch's records enter, and ``closed_dossier`` when it reopens a settled order's amounts,
    client, settlement or change requests — what the trail will ask of this merge (``lifecycle_subjects``)."""
    base = repo.git.merge_base(head, branch).strip()

    def version(rev: str, path: str) -> dict | None:
        try:
            data, _ = parse(repo.git.show(f"{rev}:{path}", stdout_as_string=False), path)
        except git.GitCommandError:
            return None
        return data if isinstance(data, dict) else None

    subjects: set[str] = set()
    for path in paths:
        place = place_of(path.removeprefix(RECORDS_DIR + "/"))
        if place is None or (new := version(branch, path)) is None:
            continue
        old = version(base, path)
        subjects.update(entered_states(place.kind, old.get("status") if old is not None else None, new.get("status")))
        order = version(head, f"{dossier_folder(place.order_id)}/order.yaml") if place.order_id else None
        if order is not None and order.get("status") in CLOSED:
            changed_fields = [k for k in {*(old or {}), *new} if (old or {}).get(k) != new.get(k)]
            if reopens(place.kind, changed_fields):
                subjects.add("closed_dossier")
    return tuple(sorted(s for s in subjects if rules.needs(s)))


def sign_on_branch(root: Path, branch: str, approver_email: str) -> str:
    """A signed, empty approval commit by ``approver_email`` on the tip of the local ``branch``; returns its id."""
    repo = repository(root)
    person = People.of(check_archive(root, history=False).catalog).find(approver_email)
    if person is None:
        raise UserError(f"{approver_email} is not in organization.yaml")
    if f"refs/heads/{branch}" not in {ref.path for ref in repo.references}:
        raise UserError(f"{branch} is not a local branch")
    tip = revision(repo, branch)
    env = _as_person(person, approver_email)
    message = f"Approve {branch}\n\nApproved-by: {env['GIT_AUTHOR_NAME']} <{approver_email}>\n"
    args = ["git", "commit-tree", "-S", "-p", tip, "-m", message, f"{tip}^{{tree}}"]
    made = subprocess.run(args, cwd=root, env={**os.environ, **env}, capture_output=True, text=True, check=False)
    if made.returncode != 0:
        raise UserError(f"git could not sign an approval commit: {made.stderr.strip()}")
    sha = made.stdout.strip()
    repo.git.update_ref(f"refs/heads/{branch}", sha, tip)  # only if nobody moved the branch meanwhile
    return sha


def _as_person(person: Person, address: str) -> dict[str, str]:
    """git's environment for a commit authored and committed by ``person`` under ``address``."""
    name = person.name_en or person.name
    return {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": address, "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": address}


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
