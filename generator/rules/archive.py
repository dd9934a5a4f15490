"""The archive (§8.2 retention and approved destruction, §8.3 the borrowing register)."""

from __future__ import annotations

from collections.abc import Iterator

from generator.records.catalog import Catalog, retention_until

from . import E, Finding, W, rule


@rule(
    "archive.retention-expired",
    "§8.2",
    W,
    "Records whose retention period has ended are proposed for approved disposal",
    "保存期限屆滿之檔案應提出銷毀申請",
)
def retention_expired(catalog: Catalog) -> Iterator[Finding]:
    proposed = {item.record for _, disposal in catalog.disposal_models for item in disposal.items}
    for entry, until in catalog.retentions:  # worked out once for the rule and the pages (0.24 s at 10,000 orders)
        if entry.kind == "disposal":
            continue
        record_id = getattr(entry.model, "id", None)
        if until < catalog.today and record_id not in proposed:
            yield Finding(
                entry,
                ("id",),
                f"kept until {until}; the retention period is over, so a disposal may be proposed",
                zh=f"保存至 {until}；保存期限已屆滿，可提出銷毀申請",
            )


@rule("disposal.under-retention", "§8.2", E, "Only records whose retention period has ended are destroyed", "僅得銷毀保存期限屆滿之檔案")
def under_retention(catalog: Catalog) -> Iterator[Finding]:
    for entry, disposal in catalog.disposal_models:
        for i, item in enumerate(disposal.items):
            for record in catalog.by_id.get(item.record, []):
                until = retention_until(catalog, record)
                if until is None:
                    yield Finding(
                        entry, ("items", i, "record"), f"{item.record} belongs to a dossier that is still open", zh=f"{item.record} 所屬之檔案夾尚未結案"
                    )
                elif until > disposal.proposed_on:
                    yield Finding(entry, ("items", i, "record"), f"{item.record} must be kept until {until}", zh=f"{item.record} 須保存至 {until}")
                elif until != item.retention_until:
                    yield Finding(
                        entry,
                        ("items", i, "retention_until"),
                        f"{item.record} is kept until {until}, not {item.retention_until}",
                        zh=f"{item.record} 保存至 {until}，而非 {item.retention_until}",
                    )


@rule("disposal.record-still-present", "§8.2", E, "Destroyed records are gone from the archive", "已銷毀之檔案不得留存")
def record_still_present(catalog: Catalog) -> Iterator[Finding]:
    for entry, disposal in catalog.disposal_models:
        if disposal.destroyed_on is None:
            continue
        for i, item in enumerate(disposal.items):
            for record in catalog.by_id.get(item.record, []):
                yield Finding(
                    entry,
                    ("items", i, "record"),
                    f"destroyed on {disposal.destroyed_on}, but {record.path} is still in the archive",
                    zh=f"已於 {disposal.destroyed_on} 銷毀，但 {record.path} 仍在檔案庫中",
                )


@rule(
    "disposal.unapproved",
    "§8.2",
    E,
    "A destruction is approved by the departments (and heads) the policy names",
    "銷毀須經政策所列部門（主管）核准",
)
def unapproved(catalog: Catalog) -> Iterator[Finding]:
    if catalog.policy is None:
        return
    rule_ = catalog.policy.approvals.disposal
    for entry, disposal in catalog.disposal_models:
        if disposal.destroyed_on is None:
            continue
        by_department = {a.department: a for a in disposal.approvals}
        for department in rule_.departments:
            approval = by_department.get(department)
            if approval is None:
                yield Finding(entry, ("approvals",), f"destroyed without the approval of {department}", zh=f"未經 {department} 核准即銷毀")
                continue
            person = catalog.people.get(approval.by)
            head = catalog.departments.get(department)
            if person is not None and person.department != department:
                yield Finding(
                    entry,
                    ("approvals",),
                    f"{approval.by} approved for {department} but works in {person.department}",
                    zh=f"{approval.by} 代表 {department} 核准，但任職於 {person.department}",
                )
            elif rule_.heads_only and head is not None and head.head != approval.by:
                yield Finding(
                    entry,
                    ("approvals",),
                    f"{approval.by} is not the head of {department} ({head.head} is)",
                    zh=f"{approval.by} 並非 {department} 主管（主管為 {head.head}）",
                )


