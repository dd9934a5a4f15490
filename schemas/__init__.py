"""Record models for the order archive: one Pydantic model per record kind.

Pure data definitions; nothing here reads files or imports ``generator``.
"""

from .archive import Disposal, Loan
from .base import FieldError, Record, RecordErrors
from .change import ChangeRequest
from .delivery import Delivery
from .lifecycle import TRANSITIONS, ChangeStatus, OrderStatus, QualityStatus, SettlementStatus, Status
from .order import Order
from .organization import Organization
from .policy import Policy
from .quality import QualityRecord
from .settlement import Settlement

MODELS: dict[str, type[Record]] = {
    "order": Order,
    "change_request": ChangeRequest,
    "quality_record": QualityRecord,
    "delivery": Delivery,
    "settlement": Settlement,
    "loan": Loan,
    "disposal": Disposal,
    "organization": Organization,
    "policy": Policy,
}
"""Every record kind, by the value of its ``kind:`` key."""

__all__ = [
    "MODELS",
    "TRANSITIONS",
    "ChangeRequest",
    "ChangeStatus",
    "Delivery",
    "Disposal",
    "FieldError",
    "Loan",
    "Order",
    "OrderStatus",
    "Organization",
    "Policy",
    "QualityRecord",
    "QualityStatus",
    "Record",
    "RecordErrors",
    "Settlement",
    "SettlementStatus",
    "Status",
]
