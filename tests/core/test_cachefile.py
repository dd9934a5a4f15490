"""The cache files: what one run stores, the next reads, and nothing else."""

from __future__ import annotations

import gc

from generator.core import cachefile


def test_reading_a_large_cache_runs_no_collection(tmp_path):
    """Decoding builds hundreds of thousands of tuples that all stay alive and make no cycle; each collection
    the allocations set off walks all of them again (the 14 MB of approvals' judgements: 0.93 s read against
    0.36 s with the collector paused; the page cache's index 1.63 against 0.30 s)."""
    path = tmp_path / "judged.marshal"
    payload = {f"{n:040x}": (("order",), ((f"陳怡君 {n}", "chen@acme.example", "chen", n % 2 == 0),), True, ()) for n in range(100_000)}
    cachefile.write(path, 1, "key", payload)
    collections: list[str] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append(phase)

    gc.collect()
    gc.callbacks.append(count)
    try:
        read = cachefile.read(path, 1, "key")
    finally:
        gc.callbacks.remove(count)
    assert len(collections) <= 1  # once resumed, the collector may run: once, not at every 700 tuples
    assert gc.isenabled() and read == payload


def test_a_cache_read_ahead_is_given_once_and_only_while_its_file_is_the_one_read(tmp_path, monkeypatch):
    """The history's prefetch reads the judgements kept while it waits to be asked to judge: the judging takes
    them as read, once; a file written anew since is read again, never the copy read before it."""
    path = tmp_path / "judged.marshal"
    cachefile.write(path, 1, "key", {"a": 1})
    cachefile.read_ahead([path, tmp_path / "missing.marshal"])
    reads = []
    real = type(path).read_bytes
    monkeypatch.setattr(type(path), "read_bytes", lambda self: reads.append(self.name) or real(self))
    assert cachefile.read(path, 1, "key") == {"a": 1} and reads == []
    assert cachefile.read(path, 1, "key") == {"a": 1} and reads == ["judged.marshal"]
    cachefile.read_ahead([path])
    cachefile.write(path, 1, "key", {"a": 2})
    assert cachefile.read(path, 1, "key") == {"a": 2}
    assert cachefile.read(tmp_path / "missing.marshal", 1, "key") is None


def test_what_a_cache_read_made_is_out_of_the_collectors_reach(tmp_path):
    """Marshal makes no cycles, and a cache's payload lives as long as its reader wants it: the first young
    collection after a read walked every object of it for nothing (0.4 s of the prefetch's judging at 10,000
    orders). Read ahead or read when asked, it is frozen."""
    path = tmp_path / "judged.marshal"
    cachefile.write(path, 1, "key", {f"{n:040x}": ((f"name {n}",), n) for n in range(1_000)})
    try:
        for read in (lambda: cachefile.read(path, 1, "key"), lambda: (cachefile.read_ahead([path]), cachefile.read(path, 1, "key"))[1]):
            payload = read()
            walked = {id(o) for o in gc.get_objects()}
            assert len(payload) == 1_000 and id(payload) not in walked and not any(id(v) in walked for v in payload.values())
    finally:
        gc.unfreeze()
