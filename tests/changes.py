"""Changes to a demo archive, one of each kind a page or a check can read, each made in place on the archive at
``root``: written for the small demo (``conftest.small_demo``, which ``gitrepo.make_repo`` commits), they change the
same kinds of record in the built demo of ``sitebuild``. The pages' digests are checked against each alone
(``site/test_planned``), the incremental build and check against ones from nothing after runs of them
(``site/test_reuse``, ``test_pipeline``)."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

from editing import dossier, edit
from gitrepo import direct, merge, on_branch


def _record(order_id: str, rel: str, change: Callable[[dict], object]) -> Callable[[Path], None]:
    return lambda root: edit(root, f"{dossier(order_id)}/{rel}", change)


def _order(order_id: str, change: Callable[[dict], object]) -> Callable[[Path], None]:
    return _record(order_id, "order.yaml", change)


def _set(path: list, value) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        *way, last = path
        for key in way:
            data = data[key]
        data[last] = value

    return change


def _added(root: Path) -> None:
    source, target = root / dossier("ORD-2026-0008"), root / dossier("ORD-2026-0009")
    shutil.copytree(source, target)
    for path in target.rglob("*.yaml"):
        path.write_text(path.read_text(encoding="utf-8").replace("2026-0008", "2026-0009"), encoding="utf-8")


def _copy_loan(root: Path) -> None:
    """One more record, and nothing else the home page shows: its count of records."""
    _copied(root / "records/archive/borrowing/BR-2026-0001.yaml", "BR-2026-0005")


def _copied(source: Path, new_id: str) -> None:
    """A copy of the record ``source`` beside it, as the record ``new_id``."""
    old_id = source.name.removesuffix(".yaml")
    source.with_name(f"{new_id}.yaml").write_text(source.read_text(encoding="utf-8").replace(old_id, new_id), encoding="utf-8")


def _loan_waiting(loan: dict) -> None:
    for key in ("approved_by", "approved_on", "borrowed_on", "due_on", "returned_on"):
        loan.pop(key, None)


def _invoice_numbered(number: str) -> Callable[[dict], None]:
    """The settlement's first invoice, and the payments of it, numbered ``number``: taken from a later order,
    whose settlement, its file as it was, is then the one the duplicate is found on."""

    def change(settlement: dict) -> None:
        was = settlement["invoices"][0]["number"]
        settlement["invoices"][0]["number"] = number
        for payment in settlement["payments"]:
            if payment.get("invoice") == was:
                payment["invoice"] = number

    return change


def _renamed(person_id: str) -> Callable[[dict], None]:
    def change(organization: dict) -> None:
        person = next(p for p in organization["people"] if p["id"] == person_id)
        person.update(name=person["name"] + "（改）", name_en=(person.get("name_en") or "") + " Renamed")

    return change


def _attached(order_id: str, name: str) -> Callable[[Path], None]:
    """A file added to the order's attachments folder, and named in its order.yaml."""

    def change(root: Path) -> None:
        (root / dossier(order_id) / "attachments" / name).write_bytes(b"%PDF-1.4 " + name.encode())
        edit(root, f"{dossier(order_id)}/order.yaml", lambda o: o["attachments"].append({"file": name, "title": "計劃 A plan", "type": "other"}))

    return change


def _change_requests(root: Path) -> list[Path]:
    """The archive's change request forms (each demo has some, not the same)."""
    return sorted(root.glob("records/orders/*/*/changes/CR-*.yaml"))


def _another(source: Path) -> None:
    """One more change request in the dossier of ``source``: its copy under the dossier's next free number."""
    prefix = source.name.removesuffix(".yaml")[:-2]
    number = 1
    while source.with_name(f"{prefix}{number:02d}.yaml").exists():
        number += 1
    _copied(source, f"{prefix}{number:02d}")


def _moved(person_id: str, department: str) -> Callable[[dict], None]:
    return lambda organization: next(p for p in organization["people"] if p["id"] == person_id).update(department=department)


def _not_approving(person_id: str) -> Callable[[dict], None]:
    def change(organization: dict) -> None:
        person = next(p for p in organization["people"] if p["id"] == person_id)
        person["roles"] = [role for role in person.get("roles", []) if role != "approver"]

    return change


