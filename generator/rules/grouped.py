"""The archive-wide rules judged again only for the dossiers whose records changed since the last check.

Most rules judge one dossier at a time: what they find in a dossier's records follows from those records, the
dossier's attachments, the records no dossier holds (the organisation, the policy, the loans and the disposals:
"the shared records"), which records failed their checks, and the day. Their findings are kept per dossier
between checks (``rules.marshal``) under a digest of exactly these, and the shared records' own findings under a
digest of theirs. After a merge that touched one dossier, the rules judge a catalog of that dossier and the
shared records (at 10,000 orders 2.0 s of every build judged them all). The rules that compare dossiers with one
another (``ACROSS``) judge the whole archive every time. ``tests/rules/test_grouped.py`` judges each dossier of
demo archives on its own and compares, rule by rule, with the whole archive judged at once: a rule that came to
read another dossier fails it until it is named here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

from generator.core import cachefile
from generator.core.problems import Problem
from generator.records.catalog import Catalog, build_catalog
from generator.records.validate import Entry

ACROSS = frozenset(
    {
        "record.duplicate-id",  # an id against every other record's
        "reference.unknown-record",  # a loan's or disposal's record, wherever it is
        "disposal.under-retention",  # a disposal against the dossiers of the records it destroys
        "disposal.record-still-present",  # the same
        "settlement.duplicate-invoice",  # an invoice number against every other settlement's
    }
)
"""The rules whose findings in one dossier (or in a shared record) depend on other dossiers."""

CACHE = "rules.marshal"
_VERSION = 1
SHARED = ""
"""The group of the records no dossier holds."""


def grouped_problems(catalog: Catalog, rules: list, located: Callable[[Catalog, list], list[Problem]], kept: Path) -> list[Problem]:
    """The problems of ``rules`` as ``located(catalog, rules)`` finds them, sorted by place (``Problem.sort_key``),
    each group's kept in ``kept`` for the next check."""
    within = [r for r in rules if r.id not in ACROSS]
    across = [r for r in rules if r.id in ACROSS]
    groups = _groups(catalog)
    keys = _keys(catalog, groups)
    earlier = cachefile.read(kept, _VERSION, "")
    earlier = earlier if type(earlier) is dict else {}
    held: dict[str, tuple[bytes, list[tuple]]] = {}
    again: list[str] = []
    for group, key in keys.items():
        found = earlier.get(group)
        if type(found) is tuple and len(found) == 2 and found[0] == key and type(found[1]) is list:
            held[group] = found
        else:
            again.append(group)
    if again:
        judged = catalog if len(again) == len(keys) else _part(catalog, groups, again)
        rows: dict[str, list[tuple]] = {group: [] for group in again}
        owner = {entry.path: group for group in again for entry in groups[group]}
        for problem in located(judged, within):
            group = owner.get(problem.path)
            if group is not None:  # a shared record judged beside the dossiers: its group is kept as it was
                rows[group].append(problem)
        for group in again:
            held[group] = (keys[group], cachefile.problem_rows(rows[group]))
    if held != earlier:
        cachefile.write(kept, _VERSION, "", held)
    problems = [problem for group in keys for problem in cachefile.problems_from(held[group][1])]
    problems += located(catalog, across)
    problems.sort(key=lambda p: p.sort_key)
    return problems


SHARED_KINDS = frozenset({"organization", "policy", "loan", "disposal"})
"""The kinds of record no dossier holds (``build_catalog`` puts every other record in its order's dossier)."""


def _groups(catalog: Catalog) -> dict[str, list[Entry]]:
    """Each dossier's records by its order id, as ``build_catalog`` puts them, and the shared records under
    ``SHARED``, in the catalog's order."""
    groups: dict[str, list[Entry]] = {SHARED: []}
    for entry in catalog.entries:
        kind = entry.kind
        group = SHARED if kind in SHARED_KINDS else entry.model.id if kind == "order" else entry.model.order  # type: ignore[attr-defined]
        groups.setdefault(group, []).append(entry)
    return groups


def _keys(catalog: Catalog, groups: dict[str, list[Entry]]) -> dict[str, bytes]:
    """A digest of everything a group's findings follow from: the day, which records failed their checks, the shared
    records, and the group's own records (each file's path and SHA-1) and attachments."""
    common = hashlib.sha1()
    common.update(_texts([catalog.today.isoformat(), *sorted(catalog.broken_ids)]))
    common.update(_texts(sorted(catalog.broken_dossiers)))
    common.update(_files(groups[SHARED]))
    keys = {}
    attachments = catalog.attachments
    for group, entries in groups.items():
        digest = common.copy()
        digest.update(_texts([group]))
        digest.update(_files(entries))
        if group in attachments:
            digest.update(_texts(f"{name}\0{inside}" for name, inside in sorted(attachments[group].items())))
        keys[group] = digest.digest()
    return keys


def _files(entries: list[Entry]) -> bytes:
    return b"".join(b"%s\0%s" % (e.path.encode("utf-8", "surrogatepass"), e.digest) for e in entries) + b"\1"


def _texts(texts: Iterable[str]) -> bytes:
    return b"".join(text.encode("utf-8", "surrogatepass") + b"\0" for text in texts) + b"\1"


def _part(catalog: Catalog, groups: dict[str, list[Entry]], again: list[str]) -> Catalog:
    """The catalog of the shared records and the dossiers of ``again``, judged as the whole archive judges them."""
    entries = {id(e): e for group in {SHARED, *again} for e in groups[group]}
    chosen = [e for e in catalog.entries if id(e) in entries]
    attachments = {group: catalog.attachments[group] for group in again if group in catalog.attachments}
    return build_catalog(catalog.root, chosen, catalog.today, attachments, catalog.broken_ids, catalog.broken_dossiers)
