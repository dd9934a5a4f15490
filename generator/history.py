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

import contextlib
import multiprocessing
import os
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import git

from . import cachefile
from .layout import RECORDS_DIR, place_of
from .memory import collector_paused
from .problems import UserError
from .safeyaml import parse

CACHE_VERSION = 5
CACHE_FILE = Path(".cache/order-archive/history.marshal")
HEAD_FILE = CACHE_FILE.with_suffix(".head")
STATE_FILE = Path(".order-archive/published-head")
_MAX_SHOWN = 80
PARALLEL_FROM = 4000  # blobs; below this a second process costs more than it saves

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

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def day(self) -> date:
        return datetime.fromisoformat(self.committed).date()

    @property
    def short(self) -> str:
        return self.sha[:10]


class FieldChange(NamedTuple):
    field: str
    old: str | None
    new: str | None

    def __str__(self) -> str:
        if self.old is None:
            return f"{self.field}: + {self.new}"
        if self.new is None:
            return f"{self.field}: − {self.old}"
        return f"{self.field} {self.old} → {self.new}"


class Version(NamedTuple):
    commit: int  # index into History.commits
    change: str  # A, M or D
    status: str | None
    diff: tuple[FieldChange, ...]
    """Field changes from the previous version; empty when the record was created or deleted."""


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
    else:
        if cached is not None and _is_ancestor(repo, cached.head, head):
            history = _extend(repo, cached, head, signatures, allowed_signers)
        else:
            history = _extend(repo, History(head="", commits=[], versions={}), head, signatures, allowed_signers)
        if use_cache:
            _save_cache(cache_path, history, signatures)
    history.shallow = repo.git.rev_parse("--is-shallow-repository").strip() == "true"
    history.uncommitted = _uncommitted(repo)
    return history


class Prefetch:
    """The history read into its cache by a second process while this one loads and validates the records.

    On a cold cache both take seconds (at 10,000 orders: about 28 s of history
    against 12 s of records); side by side they take little more than the
    longer of the two. ``wait`` returns once the cache is written, and
    ``read_history`` then finds it. Should the second process fail,
    ``read_history`` simply reads the history itself.
    """

    def __init__(self, root: Path):
        context = multiprocessing.get_context("fork")
        self.process = context.Process(target=_prefetch, args=(root,), name="history-prefetch")
        self.process.start()

    def wait(self) -> None:
        self.process.join()


def prefetch(root: Path) -> Prefetch | None:
    """Start reading the history in a second process when it will be read from git (its cache is behind the head)."""
    from .pagestream import can_fork

    repo = open_repository(root)
    if repo is None or not can_fork():
        return None
    try:
        head = repo.head.commit.hexsha
    except ValueError:
        return None
    if cached_head(root) == head or _signed_policy(root):  # nothing to read, or a variant this process cannot know
        return None
    return Prefetch(root)


def _prefetch(root: Path) -> None:
    # Lower priority: the records' own check is the shorter chain of work and MkDocs waits for both; run
    # first, it leaves both cores to the history sooner (measured at 5,000 orders: 20.7 s → 18.6 s before MkDocs).
    os.nice(5)
    with contextlib.suppress(Exception):  # whatever fails here, the caller meets again and reports
        read_history(root)


def _signed_policy(root: Path) -> bool:
    try:
        data, _ = parse((root / RECORDS_DIR / "policy.yaml").read_bytes(), "")
    except OSError:
        return False
    return bool(data and data.get("require_signed_approvals") is True)


def cached_head(root: Path) -> str | None:
    """The head the history cache was written for (kept beside it, so checking costs no load)."""
    try:
        return (root / HEAD_FILE).read_text(encoding="ascii").strip() or None
    except OSError:
        return None


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
    # No path limit: git would diff every commit twice (measured 5.7 s against 3.3 s for 45,000 merges);
    # commits that touch nothing under records/ are dropped below instead.
    args = ["git", *config, "log", "--first-parent", "-m", "--raw", "--no-abbrev", "--no-renames", "-z", f"--format={fmt}", revisions]
    out = subprocess.run(args, cwd=repo.working_tree_dir, capture_output=True, check=True).stdout.decode("utf-8", "replace")
    commits = []
    for chunk in out.split("\x1e")[1:]:
        fields = chunk.split("\x1f")
        sha, parents, an, ae, ad, cn, ce, cd, trailers, subject = fields[:10]
        signature, signer = (fields[10], fields[11]) if signatures else ("N", "")
        changes = [c for c in _parse_raw(fields[-1]) if c.path.startswith(RECORDS_DIR + "/")]
        if not changes:
            continue
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
                changes=changes,
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


