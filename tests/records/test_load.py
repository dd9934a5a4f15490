"""Finding and reading record files: layout problems, symlinks, stray files, nothing skipped silently."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from generator.core.problems import Severity, UserError
from generator.records import safeyaml
from generator.records.load import find_files, load_records, read_archive, read_bounded, scan_attachments


def rules(problems):
    return sorted((p.path, p.rule) for p in problems)


def test_demo_archive_loads_every_record(archive: Path):
    sources, problems = load_records(archive)
    assert problems == []
    yaml_files = sorted(str(p.relative_to(archive)) for p in archive.rglob("*.yaml"))
    assert sorted(s.path for s in sources) == yaml_files


def test_attachments_are_not_records(archive: Path):
    sources, _ = load_records(archive)
    assert not any("/attachments/" in s.path for s in sources)
    assert any(archive.rglob("attachments/*.pdf"))


def test_a_folder_without_records_is_a_user_error(tmp_path: Path):
    with pytest.raises(UserError, match="no records/ folder"):
        find_files(tmp_path)


def test_organization_and_policy_are_required(tmp_path: Path):
    (tmp_path / "records").mkdir()
    _, problems = find_files(tmp_path)
    assert rules(problems) == [("records/organization.yaml", "layout.missing"), ("records/policy.yaml", "layout.missing")]


def test_misplaced_and_misnamed_files_are_reported(archive: Path):
    (archive / "records/orders/2026/notes.yaml").write_text("kind: order\n")
    (archive / "records/archive/borrowing/BR-2026-0099.yml").write_text("kind: loan\n")
    (archive / "records/orders/2026/readme.txt").write_text("hello\n")
    (archive / "records/orders/2026/ORD-2026-9999").mkdir()
    (archive / "records/orders/2026/ORD-2026-9999/order.yaml").write_text("kind: order\n")
    (archive / "records/orders/2025/ORD-2026-0001").mkdir(parents=True, exist_ok=True)
    (archive / "records/orders/2025/ORD-2026-0001/order.yaml").write_text("kind: order\n")
    _, problems = find_files(archive)
    assert rules(problems) == [
        ("records/archive/borrowing/BR-2026-0099.yml", "layout.extension"),
        ("records/orders/2025/ORD-2026-0001/order.yaml", "layout.unknown-path"),
        ("records/orders/2026/notes.yaml", "layout.unknown-path"),
        ("records/orders/2026/readme.txt", "layout.stray-file"),
    ]
    stray = next(p for p in problems if p.rule == "layout.stray-file")
    assert stray.severity is Severity.WARNING


def test_symlinks_are_refused_not_followed(archive: Path, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.yaml").write_text("kind: order\n")
    os.symlink(outside, archive / "records/orders/linked")
    os.symlink(outside / "secret.yaml", archive / "records/policy-copy.yaml")
    files, problems = find_files(archive)
    assert ("records/orders/linked", "layout.symlink") in rules(problems)
    assert ("records/policy-copy.yaml", "layout.symlink") in rules(problems)
    assert not any("secret" in path for path, _ in files)


def test_hidden_files_and_folders_are_ignored(archive: Path):
    (archive / "records/.git-keep-dir").mkdir()
    (archive / "records/.git-keep-dir/x.yaml").write_text("a: 1\n")
    (archive / "records/.DS_Store").write_bytes(b"\0\0")
    _, problems = find_files(archive)
    assert problems == []


def test_unreadable_yaml_does_not_stop_the_others(archive: Path):
    broken = next(archive.rglob("CR-*.yaml"))
    broken.write_text("kind: change_request\nid: [\n")
    sources, problems = load_records(archive)
    assert [p.rule for p in problems] == ["yaml.syntax"]
    assert len(sources) == len(list(archive.rglob("*.yaml"))) - 1


def test_a_snapshot_is_parsed_from_the_bytes_it_read_and_handed_over(archive: Path):
    """The site build hashes a snapshot for its cache key and parses the same bytes: a later edit reaches neither.
    The check takes the snapshot's files, so that each file's bytes go once its record is validated."""
    snapshot = read_archive(archive)
    assert snapshot.attachments == scan_attachments(archive)
    direct, direct_problems = load_records(archive)
    first = snapshot.files[0][0]  # read now: its times are too recent to be known unchanged
    original = (archive / first).read_bytes()
    (archive / first).write_bytes(original + b"\nlate_edit: true\n")
    try:
        from_snapshot, problems = load_records(archive, snapshot)
    finally:
        (archive / first).write_bytes(original)
    assert [(s.path, s.raw) for s in from_snapshot] == [(s.path, s.raw) for s in direct] and problems == direct_problems
    assert next(s for s in from_snapshot if s.path == first).raw == original
    assert snapshot.files == []


@pytest.fixture
def counted_reads(monkeypatch) -> list[str]:
    """The record files ``read_files`` reads, as it reads them."""
    from generator.records import load

    reads: list[str] = []
    real = load.read_bounded
    monkeypatch.setattr(load, "read_bounded", lambda path: (reads.append(os.fspath(path)), real(path))[1])
    return reads


@pytest.fixture
def settled(monkeypatch) -> None:
    """Files count as settled at once: times within ``SETTLED_NS`` of the reading are what the fixture's were."""
    from generator.records import load

    monkeypatch.setattr(load, "SETTLED_NS", -(10**10))


