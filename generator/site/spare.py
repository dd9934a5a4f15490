"""The site before last, kept as the next build's folder instead of being deleted.

A build makes its site in a folder of its own and swaps it into place. After
a merge nearly every file of the new site is a file of the last one, hard-
linked: at 10,000 orders 38,165 attachments and 20,634 pages linked into
10,600 new folders (3.8 s of a core here), and the replaced site's 91,000
files deleted after (1.8 s more). The replaced site is instead kept in the
archive's git directory (``order-archive-site``, where no commit reaches)
and becomes the next build's folder: most of its files are links to the
very files the next build links again, and are left as they are.

What makes this safe is that nothing of the spare is trusted as content:

- a file the build publishes (``publishing``) is left only where it is
  the very file (device and inode) the build would link, else replaced;
  the search bundle's join does the same with the bundle it finds
  (``searchmerge._Recycled``) and deletes whatever it does not put there;
- before MkDocs writes anything into an edition's folder (its ``on_env``),
  ``sweep`` deletes every file the build does not publish there, so every
  page and asset is written as a new file: never into a file
  the live site shares (an open for writing would change the live site in
  place), never beside a stale one;
- a build that fails deletes its folder, spare or not.

``tests/site/test_reuse.py`` builds after every kind of change from a spare
and compares every file and folder with a build from nothing.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from generator.core.paths import local_folder

NAME = "order-archive-site"


def folder(root: Path) -> Path:
    return local_folder(root, NAME)


def take(root: Path, temporary: Path) -> bool:
    """The spare moved to ``temporary`` (which must not exist); False where there is none or it cannot be moved
    (another file system, another build took it first)."""
    spare = folder(root)
    if not spare.is_dir() or spare.is_symlink():
        return False
    try:
        os.rename(spare, temporary)
    except OSError:
        return False
    return True


def keep(root: Path, old: Path) -> bool:
    """The replaced site ``old`` kept as the spare; False where it cannot be (a spare is there already: another
    build's; another file system), and the caller removes it."""
    spare = folder(root)
    try:
        spare.parent.mkdir(parents=True, exist_ok=True)
        os.rename(old, spare)  # fails where a spare is there, unless it is an empty folder
    except OSError:
        return False
    return True


def parent(path: str) -> str:
    """``os.path.dirname`` of a normalised absolute path, by one string method: asked of every file a build
    publishes (58,000 after a merge at 10,000 orders), ``dirname`` was a fifth of the publishing process's time."""
    head = path.rpartition(os.sep)[0]
    return head or path[:1]


def sweep(top: str, published: set[str], apart: set[str]) -> int:
    """Every file under ``top`` that is not among ``published`` (normalised paths) deleted, and every folder left
    empty that holds no published file; the folders in ``apart`` (another edition's, a folder emptied already)
    left alone. Links are never followed: a link is a file here. Returns the files deleted. A ``top`` the spare has
    not (an edition added since) has nothing to sweep."""
    if not os.path.isdir(top) or os.path.islink(top):
        return 0
    holding = {parent(path) for path in published}
    ancestors = set()
    for path in holding:
        while path not in ancestors and len(path) > len(top):
            ancestors.add(path)
            path = os.path.dirname(path)
    deleted = 0
    stack: list[tuple[str, bool]] = [(top, False)]
    while stack:
        current, listed = stack.pop()
        if listed:  # after its entries: removed when empty and nothing is to be published into it
            if current != top and current not in ancestors:
                with contextlib.suppress(OSError):  # not empty: a file kept in it
                    os.rmdir(current)
            continue
        stack.append((current, True))
        with os.scandir(current) as entries:
            for entry in entries:
                path = entry.path
                if entry.is_dir(follow_symlinks=False):
                    if path not in apart:
                        stack.append((path, False))
                elif path not in published:
                    os.unlink(path)
                    deleted += 1
    return deleted
