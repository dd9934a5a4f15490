"""The collector held off where a run's objects all stay alive, and given back as it was."""

from __future__ import annotations

import gc
import threading

from generator.core.memory import full_collections_deferred


def _full_collections_while(work) -> int:
    """How many full collections start while ``work`` runs, with thresholds low enough that a few thousand
    allocations set one off (everything older frozen, so the collector's own 25 % rule does not hold it back)."""
    started: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            started.append(1)

    gc.freeze()
    gc.collect()  # over nothing: the collector's count of long-lived objects is then about none
    gc.callbacks.append(count)
    try:
        work()
    finally:
        gc.callbacks.remove(count)
        gc.unfreeze()
    return len(started)


def _allocate() -> list:
    return [[n] for n in range(20_000)]


def test_no_full_collection_starts_while_deferred_and_the_threshold_is_given_back(monkeypatch):
    before = gc.get_threshold()
    gc.set_threshold(10, 2, 2)
    try:
        assert _full_collections_while(_allocate) > 0  # the same work, not deferred: the collector walks it all

        def deferred() -> None:
            with full_collections_deferred():
                kept = _allocate()
                assert gc.collect(1) >= 0 and kept  # young collections still run
                with full_collections_deferred():  # nested (a build inside a command that defers too)
                    _allocate()
                assert gc.get_threshold()[2] > 2

        assert _full_collections_while(deferred) == 0
        assert gc.get_threshold() == (10, 2, 2)
    finally:
        gc.set_threshold(*before)


def test_the_threshold_comes_back_only_when_the_last_of_several_threads_is_done():
    """``orders serve`` builds in the background while a request may build one page: neither restores the
    threshold under the other."""
    before = gc.get_threshold()
    inside, leave = threading.Event(), threading.Event()

    def build() -> None:
        with full_collections_deferred():
            inside.set()
            leave.wait(10)

    other = threading.Thread(target=build)
    other.start()
    try:
        assert inside.wait(10)
        with full_collections_deferred():
            pass
        assert gc.get_threshold()[2] != before[2]  # the other thread still builds
    finally:
        leave.set()
        other.join()
    assert gc.get_threshold() == before


def test_giving_back_trims_the_c_heap_where_it_can_and_does_nothing_where_it_cannot(monkeypatch):
    from generator.core import memory

    calls: list[int] = []
    monkeypatch.setattr(memory, "_malloc_trim", lambda: calls.append)
    memory.give_back()
    assert calls == [0]
    monkeypatch.setattr(memory, "_malloc_trim", lambda: None)  # no malloc_trim (not glibc)
    memory.give_back()
    monkeypatch.undo()
    memory._malloc_trim.cache_clear()
    memory.give_back()  # looked up for real: glibc here, or nothing
    assert memory._malloc_trim.cache_info().currsize == 1
