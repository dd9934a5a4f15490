"""The rules in force: ``organization.yaml`` and ``policy.yaml`` as they stood at each commit's base.

A main-line commit is judged by the organisation and policy of its first
parent — the line it was merged into. A change to either takes effect for
the commits after it; the commit that makes it is judged by the old ones,
so a branch cannot promote its own approver, loosen the rule it needs, or
switch tracking off for itself, and a person who leaves or moves later
keeps every approval they gave while in office. Whether a commit is
tracked at all is decided the same way — by the policy at its base, never
by a date, which anyone can write into a commit.

A version that does not validate leaves the last valid one in force (the
commit that brought it is reported), so breaking a file never loosens it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from generator.records.safeyaml import parse
from schemas.organization import Department, Organization, Person, Role
from schemas.policy import PROTECTED_FILES, ApprovalRule, Policy

ORGANIZATION = "records/organization.yaml"
POLICY = "records/policy.yaml"
RULE_FILES = (ORGANIZATION, POLICY)

Blobs = tuple[str | None, str | None]
"""Blob ids of (organization.yaml, policy.yaml) in one commit's tree; None where the file is absent."""


class People:
    """Look-ups in one version of organization.yaml by e-mail (case-insensitive) and id."""

    def __init__(self, organization: Organization | None, policy: Policy | None):
        self.organization = organization
        self.people: dict[str, Person] = {p.id: p for p in organization.people} if organization else {}
        self.departments: dict[str, Department] = {d.id: d for d in organization.departments} if organization else {}
        self.by_email = {e.lower(): p for p in self.people.values() for e in p.emails}
        self._may: dict[tuple[str, str, bool], bool] = {}
        self._found: dict[str, Person | None] = {}
        self.platforms = {a.lower() for a in policy.platform_committers} | {p.committer.lower() for p in policy.platforms} if policy else set()
        """Committer addresses of merge buttons."""

    @classmethod
    def of(cls, catalog) -> People:
        """The people of the work tree's organisation (what a branch is checked against before it is merged)."""
        return cls(catalog.organization, catalog.policy)

    def find(self, email: str) -> Person | None:
        found = self._found.get(email, self)  # tens of thousands of look-ups of a few hundred addresses
        if found is self:
            found = self._found[email] = self.by_email.get(email.lower())
        return found  # type: ignore[return-value]

    @staticmethod
    def shown(person: Person) -> str:
        """How the site names a person: as organization.yaml does, in both scripts when it has both."""
        return person.name if not person.name_en or person.name_en == person.name else f"{person.name} {person.name_en}"

    def may_approve(self, person: Person, department: str, heads_only: bool) -> bool:
        key = (person.id, department, heads_only)
        if key not in self._may:
            self._may[key] = self._may_approve(person, department, heads_only)
        return self._may[key]

    def _may_approve(self, person: Person, department: str, heads_only: bool) -> bool:
        if person.department != department or not person.active:
            return False
        head = self.departments.get(department)
        is_head = head is not None and head.head == person.id
        return is_head if heads_only else is_head or Role.APPROVER in person.roles or Role.HEAD in person.roles


@dataclass(frozen=True)
class Rules:
    """One organisation and policy, as they were in force for some commits."""

    organization: Organization | None
    policy: Policy | None
    people: People
    _state_rules: dict[str, ApprovalRule] = field(default_factory=dict, compare=False, repr=False)

    @property
    def tracked(self) -> bool:
        """Whether merges under these rules must be approved; without an organisation nobody can approve (fail closed)."""
        return self.policy is not None and self.policy.approvals_required

    def needs(self, subject: str) -> bool:
        """Whether a lifecycle subject (``order→in_progress``, ``closed_dossier``) asks for approvals here."""
        assert self.policy is not None
        if "→" in subject:
            kind, state = subject.split("→")
            return bool(getattr(self.policy.approvals, kind).states.get(state))
        return True

    def rule(self, subject: str) -> ApprovalRule:
        """The approval rule for a record kind, a state entered, a closed dossier or a protected file pattern."""
        assert self.policy is not None
        if "→" in subject:
            if subject not in self._state_rules:
                kind, state = subject.split("→")
                self._state_rules[subject] = ApprovalRule(departments=getattr(self.policy.approvals, kind).states.get(state, []))
            return self._state_rules[subject]
        if subject == "closed_dossier":
            return self.policy.approvals.closed_dossier or self.policy.approvals.policy
        if not subject.startswith("file:"):
            return getattr(self.policy.approvals, subject)
        pattern = subject.removeprefix("file:")
        return next((r for r in self.policy.approvals.files if pattern in r.paths), self.policy.approvals.organization)

    def file_subject(self, path: str) -> str | None:
        """``file:<pattern>`` for a path the policy (or the default list) protects, else None."""
        patterns = [p for r in self.policy.approvals.files for p in r.paths] if self.policy else []
        return next((f"file:{p}" for p in (*patterns, *PROTECTED_FILES) if glob(p).fullmatch(path)), None)


