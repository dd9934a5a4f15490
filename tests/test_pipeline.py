"""The whole check: its history layer is judged again exactly when what it reads changed."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from changes import drawn_run
from editing import edit, read, write
from gitrepo import direct, git, make_repo, merge, on_branch

from generator import pipeline
from generator.core import cachefile
from generator.pipeline import FILES_CACHE, JUDGED_CACHE, TRAIL_CACHE, check_archive
from generator.trail import approvals
from generator.trail.timeline import Timelines

TODAY = date(2026, 11, 20)
ORDER = "records/orders/2026/ORD-2026-0001/order.yaml"
LOAN = "records/archive/borrowing/BR-2026-0001.yaml"


def _history_rows(checked) -> list[tuple]:
    return [(p.path, p.line, p.col, p.rule, p.message, p.severity) for p in checked.problems if p.rule.startswith("history.")]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The demo with one change committed straight onto main: a history problem located in ORDER."""
    root = make_repo(tmp_path)

    def change(root: Path) -> None:
        order = read(root, ORDER)
        order["intake"]["project_name"] = "Changed without review"
        write(root, ORDER, order)

    direct(root, "tseng.yawen", "2026-01-05T10:00:00+08:00", "quiet fix", change)
    return root


@pytest.fixture
def reads(monkeypatch) -> list[Path]:
    """Every time the check reads the history (from its cache or from git)."""
    read_history = pipeline.read_history
    seen: list[Path] = []
    monkeypatch.setattr(pipeline, "read_history", lambda root, **options: seen.append(root) or read_history(root, **options))
    return seen


def test_an_edited_order_keeps_the_judged_history_and_its_problems_move_with_their_lines(repo: Path, reads):
    first = check_archive(repo, TODAY)
    assert any(row[0] == ORDER and row[3] == "history.unapproved-change" for row in _history_rows(first)) and reads == [repo]
    path = repo / ORDER
    path.write_bytes(b"# two lines\n# added above\n" + path.read_bytes())
    edited = check_archive(repo, TODAY)
    assert reads == [repo]  # not read again
    (cachefile.folder(repo) / TRAIL_CACHE).unlink()
    judged = check_archive(repo, TODAY)  # the same archive judged from its history
    assert len(reads) == 2
    assert _history_rows(edited) == _history_rows(judged)
    [(_, before, *_)] = [row for row in _history_rows(first) if row[0] == ORDER]
    [(_, after, *_)] = [row for row in _history_rows(edited) if row[0] == ORDER]
    assert after == before + 2


@pytest.mark.parametrize(
    "path",
    ["records/archive/disposals/DS-2026-0001.yaml", "records/archive/borrowing/BR-2026-0001.yaml", "records/policy.yaml", "records/organization.yaml"],
)
def test_a_record_the_history_reads_has_it_judged_again(repo: Path, reads, path: str):
    """What was disposed of, who borrowed and which commits are acknowledged are read from the archive as it is now."""
    check_archive(repo, TODAY)
    file = repo / path
    file.write_bytes(file.read_bytes() + b"# edited\n")
    check_archive(repo, TODAY)
    assert len(reads) == 2


def test_a_disposal_written_later_answers_for_a_deletion(tmp_path: Path):
    """The verdict on a deletion follows the disposals as they are now: listing the deleted loan clears it, at once."""
    root = make_repo(tmp_path)
    loan = "records/archive/borrowing/BR-2026-0001.yaml"
    on_branch(root, "rm", "tsai.mingche", "2026-01-05T10:00:00+08:00", "remove", lambda r: (r / loan).unlink())
    merge(root, "rm", ["huang.shuhua"], "2026-01-06T10:00:00+08:00")
    assert "history.deleted-without-disposal" in [row[3] for row in _history_rows(check_archive(root, TODAY))]
    disposal = root / "records/archive/disposals/DS-2026-0001.yaml"
    listed = b"  - record: BR-2026-0001\n    retention_until: 2024-12-31\n"
    disposal.write_bytes(disposal.read_bytes().replace(b"reason:", listed + b"reason:", 1))
    after = check_archive(root, TODAY)
    assert "history.deleted-without-disposal" not in [row[3] for row in _history_rows(after)]
    (cachefile.folder(root) / TRAIL_CACHE).unlink()
    assert _history_rows(check_archive(root, TODAY)) == _history_rows(after)


