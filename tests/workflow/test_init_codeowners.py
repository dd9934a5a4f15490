"""orders init and orders codeowners: a new archive validates and builds at once; CI files name the right commands."""

from __future__ import annotations

import os
import subprocess

import yaml
from click.testing import CliRunner
from sitebuild import build

from generator.cli import main
from generator.demo.company import organization, policy
from generator.pipeline import check_archive
from generator.workflow.codeowners import codeowners
from schemas import Organization, Policy


def test_codeowners_follow_the_policy():
    text = codeowners(Organization.model_validate(_plain(organization())), Policy.model_validate(_plain(policy())))
    lines = dict(line.split(" ", 1) for line in text.splitlines() if line.startswith("/"))
    assert lines["/records/orders/*/*/settlement.yaml"] == "huang.shuhua@hongxin.example tsai.mingche@hongxin.example"
    changes = lines["/records/orders/*/*/changes/"].split()
    assert "wang.chienhung@hongxin.example" in changes and "huang.shuhua@hongxin.example" in changes and "lin.yating@hongxin.example" not in changes
    assert lines["/records/archive/disposals/"] == "chou.peichun@hongxin.example hsu.wenpin@hongxin.example"  # heads only
    assert "lin.yating@hongxin.example" in lines["/records/archive/borrowing/"]  # every head approves loans of their department


def _plain(data):
    from generator.records.safeyaml import dump, parse

    return parse(dump(data).encode(), "x")[0]


def test_init_creates_an_archive_that_validates_and_builds(tmp_path):
    target = tmp_path / "acme"
    result = CliRunner().invoke(main, ["init", str(target), "--admin-email", "boss@acme.example", "--admin-name", "王大明"])
    assert result.exit_code == 0, result.stderr
    assert (target / ".git").is_dir()
    checked = check_archive(target)
    assert [p.format() for p in checked.problems] == []
    assert build(target).pages > 5
    assert CliRunner().invoke(main, ["codeowners", str(target), "--check"]).exit_code == 0
    readme = (target / "README.md").read_text(encoding="utf-8")
    assert "no force pushes" in readme and "Create a merge commit" in readme and "approvals_required: true" in readme
    assert not next(a for a in checked.approvals).tracked  # init's policy tracks nothing until the company switches it on


