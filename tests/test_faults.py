"""Faults a real company meets, injected into a temporary archive: the verdict is never wrong in silence.

Each test breaks something (a git object, a pack, a cache or state file, a
special file under records/, the locale), runs the command a user runs, and
asserts a message rather than a traceback, the right exit code, and — after
the repair — exactly the verdict of a clean run.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC
from pathlib import Path

import pytest
from editing import dossier, edit
from gitrepo import git, make_repo, merge, on_branch
from processstate import state

from generator.core import cachefile

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
    from sitebuild import with_site

    with_site(root)
    result = orders(root, "build", ".", "--today", "2026-11-20", timeout=300)
    assert "Traceback" not in result.stderr and result.returncode == 0, result.stderr[-2000:]


def test_garbled_cache_and_state_files_are_ignored(tmp_path):
    root = with_invalid_move(tmp_path)
    clean = orders(root, "validate", ".").stdout
    for name in ("history.head", "history.marshal", "history.tail", "trail.marshal"):
        (cachefile.folder(root) / name).write_bytes(os.urandom(64))
    from generator.trail.published import state_file

    state_file(root).parent.mkdir(exist_ok=True)
    state_file(root).write_bytes(b"\xff\xfe" + os.urandom(30))
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


def site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file() and "pagefind" not in p.parts}


def test_a_kill_at_either_side_of_the_swap_never_loses_the_site(archive, tmp_path):
    from sitebuild import with_site

    root = with_site(archive)
    assert orders(root, "build", ".", "--today", "2026-11-20").returncode in (0, 1)
    before = site_files(root / "site")
    edit(root, O5, lambda d: d["intake"].update(project_name="改名 Renamed"))
    killed = orders(root, "build", ".", "--today", "2026-11-20", env={"ORDERS_FAULT": "site.writing-pages"})
    assert killed.returncode == -9 and site_files(root / "site") == before
    killed = orders(root, "build", ".", "--today", "2026-11-20", env={"ORDERS_FAULT": "site.before-swap"})
    assert killed.returncode == -9
    assert site_files(root / "site") == before  # the previous site, whole
    assert list(root.glob(".site.building-*"))  # what the kill left …
    killed = orders(root, "build", ".", "--today", "2026-11-20", env={"ORDERS_FAULT": "site.after-swap"})
    assert killed.returncode == -9 and "改名" in (root / "site/dossiers/ORD-2026-0005.html").read_text(encoding="utf-8")
    assert orders(root, "build", ".", "--today", "2026-11-20").returncode in (0, 1)
    deadline = time.monotonic() + 30
    while (list(root.glob(".site.building-*")) or list(root.glob(".site.old-*"))) and time.monotonic() < deadline:
        time.sleep(0.2)  # … is removed by the next build, in a process of its own
    assert not list(root.glob(".site.building-*")) and not list(root.glob(".site.old-*"))


def test_a_kill_while_a_cache_is_written_leaves_nothing_behind_for_long(tmp_path):
    root = with_invalid_move(tmp_path)
    killed = orders(root, "validate", ".", env={"ORDERS_FAULT": "cache.before-rename"})
    assert killed.returncode == -9
    assert list(cachefile.folder(root).glob("*.tmp"))
    result = orders(root, "validate", ".")
    assert rules(result) == ["history.invalid-transition"]
    assert not list(cachefile.folder(root).glob("*.tmp"))


def group_alive(pgid: int) -> list[str]:
    out = subprocess.run(["ps", "-o", "pid=,stat=,args=", "-g", str(pgid)], capture_output=True, text=True, check=False).stdout
    return [line for line in out.splitlines() if line.split()[1][0] != "Z"]


@pytest.fixture(scope="module")
def larger_archive(tmp_path_factory):
    from generator.demo.repository import write_repository

    root = tmp_path_factory.mktemp("interrupt") / "demo"
    write_repository(root, 150, seed=3)
    assert orders(root, "build", ".", "--today", "2026-11-20", timeout=600).returncode in (0, 1)
    return root


@pytest.fixture(scope="module")
def cold_seconds(larger_archive):
    """How long a cold build of ``larger_archive`` takes here: interrupts are sent at fractions of it."""
    shutil.rmtree(cachefile.folder(larger_archive), ignore_errors=True)
    started = time.monotonic()
    assert orders(larger_archive, "build", ".", "--today", "2026-11-20", timeout=600).returncode in (0, 1)
    return time.monotonic() - started


def _interrupt(root: Path, signum: int, to_group: bool, when) -> subprocess.Popen | None:
    """A cold build stopped by ``signum`` (to the whole group, as a terminal's Ctrl-C, or to the command alone, as a
    CI runner's timeout) once ``when()`` says so; the interrupt must be one line, leave the previous site whole and
    leave no process behind. None when the build ended before ``when()`` did."""
    before = site_files(root / "site")
    shutil.rmtree(cachefile.folder(root), ignore_errors=True)
    command = [sys.executable, "-m", "generator.cli", "build", ".", "--today", "2026-11-20"]
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    when()
    if process.poll() is not None:  # it ended first
        process.communicate()
        return None
    os.killpg(process.pid, signum) if to_group else os.kill(process.pid, signum)
    _out, err = process.communicate(timeout=20)
    assert process.returncode == {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}[signum], err
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "interrupted; the previous site is unchanged", err
    assert site_files(root / "site") == before
    deadline = time.monotonic() + 20
    while (group_alive(process.pid) or list(root.glob(".site.building-*"))) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert group_alive(process.pid) == [] and not list(root.glob(".site.building-*"))
    return process


@pytest.mark.parametrize(("signum", "to_group"), [(signal.SIGINT, True), (signal.SIGTERM, False), (signal.SIGHUP, False)])
def test_an_interrupted_build_ends_promptly_and_cleanly(larger_archive, signum, to_group):
    def writing_pages():
        deadline = time.monotonic() + 60
        while not any(larger_archive.glob(".site.building-*/dossiers/*.html")) and time.monotonic() < deadline:
            time.sleep(0.05)

    assert _interrupt(larger_archive, signum, to_group, writing_pages) is not None


@pytest.mark.parametrize("moment", [0.1, 0.25, 0.4, 0.55, 0.7])
@pytest.mark.parametrize(("signum", "to_group"), [(signal.SIGINT, True), (signal.SIGTERM, True)], ids=["ctrl-c", "sigterm-to-the-group"])
def test_an_interrupt_at_any_moment_of_a_cold_build_is_one_line(larger_archive, cold_seconds, moment, signum, to_group):
    """Sent to the whole group, the signal reaches every helper too — the history's reader, its diff workers, the page
    workers: each must leave the report to the command, never print a traceback of its own (the page workers did:
    they ran the command's own handler)."""
    delay = moment * cold_seconds
    while _interrupt(larger_archive, signum, to_group, lambda wait=delay: time.sleep(wait)) is None:
        delay /= 2  # a faster minute than the fixture's: the build ended first


_IN_A_FINALISER = """
import os, signal, sys, time
import generator.cli as cli

class Finalised:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while Python runs a finaliser, where it ignores every exception
        for _ in range(1000):
            pass

def main(**_):
    Finalised()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        time.sleep(0.01)
    print("went on", file=sys.stderr)
    return 0

cli.main = main
sys.argv = ["orders", "build"]
cli.run()
"""


def test_an_interrupt_that_lands_in_a_finaliser_still_stops_the_command():
    """Python runs a signal's handler wherever it is, a ``__del__`` too (GitPython's config reader has one), and
    ignores what a finaliser raises: a build interrupted so printed "Exception ignored … KeyboardInterrupt" and
    went on to the end (1 run in 60 interrupted under load)."""
    done = subprocess.run([sys.executable, "-c", _IN_A_FINALISER], capture_output=True, text=True, timeout=60)
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip().splitlines() == ["interrupted; the previous site is unchanged"]


_IN_EXECUTED_TEXT = """
import os, signal, sys
import generator.cli as cli

def main(**_):
    # Ctrl-C while Python runs code made from text (``dataclasses`` and ``namedtuple`` make their methods so)
    exec("os.kill(os.getpid(), signal.SIGINT)\\nfor _ in range(100000):\\n    pass", {"os": os, "signal": signal})
    return 0

cli.main = main
sys.argv = ["orders", "build"]
cli.run()
"""


def test_an_interrupt_that_lands_in_executed_text_exits_130_under_python_m(tmp_path):
    """CPython remembers a ``KeyboardInterrupt`` that ended code run from text, even one caught afterwards, and a
    program run with ``python -m`` then ends by SIGINT whatever its exit code: the one line was printed and the
    command ended with -2, not 130 (1 CI run, at 0.1 of a cold build, while a module's dataclasses were made)."""
    (tmp_path / "interrupted_in_text.py").write_text(_IN_EXECUTED_TEXT, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "interrupted_in_text"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip().splitlines() == ["interrupted; the previous site is unchanged"]


def test_the_day_is_the_archives_wherever_the_machine_is(tmp_path):
    from datetime import date, datetime

    from generator.records.calendar import archive_today

    root = make_repo(tmp_path)
    instant = datetime(2026, 11, 29, 20, 30, tzinfo=UTC)  # already 30 November in Taipei
    assert archive_today(root, instant) == date(2026, 11, 30)
    edit(root, "records/policy.yaml", lambda d: d.update(time_zone="America/Los_Angeles"))
    assert archive_today(root, instant) == date(2026, 11, 29)
    outputs = {zone: orders(root, "validate", ".", "--no-history", env={"TZ": zone}).stdout for zone in ("Pacific/Kiritimati", "Etc/GMT+12", "UTC")}
    assert len(set(outputs.values())) == 1, outputs


def test_an_unknown_time_zone_is_a_located_error(tmp_path):
    root = make_repo(tmp_path)
    edit(root, "records/policy.yaml", lambda d: d.update(time_zone="Mars/Olympus_Mons"))
    result = orders(root, "validate", ".", "--no-history")
    assert result.returncode == 1 and "records/policy.yaml" in result.stdout and "time_zone" in result.stdout
    assert "Traceback" not in result.stderr


def test_orders_new_racing_gives_each_run_its_own_number(tmp_path):
    root = make_repo(tmp_path)
    command = [sys.executable, "-m", "generator.cli", "new", "order", "--as", "lin.yating@hongxin.example", "--today", "2026-03-02"]
    runs = [subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [(run.wait(timeout=120), run.stderr.read()) for run in runs]
    assert all(code == 0 and "Traceback" not in err for code, err in results), results
    made = sorted(p.parent.name for p in (root / "records/orders/2026").glob("*/order.yaml") if not git(root, "ls-files", str(p)).strip())
    assert len(made) == 4 and len(set(made)) == 4
    assert not list((root / "records").rglob("*.tmp"))


@pytest.mark.parametrize("error", ["ENOSPC", "EACCES", "EROFS"])
def test_a_full_disk_or_read_only_folder_leaves_no_partial_record(tmp_path, monkeypatch, error):
    import errno

    from generator.core import files
    from generator.core.problems import UserError
    from generator.workflow import new

    root = make_repo(tmp_path)
    before = sorted(p for p in (root / "records").rglob("*") if p.is_file())

    code = getattr(errno, error)

    def fail(_fd: int) -> None:  # as root in CI, permissions cannot be taken away for real
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(files.os, "fsync", fail)
    with pytest.raises(UserError, match=f"{os.strerror(code)}; nothing was written"):
        new.create(root, "order", None, email="lin.yating@hongxin.example")
    assert sorted(p for p in (root / "records").rglob("*") if p.is_file()) == before


def test_approve_refuses_while_git_holds_the_index_lock(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "task", "huang.chihming", T1, "add a task", lambda r: edit(r, O5, lambda d: d["work_plan"]["tasks"][0].update(title="X")))
    (root / ".git/index.lock").write_text("")
    result = orders(root, "approve", "task", "--as", "lin.yating@hongxin.example")
    assert result.returncode == 1 and "index.lock" in result.stderr and "Traceback" not in result.stderr
    assert not (root / ".git/MERGE_HEAD").exists()
    (root / ".git/index.lock").unlink()
    assert orders(root, "approve", "task", "--as", "lin.yating@hongxin.example").returncode == 0


def test_no_command_leaks_a_file_or_a_process(archive):
    """``python -X dev -W error``: an unclosed file or a child left running is a warning, and an error here."""
    from sitebuild import with_site

    root = with_site(archive)
    runs = [("build", ".", "--today", "2026-11-20"), ("build", ".", "--today", "2026-11-20"), ("validate", "."), ("history", "ORD-2026-0005", "--root", ".")]
    for index, args in enumerate(runs):
        if index == 1:
            shutil.rmtree(cachefile.folder(root), ignore_errors=True)  # a cold build that replaces a site
        command = [sys.executable, "-X", "dev", "-W", "error", "-m", "generator.cli", *args]
        result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False, timeout=300)
        for sign in ("Warning", "Exception ignored", "Traceback"):
            assert sign not in result.stderr, (args, result.stderr[-2000:])


def deep_tree(top: Path, depth: int = 1200) -> Path:
    """A chain of ``depth`` folders under ``top`` (deeper than Python's recursion limit)."""
    deep = top
    for _ in range(depth):
        deep = deep / "d"
        deep.mkdir()
    return deep


def remove_deep_tree(top: Path) -> None:
    """Bottom up, without recursion: ``shutil.rmtree`` (and pytest's clean-up) cannot remove such a tree."""
    chain = [top / "d"]
    while (chain[-1] / "d").is_dir():
        chain.append(chain[-1] / "d")
    for folder in reversed(chain):
        folder.rmdir()


def test_special_files_and_deep_trees_among_attachments_neither_block_nor_crash(archive):
    from sitebuild import with_site

    root = with_site(archive)
    attachments = root / dossier("ORD-2026-0005") / "attachments"
    attachments.mkdir(exist_ok=True)
    os.mkfifo(attachments / "pipe.pdf")
    deep_tree(attachments)
    try:
        for args in (("validate", "."), ("build", ".", "--today", "2026-11-20")):
            result = orders(root, *args, timeout=300)
            assert "Traceback" not in result.stderr and result.returncode in (0, 1), (args, result.stderr[-2000:])
        assert not (root / "site/attachments/ORD-2026-0005/pipe.pdf").exists()
    finally:
        remove_deep_tree(attachments)


def test_a_folder_tree_too_deep_under_records_is_a_located_error(tmp_path):
    root = make_repo(tmp_path)
    deep_tree(root / "records/archive")
    try:
        result = orders(root, "validate", ".", "--no-history")
        assert "Traceback" not in result.stderr and result.returncode == 1
        assert "layout.too-deep" in result.stdout
    finally:
        remove_deep_tree(root / "records/archive")


def test_a_state_file_left_half_written_by_a_killed_run_is_removed(tmp_path):
    from generator.trail.published import mark_published, published_head, state_file

    root = make_repo(tmp_path)
    state_file(root).parent.mkdir()
    stale = state_file(root).with_name(".published-head.99999999.tmp")  # no such process
    stale.write_text("0123")
    head = git(root, "rev-parse", "HEAD").strip()
    mark_published(root, head)
    assert published_head(root) == head and not stale.exists()


def test_the_end_of_input_at_a_question_is_not_an_interrupt(tmp_path):
    root = make_repo(tmp_path)
    command = [sys.executable, "-m", "generator.cli", "new", "order", "-i", "--as", "lin.yating@hongxin.example"]
    result = subprocess.run(command, cwd=root, input="", capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 1 and result.stderr.strip().endswith("Aborted: no more input.")
    assert "Traceback" not in result.stderr and not list((root / "records/orders").rglob("*.tmp"))


HELPER = """
import multiprocessing, os, sys, time
from generator.core.processes import die_with_parent

def helper(parent, told):
    if told:
        die_with_parent(parent)
    time.sleep(60)

process = multiprocessing.get_context("fork").Process(target=helper, args=(os.getpid(), sys.argv[1] == "told"))
process.start()
print(process.pid, flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("told", [True, False])
def test_a_helper_forked_beside_a_command_does_not_outlive_it_when_killed(told):
    """The history reader is forked beside every command; killed with ``kill -9``, the command takes it along
    (and without ``die_with_parent``, the helper lives on: the test can see the difference)."""
    parent = subprocess.Popen([sys.executable, "-c", HELPER, "told" if told else "not"], stdout=subprocess.PIPE, text=True)
    helper = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(helper):
        time.sleep(0.05)
    try:
        assert _alive(helper) is not told
    finally:
        if _alive(helper):
            os.kill(helper, signal.SIGKILL)


def _alive(pid: int) -> bool:
    return state(pid) not in ("Z", None)
