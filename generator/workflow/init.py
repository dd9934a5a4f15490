"""``orders init``: every file of a new archive repository — records to start from, the site, CI, pre-commit,
CODEOWNERS and a pull-request template — and the regulation's standard policy they start with."""

from __future__ import annotations

import shlex
from datetime import date
from typing import Any

from generator.records.safeyaml import dump, parse
from generator.site.sitecfg import site_files, site_names
from generator.workflow.codeowners import CODEOWNERS_FILES, codeowners
from schemas import Organization, Policy
from schemas.policy import DEFAULT_DOCUMENTS, PROTECTED_FILES, Deadlines

GITHUB_CHECK = """\
# Every pull request: validate the branch and its changes against the main line.
name: orders check
on:
  pull_request:
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0   # the approval trail needs the whole history
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: python -m pip install {tool}
      - run: orders check --base origin/${{{{ github.base_ref }}}} --format github
"""

GITHUB_SITE = """\
# The main line: validate, build the site and publish it to GitHub Pages.
name: orders site
on:
  push:
    branches: [main]
permissions:
  contents: read
  pages: write
  id-token: write
jobs:
  site:
    runs-on: ubuntu-latest
    environment:
      name: github-pages
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: python -m pip install {tool}
      # The last build's caches and site: a merged pull request rebuilds only the pages it changed. Only this
      # main-line workflow saves them, and GitHub gives a branch's caches to that branch alone (and the default
      # branch's to every branch), so nothing a pull request's workflow saves is ever restored here. A stale or
      # missing cache costs time, never a byte: every reused page is checked against what it was made from.
      # The site before last (.git/order-archive-site) is the next build's folder: its files are mostly the
      # very files of site/, which the cache's archive keeps as links, so few are linked again.
      - uses: actions/cache@v4
        with:
          path: |
            .git/order-archive
            .git/order-archive-site
            site
          key: orders-site-${{{{ github.sha }}}}
          restore-keys: orders-site-
      - id: pages
        uses: actions/configure-pages@v5
      - run: orders validate
      # refuses a history that no longer contains the head the deployed site was built from (reset, force-push)
      - run: orders build --strict --publish --previous "${{{{ steps.pages.outputs.base_url }}}}"
      - uses: actions/upload-pages-artifact@v3
        with:
          path: site
      - uses: actions/deploy-pages@v4
"""

GITLAB = """\
# The same two jobs for GitLab: check merge requests, publish the site from main.
default:
  image: python:3.11
variables:
  GIT_DEPTH: 0   # the approval trail needs the whole history
before_script:
  - python -m pip install {tool}
check:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  script:
    - git fetch origin $CI_MERGE_REQUEST_TARGET_BRANCH_NAME
    - orders check --base origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME
pages:
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
  # The last build's caches and site: a merged merge request rebuilds only the pages it changed. Keep
  # "Use separate caches for protected branches" on (GitLab's default): the main line is protected, so no
  # merge request's pipeline can write the cache it restores. A stale or missing cache costs time, never a byte.
  # The site before last (.git/order-archive-site) is left out: GitLab's cache archive would copy its files, most
  # of them links to site/'s, and a copy is replaced by a link again anyway.
  cache:
    key: orders-site-$CI_DEFAULT_BRANCH
    paths:
      - .git/order-archive
      - site
  script:
    - orders validate
    - orders build --strict --publish --previous "$CI_PAGES_URL"
    - rm -rf public && cp -al site public   # linked, not moved: site/ stays for the cache
  artifacts:
    paths: [public]
"""

PRE_COMMIT = r"""# pre-commit: refuse a commit whose records do not read or fit their schema (the whole archive is CI's).
repos:
  - repo: local
    hooks:
      - id: orders-validate-files
        name: orders validate-files (the records this commit touches)
        entry: orders validate-files
        language: system
        files: ^records/
        exclude: ^records/(\.|orders/[^/]+/[^/]+/attachments/)
        pass_filenames: true
"""

PR_TEMPLATE = """\
## 變更內容 What changes

- 記錄 Records:
- 依據 Why (clause, e.g. §7.1):

## 自我檢查 Checklist

- [ ] `orders validate` 無錯誤 shows no errors
- [ ] 編號由 `orders new` 產生 numbers come from `orders new`
- [ ] 審核人將依 CODEOWNERS 指派 reviewers come from CODEOWNERS; nobody approves their own change
"""

GITIGNORE = "# build output and local state of order-archive (.site.*: a site being built or replaced)\nsite/\n.site.*/\n.cache/\n.order-archive/\n"


