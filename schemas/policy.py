"""Company policy (`policy.yaml`): the numbers the regulation leaves to configuration.

Retention years (§8.2) and the maximum borrowing period (§8.3) are blank in
the regulation; the forwarding deadline (§2.3) is counted in business days
on the company's own calendar (weekends, national holidays, make-up
workdays); approval rules say which departments approve which record kinds.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, StrictInt, WithJsonSchema

from .base import Checked, Currency, DepartmentId, Email, FieldError, IsoDate, Line, Part, PersonId, Record, Text, field, line
from .lifecycle import ChangeStatus, OrderStatus, QualityStatus, SettlementStatus
from .order import DocumentKind

STATES = {
    kind: [s.value for s in status_type]
    for kind, status_type in (("order", OrderStatus), ("change_request", ChangeStatus), ("quality_record", QualityStatus), ("settlement", SettlementStatus))
}


DOCUMENT_STATES = ("received", "in_progress", "delivered", "accepted", "settled", "archived")
"""The order states along its work, in order: a dossier holds the documents of its state and of every earlier one."""


ShortName = line(60)

CommitId = Annotated[
    str,
    Field(min_length=7, max_length=40, pattern=r"^[0-9a-f]{7,40}$"),
    WithJsonSchema({"type": "string", "minLength": 7, "maxLength": 40, "pattern": "^[0-9a-f]{7,40}$"}),
]
"""A commit named by its hash or an abbreviation of 7 to 40 lower-case hex digits (the trail requires it to name
exactly one commit)."""


class Weekday(StrEnum):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"


class Approver(StrEnum):
    """Who must approve a change to a record kind, besides the departments listed."""

    HEAD_OF_BORROWER_DEPARTMENT = "head_of_borrower_department"


Years = Annotated[StrictInt, Field(ge=1, le=100)]


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name!r} is not an IANA time zone such as Asia/Taipei") from exc
    return name


TimeZone = Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$"), AfterValidator(_known_zone)]


class Retention(Part):
    """§8.2: years each kind of record is kept after its dossier closes."""

    order: Years = field("Orders and contracts", "訂單與合約", "§8.2")
    change_request: Years = field("Change request forms", "變更申請表", "§8.2")
    quality_record: Years = field("Quality records", "品質記錄", "§8.2")
    delivery: Years = field("Delivery documents", "交付文件", "§8.2")
    settlement: Years = field("Settlement documents", "結算文件", "§8.2")
    loan: Years = field("Borrowing register entries", "借閱登記", "§8.3")
    disposal: Years = field("Disposal records", "銷毀記錄", "§8.2")


class Holiday(Part):
    on: IsoDate = field("Date", "日期")
    name: Line = field("Name", "名稱")


class Calendar(Checked):
    """The business calendar used for deadlines counted in business days."""

    weekend: list[Weekday] = field("Days that are not business days", "週休日", default_factory=lambda: [Weekday.SATURDAY, Weekday.SUNDAY])
    holidays: list[Holiday] = field("Public holidays", "國定假日", default_factory=list, max_length=2000)
    extra_workdays: list[IsoDate] = field("Make-up workdays on a weekend (補班日)", "補班日", default_factory=list, max_length=500)

    def checks(self) -> Iterator[FieldError]:
        days = [h.on for h in self.holidays]
        for i, day in enumerate(days):
            if day in days[:i]:
                yield FieldError(("holidays", i, "on"), f"{day} is listed twice")


StateName = Annotated[str, Field(pattern=r"^[a-z][a-z_]{0,39}$")]


class ApprovalRule(Part):
    """Who approves changes to one record kind, and who may make them."""

    departments: list[DepartmentId] = field("Departments whose approver must sign off", "需核准之部門", default_factory=list, max_length=20)
    approvers: list[Approver] = field("Other required approvers", "其他核准人", default_factory=list, max_length=5)
    heads_only: bool = field("Only department heads may approve", "僅限部門主管核准", default=False, strict=True)
    editors: list[DepartmentId] = field(
        "Departments whose people may write changes to this kind (empty: anyone)", "得編修之部門（空白：不限）", default_factory=list, max_length=20
    )
    states: dict[StateName, list[DepartmentId]] = field(
        "Departments whose approver must also sign off a record entering each state, also when it is created in it or past it",
        "記錄進入各狀態（含建立時即在該狀態或越過該狀態）時另須核准之部門",
        default_factory=dict,
        max_length=20,
    )


def _inside_repository(pattern: str) -> str:
    if pattern.startswith("/") or ".." in pattern.split("/"):
        raise ValueError(f"{pattern!r} must be a path inside the repository, from its root, without '..'")
    return pattern


PathPattern = Annotated[
    str,
    Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.*?/-]+$"),
    AfterValidator(_inside_repository),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "pattern": "^[A-Za-z0-9_.*?/-]+$",
            "description": "A path from the repository root; * within a folder, ** across folders",
        }
    ),
]
"""A path pattern from the repository's root: ``mkdocs.yml``, ``.github/**``, ``records/.site/**``."""

