"""``orders new``: a new record file in the right place, with the next free number, half filled in.

The file is written from the record's own model: every required field
appears with its English / 中文 description and clause as a comment, the
choices of closed lists are listed, and what can be known is filled in —
the id, the order it belongs to, today's date, the person writing it (from
``git config user.email`` through organization.yaml), the initial status.
What only a person can fill in is left empty, so ``orders validate`` points
at it until it is done. An existing file is never overwritten.

Numbers are taken after every number used in the work tree, on this
branch and on the main line, so two people rarely take the same one;
``orders check`` catches the rest when both branches meet.
"""

from __future__ import annotations

import re
import subprocess
import typing
from collections.abc import Callable
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any

import git
from pydantic import BaseModel, TypeAdapter, ValidationError

from generator.core.files import write_whole
from generator.core.problems import UserError
from generator.records.calendar import archive_today
from generator.records.layout import RECORDS_DIR, dossier_folder
from generator.records.safeyaml import parse, scalar
from generator.trail.repo import open_repository
from schemas import MODELS
from schemas.base import nested_model

KINDS = {
    # command word: (model kind, initial status)
    "order": ("order", "received"),
    "change": ("change_request", "requested"),
    "quality": ("quality_record", "open"),
    "delivery": ("delivery", None),
    "settlement": ("settlement", "draft"),
    "borrowing": ("loan", None),
    "disposal": ("disposal", None),
}
NEEDS_ORDER = {"change", "quality", "delivery", "settlement"}


def schema_dir(root: Path) -> str:
    """Where the archive keeps its JSON Schemas: records/.schemas, or schemas/json in this repository."""
    return "schemas/json" if any((root / "schemas/json").glob("*.schema.json")) else "records/.schemas"


def used_paths(root: Path, main: str = "main") -> set[str]:
    """Record paths in the work tree, on this branch and on the main line (and its remote copy)."""
    paths = {p.relative_to(root).as_posix() for p in (root / RECORDS_DIR).rglob("*.yaml")}
    repo = open_repository(root)
    if repo is not None:
        for ref in ("HEAD", main, f"origin/{main}"):
            try:
                out = repo.git.ls_tree("-r", "--name-only", ref, "--", RECORDS_DIR + "/")
            except git.GitCommandError:  # a ref that does not exist has no numbers to avoid
                continue
            paths.update(out.splitlines())
    return paths


def next_number(paths: set[str], pattern: str) -> int:
    """One more than the highest number the regex's first group finds in ``paths``."""
    compiled = re.compile(pattern)
    numbers = [int(m.group(1)) for p in paths if (m := compiled.search(p))]
    return max(numbers, default=0) + 1


def plan(root: Path, word: str, today: date, order: str | None = None, main: str = "main") -> tuple[str, str, dict[str, Any]]:
    """(path, id, known values) of the next record of kind ``word``."""
    if word not in KINDS:
        raise UserError(f"unknown kind {word!r}; one of: {', '.join(KINDS)}")
    if word in NEEDS_ORDER:
        if not order or not re.fullmatch(r"ORD-[0-9]{4}-[0-9]{4}", order):
            raise UserError(f"orders new {word} needs --order ORD-YYYY-NNNN")
        folder = dossier_folder(order)
        if not (root / folder / "order.yaml").is_file():
            raise UserError(f"there is no {folder}/order.yaml")
    paths = used_paths(root, main)
    year = today.year
    if word == "order":
        number = next_number(paths, rf"/ORD-{year}-([0-9]{{4}})/order\.yaml$")
        record_id = f"ORD-{year}-{number:04d}"
        return f"{RECORDS_DIR}/orders/{year}/{record_id}/order.yaml", record_id, {}
    if word in ("change", "quality"):
        prefix, sub = ("CR", "changes") if word == "change" else ("QC", "quality")
        number = next_number(paths, rf"/{prefix}-{order[4:]}-([0-9]{{2}})\.yaml$")
        record_id = f"{prefix}-{order[4:]}-{number:02d}"
        return f"{folder}/{sub}/{record_id}.yaml", record_id, {"order": order}
    if word in ("delivery", "settlement"):
        prefix = "DLV" if word == "delivery" else "STL"
        return f"{folder}/{word}.yaml", f"{prefix}-{order[4:]}", {"order": order}
    prefix, sub = ("BR", "borrowing") if word == "borrowing" else ("DS", "disposals")
    number = next_number(paths, rf"/{prefix}-{year}-([0-9]{{4}})\.yaml$")
    record_id = f"{prefix}-{year}-{number:04d}"
    return f"{RECORDS_DIR}/archive/{sub}/{record_id}.yaml", record_id, {}


