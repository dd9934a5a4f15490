"""A dossier made again alone after a save (``live.LiveArchive``) is the page a whole build makes of the same
files, byte for byte, in both languages — whatever the save did: a value edited, a file made invalid, a record
added or deleted, a finding appearing. And what one dossier cannot absorb asks for a build."""

from __future__ import annotations

from pathlib import Path

import pytest
from editing import dossier, edit, read, write
from sitebuild import TODAY, built_demo, copy_built

from generator.site.live import LiveArchive, NeedsBuild
from generator.site.plugin import build_site

ORDER = "ORD-2026-0005"
HERE = dossier(ORDER)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return built_demo(tmp_path_factory.mktemp("live"))


@pytest.fixture
def live(built: Path, tmp_path: Path) -> LiveArchive:
    root = copy_built(built, tmp_path)
    result = build_site(root, today=TODAY, keep_editions=True)
    return LiveArchive(root, TODAY, result.editions)


def _pages(site: Path, order_id: str) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob(f"{order_id}.html"))}


def _as_a_build_makes_it(live: LiveArchive, tmp_path: Path, order_id: str) -> dict[str, bytes]:
    fresh = tmp_path / "fresh"
    build_site(live.root, today=TODAY, site_dir=fresh)
    return _pages(fresh, order_id)


def _cr(data: dict) -> None:
    data["title"] = "Second round of changes"
    data["id"] = f"CR-{ORDER[4:]}-09"


SAVES = {
    "a value edited": lambda root: edit(root, f"{HERE}/order.yaml", lambda d: d["intake"].update(project_name="改名後的專案 Renamed project")),
    "order.yaml made invalid": lambda root: edit(root, f"{HERE}/order.yaml", lambda d: d["intake"].update(budget="a lot")),
    "a record deleted": lambda root: next((root / HERE / "quality").glob("QC-*.yaml")).unlink(),
    "a record added": lambda root: write(root, f"{HERE}/changes/CR-{ORDER[4:]}-09.yaml", (lambda d: (_cr(d), d)[1])(read(root, _first(root, "changes")))),
    "a finding appears": lambda root: edit(root, f"{HERE}/order.yaml", lambda d: d["intake"].update(received_on="2027-01-01")),
}


def _first(root: Path, folder: str) -> str:
    return str(next((root / HERE / folder).glob("*.yaml")).relative_to(root))


@pytest.mark.parametrize("save", SAVES, ids=list(SAVES))
def test_a_saved_dossier_is_the_page_a_build_makes(live: LiveArchive, tmp_path: Path, save: str):
    before = _pages(live.editions[0].folder, ORDER)
    files_before = {p.relative_to(live.root).as_posix() for p in (live.root / HERE).rglob("*.yaml")}
    SAVES[save](live.root)
    files_after = {p.relative_to(live.root).as_posix() for p in (live.root / HERE).rglob("*.yaml")}
    changed = {p for p in files_before ^ files_after} | {f"{HERE}/order.yaml"}
    saved = live.classify(changed)
    assert saved.build is None and set(saved.dossiers) == {ORDER}
    written = live.refresh(ORDER, saved.dossiers[ORDER])
    assert len(written) == 2  # both languages
    after = _pages(live.editions[0].folder, ORDER)
    assert after != before  # the save shows
    assert after == _as_a_build_makes_it(live, tmp_path, ORDER)


def test_the_page_says_what_is_not_committed(live: LiveArchive):
    edit(live.root, f"{HERE}/order.yaml", lambda d: d["intake"].update(project_name="Uncommitted name"))
    live.refresh(ORDER, {f"{HERE}/order.yaml"})
    page = (live.editions[0].folder / "dossiers" / f"{ORDER}.html").read_text()
    assert "尚未提交" in page and "Uncommitted name" in page


@pytest.mark.parametrize(
    "path, why",
    [
        ("records/organization.yaml", "read by other pages"),
        ("records/policy.yaml", "read by other pages"),
        ("records/archive/borrowing/BR-2026-0001.yaml", "read by other pages"),
        (f"{HERE}/attachments/note.pdf", "changed"),
        ("records/orders/2026/ORD-2026-0999/order.yaml", "has no page yet"),
        ("templates/dossier.md.j2", "changed"),
        ("mkdocs.yml", "changed"),
    ],
)
def test_what_one_dossier_cannot_absorb_asks_for_a_build(live: LiveArchive, path: str, why: str):
    saved = live.classify({path})
    assert saved.build is not None and why in saved.build and not saved.dossiers


def test_a_stray_file_waits_for_the_background_build(live: LiveArchive):
    saved = live.classify({f"{HERE}/notes.txt", f"{HERE}/.order.yaml.swp"})
    assert saved.build is None and not saved.dossiers and saved.others


def test_a_symlink_saved_in_a_dossier_asks_for_a_build(live: LiveArchive):
    target = live.root / HERE / "delivery.yaml"
    outside = live.root.parent / "elsewhere.yaml"
    outside.write_bytes(target.read_bytes())
    target.unlink()
    target.symlink_to(outside)
    with pytest.raises(NeedsBuild, match="not a regular file"):
        live.refresh(ORDER, {f"{HERE}/delivery.yaml"})


def test_an_order_yaml_deleted_asks_for_a_build(live: LiveArchive):
    (live.root / HERE / "order.yaml").unlink()
    with pytest.raises(NeedsBuild, match=r"no order\.yaml"):
        live.refresh(ORDER, {f"{HERE}/order.yaml"})
