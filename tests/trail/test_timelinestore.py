"""The records' timelines kept between builds: a merge packs only what it changed, and every timeline read is the
one the history gives now, or the build stops."""

from __future__ import annotations

import os
import pickle
from datetime import date
from pathlib import Path

import pytest
from editing import edit
from gitrepo import direct, git, make_repo, merge, on_branch

from generator import pipeline
from generator.core import cachefile
from generator.pipeline import check_archive
from generator.trail import timelinestore
from generator.trail.timeline import TimelineLost, Timelines
from generator.trail.timelinestore import INDEX, kept_timelines

TODAY = date(2026, 11, 20)
ORDER = "records/orders/2026/ORD-2026-0001/order.yaml"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "archive")
    direct(root, "tseng.yawen", "2026-01-05T10:00:00+08:00", "quiet fix", lambda r: edit(r, ORDER, lambda d: d["intake"].update(project_name="quiet")))
    return root


@pytest.fixture
def packed(monkeypatch) -> list[str]:
    """The paths whose timelines the store packs."""
    seen: list[str] = []
    pack = timelinestore.pack
    monkeypatch.setattr(timelinestore, "pack", lambda history, by_sha, path: seen.append(path) or pack(history, by_sha, path))
    return seen


def _kept(root: Path, folder: Path) -> tuple[Timelines, Timelines]:
    """The store's timelines of the archive as it is, and the same packed from nothing."""
    checked = check_archive(root, TODAY)
    history, approvals = checked.history, checked.approvals
    return kept_timelines(history, approvals, folder, pipeline._read_by_trail(checked.catalog)), Timelines.of(history, approvals)


def _same(kept: Timelines, fresh: Timelines) -> None:
    assert kept == fresh
    assert {path: kept.versions(path) for path in fresh.digests} == {path: fresh.versions(path) for path in fresh.digests}


def _merge_edit(root: Path, name: str, day: int) -> None:
    on_branch(root, name, "chen.yichun", f"2026-02-{day:02d}T10:00:00+08:00", name, lambda r: edit(r, ORDER, lambda d: d["intake"].update(project_name=name)))
    merge(root, name, ["lin.yating"], f"2026-02-{day:02d}T11:00:00+08:00")


def test_a_merge_packs_only_the_timelines_of_the_files_it_changed(repo: Path, tmp_path: Path, packed: list[str], monkeypatch):
    store = tmp_path / "store"
    monkeypatch.setattr(timelinestore, "REBASE", (1, 1))  # a base for ten orders (below 4 MiB the index holds them all)
    kept, fresh = _kept(repo, store)
    _same(kept, fresh)
    assert sorted(packed) == sorted(fresh.digests) and not kept.apart, "a first build packs everything, into the base"
    packed.clear()
    _merge_edit(repo, "renamed", 3)
    kept, fresh = _kept(repo, store)
    assert packed == [ORDER] and list(kept.apart) == [ORDER], "packed, and kept apart from the base"
    _same(kept, fresh)
    assert kept.versions(ORDER)[-1]["approvers"], "the merged version shows its approval"
    packed.clear()
    index = (store / INDEX).stat().st_mtime_ns
    again, _ = _kept(repo, store)
    assert packed == [] and (store / INDEX).stat().st_mtime_ns == index, "nothing changed: nothing packed or written"
    _same(again, fresh)


def test_a_rewritten_history_and_other_rules_pack_every_timeline_again(repo: Path, tmp_path: Path, packed: list[str]):
    store = tmp_path / "store"
    _merge_edit(repo, "renamed", 3)
    _kept(repo, store)
    git(repo, "reset", "-q", "--hard", "HEAD~1")  # the merge taken back, another commit in its place
    direct(repo, "tseng.yawen", "2026-02-04T10:00:00+08:00", "other", lambda r: edit(r, ORDER, lambda d: d["intake"].update(project_name="other")))
    packed.clear()
    kept, fresh = _kept(repo, store)
    assert sorted(packed) == sorted(fresh.digests)
    _same(kept, fresh)
    checked = check_archive(repo, TODAY)
    packed.clear()
    kept_timelines(checked.history, checked.approvals, store, "another policy or loans")  # the judgements' key
    assert sorted(packed) == sorted(fresh.digests)


