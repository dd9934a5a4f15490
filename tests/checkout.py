"""This checkout as a clone of it would have it: the files git tracks, nothing a developer left beside them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tracked_copy(to: Path, checkout: Path = ROOT) -> Path:
    """The files git tracks in ``checkout``, as they are in its work tree, copied to ``to``: what a clean clone
    installs, so a test neither depends on nor writes into what is lying in the developer's checkout."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=checkout, capture_output=True, check=False)
    if listed.returncode != 0:  # not a git checkout (an unpacked release): as it is
        return checkout
    for name in listed.stdout.decode().split("\0"):
        source = checkout / name
        if name and source.is_file():
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, to / name)
    return to
