"""The real editor agrees with the validator: yaml-language-server, driven over LSP as VS Code drives it.

The archive's own ``.vscode/settings.json`` maps each record kind onto its JSON Schema; the server reads
them as a staff member's editor would. Valid records get no diagnostics; each mistake gets one on the
line ``orders validate`` names; completion offers the schema's keys and choices. Without Node.js or the
server these tests are skipped with the reason — unless ORDER_ARCHIVE_REQUIRE_EDITOR is set, as in CI.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from editing import dossier, read, write
from lsp import YamlServer, unavailable

from generator.demo.repository import write_repository
from generator.pipeline import check_archive

O5 = f"{dossier('ORD-2026-0005')}/order.yaml"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> YamlServer:
    why = unavailable()
    if why:
        if os.environ.get("ORDER_ARCHIVE_REQUIRE_EDITOR"):
            pytest.fail(why)
        pytest.skip(why)
    root = tmp_path_factory.mktemp("editor") / "archive"
    write_repository(root, 10, seed=7)
    started = YamlServer(root)
    yield started
    started.close()


def _records(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in (root / "records").rglob("*.yaml") if ".site" not in p.parts)


def test_valid_records_get_no_diagnostics(server):
    files = _records(server.root)
    assert len(files) >= 35  # every kind, every state of the demo
    noisy = {rel: [d["message"] for d in server.open(rel)] for rel in files}
    assert {rel: messages for rel, messages in noisy.items() if messages} == {}


MISTAKES = [
    ("an unknown key", lambda d: d["intake"].update(budgett="1"), ("intake", "budgett"), "is not allowed"),
    ("a word off the list", lambda d: d.update(status="recieved"), ("status",), "Value is not accepted"),
    ("an impossible date", lambda d: d["intake"].update(delivery_due="2027-02-30"), ("intake", "delivery_due"), "pattern"),
    ("a negative amount", lambda d: d["intake"].update(budget="-5"), ("intake", "budget"), ""),
    ("a number where text belongs", lambda d: d["intake"].update(project_name=2027), ("intake", "project_name"), "string"),
    ("a control character", lambda d: d["intake"].update(project_name="a\x07b"), ("intake", "project_name"), ""),
]


@pytest.mark.parametrize(("mistake", "change", "loc", "says"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_a_mistake_is_marked_on_the_line_the_validator_names(server, mistake, change, loc, says):
    original = (server.root / O5).read_bytes()
    try:
        data = read(server.root, O5)
        change(data)
        write(server.root, O5, data)
        ours = [p for p in check_archive(server.root, history=False).problems if p.path == O5 and p.severity == "error"]
        assert ours, mistake
        theirs = server.open(O5)
        assert theirs, f"the editor shows nothing for {mistake}"
        lines = {d["range"]["start"]["line"] + 1 for d in theirs}
        assert {p.line for p in ours} <= lines, (mistake, [p.format() for p in ours], theirs)
        assert any(says in d["message"] for d in theirs), theirs
    finally:
        (server.root / O5).write_bytes(original)


def test_a_missing_field_is_marked_on_its_block(server):
    original = (server.root / O5).read_bytes()
    try:
        data = read(server.root, O5)
        del data["intake"]["currency"]
        write(server.root, O5, data)
        theirs = server.open(O5)
        [ours] = [p for p in check_archive(server.root, history=False).problems if p.path == O5 and p.rule == "schema.required"]
        assert any('Missing property "currency"' in d["message"] and d["range"]["start"]["line"] + 1 == ours.line for d in theirs), (ours.format(), theirs)
    finally:
        (server.root / O5).write_bytes(original)


def test_completion_offers_the_top_level_keys_and_the_choices(server):
    rel = "records/orders/2026/ORD-2026-0099/order.yaml"
    path = server.root / rel
    path.parent.mkdir(parents=True)
    try:
        path.write_text("kind: order\nschema_version: 1\nstatus: \n\n", encoding="utf-8")
        server.open(rel)
        choices = server.completions(rel, 2, 8)
        assert {"received", "in_progress", "delivered", "settled", "cancelled"} <= set(choices)
        assert "執行中 · In progress" in choices["in_progress"]  # each choice in words, from the site's label table
        assert {"intake", "forwarding", "work_plan", "attachments"} <= set(server.complete(rel, 3, 0))
    finally:
        path.unlink()
        path.parent.rmdir()
