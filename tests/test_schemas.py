"""Every model constraint, checked through the same path ``orders validate`` takes.

Each test breaks one field of a valid sample and asserts the rule, the line
of the field, and the clause the message carries.
"""

from __future__ import annotations

import pickle
from decimal import Decimal

import pytest

from generator.records.layout import place_of
from generator.records.load import Source
from generator.records.safeyaml import dump, parse
from generator.records.validate import validate_source
from schemas import MODELS, TRANSITIONS, OrderStatus
from schemas.base import nested_model
from schemas.lifecycle import LABELS_ZH, REGULATION_STATUS_WORDS, can_move

from samples import SAMPLES, check, check_text, sample


def only(problems):
    assert len(problems) == 1, [p.format() for p in problems]
    return problems[0]


def set_path(data, path, value):
    target = data
    for part in path[:-1]:
        target = target[part]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


DELETE = object()


def broken(kind, path, value):
    return check(kind, set_path(sample(kind), path, value))


# --------------------------------------------------------------------------
# Every kind


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_samples_are_valid(kind):
    assert check(kind) == []


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_unknown_keys_are_errors(kind):
    data = sample(kind)
    data["unexpected"] = "x"
    problem = only(check(kind, data))
    assert problem.rule == "schema.unknown-field"
    assert problem.message.startswith("unexpected: unknown field")


def test_unknown_key_suggests_the_nearest_field():
    problem = only(broken("order", ("intake", "budjet"), "1"))
    assert "did you mean 'budget'" in problem.message
    assert problem.message.startswith("intake.budjet:")


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_schema_version_is_fixed(kind):
    problem = only(broken(kind, ("schema_version",), 2))
    assert problem.rule == "schema.invalid-choice"


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_every_field_has_a_bilingual_description(kind):
    def walk(model):
        for name, info in model.model_fields.items():
            assert info.description and " / " in info.description, f"{model.__name__}.{name}"
            english, chinese = info.description.rsplit(" / ", 1)
            assert english.isascii() or any(c.isascii() for c in english)
            assert any("\u4e00" <= c <= "\u9fff" for c in chinese), f"{model.__name__}.{name}: {chinese}"
            nested = nested_model(info.annotation)
            if nested is not None:
                walk(nested)

    walk(MODELS[kind])


def test_missing_required_field_points_at_its_parent_and_clause():
    problem = only(broken("order", ("intake", "budget"), DELETE))
    assert (problem.rule, problem.clause) == ("schema.required", "§2.2")
    assert problem.message == "intake.budget: missing required field"
    assert problem.line == 5  # the `intake:` line


def test_error_line_is_the_line_of_the_field():
    text = (
        "kind: change_request\nschema_version: 1\nid: CR-2026-0001-01\norder: ORD-2026-0001\nstatus: requested\n"
        "title: t\nrequested_on: 2026-04-01\nrequested_by: x\nrecorded_by: lin.yating\nreason: r\ncontent: c\nimpact: i\n"
        "major: false\ncost_delta: 1,000\n"
    )
    problem = only(check_text("change_request", text))
    assert (problem.line, problem.col, problem.rule, problem.clause) == (14, 1, "schema.invalid-value", "§7.1")


# --------------------------------------------------------------------------
# Money


@pytest.mark.parametrize("amount", ["1200000", "1200000.5", "1200000.50", "0", 1200000, 0])
def test_money_accepts_integers_and_quoted_decimals(amount):
    data = set_path(sample("order"), ("intake", "budget"), amount)
    assert check("order", data) == []


@pytest.mark.parametrize(
    ("amount", "hint"),
    [
        ("1,200,000", "thousands separators"),
        ("1e6", "exponents"),
        ("1_000", "no thousands"),
        (" 100 ", "spaces"),
        ("100.001", "two decimals"),
        ("-5", "negative"),
        ("NaN", "not an amount"),
        ("", "not an amount"),
        (True, "yes/no"),
        ([1], "expected an amount"),
    ],
)
def test_money_refuses_what_is_not_an_exact_amount(amount, hint):
    problem = only(broken("order", ("intake", "budget"), amount))
    assert problem.rule == "schema.invalid-value"
    assert hint in problem.message
    assert problem.clause == "§2.2"


