"""A record's timeline: every version with its date, author, approvers and field changes.

Shared by ``orders history`` (through ``pipeline.record_timeline``) and the
site's dossier pages, so both say the same thing about who approved what.

The site holds every record's timeline packed (``Timelines``): one bytes
object a record file, where the history and its approvals are millions of
objects (at 10,000 orders 176 MB and more besides, in the build's process
while its page workers forked from it). A build judges the history in a
process of its own and gets back only these.
"""

from __future__ import annotations

import marshal
from dataclasses import dataclass, field
from typing import Any

from generator.trail.approvals import Approval
from generator.trail.commits import History, described

CHANGE_WORDS = {"A": "created", "M": "changed", "D": "deleted"}

Row = tuple
"""A version as plain values: (day, commit id, subject, change, status, author's name, author's address,
approvers as (name, address, person, verified), tracked, acknowledged, problems as (rule, message, message in
繁體中文), field changes)."""


def approvals_by_commit(approvals: list[Approval]) -> dict[str, Approval]:
    return {a.commit.sha: a for a in approvals}


def versions_of(history: History | None, by_sha: dict[str, Approval], path: str) -> list[dict[str, Any]]:
    """The versions of one file, oldest first, as plain data (``by_sha``: ``approvals_by_commit``)."""
    return [] if history is None else [_shown(row) for row in _rows(history, by_sha, path)]


def _rows(history: History, by_sha: dict[str, Approval], path: str) -> list[Row]:
    rows = []
    for version in history.versions.get(path, ()):
        commit = history.commit_of(version)
        approval = by_sha.get(commit.sha)
        name, address = commit.branch_authors[0] if commit.branch_authors else commit.author
        judged: tuple = ((), False, None, ())
        if approval is not None:
            approvers = tuple((a.name, a.email, a.person, a.verified) for a in approval.approvers)
            judged = (approvers, bool(approval.tracked), approval.acknowledged, tuple(tuple(p) for p in approval.problems))
        rows.append((commit.day.isoformat(), commit.sha, commit.subject, version.change, version.status, name, address, *judged, version.diff))
    return rows


def _shown(row: Row) -> dict[str, Any]:
    day, sha, subject, change, status, name, address, approvers, tracked, acknowledged, problems, changes = row
    return {
        "date": day,
        "commit": sha,
        "subject": subject,
        "change": CHANGE_WORDS.get(change, change),
        "status": status,
        "author": f"{name} <{address}>",
        "author_email": address,
        "approvers": [{"name": n, "email": e, "person": p, "verified": v} for n, e, p, v in approvers],
        "tracked": tracked,
        "acknowledged": acknowledged,
        "problems": [message for _, message, _ in problems],
        "problems_zh": [zh for _, _, zh in problems],
        "diff": [described(change) for change in changes],
        "changes": list(changes),
    }


@dataclass
class Timelines:
    """Every record file's versions as its dossier shows them, each file's packed into bytes that depend on
    those values alone (marshal's format 2: ``cachefile.value_bytes``), so a page's inputs digest takes them as
    they are. Plain builtin values: pickled whole from the process that judged the history."""

    packed: dict[str, bytes]
    uncommitted: dict[str, str] = field(default_factory=dict)
    """Record files the work tree has otherwise than the head: path → "modified", "new" or "deleted"."""
    shallow: bool = False

    @classmethod
    def of(cls, history: History, approvals: list[Approval]) -> Timelines:
        by_sha = approvals_by_commit(approvals)
        packed = {path: marshal.dumps(_rows(history, by_sha, path), 2) for path in history.versions}
        return cls(packed, dict(history.uncommitted), history.shallow)

    def versions(self, path: str) -> list[dict[str, Any]]:
        """As ``versions_of`` gives them."""
        data = self.packed.get(path)
        return [] if data is None else [_shown(row) for row in marshal.loads(data)]

    def of_file(self, path: str) -> bytes:
        """What the file's timeline shows, as bytes: for a digest of what a page reads."""
        return self.packed.get(path, b"")