CHANGES: dict[str, Callable[[Path], None]] = {
    "a milestone overdue": _order("ORD-2026-0005", lambda o: o["work_plan"]["milestones"][0].update(due="2026-11-01")),
    "an order delivered": _order("ORD-2026-0006", _set(["status"], "delivered")),
    "a payment lower": _record("ORD-2025-0001", "settlement.yaml", lambda s: s["payments"][0].update(amount="500000")),
    "a loan awaiting approval": lambda root: edit(root, "records/archive/borrowing/BR-2026-0001.yaml", _loan_waiting),
    "a borrower renamed": lambda root: edit(root, "records/organization.yaml", _renamed("chang.chiahao")),  # BR-2026-0004 awaits approval
    "a sales representative renamed": lambda root: edit(root, "records/organization.yaml", _renamed("lin.yating")),
    "the company renamed": lambda root: edit(root, "records/organization.yaml", lambda o: o.update(name_zh="新公司", name_en="New Co.")),
    "quality records kept a year": lambda root: edit(root, "records/policy.yaml", lambda p: p["retention_years"].update(quality_record=1)),
    "an order broken": _order("ORD-2026-0007", _set(["intake", "budget"], "not a number")),
    "an order received earlier": _order("ORD-2025-0002", _set(["intake", "received_on"], "2024-12-30")),
    "an order received a quarter earlier": _order("ORD-2026-0002", _set(["intake", "received_on"], "2026-03-30")),
    "a quality check in a quiet month": _record("ORD-2026-0003", "quality/QC-2026-0003-01.yaml", _set(["inspected_on"], "2026-10-06")),
    "a payment received a month later": _record("ORD-2025-0001", "settlement.yaml", lambda s: s["payments"][0].update(received_on="2026-02-10")),
    "an order added": _added,
    "a returned loan added": _copy_loan,
    "a project renamed": _order("ORD-2026-0003", _set(["intake", "project_name"], "改名的專案 A renamed project")),
    "a service described again": _order("ORD-2026-0003", _set(["intake", "service_content"], "另一種說法 Said another way")),
    "an invoice number taken again": _record("ORD-2025-0001", "settlement.yaml", _invoice_numbered("HK26000005")),
    "a client named as a later one reads": _order("ORD-2025-0001", lambda o: o["intake"]["client"].update(name="Pacific Rim Trading Ltd")),
    "an attachment removed": lambda root: (root / dossier("ORD-2025-0002") / "attachments" / "contract.pdf").unlink(),
    "an attachment added": _attached("ORD-2026-0005", "plan.pdf"),
    "a change request added": lambda root: _another(min(_change_requests(root))),
    "a change request deleted": lambda root: max(_change_requests(root)).unlink(),
    "an assessor moved to quality": lambda root: edit(root, "records/organization.yaml", _moved("lee.chiawei", "quality")),
}

BEHIND = {"a head no longer an approver": lambda root: edit(root, "records/organization.yaml", _not_approving("lin.yating"))}
"""Changes no page shows of the archive as it is, only its history's verdict on what is committed after them: the
runs (``drawn_run``) draw them too."""


WHEN = "2026-11-19T10:00:00+08:00"


def drawn_run(root: Path, seed: int, count: int, today: date) -> Iterator[tuple[date, list[str]]]:
    """``count`` of the changes committed one after another to the git archive at ``root``, as ``seed`` draws them:
    each merged from a branch (approved), committed straight to the main line, or merged with the next one; the day
    moved on now and then. Yields the day and the run so far (to tell on failure) wherever a build or a check is
    due: after every change but one merged with the next."""
    draw, run = random.Random(seed), []
    changes = CHANGES | BEHIND
    for step, name in enumerate(draw.sample(sorted(changes), count)):
        way = draw.choice(["merged", "merged", "direct", "with the next"])
        if way == "direct":
            direct(root, "chang.chiahao", WHEN, f"step {step}: {name}", changes[name])
        else:
            on_branch(root, f"step/{step}", "chang.chiahao", WHEN, name, changes[name])
            merge(root, f"step/{step}", ["lin.yating"], WHEN)
        run.append(f"{name} ({way})")
        if way == "with the next":
            continue
        if draw.random() < 0.3:
            today += timedelta(days=draw.choice([1, 40]))
            run.append(f"then {today}")
        yield today, run
