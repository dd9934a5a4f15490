"""The path of a record decides its kind and its id."""

from __future__ import annotations

import pytest

from generator.records.layout import is_attachment, place_of


@pytest.mark.parametrize(
    ("path", "kind", "expected_id", "order"),
    [
        ("organization.yaml", "organization", None, None),
        ("policy.yaml", "policy", None, None),
        ("orders/2026/ORD-2026-0001/order.yaml", "order", "ORD-2026-0001", "ORD-2026-0001"),
        ("orders/2026/ORD-2026-0001/changes/CR-2026-0001-02.yaml", "change_request", "CR-2026-0001-02", "ORD-2026-0001"),
        ("orders/2026/ORD-2026-0001/quality/QC-2026-0001-01.yaml", "quality_record", "QC-2026-0001-01", "ORD-2026-0001"),
        ("orders/2026/ORD-2026-0001/delivery.yaml", "delivery", "DLV-2026-0001", "ORD-2026-0001"),
        ("orders/2026/ORD-2026-0001/settlement.yaml", "settlement", "STL-2026-0001", "ORD-2026-0001"),
        ("archive/borrowing/BR-2026-0003.yaml", "loan", "BR-2026-0003", None),
        ("archive/disposals/DS-2027-0001.yaml", "disposal", "DS-2027-0001", None),
    ],
)
def test_paths_name_kind_id_and_order(path, kind, expected_id, order):
    place = place_of(path)
    assert place is not None
    assert (place.kind, place.expected_id, place.order_id) == (kind, expected_id, order)


@pytest.mark.parametrize(
    "path",
    [
        "orders/2025/ORD-2026-0001/order.yaml",  # year folder differs from the id
        "orders/2026/ORD-2026-0001/changes/CR-2026-0002-01.yaml",  # change of another order
        "orders/2026/ORD-2026-0001/changes/CR-2026-0001-1.yaml",
        "orders/2026/ORD-2026-01/order.yaml",
        "orders/2026/ORD-2026-0001/Order.yaml",
        "archive/borrowing/BR-2026-0001.yml",
        "borrowing/BR-2026-0001.yaml",
        "orders/2026/ORD-2026-0001/../ORD-2026-0002/order.yaml",
    ],
)
def test_other_paths_hold_no_record(path):
    assert place_of(path) is None


def test_attachments_live_in_a_dossier():
    assert is_attachment("orders/2026/ORD-2026-0001/attachments/contract.pdf")
    assert is_attachment("orders/2026/ORD-2026-0001/attachments/sub/scan.png")
    assert not is_attachment("orders/2026/attachments/contract.pdf")
