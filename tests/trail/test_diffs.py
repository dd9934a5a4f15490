"""The field diffs' worker processes: the same diffs as one process, and they end — on their own when the work
is done, at once when it is stopped — never left waiting for a lock (a cold build once hung there for good)."""

from __future__ import annotations

import multiprocessing.pool
import multiprocessing.popen_fork
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from gitrepo import make_repo
from processstate import state

from generator.trail import diffs
from generator.trail.commits import UnreadableHistory

TWO_CORES = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="the diffs go to other processes only with two cores")


def _steps(root):
    """Every record of the repository's one commit as a step: (commit 0, added, no blob before, its blob)."""
    listed = subprocess.run(["git", "ls-tree", "-r", "HEAD", "records/"], cwd=root, capture_output=True, text=True, check=True).stdout
    return {line.split("\t")[1]: [(0, "A", None, line.split()[2])] for line in listed.splitlines() if line.endswith(".yaml")}


@TWO_CORES
def test_the_workers_give_the_same_diffs_and_end_without_being_killed(tmp_path, monkeypatch):
    root = make_repo(tmp_path)
    steps = _steps(root)
    alone = dict(diffs.read_versions(str(root), steps))  # few blobs: one process
    killed = []
    original = multiprocessing.pool.Pool.terminate
    monkeypatch.setattr(multiprocessing.pool.Pool, "terminate", lambda pool: (killed.append(pool), original(pool)))
    monkeypatch.setattr(diffs, "PARALLEL_FROM", 0)
    together = dict(diffs.read_versions(str(root), steps))
    assert together == alone and len(together) > 30
    assert killed == []  # done: closed and joined, not terminated
    assert multiprocessing.active_children() == []


@TWO_CORES
def test_a_worker_sends_its_groups_diffs_in_parts_and_holds_one_part_at_a_time(tmp_path, monkeypatch):
    """A group's diffs went back whole: a worker held them all before it sent them (34 MB of its own at a cold build's
    peak at 10,000 orders, five times that at 50,000). Now it sends a part once it has ``ANSWER_VERSIONS`` versions."""
    root = make_repo(tmp_path)
    steps = _steps(root)
    alone = dict(diffs.read_versions(str(root), steps))
    messages = []
    received = diffs._received

    def recorded(pipe):
        messages.append(received(pipe))
        return messages[-1]

    monkeypatch.setattr(diffs, "_received", recorded)
    monkeypatch.setattr(diffs, "PARALLEL_FROM", 0)
    monkeypatch.setattr(diffs, "_GROUPS", 2)  # a group of some twenty records each
    monkeypatch.setattr(diffs, "ANSWER_VERSIONS", 3)
    assert dict(diffs.read_versions(str(root), steps)) == alone
    assert [last for _, _, last in messages].count(True) == 2  # each group's last part says so
    assert max(sum(len(statuses) for _, (statuses, _) in part) for _, part, _ in messages) == 3
    assert len(messages) >= len(steps) // 3
    assert multiprocessing.active_children() == []


@TWO_CORES
def test_the_heap_the_walk_freed_is_given_back_before_the_workers_fork(tmp_path, monkeypatch):
    """Pages the allocator kept after the walk freed them would be mapped in the reader and in both workers, counted
    in all three for as long as they diff (40 MB at 10,000 orders)."""
    root = make_repo(tmp_path)
    steps = _steps(root)
    events = []
    workers = diffs._Workers
    monkeypatch.setattr(diffs, "give_back", lambda: events.append("given back"))
    monkeypatch.setattr(diffs, "_Workers", lambda *args: (events.append("forked"), workers(*args))[1])
    monkeypatch.setattr(diffs, "PARALLEL_FROM", 0)
    assert len(dict(diffs.read_versions(str(root), steps))) == len(steps)
    assert events == ["given back", "forked"]


def test_a_workers_reader_reads_group_after_group_from_one_git(tmp_path):
    """A worker's ``git cat-file`` is fed each group as it comes (its delta bases kept from group to group): the same
    versions as a ``git cat-file`` a group, from one process that lives on between groups."""
    root = make_repo(tmp_path)
    steps = _steps(root)
    paths = sorted(steps)
    first, second = [(p, steps[p]) for p in paths[:10]], [(p, steps[p]) for p in paths[10:20]]
    apart = list(diffs._diff_group(str(root), first)) + list(diffs._diff_group(str(root), second))
    with diffs._FedReader(str(root)) as blobs:
        fed = list(diffs._diff_group(str(root), first, blobs))
        git = blobs.process.pid
        fed += list(diffs._diff_group(str(root), second, blobs))
        assert blobs.process.pid == git and blobs.process.poll() is None
    assert fed == apart and len(fed) == 20
    assert blobs.process.poll() is not None  # ended with the worker's reader


