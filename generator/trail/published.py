"""The last published head: a history that no longer contains it was rewritten."""

from __future__ import annotations

from pathlib import Path

from generator.core.problems import UserError
from generator.trail.gitlog import is_ancestor, open_repository

STATE_FILE = Path(".order-archive/published-head")


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
    return None if is_ancestor(repo, published, head) else published
