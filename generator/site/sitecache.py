"""Cache of the rendered site, keyed by everything the pages are made from.

An unchanged archive (same records, same head, same code and templates,
same language and day, same Markdown settings and files) renders to the
same pages, converted to the same HTML, and the same search index:
``orders build`` then reuses the pages, their conversions and the previous
site's Pagefind bundle, and MkDocs' writing of the pages into the theme is
all that is left.
Any change to any input changes the key; the build then makes its pages
again, taking from the last build what provably did not change
(``reuse``: a page's conversion, its HTML file).
This module makes the key; ``bundleseal`` guards the reused bundle, and the
pages themselves are kept by ``pagefile``.
"""

from __future__ import annotations

import hashlib
from datetime import date
from functools import cache
from pathlib import Path

from generator.core import cachefile
from generator.core.paths import TEMPLATES
from generator.records.layout import RECORDS_DIR
from generator.records.load import Snapshot
from generator.trail.commits import UnreadableHistory
from generator.trail.published import published_head
from generator.trail.repo import head_of, open_repository

_VERSION = 3


@cache
def code_digest() -> str:
    """The code and templates that turn records into pages, and the versions of MkDocs and Material: by content
    and by path within the program, not by where the program is installed."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha1(cachefile.CODE.encode())  # generator/ and schemas/, hashed once per process
    for path in sorted(TEMPLATES.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(TEMPLATES).as_posix().encode())
            digest.update(path.read_bytes())
    for package in ("mkdocs", "mkdocs-material", "pagefind"):
        try:
            digest.update(version(package).encode())
        except PackageNotFoundError:  # only weakens the key's precision
            digest.update(package.encode())
    return digest.hexdigest()


def archive_digest(snapshot: Snapshot) -> str:
    """The record files' paths and SHA-1s and the attachments' names, as read: what of the archive the key reads.
    Kept alone, it lets a second edition made from its cache skip reading the files again (``plugin``)."""
    digest = hashlib.sha1()
    for path, _place, _data, sha1 in snapshot.files:
        digest.update(path.encode())
        digest.update(sha1)
    for order_id, names in sorted(snapshot.attachments.items()):
        digest.update(repr((order_id, sorted(names.items()))).encode())
    return digest.hexdigest()


def inputs_key(root: Path, language: str, today: date, read: str, conversion: str = "") -> str:
    """``read``: ``archive_digest`` of the files the build read; ``conversion``: whatever else the pages' HTML
    depends on (the plugin gives MkDocs' settings and files)."""
    digest = hashlib.sha1(f"{_VERSION}:{code_digest()}:{language}:{today.isoformat()}".encode())
    digest.update(conversion.encode())
    repo = open_repository(root)
    if repo is not None:
        try:
            digest.update((head_of(repo) or "no commits").encode())
        except UnreadableHistory:
            digest.update(b"unreadable")
    digest.update((published_head(root) or "").encode())
    digest.update(read.encode())
    digest.update(RECORDS_DIR.encode())
    return digest.hexdigest()
