"""Which repository holds the archive and which commit it has checked out: the few questions every command
asks of git before anything else, kept apart from the history reader (``gitlog``) so that asking them does not
import the record schemas (``orders validate`` on an unchanged archive asks nothing more; see ``verdict``)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import git

from generator.trail.commits import UnreadableHistory

HEX = re.compile(rb"[0-9a-f]{40}(?:[0-9a-f]{24})?")
"""A commit id, SHA-1 or SHA-256."""


def open_repository(root: Path) -> git.Repo | None:
    """The git repository whose work tree is ``root``, or None when the archive is not in git."""
    try:
        repo = git.Repo(root, search_parent_directories=False)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    if repo.bare or Path(repo.working_tree_dir).resolve() != root.resolve():
        return None
    return repo


def read_commit_id(path: Path) -> str | None:
    """A commit id kept in a small state file, or None when the file is missing, unreadable or not one id."""
    try:
        text = path.read_bytes().strip()
    except OSError:
        return None
    return text.decode("ascii") if HEX.fullmatch(text) else None


def head_of(repo: git.Repo) -> str | None:
    """The id of the commit HEAD names; None before the first commit. A head that names a commit git cannot
    read (a damaged repository) raises ``UnreadableHistory``: that is never "no history"."""

    def rev_parse(name: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "rev-parse", "-q", "--verify", name], cwd=repo.working_tree_dir, capture_output=True, check=False)

    peeled = rev_parse("HEAD^{commit}")  # reads the commit object itself
    if peeled.returncode == 0:
        return peeled.stdout.strip().decode("ascii")
    named = rev_parse("HEAD")
    if named.returncode != 0:
        return None
    head = named.stdout.strip().decode("ascii", "replace")
    raise UnreadableHistory(f"HEAD names commit {head}, which git cannot read: {peeled.stderr.decode('utf-8', 'replace').strip() or 'a missing object'}")


def is_shallow(repo: git.Repo) -> bool:
    """Whether the clone is shallow (git keeps the cut-off commits in ``shallow``, in the common git folder)."""
    return (Path(repo.common_dir) / "shallow").exists()


def is_ancestor(repo: git.Repo, old: str, new: str) -> bool:
    try:
        repo.git.merge_base("--is-ancestor", old, new)
        return True
    except git.GitCommandError:
        return False
