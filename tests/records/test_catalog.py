"""Where the catalog places a problem: in the record file read again, when it is still the bytes checked."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from generator.pipeline import check_archive
from generator.records.load import ChangedWhileChecked
from generator.records.safeyaml import locate

TODAY = date(2026, 11, 20)


def test_a_record_keeps_the_digest_of_its_bytes_not_the_bytes(archive: Path):
    catalog = check_archive(archive, TODAY, history=False).catalog
    entry = catalog.dossiers["ORD-2026-0005"].order
    assert not hasattr(entry, "raw")
    assert entry.digest == hashlib.sha1((archive / entry.path).read_bytes()).digest()


def test_a_problem_is_placed_in_the_file_read_again(archive: Path):
    catalog = check_archive(archive, TODAY, history=False).catalog
    entry = catalog.dossiers["ORD-2026-0005"].order
    positions = locate((archive / entry.path).read_bytes())
    assert catalog.position(entry, ("work_plan", "tasks", 1, "owner")) == positions[("work_plan", "tasks", 1, "owner")]
    assert catalog.position(entry, ("intake",)) == (positions[("intake",)][0], 1)


@pytest.mark.parametrize("change", ["edited", "deleted"])
def test_a_problem_is_never_placed_in_a_file_changed_since_it_was_checked(archive: Path, change: str):
    """The record's line would be another text's: the check says the file changed instead, never a wrong line."""
    catalog = check_archive(archive, TODAY, history=False).catalog
    entry = catalog.dossiers["ORD-2026-0005"].order
    file = archive / entry.path
    if change == "deleted":
        file.unlink()
    else:
        file.write_bytes(b"# a line more\n" + file.read_bytes())
    with pytest.raises(ChangedWhileChecked, match=f"{entry.path} changed while the archive was being checked: check it again"):
        catalog.position(entry, ("work_plan", "tasks", 1, "owner"))


def test_a_file_read_again_places_its_later_problems_in_the_same_bytes(archive: Path):
    catalog = check_archive(archive, TODAY, history=False).catalog
    entry = catalog.dossiers["ORD-2026-0005"].order
    file = archive / entry.path
    checked = locate(file.read_bytes())
    catalog.position(entry, ("intake",))  # read again, and found to be the bytes checked
    file.write_bytes(b"# a line more\n" + file.read_bytes())
    assert catalog.position(entry, ("work_plan", "tasks", 1, "owner")) == checked[("work_plan", "tasks", 1, "owner")]
