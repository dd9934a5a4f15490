"""The ``orders`` command: prints problems, sets the exit code; the work happens elsewhere.

Exit codes: 0 no errors, 1 errors in the archive (or warnings with
``--strict``), 2 usage errors. Bad input never shows a traceback; a
traceback means a bug in this program.
"""

from __future__ import annotations

import os
import sys
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
        Problem(os.path.normpath(os.path.join(root, p.path)).replace(os.sep, "/"), p.line, p.col, p.rule, p.message, p.clause, p.severity)
        for p in problems
    ]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="order-archive")
def main() -> None:
    """Order archive: records in git, validated against the order-management regulation."""


@main.command()
@click.argument("root", default=".", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True, help="Output format.")
@click.option("--strict", is_flag=True, help="Warnings fail too.")
def validate(root: str, fmt: str, strict: bool) -> None:
    """Check every record under ROOT/records and report all problems."""
    from .validate import validate_archive

    path = _archive_root(root)
    entries, problems = validate_archive(path)
    problems = _shown_under(root, problems)
    if problems or fmt == "json":
        click.echo(render(problems, fmt))
    errors, warnings = count(problems)
    mark = "✗" if errors or (strict and warnings) else "✓"
    click.echo(f"{mark} {len(entries)} valid records; {errors} error(s), {warnings} warning(s)", err=True)
    sys.exit(1 if errors or (strict and warnings) else 0)


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
