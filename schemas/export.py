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
        out[schema_file_name(kind)] = json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
    return out
