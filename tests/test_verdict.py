"""The remembered verdict: given again only while nothing the check reads has changed, however it changed."""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import pytest
from editing import read, write
from gitrepo import git, make_repo

from generator import verdict
from generator.cli import main
from generator.core.problems import Severity
from generator.trail.published import mark_published
from generator.verdict import check_verdict, tree_state

TODAY = date(2026, 11, 20)
ORDER = "records/orders/2026/ORD-2026-0001/order.yaml"


@pytest.fixture
def settled(monkeypatch):
    """The walk begins a minute from now: every file written so far is old enough for its verdict to be kept."""
    now = time.time_ns
    monkeypatch.setattr(verdict.time, "time_ns", lambda: now() + 60_000_000_000)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


def _first_order(root: Path) -> Path:
    return sorted((root / "records" / "orders").glob("*/ORD-*/order.yaml"))[0]


def _attachments(root: Path) -> Path:
    folder = _first_order(root).parent / "attachments"
    folder.mkdir(exist_ok=True)
    return folder


def _attachment(root: Path) -> Path:
    """A file of the first dossier's attachments (the first of them, made if there is none)."""
    found = sorted(p for p in _attachments(root).iterdir() if p.is_file())
    if found:
        return found[0]
    (_attachments(root) / "contract.pdf").write_bytes(b"%PDF-1.7")
    return _attachments(root) / "contract.pdf"


def _made_a_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _rows(result) -> list[tuple]:
    return [(p.path, p.line, p.col, p.rule, p.message, p.clause, p.severity) for p in result.problems]


def test_an_unchanged_archive_gets_the_same_verdict_remembered(repo: Path, settled):
    first = check_verdict(repo, TODAY)
    again = check_verdict(repo, TODAY)
    assert not first.remembered and again.remembered
    assert _rows(again) == _rows(first) and first.problems  # the demo has warnings: they come back, each in full
    assert (again.records, again.approvals, again.has_history) == (first.records, first.approvals, first.has_history)


def test_an_archive_written_a_moment_ago_is_checked_again(repo: Path):
    """Within the clock's tick a file could change again unseen (git's "racily clean"): no verdict is kept."""
    assert not tree_state(repo).settled
    check_verdict(repo, TODAY)
    assert not check_verdict(repo, TODAY).remembered


def test_an_edit_of_the_same_size_with_its_time_set_back_is_seen(repo: Path, settled):
    """The insider's edit: same length, modification time restored. The change time cannot be set back."""
    order = _first_order(repo)
    before = order.stat()
    check_verdict(repo, TODAY)
    assert check_verdict(repo, TODAY).remembered  # the verdict the edit would hide behind is stored
    time.sleep(0.05)  # past the file system's clock tick
    text = order.read_bytes()
    forged = text.replace(b"project_name: ", b"project_name:\t", 1)  # a tab: the same length, and a reader error
    assert len(forged) == len(text) and forged != text
    order.write_bytes(forged)
    os.utime(order, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert order.stat().st_mtime_ns == before.st_mtime_ns and order.stat().st_size == before.st_size
    result = check_verdict(repo, TODAY)
    assert not result.remembered
    assert any(p.rule == "yaml.tab" and p.path.endswith(order.name) for p in result.problems)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda root: (root / "records" / "notes.txt").write_text("stray\n"), id="a file added"),
        pytest.param(lambda root: _first_order(root).unlink(), id="a record deleted"),
        pytest.param(lambda root: _first_order(root).rename(_first_order(root).with_name("order.yml")), id="a record renamed"),
        pytest.param(lambda root: os.mkfifo(root / "records" / "pipe.yaml"), id="a named pipe added"),
        pytest.param(lambda root: (root / "records" / "orders" / "2026" / "empty").mkdir(), id="a folder added"),
        pytest.param(lambda root: _first_order(root).chmod(0o600), id="a mode changed"),
        pytest.param(lambda root: (_attachments(root) / "extra.pdf").write_bytes(b"%PDF"), id="an attachment added"),
        pytest.param(lambda root: _attachment(root).unlink(), id="an attachment deleted"),
        pytest.param(lambda root: _attachment(root).rename(_attachment(root).with_name("renamed.pdf")), id="an attachment renamed"),
        pytest.param(lambda root: _made_a_folder(_attachment(root)), id="an attachment made a folder"),
        pytest.param(lambda root: os.mkfifo(_attachments(root) / "pipe.pdf"), id="a named pipe among the attachments"),
    ],
)
def test_any_change_under_records_is_checked_again(repo: Path, settled, change):
    check_verdict(repo, TODAY)
    assert check_verdict(repo, TODAY).remembered
    time.sleep(0.05)
    change(repo)
    assert not check_verdict(repo, TODAY).remembered


