"""Minimal valid records of every kind, as plain data, for tests to break one field at a time."""

from __future__ import annotations

import copy
from typing import Any

from generator.core.problems import Problem
from generator.records.layout import place_of
from generator.records.load import Source
from generator.records.safeyaml import dump, parse
from generator.records.validate import validate_source

ORDER_PATH = "records/orders/2026/ORD-2026-0001/order.yaml"

SAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "order": (
        ORDER_PATH,
        {
            "kind": "order",
            "schema_version": 1,
            "id": "ORD-2026-0001",
            "status": "in_progress",
            "intake": {
                "channel": "email",
                "received_on": "2026-03-02",
                "confirmed_on": "2026-03-03",
                "sales_rep": "lin.yating",
                "client": {"name": "台灣數位科技股份有限公司", "contact": "陳志明 經理"},
                "project_name": "會員系統重構 Member portal rebuild",
                "service_type": "software_development",
                "service_content": "重新設計會員入口網站。\nRebuild the member portal.",
                "delivery_due": "2026-06-30",
                "budget": "1200000",
                "currency": "TWD",
            },
            "forwarding": {"operations_on": "2026-03-04", "finance_on": "2026-03-04"},
            "operations_review": {
                "reviewer": "wang.chienhung",
                "reviewed_on": "2026-03-05",
                "decision": "approved",
                "feasibility": "可行 Feasible",
            },
            "finance_review": {"reviewer": "huang.shuhua", "reviewed_on": "2026-03-05", "decision": "approved"},
            "work_plan": {
                "tasks": [
                    {"id": "T1", "title": "需求訪談 Requirements", "owner": "lee.chiawei", "start": "2026-03-06", "due": "2026-04-01"},
                    {"id": "T2", "title": "開發 Build", "owner": "lee.chiawei", "due": "2026-06-15", "status": "in_progress"},
                ],
                "milestones": [{"name": "交付 Delivery", "due": "2026-06-30"}],
            },
        },
    ),
    "change_request": (
        "records/orders/2026/ORD-2026-0001/changes/CR-2026-0001-01.yaml",
        {
            "kind": "change_request",
            "schema_version": 1,
            "id": "CR-2026-0001-01",
            "order": "ORD-2026-0001",
            "status": "requested",
            "title": "新增報表 Add a report",
            "requested_on": "2026-04-01",
            "requested_by": "陳志明 經理",
            "recorded_by": "lin.yating",
            "reason": "營運需求 Operations need",
            "content": "新增月報表 A monthly report",
            "impact": "費用 +60k Cost +60k",
            "major": False,
            "cost_delta": "60000",
        },
    ),
    "quality_record": (
        "records/orders/2026/ORD-2026-0001/quality/QC-2026-0001-01.yaml",
        {
            "kind": "quality_record",
            "schema_version": 1,
            "id": "QC-2026-0001-01",
            "order": "ORD-2026-0001",
            "status": "closed",
            "stage": "inspection",
            "inspected_on": "2026-06-20",
            "inspector": "liu.yihsuan",
            "standard": "QS-01 軟體交付檢驗規範",
            "result": "pass",
            "closed_on": "2026-06-20",
        },
    ),
    "delivery": (
        "records/orders/2026/ORD-2026-0001/delivery.yaml",
        {
            "kind": "delivery",
            "schema_version": 1,
            "id": "DLV-2026-0001",
            "order": "ORD-2026-0001",
            "delivered_on": "2026-06-28",
            "method": "online",
            "delivered_by": "lee.chiawei",
            "documents": [{"type": "user_guide", "title": "使用說明 User guide"}],
        },
    ),
    "settlement": (
        "records/orders/2026/ORD-2026-0001/settlement.yaml",
        {
            "kind": "settlement",
            "schema_version": 1,
            "id": "STL-2026-0001",
            "order": "ORD-2026-0001",
            "status": "draft",
            "currency": "TWD",
            "plan": {
                "method": "bank_transfer",
                "cycle": "one_off",
                "fee_lines": [{"description": "全案 Whole project", "amount": "1200000"}],
                "drafted_by": "huang.shuhua",
                "drafted_on": "2026-07-01",
            },
        },
    ),
    "loan": (
        "records/archive/borrowing/BR-2026-0001.yaml",
        {
            "kind": "loan",
            "schema_version": 1,
            "id": "BR-2026-0001",
            "borrower": "chang.chiahao",
            "department": "sales",
            "records": ["ORD-2026-0001"],
            "purpose": "年度稽核 Annual audit",
            "requested_on": "2026-08-01",
        },
    ),
    "disposal": (
        "records/archive/disposals/DS-2026-0001.yaml",
        {
            "kind": "disposal",
            "schema_version": 1,
            "id": "DS-2026-0001",
            "items": [{"record": "ORD-2015-0001", "retention_until": "2025-12-31"}],
            "reason": "保存年限屆滿 Retention expired",
            "proposed_by": "chou.peichun",
            "proposed_on": "2026-08-01",
            "method": "shredding",
        },
    ),
    "organization": (
        "records/organization.yaml",
        {
            "kind": "organization",
            "schema_version": 1,
            "name_zh": "鴻信外包服務股份有限公司",
            "name_en": "Hongxin Outsourcing Services Co., Ltd.",
            "departments": [{"id": "sales", "name_zh": "銷售部", "name_en": "Sales", "head": "lin.yating"}],
            "people": [{"id": "lin.yating", "name": "林雅婷", "department": "sales", "emails": ["lin.yating@hongxin.example"]}],
        },
    ),
    "policy": (
        "records/policy.yaml",
        {
            "kind": "policy",
            "schema_version": 1,
            "retention_years": {
                "order": 10,
                "change_request": 10,
                "quality_record": 5,
                "delivery": 10,
                "settlement": 10,
                "loan": 3,
                "disposal": 30,
            },
            "max_borrowing_days": 30,
            "calendar": {"holidays": [{"on": "2026-01-01", "name": "元旦"}]},
            "approvals": {
                kind: {"departments": ["sales"]}
                for kind in (
                    "order",
                    "change_request",
                    "quality_record",
                    "delivery",
                    "settlement",
                    "loan",
                    "disposal",
                    "organization",
                    "policy",
                )
            },
        },
    ),
}


def sample(kind: str) -> dict[str, Any]:
    """A fresh deep copy of the valid sample of ``kind``."""
    return copy.deepcopy(SAMPLES[kind][1])


def check(kind: str, data: dict[str, Any] | None = None, path: str | None = None) -> list[Problem]:
    """Write ``data`` as YAML at the sample's path and validate it like ``orders validate`` does."""
    path = path or SAMPLES[kind][0]
    raw = dump(sample(kind) if data is None else data).encode()
    value, problems = parse(raw, path)
    assert problems == [], problems
    place = place_of(path.removeprefix("records/"))
    assert place is not None
    entry, found = validate_source(Source(path, place, raw, value))
    assert (entry is None) == bool(found)
    return found


def check_text(kind: str, text: str) -> list[Problem]:
    """Validate hand-written YAML text at the sample's path."""
    path = SAMPLES[kind][0]
    raw = text.encode()
    value, problems = parse(raw, path)
    if value is None:
        return problems
    place = place_of(path.removeprefix("records/"))
    _, found = validate_source(Source(path, place, raw, value))
    return found
