"""The regulation as named rules that look across records.

The schema layer checks one file at a time; most of the regulation lives
*between* records (a change approved before it is implemented, a loan
approved by the head of the borrower's department …). Each rule here has a
stable id, the clauses it enforces, a severity (errors block a merge,
warnings are shown on the site) and a bilingual one-line description, and is
a pure function from the indexed archive to findings.

Rules are registered by the modules imported at the bottom of this file.
The checks of the earlier layers (YAML reader, layout, schema) are listed in
the same registry without a function, so ``orders rules`` and the
compliance map account for every rule id a user can see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple

from generator.core.problems import Problem, Severity
from generator.records.catalog import Catalog
from generator.records.validate import Entry, Loc
from generator.rules.grouped import grouped_problems
from schemas.labels import label
from schemas.lifecycle import TRANSITION_CLAUSES
from schemas.policy import Deadlines


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule found: the record, the field (as a path) and what is wrong."""

    entry: Entry
    loc: Loc
    message: str
    clause: str | None = None
    """The one clause this finding breaks, when the rule covers several."""
    zh: str | None = None
    """The message in 繁體中文, for the Chinese site and ``--lang zh-Hant`` (a test requires it of every finding)."""


Check = Callable[[Catalog], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    clauses: tuple[str, ...]
    severity: Severity
    en: str
    zh: str
    check: Check | None = None
    timely: bool = False
    """Measures time against a deadline: its findings feed the attention list, and the policy may make them errors."""

    @property
    def layer(self) -> str:
        return "archive" if self.check else self.id.split(".", 1)[0]

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "clauses": list(self.clauses),
            "severity": str(self.severity),
            "layer": self.layer,
            "timely": self.timely,
            "description": {"en": self.en, "zh-Hant": self.zh},
        }


REGISTRY: dict[str, Rule] = {}


def rule(rule_id: str, clauses: str | tuple[str, ...], severity: Severity, en: str, zh: str, timely: bool = False) -> Callable[[Check], Check]:
    """Register a rule function under a stable id."""

    def register(check: Check) -> Check:
        if rule_id in REGISTRY:
            raise ValueError(f"rule {rule_id} is defined twice")
        REGISTRY[rule_id] = Rule(rule_id, (clauses,) if isinstance(clauses, str) else clauses, severity, en, zh, check, timely)
        return check

    return register


def _document(rule_id: str, clauses: tuple[str, ...], en: str, zh: str) -> None:
    REGISTRY[rule_id] = Rule(rule_id, clauses, Severity.ERROR, en, zh)


E, W = Severity.ERROR, Severity.WARNING
_TRANSITION_CLAUSES = tuple(sorted({c for clauses in TRANSITION_CLAUSES.values() for c in clauses.split(", ")}))

