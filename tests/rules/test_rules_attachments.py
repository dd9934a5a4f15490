"""Attachments exist inside their dossier and never point outside it (§8.1)."""

from __future__ import annotations

import os

import pytest
from editing import assert_at, dossier, edit, fired

D3 = dossier("ORD-2026-0003")
O3 = f"{D3}/order.yaml"


@pytest.mark.parametrize(
    "name",
    [
        "/etc/passwd",
        "../../../../etc/passwd",
        "sub/../../x.pdf",
        "C:/Windows/win.ini",
        "c:x",
        "a\\b.pdf",
        "https://evil.example/x.pdf",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "./x.pdf",
        "a//b.pdf",
        "~/x.pdf",
    ],
)
def test_unsafe_attachment_names_are_refused(archive, name):
    edit(archive, O3, lambda d: d["attachments"].append({"file": name, "title": "附件"}))
    [problem] = fired(archive, "attachment.unsafe-path")
    assert_at(problem, archive, O3, "attachments", 2, "file", clause="§8.1")


def test_attachment_must_exist(archive):
    assert fired(archive, "attachment.missing") == []
    edit(archive, O3, lambda d: d["attachments"].append({"file": "scans/signed.pdf", "title": "簽回合約"}))
    [problem] = fired(archive, "attachment.missing")
    assert_at(problem, archive, O3, "attachments", 2, "file", clause="§8.1")
    (archive / D3 / "attachments/scans").mkdir()
    (archive / D3 / "attachments/scans/signed.pdf").write_bytes(b"%PDF-1.4\n")
    assert fired(archive, "attachment.missing") == []


def test_delivery_documents_are_checked_too(archive):
    edit(archive, f"{D3}/delivery.yaml", lambda d: d["documents"][0].update(file="missing.pdf"))
    [problem] = fired(archive, "attachment.missing")
    assert_at(problem, archive, f"{D3}/delivery.yaml", "documents", 0, "file", clause="§8.1")


def test_symlink_leaving_the_archive_is_refused(archive, tmp_path_factory):
    secret = tmp_path_factory.mktemp("outside") / "secret.pdf"
    secret.write_bytes(b"secret")
    os.symlink(secret, archive / D3 / "attachments/linked.pdf")
    edit(archive, O3, lambda d: d["attachments"].append({"file": "linked.pdf", "title": "連結"}))
    [problem] = fired(archive, "attachment.missing")
    assert "leaves the archive" in problem.message


def test_control_characters_never_reach_the_rule(archive):
    """A NUL or line break in a file name is refused by the schema before any rule runs."""
    edit(archive, O3, lambda d: d["attachments"].append({"file": "x\x00.pdf", "title": "附件"}))
    from editing import problems

    assert [p.rule for p in problems(archive) if p.severity == "error"] == ["schema.invalid-text"]


def test_a_file_no_record_lists_is_reported(archive):
    assert fired(archive, "attachment.unlisted") == []
    (archive / D3 / "attachments/unreviewed.pdf").write_bytes(b"%PDF-1.4\n")
    [problem] = fired(archive, "attachment.unlisted")
    assert_at(problem, archive, O3, "id", clause="§8.1")
    assert "unreviewed.pdf" in problem.message
    edit(archive, O3, lambda d: d["attachments"].append({"file": "unreviewed.pdf", "title": "補充文件"}))
    assert fired(archive, "attachment.unlisted") == []


@pytest.mark.parametrize(
    ("name", "runs"),
    [
        ("report.html", True),
        ("scans/Report.HTM", True),
        ("diagram.svg", True),
        ("feed.xml", True),
        ("app.mjs", True),
        ("contract.pdf", False),
        ("html", False),
        ("html.d/notes.txt", False),  # a folder's dot is not the file's type
        ("photo.jpeg", False),
        ("archive.zip", False),
    ],
)
def test_files_a_browser_would_run_are_told_apart(name, runs):
    from generator.rules.attachments import runs_in_a_browser

    assert runs_in_a_browser(name) is runs


def test_an_attachment_a_browser_would_run_is_a_located_warning(archive):
    (archive / D3 / "attachments/summary.html").write_bytes(b"<script>alert(1)</script>")
    edit(archive, O3, lambda d: d["attachments"].append({"file": "summary.html", "title": "摘要"}))
    [problem] = fired(archive, "attachment.active-content")
    assert_at(problem, archive, O3, "attachments", 2, "file", clause="§8.1")
    assert str(problem.severity) == "warning" and "not published" in problem.message
