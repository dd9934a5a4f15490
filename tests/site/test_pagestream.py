"""Pages rendered by worker processes: the same pages as in-process, finished there, failures reported, nothing left running."""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import threading
import time

import pytest

from generator.site import pagestream
from generator.site.pagefile import Kept, MemoryPages
from generator.site.pagestream import PageStream, PageStreamError


def plan(count: int, fail_at: int | None = None, pause: float = 0):
    def page(i: int) -> str:
        if i == fail_at:
            raise ValueError(f"page {i} cannot be rendered")
        time.sleep(pause)
        return f"# Page {i}\n\n{'內容 ' * i}\n"

    return [(f"dossiers/P{i:04d}.md", lambda i=i: page(i)) for i in range(count)]


def shout(path: str, markdown: str) -> tuple[str, int, int]:
    return path, len(markdown), os.getpid()


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_workers_give_the_pages_rendered_in_process_and_finish_them(workers):
    with PageStream(plan(300, pause=0.003), parallel=True, finish=shout, workers=workers) as parallel:
        assert parallel.parallel and len(parallel.processes) == workers
        streamed = parallel.pages()
    with PageStream(plan(300), parallel=False, finish=shout) as sequential:
        assert not sequential.parallel
        in_process = sequential.pages()
    assert list(streamed) == list(in_process) == [path for path, _ in plan(300)]
    assert sorted(parallel.rendered) == sequential.rendered == list(streamed)  # no ``skip``: every page rendered
    assert {path: markdown for path, (markdown, _) in streamed.items()} == {path: markdown for path, (markdown, _) in in_process.items()}
    assert streamed["dossiers/P0002.md"][0] == "# Page 2\n\n內容 內容 \n"
    assert all(finished is None for _, finished in in_process.values())  # in-process, MkDocs does the finishing
    finished = [streamed[path][1] for path in streamed]
    assert [(path, size) for path, size, _ in finished] == [(path, len(markdown)) for path, (markdown, _) in streamed.items()]
    pids = {pid for _, _, pid in finished}
    assert len(pids) == workers and os.getpid() not in pids  # every worker took pages


def test_a_slow_page_holds_up_no_other():
    """A worker busy with one big page (a 3 MB index) must not stop the others: they take every other page."""
    release = multiprocessing.get_context("fork").Event()

    def page(i: int) -> str:
        if i == 0 and not release.wait(30):
            raise TimeoutError("page 0 was never released")
        return f"# Page {i}\n"

    pages = [(f"P{i:04d}.md", functools.partial(page, i)) for i in range(200)]
    with PageStream(pages, parallel=True, workers=2) as stream:
        assert [stream.get(f"P{i:04d}.md")[0] for i in range(1, 200)] == [f"# Page {i}\n" for i in range(1, 200)]
        release.set()  # only now can page 0 be finished
        assert stream.get("P0000.md")[0] == "# Page 0\n"


def test_pages_asked_for_out_of_order_are_kept_until_asked():
    with PageStream(plan(50), parallel=True) as stream:
        assert stream.get("dossiers/P0040.md")[0].startswith("# Page 40")
        assert stream.get("dossiers/P0003.md")[0].startswith("# Page 3")
        assert stream.get("dossiers/P0041.md")[0].startswith("# Page 41")
        assert stream.get("dossiers/P0040.md")[0].startswith("# Page 40")


@pytest.mark.parametrize("parallel", [True, False])
def test_a_page_that_fails_reports_the_error_with_its_cause(parallel):
    with PageStream(plan(20, fail_at=7), parallel=parallel) as stream:
        assert stream.get("dossiers/P0006.md")[0].startswith("# Page 6")
        with pytest.raises((PageStreamError, ValueError), match="page 7 cannot be rendered"):
            stream.get("dossiers/P0007.md")


def test_a_failure_in_finishing_a_page_is_reported_too():
    def finish(path: str, markdown: str) -> None:
        if path.endswith("P0011.md"):
            raise KeyError("no such file")

    with PageStream(plan(20), parallel=True, finish=finish) as stream, pytest.raises(PageStreamError, match="no such file"):
        stream.pages()


def test_a_build_that_stops_early_leaves_no_process_behind():
    stream = PageStream(plan(5000), parallel=True, workers=2)
    processes = list(stream.processes)
    stream.get("dossiers/P0000.md")
    started = time.perf_counter()
    stream.close()
    assert time.perf_counter() - started < 4  # they stop on their own: nobody waits out a timeout
    assert len(processes) == 2 and not any(process.is_alive() for process in processes)


