"""The approval trail: who approved each change on the main line, checked against the organisation.

A commit on the main line that changes records is an approval event —
normally a ``--no-ff`` merge whose ``Approved-by: Name <email>`` trailers
name the approvers. Each approver is checked against ``organization.yaml``
and ``policy.yaml``, never taken on trust: the person exists, holds the
role the policy requires for every record kind the commit touched, and put
no hand on what they approve (four-eyes). Trailers and author names are
trivially forged: unsigned, the merge's committer must be one of its
approvers (or the platform's merge button) so a trailer at least names who
merged; signed, an approval counts only when git verified a signature of
that very person, on the merge or on an approval commit at the branch's tip,
with the keys in force at the merge's base.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from generator.core.problems import Problem, Severity
from generator.records.catalog import Catalog
from generator.records.layout import RECORDS_DIR, place_of
from generator.trail.commits import Commit, History
from schemas import TRANSITIONS, ChangeStatus, OrderStatus, QualityStatus, SettlementStatus
from schemas.organization import Person, Role
from schemas.policy import Approver as RequiredApprover

STATUS_TYPES = {
    "order": OrderStatus,
    "change_request": ChangeStatus,
    "quality_record": QualityStatus,
    "settlement": SettlementStatus,
}
DOSSIER_KINDS = frozenset({"order", "change_request", "quality_record", "delivery", "settlement"})


@dataclass(frozen=True, slots=True)
class Approver:
    name: str
    email: str
    person: str | None  # id in organization.yaml, None when unknown
    verified: bool  # git verified the merge signature, and the signer is this approver


@dataclass
class Approval:
    """One approval event on the main line and what is wrong with it."""

    commit: Commit
    kinds: tuple[str, ...]
    approvers: tuple[Approver, ...]
    tracked: bool  # False: before the policy's approvals_required_from
    acknowledged: str | None = None  # the policy's reason, when it accepted this commit
    problems: list[tuple[str, str]] = field(default_factory=list)  # (rule id, message)

    @property
    def ok(self) -> bool:
        return not self.problems


class People:
    """Look-ups in organization.yaml by e-mail (case-insensitive) and id."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.by_email = {e.lower(): p for p in catalog.people.values() for e in p.emails}
        self._may: dict[tuple[str, str, bool], bool] = {}
        self._found: dict[str, Person | None] = {}
        self.platforms = {a.lower() for a in catalog.policy.platform_committers} if catalog.policy else set()

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
        head = self.catalog.departments.get(department)
        is_head = head is not None and head.head == person.id
        return is_head if heads_only else is_head or Role.APPROVER in person.roles or Role.HEAD in person.roles


def evaluate(history: History, catalog: Catalog) -> list[Approval]:
    """One ``Approval`` per main-line commit that changed records, oldest first."""
    people = People(catalog)
    policy = catalog.policy
    start = policy.approvals_required_from if policy else None
    acknowledged = {a.commit: a.reason for a in policy.acknowledged} if policy else {}
    out = []
    for commit in history.commits:
        kinds = kinds_changed(commit)
        if not kinds:
            continue
        approvers = _approvers(commit, people, policy)
        approval = Approval(commit, kinds, approvers, tracked=start is None or commit.day >= start)
        approval.acknowledged = next((reason for sha, reason in acknowledged.items() if commit.sha.startswith(sha)), None)
        if approval.tracked and catalog.organization is not None and policy is not None:
            approval.problems = list(_check(approval, people, catalog))
        out.append(approval)
    return out


_ATTACHMENT = re.compile(r"orders/[0-9]{4}/(ORD-[0-9]{4}-[0-9]{4})/attachments/.+")


def kinds_changed(commit: Commit) -> tuple[str, ...]:
    """The record kinds whose approval a commit needs. An attachment is judged with the records of its dossier
    that change beside it, else as a change to the order; the site's static files (``records/.site``) as a
    change to the organisation file (administration)."""
    kinds: set[str] = set()
    by_dossier: dict[str, set[str]] = {}
    attachments: set[str] = set()
    for change in commit.changes:
        rel = change.path.removeprefix(RECORDS_DIR + "/")
        place = place_of(rel)
        if place is not None:
            kinds.add(place.kind)
            if place.order_id:
                by_dossier.setdefault(place.order_id, set()).add(place.kind)
        elif match := _ATTACHMENT.fullmatch(rel):
            attachments.add(match.group(1))
        elif rel.startswith(".site/"):
            kinds.add("organization")
    for order_id in attachments:
        kinds |= by_dossier.get(order_id) or {"order"}
    return tuple(sorted(kinds))