class RulesBook:
    """The rules each commit is judged by, from the blobs at every commit's base in history order (``bases``) and
    the texts of every version of the two files (each parsed once).

    What one commit's rules are depends on the versions before it only where its own does not validate: then the
    last valid one before it stays in force. So it is worked out from ``bases`` for whichever commit is asked
    about, in any order: a build after a merge asks only about the new commits, and a process beside about half of
    a history judged from nothing (it once walked the commits asked about in order, keeping the last valid
    version met: asked about the new commits alone, one at a base that did not validate had no rules in force)."""

    def __init__(self, texts: dict[str, bytes], bases: Sequence[Blobs] = ()):
        self.texts = texts
        self.bases = bases
        self._models: dict[str | None, Organization | Policy | None] = {}
        self._rules: dict[tuple[int, int], Rules] = {}
        self._carried: dict[tuple[int, int], Organization | Policy | None] = {}  # (file, base) → the version in force
        self._settled: dict[Blobs, Rules] = {}  # the rules of blobs that both validate (or are absent), wherever met

    def valid(self, blob: str | None, path: str) -> bool:
        return blob is None or self.model(blob, path) is not None

    def in_force(self, index: int) -> Rules:
        """The rules at ``bases[index]``: one Rules for each pair of versions, so its people are worked out once."""
        blobs = self.bases[index]
        rules = self._settled.get(blobs)  # a hundred thousand commits, a few hundred pairs of blobs
        if rules is not None:
            return rules
        organization, policy = self._version(0, index), self._version(1, index)
        key = (id(organization), id(policy))
        if key not in self._rules:
            self._rules[key] = Rules(organization, policy, People(organization, policy))  # type: ignore[arg-type]
        if all(self.valid(blob, path) for blob, path in zip(blobs, RULE_FILES, strict=True)):  # none carried from before
            self._settled[blobs] = self._rules[key]
        return self._rules[key]

    def _version(self, file: int, index: int) -> Organization | Policy | None:
        """The version of ``RULE_FILES[file]`` in force at ``bases[index]``: its own where it validates, none where
        the file is absent, else the one in force at the base before. Each base walked past is remembered, so a
        file left broken for many commits is walked once."""
        path = RULE_FILES[file]
        passed: list[tuple[int, int]] = []
        found = None
        while index >= 0:
            carried = self._carried.get((file, index), self)
            if carried is not self:
                found = carried
                break
            blob = self.bases[index][file]
            found = self.model(blob, path) if blob else None
            if found is not None or not blob:
                break
            passed.append((file, index))
            index -= 1
        for place in passed:
            self._carried[place] = found  # type: ignore[assignment]
        return found  # type: ignore[return-value]

    def model(self, blob: str | None, path: str):
        """One version's model, or None when it is absent or does not validate."""
        if blob is None:
            return None
        if blob not in self._models:
            self._models[blob] = read_model(self.texts.get(blob), path)
        return self._models[blob]


def read_model(content: bytes | None, path: str) -> Organization | Policy | None:
    """One version of organization.yaml or policy.yaml, or None when it is absent or does not validate."""
    if content is None:
        return None
    data, problems = parse(content, path)
    if data is None or problems:
        return None
    try:
        return (Organization if path == ORGANIZATION else Policy).model_validate(data)
    except ValidationError:
        return None


@functools.cache
def glob(pattern: str) -> re.Pattern[str]:
    """A path pattern as a regular expression: ``*`` and ``?`` stay within a folder, ``**`` crosses folders."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out), re.DOTALL)
