"""Shared field types and the record base class.

YAML is treacherous and staff type records by hand, so the types here are
stricter than Pydantic's defaults: money is an exact decimal, dates are ISO
calendar dates, text refuses control and bidi-override characters, and
unknown keys are errors. Every field carries an English / 繁體中文
description that flows into the exported JSON Schema.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    WithJsonSchema,
    model_validator,
)

SCHEMA_VERSION = 1


def field(en: str, zh: str, clause: str | None = None, **kwargs: Any) -> Any:
    """A Pydantic ``Field`` with a bilingual description and an optional clause.

    The clause (``§2.2``) is kept in the JSON Schema as ``x-clause`` and is
    what ``orders validate`` prints after a schema error on that field.
    """
    extra = {"x-clause": clause} if clause else None
    return Field(description=f"{en} / {zh}", json_schema_extra=extra, **kwargs)


class FieldError(ValueError):
    """A cross-field rule broken inside one record, pointing at a field.

    Pydantic reports errors raised by a model validator at the model itself;
    carrying the field path lets the validator map the error to the exact
    YAML line of the offending field.
    """

    def __init__(self, field_path: tuple[str | int, ...], message: str, clause: str | None = None):
        super().__init__(message)
        self.field_path = field_path
        self.clause = clause


class RecordErrors(ValueError):
    """All cross-field errors of one model, raised together so none is hidden."""

    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


# --------------------------------------------------------------------------
# Text

# C0 controls except newline, DEL, C1 controls, line/paragraph separators, the
# byte-order mark and the bidi embedding/override/isolate marks used in
# "Trojan Source" attacks. Written with \xHH / \uXXXX escapes, which Python's
# re and pydantic-core's Rust regex read alike, so the check runs in Rust.
_FORBIDDEN = r"\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
_FORBIDDEN_LINE = r"\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"


def _text_pattern(forbidden: str) -> str:
    """Only allowed characters, and at least one that is not a space."""
    return rf"^[^{forbidden}]*[^\s{forbidden}][^{forbidden}]*$"


TEXT_PATTERN = _text_pattern(_FORBIDDEN)
LINE_PATTERN = _text_pattern(_FORBIDDEN_LINE)
_FIRST_FORBIDDEN = {
    TEXT_PATTERN: re.compile(f"[{_FORBIDDEN}]"),
    LINE_PATTERN: re.compile(f"[{_FORBIDDEN_LINE}]"),
}


def explain_text(value: str, pattern: str) -> str:
    """Why ``value`` failed ``TEXT_PATTERN`` or ``LINE_PATTERN``, in words a person can act on."""
    bad = _FIRST_FORBIDDEN.get(pattern, _FIRST_FORBIDDEN[LINE_PATTERN]).search(value)
    if bad is None:
        return "must not be empty or only spaces"
    where = f"at position {bad.start() + 1}"
    if bad.group() == "\n":
        return f"contains a line break {where}; this field is a single line"
    return f"contains the invisible or control character U+{ord(bad.group()):04X} {where}"


def _text(max_length: int, pattern: str, description: str, hint: str):
    """A text type whose JSON Schema states every rule Pydantic enforces: the editor and the validator agree."""
    schema = {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": pattern, "patternErrorMessage": hint, "description": description}
    return Annotated[str, Field(min_length=1, max_length=max_length, pattern=pattern), WithJsonSchema(schema)]


def line(max_length: int = 200):
    """Single-line text of at most ``max_length`` characters. A shorter limit is part of the type: a
    ``max_length`` given to ``field()`` would lose to the type's own 200."""
    return _text(max_length, LINE_PATTERN, "Single-line text / 單行文字", "One line of text: no line breaks, control or invisible characters, not blank")


Line = line()
"""Single-line text: a name, a title, a short note."""

Text = _text(4000, TEXT_PATTERN, "Free text, may span lines / 多行文字", "Text without control or invisible characters, not blank")
"""Multi-line free text: a description, a reason, an assessment."""


# --------------------------------------------------------------------------
# Dates

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


_SHARED_MAX = 1 << 16
"""How many distinct dates, and how many distinct amounts, are kept to be shared (``_shared``)."""


def _shared(table: dict, text: str, value: Any) -> Any:
    """One object for each date and amount written alike: they are immutable, and the same few thousand days and
    round sums recur across every record (at 10,000 orders 452,000 dates, 14 MB as one object each, and 89,000
    amounts). The table stops growing at ``_SHARED_MAX``, so an archive of odd values costs what it did."""
    if len(table) < _SHARED_MAX:
        table[text] = value
    return value


_DATES: dict[str, date] = {}


def _parse_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and (known := _DATES.get(value)) is not None:
        return known
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return _shared(_DATES, value, date.fromisoformat(value))
        except ValueError as exc:
            raise ValueError(f"{value} is not a calendar date ({exc})") from None
    if value is None:
        raise ValueError("is empty: write the date as YYYY-MM-DD")
    raise ValueError(f"expected an ISO date written YYYY-MM-DD, got {value!r}")


DATE_PATTERN = r"^[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-9]))$"
"""YYYY-MM-DD with a day the month has, for editors that do not check ``format: date`` (29 February of a
year that is not a leap year is the one date only the validator refuses)."""

