"""The package tree is the pipeline: every module imports only from its own stage or the stages below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

STAGES = {
    # stage (first name under generator/): its rank; a module may import its own stage and lower ranks only
    "core": 0,
    "records": 1,
    "rules": 2,
    "trail": 2,  # beside rules: neither imports the other
    "pipeline": 3,
    "reports": 3,  # beside pipeline: figures over a checked catalog, for the site and orders report
    "site": 4,
    "verdict": 4,  # beside site: the pipeline's verdict, remembered while nothing it read changed
    "workflow": 5,  # writes the site's files into new archives
    "demo": 6,  # the demo company starts from the standard policy of workflow.init
    "cli": 7,
}


def stage_of(module: str) -> str:
    """``generator.trail.gitlog`` → ``trail``; ``generator`` itself has no stage."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """Every module ``path`` imports, at any depth (imports inside functions count), with its line."""
    here = module_name(path, root)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:  # ``from generator.site import escape`` imports generator.site.escape
                submodule = root / base.replace(".", "/") / f"{alias.name}.py"
                found.append((node.lineno, f"{base}.{alias.name}" if submodule.exists() else base))
    return found


def modules(package: str, root: Path = ROOT) -> list[Path]:
    return sorted(p for p in (root / package).rglob("*.py") if "__pycache__" not in p.parts)


def upward_imports(root: Path = ROOT) -> list[str]:
    """``file:line: stage imports module (its stage)`` for each import of a stage above (or beside) the importer."""
    wrong = []
    for path in modules("generator", root):
        mine = stage_of(module_name(path, root))
        for line, imported in imports_of(path, root):
            if not imported.startswith("generator."):
                continue
            theirs = stage_of(imported)
            if theirs != mine and (not mine or STAGES[theirs] >= STAGES[mine]):
                wrong.append(f"{path.relative_to(root)}:{line}: {mine or 'generator'} imports {imported} ({theirs})")
    return wrong


def test_every_stage_folder_is_ranked():
    folders = {p.stem for p in (ROOT / "generator").iterdir() if (p / "__init__.py").exists() or p.suffix == ".py"} - {"__init__"}
    assert folders == set(STAGES)


def test_no_module_imports_from_a_stage_above_it():
    assert upward_imports() == []


def test_the_walk_finds_an_upward_import(tmp_path):
    """The walk must be able to fail: a records module importing the site is caught, so is a sibling stage,
    and an import inside a function counts; an import from below passes."""
    for folder in ("records", "rules", "site/render", "trail", "core"):
        (tmp_path / "generator" / folder).mkdir(parents=True, exist_ok=True)
    (tmp_path / "generator/site/render/pages.py").write_text("")
    (tmp_path / "generator/records/load.py").write_text("from generator.site.render import pages\nimport generator.core.problems\n")
    (tmp_path / "generator/rules/x.py").write_text("def f():\n    from generator.trail.approvals import People\n")
    assert upward_imports(tmp_path) == [
        "generator/records/load.py:1: records imports generator.site.render.pages (site)",
        "generator/rules/x.py:2: rules imports generator.trail.approvals (trail)",
    ]


@pytest.mark.parametrize("path", modules("schemas"), ids=lambda p: p.name)
def test_schemas_import_nothing_from_the_generator(path):
    assert [m for _, m in imports_of(path) if m == "generator" or m.startswith("generator.")] == []


def test_only_the_plugin_imports_mkdocs():
    importers = {module_name(p) for p in modules("generator") for _, m in imports_of(p) if m == "mkdocs" or m.startswith("mkdocs.")}
    assert importers <= {"generator.site.plugin", "generator.cli"}  # the CLI only catches MkDocs' exception type
    assert "generator.site.plugin" in importers


def test_every_stage_says_what_it_owns():
    for folder in STAGES:
        init = ROOT / "generator" / folder / "__init__.py"
        if init.exists():
            assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), f"{init} has no docstring"
