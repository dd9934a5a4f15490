"""The git history of the archive: every version of every record, read in one pass.

The main line (first parents) is the approval trail: each commit on it that
changes ``records/`` is an approval event. This module reads that line with
ONE ``git log`` (per-file logs cost about 1.8 s a file here, 2.5 hours for
an archive), reads the changed blobs through one persistent ``git cat-file``
process, and turns consecutive versions into field-level diffs
("intake.budget 120000 → 150000").

The result is cached under ``.cache/order-archive/`` keyed by the head it
was computed for; a later head that descends from it is read
incrementally, so an unchanged archive costs a pickle load.
"""

from __future__ import annotations

import os
import pickle
import subprocess
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import git

from .layout import RECORDS_DIR, place_of
from .problems import UserError
from .safeyaml import parse

CACHE_VERSION = 3
CACHE_FILE = Path(".cache/order-archive/history.pickle")
STATE_FILE = Path(".order-archive/published-head")
_MAX_SHOWN = 80

Identity = tuple[str, str]
"""(name, e-mail)."""


@dataclass(frozen=True, slots=True)
class FileChange:
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

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def day(self) -> date:
        return datetime.fromisoformat(self.committed).date()

    @property
    def short(self) -> str:
        return self.sha[:10]


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    old: str | None
    new: str | None

    def __str__(self) -> str:
        if self.old is None:
            return f"{self.field}: + {self.new}"
        if self.new is None:
            return f"{self.field}: − {self.old}"
        return f"{self.field} {self.old} → {self.new}"


@dataclass(slots=True)
class Version:
    commit: int  # index into History.commits
    change: str  # A, M or D
    blob: str | None
    status: str | None
    diff: tuple[FieldChange, ...]


@dataclass
class History:
    head: str
    commits: list[Commit]
    versions: dict[str, list[Version]]  # by path of the record file, oldest first
    last_blob: dict[str, str] = field(default_factory=dict)
    shallow: bool = False
    uncommitted: dict[str, str] = field(default_factory=dict)  # path → "modified", "new" or "deleted"

    def commit_of(self, version: Version) -> Commit:
        return self.commits[version.commit]


# --------------------------------------------------------------------------
# Reading


def open_repository(root: Path) -> git.Repo | None:
    """The git repository whose work tree is ``root``, or None when the archive is not in git."""
    try:
        repo = git.Repo(root, search_parent_directories=False)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    if repo.bare or Path(repo.working_tree_dir).resolve() != root.resolve():
        return None
    return repo


def read_history(root: Path, signatures: bool = False, allowed_signers: Path | None = None, use_cache: bool = True) -> History | None:
    """The whole history of ``records/`` on the current branch, or None without git or commits."""
    repo = open_repository(root)
    if repo is None:
        return None
    try:
        head = repo.head.commit.hexsha
    except ValueError:  # no commits yet
        return None
    cache_path = root / CACHE_FILE
    cached = _load_cache(cache_path, signatures) if use_cache else None
    if cached is not None and cached.head == head:
        history = cached
    elif cached is not None and _is_ancestor(repo, cached.head, head):
        history = _extend(repo, cached, head, signatures, allowed_signers)
    else:
        history = _extend(repo, History(head="", commits=[], versions={}), head, signatures, allowed_signers)
    if use_cache:
        _save_cache(cache_path, history, signatures)
    history.shallow = repo.git.rev_parse("--is-shallow-repository").strip() == "true"
    history.uncommitted = _uncommitted(repo)
    return history


def _is_ancestor(repo: git.Repo, old: str, new: str) -> bool:
    try:
        repo.git.merge_base("--is-ancestor", old, new)
        return True
    except git.GitCommandError:
        return False


_FORMAT = "%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cn%x1f%ce%x1f%cI%x1f%(trailers:key=Approved-by,valueonly,separator=%x1d)%x1f%s%x1f"


def read_commits(repo: git.Repo, revisions: str, signatures: bool = False, allowed_signers: Path | None = None) -> list[Commit]:
    """First-parent commits in ``revisions`` that change ``records/``, oldest first, with their file changes."""
    fmt = _FORMAT + ("%G?%x1f%GS%x1f" if signatures else "")
    config = ["-c", f"gpg.ssh.allowedSignersFile={allowed_signers}"] if allowed_signers else []
    args = ["git", *config, "log", "--first-parent", "-m", "--raw", "--no-abbrev", "--no-renames", "-z", f"--format={fmt}", revisions, "--", RECORDS_DIR + "/"]
    out = subprocess.run(args, cwd=repo.working_tree_dir, capture_output=True, check=True).stdout.decode("utf-8", "replace")
    commits = []
    for chunk in out.split("\x1e")[1:]:
        fields = chunk.split("\x1f")
        sha, parents, an, ae, ad, cn, ce, cd, trailers, subject = fields[:10]
        signature, signer = (fields[10], fields[11]) if signatures else ("N", "")
        raw = fields[-1]
        commits.append(
            Commit(
                sha=sha,
                parents=tuple(parents.split()),
                author=(an, ae),
                authored=ad,
                committer=(cn, ce),
                committed=cd,
                trailers=tuple(parse_identity(t) for t in trailers.split("\x1d") if t.strip()),
                subject=subject,
                signature=signature,
                signer=signer,
                changes=_parse_raw(raw),
            )
        )
    commits.reverse()
    return commits


