"""A synthetic archive of a fictional outsourcing company, for the demo, tests and benchmarks.

鴻信外包服務股份有限公司 takes software, data, support and marketing work from
Taiwanese and Hong Kong clients. ``demo_archive(n, seed)`` writes ``n``
orders with every record kind and every lifecycle path: each order's stage
follows from its age on ``TODAY``, a few are cancelled or disputed, some
changes are major, some inspections fail and are reworked, the borrowing
register has an overdue loan and old records have an approved disposal. The
same seed always gives the same archive, byte for byte.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from generator.core.problems import UserError
from generator.demo.company import (
    BUDGETS,
    CALENDAR,
    CHANGES,
    CLIENTS,
    DEFECTS,
    DEPARTMENTS,
    FIN,
    INSPECTORS,
    OPS,
    PINNED_STAGES,
    PROJECTS,
    REASON_TYPES,
    SALES,
    STAGES,
    TASKS,
    TODAY,
    organization,
    policy,
)
from generator.records.catalog import add_years
from generator.records.safeyaml import dump


@dataclass
class _Plan:
    """The dates of one order's whole life; the stage decides how much of it is on record."""

    received: date
    confirmed: date
    forwarded: date
    reviewed: date
    start: date
    due: date
    delivered: date
    accepted: date
    confirmed_plan: date
    settled: date
    archived: date