def starter_records(
    company_zh: str,
    company_en: str,
    admin_id: str,
    admin_name: str,
    admin_email: str,
    today: date,
    time_zone: str = "Asia/Taipei",
    others: tuple[tuple[str, str, str], ...] = (),
) -> dict[str, dict[str, Any]]:
    """organization.yaml and policy.yaml of a new archive: the administrator and the ``others`` (id, name,
    e-mail) as approvers of management, the regulation's defaults."""
    organization = {
        "kind": "organization",
        "schema_version": 1,
        "name_zh": company_zh,
        "name_en": company_en,
        "departments": [{"id": "management", "name_zh": "管理部", "name_en": "Management", "head": admin_id}],
        "people": [{"id": admin_id, "name": admin_name, "department": "management", "emails": [admin_email], "roles": ["head", "approver", "administrator"]}],
    }
    organization["people"] += [{"id": i, "name": n, "department": "management", "emails": [e], "roles": ["approver"]} for i, n, e in others]
    # Tracking starts with the commit after the one that switches it on: the company first commits its people and
    # policy, with approvals_required: true (that commit is judged by this policy, which tracks nothing yet).
    policy = standard_policy(approvals_required=False)
    for rule in [
        *(r for k, r in policy["approvals"].items() if k != "files"),
        *policy["approvals"]["files"],
    ]:  # until the company adds its departments, management approves all
        if rule.get("departments"):
            rule["departments"] = ["management"]
        if rule.get("states"):
            rule["states"] = {state: ["management"] for state in rule["states"]}
        rule.pop("editors", None)
    policy["calendar"]["holidays"] = []
    policy["calendar"]["extra_workdays"] = []
    policy["time_zone"] = time_zone
    return {"records/organization.yaml": organization, "records/policy.yaml": policy}


ARCHIVE_README = """# {company_zh} {company_en} — order archive 訂單檔案庫

Records live in `records/`; every change is a pull request, and merging it is the approval
(`orders validate` checks the whole approval trail). 每項變更以合併請求提出，合併即核准。

## First steps 第一步

1. Complete `records/organization.yaml` (departments, people, heads, approvers) and
   `records/policy.yaml`, set `approvals_required: true` in it, and commit both. That commit is
   the last one no policy judges: every commit after it is tracked.
2. `pre-commit install` in every clone, so a broken record is caught before it is committed.

## Platform settings the trail relies on 代管平台設定

The trail proves what git can prove; these settings close the rest:

- **Protect `main`**: no direct pushes, **no force pushes**, no deletion; require pull requests,
  the `orders check` status and reviews from code owners (CODEOWNERS).
- **Merge method**: enable *Create a merge commit*. Squash and rebase merges count only when their
  message carries `Approved-by:` trailers of people other than the author.
- **Name the platform** in `policy.yaml` (`platforms:` with its merge committer address and its
  public SSH signing key) so that its merge button counts as the approval of the reviewer who
  pressed it; with `require_signed_approvals: true` the platform's signature vouches for it.
- **Full history in CI** (`fetch-depth: 0`, already in the generated workflows): a shallow clone
  cannot see the approvals.
"""


def init_files(
    company_zh: str,
    company_en: str,
    admin: tuple[str, str, str],
    today: date,
    tool: str = "order-archive",
    time_zone: str = "Asia/Taipei",
    others: tuple[tuple[str, str, str], ...] = (),
) -> dict[str, bytes]:
    """Every file of a new archive repository."""
    starters = starter_records(company_zh, company_en, *admin, today, time_zone, others)
    files = {path: dump(data).encode() for path, data in starters.items()}
    files.update(site_files(site_names(company_zh, company_en)))
    organization = Organization.model_validate(_plain(files["records/organization.yaml"]))
    policy = Policy.model_validate(_plain(files["records/policy.yaml"]))
    files.update(
        {
            ".gitignore": GITIGNORE.encode(),
            **{path: codeowners(organization, policy, platform).encode() for platform, path in CODEOWNERS_FILES.items()},
            ".github/workflows/orders-check.yml": GITHUB_CHECK.format(tool=shlex.quote(tool)).encode(),
            ".github/workflows/orders-site.yml": GITHUB_SITE.format(tool=shlex.quote(tool)).encode(),
            ".github/pull_request_template.md": PR_TEMPLATE.encode(),
            ".gitlab-ci.yml": GITLAB.format(tool=shlex.quote(tool)).encode(),
            ".pre-commit-config.yaml": PRE_COMMIT.encode(),
            "README.md": ARCHIVE_README.format(company_zh=company_zh, company_en=company_en).encode(),
            "records/orders/.gitkeep": b"",
            "records/archive/borrowing/.gitkeep": b"",
            "records/archive/disposals/.gitkeep": b"",
        }
    )
    return files