@rule(
    "loan.approver-not-head",
    "§8.3",
    E,
    "A loan is approved by the head of the borrower's department",
    "借閱須經借閱人所屬部門主管核准",
)
def approver_not_head(catalog: Catalog) -> Iterator[Finding]:
    for entry, loan in catalog.loan_models:
        department = catalog.departments.get(loan.department)
        person = catalog.people.get(loan.borrower)
        if person is not None and person.department != loan.department:
            yield Finding(
                entry,
                ("department",),
                f"{loan.borrower} works in {person.department}, not {loan.department}",
                zh=f"{loan.borrower} 任職於 {person.department}，而非 {loan.department}",
            )
        if loan.approved_by is not None and department is not None and loan.approved_by != department.head:
            yield Finding(
                entry,
                ("approved_by",),
                f"{loan.approved_by} is not the head of {loan.department} ({department.head} is)",
                zh=f"{loan.approved_by} 並非 {loan.department} 主管（主管為 {department.head}）",
            )


@rule("loan.too-long", "§8.3", E, "A loan lasts no longer than the policy's maximum", "借閱期間不得超過規定上限")
def too_long(catalog: Catalog) -> Iterator[Finding]:
    if catalog.policy is None:
        return
    limit = catalog.policy.max_borrowing_days
    for entry, loan in catalog.loan_models:
        if loan.borrowed_on is None:
            continue
        if loan.due_on is not None and (loan.due_on - loan.borrowed_on).days > limit:
            yield Finding(
                entry,
                ("due_on",),
                f"a loan of {(loan.due_on - loan.borrowed_on).days} days; the most is {limit}",
                zh=f"借閱 {(loan.due_on - loan.borrowed_on).days} 天；上限為 {limit} 天",
            )
        elif loan.returned_on is not None and (loan.returned_on - loan.borrowed_on).days > limit:
            yield Finding(
                entry,
                ("returned_on",),
                f"kept {(loan.returned_on - loan.borrowed_on).days} days; the most is {limit}",
                zh=f"借閱了 {(loan.returned_on - loan.borrowed_on).days} 天；上限為 {limit} 天",
            )


@rule("loan.overdue", "§8.3", W, "Borrowed records are returned by their due date", "借閱檔案應於期限內歸還", timely=True)
def overdue(catalog: Catalog) -> Iterator[Finding]:
    for entry, loan in catalog.loan_models:
        if loan.borrowed_on is not None and loan.returned_on is None and loan.due_on is not None and loan.due_on < catalog.today:
            yield Finding(
                entry,
                ("due_on",),
                f"due back on {loan.due_on}, {(catalog.today - loan.due_on).days} days ago, and not returned",
                zh=f"應於 {loan.due_on} 歸還，已逾 {(catalog.today - loan.due_on).days} 天仍未歸還",
            )


@rule("loan.destroyed-record", "§8.3", E, "A destroyed record is never lent", "已銷毀之檔案不得借閱")
def destroyed_record(catalog: Catalog) -> Iterator[Finding]:
    destroyed = catalog.destroyed
    for entry, loan in catalog.loan_models:
        for i, record in enumerate(loan.records):
            disposal = destroyed.get(record)
            if disposal is not None and loan.requested_on >= disposal.model.destroyed_on:
                yield Finding(
                    entry,
                    ("records", i),
                    f"{record} was destroyed on {disposal.model.destroyed_on} ({disposal.model.id}) and cannot be lent",
                    zh=f"{record} 已於 {disposal.model.destroyed_on} 銷毀（{disposal.model.id}），不得借閱",
                )