@pytest.fixture
def judged(monkeypatch) -> list[str]:
    """Every commit the check judges itself, rather than taking the judgement it kept."""
    judge = approvals._judge
    seen: list[str] = []
    monkeypatch.setattr(approvals, "_judge", lambda commit, *rest: seen.append(commit.sha) or judge(commit, *rest))
    return seen


def _approval_rows(checked) -> list[tuple]:
    return [(a.commit.sha, a.kinds, a.approvers, a.tracked, a.rules.organization, a.rules.policy, a.problems, a.acknowledged) for a in checked.approvals]


def _from_nothing(root: Path):
    for name in (TRAIL_CACHE, JUDGED_CACHE, FILES_CACHE):
        (cachefile.folder(root) / name).unlink(missing_ok=True)
    return check_archive(root, TODAY)


def test_a_merge_has_only_itself_judged_and_the_verdict_of_a_judgement_from_nothing(repo: Path, judged: list[str]):
    assert check_archive(repo, TODAY).approvals
    assert len(judged) == 2  # the set-up commit and the direct one
    on_branch(repo, "name", "chen.yichun", "2026-01-06T10:00:00+08:00", "renamed", lambda r: edit(r, ORDER, lambda d: d["intake"].update(project_name="x")))
    merge(repo, "name", ["lin.yating"], "2026-01-07T10:00:00+08:00")
    after = check_archive(repo, TODAY)
    assert judged[2:] == [git(repo, "rev-parse", "HEAD").strip()]
    assert _history_rows(after) and _approval_rows(after)
    again = _from_nothing(repo)
    assert len(judged) == 2 + 1 + 3
    assert _history_rows(after) == _history_rows(again) and _approval_rows(after) == _approval_rows(again)


def test_after_a_merge_only_the_files_it_changed_have_their_versions_gone_over_again(repo: Path, monkeypatch):
    check_archive(repo, TODAY)
    looked_at: set[str] = set()
    place_of = approvals.place_of
    monkeypatch.setattr(approvals, "place_of", lambda path: looked_at.add(path) or place_of(path))
    on_branch(repo, "name", "chen.yichun", "2026-01-06T10:00:00+08:00", "renamed", lambda r: edit(r, ORDER, lambda d: d["intake"].update(project_name="x")))
    merge(repo, "name", ["lin.yating"], "2026-01-07T10:00:00+08:00")
    after = check_archive(repo, TODAY)
    assert looked_at == {ORDER.removeprefix("records/")}  # every other file's findings as they were
    looked_at.clear()
    again = _from_nothing(repo)
    assert {path.removeprefix("records/") for path in again.history.versions} <= looked_at and len(again.history.versions) > 1
    assert _history_rows(after) == _history_rows(again) and _history_rows(after)


def test_a_loan_moved_to_another_department_has_its_merge_judged_again(repo: Path):
    """Attack: the borrower's head approved a loan; the loan now says another department, whose head never did.
    A judgement kept from before the edit would still count the approval."""
    on_branch(repo, "loan", "tsai.mingche", "2026-01-06T10:00:00+08:00", "borrowed", lambda r: edit(r, LOAN, lambda d: d.update(purpose="稽核 Audit")))
    merge(repo, "loan", ["huang.shuhua"], "2026-01-07T10:00:00+08:00")  # head of finance, the loan's department
    assert "needs the approval of" not in str(_history_rows(check_archive(repo, TODAY)))
    edit(repo, LOAN, lambda d: d.update(department="quality"))
    moved = _history_rows(check_archive(repo, TODAY))
    assert any(row[3] == "history.approver-not-authorised" and "BR-2026-0001 needs the approval of liu.yihsuan" in row[4] for row in moved)
    assert moved == _history_rows(_from_nothing(repo))


