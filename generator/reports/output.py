"""A report's tables as people and tools read them: values in words, CSV, JSON, Markdown and text.

``cell`` gives a value as shown in one language (closed-list values in words, amounts with their
digits grouped, shares as percentages); ``plain`` gives it for tools (JSON numbers, ISO dates).
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from decimal import Decimal
from enum import StrEnum

from generator.reports.figures import Rate, Report, Table, Value, Words
from schemas.labels import label


def words(pair: Words, language: str) -> str:
    return pair[0] if language == "zh-Hant" else pair[1]


def cell(value: Value | Words, language: str) -> str:
    """A value as the reader sees it; a blank figure (nothing to count) is a dash."""
    if value is None:
        return "—"
    if isinstance(value, tuple):
        return words(value, language)
    if isinstance(value, StrEnum):
        return label(value, language)
    if isinstance(value, Rate):
        return f"{value:.1%}"
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if value != value.to_integral_value() else f"{value:,.0f}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def plain(value: Value | Words, language: str) -> object:
    """A value for tools: numbers stay numbers (an amount as a string of its exact digits, a share as a
    fraction), dates in ISO form, words in the language."""
    if value is None:
        return None
    if isinstance(value, StrEnum | tuple):
        return cell(value, language)
    if isinstance(value, float):
        return round(float(value), 4)
    if isinstance(value, int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    return value.isoformat()


def to_json(report: Report, language: str) -> str:
    data = {
        "period": report.period.label,
        "start": report.period.start.isoformat() if report.period.start else None,
        "end": report.period.end.isoformat() if report.period.end else None,
        "as_of": report.today.isoformat(),
        "language": language,
        "tables": [
            {
                "key": t.key,
                "title": words(t.title, language),
                "note": words(t.note, language),
                "columns": [words(c, language) for c in t.columns],
                "rows": [[plain(v, language) for v in row] for row in t.rows],
            }
            for t in report.tables
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def table_csv(table: Table, language: str) -> str:
    """One table as CSV, the columns named as on the page; UTF-8 with a byte-order mark, so Excel reads Chinese."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([words(c, language) for c in table.columns])
    writer.writerows([[_csv_value(v, language) for v in row] for row in table.rows])
    return "\ufeff" + out.getvalue()


def _csv_value(value: Value | Words, language: str) -> str:
    shown = plain(value, language)
    return "" if shown is None else str(shown)


def to_csv(report: Report, language: str) -> str:
    """Every table, one after another, each under a line naming it (a spreadsheet opens it as one sheet)."""
    blocks = [f"# {words(t.title, language)}\r\n" + table_csv(t, language).removeprefix("\ufeff") for t in report.tables]
    return "\ufeff" + "\r\n".join(blocks)


def to_markdown(report: Report, language: str) -> str:
    lines = [f"# {_heading(report, language)}", ""]
    for table in report.tables:
        lines += [f"## {words(table.title, language)}", "", words(table.note, language), ""]
        lines.append("| " + " | ".join(_md(words(c, language)) for c in table.columns) + " |")
        lines.append("|" + "|".join(" --- " for _ in table.columns) + "|")
        lines += ["| " + " | ".join(_md(cell(v, language)) for v in row) + " |" for row in table.rows]
        lines.append("")
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_text(report: Report, language: str) -> str:
    """Aligned columns for a terminal (wide characters count two columns)."""
    lines = [_heading(report, language), ""]
    for table in report.tables:
        rows = [[words(c, language) for c in table.columns]] + [[cell(v, language) for v in row] for row in table.rows]
        widths = [max(_width(r[i]) for r in rows) for i in range(len(table.columns))]
        lines.append(f"== {words(table.title, language)} ==")
        for i, row in enumerate(rows):
            lines.append("  ".join(_pad(text, widths[j], numeric=i > 0 and j > 0) for j, text in enumerate(row)).rstrip())
        if len(rows) == 1:
            lines.append("—")
        lines += [f"({words(table.note, language)})", ""]
    return "\n".join(lines)


def _heading(report: Report, language: str) -> str:
    if language == "zh-Hant":
        return f"報表 {report.period.label}（資料基準日 {report.today}）" if report.period.start else f"報表：全部期間（資料基準日 {report.today}）"
    return f"Report {report.period.label} (as of {report.today})" if report.period.start else f"Report: all time (as of {report.today})"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, numeric: bool) -> str:
    space = " " * (width - _width(text))
    return space + text if numeric else text + space


FORMATS = {"text": to_text, "md": to_markdown, "json": to_json, "csv": to_csv}
