"""One page per order: everything on record about it, and the timeline of every version."""

from __future__ import annotations

from functools import cached_property

from generator.core import cachefile
from generator.records.catalog import Dossier, retention_until
from generator.records.layout import dossier_folder
from generator.rules.attachments import is_published
from generator.rules.settlement import ceiling
from generator.site import escape
from generator.site.render.fieldwords import describe
from generator.site.render.pages import Page, RendererBase, differing, inputs_digest
from generator.trail.approvals import STATUS_TYPES


class DossierPages(RendererBase):
    def _readable(self, kind: str, version: dict) -> dict:
        """A version as a manager reads it: people by their names in the site's language (an address the
        organisation does not know stays as git recorded it), statuses in words, no empty-list noise."""
        shown = dict(version)
        shown["author"] = self._name_for(version.get("author_email"), version["author"])
        shown["approvers"] = [{**a, "name": self._person_name(a["person"]) if a.get("person") else a["name"]} for a in version["approvers"]]
        status_type = STATUS_TYPES.get(kind)
        if version["status"] and status_type is not None and version["status"] in {s.value for s in status_type}:
            shown["status"] = self.label(status_type(version["status"]))
        shown["diff"] = describe(kind, version["changes"], self.language, self._person_or_none)
        if self.language == "zh-Hant":
            shown["problems"] = version["problems_zh"]
        return shown

    def _person_or_none(self, value: str) -> str | None:
        return self._person_name(value) if value in self.catalog.people else None

    def _name_for(self, email: str | None, fallback: str) -> str:
        person = self.people_by_email.find(email) if email else None
        return self._person_name(person.id) if person else fallback

    def invalid_dossier(self, page: Page, order_id: str) -> str:
        """The page of an order whose order.yaml failed its checks: its problems and its records, never a gap in the site."""
        folder = dossier_folder(order_id) + "/"
        valid = {e.path for e in getattr(self.catalog.dossiers.get(order_id), "entries", [])}
        paths = sorted({p for p in self.problems_by_path if p.startswith(folder)} | valid)
        problems = [p for path in paths for p in self.problems_by_path.get(path, [])]
        failed = {p.path for p in problems if str(p.severity) == "error"}
        rows = [[escape.text(path), escape.text(page.t("invalid.failed" if path in failed else "invalid.valid"))] for path in paths]
        return self.render(
            "dossier-invalid.md.j2",
            page,
            order_id=order_id,
            problems=self.problems_table(page, problems, link_records=False),
            records=escape.table([page.t("col.where"), page.t("col.status")], rows),
        )

    @cached_property
    def _rule_records(self) -> list[tuple[str, bytes]]:
        return [(e.path, e.digest) for e in self.catalog.entries if e.kind in ("organization", "policy")]

    def _uncommitted(self, order_id: str) -> dict[str, str]:
        """The dossier's files the work tree changed and git has not committed (path → how), as its page shows them."""
        timelines = self.timelines
        folder = dossier_folder(order_id) + "/"
        return {p: s for p, s in (timelines.uncommitted.items() if timelines else []) if p.startswith(folder)}

    def dossier_inputs(self, page: Page, dossier: Dossier, order) -> str:
        """A digest of everything ``dossier`` reads, so a build can tell, without rendering it, that an order's page
        is the one it made last time (``site.reuse``): the page, its language and where its attachments are, and
        what no language changes (``_dossier_facts``), worked out once for all the editions of one check."""
        facts = self.shared("dossier inputs", dict)
        held = facts.get(order.id)
        if held is None or held[0] is not dossier:
            held = facts[order.id] = (dossier, self._dossier_facts(dossier, order))
        return inputs_digest([page.path, self.language, self.attachments_root, held[1]])

    def _dossier_facts(self, dossier: Dossier, order) -> str:
        """A digest of what a dossier reads in any language: its records, their problems, every version of them
        with its commit and its approval, what is not committed, the loans of the order, its attachments, the
        organisation (names), the policy (retention) and the day. The templates and the program are part of
        every cache's key. Anything the page comes to read must be added here and to ``dossier_basis``:
        ``test_reuse`` and ``test_planned`` change each of them and watch the page."""
        timelines = self.timelines
        parts: list = self._every_dossiers_facts()
        for entry in dossier.entries:
            problems = cachefile.problem_rows(self.problems_by_path.get(entry.path, []))
            parts.append((entry.path, entry.digest, problems, timelines.of_file(entry.path) if timelines else b""))
        parts.append(sorted(self._uncommitted(order.id).items()))
        parts += [(entry.path, entry.digest) for entry, _ in self.loans_of.get(order.id, [])]
        parts.append(sorted(self.catalog.attachments.get(order.id, {}).items()))
        return inputs_digest(parts)

    def dossier_basis(self) -> dict:
        """What ``_dossier_facts`` reads, source by source, as plain values: kept with an edition's pages, it lets
        the next build name the orders whose facts may differ (``changed_orders``) and take every other dossier's
        inputs digest from the page it kept, without working it out (0.27 s of a merge's first edition at 10,000
        orders, and 0.05 s each edition after). Compared source by source, a merge's basis differs from the last
        in a few keys of each."""
        timelines = self.timelines
        records = {entry.path: (order.id, entry.digest) for dossier, order in self.orders for entry in dossier.entries}
        found = self.problems_by_path
        return {
            "common": inputs_digest(self._every_dossiers_facts()),
            "records": records,
            "problems": {path: cachefile.problem_rows(found[path]) for path in found.keys() & records.keys() if found[path]},
            "timelines": timelines.digests if timelines is not None else {},
            "uncommitted": timelines.uncommitted if timelines is not None else {},
            "loans": {order_id: [(entry.path, entry.digest) for entry, _ in loans] for order_id, loans in self.loans_of.items() if loans},
            "attachments": self.catalog.attachments,
        }

    def _every_dossiers_facts(self) -> list:
        """What every dossier reads alike: the day, whether the history is read, the organisation and the policy."""
        return [self.catalog.today.isoformat(), self.timelines is not None, self._rule_records]

    def dossier(self, page: Page, dossier: Dossier, order) -> str:
        loans = self.loans_of.get(order.id, [])
        timeline = []
        timelines = self.timelines
        for entry in dossier.entries:
            for version in timelines.versions(entry.path) if timelines else ():
                timeline.append((entry.path.rsplit("/", 1)[-1], self._readable(entry.kind, version)))
        timeline.sort(key=lambda item: (item[1]["date"], item[0]))
        problems = [p for e in dossier.entries for p in self.problems_by_path.get(e.path, [])]
        limit = ceiling(dossier)
        settlement = dossier.settlement_model
        approved_changes = (limit - (order.intake.budget if limit is not None else 0)) if limit is not None else None
        retention = retention_until(self.catalog, dossier.order) if dossier.order else None
        attachments_folder = self.attachments_root + page.to(f"attachments/{order.id}/x")[:-2]
        files = self.catalog.attachments.get(order.id, {})
        text, money = escape.text, escape.money

        def attachment_link(name: str) -> str:
            return escape.link(escape.file_href(attachments_folder, name), name) if is_published(files, name) else text(name)

        cur = order.intake.currency.value
        plan = order.work_plan
        delivery = dossier.delivery_model
        return self.render(
            "dossier.md.j2",
            page,
            d=dossier,
            o=order,
            e=escape,
            timeline=timeline,
            git=timelines is not None,
            uncommitted=self._uncommitted(order.id),
            problems=self.problems_table(page, problems, link_records=False) if problems else "",
            totals=[
                (page.t("totals.budget"), escape.money(order.intake.budget, order.intake.currency.value)),
                (page.t("totals.changes"), escape.money(approved_changes, order.intake.currency.value)),
                (page.t("totals.ceiling"), escape.money(limit, order.intake.currency.value)),
                (page.t("totals.settled"), escape.money(settlement.plan.total, settlement.currency.value) if settlement else ""),
                (page.t("totals.invoiced"), escape.money(settlement.invoiced, settlement.currency.value) if settlement else ""),
                (page.t("totals.paid"), escape.money(settlement.paid, settlement.currency.value) if settlement else ""),
            ],
            retention=retention,
            loans=[
                [
                    escape.link(page.to("archive/borrowing.md"), loan.id),
                    self.person(loan.borrower),
                    f'<span class="oa-status oa-loan-{self.loan_state(loan)}">{text(page.t("loan." + self.loan_state(loan)))}</span>',
                    text(loan.borrowed_on or "—"),
                    text(loan.due_on or "—"),
                    text(loan.returned_on or "—"),
                ]
                for _, loan in loans
            ],
            tasks=[[text(t.id), text(t.title), self.person(t.owner), text(t.due), text(self.label(t.status))] for t in (plan.tasks if plan else [])],
            milestones=[[text(m.name), text(m.due), text(m.done_on or "—")] for m in (plan.milestones if plan else [])],
            tracking=[
                [text(p.on), text(f"{p.progress}%"), text(self.label(p.quality)), text(" · ".join(x for x in (p.resources, p.note) if x))]
                for p in order.tracking
            ],
            risks=[[text(k.risk), text(self.label(k.likelihood)), text(self.label(k.impact)), text(k.mitigation), self.person(k.owner)] for k in order.risks],
            documents=[
                [text(doc.title), text(self.label(doc.type)), attachment_link(doc.file) if doc.file else "—"]
                for doc in (delivery.documents if delivery else [])
            ],
            invoices=[[text(i.number), text(i.issued_on), money(i.amount, cur), money(i.tax, cur)] for i in (settlement.invoices if settlement else [])],
            payments=[[text(p.received_on), money(p.amount, cur), text(p.invoice)] for p in (settlement.payments if settlement else [])],
            attachment_link=attachment_link,
        )


def changed_orders(before: object, now: dict) -> set[str] | None:
    """The orders whose dossier facts may differ from one basis (``dossier_basis``) to the next; None where any
    may: no earlier basis, a fact every dossier reads changed (the day, the organisation, the policy), or the work
    tree's uncommitted files did (rare outside ``orders serve``). A basis is only ever compared with one the same
    program made (``_Converter.trust_inputs``)."""
    if not isinstance(before, dict) or before.keys() != now.keys() or before["common"] != now["common"]:
        return None
    if before["uncommitted"] != now["uncommitted"]:
        return None
    records_before, records_now = before["records"], now["records"]
    changed: set[str] = set()
    for source in ("records", "problems", "timelines"):
        for path in differing(before[source], now[source]):
            changed.update(held[0] for held in (records_before.get(path), records_now.get(path)) if held is not None)
    changed.update(differing(before["loans"], now["loans"]))
    changed.update(differing(before["attachments"], now["attachments"]))
    return changed