PROTECTED_FILES = (".github/**", ".gitlab-ci.yml", ".gitlab/**", "CODEOWNERS", "docs/CODEOWNERS", ".pre-commit-config.yaml", "mkdocs.yml", "records/.site/**")
"""Files outside the record kinds that change what is published or how it is checked. A path here that no
``files`` rule of the policy names needs the approval of the organisation file."""


class FileRule(ApprovalRule):
    """Who approves changes to files that are not records: the site's configuration and static files, CI, code owners."""

    paths: list[PathPattern] = field(
        "Paths from the repository root (* within a folder, ** across folders)", "路徑（自儲存庫根目錄）", min_length=1, max_length=50
    )


class Platform(Checked):
    """A hosting platform whose merge button commits (and signs) merges: GitHub, a GitLab instance."""

    name: ShortName = field("Name", "名稱")
    committer: Email = field("The committer address of its merges (e.g. noreply@github.com)", "其合併之提交者地址")
    signing_keys: list[Line] = field("Its public SSH signing keys ('ssh-ed25519 AAAA…')", "其公開 SSH 簽章金鑰", default_factory=list, max_length=10)
    gpg_key: Text | None = field(
        "Its public GPG key, ASCII-armored (GitHub signs its merges with GPG: github.com/web-flow.gpg)",
        "其公開 GPG 金鑰（ASCII 格式；GitHub 以 GPG 簽署合併）",
        default=None,
    )

    def checks(self) -> Iterator[FieldError]:
        if self.gpg_key is not None and not self.gpg_key.lstrip().startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----"):
            yield FieldError(("gpg_key",), "must be an ASCII-armored public key (-----BEGIN PGP PUBLIC KEY BLOCK-----)")


class Acknowledgement(Part):
    """A past commit that broke an approval rule, reviewed and accepted: history cannot be rewritten."""

    commit: CommitId = field("The commit: its full hash, or an abbreviation (7 or more hex digits) that names exactly one commit", "提交編號")
    reason: Text = field("Why it is accepted", "接受原因")
    approved_by: PersonId = field("Who accepted it", "核准人")
    on: IsoDate = field("Date", "日期")


TIMELY_RULES = (
    "order.forwarded-late",
    "order.milestone-overdue",
    "order.tracking-gap",
    "delivery.late",
    "delivery.acceptance-pending",
    "delivery.objection-open",
    "delivery.not-notified",
    "settlement.not-settled",
    "settlement.unpaid-invoice",
    "settlement.dispute-open",
    "settlement.not-notified",
    "loan.overdue",
)
"""The rules that measure time against a deadline: warnings unless ``deadlines.as_errors`` names them."""

TimelyRule = StrEnum("TimelyRule", {name.replace(".", "_").replace("-", "_").upper(): name for name in TIMELY_RULES})

Days = Annotated[StrictInt, Field(ge=1, le=365)]


class Deadlines(Part):
    """How long the company lets a step wait before it is flagged (days; the regulation sets none)."""

    tracking_interval_days: Days = field("Longest gap between progress reports", "執行回報最長間隔", "§3.2", default=30)
    invoice_payment_days: Days = field("Days to pay an invoice that states no due date", "未載付款期限之發票付款天數", "§6.3", default=30)
    acceptance_days: Days = field("Days the client has to accept a delivery", "客戶驗收期限（交付後天數）", "§5.2", default=30)
    settlement_days: Days = field("Days from the client's acceptance to the order being settled", "驗收後完成結算之天數", "§6.5", default=60)
    objection_days: Days = field(
        "Days a delivery objection, a dispute or a settlement objection may stay open", "交付異議、爭議或結算異議得未結之天數", "§5.3", default=30
    )
    notice_business_days: Annotated[StrictInt, Field(ge=0, le=5)] = field(
        "Business days to inform the other departments after a delivery (§5.4) or a settlement (§6.5)",
        "交付或結算後通知其他部門之工作天數",
        "§5.4",
        default=1,
    )
    as_errors: list[TimelyRule] = field(
        "Deadline rules whose breach is an error that blocks a merge (absent: warnings, shown on the site's attention list)",
        "逾期即列為錯誤（阻擋合併）之期限規則（未列：警告，列於網站待辦清單）",
        default_factory=list,
        max_length=len(TIMELY_RULES),
    )