def test_unquoted_decimal_amount_asks_for_quotes():
    text = (
        "kind: settlement\nschema_version: 1\nid: STL-2026-0001\norder: ORD-2026-0001\nstatus: draft\ncurrency: TWD\n"
        "plan:\n  method: bank_transfer\n  cycle: one_off\n  fee_lines:\n    - description: x\n      amount: 1200000.10\n"
        "  drafted_by: huang.shuhua\n  drafted_on: 2026-07-01\n"
    )
    problem = only(check_text("settlement", text))
    assert problem.line == 12
    assert "in quotes" in problem.message and "1200000.10" in problem.message


def test_money_delta_may_be_negative():
    assert broken("change_request", ("cost_delta",), "-80000") == []


def test_amounts_are_exact_decimals():
    from schemas import Order

    order = Order.model_validate(set_path(sample("order"), ("intake", "budget"), "1200000.10"))
    assert order.intake.budget == Decimal("1200000.10")


def test_an_amount_written_alike_is_one_object_and_keeps_how_it_was_written(monkeypatch):
    from schemas import Order, base

    first, second, other = (
        Order.model_validate(set_path(sample("order"), ("intake", "budget"), amount)).intake.budget for amount in ("1200000.50", "1200000.50", "1200000.5")
    )
    assert first is second
    assert str(other) == "1200000.5" and str(first) == "1200000.50"
    monkeypatch.setattr(base, "_AMOUNTS", {})
    monkeypatch.setattr(base, "_SHARED_MAX", 0)  # a full table: still right, only not shared
    again = Order.model_validate(set_path(sample("order"), ("intake", "budget"), "1200000.50")).intake.budget
    assert again == first and base._AMOUNTS == {}
    assert only(broken("order", ("intake", "budget"), "-5")).rule == "schema.invalid-value"  # the sign is checked each time


# --------------------------------------------------------------------------
# Dates


def test_a_date_written_alike_is_one_object():
    from schemas import Order

    one, two = (Order.model_validate(set_path(sample("order"), ("intake", "received_on"), "2026-03-02")).intake.received_on for _ in range(2))
    assert one is two and one.isoformat() == "2026-03-02"
    assert only(broken("order", ("intake", "received_on"), "2026-02-30")).rule == "schema.invalid-value"  # never taken from the table


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("2026-02-30", "not a calendar date"),
        ("2026-13-01", "not a calendar date"),
        ("2026-1-5", "YYYY-MM-DD"),
        ("2026-01-05T10:00:00", "YYYY-MM-DD"),
        ("05/01/2026", "YYYY-MM-DD"),
        (1767225600, "YYYY-MM-DD"),
        ("1767225600", "YYYY-MM-DD"),
        (None, "YYYY-MM-DD"),
    ],
)
def test_dates_are_iso_calendar_dates(value, hint):
    problem = only(broken("order", ("intake", "received_on"), value))
    assert problem.rule == "schema.invalid-value"
    assert hint in problem.message


# --------------------------------------------------------------------------
# Text


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("evil\u202etxt", "U+202E"),
        ("a\u2066b", "U+2066"),
        ("bell\x07", "U+0007"),
        ("esc\x1b[31m", "U+001B"),
        ("nul\x00", "U+0000"),
        ("c1\x85", "U+0085"),
        ("two\nlines", "line break"),
        ("   ", "empty or only spaces"),
        ("", "must not be empty"),
    ],
)
def test_single_line_text_refuses_controls_bidi_and_newlines(value, hint):
    problem = only(broken("order", ("intake", "project_name"), value))
    assert problem.rule in ("schema.invalid-text", "schema.invalid-value")
    assert hint in problem.message


def test_multi_line_text_allows_newlines_but_not_bidi_overrides():
    assert broken("order", ("intake", "service_content"), "第一行\nline two\n") == []
    problem = only(broken("order", ("intake", "service_content"), "ok\n\u202eevil"))
    assert "U+202E" in problem.message


def test_text_length_is_bounded():
    problem = only(broken("order", ("intake", "project_name"), "x" * 201))
    assert "at most 200" in problem.message
    problem = only(broken("order", ("intake", "service_content"), "x" * 4001))
    assert "at most 4000" in problem.message