def _approvers(commit: Commit, people: People, policy) -> tuple[Approver, ...]:
    """The merge's Approved-by trailers (and, signed, whoever signed an approval commit), named as organization.yaml
    names them: a trailer's display name is never shown, only its address counts."""
    named = list(commit.trailers)
    if not named and commit.is_merge and policy is not None and policy.allow_committer_as_approver:
        named = [commit.committer]
    signed = policy is not None and policy.require_signed_approvals
    if signed:
        named += [("", address) for address in commit.cosigned]
    signers = (commit.signer if commit.signature == "G" else "", *commit.cosigned) if signed else ()
    verified_people = {p.id for address in signers if (p := people.find(address))}
    out: list[Approver] = []
    seen: set[str] = set()
    for name, email in named:
        person = people.find(email)
        if (person.id if person else email.lower()) in seen:
            continue
        seen.add(person.id if person else email.lower())
        verified = person is not None and person.id in verified_people
        out.append(Approver(people.shown(person) if person else name, email, person.id if person else None, verified))
    return tuple(out)


def _check(approval: Approval, people: People, catalog: Catalog):
    commit = approval.commit
    policy = catalog.policy
    for fault in commit.faults:
        yield "history.malformed-commit", f"commit {commit.short} is not as git writes it: {fault}"
    if not commit.is_merge:
        yield "history.unapproved-change", f"committed straight to the main line by {commit.author[1]}, without a reviewed merge"
        return
    if commit.brought_in == 0:
        yield "history.fake-merge", "a merge that brings in no commit: its changes were made in the merge itself, and it approves nothing"
        return
    if commit.own_changes:
        yield "history.evil-merge", f"{commit.own_changes}; what the merge itself changed was never on the reviewed branch"
    if not approval.approvers:
        yield "history.unapproved-change", "merged without an Approved-by trailer"
        return
    signed = policy.require_signed_approvals
    if not signed:
        committer = people.find(commit.committer[1])
        platform = commit.committer[1].lower() in people.platforms
        if not platform and (committer is None or committer.id not in {a.person for a in approval.approvers}):
            yield "history.committer-not-approver", f"committed by {commit.committer[1]}, who is not among its approvers: anyone can type a trailer"
    # Four-eyes against every hand on the change: authors, committers and co-authors of the commits it brings in
    # and the merge's own co-authors — compared as people (any of their addresses) and as addresses.
    authors = {email.lower() for _, email in commit.hands}
    author_people = {p.id for _, email in commit.hands if (p := people.find(email))}
    known: list[Person] = []
    for approver in approval.approvers:
        person = people.find(approver.email)
        if person is None:
            yield "history.unknown-approver", f"{approver.name} <{approver.email}> is not in organization.yaml"
            continue
        if approver.email.lower() in authors or person.id in author_people:
            yield "history.self-approval", f"{person.id} approved changes they wrote, committed or co-authored themselves"
            continue
        if signed and not approver.verified:
            claim = "no signature of theirs that git verified with the keys in force at the merge's base"
            yield "history.unverified-approval", f"{person.id}'s approval is only a claim: {claim} is on the merge or on an approval commit at the branch's tip"
            continue
        known.append(person)
    for kind in approval.kinds:
        rule = getattr(policy.approvals, kind)
        for department in rule.departments:
            if not any(people.may_approve(p, department, rule.heads_only) for p in known):
                who = "the head" if rule.heads_only else "an approver"
                yield "history.approver-not-authorised", f"changes to {kind} need {who} of {department}; approved by {_names(known)}"
        if RequiredApprover.HEAD_OF_BORROWER_DEPARTMENT in rule.approvers:
            for change in commit.changes:
                entry = next(iter(catalog.by_id.get(_id_of(change.path) or "", [])), None)
                if entry is not None and entry.kind == "loan":
                    head = catalog.departments.get(entry.model.department)
                    if head is not None and head.head not in {p.id for p in known}:
                        yield "history.approver-not-authorised", f"{entry.model.id} needs the approval of {head.head}, head of {head.id}"


def _names(people: list[Person]) -> str:
    return ", ".join(p.id for p in people) or "nobody authorised"


def _id_of(path: str) -> str | None:
    place = place_of(path.removeprefix(RECORDS_DIR + "/"))
    return place.expected_id if place else None