# Checks made before the archive-wide rules run (reader, layout, schema).
for _id, _en, _zh in [
    ("yaml.syntax", "The file is valid YAML", "檔案為有效 YAML"),
    ("yaml.encoding", "The file is UTF-8", "檔案以 UTF-8 編碼"),
    ("yaml.character", "No control characters in the file", "檔案不含控制字元"),
    ("yaml.tab", "Indentation uses spaces, not tabs", "縮排使用空格而非 Tab"),
    ("yaml.duplicate-key", "A key appears once in a mapping", "同一層鍵值不得重複"),
    ("yaml.anchor", "No anchors (&name)", "不得使用錨點"),
    ("yaml.alias", "No aliases (*name)", "不得使用別名"),
    ("yaml.merge-key", "No merge keys (<<)", "不得使用合併鍵"),
    ("yaml.tag", "No explicit tags (!!type)", "不得使用明確標籤"),
    ("yaml.multiple-documents", "One document per file", "每個檔案僅一份文件"),
    ("yaml.empty", "The file is not empty", "檔案不得為空"),
    ("yaml.not-mapping", "The top level is a mapping", "最上層須為鍵值對應"),
    ("yaml.complex-key", "Keys are plain text", "鍵須為純文字"),
    ("yaml.unsupported", "No YAML form the reader would read otherwise than YAML 1.2 says", "不得使用讀取結果可能與 YAML 1.2 不符之寫法"),
    ("yaml.too-large", "A record file is at most 1 MiB", "記錄檔不得超過 1 MiB"),
    ("yaml.too-deep", "Nesting is at most 24 levels", "巢狀不得超過 24 層"),
    ("layout.missing", "organization.yaml and policy.yaml exist", "須有組織檔與政策檔"),
    ("layout.unknown-path", "Record files live where their kind belongs", "記錄檔置於規定位置"),
    ("layout.extension", "Record files end in .yaml", "記錄檔副檔名為 .yaml"),
    ("layout.symlink", "No symbolic links in the archive", "檔案庫內不得有符號連結"),
    ("layout.special-file", "Only regular files and folders in the archive", "檔案庫內僅可有一般檔案與資料夾"),
    ("layout.too-deep", "Folders nest no deeper than the archive's layout", "資料夾層數不得超過規定"),
    ("record.kind-mismatch", "The kind: of a file matches its place", "記錄類型與位置相符"),
    ("schema.invalid-choice", "Values come from the closed lists", "欄位值須為既定選項"),
    ("schema.invalid-value", "Amounts, dates, ids and numbers have their exact form", "金額、日期、編號格式正確"),
    ("schema.invalid-text", "Text has no control or bidi-override characters", "文字不含控制或雙向覆寫字元"),
    ("schema.wrong-type", "Each field has the type it needs", "欄位型別正確"),
    ("schema.unknown-field", "No unknown fields", "不得有未定義欄位"),
]:
    _document(_id, (), _en, _zh)
_document("schema.required", ("§2.2", "§6.2", "§7.1"), "Required fields are present", "必填欄位須填寫")
_document("schema.cross-field", ("§2.2", "§4.4", "§5.2", "§6.3", "§7.1", "§8.3"), "Fields of one record agree", "同一記錄內各欄位一致")
_document("record.id-mismatch", ("§2.2",), "A record's id matches its path", "記錄編號與路徑相符")
_document("record.order-mismatch", ("§8.1",), "A record belongs to the dossier it is in", "記錄屬於所在之訂單檔案夾")
for _id, _clauses, _en, _zh in [
    ("history.unapproved-change", ("§1.4",), "Records change on the main line only through an approved merge", "記錄僅能經核准之合併變更"),
    ("history.unknown-approver", ("§1.4",), "Approvers are people in organization.yaml", "核准人須列於組織檔"),
    ("history.approver-not-authorised", ("§7.2",), "Approvers hold the role the policy requires for each record kind", "核准人須具政策要求之角色"),
    ("history.self-approval", ("§7.2",), "Nobody approves changes they wrote (four-eyes)", "不得核准自己撰寫之變更（四眼原則）"),
    ("history.unverified-approval", ("§7.2",), "Signed mode: every approver's own signature is verified", "簽章模式：每位核准人之簽章皆須驗證"),
    ("history.committer-not-approver", ("§7.2",), "An unsigned merge is committed by one of its approvers", "未簽章之合併須由核准人提交"),
    ("history.evil-merge", ("§7.2",), "A merge changes nothing beyond merging the reviewed branch", "合併不得加入分支以外之變更"),
    ("history.invalid-transition", _TRANSITION_CLAUSES, "Statuses move only along the lifecycle table", "狀態僅能依生命週期表轉換"),
    ("history.deleted-without-disposal", ("§8.2",), "A record is deleted only under an approved disposal", "記錄僅能依核准之銷毀刪除"),
    ("history.rewritten", ("§8.1",), "The published history is never rewritten", "已發布之歷史不得改寫"),
    ("history.malformed-commit", ("§1.4",), "Commits name people by one plain address, with real dates", "提交之人名、地址與日期須合於 git 格式"),
    ("history.fake-merge", ("§1.4",), "A merge brings in the commits it approves", "合併須帶入其核准之提交"),
    ("history.unreadable", ("§8.1",), "The whole history can be read", "須能讀取完整之版本歷史"),
    ("check.invalid-transition", _TRANSITION_CLAUSES, "A branch moves statuses only along the lifecycle table", "分支之狀態變更須依生命週期表"),
    ("check.deleted-without-disposal", ("§8.2",), "A branch deletes records only under an approved disposal", "分支僅能依核准之銷毀刪除記錄"),
    ("check.editor-not-allowed", ("§1.4",), "Only the departments the policy names edit each record kind", "僅政策所列部門得編修該類記錄"),
    ("check.unknown-author", ("§1.4",), "Commits are written by people in organization.yaml", "提交者須列於組織檔"),
    ("check.id-collision", ("§2.2",), "A new record's number was not taken on the base meanwhile", "新記錄編號未與主線重複"),
]:
    _document(_id, _clauses, _en, _zh)
