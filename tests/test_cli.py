"""The ``orders`` command as a user runs it: output formats, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
BAD = FIXTURES / "bad-archive"


def run(*args: str, cwd: Path | None = None):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


@pytest.fixture
def bad_archive(tmp_path: Path, monkeypatch) -> Path:
    """The bad fixture archive, copied so its paths print the same wherever the tests run."""
    shutil.copytree(BAD, tmp_path / "bad")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "bad"


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_validate_bad_archive_matches_golden(bad_archive: Path, golden, fmt):
    result = run("validate", "bad", "--format", fmt)
    assert result.exit_code == 1
    golden(f"validate-bad.{fmt}", result.stdout)


def test_validate_reports_every_problem_with_location_and_rule(bad_archive: Path):
    problems = json.loads(run("validate", "bad", "--format", "json").stdout)
    assert {tuple(sorted(p)) for p in problems} == {("attention", "clause", "column", "line", "message", "message_zh", "path", "rule", "severity")}
    files = {p["path"] for p in problems}
    assert len(files) == 11  # every broken file, not just the first
    assert all(p["path"].startswith("bad/records/") for p in problems)


def test_validate_prints_the_summary_on_stderr(bad_archive: Path):
    result = run("validate", "bad")
    assert result.stderr.strip() == "✗ 2 valid records; 17 error(s), 1 warning(s)"


def test_archive_with_only_warnings_exits_zero(archive: Path):
    result = run("validate", str(archive), "--today", "2026-11-20")
    assert result.exit_code == 0
    assert "error[" not in result.stdout and "warning[loan.overdue]" in result.stdout
    assert result.stderr.startswith("✓ ")


def test_lang_says_each_problem_with_its_rules_chinese_words(bad_archive: Path):
    english = run("validate", "bad").stdout.splitlines()
    chinese = run("validate", "bad", "--lang", "zh-Hant").stdout.splitlines()
    assert len(chinese) == len(english) and not any("error[" in line for line in chinese)
    line = next(x for x in chinese if "[yaml.anchor]" in x)
    assert "錯誤[yaml.anchor] 不得使用錨點：anchors (&day)" in line  # the rule's words lead; the details follow as the check wrote them
    listed = run("rules", "--lang", "zh-Hant").stdout
    assert "檔案為有效 YAML" in listed and "The file is valid YAML" not in listed


def test_json_lists_the_warnings_of_a_valid_archive(archive: Path):
    result = run("validate", str(archive), "--format", "json", "--today", "2026-10-01")
    assert result.exit_code == 0
    assert {p["rule"] for p in json.loads(result.stdout)} == {"order.forwarded-late"}  # the demo's deliberate warning


def test_warnings_pass_unless_strict(archive: Path):
    (archive / "records/orders/notes.txt").write_text("x")
    lenient = run("validate", str(archive), "--today", "2026-10-01")
    assert lenient.exit_code == 0
    assert "warning[layout.stray-file]" in lenient.stdout
    assert run("validate", str(archive), "--today", "2026-10-01", "--strict").exit_code == 1


def test_usage_errors_exit_two(tmp_path: Path):
    assert run("validate", str(tmp_path)).exit_code == 2  # not an archive
    assert run("validate", "--format", "xml").exit_code == 2
    assert run("frobnicate").exit_code == 2


def test_bad_input_never_shows_a_traceback(bad_archive: Path):
    """Run the real console entry point: stderr must hold no Python traceback."""
    proc = subprocess.run([sys.executable, "-m", "generator.cli", "validate", "bad"], capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "error[yaml.duplicate-key]" in proc.stdout


ENDED = """
import atexit, sys, threading
from generator import cli
atexit.register(lambda: sys.stdout.write("exit handler ran\\n"))  # after the thread, flushed by nothing but the end
done = threading.Event()
def late():
    done.wait()
    sys.stdout.write("thread done\\n")  # after the command's output, flushed by nothing but the end
threading.Thread(target=late).start()
leave = cli._leave
def ending(code):
    done.set()  # the command is done, its output written: the thread is still working as the command ends
    leave(code)
cli._leave = ending
sys.argv = ["orders", *sys.argv[1:]]
cli.run()
"""


@pytest.mark.parametrize("command", [["report", "--format", "csv", "--today", "2026-10-01"], ["validate", "--format", "json", "--today", "2026-10-01"]])
def test_the_command_ends_with_its_output_whole_its_threads_done_and_its_exit_handlers_run(archive: Path, command: list[str]):
    """The command ends without the interpreter's teardown (``cli._leave``): what it printed is all there, in the
    order printed, a thread still working is waited for, the exit handlers run, and the exit code is the command's."""
    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}  # as a pipe's output is
    proc = subprocess.run([sys.executable, "-c", ENDED, command[0], str(archive), *command[1:]], capture_output=True, text=True, check=False, env=buffered)
    expected = run(command[0], str(archive), *command[1:])
    assert proc.returncode == expected.exit_code and proc.stdout == expected.stdout + "thread done\nexit handler ran\n" and len(proc.stdout) > 500


def test_schema_check_detects_a_stale_folder(tmp_path: Path):
    assert run("schema", "--out", str(tmp_path)).exit_code == 0
    assert run("schema", "--out", str(tmp_path), "--check").exit_code == 0
    (tmp_path / "order.schema.json").write_text("{}")
    assert run("schema", "--out", str(tmp_path), "--check").exit_code == 1


def test_demo_writes_a_valid_archive_and_refuses_to_overwrite(tmp_path: Path):
    assert run("demo", str(tmp_path), "--orders", "12", "--seed", "3").exit_code == 0
    assert run("validate", str(tmp_path)).exit_code == 0
    again = run("demo", str(tmp_path), "--orders", "12")
    assert again.exit_code == 1
    assert "not empty" in again.stderr
