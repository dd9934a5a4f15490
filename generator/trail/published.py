"""The last published head: a history that no longer contains it was rewritten.

Two records of it: a state file in the archive's git directory (``.git/order-archive-state/published-head``,
where no commit can put one: a local check), and ``published-head.txt`` in every built site. A fresh clone in CI has no state file, so
``orders build --publish --previous URL`` reads the head the *deployed* site was built from — out of reach
of whoever pushes — and refuses to publish a history that no longer contains it.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path

from generator.core.files import leftovers, write_whole
from generator.core.paths import local_folder
from generator.core.problems import UserError
from generator.trail.repo import is_ancestor, open_repository, read_commit_id

STATE_FILE = "published-head"


def state_file(root: Path) -> Path:
    return local_folder(root, "order-archive-state") / STATE_FILE


SITE_FILE = "published-head.txt"
_COMMIT_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


def published_head(root: Path) -> str | None:
    return read_commit_id(state_file(root))


def mark_published(root: Path, head: str) -> None:
    """Remember ``head`` as published: a later history that drops it was rewritten. Written whole or not at all."""
    path = state_file(root)
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


def previous_head(source: str) -> str | None:
    """The head a deployed site (a URL or a folder) was built from; None when there is no site there yet."""
    where = f"{source.rstrip('/')}/{SITE_FILE}"
    if source.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(where, timeout=30) as answer:  # http and https only: checked above
                raw = answer.read(200)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise UserError(f"cannot read {where}: HTTP {exc.code}; a publish must know the head it replaces") from None
        except (urllib.error.URLError, OSError) as exc:
            raise UserError(f"cannot read {where}: {exc}; a publish must know the head it replaces") from None
    else:
        path = Path(where)
        if not path.is_file():
            return None
        raw = path.read_bytes()[:200]
    text = raw.decode("ascii", "replace").strip()
    if not _COMMIT_ID.fullmatch(text):
        raise UserError(f"{where} does not hold a commit id; the deployed site cannot say what it was built from")
    return text


def refuse_rewritten(root: Path, source: str) -> str | None:
    """Check the work tree's head against the deployed site's; remember the deployed head; raise if rewritten."""
    previous = previous_head(source)
    if previous is None:
        return None
    repo = open_repository(root)
    if repo is None:
        raise UserError(f"{root} is not a git repository")
    mark_published(root, previous)  # what is deployed is what was published, whatever this clone holds
    if is_rewritten(root, repo.head.commit.hexsha):
        why = "reset, amended or force-pushed"
        raise UserError(
            f"refused to publish: the deployed site was built from {previous[:10]}, which this history no longer contains — "
            f"the main line was rewritten ({why}); restore it, or have it reviewed as history.rewritten"
        )
    return previous