def test_no_fork_while_another_thread_runs():
    """Forking a process with threads (mkdocs serve) can copy a held lock: render in-process instead."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        with PageStream(plan(10)) as stream:
            assert not stream.parallel
            assert stream.get("dossiers/P0009.md")[0].startswith("# Page 9")
    finally:
        stop.set()
        thread.join()
    with PageStream(plan(10)) as stream:
        assert stream.parallel


def test_a_worker_that_dies_is_reported_not_waited_for():
    stream = PageStream(plan(100_000), parallel=True, workers=2)
    stream.get("dossiers/P0000.md")
    stream.processes[1].kill()
    with pytest.raises(PageStreamError, match="stopped"):
        stream.pages()


def _memory_mb(pid: int) -> float:
    """The process's proportional share of the memory it maps: summed over processes, what they use together."""
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        return sum(int(line.split()[1]) for line in rollup if line.startswith("Pss:")) / 1024


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps_rollup"), reason="Linux's /proc tells a process's share of memory")
def test_a_collection_here_copies_nothing_the_workers_share():
    """The workers read the archive this process holds, without copying it. A full collection here while they
    run must not write into the archive's objects: each page of memory so written is copied, here first and
    then in a worker (10,000 orders: the build's processes grew by 0.4 GB here and 1.2 GB in each worker)."""
    archive = [[i, f"order {i}", []] for i in range(400_000)]  # ~100 MB of objects the collector tracks
    go = multiprocessing.get_context("fork").Event()

    def page(i: int) -> str:
        go.wait(30)
        return f"# {len(archive)} {i}"

    with PageStream([(f"p{i}.md", functools.partial(page, i)) for i in range(4)], parallel=True, workers=2) as stream:
        processes = [os.getpid(), *(p.pid for p in stream.processes)]
        before = sum(_memory_mb(pid) for pid in processes)
        gc.collect()
        after = sum(_memory_mb(pid) for pid in processes)
        go.set()
        assert len(stream.pages()) == 4
    assert after - before < 20, (before, after)
    assert gc.get_freeze_count() == 0  # thawed once the workers are gone


def test_workers_retire_and_others_take_their_place():
    """Each worker makes a share of the pages (by count, or by bytes sent) and ends; the pages are the same."""
    with PageStream(plan(100), parallel=True, finish=shout, workers=2, retire=(7, 1 << 30, 1 << 40)) as by_count:
        pages = by_count.pages()
    assert list(pages) == [path for path, _ in plan(100)]
    assert pages["dossiers/P0042.md"][0] == "# Page 42\n\n" + "內容 " * 42 + "\n"
    assert by_count.started >= 100 // 7 and len({pid for _, (_, (_, _, pid)) in pages.items()}) >= 100 // 7
    with PageStream(plan(100), parallel=True, finish=shout, workers=2, retire=(1000, 2000, 1 << 40)) as by_size:
        assert by_size.pages().keys() == pages.keys()
    assert by_size.started >= 10  # the later pages are over 500 bytes each


def test_a_page_kept_unrendered_counts_a_share_of_a_page_toward_retiring():
    """A page the earlier build's holds is not rendered: a worker reads far less for it, and takes more of them."""
    earlier = MemoryPages()
    for path, render in plan(80):
        earlier.put(path, (render(), None))
    with PageStream(
        plan(80), parallel=True, finish=shout, workers=2, retire=(5, 1 << 30, 1 << 40), earlier=earlier, skip=lambda path, render: Kept(())
    ) as kept:
        assert kept.pages() == earlier.pages and kept.copied == 80 and kept.rendered == []
    assert kept.started <= 6, kept.started  # a quarter each, 5 a worker: 4 (or 6 with the first two); at 1 each, 16


def _earlier(count: int) -> MemoryPages:
    earlier = MemoryPages()
    for path, render in plan(count):
        earlier.put(path, (render(), None))
    return earlier