@pytest.mark.parametrize(("value", "shown"), [(2026, "2026 here as a number"), (True, "True here as a yes/no value")])
def test_a_number_in_a_text_field_is_refused_never_rewritten(value, shown):
    """YAML reads `project_name: 2026` as a number and `+1` as 1: the text would silently change, and the
    editor's schema says "string". Both refuse it; the message says to quote it."""
    problem = only(broken("order", ("intake", "project_name"), value))
    assert problem.rule == "schema.wrong-type" and "write it in quotes" in problem.message and shown in problem.message


@pytest.mark.parametrize("written", ["+1", "-0", "1.50", "2026", "yes"])
def test_yaml_numbers_written_where_text_belongs_are_refused_as_written(written):
    from samples import dump

    text = dump(sample("order")).replace("project_name: ", f"project_name: {written}  # was: ", 1)
    found = [p for p in check_text("order", text) if p.rule == "schema.wrong-type"]
    if written == "yes":  # YAML 1.2 reads yes as text: nothing to refuse
        assert found == []
    else:
        [problem] = found
        assert "write it in quotes" in problem.message


@pytest.mark.parametrize("value", [True, Decimal("1.0"), 2])
def test_the_schema_version_is_the_whole_number_1(value):
    [problem] = [p for p in broken("order", ("schema_version",), value)]
    assert problem.rule.startswith("schema.") and problem.line == 2


@pytest.mark.parametrize(
    ("kind", "path", "value", "limit"),
    [
        ("order", ("work_plan", "tasks", 0, "id"), "T" * 21, "at most 20"),
        ("settlement", ("invoices",), [{"number": "A" * 41, "issued_on": "2026-01-01", "amount": 1}], "at most 40"),
        ("settlement", ("payments",), [{"invoice": "A" * 41, "received_on": "2026-01-01", "amount": 1}], "at most 40"),
    ],
)
def test_a_field_shorter_than_a_line_keeps_its_own_limit(kind, path, value, limit):
    problems = broken(kind, path, value)
    assert any(limit in p.message for p in problems), [p.format() for p in problems]


# --------------------------------------------------------------------------
# Ids, enums, strict numbers and flags


@pytest.mark.parametrize("value", ["ORD-26-0001", "ord-2026-0001", "ORD-2026-001", "ORD-2026-0001 "])
def test_ids_have_their_exact_form(value):
    problems = broken("order", ("id",), value)
    assert sorted(p.rule for p in problems) == ["record.id-mismatch", "schema.invalid-value"]
    assert all(p.line == 3 for p in problems)
    assert "expected the form ORD-2026-0001" in next(p.message for p in problems if p.rule == "schema.invalid-value")


@pytest.mark.parametrize("value", ["Lin Yating", "lin..yating", "林雅婷", "Lin.yating"])
def test_person_references_are_ids(value):
    problem = only(broken("order", ("intake", "sales_rep"), value))
    assert "person id" in problem.message


def test_enums_are_closed_and_list_the_choices():
    problem = only(broken("order", ("intake", "channel"), "fax"))
    assert problem.rule == "schema.invalid-choice"
    assert "'phone', 'email' or 'online_chat'" in problem.message
    assert problem.clause == "§2.1"


@pytest.mark.parametrize("value", ["NO", "no", "yes", "1", 1, "false"])
def test_flags_are_strict_booleans(value):
    problem = only(broken("change_request", ("major",), value))
    assert problem.rule == "schema.wrong-type"


@pytest.mark.parametrize("value", ["50", 50.0, True, Decimal("5.5")])
def test_counts_are_strict_integers(value):
    data = sample("order")
    data["tracking"] = [{"on": "2026-04-01", "progress": value, "quality": "on_track"}]
    problem = only(check("order", data))
    assert problem.message.startswith("tracking[0].progress:")


def test_percent_is_bounded():
    data = sample("order")
    data["tracking"] = [{"on": "2026-04-01", "progress": 101, "quality": "on_track"}]
    assert "less than or equal to 100" in only(check("order", data)).message


def test_a_mapping_where_text_belongs_is_a_type_error():
    problem = only(broken("order", ("intake", "project_name"), {"zh": "x"}))
    assert problem.rule == "schema.wrong-type"
    assert "got a mapping" in problem.message


