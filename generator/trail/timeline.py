"""A record's timeline: every version with its date, author, approvers and field changes.

Shared by ``orders history`` (through ``pipeline.record_timeline``) and the
site's dossier pages, so both say the same thing about who approved what.

The site holds every record's timeline packed (``Timelines``): one bytes
object a record file, where the history and its approvals are millions of
objects (at 10,000 orders 176 MB and more besides, in the build's process
while its page workers forked from it). A build judges the history in a
process of its own, which keeps the packed timelines in a file between builds
(``timelinestore``) and hands back a digest of each.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.core.problems import UserError
from generator.trail.approvals import Approval, Approvals
from generator.trail.commits import History, described

STORE_INDEX = "timelines.index"
"""``timelinestore``'s index, beside its base."""

CHANGE_WORDS = {"A": "created", "M": "changed", "D": "deleted"}

Row = tuple
"""A version as plain values: (day, commit id, subject, change, status, author's name, author's address,
approvers as (name, address, person, verified), tracked, acknowledged, problems as (rule, message, message in
繁體中文), field changes)."""


ApprovalOf = Callable[[int, str], "Approval | None"]
"""The approval of a commit, given its index in the history and its id (None: it needs none)."""


def approvals_by_commit(approvals: Sequence[Approval]) -> ApprovalOf:
    """Each approval by its commit: ``Approvals`` by the commit's index, making only the approvals asked for (no
    table of 105,600 commit ids to find an index the caller holds), any other list by the commit's id."""
    if isinstance(approvals, Approvals):
        return lambda index, _sha: approvals.of_commit(index)
    by_sha = {a.commit.sha: a for a in approvals}
    return lambda _index, sha: by_sha.get(sha)


def versions_of(history: History | None, approval_of: ApprovalOf, path: str) -> list[dict[str, Any]]:
    """The versions of one file, oldest first, as plain data (``approval_of``: ``approvals_by_commit``)."""
    return [] if history is None else [_shown(row) for row in _rows(history, approval_of, path)]


def _rows(history: History, approval_of: ApprovalOf, path: str) -> list[Row]:
    rows = []
    for version in history.versions.get(path, ()):
        commit = history.commit_of(version)
        approval = approval_of(version.commit, commit.sha)
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


class TimelineLost(UserError):
    """A timeline kept in the store's base file is not the one the build judged (the file damaged, or gone before
    this process opened it): no dossier shows another history, or part of one. The store's index is removed, so
    the next build packs every timeline again."""

    def __init__(self, path: str) -> None:
        super().__init__(f"the history kept for {path} in the build's cache was damaged (now cleared): build again")


@dataclass(eq=False)
class Timelines:
    """Every record file's versions as its dossier shows them, each file's packed into bytes that depend on
    those values alone (marshal's format 2: ``cachefile.value_bytes``), and known here by their SHA-1, which a
    page's inputs digest takes. The packed bytes are held here (``apart``) or, kept between builds by
    ``timelinestore``, read from its base file when a page shows them (``places``): the build's process and its
    page workers then hold 20 bytes a file, not the packed rows (112 MB at 10,000 orders). Small and plain:
    pickled whole from the process that judged the history. Equal when they show the same timelines."""

    digests: dict[str, bytes]
    apart: dict[str, bytes] = field(default_factory=dict)
    places: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Where in the base file (``base``) a file's packed timeline is: (offset, length)."""
    base: str = ""
    uncommitted: dict[str, str] = field(default_factory=dict)
    """Record files the work tree has otherwise than the head: path → "modified", "new" or "deleted"."""
    shallow: bool = False
    _handle: int | None = field(default=None, repr=False)

    @classmethod
    def of(cls, history: History, approvals: Sequence[Approval]) -> Timelines:
        """Every file's timeline packed and held here."""
        approval_of = approvals_by_commit(approvals)
        apart = {path: pack(history, approval_of, path) for path in history.versions}
        return cls.holding(history, {path: hashlib.sha1(data).digest() for path, data in apart.items()}, apart)

    @classmethod
    def holding(
        cls, history: History, digests: dict[str, bytes], apart: dict[str, bytes], places: dict[str, tuple[int, int]] | None = None, base: str = ""
    ) -> Timelines:
        """The timelines of ``history`` as given, the base (if any) opened at once."""
        found = cls(digests, apart, places or {}, base, dict(history.uncommitted), history.shallow)
        found._open()
        return found

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Timelines):
            return NotImplemented
        return (self.digests, self.uncommitted, self.shallow) == (other.digests, other.uncommitted, other.shallow)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_handle": None}  # a file descriptor means nothing in another process

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._open()  # at once: a later build may replace the base, never the file this process holds open

    def __del__(self) -> None:
        if self._handle is not None and getattr(self, "_owner", None) == os.getpid():
            with contextlib.suppress(OSError):
                os.close(self._handle)

    def _open(self) -> None:
        self._handle, self._owner = None, os.getpid()
        if self.base:
            with contextlib.suppress(OSError):
                self._handle = os.open(self.base, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))

    def versions(self, path: str) -> list[dict[str, Any]]:
        """As ``versions_of`` gives them."""
        data = self.apart.get(path)
        if data is None:
            place = self.places.get(path)
            if place is None:
                return []
            data = self._read(path, *place)
        return [_shown(row) for row in marshal.loads(data)]

    def _read(self, path: str, offset: int, length: int) -> bytes:
        try:
            data = os.pread(self._handle, length, offset) if self._handle is not None else b""
        except OSError:
            data = b""
        if hashlib.sha1(data).digest() != self.digests.get(path):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(os.path.dirname(self.base), STORE_INDEX))
            raise TimelineLost(path)
        return data

    def of_file(self, path: str) -> bytes:
        """What the file's timeline shows, as its digest: for a digest of what a page reads."""
        return self.digests.get(path, b"")


def pack(history: History, approval_of: ApprovalOf, path: str) -> bytes:
    """One file's timeline as ``Timelines`` keeps it."""
    return marshal.dumps(_rows(history, approval_of, path), 2)