def test_after_a_merge_the_rules_are_found_beside_the_history_and_find_the_same(repo: Path, monkeypatch, tmp_path: Path):
    """A merge: the history's prefetch has brought its cache up to the new head by the time the rules run, so they
    run in a process beside the history's judging. They find what they find in one process, in the same order;
    while the history is still being read, they run here (this process would only wait)."""
    import os

    from generator.core import processes
    from generator.trail.prefetch import Prefetch

    check_archive(repo, TODAY)
    on_branch(repo, "name", "chen.yichun", "2026-01-06T10:00:00+08:00", "renamed", lambda r: edit(r, ORDER, lambda d: d["intake"].update(project_name="x")))
    merge(repo, "name", ["lin.yating"], "2026-01-07T10:00:00+08:00")
    where = tmp_path / "rules-ran-in"
    run_rules = pipeline.run_rules
    monkeypatch.setattr(pipeline, "run_rules", lambda catalog, kept=None: where.write_text(str(os.getpid())) and run_rules(catalog, kept))
    monkeypatch.setattr(Prefetch, "ready", lambda self, within=0.0: self.done.poll(60))  # the prefetch done: as after a merge
    beside = check_archive(repo, TODAY)
    assert int(where.read_text()) != os.getpid()

    def rows(checked) -> list[tuple]:
        return [(p.path, p.line, p.col, p.rule, p.message, p.severity) for p in checked.problems]

    assert [row for row in rows(beside) if not row[3].startswith("history.")] and _history_rows(beside)
    monkeypatch.setattr(processes, "can_fork", lambda: False)
    for name in (TRAIL_CACHE, JUDGED_CACHE):
        (cachefile.folder(repo) / name).unlink()
    here = check_archive(repo, TODAY)
    assert int(where.read_text()) == os.getpid() and rows(here) == rows(beside)

    monkeypatch.undo()
    monkeypatch.setattr(pipeline, "run_rules", lambda catalog, kept=None: where.write_text(str(os.getpid())) and run_rules(catalog, kept))
    monkeypatch.setattr(Prefetch, "ready", lambda self, within=0.0: False)  # still reading
    direct(repo, "tseng.yawen", "2026-01-08T10:00:00+08:00", "another", lambda r: edit(r, ORDER, lambda d: d["intake"].update(project_name="y")))
    check_archive(repo, TODAY)
    assert int(where.read_text()) == os.getpid()


def test_the_site_gets_the_timelines_from_a_process_beside_and_never_holds_the_history(repo: Path, reads, monkeypatch, tmp_path: Path):
    """The build forks its page workers from this process: a history held here was copied, page by page, into each
    worker that read it. Judged beside, the history never comes here, and what comes is what the history gives:
    the same problems, the same number of approvals and every record's timeline as ``orders history`` shows it."""
    import os

    from generator.trail.prefetch import Prefetch
    from generator.trail.timeline import Timelines, approvals_by_commit, versions_of

    on_branch(repo, "name", "chen.yichun", "2026-01-06T10:00:00+08:00", "renamed", lambda r: edit(r, ORDER, lambda d: d["intake"].update(project_name="x")))
    merge(repo, "name", ["lin.yating"], "2026-01-07T10:00:00+08:00")
    edit(repo, ORDER, lambda d: d["intake"].update(project_name="not committed"))
    where, rules_in = tmp_path / "judged-in", tmp_path / "rules-ran-in"
    judge, run_rules = pipeline._judge, pipeline.run_rules
    monkeypatch.setattr(pipeline, "_judge", lambda *a: where.write_text(str(os.getpid())) and judge(*a))
    monkeypatch.setattr(pipeline, "run_rules", lambda catalog, kept=None: rules_in.write_text(str(os.getpid())) and run_rules(catalog, kept))
    monkeypatch.setattr(Prefetch, "ready", lambda self, within=0.0: self.done.poll(60))  # the prefetch done: as after a merge
    for fresh in (True, False):  # judged from nothing; then with the findings cached, only the timelines asked for
        site = check_archive(repo, TODAY, timelines=True)
        assert int(where.read_text()) != os.getpid() and "_trail" not in site.__dict__, "the history was read here"
        assert int(rules_in.read_text()) == os.getpid(), "the rules ran in a third process, beside the history's"
        assert reads == [] and site.approval_count > 0
        here = check_archive(repo, TODAY)
        assert _history_rows(site) == _history_rows(here) and site.approval_count == len(here.approvals)
        assert site.timelines == Timelines.of(here.history, here.approvals), fresh
        approval_of = approvals_by_commit(here.approvals)
        paths = sorted(here.history.versions)
        assert [site.timelines.versions(p) for p in paths] == [versions_of(here.history, approval_of, p) for p in paths]
        assert any(v["approvers"] for p in paths for v in site.timelines.versions(p)), "a version shows its approval"
        assert site.timelines.uncommitted == {ORDER: "modified"}
        reads.clear()


