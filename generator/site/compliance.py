"""The compliance map: every clause of the regulation, and what checks it.

A clause is checked by schema fields (a field carries the clause it
implements), by archive-wide rules (a rule declares its clauses), or by
people — with the reason software cannot. The first two are derived from
the code, so the map cannot drift from what is enforced; only the clauses
and the human reasons are written here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from pydantic import BaseModel

from generator.rules import REGISTRY
from schemas import MODELS
from schemas.base import nested_model

CLAUSES: dict[str, tuple[str, str]] = {
    "§1.1": ("Purpose: uniform, efficient order handling", "目的"),
    "§1.2": ("Scope: every kind of outsourced order", "適用範圍"),
    "§1.3": ("Principles: client first, cooperation, risk control, improvement", "基本原則"),
    "§1.4": ("Responsibilities of Sales, Operations, Finance and others", "職責分工"),
    "§2.1": ("Intake channels", "接單管道"),
    "§2.2": ("The order is recorded and confirmed with the client", "訂單記錄與確認"),
    "§2.3": ("Forwarded to Operations and Finance within one business day; status received", "轉交運營與財務"),
    "§2.4": ("Operations reviews feasibility and resources", "運營審核"),
    "§2.5": ("Finance reviews the budget; fee adjustments agreed with the client", "財務審核"),
    "§3.1": ("Work plan: tasks, milestones, responsible people", "工作計劃"),
    "§3.2": ("Execution is tracked", "執行追蹤"),
    "§3.3": ("Project review and risk control for complex and major orders", "專案評審與風險控制"),
    "§3.4": ("Client changes go through change management", "變更管理"),
    "§3.5": ("Periodic summary of delivery, quality and satisfaction", "定期總結分析"),
    "§4.1": ("Quality standards and inspection specifications", "品質標準"),
    "§4.2": ("Quality control at every stage", "全程品質控制"),
    "§4.3": ("Dedicated quality inspection", "品質檢驗"),
    "§4.4": ("Rectification (rework, repair, scrap), client notified, recorded", "品質問題整改"),
    "§4.5": ("Quality statistics: defect types, rates, complaints", "品質統計分析"),
    "§5.1": ("Delivery on time, in the agreed way, with documents", "交付"),
    "§5.2": ("Acceptance against the agreed criteria", "驗收"),
    "§5.3": ("Objections negotiated, or dispute resolution", "異議處理"),
    "§5.4": ("Sales and Finance informed; status delivered", "交付通知"),
    "§6.1": ("Finance drafts the settlement plan from the fee details", "結算方案"),
    "§6.2": ("Plan states method, cycle and fees; applies once the client confirms", "方案確認"),
    "§6.3": ("Settlement, collection and formal invoices", "結算收款與發票"),
    "§6.4": ("Settlement objections negotiated, or dispute resolution", "結算異議"),
    "§6.5": ("Sales and Operations informed; status settled", "結算通知"),
    "§7.1": ("Change request form with reason, content, impact; approved before execution", "變更申請"),
    "§7.2": ("Approval per company rules; major changes reviewed", "變更審批"),
    "§7.3": ("Implementation per plan; people notified; adjustments", "變更實施"),
    "§7.4": ("Result verified and confirmed", "變更確認"),
    "§8.1": ("Sales, Operations and Finance keep an order archive", "檔案保存"),
    "§8.2": ("Retention period; destruction only after approval", "保存期限與銷毀"),
    "§8.3": ("Borrowing register approved by the department head, within a maximum period", "檔案借閱"),
}

BY_PEOPLE: dict[str, tuple[str, str]] = {
    "§1.1": ("A statement of purpose; the archive as a whole serves it.", "目的之陳述；整個檔案庫為此服務。"),
    "§1.3": (
        "Principles guide judgement (client first, cooperation); they are not facts a record can show.",
        "原則（客戶至上、協作）指引判斷，並非記錄可呈現之事實。",
    ),
    "§1.4": (
        "Who does what is configured in organization.yaml; whether people do their part well is for managers.",
        "職責於 organization.yaml 設定；各人是否盡責由主管判斷。",
    ),
    "§2.1": ("Whether the channel recorded is the one the client really used.", "所記錄之接單管道是否為客戶實際使用者。"),
    "§2.2": (
        "Whether the client really confirmed what was recorded (the signed contract in attachments/ shows it).",
        "客戶是否確實確認所記錄之內容（以 attachments/ 中簽署之合約為憑）。",
    ),
    "§2.4": ("Whether the feasibility assessment is sound.", "可行性評估是否妥當。"),
    "§3.2": ("Whether the progress reported is truthful.", "所回報之進度是否屬實。"),
    "§3.5": ("The periodic analysis is a report people write from the site's reports.", "定期分析由人員依網站報表撰寫。"),
    "§4.1": ("The content of the quality standards themselves.", "品質標準本身之內容。"),
    "§4.2": ("Whether every stage was actually inspected; records show only the inspections made.", "各階段是否皆實際檢驗；記錄僅呈現已進行之檢驗。"),
    "§4.5": ("Interpreting the statistics and acting on them.", "解讀統計並據以改善。"),
    "§5.1": ("Whether delivery happened in the agreed way and the documents are the right ones.", "交付方式是否依約、交付文件是否正確。"),
    "§5.2": ("Whether the client's inspection really followed the agreed criteria.", "客戶驗收是否確依約定標準。"),
    "§5.3": ("How a negotiation or dispute is conducted.", "協商或爭議之處理方式。"),
    "§6.4": ("How a settlement objection is negotiated.", "結算異議之協商方式。"),
    "§7.3": ("Whether implementation followed the change plan.", "變更實施是否依變更計劃。"),
    "§8.1": ("Paper originals held by each department, outside this archive.", "各部門保存於本檔案庫以外之紙本正本。"),
}
"""What people check, per clause, and why software cannot: the remainder of a clause the rules leave."""


@dataclass(frozen=True)
class Coverage:
    clause: str
    title_en: str
    title_zh: str
    rules: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    by_people: tuple[str, str] | None = None
    """(English, 繁體中文): the part of the clause people check, and why."""

    @property
    def checked(self) -> bool:
        return bool(self.rules or self.fields or self.by_people)

    @property
    def status(self) -> str:
        """``software``: what records can show is all checked; ``software+people``: checked, and the rest by people
        for the reason given; ``people``: by people only. A clause is never left partly checked without a reason."""
        if not (self.rules or self.fields):
            return "people"
        return "software+people" if self.by_people else "software"

    def reason(self, language: str) -> str:
        return "" if self.by_people is None else self.by_people[1 if language == "zh-Hant" else 0]


def _fields_by_clause() -> dict[str, list[str]]:
    """``kind.field.path`` of every model field that carries a clause."""
    out: dict[str, list[str]] = {}
    seen: set[tuple[type[BaseModel], str]] = set()

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            clause = extra.get("x-clause")
            path = f"{prefix}.{name}"
            if clause:
                out.setdefault(str(clause), []).append(path)
            nested = nested_model(info.annotation)
            if nested is not None and (nested, path) not in seen:
                seen.add((nested, path))
                walk(nested, path)

    for kind, model in MODELS.items():
        walk(model, kind)
    return out


@cache
def compliance_map() -> list[Coverage]:
    """One row per clause, §1.1 to §8.3, in the regulation's order."""
    fields = _fields_by_clause()
    return [
        Coverage(
            clause,
            en,
            zh,
            rules=[r.id for r in REGISTRY.values() if clause in r.clauses],
            fields=fields.get(clause, []),
            by_people=BY_PEOPLE.get(clause),
        )
        for clause, (en, zh) in CLAUSES.items()
    ]
