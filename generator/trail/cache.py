"""The history cache: the trail as read for one head, so an unchanged archive costs one load.

Kept in the archive's cache folder (``cachefile.folder``); a later head that descends from the
cached one is read incrementally (see ``history``).

The whole history (``history.marshal``) is written again only now and then: a save after a few new commits
writes what came after it (``history.tail``: those commits, their versions, and each file's newest blob), which
a load adds to it where the tail says it follows that very history. At 10,000 orders the whole history is
50 MB, and writing it again after each merged pull request took its prefetch 0.6–1.8 s of a core.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from generator.core import cachefile
from generator.core.memory import collector_paused
from generator.trail.commits import Commit, FileChange, History, Version
from generator.trail.repo import read_commit_id
from generator.trail.rules import RULE_FILES

CACHE_VERSION = 9
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
        head, commits, versions, last_blob, rule_texts = cached
        history = History(
            head=head,
            commits=[_commit_from(c) for c in commits],
            versions={p: [Version._make(row) for row in vs] for p, vs in versions.items()},  # paths interned as saved
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


def _commit_from(row: tuple) -> Commit:
    (
        sha,
        parents,
        author,
        authored,
        committer,
        committed,
        trailers,
        subject,
        signature,
        signer,
        changes,
        branch,
        co,
        hands,
        brought_in,
        faults,
        own,
        cosigned,
        edits,
        rules,
    ) = row
    return Commit(
        sha,
        parents,
        author,
        authored,
        committer,
        committed,
        trailers,
        subject,
        signature,
        signer,
        [FileChange(status, path, None, blob) for status, path, blob in changes],
        branch,
        co,
        hands,
        brought_in,
        tuple(faults),
        own,
        tuple(cosigned),
        tuple(map(tuple, edits)),
        tuple(rules),
    )


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
        versions = {p: [tuple(v) for v in vs] for p, vs in history.versions.items()}
        rows = [_commit_row(c) for c in history.commits]
        cachefile.write(path, CACHE_VERSION, "", (history.head, rows, versions, history.last_blob, history.rule_texts))
        history.saved = (history.head, len(history.commits))
        with contextlib.suppress(OSError):
            tail.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.with_name(HEAD_FILE).write_text(history.head + "\n", encoding="ascii")


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