def test_skip_here_keeps_pages_before_any_worker_and_the_workers_take_only_the_rest():
    """After a merge nearly every page holds: asked here, the workers never see those pages (a worker asking
    would find nothing to keep here, and make the page)."""
    here, asked_here = os.getpid(), []

    def skip(path: str, render):
        if os.getpid() != here:
            return None
        asked_here.append(path)
        return Kept(()) if int(path[-7:-3]) % 2 == 0 else None

    with PageStream(plan(80), parallel=True, finish=shout, workers=2, earlier=_earlier(80), skip=skip, skip_here=True) as stream:
        pages = stream.pages()
    assert asked_here == [path for path, _ in plan(80)]
    assert stream.copied == 40 and sorted(stream.rendered) == [path for path, _ in plan(80)[1::2]]
    assert pages == {path: _earlier(80).pages[path] if i % 2 == 0 else pages[path] for i, (path, _) in enumerate(plan(80))}
    assert all(pages[path][1][2] != here for path in stream.rendered)  # made by the workers
    with PageStream(plan(80), parallel=True, finish=shout, workers=2, earlier=_earlier(80), skip=lambda path, render: Kept(()), skip_here=True) as kept:
        assert kept.pages() == _earlier(80).pages and kept.started == 0  # nothing left to make: no worker forked


def test_pages_known_to_hold_are_taken_from_the_earlier_build_unasked():
    """``carried``: pages the caller knows to be the earlier build's as they are (after a merge, every dossier and
    list whose inputs are its kept page's) are taken in unasked; the others are asked about and made as before, and
    every page is had."""
    asked: list[str] = []
    skip = lambda path, render: asked.append(path) or (Kept(()) if int(path[-7:-3]) % 3 == 0 else None)  # noqa: E731
    carried = {n for n in range(60) if n % 4 == 0}
    told: list[str] = []
    options = {"parallel": True, "finish": shout, "workers": 2, "earlier": _earlier(60), "skip": skip, "skip_here": True}
    with PageStream(plan(60), **options, carried=carried, arrived_kept=told.extend) as stream:
        pages = stream.pages()
    paths = [path for path, _ in plan(60)]
    assert sorted(asked) == sorted(paths[n] for n in range(60) if n not in carried)
    held = {n for n in range(60) if n in carried or n % 3 == 0}
    assert stream.copied == len(held) and sorted(told) == sorted(paths[n] for n in held)
    assert sorted(stream.rendered) == sorted(paths[n] for n in range(60) if n not in held)
    assert pages == {path: _earlier(60).pages[path] if n in held else pages[path] for n, path in enumerate(paths)}


def test_pages_kept_here_are_taken_in_a_batch_at_a_time_each_once():
    """The earlier build's pages found here are told a batch at a time (``arrived_kept``: the page file's index
    and the search index take them together), the pages made one by one as they arrive (``arrived``)."""
    batches, made = [], []
    kept = lambda path, render: Kept(()) if int(path[-7:-3]) % 5 else None  # noqa: E731
    options = {"parallel": True, "finish": shout, "workers": 2, "earlier": _earlier(300), "skip": kept, "skip_here": True}
    with PageStream(plan(300), **options, arrived=lambda path, made_now: made.append((path, made_now)), arrived_kept=batches.append) as stream:
        pages = stream.pages()
    paths = [path for path, _ in plan(300)]
    assert sorted(p for batch in batches for p in batch) == sorted(paths[n] for n in range(300) if n % 5)
    assert len(batches) > 1 and max(len(batch) for batch in batches) <= pagestream.POLL_EVERY
    assert sorted(made) == sorted((paths[n], True) for n in range(0, 300, 5))
    assert pages == {path: _earlier(300).pages[path] if n % 5 else pages[path] for n, path in enumerate(paths)}
    told = []
    with PageStream(plan(20), **{**options, "earlier": _earlier(20)}, arrived=lambda path, made_now: told.append((path, made_now))) as stream:
        stream.pages()
    assert sorted(told) == sorted((path, n % 5 == 0) for n, (path, _) in enumerate(plan(20))), "without it, each page told alone"


