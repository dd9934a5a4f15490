"""Ids are unique and every reference resolves (§1.4, §8.1, §8.3)."""

from __future__ import annotations

from collections.abc import Iterator

from generator.records.catalog import Catalog

from . import E, Finding, rule


@rule("record.duplicate-id", "§2.2", E, "Record ids are unique across the archive", "記錄編號在檔案庫中唯一")
def duplicate_ids(catalog: Catalog) -> Iterator[Finding]:
    for record_id, entries in catalog.by_id.items():
        for entry in entries[1:]:
            yield Finding(entry, ("id",), f"{record_id} is also used by {entries[0].path}", zh=f"{record_id} 亦為 {entries[0].path} 所用")


@rule("reference.unknown-order", "§8.1", E, "Dossier records belong to an order on record", "檔案夾中之記錄須屬於既有訂單")
def unknown_orders(catalog: Catalog) -> Iterator[Finding]:
    for dossier in catalog.dossiers.values():
        if dossier.order is not None or catalog.is_broken(dossier.order_id):
            continue
        for entry in dossier.entries:
            yield Finding(
                entry,
                ("order",),
                f"there is no order {dossier.order_id} in the archive (its order.yaml is missing)",
                zh=f"檔案庫中無訂單 {dossier.order_id}（缺少其 order.yaml）",
            )


@rule("reference.unknown-person", "§1.4", E, "People named in records exist in organization.yaml", "記錄中之人員須列於組織檔")
def unknown_people(catalog: Catalog) -> Iterator[Finding]:
    yield from _unknown(catalog, "person", catalog.people, "a person")


@rule("reference.unknown-department", "§1.4", E, "Departments named in records exist", "記錄中之部門須列於組織檔")
def unknown_departments(catalog: Catalog) -> Iterator[Finding]:
    yield from _unknown(catalog, "department", catalog.departments, "a department")


def _unknown(catalog: Catalog, target: str, known: dict, what: str) -> Iterator[Finding]:
    if catalog.organization is None:
        return  # organization.yaml has its own errors; checking against nothing would only add noise
    for entry, loc, kind, value in catalog.references:
        if kind == target and value not in known:
            yield Finding(
                entry, loc, f"{value} is not {what} in organization.yaml", zh=f"{value} 不是 organization.yaml 中之{'人員' if target == 'person' else '部門'}"
            )


@rule("reference.unknown-record", ("§8.2", "§8.3"), E, "Borrowed and disposed records exist", "借閱或銷毀之檔案須存在")
def unknown_records(catalog: Catalog) -> Iterator[Finding]:
    destroyed = catalog.destroyed
    for entry, loan in catalog.loan_models:
        for i, record in enumerate(loan.records):
            if record not in catalog.by_id and record not in destroyed and not catalog.is_broken(record):
                yield Finding(entry, ("records", i), f"there is no record {record} in the archive", zh=f"檔案庫中無記錄 {record}")
    for entry, disposal in catalog.disposal_models:
        if disposal.destroyed_on is None:
            for i, item in enumerate(disposal.items):
                if item.record not in catalog.by_id and not catalog.is_broken(item.record):
                    yield Finding(entry, ("items", i, "record"), f"there is no record {item.record} to destroy", zh=f"無可銷毀之記錄 {item.record}")
