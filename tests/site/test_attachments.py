"""The attachments' own process: what it links and copies, what it says when it cannot, and that it stops."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from mkdocs.exceptions import MkDocsException
from sitebuild import build, with_site

from generator.site import attachments
from generator.site import plugin as plugin_module
from generator.site.attachments import PublishError, Publishing


def test_a_build_links_and_copies_no_attachment_in_its_own_process(archive, monkeypatch):
    """38,165 attachments at 10,000 orders, three system calls each, were 2.2–3.3 s of a merge in the thread
    that checks the archive and writes the pages: the build hands them all to a process of its own."""
    root = with_site(archive)
    build(root)
    published = sorted((root / "site/attachments").rglob("*.pdf"))
    before = {path: path.stat().st_ino for path in published}
    called: list[str] = []
    real_link, real_copy = os.link, attachments.shutil.copy2

    def link(source, target, *args, **kwargs):
        called.append(str(target))
        return real_link(source, target, *args, **kwargs)

    def copy(source, target, *args, **kwargs):
        called.append(str(target))
        return real_copy(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "link", link)
    monkeypatch.setattr(plugin_module.shutil, "copy2", copy)
    build(root)
    assert not [path for path in called if "/attachments/" in path]  # (the kept pages' links are still this process's)
    assert published and {path: path.stat().st_ino for path in published} == before  # every one linked from the last site


def test_a_failure_names_the_file_as_printable_text(tmp_path):
    missing = tmp_path / "records" / "gone\x1b[2J.pdf"
    publishing = Publishing([(str(missing), str(tmp_path / "site" / "a.pdf"), None)])
    with pytest.raises(PublishError) as raised:
        publishing.wait()
    said = str(raised.value)
    assert "gone" in said and "\x1b" not in said and "No such file" in said


def test_stopped_it_writes_nothing_more(tmp_path):
    source = tmp_path / "a.pdf"
    source.write_bytes(b"%PDF-1.4\n" * 100)
    target = tmp_path / "site"
    publishing = Publishing([(str(source), str(target / f"{n // 50}" / f"{n}.pdf"), None) for n in range(100_000)])
    time.sleep(0.3)
    publishing.stop()
    written = sum(1 for _ in target.rglob("*.pdf"))
    time.sleep(0.3)
    assert sum(1 for _ in target.rglob("*.pdf")) == written < 100_000
    publishing.wait()  # nothing left to wait for


def test_an_attachment_that_cannot_be_published_fails_the_build_and_keeps_the_last_site(archive, monkeypatch):
    root = with_site(archive)
    build(root)
    index = (root / "site/index.html").read_bytes()

    class Failing(Publishing):
        def __init__(self, jobs):
            super().__init__([(str(Path(jobs[0][0]).with_name("vanished.pdf")), *jobs[0][1:]), *jobs[1:]])

    monkeypatch.setattr(plugin_module, "Publishing", Failing)
    with pytest.raises(MkDocsException, match=r"attachments could not be published: .*vanished\.pdf: No such file"):
        build(root)
    assert (root / "site/index.html").read_bytes() == index and not list(root.glob(".site.building-*"))
