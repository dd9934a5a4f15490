"""Keeping Python's cyclic garbage collector away from objects that live as long as the run.

Parsing and validating the records and reading the history allocate
millions of small objects that all stay alive; every time the collector runs it walks each of
them again (measured: about two thirds of validation time on a large
archive). These loops make no reference cycles, so the collector is paused
while they run and resumed after.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
