"""The ``orders`` command: prints problems, sets the exit code; the work happens elsewhere.

Exit codes: 0 no errors, 1 errors in the archive (or warnings with
``--strict``), 2 usage errors. Bad input never shows a traceback; a
traceback means a bug in this program.
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import logging
import multiprocessing
import os
import signal
import sys
import threading
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import click

from generator.core.printable import printable
from generator.core.problems import Problem, UserError, count, render

FORMATS = click.Choice(["text", "json", "github"])


def _archive_root(root: str) -> Path:
    path = Path(root)
    if not (path / "records").is_dir():
        raise click.BadParameter(f"{root} is not an order archive: it has no records/ folder", param_hint="ROOT")
    return path


def _shown_under(root: str, problems: list[Problem]) -> list[Problem]:
    """Problem paths as the user can open them from the current directory."""
    if os.path.normpath(root) == ".":
        return problems
    return [dataclasses.replace(p, path=os.path.normpath(os.path.join(root, p.path)).replace(os.sep, "/")) for p in problems]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="order-archive")
def main() -> None:
    """Order archive: records in git, validated against the order-management regulation."""
    for stream in (sys.stdout, sys.stderr):  # a Big5, Latin-1 or ASCII terminal gets escapes, never a crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def _today(value: str | None) -> date | None:
    """``--today``, or None: the archive's own day, in its policy's time zone (``archive_today``)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date written YYYY-MM-DD", param_hint="--today") from None


LANG = click.option(
    "--lang",
    type=click.Choice(["en", "zh-Hant"]),
    default="en",
    show_default=True,
    help="Language of the words around each message (zh-Hant: 錯誤／警告 and each rule's Chinese description).",
)
TODAY_HELP = "Judge deadlines (overdue loans, late forwarding) as of this date, YYYY-MM-DD; default: today in the policy's time zone."


@main.command()
@click.argument("root", default=".", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True, help="Output format.")
@click.option("--strict", is_flag=True, help="Warnings fail too.")
@click.option("--today", metavar="DATE", help=TODAY_HELP)
@click.option("--no-history", is_flag=True, help="Skip the git history layer (approvals, transitions, deletions).")
@LANG
def validate(root: str, fmt: str, strict: bool, today: str | None, no_history: bool, lang: str) -> None:
    """Check every record under ROOT/records (and its git history) and report all problems."""
    from generator.verdict import check_verdict

    verdict = check_verdict(_archive_root(root), _today(today), history=not no_history)
    layers = f", {verdict.approvals} approvals in the history" if verdict.has_history else ""
    again = " (as checked last time: nothing changed since)" if verdict.remembered else ""
    _report(root, verdict.problems, fmt, strict, f"{verdict.records} valid records{layers}{again}", lang)


@main.command(name="validate-files")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@LANG
def validate_files(files: tuple[Path, ...], fmt: str, lang: str) -> None:
    """Check just these record files (reader, layout, schema, id and path): the pre-commit hook."""
    from generator.records.load import file_verdict
    from generator.records.validate import validate_file

    problems: list[Problem] = []
    for file in files:
        resolved = file.resolve()
        root = next((p for p in resolved.parents if (p / "records").is_dir() and resolved.is_relative_to(p / "records")), None)
        if root is None:
            raise click.BadParameter(f"{file} is not inside an archive's records/ folder", param_hint="FILES")
        rel = resolved.relative_to(root).as_posix()
        place, problem = file_verdict(rel.removeprefix("records/"))
        shown = file.as_posix()
        if place is None:
            if problem is not None:  # as orders validate says it, at the name the hook was given
                problems.append(dataclasses.replace(problem, path=shown))
            continue
        if not resolved.is_file():  # a named pipe would block the read forever
            problems.append(Problem(shown, 1, 1, "layout.special-file", "not a regular file (a named pipe, socket or device): never opened"))
            continue
        raw = resolved.read_bytes()
        problems += validate_file(shown, place, raw)[1]
    _report(".", problems, fmt, False, f"{len(files)} file(s) checked", lang)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--lang", type=click.Choice(["both", "en", "zh-Hant"]), default="both", show_default=True, help="Language of the descriptions.")