def read_graph(repo: git.Repo, revisions: str) -> dict[str, tuple[list[str], Identity]]:
    """Every commit in ``revisions`` (all parents, not only the main line): its parents and author."""
    out = repo.git.log("--format=%H%x1f%P%x1f%an%x1f%ae", revisions)
    graph: dict[str, tuple[list[str], Identity]] = {}
    for line in out.splitlines():
        sha, parents, name, email = line.split("\x1f")
        graph[sha] = (parents.split(), (name, email))
    return graph


def _branch_authors(commits: list[Commit], graph: dict[str, tuple[list[str], Identity]], head: str) -> None:
    """For each merge, the authors of the commits it brought in (for the four-eyes check)."""
    merges = [c for c in commits if c.is_merge]
    if not merges:
        return
    mainline: set[str] = set()
    sha: str | None = head
    while sha in graph and sha not in mainline:
        mainline.add(sha)
        parents = graph[sha][0]
        sha = parents[0] if parents else None
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


def walk(repo: git.Repo, revisions: str, head: str, signatures: bool = False, allowed_signers: Path | None = None) -> list[Commit]:
    """The main-line commits in ``revisions`` with their changes and branch authors: the one pass over history."""
    with ThreadPoolExecutor(1) as pool:  # two git processes at once: the whole graph, and the main line's changes
        graph = pool.submit(read_graph, repo, revisions)
        commits = read_commits(repo, revisions, signatures, allowed_signers)
        _branch_authors(commits, graph.result(), head)
    return commits


Step = tuple[int, str, str | None, str | None]
"""One change of one record file: (commit index, A/M/D, blob of the version before — only when this run must read it, new blob)."""


def _extend(repo: git.Repo, history: History, head: str, signatures: bool, allowed_signers: Path | None) -> History:
    revisions = f"{history.head}..{head}" if history.head else head
    new = walk(repo, revisions, head, signatures, allowed_signers)
    steps: dict[str, list[Step]] = {}  # by path, oldest first
    for offset, commit in enumerate(new):
        for change in commit.changes:
            path = change.path
            if place_of(path.removeprefix(RECORDS_DIR + "/")) is None:
                continue
            earlier = steps.get(path)
            read_before = change.status == "M" and not (earlier and earlier[-1][3])  # the version before is not read yet
            before = (history.last_blob.get(path) or change.old_blob or "") if read_before else None
            steps.setdefault(path, []).append((len(history.commits) + offset, change.status, before, change.new_blob))
            if change.new_blob:
                history.last_blob[path] = change.new_blob
            else:
                history.last_blob.pop(path, None)
    history.commits.extend(new)
    with collector_paused():
        for path, (statuses, diffs) in _versions(repo.working_tree_dir, steps):
            versions = history.versions.setdefault(path, [])
            for (index, change, _, _), status, diff in zip(steps[path], statuses, diffs, strict=True):
                versions.append(Version(index, change, status, diff))
    history.head = head
    return history


def _versions(cwd: str, steps: dict[str, list[Step]]) -> Iterator[tuple[str, tuple[list, list]]]:
    """Each path's statuses and field diffs, version by version.

    Paths are independent, so they are split into groups that each read their
    own blobs (one ``git cat-file`` each), parse them and diff them; with
    enough blobs the groups run on both cores, and only the small diffs come
    back, never the parsed versions.
    """
    blobs = sum(bool(before) + bool(after) for path_steps in steps.values() for _, _, before, after in path_steps)
    if blobs < PARALLEL_FROM or len(os.sched_getaffinity(0)) < 2:
        yield from _diff_group(cwd, list(steps.items()))
        return
    paths = sorted(steps, key=lambda path: -len(steps[path]))
    groups = [[(path, steps[path]) for path in paths[i::_GROUPS]] for i in range(_GROUPS)]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        for done in pool.imap_unordered(partial(_diff_group, cwd), groups):
            yield from done


_GROUPS = 16  # enough for both processes to finish together