# --------------------------------------------------------------------------
# Problems for orders validate


def history_problems(history: History, catalog: Catalog, approvals: list[Approval], rewritten_from: str | None = None) -> list[Problem]:
    """Approval, lifecycle and deletion problems across the history, located at the record's file."""
    problems: list[Problem] = []

    def at(path: str, rule: str, message: str, severity: Severity = Severity.ERROR, loc=("id",)) -> None:
        entry = next((e for e in catalog.by_id.get(_id_of(path) or "", []) if e.path == path), None)
        line, col = catalog.position(entry, loc) if entry is not None else (1, 1)
        problems.append(Problem(path, line, col, rule, message, _CLAUSES.get(rule), severity))

    for approval in approvals:
        commit = approval.commit
        if not approval.problems:
            continue
        records = [c.path for c in commit.changes if place_of(c.path.removeprefix(RECORDS_DIR + "/"))]
        path = next((p for p in records if _id_of(p)), records[0] if records else commit.changes[0].path)
        for rule, message in approval.problems:
            text = f"commit {commit.short} ({commit.day}, {commit.subject!r}): {message}"
            if approval.acknowledged:
                at(path, rule, f"{text} — acknowledged in policy.yaml: {approval.acknowledged}", Severity.WARNING)
            else:
                at(path, rule, text)
    tracked = {a.commit.sha: a for a in approvals}
    for path, versions in history.versions.items():
        kind = place_of(path.removeprefix(RECORDS_DIR + "/")).kind  # type: ignore[union-attr]
        status_type = STATUS_TYPES.get(kind)
        previous = None
        for version in versions:
            commit = history.commit_of(version)
            approval = tracked.get(commit.sha)
            if approval is None or not approval.tracked:
                previous = version.status
                continue
            broken = invalid_move(status_type, previous, version.status) if status_type and previous and version.status else None
            if broken:
                at(path, "history.invalid-transition", f"commit {commit.short} ({commit.day}) moved it {broken}", loc=("status",))
            if version.change == "D" and not is_disposed(path, catalog):
                at(path, "history.deleted-without-disposal", f"deleted by commit {commit.short} ({commit.day}) with no disposal record listing it")
            previous = version.status if version.change != "D" else None
    if history.shallow:
        fix = "fetch the whole history (git fetch --unshallow; in GitHub Actions set fetch-depth: 0)"
        message = f"this is a shallow clone, so the approval trail is incomplete; {fix}"
        problems.append(Problem(RECORDS_DIR, 1, 1, "history.shallow-clone", message, None, Severity.WARNING))
    if rewritten_from:
        message = f"the published head {rewritten_from[:10]} is no longer in this history: the main line was rewritten"
        problems.append(Problem(RECORDS_DIR, 1, 1, "history.rewritten", message, "§8.1"))
    return problems


def invalid_move(status_type: type, old_value: object, new_value: object) -> str | None:
    """Why moving from ``old_value`` to ``new_value`` breaks the lifecycle table, or None when it does not."""
    try:
        old, new = status_type(old_value), status_type(new_value)
    except ValueError:
        return None  # not a status of this kind: the schema layer reports it
    if new == old or new in TRANSITIONS[status_type][old]:
        return None
    order = list(status_type)  # the lifecycle's own order: a set's order changes from run to run
    allowed = ", ".join(s.value for s in sorted(TRANSITIONS[status_type][old], key=order.index)) or "none: it is final"
    return f"{old.value} → {new.value}; from {old.value} it may go to {allowed}"


def is_disposed(path: str, catalog: Catalog) -> bool:
    place = place_of(path.removeprefix(RECORDS_DIR + "/"))
    if place is None:
        return True
    destroyed = catalog.destroyed()
    return place.expected_id in destroyed or (place.kind in DOSSIER_KINDS and place.order_id in destroyed)


_CLAUSES = {
    "history.unapproved-change": "§1.4",
    "history.unknown-approver": "§1.4",
    "history.self-approval": "§7.2",
    "history.approver-not-authorised": "§7.2",
    "history.unverified-approval": "§7.2",
    "history.invalid-transition": "§2.3, §5.4, §6.5",
    "history.deleted-without-disposal": "§8.2",
    "history.malformed-commit": "§1.4",
    "history.fake-merge": "§1.4",
    "history.evil-merge": "§7.2",
    "history.committer-not-approver": "§7.2",
}
