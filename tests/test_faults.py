"""Faults a real company meets, injected into a temporary archive: the verdict is never wrong in silence.

Each test breaks something (a git object, a pack, a cache or state file, a
special file under records/, the locale), runs the command a user runs, and
asserts a message rather than a traceback, the right exit code, and — after
the repair — exactly the verdict of a clean run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from editing import dossier, edit
from gitrepo import git, make_repo, merge, on_branch

O5 = f"{dossier('ORD-2026-0005')}/order.yaml"
T1, T2 = "2026-02-02T10:00:00+08:00", "2026-02-02T16:00:00+08:00"


def orders(root: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "generator.cli", *args]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, check=False, timeout=timeout, env={**os.environ, **(env or {})})


def with_invalid_move(tmp_path: Path) -> Path:
    """An archive whose history has one error only the history layer finds: in_progress → received."""
    root = make_repo(tmp_path)
    on_branch(root, "back", "huang.chihming", T1, "back to received", lambda r: edit(r, O5, lambda d: d.update(status="received")))
    merge(root, "back", ["lin.yating"], T2)
    return root


def rules(result: subprocess.CompletedProcess) -> list[str]:
    return sorted({line.split("[", 1)[1].split("]", 1)[0] for line in result.stdout.splitlines() if "error[" in line})


def test_a_clean_run_finds_the_invalid_move(tmp_path):
    result = orders(with_invalid_move(tmp_path), "validate", ".")
    assert result.returncode == 1 and "history.invalid-transition" in rules(result)


def test_a_corrupt_object_stops_the_history_with_a_located_error_and_no_cache_outlives_the_repair(tmp_path):
    root = with_invalid_move(tmp_path)
    blob = git(root, "rev-parse", f"HEAD~1:{O5}").strip()
    loose = root / ".git/objects" / blob[:2] / blob[2:]
    intact = loose.read_bytes()
    loose.chmod(0o644)
    loose.write_bytes(b"garbage")
    result = orders(root, "validate", ".")
    assert "Traceback" not in result.stderr
    assert result.returncode == 1 and "history.unreadable" in rules(result), result.stdout + result.stderr
    assert "history.invalid-transition" not in rules(result)  # nothing judged from a partial read
    loose.write_bytes(intact)
    result = orders(root, "validate", ".")
    assert rules(result) == ["history.invalid-transition"], result.stdout


def test_a_missing_pack_is_never_a_clean_verdict(tmp_path):
    root = with_invalid_move(tmp_path)
    git(root, "gc", "-q")
    packs = sorted((root / ".git/objects/pack").glob("*.pack"))
    aside = tmp_path / "aside"
    aside.mkdir()
    for pack in packs:
        shutil.move(pack, aside / pack.name)
    result = orders(root, "validate", ".")
    assert "Traceback" not in result.stderr
    assert result.returncode in (1, 2) and "✓" not in result.stderr + result.stdout
    assert "history.unreadable" in rules(result) or "git" in result.stderr
    for pack in aside.iterdir():
        shutil.move(pack, root / ".git/objects/pack" / pack.name)
    assert rules(orders(root, "validate", ".")) == ["history.invalid-transition"]


def test_a_named_pipe_under_records_is_refused_without_being_opened(tmp_path):
    root = make_repo(tmp_path)
    os.mkfifo(root / "records/archive/borrowing/BR-2026-0009.yaml")
    for args in (("validate", ".", "--no-history"), ("validate-files", "records/archive/borrowing/BR-2026-0009.yaml")):
        result = orders(root, *args, timeout=60)
        assert "Traceback" not in result.stderr
        assert result.returncode == 1
        assert "BR-2026-0009.yaml" in result.stdout and "not a regular file" in result.stdout


def test_garbled_cache_and_state_files_are_ignored(tmp_path):
    root = with_invalid_move(tmp_path)
    clean = orders(root, "validate", ".").stdout
    for rel in (".cache/order-archive/history.head", ".cache/order-archive/history.marshal", ".cache/order-archive/trail.marshal"):
        (root / rel).write_bytes(os.urandom(64))
    (root / ".order-archive").mkdir(exist_ok=True)
    (root / ".order-archive/published-head").write_bytes(b"\xff\xfe" + os.urandom(30))
    result = orders(root, "validate", ".")
    assert "Traceback" not in result.stderr
    assert result.stdout == clean


def test_any_locale_prints_without_crashing(tmp_path):
    root = with_invalid_move(tmp_path)
    for encoding in ("latin-1", "big5", "ascii"):
        result = subprocess.run(
            [sys.executable, "-m", "generator.cli", "validate", "."],
            cwd=root,
            capture_output=True,
            check=False,
            timeout=120,
            env={**os.environ, "PYTHONIOENCODING": encoding, "LC_ALL": "C", "LANG": "C"},
        )
        assert b"Traceback" not in result.stderr, (encoding, result.stderr[-500:])
        assert result.returncode == 1 and b"history.invalid-transition" in result.stdout


def test_a_damaged_search_bundle_is_never_reused(archive):
    from sitebuild import build, with_site

    root = with_site(archive)
    build(root)
    script = root / "site/pagefind/pagefind.js"
    intact = script.read_bytes()
    script.write_bytes(b"")  # as a killed build once left it
    build(root)  # unchanged archive: pages come from the cache, the bundle must not
    assert (root / "site/pagefind/pagefind.js").read_bytes() == intact
    build(root)  # and a sound bundle is reused again
    assert (root / "site/pagefind/pagefind.js").read_bytes() == intact
