"""Helpers to build real sites of small archives for tests (MkDocs, Material and Pagefind, for real)."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

from editing import dossier, edit

from generator.demo.repository import write_repository
from generator.site.plugin import build_site
from generator.site.sitecfg import site_files

TODAY = date(2026, 11, 20)
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

MARK = "__pwned"
PAYLOADS = {
    "script": f"<script>window.{MARK}=1</script>",
    "img": f'<img src=x onerror="window.{MARK}=2">',
    "link": f"[click me](javascript:window.{MARK}=3)",
    "autolink": f"<javascript:window.{MARK}=4>",
    "attr": f'{{: onclick="window.{MARK}=5" }}',
    "snippet": f"--8<-- '/etc/passwd' {MARK}",
    "pipe": f"a | b | {MARK} | c",
    "jinja": f"{{{{ config }}}} {{% raw %}} {MARK}",
    "quote": f'"><svg onload=window.{MARK}=6>',
}


def plant_program(archive: Path, module: str, ran: Path) -> None:
    """A ``generator/site/<module>.py`` committed to ``archive`` that leaves ``ran`` behind if Python runs it (and
    prints a count, as the joining's output is read): a process the build starts with ``python -m`` from the
    archive would run it, as Python puts the working folder first on its path."""
    planted = archive / "generator" / "site"
    planted.mkdir(parents=True)
    for folder in (planted.parent, planted):
        (folder / "__init__.py").write_text("")
    (planted / f"{module}.py").write_text(f"open({str(ran)!r}, 'w').write('planted code ran')\nprint(1)\n")


def with_site(root: Path, language: str = "zh-Hant", *translations: str) -> Path:
    """The site files of a test archive, in ``language`` (and its ``translations``, each at ``site/<language>/``)."""
    for rel, content in site_files({x: f"測試檔案庫 Test archive ({x})" for x in (language, *translations)}).items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return root


def plugin_option(root: Path, option: str) -> None:
    """``option`` (``name: value``) added to the order-archive plugin's options in the archive's mkdocs.yml."""
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("translations:", f"{option}\n      translations:", 1), encoding="utf-8")


def inject(root: Path) -> None:
    """Put every payload into the free text of records of every kind."""
    p = PAYLOADS
    o5 = f"{dossier('ORD-2026-0005')}/order.yaml"
    edit(
        root,
        o5,
        lambda d: (
            d["intake"]["client"].update(name=p["script"], contact=p["img"]),
            d["intake"].update(project_name=p["link"], service_content=p["attr"] + "\n" + p["snippet"] + "\n# " + p["jinja"]),
            d["work_plan"]["tasks"][0].update(title=p["pipe"]),
            d["attachments"][0].update(title=p["quote"]),
        ),
    )
    d3 = dossier("ORD-2026-0003")
    edit(root, f"{d3}/changes/CR-2026-0003-01.yaml", lambda d: d.update(title=p["autolink"], reason=p["script"], impact=p["pipe"]))
    edit(root, f"{d3}/quality/QC-2026-0003-01.yaml", lambda d: d.update(standard=p["img"]))
    edit(root, f"{d3}/delivery.yaml", lambda d: d["documents"][1].update(title=p["link"]))
    edit(root, "records/archive/borrowing/BR-2026-0001.yaml", lambda d: d.update(purpose=p["quote"] + "\n" + p["attr"]))


def hostile_archive(root: Path, files: dict[str, bytes]) -> Path:
    """The demo ``files`` with every payload injected, ready to build."""
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content)
    with_site(root, "zh-Hant", "en")
    inject(root)
    return root


def build(root: Path, strict: bool = False):
    return build_site(root, strict=strict, today=TODAY)


def built_demo(folder: Path) -> Path:
    """The 12-order demo (its whole reviewed history) in ``folder``/demo, built once: tests start from copies of it."""
    root = folder / "demo"
    write_repository(root, 12, seed=2)
    build_site(root, today=TODAY)
    return root


def copy_built(built: Path, folder: Path) -> Path:
    """A copy of a built demo, with its caches and site: new files (new inodes), as a CI cache restores them."""
    root = folder / "demo"
    shutil.copytree(built, root, symlinks=True, ignore=shutil.ignore_patterns(".site.*"))  # not a replaced site being removed
    return root