def rules(fmt: str, lang: str) -> None:
    """List every rule with its clauses, severity and description."""
    from generator.rules import REGISTRY

    if fmt == "json":
        click.echo(json.dumps([r.to_json() for r in REGISTRY.values()], ensure_ascii=False, indent=2))
        return
    for r in REGISTRY.values():
        clauses = ", ".join(r.clauses) or "—"
        said = {"both": f"{r.en} / {r.zh}", "en": r.en, "zh-Hant": r.zh}[lang]
        click.echo(f"{r.id:42} {r.severity!s:8} {clauses:24} {said}")


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write into (default: the schemas/json folder of this installation).",
)
@click.option("--check", is_flag=True, help="Only check that the folder is up to date; exit 1 if not.")
def schema(out: Path | None, check: bool) -> None:
    """Export a JSON Schema per record kind (for editors and other tools)."""
    from generator.core.paths import JSON_SCHEMAS
    from schemas.export import json_schemas

    folder = out or JSON_SCHEMAS
    stale = []
    for name, text in json_schemas().items():
        target = folder / name
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current == text:
            continue
        stale.append(name)
        if not check:
            folder.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    if check:
        if stale:
            click.echo(f"stale JSON Schema in {folder}: {', '.join(stale)}; run `orders schema`", err=True)
            sys.exit(1)
        click.echo(f"JSON Schemas in {folder} are up to date", err=True)
    else:
        click.echo(f"wrote {len(stale)} schema file(s) to {folder}", err=True)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--orders", "n_orders", type=click.IntRange(1, 99_999), default=40, show_default=True, help="How many orders.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same archive.")
@click.option("--files-only", is_flag=True, help="Write the records without git history.")
def demo(directory: Path, n_orders: int, seed: int, files_only: bool) -> None:
    """Create a synthetic archive repository of N orders in DIRECTORY, with its approval history."""
    try:
        if files_only:
            from generator.demo.archive import write_demo

            written = write_demo(directory, n_orders, seed)
            click.echo(f"wrote {written} record files to {directory}/records", err=True)
            return
        from generator.demo.repository import write_repository

        records, commits = write_repository(directory, n_orders, seed)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {directory}: {records} records, {commits} commits (each change merged with Approved-by trailers)", err=True)


@main.command()
@click.argument("record_id")
@click.option("--root", default=".", type=click.Path(file_okay=False), show_default=True, help="The archive.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def history(record_id: str, root: str, fmt: str) -> None:
    """Every version of RECORD_ID (e.g. ORD-2026-0001), who wrote it, who approved it, what changed."""
    from generator.pipeline import record_timeline

    path = _archive_root(root)
    try:
        timeline = record_timeline(path, record_id)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(timeline, ensure_ascii=False, indent=2))
        return
    for record in timeline["records"]:
        _say(f"{record['path']}")
        if record["uncommitted"]:
            _say(f"  (uncommitted: {record['uncommitted']})")
        for version in record["versions"]:
            approvers = ", ".join(f"{a['name']} <{a['email']}> {'✓ verified' if a['verified'] else '(claimed)'}" for a in version["approvers"]) or "—"
            label = "" if version["tracked"] else "  [before approval tracking]"
            _say(f"  {version['date']}  {version['commit'][:10]}  {version['change']:8} by {version['author']}; approved by {approvers}{label}")
            for problem in version["problems"]:
                _say(f"      ✗ {problem}")
            if version["change"] in ("created", "deleted"):
                continue
            for change in version["diff"]:
                _say(f"      {change}")


@main.command()
@click.argument("root", default=".", type=click.Path(file_okay=False))
@click.option("--base", required=True, help="The branch or commit this one will be merged into (e.g. origin/main).")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.option("--strict", is_flag=True, help="Warnings fail too.")
@click.option("--today", metavar="DATE", help=TODAY_HELP)
@LANG
def check(root: str, base: str, fmt: str, strict: bool, today: str | None, lang: str) -> None:
    """Check the branch checked out in ROOT as a pull request into --base."""
    from generator.workflow.check import check_branch

    path = _archive_root(root)
    try:
        problems = check_branch(path, base, _today(today))
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    _report(root, problems, fmt, strict, "branch checked", lang)


