"""A page's inputs digest (``Planned``) covers everything the page reads: after each kind of change to an archive,
every page whose digest is the one it had renders the Markdown it had. A digest that missed something would leave
an old page on the site after a merge, and only this comparison (or a reader) would notice."""

from __future__ import annotations

import marshal
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from changes import CHANGES
from editing import TODAY, dossier, edit

from generator.pipeline import check_archive
from generator.site.render import Planned, Renderer
from generator.site.render.dossier import changed_orders
from generator.site.render.indexes import changed_lists, list_of
from generator.site.render.pages import dossier_page

LANGUAGES = ("zh-Hant", "en")

GATHERED = ("index.md", "orders/open.md", "archive/index.md", "archive/retention.md", "archive/borrowing.md", "compliance.md", "reports.md")
"""Pages that read the whole archive: each must change under one of the changes below, so the test reaches it."""


def rendered(root: Path, today=TODAY, rules: bool = True) -> dict[tuple[str, str], tuple[str | None, str]]:
    """``(language, path) → (inputs digest or None, Markdown)`` for every page of both editions. Without the
    archive-wide ``rules``, a change shows on the pages without the findings it would bring, which change the
    same digests: each part of a digest has to hold on its own."""
    checked = check_archive(root, today, rules=rules)
    out = {}
    for language in LANGUAGES:
        for path, render in Renderer(checked, language).plan():
            out[(language, path)] = (render.inputs() if isinstance(render, Planned) else None, render())
    return out


def _still_invoicing(settlement: dict) -> None:
    """An order paid in part: the open work lists what is left to pay."""
    settlement.update(status="invoicing", payments=settlement["payments"][:1])
    settlement.pop("settled_on")


@pytest.fixture(scope="module", params=[True, False], ids=["rules", "no rules"])
def before(tmp_path_factory, small_demo, request) -> tuple[Path, dict, bool]:
    root = tmp_path_factory.mktemp("planned")
    for rel, content in small_demo.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content)
    edit(root, f"{dossier('ORD-2025-0001')}/settlement.yaml", _still_invoicing)
    return root, rendered(root, rules=request.param), request.param


def stale(old: dict, new: dict) -> list[tuple[str, str]]:
    """Pages whose digest stayed while their Markdown changed."""
    return [key for key in old.keys() & new.keys() if old[key][0] is not None and old[key][0] == new[key][0] and old[key][1] != new[key][1]]


def changed(old: dict, new: dict) -> set[str]:
    return {path for (_, path) in old.keys() & new.keys() if old[(_, path)][1] != new[(_, path)][1]}


@pytest.mark.parametrize("name", CHANGES)
def test_a_page_whose_digest_stayed_renders_as_it_did(before, tmp_path, name):
    root, old, rules = before
    shutil.copytree(root, tmp_path / "archive")
    CHANGES[name](tmp_path / "archive")
    new = rendered(tmp_path / "archive", rules=rules)
    assert changed(old, new), "the change shows somewhere"
    assert stale(old, new) == []


def basis(root: Path, rules: bool, today=TODAY) -> dict:
    """The basis of the dossiers and the lists as the next build reads it, kept (marshal)."""
    return marshal.loads(marshal.dumps(Renderer(check_archive(root, today, rules=rules), "en").basis(), 2))


def unchanged_by_basis(before: dict, now: dict, pages) -> set[str] | None:
    """The pages whose inputs digest a build takes from the page it kept, unasked."""
    orders = changed_orders(before["dossiers"], now["dossiers"])
    if orders is None:
        return None
    lists = changed_lists(before["lists"], now["lists"], orders)
    dossiers = {path for path in pages if path.startswith("dossiers/") and path.removeprefix("dossiers/").removesuffix(".md") not in orders}
    return dossiers | ({path for path in pages if (named := list_of(path)) is not None and named not in lists} if lists is not None else set())


@pytest.mark.parametrize("name", CHANGES)
def test_a_page_its_basis_finds_unchanged_renders_as_it_did(before, tmp_path, name):
    """A build takes the inputs digest of every dossier whose order ``changed_orders`` leaves out, and of every
    list ``changed_lists`` leaves out, from the page it kept: each source they read must name what it changes.
    The invoice number moves a finding to a settlement whose file stayed as it was; the attachment removed is
    no record at all; a project renamed changes a row of six lists; a client named as a later client reads takes
    that client's address, which the later client's rows show on lists its own order.yaml never left."""
    root, old, rules = before
    shutil.copytree(root, tmp_path / "archive")
    CHANGES[name](tmp_path / "archive")
    new = rendered(tmp_path / "archive", rules=rules)
    unchanged = unchanged_by_basis(basis(root, rules), basis(tmp_path / "archive", rules), {path for _, path in new})
    if unchanged is not None:
        assert changed(old, new) & unchanged == set()
    if name == "a project renamed":
        assert unchanged is not None and {p for p in unchanged if p.startswith("orders/")}, "the lists without the order are found unchanged"


