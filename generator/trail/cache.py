"""The history cache: the trail as read for one head, so an unchanged archive costs one load.

Kept in the archive's cache folder (``cachefile.folder``); a later head that descends from the
cached one is read incrementally (see ``history``).
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
HEAD_FILE = "history.head"


def cache_path(root: Path) -> Path:
    return cachefile.folder(root) / CACHE_FILE


def cached_head(root: Path) -> str | None:
    """The head the history cache was written for (kept beside it, so checking costs no load)."""
    return read_commit_id(cachefile.folder(root) / HEAD_FILE)


def load_cache(path: Path) -> History | None:
    """The cached history, out of the collector's reach: it lives as long as the run, and the collections that
    followed its load walked its millions of objects three times over for nothing (1.3–1.4 s at 10,000 orders,
    in the prefetch and again in the build).

    What was one object when saved (a person, a commit id, a field change: ``Sharing``) is one object when
    loaded, as marshal writes a value held twice once: nothing is looked up again (at 10,000 orders, sharing
    them again took 1.3 of the load's 2.3 s)."""
    with collector_paused(keep=True):
        cached = cachefile.read(path, CACHE_VERSION, "")
        if cached is None:
            return None
        head, commits, versions, last_blob, rule_texts = cached
        return History(
            head=head,
            commits=[_commit_from(c) for c in commits],
            versions={p: [Version._make(row) for row in vs] for p, vs in versions.items()},  # paths interned as saved
            last_blob=last_blob,
            rule_texts=rule_texts,
        )


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
    """Builtin types only, written with marshal: loading is several times faster than unpickling objects.

    Blob ids are left out (only the newest blob of each path is needed again), which halves the file; those of
    organization.yaml and policy.yaml stay, with their texts: the rules each commit is judged by.
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
        for c in history.commits
    ]
    versions = {p: [tuple(v) for v in vs] for p, vs in history.versions.items()}
    cachefile.write(path, CACHE_VERSION, "", (history.head, commits, versions, history.last_blob, history.rule_texts))
    with contextlib.suppress(OSError):
        path.with_name(HEAD_FILE).write_text(history.head + "\n", encoding="ascii")
