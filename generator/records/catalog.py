"""The validated archive, indexed: dossiers by order, people, departments, the business calendar.

Built once from the schema layer's entries; the archive-wide rules, the
history layer and the site all read it instead of searching lists again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

from generator.records.calendar import BusinessCalendar
from generator.records.load import read_again
from generator.records.safeyaml import locate, position_of
from generator.records.validate import Entry, Loc
from schemas import ChangeRequest, Delivery, Disposal, Loan, Order, Organization, Policy, QualityRecord, Settlement
from schemas.base import references
from schemas.organization import Department, Person


@dataclass
class Dossier:
    """Everything on record for one order: ``records/orders/YYYY/ORD-YYYY-NNNN/``."""

    order_id: str
    order: Entry | None = None
    changes: list[Entry] = field(default_factory=list)
    quality: list[Entry] = field(default_factory=list)
    delivery: Entry | None = None
    settlement: Entry | None = None

    @property
    def entries(self) -> list[Entry]:
        parts = [self.order, *self.changes, *self.quality, self.delivery, self.settlement]
        return [e for e in parts if e is not None]

    # Typed views of the models, for rules and templates.
    @property
    def order_model(self) -> Order | None:
        return self.order.model if self.order else None  # type: ignore[return-value]

    @property
    def change_models(self) -> list[ChangeRequest]:
        return [e.model for e in self.changes]  # type: ignore[misc]

    @property
    def quality_models(self) -> list[QualityRecord]:
        return [e.model for e in self.quality]  # type: ignore[misc]

    @property
    def delivery_model(self) -> Delivery | None:
        return self.delivery.model if self.delivery else None  # type: ignore[return-value]

    @property
    def settlement_model(self) -> Settlement | None:
        return self.settlement.model if self.settlement else None  # type: ignore[return-value]


@dataclass
class Catalog:
    root: Path
    today: date
    entries: list[Entry]
    organization: Organization | None
    policy: Policy | None
    organization_entry: Entry | None
    policy_entry: Entry | None
    dossiers: dict[str, Dossier]
    loans: list[Entry]
    disposals: list[Entry]
    by_id: dict[str, list[Entry]]
    people: dict[str, Person]
    departments: dict[str, Department]
    calendar: BusinessCalendar
    attachments: dict[str, dict[str, bool]] = field(default_factory=dict)
    """Per order id: files in its attachments/ folder → whether the file stays inside the archive."""
    broken_ids: frozenset[str] = frozenset()
    """Ids of records whose files exist but failed validation (rules do not pile errors onto them)."""
    broken_dossiers: frozenset[str] = frozenset()
    """Orders with a record that failed validation: totals over such a dossier would mislead."""
    _positions: dict[str, dict[Loc, tuple[int, int]]] = field(default_factory=dict, repr=False)
    _read: dict[str, bytes] = field(default_factory=dict, repr=False)
    """The files read again to place a problem at a top-level field (``position``), until one is parsed."""

    @cached_property
    def references(self) -> list[tuple[Entry, Loc, str, str]]:
        """Every ``(entry, field path, target kind, id)`` reference in the archive, walked once."""
        return [
            (entry, loc, reference.target, value) for entry in self.entries if entry.kind != "organization" for loc, reference, value in references(entry.model)
        ]

    @cached_property
    def retentions(self) -> list[tuple[Entry, date]]:
        """Every record whose dossier is closed, with the last day it must be kept (``retention_until``), in the
        entries' order: worked out once, where the reports and the retention page each walked every record."""
        return [(entry, until) for entry in self.entries if (until := retention_until(self, entry)) is not None]

    @cached_property
    def attachment_refs(self) -> list[tuple[Dossier, Entry, Loc, str]]:
        """Every ``(dossier, entry, field path, file name)`` a record names as a file of its dossier, listed once."""
        refs = []
        for dossier in self.dossiers.values():
            order = dossier.order_model
            if order is not None:
                refs += [(dossier, dossier.order, ("attachments", i, "file"), a.file) for i, a in enumerate(order.attachments)]
            delivery = dossier.delivery_model
            if delivery is not None:
                refs += [(dossier, dossier.delivery, ("documents", i, "file"), d.file) for i, d in enumerate(delivery.documents) if d.file is not None]
        return refs

    def let_go_of_rule_walks(self) -> None:
        """Drop the lists only the archive-wide rules walk (``references``, ``attachment_refs``): at 10,000 orders
        about 19 MB that no page reads, held while the history is judged and the pages are made. Asked for
        again, they are worked out again."""
        for name in ("references", "attachment_refs"):
            self.__dict__.pop(name, None)

    def is_broken(self, record_id: str) -> bool:
        return record_id in self.broken_ids

    def position(self, entry: Entry, loc: Loc) -> tuple[int, int]:
        """Line and column of a field, in the file read again (``load.read_again``: the bytes checked, or
        ``ChangedWhileChecked``) and parsed again only the first time a field below the top is asked."""
        path = entry.path
        positions = self._positions.get(path)
        if positions is None:
            raw = self._read.get(path)
            if raw is None:
                raw = self._read[path] = read_again(self.root, path, entry.digest)
            if len(loc) == 1 and (line := _top_level_line(raw, str(loc[0]))):
                return line, 1
            positions = self._positions[path] = locate(raw)
            del self._read[path]
        return position_of(positions, loc)

    @property
    def loan_models(self) -> list[tuple[Entry, Loan]]:
        return [(e, e.model) for e in self.loans]  # type: ignore[misc]

    @property
    def disposal_models(self) -> list[tuple[Entry, Disposal]]:
        return [(e, e.model) for e in self.disposals]  # type: ignore[misc]

    @cached_property
    def destroyed(self) -> dict[str, Entry]:
        """Record ids listed by a disposal that has been carried out, with that disposal (asked once per deletion
        in the history: worked out once)."""
        out: dict[str, Entry] = {}
        for entry, disposal in self.disposal_models:
            if disposal.destroyed_on is not None:
                for item in disposal.items:
                    out[item.record] = entry
        return out


