"""Where each kind of record lives under ``records/``, and which id its path implies.

The path is the record's identity: ``records/orders/2026/ORD-2026-0001/order.yaml``
can only hold order ORD-2026-0001. One table of patterns serves the loader
(which model to use), the validator (does the id match the path) and,
later, ``orders new`` (where to write).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

RECORDS_DIR = "records"

_ORDER_DIR = r"orders/(?P<year>[0-9]{4})/ORD-(?P=year)-(?P<num>[0-9]{4})"

_PATTERNS: list[tuple[str, re.Pattern[str], str | None]] = [
    # kind, path pattern (relative to records/), id template (None: no id key)
    ("organization", re.compile(r"organization\.yaml"), None),
    ("policy", re.compile(r"policy\.yaml"), None),
    ("order", re.compile(_ORDER_DIR + r"/order\.yaml"), "ORD-{year}-{num}"),
    ("change_request", re.compile(_ORDER_DIR + r"/changes/CR-(?P=year)-(?P=num)-(?P<seq>[0-9]{2})\.yaml"), "CR-{year}-{num}-{seq}"),
    ("quality_record", re.compile(_ORDER_DIR + r"/quality/QC-(?P=year)-(?P=num)-(?P<seq>[0-9]{2})\.yaml"), "QC-{year}-{num}-{seq}"),
    ("delivery", re.compile(_ORDER_DIR + r"/delivery\.yaml"), "DLV-{year}-{num}"),
    ("settlement", re.compile(_ORDER_DIR + r"/settlement\.yaml"), "STL-{year}-{num}"),
    ("loan", re.compile(r"archive/borrowing/BR-(?P<year>[0-9]{4})-(?P<num>[0-9]{4})\.yaml"), "BR-{year}-{num}"),
    ("disposal", re.compile(r"archive/disposals/DS-(?P<year>[0-9]{4})-(?P<num>[0-9]{4})\.yaml"), "DS-{year}-{num}"),
]

_ATTACHMENTS = re.compile(_ORDER_DIR + r"/attachments/.+")

EXPECTED_LAYOUT = (
    "records live in records/orders/YYYY/ORD-YYYY-NNNN/ (order.yaml, delivery.yaml, settlement.yaml, "
    "changes/CR-YYYY-NNNN-NN.yaml, quality/QC-YYYY-NNNN-NN.yaml), records/archive/borrowing/BR-YYYY-NNNN.yaml, "
    "records/archive/disposals/DS-YYYY-NNNN.yaml, records/organization.yaml and records/policy.yaml"
)


@dataclass(frozen=True, slots=True)
class Place:
    """What a path under ``records/`` says about the record in it."""

    kind: str
    expected_id: str | None
    order_id: str | None


def dossier_folder(order_id: str) -> str:
    """Where an order's dossier lives, from the archive's root: ``records/orders/2026/ORD-2026-0001`` (the year
    is the order number's)."""
    return f"{RECORDS_DIR}/orders/{order_id[4:8]}/{order_id}"


@lru_cache(maxsize=1 << 17)
def place_of(relpath: str) -> Place | None:
    """The kind, id and order a path implies; None when the path fits no pattern.

    ``relpath`` is relative to ``records/``, with ``/`` separators.
    """
    name = relpath.rsplit("/", 1)[-1]
    for kind, pattern, template in _CANDIDATES.get(name, _CANDIDATES.get(name[:3], _PATTERNS)):
        match = pattern.fullmatch(relpath)
        if match:
            groups = match.groupdict()
            expected = template.format(**groups) if template else None
            order = f"ORD-{groups['year']}-{groups['num']}" if relpath.startswith("orders/") else None
            return Place(kind, expected, order)
    return None


def _by_kind(*kinds: str) -> list[tuple[str, re.Pattern[str], str | None]]:
    return [entry for entry in _PATTERNS if entry[0] in kinds]


# A file's name (or its first three characters) narrows the patterns to try: a large
# archive has tens of thousands of files, and most names decide their kind outright.
_CANDIDATES = {
    "organization.yaml": _by_kind("organization"),
    "policy.yaml": _by_kind("policy"),
    "order.yaml": _by_kind("order"),
    "delivery.yaml": _by_kind("delivery"),
    "settlement.yaml": _by_kind("settlement"),
    "CR-": _by_kind("change_request"),
    "QC-": _by_kind("quality_record"),
    "BR-": _by_kind("loan"),
    "DS-": _by_kind("disposal"),
}


def is_attachments_folder(relpath: str) -> bool:
    """``orders/YYYY/ORD-YYYY-NNNN/attachments``: documents, not records; the loader skips it."""
    return relpath.endswith("/attachments") and _ATTACHMENTS.fullmatch(relpath + "/x") is not None


def is_attachment(relpath: str) -> bool:
    """Files in a dossier's ``attachments/`` folder are documents, not records."""
    return _ATTACHMENTS.fullmatch(relpath) is not None