# --------------------------------------------------------------------------
# Order (§2, §3)


def test_order_confirmed_before_received_is_refused():
    problem = only(broken("order", ("intake", "confirmed_on"), "2026-03-01"))
    assert (problem.rule, problem.clause) == ("schema.cross-field", "§2.2")
    assert problem.message.startswith("intake.confirmed_on:")


def test_order_due_before_confirmation_is_refused():
    assert "delivery date" in only(broken("order", ("intake", "delivery_due"), "2026-03-01")).message


def test_order_forwarded_before_confirmation_is_refused():
    problem = only(broken("order", ("forwarding", "finance_on"), "2026-03-02"))
    assert problem.clause == "§2.3"
    assert problem.line == 23  # the `finance_on:` line


def test_order_beyond_received_needs_forwarding():
    problem = only(broken("order", ("forwarding",), DELETE))
    assert (problem.clause, problem.message) == ("§2.3", "status: status in_progress needs the forwarding dates")


def test_cancelled_order_needs_its_cancellation():
    problem = only(broken("order", ("status",), "cancelled"))
    assert "cancellation" in problem.message
    data = set_path(sample("order"), ("status",), "cancelled")
    data["cancellation"] = {"on": "2026-03-10", "reason": "客戶取消", "approved_by": "lin.yating"}
    assert check("order", data) == []


def test_archived_order_needs_its_archive_date_and_vice_versa():
    assert "archived" in only(broken("order", ("status",), "archived")).message
    assert "archived_on is set" in only(broken("order", ("archived_on",), "2027-01-01")).message


def test_work_plan_task_ids_are_unique_and_tasks_end_after_they_start():
    data = sample("order")
    data["work_plan"]["tasks"][1]["id"] = "T1"
    assert only(check("order", data)).message == "work_plan.tasks[1].id: task id T1 is used twice"
    data = sample("order")
    data["work_plan"]["tasks"][0]["due"] = "2026-03-01"
    assert only(check("order", data)).clause == "§3.1"


def test_work_plan_needs_at_least_one_task():
    data = sample("order")
    data["work_plan"]["tasks"] = []
    assert "at least 1" in only(check("order", data)).message


def test_attachments_are_listed_once():
    data = sample("order")
    data["attachments"] = [{"file": "a.pdf", "title": "A"}, {"file": "a.pdf", "title": "B"}]
    assert "listed twice" in only(check("order", data)).message


# --------------------------------------------------------------------------
# Change request (§7)


def change(**fields):
    data = sample("change_request")
    data.update(fields)
    return check("change_request", data)


ASSESSMENT = {"by": "lee.chiawei", "on": "2026-04-03", "summary": "可行"}
APPROVALS = [
    {"department": "operations", "by": "wang.chienhung", "on": "2026-04-05", "decision": "approved"},
    {"department": "finance", "by": "huang.shuhua", "on": "2026-04-05", "decision": "approved"},
]
IMPLEMENTATION = {"plan": "兩階段", "started_on": "2026-04-06", "completed_on": "2026-04-20", "notified": ["lin.yating"]}


def test_change_past_requested_needs_assessment():
    assert only(change(status="assessed")).clause == "§3.4"


def test_approved_change_needs_approvals_and_none_rejected():
    assert only(change(status="approved", assessment=ASSESSMENT)).clause == "§7.1"
    rejected = [*APPROVALS[:1], {**APPROVALS[1], "decision": "rejected"}]
    problem = only(change(status="approved", assessment=ASSESSMENT, approvals=rejected))
    assert problem.message.startswith("approvals[1].decision:")


def test_major_change_needs_a_review_before_approval():
    problem = only(change(status="approved", assessment=ASSESSMENT, approvals=APPROVALS, major=True))
    assert (problem.clause, problem.message.split(":")[0]) == ("§7.2", "major_review")
    review = {"held_on": "2026-04-04", "departments": ["operations", "finance"], "conclusion": "同意"}
    assert change(status="approved", assessment=ASSESSMENT, approvals=APPROVALS, major=True, major_review=review) == []


