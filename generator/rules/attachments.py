"""Attached files exist inside their dossier's attachments/ folder (§8.1).

A record names a file; the site links to it. A name that climbs out of the
folder, is absolute, a URL, or a link that leaves the archive could expose
any file of the server, so such names are refused before anything uses them.
A file a browser would run (a page, an SVG image) stays in the archive but
is never published: a static host serves it by its name, on the site's origin.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache

from generator.records.catalog import Catalog
from schemas import OrderStatus
from schemas.order import DocumentKind
from schemas.policy import DEFAULT_DOCUMENTS, DOCUMENT_STATES

from . import E, Finding, W, each_order, rule, zh_label

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@lru_cache(maxsize=4096)  # dossiers repeat the same few names: contract.pdf, delivery-report.pdf …
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


_REASON_ZH = {
    "contains a NUL character": "含 NUL 字元",
    "contains a backslash; use / between folders": "含反斜線；資料夾之間請用 /",
    "is an absolute path": "為絕對路徑",
    "is a URL or a drive letter, not a file in attachments/": "為網址或磁碟代號，而非 attachments/ 中之檔案",
    "must name a file inside attachments/ without '.', '..' or empty folder names": "須指向 attachments/ 內之檔案，不得含 '.'、'..' 或空白資料夾名稱",
}


@rule(
    "attachment.unsafe-path",
    "§8.1",
    E,
    "Attachment names stay inside the dossier's attachments/ folder",
    "附件路徑須位於檔案夾之 attachments/ 內",
)
def unsafe_path(catalog: Catalog) -> Iterator[Finding]:
    for _, entry, loc, name in catalog.attachment_refs:
        reason = unsafe_reason(name)
        if reason:
            yield Finding(entry, loc, f"{name!r} {reason}", zh=f"{name!r} {_REASON_ZH.get(reason, reason)}")


RUN_BY_BROWSERS = frozenset({".htm", ".html", ".shtml", ".xht", ".xhtml", ".mht", ".mhtml", ".svg", ".svgz", ".xml", ".xsl", ".xslt", ".js", ".mjs", ".swf"})
"""Names a static host serves as a document a browser renders with its scripts, or as a script (by the type its
name gives it: GitHub and GitLab Pages, any web server's table of types)."""


def runs_in_a_browser(name: str) -> bool:
    """Whether ``name`` would be a live page (or script) on the site's own origin if published as it is."""
    dot = name.rfind(".")
    return dot > name.rfind("/") and name[dot:].lower() in RUN_BY_BROWSERS


def is_published(files: Mapping[str, bool], name: str) -> bool:
    """Whether the site publishes attachment ``name`` of a dossier whose attachments are ``files`` (name → whether
    it stays inside the archive): the one answer for the file the build copies and the link its dossier shows."""
    return bool(files.get(name)) and not runs_in_a_browser(name)


@rule(
    "attachment.active-content",
    "§8.1",
    W,
    "Attachments a browser would run (HTML, SVG, XML, scripts) are kept in the archive but not published",
    "瀏覽器會執行之附件（HTML、SVG、XML、程式碼）留存於檔案庫，但不予發布",
)
def active_content(catalog: Catalog) -> Iterator[Finding]:
    for _, entry, loc, name in catalog.attachment_refs:
        if unsafe_reason(name) is None and runs_in_a_browser(name):
            yield Finding(
                entry,
                loc,
                f"{name!r} would run as a page on the site: it is kept in the archive, named on its dossier, not published (attach it as PDF, or in a ZIP)",
                zh=f"{name!r} 在網站上會成為可執行之網頁：留存於檔案庫、於檔案夾頁列出名稱，但不予發布（請以 PDF 或 ZIP 附上）",
            )


@rule("attachment.missing", "§8.1", E, "Attached files exist in the dossier's attachments/ folder", "附件檔案須存在於 attachments/")
def missing(catalog: Catalog) -> Iterator[Finding]:
    for dossier, entry, loc, name in catalog.attachment_refs:
        if unsafe_reason(name):
            continue
        files = catalog.attachments.get(dossier.order_id, {})
        if name not in files:
            yield Finding(entry, loc, f"{name} is not in the dossier's attachments/ folder", zh=f"{name} 不在檔案夾之 attachments/ 中")
        elif not files[name]:
            yield Finding(entry, loc, f"{name} is a link that leaves the archive", zh=f"{name} 為指向檔案庫外之連結")


@rule(
    "attachment.unlisted",
    "§8.1",
    E,
    "Every file in a dossier's attachments/ folder is listed by one of its records",
    "附件資料夾內之檔案皆須列於記錄中",
)
def unlisted(catalog: Catalog) -> Iterator[Finding]:
    listed: dict[str, set[str]] = {}
    for dossier, _, _, name in catalog.attachment_refs:
        listed.setdefault(dossier.order_id, set()).add(name)
    for dossier in catalog.dossiers.values():
        if dossier.order is None:
            continue
        for name in sorted(set(catalog.attachments.get(dossier.order_id, {})) - listed.get(dossier.order_id, set())):
            yield Finding(
                dossier.order,
                ("id",),
                f"{name!r} is in the dossier's attachments/ folder, but no record lists it",
                zh=f"{name!r} 在檔案夾之 attachments/ 中，但無任何記錄列出",
            )


def _rank(status: OrderStatus) -> int | None:
    """How far along its work an order is (a disputed order was delivered); None for a cancelled one."""
    if status is OrderStatus.CANCELLED:
        return None
    return DOCUMENT_STATES.index(OrderStatus.DELIVERED if status is OrderStatus.DISPUTED else status)


def documents_held(dossier) -> set[DocumentKind]:
    """The kinds of document a dossier holds: typed attachments, and delivery documents that have their file."""
    held = {a.type for a in dossier.order_model.attachments if a.type is not None}
    delivery = dossier.delivery_model
    if delivery is not None and any(d.file for d in delivery.documents):
        held.add(DocumentKind.DELIVERY)
    return held


@rule(
    "dossier.missing-document",
    "§8.1",
    E,
    "A dossier holds the documents the policy requires at its order's state (contract, delivery, settlement …)",
    "訂單檔案具備政策規定於該狀態應有之文件（合約、交付、結算…）",
)
def missing_document(catalog: Catalog) -> Iterator[Finding]:
    required = catalog.policy.required_documents if catalog.policy else {s: [DocumentKind(k) for k in ks] for s, ks in DEFAULT_DOCUMENTS.items()}
    for dossier, entry, order in each_order(catalog):
        rank = _rank(order.status)
        if rank is None:
            continue
        held = documents_held(dossier)
        for state, kinds in required.items():
            if DOCUMENT_STATES.index(state) > rank:
                continue
            for kind in kinds:
                if kind not in held:
                    message = f"the order is {order.status.value}; from {state} on, its dossier holds a {kind.value} document, and none is attached"
                    message += f" (attachments: type: {kind.value})"
                    zh = f"訂單為{zh_label(order.status)}；自{zh_label(OrderStatus(state))}起，檔案夾須附{zh_label(kind)}文件，目前未附"
                    zh += f"（attachments: type: {kind.value}）"
                    yield Finding(entry, ("attachments",) if order.attachments else ("status",), message, zh=zh)


@rule(
    "delivery.document-without-file",
    ("§5.1", "§8.1"),
    E,
    "Every delivery document listed is kept as a file in the dossier",
    "所列交付文件皆須存檔於訂單檔案夾",
)
def document_without_file(catalog: Catalog) -> Iterator[Finding]:
    for dossier in catalog.dossiers.values():
        delivery = dossier.delivery_model
        for i, document in enumerate(delivery.documents if delivery else []):
            if document.file is None:
                yield Finding(
                    dossier.delivery,
                    ("documents", i, "title"),
                    f"'{document.title}' is listed but not kept: name its file in attachments/ (file:)",
                    zh=f"已列出「{document.title}」但未保存檔案：請於 attachments/ 中指定其檔案（file:）",
                )