@TWO_CORES
def test_a_worker_whose_git_cannot_start_says_why(tmp_path, monkeypatch):
    """The worker's ``git cat-file`` is started with its first group: a failure is that group's answer, in its own
    words, not a worker gone without one."""
    root = make_repo(tmp_path)

    def no_git(cwd):
        raise FileNotFoundError(2, "No such file or directory: 'git'")

    monkeypatch.setattr(diffs, "_FedReader", no_git)
    monkeypatch.setattr(diffs, "PARALLEL_FROM", 0)
    with pytest.raises(FileNotFoundError, match="'git'"):
        dict(diffs.read_versions(str(root), _steps(root)))
    assert multiprocessing.active_children() == []


# A group's answer as large as a timeline's diffs get (1 MB a record): a worker is stopped while it writes it.
LARGE_ANSWERS = """
def large(cwd, group, blobs=None):
    return [(path, ([None], [("x" * 1_000_000,)])) for path, _ in group]  # a list: the worker sends it in parts
large.__module__, large.__qualname__ = "generator.trail.diffs", "_diff_group"
diffs._diff_group = large
"""


@TWO_CORES
@pytest.mark.parametrize("answers", ["", LARGE_ANSWERS], ids=["diffs", "large answers"])
def test_a_stopped_reading_ends_its_workers_under_the_commands_own_signal_handler(tmp_path, answers):
    """``orders`` turns SIGTERM into KeyboardInterrupt; the workers must still die when the reading stops them, even in
    the middle of an answer (``multiprocessing.Pool`` hung here for good in one stop of three: its killed worker held
    the result queue's lock, which the pool's own task thread then waited for)."""
    root = make_repo(tmp_path)
    script = textwrap.dedent(
        f"""
        import signal, sys, multiprocessing
        from generator.trail import diffs
        def interrupt(signum, frame):
            raise KeyboardInterrupt
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, interrupt)
        diffs.PARALLEL_FROM = 0
        {textwrap.indent(answers, "        ").strip()}
        steps = {_steps(root)!r}
        for _ in range(20):
            reading = diffs.read_versions({str(root)!r}, steps)
            next(reading)
            reading.close()  # stopped with work left: the workers are stopped
        assert multiprocessing.active_children() == []
        print("ended")
        """
    )
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True) as reader:
        try:
            out, err = reader.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(reader.pid, signal.SIGKILL)  # the reader and its workers
            out, err = reader.communicate()
    assert out.strip() == "ended", err[-2000:]


def _ended(pid: int) -> bool:
    return state(pid) in ("Z", "X", None)  # a zombie has ended: nobody reaps it here


