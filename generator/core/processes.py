"""When work may go to other processes, and how many cores there are for it.

The history reader, its diffs and the page workers all fork; forking is only
safe while this process runs a single thread (``mkdocs serve`` runs several).
"""

from __future__ import annotations

import multiprocessing
import os
import threading


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
