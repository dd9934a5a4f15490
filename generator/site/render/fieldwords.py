"""What changed between two versions of a record, in words: "狀態：執行中 → 已交付", "新增 進度追蹤 #4：2026-05-01".

Git gives field paths and raw values (``work_plan.tasks[0].status: in_progress → done``). Each path
is named here by the descriptions the schema already has for every field ("English / 中文"), closed-list
values by the label table, and a list item that was added or removed whole becomes one line. Pure:
the same changes give the same lines.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Iterable
from decimal import Decimal
from enum import StrEnum
from functools import cache

from pydantic import BaseModel

from generator.site.i18n import translate
from schemas import MODELS
from schemas.labels import label

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_WORDS = {
    "zh-Hant": {"changed": "{field}：{old} → {new}", "added": "新增 {field}：{new}", "removed": "刪除 {field}（原為 {old}）", "item": "{name} #{n}"},
    "en": {"changed": "{field}: {old} → {new}", "added": "added {field}: {new}", "removed": "removed {field} (was {old})", "item": "{name} #{n}"},
}
_YES_NO = {"zh-Hant": {"true": "是", "false": "否"}, "en": {"true": "yes", "false": "no"}}


Change = tuple[str, str | None, str | None]
"""A field's path, its old value (None: added) and its new value (None: removed)."""


def describe(kind: str, changes: Iterable[Change], language: str, person: Callable[[str], str | None] = lambda _: None) -> list[str]:
    """One line per change, in the order git gave them; a list item added or removed whole is one line,
    named by its first value (an entry's date, a task's id). ``person``: a person's name for an id, or None."""
    words = _WORDS[language]
    groups: dict[str, list[Change]] = {}
    for field, old, new in changes:
        if (old, new) in (("[]", None), (None, "[]")):
            continue  # an empty list appearing or going: nothing a reader would call a change
        cut = field.find("]")
        groups.setdefault(field[: cut + 1] if cut > 0 else field, []).append((field, old, new))
    lines = []
    for key, group in groups.items():
        whole = key.endswith("]") and (all(old is None for _, old, _ in group) or all(new is None for _, _, new in group))
        if whole:
            added = group[0][1] is None
            first = next((value for _, old, new in group if (value := new if added else old)), "")
            shown = _value(kind, group[0][0], first, language, person)
            name = _name(kind, key, language)
            lines.append(words["added"].format(field=name, new=shown) if added else words["removed"].format(field=name, old=shown))
        else:
            lines += [_line(kind, field, old, new, language, person) for field, old, new in group]
    return lines


def _line(kind: str, field: str, old: str | None, new: str | None, language: str, person: Callable[[str], str | None]) -> str:
    words, name = _WORDS[language], _name(kind, field, language)
    before, after = _value(kind, field, old, language, person), _value(kind, field, new, language, person)
    if old is None:
        return words["added"].format(field=name, new=after)
    if new is None:
        return words["removed"].format(field=name, old=before)
    return words["changed"].format(field=name, old=before, new=after)


def field_name(path: str, language: str) -> str:
    """A schema field as ``kind.field.sub`` (the compliance map's form) in words: ``變更申請單 › 評估 › 評估人``."""
    kind, _, rest = path.partition(".")
    named = translate(f"kind.{kind}", language) if kind in MODELS else kind
    return f"{named} › {_name(kind, rest, language)}" if rest else named


def _name(kind: str, path: str, language: str) -> str:
    """``work_plan.tasks[0].status`` → ``工作計劃 › 工作項目 #1 › 狀態``."""
    parts: list[str] = []
    model: object = MODELS.get(kind)
    for name, index in _SEGMENT.findall(path):
        if index:
            if parts:
                parts[-1] = _WORDS[language]["item"].format(name=parts[-1], n=int(index) + 1)
            continue
        words, model = _field(model, name)
        parts.append(words[language] if words else name.replace("_", " "))
    return " › ".join(parts)


def _value(kind: str, path: str, value: str | None, language: str, person: Callable[[str], str | None]) -> str:
    """A closed-list value in words, yes/no for a flag, a person by name, an amount with its digits
    grouped; anything else as written."""
    if value is None:
        return ""
    if (name := person(value)) is not None:
        return name
    model: object = MODELS.get(kind)
    for name, index in _SEGMENT.findall(path):
        if not index:
            _, model = _field(model, name)
    if isinstance(model, type) and issubclass(model, StrEnum):
        try:
            return label(model(value), language)
        except ValueError:
            return value
    if model is bool:
        return _YES_NO[language].get(value, value)
    if model is Decimal and _NUMBER.match(value):
        return f"{Decimal(value):,}"
    return value


@cache
def _field(model: object, name: str) -> tuple[dict[str, str] | None, object]:
    """A field's words in both languages (from its description) and the type inside it: a model, an enum
    or a scalar type, with lists and optionals unwrapped. Unknown fields give (None, None)."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)) or name not in model.model_fields:
        return None, None
    info = model.model_fields[name]
    words = None
    if info.description and " / " in info.description:
        en, zh = info.description.rsplit(" / ", 1)
        words = {"zh-Hant": re.split(r"（|：|；", zh, maxsplit=1)[0].strip(), "en": re.split(r" \(|: |; |, decided", en, maxsplit=1)[0].strip()}
    return words, _inner(info.annotation)


def _inner(annotation: object) -> object:
    for _ in range(6):  # Annotated[list[Optional[X]]] and the like
        origin = typing.get_origin(annotation)
        if origin is None:
            return annotation
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if args and origin in (typing.Annotated, list, tuple, set, frozenset, typing.Union, types.UnionType):
            annotation = args[0]
        else:
            return annotation
    return annotation