def test_a_page_left_is_made_while_the_rest_are_still_asked_about(tmp_path):
    """An order's lists (a second each to make) are found among the first pages asked about, in ``ask``'s order,
    and made by a worker while the ten thousand dossiers are asked about here, not after."""
    here, asked_here = os.getpid(), []
    made = tmp_path / "made"

    def finish(path: str, markdown: str) -> str:
        (made / path.replace("/", "_")).write_text("")
        return path

    def skip(path: str, render):
        if os.getpid() != here:
            return None
        asked_here.append(path)
        if path.endswith("P0019.md"):
            return None  # a list: left to the workers
        if path.endswith("P0000.md"):  # asked last: the list is made by now, or is never made meanwhile
            deadline = time.monotonic() + 20
            while not (made / "dossiers_P0019.md").exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        return Kept(())

    made.mkdir()
    ask = list(range(19, -1, -1))
    with PageStream(plan(20), parallel=True, finish=finish, workers=1, earlier=_earlier(20), skip=skip, skip_here=True, ask=ask) as stream:
        done_asking = set(os.listdir(made))
        pages = stream.pages()
    assert asked_here == [f"dossiers/P{i:04d}.md" for i in ask]
    assert done_asking == {"dossiers_P0019.md"}  # made before the last question here was answered
    assert stream.rendered == ["dossiers/P0019.md"]
    assert pages["dossiers/P0019.md"][1] == "dossiers/P0019.md" and stream.copied == 19


def test_a_worker_with_nothing_to_take_while_pages_are_asked_about_ends_and_another_takes_the_next(monkeypatch):
    """After a merge a worker makes an order's lists, then would wait for the ten thousand dossiers to be asked about,
    holding a copy of every page of memory written here meanwhile: it ends once idle for ``IDLE_END``, and the page
    found later is made by a worker forked then."""
    monkeypatch.setattr(pagestream, "IDLE_END", 0.05)
    ended: list[bool] = []
    before = set(multiprocessing.active_children())

    def skip(path: str, render):
        if path.endswith("P0010.md"):  # the dossiers asked about meanwhile: longer than a worker waits
            time.sleep(0.5)
            ended.append(set(multiprocessing.active_children()) <= before)
        return None if path.endswith(("P0019.md", "P0000.md")) else Kept(())

    ask = list(range(19, -1, -1))
    with PageStream(plan(20), parallel=True, finish=shout, workers=2, earlier=_earlier(20), skip=_asked_here_only(skip), skip_here=True, ask=ask) as stream:
        pages = stream.pages()
    made_by = {pages[f"dossiers/P{i:04d}.md"][1][2] for i in (0, 19)}
    assert ended == [True], "the first worker ended while the asking went on"
    assert len(made_by) == 2 and stream.rendered == ["dossiers/P0019.md", "dossiers/P0000.md"]


def test_a_failure_while_asking_leaves_no_worker_waiting_for_more():
    """A worker forked for the first page left waits while pages are still asked about here: if the asking stops
    on an error (or Ctrl-C), nothing more will come, and it must not wait on."""

    def skip(path: str, render):
        if path.endswith("P0005.md"):
            raise KeyboardInterrupt
        return None if path.endswith("P0001.md") else Kept(())

    children_before = set(multiprocessing.active_children())
    with pytest.raises(KeyboardInterrupt):
        PageStream(plan(10), parallel=True, finish=shout, workers=2, earlier=_earlier(10), skip=_asked_here_only(skip), skip_here=True)
    assert set(multiprocessing.active_children()) == children_before


def _asked_here_only(skip):
    """``skip`` in this process; in a worker, nothing holds (the worker makes the page)."""
    here = os.getpid()
    return lambda path, render: skip(path, render) if os.getpid() == here else None


def test_pages_left_are_made_in_the_plans_order_whatever_order_they_are_found_in(tmp_path):
    """MkDocs reads the pages in the plan's order: an edited dossier found after its order's lists (asked about
    first, as they take longest) is made before those no worker took yet."""
    made, started = tmp_path / "made", tmp_path / "started"
    here = os.getpid()

    def page(i: int) -> str:
        if i == 19 and os.getpid() != here:
            started.write_text("")
            time.sleep(0.5)  # the first page left keeps the one worker busy while the rest are found
        return f"# Page {i}\n"

    def finish(path: str, markdown: str) -> str:
        with open(made, "a") as log:
            log.write(path[-7:-3] + "\n")
        return path

    def skip(path: str, render):
        number = int(path[-7:-3])
        if number == 18:  # asked right after the first page left: once a worker has taken that one
            deadline = time.monotonic() + 20
            while not started.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        return None if number in (19, 15, 3, 0) else Kept(())

    pages = [(f"dossiers/P{i:04d}.md", functools.partial(page, i)) for i in range(20)]
    ask = list(range(19, -1, -1))
    with PageStream(pages, parallel=True, finish=finish, workers=1, earlier=_earlier(20), skip=_asked_here_only(skip), skip_here=True, ask=ask) as stream:
        stream.pages()
    assert made.read_text().split() == ["0019", "0000", "0003", "0015"]  # found in the order 19, 15, 3, 0