def default_tool() -> tuple[str, str | None]:
    """What the generated CI pip-installs to get this very version of the tool, and a warning when CI cannot
    reach it: a git install pins its commit (PEP 610's direct_url.json says where it came from); an install
    from a local folder or an index is named by its version, which CI finds only on the company's index."""
    import importlib.metadata
    import json

    try:
        dist = importlib.metadata.distribution("order-archive")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "order-archive", "the tool is not installed as a package here"
    origin = json.loads(dist.read_text("direct_url.json") or "{}")
    vcs = origin.get("vcs_info")
    if vcs and origin.get("url", "").startswith(("https://", "ssh://")):
        return f"{vcs['vcs']}+{origin['url']}@{vcs['commit_id']}", None
    spec = f"order-archive=={dist.version}"
    return spec, (
        f"the generated CI installs the tool with `pip install {spec}`, which only your package index can serve: "
        "rerun with --tool pointing where CI can install it from (git+https://git.example.com/tools/order-archive@<tag>, or a wheel URL)"
    )


FOUR_EYES_ALONE = (
    "four-eyes: every change needs an approver other than the person who wrote it, and this archive names one "
    "person. Add at least one more before the first approval: orders init --person id:Name:e-mail, or in "
    "records/organization.yaml (its own commit, before approvals_required: true)"
)


def _plain(raw: bytes) -> dict[str, Any]:
    data, problems = parse(raw, "starter")
    assert data is not None, problems
    return data


def standard_policy(approvals_required: bool = True, holidays: list[tuple[str, str]] = (), extra_workdays: list[str] = ()) -> dict[str, Any]:
    """The regulation's defaults for a company with sales, operations, finance, quality, admin and management:
    who approves and who edits each kind, retention, borrowing, forwarding and the business calendar."""

    def rule(*departments: str, editors: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
        return {"departments": list(departments), **extra, **({"editors": list(editors)} if editors else {})}

    return {
        "kind": "policy",
        "schema_version": 1,
        "retention_years": {
            "order": 10,
            "change_request": 10,
            "quality_record": 5,
            "delivery": 10,
            "settlement": 10,
            "loan": 3,
            "disposal": 30,
        },
        "max_borrowing_days": 30,
        "forwarding_business_days": 1,
        "calendar": {
            "weekend": ["saturday", "sunday"],
            "holidays": [{"on": d, "name": n} for d, n in holidays],
            "extra_workdays": list(extra_workdays),
        },
        "approvals": {
            # finance sets "settled" (§6.5); operations and finance review before work starts (§2.4, §2.5)
            "order": rule(
                "sales", editors=("sales", "operations", "finance", "admin"), states={"in_progress": ["operations", "finance"], "settled": ["finance"]}
            ),
            "change_request": rule("operations", "finance", editors=("sales", "operations")),
            "quality_record": rule("quality", editors=("quality",)),
            "delivery": rule("operations", editors=("operations", "sales")),
            "settlement": rule("finance", editors=("finance",), states={"settled": ["finance"]}),
            "loan": {"approvers": ["head_of_borrower_department"]},
            "disposal": rule("admin", "management", heads_only=True, editors=("admin",)),
            "organization": rule("management", "admin", heads_only=True, editors=("admin", "management")),
            "policy": rule("management", heads_only=True, editors=("management", "admin")),
            "closed_dossier": rule("management", heads_only=True),
            "files": [{"paths": list(PROTECTED_FILES), **rule("admin", editors=("admin",))}],
        },
        "time_zone": "Asia/Taipei",
        "approvals_required": approvals_required,
        "allow_committer_as_approver": False,
        "require_signed_approvals": False,
        # the days each step may wait before it is flagged, and the documents each dossier holds (§3.2, §5, §6, §8.1)
        "deadlines": Deadlines().model_dump(mode="json"),
        "required_documents": {state: list(kinds) for state, kinds in DEFAULT_DOCUMENTS.items()},
        # Taiwan's uniform invoice 統一發票: two capital letters and eight digits (§6.3)
        "invoice_numbers": [{"currency": "TWD", "formats": ["AA99999999"], "name": "統一發票 Uniform invoice"}],
    }