def person_of(root: Path, email: str | None) -> str | None:
    """The organization.yaml id of the person using ``email`` (default: git config user.email)."""
    if email is None:
        done = subprocess.run(["git", "config", "user.email"], cwd=root, capture_output=True, text=True, check=False)
        email = done.stdout.strip()
    if not email:
        return None
    data, _ = parse((root / RECORDS_DIR / "organization.yaml").read_bytes(), "organization.yaml")
    for person in (data or {}).get("people", []):
        if email.lower() in (e.lower() for e in person.get("emails", [])):
            return person.get("id")
    return None


def render(word: str, path: str, record_id: str, known: dict[str, Any], today: date, person: str | None, schemas: str = "records/.schemas") -> str:
    """The YAML text of the new record, commented field by field."""
    kind, status = KINDS[word]
    model = MODELS[kind]
    depth = path.count("/")
    values: dict[str, Any] = {"kind": kind, "schema_version": 1, "id": record_id, **known}
    if status:
        values["status"] = status
    lines = [f"# yaml-language-server: $schema={'../' * depth}{schemas}/{kind}.schema.json"]
    lines.append(f"# New {kind} {record_id}: fill in every empty value, then run `orders validate`. / 新記錄：請填寫所有空白欄位後執行 orders validate。")
    _emit(model, values, lines, 0, today, person)
    return "\n".join(lines) + "\n"


_DATE_WORDS = ("_on", "received")
"""Dates of what is recorded as it happens: today is a good first guess."""
_LATER_DATES = ("due", "start", "due_on", "until")
"""Dates nobody knows when the file is made (a delivery date, a task's start): left empty, the comment says what to write."""
_PERSON_FIELDS = {"sales_rep", "recorded_by", "inspector", "delivered_by", "drafted_by", "borrower", "proposed_by", "reviewer", "by"}


def _emit(model: type[BaseModel], values: dict[str, Any], lines: list[str], indent: int, today: date, person: str | None) -> None:
    pad = " " * indent
    for name, info in model.model_fields.items():
        if not info.is_required() and name not in values:
            continue
        comment = info.description or ""
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if extra.get("x-clause"):
            comment += f" ({extra['x-clause']})"
        choices = _choices(info.annotation)
        if choices:
            comment += f" — {' | '.join(choices)}"
        nested = nested_model(info.annotation)
        value = values.get(name)
        if isinstance(value, list):
            lines.append(f"{pad}{name}:  # {comment}")
            lines.extend(f"{pad}  - {scalar(item)}" for item in value)
        elif name in values and not isinstance(value, dict):
            lines.append(f"{pad}{name}: {scalar(value)}  # {comment}")
        elif nested is not None and typing.get_origin(info.annotation) is not list:
            lines.append(f"{pad}{name}:  # {comment}")
            _emit(nested, value or {}, lines, indent + 2, today, person)
        elif nested is not None:
            lines.append(f"{pad}{name}:  # {comment}")
            lines.append(f"{pad}  - # one entry / 一筆")
            _emit(nested, {}, lines, indent + 4, today, person)
        elif person and name in _PERSON_FIELDS:
            lines.append(f"{pad}{name}: {person}  # {comment}")
        elif name.endswith(_LATER_DATES):
            lines.append(f"{pad}{name}:  # YYYY-MM-DD: {comment} — write the agreed date / 填寫約定日期")
        elif name.endswith(_DATE_WORDS) or name in ("on", "held_on"):
            lines.append(f"{pad}{name}: {today.isoformat()}  # {comment}")
        else:
            lines.append(f'{pad}{name}: ""  # {comment}')


