"""A search bundle's manifest: the key it was made for, and each file's size, time, hash and identity.

A bundle is sealed once written (``seal_bundle``) and trusted again only while its files are as sealed
(``bundle_fits``): a file emptied or cut short by a killed build is never published. Its own module, of the
standard library alone, so that the joining process (``searchmerge``) seals what it joined without importing
the rest of the site's cache (its key reads git: 0.07 s more of the process, at the very end of a merge's build).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

KEY_FILE = ".inputs-key"


def seal_bundle(bundle: Path, key: str, sources: Iterable[Path] = ()) -> None:
    """Write the bundle's manifest: the key it was made for, then each file's path, size, time, hash and identity
    (device and inode).

    ``sources``: sealed bundles this one's files were linked from (a joined bundle's parts and the last joined
    bundle). A file that is one of theirs — the very file their manifest sealed, by device and inode, still at the
    size and time it gives, the quick check ``bundle_fits`` makes — takes its hash from their manifest instead of
    being read again: a merged pull request's joined bundle links all but a few of its 20,000 files, and reading
    them took 1.4–1.7 s an edition at 10,000 orders, at the end of the build."""
    known = _sealed_files(sources)
    lines = [
        f"{name}\t{size}\t{time}\t{known.get((identity, size, time)) or _sha1(bundle / name)}\t{identity[0]}:{identity[1]}"
        for name, size, time, identity in _listing(bundle, identities=True)
    ]
    (bundle / KEY_FILE).write_text("\n".join([key, *lines]) + "\n", encoding="utf-8")


def _sealed_files(bundles: Iterable[Path]) -> dict[tuple[tuple[int, int], int, int], str]:
    """The hash of every file of ``bundles``' manifests, by the device and inode, size and time it was sealed at.

    Nothing is asked of the files themselves: a file found later at that identity, size and time is the one
    sealed, unchanged as far as the quick check can tell (each source asked again took 0.35 s an edition at
    10,000 orders). A manifest that cannot be read, or has a row of another shape, gives nothing."""
    known = {}
    for bundle in bundles:
        try:
            _key, rows = _manifest(bundle)
            sealed = {}
            for _name, size, time, digest, identity in rows:
                device, _, inode = identity.partition(":")
                sealed[((int(device), int(inode)), int(size), int(time))] = digest
        except (OSError, UnicodeDecodeError, ValueError):  # the whole manifest, or none of it
            continue
        known.update(sealed)
    return known


def bundle_fits(bundle: Path, key: str) -> bool:
    """A previous search bundle is reused only for the same key and only while every file is as it was
    written: a file emptied or cut short by a killed build is never published again.

    A file whose size and modification time are those of the manifest is taken as written (the quick check rsync
    makes: a merge's build asks this of 22,000 files twice, and reading them all took 0.8 s a time, 25 s with the
    files out of memory); any other is read and hashed, so a cache restored with new times (``actions/cache``)
    still fits. A bundle holding a symbolic link never fits."""
    try:
        stored_key, written = _manifest(bundle)
        if stored_key != key:
            return False
        listing = _listing(bundle)
        if [row[0] for row in written] != [name for name, _, _ in listing]:
            return False
        for (name, size, time, digest, _identity), (_, now_size, now_time) in zip(written, listing, strict=True):
            if (size, time) != (str(now_size), str(now_time)) and (size != str(now_size) or _sha1(bundle / name) != digest):
                return False
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return True


def sealed_size(bundle: Path) -> int | None:
    """The bytes of a sealed bundle's files as its manifest lists them, the manifest's own included; None where it
    has no manifest to read. What ``orders build`` reports: looking at every file of both editions' bundles
    (21,800 at 10,000 orders) took 0.2 s after the site was in place."""
    try:
        _key, rows = _manifest(bundle)
        return (bundle / KEY_FILE).stat().st_size + sum(int(row[1]) for row in rows)
    except (OSError, UnicodeDecodeError, ValueError, IndexError):
        return None


def bundle_signature(bundle: Path) -> tuple | None:
    """What changes whenever a file of the bundle is added, removed, renamed or replaced, or its manifest written
    again: the inode and modification time of the bundle's folder and of each folder in it (Pagefind's bundles
    nest one deep), and the manifest's size, time and inode. A file written over in place changes none of it,
    and nothing of this program writes into a sealed part of the search index (``PartedIndex`` seals a part
    before it is renamed into place). None where the bundle holds a symbolic link or cannot be looked at."""
    try:
        about = os.stat(bundle, follow_symlinks=False)
        found = [("", about.st_ino, about.st_mtime_ns)]
        with os.scandir(bundle) as listed:
            for item in listed:
                if item.is_symlink():
                    return None
                if item.is_dir(follow_symlinks=False):
                    inner = item.stat(follow_symlinks=False)
                    found.append((item.name, inner.st_ino, inner.st_mtime_ns))
        manifest = os.stat(bundle / KEY_FILE, follow_symlinks=False)
    except OSError:
        return None
    return (*sorted(found), (manifest.st_ino, manifest.st_size, manifest.st_mtime_ns))


def _manifest(bundle: Path) -> tuple[str | None, list[list[str]]]:
    """The key a bundle was sealed for (None: no line at all) and its rows [path, size, time, hash, identity] as written."""
    stored = (bundle / KEY_FILE).read_text(encoding="utf-8").splitlines()
    return (stored[0] if stored else None), [line.split("\t") for line in stored[1:]]


def _listing(bundle: Path, identities: bool = False) -> list[tuple]:
    """Every file of the bundle but its manifest, sorted: path within it, size, modification time (ns) and, with
    ``identities``, (device, inode). ValueError for a symbolic link."""
    found = []
    folders = [("", str(bundle))]
    while folders:
        prefix, folder = folders.pop()
        with os.scandir(folder) as listed:
            for item in listed:
                if item.is_symlink():  # never Pagefind's: a link is neither followed nor published
                    raise ValueError(f"{item.path} is a symbolic link")
                if item.is_dir():
                    folders.append((f"{prefix}{item.name}/", item.path))
                elif item.name != KEY_FILE and item.is_file():
                    about = item.stat()
                    found.append((prefix + item.name, about.st_size, about.st_mtime_ns, *([(about.st_dev, about.st_ino)] if identities else [])))
    return sorted(found)


def _sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()
