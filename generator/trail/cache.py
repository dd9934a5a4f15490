"""The history cache: the trail as read for one head, so an unchanged archive costs one load.

Kept in the archive's cache folder (``cachefile.folder``); a later head that descends from the
cached one is read incrementally (see ``history``).

The whole history (``history.marshal``) is written again only now and then: a save after a few new commits
writes what came after it (``history.tail``: those commits, their versions, and each file's newest blob), which
a load adds to it where the tail says it follows that very history. At 10,000 orders the whole history is
50 MB, and writing it again after each merged pull request took its prefetch 0.6–1.8 s of a core.

The whole history's field changes are kept apart (``history-<id>.diffs``, checked against the SHA-1 the whole
history names when loaded), in chunks of ``DIFFS_CHUNK`` files, and read a chunk at a time when a file's versions are asked
for (``commits.Versions``): a merge reads those of the few files it changed, and loading all 1.1 million of them
(at 10,000 orders) was 0.3 s of every load.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from generator.core import cachefile
from generator.core.files import remove_stale, write_whole
from generator.core.memory import collector_paused
from generator.trail.commits import Commit, FileChange, History, Version, Versions
from generator.trail.repo import read_commit_id
from generator.trail.rules import RULE_FILES

CACHE_VERSION = 10
CACHE_FILE = "history.marshal"
TAIL_FILE = "history.tail"
HEAD_FILE = "history.head"
TAIL_AT_MOST = (1_000, 0.05)
"""A tail holds at most this many commits, or this share of the whole history's if more: past that, the whole
history is written again and the tail removed (a load reads both, and a tail is written whole each time)."""


def cache_path(root: Path) -> Path:
    return cachefile.folder(root) / CACHE_FILE


def cached_head(root: Path) -> str | None:
    """The head the history cache was written for (kept beside it, so checking costs no load)."""
    return read_commit_id(cachefile.folder(root) / HEAD_FILE)


def load_cache(path: Path) -> History | None:
    """The cached history, out of the collector's reach: it lives as long as the run, and the collections that
    followed its load walked its millions of objects three times over for nothing (1.3–1.4 s at 10,000 orders,
    in the prefetch and again in the build). Its tail is added where it follows the whole history read.

    What was one object when saved (a person, a commit id, a field change: ``Sharing``) is one object when
    loaded, as marshal writes a value held twice once: nothing is looked up again (at 10,000 orders, sharing
    them again took 1.3 of the load's 2.3 s)."""
    with collector_paused(keep=True):
        cached = cachefile.read(path, CACHE_VERSION, "")
        if cached is None:
            return None
        head, commits, versions, last_blob, rule_texts, (name, sha1, chunks) = cached
        diffs = _diffs_read(path.with_name(_diffs_file(str(name))), sha1, chunks)
        if diffs is None:
            return None
        history = History(
            head=head,
            commits=[_commit_from(c) for c in commits],
            versions=Versions(((p, [Version._make(row) for row in vs]) for p, vs in versions.items()), diffs),  # paths interned as saved
            last_blob=last_blob,
            rule_texts=rule_texts,
            saved=(head, len(commits)),
        )
        tail = cachefile.read(path.with_name(TAIL_FILE), CACHE_VERSION, f"{head} {len(commits)}")
        if tail is not None:
            history.head, commits, versions, history.last_blob, rule_texts = tail
            history.commits += [_commit_from(c) for c in commits]
            for p, vs in versions.items():
                history.versions.setdefault(p, []).extend(Version._make(row) for row in vs)
            history.rule_texts.update(rule_texts)
        return history


DIFFS_CHUNK = 64
"""Files whose field changes are kept together in the diffs file: a chunk shares its equal changes within itself
(each file apart took 43 MB at 10,000 orders, 64 files together 14 MB) and is read whole (about 25 KB)."""


def _diffs_file(name: str) -> str:
    return f"history-{name}.diffs"


def _diffs_read(path: Path, sha1: object, chunks: object) -> Callable[[str], list] | None:
    """What gives a file's field changes (``Versions``), from the diffs file read whole now and checked against the
    SHA-1 the history names; None where it is missing, damaged or another history's (then there is no cache)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if hashlib.sha1(data).hexdigest() != sha1 or type(chunks) is not dict:
        return None
    last: list = [None, {}]  # the chunk read last, and what it holds: a file's versions are asked for in turn
    known: dict[tuple, tuple] = {}  # each field change as one object, as the whole history held it (``Sharing``)

    def diffs(file: str) -> list:
        where = chunks[file]  # a file with a version whose changes are kept apart is in a chunk
        if last[0] != where:
            start, length = where
            last[:] = [where, marshal.loads(data[start : start + length])]
        shared = known.setdefault
        return [tuple(shared(change, change) for change in diff) for diff in last[1][file]]

    return diffs


def _commit_from(row: tuple) -> Commit:
    """A commit from its row (``_commit_row``: the fields in their order, each as marshal gave back the tuple it
    was written as), its changes made ``FileChange``s with the C constructor of tuples: at 10,000 orders, 105,600
    commits and 244,000 changes in 0.12 s where a call a field took 0.22 s."""
    commit = Commit(*row)
    commit.changes = [_tuple(FileChange, (status, path, None, blob)) for status, path, blob in row[10]]
    return commit


_tuple = tuple.__new__


@collector_paused()  # millions of tuples, no cycles (see memory): 4.2 s → 1.9 s at 10,000 orders
def save_cache(path: Path, history: History) -> None:
    """Builtin types only, written with marshal: loading is several times faster than unpickling objects. What
    came after the whole history the cache holds, where it is little (``TAIL_AT_MOST``): the tail alone.

    Blob ids are left out (only the newest blob of each path is needed again), which halves the file; those of
    organization.yaml and policy.yaml stay, with their texts: the rules each commit is judged by.
    """
    tail = path.with_name(TAIL_FILE)
    saved = history.saved
    if saved is not None and len(history.commits) - saved[1] <= max(TAIL_AT_MOST[0], saved[1] * TAIL_AT_MOST[1]):
        after = saved[1]
        versions = {p: [tuple(v) for v in vs if v.commit >= after] for p, vs in history.versions.items() if vs and vs[-1].commit >= after}
        wanted = _blobs(history.commits[after:])
        texts = {blob: text for blob, text in history.rule_texts.items() if blob in wanted}
        rows = [_commit_row(c) for c in history.commits[after:]]
        cachefile.write(tail, CACHE_VERSION, f"{saved[0]} {saved[1]}", (history.head, rows, versions, history.last_blob, texts))
    else:
        if isinstance(history.versions, Versions):
            history.versions.complete()
        versions = {p: [(v.commit, v.change, v.status, None if v.diff else ()) for v in vs] for p, vs in history.versions.items()}
        diffs = _diffs_write(path.parent, history.versions)
        if diffs is None:
            return
        rows = [_commit_row(c) for c in history.commits]
        cachefile.write(path, CACHE_VERSION, "", (history.head, rows, versions, history.last_blob, history.rule_texts, diffs))
        history.saved = (history.head, len(history.commits))
        with contextlib.suppress(OSError):
            tail.unlink(missing_ok=True)
        remove_stale(path.parent, _diffs_file("*"), _diffs_file(diffs[0]))  # a process that loaded one holds it in memory
    with contextlib.suppress(OSError):
        path.with_name(HEAD_FILE).write_text(history.head + "\n", encoding="ascii")


def _diffs_write(folder: Path, versions: dict[str, list[Version]]) -> tuple[str, str, dict[str, tuple[int, int]]] | None:
    """The field changes of ``versions`` written into a new diffs file, ``DIFFS_CHUNK`` files to a chunk, a chunk at
    a time (all of them at once were 30–50 MB more at a first build's peak): its name, the SHA-1 of its bytes and
    where each file's chunk is; None where it cannot be written."""
    kept = [(path, [v.diff for v in vs if v.diff]) for path, vs in versions.items() if any(v.diff for v in vs)]
    where: dict[str, tuple[int, int]] = {}
    digest = hashlib.sha1()

    def parts() -> Iterator[bytes]:
        offset = 0
        for start in range(0, len(kept), DIFFS_CHUNK):
            chunk = dict(kept[start : start + DIFFS_CHUNK])
            data = marshal.dumps(chunk)
            for file in chunk:
                where[file] = (offset, len(data))
            digest.update(data)
            offset += len(data)
            yield data

    name = uuid.uuid4().hex
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_whole(folder / _diffs_file(name), parts())
    except OSError:
        return None
    return name, digest.hexdigest(), where


def _blobs(commits: list[Commit]) -> set[str]:
    """The versions of organization.yaml and policy.yaml these commits are judged by or write (``rule_texts``
    has their texts: those of the commits before are in the whole history's file)."""
    return {b for c in commits for b in c.rules if b} | {x.new_blob for c in commits for x in c.changes if x.path in RULE_FILES and x.new_blob}


def _commit_row(c: Commit) -> tuple:
    return (
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
        [(x.status, x.path, x.new_blob if x.path in RULE_FILES else None) for x in c.changes],
        c.branch_authors,
        c.co_authors,
        c.hands,
        c.brought_in,
        c.faults,
        c.own_changes,
        c.cosigned,
        c.edits,
        c.rules,
    )
