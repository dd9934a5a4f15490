"""orders demo: a repository with a realistic, valid approval trail; same seed, same commits."""

from __future__ import annotations

from gitrepo import git

from generator.demo.repository import order_stages, write_repository
from generator.pipeline import check_archive


def test_demo_repository_validates_with_its_whole_history(tmp_path):
    records, commits = write_repository(tmp_path / "demo", 25, seed=3)
    root = tmp_path / "demo"
    assert int(git(root, "rev-list", "--count", "HEAD")) == commits
    checked = check_archive(root)
    errors = [p.format() for p in checked.problems if str(p.severity) == "error"]
    assert errors == []
    assert len(checked.catalog.entries) == records
    tracked = [a for a in checked.approvals if a.tracked]
    assert tracked and all(a.commit.is_merge and a.approvers for a in tracked)
    assert git(root, "status", "--porcelain") == ""


def test_same_seed_same_commits(tmp_path):
    write_repository(tmp_path / "a", 12, seed=9)
    write_repository(tmp_path / "b", 12, seed=9)
    assert git(tmp_path / "a", "rev-parse", "HEAD") == git(tmp_path / "b", "rev-parse", "HEAD")


def test_orders_move_through_every_stage():
    order = {
        "status": "archived",
        "archived_on": "2026-01-01",
        "operations_review": {},
        "work_plan": {"tasks": [{"status": "done"}], "milestones": []},
        "attachments": [{"file": "contract.pdf"}, {"file": "report.pdf"}, {"file": "statement.pdf", "type": "settlement"}],
    }
    stages = order_stages(order)
    assert [s for s, _ in stages] == ["received", "in_progress", "delivered", "accepted", "settled", "archived"]
    assert "operations_review" not in stages[0][1] and "archived_on" not in stages[2][1]
    # the settlement statement is filed with the settlement, not before
    assert [len(version["attachments"]) for _, version in stages] == [1, 1, 2, 2, 3, 3]


def test_the_archive_carries_its_editor_schemas(tmp_path):
    import json

    write_repository(tmp_path / "demo", 3, seed=1)
    root = tmp_path / "demo"
    settings = json.loads((root / ".vscode/settings.json").read_text(encoding="utf-8"))
    for schema in settings["yaml.schemas"]:
        assert (root / schema).is_file(), schema
    assert not (root / "schemas").exists()  # that name would shadow the program's own package


def test_every_record_ends_as_the_archive_writer_wrote_it(tmp_path):
    """Each record's last merged version is its final one: no stage of its life is left as the current record."""
    from generator.demo.archive import demo_files

    root = tmp_path / "demo"
    write_repository(root, 60, seed=5)
    expected = {p: c for p, c in demo_files(60, seed=5).items() if p.endswith(".yaml")}
    actual = {p.relative_to(root).as_posix(): p.read_bytes() for p in (root / "records").rglob("*.yaml")}
    policy_and_people = {"records/policy.yaml", "records/organization.yaml"}
    assert sorted(set(actual) - policy_and_people) == sorted(set(expected) - policy_and_people)
    assert [p for p in expected if p not in policy_and_people and actual[p] != expected[p]] == []