def _parse_raw(raw: str) -> list[FileChange]:
    """``:100644 100644 OLD NEW M\\0path\\0`` entries of ``git log --raw -z``."""
    parts = raw.lstrip("\x00\n").split("\x00")
    changes = []
    for i in range(0, len(parts) - 1, 2):
        meta, path = parts[i].lstrip("\n"), parts[i + 1]
        if not meta.startswith(":"):
            continue
        _, _, old, new, status = meta[1:].split(" ")
        zero = "0" * 40
        changes.append(FileChange(status[0], path, None if old == zero else old, None if new == zero else new))
    return changes


def parse_identity(text: str) -> Identity:
    """``Name <email>`` → (name, email)."""
    text = text.strip()
    if "<" in text and text.endswith(">"):
        name, email = text[:-1].split("<", 1)
        return name.strip(), email.strip()
    return text, ""


def _branch_authors(repo: git.Repo, commits: list[Commit], revisions: str) -> None:
    """For each merge, the authors of the commits it brought in (for the four-eyes check), in one git call."""
    merges = [c for c in commits if c.is_merge]
    if not merges:
        return
    mainline = set(repo.git.rev_list("--first-parent", revisions).split())
    out = repo.git.log("--format=%H%x1f%P%x1f%an%x1f%ae", revisions)
    graph: dict[str, tuple[list[str], Identity]] = {}
    for line in out.splitlines():
        sha, parents, name, email = line.split("\x1f")
        graph[sha] = (parents.split(), (name, email))
    for merge in merges:
        authors: list[Identity] = []
        stack = list(merge.parents[1:])
        seen: set[str] = set()
        while stack:
            sha = stack.pop()
            if sha in seen or sha in mainline or sha not in graph:
                continue
            seen.add(sha)
            parents, who = graph[sha]
            if who not in authors:
                authors.append(who)
            stack.extend(parents)
        merge.branch_authors = tuple(authors)


def _extend(repo: git.Repo, history: History, head: str, signatures: bool, allowed_signers: Path | None) -> History:
    revisions = f"{history.head}..{head}" if history.head else head
    new = read_commits(repo, revisions, signatures, allowed_signers)
    _branch_authors(repo, new, revisions)
    odb = repo.odb
    latest: dict[str, dict[str, str]] = {}  # path → its newest version, flattened

    def flat(blob: str | None) -> dict[str, str]:
        if blob is None:
            return {}
        data, _ = parse(odb.stream(bytes.fromhex(blob)).read(), "")
        return flatten(data) if data is not None else {}

    for commit in new:
        index = len(history.commits)
        history.commits.append(commit)
        for change in commit.changes:
            path = change.path
            if place_of(path.removeprefix(RECORDS_DIR + "/")) is None:
                continue
            if change.status == "A":
                before = {}
            else:
                before = latest.pop(path, None)
                if before is None:  # last seen in an earlier run: read it again
                    before = flat(history.last_blob.get(path))
            after = flat(change.new_blob)
            history.versions.setdefault(path, []).append(Version(index, change.status, change.new_blob, after.get("status"), diff_fields(before, after)))
            if change.new_blob:
                history.last_blob[path] = change.new_blob
                latest[path] = after
            else:
                history.last_blob.pop(path, None)
    history.head = head
    return history


def _uncommitted(repo: git.Repo) -> dict[str, str]:
    out = repo.git.status("--porcelain=v1", "-z", "--untracked-files=all", "--", RECORDS_DIR)
    changes: dict[str, str] = {}
    for entry in out.split("\x00"):
        if len(entry) > 3:
            code, path = entry[:2], entry[3:]
            changes[path] = "new" if code == "??" or "A" in code else "deleted" if "D" in code else "modified"
    return changes


# --------------------------------------------------------------------------
# Field-level diffs


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """``{"intake.budget": "1200000", "work_plan.tasks[0].status": "done", …}``."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{i}]"))
        if not value:
            out[prefix] = "[]"
    else:
        out[prefix] = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    return out


def _shown(text: str) -> str:
    text = text.replace("\n", " ⏎ ")
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def diff_fields(before: dict[str, str], after: dict[str, str]) -> tuple[FieldChange, ...]:
    """What changed between two flattened versions, field by field, in the order of the new version."""
    changes = [FieldChange(k, _shown(before[k]) if k in before else None, _shown(v)) for k, v in after.items() if before.get(k) != v]
    changes += [FieldChange(k, _shown(v), None) for k, v in before.items() if k not in after]
    return tuple(changes)


# --------------------------------------------------------------------------
# Cache and published head


def _load_cache(path: Path, signatures: bool) -> History | None:
    try:
        with open(path, "rb") as handle:
            version, with_signatures, history = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError):
        return None
    if version != CACHE_VERSION or with_signatures != signatures:
        return None
    return history


def _save_cache(path: Path, history: History, signatures: bool) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        with open(temporary, "wb") as handle:
            pickle.dump((CACHE_VERSION, signatures, history), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only checkout still works, only slower


def published_head(root: Path) -> str | None:
    try:
        return (root / STATE_FILE).read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def mark_published(root: Path, head: str) -> None:
    """Remember ``head`` as published: a later history that drops it was rewritten."""
    path = root / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(head + "\n", encoding="ascii")


def is_rewritten(root: Path, head: str) -> str | None:
    """The published head that ``head`` no longer contains, or None."""
    published = published_head(root)
    if published is None or published == head:
        return None
    repo = open_repository(root)
    if repo is None:
        raise UserError(f"{root} is not a git repository")
    return None if _is_ancestor(repo, published, head) else published
