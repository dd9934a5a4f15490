"""Status words and allowed transitions, one table per record kind.

The regulation fixes three status words — 已接收 received (§2.3), 已交付
delivered (§5.4) and 已結算 settled (§6.5); the other states are the product's
design and are placed so that those three stay fixed points. The validator,
the site and the docs all read the tables here, so a state exists in exactly
one place.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """A status with its 繁體中文 label."""

    @property
    def zh(self) -> str:
        return LABELS_ZH[self]

    @property
    def label(self) -> str:
        return f"{LABELS_ZH[self]} {self.value}"


class OrderStatus(Status):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    ACCEPTED = "accepted"
    SETTLED = "settled"
    ARCHIVED = "archived"
    DISPUTED = "disputed"
    CANCELLED = "cancelled"


class ChangeStatus(Status):
    REQUESTED = "requested"
    ASSESSED = "assessed"
    APPROVED = "approved"
    REJECTED = "rejected"
    IMPLEMENTED = "implemented"
    VERIFIED = "verified"


class QualityStatus(Status):
    OPEN = "open"
    RECTIFYING = "rectifying"
    CLOSED = "closed"


class SettlementStatus(Status):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    INVOICING = "invoicing"
    SETTLED = "settled"
    DISPUTED = "disputed"


LABELS_ZH: dict[Status, str] = {
    OrderStatus.RECEIVED: "已接收",
    OrderStatus.IN_PROGRESS: "執行中",
    OrderStatus.DELIVERED: "已交付",
    OrderStatus.ACCEPTED: "已驗收",
    OrderStatus.SETTLED: "已結算",
    OrderStatus.ARCHIVED: "已歸檔",
    OrderStatus.DISPUTED: "爭議中",
    OrderStatus.CANCELLED: "已取消",
    ChangeStatus.REQUESTED: "已申請",
    ChangeStatus.ASSESSED: "已評估",
    ChangeStatus.APPROVED: "已核准",
    ChangeStatus.REJECTED: "已駁回",
    ChangeStatus.IMPLEMENTED: "已實施",
    ChangeStatus.VERIFIED: "已驗證",
    QualityStatus.OPEN: "待處理",
    QualityStatus.RECTIFYING: "整改中",
    QualityStatus.CLOSED: "已結案",
    SettlementStatus.DRAFT: "草擬中",
    SettlementStatus.CONFIRMED: "客戶已確認",
    SettlementStatus.INVOICING: "開票收款中",
    SettlementStatus.SETTLED: "已結算",
    SettlementStatus.DISPUTED: "爭議中",
}

_O = OrderStatus
_C = ChangeStatus
_Q = QualityStatus
_S = SettlementStatus

TRANSITIONS: dict[type[Status], dict[Status, frozenset[Status]]] = {
    OrderStatus: {
        _O.RECEIVED: frozenset({_O.IN_PROGRESS, _O.CANCELLED}),
        _O.IN_PROGRESS: frozenset({_O.DELIVERED, _O.DISPUTED, _O.CANCELLED}),
        _O.DELIVERED: frozenset({_O.ACCEPTED, _O.DISPUTED}),
        _O.ACCEPTED: frozenset({_O.SETTLED, _O.DISPUTED}),
        _O.DISPUTED: frozenset({_O.IN_PROGRESS, _O.DELIVERED, _O.ACCEPTED, _O.SETTLED, _O.CANCELLED}),
        _O.SETTLED: frozenset({_O.ARCHIVED}),
        _O.CANCELLED: frozenset({_O.ARCHIVED}),
        _O.ARCHIVED: frozenset(),
    },
    ChangeStatus: {
        _C.REQUESTED: frozenset({_C.ASSESSED, _C.REJECTED}),
        _C.ASSESSED: frozenset({_C.APPROVED, _C.REJECTED}),
        _C.APPROVED: frozenset({_C.IMPLEMENTED}),
        _C.REJECTED: frozenset(),
        _C.IMPLEMENTED: frozenset({_C.VERIFIED}),
        _C.VERIFIED: frozenset(),
    },
    QualityStatus: {
        _Q.OPEN: frozenset({_Q.RECTIFYING, _Q.CLOSED}),
        _Q.RECTIFYING: frozenset({_Q.CLOSED}),
        _Q.CLOSED: frozenset(),
    },
    SettlementStatus: {
        _S.DRAFT: frozenset({_S.CONFIRMED}),
        _S.CONFIRMED: frozenset({_S.INVOICING, _S.DISPUTED}),
        _S.INVOICING: frozenset({_S.SETTLED, _S.DISPUTED}),
        _S.DISPUTED: frozenset({_S.INVOICING, _S.SETTLED}),
        _S.SETTLED: frozenset(),
    },
}

REGULATION_STATUS_WORDS: dict[OrderStatus, tuple[str, str]] = {
    OrderStatus.RECEIVED: ("已接收", "§2.3"),
    OrderStatus.DELIVERED: ("已交付", "§5.4"),
    OrderStatus.SETTLED: ("已結算", "§6.5"),
}
"""The status words the regulation itself names, with the clause that names them."""


def can_move(old: Status, new: Status) -> bool:
    """Whether a record may go from ``old`` to ``new`` in one approved step (staying put is allowed)."""
    return old == new or new in TRANSITIONS[type(old)][old]


TRANSITION_CLAUSES: dict[str, str] = {
    "order": "§2.3, §5.4, §6.5",  # received, delivered 已交付, settled 已結算
    "change_request": "§7.1, §7.4",  # approved before it is carried out, verified after
    "quality_record": "§4.4",  # a defect is rectified before the record closes
    "settlement": "§6.2, §6.5",  # the plan applies once confirmed; settled after collection
}
"""The clauses a record kind's status moves enforce: a bad move is reported under its own kind's clauses."""