InvoiceMask = Annotated[
    str,
    Field(min_length=1, max_length=40, pattern=r"^[A-Z0-9*/ -]+$"),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": 40,
            "pattern": "^[A-Z0-9*/ -]+$",
            "description": "A = a capital letter, 9 = a digit, * = a letter or digit; other characters stand for themselves",
        }
    ),
]
"""An invoice number's shape: ``AA99999999`` is Taiwan's uniform invoice (two capital letters, eight digits).
A mask, not a regular expression: a policy's pattern is matched in linear time, whoever wrote it."""


class InvoiceNumbers(Part):
    """The form invoice numbers take in one currency (or country), e.g. Taiwan's uniform invoice 統一發票."""

    currency: Currency = field("Currency of the invoices", "幣別", "§6.3")
    formats: list[InvoiceMask] = field(
        "Allowed forms: A a capital letter, 9 a digit, * either; other characters as written",
        "允許之格式：A 為大寫字母、9 為數字、* 為兩者之一；其他字元照寫",
        "§6.3",
        min_length=1,
        max_length=10,
    )
    name: ShortName | None = field("Name of the invoice system", "發票制度名稱", "§6.3", default=None)


def invoice_number_fits(number: str, mask: str) -> bool:
    """Whether ``number`` has the shape ``mask`` describes (see ``InvoiceMask``)."""
    if len(number) != len(mask):
        return False
    for char, want in zip(number, mask, strict=True):
        if want == "A":
            ok = "A" <= char <= "Z"
        elif want == "9":
            ok = "0" <= char <= "9"
        elif want == "*":
            ok = "A" <= char <= "Z" or "0" <= char <= "9"
        else:
            ok = char == want
        if not ok:
            return False
    return True


DEFAULT_DOCUMENTS = {"in_progress": ["contract"], "delivered": ["delivery"], "settled": ["settlement"]}


class Steps(Part):
    """Which department does each step the regulation assigns (absent: the regulation's own)."""

    intake: DepartmentId | None = field("Takes orders (sales_rep); absent: sales", "接單（預設：sales）", "§2.2", default=None)
    operations_review: DepartmentId | None = field("Reviews feasibility; absent: operations", "運營審核（預設：operations）", "§2.4", default=None)
    finance_review: DepartmentId | None = field("Reviews cost and budget; absent: finance", "財務審核（預設：finance）", "§2.5", default=None)
    settlement_plan: DepartmentId | None = field("Drafts the settlement plan; absent: finance", "擬定結算方案（預設：finance）", "§6.1", default=None)


class ApprovalRules(Part):
    order: ApprovalRule = field("Orders", "訂單", "§2.3")
    change_request: ApprovalRule = field("Change requests", "變更申請", "§7.1")
    quality_record: ApprovalRule = field("Quality records", "品質記錄", "§4.3")
    delivery: ApprovalRule = field("Delivery records", "交付記錄", "§5.4")
    settlement: ApprovalRule = field("Settlements", "結算", "§6.3")
    loan: ApprovalRule = field("Borrowing register", "借閱登記", "§8.3")
    disposal: ApprovalRule = field("Disposals", "銷毀", "§8.2")
    organization: ApprovalRule = field("The organization file", "組織檔")
    policy: ApprovalRule = field("This policy", "本政策")
    closed_dossier: ApprovalRule | None = field(
        "Changes to an order's amounts, client, settlement or change requests after it was settled (absent: as for this policy)",
        "訂單結算或歸檔後，變更其金額、客戶、結算或變更申請（未設定：同本政策之核准規則）",
        "§6.5",
        default=None,
    )
    files: list[FileRule] = field(
        "Files that are not records (site configuration, CI, code owners); the default files not listed here need the organisation file's approval",
        "非記錄檔案（網站設定、CI、程式碼負責人）；未列出之預設檔案依組織檔之核准規則",
        default_factory=list,
        max_length=20,
    )