IsoDate = Annotated[
    date,
    BeforeValidator(_parse_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]


# --------------------------------------------------------------------------
# Money

_MONEY = re.compile(r"-?(0|[1-9][0-9]{0,12})(\.[0-9]{1,2})?")


_AMOUNTS: dict[str, Decimal] = {}


def _money_parser(signed: bool):
    def parse(value: Any) -> Decimal:
        if isinstance(value, bool):
            raise ValueError("expected an amount, got a yes/no value")
        if isinstance(value, int):
            text = str(value)
        elif isinstance(value, str):
            text = value
        elif isinstance(value, (Decimal, float)):
            raise ValueError(f"write the amount {value} in quotes, e.g. '{value}', so that YAML cannot turn it into a float")
        else:
            raise ValueError(f"expected an amount such as '1200000' or '1500.50', got {value!r}")
        amount = _AMOUNTS.get(text)
        if amount is None:
            if not _MONEY.fullmatch(text):
                raise ValueError(
                    f"{text!r} is not an amount: use digits with an optional '.' and at most two decimals, "
                    "no thousands separators, spaces or exponents (e.g. '1200000.50')"
                )
            amount = _shared(_AMOUNTS, text, Decimal(text))
        if not signed and amount < 0:
            raise ValueError(f"{text} must not be negative")
        return amount

    return parse


def _money_schema(signed: bool) -> dict[str, Any]:
    """The amount rules as JSON Schema, so the editor refuses what the validator refuses."""
    largest = 10**13 - 1
    sign = "-?" if signed else ""
    return {
        "anyOf": [
            {"type": "string", "pattern": rf"^{sign}(0|[1-9][0-9]{{0,12}})(\.[0-9]{{1,2}})?$"},
            {"type": "integer", "minimum": -largest if signed else 0, "maximum": largest},
        ]
    }


Money = Annotated[Decimal, BeforeValidator(_money_parser(signed=False)), WithJsonSchema(_money_schema(signed=False))]
"""A non-negative exact amount, written as an integer or a quoted decimal."""
MoneyDelta = Annotated[Decimal, BeforeValidator(_money_parser(signed=True)), WithJsonSchema(_money_schema(signed=True))]
"""A signed exact amount (a change's cost difference)."""


class Currency(StrEnum):
    TWD = "TWD"
    HKD = "HKD"
    USD = "USD"
    CNY = "CNY"
    JPY = "JPY"
    EUR = "EUR"


# --------------------------------------------------------------------------
# Identifiers


@dataclass(frozen=True)
class Reference:
    """Marks an id field that must name something defined elsewhere (a person, a department).

    The archive-wide rules find every such field through ``references``,
    so a new field of that type is checked without touching the rules.
    """

    target: str


PERSON = Reference("person")
DEPARTMENT = Reference("department")


def _id_type(pattern: str, example: str, what: str, *marks: Reference):
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not {what} (expected the form {example})")
        return value

    return Annotated[
        str,
        AfterValidator(check),
        WithJsonSchema({"type": "string", "pattern": f"^{pattern}$", "examples": [example]}),
        *marks,
    ]


OrderId = _id_type(r"ORD-[0-9]{4}-[0-9]{4}", "ORD-2026-0001", "an order number")
ChangeId = _id_type(r"CR-[0-9]{4}-[0-9]{4}-[0-9]{2}", "CR-2026-0001-01", "a change request number")
QualityId = _id_type(r"QC-[0-9]{4}-[0-9]{4}-[0-9]{2}", "QC-2026-0001-01", "a quality record number")
DeliveryId = _id_type(r"DLV-[0-9]{4}-[0-9]{4}", "DLV-2026-0001", "a delivery record number")
SettlementId = _id_type(r"STL-[0-9]{4}-[0-9]{4}", "STL-2026-0001", "a settlement number")
LoanId = _id_type(r"BR-[0-9]{4}-[0-9]{4}", "BR-2026-0001", "a borrowing register number")
DisposalId = _id_type(r"DS-[0-9]{4}-[0-9]{4}", "DS-2027-0001", "a disposal number")
RecordId = _id_type(
    r"(ORD-[0-9]{4}-[0-9]{4}|(CR|QC)-[0-9]{4}-[0-9]{4}-[0-9]{2}|(DLV|STL|BR|DS)-[0-9]{4}-[0-9]{4})",
    "ORD-2026-0001",
    "a record number",
)
PersonId = _id_type(r"[a-z][a-z0-9]*(\.[a-z0-9]+)*", "lin.yating", "a person id from organization.yaml", PERSON)
DepartmentId = _id_type(r"[a-z][a-z0-9_]*", "finance", "a department id from organization.yaml", DEPARTMENT)

Count = Annotated[StrictInt, Field(ge=0, le=1_000_000)]
Percent = Annotated[StrictInt, Field(ge=0, le=100)]
Flag = StrictBool
Email = Annotated[
    str,
    Field(max_length=254, pattern=r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$"),
]
Phone = Annotated[str, Field(max_length=40, pattern=r"^\+?[0-9][0-9 ()#-]{3,38}$")]


# --------------------------------------------------------------------------
# Models


class Part(BaseModel):
    """A nested block of a record: unknown keys are errors, and a number or a yes/no where text belongs is
    refused, never rewritten (YAML reads ``+1`` as 1 and ``-0`` as 0; the editor's schema says "string" too)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def __getstate__(self) -> tuple[dict[str, Any], set[str]]:
        """Pickled as its fields and which were written: a block has no extra keys (``forbid``) and no private
        attributes, so Pydantic's state (a dictionary of four) says nothing more. A build after a merge unpickles
        every record's blocks, 373,000 at 10,000 orders: 0.53–0.60 s where Pydantic's own took 0.68–0.74 s."""
        return self.__dict__, self.__pydantic_fields_set__

    def __setstate__(self, state: tuple[dict[str, Any], set[str]]) -> None:
        fields, written = state
        if type(fields) is not dict or type(written) is not set:
            raise TypeError(f"a pickled {type(self).__name__} must hold a dict and a set")
        _set_slot(self, "__dict__", fields)
        _set_slot(self, "__pydantic_fields_set__", written)
        _set_slot(self, "__pydantic_extra__", None)
        _set_slot(self, "__pydantic_private__", None)


_set_slot = object.__setattr__  # past the frozen model's own ``__setattr__``, as Pydantic's unpickling goes


class Checked(Part):
    """A block with cross-field rules: ``checks`` yields every ``FieldError`` it finds.

    Only blocks that need it inherit this, so the thousands of simple blocks
    of a large archive pay for no Python-level validator.
    """

    def checks(self) -> Iterator[FieldError]:
        return iter(())

    @model_validator(mode="after")
    def _run_checks(self):
        errors = list(self.checks())
        if errors:
            raise RecordErrors(errors)
        return self


def _plain_integer(value: Any) -> Any:
    if isinstance(value, (bool, float, Decimal)):  # true == 1 and 1.0 == 1 in Python: not here
        raise ValueError(f"must be written as the whole number 1, not {str(value).lower()}")
    return value


SchemaVersion = Annotated[Literal[1], BeforeValidator(_plain_integer)]


class Record(Checked):
    """A whole YAML file. ``kind`` and ``schema_version`` come first in every file."""

    kind: str
    schema_version: SchemaVersion = field("Version of the record format", "記錄格式版本")

    clause: ClassVar[str | None] = None
    """The clause the record kind implements, for errors that have no field of their own."""


# --------------------------------------------------------------------------
# Walking models


def nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside ``X``, ``X | None``, ``list[X]`` or ``Annotated[X, …]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = nested_model(arg)
        if found is not None:
            return found
    return None


def _reference_in(annotation: Any, metadata: list[Any]) -> Reference | None:
    for item in metadata:
        if isinstance(item, Reference):
            return item
    for arg in typing.get_args(annotation):
        if isinstance(arg, Reference):
            return arg
        found = _reference_in(arg, [])
        if found is not None:
            return found
    return None


@cache
def _plan(model_cls: type[BaseModel]) -> tuple[tuple[str, Reference | None], ...]:
    """The fields of a model worth walking: those holding a reference, or a nested model (None) that can hold one."""
    plan = []
    for name, info in model_cls.model_fields.items():
        reference = _reference_in(info.annotation, info.metadata)
        nested = nested_model(info.annotation)
        if reference or (nested is not None and _can_refer(nested, frozenset({model_cls}))):
            plan.append((name, reference))
    return tuple(plan)


def _can_refer(model_cls: type[BaseModel], seen: frozenset) -> bool:
    """Whether any field of ``model_cls``, however deep, holds a reference (tracking entries, fee lines … do not)."""
    for info in model_cls.model_fields.values():
        if _reference_in(info.annotation, info.metadata):
            return True
        nested = nested_model(info.annotation)
        if nested is not None and nested not in seen and _can_refer(nested, seen | {model_cls}):
            return True
    return False


def references(model: BaseModel) -> list[tuple[tuple[str | int, ...], Reference, str]]:
    """Every ``(field path, reference kind, id)`` in a model, nested blocks and lists included, in field order.
    Appends to one list instead of nesting generators: the archive-wide rules walk 40,000 records with it."""
    found: list[tuple[tuple[str | int, ...], Reference, str]] = []
    _walk(model, (), found)
    return found


def _walk(model: BaseModel, loc: tuple[str | int, ...], found: list) -> None:
    for name, reference in _plan(type(model)):
        value = getattr(model, name)
        if value is None:
            continue
        here = (*loc, name)
        if reference is not None:
            if isinstance(value, dict):  # e.g. departments per state: {state: [department, …]}
                for key, listed in value.items():
                    for i, item in enumerate(listed if isinstance(listed, (list, tuple)) else [listed]):
                        found.append(((*here, key, i), reference, item))
            elif isinstance(value, (list, tuple)):
                found.extend(((*here, i), reference, item) for i, item in enumerate(value))
            else:
                found.append((here, reference, value))
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                _walk(item, (*here, i), found)
        else:
            _walk(value, here, found)
