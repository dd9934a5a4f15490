"""A record's timeline: every version with its date, author, approvers and field changes.

Shared by ``orders history`` and the site's dossier pages, so both say the
same thing about who approved what.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from .approvals import Approval
from .history import History
from .layout import RECORDS_DIR, place_of
from .pipeline import Checked, check_archive
from .problems import UserError

CHANGE_WORDS = {"A": "created", "M": "changed", "D": "deleted"}


def paths_of(checked: Checked, record_id: str) -> list[str]:
    """The files a record id stands for: an order number stands for its whole dossier."""
    history = checked.history
    known = set(history.versions) if history else set()
    known |= {e.path for e in checked.catalog.entries}
    if record_id.startswith("ORD-"):
        folder = f"{RECORDS_DIR}/orders/{record_id[4:8]}/{record_id}/"
        return sorted(p for p in known if p.startswith(folder))
    return sorted(p for p in known if (place := place_of(p.removeprefix(RECORDS_DIR + "/"))) and place.expected_id == record_id)


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
                "approvers": [{"name": a.name, "email": a.email, "person": a.person, "verified": a.verified} for a in (approval.approvers if approval else ())],
                "tracked": bool(approval and approval.tracked),
                "acknowledged": approval.acknowledged if approval else None,
                "problems": [message for _, message in approval.problems] if approval else [],
                "diff": [str(change) for change in version.diff],
            }
        )
    return out


def record_timeline(root: Path, record_id: str, today: date | None = None) -> dict[str, Any]:
    checked = check_archive(root, today, rules=False)
    paths = paths_of(checked, record_id)
    if not paths:
        raise UserError(f"no record {record_id} in {root / RECORDS_DIR}, nor in its history")
    uncommitted = checked.history.uncommitted if checked.history else {}
    by_sha = approvals_by_commit(checked.approvals)
    return {
        "id": record_id,
        "git": checked.history is not None,
        "shallow": bool(checked.history and checked.history.shallow),
        "records": [
            {
                "path": path,
                "uncommitted": uncommitted.get(path) or ("not in git" if checked.history is None else None),
                "versions": versions_of(checked.history, by_sha, path),
            }
            for path in paths
        ],
    }
