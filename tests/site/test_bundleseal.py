"""The guard on a reused search bundle (``bundleseal.bundle_fits``): a damaged file is never published again, an
honest copy of the cache still fits, and a bundle as it was written is judged without reading it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from generator.site import bundleseal

KEY = "k" * 40


@pytest.fixture
def bundle(tmp_path) -> Path:
    folder = tmp_path / "bundle"
    (folder / "fragment").mkdir(parents=True)
    (folder / "pagefind-entry.json").write_text('{"version":"1.5.2"}', encoding="utf-8")
    for n in range(3):
        (folder / "fragment" / f"en_{n}.pf_fragment").write_bytes(bytes([n]) * 100)
    bundleseal.seal_bundle(folder, KEY)
    return folder


def test_a_sealed_bundle_fits_its_key_only(bundle):
    assert bundleseal.bundle_fits(bundle, KEY)
    assert not bundleseal.bundle_fits(bundle, "other")


def test_a_sealed_bundles_size_is_its_files_as_listed_and_an_unsealed_one_has_none(bundle):
    assert bundleseal.sealed_size(bundle) == sum(f.stat().st_size for f in bundle.rglob("*") if f.is_file())
    (bundle / bundleseal.KEY_FILE).write_text(KEY + "\nfragment/en_0.pf_fragment\tnot a size\n", encoding="utf-8")
    assert bundleseal.sealed_size(bundle) is None
    (bundle / bundleseal.KEY_FILE).unlink()
    assert bundleseal.sealed_size(bundle) is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda f: f.write_bytes(f.read_bytes()[:10]),  # cut short by a killed build
        lambda f: f.write_bytes(b""),  # emptied
        lambda f: f.write_bytes(b"\xff" * len(f.read_bytes())),  # rewritten at the same size
        lambda f: f.unlink(),
        lambda f: (f.parent / "en_9.pf_fragment").write_bytes(b"more"),  # a file the manifest does not name
        lambda f: (f.parents[1] / bundleseal.KEY_FILE).unlink(),  # no manifest
    ],
    ids=["cut-short", "emptied", "same-size", "missing", "added", "no-manifest"],
)
def test_a_damaged_bundle_does_not_fit(bundle, damage):
    damage(bundle / "fragment" / "en_1.pf_fragment")
    assert not bundleseal.bundle_fits(bundle, KEY)


def test_a_manifest_of_the_earlier_format_does_not_fit(bundle):
    manifest = bundle / bundleseal.KEY_FILE
    lines = manifest.read_text(encoding="utf-8").splitlines()
    old = [lines[0], *("\t".join([*row.split("\t")[:2], row.split("\t")[3]]) for row in lines[1:])]  # path, size, hash
    manifest.write_text("\n".join(old) + "\n", encoding="utf-8")
    assert not bundleseal.bundle_fits(bundle, KEY)


def test_a_copy_with_new_file_times_still_fits(bundle, tmp_path):
    """A cache restored on another runner (``actions/cache``) has the same bytes and new times: it is read and fits."""
    copy = shutil.copytree(bundle, tmp_path / "restored", copy_function=shutil.copy)
    later = (bundle / "fragment/en_0.pf_fragment").stat().st_mtime_ns + 5_000_000_000
    for path in copy.rglob("*.pf_fragment"):
        os.utime(path, ns=(later, later))
    assert bundleseal.bundle_fits(copy, KEY)


def test_a_bundle_as_written_is_judged_without_reading_its_files(bundle, monkeypatch):
    read = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda path: read.append(path.name) or real(path))
    assert bundleseal.bundle_fits(bundle, KEY)
    assert read == []
    later = (bundle / "fragment/en_2.pf_fragment").stat().st_mtime_ns + 5_000_000_000
    os.utime(bundle / "fragment/en_2.pf_fragment", ns=(later, later))
    assert bundleseal.bundle_fits(bundle, KEY) and read == ["en_2.pf_fragment"]  # only the file whose time moved


def test_a_bundle_holding_a_link_does_not_fit(bundle, tmp_path):
    """Only Pagefind's own files are published from a cached part: a symbolic link planted in it (to a file of the
    machine) would publish what it points at, so the part is indexed again instead."""
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the site", encoding="utf-8")
    (bundle / "pagefind-extra.js").symlink_to(secret)
    assert not bundleseal.bundle_fits(bundle, KEY)


def test_a_linked_folder_in_a_bundle_is_never_walked(bundle, monkeypatch):
    """A link to a folder (here, a loop back to the bundle) would be walked again and again, 22,000 files a turn."""
    (bundle / "loop").symlink_to(bundle, target_is_directory=True)
    opened = []
    real = os.scandir
    monkeypatch.setattr(os, "scandir", lambda folder: opened.append(folder) or real(folder))
    assert not bundleseal.bundle_fits(bundle, KEY)
    assert len(opened) <= 2  # the bundle and its fragment folder, at most


def _linked(bundle: Path, to: Path) -> Path:
    """A bundle of hard links to ``bundle``'s files, as a join links its parts' files, and one file of its own."""
    for path in bundle.rglob("*"):
        if path.is_file() and path.name != bundleseal.KEY_FILE:
            (to / path.relative_to(bundle)).parent.mkdir(parents=True, exist_ok=True)
            os.link(path, to / path.relative_to(bundle))
    (to / "pagefind.en_new.pf_meta").write_bytes(b"joined")
    return to


def _replaced(path: Path, data: bytes) -> None:
    sealed = path.stat()
    path.unlink()
    path.write_bytes(data)
    os.utime(path, ns=(sealed.st_atime_ns, sealed.st_mtime_ns))


def _reads(monkeypatch) -> list[str]:
    read: list[str] = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda path: read.append(path.name) or real(path))
    return read


def test_a_file_linked_from_a_sealed_bundle_is_sealed_without_reading_it(bundle, tmp_path, monkeypatch):
    """A merged pull request's joined bundle links all but a few of its 20,000 files from its parts and the last
    bundle: their hashes come from those bundles' manifests, and the manifest is the one reading every file gives."""
    joined = _linked(bundle, tmp_path / "joined")
    read = _reads(monkeypatch)
    bundleseal.seal_bundle(joined, KEY, [bundle])
    assert read == ["pagefind.en_new.pf_meta"]
    with_sources = (joined / bundleseal.KEY_FILE).read_text(encoding="utf-8")
    bundleseal.seal_bundle(joined, KEY)
    assert (joined / bundleseal.KEY_FILE).read_text(encoding="utf-8") == with_sources and bundleseal.bundle_fits(joined, KEY)


