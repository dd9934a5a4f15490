"""The files that make a folder of records a site: mkdocs.yml and the static extras.

Used by ``orders demo`` (and for new archives); plain text, no MkDocs import.
"""

from __future__ import annotations

from generator.core.paths import EDITOR_SETTINGS, TEMPLATES

ARCHIVE_SCHEMAS = "records/.schemas"
ROBOTS = b"# An internal archive: not for search engines.\nUser-agent: *\nDisallow: /\n"


def mkdocs_yml(names: dict[str, str]) -> str:
    """``names``: the site's name in each language it is published in, the first at ``site/``,
    each other one at ``site/<language>/`` (a translation)."""
    (language, site_name), *others = names.items()
    translations = "".join(f'\n        {other}: "{_quoted(name)}"' for other, name in others) or " {}"
    text = (TEMPLATES / "archive-mkdocs.yml").read_text(encoding="utf-8")
    return text.replace("{site_name}", _quoted(site_name)).replace("{language}", language).replace("{translations}", translations)


def _quoted(name: str) -> str:
    return name.replace("\\", "/").replace('"', "'")


def site_names(company_zh: str, company_en: str, language: str = "zh-Hant") -> dict[str, str]:
    """Both editions of a company's archive, ``language`` first."""
    names = {"zh-Hant": f"{company_zh} 訂單檔案庫", "en": f"{company_en} Order Archive"}
    return {language: names[language], **names}


def site_files(names: dict[str, str]) -> dict[str, bytes]:
    """``{path: content}`` to add to an archive so that ``mkdocs build`` works in it, and editors
    validate records against the JSON Schemas (the files ``orders new`` points its modeline at)."""
    from schemas.export import json_schemas

    files = {"mkdocs.yml": mkdocs_yml(names).encode(), "records/.site/robots.txt": ROBOTS}
    # Not a top-level schemas/: in an archive that name would shadow this program's own package.
    files.update((f"{ARCHIVE_SCHEMAS}/{name}", text.encode()) for name, text in json_schemas().items())
    settings = EDITOR_SETTINGS.read_text(encoding="utf-8")
    files[".vscode/settings.json"] = settings.replace("./schemas/json/", f"./{ARCHIVE_SCHEMAS}/").encode()
    return files
