"""Attached files exist inside their dossier's attachments/ folder (§8.1).

A record names a file; the site links to it. A name that climbs out of the
folder, is absolute, a URL, or a link that leaves the archive could expose
any file of the server, so such names are refused before anything uses them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from generator.records.catalog import Catalog

from . import E, Finding, rule

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def unsafe_reason(name: str) -> str | None:
    """Why ``name`` is not a safe relative path inside attachments/, or None when it is."""
    if "\x00" in name:
        return "contains a NUL character"
    if "\\" in name:
        return "contains a backslash; use / between folders"
    if name.startswith("/") or name.startswith("~"):
        return "is an absolute path"
    if _SCHEME.match(name):
        return "is a URL or a drive letter, not a file in attachments/"
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "must name a file inside attachments/ without '.', '..' or empty folder names"
    return None


def attachment_refs(catalog: Catalog):
    """``(dossier, entry, field path, file name)`` for every file a record names."""
    for dossier in catalog.dossiers.values():
        order = dossier.order_model
        if order is not None:
            for i, attachment in enumerate(order.attachments):
                yield dossier, dossier.order, ("attachments", i, "file"), attachment.file
        delivery = dossier.delivery_model
        if delivery is not None:
            for i, document in enumerate(delivery.documents):
                if document.file is not None:
                    yield dossier, dossier.delivery, ("documents", i, "file"), document.file


@rule(
    "attachment.unsafe-path",
    "§8.1",
    E,
    "Attachment names stay inside the dossier's attachments/ folder",
    "附件路徑須位於檔案夾之 attachments/ 內",
)
def unsafe_path(catalog: Catalog) -> Iterator[Finding]:
    for _, entry, loc, name in attachment_refs(catalog):
        reason = unsafe_reason(name)
        if reason:
            yield Finding(entry, loc, f"{name!r} {reason}")


@rule("attachment.missing", "§8.1", E, "Attached files exist in the dossier's attachments/ folder", "附件檔案須存在於 attachments/")
def missing(catalog: Catalog) -> Iterator[Finding]:
    for dossier, entry, loc, name in attachment_refs(catalog):
        if unsafe_reason(name):
            continue
        files = catalog.attachments.get(dossier.order_id, {})
        if name not in files:
            yield Finding(entry, loc, f"{name} is not in the dossier's attachments/ folder")
        elif not files[name]:
            yield Finding(entry, loc, f"{name} is a link that leaves the archive")


@rule(
    "attachment.unlisted",
    "§8.1",
    E,
    "Every file in a dossier's attachments/ folder is listed by one of its records",
    "附件資料夾內之檔案皆須列於記錄中",
)
def unlisted(catalog: Catalog) -> Iterator[Finding]:
    listed: dict[str, set[str]] = {}
    for dossier, _, _, name in attachment_refs(catalog):
        listed.setdefault(dossier.order_id, set()).add(name)
    for dossier in catalog.dossiers.values():
        if dossier.order is None:
            continue
        for name in sorted(set(catalog.attachments.get(dossier.order_id, {})) - listed.get(dossier.order_id, set())):
            yield Finding(dossier.order, ("id",), f"{name!r} is in the dossier's attachments/ folder, but no record lists it")
