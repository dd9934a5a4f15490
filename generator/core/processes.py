"""When work may go to other processes, and how many cores there are for it.

The history reader, its diffs and the page workers all fork; forking is only
safe while this process runs a single thread (``mkdocs serve`` runs several).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import threading


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def die_with_parent(parent: int) -> None:
    """In a forked helper: the kernel ends it when ``parent`` (the process that forked it) dies, so a killed
    command leaves nothing running on — say, a history reader still writing its cache beside the next run.
    Linux's ``prctl(PR_SET_PDEATHSIG)``; elsewhere the helper finishes its work and ends as before."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the kernel was told
        os._exit(1)
