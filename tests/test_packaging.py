"""What `pip install` makes of this checkout: every module and schema file in the wheel, found without walking
folders that are not packages (a developer's checkout holds gigabytes git ignores: bench archives, built sites)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from checkout import tracked_copy
from setuptools.config.pyprojecttoml import read_configuration

PACKAGES = ("generator", "schemas")


def _shipped(root: Path) -> set[str]:
    """The tracked files a wheel must hold: every module and every JSON Schema of the two packages."""
    return {
        p.relative_to(root).as_posix() for top in PACKAGES for p in (root / top).rglob("*") if p.suffix in (".py", ".json") and "__pycache__" not in p.parts
    }


def test_every_folder_of_python_code_is_a_package(tmp_path):
    """Packages are found by their __init__.py: a folder of modules without one would be left out of the wheel."""
    root = tracked_copy(tmp_path / "checkout")
    folders = {p.parent for top in PACKAGES for p in (root / top).rglob("*.py")}
    assert [f for f in folders if not (f / "__init__.py").is_file()] == []


@pytest.mark.filterwarnings("ignore:Support for `\\[tool.setuptools\\]`")  # setuptools < 68 (this machine) calls it beta
def test_finding_the_packages_walks_no_folder_outside_them(tmp_path, monkeypatch):
    root = tracked_copy(tmp_path / "checkout")
    for junk in ("bench/out/repo-10000/records/orders/2024/x", "site/orders/2024/OA-2024-0001", "node_modules/a/b"):
        (root / junk).mkdir(parents=True)
        (root / junk / "page.html").write_text("<p>", encoding="utf-8")
    walked: list[Path] = []
    real_walk = os.walk

    def walk(top, *args, **kwargs):
        for step in real_walk(top, *args, **kwargs):
            walked.append(Path(step[0]).resolve())
            yield step

    monkeypatch.setattr(os, "walk", walk)
    packages = read_configuration(root / "pyproject.toml", expand=True)["tool"]["setuptools"]["packages"]
    outside = [w for w in walked if w != root.resolve() and w.relative_to(root.resolve()).parts[0] not in PACKAGES]
    assert outside == []
    assert sorted(packages) == sorted({p.parent.relative_to(root).as_posix().replace("/", ".") for top in PACKAGES for p in (root / top).rglob("__init__.py")})


def test_the_wheel_holds_every_module_and_schema(tmp_path):
    root = tracked_copy(tmp_path / "checkout")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp_path / "wheel"), str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheel").glob("order_archive-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert _shipped(root) - names == set()
