"""The words a reader sees for each closed-list value, in 繁體中文 and English: one table for the whole tool.

Records store codes (``data_analysis``, ``bank_transfer``); pages, messages and reports show these words.
A value missing here fails a test, so a new choice cannot reach a page as a raw code.
"""

from __future__ import annotations

from enum import StrEnum

from .archive import DisposalMethod
from .change import ApprovalDecision, ChangeReason, VerificationResult
from .delivery import AcceptanceResult, DisputeStatus, DocumentType, ObjectionStatus
from .delivery import Method as DeliveryMethod
from .lifecycle import LABELS_ZH
from .order import Channel, Complexity, Decision, DocumentKind, Level, QualityState, ServiceType, TaskStatus
from .organization import Role
from .policy import Approver, Weekday
from .quality import Action, DefectType, Result, Severity, Stage
from .settlement import Cycle
from .settlement import Method as SettlementMethod

_WORDS: dict[type[StrEnum], dict[str, tuple[str, str]]] = {
    DisposalMethod: {"shredding": ("碎紙", "Shredding"), "secure_deletion": ("安全刪除", "Secure deletion"), "incineration": ("焚燬", "Incineration")},
    ApprovalDecision: {"approved": ("核准", "Approved"), "rejected": ("駁回", "Rejected")},
    VerificationResult: {"confirmed": ("確認無誤", "Confirmed"), "failed": ("未通過", "Failed")},
    ChangeReason: {
        "scope": ("範圍變更", "Scope"),
        "schedule": ("時程變更", "Schedule"),
        "budget": ("預算變更", "Budget"),
        "client_environment": ("客戶環境變更", "Client's systems or organisation"),
        "quality": ("品質問題", "Quality"),
        "other": ("其他", "Other"),
    },
    DeliveryMethod: {
        "online": ("線上交付", "Online"),
        "email": ("電子郵件", "E-mail"),
        "onsite": ("現場交付", "On site"),
        "physical_media": ("實體媒體", "Physical media"),
        "service_handover": ("服務移交", "Service handover"),
    },
    DocumentType: {
        "product_manual": ("產品手冊", "Product manual"),
        "service_report": ("服務報告", "Service report"),
        "user_guide": ("使用說明", "User guide"),
        "source_code": ("原始碼", "Source code"),
        "data_report": ("數據報告", "Data report"),
        "test_report": ("測試報告", "Test report"),
        "other": ("其他", "Other"),
    },
    AcceptanceResult: {
        "pending": ("待驗收", "Pending"),
        "accepted": ("驗收通過", "Accepted"),
        "accepted_with_remarks": ("附意見通過", "Accepted with remarks"),
        "rejected": ("驗收未通過", "Rejected"),
    },
    ObjectionStatus: {"open": ("處理中", "Open"), "resolved": ("已解決", "Resolved"), "escalated": ("轉爭議處理", "Escalated")},
    DisputeStatus: {"open": ("處理中", "Open"), "resolved": ("已解決", "Resolved")},
    Channel: {"phone": ("電話", "Phone"), "email": ("電子郵件", "E-mail"), "online_chat": ("線上客服", "Online chat")},
    ServiceType: {
        "software_development": ("軟體開發", "Software development"),
        "data_analysis": ("數據分析", "Data analysis"),
        "customer_support": ("客戶服務", "Customer support"),
        "marketing": ("行銷推廣", "Marketing"),
        "other": ("其他", "Other"),
    },
    Decision: {"approved": ("通過", "Approved"), "rejected": ("不通過", "Rejected"), "needs_discussion": ("待討論", "Needs discussion")},
    Complexity: {"standard": ("一般", "Standard"), "complex": ("複雜", "Complex"), "major": ("重大", "Major")},
    Level: {"low": ("低", "Low"), "medium": ("中", "Medium"), "high": ("高", "High")},
    TaskStatus: {
        "not_started": ("未開始", "Not started"),
        "in_progress": ("進行中", "In progress"),
        "done": ("已完成", "Done"),
        "blocked": ("受阻", "Blocked"),
    },
    QualityState: {"on_track": ("正常", "On track"), "at_risk": ("有風險", "At risk"), "issue": ("有問題", "Issue")},
    DocumentKind: {
        "contract": ("合約", "Contract"),
        "change_form": ("變更申請表", "Change form"),
        "delivery": ("交付文件", "Delivery document"),
        "settlement": ("結算文件", "Settlement document"),
        "invoice": ("發票", "Invoice"),
        "correspondence": ("往來文件", "Correspondence"),
        "other": ("其他", "Other"),
    },
    Role: {
        "approver": ("核准人", "Approver"),
        "head": ("主管", "Head"),
        "quality_inspector": ("品檢人員", "Quality inspector"),
        "archivist": ("檔案管理員", "Archivist"),
        "administrator": ("系統管理員", "Administrator"),
    },
    Weekday: {
        "monday": ("星期一", "Monday"),
        "tuesday": ("星期二", "Tuesday"),
        "wednesday": ("星期三", "Wednesday"),
        "thursday": ("星期四", "Thursday"),
        "friday": ("星期五", "Friday"),
        "saturday": ("星期六", "Saturday"),
        "sunday": ("星期日", "Sunday"),
    },
    Approver: {"head_of_borrower_department": ("借閱人所屬部門主管", "Head of the borrower's department")},
    Stage: {
        "procurement": ("採購", "Procurement"),
        "production": ("生產", "Production"),
        "inspection": ("最終檢驗", "Final inspection"),
        "after_sales": ("售後", "After-sales"),
    },
    Result: {"pass": ("合格", "Pass"), "fail": ("不合格", "Fail")},
    DefectType: {
        "functional": ("功能", "Functional"),
        "performance": ("效能", "Performance"),
        "data_accuracy": ("數據正確性", "Data accuracy"),
        "documentation": ("文件", "Documentation"),
        "service": ("服務", "Service"),
        "security": ("資訊安全", "Security"),
        "other": ("其他", "Other"),
    },
    Severity: {"minor": ("輕微", "Minor"), "major": ("重大", "Major"), "critical": ("嚴重", "Critical")},
    Action: {"rework": ("返工", "Rework"), "repair": ("返修", "Repair"), "scrap": ("報廢", "Scrap")},
    SettlementMethod: {
        "bank_transfer": ("銀行轉帳", "Bank transfer"),
        "cheque": ("支票", "Cheque"),
        "credit_card": ("信用卡", "Credit card"),
        "other": ("其他", "Other"),
    },
    Cycle: {
        "one_off": ("一次付清", "One-off"),
        "per_milestone": ("依里程碑", "Per milestone"),
        "monthly": ("按月", "Monthly"),
        "quarterly": ("按季", "Quarterly"),
    },
}
"""Every closed list but the statuses (whose Chinese words are the lifecycle's own) and currencies (codes)."""


