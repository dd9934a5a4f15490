"""Reading the history: one pass, versions with field diffs, cache, shallow clones, rewritten history."""

from __future__ import annotations

import gc
import os
import shutil
import signal
import subprocess
import threading
from datetime import date
from pathlib import Path

import pytest
from editing import dossier, edit, read
from gitrepo import git, make_repo, merge, on_branch

from generator import pipeline
from generator.core import cachefile
from generator.pipeline import check_archive
from generator.trail import cache as cache_module
from generator.trail import prefetch as prefetch_module
from generator.trail.cache import cache_path, cached_head
from generator.trail.commits import described
from generator.trail.diffs import diff_fields, flatten
from generator.trail.gitlog import uncommitted_records
from generator.trail.history import read_history
from generator.trail.prefetch import prefetch
from generator.trail.published import mark_published
from generator.trail.repo import open_repository

O5 = f"{dossier('ORD-2026-0005')}/order.yaml"
TODAY_CHECK = date(2026, 3, 1)


def raise_budget(root):
    edit(root, O5, lambda d: d["intake"].update(budget="2000000"))


def test_versions_and_field_diffs(tmp_path):
    root = make_repo(tmp_path)
    budget = read(root, O5)["intake"]["budget"]
    on_branch(root, "budget", "chen.yichun", "2026-02-02T10:00:00+08:00", "ORD-2026-0005: new budget", raise_budget)
    merge(root, "budget", ["lin.yating"], "2026-02-02T16:00:00+08:00")
    history = read_history(root, use_cache=False)
    versions = history.versions[O5]
    assert [v.change for v in versions] == ["A", "M"]
    first, second = (history.commit_of(v) for v in versions)
    assert not first.is_merge and second.is_merge
    assert second.trailers == (("lin.yating", "lin.yating@hongxin.example"),)
    assert second.branch_authors == (("chen.yichun", "chen.yichun@hongxin.example"),)
    assert versions[0].diff == ()  # a new record: the record itself says what it holds
    assert [described(c) for c in versions[1].diff] == [f"intake.budget {budget} → 2000000"]


def test_flatten_and_diff_name_every_field():
    before = flatten({"a": {"b": 1, "c": [{"d": "x"}, {"d": "y"}]}, "e": True})
    after = flatten({"a": {"b": 2, "c": [{"d": "x"}]}, "f": "new"})
    assert [described(c) for c in diff_fields(before, after)] == ["a.b 1 → 2", "f: + new", "a.c[1].d: − y", "e: − true"]


def test_long_values_are_shortened_in_diffs():
    [(_, _, new)] = diff_fields({"t": "a"}, {"t": "x" * 200 + "\nmore"})
    assert len(new) == 80 and new.endswith("…")


def test_cache_gives_the_same_history_and_extends_incrementally(tmp_path):
    root = make_repo(tmp_path)
    cold = read_history(root)
    assert cache_path(root).is_file()
    warm = read_history(root)
    assert warm.head == cold.head and len(warm.commits) == len(cold.commits)
    on_branch(root, "budget", "chen.yichun", "2026-02-02T10:00:00+08:00", "budget", raise_budget)
    merge(root, "budget", ["lin.yating"], "2026-02-02T16:00:00+08:00")
    extended = read_history(root)
    fresh = read_history(root, use_cache=False)
    assert len(extended.commits) == len(fresh.commits) == 2
    assert extended.versions[O5][-1].diff == fresh.versions[O5][-1].diff


def _same_history(a, b) -> None:
    """The same history as the cache keeps it (its blob ids left out but the rules')."""
    assert (a.head, a.last_blob, a.rule_texts, a.versions) == (b.head, b.last_blob, b.rule_texts, b.versions)
    assert list(map(cache_module._commit_row, a.commits)) == list(map(cache_module._commit_row, b.commits))