@main.command()
@click.argument("branch")
@click.option("--as", "approvers", required=True, multiple=True, metavar="EMAIL", help="Approver's e-mail in organization.yaml (repeat for several).")
@click.option("--root", default=".", type=click.Path(file_okay=False), show_default=True)
@click.option("--sign", is_flag=True, help="Sign the merge commit (git merge -S).")
@click.option("--on-branch", is_flag=True, help="Signed mode, for a second department: sign an approval commit on BRANCH's tip; no merge.")
@click.option("--today", metavar="DATE", help=TODAY_HELP)
def approve(branch: str, approvers: tuple[str, ...], root: str, sign: bool, on_branch: bool, today: str | None) -> None:
    """Merge BRANCH into the current branch as an approval, after checking it and the approvers."""
    from generator.workflow.approve import approve as approve_branch
    from generator.workflow.approve import sign_on_branch

    path = _archive_root(root)
    try:
        if on_branch:
            if len(approvers) != 1:
                raise UserError("--on-branch signs for one approver: give --as once")
            sha = sign_on_branch(path, branch, approvers[0])
            click.echo(f"signed an approval of {branch}: commit {sha[:10]} (merge it with orders approve --sign)", err=True)
            return
        sha = approve_branch(path, branch, list(approvers), _today(today), sign)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"approved {branch}: merge commit {sha[:10]}", err=True)


@main.command()
@click.argument("root", default=".", type=click.Path(file_okay=False))
@click.option("--strict", is_flag=True, help="Refuse to build when the archive has errors.")
@click.option("--today", metavar="DATE", help=TODAY_HELP)
@click.option("--publish", is_flag=True, help="Remember this head as published (a later rewritten history is then an error).")
@click.option(
    "--previous",
    metavar="URL|DIR",
    help="The deployed site (its URL, or a folder): refuse to build when this history no longer contains the head it was built from.",
)
def build(root: str, strict: bool, today: str | None, publish: bool, previous: str | None) -> None:
    """Build the archive's site into ROOT/site (replaced only when the build succeeds)."""
    from mkdocs.exceptions import MkDocsException

    from generator.site import plugin
    from generator.trail.published import mark_published
    from generator.trail.repo import open_repository

    path = _archive_root(root)
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    if previous:
        from generator.trail.published import refuse_rewritten

        try:
            refuse_rewritten(path, previous)
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
    with click.progressbar(length=1, label="building", file=sys.stderr) as bar:

        def show(stage: str, done: int, total: int) -> None:
            bar.label = stage
            bar.length = max(total, 1)
            bar.pos = done
            bar.render_progress()

        plugin.progress = show
        try:
            result = plugin.build_site(path, strict, _today(today), process_ends=_PROCESS_ENDS)
        except (MkDocsException, UserError) as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            plugin.progress = None
    errors, warnings = count(result.problems)
    bundles = [result.site / "pagefind", *(result.site / x / "pagefind" for x in result.languages[1:])]
    index = sum(_bundle_bytes(bundle) for bundle in bundles)
    editions = " + ".join(result.languages)
    click.echo(
        f"✓ built {result.site}: {result.pages} pages ({editions}) in {result.seconds:.1f} s; search index {index / 1e6:.1f} MB; "
        f"{errors} error(s), {warnings} warning(s) shown on the compliance page",
        err=True,
    )
    if publish:
        repo = open_repository(path)
        if repo is not None:
            mark_published(path, repo.head.commit.hexsha)


def _bundle_bytes(bundle: Path) -> int:
    """A search bundle's size: as its manifest lists its files, or, unsealed, as they are on disk."""
    from generator.site.bundleseal import sealed_size

    sealed = sealed_size(bundle)
    return sealed if sealed is not None else sum(f.stat().st_size for f in bundle.rglob("*") if f.is_file())