class Policy(Record):
    """The company's settings for the regulation."""

    clause: ClassVar[str] = "§8.2"

    kind: Literal["policy"] = field("Record kind", "記錄類型")
    retention_years: Retention = field("Retention period per record kind", "各類檔案保存年限", "§8.2")
    max_borrowing_days: Annotated[StrictInt, Field(ge=1, le=3650)] = field("Longest allowed loan, days", "最長借閱天數", "§8.3")
    forwarding_business_days: Annotated[StrictInt, Field(ge=0, le=1)] = field(
        "Business days after confirmation to forward an order to Operations and Finance: the regulation's one day is the most a policy may allow",
        "轉交期限（工作天）：制度規定一日為上限，政策僅得縮短",
        "§2.3",
        default=1,
    )
    calendar: Calendar = field("Business calendar", "工作日曆", "§2.3")
    approvals: ApprovalRules = field("Who approves changes to each record kind", "各類記錄之核准規則")
    deadlines: Deadlines = field("Days a step may wait before it is flagged", "各步驟之等候期限", default_factory=Deadlines)
    steps: Steps | None = field("Which department does each step (absent: as the regulation says)", "各步驟之負責部門（未設定：依制度）", default=None)
    project_review_departments: list[DepartmentId] | None = field(
        "Departments that take part in the project review of a complex or major order (absent: sales, operations, finance)",
        "複雜或重大訂單專案評審之參與部門（未設定：sales、operations、finance）",
        "§3.3",
        default=None,
        max_length=20,
    )
    required_documents: dict[StateName, list[DocumentKind]] = field(
        "Kinds of document a dossier must hold from each order state on (contract, delivery, settlement …); "
        "absent: a contract from in_progress, delivery documents from delivered, settlement documents from settled",
        "訂單自各狀態起須具備之文件類別；未設定：執行中須有合約、已交付須有交付文件、已結算須有結算文件",
        "§8.1",
        default_factory=lambda: {state: [DocumentKind(k) for k in kinds] for state, kinds in DEFAULT_DOCUMENTS.items()},
        max_length=8,
    )
    invoice_numbers: list[InvoiceNumbers] = field(
        "The form of invoice numbers per currency (absent: any number)", "各幣別之發票號碼格式（未設定：不限）", "§6.3", default_factory=list, max_length=20
    )
    approvals_required: bool = field(
        "Merges into the main line must be approved. Judged per commit by the policy at its base: the commit that "
        "switches this on or off is judged by the policy before it, and dates play no part",
        "合併至主線須經核准；每個提交依其基底之政策判定，開關本項之提交依變更前之政策判定，與日期無關",
        default=True,
        strict=True,
    )
    allow_committer_as_approver: bool = field(
        "Accept the merge committer as approver when a merge has no Approved-by trailer",
        "無 Approved-by 時以合併者為核准人",
        default=False,
        strict=True,
    )
    require_signed_approvals: bool = field("Approvals must be signed commits", "核准須簽章", default=False, strict=True)
    time_zone: TimeZone = field(
        "The archive's time zone: what day it is for deadlines and reports, wherever the machine is",
        "檔案庫時區：期限與報表所用之日期，不論機器位於何處",
        default="Asia/Taipei",
    )
    platform_committers: list[Email] = field(
        "Committer addresses of the hosting platform's merge button (e.g. noreply@github.com); any other unsigned merge "
        "must be committed by one of its approvers",
        "代管平台合併按鈕之提交者地址；其他未簽章之合併須由核准人提交",
        default_factory=list,
        max_length=10,
    )
    platforms: list[Platform] = field(
        "Platforms whose merge button merges: a merge they commit counts as approved by its author (the reviewer who "
        "pressed it); signed, with their key vouching for it",
        "代管平台：其合併按鈕所建立之合併視為其作者（按下合併之審核人）之核准；簽章模式下由平台金鑰擔保",
        default_factory=list,
        max_length=5,
    )
    acknowledged: list[Acknowledgement] = field(
        "Past commits that broke an approval rule and were accepted", "已確認之例外提交", default_factory=list, max_length=1000
    )

    def checks(self) -> Iterator[FieldError]:
        for kind in ApprovalRules.model_fields:
            rule = getattr(self.approvals, kind)
            if not isinstance(rule, ApprovalRule):
                continue
            states = STATES.get(kind)
            for state in rule.states:
                if states is None or state not in states:
                    allowed = f"its states are {', '.join(states)}" if states else "it has no states"
                    yield FieldError(("approvals", kind, "states", state), f"{state} is not a state of {kind}; {allowed}")
        for state in self.required_documents:
            if state not in DOCUMENT_STATES:
                yield FieldError(("required_documents", state), f"{state} is not a state an order reaches by its work; use {', '.join(DOCUMENT_STATES)}")
        currencies = [rule.currency for rule in self.invoice_numbers]
        for i, currency in enumerate(currencies):
            if currency in currencies[:i]:
                yield FieldError(("invoice_numbers", i, "currency"), f"{currency} is listed twice; list its forms in one entry")