def test_after_a_few_commits_the_cache_writes_their_tail_alone_and_reads_it_back_whole(tmp_path, monkeypatch):
    """A merged pull request adds two commits to a history of thousands: the cache's whole history stays as it
    was, the commits after it are written beside it, and a load gives the history a reading from git gives,
    the organisation's new version (the rules later commits are judged by) with it. Past ``TAIL_AT_MOST`` the
    whole history is written again and the tail goes."""
    root = make_repo(tmp_path)
    read_history(root)
    whole, tail = cache_path(root), cache_path(root).with_name(cache_module.TAIL_FILE)
    written = whole.stat()
    assert not tail.exists()
    on_branch(root, "budget", "chen.yichun", "2026-02-02T10:00:00+08:00", "budget", raise_budget)
    merge(root, "budget", ["lin.yating"], "2026-02-02T16:00:00+08:00")
    _same_history(read_history(root), read_history(root, use_cache=False))
    assert tail.is_file() and (whole.stat().st_ino, whole.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)

    def rename_company(root):
        edit(root, "records/organization.yaml", lambda d: d.update(name_en=d["name_en"] + " Ltd."))

    on_branch(root, "org", "chen.yichun", "2026-02-03T10:00:00+08:00", "organisation", rename_company)
    merge(root, "org", ["lin.yating"], "2026-02-03T16:00:00+08:00")
    read_history(root)  # the tail now holds four commits, written from the history of two
    loaded = read_history(root)
    _same_history(loaded, read_history(root, use_cache=False))
    assert loaded.saved == (git(root, "rev-parse", "HEAD~2").strip(), len(loaded.commits) - 2) and whole.stat().st_ino == written.st_ino

    monkeypatch.setattr(cache_module, "TAIL_AT_MOST", (1, 0.0))
    on_branch(root, "budget2", "chen.yichun", "2026-02-04T10:00:00+08:00", "budget", lambda r: edit(r, O5, lambda d: d["intake"].update(budget="2100000")))
    merge(root, "budget2", ["lin.yating"], "2026-02-04T16:00:00+08:00")
    read_history(root)
    assert not tail.exists() and whole.stat().st_ino != written.st_ino
    assert len(list(whole.parent.glob("history-*.diffs"))) == 1, "the field changes of the whole history before are gone"
    _same_history(read_history(root), read_history(root, use_cache=False))


def test_a_history_loaded_from_its_cache_reads_a_files_field_changes_when_the_file_is_asked_for(tmp_path):
    """A merge reads the field changes of the few files it changed (``commits.Versions``): the cache keeps them apart
    from the versions, and a file's are read when the file is asked for, as a reading from git gives them."""
    root = make_repo(tmp_path)
    o3 = f"{dossier('ORD-2026-0003')}/order.yaml"

    def two_files(root):
        raise_budget(root)
        edit(root, o3, lambda d: d["intake"].update(currency="USD"))

    on_branch(root, "budget", "chen.yichun", "2026-02-02T10:00:00+08:00", "budget", two_files)
    merge(root, "budget", ["lin.yating"], "2026-02-02T16:00:00+08:00")
    read_history(root)  # from git: the whole history written
    fresh = read_history(root, use_cache=False)
    loaded = cache_module.load_cache(cache_path(root))

    def unread(path: str) -> bool:
        return any(version.diff is None for version in dict.__getitem__(loaded.versions, path))

    changed = [path for path, versions in fresh.versions.items() if any(version.diff for version in versions)]
    assert O5 in changed and len(changed) >= 2 and all(map(unread, changed)) and not any(unread(p) for p in fresh.versions if p not in changed)
    assert loaded.versions[O5] == fresh.versions[O5] and loaded.versions.get(O5) is loaded.versions[O5]
    assert not unread(O5) and all(unread(path) for path in changed if path != O5), "the one file asked for, no other"
    assert [described(c) for c in loaded.versions[O5][-1].diff] == [described(c) for c in fresh.versions[O5][-1].diff]
    _same_history(loaded, fresh)  # every file asked for: the history git gives


