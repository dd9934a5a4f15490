"""The schema layer: parsed documents → Pydantic models, with every error located.

Pydantic reports errors by field path (``intake.budget``); the loader kept a
line and column for every path, so each error is mapped back to the YAML
line of the offending field and to the regulation clause the field
implements (``x-clause`` in its description). Cross-field errors raised
inside a model carry their own field path (``schemas.base.FieldError``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError

from generator.core.memory import collector_paused
from generator.core.problems import Problem
from generator.records import safeyaml
from generator.records.layout import Place
from generator.records.load import Source
from generator.records.safeyaml import locate, position_of
from schemas import MODELS, Record, RecordErrors
from schemas.base import explain_text, nested_model

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Entry:
    """A record that passed the schema: its model, and the file it came from.

    Neither the parsed dictionary (the model holds the data) nor the file's bytes are kept, only their SHA-1:
    it tells a page whether the record changed, and a problem found later is placed in the file read again,
    when it is still these bytes (``Catalog.position``). At 10,000 orders the bytes were 49 MB.
    """

    path: str
    kind: str
    digest: bytes
    model: Record


def validate_sources(sources: Iterable[Source]) -> tuple[list[Entry], list[Problem]]:
    """Validate every parsed file (as each comes: see ``load.parse_records``); a file with any problem yields no
    entry. A check takes most models from the last run instead (``validated``)."""
    entries: list[Entry] = []
    problems: list[Problem] = []
    with collector_paused(keep=True):  # the models live as long as the process (``validated``)
        for source in sources:
            entry, found = validate_source(source)
            problems.extend(found)
            if entry is not None:
                entries.append(entry)
    return entries, problems


def validate_file(path: str, place: Place, raw: bytes, digest: bytes | None = None) -> tuple[Entry | None, list[Problem]]:
    """One record file's bytes parsed and validated against its place's model: its entry (None if refused) and
    every problem found on the way, the reader's first. ``digest``: the bytes' SHA-1, when the reader has it."""
    document, problems = safeyaml.parse(raw, path)
    if document is None:
        return None, problems
    entry, found = validate_source(Source(path, place, raw, document, digest))
    return entry, problems + found


def validate_source(source: Source) -> tuple[Entry | None, list[Problem]]:
    """Validate one parsed file against the model its path calls for."""
    place = source.place
    data = source.data
    model_cls = MODELS[place.kind]
    problems: list[Problem] = []
    positions: dict[Loc, tuple[int, int]] = {}

    def at(loc: Loc, rule: str, message: str, clause: str | None) -> None:
        if not positions:
            positions.update(locate(source.raw))
        line, col = position_of(positions, loc)
        problems.append(Problem(source.path, line, col, rule, message, clause))

    kind = data.get("kind")
    if kind != place.kind:
        if kind is None:
            at((), "schema.required", f"missing required field 'kind' (this file holds kind: {place.kind})", None)
        else:
            at(("kind",), "record.kind-mismatch", f"kind: {kind} cannot live here; this path holds kind: {place.kind}", None)
        return None, problems
    # The path is the record's identity: check it on the raw data, so it is reported even
    # when the rest of the file has errors too.
    record_id, order = data.get("id"), data.get("order")
    if place.expected_id is not None and isinstance(record_id, str) and record_id != place.expected_id:
        at(("id",), "record.id-mismatch", f"id {record_id} does not match its path, which holds {place.expected_id}", model_cls.clause)
    if place.kind != "order" and place.order_id is not None and isinstance(order, str) and order != place.order_id:
        at(("order",), "record.order-mismatch", f"order {order} does not match the dossier folder {place.order_id}", model_cls.clause)
    try:
        model = model_cls.model_validate(data)
    except ValidationError as exc:
        for loc, rule, message, clause in _explain(exc, model_cls):
            at(loc, rule, message, clause)
        return None, problems
    if problems:
        return None, problems
    share_field_sets(model)
    return Entry(source.path, place.kind, source.digest, model), problems


_FIELD_SETS: dict[tuple[type, tuple[str, ...]], set[str]] = {}
_set_attribute = object.__setattr__


def share_field_sets(model: BaseModel) -> None:
    """Give every frozen model in ``model`` the one set of its class that names the same fields.

    Pydantic gives each model instance a set of the fields its input named: 456 bytes on average, 42 % of a
    validated record's memory (32 of 77 MB at 2,000 orders), and nearly all of them equal. Only ``__setattr__``
    adds to such a set, which a frozen model refuses first (``model_copy`` copies the set before it updates
    it), so the models of a class that name the same fields can hold one set. The sets are few: one per class
    and combination of optional fields. Only the fields that can hold a model are looked into."""
    stack: list[Any] = [model]
    known = _FIELD_SETS
    while stack:
        item = stack.pop()
        cls = type(item)
        if cls is list or cls is tuple:
            stack.extend(item)
            continue
        frozen, holding = _plan(cls)
        if frozen:
            named = item.__pydantic_fields_set__
            key = (cls, tuple(named))  # equal sets filled in the same order iterate alike; if not, two sets: still right
            _set_attribute(item, "__pydantic_fields_set__", known.setdefault(key, named))
        if holding:
            values = item.__dict__
            stack.extend(values[name] for name in holding)


@cache
def _plan(cls: type) -> tuple[bool, tuple[str, ...]]:
    """Whether models of ``cls`` are frozen, and the fields whose values can be or hold a model (``X``,
    ``X | None``, ``list[X]``); for anything but a model, neither."""
    if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
        return False, ()
    holding = tuple(name for name, info in cls.model_fields.items() if nested_model(info.annotation) is not None)
    return bool(cls.model_config.get("frozen")), holding


# --------------------------------------------------------------------------
# Pydantic errors → located, readable problems


def _explain(exc: ValidationError, model_cls: type[Record]) -> Iterator[tuple[Loc, str, str, str | None]]:
    for error in exc.errors(include_url=False):
        loc: Loc = tuple(error["loc"])
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, RecordErrors):
            for field_error in cause.errors:
                full = loc + field_error.field_path
                clause = field_error.clause or _clause_at(model_cls, _names(full))
                yield full, "schema.cross-field", f"{_dotted(full)}: {field_error}", clause
            continue
        rule, message = _describe(error, model_cls, loc)
        clause = None if rule == "schema.unknown-field" else _clause_at(model_cls, _names(loc))
        yield loc, rule, f"{_dotted(loc)}: {message}" if loc else message, clause


def _describe(error: dict[str, Any], model_cls: type[Record], loc: Loc) -> tuple[str, str]:
    kind = error["type"]
    value = error.get("input")
    if kind == "missing":
        return "schema.required", "missing required field"
    if kind == "extra_forbidden":
        allowed = _fields_at(model_cls, _names(loc[:-1]))
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else f"; allowed here: {', '.join(allowed)}"
        return "schema.unknown-field", f"unknown field{suggestion}"
    if kind in ("enum", "literal_error"):
        expected = error.get("ctx", {}).get("expected", "")
        return "schema.invalid-choice", f"{_show(value)} is not allowed; expected {expected}"
    if kind == "string_pattern_mismatch" and isinstance(value, str):
        return "schema.invalid-text", explain_text(value, str(error.get("ctx", {}).get("pattern", "")))
    if kind == "string_too_short" and value == "":
        return "schema.invalid-text", "must not be empty"
    if kind == "value_error":
        return "schema.invalid-value", str(error["msg"]).removeprefix("Value error, ")
    if kind == "string_type" and isinstance(value, (bool, int, float, Decimal)):
        read_as = "a yes/no value" if isinstance(value, bool) else "a number"
        return "schema.wrong-type", f"YAML reads {_show(value)} here as {read_as}, not text: write it in quotes"
    if kind.endswith("_type") or kind in ("model_attributes_type", "dict_type", "list_type"):
        return "schema.wrong-type", f"{error['msg'].lower()}, got {_show(value)}"
    return "schema.invalid-value", f"{error['msg']}, got {_show(value)}"


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (empty value)"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _names(loc: Loc) -> tuple[str, ...]:
    return tuple(part for part in loc if isinstance(part, str))


@cache
def _walk(model_cls: type[BaseModel], names: tuple[str, ...]) -> tuple[type[BaseModel] | None, str | None]:
    """Follow field names into nested models; return the model reached and the deepest clause seen."""
    clause = getattr(model_cls, "clause", None)
    current: type[BaseModel] | None = model_cls
    for name in names:
        info = current.model_fields.get(name) if current else None
        if info is None:
            return None, clause
        extra = info.json_schema_extra
        if isinstance(extra, dict) and extra.get("x-clause"):
            clause = str(extra["x-clause"])
        current = nested_model(info.annotation)
    return current, clause


def _clause_at(model_cls: type[BaseModel], names: tuple[str, ...]) -> str | None:
    return _walk(model_cls, names)[1]


def _fields_at(model_cls: type[BaseModel], names: tuple[str, ...]) -> list[str]:
    model = _walk(model_cls, names)[0]
    return list(model.model_fields) if model else []