def test_a_history_that_cannot_be_read_beside_is_reported_once_here(repo: Path):
    blob = git(repo, "rev-parse", f"HEAD~1:{ORDER}").strip()
    loose = repo / ".git/objects" / blob[:2] / blob[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"garbage")
    site = check_archive(repo, TODAY, timelines=True)
    assert [p.rule for p in site.problems if p.rule.startswith("history.")] == ["history.unreadable"]
    assert site.timelines is None and site.history is None


def _merged(repo: Path, name: str, value: str, day: int) -> None:
    on_branch(
        repo, name, "chen.yichun", f"2026-01-{day:02d}T10:00:00+08:00", "renamed", lambda r: edit(r, ORDER, lambda d: d["intake"].update(project_name=value))
    )
    merge(repo, name, ["lin.yating"], f"2026-01-{day + 1:02d}T10:00:00+08:00")


def _site_from_nothing(repo: Path):
    """The site's check with no cache of any earlier check, in this process alone."""
    from generator.core import processes

    shutil.rmtree(cachefile.folder(repo))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(processes, "can_fork", lambda: False)
        return check_archive(repo, TODAY, timelines=True)


def test_after_a_merge_the_prefetch_judges_the_history_it_holds_asked_before_the_rules(repo: Path, monkeypatch, tmp_path: Path):
    """After a merge the prefetch brings the history up to the new head; loaded again by a process of its own, it
    cost 1.1 s at 10,000 orders before one commit was judged. The prefetch is asked first, the rules run here
    meanwhile, nothing is forked, and the check is the one a check from nothing makes."""
    import os

    from generator.trail import prefetch as prefetch_module

    check_archive(repo, TODAY, timelines=True)  # the history in its cache
    _merged(repo, "name", "x", 6)
    events: list[str] = []
    started: list = []
    judged_in = tmp_path / "judged-in"
    beside, run_rules, judge, asked = pipeline.Beside, pipeline.run_rules, pipeline._judge, prefetch_module.Prefetch.judge
    monkeypatch.setattr(pipeline, "prefetch", lambda root, *ahead: started.append(prefetch_module.prefetch(root, *ahead)) or started[-1])
    monkeypatch.setattr(pipeline, "Beside", lambda work: events.append("forked") or beside(work))
    monkeypatch.setattr(pipeline, "run_rules", lambda catalog, kept=None: events.append("rules") or run_rules(catalog, kept))
    monkeypatch.setattr(pipeline, "_judge", lambda *a: judged_in.write_text(str(os.getpid())) and judge(*a))
    monkeypatch.setattr(prefetch_module.Prefetch, "judge", lambda self, work: events.append("asked") or asked(self, work))
    site = check_archive(repo, TODAY, timelines=True)
    assert events == ["asked", "rules"]
    assert started[0] is not None and int(judged_in.read_text()) == started[0].process.pid
    monkeypatch.undo()
    again = _site_from_nothing(repo)
    assert site.problems == again.problems and site.approval_count == again.approval_count and site.timelines == again.timelines
    assert site.timelines == Timelines.of(*_trail_of(repo))