@pytest.mark.parametrize("damage", ["missing", "a byte changed", "another history's"])
def test_a_missing_or_damaged_file_of_field_changes_is_no_cache(tmp_path, damage):
    """The field changes are read long after the load, where a file changed meanwhile would give a verdict on
    other changes: it is checked whole against its name when the history is loaded, and otherwise the history is
    read from git again."""
    root = make_repo(tmp_path)
    read_history(root)
    (first,) = cache_path(root).parent.glob("history-*.diffs")
    other = first.read_bytes()
    on_branch(root, "budget", "chen.yichun", "2026-02-02T10:00:00+08:00", "budget", raise_budget)
    merge(root, "budget", ["lin.yating"], "2026-02-02T16:00:00+08:00")
    shutil.rmtree(cachefile.folder(root))
    read_history(root)
    (diffs,) = cache_path(root).parent.glob("history-*.diffs")
    if damage == "missing":
        diffs.unlink()
    elif damage == "a byte changed":
        data = bytearray(diffs.read_bytes())
        data[len(data) // 2] ^= 0x01
        diffs.write_bytes(bytes(data))
    else:
        diffs.write_bytes(other)
    assert cache_module.load_cache(cache_path(root)) is None
    _same_history(read_history(root), read_history(root, use_cache=False))  # from git, and written again
    assert cache_module.load_cache(cache_path(root)) is not None


def test_a_tail_that_follows_another_history_than_the_cache_holds_is_not_read(tmp_path, monkeypatch):
    """The whole history written again (another run, or a tail grown too long) leaves no tail behind; one left by
    a run killed between the two, or copied in, names the history it follows and is not added to another."""
    root = make_repo(tmp_path)
    read_history(root)
    on_branch(root, "budget", "chen.yichun", "2026-02-02T10:00:00+08:00", "budget", raise_budget)
    merge(root, "budget", ["lin.yating"], "2026-02-02T16:00:00+08:00")
    read_history(root)
    tail = cache_path(root).with_name(cache_module.TAIL_FILE)
    stale = tail.read_bytes()
    monkeypatch.setattr(cache_module, "TAIL_AT_MOST", (0, 0.0))
    on_branch(root, "budget2", "chen.yichun", "2026-02-04T10:00:00+08:00", "budget", lambda r: edit(r, O5, lambda d: d["intake"].update(budget="2100000")))
    merge(root, "budget2", ["lin.yating"], "2026-02-04T16:00:00+08:00")
    read_history(root)
    assert not tail.exists()
    tail.write_bytes(stale)
    loaded = cache_module.load_cache(cache_path(root))
    assert loaded.head == git(root, "rev-parse", "HEAD").strip() and loaded.saved == (loaded.head, len(loaded.commits))
    _same_history(read_history(root), read_history(root, use_cache=False))


def test_a_history_loaded_from_its_cache_is_out_of_the_collectors_reach(tmp_path):
    """It lives as long as the run: at 10,000 orders the collections after its load walked its millions of objects
    three times over (1.3–1.4 s), in the prefetch and again in the build. A page stream thaws it when it closes."""
    root = make_repo(tmp_path)
    read_history(root)  # from git, the cache written
    try:
        history = read_history(root)  # from the cache
        walked = {id(o) for o in gc.get_objects()}
        assert history.commits and not any(id(c) in walked for c in history.commits)
        assert not any(id(v) in walked for vs in history.versions.values() for v in vs)
    finally:
        gc.unfreeze()


def test_equal_changes_and_ids_are_held_once_whether_read_from_git_or_from_the_cache(tmp_path, monkeypatch):
    """At 10,000 orders the versions hold 1.1 million field changes, most of them equal: each is one object, also
    where the cache keeps two files' changes in chunks apart (a first build's judging reads all of them: held twice,
    they were 47 MB more at its peak)."""
    monkeypatch.setattr(cache_module, "DIFFS_CHUNK", 1)
    root = make_repo(tmp_path)
    o3 = f"{dossier('ORD-2026-0003')}/order.yaml"

    def to_usd(root):
        for rel in (O5, o3):
            edit(root, rel, lambda d: d["intake"].update(currency="USD"))

    on_branch(root, "usd", "chen.yichun", "2026-02-02T10:00:00+08:00", "both in USD", to_usd)
    merge(root, "usd", ["lin.yating"], "2026-02-02T16:00:00+08:00")
    for history in (read_history(root), read_history(root)):  # from git (the cache written), then from the cache
        [five], [three] = history.versions[O5][-1].diff, history.versions[o3][-1].diff
        assert described(five) == "intake.currency TWD → USD"
        assert five is three
        by_sha = {c.sha: c for c in history.commits}
        for commit in history.commits:
            for parent in commit.parents:
                if parent in by_sha:
                    assert parent is by_sha[parent].sha
        people = [who for c in history.commits for who in (c.author, c.committer, *c.trailers, *c.branch_authors, *c.hands)]
        assert len({id(who) for who in people}) == len(set(people)) < len(people)
        paths = {id(p) for p in history.versions}
        assert all(id(change.path) in paths for c in history.commits for change in c.changes if change.path in history.versions)


def test_reading_the_history_leaves_place_of_s_cache_as_it_was(tmp_path):
    """The history's reader asks whether each path it meets is a record's once, and keeps no answer: ``place_of``'s
    cache would otherwise hold every path the history ever had (22 MB at 10,000 orders, in the reader's process)."""
    from generator.records.layout import place_of

    root = make_repo(tmp_path)
    place_of.cache_clear()
    history = read_history(root, use_cache=False)
    assert history.versions and place_of.cache_info().currsize == 0


def test_uncommitted_records_are_reported(tmp_path):
    root = make_repo(tmp_path)
    raise_budget(root)
    (root / "records/archive/borrowing/BR-2026-0099.yaml").write_text("kind: loan\n")
    history = read_history(root)
    assert history.uncommitted == {O5: "modified", "records/archive/borrowing/BR-2026-0099.yaml": "new"}


def test_an_archive_outside_git_has_no_history(archive):
    assert read_history(archive) is None
    assert check_archive(archive).history is None


def test_shallow_clone_is_reported_with_the_fix(tmp_path):
    root = make_repo(tmp_path / "origin")
    on_branch(root, "budget", "chen.yichun", "2026-02-02T10:00:00+08:00", "budget", raise_budget)
    merge(root, "budget", ["lin.yating"], "2026-02-02T16:00:00+08:00")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{root}", str(clone)], check=True)
    [problem] = [p for p in check_archive(clone).problems if p.rule == "history.shallow-clone"]
    assert "fetch-depth: 0" in problem.message and str(problem.severity) == "warning"


def test_rewritten_history_is_detected(tmp_path):
    root = make_repo(tmp_path)
    on_branch(root, "budget", "chen.yichun", "2026-02-02T10:00:00+08:00", "budget", raise_budget)
    merge(root, "budget", ["lin.yating"], "2026-02-02T16:00:00+08:00")
    published = git(root, "rev-parse", "HEAD").strip()
    mark_published(root, published)
    assert not [p for p in check_archive(root).problems if p.rule == "history.rewritten"]
    git(root, "reset", "-q", "--hard", "HEAD~1")
    on_branch(root, "quiet", "chen.yichun", "2026-02-03T10:00:00+08:00", "budget again", raise_budget)
    merge(root, "quiet", ["lin.yating"], "2026-02-03T16:00:00+08:00")
    [problem] = [p for p in check_archive(root).problems if p.rule == "history.rewritten"]
    assert published[:10] in problem.message
    shutil.rmtree(cachefile.folder(root))


def test_prefetch_reads_the_history_beside_the_records_and_gives_the_same_check(tmp_path, monkeypatch):
    root = make_repo(tmp_path)
    on_branch(root, "budget", "chen.yichun", "2026-02-02T10:00:00+08:00", "ORD-2026-0005: new budget", raise_budget)
    merge(root, "budget", ["lin.yating"], "2026-02-02T16:00:00+08:00")
    started = []
    monkeypatch.setattr(pipeline, "prefetch", lambda root, *ahead: started.append(prefetch(root, *ahead)) or started[-1])
    alone = check_archive(root, TODAY_CHECK)  # no cache: the history is read in a second process meanwhile
    assert started and started[0] is not None
    started[0].process.join(30)
    assert started[0].process.exitcode == 0
    assert cached_head(root) == alone.history.head
    assert prefetch(root) is None  # the cache is at the head: nothing to read
    shutil.rmtree(cachefile.folder(root))
    reading = prefetch(root)
    assert reading is not None
    reading.wait()
    assert cache_path(root).is_file()  # written when the wait ends (the process may still be freeing its memory)
    reading.process.join(30)
    assert reading.process.exitcode == 0
    again = check_archive(root, TODAY_CHECK, history=True)
    assert [p.format() for p in again.problems] == [p.format() for p in alone.problems]
    assert again.history.versions == read_history(root, use_cache=False).versions


class _Freed:
    """A history that says when it is freed, one object at a time, as a large one's millions are (0.5–0.9 s of a
    core after a merge at 10,000 orders)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __del__(self):
        self.marker.write_text("freed")


def test_a_prefetch_ends_once_its_cache_is_written_without_freeing_the_history(tmp_path, monkeypatch):
    """Nothing waits for the prefetch to end, but its freeing took a core from the build: it ends at once."""
    root = make_repo(tmp_path)
    real, marker = prefetch_module.brought_up, tmp_path / "freed"
    monkeypatch.setattr(prefetch_module, "brought_up", lambda root: (_Freed(marker), *real(root)[1:]))  # the history held
    reading = prefetch(root)
    assert reading is not None
    reading.wait()
    assert cached_head(root) is not None and cache_path(root).is_file()
    reading.process.join(30)
    assert reading.process.exitcode == 0 and not marker.exists()


@pytest.mark.parametrize("how", ["raises", "killed"])
def test_a_prefetch_that_fails_leaves_the_history_to_the_check_itself(tmp_path, monkeypatch, how):
    root = make_repo(tmp_path)
    expected = check_archive(root, TODAY_CHECK, history=True)
    shutil.rmtree(cachefile.folder(root))

    def fail(root):
        if how == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        raise OSError("disk full")

    monkeypatch.setattr(prefetch_module, "brought_up", fail)
    started = []
    monkeypatch.setattr(pipeline, "prefetch", lambda root, *ahead: started.append(prefetch(root, *ahead)) or started[-1])
    checked = check_archive(root, TODAY_CHECK)
    assert started and started[0] is not None
    started[0].process.join(30)
    assert started[0].process.exitcode == (-signal.SIGKILL if how == "killed" else 0)
    assert [p.format() for p in checked.problems] == [p.format() for p in expected.problems]
    assert checked.history.versions == expected.history.versions


def test_no_prefetch_outside_git_and_one_history_whatever_the_policy_says(tmp_path, archive):
    assert prefetch(archive) is None
    root = make_repo(tmp_path, {"require_signed_approvals": True})  # which commits are verified depends on the policy in force
    reading = prefetch(root)
    assert reading is not None
    reading.wait()
    reading.process.join(30)
    assert reading.process.exitcode == 0


def test_the_prefetch_reads_the_work_trees_state_as_it_starts_and_hands_it_over(tmp_path, monkeypatch):
    """``git status`` is read by the prefetch beside the records' check; the history the check reads has the
    same uncommitted files as git says, and where the prefetch could not say, the check asks git itself."""
    root = make_repo(tmp_path)
    orders = sorted((root / "records" / "orders").glob("*/ORD-*/order.yaml"))
    orders[0].write_text(orders[0].read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    orders[1].unlink()
    (orders[2].parent / "change-requests").mkdir(exist_ok=True)
    (orders[2].parent / "change-requests" / "CR-2026-0099.yaml").write_text("kind: change_request\n", encoding="utf-8")
    expected = uncommitted_records(open_repository(root))
    assert sorted(expected.values()) == ["deleted", "modified", "new"]
    shutil.rmtree(cachefile.folder(root), ignore_errors=True)
    reading = prefetch(root)
    assert reading is not None and reading.wait() == expected
    reading.process.join(30)
    shutil.rmtree(cachefile.folder(root), ignore_errors=True)
    assert check_archive(root, TODAY_CHECK).history.uncommitted == expected  # through the prefetch
    monkeypatch.setattr(prefetch_module, "uncommitted_records", lambda repo: 1 / 0)
    shutil.rmtree(cachefile.folder(root), ignore_errors=True)
    assert check_archive(root, TODAY_CHECK).history.uncommitted == expected  # the check asked git itself


def _judged_with(history, later, padding):
    return len(padding), history.head


def test_asking_the_prefetch_to_judge_never_waits_for_it_to_read(tmp_path):
    """The judging asked for (with the records it reads) is handed over through a file, not the pipe: written into
    the pipe, the build's thread waited until the prefetch, behind a nice level and busy, took it in 64 KB at a
    time (0.2 s of a merge's build at 10,000 orders). A stopped prefetch stands for a busy one."""
    from functools import partial

    root = make_repo(tmp_path)
    reading = prefetch(root)
    assert reading is not None and reading.ready(60)
    os.kill(reading.process.pid, signal.SIGSTOP)
    try:
        asked = []
        thread = threading.Thread(target=lambda: asked.append(reading.judge(partial(_judged_with, padding=b"x" * 2_000_000))), daemon=True)
        thread.start()
        thread.join(5)
        assert asked and asked[0] is not None, "the build's thread waited for the prefetch to read what it was asked"
    finally:
        os.kill(reading.process.pid, signal.SIGCONT)
    assert asked[0]() == (2_000_000, read_history(root, use_cache=False).head)
    reading.wait()
    reading.process.join(30)
    assert reading.process.exitcode == 0


def test_commits_hold_one_tuple_for_each_group_of_people():
    from generator.trail.commits import Commit, Sharing

    def commit(sha: str) -> Commit:
        ann, bob = ("Ann", "ann@example.com"), ("Bob", "bob@example.com")
        when = "2026-01-02T03:04:05+08:00"
        return Commit(sha, (), ann, when, bob, when, (bob,), "s", "N", "", [], hands=(ann, bob), co_authors=(bob,))

    shared = Sharing()
    one, two = shared.commit(commit("a" * 40)), shared.commit(commit("b" * 40))
    assert one.hands is two.hands and one.trailers is two.trailers is one.co_authors
    assert one.hands == (("Ann", "ann@example.com"), ("Bob", "bob@example.com")) and one.hands[0] is one.author


@pytest.mark.parametrize("change", ["a budget", "a loan"])
def test_a_prefetch_reads_the_judgements_kept_while_it_waits_and_they_count_only_for_the_records_they_were_kept_for(tmp_path, monkeypatch, change):
    """After a merge the check asks the prefetch to judge once the records are validated: meanwhile it reads the
    files' findings and the judgements kept (``pipeline.prepare_judging``). They are taken where the records the
    judgements read are the ones they were kept for (a budget edited), not where those changed (a loan edited: they
    are judged again); either way the verdict is the one judged from nothing."""
    root = make_repo(tmp_path)
    check_archive(root, TODAY_CHECK, history=True, timelines=True)
    loan = "records/archive/borrowing/BR-2026-0001.yaml"
    edit_it = raise_budget if change == "a budget" else lambda r: edit(r, loan, lambda d: d.update(purpose=d.get("purpose", "") + " (again)"))
    on_branch(root, "edit", "chen.yichun", "2026-02-02T10:00:00+08:00", change, edit_it)
    merge(root, "edit", ["lin.yating"], "2026-02-02T16:00:00+08:00")
    said = tmp_path / "said.txt"
    real_prepare, real_evaluate = pipeline.prepare_judging, pipeline.evaluate

    def note(line: str) -> None:  # in the prefetch's process
        with said.open("a", encoding="utf-8") as out:
            out.write(line + "\n")

    monkeypatch.setattr(pipeline, "prepare_judging", lambda root, history: note("read") or real_prepare(root, history))
    monkeypatch.setattr(pipeline, "evaluate", lambda *a: note(f"taken {len(a[2]) if len(a) > 2 else 0}") or real_evaluate(*a))
    checked = check_archive(root, TODAY_CHECK, history=True, timelines=True)
    read, taken, judged_before = said.read_text(encoding="utf-8").split()
    assert (read, taken) == ("read", "taken") and (int(judged_before) > 0) == (change == "a budget")
    shutil.rmtree(cachefile.folder(root))
    monkeypatch.setattr(pipeline, "evaluate", real_evaluate)
    fresh = check_archive(root, TODAY_CHECK, history=True, timelines=True)
    judged = [[(a.commit.sha, a.kinds, a.approvers, a.tracked, a.acknowledged, a.problems) for a in c.approvals] for c in (checked, fresh)]
    assert [p.format() for p in checked.problems] == [p.format() for p in fresh.problems] and judged[0] == judged[1]