def _top_level_line(raw: bytes, key: str) -> int | None:
    """The line of a top-level ``key:`` in a block-style file, found without parsing it."""
    needle = key.encode() + b":"
    at = 0 if raw.startswith(needle) else raw.find(b"\n" + needle) + 1
    if at == 0 and not raw.startswith(needle):
        return None
    return raw.count(b"\n", 0, at) + 1


def build_catalog(
    root: Path,
    entries: list[Entry],
    today: date,
    attachments: dict[str, dict[str, bool]] | None = None,
    broken_ids: frozenset[str] = frozenset(),
    broken_dossiers: frozenset[str] = frozenset(),
) -> Catalog:
    """Index the entries of one archive. Pure: reads nothing but what it is given."""
    dossiers: dict[str, Dossier] = {}
    by_id: dict[str, list[Entry]] = defaultdict(list)
    loans: list[Entry] = []
    disposals: list[Entry] = []
    organization = policy = None
    organization_entry = policy_entry = None
    for entry in entries:
        kind = entry.kind
        model = entry.model
        record_id = getattr(model, "id", None)
        if record_id:
            by_id[record_id].append(entry)
        if kind == "organization":
            organization, organization_entry = model, entry
        elif kind == "policy":
            policy, policy_entry = model, entry
        elif kind == "loan":
            loans.append(entry)
        elif kind == "disposal":
            disposals.append(entry)
        else:
            order_id = model.id if kind == "order" else model.order  # type: ignore[attr-defined]
            dossier = dossiers.get(order_id)
            if dossier is None:
                dossier = dossiers[order_id] = Dossier(order_id)
            if kind == "order":
                dossier.order = entry
            elif kind == "change_request":
                dossier.changes.append(entry)
            elif kind == "quality_record":
                dossier.quality.append(entry)
            elif kind == "delivery":
                dossier.delivery = entry
            elif kind == "settlement":
                dossier.settlement = entry
    people = {p.id: p for p in organization.people} if organization else {}
    departments = {d.id: d for d in organization.departments} if organization else {}
    if policy:
        cal = policy.calendar
        calendar = BusinessCalendar.from_names(cal.weekend, (h.on for h in cal.holidays), cal.extra_workdays)
    else:
        calendar = BusinessCalendar()
    return Catalog(
        root=root,
        today=today,
        entries=entries,
        organization=organization,  # type: ignore[arg-type]
        policy=policy,  # type: ignore[arg-type]
        organization_entry=organization_entry,
        policy_entry=policy_entry,
        dossiers=dict(sorted(dossiers.items())),
        loans=loans,
        disposals=disposals,
        by_id=dict(by_id),
        people=people,
        departments=departments,
        calendar=calendar,
        attachments=attachments or {},
        broken_ids=broken_ids,
        broken_dossiers=broken_dossiers,
    )


# --------------------------------------------------------------------------
# Retention (§8.2)


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def closed_on(catalog: Catalog, entry: Entry) -> date | None:
    """When the retention period of a record starts: its dossier was archived or cancelled, a loan returned."""
    model = entry.model
    if entry.kind in ("organization", "policy"):
        return None
    if entry.kind == "loan":
        return model.returned_on  # type: ignore[attr-defined]
    if entry.kind == "disposal":
        return model.destroyed_on  # type: ignore[attr-defined]
    order_id = model.id if entry.kind == "order" else model.order  # type: ignore[attr-defined]
    dossier = catalog.dossiers.get(order_id)
    order = dossier.order_model if dossier else None
    if order is None:
        return None
    if order.archived_on is not None:
        return order.archived_on
    return order.cancellation.on if order.cancellation is not None else None


def retention_until(catalog: Catalog, entry: Entry) -> date | None:
    """The last day a record must be kept, or None while its dossier is still open."""
    start = closed_on(catalog, entry)
    if start is None or catalog.policy is None:
        return None
    return add_years(start, getattr(catalog.policy.retention_years, entry.kind))
