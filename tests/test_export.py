"""JSON Schema export: committed copies are current, and the editor mapping covers every kind."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

from schemas import MODELS
from schemas.export import json_schemas, schema_file_name

ROOT = Path(__file__).resolve().parent.parent


def test_committed_json_schemas_are_current():
    committed = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "schemas/json").glob("*.json")}
    fresh = json_schemas()
    assert set(committed) == set(fresh), "run `orders schema`"
    stale = [name for name in fresh if committed[name] != fresh[name]]
    assert not stale, f"stale JSON Schema {stale}: run `orders schema`"


def test_schemas_carry_bilingual_descriptions_and_clauses():
    order = json.loads(json_schemas()[schema_file_name("order")])
    budget = order["$defs"]["Intake"]["properties"]["budget"]
    assert budget["description"] == "Agreed budget / 預算"
    assert budget["x-clause"] == "§2.2"
    assert order["additionalProperties"] is False


def test_vscode_settings_map_every_kind_onto_its_files():
    settings = json.loads((ROOT / ".vscode/settings.json").read_text(encoding="utf-8"))
    mapping = settings["yaml.schemas"]
    assert {Path(k).name for k in mapping} == {schema_file_name(kind) for kind in MODELS}
    for schema in mapping:
        assert (ROOT / schema).is_file(), schema
    demo_files = [str(p.relative_to(ROOT)) for p in (ROOT / "records").rglob("*.yaml")]
    for path in demo_files:
        matching = [s for s, globs in mapping.items() if any(fnmatch.fnmatch(path, g) for g in globs)]
        assert len(matching) == 1, (path, matching)
