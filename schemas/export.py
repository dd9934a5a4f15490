"""JSON Schema for every record kind, for editors (yaml-language-server) and other tools."""

from __future__ import annotations

import json

from . import MODELS

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_file_name(kind: str) -> str:
    return f"{kind}.schema.json"


def json_schemas() -> dict[str, str]:
    """``{file name: JSON text}`` for every record kind; deterministic, so a stale copy is detectable."""
    out: dict[str, str] = {}
    for kind, model in MODELS.items():
        schema = {"$schema": SCHEMA_DIALECT, **model.model_json_schema(mode="validation")}
        schema["title"] = f"order-archive {kind} record"
        _describe_choices(schema)
        out[schema_file_name(kind)] = json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
    return out


def _describe_choices(schema: dict) -> None:
    """Each closed list's values in words, from the label table the site uses: ``enumDescriptions``, which
    editors (VS Code, yaml-language-server) show beside each choice — "執行中 · In progress" for ``in_progress``."""
    from .labels import LABELLED, words
    from .lifecycle import LABELS_ZH

    classes = {frozenset(m.value for m in cls): cls for cls in (*LABELLED, *{type(m) for m in LABELS_ZH})}  # names repeat (Method)
    for definition in schema.get("$defs", {}).values():
        cls = classes.get(frozenset(definition.get("enum", ())))
        if cls is not None:
            definition["enumDescriptions"] = [" · ".join(words(cls(value))) for value in definition["enum"]]
