"""The last whole check's verdict, given again while nothing it read has changed.

``orders validate`` on an archive nobody touched since its last run would read
and validate every record again: 17 s at 10,000 orders. Its verdict (the
problems, how many records, how many approvals) depends only on what is
under ``records/``, the day, the commit checked out with the published head
and whether the clone is shallow, the options, and the program. All of these
but the files are a few bytes; the files are covered by one walk that asks
each entry's kind, size, inode and times (``lstat``) and opens none.

Why times can be trusted: writing a file sets its change time (ctime) to
the clock's, and no user can set it back. The one gap is the clock's tick: a
file written twice within one tick, with the same size, looks unchanged. So,
as git treats an index entry no older than the index as "racily clean", a
verdict is stored only when every entry was older than ``SETTLED_NS`` when
the walk began; an archive edited a moment ago is simply checked again.

Where the walk cannot see everything the check reads, nothing is stored: a
symbolic link (the check resolves it, and its target may live outside the
archive) or a tree deeper than the check would walk.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

from generator.core import cachefile
from generator.core.problems import Problem
from generator.core.processes import Beside, usable_cores
from generator.records.calendar import archive_today
from generator.records.layout import RECORDS_DIR, is_attachments_folder
from generator.records.load import MAX_FOLDER_DEPTH

VERDICT_CACHE = "verdict.marshal"
_VERSION = 1
SETTLED_NS = 2_000_000_000
"""How old every entry must be for a verdict to be stored: coarser than any file system's clock tick (FAT's is 2 s)."""
SUBTREES = 8
"""Top folders the walk shares between two processes: at least this many, or all there are (a year's folders, or a small archive's dossiers)."""
_DEEPEST = MAX_FOLDER_DEPTH + 8
"""Below this the walk stops and stores nothing: deeper than the check reads anywhere (attachments nest 12 below a dossier)."""


@dataclass(frozen=True)
class Verdict:
    problems: list[Problem]
    records: int
    """Records that passed the schema."""
    approvals: int
    has_history: bool
    remembered: bool = False
    """Given again from the last check, not checked now."""


def check_verdict(root: Path, today: date | None = None, history: bool = True) -> Verdict:
    """The whole check's verdict on the archive at ``root``, from the last run when nothing changed since."""
    day = today or archive_today(root)
    tree = tree_state(root)
    key = _key(root, tree, day, history) if tree is not None else None
    cache = cachefile.folder(root) / VERDICT_CACHE
    if key is not None:
        stored = cachefile.read(cache, _VERSION, key)
        if stored is not None:
            rows, records, approvals, has_history = stored
            return Verdict(cachefile.problems_from(rows), records, approvals, has_history, remembered=True)
    from generator.pipeline import check_archive  # the whole check: imported only when it runs

    checked = check_archive(root, day, history=history)
    verdict = Verdict(checked.problems, len(checked.catalog.entries), checked.approval_count, checked.has_history)
    transient = any(p.rule == "history.unreadable" for p in verdict.problems)  # git may read it next time
    if key is not None and tree.settled and not transient:
        cachefile.write(cache, _VERSION, key, (cachefile.problem_rows(verdict.problems), verdict.records, verdict.approvals, verdict.has_history))
    return verdict


@dataclass(frozen=True)
class TreeState:
    digest: str
    """Of every entry under records/: its path and kind; for a file outside a dossier's attachments also its mode,
    size, inode and change time."""
    settled: bool
    """Every file whose state was asked was older than ``SETTLED_NS`` when the walk began."""