def test_no_more_workers_are_forked_than_pages_are_left():
    kept_but_one = _asked_here_only(lambda path, render: None if path.endswith("P0002.md") else Kept(()))
    with PageStream(plan(5), parallel=True, finish=shout, workers=2, earlier=_earlier(5), skip=kept_but_one, skip_here=True) as stream:
        stream.pages()
    assert stream.started == 1 and stream.rendered == ["dossiers/P0002.md"]


def test_settle_comes_once_though_no_page_is_left_to_make():
    """The next edition shares what ``settle`` had here, so it is had whether or not any worker is forked."""
    settled: list[bool] = []
    kept = lambda path, render: Kept(())  # noqa: E731
    with PageStream(plan(5), parallel=True, workers=2, earlier=_earlier(5), skip=kept, skip_here=True, settle=lambda: settled.append(True)) as stream:
        stream.pages()
    assert settled == [True] and stream.started == 0


def test_skip_here_leaves_the_rest_to_the_workers_once_most_pages_change(monkeypatch):
    """The templates or the organisation changed: every page is made again, and asking here first would only
    make the workers start later."""
    from generator.site import pagestream

    monkeypatch.setattr(pagestream, "SKIP_HERE_UNTIL", 10)
    here, asked_here = os.getpid(), []

    def skip(path: str, render):
        if os.getpid() == here:
            asked_here.append(path)
        return None

    with PageStream(plan(60), parallel=True, finish=shout, workers=2, earlier=_earlier(60), skip=skip, skip_here=True) as stream:
        assert stream.pages().keys() == dict(plan(60)).keys()
    assert len(asked_here) == 10 and sorted(stream.rendered) == [path for path, _ in plan(60)]


def test_a_page_whose_question_fails_here_is_left_to_a_worker_and_reported_as_theirs_are():
    def skip(path: str, render):
        if path.endswith("P0003.md"):
            raise ValueError("no digest for page 3")
        return None

    with PageStream(plan(10), parallel=True, finish=shout, workers=2, earlier=_earlier(10), skip=skip, skip_here=True) as stream:
        assert stream.get("dossiers/P0002.md")[0] == "# Page 2\n\n內容 內容 \n"
        with pytest.raises(PageStreamError, match="no digest for page 3"):
            stream.get("dossiers/P0003.md")


def test_where_no_worker_can_take_over_the_rest_is_made_here_and_left_for_mkdocs(monkeypatch):
    """As without workers: rendered here, unfinished (the plugin's ``finish`` takes over the logging of the
    process it runs in, which here would silence the build's own)."""
    from generator.site import pagestream

    with PageStream(plan(40), parallel=True, finish=shout, workers=2, retire=(5, 1 << 30, 1 << 40)) as stream:
        monkeypatch.setattr(pagestream, "can_fork", lambda: False)  # say, a thread of another kind started meanwhile
        pages = stream.pages()
    assert stream.started == 2
    assert {path: markdown for path, (markdown, _) in pages.items()} == {path: render() for path, render in plan(40)}
    by_workers = [finished for finished in (f for _, f in pages.values()) if finished is not None]
    assert len(by_workers) == 10 and all(pid != os.getpid() for _, _, pid in by_workers)  # two workers, five pages each
    assert [finished for _, finished in pages.values()][10:] == [None] * 30


def _private_mb() -> float:
    with open("/proc/self/smaps_rollup") as rollup:
        return sum(int(line.split()[1]) for line in rollup if line.startswith(("Private_Dirty:", "Private_Clean:"))) / 1024


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps_rollup"), reason="Linux's /proc tells a process's private memory")
def test_a_worker_copies_no_more_of_the_archive_than_its_share_of_pages_reads():
    """Reading an object writes its reference count, so a worker copies every page of memory its pages read.
    Here each page reads its own twentieth of a ~100 MB archive: a worker making half the pages would copy half
    of it; retiring after two pages, a worker copies about two twentieths."""
    archive = [[i, f"order {i}", []] for i in range(400_000)]
    share = len(archive) // 20

    def page(i: int) -> str:
        return f"# {sum(len(x) for x in archive[i * share : (i + 1) * share])}"

    def copied(path: str, markdown: str) -> float:
        return _private_mb()

    pages = [(f"p{i}.md", functools.partial(page, i)) for i in range(20)]
    with PageStream(pages, parallel=True, finish=copied, workers=2, retire=(2, 1 << 30, 1 << 40)) as retiring:
        most = max(finished for _, finished in retiring.pages().values())
    with PageStream(pages, parallel=True, finish=copied, workers=2, retire=(1000, 1 << 30, 1 << 40)) as staying:
        control = max(finished for _, finished in staying.pages().values())
    assert control > 28, control  # the attack on memory this defends against: a worker ends with half the archive
    assert most < 16, most