def test_a_damaged_base_stops_the_build_never_shows_another_history_and_is_packed_again_next_time(repo: Path, tmp_path: Path, monkeypatch):
    store = tmp_path / "store"
    monkeypatch.setattr(timelinestore, "REBASE", (1, 8))
    _kept(repo, store)
    (base,) = store.glob("timelines-*.data")
    data = bytearray(base.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte, same size: the index still names the base
    base.write_bytes(bytes(data))
    kept, fresh = _kept(repo, store)
    with pytest.raises(TimelineLost, match="build again"):
        [kept.versions(path) for path in fresh.digests]
    assert not (store / INDEX).exists()
    _same(*_kept(repo, store))


def test_a_reader_keeps_its_base_when_a_later_build_replaces_it(repo: Path, tmp_path: Path, monkeypatch):
    store = tmp_path / "store"
    monkeypatch.setattr(timelinestore, "REBASE", (0, 1 << 40))  # every change writes a new base
    reader, fresh = _kept(repo, store)
    (first,) = store.glob("timelines-*.data")
    _merge_edit(repo, "renamed", 3)
    later, now = _kept(repo, store)
    assert not first.exists() and len(list(store.glob("timelines-*.data"))) == 1
    _same(reader, fresh)
    _same(later, now)
    _same(pickle.loads(pickle.dumps(later)), now)  # as the judging process hands it over: the base opened anew


def test_the_index_written_later_is_written_whole_and_the_old_base_kept_until_then(repo: Path, tmp_path: Path, monkeypatch):
    """The history's prefetch answers before it writes the store's index (``later``): until then the last index and
    its base stand, and the step writes what an index written at once would hold."""
    store, written = tmp_path / "store", tmp_path / "at-once"
    monkeypatch.setattr(timelinestore, "REBASE", (0, 1 << 40))  # every change writes a new base
    _kept(repo, store)
    _kept(repo, written)
    (first,) = store.glob("timelines-*.data")
    before = (store / INDEX).read_bytes()
    _merge_edit(repo, "renamed", 3)
    checked = check_archive(repo, TODAY)
    read, later = pipeline._read_by_trail(checked.catalog), []
    kept = kept_timelines(checked.history, checked.approvals, store, read, later)
    assert len(later) == 1 and (store / INDEX).read_bytes() == before and first.exists(), "nothing written or removed yet"
    _same(kept, Timelines.of(checked.history, checked.approvals))
    later[0]()
    now = kept_timelines(checked.history, checked.approvals, written, read)
    assert (store / INDEX).read_bytes() == (written / INDEX).read_bytes() and not first.exists()
    _same(now, kept)


def test_after_a_merge_the_prefetch_brings_the_store_up_to_the_head(repo: Path, tmp_path: Path):
    """The build's own path: the prefetch judges, answers, then writes the index, which names the merged head."""
    check_archive(repo, TODAY, timelines=True)
    _merge_edit(repo, "renamed", 3)
    checked = check_archive(repo, TODAY, timelines=True)
    _same(checked.timelines, Timelines.of(checked.history, checked.approvals))
    key = timelinestore._key(pipeline._read_by_trail(checked.catalog), checked.approvals)
    _, _, index, count = timelinestore._read(cachefile.folder(repo), key, checked.history)
    assert count == len(checked.history.commits) and ORDER in index  # a small archive's timelines: all in the index


@pytest.mark.parametrize("why", ["shallow", "no pread"])
def test_a_shallow_history_or_a_system_without_pread_keeps_nothing(repo: Path, tmp_path: Path, monkeypatch, why: str):
    checked = check_archive(repo, TODAY)
    if why == "shallow":
        checked.history.shallow = True
    else:
        monkeypatch.delattr(os, "pread")  # Windows: a page worker could not read a timeline at its offset
    kept = kept_timelines(checked.history, checked.approvals, tmp_path / "store", "read")
    assert not (tmp_path / "store").exists() and kept == Timelines.of(checked.history, checked.approvals)
    assert kept.apart and not kept.places
