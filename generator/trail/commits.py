"""What the trail is made of: commits of the main line, record versions and their field changes.

Plain data, shared by the git reader, the diffs, the cache and the approvals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from sys import intern
from typing import Any, NamedTuple

Identity = tuple[str, str]
"""(name, e-mail)."""


class FileChange(NamedTuple):
    status: str  # A, M or D
    path: str
    old_blob: str | None
    new_blob: str | None


@dataclass(slots=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    author: Identity
    authored: str  # ISO 8601 with offset
    committer: Identity
    committed: str
    trailers: tuple[Identity, ...]
    subject: str
    signature: str  # git's %G?: G good, U good but unknown trust, N none, B bad …
    signer: str
    changes: list[FileChange]
    branch_authors: tuple[Identity, ...] = ()
    """Authors of the commits a merge brought in (empty for a direct commit)."""
    co_authors: tuple[Identity, ...] = ()
    """``Co-authored-by`` trailers of this commit's own message."""
    hands: tuple[Identity, ...] = ()
    """For a merge: every author, committer and co-author of the commits it brought in, and its own co-authors."""
    brought_in: int = 0
    """For a merge: how many commits it brought in (none: a commit dressed up as a merge)."""
    faults: tuple[str, ...] = ()
    """What in this commit (or one it brought in) is not as git writes it: bad addresses, dates, trailers."""
    own_changes: str = ""
    """For a merge: why its tree is not what merging its parents gives (an "evil merge"); empty when it is."""
    cosigned: tuple[str, ...] = ()
    """For a merge: addresses whose signed approval commits on the branch git verified (keys in force at the base)."""
    edits: tuple[tuple[str, str], ...] = ()
    """For a merge of a branch with several authors: (author's address, the paths they changed, NUL-separated)."""
    rules: tuple[str | None, str | None] = (None, None)
    """Blobs of organization.yaml and policy.yaml at the first parent: the rules this commit is judged by."""

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    def edited(self) -> list[tuple[str, list[str] | None]]:
        """Who wrote which of the paths this commit changes: (author's address, paths; None: all of them)."""
        if not self.is_merge:
            return [(self.author[1], None)]
        if self.edits:
            return [(address, paths.split("\0")) for address, paths in self.edits]
        return [(address, None) for _, address in self.branch_authors]  # one author, or one person under several names

    @property
    def day(self) -> date:
        return datetime.fromisoformat(self.committed).date()

    @property
    def short(self) -> str:
        return self.sha[:10]


class UnreadableHistory(Exception):
    """git's output was not what it must be: the history cannot be judged (never a partial verdict)."""


class NotOnMainLine(Exception):
    """The cached head is not on the first-parent line of the new head: the trail must be read afresh."""


FieldChange = tuple[str, str | None, str | None]
"""(field, old, new): None for a field added or removed. A plain tuple, as the history cache stores it: made
into an object of a class of its own, each of 1.1 million field changes cost the loading of the cache at 10,000
orders 0.6 s and 49 MB, and nothing but a dossier's timeline ever reads one."""


def described(change: FieldChange) -> str:
    """A field change in words: ``intake.budget 120000 → 150000``."""
    field, old, new = change
    if old is None:
        return f"{field}: + {new}"
    if new is None:
        return f"{field}: − {old}"
    return f"{field} {old} → {new}"


class Version(NamedTuple):
    commit: int  # index into History.commits
    change: str  # A, M or D
    status: str | None
    diff: tuple[FieldChange, ...]
    """Field changes from the previous version; empty when the record was created or deleted."""


