"""Escaping record text for the contexts the site writes it into.

Record text is untrusted. Probes showed that Jinja's HTML autoescape is not
enough inside Markdown: ``[x](javascript:…)`` links, ``{: onclick=… }``
attributes, ``|`` in table cells and ``--8<--`` snippet lines all stay live
after HTML-escaping. So record values reach pages only two ways:

- inside raw HTML blocks (tables, definition lists), which Markdown leaves
  alone, as HTML-escaped text: ``text()``;
- in Markdown headings, HTML-escaped *and* with every Markdown punctuation
  character backslash-escaped: ``inline()``.

Links are built only from validated ids and quoted attachment names.
"""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal
from urllib.parse import quote

# Exactly the characters Python-Markdown lets a backslash escape; "|" has no escape there, so it
# becomes an entity (a heading never holds a table, but a "|" must not start one either).
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()>#+\-.!])")
_SAFE_HREF = re.compile(r"^(?:\.\./|\./)*(?!/)(?!.*//)[A-Za-z0-9_.~%/-]*(?:#[A-Za-z0-9_-]*)?$")


def text(value: object) -> str:
    """HTML-escaped text for element content or a quoted attribute; line breaks become ``<br>``."""
    if value is None:
        return ""
    escaped = html.escape(str(value), quote=True)
    return escaped.replace("\r", "").replace("\n", "<br>")


def inline(value: object) -> str:
    """Text for a Markdown line (a heading): nothing in it can become markup, a link or an attribute."""
    # Quotes stay as they are: a heading is element content, never an attribute, and an entity for "'" would
    # reach the table of contents escaped a second time ("policy&#x27;s").
    escaped = html.escape(str(value).replace("\r", " ").replace("\n", " "), quote=False)
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", escaped).replace("|", "&#124;")


_TITLE_SWAP = str.maketrans({"<": "＜", ">": "＞", "&": "＆", '"': "＂", "'": "＇", "`": "｀", "\n": " ", "\r": " ", "\t": " "})


def plain(value: object) -> str:
    """Text with no markup characters at all (full-width look-alikes instead), for titles and search metadata."""
    return str(value).translate(_TITLE_SWAP)


def title(value: object) -> str:
    """A page title for front matter: MkDocs and the theme put titles into <title>, the nav and the
    search index without escaping, so markup characters become their full-width look-alikes and the
    value is written as a quoted YAML string."""
    return json.dumps(plain(value), ensure_ascii=False)


def href(path: str) -> str:
    """A relative link the site itself made; anything else is a bug, not data."""
    if not _SAFE_HREF.match(path):
        raise ValueError(f"refusing to link to {path!r}")
    return path


def link(path: str, label: object) -> str:
    return f'<a href="{href(path)}">{text(label)}</a>'


def file_href(folder: str, name: str) -> str:
    """A link to an attachment whose name passed ``attachment.unsafe-path``: every part percent-quoted."""
    return href(folder.rstrip("/") + "/" + "/".join(quote(part, safe="") for part in name.split("/")))


def money(value: Decimal | int | None, currency: str = "") -> str:
    if value is None:
        return ""
    amount = Decimal(value)
    shown = f"{amount:,.2f}" if amount != amount.to_integral_value() else f"{amount:,.0f}"
    return text(f"{currency} {shown}".strip())


def table(
    headers: list[str], rows: list[list[str]], classes: str = "", row_data: list[dict[str, str]] | None = None, table_id: str = "", caption: str = ""
) -> str:
    """An HTML table. Cells are already-escaped HTML (from ``text``/``link``); headers are escaped here,
    and so are ``row_data`` (each row's ``data-*`` attributes, for the page's filters).

    Written on one block with no blank line, so Markdown keeps it as a raw HTML block.
    """
    head = "".join(f"<th>{text(h)}</th>" for h in headers)
    data = row_data or [{}] * len(rows)
    body = "".join(f"<tr{_data(attrs)}>" + "".join(_cell(cell) for cell in row) + "</tr>" for row, attrs in zip(rows, data, strict=True))
    attr = (f' id="{text(table_id)}"' if table_id else "") + (f' class="{text(classes)}"' if classes else "")
    title = f"<caption>{text(caption)}</caption>" if caption else ""
    return f'<div class="oa-table"><table{attr}>{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


_DATA_NAME = re.compile(r"^[a-z]+$")


def _data(attrs: dict[str, str]) -> str:
    for name in attrs:
        if not _DATA_NAME.match(name):
            raise ValueError(f"refusing the data attribute {name!r}")
    return "".join(f' data-{name}="{text(value)}"' for name, value in attrs.items())


_TAG = re.compile(r"(<[^>]*>)")
_UNBREAKABLE = re.compile(r"(?:ORD|CR|QC|DLV|STL|BR|DS)-\d{4}-\d{4}(?:-\d{2})?|\d{4}-\d{2}-\d{2}|(?:TWD|HKD|USD|CNY|JPY|EUR) [\d,.]+")
"""Ids, dates and amounts: a browser would break them at their hyphens or space."""


def _cell(html_cell: str) -> str:
    """A cell that must not break (an id, a date, an amount, a status, a path: short, or one word) keeps
    to one line; the table scrolls in its own box instead. Longer text wraps between words, but never
    inside an id, a date or an amount. The cell is our own escaped HTML: its text lies between its tags,
    and only that text is touched."""
    shown = _TAG.sub("", html_cell)
    if len(shown) <= 28 or " " not in shown.strip():
        return f'<td class="oa-nb">{html_cell}</td>'
    parts = _TAG.split(html_cell)
    kept = "".join(part if i % 2 else _UNBREAKABLE.sub(r'<span class="oa-nb">\g<0></span>', part) for i, part in enumerate(parts))
    return f"<td>{kept}</td>"


UNSEARCHED = '<div data-pagefind-ignore="all">'
"""Opens a region shown on the page that search takes nothing from, not even a filter or a meta (the reports'
figures): ``searchindex.without_ignored`` cuts it before Pagefind parses the page."""


def unsearched(block: str) -> str:
    """``block`` shown and not searched (``UNSEARCHED``)."""
    return f"{UNSEARCHED}{block}</div>"


def fields(pairs: list[tuple[str, str]]) -> str:
    """A definition list of (label, escaped HTML value) pairs, as one raw HTML block."""
    items = "".join(f"<dt>{text(k)}</dt><dd>{v if v else '—'}</dd>" for k, v in pairs)
    return f'<dl class="oa-fields">{items}</dl>'