@main.command()
@click.argument("root", default=".", type=click.Path(file_okay=False))
@click.option("--period", default="all", show_default=True, metavar="PERIOD", help="A month (2026-11), a quarter (2026-Q3), a year (2026) or all.")
@click.option("--format", "fmt", type=click.Choice(["text", "md", "json", "csv"]), default="text", show_default=True)
@click.option("--lang", type=click.Choice(["zh-Hant", "en"]), default="zh-Hant", show_default=True, help="Language of the names and words.")
@click.option("--today", metavar="DATE", help=TODAY_HELP)
def report(root: str, period: str, fmt: str, lang: str, today: str | None) -> None:
    """Print the reports (§3.5, §4.5, §6, §7, §8) for a period: every figure with its definition."""
    from generator.pipeline import check_archive
    from generator.reports.figures import report as compute
    from generator.reports.output import FORMATS
    from generator.reports.period import Period

    try:
        chosen = Period.parse(period)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from None
    checked = check_archive(_archive_root(root), _today(today), history=False)
    sys.stdout.buffer.write(FORMATS[fmt](compute(checked.catalog, chosen), lang).encode("utf-8"))  # CSV: its bytes, CRLF and BOM
    sys.stdout.flush()


@main.command()
@click.argument("root", default=".", type=click.Path(file_okay=False))
@click.option("--address", default="127.0.0.1:8000", show_default=True)
def serve(root: str, address: str) -> None:
    """Serve the site: a saved dossier is made again at once; lists, reports and search follow in a background build."""
    from generator.site.serve import serve as run

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    click.echo(f"serving {root} at http://{address}/ (the first page appears once the site is built); press Ctrl+C to stop", err=True)
    run(_archive_root(root), address)


@main.command()
@click.argument("kind", type=click.Choice(["order", "change", "quality", "delivery", "settlement", "borrowing", "disposal"]))
@click.option("--order", "order_id", metavar="ORD-YYYY-NNNN", help="The order a change, inspection, delivery or settlement belongs to.")
@click.option("--root", default=".", type=click.Path(file_okay=False), show_default=True)
@click.option("--as", "email", metavar="EMAIL", help="Who writes it (default: git config user.email).")
@click.option("--main", default="main", show_default=True, help="The main line whose numbers are taken too.")
@click.option("--today", metavar="DATE", help="The date to fill in (default: today).")
@click.option("--interactive", "-i", is_flag=True, help="Ask for the required fields here, checking each answer.")
@click.option("--lang", type=click.Choice(["zh-Hant", "en"]), default="zh-Hant", show_default=True, help="Language of the questions.")
def new(kind: str, order_id: str | None, root: str, email: str | None, main: str, today: str | None, interactive: bool, lang: str) -> None:
    """Write a new KIND record with the next free number, half filled in, ready to edit."""
    from generator.workflow.new import create

    def ask(label: str, check):
        while True:
            answer = click.prompt(label, err=True)
            try:
                return check(answer)
            except ValueError as exc:
                click.echo(f"  ✗ {exc}", err=True)

    path = _archive_root(root)
    try:
        target = create(path, kind, _today(today), order_id, email, main, ask if interactive else None)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(target.relative_to(path).as_posix())
    click.echo("fill in the empty values, then run `orders validate` / 填寫空白欄位後執行 orders validate", err=True)


