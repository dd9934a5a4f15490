"""Pydantic and the exported JSON Schema give the same verdict on the same value (issue: one definition, two enforcers).

Every leaf and every mapping of one record of each kind from the demo is mutated — wrong types, values
outside the closed lists, impossible dates, negative and over-precise amounts, unknown keys, control and
bidi characters, blank and overlong text, non-ASCII digits in ids — and validated twice: by the models,
as ``orders validate`` does, and by the ``jsonschema`` library (Draft 2020-12, format checking on) with the
schema an editor loads. Where they may differ, and why, is ``DIFFERENCES``: cross-field rules (one record's
fields compared) and checks no JSON Schema can state.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from generator.demo.archive import demo_files
from generator.records.safeyaml import parse
from schemas import MODELS
from schemas.base import RecordErrors
from schemas.export import json_schemas, schema_file_name

DIFFERENCES = {
    "time_zone": "an IANA time zone name must exist in the machine's zone database, which no JSON Schema can ask",
    "paths": "a path pattern must stay inside the repository (no '..' step, no leading '/'): refused by the validator only",
}
"""Field names whose verdicts may differ, with the reason; nothing else may. (Also: 29 February of a year
that is not a leap year passes the editor's date pattern; the validator refuses it. No mutation here uses it.)"""

MUTATIONS: list[tuple[str, Any]] = [
    ("an integer", 12345),
    ("a decimal", Decimal("12.5")),
    ("yes/no", True),
    ("nothing", None),
    ("a list", ["x"]),
    ("a mapping", {"x": 1}),
    ("empty text", ""),
    ("blank text", "   "),
    ("a control character", "ab\x07cd"),
    ("a bidi override", "ab\u202ecd"),
    ("a line break", "two\nlines"),
    ("overlong text", "長" * 4001),
    ("an impossible date", "2026-02-30"),
    ("a short date", "2026-2-3"),
    ("a negative amount", "-1"),
    ("three decimals", "1.005"),
    ("an exponent", "1e3"),
    ("full-width digits in an id", "ORD-２０２６-0001"),
    ("a word not on any list", "not_a_choice"),
]


def _records() -> dict[str, list[dict[str, Any]]]:
    """Every record of the 40-order demo, parsed, by kind: between them they hold nearly every field."""
    out: dict[str, list[dict[str, Any]]] = {}
    for path, content in demo_files(40).items():
        if path.endswith(".yaml"):
            data, problems = parse(content, path)
            assert not problems
            out.setdefault(data["kind"], []).append(data)
    return out


SUPPLEMENTS: dict[str, list[tuple[tuple, Any]]] = {
    # Fields the demo never fills, set on a copy of a demo record so that every field is mutated too.
    "order": [
        (
            ("finance_review", "budget_adjustment"),
            {"reason": "加購 Extra scope", "new_budget": "600000", "agreed_by_sales": "chen.yichun", "client_agreed_on": "2026-01-10"},
        ),
        (("intake", "client", "email"), "pm@client.example"),
        (("intake", "client", "phone"), "+886-2-2345-6789"),
        (("operations_review", "issues"), "人力吃緊 Tight staffing"),
        (("tracking", 0, "note"), "依計劃 As planned"),
    ],
    "change_request": [
        (("effort_hours",), 40),
        (("implementation", "adjustments"), "延後一週 One week later"),
        (("verification", "note"), "已確認 Confirmed"),
        (("approvals", 0, "comment"), "同意 Agreed"),
    ],
    "quality_record": [(("notes",), "抽樣 Sampled")],
    "delivery": [
        (("acceptance", "remarks"), "小瑕疵 Minor remarks"),
        (("objections",), [{"raised_on": "2026-01-02", "description": "缺頁", "status": "resolved", "resolution": "補件", "resolved_on": "2026-01-05"}]),
        (("dispute",), {"opened_on": "2026-01-06", "mechanism": "調解 Mediation", "status": "resolved", "outcome": "和解 Settled", "closed_on": "2026-01-20"}),
    ],
    "settlement": [
        (("write_off",), {"amount": "1000", "reason": "無法收回 Uncollectable", "approved_by": "huang.shuhua", "on": "2026-03-01"}),
        (("excess_approval",), {"approved_by": "huang.shuhua", "on": "2026-03-01", "reason": "加班 Overtime"}),
        (("disputes",), [{"raised_on": "2026-02-01", "description": "金額 Amount", "resolved_on": "2026-02-03", "outcome": "更正 Corrected"}]),
        (("payments", 0, "reference"), "TXN-0001"),
    ],
    "disposal": [(("note",), "監銷 Witnessed")],
    "organization": [
        (("people", 0, "left_on"), "2026-01-31"),
        (("people", 0, "active"), False),
        (("people", 0, "signing_keys"), ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE"]),
    ],
    "policy": [
        (("steps",), {"intake": "sales", "operations_review": "operations", "finance_review": "finance", "settlement_plan": "finance"}),
        (("project_review_departments",), ["sales", "operations", "finance"]),
        (("platform_committers",), ["noreply@github.com"]),
        (("platforms",), [{"name": "GitHub", "committer": "noreply@github.com", "signing_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE"]}]),
        (("acknowledged",), [{"commit": "0123456789ab", "reason": "緊急 Emergency", "approved_by": "hsu.wenpin", "on": "2026-02-05"}]),
        *[((("approvals", kind, "approvers"), ["head_of_borrower_department"])) for kind in ("order", "settlement", "loan")],
        *[((("approvals", kind, "heads_only"), True)) for kind in ("order", "loan", "delivery")],
        *[((("approvals", kind, "states"), {"settled": ["finance"]})) for kind in ("order",)],
    ],
}


def _supplemented(records: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    for kind, additions in SUPPLEMENTS.items():
        for loc, value in additions:
            base = next(d for d in records[kind] if _has_parent(d, loc))
            records[kind].append(_set(base, loc, value))
    return records


def _has_parent(data: Any, loc: tuple) -> bool:
    try:
        _get(data, loc[:-1])
    except (KeyError, IndexError, TypeError):
        return False
    return True


def _shape(loc: tuple) -> tuple:
    return tuple("[]" if isinstance(part, int) else part for part in loc)


def _field_places() -> list[tuple[str, dict[str, Any], tuple]]:
    """(kind, a record that has it, place) for every distinct field place of every kind in the demo."""
    seen: set[tuple] = set()
    out = []
    for kind, records in RECORDS.items():
        for data in records:
            for loc in _places(data):
                if (kind, _shape(loc)) not in seen:
                    seen.add((kind, _shape(loc)))
                    out.append((kind, data, loc))
    return out


def _places(data: Any, loc: tuple = ()) -> Iterator[tuple]:
    """Every leaf and every mapping's place in a document (lists: their first item stands for all)."""
    if isinstance(data, dict):
        yield loc
        for key, value in data.items():
            yield from _places(value, (*loc, key))
    elif isinstance(data, list):
        yield loc
        if data:
            yield from _places(data[0], (*loc, 0))
    else:
        yield loc


def _set(data: Any, loc: tuple, value: Any) -> Any:
    data = copy.deepcopy(data)
    if not loc:
        return value
    target = data
    for part in loc[:-1]:
        target = target[part]
    target[loc[-1]] = value
    return data


def _pydantic_valid(kind: str, data: Any) -> bool:
    """The models' verdict on the fields alone: errors raised by cross-field rules do not count here."""
    try:
        MODELS[kind].model_validate(data)
    except ValidationError as exc:
        return all(isinstance(e.get("ctx", {}).get("error"), RecordErrors) for e in exc.errors())
    return True


@pytest.fixture(scope="module")
def validators() -> dict[str, jsonschema.Draft202012Validator]:
    schemas = json_schemas()
    out = {}
    for kind in MODELS:
        schema = json.loads(schemas[schema_file_name(kind)])
        jsonschema.Draft202012Validator.check_schema(schema)
        out[kind] = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return out


def _cases() -> Iterator[tuple[str, dict[str, Any], tuple, str, Any]]:
    for kind, data, loc in _field_places():
        for name, value in MUTATIONS:
            yield kind, data, loc, name, value
        if loc and isinstance(_get(data, loc), dict):
            yield kind, data, loc, "an unknown key", "__unknown__"


def _get(data: Any, loc: tuple) -> Any:
    for part in loc:
        data = data[part]
    return data


RECORDS = _supplemented(_records())
SAMPLES = {kind: max(records, key=lambda d: len(json.dumps(d, default=str))) for kind, records in RECORDS.items()}
"""The richest record of each kind, for the whole-record checks."""


def test_every_kind_has_a_sample():
    assert set(SAMPLES) == set(MODELS)


def test_the_demo_records_are_valid_for_both(validators):
    for kind, records in RECORDS.items():
        for data in records:
            assert _pydantic_valid(kind, data), kind
            assert not list(validators[kind].iter_errors(data)), (kind, data.get("id"))


def test_the_mutations_reach_nearly_every_field_of_every_kind():
    """Every field is mutated: the demo's records, plus SUPPLEMENTS for what the demo never fills; a new
    field the demo does not fill fails here until it is added there."""
    from schemas.base import nested_model

    def fields(model, prefix=()) -> set[tuple]:
        out = set()
        for name, info in model.model_fields.items():
            here = (*prefix, name)
            out.add(here)
            nested = nested_model(info.annotation)
            if nested is not None and len(here) < 6:
                out |= fields(nested, here)
        return out

    reached = {(kind, tuple(p for p in _shape(loc) if p != "[]")) for kind, _, loc in _field_places()}
    missing = sorted(f"{kind}.{'.'.join(path)}" for kind, model in MODELS.items() for path in fields(model) if (kind, path) not in reached)
    # left: an approval rule's fields under kinds whose rule the demo leaves plain (the same block type is
    # mutated under order, settlement and loan), and a platform's GPG key (it would need a real key)
    assert [m for m in missing if not m.startswith("policy.approvals.") and m != "policy.platforms.gpg_key"] == []
    assert len(missing) <= 25, missing


def test_the_models_and_the_json_schema_agree_on_every_mutation(validators):
    disagreements = []
    checked = 0
    for kind, base, loc, name, value in _cases():
        mutated = _set(base, loc, {**_get(base, loc), "zz_unknown": 1} if name == "an unknown key" else value)
        checked += 1
        ours, theirs = _pydantic_valid(kind, mutated), validators[kind].is_valid(mutated)
        if ours != theirs and not {str(p) for p in loc} & set(DIFFERENCES):
            verdicts = f"models {'accept' if ours else 'refuse'}, JSON Schema {'accepts' if theirs else 'refuses'}"
            disagreements.append(f"{kind} {'.'.join(map(str, loc))} = {name}: {verdicts}")
    assert checked > 7000
    assert disagreements == [], f"{len(disagreements)} of {checked}:\n" + "\n".join(disagreements[:60])
