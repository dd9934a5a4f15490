"""A demo archive as a git repository with a realistic approval trail.

The records of ``demo._Writer`` are replayed as the company would have
written them: each step of an order (intake and reviews, delivery,
acceptance, settlement, archiving), each change request, inspection, loan
and disposal is a commit by the member of staff who wrote it, on a branch,
merged ``--no-ff`` into ``main`` by authorised reviewers with
``Approved-by:`` trailers, on the dates the records carry. Disposals delete
the records they destroy.

The repository is written with ``git fast-import`` (tens of thousands of
commits in seconds); the same seed gives the same commits, byte for byte.
"""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from generator.core.problems import UserError
from generator.demo.archive import _placeholder_pdf, _Writer
from generator.demo.company import COMPANY, DEPARTMENTS, OPS, PEOPLE, email, organization, policy
from generator.records.safeyaml import dump
from generator.site.sitecfg import site_files, site_names

TAIPEI = timezone(timedelta(hours=8))
NAMES = {pid: (en or zh) for pid, zh, en, *_ in PEOPLE}
APPROVERS = {dept: [pid for pid, _, _, d, roles in PEOPLE if d == dept and ("approver" in roles or "head" in roles)] for dept, *_ in DEPARTMENTS}
HEADS = {dept: head for dept, _, _, head, _ in DEPARTMENTS}
REPO_GITIGNORE = b"# build output and local state of order-archive (.site.*: a site being built or replaced)\nsite/\n.site.*/\n.cache/\n.order-archive/\n"


@dataclass
class Event:
    """One reviewed change: a branch commit by ``author`` merged by the ``approvers``."""

    day: date
    author: str
    approvers: list[str]
    branch: str
    message: str
    files: dict[str, bytes | None] = field(default_factory=dict)  # None: delete
    others: list[tuple[str, dict[str, bytes | None]]] = field(default_factory=list)
    """Further commits on the branch by other people (an inspector's quality record on a delivery branch)."""


def _pick(department: str, not_: set[str], heads_only: bool = False) -> str:
    choices = [HEADS[department]] if heads_only else APPROVERS[department]
    return next(p for p in choices if p not in not_)


def _approvers(author: str, *departments: str) -> list[str]:
    chosen: list[str] = []
    for department in departments:
        person = _pick(department, {author})
        if person not in chosen:
            chosen.append(person)
    return chosen


