"""A record's timeline: every version with its date, author, approvers and field changes.

Shared by ``orders history`` (through ``pipeline.record_timeline``) and the
site's dossier pages, so both say the same thing about who approved what.
"""

from __future__ import annotations

from typing import Any

from generator.trail.approvals import Approval
from generator.trail.commits import History, described

CHANGE_WORDS = {"A": "created", "M": "changed", "D": "deleted"}


def approvals_by_commit(approvals: list[Approval]) -> dict[str, Approval]:
    return {a.commit.sha: a for a in approvals}


def versions_of(history: History | None, by_sha: dict[str, Approval], path: str) -> list[dict[str, Any]]:
    """The versions of one file, oldest first, as plain data (``by_sha``: ``approvals_by_commit``)."""
    if history is None:
        return []
    out = []
    for version in history.versions.get(path, []):
        commit = history.commit_of(version)
        approval = by_sha.get(commit.sha)
        out.append(
            {
                "date": commit.day.isoformat(),
                "commit": commit.sha,
                "subject": commit.subject,
                "change": CHANGE_WORDS.get(version.change, version.change),
                "status": version.status,
                "author": f"{commit.branch_authors[0][0]} <{commit.branch_authors[0][1]}>"
                if commit.branch_authors
                else f"{commit.author[0]} <{commit.author[1]}>",
                "author_email": commit.branch_authors[0][1] if commit.branch_authors else commit.author[1],
                "approvers": [{"name": a.name, "email": a.email, "person": a.person, "verified": a.verified} for a in (approval.approvers if approval else ())],
                "tracked": bool(approval and approval.tracked),
                "acknowledged": approval.acknowledged if approval else None,
                "problems": [message for _, message, _ in approval.problems] if approval else [],
                "problems_zh": [zh for _, _, zh in approval.problems] if approval else [],
                "diff": [described(change) for change in version.diff],
                "changes": list(version.diff),
            }
        )
    return out
