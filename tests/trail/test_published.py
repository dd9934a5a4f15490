"""Rewritten history seen where CI runs: a fresh clone compares its head with the head the deployed site was built from.

The state file (in the git directory, ``.git/order-archive-state/``) is never cloned, so a fresh clone in CI never has it; the
deployed site is out of reach of whoever pushes. Written first against the code that only read the state
file: the rewritten history was published from a fresh clone without a word.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from gitrepo import direct, git, make_repo
from sitebuild import with_site

T1, T2 = "2026-02-02T10:00:00+08:00", "2026-02-03T10:00:00+08:00"


def orders(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator.cli", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=600)


def note(root: Path, text: str) -> None:
    (root / "records/.site").mkdir(parents=True, exist_ok=True)
    (root / "records/.site/note.txt").write_text(text)


@pytest.fixture
def published(tmp_path) -> tuple[Path, Path]:
    """An archive whose site was published once (the deployed copy kept apart), and a fresh clone of it."""
    origin = with_site(make_repo(tmp_path / "origin"))
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "--amend", "--no-edit")
    first = orders(origin, "build", "--publish")
    assert first.returncode == 0, first.stderr
    head = git(origin, "rev-parse", "HEAD").strip()
    assert (origin / "site/published-head.txt").read_text().strip() == head
    deployed = tmp_path / "deployed"
    shutil.copytree(origin / "site", deployed)
    return origin, deployed


def fresh_clone(origin: Path, target: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(origin), str(target)], check=True)
    return target


def test_a_rewritten_history_is_refused_from_a_fresh_clone(tmp_path, published):
    origin, deployed = published
    direct(origin, "tseng.yawen", T1, "a note", lambda r: note(r, "one"))
    git(origin, "reset", "-q", "--hard", "HEAD~1")  # the published head is still there: nothing rewritten yet
    git(origin, "commit", "-q", "--amend", "-m", "Set up the archive, again")  # the published root is gone
    clone = fresh_clone(origin, tmp_path / "ci")
    result = orders(clone, "build", "--strict", "--publish", "--previous", str(deployed))
    assert result.returncode != 0
    assert "rewritten" in result.stderr and "Traceback" not in result.stderr
    assert not (clone / "site").exists()  # nothing was built or published


def test_an_honest_descendant_is_published_and_the_first_publish_needs_no_previous_site(tmp_path, published):
    origin, deployed = published
    direct(origin, "tseng.yawen", T1, "a note", lambda r: note(r, "one"))
    clone = fresh_clone(origin, tmp_path / "ci")
    result = orders(clone, "build", "--publish", "--previous", str(deployed))
    assert result.returncode == 0, result.stderr
    assert (clone / "site/published-head.txt").read_text().strip() == git(clone, "rev-parse", "HEAD").strip()
    first = orders(fresh_clone(origin, tmp_path / "ci2"), "build", "--publish", "--previous", str(tmp_path / "no-site-yet"))
    assert first.returncode == 0, first.stderr


def test_the_previous_head_is_read_from_the_deployed_site_over_http(tmp_path, published):
    origin, deployed = published
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(deployed))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        git(origin, "commit", "-q", "--amend", "-m", "Set up the archive, again")
        result = orders(fresh_clone(origin, tmp_path / "ci"), "build", "--publish", "--previous", url)
        assert result.returncode != 0 and "rewritten" in result.stderr
        (deployed / "published-head.txt").write_text("not a commit\n")
        result = orders(fresh_clone(origin, tmp_path / "ci2"), "build", "--publish", "--previous", url)
        assert result.returncode != 0 and "published-head.txt" in result.stderr
    finally:
        server.shutdown()
