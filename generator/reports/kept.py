"""Every period's report kept between builds for the records it was worked out from.

The reports read the whole catalog, so a build after any merge worked every period's report out again: about
1 s of CPU at 10,000 orders, on a core the build's own thread shares. Most edits change nothing a report
counts (a project's name, what its service covers, whom to call at the client), and then the reports are the
last build's: kept in the archive's cache folder (``cachefile``: keyed by this program too) under a digest of
everything they read (``reports_key``): the day, the periods, the records that failed their checks, and every
record's bytes — but an order's, whose digest leaves out the fields no report reads (``UNREAD``, each shown
not to change a report by ``tests/reports/test_kept.py``). Any other edit, to any record, works them out again.

The reports are kept pickled, and read by an unpickler that finds nothing but the reports' own classes, dates,
decimals and the records' enums: any other name makes the whole file no cache.
"""

from __future__ import annotations

import enum
import hashlib
import io
import pickle
from collections.abc import Callable
from typing import Any, TypeVar

from generator.core import cachefile
from generator.core.unpickling import Restricted, in_schemas
from generator.records.catalog import Catalog

T = TypeVar("T")

REPORTS = "reports.marshal"
ORDERS = "report-orders.marshal"
_VERSION = 1

UNREAD: dict[str, Any] = {
    "intake": {"project_name": True, "service_content": True, "client": {"contact": True, "email": True, "phone": True}},
}
"""The fields of an order no report reads (``model_dump``'s ``exclude``): free text, and the client's contact."""


def kept_reports(catalog: Catalog, periods: list, work: Callable[[], T]) -> T:
    """``work()`` — every period's report for ``catalog`` and ``periods`` —, or what it gave the last time it was
    asked for the same records, day and periods."""
    folder = cachefile.folder(catalog.root)
    known = cachefile.read(folder / ORDERS, _VERSION, "")
    key, orders = reports_key(catalog, periods, known if type(known) is dict else {})
    if orders != known:
        cachefile.write(folder / ORDERS, _VERSION, "", orders)
    packed = cachefile.read(folder / REPORTS, _VERSION, key)
    found = _unpickled(packed) if type(packed) is bytes else None
    if found is not None:
        return found
    result = work()
    cachefile.write(folder / REPORTS, _VERSION, key, pickle.dumps(result, pickle.HIGHEST_PROTOCOL))
    return result


def reports_key(catalog: Catalog, periods: list, orders: dict[str, tuple[bytes, bytes]]) -> tuple[str, dict[str, tuple[bytes, bytes]]]:
    """A digest of everything a report reads of ``catalog`` for ``periods``, and every order's (path → (its file's
    digest, its reduced digest)): those of ``orders`` where the file is the same, the others worked out."""
    digest = hashlib.sha1(f"{catalog.today.isoformat()}\n{sorted(catalog.broken_dossiers)}\n{sorted(catalog.broken_ids)}\n".encode())
    digest.update(repr([(p.kind, p.label) for p in periods]).encode())
    now = {}
    for entry in catalog.entries:
        if entry.kind == "order":
            held = orders.get(entry.path)
            if not (type(held) is tuple and len(held) == 2 and held[0] == entry.digest and type(held[1]) is bytes):
                held = (entry.digest, order_digest(entry.model))
            now[entry.path] = held
            kept = held[1]
        else:
            kept = entry.digest
        digest.update(f"{entry.kind}\0{entry.path}\0".encode() + kept)
    return digest.hexdigest(), now


def order_digest(order: Any) -> bytes:
    """An order's fields but those no report reads (``UNREAD``)."""
    return hashlib.sha1(pickle.dumps(order.model_dump(exclude=UNREAD), pickle.HIGHEST_PROTOCOL)).digest()


def _unpickled(packed: bytes) -> Any | None:
    try:
        return _Reader(io.BytesIO(packed)).load()
    except Exception:  # damaged or forged: worked out again (nothing it names beyond the reports' own is ever found)
        return None


_ALLOWED = {
    ("generator.reports.figures", "Report"),
    ("generator.reports.figures", "Table"),
    ("generator.reports.figures", "Rate"),
    ("generator.reports.period", "Period"),
}


class _Reader(Restricted):
    """Finds the reports' classes, dates, decimals and the records' enums (``schemas``), and nothing else."""

    what = "a report"

    def allows(self, module: str, name: str, value: type) -> bool:
        return (module, name) in _ALLOWED or (in_schemas(module) and issubclass(value, enum.Enum))
