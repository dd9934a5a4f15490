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

import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from generator.core.memory import collector_paused
from generator.core.problems import Problem, Severity
from generator.core.processes import Beside
from generator.records.catalog import Catalog
from generator.records.layout import RECORDS_DIR, dossier_folder, place_of
from generator.trail.commits import Commit, History
from generator.trail.rules import ORGANIZATION, POLICY, RULE_FILES, Rules, RulesBook
from schemas import TRANSITIONS, ChangeStatus, OrderStatus, QualityStatus, SettlementStatus
from schemas.labels import KIND_WORDS, label
from schemas.lifecycle import TRANSITION_CLAUSES
from schemas.organization import Person
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
    tracked: bool  # False: the policy at its base does not require approvals
    acknowledged: str | None = None  # the policy's reason, when it accepted this commit
    rules: Rules | None = None  # the organisation and policy in force at its base
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (rule id, message, the message in 繁體中文)

    @property
    def ok(self) -> bool:
        return not self.problems


Judged = dict[str, tuple | None]
"""Commit sha → its judgement before acknowledgements, as ``evaluate`` remembers it: (kinds, approvers as tuples,
tracked, problems), or None for a commit that changes nothing judged."""


@collector_paused(keep=True)  # an approval a commit, no cycles (see memory): 4.8 s → 3.4 s cold at 10,000 orders; kept: they live on
def evaluate(history: History, catalog: Catalog, judged: Judged | None = None) -> Approvals:
    """One ``Approval`` per main-line commit that changed records or protected files, oldest first, each judged
    by the rules in force at its base.

    ``judged`` holds earlier judgements by commit and takes the new ones. A commit's judgement depends only
    on the commit and its ancestry (both named by its sha: the rules at its base, its branch, the states its
    records entered) and on the loans of ``catalog``, so the caller keys the whole by those loans (with the
    other ``CATALOG_KINDS``); after a merge only the new commits are judged. The acknowledgements, which read
    the final policy, are applied afresh each time."""
    book = rules_book(history)
    judged = {} if judged is None else judged
    missing = [i for i, commit in enumerate(history.commits) if commit.sha not in judged]
    lifecycle = lifecycle_subjects(history, missing) if missing else {}
    far = missing[len(missing) // 2 :] if len(missing) >= JUDGED_APART_FROM else []
    beside = Beside(functools.partial(_judgements, history, far, book, catalog, lifecycle)) if far else None
    judged.update(_judgements(history, missing[: len(missing) - len(far)], book, catalog, lifecycle))
    if beside is not None:
        judged.update(beside.result())
    out = Approvals(history, judged, book)
    _acknowledge(out, book, book.in_force(len(history.commits)))
    return out


class Approvals(Sequence[Approval]):
    """Every approval of a history, oldest first, each made from its judgement (``Judged``) when first asked for.

    After a merge at 10,000 orders the verdict reads a few hundred of its 105,600 approvals (those with
    problems, those of the commits of the files the merge changed, those the acknowledgements name): making
    every one took the history's process 0.2–0.3 s before it could answer. An approval is made once, so what
    the acknowledgements write into one (``_acknowledge``) is what every later reader finds."""

    def __init__(self, history: History, judged: Judged, book: RulesBook) -> None:
        found = judged.get
        self._commits = history.commits
        self._judged = judged
        self._book = book
        self._at = [index for index, commit in enumerate(history.commits) if found(commit.sha) is not None]
        self._made: dict[int, Approval] = {}
        self._people: dict[tuple, tuple[Approver, ...]] = {}  # a few hundred approvers in tens of thousands of approvals

    def __len__(self) -> int:
        return len(self._at)

    @overload
    def __getitem__(self, number: int) -> Approval: ...

    @overload
    def __getitem__(self, number: slice) -> list[Approval]: ...

    def __getitem__(self, number: int | slice) -> Approval | list[Approval]:
        if isinstance(number, slice):
            return [self._made_at(index) for index in self._at[number]]
        return self._made_at(self._at[number])

    def __iter__(self) -> Iterator[Approval]:
        return map(self._made_at, self._at)

    def of_commit(self, index: int) -> Approval | None:
        """The approval of the history's commit at ``index`` (a version's ``commit``; None: it needs none)."""
        return None if self._judged.get(self._commits[index].sha) is None else self._made_at(index)

    def with_problems(self) -> Iterator[Approval]:
        """The approvals with problems, in order (an acknowledged one has its problems still: it is excused)."""
        commits, judged, made = self._commits, self._judged, self._made
        for index in self._at:
            if judged[commits[index].sha][3] or index in made:  # the acknowledgements add problems to made ones only
                approval = self._made_at(index)
                if approval.problems:
                    yield approval

    def named(self, prefix: str) -> list[Approval]:
        """The approvals of the commits an acknowledgement's hash (7 to 40 hex digits) names: one, or it excuses
        nothing."""
        if len(prefix) < 7:
            return []
        commits = self._commits
        return [self._made_at(index) for index in self._at if commits[index].sha.startswith(prefix)]

    def changing(self, path: str) -> Iterator[Approval]:
        """The approvals of the commits that change ``path``, in order."""
        commits = self._commits
        for index in self._at:
            if any(change.path == path for change in commits[index].changes):
                yield self._made_at(index)

    def _made_at(self, index: int) -> Approval:
        made = self._made.get(index)
        if made is None:
            commit = self._commits[index]
            made = self._made[index] = _approval(commit, self._judged[commit.sha], self._book.in_force(index), self._people)  # type: ignore[assignment]
        return made  # type: ignore[return-value]


def rules_book(history: History) -> RulesBook:
    """The rules at each commit's base, and after the last (its index is the number of commits): the head's."""
    return RulesBook(history.rule_texts, [*(commit.rules for commit in history.commits), (history.last_blob.get(ORGANIZATION), history.last_blob.get(POLICY))])


JUDGED_APART_FROM = 4_000
"""Commits to judge from which half of them are judged by a process beside (``Beside``: its answer, plain
tuples, comes back pickled; where none can be forked, the same judgements are made here). A history judged from
nothing leaves the build waiting with one core idle: at 10,000 orders its 105,597 main-line commits took 3.6 s
of one core. After a merge two are judged."""


def _judgements(history: History, indexes: list[int], book: RulesBook, catalog: Catalog, lifecycle: dict[int, set[str]]) -> Judged:
    """The judgements (``Judged``) of the commits at ``indexes``."""
    commits = history.commits
    return {commits[i].sha: _judge(commits[i], i, book.in_force(i), book, catalog, lifecycle) for i in indexes}


def _approval(commit: Commit, row: tuple | None, rules: Rules, people: dict[tuple, tuple[Approver, ...]]) -> Approval | None:
    """A commit's approval from its judgement (``Judged``'s row; None: the commit needs none)."""
    if row is None:
        return None
    kinds, approvers, tracked, problems = row
    if approvers not in people:  # a few hundred approvers in tens of thousands of approvals
        people[approvers] = tuple(Approver(*a) for a in approvers)
    return Approval(commit, kinds, people[approvers], tracked=tracked, rules=rules, problems=list(problems))


def _judge(commit: Commit, index: int, rules: Rules, book: RulesBook, catalog: Catalog, lifecycle: dict[int, set[str]]) -> tuple | None:
    """One commit's judgement as ``Judged`` stores it (plain tuples, for the cache)."""
    judged = _judged_paths(commit)
    changed = kinds_changed(judged, rules)
    if not changed:
        return None
    kinds = changed + tuple(sorted(s for s in lifecycle.get(index, ()) if rules.policy is not None and rules.needs(s)))
    approval = Approval(commit, kinds, _approvers(commit, rules), tracked=rules.tracked, rules=rules)
    if approval.tracked:
        approval.problems = list(_check(approval, rules, catalog, judged, changed))
        broken = [path for path in RULE_FILES if not book.valid(_new_blob(commit, path), path)]
        approval.problems += [
            (
                "history.invalid-rules",
                f"it brings a {p.rsplit('/', 1)[1]} that does not validate; the last valid one stays in force",
                f"帶入之 {p.rsplit('/', 1)[1]} 未通過驗證；仍以最後一份有效者為準",
            )
            for p in broken
        ]
    approvers = tuple((a.name, a.email, a.person, a.verified) for a in approval.approvers)
    return kinds, approvers, approval.tracked, tuple(approval.problems)


CLOSED = frozenset({"settled", "archived"})
STILL_OPEN_WHEN_CLOSED = ("status", "archived_on")
"""What may change on a settled order's own file without the closed-dossier route: archiving it."""


def lifecycle_subjects(history: History, only: list[int] | None = None) -> dict[int, set[str]]:
    """Per commit (index): the states records enter in it (``order→in_progress``; a record created in a later
    state enters every state on the way) and ``closed_dossier`` when it changes an order's amounts, client,
    settlement or change requests after the commit that settled the order — judged by where a change enters
    the history, never by the dates written inside it. With ``only`` (commit indexes), the answer holds for
    those commits, and only the versions of the dossiers they touched are read."""
    versions_of = history.versions
    if only is not None and len(only) < len(history.commits):
        touched = {c.path for i in only for c in history.commits[i].changes}
        orders = {f"{dossier_folder(p.order_id)}/order.yaml" for path in touched if (p := place_of(path.removeprefix(RECORDS_DIR + "/"))) and p.order_id}
        versions_of = {path: history.versions[path] for path in touched | orders if path in history.versions}  # and when each order closed
    closed_from: dict[str, int] = {}
    for path, versions in versions_of.items():
        place = place_of(path.removeprefix(RECORDS_DIR + "/"))
        if place is not None and place.kind == "order" and place.order_id:
            settled = next((v.commit for v in versions if v.status in CLOSED), None)
            if settled is not None:
                closed_from[place.order_id] = settled
    out: dict[int, set[str]] = {}
    for path, versions in versions_of.items():
        place = place_of(path.removeprefix(RECORDS_DIR + "/"))
        if place is None:
            continue
        closed = closed_from.get(place.order_id or "")
        if closed is not None:
            versions = versions_of[path]  # with their field changes: a cached history's are read when asked for (``Versions``)
        previous = None
        for version in versions:
            subjects = out.setdefault(version.commit, set())
            if version.change != "D":
                subjects.update(entered_states(place.kind, previous, version.status))
                if closed is not None and version.commit > closed:
                    changed_fields = [change[0] for change in version.diff] if version.change == "M" else ["(created)"]
                    if reopens(place.kind, changed_fields):
                        subjects.add("closed_dossier")
            previous = version.status if version.change != "D" else None
    return out


def entered_states(kind: str, old: object, new: object) -> tuple[str, ...]:
    """``kind→state`` for each state a record enters moving from status ``old`` (None: it is created) to ``new``:
    a record created in a later state enters every state on the way."""
    status_type = STATUS_TYPES.get(kind)
    if status_type is None or not isinstance(new, str) or new == old:
        return ()
    return tuple(f"{kind}→{state}" for state in (states_on_the_way(status_type, new) if old is None else (new,)))


def reopens(kind: str, changed_fields: Iterable[str]) -> bool:
    """Whether a change to a record of a settled dossier reopens it: its settlement or change requests, or any
    field of its order but the archiving ones."""
    return kind in ("settlement", "change_request") or (kind == "order" and any(not f.startswith(STILL_OPEN_WHEN_CLOSED) for f in changed_fields))


@functools.cache
def states_on_the_way(status_type: type, target: str) -> tuple[str, ...]:
    """The states a record passes from its kind's first state to ``target`` (the shortest way), without the first."""
    try:
        goal = status_type(target)
    except ValueError:
        return ()
    start = next(iter(status_type))
    came_from = {start: None}
    queue = [start]
    for state in queue:
        for following in sorted(TRANSITIONS[status_type][state], key=list(status_type).index):
            if following not in came_from:
                came_from[following] = state
                queue.append(following)
    if goal not in came_from:
        return (goal.value,)
    path = []
    state = goal
    while state is not None and state != start:
        path.append(state.value)
        state = came_from[state]
    return tuple(reversed(path))


def _judged_paths(commit: Commit) -> list[str]:
    """The paths whose kinds a commit needs approval for. Records deleted beside a disposal record are its
    destruction (§8.2): the disposal's approvers decide it, and every deletion must be listed by a disposal
    (``history.deleted-without-disposal``)."""
    disposing = any(c.status != "D" and c.path.startswith(f"{RECORDS_DIR}/archive/disposals/") for c in commit.changes)
    return [c.path for c in commit.changes if not (disposing and c.status == "D")]


def _new_blob(commit: Commit, path: str) -> str | None:
    return next((c.new_blob for c in commit.changes if c.path == path and c.status != "D"), None)


def _acknowledge(approvals: Approvals, book: RulesBook, final: Rules) -> None:
    """Accept the exceptions the committed policy lists — each only when the merge that added it was approved
    under the policy in force then, by people none of whom put a hand on the commit it excuses."""
    if final.policy is None or not final.policy.acknowledged:
        return
    added: dict[str, Approval] = {}  # acknowledged commit → the approval of the commit that first listed it
    listed: set[str] = set()
    for approval in approvals.changing(POLICY):
        policy = book.model(_new_blob(approval.commit, POLICY), POLICY)
        now = {a.commit for a in policy.acknowledged} if policy else set()
        for sha in now - listed:
            added.setdefault(sha, approval)
        listed = now
    for entry in final.policy.acknowledged:
        matching = approvals.named(entry.commit)
        excused = matching[0] if len(matching) == 1 and matching[0].problems else None  # a prefix names one commit or none
        if excused is None:
            continue
        why = _refused(entry, excused, added.get(entry.commit))
        if why:
            en, zh = why
            excused.problems.append(
                ("history.acknowledgement-refused", f"the exception in policy.yaml does not count: {en}", f"policy.yaml 中之例外不予採認：{zh}")
            )
        else:
            excused.acknowledged = entry.reason


def _refused(entry, excused: Approval, adding: Approval | None) -> tuple[str, str] | None:
    """Why an acknowledgement does not excuse a commit (in English and 繁體中文), or None when it does."""
    if adding is None:
        return "no merge on the main line added it", "主線上沒有任何合併加入此例外"
    short = adding.commit.short
    if not adding.tracked or adding.problems:
        return f"commit {short}, which added it, is not an approved change", f"加入此例外之提交 {short} 並非經核准之變更"
    approvers = {a.person for a in adding.approvers if a.person}
    if entry.approved_by not in approvers:
        return (
            f"{entry.approved_by}, named as approving it, did not approve commit {short}, which added it",
            f"列為核准人之 {entry.approved_by} 並未核准加入此例外之提交 {short}",
        )
    people = adding.rules.people
    touched = (excused.commit.author, excused.commit.committer, *excused.commit.hands, *((a.name, a.email) for a in excused.approvers))
    hands = {p.id for _, address in touched if (p := people.find(address))}
    if approvers & hands:
        who = sorted(approvers & hands)
        return f"{', '.join(who)} approved the exception for a commit of their own", f"{'、'.join(who)} 核准了自己所經手提交之例外"
    return None


_ATTACHMENT = re.compile(r"orders/[0-9]{4}/(ORD-[0-9]{4}-[0-9]{4})/attachments/.+")


def kinds_changed(paths: Iterable[str], rules: Rules) -> tuple[str, ...]:
    """What changed files need approval as: record kinds, and ``file:<pattern>`` for protected files (see
    ``Rules.file_subject``). An attachment is judged with the records of its dossier that change beside it,
    else as a change to the order."""
    kinds: set[str] = set()
    by_dossier: dict[str, set[str]] = {}
    attachments: set[str] = set()
    for path in paths:
        if not path.startswith(RECORDS_DIR + "/"):
            if subject := rules.file_subject(path):
                kinds.add(subject)
            continue
        rel = path.removeprefix(RECORDS_DIR + "/")
        place = place_of(rel)
        if place is not None:
            kinds.add(place.kind)
            if place.order_id:
                by_dossier.setdefault(place.order_id, set()).add(place.kind)
        elif match := _ATTACHMENT.fullmatch(rel):
            attachments.add(match.group(1))
        elif subject := rules.file_subject(path):
            kinds.add(subject)
    for order_id in attachments:
        kinds |= by_dossier.get(order_id) or {"order"}
    return tuple(sorted(kinds))


def _approvers(commit: Commit, rules: Rules) -> tuple[Approver, ...]:
    """The merge's Approved-by trailers (and, signed, whoever signed an approval commit), named as organization.yaml
    names them: a trailer's display name is never shown, only its address counts."""
    people, policy = rules.people, rules.policy
    named = list(commit.trailers)
    by_platform = commit.committer[1].lower() in people.platforms
    if not named and commit.is_merge and by_platform:
        named = [commit.author]  # the merge button: its author is the reviewer who pressed it
    if not named and commit.is_merge and policy is not None and policy.allow_committer_as_approver:
        named = [commit.committer]
    signed = policy is not None and policy.require_signed_approvals
    if signed:
        named += [("", address) for address in commit.cosigned]
    signers = (commit.signer if commit.signature == "G" else "", *commit.cosigned) if signed else ()
    if signed and by_platform and commit.is_merge and commit.signature == "G" and commit.signer.lower() == commit.committer[1].lower():
        signers += (commit.author[1],)  # the platform's own key vouches for who merged
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


def _check(approval: Approval, rules: Rules, catalog: Catalog, judged: list[str], changed: tuple[str, ...]):
    commit = approval.commit
    people, policy = rules.people, rules.policy
    assert policy is not None
    for fault in commit.faults:
        yield "history.malformed-commit", f"commit {commit.short} is not as git writes it: {fault}", f"提交 {commit.short} 不符合 git 寫入之格式：{fault}"
    by_platform = commit.committer[1].lower() in people.platforms
    if not commit.is_merge and not (by_platform and commit.trailers):
        if by_platform:
            how = "enable 'Create a merge commit' on the platform, or have squash and rebase merges carry Approved-by trailers"
            how_zh = "請於平台啟用「Create a merge commit」，或讓 squash 與 rebase 合併帶有 Approved-by 標記"
            yield (
                "history.unapproved-change",
                f"a squash or rebase merge by {commit.committer[1]} that names no approver: {how}",
                f"{commit.committer[1]} 之 squash 或 rebase 合併未列核准人：{how_zh}",
            )
        else:
            yield (
                "history.unapproved-change",
                f"committed straight to the main line by {commit.author[1]}, without a reviewed merge",
                f"{commit.author[1]} 直接提交至主線，未經審核合併",
            )
        return
    if commit.is_merge and commit.brought_in == 0:
        yield (
            "history.fake-merge",
            "a merge that brings in no commit: its changes were made in the merge itself, and it approves nothing",
            "此合併未帶入任何提交：其變更係於合併本身所做，不構成任何核准",
        )
        return
    if commit.own_changes:
        own = _own_changes_zh(commit.own_changes)
        yield (
            "history.evil-merge",
            f"{commit.own_changes}; what the merge itself changed was never on the reviewed branch",
            f"{own}；合併本身所做之變更從未出現在經審核之分支上",
        )
    if not approval.approvers:
        yield "history.unapproved-change", "merged without an Approved-by trailer", "合併未帶 Approved-by 標記"
        return
    signed = policy.require_signed_approvals
    if not signed:
        committer = people.find(commit.committer[1])
        if not by_platform and (committer is None or committer.id not in {a.person for a in approval.approvers}):
            yield (
                "history.committer-not-approver",
                f"committed by {commit.committer[1]}, who is not among its approvers: anyone can type a trailer",
                f"提交者 {commit.committer[1]} 不在核准人之列：任何人都能打出標記",
            )
    # Four-eyes against every hand on the change: authors, committers and co-authors of the commits it brings in
    # and the merge's own co-authors — compared as people (any of their addresses) and as addresses.
    hands = commit.hands if commit.is_merge else (commit.author, *commit.co_authors)  # a squash merge: its author wrote it
    authors = {email.lower() for _, email in hands}
    author_people = {p.id for _, email in hands if (p := people.find(email))}
    known: list[Person] = []
    for approver in approval.approvers:
        person = people.find(approver.email)
        if person is None:
            yield (
                "history.unknown-approver",
                f"{approver.name} <{approver.email}> is not in the organization.yaml in force at the merge's base",
                f"{approver.name} <{approver.email}> 不在合併基底當時有效之 organization.yaml 中",
            )
            continue
        if approver.email.lower() in authors or person.id in author_people:
            yield (
                "history.self-approval",
                f"{person.id} approved changes they wrote, committed or co-authored themselves",
                f"{person.id} 核准了自己撰寫、提交或共同撰寫之變更",
            )
            continue
        if signed and not approver.verified:
            claim = "no signature of theirs that git verified with the keys in force at the merge's base"
            yield (
                "history.unverified-approval",
                f"{person.id}'s approval is only a claim: {claim} is on the merge or on an approval commit at the branch's tip",
                f"{person.id} 之核准僅為聲明：合併或分支末端之核准提交上，沒有 git 以合併基底當時有效之金鑰驗證過之本人簽章",
            )
            continue
        known.append(person)
    yield from _editors(commit, rules, judged, changed)
    for kind in approval.kinds:
        rule = rules.rule(kind)
        for department in rule.departments:
            if not any(people.may_approve(p, department, rule.heads_only) for p in known):
                who, who_zh = ("the head", "主管") if rule.heads_only else ("an approver", "核准人")
                by_zh = "、".join(p.id for p in known) or "無有權核准者"
                yield (
                    "history.approver-not-authorised",
                    f"changes to {subject_name(kind)} need {who} of {department}; approved by {_names(known)}",
                    f"{subject_name_zh(kind)}之變更須經 {department} 之{who_zh}核准；核准者為 {by_zh}",
                )
        if RequiredApprover.HEAD_OF_BORROWER_DEPARTMENT in rule.approvers:
            for change in commit.changes:
                entry = next(iter(catalog.by_id.get(_id_of(change.path) or "", [])), None)
                if entry is not None and entry.kind == "loan":
                    head = people.departments.get(entry.model.department)
                    if head is not None and head.head not in {p.id for p in known}:
                        yield (
                            "history.approver-not-authorised",
                            f"{entry.model.id} needs the approval of {head.head}, head of {head.id}",
                            f"{entry.model.id} 須經 {head.id} 主管 {head.head} 核准",
                        )


def _editors(commit: Commit, rules: Rules, judged: list[str], changed: tuple[str, ...]):
    """Who wrote each change on the merged branch may edit what they changed (``editors:`` per kind, §1.4).
    ``judged`` and ``changed``: the commit's paths that need approval and their kinds (one author wrote them all
    on most branches, so their kinds are known already)."""
    reported: set[tuple[str, str]] = set()
    judged_set = set(judged)
    for address, paths in commit.edited():
        author = rules.people.find(address)
        for kind in changed if paths is None else kinds_changed([p for p in paths if p in judged_set], rules):
            editors = rules.rule(kind).editors
            key = (author.id if author else address.lower(), kind)
            if not editors or key in reported or (author is not None and author.department in editors):
                continue
            reported.add(key)
            who = f"{author.id} ({author.department})" if author else f"{address}, who is not in the organization.yaml in force,"
            who_zh = f"{author.id}（{author.department}）" if author else f"不在當時有效之 organization.yaml 中之 {address} "
            yield (
                "history.editor-not-allowed",
                f"{who} wrote changes to {subject_name(kind)} on the merged branch; only {', '.join(editors)} may",
                f"{who_zh}在合併之分支上撰寫了{subject_name_zh(kind)}之變更；僅 {'、'.join(editors)} 得為之",
            )


def subject_name(kind: str) -> str:
    """A subject of ``kinds_changed`` or ``lifecycle_subjects`` as a message names it."""
    if kind.startswith("file:"):
        return f"files matching {kind.removeprefix('file:')}"
    if "→" in kind:
        return "{} entering {}".format(*kind.split("→"))
    return "a settled or archived dossier" if kind == "closed_dossier" else kind


def subject_name_zh(kind: str) -> str:
    """``subject_name`` in 繁體中文."""
    if kind.startswith("file:"):
        return f"符合 {kind.removeprefix('file:')} 之檔案"
    if "→" in kind:
        record, state = kind.split("→")
        return f"{_KIND_ZH.get(record, record)}進入{state}"
    return "已結算或已歸檔之檔案夾" if kind == "closed_dossier" else _KIND_ZH.get(kind, kind)


_KIND_ZH = {kind: zh for kind, (zh, _) in KIND_WORDS.items()} | {"attachment": "附件"}
_OWN_CHANGES_ZH = {
    "its tree is not the tree of the branch it merges, which starts where it is merged": "其內容不同於所合併之分支（該分支自合併處開始）",
    "its branch conflicts with the main line and the conflict was resolved inside the merge, where no reviewer saw it": (
        "其分支與主線衝突，衝突於合併中解決，未經任何審核者檢視"
    ),
    "its tree is not what merging its parents gives": "其內容不同於合併其父提交所得之結果",
}
"""What a merge changed by itself, as ``gitlog`` says it, in 繁體中文."""


def _own_changes_zh(text: str) -> str:
    if (many := re.match(r"it merges (\d+) branches at once", text)) is not None:
        return f"一次合併 {many.group(1)} 個分支；每個分支應各自經一次合併核准"
    return _OWN_CHANGES_ZH.get(text, text)


def _names(people: list[Person]) -> str:
    return ", ".join(p.id for p in people) or "nobody authorised"


def _id_of(path: str) -> str | None:
    place = place_of(path.removeprefix(RECORDS_DIR + "/"))
    return place.expected_id if place else None


# --------------------------------------------------------------------------
# Problems for orders validate


Finding = tuple[str, tuple | None, bool, str, str, str | None, str, str]
"""A history problem before it is placed in a file: (path, the field it is at — None for the file's first line —,
whether the field is the policy's rather than the record's at ``path``, rule, message, clause, severity, message in
繁體中文). Plain values: the check keeps them in its cache and places them in the files as they are on each run
(``locate``), so an edit that moves a line does not make the history be judged again."""


def history_findings(
    history: History,
    catalog: Catalog,
    approvals: Approvals,
    rewritten_from: str | None = None,
    kept: dict[str, Any] | None = None,
    fresh: dict[str, tuple] | None = None,
) -> list[Finding]:
    """Approval, lifecycle and deletion problems across the history, before they are placed. Of the archive as it is
    now they read only the disposals, the loans and the policy (``CATALOG_KINDS``, which adds the organisation to be
    safe); where a problem sits in its file is left to ``locate``.

    A file's lifecycle and deletion findings follow from its versions and their commits' approvals alone, which
    the judged commits keep for the same records (``CATALOG_KINDS``): given ``kept`` (path → (versions, the last
    one's commit), its findings) from a judgement of the same records, a file whose versions are those (the last
    commit names every one before it) takes its findings from there; every file's go to ``fresh``. After a merge at
    10,000 orders, the 98,000 versions of 44,000 files were gone over again for the few a merge adds (0.5 s)."""
    found: list[Finding] = []

    def at(path: str, rule: str, message: str, zh: str, severity: Severity = Severity.ERROR, loc=("id",), clause: str | None = None) -> None:
        found.append((path, tuple(loc), False, rule, message, clause or _CLAUSES.get(rule), str(severity), zh))

    for approval in approvals.with_problems():
        commit = approval.commit
        records = [c.path for c in commit.changes if place_of(c.path.removeprefix(RECORDS_DIR + "/"))]
        protected = [c.path for c in commit.changes if approval.rules and approval.rules.file_subject(c.path)]
        path = next((p for p in records if _id_of(p)), (records or protected or [commit.changes[0].path])[0])
        for rule, message, zh in approval.problems:
            text = f"commit {commit.short} ({commit.day}, {commit.subject!r}): {message}"
            text_zh = f"提交 {commit.short}（{commit.day}，{commit.subject!r}）：{zh}"
            if approval.acknowledged:
                at(
                    path,
                    rule,
                    f"{text} — acknowledged in policy.yaml: {approval.acknowledged}",
                    f"{text_zh}——已於 policy.yaml 列為例外：{approval.acknowledged}",
                    Severity.WARNING,
                )
            else:
                at(path, rule, text, text_zh)
    for path, versions in history.versions.items():
        tag = (len(versions), history.commit_of(versions[-1]).sha if versions else "")
        held = kept.get(path) if kept is not None else None
        if type(held) is tuple and len(held) == 2 and held[0] == tag and type(held[1]) is list:
            found += held[1]
            if fresh is not None:
                fresh[path] = held
            continue
        start = len(found)
        kind = place_of(path.removeprefix(RECORDS_DIR + "/")).kind  # type: ignore[union-attr]
        status_type = STATUS_TYPES.get(kind)
        previous = None
        for version in versions:
            commit = history.commit_of(version)
            approval = approvals.of_commit(version.commit)
            if approval is None or not approval.tracked:
                previous = version.status
                continue
            broken = invalid_move(status_type, previous, version.status) if status_type and previous and version.status else None
            if broken:
                message = f"commit {commit.short} ({commit.day}) moved it {broken}"
                zh = f"提交 {commit.short}（{commit.day}）之狀態變動不符生命週期：{invalid_move_zh(status_type, previous, version.status)}"
                at(path, "history.invalid-transition", message, zh, loc=("status",), clause=TRANSITION_CLAUSES[kind])
            if version.change == "D" and not is_disposed(path, catalog):
                message = f"deleted by commit {commit.short} ({commit.day}) with no disposal record listing it"
                at(path, "history.deleted-without-disposal", message, f"由提交 {commit.short}（{commit.day}）刪除，但無任何銷毀記錄列出")
            previous = version.status if version.change != "D" else None
        if fresh is not None:
            fresh[path] = (tag, found[start:])
    found += _unresolved_acknowledgements(catalog, approvals)
    if history.shallow:
        fix = "fetch the whole history (git fetch --unshallow; in GitHub Actions set fetch-depth: 0)"
        message = f"this is a shallow clone, so the approval trail is incomplete; {fix}"
        zh = "此為淺層複本（shallow clone），核准軌跡不完整；請取得完整歷史（git fetch --unshallow；GitHub Actions 設 fetch-depth: 0）"
        found.append((RECORDS_DIR, None, False, "history.shallow-clone", message, None, str(Severity.WARNING), zh))
    if rewritten_from:
        message = f"the published head {rewritten_from[:10]} is no longer in this history: the main line was rewritten"
        zh = f"已發布之版本 {rewritten_from[:10]} 已不在此歷史中：主線遭改寫"
        found.append((RECORDS_DIR, None, False, "history.rewritten", message, "§8.1", str(Severity.ERROR), zh))
    return found


CATALOG_KINDS = frozenset({"disposal", "loan", "policy", "organization"})
"""The kinds of record whose current content the history's verdict reads (``history_findings``, ``evaluate``):
what was disposed of, who borrowed, which commits the policy acknowledges (and, to be safe, who is who)."""


def locate(findings: list[Finding], catalog: Catalog) -> list[Problem]:
    """Each finding at its field in the file as it is now (line 1, column 1 where the record is gone or invalid)."""
    problems = []
    for path, loc, in_policy, rule, message, clause, severity, zh in findings:
        entry = catalog.policy_entry if in_policy else next((e for e in catalog.by_id.get(_id_of(path) or "", []) if e.path == path), None)
        line, col = catalog.position(entry, loc) if entry is not None and loc is not None else (1, 1)
        problems.append(Problem(path, line, col, rule, message, clause, Severity(severity), message_zh=zh))
    return problems


def _unresolved_acknowledgements(catalog: Catalog, approvals: Approvals) -> list[Finding]:
    """An ``acknowledged:`` entry whose hash names no main-line commit, or several: it excuses nothing, and says so."""
    policy = catalog.policy_entry
    if policy is None:
        return []
    found: list[Finding] = []
    for i, entry in enumerate(policy.model.acknowledged):
        matching = len(approvals.named(entry.commit))
        if matching != 1:
            what = "no commit of the main line" if not matching else f"{matching} commits of the main line: write more of the hash"
            what_zh = "主線上沒有任何提交" if not matching else f"主線上 {matching} 個提交：請寫出更多雜湊值"
            message = f"acknowledged commit {entry.commit} names {what}; it excuses nothing"
            zh = f"列為例外之提交 {entry.commit} 對應到{what_zh}；不構成任何例外"
            rule = "history.acknowledgement-refused"
            found.append((policy.path, ("acknowledged", i, "commit"), True, rule, message, _CLAUSES[rule], str(Severity.WARNING), zh))
    return found


def invalid_move_zh(status_type: type, old_value: object, new_value: object) -> str:
    """``invalid_move`` in 繁體中文: the states in words."""
    old, new = status_type(old_value), status_type(new_value)
    order = list(status_type)
    allowed = "、".join(label(s, "zh-Hant") for s in sorted(TRANSITIONS[status_type][old], key=order.index)) or "無（終止狀態）"
    return f"{label(old, 'zh-Hant')} → {label(new, 'zh-Hant')}；自{label(old, 'zh-Hant')}僅得轉為 {allowed}"


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
    destroyed = catalog.destroyed
    return place.expected_id in destroyed or (place.kind in DOSSIER_KINDS and place.order_id in destroyed)


_CLAUSES = {
    "history.unapproved-change": "§1.4",
    "history.unknown-approver": "§1.4",
    "history.self-approval": "§7.2",
    "history.approver-not-authorised": "§7.2",
    "history.unverified-approval": "§7.2",
    "history.deleted-without-disposal": "§8.2",
    "history.malformed-commit": "§1.4",
    "history.fake-merge": "§1.4",
    "history.evil-merge": "§7.2",
    "history.committer-not-approver": "§7.2",
    "history.invalid-rules": "§1.4",
    "history.editor-not-allowed": "§1.4",
    "history.acknowledgement-refused": "§7.2",
}