def test_major_review_involves_several_departments():
    review = {"held_on": "2026-04-04", "departments": ["operations"], "conclusion": "同意"}
    problem = only(change(status="approved", assessment=ASSESSMENT, approvals=APPROVALS, major=True, major_review=review))
    assert problem.clause == "§7.2"


def test_implemented_change_needs_implementation_with_completion():
    assert only(change(status="implemented", assessment=ASSESSMENT, approvals=APPROVALS)).clause == "§7.3"
    open_impl = {**IMPLEMENTATION}
    del open_impl["completed_on"]
    problem = only(change(status="implemented", assessment=ASSESSMENT, approvals=APPROVALS, implementation=open_impl))
    assert problem.message.startswith("implementation.completed_on:")


def test_verified_change_needs_verification():
    problem = only(change(status="verified", assessment=ASSESSMENT, approvals=APPROVALS, implementation=IMPLEMENTATION))
    assert problem.clause == "§7.4"
    verification = {"by": "liu.yihsuan", "on": "2026-04-21", "result": "confirmed"}
    assert change(status="verified", assessment=ASSESSMENT, approvals=APPROVALS, implementation=IMPLEMENTATION, verification=verification) == []


def test_change_approved_before_it_was_requested_is_refused():
    early = [{**APPROVALS[0], "on": "2026-03-01"}, APPROVALS[1]]
    problem = only(change(status="approved", assessment=ASSESSMENT, approvals=early))
    assert problem.message.startswith("approvals[0].on:")


def test_a_department_approves_once():
    problem = only(change(status="approved", assessment=ASSESSMENT, approvals=[APPROVALS[0], APPROVALS[0]]))
    assert "approves twice" in problem.message


# --------------------------------------------------------------------------
# Quality (§4)


def quality(**fields):
    data = sample("quality_record")
    data.update(fields)
    return check("quality_record", data)


DEFECT = [{"type": "functional", "severity": "major", "description": "查詢逾時 Lookup times out"}]


def test_failed_inspection_lists_defects():
    assert only(quality(result="fail")).clause == "§4.3"


def test_rectification_is_rework_repair_or_scrap():
    rect = {"action": "redo", "description": "x"}
    problem = only(quality(result="fail", defects=DEFECT, status="rectifying", closed_on=None, rectification=rect))
    assert problem.rule == "schema.invalid-choice"
    assert "'rework', 'repair' or 'scrap'" in problem.message


def test_closed_record_with_rectification_needs_its_completion():
    rect = {"action": "rework", "description": "返工", "client_notified_on": "2026-06-21"}
    problem = only(quality(result="fail", defects=DEFECT, rectification=rect))
    assert problem.message.startswith("rectification.completed_on:")


def test_closed_quality_record_needs_closing_date():
    assert only(quality(closed_on=None)).clause == "§4.4"
    assert "closed before the inspection" in only(quality(closed_on="2026-06-01")).message


def test_satisfaction_is_one_to_five():
    assert quality(satisfaction=5) == []
    assert only(quality(satisfaction=6)).rule == "schema.invalid-value"


# --------------------------------------------------------------------------
# Delivery (§5)


def test_acceptance_needs_date_and_person():
    data = sample("delivery")
    data["acceptance"] = {"criteria": "合約附件", "method": "測試", "result": "accepted"}
    assert only(check("delivery", data)).clause == "§5.2"


def test_acceptance_cannot_precede_delivery():
    data = sample("delivery")
    data["acceptance"] = {"criteria": "c", "method": "m", "result": "accepted", "accepted_on": "2026-06-01", "accepted_by": "客戶"}
    assert "accepted before it was delivered" in only(check("delivery", data)).message


def test_resolved_objection_states_outcome():
    data = sample("delivery")
    data["objections"] = [{"raised_on": "2026-07-01", "description": "範圍不符", "status": "resolved"}]
    assert only(check("delivery", data)).clause == "§5.3"


def test_delivery_notice_follows_delivery():
    data = sample("delivery")
    data["notified"] = {"sales_on": "2026-06-27", "finance_on": "2026-06-28"}
    assert only(check("delivery", data)).clause == "§5.4"


# --------------------------------------------------------------------------
# Settlement (§6)


CONFIRMED_PLAN = {"client_confirmed_on": "2026-07-03", "client_confirmed_by": "客戶財務"}
INVOICE = {"number": "AB12345678", "issued_on": "2026-07-04", "amount": "1200000", "tax": "60000"}


