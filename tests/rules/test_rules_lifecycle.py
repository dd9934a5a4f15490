"""An order's status agrees with its dossier (§5.4, §6.5, §8.1)."""

from __future__ import annotations

import pytest
from editing import assert_at, dossier, edit, fired, problems

O1 = f"{dossier('ORD-2025-0001')}/order.yaml"  # archived
O3 = f"{dossier('ORD-2026-0003')}/order.yaml"  # accepted
O4 = f"{dossier('ORD-2026-0004')}/order.yaml"  # disputed
O5 = f"{dossier('ORD-2026-0005')}/order.yaml"  # in progress


def statuses(root, rel, status, extra=None):
    """The status-mismatch findings after moving an order to ``status`` (the documents that state needs are dossier.missing-document's)."""
    edit(root, rel, lambda d: (d.update(status=status, **(extra or {})), d.pop("archived_on", None)))
    found = [p for p in problems(root) if p.severity == "error" and p.rule != "dossier.missing-document"]
    assert {p.rule for p in found} <= {"order.status-mismatch"}, [p.format() for p in found]
    return [p.message for p in found]


def test_consistent_demo(archive):
    assert fired(archive, "order.status-mismatch") == []


def test_delivered_needs_a_delivery(archive):
    [message] = statuses(archive, O5, "delivered")
    assert "needs a delivery record" in message


def test_settled_needs_a_settled_settlement(archive):
    [message] = statuses(archive, O3, "settled")
    assert "needs a settled settlement.yaml" in message


def test_in_progress_with_a_delivery_on_record(archive):
    [message] = statuses(archive, O3, "in_progress")
    assert "status is delivered" in message


def test_a_settled_settlement_means_the_order_is_settled(archive):
    [message] = statuses(archive, O1, "accepted")
    assert "status is settled, not accepted" in message


def test_disputed_needs_an_open_dispute(archive):
    edit(archive, dossier("ORD-2026-0004") + "/delivery.yaml", lambda d: d["dispute"].update(status="resolved"))
    [problem] = fired(archive, "order.status-mismatch")
    assert "open dispute" in problem.message
    assert_at(problem, archive, O4, "status", clause="§5.3, §6.4")


@pytest.mark.parametrize("status", ["received", "cancelled"])
def test_early_states_with_records_on_file(archive, status):
    extra = {"cancellation": {"on": "2026-09-01", "reason": "取消", "approved_by": "lin.yating"}} if status == "cancelled" else None
    assert statuses(archive, O3, status, extra)


def test_archived_dossier_has_no_open_records(archive):
    qc = f"{dossier('ORD-2025-0001')}/quality/QC-2025-0001-01.yaml"
    edit(archive, qc, lambda d: (d.update(status="open"), d.pop("closed_on")))
    found = [p for p in problems(archive) if p.rule == "order.status-mismatch"]  # quality.open-at-acceptance fires too
    assert any("no open quality records" in p.message for p in found)