@pytest.mark.parametrize("name", CHANGES)
def test_rows_taken_from_the_last_build_give_every_page_the_digest_worked_out_afresh(before, tmp_path, name):
    """A build takes each order's row digest and month from the last build (``take_rows``) where its order.yaml
    and the clients' addresses are the same: every page's inputs digest is then the one worked out afresh."""
    root, _, rules = before
    last = Renderer(check_archive(root, TODAY, rules=rules), "en")
    for _, render in last.plan():
        if isinstance(render, Planned):
            render.inputs()
    kept = marshal.loads(marshal.dumps(last.kept_rows(), 2))
    assert len(kept) == len(last.orders), "every order's row and month, once every page was asked"
    shutil.copytree(root, tmp_path / "archive")
    CHANGES[name](tmp_path / "archive")
    afresh = Renderer(check_archive(tmp_path / "archive", TODAY, rules=rules), "en")
    taking = Renderer(check_archive(tmp_path / "archive", TODAY, rules=rules), "en")
    orders = changed_orders(last.basis()["dossiers"], taking.basis()["dossiers"])
    if orders is not None and changed_lists(last.basis()["lists"], taking.basis()["lists"], orders) is not None:
        taking.take_rows(kept)
    digests = [{path: render.inputs() for path, render in renderer.plan() if isinstance(render, Planned)} for renderer in (afresh, taking)]
    assert digests[0] == digests[1]


def test_every_list_page_is_named_by_its_list(before):
    """``list_of`` reads a list's page, its years' page and each year's list back to the list they show, and
    names no other page."""
    root, _, rules = before
    renderer = Renderer(check_archive(root, TODAY, rules=rules), "en", list_rows=2)
    members = renderer.basis()["lists"]["members"]
    named = {path: list_of(path) for path, _ in renderer.plan()}
    assert {path for path, name in named.items() if name is not None} == {path for path in named if path.count("/") > 1 and path.startswith("orders/")}
    for path, name in named.items():
        if name in members:
            assert path == f"orders/{name[0]}/{name[1]}.md" or path.startswith(f"orders/{name[0]}/{name[1]}/")
    assert any(path.count("/") == 3 for path, name in named.items() if name in members), "a list split by year is reached"


def test_a_basis_kept_names_no_order_when_nothing_changed_and_every_one_on_another_day(before):
    root, _, rules = before
    assert changed_orders(basis(root, rules)["dossiers"], basis(root, rules)["dossiers"]) == set()
    assert changed_lists(basis(root, rules)["lists"], basis(root, rules)["lists"], set()) == set()
    assert changed_orders(basis(root, rules)["dossiers"], basis(root, rules, TODAY + timedelta(days=1))["dossiers"]) is None
    assert changed_orders(None, basis(root, rules)["dossiers"]) is None
    edited = basis(root, rules)["dossiers"]
    edited["uncommitted"] = {f"{dossier('ORD-2026-0003')}/order.yaml": "modified"}
    assert changed_orders(basis(root, rules)["dossiers"], edited) is None, "the work tree's own edits: every dossier asked"


def test_a_later_day_is_read_by_every_page_it_changes(before):
    root, old, rules = before
    new = rendered(root, TODAY + timedelta(days=400), rules)
    assert changed(old, new) & {"index.md", "archive/retention.md", "orders/open.md"}
    assert stale(old, new) == []


def test_every_page_that_reads_the_whole_archive_is_reached(before, tmp_path):
    """Each of ``GATHERED`` changes under one of the changes (so a digest that missed what it shows would fail above)."""
    root, old, rules = before
    reached: set[str] = set()
    for name, change in CHANGES.items():
        copy = tmp_path / name.replace(" ", "-")
        shutil.copytree(root, copy)
        change(copy)
        reached |= changed(old, rendered(copy, rules=rules))
    assert set(GATHERED) - reached == set()


def test_a_change_inside_one_dossier_leaves_the_whole_archive_pages_alone(before, tmp_path):
    """What the digests are for: a merge that changes only what a dossier shows renders none of them again."""
    root, old, rules = before
    shutil.copytree(root, tmp_path / "archive")
    CHANGES["a service described again"](tmp_path / "archive")
    new = rendered(tmp_path / "archive", rules=rules)
    differ = {path for key, (digest, _) in new.items() if old[key][0] != digest for path in [key[1]]}
    assert differ == {dossier_page("ORD-2026-0003")}


def test_every_page_but_a_broken_dossier_has_a_digest(before):
    _, old, _ = before
    assert sorted({path for (_, path), (digest, _) in old.items() if digest is None}) == []