def settlement(plan=None, **fields):
    data = sample("settlement")
    data["plan"].update(plan or {})
    data.update(fields)
    return check("settlement", data)


def test_invoices_need_a_confirmed_plan():
    problems = settlement(status="invoicing", invoices=[INVOICE])
    assert {p.clause for p in problems} == {"§6.2"}
    assert settlement(CONFIRMED_PLAN, status="invoicing", invoices=[INVOICE]) == []


def test_confirmation_needs_date_and_person():
    assert only(settlement({"client_confirmed_on": "2026-07-03"})).clause == "§6.2"


def test_payments_refer_to_invoices_and_do_not_exceed_them():
    pay = {"received_on": "2026-08-01", "amount": "1260000", "invoice": "XX00000000"}
    assert "no invoice XX00000000" in only(settlement(CONFIRMED_PLAN, status="invoicing", invoices=[INVOICE], payments=[pay])).message
    over = {**pay, "invoice": "AB12345678", "amount": "1260001"}
    assert "exceed" in only(settlement(CONFIRMED_PLAN, status="invoicing", invoices=[INVOICE], payments=[over])).message


def test_settled_only_when_paid_in_full_or_written_off():
    half = {"received_on": "2026-08-01", "amount": "600000", "invoice": "AB12345678"}
    problem = only(settlement(CONFIRMED_PLAN, status="settled", settled_on="2026-08-02", invoices=[INVOICE], payments=[half]))
    assert "660000 is still unpaid" in problem.message
    write_off = {"amount": "660000", "reason": "客戶倒閉", "approved_by": "huang.shuhua", "on": "2026-08-02"}
    assert settlement(CONFIRMED_PLAN, status="settled", settled_on="2026-08-02", invoices=[INVOICE], payments=[half], write_off=write_off) == []


def test_settled_needs_settlement_date():
    full = {"received_on": "2026-08-01", "amount": "1260000", "invoice": "AB12345678"}
    assert only(settlement(CONFIRMED_PLAN, status="settled", invoices=[INVOICE], payments=[full])).clause == "§6.5"


def test_invoices_cover_the_plan_before_settlement():
    small = {**INVOICE, "amount": "1000", "tax": "0"}
    pay = {"received_on": "2026-08-01", "amount": "1000", "invoice": "AB12345678"}
    problem = only(settlement(CONFIRMED_PLAN, status="settled", settled_on="2026-08-02", invoices=[small], payments=[pay]))
    assert "do not cover" in problem.message


def test_invoice_numbers_are_unique():
    problem = only(settlement(CONFIRMED_PLAN, status="invoicing", invoices=[INVOICE, INVOICE]))
    assert "listed twice" in problem.message


def test_disputed_settlement_has_an_open_dispute():
    assert only(settlement(CONFIRMED_PLAN, status="disputed")).clause == "§6.4"
    dispute = [{"raised_on": "2026-07-10", "description": "金額爭議"}]
    assert settlement(CONFIRMED_PLAN, status="disputed", disputes=dispute) == []


# --------------------------------------------------------------------------
# Archive (§8)


def loan(**fields):
    data = sample("loan")
    data.update(fields)
    return check("loan", data)


def test_loan_is_lent_only_after_approval():
    assert only(loan(borrowed_on="2026-08-02", due_on="2026-08-20")).clause == "§8.3"
    assert loan(approved_by="lin.yating", approved_on="2026-08-02", borrowed_on="2026-08-02", due_on="2026-08-20") == []


def test_loan_dates_are_in_order():
    base = {"approved_by": "lin.yating", "approved_on": "2026-08-02", "borrowed_on": "2026-08-02"}
    assert "due back before" in only(loan(**base, due_on="2026-08-01")).message
    assert "returned before" in only(loan(**base, due_on="2026-08-20", returned_on="2026-08-01")).message
    assert "needs the date it is due" in only(loan(**base)).message


def test_loan_records_are_record_ids():
    assert only(loan(records=["contract.pdf"])).rule == "schema.invalid-value"