class _Writer:
    def __init__(self, n_orders: int, seed: int):
        self.seed = seed
        self.rng = random.Random(seed)
        self.n = n_orders
        self.files: dict[str, dict[str, Any]] = {}
        self.attachments: dict[str, str] = {}  # path → title of a placeholder document
        self.invoices = 0  # invoice numbers run in sequence, like a real invoice book
        self.destroyed: dict[str, dict[str, Any]] = {}  # records removed by a carried-out disposal
        self.destroyed_attachments: dict[str, str] = {}
        self.special_done: set[str] = set()
        self.slow: set[int] = set()  # slots of orders whose client is slow to accept

    # -- helpers ---------------------------------------------------------
    def days(self, low: int, high: int) -> timedelta:
        return timedelta(days=self.rng.randint(low, high))

    def bday(self, day: date, n: int = 1) -> date:
        return CALENDAR.add(day, n)

    def money(self, low_k: int, high_k: int) -> Decimal:
        return Decimal(self.rng.randint(low_k, high_k) * 1000)

    def once(self, feature: str, chance: float) -> bool:
        """A feature every archive shows at least once, then at a given rate."""
        if feature not in self.special_done:
            self.special_done.add(feature)
            return True
        return self.rng.random() < chance

    def first(self, feature: str) -> bool:
        """True the first time only: a deliberate finding every archive shows once (no random draw)."""
        if feature in self.special_done:
            return False
        self.special_done.add(feature)
        return True

    # -- the archive -----------------------------------------------------
    def build(self) -> dict[str, dict[str, Any]]:
        self.files["records/organization.yaml"] = organization()
        self.files["records/policy.yaml"] = policy()
        years = max(2, min(10, -(-self.n // 1000)))  # about 1,000 orders a year, over at most ten years
        first_day = date(TODAY.year - years + 1, 1, 6)
        span = (TODAY - timedelta(days=4) - first_day).days
        # The newest orders are pinned to dates that put them in each early stage.
        targets = PINNED_STAGES[: max(0, self.n - 4)]
        self.slow = {slot for slot, stage in enumerate(targets, self.n - len(targets)) if stage == "awaiting_acceptance"}
        slots = [(first_day + timedelta(days=self.rng.randint(0, span)), slot) for slot in range(self.n - len(targets))]
        slots += [(self.received_for(stage, slot), slot) for slot, stage in enumerate(targets, self.n - len(targets))]
        slots.sort()
        per_year: dict[int, int] = {}
        order_ids: list[tuple[str, date, str]] = []
        for index, (day, slot) in enumerate(slots):
            per_year[day.year] = per_year.get(day.year, 0) + 1
            order_id = f"ORD-{day.year}-{per_year[day.year]:04d}"
            self.rng = random.Random(f"{self.seed}:{slot}")
            stage = self.order(order_id, day, index, slot)
            order_ids.append((order_id, day, stage))
        self.rng = random.Random(f"{self.seed}:archive")
        self.loans(order_ids)
        self.disposals(first_day)
        return self.files

    def received_for(self, stage: str, slot: int) -> date:
        """The latest receipt date at which an order drawn for ``slot`` stands at ``stage`` today."""
        for back in range(1, 800):
            day = TODAY - timedelta(days=back)
            self.rng = random.Random(f"{self.seed}:{slot}")
            p = self.plan(day, self.basics(slot))
            if stage == "awaiting_acceptance":  # delivered six weeks ago or more, still not accepted
                if self.stage_of(p) == "delivered" and (TODAY - p.delivered).days >= 42 and p.forwarded <= TODAY:
                    return day
            elif self.stage_of(p) == stage and p.forwarded <= TODAY:  # forwarded in time, so never flagged (§2.3)
                return day
        raise AssertionError(f"no receipt date puts an order at {stage}")  # pragma: no cover

    def side_state(self, index: int) -> str | None:
        if self.n >= 8 and index in (self.n // 3, self.n // 2):  # one of each in every archive
            return "cancelled" if index == self.n // 3 else "disputed"
        roll = self.rng.random()
        return "cancelled" if roll < 0.03 else "disputed" if roll < 0.05 else None

    def basics(self, slot: int) -> tuple[str, bool, bool]:
        """The first draws of an order's own random stream: its service, whether §2.3 was missed, and
        whether the client is slow to accept (the pinned ``awaiting_acceptance`` order)."""
        service = self.rng.choice(list(PROJECTS))
        late = slot == 1 or self.rng.random() < 0.01
        return service, late, slot in self.slow

    @staticmethod
    def stage_of(p: _Plan) -> str:
        return next((s for s in reversed(STAGES) if getattr(p, _STAGE_DATE[s]) <= TODAY), "received")

    def plan(self, received: date, basics: tuple[str, bool]) -> _Plan:
        service, late, slow = basics
        confirmed = received + self.days(0, 2)
        forwarded = self.bday(confirmed, 3 if late else 1)
        reviewed = self.bday(forwarded, self.rng.randint(1, 3))
        start = self.bday(reviewed)
        length = {"software_development": (60, 150), "data_analysis": (30, 90)}.get(service, (45, 100))
        due = start + self.days(*length)
        delivered = due - self.days(0, 7)
        accepted = delivered + (timedelta(days=120) if slow else self.days(3, 14))
        confirmed_plan = accepted + self.days(2, 6)
        settled = confirmed_plan + self.days(30, 60)
        archived = settled + self.days(30, 90)
        return _Plan(received, confirmed, forwarded, reviewed, start, due, delivered, accepted, confirmed_plan, settled, archived)

    def order(self, order_id: str, received: date, index: int, slot: int) -> str:
        rng = self.rng
        folder = f"records/orders/{order_id[4:8]}/{order_id}"
        basics = self.basics(slot)
        p = self.plan(received, basics)
        stage = self.stage_of(p)
        side = None if slot in self.slow else self.side_state(index)
        service = basics[0]
        project, content = rng.choice(PROJECTS[service])
        client, contact, currency = rng.choice(CLIENTS)
        low, high = BUDGETS[service]
        budget = self.money(low, high)
        if side == "cancelled":  # cancelled early in its life, however long ago
            stage = STAGES[min(STAGES.index(stage), rng.randint(0, 1))]
        if side == "disputed" and STAGES.index(stage) < 2:
            side = None
        reached = STAGES.index(stage)
        sales = rng.choice(SALES)
        ops_lead = rng.choice(OPS)
        complexity = "major" if budget >= 2_500_000 else "complex" if budget >= 1_500_000 else "standard"

        order: dict[str, Any] = {"kind": "order", "schema_version": 1, "id": order_id, "status": stage}
        order["intake"] = {
            "channel": rng.choice(["phone", "email", "online_chat"]),
            "received_on": p.received,
            "confirmed_on": p.confirmed,
            "sales_rep": sales,
            "client": {"name": client, "contact": contact},
            "project_name": project,
            "service_type": service,
            "service_content": content,
            "delivery_due": p.due,
            "budget": budget,
            "currency": currency,
        }
        if p.forwarded <= TODAY:
            order["forwarding"] = {"operations_on": p.forwarded, "finance_on": p.forwarded}
        if reached >= 1:
            order["operations_review"] = {
                "reviewer": ops_lead if ops_lead == "wang.chienhung" else "wang.chienhung",
                "reviewed_on": p.reviewed,
                "decision": "approved",
                "feasibility": f"可行；由 {ops_lead} 負責執行。 Feasible; {ops_lead} leads the work.",
                "resources": f"{rng.randint(2, 6)} 人 / people, {rng.randint(1, 5)} 個月 / months",
                "feedback_to_sales_on": p.reviewed,
            }
            order["finance_review"] = {
                "reviewer": rng.choice(FIN[:2]),
                "reviewed_on": p.reviewed,
                "decision": "approved",
                "notes": "預算合理，分期請款。 Budget reasonable; invoiced in instalments.",
                "feedback_to_sales_on": p.reviewed,
            }
            order["complexity"] = complexity  # decided by the reviews (§3.3)
            if complexity != "standard":
                order["project_review"] = {
                    "held_on": p.reviewed,
                    "participants": ["wang.chienhung", "huang.shuhua", sales],
                    "conclusion": "同意承接，每兩週回報風險。 Accepted; risks reported every two weeks.",
                }
                order["risks"] = [
                    {
                        "risk": "關鍵人員異動 Key staff turnover",
                        "likelihood": "medium",
                        "impact": "high",
                        "mitigation": "指定代理人並維護交接文件。 Named deputies and up-to-date handover notes.",
                        "owner": ops_lead,
                    },
                    {
                        "risk": "客戶需求變更頻繁 Frequent requirement changes",
                        "likelihood": "high",
                        "impact": "medium",
                        "mitigation": "所有變更須填寫變更申請表。 Every change goes through a change request form.",
                        "owner": sales,
                    },
                ]
            order["work_plan"] = self.work_plan(service, p, reached, ops_lead)
            order["tracking"] = self.tracking(p, reached)
        order["attachments"] = [{"file": "contract.pdf", "title": "服務合約 Service contract", "type": "contract"}]
        self.attachments[f"{folder}/attachments/contract.pdf"] = f"Service contract {order_id}"
        if side == "cancelled":
            cancelled_on = min(TODAY, (p.start if reached else p.forwarded) + self.days(1, 20))
            order["status"] = "cancelled"
            order["cancellation"] = {
                "on": cancelled_on,
                "reason": "客戶預算凍結，雙方同意終止。 The client froze its budget; both sides agreed to stop.",
                "approved_by": "lin.yating",
            }
            self.files[f"{folder}/order.yaml"] = order
            return "cancelled"

        changes = self.changes(order_id, folder, p, reached) if reached >= 1 else []
        if reached >= 2 and side is None:
            self.extend_delivery(order, folder, p)
        if reached >= 1:
            self.quality(order_id, folder, p, reached, service)
        if reached >= 2:
            self.delivery(order_id, folder, p, reached, side)
            order["attachments"].append({"file": "delivery-report.pdf", "title": "交付報告 Delivery report", "type": "delivery"})
            self.attachments[f"{folder}/attachments/delivery-report.pdf"] = f"Delivery report {order_id}"
            self.attachments[f"{folder}/attachments/delivery-user-guide.pdf"] = f"User guide {order_id}"
        if reached >= 3:
            self.settlement(order_id, folder, p, reached, budget + sum(changes, Decimal(0)), currency, side)
            if self.files.get(f"{folder}/settlement.yaml", {}).get("status") == "settled":
                order["attachments"].append({"file": "settlement-statement.pdf", "title": "結算對帳單 Settlement statement", "type": "settlement"})
                self.attachments[f"{folder}/attachments/settlement-statement.pdf"] = f"Settlement statement {order_id}"
        if reached >= 5 and side != "disputed":
            order["archived_on"] = p.archived
        if side == "disputed":
            order["status"] = "disputed"
            stage = "disputed"
        self.files[f"{folder}/order.yaml"] = order
        return stage

    def extend_delivery(self, order: dict[str, Any], folder: str, p: _Plan) -> None:
        """Once per archive: the client's verified change moved the delivery date, and the order was delivered
        after the first date but before the new one, which is on time (§5.1, §7.1)."""
        if "extended-delivery" in self.special_done:  # done: no scan of every file for each order (quadratic at 50,000 orders)
            return
        verified = [cr for path, cr in self.files.items() if path.startswith(f"{folder}/changes/") and cr["status"] == "verified"]
        if not verified or not self.first("extended-delivery"):
            return
        first_due = p.delivered - timedelta(days=4)
        order["intake"]["delivery_due"] = first_due
        cr = verified[0]
        delta, cost_k = (p.due - first_due).days, int(cr["cost_delta"]) // 1000
        cr["schedule_delta_days"] = delta
        cr["new_delivery_due"] = p.due
        cr["impact"] = f"費用 {cost_k:+d} 千元、工期 +{delta} 天，交付日期延至 {p.due}。 Cost {cost_k:+d}k, schedule +{delta} days: delivery moves to {p.due}."

    def work_plan(self, service: str, p: _Plan, reached: int, owner: str) -> dict[str, Any]:
        names = TASKS[service]
        span = (p.due - p.start).days
        tasks = []
        for i, name in enumerate(names):
            start = p.start + timedelta(days=span * i // len(names))
            due = p.start + timedelta(days=span * (i + 1) // len(names))
            status = "done" if reached >= 2 or due <= TODAY else "in_progress" if start <= TODAY else "not_started"
            tasks.append({"id": f"T{i + 1}", "title": name, "owner": self.rng.choice([owner, *OPS]), "start": start, "due": due, "status": status})
        half = p.start + timedelta(days=span // 2)
        milestones = [{"name": "期中檢核 Mid-term review", "due": half}, {"name": "交付 Delivery", "due": p.due}]
        for m in milestones:
            if m["due"] <= TODAY and reached >= 1 and (reached >= 2 or m["due"] < TODAY - timedelta(days=3)):
                m["done_on"] = m["due"]
        return {"tasks": tasks, "milestones": milestones}

    def tracking(self, p: _Plan, reached: int) -> list[dict[str, Any]]:
        end = min(TODAY, p.delivered if reached >= 2 else TODAY)
        entries = []
        day = p.start + timedelta(days=14)
        total = max(1, (p.due - p.start).days)
        while day < end and len(entries) < 12:
            progress = min(95, (day - p.start).days * 100 // total)
            quality = self.rng.choices(["on_track", "at_risk", "issue"], [8, 2, 1])[0]
            entries.append({"on": day, "progress": progress, "quality": quality, "resources": "依計劃 As planned"})
            day += timedelta(days=self.rng.randint(14, 30))
        return entries

    def changes(self, order_id: str, folder: str, p: _Plan, reached: int) -> list[Decimal]:
        """Change request forms; returns the cost deltas of the approved ones."""
        rng = self.rng
        count = 1 if self.once("change", 0.5) else 0
        if count and rng.random() < 0.2:
            count = 2
        deltas = []
        for seq in range(1, count + 1):
            cr_id = f"CR-{order_id[4:]}-{seq:02d}"
            title, reason, content, cost_k, delay = rng.choice(CHANGES)
            requested = p.start + self.days(10, 30) * seq
            if requested > TODAY or (reached >= 2 and requested > p.delivered - timedelta(days=10)):
                break  # changes come while the work is under way, not after delivery
            major = cost_k >= 150 or self.once("major-change", 0.05)
            # A change is as far along as the order: still open only while the order is in progress.
            status = "verified" if reached >= 2 else rng.choice(["requested", "assessed", "approved", "implemented"])
            if requested + timedelta(days=20) > TODAY:
                status = "requested"
            if rng.random() < 0.08 and status != "requested":
                status = "rejected"
            cr: dict[str, Any] = {
                "kind": "change_request",
                "schema_version": 1,
                "id": cr_id,
                "order": order_id,
                "status": status,
                "title": title,
                "requested_on": requested,
                "requested_by": "客戶窗口 Client contact",
                "recorded_by": rng.choice(SALES),
                "reason": reason,
                "reason_type": REASON_TYPES[title],
                "content": content,
                "impact": f"費用 {cost_k:+d} 千元、工期 {delay:+d} 天。 Cost {cost_k:+d}k, schedule {delay:+d} days.",
                "major": major,
                "cost_delta": Decimal(cost_k * 1000),
                "schedule_delta_days": delay,
            }
            assessed = requested + self.days(2, 5)
            if status != "requested":
                cr["assessment"] = {"by": "lee.chiawei", "on": assessed, "summary": "影響可控，建議核准。 Manageable impact; approve."}
            if status == "rejected":
                cr["approvals"] = [
                    {
                        "department": "finance",
                        "by": "huang.shuhua",
                        "on": assessed + timedelta(days=2),
                        "decision": "rejected",
                        "comment": "超出客戶年度預算。 Beyond the client's annual budget.",
                    }
                ]
            elif status in ("approved", "implemented", "verified"):
                approved = assessed + self.days(1, 4)
                if major:
                    cr["major_review"] = {
                        "held_on": approved,
                        "departments": ["operations", "finance", "sales"],
                        "conclusion": "重大變更經三部門審查同意。 Major change agreed by three departments.",
                    }
                cr["approvals"] = [
                    {"department": "operations", "by": "wang.chienhung", "on": approved, "decision": "approved"},
                    {"department": "finance", "by": "huang.shuhua", "on": approved, "decision": "approved"},
                ]
                deltas.append(cr["cost_delta"])
                if status in ("implemented", "verified"):
                    done = min(approved + self.days(5, 20), p.delivered - timedelta(days=1)) if reached >= 2 else min(TODAY, approved + timedelta(days=5))
                    done = max(done, approved)
                    cr["implementation"] = {
                        "plan": "依變更計劃分兩階段實施。 Implemented in two steps per the change plan.",
                        "started_on": approved,
                        "completed_on": done,
                        "notified": ["wang.chienhung", "huang.shuhua", cr["recorded_by"]],
                    }
                if status == "verified":
                    cr["verification"] = {"by": "liu.yihsuan", "on": cr["implementation"]["completed_on"], "result": "confirmed"}
            self.files[f"{folder}/changes/{cr_id}.yaml"] = cr
        return deltas

    def quality(self, order_id: str, folder: str, p: _Plan, reached: int, service: str) -> None:
        rng = self.rng
        inspected = p.delivered - self.days(3, 10) if reached >= 2 else min(TODAY, p.start + timedelta(days=20))
        if inspected > TODAY or inspected < p.start:
            return
        fail = self.once("quality-rework", 0.12)
        qc_id = f"QC-{order_id[4:]}-01"
        defect_type, severity, description = rng.choice(DEFECTS)
        closed = reached >= 2 or not fail
        qc: dict[str, Any] = {
            "kind": "quality_record",
            "schema_version": 1,
            "id": qc_id,
            "order": order_id,
            "status": "closed" if closed else ("rectifying" if fail else "closed"),
            "stage": "inspection" if reached >= 2 else "production",
            "inspected_on": inspected,
            "inspector": rng.choice(INSPECTORS),
            "standard": {"software_development": "QS-01 軟體交付檢驗規範", "data_analysis": "QS-02 資料分析品質標準"}.get(service, "QS-03 服務品質標準"),
            "result": "fail" if fail else "pass",
        }
        if fail:
            qc["defects"] = [{"type": defect_type, "severity": severity, "description": description}]
            action = rng.choice(["rework", "rework", "repair", "scrap"])
            rect = {
                "action": action,
                "description": {
                    "rework": "返工：重新開發受影響模組。 Rework of the affected module.",
                    "repair": "返修：修正設定並重新測試。 Repair of the configuration, retested.",
                    "scrap": "報廢：捨棄該批產出並重新製作。 Scrapped the batch and produced it again.",
                }[action],
                "client_notified_on": inspected + timedelta(days=1),
            }
            if closed:
                rect["completed_on"] = inspected + timedelta(days=2)
                rect["done_by"] = "wang.chienhung"
                rect["verified_by"] = "liu.yihsuan"
            qc["rectification"] = rect
        if closed:
            qc["closed_on"] = inspected + timedelta(days=3 if fail else 0)
            qc["satisfaction"] = rng.choice([3, 4, 4, 5, 5])
        if fail and self.once("complaint", 0.3):
            qc["complaints"] = [
                {
                    "received_on": inspected,
                    "description": "客戶反映交付品質未達預期。 The client found the quality below expectations.",
                    **({"resolved_on": inspected + timedelta(days=3), "resolution": "完成返工並致歉。 Reworked and apologised."} if closed else {}),
                }
            ]
        self.files[f"{folder}/quality/{qc_id}.yaml"] = qc

    def delivery(self, order_id: str, folder: str, p: _Plan, reached: int, side: str | None) -> None:
        dl: dict[str, Any] = {
            "kind": "delivery",
            "schema_version": 1,
            "id": f"DLV-{order_id[4:]}",
            "order": order_id,
            "delivered_on": p.delivered,
            "method": self.rng.choice(["online", "email", "onsite"]),
            "delivered_by": self.rng.choice(OPS),
            "documents": [
                {"type": "service_report", "title": "交付報告 Delivery report", "file": "delivery-report.pdf"},
                {"type": "user_guide", "title": "使用說明 User guide", "file": "delivery-user-guide.pdf"},
            ],
        }
        acceptance: dict[str, Any] = {
            "criteria": "依合約附件二驗收標準。 Per the acceptance criteria in annex 2 of the contract.",
            "method": "客戶測試兩週 Two weeks of client testing",
            "result": "pending",
        }
        if reached >= 3 and side != "disputed":
            acceptance.update(result="accepted", accepted_on=p.accepted, accepted_by="客戶專案經理 Client project manager")
        dl["acceptance"] = acceptance
        if side == "disputed":
            dl["objections"] = [
                {
                    "raised_on": p.delivered + timedelta(days=5),
                    "description": "客戶認為報表未涵蓋合約範圍。 The client says the reports miss part of the scope.",
                    "status": "escalated",
                }
            ]
            dl["dispute"] = {
                "opened_on": p.delivered + timedelta(days=12),
                "mechanism": "雙方高層協商，必要時調解 Executive negotiation, then mediation",
                "status": "open",
            }
        dl["notified"] = {"sales_on": p.delivered, "finance_on": p.delivered}
        self.files[f"{folder}/delivery.yaml"] = dl

    def settlement(self, order_id: str, folder: str, p: _Plan, reached: int, total: Decimal, currency: str, side: str | None) -> None:
        if side == "disputed":
            return
        rng = self.rng
        first = (total * Decimal("0.4")).quantize(Decimal(1))
        lines = [
            {"description": "第一期款 First instalment (40%)", "amount": first},
            {"description": "尾款 Final instalment (60%)", "amount": total - first},
        ]
        drafted = p.accepted
        confirmed = p.confirmed_plan
        stl: dict[str, Any] = {
            "kind": "settlement",
            "schema_version": 1,
            "id": f"STL-{order_id[4:]}",
            "order": order_id,
            "status": "draft",
            "currency": currency,
            "plan": {
                "method": "bank_transfer",
                "cycle": "per_milestone",
                "fee_lines": lines,
                "drafted_by": rng.choice(FIN),
                "drafted_on": drafted,
            },
        }
        if confirmed <= TODAY:
            stl["status"] = "confirmed"
            stl["plan"].update(client_confirmed_on=confirmed, client_confirmed_by="客戶財務 Client finance officer")
            invoices, payments = [], []
            for i, line in enumerate(lines):
                issued = confirmed + timedelta(days=1 + 20 * i)
                if issued > TODAY:
                    break
                self.invoices += 1
                number = f"{'AB' if currency == 'TWD' else 'HK'}{issued.year % 100:02d}{self.invoices:06d}"
                tax = (line["amount"] * Decimal("0.05")).quantize(Decimal(1)) if currency == "TWD" else Decimal(0)
                # Once per archive, an open settlement's first invoice is on 3-day terms and still unpaid (§6.3).
                short = reached == 3 and i == 0 and issued + timedelta(days=3) < TODAY and self.first("overdue-invoice")
                terms = 3 if short else 30
                invoices.append({"number": number, "issued_on": issued, "amount": line["amount"], "tax": tax, "due_on": issued + timedelta(days=terms)})
                paid_on = issued + self.days(10, 40)
                if reached >= 4:  # the order is settled, so every instalment was paid by then
                    paid_on = max(issued, min(paid_on, p.settled))
                if paid_on <= TODAY and (reached >= 4 or i == 0) and not short:
                    payments.append({"received_on": paid_on, "amount": line["amount"] + tax, "invoice": number})
            if invoices:
                stl["status"] = "invoicing"
                stl["invoices"] = invoices
            if payments:
                stl["payments"] = payments
            if reached >= 4 and len(payments) == len(lines):
                stl["status"] = "settled"
                stl["settled_on"] = max(pay["received_on"] for pay in payments)
                stl["notified"] = {"sales_on": stl["settled_on"], "operations_on": stl["settled_on"]}
        self.files[f"{folder}/settlement.yaml"] = stl

    def loans(self, orders: list[tuple[str, date, str]]) -> None:
        rng = self.rng
        done = [o for o in orders if o[2] in ("settled", "archived")] or orders
        count = max(4, len(orders) // 25)
        per_year: dict[int, int] = {}
        borrowers = [("chang.chiahao", "sales"), ("lee.chiawei", "operations"), ("tsai.mingche", "finance"), ("cheng.yuhsiang", "quality")]
        heads = {d: head for d, _, _, head, _ in DEPARTMENTS}
        for i in range(count):
            # The last three: one overdue, one still out, one awaiting approval.
            kind = ("overdue", "out", "pending")[i - count + 3] if i >= count - 3 else "returned"
            order_id, received, _ = rng.choice(done)
            requested = {"overdue": TODAY - timedelta(days=50), "out": TODAY - timedelta(days=6), "pending": TODAY - timedelta(days=1)}.get(
                kind, min(TODAY - timedelta(days=60), received + self.days(120, 400))
            )
            per_year[requested.year] = per_year.get(requested.year, 0) + 1
            loan_id = f"BR-{requested.year}-{per_year[requested.year]:04d}"
            borrower, dept = rng.choice(borrowers)
            loan: dict[str, Any] = {
                "kind": "loan",
                "schema_version": 1,
                "id": loan_id,
                "borrower": borrower,
                "department": dept,
                "records": [order_id],
                "purpose": rng.choice(
                    [
                        "年度稽核抽查 Annual audit sample",
                        "客戶續約參考 Reference for a renewal",
                        "報價比對 Pricing comparison",
                    ]
                ),
                "requested_on": requested,
            }
            if kind != "pending":
                approved = requested + timedelta(days=1)
                loan.update(
                    approved_by=heads[dept],
                    approved_on=approved,
                    borrowed_on=approved,
                    due_on=approved + timedelta(days=rng.randint(7, 30)),
                )
                if kind == "returned":
                    loan["returned_on"] = loan["due_on"] - timedelta(days=rng.randint(0, 5))
            self.files[f"records/archive/borrowing/{loan_id}.yaml"] = loan

    def disposals(self, first_day: date) -> None:
        """Approved destruction (§8.2): records from before this archive, then every spring what expired.

        A long archive therefore looks like a real one: records are destroyed
        once their retention ends, and only the last few months' expiries are
        still waiting for a disposal.
        """
        sequence: dict[int, int] = {}

        def dispose(proposed: date, items: list[dict[str, Any]]) -> bool:
            sequence[proposed.year] = sequence.get(proposed.year, 0) + 1
            ds_id = f"DS-{proposed.year}-{sequence[proposed.year]:04d}"
            destroyed = proposed + timedelta(days=10)
            record: dict[str, Any] = {
                "kind": "disposal",
                "schema_version": 1,
                "id": ds_id,
                "items": items,
                "reason": "保存年限屆滿，經核准銷毀。 Retention expired; destruction approved.",
                "proposed_by": "tseng.yawen",
                "proposed_on": proposed,
                "approvals": [
                    {"by": "chou.peichun", "department": "admin", "on": proposed + timedelta(days=3)},
                    {"by": "hsu.wenpin", "department": "management", "on": proposed + timedelta(days=5)},
                ],
                "method": "shredding",
            }
            if destroyed <= TODAY:
                record.update(destroyed_on=destroyed, witness="huang.shuhua")
            self.files[f"records/archive/disposals/{ds_id}.yaml"] = record
            return destroyed <= TODAY

        old = first_day.year - 11  # years before this archive's first order
        dispose(
            TODAY - timedelta(days=90),
            [{"record": f"ORD-{old}-{n:04d}", "retention_until": date(old + 10, 12, 31)} for n in range(1, 6)]
            + [{"record": f"BR-{first_day.year - 4}-0001", "retention_until": date(first_day.year - 1, 12, 31)}],
        )
        expiring = self.retention_ends()
        gone: set[str] = set()
        for year in range(first_day.year + 1, TODAY.year + 1):
            proposed = date(year, 3, 2)
            due = sorted((until, record_id, paths) for record_id, (until, paths) in expiring.items() if until < proposed)
            for start in range(0, len(due), 5000):
                batch = due[start : start + 5000]
                if dispose(proposed, [{"record": record_id, "retention_until": until} for until, record_id, _ in batch]):
                    for _, record_id, paths in batch:
                        gone.update(paths)
                        del expiring[record_id]
        for path in gone:
            removed = self.files.pop(path, None)
            if removed is not None:
                self.destroyed[path] = removed
        kept = {k: v for k, v in self.attachments.items() if k.rsplit("/attachments/", 1)[0] + "/" not in gone}
        self.destroyed_attachments = {k: v for k, v in self.attachments.items() if k not in kept}
        self.attachments = kept

    def retention_ends(self) -> dict[str, tuple[date, list[str]]]:
        """Per record id listed for disposal: the end of its retention, and the files it takes along."""
        years = policy()["retention_years"]
        out: dict[str, tuple[date, list[str]]] = {}
        by_folder: dict[str, list[str]] = {}
        for path in self.files:
            if path.startswith("records/orders/") and "/quality/" not in path:
                by_folder.setdefault(path.rsplit("/", 1)[0].removesuffix("/changes"), []).append(path)
        for path, data in self.files.items():
            kind = data["kind"]
            if kind == "order":
                closed = data.get("archived_on") or (data["cancellation"]["on"] if "cancellation" in data else None)
                if closed is not None:
                    folder = path.rsplit("/", 1)[0]
                    out[data["id"]] = (add_years(closed, years["order"]), [*by_folder[folder], folder + "/"])
            elif kind == "quality_record":
                order = self.files[path.split("/quality/")[0] + "/order.yaml"]
                if order.get("archived_on"):
                    out[data["id"]] = (add_years(order["archived_on"], years["quality_record"]), [path])
            elif kind == "loan" and data.get("returned_on"):
                out[data["id"]] = (add_years(data["returned_on"], years["loan"]), [path])
        return out


_STAGE_DATE = {
    "received": "received",
    "in_progress": "start",
    "delivered": "delivered",
    "accepted": "accepted",
    "settled": "settled",
    "archived": "archived",
}


def demo_files(n_orders: int, seed: int = 1) -> dict[str, bytes]:
    """``{path under the archive root: content}`` for a synthetic archive: records and attachments."""
    writer = _Writer(n_orders, seed)
    records = writer.build()
    files = {path: dump(data).encode() for path, data in records.items()}
    files.update((path, _placeholder_pdf(title)) for path, title in writer.attachments.items())
    return files


def write_demo(directory: Path, n_orders: int, seed: int = 1) -> int:
    """Write a demo archive into ``directory``; refuses to touch an existing ``records/``."""
    records = directory / "records"
    if records.exists():
        raise UserError(f"{records} already exists; choose an empty folder")
    files = demo_files(n_orders, seed)
    for rel, content in files.items():
        target = directory / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return sum(1 for rel in files if rel.endswith(".yaml"))


def _placeholder_pdf(title: str) -> bytes:
    """A tiny valid PDF so the demo's attachment links open."""
    text = f"BT /F1 18 Tf 72 720 Td ({title} - demo) Tj ET".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out
