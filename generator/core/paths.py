"""Where the program's own files are: the templates, the schemas and the editor settings beside the packages.

They are read from the source tree (the program is installed editable), so
every module finds them through this one place instead of counting parent folders.
"""

from __future__ import annotations

from pathlib import Path

PROGRAM = Path(__file__).resolve().parents[2]
TEMPLATES = PROGRAM / "templates"
JSON_SCHEMAS = PROGRAM / "schemas" / "json"
EDITOR_SETTINGS = PROGRAM / ".vscode" / "settings.json"
