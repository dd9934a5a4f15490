"""The files that make a folder of records a site: mkdocs.yml and the static extras.

Used by ``orders demo`` (and for new archives); plain text, no MkDocs import.
"""

from __future__ import annotations

from .render import TEMPLATES

ROBOTS = b"# An internal archive: not for search engines.\nUser-agent: *\nDisallow: /\n"


def mkdocs_yml(site_name: str, language: str = "zh-Hant") -> str:
    text = (TEMPLATES / "archive-mkdocs.yml").read_text(encoding="utf-8")
    return text.replace("{site_name}", site_name.replace('"', "'")).replace("{language}", language)


def site_files(site_name: str, language: str = "zh-Hant") -> dict[str, bytes]:
    """``{path: content}`` to add to an archive so that ``mkdocs build`` works in it."""
    return {"mkdocs.yml": mkdocs_yml(site_name, language).encode(), "records/.site/robots.txt": ROBOTS}