def test_an_attachments_bytes_are_not_what_the_check_reads(repo: Path, settled):
    """The check asks only which attachments a dossier has: rewriting one costs no check (the walk does not ask
    the state of the quarter million attachments of a 50,000-order archive)."""
    attachment = _attachment(repo)
    check_verdict(repo, TODAY)
    attachment.write_bytes(attachment.read_bytes() + b" rewritten")
    assert check_verdict(repo, TODAY).remembered


def test_a_symbolic_link_is_never_vouched_for(repo: Path, settled):
    """The check resolves a link, and what it points at may live outside the archive, where the walk does not look."""
    (repo / "records" / "orders" / "2026" / "ORD-2026-0001" / "attachments").mkdir(exist_ok=True)
    (repo / "records" / "orders" / "2026" / "ORD-2026-0001" / "attachments" / "spec.pdf").symlink_to(repo / "outside.pdf")
    assert tree_state(repo) is None
    check_verdict(repo, TODAY)
    assert not check_verdict(repo, TODAY).remembered


def test_a_commit_that_changes_no_file_is_judged(repo: Path, settled):
    """The insider's other way: the edit sits uncommitted while the verdict is kept, then goes straight onto main.
    The files are the same bytes as when the verdict was kept; the history is not."""
    order = read(repo, ORDER)
    order["intake"]["project_name"] = "Changed without review"
    write(repo, ORDER, order)
    time.sleep(0.05)
    assert not any(p.rule == "history.unapproved-change" for p in check_verdict(repo, TODAY).problems)
    assert check_verdict(repo, TODAY).remembered
    git(repo, "add", "-A")  # the index only: the work tree's files are not touched
    git(repo, "commit", "-q", "-m", "quiet fix", who="tseng.yawen", when="2026-01-05T10:00:00+08:00")
    result = check_verdict(repo, TODAY)
    assert not result.remembered
    assert any(p.rule == "history.unapproved-change" and p.severity is Severity.ERROR for p in result.problems)


def test_a_published_head_the_history_lost_is_judged(repo: Path, settled):
    """The head and the files stay; only the published head moves to a commit the history no longer holds."""
    git(repo, "commit", "-q", "--allow-empty", "-m", "next")
    lost = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "reset", "-q", "--soft", "HEAD~1")
    git(repo, "commit", "-q", "--allow-empty", "-m", "next, rewritten")
    assert not any(p.rule == "history.rewritten" for p in check_verdict(repo, TODAY).problems)
    assert check_verdict(repo, TODAY).remembered
    mark_published(repo, lost)
    result = check_verdict(repo, TODAY)
    assert not result.remembered
    assert any(p.rule == "history.rewritten" for p in result.problems)


def test_another_day_or_option_is_checked_again(repo: Path, settled):
    check_verdict(repo, TODAY)
    assert check_verdict(repo, TODAY).remembered
    assert not check_verdict(repo, date(2027, 6, 1)).remembered  # deadlines run out
    without = check_verdict(repo, TODAY, history=False)
    assert not without.remembered and not without.has_history


def test_an_archive_outside_git_is_remembered_too(archive: Path, settled):
    check_verdict(archive, TODAY)
    again = check_verdict(archive, TODAY)
    assert again.remembered and not again.has_history


def test_orders_validate_says_when_it_gives_the_last_verdict(repo: Path, settled, monkeypatch):
    from click.testing import CliRunner

    monkeypatch.chdir(repo)
    first = CliRunner().invoke(main, ["validate", ".", "--today", TODAY.isoformat()])
    again = CliRunner().invoke(main, ["validate", ".", "--today", TODAY.isoformat()])
    assert (again.exit_code, again.stdout) == (first.exit_code, first.stdout)
    assert "nothing changed since" in again.stderr and "nothing changed since" not in first.stderr


