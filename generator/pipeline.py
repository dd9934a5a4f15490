"""The whole check of an archive: load → validate → index → archive-wide rules.

One function the commands call, so ``orders validate``, ``orders check`` and
the site build see exactly the same problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .approvals import Approval, evaluate, history_problems, write_allowed_signers
from .catalog import Catalog, build_catalog
from .history import History, is_rewritten, read_history
from .layout import place_of
from .load import load_records, scan_attachments
from .problems import Problem, Severity
from .rules import run_rules
from .validate import validate_sources


@dataclass(frozen=True)
class Checked:
    catalog: Catalog
    problems: list[Problem]
    history: History | None = None
    approvals: list[Approval] = field(default_factory=list)


def check_archive(root: Path, today: date | None = None, rules: bool = True, history: bool = True) -> Checked:
    """Every problem of the archive at ``root``, sorted by place, and the indexed archive with its history."""
    sources, problems = load_records(root)
    entries, found = validate_sources(sources)
    problems.extend(found)
    places = [place_of(p.path.removeprefix("records/")) for p in problems if p.severity is Severity.ERROR]
    broken = frozenset(p.expected_id for p in places if p and p.expected_id)
    broken_dossiers = frozenset(p.order_id for p in places if p and p.order_id)
    catalog = build_catalog(root, entries, today or date.today(), scan_attachments(root), broken, broken_dossiers)
    if rules:
        problems.extend(run_rules(catalog))
    trail, approvals = None, []
    if history:
        trail, approvals, found = _history(root, catalog)
        problems.extend(found)
    problems.sort(key=lambda p: p.sort_key)
    return Checked(catalog, problems, trail, approvals)


def _history(root: Path, catalog: Catalog) -> tuple[History | None, list[Approval], list[Problem]]:
    """The history layer, when the archive is a git repository with commits."""
    signed = bool(catalog.policy and catalog.policy.require_signed_approvals)
    signers = write_allowed_signers(catalog, root / ".cache/order-archive/allowed_signers") if signed else None
    trail = read_history(root, signatures=signed, allowed_signers=signers)
    if trail is None:
        return None, [], []
    approvals = evaluate(trail, catalog)
    return trail, approvals, history_problems(trail, catalog, approvals, is_rewritten(root, trail.head))
