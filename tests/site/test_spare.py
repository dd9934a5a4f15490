"""The site before last recycled as a build's folder: nothing of it is published unless it is the very file the
build links, nothing is written into a file the live site shares, nothing stale is left."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from editing import dossier, edit
from sitebuild import TODAY, build, with_site

from generator.site import spare
from generator.site.plugin import build_site
from generator.site.publishing import Publishing, publish


def _tree(site: Path) -> dict[str, tuple[str, int]]:
    """Every file and folder of a site: a file by its bytes' digest and its inode, a folder by ("folder", 0)."""
    tree = {}
    for path in sorted(site.rglob("*")):
        rel = str(path.relative_to(site))
        tree[rel] = ("folder", 0) if path.is_dir() and not path.is_symlink() else (hashlib.sha1(path.read_bytes()).hexdigest(), path.lstat().st_ino)
    return tree


@pytest.mark.parametrize("path", ["/", "/x", "/a/b", "/a/b/c.html", "/srv/site/attachments/ORD-2026-0001/合約 v2.pdf"])
def test_a_published_files_folder_is_the_one_dirname_says(path):
    assert spare.parent(path) == os.path.dirname(path)


def test_sweep_deletes_what_is_not_published_and_the_folders_left_empty(tmp_path):
    top = tmp_path / "site"
    for rel in ("a/keep.html", "a/stale.html", "b/c/stale.html", "pagefind/x", "zh/page.html", "d/e/waiting/.gone"):
        (top / rel).parent.mkdir(parents=True, exist_ok=True)
        (top / rel).write_text(rel)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret").write_text("not the site's")
    (top / "linked").symlink_to(tmp_path / "outside", target_is_directory=True)
    published = {os.path.normpath(top / "a/keep.html"), os.path.normpath(top / "d/e/waiting/new.html")}
    deleted = spare.sweep(os.path.normpath(top), published, {os.path.normpath(top / "pagefind"), os.path.normpath(top / "zh")})
    assert deleted == 4  # a/stale.html, b/c/stale.html, d/e/waiting/.gone, the link
    left = sorted(str(p.relative_to(top)) for p in top.rglob("*"))
    assert left == ["a", "a/keep.html", "d", "d/e", "d/e/waiting", "pagefind", "pagefind/x", "zh", "zh/page.html"]
    assert (tmp_path / "outside" / "secret").read_text() == "not the site's", "a link is deleted, never followed"


def test_a_recycled_target_is_kept_only_where_it_is_the_very_file_linked(tmp_path):
    last, new = tmp_path / "last", tmp_path / "new"
    for folder in (last, new):
        folder.mkdir()
    for name in ("same.html", "other.html", "link.html", "folder.html"):
        (last / name).write_text(f"the last site's {name}")
    os.link(last / "same.html", new / "same.html")
    (new / "other.html").write_text("a stale page of the site before last")
    (new / "link.html").symlink_to(tmp_path / "elsewhere")
    (new / "folder.html").mkdir()
    (new / "folder.html" / "x").write_text("x")
    inode = (new / "same.html").stat().st_ino
    jobs = [(str(last / n), str(new / n), str(last / n)) for n in ("same.html", "other.html", "link.html", "folder.html")]
    publish(jobs, set(), recycled=True)
    for name in ("same.html", "other.html", "link.html", "folder.html"):
        assert (new / name).read_text() == f"the last site's {name}" and (new / name).stat().st_ino == (last / name).stat().st_ino
    assert (new / "same.html").stat().st_ino == inode


def test_a_recycled_attachment_is_kept_only_while_its_source_is_the_last_sites_copy(tmp_path):
    """An attachment's job links the last site's copy where the archive's file has its size and time: in the site
    before last, the file there is kept only where it is that copy and the copy still that file."""
    records, last, new = tmp_path / "records", tmp_path / "last", tmp_path / "new"
    for folder in (records, last, new):
        folder.mkdir()
    for name in ("same.pdf", "edited.pdf"):
        (records / name).write_bytes(b"%PDF the archive's " + name.encode())
        shutil.copy2(records / name, last / name)
        os.link(last / name, new / name)
    edited = records / "edited.pdf"
    edited.write_bytes(b"%PDF edited since: same size!")
    os.utime(edited, ns=(edited.stat().st_atime_ns, edited.stat().st_mtime_ns + 2_000_000_000))
    inodes = {name: (new / name).stat().st_ino for name in ("same.pdf", "edited.pdf")}
    publish([(str(records / n), str(new / n), str(last / n)) for n in ("same.pdf", "edited.pdf")], set(), recycled=True)
    assert (new / "same.pdf").stat().st_ino == inodes["same.pdf"], "the very file: kept"
    assert (new / "edited.pdf").stat().st_ino not in (inodes["edited.pdf"], edited.stat().st_ino)
    assert (new / "edited.pdf").read_bytes() == edited.read_bytes(), "copied from the archive, never the stale copy"
    assert (last / "edited.pdf").read_bytes() == b"%PDF the archive's edited.pdf", "nothing written into the live site's file"