def test_the_site_does_its_own_work_while_the_check_waits_for_the_historys_verdict(repo: Path, monkeypatch):
    """``meanwhile``: the build starts its reports and compiles its templates after the rules and before it waits
    for the prefetch's answer (0.13–0.31 s of waiting after a merge at 10,000 orders), given the check with its whole
    catalog and without the history's timelines yet; and the check is the same."""
    check_archive(repo, TODAY, timelines=True)
    _merged(repo, "name", "x", 6)
    events: list[str] = []
    given: list = []
    run_rules, answer = pipeline.run_rules, pipeline._answer
    monkeypatch.setattr(pipeline, "run_rules", lambda catalog, kept=None: events.append("rules") or run_rules(catalog, kept))
    monkeypatch.setattr(pipeline, "_answer", lambda *a: events.append("waited") or answer(*a))

    def meanwhile(checked) -> None:
        events.append("meanwhile")
        given.append((checked, checked.catalog, checked._timelines))

    site = check_archive(repo, TODAY, timelines=True, meanwhile=meanwhile)
    assert events == ["rules", "meanwhile", "waited"]
    assert given[0][0] is site and given[0][1] is site.catalog and given[0][2] is None and site.timelines is not None
    monkeypatch.undo()
    again = _site_from_nothing(repo)
    assert site.problems == again.problems and site.timelines == again.timelines


def test_a_prefetch_that_read_much_of_the_history_from_git_leaves_the_judging_to_a_process_beside(repo: Path, monkeypatch):
    """What reading many commits left in the prefetch would be held beside the judging (a cold build at 10,000
    orders: 914 → 1,104 MB in all): the history is judged by a process that loads the cache the prefetch writes."""
    from generator.trail import prefetch as prefetch_module

    check_archive(repo, TODAY, timelines=True)
    _merged(repo, "name", "x", 6)  # a merge to read from git: more than the limit set here
    monkeypatch.setattr(prefetch_module, "JUDGED_AFTER_READING_AT_MOST", 0)
    events: list[str] = []
    beside = pipeline.Beside
    monkeypatch.setattr(pipeline, "Beside", lambda work: events.append("forked") or beside(work))
    site = check_archive(repo, TODAY, timelines=True)
    assert events == ["forked"]
    monkeypatch.undo()
    again = _site_from_nothing(repo)
    assert site.problems == again.problems and site.timelines == again.timelines and site.approval_count == again.approval_count


def _failing_judge(*args):
    """``_judged_history`` failing in the prefetch: by an exception, or killed (``FAIL_HOW``)."""
    import os
    import signal

    if os.environ["FAIL_HOW"] == "killed":
        os.kill(os.getpid(), signal.SIGKILL)
    raise OSError("disk full")


def test_the_site_asks_the_prefetch_before_it_validates_the_records(repo: Path, monkeypatch):
    """The records the history's verdict reads are validated first, and the prefetch judges while the others are."""
    from generator.records.load import read_archive
    from generator.trail import prefetch as prefetch_module

    check_archive(repo, TODAY, timelines=True)
    _merged(repo, "name", "x", 6)
    events: list[str] = []
    validated, asked = pipeline.validated_entries, prefetch_module.Prefetch.judge
    monkeypatch.setattr(pipeline, "validated_entries", lambda *a: events.append("validated") or validated(*a))
    monkeypatch.setattr(prefetch_module.Prefetch, "judge", lambda self, work: events.append("asked") or asked(self, work))
    site = check_archive(repo, TODAY, snapshot=read_archive(repo), timelines=True)
    assert events == ["asked", "validated"]
    monkeypatch.undo()
    again = _site_from_nothing(repo)
    assert site.problems == again.problems and site.timelines == again.timelines and site.approval_count == again.approval_count