def test_settle_comes_before_any_worker_is_forked():
    """``settle`` has here what a process beside worked out for the pages: every worker then shares it."""
    settled: list[bool] = []
    pages = [(f"p{i}.md", lambda: f"settled: {bool(settled)}") for i in range(6)]
    with PageStream(pages, parallel=True, workers=2, settle=lambda: settled.append(True)) as stream:
        assert {markdown for markdown, _ in stream.pages().values()} == {"settled: True"}
    assert settled == [True]


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps_rollup"), reason="Linux's /proc tells a process's private memory")
@pytest.mark.parametrize("ready_at", [200, None])
def test_no_page_asked_about_waits_for_settle_the_first_worker_is_forked_once_it_would_not(monkeypatch, ready_at):
    """``settle`` waits for what a process beside works out (the reports, a second of CPU at 10,000 orders):
    while pages are still asked about here, the first worker is forked only once it would not wait, or once
    the asking is done; the asking goes on meanwhile (after a merge, this process waited 0.3 s at the first page left)."""
    asked, ready, settles, forks = [0], [False], [], []

    def skip(path: str, render):
        asked[0] += 1
        ready[0] = ready_at is not None and asked[0] >= ready_at
        return None if path.endswith("P0000.md") else Kept(())

    real_start = PageStream._start
    monkeypatch.setattr(PageStream, "_start", lambda stream: (forks.append(asked[0]), real_start(stream))[1])
    settle = lambda: settles.append((asked[0], ready[0]))  # noqa: E731
    options = {"earlier": _earlier(300), "skip": _asked_here_only(skip), "skip_here": True, "settle": settle, "settled": lambda: ready[0]}
    with PageStream(plan(300), parallel=True, finish=shout, workers=2, **options) as stream:
        assert len(stream.pages()) == 300
    assert stream.rendered == ["dossiers/P0000.md"] and len(forks) == 1 and len(settles) == 1
    if ready_at is None:
        assert forks == [300] and settles == [(300, False)], "once every page was asked about: settle waits then"
    else:
        assert ready_at <= forks[0] <= ready_at + pagestream.POLL_EVERY and settles[0][1], "forked as soon as settle would not wait"


def test_a_worker_that_read_the_whole_archive_for_one_page_ends_after_it():
    """An order list reads every order: the worker that made it holds a copy of most of the archive, and went on
    with it for hundreds of pages (a cold build's peak at 10,000 orders: a worker that began with the orders'
    index). Counted by its own memory, it ends there, and the pages after are made by workers sharing again."""
    archive = [[i, f"order {i}", []] for i in range(400_000)]
    share = len(archive) // 200

    def page(start: int, stop: int) -> str:
        return f"# {sum(len(x) for x in archive[start:stop])}"

    def copied(path: str, markdown: str) -> float:
        return _private_mb()

    pages = [("list.md", functools.partial(page, 0, len(archive)))]
    pages += [(f"d{i:03}.md", functools.partial(page, i * share, (i + 1) * share)) for i in range(200)]

    def made(retire: tuple[int, int, int]) -> tuple[float, float]:
        """The private memory of the worker that made the list, and the most of any worker after another page."""
        with PageStream(pages, parallel=True, finish=copied, workers=2, retire=retire) as stream:
            finished = {path: mb for path, (_, mb) in stream.pages().items()}
        return finished.pop("list.md"), max(finished.values())

    listed, control = made((1000, 1 << 30, 1 << 40))
    assert listed > 40 and control > listed - 8, (listed, control)  # the list's worker went on with its copy
    listed, most = made((1000, 1 << 30, 24 << 20))
    assert listed > 40 and most < 24 + 8, (listed, most)