def _choices(annotation: Any) -> list[str]:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(e.value) for e in annotation]
    for arg in typing.get_args(annotation):
        found = _choices(arg)
        if found:
            return found
    return []


Ask = Callable[[str, Callable[[str], Any]], Any]
"""``ask(label, check)``: put a question, return ``check(answer)``; ``check`` raises ValueError to ask again."""


def ask_required(model: type[BaseModel], known: dict[str, Any], ask: Ask, language: str = "zh-Hant") -> dict[str, Any]:
    """Values for the required fields nobody filled in yet, each checked against its field's type as it is typed."""
    answers: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if not info.is_required() or name in known:
            continue
        nested = nested_model(info.annotation)
        if nested is not None:
            if typing.get_origin(info.annotation) is not list:
                answers[name] = ask_required(nested, known.get(name, {}), ask, language)
            continue
        english, _, chinese = (info.description or name).partition(" / ")
        label = f"{chinese or english} ({name})" if language == "zh-Hant" else f"{english} ({name})"
        choices = _choices(info.annotation)
        if choices:
            label += f" [{' | '.join(choices)}]"
        adapter = TypeAdapter(info.annotation)
        many = typing.get_origin(info.annotation) is list
        if many:
            label += " (a, b, …)"

        def check(answer: str, adapter: TypeAdapter = adapter, many: bool = many) -> Any:
            value: Any = [part for part in re.split(r"[,\s]+", answer) if part] if many else answer
            try:
                adapter.validate_python(value)
            except ValidationError as exc:
                raise ValueError("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None
            return value

        answers[name] = ask(label, check)
    return answers


def create(root: Path, word: str, today: date | None, order: str | None = None, email: str | None = None, main: str = "main", ask: Ask | None = None) -> Path:
    """Write the new record and return its path; refuses to overwrite anything.

    The record appears whole or not at all (written beside it, then linked into place, which fails if the name
    exists). Should another ``orders new`` take the number meanwhile, the next free number is planned again.
    """
    today = today or archive_today(root)
    answers: dict[str, Any] | None = None
    for _attempt in range(5):
        path, record_id, known = plan(root, word, today, order, main)
        target = root / path
        if word in ONE_PER_ORDER and target.exists():
            raise UserError(f"{path} already exists; it is never overwritten")
        if ask is not None and answers is None:
            kind = KINDS[word][0]
            prefilled = {"kind", "schema_version", "id", "status", "order", *known}
            answers = ask_required(MODELS[kind], {k: None for k in prefilled}, ask)
        text = render(word, path, record_id, {**known, **(answers or {})}, today, person_of(root, email), schema_dir(root))
        try:
            _create_whole(target, text.encode("utf-8"))
        except FileExistsError:
            if word in ONE_PER_ORDER:
                raise UserError(f"{path} was written by someone else just now; it is never overwritten") from None
            continue  # the number was taken by another run just now: plan the next one
        except OSError as exc:
            raise UserError(f"could not write {path}: {exc.strerror or exc}; nothing was written") from None
        return target
    raise UserError(f"the {word} numbers kept being taken by other runs; nothing was written, try again")


ONE_PER_ORDER = frozenset({"delivery", "settlement"})
"""Kinds a dossier holds one of, at a fixed name: never renumbered."""


def _create_whole(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    write_whole(target, data, overwrite=False)  # fails if the name exists: never overwrites, never half-written
