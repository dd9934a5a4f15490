"""A safe YAML reader that keeps the line and column of every value.

PyYAML's own loaders silently keep the last of two duplicate keys, read
``NO`` as False, ``1:30`` as 90 and ``0123`` as 83, route ``1200000.10``
through float, and expand alias bombs. So this module takes only the
*events* of libyaml's C parser (fast, and it never expands aliases) and
builds plain values itself, with a deliberately small set of implicit types:

- ``null``/``~``/empty → None; ``true``/``false`` (any case form YAML 1.2
  allows) → bool;
- ``-12``, ``0``, ``42`` → int; ``12.50`` → ``Decimal('12.50')``, exact;
- everything else, quoted or not, is text: ``NO``, ``0123``, ``1:30``,
  ``1e3``, ``2026-01-05`` (the schema decides what a date is).

Anchors, aliases, merge keys, explicit tags, several documents, tabs,
non-UTF-8 bytes, a top level that is not a mapping, excessive depth and
oversized files are refused with a located message.
"""

from __future__ import annotations

import contextlib
import json
import re
from decimal import Decimal
from sys import intern
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.reader import ReaderError

from generator.core.printable import INVISIBLE
from generator.core.problems import Problem

try:  # libyaml is part of every PyYAML wheel; fall back so a source build still works.
    from yaml import CSafeLoader as _Parser
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Parser

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 24
MAX_TAB_REPORTS = 10

Path = tuple[str | int, ...]
Position = tuple[int, int]

_INT = re.compile(r"[-+]?(0|[1-9][0-9]{0,30})")
_DECIMAL = re.compile(r"[-+]?(0|[1-9][0-9]{0,30})\.[0-9]{1,30}")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


def resolve_plain(text: str) -> Any:
    """The value of an unquoted scalar under this module's small set of implicit types."""
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    first = text[0]
    if first.isdigit() or first in "+-":
        if _INT.fullmatch(text):
            return int(text)
        if _DECIMAL.fullmatch(text):
            return Decimal(text)
    return text


# First characters of plain scalars that may not be text; anything else is text as written.
_MAYBE_TYPED = frozenset("0123456789+-~nNtTfF")


