"""What validation keeps of a record: one set of named fields per class and shape, shared by frozen models."""

from __future__ import annotations

import copy

import pytest
from pydantic import BaseModel, ValidationError

from generator.records.layout import place_of
from generator.records.load import Source
from generator.records.safeyaml import dump
from generator.records.validate import validate_source
from tests.samples import SAMPLES


def _validated(kind: str, data: dict) -> BaseModel:
    path = SAMPLES[kind][0]
    raw = dump(data).encode()
    entry, problems = validate_source(Source(path, place_of(path.removeprefix("records/")), raw, data))
    assert entry is not None, problems
    return entry.model


def _models(model: BaseModel) -> list[BaseModel]:
    out, stack = [], [model]
    while stack:
        item = stack.pop()
        if isinstance(item, BaseModel):
            out.append(item)
            stack.extend(item.__dict__.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return out


def test_two_records_of_the_same_shape_hold_one_set_of_named_fields_per_model() -> None:
    first = _validated("order", copy.deepcopy(SAMPLES["order"][1]))
    second = _validated("order", copy.deepcopy(SAMPLES["order"][1]))
    pairs = list(zip(_models(first), _models(second), strict=True))
    assert len(pairs) > 5
    for a, b in pairs:
        assert a.__pydantic_fields_set__ is b.__pydantic_fields_set__
    # the two tasks name different optional fields (one has a start, the other a status): two sets
    tasks = first.work_plan.tasks
    assert tasks[0].model_fields_set != tasks[1].model_fields_set
    assert tasks[0].__pydantic_fields_set__ is not tasks[1].__pydantic_fields_set__


def test_shared_sets_still_say_what_each_record_named() -> None:
    data = copy.deepcopy(SAMPLES["order"][1])
    full = _validated("order", copy.deepcopy(data))
    del data["work_plan"]["tasks"][0]["start"]
    fewer = _validated("order", data)
    assert "start" in full.work_plan.tasks[0].model_dump(exclude_unset=True)
    assert "start" not in fewer.work_plan.tasks[0].model_dump(exclude_unset=True)
    assert full.model_dump(exclude_unset=True) == type(full).model_validate(copy.deepcopy(SAMPLES["order"][1])).model_dump(exclude_unset=True)


def test_a_copy_with_changes_never_changes_the_set_another_record_holds() -> None:
    first = _validated("order", copy.deepcopy(SAMPLES["order"][1]))
    second = _validated("order", copy.deepcopy(SAMPLES["order"][1]))
    shared = set(second.intake.__pydantic_fields_set__)
    task = first.work_plan.tasks[1]
    changed = task.model_copy(update={"start": task.due})
    assert "start" in changed.model_fields_set
    assert second.intake.__pydantic_fields_set__ == shared
    assert "start" not in second.work_plan.tasks[1].model_fields_set


def test_a_shared_model_cannot_be_changed_in_place() -> None:
    model = _validated("order", copy.deepcopy(SAMPLES["order"][1]))
    with pytest.raises(ValidationError):
        model.intake.project_name = "changed"
    assert "project_name" in model.intake.model_fields_set