def test_generated_ci_files_parse_and_name_the_commands(tmp_path):
    target = tmp_path / "acme"
    CliRunner().invoke(main, ["init", str(target), "--admin-email", "boss@acme.example"])
    check = yaml.safe_load((target / ".github/workflows/orders-check.yml").read_text())
    steps = check["jobs"]["check"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    assert any("orders check --base origin/${{ github.base_ref }} --format github" in s.get("run", "") for s in steps)
    site = yaml.safe_load((target / ".github/workflows/orders-site.yml").read_text())
    assert any("orders build --strict --publish --previous" in s.get("run", "") for s in site["jobs"]["site"]["steps"])
    gitlab = yaml.safe_load((target / ".gitlab-ci.yml").read_text())
    assert gitlab["variables"]["GIT_DEPTH"] == 0 and any("orders check --base" in line for line in gitlab["check"]["script"])
    assert any('--previous "$CI_PAGES_URL"' in line for line in gitlab["pages"]["script"])
    hooks = yaml.safe_load((target / ".pre-commit-config.yaml").read_text())
    assert hooks["repos"][0]["hooks"][0]["entry"] == "orders validate-files"
    assert os.path.getsize(target / ".github/CODEOWNERS") > 0


def test_init_refuses_a_folder_in_use(tmp_path):
    (tmp_path / "x.txt").write_text("x")
    assert CliRunner().invoke(main, ["init", str(tmp_path)]).exit_code == 1


def test_pre_commit_passes_on_a_new_archive_and_locates_a_broken_record(tmp_path):
    import shutil
    import subprocess

    if shutil.which("pre-commit") is None:
        raise AssertionError("pre-commit is a test dependency: pip install -e '.[test]'")
    target = tmp_path / "acme"
    CliRunner().invoke(main, ["init", str(target), "--admin-email", "boss@acme.example"])
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    ok = subprocess.run(["pre-commit", "run", "--all-files"], cwd=target, capture_output=True, text=True, env=env, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    policy = target / "records/policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("max_borrowing_days: 30", "max_borrowing_days: thirty"), encoding="utf-8")
    bad = subprocess.run(["pre-commit", "run", "--all-files"], cwd=target, capture_output=True, text=True, env=env, check=False)
    assert bad.returncode == 1
    assert "records/policy.yaml:" in bad.stdout and "error[schema." in bad.stdout and "max_borrowing_days" in bad.stdout


def test_init_writes_the_companys_time_zone_and_refuses_an_unknown_one(tmp_path):
    target = tmp_path / "acme"
    result = CliRunner().invoke(main, ["init", str(target), "--admin-email", "boss@acme.example", "--time-zone", "Asia/Hong_Kong"])
    assert result.exit_code == 0, result.stderr
    assert "time_zone: Asia/Hong_Kong" in (target / "records/policy.yaml").read_text(encoding="utf-8")
    refused = CliRunner().invoke(main, ["init", str(tmp_path / "other"), "--time-zone", "Mars/Olympus_Mons"])
    assert refused.exit_code == 2 and "IANA time zone" in refused.output
    assert not (tmp_path / "other").exists()


def _site_name_branch(root, who: tuple[str, str]) -> None:
    """A branch that renames the site (mkdocs.yml: a protected file, approved by management in a new archive)."""
    env = {**os.environ, "GIT_AUTHOR_NAME": who[0], "GIT_AUTHOR_EMAIL": who[1], "GIT_COMMITTER_NAME": who[0], "GIT_COMMITTER_EMAIL": who[1]}

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)

    git("checkout", "-q", "-b", "rename")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("site_name: ", "site_name: ACME ", 1), encoding="utf-8")
    git("commit", "-q", "-am", "Rename the site")
    git("checkout", "-q", "main")


def test_a_new_archive_with_one_person_says_four_eyes_cannot_be_met_and_how_to_fix_it(tmp_path):
    target = tmp_path / "acme"
    made = CliRunner().invoke(main, ["init", str(target), "--admin-email", "boss@acme.example", "--admin-name", "王大明"])
    assert "four-eyes" in made.stderr and "--person id:Name:e-mail" in made.stderr and "pre-commit install" in made.stderr
    _site_name_branch(target, ("王大明", "boss@acme.example"))
    refused = CliRunner().invoke(main, ["approve", "rename", "--root", str(target), "--as", "boss@acme.example"])
    assert refused.exit_code == 1
    assert "admin wrote or committed changes on rename, so cannot approve them (four-eyes)" in refused.stderr
    assert "nobody but the branch's authors can approve for management: add a second person to records/organization.yaml first" in refused.stderr


def test_a_new_archive_with_a_second_person_approves_on_day_one(tmp_path):
    target = tmp_path / "acme"
    made = CliRunner().invoke(
        main, ["init", str(target), "--admin-email", "boss@acme.example", "--admin-name", "王大明", "--person", "chen.yichun:陳怡君:chen@acme.example"]
    )
    assert made.exit_code == 0, made.stderr
    assert "four-eyes" not in made.stderr
    _site_name_branch(target, ("王大明", "boss@acme.example"))
    alone = CliRunner().invoke(main, ["approve", "rename", "--root", str(target), "--as", "boss@acme.example"])
    assert "ask chen.yichun <chen@acme.example>" in alone.stderr  # who can approve instead
    approved = CliRunner().invoke(main, ["approve", "rename", "--root", str(target), "--as", "chen@acme.example"])
    assert approved.exit_code == 0, approved.stderr
    assert [p.format() for p in check_archive(target).problems] == []


def test_init_refuses_a_person_it_cannot_write(tmp_path):
    result = CliRunner().invoke(main, ["init", str(tmp_path / "acme"), "--person", "chen.yichun:no e-mail"])
    assert result.exit_code == 2 and "write id:Name:e-mail" in result.stderr
    assert not (tmp_path / "acme").exists()
