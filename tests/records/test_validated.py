"""Validated records kept between runs: the same entries as validating afresh, never another file's model,
and a cache file that names anything but a record's classes is no cache."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from generator.core import cachefile
from generator.core.problems import Problem
from generator.records import safeyaml, validated
from generator.records.load import load_records
from generator.records.validate import validate_sources

ORDER_3 = "records/orders/2026/ORD-2026-0003/order.yaml"


def fresh(archive: Path) -> tuple[list, list[str]]:
    """What validating every file from scratch gives: (path, model) of each entry, and the problems."""
    entries, found = validate_sources(load_records(archive)[0])
    return [(e.path, e.model) for e in entries], sorted(p.format() for p in found)


def kept(archive: Path) -> tuple[list, list[str]]:
    problems: list[Problem] = []
    entries = validated.validated_entries(archive, None, problems)
    return [(e.path, e.model) for e in entries], sorted(p.format() for p in problems)


@pytest.fixture
def parsed(monkeypatch) -> list[str]:
    """The files parsed, as they are."""
    seen: list[str] = []
    real = safeyaml.parse
    monkeypatch.setattr(safeyaml, "parse", lambda data, path: (seen.append(path), real(data, path))[1])
    return seen


def test_a_file_validated_before_is_its_model_again_and_a_changed_or_refused_file_is_validated_again(archive: Path, parsed: list[str]):
    broken = archive / "records/orders/2026/ORD-2026-0002/order.yaml"
    broken.write_bytes(broken.read_bytes() + b"\nunknown_field: 1\n")
    expected = fresh(archive)
    assert expected[1]  # the broken file's problem
    parsed.clear()
    assert kept(archive) == expected  # the first run validates every file …
    assert len(parsed) == len(expected[0]) + 1
    parsed.clear()
    assert kept(archive) == expected  # … the second only the refused one, reported again
    assert parsed == [str(broken.relative_to(archive))]
    edited = archive / ORDER_3
    edited.write_bytes(edited.read_bytes().replace(b"project_name: ", b"project_name: Renamed ", 1))
    parsed.clear()
    again = kept(archive)
    assert sorted(parsed) == sorted([str(broken.relative_to(archive)), ORDER_3])
    assert again == fresh(archive)
    assert dict(again[0])[ORDER_3].intake.project_name.startswith("Renamed ")
    parsed.clear()
    assert kept(archive) == again and parsed == [str(broken.relative_to(archive))]  # the edited model kept apart


def test_the_same_bytes_at_another_path_are_validated_there(archive: Path, parsed: list[str]):
    """A model is kept by its file's path and bytes: an order's file copied into another dossier is checked
    against that folder (its id does not match it), not taken as the model it was."""
    kept(archive)
    copy = archive / "records/orders/2026/ORD-2026-0099/order.yaml"
    copy.parent.mkdir(parents=True)
    copy.write_bytes((archive / ORDER_3).read_bytes())
    parsed.clear()
    models, problems = kept(archive)
    assert parsed == [str(copy.relative_to(archive))]
    assert (models, problems) == fresh(archive)
    assert any("ORD-2026-0099" in p and "record.id-mismatch" in p for p in problems)


@pytest.fixture
def based(monkeypatch) -> None:
    """Every model in the base (the demo's few records would all be kept apart), in parts of three."""
    monkeypatch.setattr(validated, "REBASE", (0, 10**6))
    monkeypatch.setattr(validated, "BASE_PART", 3)


def test_a_cache_naming_anything_but_a_records_classes_runs_nothing_and_is_no_cache(archive: Path, tmp_path: Path, based):
    """The attack: whoever can write the cache folder writes a pickle that calls a function of their choice
    when it is read. Read by ``pickle.loads`` it runs; read here it is refused, and every file validated."""
    expected = fresh(archive)
    kept(archive)
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    forged = pickle.dumps([Payload()], protocol=5)
    pickle.loads(forged)  # what an unguarded reader would do
    assert marker.exists()
    marker.unlink()
    folder = cachefile.folder(archive)
    name, index = cachefile.read(folder / validated.INDEX, validated._VERSION, "")
    assert name and all(type(where) is int for _, where in index.values())
    (folder / f"records-{name}.pickle").write_bytes(b" ".join([*validated._BASE_HEADER, b"1"]) + b"\n" + forged)
    assert kept(archive) == expected and not marker.exists()
    apart = {path: (digest, forged) for path, (digest, _) in index.items()}  # each model in a pickle of its own
    cachefile.write(folder / validated.INDEX, validated._VERSION, "", ("", apart))
    assert kept(archive) == expected and not marker.exists()


def test_a_damaged_or_mismatched_cache_is_no_cache(archive: Path, parsed: list[str], based):
    expected = fresh(archive)
    kept(archive)
    folder = cachefile.folder(archive)
    name, index = cachefile.read(folder / validated.INDEX, validated._VERSION, "")
    base = folder / f"records-{name}.pickle"
    whole = base.read_bytes()
    assert len(whole) > 2000
    for damaged in (whole[:-100], whole[: whole.index(b"\n") + 1], whole + b"more", whole.replace(b"\n", b"0\n", 1)):  # cut short, empty, grown, another count
        base.write_bytes(damaged)
        parsed.clear()
        assert kept(archive) == expected and len(parsed) == len(expected[0])
        base.write_bytes(whole)
    base.unlink()  # replaced under a reader that had the index: no base, no cache
    kept(archive)
    for forge in (
        lambda index: {**index, ORDER_3: index["records/policy.yaml"]},  # another file's model: not an order
        lambda index: {**index, ORDER_3: (b"not its digest", index[ORDER_3][1])},
        lambda index: {**index, ORDER_3: (index[ORDER_3][0], 10**6)},  # past the base's end
        lambda index: {**index, ORDER_3: (index[ORDER_3][0], b"not a pickle")},
        lambda index: {**index, ORDER_3: (index[ORDER_3][0], pickle.dumps(dict(fresh(archive)[0])["records/policy.yaml"]))},
    ):
        name, index = cachefile.read(folder / validated.INDEX, validated._VERSION, "")
        cachefile.write(folder / validated.INDEX, validated._VERSION, "", (name, forge(index)))
        parsed.clear()
        assert kept(archive) == expected
        assert parsed == [ORDER_3]


def test_a_new_base_is_written_only_when_many_models_are_kept_apart(archive: Path, monkeypatch):
    monkeypatch.setattr(validated, "REBASE", (4, 10**6))  # two apart and their two stale models: not more
    folder = cachefile.folder(archive)
    kept(archive)
    first = sorted(folder.glob("records-*.pickle"))
    assert len(first) == 1
    stamp = first[0].stat().st_mtime_ns
    orders = sorted(archive.glob("records/orders/*/*/order.yaml"))
    for number, order in enumerate(orders[:2], 1):  # two kept apart: the base stays
        order.write_bytes(order.read_bytes().replace(b"project_name: ", f"project_name: Edit {number} ".encode(), 1))
        assert kept(archive) == fresh(archive)
        assert sorted(folder.glob("records-*.pickle")) == first and first[0].stat().st_mtime_ns == stamp
    _, index = cachefile.read(folder / validated.INDEX, validated._VERSION, "")
    assert sum(type(where) is bytes for _, where in index.values()) == 2
    orders[2].write_bytes(orders[2].read_bytes().replace(b"project_name: ", b"project_name: Edit 3 ", 1))
    assert kept(archive) == fresh(archive)  # three: a new base, the old one gone
    now = sorted(folder.glob("records-*.pickle"))
    assert len(now) == 1 and now != first
    _, index = cachefile.read(folder / validated.INDEX, validated._VERSION, "")
    assert all(type(where) is int for _, where in index.values())
    assert kept(archive) == fresh(archive)


def test_a_record_removed_leaves_the_cache(archive: Path):
    kept(archive)
    (archive / ORDER_3).unlink()
    assert kept(archive) == fresh(archive)
    _, index = cachefile.read(cachefile.folder(archive) / validated.INDEX, validated._VERSION, "")
    assert ORDER_3 not in index
