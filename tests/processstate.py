"""What the kernel says of a process the tests started: its state letter, and whether it has ended."""

from __future__ import annotations

import time


def state(pid: int) -> str | None:
    """The process's state letter (``Z``: ended, not yet waited for); None where there is no such process."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None


def ended_within(pid: int, seconds: float) -> bool:
    """Whether the process has ended (a zombie, or gone) within ``seconds``, looked at every 20 ms: a process that
    writes its answer and then exits is still running for a moment after the answer is there."""
    deadline = time.monotonic() + seconds
    while state(pid) not in ("Z", None) and time.monotonic() < deadline:
        time.sleep(0.02)
    return state(pid) in ("Z", None)
