"""The last published head: a history that no longer contains it was rewritten."""

from __future__ import annotations

from pathlib import Path

from generator.core.files import leftovers, write_whole
from generator.core.problems import UserError
from generator.trail.gitlog import is_ancestor, open_repository, read_commit_id

STATE_FILE = Path(".order-archive/published-head")


def published_head(root: Path) -> str | None:
    return read_commit_id(root / STATE_FILE)


def mark_published(root: Path, head: str) -> None:
    """Remember ``head`` as published: a later history that drops it was rewritten. Written whole or not at all."""
    path = root / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    write_whole(path, (head + "\n").encode("ascii"))
    for stale in leftovers(path.parent, f".{path.name}.*.tmp"):  # what a killed run left behind
        stale.unlink(missing_ok=True)


def is_rewritten(root: Path, head: str) -> str | None:
    """The published head that ``head`` no longer contains, or None."""
    published = published_head(root)
    if published is None or published == head:
        return None
    repo = open_repository(root)
    if repo is None:
        raise UserError(f"{root} is not a git repository")
    return None if is_ancestor(repo, published, head) else published
