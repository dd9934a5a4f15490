"""Forked helpers and the command's signals: a helper never runs the command's own handler (whose
KeyboardInterrupt would print a traceback of the helper's beside the command's one line)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

from processstate import ended_within, state

from generator.core import processes


def test_a_helper_ends_on_sigterm_and_leaves_ctrl_c_to_the_command():
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    try:
        processes.worker_signals()
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL and signal.getsignal(signal.SIGHUP) is signal.SIG_DFL
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert not signal.pthread_sigmask(signal.SIG_BLOCK, []) & {signal.SIGTERM, signal.SIGHUP, signal.SIGINT}
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def test_a_signal_sent_as_a_helper_is_forked_never_runs_the_commands_handler():
    """SIGTERM sent the moment ``start`` returns, 40 times: the helper may not have its own handlers yet. Held
    across the fork, the signal waits for them and ends the helper (exit −15); without the hold, the helper ran
    the command's handler (exit 1 and a traceback) or lost the signal in the fork and went on."""
    script = textwrap.dedent(
        """
        import multiprocessing, signal, time
        from generator.core.processes import start_helper

        def interrupt(signum, frame):
            raise KeyboardInterrupt

        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, interrupt)

        def helper():
            time.sleep(30)

        codes = []
        for _ in range(40):
            process = start_helper(multiprocessing.get_context("fork"), helper, ())
            process.terminate()
            process.join(5)
            if process.exitcode is None:  # the signal was lost: the helper sleeps on
                process.kill()
                process.join()
                codes.append("lost")
            else:
                codes.append(process.exitcode)
        print(sorted(set(map(str, codes))))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.stdout.strip() == "['-15']" and "Traceback" not in done.stderr, done.stdout + done.stderr[-2000:]


def test_a_ctrl_c_reaching_work_beside_as_it_is_forked_never_runs_the_commands_handler():
    """Ctrl-C reaches the whole group: a process forked for work beside may be sent it before it has its own
    handlers. Held across the fork, it must wait for them (Ctrl-C is the command's: the helper ignores it); the
    mask was restored first, so the forked process ran the command's handler and printed a traceback of its own
    (a cold build interrupted as it forked the reports' process, CI at f9362f9). Here the forked process sends
    itself SIGINT the moment it exists."""
    script = textwrap.dedent(
        """
        import os, signal, sys
        from generator.core import processes

        parent = os.getpid()

        def interrupt(signum, frame):
            if os.getpid() != parent:
                sys.stderr.write("the command's handler ran in the forked process\\n")
            raise KeyboardInterrupt

        signal.signal(signal.SIGINT, interrupt)
        fork = os.fork

        def fork_and_ctrl_c():
            pid = fork()
            if pid == 0:
                os.kill(os.getpid(), signal.SIGINT)
            return pid

        processes.os.fork = fork_and_ctrl_c
        answers = [processes.Beside(lambda: 6 * 7).result() for _ in range(5)]
        print(answers)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "[42, 42, 42, 42, 42]" and done.stderr == "", done.stdout + done.stderr[-2000:]


def test_work_beside_is_done_by_another_process_and_answers_as_if_done_here():
    import os

    here = os.getpid()
    assert processes.Beside(lambda: (os.getpid(), [1, "two", {3: 4.0}])).result()[1] == [1, "two", {3: 4.0}]
    assert processes.Beside(os.getpid).result() != here


def test_work_beside_says_whether_its_answer_would_keep_this_process_waiting(tmp_path, monkeypatch):
    """``ready``: the page workers are not forked while it says no (``PageStream``), so the build asks on meanwhile."""
    import os
    import time

    go = tmp_path / "go"

    def slow() -> str:
        while not go.exists():
            time.sleep(0.01)
        return "done there"

    beside = processes.Beside(slow)
    time.sleep(0.2)
    assert not beside.ready() and not beside.ready(), "still working: asking twice changes nothing"
    go.touch()
    deadline = time.monotonic() + 20
    while not beside.ready() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert beside.ready() and beside.result() == "done there"
    monkeypatch.setattr(processes, "can_fork", lambda: False)
    assert processes.Beside(os.getpid).ready(), "done here, when asked: nothing to wait for"


def test_work_beside_that_fails_there_is_done_here(monkeypatch):
    """A process killed, or ended before it answered, or unable to start: the answer is worked out here, the same;
    an exception is raised here, as it would have been."""
    import os

    import pytest

    here = os.getpid()
    assert processes.Beside(lambda: 42 if os.getpid() == here else os._exit(3)).result() == 42
    assert processes.Beside(lambda: 42 if os.getpid() == here else os.kill(os.getpid(), signal.SIGKILL)).result() == 42

    def unpicklable():
        return lambda: None if os.getpid() != here else "made here"

    assert processes.Beside(unpicklable).result()() == "made here"
    with pytest.raises(ZeroDivisionError):
        processes.Beside(lambda: 1 / 0).result()
    monkeypatch.setattr(processes, "can_fork", lambda: False)
    assert processes.Beside(os.getpid).result() == here


def test_work_beside_never_asked_for_ends_with_its_answer_unread():
    """A large answer fills the pipe: the process would wait on it for ever; dropped, it is told and ends."""
    import gc
    import os

    beside = processes.Beside(lambda: b"x" * (8 << 20))
    pid = beside.pid
    del beside
    gc.collect()
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return
    raise AssertionError(f"process {pid} is still there")


def test_work_beside_asked_in_a_process_forked_since_is_done_there():
    """A page worker forked after a ``Beside`` began is not the parent of its process: it works the answer out itself."""
    import os

    beside = processes.Beside(lambda: os.getpid())
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the forked process
        os.close(reading)
        os.write(writing, str(beside.result() == os.getpid()).encode())
        os._exit(0)
    os.close(writing)
    os.waitpid(child, 0)
    assert os.read(reading, 10) == b"True"
    assert beside.result() not in (os.getpid(), child)


def test_work_beside_that_ends_when_done_leaves_its_answer_and_ends_before_it_is_asked():
    """``ends_when_done``: a large answer asked for long after (every period's report, worked out while a first build
    reads its history) does not keep the process — and the memory it copied — waiting for the asking; its answer is
    the same, and a process that fails before all of it is written leaves the work to this one."""
    import os

    answer = {"reports": [bytes([i % 256]) * 1000 for i in range(8000)], "trend": list(range(1000))}  # 8 MB: more than a pipe holds
    waiting = processes.Beside(lambda: answer)
    ending = processes.Beside(lambda: answer, ends_when_done=True)
    assert ended_within(ending.pid, 30) and state(ending.pid) == "Z", "the process waited for its answer to be asked for"
    assert state(waiting.pid) != "Z"  # through the pipe, it waits
    assert ending.ready() and ending.result() == answer and waiting.result() == answer
    here = os.getpid()
    assert processes.Beside(lambda: "here" if os.getpid() == here else os.kill(os.getpid(), 9), ends_when_done=True).result() == "here"
    assert processes.Beside(lambda: "here" if os.getpid() == here else os._exit(0), ends_when_done=True).result() == "here"


def test_work_beside_that_ends_when_done_never_asked_for_leaves_no_file(tmp_path, monkeypatch):
    """Its answer is in an unnamed file in the temporary folder: nothing is left there, asked for or not."""
    import gc

    monkeypatch.setattr(processes.tempfile, "tempdir", str(tmp_path))
    asked = processes.Beside(lambda: b"y" * (1 << 20), ends_when_done=True)
    dropped = processes.Beside(lambda: b"z" * (1 << 20), ends_when_done=True)
    assert asked.result() == b"y" * (1 << 20)
    del dropped
    gc.collect()
    assert list(tmp_path.iterdir()) == []
