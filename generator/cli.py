"""The ``orders`` command: prints problems, sets the exit code; the work happens elsewhere.

Exit codes: 0 no errors, 1 errors in the archive (or warnings with
``--strict``), 2 usage errors. Bad input never shows a traceback; a
traceback means a bug in this program.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path

import click

from .problems import Problem, UserError, count, render

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
    return [
        Problem(os.path.normpath(os.path.join(root, p.path)).replace(os.sep, "/"), p.line, p.col, p.rule, p.message, p.clause, p.severity) for p in problems
    ]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="order-archive")
def main() -> None:
    """Order archive: records in git, validated against the order-management regulation."""


def _today(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date written YYYY-MM-DD", param_hint="--today") from None


TODAY_HELP = "Judge deadlines (overdue loans, late forwarding) as of this date, YYYY-MM-DD; default: today."


@main.command()
@click.argument("root", default=".", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True, help="Output format.")
@click.option("--strict", is_flag=True, help="Warnings fail too.")
@click.option("--today", metavar="DATE", help=TODAY_HELP)
def validate(root: str, fmt: str, strict: bool, today: str | None) -> None:
    """Check every record under ROOT/records and report all problems."""
    from .pipeline import check_archive

    path = _archive_root(root)
    result = check_archive(path, _today(today))
    problems = _shown_under(root, result.problems)
    if problems or fmt == "json":
        click.echo(render(problems, fmt))
    errors, warnings = count(problems)
    mark = "✗" if errors or (strict and warnings) else "✓"
    records = len(result.catalog.entries)
    click.echo(f"{mark} {records} valid records; {errors} error(s), {warnings} warning(s)", err=True)
    sys.exit(1 if errors or (strict and warnings) else 0)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules(fmt: str) -> None:
    """List every rule with its clauses, severity and description."""
    from .rules import REGISTRY

    if fmt == "json":
        click.echo(json.dumps([r.to_json() for r in REGISTRY.values()], ensure_ascii=False, indent=2))
        return
    for r in REGISTRY.values():
        clauses = ", ".join(r.clauses) or "—"
        click.echo(f"{r.id:42} {r.severity!s:8} {clauses:24} {r.en} / {r.zh}")


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
    from schemas.export import json_schemas

    folder = out or Path(__file__).resolve().parent.parent / "schemas" / "json"
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
def demo(directory: Path, n_orders: int, seed: int) -> None:
    """Write a synthetic archive of N orders into DIRECTORY (for demos, tests and benchmarks)."""
    from .demo import write_demo

    try:
        written = write_demo(directory, n_orders, seed)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {written} record files to {directory}/records", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
