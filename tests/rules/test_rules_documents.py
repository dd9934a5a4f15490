"""What a dossier must hold (§8.1, §5.1) and the form of invoice numbers (§6.3), as the policy states them."""

from __future__ import annotations

import pytest
from editing import assert_at, dossier, edit, fired, problems, read

O1 = f"{dossier('ORD-2026-0001')}/order.yaml"  # archived: contract, delivery report, settlement statement
D4 = f"{dossier('ORD-2026-0004')}/delivery.yaml"  # disputed
O5 = f"{dossier('ORD-2026-0005')}/order.yaml"  # in progress
O8 = f"{dossier('ORD-2026-0008')}/order.yaml"  # received
ST1 = f"{dossier('ORD-2025-0001')}/settlement.yaml"  # TWD, invoices AB25000001 …
POLICY = "records/policy.yaml"


def _renumbered(old: str, new: str):
    def change(settlement: dict) -> None:
        settlement["invoices"][1]["number"] = new
        for payment in settlement["payments"]:
            if payment["invoice"] == old:
                payment["invoice"] = new

    return change


def _untyped(kind: str):
    def change(order: dict) -> None:
        for attachment in order["attachments"]:
            if attachment.get("type") == kind:
                attachment.pop("type")

    return change


def test_an_order_in_progress_holds_its_contract(archive):
    assert fired(archive, "dossier.missing-document") == []
    edit(archive, O5, _untyped("contract"))
    [problem] = fired(archive, "dossier.missing-document")
    assert_at(problem, archive, O5, "attachments", clause="§8.1")
    assert "from in_progress on, its dossier holds a contract document" in problem.message


def test_a_received_order_needs_a_contract_only_when_the_policy_says_so(archive):
    edit(archive, O8, _untyped("contract"))
    assert fired(archive, "dossier.missing-document") == []
    edit(archive, POLICY, lambda d: d["required_documents"].update(received=["contract"]))
    [problem] = fired(archive, "dossier.missing-document")
    assert_at(problem, archive, O8, "attachments", clause="§8.1")


@pytest.mark.parametrize(("kind", "state"), [("settlement", "settled"), ("delivery", "delivered"), ("contract", "in_progress")])
def test_a_closed_dossier_holds_the_documents_of_every_state_it_passed(archive, kind, state):
    edit(archive, O1, _untyped(kind))
    if kind == "delivery":  # the delivery documents with their files count as well: drop them too
        edit(archive, f"{dossier('ORD-2026-0001')}/delivery.yaml", lambda d: [doc.pop("file", None) for doc in d["documents"]])
        found = [p for p in problems(archive) if p.rule == "dossier.missing-document"]
    else:
        found = fired(archive, "dossier.missing-document")
    [problem] = found
    assert_at(problem, archive, O1, "attachments", clause="§8.1")
    assert f"from {state} on" in problem.message


def test_a_cancelled_order_needs_no_documents(archive):
    o2 = f"{dossier('ORD-2026-0002')}/order.yaml"
    assert read(archive, o2)["status"] == "cancelled"
    edit(archive, o2, _untyped("contract"))
    assert fired(archive, "dossier.missing-document") == []


def test_a_listed_delivery_document_has_its_file(archive):
    assert fired(archive, "delivery.document-without-file") == []
    edit(archive, D4, lambda d: d["documents"][1].pop("file"))
    [problem] = [p for p in problems(archive) if p.rule == "delivery.document-without-file"]
    assert_at(problem, archive, D4, "documents", 1, "title", clause="§5.1")
    assert str(problem.severity) == "error"


def test_required_documents_name_states_an_order_reaches_by_its_work(archive):
    edit(archive, POLICY, lambda d: d["required_documents"].update(cancelled=["contract"]))
    [problem] = [p for p in problems(archive) if p.path == POLICY]
    assert_at(problem, archive, POLICY, "required_documents", "cancelled")


def test_invoice_numbers_have_the_form_the_policy_gives_their_currency(archive):
    assert fired(archive, "settlement.invoice-number-format") == []
    edit(archive, ST1, _renumbered("AB25000002", "AB2500002"))  # one digit short
    [problem] = fired(archive, "settlement.invoice-number-format")
    assert_at(problem, archive, ST1, "invoices", 1, "number", clause="§6.3")
    assert "AB2500002 is not a TWD invoice number (統一發票 Uniform invoice): the policy allows AA99999999" in problem.message
    edit(archive, POLICY, lambda d: d["invoice_numbers"][0].update(formats=["AA99999999", "AA9999999"]))
    assert fired(archive, "settlement.invoice-number-format") == []
    edit(archive, POLICY, lambda d: d.pop("invoice_numbers"))
    edit(archive, ST1, _renumbered("AB2500002", "whatever-1"))
    assert fired(archive, "settlement.invoice-number-format") == []


@pytest.mark.parametrize("mask", ["[A-Z]{2}\\d{8}", "aa99999999", ""])
def test_an_invoice_form_is_a_mask_not_a_regular_expression(archive, mask):
    edit(archive, POLICY, lambda d: d["invoice_numbers"][0].update(formats=[mask]))
    [problem] = [p for p in problems(archive) if p.path == POLICY]
    assert_at(problem, archive, POLICY, "invoice_numbers", 0, "formats", 0)
