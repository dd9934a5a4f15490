"""``orders check``: a branch checked as a pull request into the line it will be merged into.

A branch is checked against the line it will be merged into (``--base``):
the whole archive must validate, every status it changes must move along
the lifecycle table, only departments the policy names may edit each record
kind, nothing is deleted without a disposal, and no record it creates may
collide with one created on the base meanwhile — two people who both took
``ORD-2026-0042`` from "the next free number" is the classic failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import git

from generator.core.problems import Problem, Severity, UserError
from generator.pipeline import check_archive
from generator.records.catalog import Catalog
from generator.records.layout import RECORDS_DIR, place_of
from generator.records.safeyaml import parse
from generator.trail.approvals import STATUS_TYPES, invalid_move, is_disposed
from generator.trail.gitlog import read_changes, read_commit_objects
from generator.trail.repo import open_repository
from generator.trail.rules import People
from schemas.lifecycle import TRANSITION_CLAUSES


@dataclass(frozen=True)
class BranchChange:
    status: str  # A, M or D (against the merge base)
    path: str


def repository(root: Path) -> git.Repo:
    repo = open_repository(root)
    if repo is None:
        raise UserError(f"{root} is not the top folder of a git repository")
    return repo


def revision(repo: git.Repo, ref: str) -> str:
    try:
        return repo.git.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except git.GitCommandError:
        raise UserError(f"unknown revision {ref!r}; in CI fetch it first (actions/checkout with fetch-depth: 0)") from None


def check_branch(root: Path, base: str, today: date | None = None) -> list[Problem]:
    """All problems of the work tree at ``root`` as a change to ``base``."""
    repo = repository(root)
    base_sha = revision(repo, base)
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
            clause = TRANSITION_CLAUSES[place.kind]
            problems.append(_problem(catalog, change.path, "check.invalid-transition", f"the branch moves it {broken}", clause, ("status",)))
    return problems


def _editors(repo: git.Repo, merge_base: str, catalog: Catalog) -> list[Problem]:
    """Each commit on the branch is written by someone whose department may edit what it touches."""
    if catalog.policy is None or catalog.organization is None:
        return []
    people = People.of(catalog)
    changed = read_changes(repo, f"{merge_base}..HEAD", first_parent=False)
    objects = read_commit_objects(repo.working_tree_dir, [sha for sha, _ in changed])
    problems = []
    seen: set[tuple[str, str]] = set()
    for sha, changes in changed:
        name, address = objects[sha].author
        person = people.find(address)
        for path in (change.path for change in changes):
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
