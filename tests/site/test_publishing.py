"""The process that puts the attachments and the kept pages into a new site: what it links and copies, what it
says when it cannot, and that it stops."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest
from editing import dossier, edit
from mkdocs.exceptions import MkDocsException
from sitebuild import build, plant_program, with_site

from generator.site import plugin as plugin_module
from generator.site import publishing
from generator.site.publishing import PublishError, Publishing


def test_a_build_links_and_copies_no_attachment_and_no_kept_page_in_its_own_process(archive, monkeypatch):
    """38,165 attachments and 20,412 kept pages at 10,000 orders, three system calls each, were 3.5–4.6 s of a
    merge in the thread that checks the archive and writes the pages: the build hands them to a process of its own."""
    root = with_site(archive)
    build(root)
    edit(root, f"{dossier('ORD-2026-0003')}/order.yaml", lambda order: order["intake"].update(project_name="再讀一次 Read again"))
    published = sorted((root / "site/attachments").rglob("*.pdf")) + sorted((root / "site/orders").rglob("*.html"))
    before = {path: (path.stat().st_ino, path.read_bytes()) for path in published}
    called: list[str] = []
    real_link, real_copy = os.link, shutil.copy2

    def link(source, target, *args, **kwargs):
        called.append(str(target))
        return real_link(source, target, *args, **kwargs)

    def copy(source, target, *args, **kwargs):
        called.append(str(target))
        return real_copy(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "link", link)
    monkeypatch.setattr(shutil, "copy2", copy)
    result = build(root)
    searched = ("/pagefind/", "/order-archive/search/")  # a reused search bundle's files are, and a spliced search part's
    assert result.made and result.kept > 20 and not [path for path in called if not any(folder in path for folder in searched)]
    unchanged = [path for path, (_, data) in before.items() if path.read_bytes() == data]
    assert len(unchanged) > 20 and [p.name for p in unchanged if p.stat().st_ino != before[p][0]] == []  # each linked from the last site


@pytest.mark.parametrize("recycled", [True, False])
def test_into_the_site_before_last_it_runs_below_the_builds_priority(tmp_path, recycled):
    """After a merge the process mostly looks at files already in place, and its CPU, taken at the build's own
    priority, came out of the history's prefetch and the check in a merge's first two seconds, where both cores are
    busy; it has seconds to spare before the site is swapped in. From nothing it copies every attachment and runs
    at the build's priority: starved by the page workers, it would hold the build's end."""
    source = tmp_path / "a.pdf"
    source.write_bytes(b"%PDF")
    files = Publishing(recycled=recycled)
    files.add(str(source), str(tmp_path / "site" / "a.pdf"))
    files.send()
    deadline = time.monotonic() + 30
    while not (tmp_path / "site" / "a.pdf").exists() and time.monotonic() < deadline:  # its first batch is done
        time.sleep(0.01)
    try:
        lowered = os.getpriority(os.PRIO_PROCESS, files.process.pid) - os.getpriority(os.PRIO_PROCESS, 0)
    finally:
        files.wait()
    assert lowered == (min(publishing.RECYCLED_NICENESS, 19 - os.getpriority(os.PRIO_PROCESS, 0)) if recycled else 0)


def test_a_failure_names_the_file_as_printable_text(tmp_path):
    missing = tmp_path / "records" / "gone\x1b[2J.pdf"
    files = Publishing()
    files.add(str(missing), str(tmp_path / "site" / "a.pdf"))
    with pytest.raises(PublishError) as raised:
        files.wait()
    said = str(raised.value)
    assert "gone" in said and "\x1b" not in said and "No such file" in said


def test_stopped_it_writes_nothing_more(tmp_path):
    source = tmp_path / "a.pdf"
    source.write_bytes(b"%PDF-1.4\n" * 100_000)  # a megabyte: 300 copies outlast the stop
    target = tmp_path / "site"
    files = Publishing()
    for n in range(300):
        files.add(str(source), str(target / f"{n // 50}" / f"{n}.pdf"))
    files.send()
    files.stop()
    written = sum(1 for _ in target.rglob("*.pdf"))
    time.sleep(0.5)
    assert sum(1 for _ in target.rglob("*.pdf")) == written < 300
    files.wait()  # nothing left to wait for


def test_adding_never_waits_for_the_process_to_read(tmp_path):
    """The batches go into the pipe from a thread of their own: the build's thread hands them over and goes on
    even while the process reads nothing (here: stopped), where it waited for a process still starting. Held up,
    the adding would not end at all while the process is stopped."""
    source = tmp_path / "a.pdf"
    source.write_bytes(b"%PDF-1.4\n")
    files = Publishing()
    files.add(str(source), str(tmp_path / "site" / "first.pdf"))
    files.send()
    os.kill(files.process.pid, signal.SIGSTOP)
    try:
        adding = threading.Thread(target=lambda: [files.add(str(source), str(tmp_path / "site" / f"{n // 100}" / f"{n}.pdf")) for n in range(20_000)])
        adding.start()
        adding.join(timeout=60)
        assert not adding.is_alive(), "adding 2 MB of batches waited for a process that reads nothing"
    finally:
        os.kill(files.process.pid, signal.SIGCONT)
    files.wait()
    assert sum(1 for _ in (tmp_path / "site").rglob("*.pdf")) == 20_001


def test_an_attachment_that_cannot_be_published_fails_the_build_and_keeps_the_last_site(archive, monkeypatch):
    root = with_site(archive)
    build(root)
    index = (root / "site/index.html").read_bytes()

    class Failing(Publishing):
        def add(self, source, target, copy=None):
            super().add(str(Path(source).with_name("vanished.pdf")) if source.endswith(".pdf") else source, target, copy)

    monkeypatch.setattr(plugin_module, "Publishing", Failing)
    with pytest.raises(MkDocsException, match=r"a file could not be put into the site: .*vanished\.pdf: No such file"):
        build(root)
    assert (root / "site/index.html").read_bytes() == index and not list(root.glob(".site.building-*"))


def test_a_generator_folder_in_the_archive_is_never_run_by_the_publishing_process(tmp_path, monkeypatch):
    """The process runs ``python -m generator.site.publishing``; Python puts the working folder first on its path,
    and a build runs in the archive, where anyone can commit a ``generator/site/publishing.py``."""
    plant_program(tmp_path / "archive", "publishing", tmp_path / "ran")
    source = tmp_path / "archive" / "a.pdf"
    source.write_bytes(b"%PDF-1.4\n")
    monkeypatch.chdir(tmp_path / "archive")
    files = Publishing()
    files.add(str(source), str(tmp_path / "site" / "a.pdf"))
    files.wait()
    assert not (tmp_path / "ran").exists() and (tmp_path / "site" / "a.pdf").read_bytes() == b"%PDF-1.4\n"