@main.command()
@click.argument("root", default=".", type=click.Path(file_okay=False))
@click.option("--check", is_flag=True, help="Only check that both CODEOWNERS files are up to date; exit 1 if not.")
def codeowners(root: str, check: bool) -> None:
    """Regenerate .github/CODEOWNERS and .gitlab/CODEOWNERS from organization.yaml and policy.yaml."""
    from generator.pipeline import check_archive
    from generator.workflow.codeowners import CODEOWNERS_FILES
    from generator.workflow.codeowners import codeowners as generate

    path = _archive_root(root)
    catalog = check_archive(path, rules=False, history=False).catalog
    if catalog.organization is None or catalog.policy is None:
        raise click.ClickException("organization.yaml and policy.yaml must validate first (run orders validate)")
    for platform, rel in CODEOWNERS_FILES.items():
        text = generate(catalog.organization, catalog.policy, platform)
        target = path / rel
        if check:
            current = target.read_text(encoding="utf-8") if target.is_file() else ""
            if current != text:
                raise click.ClickException(f"{target} is stale; run `orders codeowners`")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        click.echo(f"wrote {target}", err=True)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--company-zh", default="示範外包股份有限公司", show_default=True, help="Company name in Chinese.")
@click.option("--company-en", default="Example Outsourcing Co., Ltd.", show_default=True, help="Company name in English.")
@click.option("--admin-id", default="admin", show_default=True, help="Person id of the first administrator.")
@click.option("--admin-name", help="Their name (default: git config user.name).")
@click.option("--admin-email", help="Their git e-mail (default: git config user.email).")
@click.option(
    "--tool",
    help="What CI pip-installs to get the `orders` command (a pip requirement: git+https://…@tag, a wheel URL, a name on your index); "
    "default: this very version, pinned to its git commit when it was installed from git.",
)
@click.option("--time-zone", default="Asia/Taipei", show_default=True, help="The company's IANA time zone: what day it is for deadlines.")
@click.option(
    "--person",
    "people",
    multiple=True,
    metavar="ID:NAME:EMAIL",
    help="Another approver (repeat for each): four-eyes needs someone besides the author of every change.",
)
def init(
    directory: Path,
    company_zh: str,
    company_en: str,
    admin_id: str,
    admin_name: str | None,
    admin_email: str | None,
    tool: str | None,
    time_zone: str,
    people: tuple[str, ...],
) -> None:
    """Create a new, empty archive repository in DIRECTORY that validates and builds at once."""
    import subprocess
    from datetime import datetime
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from pydantic import ValidationError

    from generator.workflow.init import FOUR_EYES_ALONE, default_tool, init_files

    try:
        today = datetime.now(ZoneInfo(time_zone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"{time_zone!r} is not an IANA time zone such as Asia/Taipei", param_hint="--time-zone") from None

    if directory.exists() and any(directory.iterdir()):
        raise click.ClickException(f"{directory} is not empty; choose a new folder")

    def git_config(key: str) -> str:
        return subprocess.run(["git", "config", key], capture_output=True, text=True, check=False).stdout.strip()

    name = admin_name or git_config("user.name") or "Administrator"
    email = admin_email or git_config("user.email") or "admin@example.invalid"
    tool_warning = None
    if tool is None:
        tool, tool_warning = default_tool()
    others = []
    for given in people:
        parts = given.split(":")
        if len(parts) != 3 or not all(part.strip() for part in parts):
            raise click.BadParameter(f"{given!r}: write id:Name:e-mail, e.g. chen.yichun:陳怡君:chen@example.com", param_hint="--person")
        others.append(tuple(part.strip() for part in parts))
    try:
        files = init_files(company_zh, company_en, (admin_id, name, email), today, tool, time_zone, tuple(others))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise click.ClickException(f"the people given do not make a valid organization.yaml: {where}: {first['msg']}") from None
    for rel, content in files.items():
        target = directory / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    subprocess.run(["git", "init", "-q", "-b", "main", str(directory)], check=True)
    subprocess.run(["git", "add", "-A"], cwd=directory, check=True)
    identity = ["-c", f"user.name={name}", "-c", f"user.email={email}"]
    subprocess.run(["git", *identity, "commit", "-q", "-m", f"Set up the order archive of {company_zh} {company_en}"], cwd=directory, check=True)
    click.echo(f"created {directory}: a git repository with {len(files)} files; next: cd {directory} && orders validate && orders build", err=True)
    if not others:
        click.echo(f"note: {FOUR_EYES_ALONE}", err=True)
    if tool_warning:
        click.echo(f"note: {tool_warning}", err=True)
    click.echo("in every clone, run once: pre-commit install (a broken record is then refused before it is committed)", err=True)


def _report(root: str, problems: list[Problem], fmt: str, strict: bool, what: str, lang: str = "en") -> None:
    def words(rule_id: str) -> str | None:
        from generator.rules import REGISTRY  # asked only in Chinese, of a problem without its own Chinese message

        rule = REGISTRY.get(rule_id)
        return None if rule is None else rule.zh if lang == "zh-Hant" else rule.en

    problems = _shown_under(root, problems)
    if problems or fmt == "json":
        click.echo(render(problems, fmt, lang, words))
    errors, warnings = count(problems)
    failed = bool(errors or (strict and warnings))
    click.echo(f"{'✗' if failed else '✓'} {what}; {errors} error(s), {warnings} warning(s)", err=True)
    sys.exit(1 if failed else 0)


def _say(text: str) -> None:
    """One line of output that shows text from records or git (names, subjects, paths): escaped, never raw."""
    click.echo(printable(text))


_SIGNALS = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}


