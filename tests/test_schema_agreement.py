"""Pydantic and the exported JSON Schema give the same verdict on the same value (issue: one definition, two enforcers).

Every leaf and every mapping of one record of each kind from the demo is mutated — wrong types, values
outside the closed lists, impossible dates, negative and over-precise amounts, unknown keys, control and
bidi characters, blank and overlong text, non-ASCII digits in ids — and validated twice: by the models,
as ``orders validate`` does, and by the ``jsonschema`` library (Draft 2020-12, format checking on) with the
schema an editor loads. Where they may differ, and why, is ``DIFFERENCES``: cross-field rules (one record's
fields compared) and checks no JSON Schema can state.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from generator.demo.archive import demo_files
from generator.records.safeyaml import parse
from schemas import MODELS
from schemas.base import RecordErrors
from schemas.export import json_schemas, schema_file_name

DIFFERENCES = {
    "time_zone": "an IANA time zone name must exist in the machine's zone database, which no JSON Schema can ask",
    "paths": "a path pattern must stay inside the repository (no '..' step, no leading '/'): refused by the validator only",
}
"""Field names whose verdicts may differ, with the reason; nothing else may. (Also: 29 February of a year
that is not a leap year passes the editor's date pattern; the validator refuses it. No mutation here uses it.)"""

MUTATIONS: list[tuple[str, Any]] = [
    ("an integer", 12345),
    ("a decimal", Decimal("12.5")),
    ("yes/no", True),
    ("nothing", None),
    ("a list", ["x"]),
    ("a mapping", {"x": 1}),
    ("empty text", ""),
    ("blank text", "   "),
    ("a control character", "ab\x07cd"),
    ("a bidi override", "ab\u202ecd"),
    ("a line break", "two\nlines"),
    ("overlong text", "長" * 4001),
    ("an impossible date", "2026-02-30"),
    ("a short date", "2026-2-3"),
    ("a negative amount", "-1"),
    ("three decimals", "1.005"),
    ("an exponent", "1e3"),
    ("full-width digits in an id", "ORD-２０２６-0001"),
    ("a word not on any list", "not_a_choice"),
]


def _sample() -> dict[str, dict[str, Any]]:
    """One parsed record of each kind from the demo (the richest of its kind: most leaves)."""
    best: dict[str, tuple[int, dict[str, Any]]] = {}
    for path, content in demo_files(10, seed=7).items():
        if not path.endswith(".yaml"):
            continue
        data, problems = parse(content, path)
        assert not problems
        size = len(json.dumps(data, default=str))
        if data["kind"] not in best or size > best[data["kind"]][0]:
            best[data["kind"]] = (size, data)
    return {kind: data for kind, (_, data) in best.items()}


SAMPLES = _sample()


def _places(data: Any, loc: tuple = ()) -> Iterator[tuple]:
    """Every leaf and every mapping's place in a document (lists: their first item stands for all)."""
    if isinstance(data, dict):
        yield loc
        for key, value in data.items():
            yield from _places(value, (*loc, key))
    elif isinstance(data, list):
        yield loc
        if data:
            yield from _places(data[0], (*loc, 0))
    else:
        yield loc


def _set(data: Any, loc: tuple, value: Any) -> Any:
    data = copy.deepcopy(data)
    if not loc:
        return value
    target = data
    for part in loc[:-1]:
        target = target[part]
    target[loc[-1]] = value
    return data


def _pydantic_valid(kind: str, data: Any) -> bool:
    """The models' verdict on the fields alone: errors raised by cross-field rules do not count here."""
    try:
        MODELS[kind].model_validate(data)
    except ValidationError as exc:
        return all(isinstance(e.get("ctx", {}).get("error"), RecordErrors) for e in exc.errors())
    return True


@pytest.fixture(scope="module")
def validators() -> dict[str, jsonschema.Draft202012Validator]:
    schemas = json_schemas()
    out = {}
    for kind in MODELS:
        schema = json.loads(schemas[schema_file_name(kind)])
        jsonschema.Draft202012Validator.check_schema(schema)
        out[kind] = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return out


def _cases() -> Iterator[tuple[str, tuple, str, Any]]:
    for kind, data in SAMPLES.items():
        for loc in _places(data):
            for name, value in MUTATIONS:
                yield kind, loc, name, value
            if loc and isinstance(_get(data, loc), dict):
                yield kind, loc, "an unknown key", "__unknown__"


def _get(data: Any, loc: tuple) -> Any:
    for part in loc:
        data = data[part]
    return data


def test_every_kind_has_a_sample():
    assert set(SAMPLES) == set(MODELS)


def test_the_samples_are_valid_for_both(validators):
    for kind, data in SAMPLES.items():
        assert _pydantic_valid(kind, data), kind
        assert not list(validators[kind].iter_errors(data)), kind


def test_the_models_and_the_json_schema_agree_on_every_mutation(validators):
    disagreements = []
    checked = 0
    for kind, loc, name, value in _cases():
        base = SAMPLES[kind]
        mutated = _set(base, loc, {**_get(base, loc), "zz_unknown": 1} if name == "an unknown key" else value)
        checked += 1
        ours, theirs = _pydantic_valid(kind, mutated), validators[kind].is_valid(mutated)
        if ours != theirs and not {str(p) for p in loc} & set(DIFFERENCES):
            verdicts = f"models {'accept' if ours else 'refuse'}, JSON Schema {'accepts' if theirs else 'refuses'}"
            disagreements.append(f"{kind} {'.'.join(map(str, loc))} = {name}: {verdicts}")
    assert checked > 5000
    assert disagreements == [], f"{len(disagreements)} of {checked}:\n" + "\n".join(disagreements[:60])