def test_the_publishing_process_says_what_it_publishes(tmp_path):
    files = Publishing(recycled=True)
    files.add(str(tmp_path / "a"), str(tmp_path / "site" / "x" / ".." / "b.html"))
    assert files.targets == {os.path.normpath(tmp_path / "site" / "b.html")}
    files.waiting = []


def test_a_build_in_the_site_before_last_writes_nothing_into_the_live_sites_files(archive):
    """The hazard: most files of the spare are hard links to the live site's (the pages no build since changed),
    and writing a page opens its file for writing. Every page the build makes again must be a new file: the live
    site, swapped out by the build, is the spare again byte for byte as it was served."""
    root = with_site(archive)
    build(root)
    build(root)  # the site before last is now the spare
    assert spare.folder(root).is_dir()
    edit(root, f"{dossier('ORD-2026-0003')}/order.yaml", lambda order: order["intake"].update(project_name="三讀 Third reading"))
    live = _tree(root / "site")
    shared = set(_tree(spare.folder(root))) & set(live)
    assert len(shared) > 100
    result = build_site(root, today=TODAY)
    assert result.recycled and result.made
    assert _tree(spare.folder(root)) == live, "the site that was live is untouched, swapped out whole"
    assert "三讀 Third reading" in (root / "site/dossiers/ORD-2026-0003.html").read_text(encoding="utf-8")


def test_a_stale_or_planted_file_in_the_spare_is_never_published(archive):
    root = with_site(archive)
    build(root)
    build(root)
    planted = spare.folder(root)
    kept_page = next(p for p in sorted(planted.glob("dossiers/*.html")) if "ORD-2026-0001" in p.name)
    kept_page.unlink()
    kept_page.write_text("<p>not what any build made</p>", encoding="utf-8")
    (planted / "orders" / "planted.html").write_text("<script>alert(1)</script>", encoding="utf-8")
    (planted / "attachments" / "ORD-2099-0001").mkdir(parents=True)
    (planted / "attachments" / "ORD-2099-0001" / "x.pdf").write_bytes(b"%PDF planted")
    result = build_site(root, today=TODAY)
    assert result.recycled
    site = root / "site"
    assert not (site / "orders" / "planted.html").exists() and not (site / "attachments" / "ORD-2099-0001").exists()
    assert "not what any build made" not in (site / kept_page.relative_to(planted)).read_text(encoding="utf-8")


def test_an_edition_added_or_dropped_since_the_site_before_last(archive):
    """The spare of a site in one language has no folder for a translation added since: nothing there to sweep; a
    translation dropped leaves a folder the first edition sweeps away."""
    root = with_site(archive)
    build(root)
    build(root)
    with_site(root, "zh-Hant", "en")
    result = build_site(root, today=TODAY)
    assert result.recycled and result.languages == ("zh-Hant", "en")
    assert (root / "site/en/dossiers/ORD-2026-0003.html").is_file()
    build_site(root, today=TODAY)
    with_site(root)  # the translation dropped: the spare's folder of it is stale
    result = build_site(root, today=TODAY)
    assert result.recycled and result.languages == ("zh-Hant",) and not (root / "site/en").exists()


def test_the_spares_attachments_go_when_the_build_publishes_none(archive):
    """With no attachment to publish, and no page kept (the last site gone), no process is started to put files in:
    the build sweeps the attachments' folder itself."""
    import shutil

    root = with_site(archive)
    build(root)
    build(root)
    assert any((spare.folder(root) / "attachments").rglob("*.*"))
    for folder in (root / "records").rglob("attachments"):
        shutil.rmtree(folder)
    shutil.rmtree(root / "site")
    result = build_site(root, today=TODAY)
    assert result.recycled and not (root / "site" / "attachments").exists()