def test_a_prefetch_asked_about_other_records_is_neither_believed_nor_waited_on(repo: Path, monkeypatch):
    """Between the first look at the records the verdict reads and the whole check, one of them changed: the answer
    asked for them is left unread (the prefetch, never blocked on it, writes its cache and ends), and the history
    is judged beside for the records the check has."""
    from generator.records.load import read_archive

    check_archive(repo, TODAY, timelines=True)
    _merged(repo, "name", "x", 6)
    trail_key, calls = pipeline._trail_key, []
    monkeypatch.setattr(pipeline, "_trail_key", lambda *a: trail_key(*a) + ("-before" if not calls.append(1) and len(calls) == 1 else ""))
    events: list[str] = []
    beside = pipeline.Beside
    monkeypatch.setattr(pipeline, "Beside", lambda work: events.append("forked") or beside(work))
    site = check_archive(repo, TODAY, snapshot=read_archive(repo), timelines=True)
    assert events == ["forked"] and len(calls) == 2
    monkeypatch.undo()
    again = _site_from_nothing(repo)
    assert site.problems == again.problems and site.timelines == again.timelines and site.approval_count == again.approval_count


@pytest.mark.parametrize("how", ["raises", "killed"])
def test_a_prefetch_that_cannot_judge_leaves_the_history_to_a_process_beside(repo: Path, monkeypatch, how: str):
    check_archive(repo, TODAY, timelines=True)
    _merged(repo, "name", "x", 6)
    judged_history = pipeline._judged_history
    events: list[str] = []
    beside = pipeline.Beside
    monkeypatch.setattr(pipeline, "_judged_history", _failing_judge)  # in the prefetch, forked before this is undone
    monkeypatch.setenv("FAIL_HOW", how)
    monkeypatch.setattr(pipeline, "Beside", lambda work: events.append("forked") or beside(work))
    site = check_archive(repo, TODAY, timelines=True)
    assert events == ["forked"]
    monkeypatch.setattr(pipeline, "_judged_history", judged_history)
    again = _site_from_nothing(repo)
    assert site.problems == again.problems and site.timelines == again.timelines and site.approval_count == again.approval_count


def test_with_the_history_in_its_cache_the_sites_judge_is_forked_before_the_rules(repo: Path, monkeypatch):
    """No prefetch (the history's cache is at the head): the judge reads it in a process forked before the rules,
    with the C heap's free pages given back first."""
    check_archive(repo, TODAY, timelines=True)
    edit(repo, ORDER, lambda d: d["intake"].update(project_name="not committed"))
    events: list[str] = []
    beside, run_rules = pipeline.Beside, pipeline.run_rules
    monkeypatch.setattr(pipeline, "Beside", lambda work: events.append("forked") or beside(work))
    monkeypatch.setattr(pipeline, "run_rules", lambda catalog, kept=None: events.append("rules") or run_rules(catalog, kept))
    monkeypatch.setattr(pipeline, "give_back", lambda: events.append("given back"))
    site = check_archive(repo, TODAY, timelines=True)
    assert events == ["given back", "forked", "rules"]
    assert site.timelines is not None and site.timelines.uncommitted == {ORDER: "modified"} and _history_rows(site)


def _trail_of(root: Path) -> tuple:
    here = check_archive(root, TODAY)
    return here.history, here.approvals


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_check_of_a_run_of_merges_direct_commits_and_days_finds_what_a_check_from_nothing_finds(tmp_path: Path, seed: int):
    """A check keeps for the next what it judged (the history, the judged commits and files, the rules' findings by
    dossier, the records' models): after each of a run of changes of every kind (``changes.drawn_run``), merged,
    committed straight to the main line, or two merged between checks, on a later day now and then, it finds every
    problem a check of a fresh clone of the same commit finds, in the same words and places. The run is drawn from
    ``seed`` and told on failure."""
    root = make_repo(tmp_path / "archive")
    check_archive(root, TODAY)
    for step, (today, run) in enumerate(drawn_run(root, seed, 8, TODAY)):
        kept = [p.format() for p in check_archive(root, today).problems]
        clone = tmp_path / f"clone-{step}"
        git(tmp_path, "clone", "-q", str(root), str(clone))
        assert kept == [p.format() for p in check_archive(clone, today).problems], run