def tree_state(root: Path) -> TreeState | None:
    """The state of everything under ``records/``, or None where the walk cannot vouch for what the check reads.

    A file's change time moves whenever its bytes, its name or its mode do, so it stands for its modification time
    too. Two kinds of entry are named without being asked for their state, as the check reads nothing more of them:
    folders (their entries are walked; one that cannot be read stops the walk) and everything in a dossier's
    ``attachments/`` (the check asks only which names are files and folders; at 50,000 orders these two kinds are
    nearly two thirds of the 548,000 entries, and asking each for its state took most of the walk's time).
    Folders are listed in the order the file system gives: another order is another digest, which costs a check, never a wrong verdict.

    The top folders are walked here a level at a time until there are ``SUBTREES`` of them to share; the trees below
    them are walked half here and half in a forked process (``_apart``), each into a digest of its own, and the
    digests joined in the folders' order: the same state whoever walked what.
    """
    began = time.time_ns()
    records = str(root / RECORDS_DIR)
    digest = hashlib.sha1()
    newest = 0
    level: list[tuple[str, int, bool]] = [(records, 0, False)]
    while 0 < len(level) < SUBTREES:
        below: list[tuple[str, int, bool]] = []
        for folder in level:
            listed = _list(records, *folder, below)
            if listed is None:
                return None
            digest.update(listed[0])
            newest = max(newest, listed[1])
        level = sorted(below)
    for walked in _apart(records, level):
        if walked is None:
            return None
        digest.update(cachefile.value_bytes(walked[:2]))
        newest = max(newest, walked[2])
    return TreeState(digest.hexdigest(), newest < began - SETTLED_NS)


def _list(records: str, folder: str, depth: int, names_only: bool, below: list) -> tuple[bytes, int] | None:
    """One folder's rows, marshalled, and the newest change time among its files; its folders are added to ``below``."""
    if depth > _DEEPEST:
        return None
    rows: list = [folder]
    newest = 0
    try:
        with os.scandir(folder) as scan:
            for entry in scan:
                if entry.is_symlink():
                    return None
                if entry.is_dir(follow_symlinks=False):
                    rows.append((entry.name, "folder"))
                    attachments = names_only or (entry.name == "attachments" and is_attachments_folder(entry.path[len(records) + 1 :]))
                    below.append((entry.path, depth + 1, attachments))
                elif names_only:
                    rows.append((entry.name, "file" if entry.is_file(follow_symlinks=False) else "other"))
                else:
                    state = entry.stat(follow_symlinks=False)
                    changed = state.st_ctime_ns
                    rows.append((entry.name, state.st_mode, state.st_size, state.st_ino, changed))
                    newest = max(newest, changed)
    except OSError:
        return None
    return cachefile.value_bytes(rows), newest


def _walk(records: str, top: tuple[str, int, bool]) -> tuple[str, str, int] | None:
    """A whole tree: its top folder, the digest of every folder's rows below it, the newest change time (None: see ``_list``)."""
    digest = hashlib.sha1()
    newest = 0
    stack = [top]
    while stack:
        listed = _list(records, *stack.pop(), stack)
        if listed is None:
            return None
        digest.update(listed[0])
        newest = max(newest, listed[1])
    return top[0], digest.hexdigest(), newest


def _apart(records: str, tops: list[tuple[str, int, bool]]) -> list[tuple[str, str, int] | None]:
    """Every tree walked, in the order given: every other one by a forked process (``Beside``) where there is a
    second core (at 50,000 orders, 2.35 s → 1.23 s). Should that process fail, or not start, its trees are walked here."""
    if len(tops) < 2 or usable_cores() < 2:
        return [_walk(records, top) for top in tops]
    mine, theirs = tops[0::2], tops[1::2]
    there = Beside(partial(_walk_each, records, theirs))
    joined: list = [None] * len(tops)
    joined[0::2] = _walk_each(records, mine)
    joined[1::2] = there.result()
    return joined


def _walk_each(records: str, tops: list[tuple[str, int, bool]]) -> list[tuple[str, str, int] | None]:
    return [_walk(records, top) for top in tops]


def _key(root: Path, tree: TreeState, day: date, history: bool) -> str | None:
    """Everything besides the files and the program (``cachefile`` adds that) the verdict depends on, or None
    when git cannot say which commit is checked out (the check reports that; it is never remembered)."""
    parts = [tree.digest, day.isoformat(), str(history)]
    if history:
        from generator.trail.commits import UnreadableHistory
        from generator.trail.published import published_head
        from generator.trail.repo import head_of, is_shallow, open_repository

        repo = open_repository(root)
        if repo is not None:
            try:
                head = head_of(repo)
            except UnreadableHistory:
                return None
            parts += [head or "", str(is_shallow(repo)), published_head(root) or ""]
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()
