"""The reports kept between builds: taken again only for the very records, day and periods they read."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest
from editing import edit
from sitebuild import TODAY

from generator.core import cachefile
from generator.pipeline import check_archive
from generator.reports import kept
from generator.reports.figures import Facts, activity_days
from generator.reports.period import periods_with
from generator.rules import changes, execution, quality
from generator.site.render.reports import _every_report, _reports_of


def _worked_out(root: Path, today=TODAY):
    """The catalog, its periods and every report worked out from nothing."""
    catalog = check_archive(root, today, history=False).catalog
    periods = periods_with(activity_days(catalog))
    return catalog, periods, _every_report(Facts.of(catalog), periods)


def _orders(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in (root / "records" / "orders").rglob("order.yaml"))


def _set(path: tuple[str, ...], value):
    def change(order: dict) -> None:
        held = order
        for name in path[:-1]:
            held = held[name]
        held[path[-1]] = value

    return change


UNREAD = [
    ("intake", "project_name"),
    ("intake", "service_content"),
    ("intake", "client", "contact"),
    ("intake", "client", "email"),
    ("intake", "client", "phone"),
]


def _unread_paths(tree: dict, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    return [p for name, below in tree.items() for p in (_unread_paths(below, (*prefix, name)) if isinstance(below, dict) else [(*prefix, name)])]


def test_every_field_left_out_of_the_key_is_listed_here():
    assert sorted(_unread_paths(kept.UNREAD)) == sorted(UNREAD)


def test_no_module_a_report_runs_names_a_field_left_out_of_the_key():
    """The test below sees the figures of a test archive; this one the code: a report that came to read a field
    ``UNREAD`` leaves out would show its old value after an edit of it alone."""
    modules = [p for p in Path(kept.__file__).parent.glob("*.py") if p.name != "kept.py"]
    modules += [Path(m.__file__) for m in (changes, execution, quality)]  # what the figures import from the rules
    names = {path[-1] for path in UNREAD}
    for module in modules:
        named = [name for name in names if re.search(rf"\.{name}\b", module.read_text(encoding="utf-8"))]
        assert named == [], f"{module.name} reads {named}"


@pytest.mark.parametrize("path", UNREAD, ids=".".join)
def test_a_field_left_out_of_the_key_changes_no_report(archive, path):
    """Each field ``UNREAD`` names, changed on every order of the archive: every report is the same, and so is the key."""
    catalog, periods, before = _worked_out(archive)
    key = kept.reports_key(catalog, periods, {})[0]
    value = "changed@example.com" if path[-1] == "email" else "+886 2 0000 0000" if path[-1] == "phone" else "改過 Changed"
    for order in _orders(archive):
        edit(archive, order, _set(path, value))
    catalog, periods, after = _worked_out(archive)
    assert after == before
    assert kept.reports_key(catalog, periods, {})[0] == key


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("intake", "budget"), "123456.00"),
        (("intake", "received_on"), "2026-01-05"),
        (("intake", "delivery_due"), "2027-12-31"),
        (("intake", "client", "name"), "另一家公司 Another Co."),
        (("intake", "service_type"), "marketing"),
        (("status",), "disputed"),
    ],
    ids=lambda x: ".".join(x) if isinstance(x, tuple) else str(x),
)
def test_any_other_field_of_an_order_changes_the_key(archive, path, value):
    catalog, periods, _ = _worked_out(archive)
    key = kept.reports_key(catalog, periods, {})[0]
    edit(archive, _orders(archive)[3], _set(path, value))
    catalog, periods, _ = _worked_out(archive)
    assert kept.reports_key(catalog, periods, {})[0] != key


def test_any_edit_of_another_record_the_day_or_a_record_that_failed_changes_the_key(archive):
    catalog, periods, _ = _worked_out(archive)
    keys = {kept.reports_key(catalog, periods, {})[0]}
    other = next(p for p in sorted((archive / "records").rglob("*.yaml")) if p.name != "order.yaml" and "orders" in p.parts)
    other.write_text(other.read_text(encoding="utf-8") + "\n# a comment: the file's bytes changed\n", encoding="utf-8")
    catalog, periods, _ = _worked_out(archive)
    keys.add(kept.reports_key(catalog, periods, {})[0])
    catalog, periods, _ = _worked_out(archive, TODAY.replace(day=21))
    keys.add(kept.reports_key(catalog, periods, {})[0])
    edit(archive, _orders(archive)[0], _set(("intake", "budget"), "not a sum"))
    catalog, periods, _ = _worked_out(archive)
    assert catalog.broken_dossiers
    keys.add(kept.reports_key(catalog, periods, {})[0])
    assert len(keys) == 4


def test_the_reports_are_the_last_builds_where_they_read_the_same_and_worked_out_again_otherwise(archive, monkeypatch):
    worked: list[int] = []
    every = _every_report

    def counted(facts, periods):
        worked.append(1)
        return every(facts, periods)

    monkeypatch.setattr("generator.site.render.reports._every_report", counted)
    catalog, periods, fresh = _worked_out(archive)
    assert _reports_of(catalog, periods) == fresh and len(worked) == 1
    assert _reports_of(catalog, periods) == fresh and len(worked) == 1  # kept
    order = _orders(archive)[2]
    edit(archive, order, _set(("intake", "project_name"), "新名稱 A new name"))
    catalog, periods, fresh = _worked_out(archive)
    assert _reports_of(catalog, periods) == fresh and len(worked) == 1  # a name no report reads: kept
    edit(archive, order, _set(("intake", "budget"), "987654.00"))
    catalog, periods, fresh = _worked_out(archive)
    assert _reports_of(catalog, periods) == fresh and len(worked) == 2  # a sum they count: worked out again
    assert _reports_of(catalog, periods) == fresh and len(worked) == 2


class _Planted:
    """What a forged cache would make an unpickler run."""

    def __reduce__(self):
        return (Path.touch, (self.mark,))


def test_a_forged_or_damaged_cache_is_never_taken_nor_run(archive, tmp_path, monkeypatch):
    catalog, periods, fresh = _worked_out(archive)
    folder = cachefile.folder(archive)
    key = kept.reports_key(catalog, periods, {})[0]
    planted = _Planted()
    planted.mark = tmp_path / "ran"
    cachefile.write(folder / kept.REPORTS, kept._VERSION, key, pickle.dumps(planted))
    assert _reports_of(catalog, periods) == fresh and not planted.mark.exists()
    cachefile.write(folder / kept.REPORTS, kept._VERSION, key, b"not a pickle")
    cachefile.write(folder / kept.ORDERS, kept._VERSION, "", {order: "not a digest" for order in _orders(archive)})
    assert _reports_of(catalog, periods) == fresh
    assert kept.reports_key(catalog, periods, cachefile.read(folder / kept.ORDERS, kept._VERSION, ""))[0] == key
