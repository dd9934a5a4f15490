"""The whole check of an archive: load → validate → index → archive-wide rules.

One function the commands call, so ``orders validate``, ``orders check`` and
the site build see exactly the same problems.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .catalog import Catalog, build_catalog
from .layout import place_of
from .load import load_records, scan_attachments
from .problems import Problem, Severity
from .rules import run_rules
from .validate import validate_sources


@dataclass(frozen=True)
class Checked:
    catalog: Catalog
    problems: list[Problem]


def check_archive(root: Path, today: date | None = None, rules: bool = True) -> Checked:
    """Every problem of the archive at ``root``, sorted by place, and the indexed archive."""
    sources, problems = load_records(root)
    entries, found = validate_sources(sources)
    problems.extend(found)
    places = [place_of(p.path.removeprefix("records/")) for p in problems if p.severity is Severity.ERROR]
    broken = frozenset(p.expected_id for p in places if p and p.expected_id)
    broken_dossiers = frozenset(p.order_id for p in places if p and p.order_id)
    catalog = build_catalog(root, entries, today or date.today(), scan_attachments(root), broken, broken_dossiers)
    if rules:
        problems.extend(run_rules(catalog))
    problems.sort(key=lambda p: p.sort_key)
    return Checked(catalog, problems)
