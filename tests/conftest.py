"""Shared fixtures: a small valid archive to break on purpose, and the golden-file switch."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.demo.archive import demo_files

GOLDEN = Path(__file__).parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files; review with git diff")


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """Compare text with ``tests/golden/NAME``; with --update-golden, rewrite it instead."""
    update = request.config.getoption("--update-golden")

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8"))  # byte for byte: a CSV's CRLF stays CRLF
            return
        assert path.is_file(), f"missing golden file {path}; run pytest --update-golden"
        assert text == path.read_bytes().decode("utf-8")

    return check


@pytest.fixture(scope="session")
def small_demo() -> dict[str, bytes]:
    return demo_files(10, seed=7)


@pytest.fixture
def archive(tmp_path: Path, small_demo: dict[str, bytes]) -> Path:
    """A valid demo archive of 10 orders in a temporary folder, ready to be broken."""
    for rel, content in small_demo.items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return tmp_path