def _d(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _yaml(data: dict[str, Any]) -> bytes:
    return dump(data).encode()


def order_stages(order: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The versions of an order as it moved through its life: (stage, record at that stage)."""
    final = order["status"]
    first = copy.deepcopy(order)
    for key in ("archived_on", "cancellation"):
        first.pop(key, None)
    started = "operations_review" in order
    if started:
        first["status"] = "in_progress"
        first["tracking"] = []
        for task in first["work_plan"]["tasks"]:
            task["status"] = "not_started"
        for milestone in first["work_plan"]["milestones"]:
            milestone.pop("done_on", None)
        first["attachments"] = order["attachments"][:1]
    else:
        first["status"] = "received"
    stages = [(first["status"], first)]
    if started:  # confirmed and forwarded first; the reviews and the work plan follow on their own branch (§2.3–§2.5)
        received = {k: copy.deepcopy(v) for k, v in first.items() if k not in ("operations_review", "finance_review", "work_plan", "tracking")}
        received["status"] = "received"
        stages.insert(0, ("received", received))
    path = {
        "delivered": ["delivered"],
        "accepted": ["delivered", "accepted"],
        "settled": ["delivered", "accepted", "settled"],
        "archived": ["delivered", "accepted", "settled", "archived"],
        "disputed": ["delivered", "disputed"],
        "cancelled": ["cancelled"],
    }.get(final, [])
    if final == "in_progress" and started and order != stages[-1][1]:
        path = ["progress"]  # work under way: the tasks and tracking as they stand today (§3.3)
    for stage in path:
        version = copy.deepcopy(order)
        version["status"] = "in_progress" if stage == "progress" else stage
        if stage not in ("settled", "archived"):  # the settlement statement is filed when the order is settled
            version["attachments"] = [a for a in version["attachments"] if a.get("type") != "settlement"]
        if stage != "archived":
            version.pop("archived_on", None)
        stages.append((stage, version))
    return stages


_CHANGE_FIELDS = {  # what a change request holds once it reached each state
    "requested": (),
    "assessed": ("assessment",),
    "approved": ("assessment", "approvals", "major_review"),
    "rejected": ("assessment", "approvals", "major_review"),
    "implemented": ("assessment", "approvals", "major_review", "implementation"),
    "verified": ("assessment", "approvals", "major_review", "implementation", "verification"),
}


def _staged(
    record: dict[str, Any], status_type: type, later: tuple[str, ...], keeps: dict[str, tuple[str, ...]], on: Callable[[str], date]
) -> list[tuple[str, date, dict[str, Any]]]:
    """The versions of a record as it moved from its kind's first state to the one it is in, each holding of the
    ``later`` fields only those its state ``keeps``, each on the day it got there (``on``; never before the last)."""
    from generator.trail.approvals import states_on_the_way

    first = next(iter(status_type)).value
    out = []
    day = on(first)
    for stage in (first, *states_on_the_way(status_type, record["status"])):
        version = {k: copy.deepcopy(v) for k, v in record.items() if k not in later or k in keeps[stage]}
        version["status"] = stage
        day = max(day, on(stage))
        out.append((stage, day, version))
    return out


def change_stages(cr: dict[str, Any]) -> list[tuple[str, date, dict[str, Any]]]:
    """The versions of a change request as it moved through its states, each on the day it got there (§7.1–§7.4)."""
    from schemas import ChangeStatus

    def on(stage: str) -> date:
        dates = {
            "requested": [cr["requested_on"]],
            "assessed": [cr.get("assessment", {}).get("on")],
            "approved": [a["on"] for a in cr.get("approvals", [])] + [cr.get("major_review", {}).get("on")],
            "implemented": [cr.get("implementation", {}).get("completed_on")],
            "verified": [cr.get("verification", {}).get("on")],
        }
        dates["rejected"] = dates["approved"]
        return max((_d(d) for d in dates[stage] if d), default=_d(cr["requested_on"]))

    return _staged(cr, ChangeStatus, _CHANGE_FIELDS["verified"], _CHANGE_FIELDS, on)


def settlement_stages(stl: dict[str, Any]) -> list[tuple[str, date, dict[str, Any]]]:
    """The versions of a settlement as finance moved it along (§6.1–§6.5): drafted, confirmed by the client,
    invoiced and paid, then settled (or disputed), each on the day it got there."""
    from schemas import SettlementStatus

    plan = stl["plan"]
    invoiced = [_d(i["issued_on"]) for i in stl.get("invoices", [])] + [_d(p["received_on"]) for p in stl.get("payments", [])]
    days = {
        "draft": _d(plan["drafted_on"]),
        "confirmed": _d(plan.get("client_confirmed_on") or plan["drafted_on"]),
        "invoicing": max(invoiced, default=_d(plan.get("client_confirmed_on") or plan["drafted_on"])),
        "disputed": max((_d(d["raised_on"]) for d in stl.get("disputes", []) if d.get("raised_on")), default=_d(plan["drafted_on"])),
        "settled": _d(stl.get("settled_on") or plan["drafted_on"]),
    }
    later = ("invoices", "payments", "write_off", "disputes", "settled_on", "notified")
    keeps = {"draft": (), "confirmed": (), "invoicing": ("invoices", "payments"), "disputed": ("invoices", "payments", "disputes"), "settled": later}
    out = _staged(stl, SettlementStatus, later, keeps, days.__getitem__)
    out[0][2]["plan"] = {k: v for k, v in plan.items() if k not in ("client_confirmed_on", "client_confirmed_by")}  # not yet confirmed
    return out


def quality_stages(qc: dict[str, Any]) -> list[tuple[str, date, dict[str, Any]]]:
    """The versions of a quality record: an inspection that passed is written once; one that found defects is
    open, then rectifying, then closed (§4.3–§4.4). The last version is the record as it stands."""
    rectification = qc.get("rectification")
    if not rectification or qc["status"] == "open":
        return [(qc["status"], _d(qc.get("closed_on") or qc["inspected_on"]), qc)]
    inspected = _d(qc["inspected_on"])
    found = {k: copy.deepcopy(v) for k, v in qc.items() if k not in ("rectification", "complaints", "satisfaction", "closed_on")}
    found["status"] = "open"
    out = [("open", inspected, found)]
    if qc["status"] == "closed":
        working = {**copy.deepcopy(found), "status": "rectifying"}
        working["rectification"] = {k: v for k, v in rectification.items() if k not in ("completed_on", "verified_by")}
        out.append(("rectifying", max(inspected, _d(rectification.get("client_notified_on") or inspected)), working))
    out.append((qc["status"], _d(qc.get("closed_on") or inspected), qc))
    return out


def _settlement_events(order_id: str, path: str, stages: list[tuple[str, date, dict[str, Any]]]) -> list[Event]:
    """One reviewed merge per state of a settlement, written by the finance person who drafted it."""
    out = []
    for step, day, version in stages:
        author = version["plan"]["drafted_by"]
        out.append(
            Event(day, author, _approvers(author, "finance"), f"settlement/{order_id}-{step}", f"{order_id}: settlement {step} 結算", {path: _yaml(version)})
        )
    return out


def plan_events(writer: _Writer) -> tuple[list[Event], Event]:
    """Every reviewed change of the archive, oldest first, and the set-up commit before them."""
    files = {**writer.files, **writer.destroyed}
    pdfs = {path: _placeholder_pdf(title) for path, title in {**writer.attachments, **writer.destroyed_attachments}.items()}
    pdfs_by_order: dict[str, list[str]] = {}
    for path in pdfs:
        pdfs_by_order.setdefault(path.split("/")[3], []).append(path)
    events: list[Event] = []
    dossiers: dict[str, dict[str, Any]] = {}
    for path, data in files.items():
        if path.startswith("records/orders/"):
            dossiers.setdefault(path.split("/")[3], {}).setdefault(data["kind"], []).append((path, data))
    archived_by_month: dict[tuple[int, int], Event] = {}
    for order_id, records in sorted(dossiers.items()):
        first_of_order = len(events)
        [(order_path, order)] = records["order"]
        sales = order["intake"]["sales_rep"]
        delivery = dict(records.get("delivery", [(None, None)]))
        (delivery_path, delivery_data) = next(iter(delivery.items())) if delivery else (None, None)
        settlement = records.get("settlement", [(None, None)])[0]
        mine = pdfs_by_order.get(order_id, [])
        contract = {p: pdfs[p] for p in mine if "/attachments/contract" in p}
        report = {p: pdfs[p] for p in mine if "/attachments/delivery" in p}
        for qc_path, qc in records.get("quality_record", []):  # found defects first, rectified later (§4.4)
            for step, step_day, step_version in quality_stages(qc)[:-1]:
                author = qc["inspector"]
                events.append(
                    Event(
                        step_day,
                        author,
                        _approvers(author, "quality"),
                        f"quality/{qc['id']}-{step}",
                        f"{qc['id']}: {step} 品質檢驗",
                        {qc_path: _yaml(step_version)},
                    )
                )
        for stage, version in order_stages(order):
            if stage == "received":
                day = _d(order["forwarding"]["operations_on"] if "forwarding" in order else order["intake"]["confirmed_on"])
                event = Event(day, sales, _approvers(sales, "sales"), f"order/{order_id}", f"{order_id}: intake 接單", {order_path: _yaml(version), **contract})
            elif stage == "in_progress":
                day = max(_d(order["operations_review"]["reviewed_on"]), _d(order["finance_review"]["reviewed_on"]))
                reviewer = order["operations_review"]["reviewer"]
                author = reviewer if reviewer in OPS else OPS[-1]
                event = Event(
                    day,
                    author,
                    _approvers(author, "sales", "operations", "finance"),
                    f"review/{order_id}",
                    f"{order_id}: reviews and work plan 審核與工作計劃",
                    {order_path: _yaml(version)},
                )
            elif stage == "progress":
                dates = [t["on"] for t in order.get("tracking", [])] + [m.get("done_on") for m in order["work_plan"]["milestones"]]
                day = max([_d(d) for d in dates if d] + [events[-1].day])
                owners = [t["owner"] for t in order["work_plan"]["tasks"] if t["owner"] in OPS]
                author = owners[0] if owners else OPS[-1]
                event = Event(day, author, _approvers(author, "sales"), f"progress/{order_id}", f"{order_id}: progress 執行追蹤", {order_path: _yaml(version)})
            elif stage == "delivered":
                author = delivery_data["delivered_by"]
                pending = copy.deepcopy(delivery_data)
                pending.get("acceptance", {}).update(result="pending")
                for key in ("accepted_on", "accepted_by"):
                    pending.get("acceptance", {}).pop(key, None)
                pending.pop("objections", None)
                pending.pop("dispute", None)
                event = Event(
                    _d(delivery_data["delivered_on"]),
                    author,
                    _approvers(author, "operations", "sales"),
                    f"delivery/{order_id}",
                    f"{order_id}: delivered 已交付",
                    {order_path: _yaml(version), delivery_path: _yaml(pending), **report},
                )
                inspectors: set[str] = set()
                for qc_path, qc in records.get("quality_record", []):
                    free = [p for p in APPROVERS["quality"] if p not in inspectors | {qc["inspector"]}]
                    if _d(qc.get("closed_on") or qc["inspected_on"]) <= event.day and free:  # else merged on its own
                        inspectors.add(qc["inspector"])
                        event.others.append((qc["inspector"], {qc_path: _yaml(qc)}))  # the inspector writes it (editors: quality)
                quality = [p for p in APPROVERS["quality"] if p not in inspectors]
                if inspectors:
                    event.approvers.append(quality[0])
            elif stage == "accepted":
                day = _d(delivery_data["acceptance"]["accepted_on"])
                event = Event(
                    day,
                    sales,
                    _approvers(sales, "sales", "operations"),
                    f"acceptance/{order_id}",
                    f"{order_id}: accepted by the client 已驗收",
                    {order_path: _yaml(version), delivery_path: _yaml(delivery_data)},
                )
            elif stage == "settled":
                stl_path, stl = settlement
                author = stl["plan"]["drafted_by"]
                events += _settlement_events(order_id, stl_path, settlement_stages(stl)[:-1])  # the last one settles beside the order
                event = Event(
                    _d(stl["settled_on"]),
                    author,
                    _approvers(author, "finance", "sales"),
                    f"settlement/{order_id}",
                    f"{order_id}: settled 已結算",
                    {order_path: _yaml(version), stl_path: _yaml(stl), **{p: pdfs[p] for p in mine if "/attachments/settlement" in p}},
                )
            elif stage == "archived":
                day = _d(order["archived_on"])
                event = archived_by_month.get((day.year, day.month))
                if event is None:
                    event = archived_by_month[(day.year, day.month)] = Event(
                        day, "tseng.yawen", _approvers("tseng.yawen", "sales"), f"archive/{day:%Y-%m}", f"Archive the dossiers closed in {day:%Y-%m} 歸檔"
                    )
                event.day = max(event.day, day)
                event.files[order_path] = _yaml(version)
                continue
            elif stage == "disputed":
                day = _d(delivery_data["dispute"]["opened_on"])
                event = Event(
                    day,
                    sales,
                    _approvers(sales, "sales", "operations"),
                    f"dispute/{order_id}",
                    f"{order_id}: client dispute 爭議處理",
                    {order_path: _yaml(version), delivery_path: _yaml(delivery_data)},
                )
            else:  # cancelled
                day = _d(order["cancellation"]["on"])
                event = Event(day, sales, _approvers(sales, "sales"), f"order/{order_id}-cancel", f"{order_id}: cancelled 已取消", {order_path: _yaml(version)})
            events.append(event)
        in_events = {p for e in events[first_of_order:] for _, files in e.others for p in files}  # final versions on delivery branches
        for qc_path, qc in records.get("quality_record", []):
            if qc_path not in in_events:
                author = qc["inspector"]
                day = _d(qc.get("closed_on") or qc["inspected_on"])
                events.append(
                    Event(day, author, _approvers(author, "quality"), f"quality/{qc['id']}", f"{qc['id']}: inspection 品質檢驗", {qc_path: _yaml(qc)})
                )
        for cr_path, cr in records.get("change_request", []):
            author = cr["recorded_by"]
            for stage, day, version in change_stages(cr):
                events.append(
                    Event(
                        day,
                        author,
                        _approvers(author, "operations", "finance"),
                        f"change/{cr['id']}-{stage}",
                        f"{cr['id']}: {stage} · {cr['title']}",
                        {cr_path: _yaml(version)},
                    )
                )
        if settlement[0] and order["status"] not in ("settled", "archived"):
            stl_path, stl = settlement
            events += _settlement_events(order_id, stl_path, settlement_stages(stl))
    events.extend(archived_by_month.values())
    for path, loan in files.items():
        if loan["kind"] == "loan":
            day = max(_d(d) for d in (loan["requested_on"], loan.get("approved_on"), loan.get("borrowed_on"), loan.get("returned_on")) if d)
            head = HEADS[loan["department"]]
            events.append(Event(day, loan["borrower"], [head], f"loan/{loan['id']}", f"{loan['id']}: borrowing register 檔案借閱", {path: _yaml(loan)}))
    for path, disposal in files.items():
        if disposal["kind"] == "disposal":
            day = _d(disposal.get("destroyed_on") or disposal["proposed_on"])
            event = Event(
                day,
                disposal["proposed_by"],
                [HEADS["admin"], HEADS["management"]],
                f"disposal/{disposal['id']}",
                f"{disposal['id']}: approved destruction 銷毀",
                {path: _yaml(disposal)},
            )
            if disposal.get("destroyed_on"):
                listed = {item["record"] for item in disposal["items"]}
                for gone, data in writer.destroyed.items():
                    order_id = gone.split("/")[3] if gone.startswith("records/orders/") else None
                    if data["id"] in listed or (order_id in listed and data["kind"] != "quality_record"):
                        event.files[gone] = None
                event.files.update((p, None) for o in listed for p in pdfs_by_order.get(o, []))
            events.append(event)
    events.sort(key=lambda e: e.day)  # stable: the steps of one record on one day stay in order
    first_day = min(e.day for e in events) - timedelta(days=14)
    setup = Event(first_day, "tseng.yawen", [], "setup", f"Set up the archive of {COMPANY[0]} {COMPANY[1]}")
    return events, setup


def write_repository(directory: Path, n_orders: int, seed: int = 1) -> tuple[int, int]:
    """Create the demo repository in ``directory`` (empty or new). Returns (records, commits)."""
    if directory.exists() and any(directory.iterdir()):
        raise UserError(f"{directory} is not empty; choose a new folder")
    writer = _Writer(n_orders, seed)
    writer.build()
    events, setup = plan_events(writer)
    setup.files = {
        **site_files(site_names(*COMPANY)),
        ".gitignore": REPO_GITIGNORE,
        "records/organization.yaml": _yaml(organization()),
        "records/policy.yaml": _yaml(policy()),
    }
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(directory)], check=True)
    stream = _fast_import_stream(setup, events)
    subprocess.run(["git", "fast-import", "--quiet", "--done"], cwd=directory, input=stream, check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=directory, check=True)
    records = sum(1 for p in directory.joinpath("records").rglob("*.yaml"))
    return records, 1 + sum(2 + len(e.others) for e in events)


def _fast_import_stream(setup: Event, events: list[Event]) -> bytes:
    out: list[bytes] = []
    marks = 0
    blobs: dict[bytes, int] = {}

    def blob(content: bytes) -> int:
        nonlocal marks
        if content not in blobs:
            marks += 1
            blobs[content] = marks
            out.append(b"blob\nmark :%d\ndata %d\n%s\n" % (marks, len(content), content))
        return blobs[content]

    def who(person: str, moment: datetime) -> bytes:
        return f"{NAMES[person]} <{email(person)}> {int(moment.timestamp())} +0800".encode()

    def commit(
        ref: str, author: str, committer: str, moment: datetime, message: str, files: dict[str, bytes | None], parent: int | None, merge: int | None
    ) -> int:
        nonlocal marks
        lines = [(path, None if content is None else blob(content)) for path, content in sorted(files.items())]
        marks += 1
        text = message.encode()
        head = b"commit %s\nmark :%d\nauthor %s\ncommitter %s\ndata %d\n%s\n" % (
            ref.encode(),
            marks,
            who(author, moment),
            who(committer, moment),
            len(text),
            text,
        )
        out.append(head)
        if parent is not None:
            out.append(b"from :%d\n" % parent)
        if merge is not None:
            out.append(b"merge :%d\n" % merge)
        for path, mark in lines:
            out.append(b"D %s\n" % path.encode() if mark is None else b"M 100644 :%d %s\n" % (mark, path.encode()))
        out.append(b"\n")
        return marks

    moment = datetime.combine(setup.day, datetime.min.time(), TAIPEI).replace(hour=9)
    main = commit("refs/heads/main", setup.author, setup.author, moment, setup.message + "\n", setup.files, None, None)
    minute: dict[date, int] = {}
    for event in events:
        step = minute[event.day] = minute.get(event.day, 0) + 1
        start = datetime.combine(event.day, datetime.min.time(), TAIPEI).replace(hour=9) + timedelta(minutes=step)
        branch = commit("refs/heads/review", event.author, event.author, start, event.message + "\n", event.files, main, None)
        merged = dict(event.files)
        for offset, (author, files) in enumerate(event.others, 1):
            branch = commit("refs/heads/review", author, author, start + timedelta(minutes=offset), event.message + "\n", files, branch, None)
            merged.update(files)
        trailers = "\n".join(f"Approved-by: {NAMES[p]} <{email(p)}>" for p in event.approvers)
        message = f"Merge branch '{event.branch}'\n\n{event.message}\n\n{trailers}\n"
        approver = event.approvers[0]
        main = commit("refs/heads/main", approver, approver, start + timedelta(hours=6), message, merged, main, branch)
    out.append(b"reset refs/heads/review\nfrom 0000000000000000000000000000000000000000\n\ndone\n")
    return b"".join(out)