def parse(data: bytes, path: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse one record file: its top-level mapping, or None and the reasons it was refused.

    The common case takes a fast pass that keeps no positions; only a file
    with something wrong is read again, carefully, to locate every problem.
    """
    text, problems = _decode(data, path)
    if text is None:
        return None, problems
    try:
        return _build(text, None, None), []
    except (_Recheck, yaml.YAMLError):
        pass
    problems = []

    def refuse(line: int, col: int, rule: str, message: str) -> None:
        problems.append(Problem(path, line, col, f"yaml.{rule}", message))

    try:
        root = _build(text, {}, refuse)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        hint = "valid YAML 1.2 in a form this reader does not take also ends here: write one key: value per line"
        refuse(line, col, "syntax", f"could not be read: {what} ({hint})")
        root = None
    except ReaderError as exc:  # a character YAML does not allow anywhere in a file
        before = text[: exc.position]
        line, col = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        refuse(line, col, "character", f"the control character U+{char:04X} is not allowed in a record file")
        root = None
    except yaml.YAMLError as exc:  # pragma: no cover - libyaml's other errors carry a mark
        refuse(1, 1, "syntax", f"could not be read: {exc}")
        root = None
    return (None, problems) if problems or root is None else (root, problems)


def locate(data: bytes) -> dict[Path, Position]:
    """``path → (line, col)`` (1-based) of every key and list item of a file that parses.

    Positions cost time and memory, so they are computed only when a problem
    has to be pointed at.
    """
    text, _ = _decode(data, "")
    positions: dict[Path, Position] = {(): (1, 1)}
    if text is not None:
        with contextlib.suppress(yaml.YAMLError):
            _build(text, positions, lambda *_: None)
    return positions


def position_of(positions: dict[Path, Position], path: Path) -> Position:
    """The position of ``path``, or of its nearest ancestor present in the file."""
    for end in range(len(path), -1, -1):
        found = positions.get(path[:end])
        if found is not None:
            return found
    return (1, 1)


def _decode(data: bytes, path: str) -> tuple[str | None, list[Problem]]:
    """UTF-8 text without a byte-order mark and without tabs, or the problems that refuse it."""
    if len(data) > MAX_BYTES:
        return None, [Problem(path, 1, 1, "yaml.too-large", f"file is larger than {MAX_BYTES:,} bytes, the most a record may be")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - data.rfind(b"\n", 0, exc.start)
        return None, [Problem(path, line, col, "yaml.encoding", f"byte 0x{data[exc.start]:02X} is not UTF-8; save the file as UTF-8")]
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\t" not in text:
        return text, []
    problems = []
    for number, line_text in enumerate(text.split("\n"), 1):
        col = line_text.find("\t")
        if col >= 0:
            problems.append(Problem(path, number, col + 1, "yaml.tab", "tab character: indent and separate with spaces"))
            if len(problems) == MAX_TAB_REPORTS:
                break
    return None, problems


class _Recheck(Exception):
    """Raised by the fast pass at the first sign of trouble: read the file again, carefully."""


def _build(text: str, positions: dict[Path, Position] | None, refuse) -> dict[str, Any] | None:
    """Turn libyaml's events into plain values.

    Fast pass (``refuse`` is None): no positions, and the first anomaly
    raises ``_Recheck``. Careful pass: records positions when given a dict,
    reports every anomaly through ``refuse(line, col, rule, message)``.
    """
    careful = refuse is not None
    parser = _Parser(text)
    get_event = parser.get_event
    # The frame being filled: its container, whether it is a mapping, the pending key, its path.
    container: Any = None
    is_map = False
    key: str | None = None
    here: Path = ()
    stack: list[tuple[Any, bool, str | None, Path]] = []
    root: Any = None
    documents = 0
    indents: list[int] = []  # the columns of the block collections around the current event
    flow_depth, flow_start = 0, None  # inside a flow collection [..] / {..}, and where the outermost began
    lines: list[str] = []  # the text's lines, split only when a multi-line form must be checked

    def unsupported(event: Any, why: str | None) -> None:
        """A form the reader refuses, because libyaml would read it otherwise than YAML 1.2 says."""
        if why is None:
            return
        if not careful:
            raise _Recheck
        mark = event.start_mark
        refuse(mark.line + 1, mark.column + 1, "unsupported", why)

    try:
        while True:
            event = get_event()
            if event is None:
                break
            cls = type(event)
            if cls is ScalarEvent:
                if event.anchor is not None or event.tag is not None:
                    if not careful:
                        raise _Recheck
                    _refuse_decoration(event, refuse)
                if event.style:  # quoted or block: the forms libyaml reads differently from the spec at their edges
                    end = event.end_mark
                    if event.style in "\"'" and end.index < len(text) and text[end.index] == "#":
                        unsupported(event, "a comment needs a space before its '#'")
                    elif end.line > event.start_mark.line:
                        lines = lines or text.split("\n")
                        unsupported(event, _styled_problem(lines, event, indents[-1] if indents and not flow_depth else -1))
                elif flow_depth and is_map and key is None and event.start_mark.index and text[event.start_mark.index - 1] == "?":
                    unsupported(event, "flow mappings with '?' keys are not supported here; write the mapping in block style, one key per line")
                value = written = intern(event.value)  # ids, people, dates, states repeat across thousands of records: one string each
                if event.implicit[0] and (not value or value[0] in _MAYBE_TYPED):
                    value = resolve_plain(value)
                if container is None:
                    root = value
                elif not is_map:
                    if positions is not None:
                        mark = event.start_mark
                        positions[(*here, len(container))] = (mark.line + 1, mark.column + 1)
                    container.append(value)
                elif key is not None:
                    container[key] = value
                    key = None
                else:
                    key = written
                    if event.implicit[0] and key in _NULLS:
                        if not careful:
                            raise _Recheck
                        mark = event.start_mark
                        refuse(mark.line + 1, mark.column + 1, "complex-key", "a key must be written out: an empty or null key is not allowed")
                    if key in container or (key == "<<" and event.implicit[0]):
                        if not careful:
                            raise _Recheck
                        _refuse_key(event, container, positions, here, refuse)
                    if positions is not None:
                        mark = event.start_mark
                        positions[(*here, key)] = (mark.line + 1, mark.column + 1)
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                if event.anchor is not None or event.tag is not None or len(stack) >= MAX_DEPTH or (is_map and key is None):
                    if not careful:
                        raise _Recheck
                    mark = event.start_mark
                    if is_map and key is None:
                        refuse(mark.line + 1, mark.column + 1, "complex-key", "a key must be plain text, not a list or mapping")
                        return None
                    if len(stack) >= MAX_DEPTH:
                        refuse(mark.line + 1, mark.column + 1, "too-deep", f"nesting deeper than {MAX_DEPTH} levels")
                        return None
                    _refuse_decoration(event, refuse)
                if event.flow_style:
                    if not flow_depth:
                        flow_start = event.start_mark
                    flow_depth += 1
                else:
                    indents.append(event.start_mark.column)
                if container is not None:
                    child: Path = (*here, key if is_map else len(container))
                    if positions is not None and not is_map:
                        mark = event.start_mark
                        positions[child] = (mark.line + 1, mark.column + 1)
                    stack.append((container, is_map, key, here))
                    here = child
                container, is_map, key = ({} if cls is MappingStartEvent else []), cls is MappingStartEvent, None
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                if flow_depth:
                    flow_depth -= 1
                    if not flow_depth and event.end_mark.line > flow_start.line:
                        lines = lines or text.split("\n")
                        why = _continuation_problem(lines, flow_start.line, event.end_mark.line, indents[-1] if indents else -1, "a [..] or {..} list")
                        unsupported(event, why)
                elif indents:
                    indents.pop()
                value = container
                if not stack:
                    root, container = value, None
                    continue
                container, is_map, key, here = stack.pop()
                if is_map:
                    container[key] = value
                    key = None
                else:
                    container.append(value)
            elif cls is AliasEvent:
                if not careful:
                    raise _Recheck
                mark = event.start_mark
                refuse(mark.line + 1, mark.column + 1, "alias", f"aliases (*{event.anchor}) are not allowed; write the value out")
                return None
            elif cls is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    if not careful:
                        raise _Recheck
                    mark = event.start_mark
                    refuse(mark.line + 1, mark.column + 1, "multiple-documents", "a record file holds exactly one document (remove '---')")
                    return None
    finally:
        parser.dispose()
    if not isinstance(root, dict) or not root:
        if not careful:
            raise _Recheck
        if root is None or root == {}:
            refuse(1, 1, "empty", "the file is empty; a record is a mapping of keys to values")
        else:
            refuse(1, 1, "not-mapping", f"the top level must be a mapping of keys to values, not {_kind_of(root)}")
        return None
    return root


def _styled_problem(lines: list[str], event: Any, indent: int) -> str | None:
    """Why a quoted or block scalar that spans lines is refused (None: it is read as YAML 1.2 reads it).
    libyaml accepts a comment glued to a block header and mis-reads spaces on the blank lines of a block;
    a quoted text continued at or left of its key's column is an error libyaml lets through. (A comment
    glued to a closing quote is caught where the scalar is read, whatever its lines.)"""
    start, end = event.start_mark, event.end_mark
    if event.style in "\"'":
        return _continuation_problem(lines, start.line, end.line, indent, "a quoted text")
    header = lines[start.line][start.column :]
    indicators = len(header) - len(header[1:].lstrip("+-0123456789")) if header else 0
    if header[indicators : indicators + 1] == "#":
        return "a comment after '|' or '>' needs a space before its '#'"
    body = lines[start.line + 1 : end.line + 1]
    content = [line for line in body if line.strip()]
    if not content:
        return None
    depth = len(content[0]) - len(content[0].lstrip(" "))
    digits = [c for c in header[1:indicators] if c.isdigit()]
    if digits:
        depth = max(indent, 0) + int(digits[0])
    if any(not line.strip() and len(line) > depth for line in body):
        return "a blank line in a '|' or '>' block has spaces beyond the block's indentation: delete them"
    return None


def _continuation_problem(lines: list[str], first: int, last: int, indent: int, what: str) -> str | None:
    """A form continued on later lines must indent them beyond the block it stands in (YAML 1.2; libyaml lets
    some through and reads them)."""
    for line in lines[first + 1 : last + 1]:
        if line.strip() and len(line) - len(line.lstrip(" ")) <= indent:
            return f"{what} continued on the next line must be indented more than its key"
    return None


def _refuse_decoration(event: Any, refuse) -> None:
    mark = event.start_mark
    line, col = mark.line + 1, mark.column + 1
    if event.anchor is not None:
        refuse(line, col, "anchor", f"anchors (&{event.anchor}) are not allowed; write the value out")
    if event.tag is not None:
        refuse(line, col, "tag", f"explicit tags ({event.tag}) are not allowed; quote the value instead")


def _refuse_key(event: Any, container: dict[str, Any], positions: dict[Path, Position] | None, here: Path, refuse) -> None:
    mark = event.start_mark
    line, col = mark.line + 1, mark.column + 1
    key = event.value
    if key == "<<" and event.implicit[0]:
        refuse(line, col, "merge-key", "merge keys (<<) are not allowed; write the keys out")
    elif key in container:
        first = positions.get((*here, key)) if positions is not None else None
        where = f" (first defined on line {first[0]})" if first else ""
        refuse(line, col, "duplicate-key", f"duplicate key '{key}'{where}; a key appears once")


def _kind_of(value: Any) -> str:
    return "a list" if isinstance(value, list) else f"a single value ({value!r})"


# --------------------------------------------------------------------------
# Writing: the inverse of ``parse`` for the values records hold.

_PLAIN_SAFE = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`][^\n:#]*")
# Characters written as escapes, so a reader of the file sees that they are there.
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
# Plain text that other YAML 1.1 tools would still misread (booleans, octals): quote it for them.
_YAML11_TRAP = re.compile(r"(?i:y|n|yes|no|on|off)|[-+]?(0x)?[0-9a-fA-F._]*[0-9][0-9a-fA-F._]*([eE][-+]?[0-9]+)?")


def dump(data: dict[str, Any]) -> str:
    """Write a record as block-style YAML that ``parse`` reads back to the same values.

    Text stays plain where this module's rules read it back unchanged, and is
    double-quoted otherwise; multi-line text becomes a literal block; amounts
    (``Decimal``) are always quoted so YAML cannot take them for floats.
    """
    lines: list[str] = []
    _dump_mapping(data, 0, lines)
    return "\n".join(lines) + "\n"


def scalar(value: Any) -> str:
    """One value as YAML that ``parse`` reads back unchanged."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return f'"{value}"'
    text = str(value)  # dates and enums write as their text
    if (
        _PLAIN_SAFE.fullmatch(text)
        and not _INVISIBLE.search(text)
        and not text.endswith(" ")
        and resolve_plain(text) == text
        and not _YAML11_TRAP.fullmatch(text)
    ):
        return text
    quoted = json.dumps(text, ensure_ascii=False)  # JSON strings are valid double-quoted YAML
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _dump_value(key_prefix: str, value: Any, indent: int, lines: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            lines.append(f"{pad}{key_prefix} {{}}")
            return
        lines.append(f"{pad}{key_prefix}")
        _dump_mapping(value, indent + 2, lines)
    elif isinstance(value, list):
        if not value:
            lines.append(f"{pad}{key_prefix} []")
            return
        lines.append(f"{pad}{key_prefix}")
        for item in value:
            if isinstance(item, dict) and item:
                first = len(lines)
                _dump_mapping(item, indent + 4, lines)
                lines[first] = f"{pad}  - " + lines[first][indent + 4 :]
            else:
                _dump_value("-", item, indent + 2, lines)
    elif isinstance(value, str) and "\n" in value.rstrip("\n"):
        chomp = "" if value.endswith("\n") and not value.endswith("\n\n") else "-"
        lines.append(f"{pad}{key_prefix} |{chomp}")
        lines.extend(f"{pad}  {line}" if line else "" for line in value.rstrip("\n").split("\n"))
    else:
        lines.append(f"{pad}{key_prefix} {scalar(value)}")


def _dump_mapping(data: dict[str, Any], indent: int, lines: list[str]) -> None:
    for key, value in data.items():
        _dump_value(f"{key}:", value, indent, lines)