@TWO_CORES
def test_the_workers_end_when_the_process_reading_dies(tmp_path):
    """Killed outright (the OOM killer, a CI runner's timeout), the reader cannot stop its workers: they must end, not
    wait for work for ever. The kernel ends them with it (``die_with_parent``, Linux); elsewhere each sees its pipe
    close, having closed the parent's ends it inherited (before it did, this test failed)."""
    root = make_repo(tmp_path)
    script = textwrap.dedent(
        f"""
        import os, signal, sys, time, multiprocessing
        from generator.trail import diffs
        diffs.PARALLEL_FROM = 0
        original = diffs._diff_group
        def slow(cwd, group, blobs=None):
            time.sleep(0.3)
            return original(cwd, group, blobs)
        slow.__module__, slow.__qualname__ = "generator.trail.diffs", "_diff_group"
        diffs._diff_group = slow
        reading = diffs.read_versions({str(root)!r}, {_steps(root)!r})
        next(reading)
        print(*[child.pid for child in multiprocessing.active_children()], flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, start_new_session=True) as reader:
        pids = [int(pid) for pid in reader.stdout.readline().split()]
        reader.wait(timeout=60)
    assert len(pids) == 2 and reader.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 30
    while not all(_ended(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in pids if not _ended(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []


@TWO_CORES
def test_the_diffs_are_read_here_when_no_worker_can_be_forked(tmp_path, monkeypatch):
    root = make_repo(tmp_path)
    steps = _steps(root)
    alone = dict(diffs.read_versions(str(root), steps))
    forks = []

    def refused(popen, process_obj):
        forks.append(process_obj)
        raise BlockingIOError(11, "Resource temporarily unavailable")  # fork's EAGAIN: a limit on processes

    monkeypatch.setattr(multiprocessing.popen_fork.Popen, "_launch", refused)
    monkeypatch.setattr(diffs, "PARALLEL_FROM", 0)
    assert dict(diffs.read_versions(str(root), steps)) == alone
    assert len(forks) == 1 and multiprocessing.active_children() == []


@TWO_CORES
def test_a_blob_git_cannot_give_is_reported_from_a_worker_in_gits_words(tmp_path, monkeypatch):
    root = make_repo(tmp_path)
    steps = _steps(root)
    path = sorted(steps)[7]
    steps[path] = [(0, "A", None, "0" * 40)]
    monkeypatch.setattr(diffs, "PARALLEL_FROM", 0)
    with pytest.raises(UnreadableHistory, match=r"git cannot read blob 0{40}: the object is missing"):
        dict(diffs.read_versions(str(root), steps))
    assert multiprocessing.active_children() == []


ORDER = b"""# written by sales
id: ORD-2026-0001
status: confirmed
intake:
  client:
    name: \xe5\xae\x8f\xe9\x81\xa0\xe7\x89\xa9\xe6\xb5\x81
# a note at the first column, inside the entry
  budget: 120000.50
  tags: [a,
    b]
notes: |
  two
  lines

"""


@pytest.mark.parametrize(
    "after",
    [
        ORDER.replace(b"confirmed", b"in_progress"),  # one entry changed
        ORDER.replace(b"120000.50", b"150000"),
        ORDER + b"review:\n  by: P-001\n",  # one added
        ORDER.replace(b"status: confirmed\n", b""),  # one removed
        ORDER.replace(b"status: confirmed\n", b"") + b"status: confirmed\n",  # moved: the diff's order follows the file
        ORDER + b"status: closed\n",  # a duplicate key, each entry fine alone: refused whole
        ORDER.replace(b"notes: |", b"notes: |\n\tx"),  # a tab
        ORDER.replace(b"status: confirmed", b"status: &s confirmed\nstate: *s"),  # an anchor and an alias
        b"---\n" + ORDER,  # a document start
        ORDER.replace(b"\n", b"\r\n"),  # other line ends: parsed whole
        ORDER.replace(b"  two", "  two\u0085".encode()),
        ORDER[:-2],  # no line end at the end
        ORDER.replace(b"notes: |", b"notes: |+") + b"review: x\n",  # kept line ends, then another entry
        ORDER.replace(b"id: ORD-2026-0001\n", b"") + b"id: ORD-2026-0001\n",
        ORDER.replace(b"status: confirmed\nintake:", b"status: confirmed\rintake:"),  # a line break split() does not see
        ORDER.replace(b"id: ORD", "id: \u2028ORD".encode()),
        ORDER.replace(b"status: confirmed", b'"status": confirmed'),  # not a plain key: parsed whole
        ORDER.replace(b"status: confirmed", b"status: confirmed: twice"),
        b"- a list\n- at the top\n",
        b"",
        b"# only a comment\n",
        b"\xef\xbb\xbf" + ORDER,  # a byte-order mark
        ORDER.replace(b"notes", b"n\xff"),  # not UTF-8
    ],
)
def test_a_version_read_entry_by_entry_is_the_version_read_whole(after):
    """Whatever the next version holds, ``Versions`` gives what parsing it whole gives: the same fields in the
    same order, or nothing when the safe reader refuses the file."""
    versions = diffs.Versions()
    assert versions.flat(ORDER) == diffs._flat(ORDER) != {}
    assert versions.flat(after) == diffs._flat(after)
    assert versions.flat(ORDER) == diffs._flat(ORDER)  # and back, after a refused or odd version


def test_only_the_entries_that_changed_are_parsed_again(monkeypatch):
    versions = diffs.Versions()
    versions.flat(ORDER)
    parsed = []
    original = diffs.parse
    monkeypatch.setattr(diffs, "parse", lambda raw, path: (parsed.append(raw), original(raw, path))[1])
    assert versions.flat(ORDER.replace(b"confirmed", b"closed"))["status"] == "closed"
    assert parsed == [b"status: closed\n"]


def test_every_staged_version_of_the_demo_reads_entry_by_entry_as_whole(small_demo, monkeypatch):
    """Records as the demo's history writes them, stage after stage (an order received, reviewed, planned,
    delivered, settled, archived; its change requests, inspections and settlement): each version read
    entry by entry is the version read whole, and the later versions parse well under all of their bytes."""
    from generator.demo import repository
    from generator.records.safeyaml import dump, parse

    stagers = {"order.yaml": repository.order_stages, "settlement.yaml": repository.settlement_stages}
    stagers |= {"changes": repository.change_stages, "quality": repository.quality_stages}
    histories = []
    for path, content in sorted(small_demo.items()):
        stage = stagers.get(path.rsplit("/", 1)[-1]) or stagers.get(path.rsplit("/", 2)[-2])
        if stage is not None:
            histories.append([dump(version[-1]).encode() for version in stage(parse(content, path)[0])])
    whole = [[diffs._flat(raw) for raw in raws] for raws in histories]
    sizes: list[int] = []
    monkeypatch.setattr(diffs, "parse", lambda text, where: (sizes.append(len(text)), parse(text, where))[1])
    later, later_parsed = 0, 0
    for raws, expected in zip(histories, whole, strict=True):
        versions = diffs.Versions()
        for n, raw in enumerate(raws):
            sizes.clear()
            assert versions.flat(raw) == expected[n]
            if n:
                later, later_parsed = later + len(raw), later_parsed + sum(sizes)
    assert sum(map(len, histories)) > 80 and later_parsed < later * 0.8