def test_a_file_known_unchanged_is_not_read_again_and_keeps_its_digest(archive: Path, counted_reads: list[str], settled):
    from generator.records.load import read_files

    first, _ = read_files(archive)
    assert len(counted_reads) == len(first) > 20 and all(data is not None for _, _, data, _ in first)
    counted_reads.clear()
    second, _ = read_files(archive)
    assert counted_reads == [] and all(data is None for _, _, data, _ in second)
    assert [(path, digest) for path, _, _, digest in second] == [(path, hashlib.sha1((archive / path).read_bytes()).digest()) for path, _, _, _ in first]
    edited = archive / first[3][0]
    edited.write_bytes(edited.read_bytes() + b"# edited\n")
    third, _ = read_files(archive)
    assert counted_reads == [os.fspath(edited)]
    assert [digest for path, _, _, digest in third if archive / path == edited] == [hashlib.sha1(edited.read_bytes()).digest()]


def test_an_edit_that_keeps_the_size_and_the_modified_time_is_read_again(archive: Path, counted_reads: list[str], settled):
    """The attack: a file rewritten to bytes of the same length, its modified time set back to what it was. Its
    changed time, which no program sets, tells the edit."""
    from generator.records.load import read_files

    read_files(archive)
    target = archive / "records/orders/2026/ORD-2026-0003/order.yaml"
    before = target.stat()
    time.sleep(0.05)  # past the file system's clock tick
    text = target.read_bytes()
    target.write_bytes(text.replace(b"project_name: ", b"project_name:\t", 1))
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (target.stat().st_mtime_ns, target.stat().st_size) == (before.st_mtime_ns, before.st_size)
    counted_reads.clear()
    files, _ = read_files(archive)
    assert counted_reads == [os.fspath(target)]
    assert {path: data for path, _, data, _ in files}[str(target.relative_to(archive))] == target.read_bytes() != text


def test_a_file_written_just_before_it_is_read_is_read_again_next_time(archive: Path, counted_reads: list[str]):
    """Two writes in one tick of the file system's clock can leave a file's times as they were: a file whose times
    are that recent is never taken as known."""
    from generator.records.load import read_files

    first, _ = read_files(archive)
    counted_reads.clear()
    read_files(archive)
    assert len(counted_reads) == len(first)


def test_a_file_known_unchanged_is_read_when_its_record_must_be_checked_and_refused_if_it_changed(archive: Path, settled):
    """A refused file is never kept as a model, so the check reads it again: the bytes the snapshot's digest
    names, or none (``ChangedWhileChecked``)."""
    from generator.records.load import ChangedWhileChecked
    from generator.records.validated import validated_entries

    broken = archive / "records/orders/2026/ORD-2026-0002/order.yaml"
    broken.write_bytes(broken.read_bytes() + b"\nunknown_field: 1\n")
    for _ in range(2):
        problems: list = []
        validated_entries(archive, None, problems)
        assert [p.rule for p in problems] == ["schema.unknown-field"]
    snapshot = read_archive(archive)
    assert {path: data for path, _, data, _ in snapshot.files}[str(broken.relative_to(archive))] is None
    broken.write_bytes(broken.read_bytes() + b"\nanother: 2\n")
    with pytest.raises(ChangedWhileChecked):
        validated_entries(archive, snapshot, [])