def _dossiers(root: Path) -> list[Path]:
    return sorted(p.parent for p in (root / "records" / "orders").glob("*/ORD-*/order.yaml"))


def _forks(monkeypatch) -> list[int]:
    """Counts the walk's forks (the walker is forked only where a second core can take half of it)."""
    forked: list[int] = []
    fork = os.fork

    def counted():
        child = fork()
        if child:
            forked.append(child)
        return child

    monkeypatch.setattr(verdict.os, "fork", counted)
    monkeypatch.setattr(verdict, "usable_cores", lambda: 2)
    return forked


def test_the_walk_shared_with_a_forked_walker_sees_what_one_process_sees(repo: Path, monkeypatch):
    forked = _forks(monkeypatch)
    shared = tree_state(repo)
    assert forked, "the ten dossiers are shared between two processes"
    monkeypatch.setattr(verdict, "usable_cores", lambda: 1)
    alone = tree_state(repo)
    assert len(forked) == 1 and shared == alone


def test_a_change_in_any_dossier_is_seen_whichever_process_walks_it(repo: Path, monkeypatch):
    """Half the dossiers are walked by the forked process: a change there, or a link, counts the same."""
    forked = _forks(monkeypatch)
    for dossier in _dossiers(repo):
        before = tree_state(repo)
        (dossier / "attachments").mkdir(exist_ok=True)
        (dossier / "attachments" / "added.pdf").write_bytes(b"%PDF")
        after = tree_state(repo)
        assert after.digest != before.digest, dossier.name
        time.sleep(0.01)
        (dossier / "order.yaml").write_bytes((dossier / "order.yaml").read_bytes() + b"\n")
        assert tree_state(repo).digest != after.digest, dossier.name
        (dossier / "attachments" / "link.pdf").symlink_to(repo / "outside.pdf")
        assert tree_state(repo) is None, dossier.name
        (dossier / "attachments" / "link.pdf").unlink()
    assert len(forked) == 4 * len(_dossiers(repo))  # every walk shared


def test_a_forked_walker_that_fails_is_walked_for(repo: Path, monkeypatch):
    """Whatever ends the forked walker early (here an error; a kill is the same to the pipe), its trees are walked here."""
    expected = tree_state(repo)
    forked = _forks(monkeypatch)
    test_process, walk = os.getpid(), verdict._walk

    def fails_in_the_child(records, top):
        if os.getpid() != test_process:
            raise RuntimeError("the forked walker failed")
        return walk(records, top)

    monkeypatch.setattr(verdict, "_walk", fails_in_the_child)
    assert tree_state(repo) == expected and forked


def test_a_record_written_a_moment_ago_is_seen_whichever_process_walks_it(repo: Path, monkeypatch):
    """The forked walker's newest change time counts too: without it a racily clean edit there would be remembered."""
    forked = _forks(monkeypatch)
    for dossier in _dossiers(repo):
        time.sleep(0.02)
        order = dossier / "order.yaml"
        order.write_bytes(order.read_bytes() + b"\n")
        written = order.stat().st_ctime_ns
        monkeypatch.setattr(verdict.time, "time_ns", lambda at=written + verdict.SETTLED_NS: at)  # this file alone is too new
        assert not tree_state(repo).settled, dossier.name
        monkeypatch.setattr(verdict.time, "time_ns", lambda at=written + verdict.SETTLED_NS + 1: at)
        assert tree_state(repo).settled, dossier.name
    assert len(forked) == 2 * len(_dossiers(repo))


def test_a_walker_that_cannot_be_forked_is_walked_for(repo: Path, monkeypatch):
    expected = tree_state(repo)
    monkeypatch.setattr(verdict, "usable_cores", lambda: 2)

    def no_process():
        raise BlockingIOError("Resource temporarily unavailable")

    monkeypatch.setattr(verdict.os, "fork", no_process)
    assert tree_state(repo) == expected