_PROCESS_ENDS = False
"""Whether this process ends once its command is done (``run``, through ``_leave``): a build then leaves what it
held to that end (``build_site``'s ``process_ends``). False where ``main`` is called by a process that goes on."""


def run() -> None:
    """The ``orders`` command: ``main`` with interrupts ended cleanly — one line, exit 128 + the signal, every
    worker stopped, temporary folders removed by the code they interrupt, the previous site left as it was."""
    global _PROCESS_ENDS
    _PROCESS_ENDS = True
    received: list[int] = []

    def interrupt(signum: int, _frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    def again(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    def ignored(unraisable: Any) -> None:
        """Python runs a handler wherever it is, a finaliser too (``__del__``, a weakref's callback), and ignores what
        a finaliser raises: the interrupt would be lost and the command go on. It is raised again a moment later,
        once the finaliser is done (and again, should that moment fall in another)."""
        if received and isinstance(unraisable.exc_value, KeyboardInterrupt):
            signal.setitimer(signal.ITIMER_REAL, 0.02)
        else:
            default_hook(unraisable)

    default_hook = sys.unraisablehook
    sys.unraisablehook = ignored
    signal.signal(signal.SIGALRM, again)
    for signum in _SIGNALS:
        signal.signal(signum, interrupt)
    try:
        code = main(standalone_mode=False)  # returns ctx.exit's code (--help, --version)
    except SystemExit as exc:  # a command's own code (``validate``'s)
        code = exc.code
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt) as exc:
        if not received and not isinstance(exc, KeyboardInterrupt):  # a prompt met the end of its input, no signal
            click.echo("Aborted: no more input.", err=True)
            sys.exit(1)
        signal.setitimer(signal.ITIMER_REAL, 0)
        for signum in (*_SIGNALS, signal.SIGALRM):
            signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the clean-up
        for child in multiprocessing.active_children():
            child.terminate()
        for child in multiprocessing.active_children():
            child.join(timeout=5)
        click.echo("interrupted; the previous site is unchanged" if "build" in sys.argv[1:] else "interrupted", err=True)
        # Ended here, every clean-up done (the interrupted code's own on its way out, the helpers above): CPython
        # remembers a KeyboardInterrupt that ended code run from text (dataclasses make methods so), even one
        # caught, and under ``python -m`` would then end this process by SIGINT whatever code it exits with.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_SIGNALS[received[0]] if received else 130)
    if code is not None and not isinstance(code, int):
        sys.exit(code)  # a message: Python says it and exits 1
    _leave(code or 0)


def _leave(code: int) -> NoReturn:
    """The command's end once it is done, in the order Python's own exit goes: a thread still working waited for,
    the exit handlers run (the log's, the temporary folders' finalisers), the output flushed; then the process
    ends without the interpreter freeing every object the command made, one by one (after a merged pull request's
    build at 10,000 orders that took 0.25 s, after the site was in place)."""
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: what Python's own exit gives then
            code = code or 120
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