def test_records_are_parsed_as_they_are_asked_for(archive: Path, monkeypatch):
    """A caller takes each document as it comes, so no caller holds them all."""
    from generator.records import load

    parsed: list[str] = []
    real_parse = safeyaml.parse
    monkeypatch.setattr(safeyaml, "parse", lambda data, path: (parsed.append(path), real_parse(data, path))[1])
    problems: list = []
    stream = load.parse_records(archive, None, problems)
    first = next(stream)
    assert parsed == [first.path]
    rest = list(stream)
    assert len(parsed) == 1 + len(rest) > 20


def test_a_record_is_read_whole_up_to_one_byte_past_the_bound(tmp_path, monkeypatch):
    small, large = tmp_path / "small.yaml", tmp_path / "large.yaml"
    small.write_bytes(b"kind: order\n")
    large.write_bytes(b"a: " + b"x" * (safeyaml.MAX_BYTES + 50))
    assert read_bounded(small) == b"kind: order\n"
    assert read_bounded(large) == large.read_bytes()[: safeyaml.MAX_BYTES + 1]
    # a file that grew after its size was taken is read on, to the bound
    real = os.fstat
    monkeypatch.setattr(os, "fstat", lambda fd: os.stat_result((*real(fd)[:6], 3, *real(fd)[7:])))
    assert read_bounded(small) == b"kind: order\n"
    assert len(read_bounded(large)) == safeyaml.MAX_BYTES + 1
    # a system that reads less than asked (a network file system may) is asked again until the file's end
    monkeypatch.setattr(os, "fstat", real)
    read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: read(fd, min(n, 5)))
    assert read_bounded(small) == b"kind: order\n"
    assert read_bounded(str(large)) == large.read_bytes()[: safeyaml.MAX_BYTES + 1]


def test_attachments_are_listed_by_name_each_link_judged_and_nothing_else_listed(tmp_path: Path):
    """What the site may publish of a dossier's attachments: files by name (nested ones by their path in the
    folder), a link to a file only as inside when it resolves inside ``records/``; never a linked folder, a pipe,
    nor a tree deeper than the archive allows."""
    from generator.records.load import MAX_FOLDER_DEPTH

    records = tmp_path / "records"
    folder = records / "orders" / "2026" / "ORD-2026-0001" / "attachments"
    (folder / "photos").mkdir(parents=True)
    (folder / "contract.pdf").write_bytes(b"%PDF")
    (folder / "photos" / "site.jpg").write_bytes(b"jpg")
    (records / "organization.yaml").write_text("kind: organization\n")
    (tmp_path / "secret.txt").write_text("not the archive's")
    (folder / "policy.yaml").symlink_to(records / "organization.yaml")
    (folder / "secret.txt").symlink_to(tmp_path / "secret.txt")
    (folder / "gone.pdf").symlink_to(folder / "nowhere.pdf")
    (folder / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(folder / "pipe")
    deep = folder.joinpath(*[f"d{i}" for i in range(MAX_FOLDER_DEPTH + 2)])
    deep.mkdir(parents=True)
    (deep / "buried.pdf").write_bytes(b"%PDF")
    (records / "orders" / "2026" / "ORD-2026-0002").mkdir()  # no attachments folder: no entry
    found = scan_attachments(tmp_path)
    assert list(found) == ["ORD-2026-0001"]
    files = found["ORD-2026-0001"]
    assert files == {
        "contract.pdf": True,
        "gone.pdf": False,
        "photos/site.jpg": True,
        "policy.yaml": True,
        "secret.txt": False,
    }
    assert list(files) == sorted(files)


def test_where_a_files_changed_time_is_not_the_systems_every_file_is_read(archive: Path, counted_reads: list[str], settled, monkeypatch):
    """On Windows ``st_ctime`` is when the file was made: an edit that keeps the size and sets the modified time
    back would keep every time the check looks at."""
    from generator.records import load

    monkeypatch.setattr(load, "KNOWS_CHANGES", False)
    first, _ = load.read_files(archive)
    counted_reads.clear()
    load.read_files(archive)
    assert len(counted_reads) == len(first)


@pytest.fixture
def counted_listings(monkeypatch) -> list[str]:
    """The folders listed (``os.scandir``), as they are listed."""
    listed: list[str] = []
    real = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path=".": (listed.append(os.fspath(path)), real(path))[1])
    return listed


