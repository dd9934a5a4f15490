"""The field diffs' worker processes: the same diffs as one process, and they end — on their own when the work
is done, at once when it is stopped — never left waiting for a lock (a cold build once hung there for good)."""

from __future__ import annotations

import multiprocessing.pool
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from gitrepo import make_repo

from generator.trail import diffs

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
def test_a_stopped_reading_ends_its_workers_under_the_commands_own_signal_handler(tmp_path):
    """``orders`` turns SIGTERM into KeyboardInterrupt; the workers must still die when the pool stops them."""
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
        steps = {_steps(root)!r}
        for _ in range(20):
            reading = diffs.read_versions({str(root)!r}, steps)
            next(reading)
            reading.close()  # stopped with work left: the pool is terminated
        assert multiprocessing.active_children() == []
        print("ended")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ended", done.stderr[-2000:]


def test_a_worker_ends_on_sigterm_and_ignores_ctrl_c():
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    try:
        diffs._plain_signals()
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL and signal.getsignal(signal.SIGHUP) is signal.SIG_DFL
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