def words(value: StrEnum) -> tuple[str, str]:
    """(繁體中文, English) for a closed-list value."""
    if value in LABELS_ZH:  # a status: the regulation's word, and the code's words in English
        return LABELS_ZH[value], str(value.value).replace("_", " ").capitalize()  # type: ignore[index]
    table = _WORDS.get(type(value))
    if table is None or value.value not in table:
        return str(value.value), str(value.value)
    return table[value.value]


def label(value: object, language: str) -> str:
    """A value as its reader should see it: the word for a closed-list value, the value itself otherwise."""
    if isinstance(value, StrEnum):
        zh, en = words(value)
        return zh if language == "zh-Hant" else en
    return str(value)


LABELLED: tuple[type[StrEnum], ...] = tuple(_WORDS)

KIND_WORDS: dict[str, tuple[str, str]] = {
    "order": ("訂單", "Order"),
    "change_request": ("變更申請單", "Change request"),
    "quality_record": ("品質記錄", "Quality record"),
    "delivery": ("交付記錄", "Delivery"),
    "settlement": ("結算單", "Settlement"),
    "loan": ("借閱申請", "Loan"),
    "disposal": ("銷毀記錄", "Disposal"),
    "organization": ("組織", "Organisation"),
    "policy": ("政策", "Policy"),
}
"""Each record kind in words (繁體中文, English): the site's labels and the history's messages say the same."""
