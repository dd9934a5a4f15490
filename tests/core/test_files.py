"""What a killed run left behind is found by the process id in its name, and only once that process is gone:
a process that has ended but is not yet reaped, or a later process given the same id, is not its maker."""

from __future__ import annotations

import os
import subprocess
import time

from processstate import state

from generator.core.files import leftovers, write_whole


def test_the_file_of_a_process_that_ended_unreaped_is_a_leftover(tmp_path):
    """A killed helper whose parent was killed too waits for the system's first process to reap it; until
    then ``kill(pid, 0)`` succeeds. CI met this: the next run kept the dead helper's half-written cache."""
    ended = subprocess.Popen(["true"])  # not waited for: a zombie until ``wait``
    try:
        deadline = time.monotonic() + 10
        while state(ended.pid) != "Z" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert state(ended.pid) == "Z"
        left = tmp_path / f".history.marshal.{ended.pid}.tmp"
        left.write_bytes(b"half")
        assert leftovers(tmp_path, "*.tmp") == [left]
    finally:
        ended.wait()


def test_a_later_process_with_the_same_id_is_not_the_maker(tmp_path):
    """Process ids are used again (32,768 of them here): a file written before its id's process started was
    made by an earlier one, which is gone."""
    later = subprocess.Popen(["sleep", "30"])
    try:
        left = tmp_path / f".site.building-{later.pid}"
        left.mkdir()
        an_hour_ago = time.time() - 3600
        os.utime(left, (an_hour_ago, an_hour_ago))
        assert leftovers(tmp_path, ".site.building-*") == [left]
    finally:
        later.kill()
        later.wait()


def test_the_file_of_a_running_process_is_kept(tmp_path):
    running = subprocess.Popen(["sleep", "30"])
    try:
        mine = tmp_path / f".pages.{running.pid}.tmp"
        mine.write_bytes(b"being written")
        assert leftovers(tmp_path, "*.tmp") == []
        own = tmp_path / f".pages.{os.getpid()}.tmp"
        own.write_bytes(b"this process's own")
        assert leftovers(tmp_path, "*.tmp") == []
    finally:
        running.kill()
        running.wait()


def test_a_whole_file_is_synced_before_it_is_renamed_into_place_unless_asked_not_to(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd))
    write_whole(tmp_path / "kept", b"kept")
    write_whole(tmp_path / "cache", b"cache", sync=False)
    assert len(synced) == 1 and (tmp_path / "kept").read_bytes() == b"kept" and (tmp_path / "cache").read_bytes() == b"cache"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "kept"], "nothing left beside them"
