"""The compliance page: every clause of the regulation, what checks it, and the problems found under it."""

from __future__ import annotations

from collections import defaultdict
from functools import partial

from generator.core.problems import Severity
from generator.rules import REGISTRY
from generator.site.compliance import CLAUSES, compliance_map
from generator.site.render.fieldwords import field_name
from generator.site.render.pages import Page, RendererBase, inputs_digest


class CompliancePage(RendererBase):
    def _compliance_inputs(self, page: Page) -> str:
        """A digest of everything ``compliance`` reads (``Planned``): every problem (the clauses are the program's)."""
        problems = self.shared("problems digest", lambda: inputs_digest(self.problems_digest(self.checked.problems)))
        return inputs_digest([page.path, self.language, problems])

    def compliance(self, page: Page) -> str:
        """Every problem under each clause it cites (whatever layer found it), and the problems that cite none
        in a section of their own: the page's count and its lists always agree."""
        by_clause: dict[str, list] = defaultdict(list)
        unplaced = []
        for problem in self.checked.problems:
            clauses = [c for c in clauses_of(problem) if c in CLAUSES]
            for clause in clauses:
                by_clause[clause].append(problem)
            if not clauses:
                unplaced.append(problem)
        rows = [(coverage, by_clause.get(coverage.clause, [])) for coverage in compliance_map()]
        errors = sum(1 for p in self.checked.problems if p.severity is Severity.ERROR)
        current = sorted(self.checked.problems, key=lambda p: (p.severity is not Severity.ERROR, p.sort_key))  # errors first
        zh = self.language == "zh-Hant"
        return self.render(
            "compliance.md.j2",
            page,
            rows=rows,
            current=current,
            unplaced=unplaced,
            registry=REGISTRY,
            # Each finding is on its dossier, which the search finds; listed here for every order, the findings made
            # this page's search excerpt (which a browser loads whole for a result) 131 KB at 50,000 orders, loaded
            # by a query for any order number among them. The page is found by its clauses, rules and sections.
            problems_table=lambda problems: f"<div data-pagefind-ignore>{self.problems_table(page, problems)}</div>",
            errors=errors,
            warnings=len(self.checked.problems) - errors,
            title_of=lambda c: c.title_zh if zh else c.title_en,
            rule_title=lambda rule_id: REGISTRY[rule_id].zh if zh else REGISTRY[rule_id].en,
            reason_of=lambda c: c.reason(self.language),
            field_name=partial(field_name, language=self.language),
        )


def clauses_of(problem) -> list[str]:
    """The clauses a problem cites: ``"§2.4, §2.5"`` → ``["§2.4", "§2.5"]``."""
    return [c.strip() for c in (problem.clause or "").split(",") if c.strip()]
