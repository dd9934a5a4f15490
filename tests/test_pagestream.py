"""Dossiers rendered in a second process: the same pages as in-process, failures reported, nothing left running."""

from __future__ import annotations

import threading
import time

import pytest

from generator.pagestream import PageStream, PageStreamError


def plan(count: int, fail_at: int | None = None):
    def page(i: int) -> str:
        if i == fail_at:
            raise ValueError(f"page {i} cannot be rendered")
        return f"# Page {i}\n\n{'內容 ' * i}\n"

    return [(f"dossiers/P{i:04d}.md", lambda i=i: page(i)) for i in range(count)]


def test_the_second_process_gives_the_pages_rendered_in_process():
    with PageStream(plan(300), parallel=True) as parallel:
        assert parallel.parallel
        streamed = parallel.pages()
    with PageStream(plan(300), parallel=False) as sequential:
        assert not sequential.parallel
        assert streamed == sequential.pages()
    assert list(streamed) == [path for path, _ in plan(300)] and streamed["dossiers/P0002.md"] == "# Page 2\n\n內容 內容 \n"


def test_pages_asked_for_out_of_order_are_kept_until_asked():
    with PageStream(plan(50), parallel=True) as stream:
        assert stream.get("dossiers/P0040.md").startswith("# Page 40")
        assert stream.get("dossiers/P0003.md").startswith("# Page 3")
        assert stream.get("dossiers/P0040.md").startswith("# Page 40")


@pytest.mark.parametrize("parallel", [True, False])
def test_a_page_that_fails_reports_the_error_with_its_cause(parallel):
    with PageStream(plan(20, fail_at=7), parallel=parallel) as stream:
        assert stream.get("dossiers/P0006.md").startswith("# Page 6")
        with pytest.raises((PageStreamError, ValueError), match="page 7 cannot be rendered"):
            stream.get("dossiers/P0007.md")


def test_a_build_that_stops_early_leaves_no_process_behind():
    stream = PageStream(plan(5000), parallel=True)
    process = stream.process
    stream.get("dossiers/P0000.md")
    started = time.perf_counter()
    stream.close()
    assert time.perf_counter() - started < 10
    assert process is not None and not process.is_alive()


def test_no_fork_while_another_thread_runs():
    """Forking a process with threads (mkdocs serve) can copy a held lock: render in-process instead."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        with PageStream(plan(10)) as stream:
            assert not stream.parallel
            assert stream.get("dossiers/P0009.md").startswith("# Page 9")
    finally:
        stop.set()
        thread.join()
    with PageStream(plan(10)) as stream:
        assert stream.parallel


def test_a_second_process_that_dies_is_reported_not_waited_for():
    stream = PageStream(plan(100_000), parallel=True)
    stream.get("dossiers/P0000.md")
    stream.process.kill()
    with pytest.raises(PageStreamError, match="stopped"):
        stream.pages()