class Sharing:
    """One object for each value the trail holds many times over: field changes, paths, people, commit ids.

    At 10,000 orders the versions hold 1.3 million strings in 1.1 million field changes, and 78,000 of those
    strings differ (a state, a field's path, a reviewer, a date): 196 MB where the different values take a
    tenth. Every value here is immutable, so equal ones can be one object, and marshal writes an object held
    twice once, so the history cache keeps the sharing it is given and gives it back when loaded."""

    def __init__(self) -> None:
        self._changes: dict[tuple, FieldChange] = {}
        self._people: dict[tuple, Identity] = {}
        self._groups: dict[tuple, tuple[Identity, ...]] = {}
        self._shas: dict[str, str] = {}

    def changes(self, rows: Iterable[tuple]) -> tuple[FieldChange, ...]:
        """Field changes as the one tuple of each, its texts interned."""
        known = self._changes
        out = []
        for row in rows:
            change = known.get(row)
            if change is None:
                change = known[row] = tuple(None if text is None else intern(text) for text in row)  # type: ignore[assignment]
            out.append(change)
        return tuple(out)

    def commit(self, commit: Commit) -> Commit:
        """The commit, its ids and people made the one object of each (in place). Its parents are the ids
        of commits met before it, oldest first."""
        shas = self._shas
        commit.sha = shas.setdefault(commit.sha, commit.sha)
        commit.parents = tuple(shas.setdefault(sha, sha) for sha in commit.parents)
        commit.author, commit.committer = self._identity(commit.author), self._identity(commit.committer)
        commit.trailers, commit.co_authors = self._identities(commit.trailers), self._identities(commit.co_authors)
        commit.branch_authors, commit.hands = self._identities(commit.branch_authors), self._identities(commit.hands)
        return commit  # its paths are one string each already: interned where git's output is read, and marshal keeps that

    def version(self, commit: int, change: str, status: str | None, diff: Iterable[tuple]) -> Version:
        return Version(commit, change, status and intern(status), self.changes(diff))

    def _identity(self, row: Iterable[str]) -> Identity:
        found = tuple(row)
        return self._people.setdefault(found, found)  # type: ignore[arg-type]

    def _identities(self, rows: Iterable[Iterable[str]]) -> tuple[Identity, ...]:
        """The one tuple of each group of people: a commit's hands, trailers and branch authors are the same
        few people over and over (at 10,000 orders 318,000 tuples, 15 MB, one each)."""
        found = tuple(self._identity(row) for row in rows)
        return self._groups.setdefault(found, found)


class Versions(dict):
    """Each record file's versions by path, oldest first, where a version's field changes (``diff``) may be None until
    the file is asked for by ``[]`` or ``get``: its changes are then read (``diffs(path)``: the changes of its versions
    whose ``diff`` is None, in order) and put in place. The history's cache keeps them apart (``cache``): at 10,000
    orders a merge reads those of a few files, and loading the 1.1 million of them was 0.3 s of every load.
    ``items()`` and ``values()`` give the versions as held, for what reads no field change."""

    def __init__(self, versions: Iterable[tuple[str, list[Version]]] = (), diffs: Callable[[str], list] | None = None) -> None:
        super().__init__(versions)
        self._diffs = diffs

    def __getitem__(self, path: str) -> list[Version]:
        versions = dict.__getitem__(self, path)
        if self._diffs is not None and any(version.diff is None for version in versions):
            changes = iter(self._diffs(path))
            for number, version in enumerate(versions):
                if version.diff is None:
                    versions[number] = version._replace(diff=next(changes))  # none missing: StopIteration, never a version without
        return versions

    def get(self, path: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[path] if path in self else default  # noqa: SIM401 (this is get)

    def complete(self) -> None:
        """Every file's field changes read."""
        for path in self:
            self[path]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Versions):
            other.complete()
        self.complete()
        return dict.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple:
        self.complete()
        return (Versions, (list(dict.items(self)),))


@dataclass
class History:
    head: str
    commits: list[Commit]
    versions: dict[str, list[Version]]  # by path of the record file, oldest first (``Versions``, loaded from the cache)
    last_blob: dict[str, str] = field(default_factory=dict)
    rule_texts: dict[str, bytes] = field(default_factory=dict)
    """Every version of organization.yaml and policy.yaml the commits were judged by, by blob id."""
    shallow: bool = False
    uncommitted: dict[str, str] = field(default_factory=dict)  # path → "modified", "new" or "deleted"
    saved: tuple[str, int] | None = None
    """The head and the number of commits of the cache's whole history this one was loaded from (``cache``): a
    later save writes only what came after them."""

    def commit_of(self, version: Version) -> Commit:
        return self.commits[version.commit]