REGISTRY["history.shallow-clone"] = Rule("history.shallow-clone", (), W, "The whole history is available", "須有完整之版本歷史")
REGISTRY["layout.stray-file"] = Rule("layout.stray-file", (), W, "No stray files among the records", "記錄區不得有雜項檔案")


def run_rules(catalog: Catalog, kept: Path | None = None) -> list[Problem]:
    """Every finding of every archive-wide rule, located at its field. With ``kept`` (a cache file), the dossiers
    whose records are as they were at the last such check are not judged again (``grouped``), and the problems
    come sorted by place."""
    rules = [r for r in REGISTRY.values() if r.check is not None]
    return _located(catalog, rules) if kept is None else grouped_problems(catalog, rules, _located, kept)


def _located(catalog: Catalog, rules: Iterable[Rule]) -> list[Problem]:
    problems: list[Problem] = []
    as_errors = {str(name) for name in catalog.policy.deadlines.as_errors} if catalog.policy else set()
    for current in rules:
        if current.check is None:
            continue
        clause = ", ".join(current.clauses) or None
        severity = Severity.ERROR if current.id in as_errors else current.severity
        for finding in current.check(catalog):
            line, col = catalog.position(finding.entry, finding.loc)
            where = (finding.entry.path, line, col, current.id)
            problems.append(Problem(*where, finding.message, finding.clause or clause, severity, current.timely, finding.zh))
    catalog.let_go_of_rule_walks()
    return problems


def approving_departments(catalog: Catalog, kind: str) -> list[str]:
    """The departments policy.yaml requires to approve changes to ``kind`` (none without a valid policy)."""
    return list(getattr(catalog.policy.approvals, kind).departments) if catalog.policy else []


def deadlines(catalog: Catalog) -> Deadlines:
    """The policy's deadlines, or the defaults while the policy is missing or invalid."""
    return catalog.policy.deadlines if catalog.policy else Deadlines()


class Words(NamedTuple):
    """A phrase in both languages, for a finding's message to take its part in each."""

    en: str
    zh: str


def overdue(catalog: Catalog, since: date, days: int) -> Words | None:
    """``"after N days; the policy allows M"`` once more than ``days`` passed since ``since``; None while in time."""
    waited = (catalog.today - since).days
    return Words(f"after {waited} days; the policy allows {days}", f"已 {waited} 天，政策限 {days} 天") if waited > days else None


def zh_label(value: object) -> str:
    """A closed-list value in Chinese words, for a message."""
    return label(value, "zh-Hant")


def each_record(catalog: Catalog, part: str) -> Iterator[tuple]:
    """``(dossier, entry, model)`` for every dossier that holds ``part`` (order, delivery or settlement)."""
    for dossier in catalog.dossiers.values():
        entry = getattr(dossier, part)
        if entry is not None:
            yield dossier, entry, entry.model


def each_order(catalog: Catalog) -> Iterator[tuple]:
    """``(dossier, order entry, order model)`` for every dossier that has its order.yaml."""
    return each_record(catalog, "order")


# Register the rules: importing a module runs its @rule decorators.
from . import (  # noqa: E402
    archive,
    attachments,
    changes,
    delivery,
    execution,
    identity,
    intake,
    lifecycle,
    quality,
    settlement,
    steps,
)

__all__ = ["REGISTRY", "Finding", "Rule", "archive", "attachments", "changes", "deadlines", "delivery", "each_order", "each_record", "execution"]
__all__ += ["identity", "intake", "lifecycle", "overdue", "quality", "rule", "run_rules", "settlement", "steps"]