def _diff_group(cwd: str, group: list[tuple[str, list[Step]]]) -> list[tuple[str, tuple[list, list]]]:
    wanted = [sha for _, path_steps in group for _, _, before, after in path_steps for sha in (before, after) if sha is not None]
    out = []
    with _BlobReader(cwd, wanted) as blobs:
        for path, path_steps in group:
            statuses, diffs = [], []
            latest: dict[str, str] = {}
            for _, change, before, after in path_steps:
                old = _flat(blobs.next()) if before is not None else latest
                latest = _flat(blobs.next()) if after is not None else {}
                statuses.append(latest.get("status"))
                diffs.append(diff_fields(old, latest) if change == "M" else ())
            out.append((path, (statuses, diffs)))
    return out


def _flat(raw: bytes) -> dict[str, str]:
    data, _ = parse(raw, "")
    return flatten(data) if data is not None else {}


class _BlobReader:
    """Blobs from one ``git cat-file --batch`` process, in the order they were asked for (``next``)."""

    def __init__(self, cwd: str, shas: list[str]):
        self.shas = shas
        self.process = subprocess.Popen(["git", "cat-file", "--batch"], cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.feeder = threading.Thread(target=self._feed, daemon=True)

    def _feed(self) -> None:
        try:
            for start in range(0, len(self.shas), 1000):
                self.process.stdin.write(("\n".join(self.shas[start : start + 1000]) + "\n").encode())
            self.process.stdin.close()
        except (BrokenPipeError, ValueError):
            pass

    def __enter__(self) -> _BlobReader:
        self.feeder.start()
        return self

    def next(self) -> bytes:
        header = self.process.stdout.readline().split()
        if len(header) < 3 or header[1] != b"blob":
            return b""
        content = self.process.stdout.read(int(header[2]))
        self.process.stdout.read(1)
        return content

    def __exit__(self, *exc: object) -> None:
        self.process.stdout.close()
        self.process.kill()
        self.process.wait()
        self.feeder.join(timeout=5)


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
    _flatten_into(out, value, prefix)
    return out


def _flatten_into(out: dict[str, str], value: Any, prefix: str) -> None:
    if type(value) is dict:
        for key, item in value.items():
            _flatten_into(out, item, f"{prefix}.{key}" if prefix else str(key))
    elif type(value) is list:
        for i, item in enumerate(value):
            _flatten_into(out, item, f"{prefix}[{i}]")
        if not value:
            out[prefix] = "[]"
    elif type(value) is str:
        out[prefix] = value
    else:
        out[prefix] = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


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
    with collector_paused():
        cached = cachefile.read(path, CACHE_VERSION, str(signatures))
        if cached is None:
            return None
        head, commits, versions, last_blob = cached
        return History(
            head=head,
            commits=[_commit_from(c) for c in commits],
            versions={p: [Version(i, ch, s, tuple(map(FieldChange._make, diff)) if diff else ()) for i, ch, s, diff in vs] for p, vs in versions.items()},
            last_blob=last_blob,
        )


def _commit_from(row: tuple) -> Commit:
    sha, parents, author, authored, committer, committed, trailers, subject, signature, signer, changes, branch = row
    return Commit(
        sha,
        parents,
        tuple(author),
        authored,
        tuple(committer),
        committed,
        tuple(map(tuple, trailers)),
        subject,
        signature,
        signer,
        [FileChange(status, path, None, None) for status, path in changes],
        tuple(map(tuple, branch)),
    )


def _save_cache(path: Path, history: History, signatures: bool) -> None:
    """Builtin types only, written with marshal: loading is several times faster than unpickling objects.

    Blob ids are left out (only the newest blob of each path is needed again), which halves the file.
    """
    commits = [
        (
            c.sha,
            c.parents,
            c.author,
            c.authored,
            c.committer,
            c.committed,
            c.trailers,
            c.subject,
            c.signature,
            c.signer,
            [(x.status, x.path) for x in c.changes],
            c.branch_authors,
        )
        for c in history.commits
    ]
    versions = {p: [(v.commit, v.change, v.status, [tuple(d) for d in v.diff]) for v in vs] for p, vs in history.versions.items()}
    cachefile.write(path, CACHE_VERSION, str(signatures), (history.head, commits, versions, history.last_blob))
    with contextlib.suppress(OSError):
        path.with_suffix(".head").write_text(history.head + "\n", encoding="ascii")


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