def test_disposal_lists_only_expired_records_and_needs_approval_and_witness():
    data = sample("disposal")
    data["items"][0]["retention_until"] = "2030-12-31"
    assert "still under retention" in only(check("disposal", data)).message
    data = sample("disposal")
    data["destroyed_on"] = "2026-08-10"
    messages = sorted(p.message for p in check("disposal", data))
    assert messages == ["destroyed_on: records are destroyed only after approval", "witness: a destruction needs a witness"]


# --------------------------------------------------------------------------
# Organization and policy


def test_organization_references_resolve_and_emails_are_unique():
    data = sample("organization")
    data["departments"][0]["head"] = "nobody"
    assert "nobody is not in the people list" in only(check("organization", data)).message
    data = sample("organization")
    data["people"].append({"id": "chen.x", "name": "陳", "department": "sales", "emails": ["LIN.YATING@hongxin.example"]})
    assert "already belongs to lin.yating" in only(check("organization", data)).message


def test_policy_numbers_are_strict_and_bounded():
    data = sample("policy")
    data["max_borrowing_days"] = "30"
    assert only(check("policy", data)).rule == "schema.wrong-type"
    data = sample("policy")
    data["retention_years"]["order"] = 0
    assert only(check("policy", data)).clause == "§8.2"


def test_policy_weekday_names_are_closed():
    data = sample("policy")
    data["calendar"]["weekend"] = ["sat"]
    assert only(check("policy", data)).rule == "schema.invalid-choice"


# --------------------------------------------------------------------------
# Lifecycle


def test_the_regulation_status_words_exist_as_named():
    assert {s.value: (s.zh, clause) for s, (_, clause) in REGULATION_STATUS_WORDS.items()} == {
        "received": ("已接收", "§2.3"),
        "delivered": ("已交付", "§5.4"),
        "settled": ("已結算", "§6.5"),
    }
    assert OrderStatus.RECEIVED.label == "已接收 received"


def test_every_status_has_a_label_and_a_row_in_its_table():
    for status_type, table in TRANSITIONS.items():
        assert set(table) == set(status_type)
        for status, targets in table.items():
            assert status in LABELS_ZH
            assert all(type(t) is status_type for t in targets)


def test_transitions_keep_the_regulation_order():
    assert can_move(OrderStatus.RECEIVED, OrderStatus.IN_PROGRESS)
    assert can_move(OrderStatus.SETTLED, OrderStatus.ARCHIVED)
    assert not can_move(OrderStatus.DELIVERED, OrderStatus.IN_PROGRESS)
    assert not can_move(OrderStatus.RECEIVED, OrderStatus.SETTLED)
    assert not any(can_move(OrderStatus.SETTLED, s) for s in OrderStatus if s not in (OrderStatus.SETTLED, OrderStatus.ARCHIVED))


# --------------------------------------------------------------------------
# Pickling (the validated records' cache, ``generator.records.validated``)


def validated(kind):
    path = SAMPLES[kind][0]
    raw = dump(sample(kind)).encode()
    entry, found = validate_source(Source(path, place_of(path.removeprefix("records/")), raw, parse(raw, path)[0]))
    assert found == [] and entry is not None
    return entry.model


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_a_record_pickles_as_its_fields_and_which_were_written_and_comes_back_the_same(kind):
    model = validated(kind)
    state = model.__reduce_ex__(5)[2]
    assert type(state) is tuple and state == (model.__dict__, model.__pydantic_fields_set__)
    again = pickle.loads(pickle.dumps(model, protocol=5))
    assert again == model and again.model_dump() == model.model_dump()
    assert again.__pydantic_fields_set__ == model.__pydantic_fields_set__  # what was written, not defaulted
    assert again.model_dump(exclude_unset=True) == model.model_dump(exclude_unset=True)
    assert (again.__pydantic_extra__, again.__pydantic_private__) == (None, None) == (model.__pydantic_extra__, model.__pydantic_private__)


@pytest.mark.parametrize("state", [({"a": 1}, ["a"]), ([("a", 1)], {"a"}), {"__dict__": {}}, ({},)])
def test_a_pickled_record_of_another_shape_is_refused(state):
    model = validated("order")
    blank = type(model).__new__(type(model))
    with pytest.raises((TypeError, ValueError)):
        blank.__setstate__(state)
