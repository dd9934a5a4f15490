"""Where the program's own files are (the templates, the schemas and the editor settings beside the packages),
and where it keeps what it writes for an archive.

The program's files are read from the source tree (the program is installed editable), so
every module finds them through this one place instead of counting parent folders.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

PROGRAM = Path(__file__).resolve().parents[2]
TEMPLATES = PROGRAM / "templates"
JSON_SCHEMAS = PROGRAM / "schemas" / "json"
EDITOR_SETTINGS = PROGRAM / ".vscode" / "settings.json"


def local_folder(root: Path, name: str) -> Path:
    """A folder for what the program keeps for an archive (caches, the published head): inside the archive's git
    directory, which no commit can write into or point elsewhere. In the work tree a committed file there would
    be read as the program's own (a forged history cache, a forged published head) and a committed symlink
    would send what the program writes into ``records/``. An archive outside git keeps it under ``.cache/``."""
    dot_git = root / ".git"
    if dot_git.is_dir():
        return dot_git / name
    if dot_git.is_file():  # a linked worktree or a submodule: "gitdir: <its git directory>"
        with contextlib.suppress(OSError, UnicodeDecodeError):
            text = dot_git.read_text(encoding="utf-8").strip()
            if text.startswith("gitdir: "):
                return (root / text.removeprefix("gitdir: ")).resolve() / name
    return root / ".cache" / name