def test_a_folder_known_unchanged_is_not_listed_again_and_gives_the_same_snapshot(archive: Path, counted_listings: list[str], settled):
    first = read_archive(archive)
    assert len(counted_listings) > 20
    counted_listings.clear()
    second = read_archive(archive)
    assert counted_listings == []
    assert [(p, pl, d) for p, pl, _, d in second.files] == [(p, pl, d) for p, pl, _, d in first.files]
    assert second.problems == first.problems and second.attachments == first.attachments


def test_a_reading_looks_at_each_folders_times_once(archive: Path, settled, monkeypatch):
    """The records' walk and the attachments' scan both list a dossier's folder: its times are asked once."""
    read_archive(archive)
    looked: list[str] = []
    real = os.lstat
    monkeypatch.setattr(os, "lstat", lambda path, *a, **k: (looked.append(os.fspath(path)), real(path, *a, **k))[1])
    snapshot = read_archive(archive)
    folders = [path for path in looked if "/records/" in path and os.path.isdir(path)]  # below records/: what is listed
    assert any(path.endswith("/ORD-2026-0001") for path in folders)
    assert len(folders) == len(set(folders)), sorted(path for path in folders if folders.count(path) > 1)
    assert snapshot.attachments == scan_attachments(archive)


def test_a_file_added_or_removed_in_a_known_folder_is_found(archive: Path, counted_listings: list[str], settled):
    read_archive(archive)
    dossier = archive / "records/orders/2026/ORD-2026-0001"
    (dossier / "notes.txt").write_text("a stray file\n")
    (dossier / "attachments" / "late.pdf").write_bytes(b"%PDF")
    counted_listings.clear()
    snapshot = read_archive(archive)
    listed = sorted(path for path in counted_listings if "/records/" in path)  # the cache's own folder aside
    assert listed == sorted([os.fspath(dossier), os.fspath(dossier / "attachments")])
    assert ("records/orders/2026/ORD-2026-0001/notes.txt", "layout.stray-file") in rules(snapshot.problems)
    assert snapshot.attachments["ORD-2026-0001"]["late.pdf"] is True
    (dossier / "notes.txt").unlink()
    assert ("records/orders/2026/ORD-2026-0001/notes.txt", "layout.stray-file") not in rules(read_archive(archive).problems)


def test_a_record_swapped_for_a_link_with_its_folders_time_set_back_is_found(archive: Path, settled):
    """The attack: a record replaced by a symbolic link to a file outside the archive, its folder's modified time set
    back to what it was. The folder's changed time, which no program sets, tells the swap."""
    dossier = archive / "records/orders/2026/ORD-2026-0003"
    read_archive(archive)
    before = dossier.stat()
    time.sleep(0.05)  # past the file system's clock tick
    target = dossier / "order.yaml"
    outside = archive.parent / "elsewhere.yaml"
    outside.write_bytes(target.read_bytes())
    target.unlink()
    target.symlink_to(outside)
    os.utime(dossier, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert dossier.stat().st_mtime_ns == before.st_mtime_ns
    snapshot = read_archive(archive)
    assert ("records/orders/2026/ORD-2026-0003/order.yaml", "layout.symlink") in rules(snapshot.problems)
    assert "records/orders/2026/ORD-2026-0003/order.yaml" not in [path for path, *_ in snapshot.files]


def test_a_folder_changed_just_before_it_is_listed_is_listed_again_next_time(archive: Path, counted_listings: list[str]):
    read_archive(archive)
    listed = len(counted_listings)
    counted_listings.clear()
    read_archive(archive)
    assert len(counted_listings) == listed


def test_a_known_attachments_link_is_judged_again_where_it_leads(archive: Path, settled):
    """What a link reaches can change without its folder changing: the file it names replaced by a link out."""
    folder = archive / "records/orders/2026/ORD-2026-0001/attachments"
    inside = archive / "records/orders/2026/ORD-2026-0002/attachments/shared.pdf"
    inside.parent.mkdir(exist_ok=True)
    inside.write_bytes(b"%PDF")
    (folder / "shared.pdf").symlink_to(inside)
    time.sleep(0.05)
    assert read_archive(archive).attachments["ORD-2026-0001"]["shared.pdf"] is True
    inside.unlink()
    inside.symlink_to(archive.parent / "secret.pdf")
    (archive.parent / "secret.pdf").write_bytes(b"%PDF secret")
    assert read_archive(archive).attachments["ORD-2026-0001"]["shared.pdf"] is False