def test_a_source_file_rewritten_since_it_was_sealed_gives_no_hash(bundle, tmp_path, monkeypatch):
    """Only a file still as its source's manifest sealed it (same inode, size and time) takes its hash from there:
    one rewritten since, at its very size (a new time), is read."""
    joined = _linked(bundle, tmp_path / "joined")
    (bundle / "fragment" / "en_1.pf_fragment").write_bytes(b"\xff" * 100)
    read = _reads(monkeypatch)
    bundleseal.seal_bundle(joined, KEY, [bundle])
    assert sorted(read) == ["en_1.pf_fragment", "pagefind.en_new.pf_meta"]
    monkeypatch.undo()
    assert bundleseal.bundle_fits(joined, KEY)
    expected = (joined / bundleseal.KEY_FILE).read_text(encoding="utf-8")
    bundleseal.seal_bundle(joined, KEY)
    assert (joined / bundleseal.KEY_FILE).read_text(encoding="utf-8") == expected


def test_a_source_file_replaced_since_lends_its_hash_only_to_the_file_sealed(bundle, tmp_path, monkeypatch):
    """The manifest vouches for the file it sealed, by inode: a link to that file still holds what was sealed
    and takes the hash unread; another file put in its place at the same size and time is read."""
    joined = _linked(bundle, tmp_path / "joined")
    _replaced(bundle / "fragment" / "en_1.pf_fragment", b"\xff" * 100)
    other = tmp_path / "other"
    (other / "fragment").mkdir(parents=True)
    os.link(bundle / "fragment" / "en_1.pf_fragment", other / "fragment" / "en_1.pf_fragment")
    read = _reads(monkeypatch)
    bundleseal.seal_bundle(joined, KEY, [bundle])
    assert read == ["pagefind.en_new.pf_meta"]  # the joined link is the file sealed, unchanged
    bundleseal.seal_bundle(other, KEY, [bundle])
    assert read == ["pagefind.en_new.pf_meta", "en_1.pf_fragment"]  # the new file at the old name
    monkeypatch.undo()
    assert bundleseal.bundle_fits(joined, KEY) and bundleseal.bundle_fits(other, KEY)
    joined_rows = (joined / bundleseal.KEY_FILE).read_text(encoding="utf-8")
    bundleseal.seal_bundle(joined, KEY)
    assert (joined / bundleseal.KEY_FILE).read_text(encoding="utf-8") == joined_rows


def test_a_manifest_of_the_format_before_identities_lends_no_hash(bundle, tmp_path, monkeypatch):
    manifest = bundle / bundleseal.KEY_FILE
    lines = manifest.read_text(encoding="utf-8").splitlines()
    manifest.write_text("\n".join([lines[0], *(row.rsplit("\t", 1)[0] for row in lines[1:])]) + "\n", encoding="utf-8")
    assert not bundleseal.bundle_fits(bundle, KEY)  # its bundle indexed again: time, never a wrong file
    joined = _linked(bundle, tmp_path / "joined")
    read = _reads(monkeypatch)
    bundleseal.seal_bundle(joined, KEY, [bundle])
    assert len(read) == 5


def test_a_source_manifest_with_rows_of_another_shape_is_read_past_not_failed_on(bundle, tmp_path, monkeypatch):
    """A cache written by another version of the program, or damaged: its rows lend nothing, and the seal
    reads the files instead. (A row of five columns stopped the build of the code before this format.)"""
    joined = _linked(bundle, tmp_path / "joined")
    manifest = bundle / bundleseal.KEY_FILE
    lines = manifest.read_text(encoding="utf-8").splitlines()
    manifest.write_text("\n".join([*lines[:-1], lines[-1] + "\tmore", "short\t1"]) + "\n", encoding="utf-8")  # good rows first
    read = _reads(monkeypatch)
    bundleseal.seal_bundle(joined, KEY, [bundle])
    assert len(read) == 5
    monkeypatch.undo()
    assert bundleseal.bundle_fits(joined, KEY) and not bundleseal.bundle_fits(bundle, KEY)
