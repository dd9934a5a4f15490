"""Read every record file under ``records/`` into parsed documents with positions.

Loading never stops at a bad file: each file either becomes a ``Source`` or
yields the problems that explain why it could not be read. Files in the
wrong place, symlinks and stray files are reported too, so nothing in the
archive is silently ignored.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.core import cachefile
from generator.core.problems import Problem, Severity, UserError
from generator.records import safeyaml
from generator.records.layout import EXPECTED_LAYOUT, RECORDS_DIR, Place, is_attachment, is_attachments_folder, place_of

IGNORED_NAMES = frozenset({".gitkeep", ".DS_Store", "Thumbs.db", "README.md"})
REQUIRED = ("organization.yaml", "policy.yaml")


@dataclass(frozen=True, slots=True)
class Source:
    """One parsed record file. ``path`` is relative to the archive root, with ``/``.

    The raw bytes are kept while the file is validated, so that a problem can be placed at its field
    (``safeyaml.locate``); a validated record keeps only their ``digest``.
    """

    path: str
    place: Place
    raw: bytes
    data: dict[str, Any]
    sha1: bytes | None = None
    """The SHA-1 of ``raw`` when the reader has it already (``read_files``)."""

    @property
    def digest(self) -> bytes:
        return self.sha1 if self.sha1 is not None else hashlib.sha1(self.raw).digest()


class ChangedWhileChecked(UserError):
    """A record file is no longer the bytes that were checked, so no problem can be placed in it."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path} changed while the archive was being checked: check it again")
        self.path = path


def read_again(root: Path, path: str, digest: bytes) -> bytes:
    """The bytes of the record file at ``path`` (from ``root``) that were checked, read again: the file as it is
    now, when it is still those bytes by their SHA-1, else ``ChangedWhileChecked`` (a problem placed in another
    text would point at the wrong line, in silence)."""
    try:
        raw = read_bounded(root / path)
    except OSError:
        raise ChangedWhileChecked(path) from None
    if hashlib.sha1(raw).digest() != digest:
        raise ChangedWhileChecked(path)
    return raw


def records_dir(root: Path) -> Path:
    """The ``records/`` folder of an archive, or a clean error saying what is wrong."""
    folder = root / RECORDS_DIR
    if not folder.is_dir():
        raise UserError(f"{root} is not an order archive: it has no {RECORDS_DIR}/ folder")
    return folder


FOLDERS_CACHE = "folders.marshal"
_FOLDERS_VERSION = 1

FILE, FOLDER, LINK, OTHER = range(4)
"""What an entry of a folder is, as ``os.scandir`` tells without following it: a regular file, a folder, a symbolic
link (what it points at is asked each time: another path's change can change it), or anything else."""

Listing = list[tuple[str, int]]
"""A folder's entries, (name, kind), in name order."""


class Folders:
    """Each folder's entries, as listed the last time where the folder's times say it is unchanged since.

    Listing the archive's 31,000 folders was 0.3 s of every build at 10,000 orders, and listing its dossiers'
    attachments again 0.2 s; looking at a folder's times is a tenth of listing it. A folder's changed time is set
    by the system whenever an entry is added, removed or renamed in it (a file turned into a link or a folder is
    one removed and one added), never to what a program asks; as for the files (``read_files``), a folder whose
    times are within ``SETTLED_NS`` of the listing is listed again next time. Kept in the archive's cache folder
    (``folders.marshal``) by the folder's path from the archive, so a moved archive keeps it."""

    def __init__(self, root: Path) -> None:
        self.base = os.fspath(root)
        self.cache = cachefile.folder(root) / FOLDERS_CACHE
        self.earlier: dict[str, tuple[tuple[int, int, int, int], Listing]] = {}
        if KNOWS_CHANGES:
            stored = cachefile.read(self.cache, _FOLDERS_VERSION, "")
            self.earlier = stored if type(stored) is dict else {}
        self.listed: dict[str, tuple[tuple[int, int, int, int], Listing]] = {}  # this time's, each folder listed once
        self.settled = time.time_ns() - SETTLED_NS

    def entries(self, rel: str) -> Listing:
        """The entries of the folder at ``rel`` (from the archive's root, with ``/``); FileNotFoundError and the
        like as ``os.scandir`` raises them."""
        listed = self.listed.get(rel)
        if listed is not None:  # looked at once for this reading: the walk and the attachments' scan both list a dossier
            return listed[1]
        path = f"{self.base}/{rel}"
        stat = os.lstat(path)
        times = (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev)
        known = self.earlier.get(rel)
        if not (known is not None and type(known) is tuple and len(known) == 2 and known[0] == times and type(known[1]) is list):
            with os.scandir(path) as scan:
                known = (times, sorted((entry.name, _kind(entry)) for entry in scan))
        self.listed[rel] = known
        return known[1]

    def save(self) -> None:
        """The listings whose folders' times were settled when looked at: the others are listed again next time."""
        now = {rel: known for rel, known in self.listed.items() if known[0][0] < self.settled and known[0][1] < self.settled}
        if KNOWS_CHANGES and now != self.earlier:
            cachefile.write(self.cache, _FOLDERS_VERSION, "", now)


def _kind(entry: os.DirEntry) -> int:
    if entry.is_symlink():
        return LINK
    if entry.is_dir(follow_symlinks=False):
        return FOLDER
    return FILE if entry.is_file(follow_symlinks=False) else OTHER


def find_files(root: Path, folders: Folders | None = None) -> tuple[list[tuple[str, Place]], list[Problem]]:
    """Every record file under ``records/`` (sorted), and problems with the folder's layout. ``folders``: the
    listings to look in and keep, saved by the caller; else read and saved here."""
    base = records_dir(root)
    found: list[tuple[str, Place]] = []
    problems: list[Problem] = []
    listings = folders or Folders(root)
    _walk(listings, str(base), "", found, problems)
    if folders is None:
        listings.save()
    for name in REQUIRED:
        if not (base / name).is_file():
            problems.append(_layout(name, "missing", f"the archive needs {RECORDS_DIR}/{name}", f"檔案庫須有 {RECORDS_DIR}/{name}"))
    return found, problems


MAX_FOLDER_DEPTH = 12
"""records/orders/2026/ORD-2026-0001/attachments/… is five deep; past this a tree is refused, never walked."""


def _walk(folders: Folders, top: str, rel_top: str, found: list[tuple[str, Place]], problems: list[Problem]) -> None:
    """Each folder's files in name order, then its subfolders, depth first — with a stack, not recursion, so no
    tree is too deep to report. Each folder's entries come with their kinds (``Folders``), so nothing but a
    regular file is ever opened."""
    stack = [rel_top]
    while stack:
        rel_folder = stack.pop()
        if rel_folder.count("/") >= MAX_FOLDER_DEPTH:
            problems.append(_layout(rel_folder.rstrip("/"), "too-deep", _TOO_DEEP, _TOO_DEEP_ZH))
            continue
        subfolders = []
        for name, kind in folders.entries(f"{RECORDS_DIR}/{rel_folder}".rstrip("/")):
            rel = rel_folder + name
            if kind == LINK and os.path.isdir(f"{top}/{rel}"):
                problems.append(_layout(rel, "symlink", "symbolic links are not allowed in the archive", "檔案庫中不得有符號連結"))
            elif kind == FOLDER:
                if rel == SITE_FOLDER:
                    problems += _site_symlinks(f"{top}/{rel}", rel)
                elif not name.startswith(".") and not is_attachments_folder(rel):
                    subfolders.append(f"{rel}/")
            elif name in IGNORED_NAMES or name.startswith(".") or is_attachment(rel):
                continue
            elif kind == LINK:
                problems.append(_layout(rel, "symlink", "symbolic links are not allowed in the archive", "檔案庫中不得有符號連結"))
            elif kind == OTHER:
                problems.append(
                    _layout(
                        rel,
                        "special-file",
                        "not a regular file (a named pipe, socket or device): never opened",
                        "並非一般檔案（具名管道、socket 或裝置）：不予開啟",
                    )
                )
            else:
                place, problem = _verdict(rel, name)  # a name file_verdict would ignore went on above
                if place is not None:
                    found.append((f"{RECORDS_DIR}/{rel}", place))
                elif problem is not None:
                    problems.append(problem)
        stack.extend(reversed(subfolders))


def file_verdict(rel: str) -> tuple[Place | None, Problem | None]:
    """What a regular file at ``rel`` (below records/) is: a record's place, a problem, or neither (a file the
    archive ignores: .gitkeep, dotted folders, attachments). One answer for the whole walk and the pre-commit hook."""
    name = rel.rsplit("/", 1)[-1]
    if name in IGNORED_NAMES or any(part.startswith(".") for part in rel.split("/")) or is_attachment(rel):
        return None, None
    return _verdict(rel, name)


def _verdict(rel: str, name: str) -> tuple[Place | None, Problem | None]:
    if (place := place_of(rel)) is not None:
        return place, None
    if name.endswith(".yml"):
        return None, _layout(rel, "extension", "record files end in .yaml, not .yml", "記錄檔副檔名為 .yaml，而非 .yml")
    if name.endswith(".yaml"):
        return None, _layout(rel, "unknown-path", f"no record kind lives at this path; {EXPECTED_LAYOUT}", f"此路徑不屬任何記錄類型；{EXPECTED_LAYOUT}")
    return None, _layout(
        rel,
        "stray-file",
        "not a record; attachments belong in a dossier's attachments/ folder",
        "並非記錄；附件應置於檔案夾之 attachments/ 中",
        Severity.WARNING,
    )


SITE_FOLDER = ".site"
"""``records/.site/``: MkDocs' docs_dir, static files published as they are (robots.txt, logos)."""


def _site_symlinks(top: str, rel_top: str) -> list[Problem]:
    """Every symbolic link among the site's static files: the build would publish what it points at."""
    found = []
    stack = [(top, rel_top)]
    while stack:
        folder, rel_folder = stack.pop()
        if rel_folder.count("/") >= MAX_FOLDER_DEPTH:
            found.append(_layout(rel_folder, "too-deep", _TOO_DEEP, _TOO_DEEP_ZH))
            continue
        with os.scandir(folder) as scan:
            for entry in sorted(scan, key=lambda e: e.name):
                rel = f"{rel_folder}/{entry.name}"
                if entry.is_symlink():
                    found.append(
                        _layout(
                            rel,
                            "symlink",
                            "symbolic links are not allowed in the archive: the site would publish what it points at",
                            "檔案庫中不得有符號連結：網站會發布其所指之檔案",
                        )
                    )
                elif entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, rel))
    return found


_TOO_DEEP = f"folders nest more than {MAX_FOLDER_DEPTH} deep here; nothing below is read"
_TOO_DEEP_ZH = f"此處資料夾超過 {MAX_FOLDER_DEPTH} 層；其下不予讀取"


def _layout(rel: str, rule: str, message: str, zh: str, severity: Severity = Severity.ERROR) -> Problem:
    return Problem(f"{RECORDS_DIR}/{rel}", 1, 1, f"layout.{rule}", message, severity=severity, message_zh=zh)


File = tuple[str, Place, bytes | None, bytes]
"""A record file as read: its path, its place, its bytes — None where the file is known unchanged since it was
read last (``read_files``) — and their SHA-1."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The archive's record files (each with its SHA-1, and its bytes unless known unchanged) and attachments, as
    read at one moment.

    The site build keys its cache with these digests, and whatever it parses is these bytes — read again for a
    file known unchanged, and refused if they are not the same (``read_again``) —, so cached pages always match
    the key they are stored under.
    """

    files: list[File]
    problems: list[Problem]  # with the folder's layout
    attachments: dict[str, dict[str, bool]]


def read_archive(root: Path) -> Snapshot:
    folders = Folders(root)
    files, problems = read_files(root, folders)
    attachments = scan_attachments(root, folders)
    folders.save()
    return Snapshot(files, problems, attachments)


FILES_CACHE = "files.marshal"
_FILES_VERSION = 1

SETTLED_NS = 2_000_000_000
"""A file whose times are this close to the moment it was looked at is read again next time, whatever its times
then: a file system's clock ticks coarsely, and a file written twice in one tick keeps the first write's time."""

KNOWS_CHANGES = os.name == "posix"
"""Whether a file's changed time is the system's (POSIX): on Windows ``st_ctime`` is when the file was made, which
an edit keeps, so every file is read every time there."""

Seen = tuple[tuple[int, int, int, int, int], bytes]
"""What ``read_files`` keeps of a file it read: (modified and changed times in ns, size, inode, device), SHA-1."""


def read_files(root: Path, folders: Folders | None = None) -> tuple[list[File], list[Problem]]:
    """Every record file, read unless it is known unchanged since the last time: the same modified and changed
    times, size, inode and device as then, both times older than the reading then by ``SETTLED_NS``. A file's
    changed time is set by the system at every write, rename or change of its times, never to what a program
    asks, so no edit keeps it (git does the same, ``racy-git``). At 10,000 orders reading the 40,777 files
    and hashing their bytes was 0.5 s of every build after a merge; looking at them is 0.14 s."""
    found, problems = find_files(root, folders)
    base = os.fspath(root)
    cache = cachefile.folder(root) / FILES_CACHE
    earlier: dict[str, Seen] = (cachefile.read(cache, _FILES_VERSION, "") or {}) if KNOWS_CHANGES else {}
    settled = time.time_ns() - SETTLED_NS
    files: list[File] = []
    seen: dict[str, Seen] = {}
    for path, place in found:
        full = f"{base}/{path}"
        try:
            stat = os.lstat(full)
            times = (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino, stat.st_dev)
        except OSError:
            times = None
        known = earlier.get(path)
        if known is not None and type(known) is tuple and len(known) == 2 and known[0] == times and type(known[1]) is bytes:
            files.append((path, place, None, known[1]))
            seen[path] = known
            continue
        data = read_bounded(full)
        digest = hashlib.sha1(data).digest()
        files.append((path, place, data, digest))
        if times is not None and times[0] < settled and times[1] < settled and times[2] == len(data):
            seen[path] = (times, digest)
    if seen != earlier and KNOWS_CHANGES:
        cachefile.write(cache, _FILES_VERSION, "", seen)
    return files, problems


def read_bounded(path: str | os.PathLike[str]) -> bytes:
    """A record file's bytes, at most one more than ``safeyaml.MAX_BYTES``: an oversized file is refused unread.

    Read at the file's size: a buffer of the bound for each file, shrunk afterwards, left the heap in pieces
    (112 MB more at 10,000 orders). A file that grows while it is read is read on, up to the bound. Read with
    the system's calls on a path given as text: a Python file object and a ``Path`` for each file took twice
    as long (0.75 against 0.34 s for 40,777 files at 10,000 orders)."""
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        size = os.fstat(handle).st_size
        data = os.read(handle, min(size, safeyaml.MAX_BYTES) + 1)
        if len(data) != size:  # it grew or shrank since, or the system read less: on to its end or the bound
            parts, length = [data], len(data)
            while length <= safeyaml.MAX_BYTES and (more := os.read(handle, safeyaml.MAX_BYTES + 1 - length)):
                parts.append(more)
                length += len(more)
            data = b"".join(parts)
    finally:
        os.close(handle)
    return data


def load_records(root: Path, snapshot: Snapshot | None = None) -> tuple[list[Source], list[Problem]]:
    """Parse every record file of the archive at ``root``, or of a snapshot already read from it."""
    problems: list[Problem] = []
    sources = list(parse_records(root, snapshot, problems))
    return sources, problems


def parse_records(root: Path, snapshot: Snapshot | None, problems: list[Problem]) -> Iterator[Source]:
    """Each record file of the archive at ``root`` (or of a snapshot read from it) parsed, one at a time, so that
    a caller that validates each in turn never holds every parsed document at once (118 MB at 10,000 orders).
    The problems found on the way are added to ``problems``. A snapshot's files are handed over: each file's
    bytes are let go of once the caller is done with its document (the snapshot's list is emptied). A check
    takes most records' models from the last run instead (``validated``)."""
    files, found = (snapshot.files, snapshot.problems) if snapshot else read_files(root)
    problems.extend(found)
    files.reverse()  # taken from the end, each in turn
    while files:
        path, place, data, digest = files.pop()
        if data is None:
            data = read_again(root, path, digest)
        document, found = safeyaml.parse(data, path)
        problems.extend(found)
        if document is not None:
            yield Source(path, place, data, document, digest)


def scan_attachments(root: Path, folders: Folders | None = None) -> dict[str, dict[str, bool]]:
    """Per order id, the files under its ``attachments/`` folder (by name) and whether each stays inside the archive.

    A symbolic link that resolves outside ``records/`` counts as leaving it,
    so no record can make the site expose another file of the server. Only
    links are resolved, every time (what a link reaches can change with
    another path): a large archive has tens of thousands of plain files, and
    each folder's listing tells each entry's kind (``Folders``). ``folders``:
    the listings to look in and keep, saved by the caller; else read and saved
    here.
    """
    base = records_dir(root).resolve()
    listings = folders or Folders(root)
    out: dict[str, dict[str, bool]] = {}
    for year in _subfolders(listings, f"{RECORDS_DIR}/orders"):
        for dossier in _subfolders(listings, year):
            if ("attachments", FOLDER) in listings.entries(dossier):
                out[dossier.rsplit("/", 1)[-1]] = _attachment_files(listings, f"{dossier}/attachments", base)
    if folders is None:
        listings.save()
    return out


def _attachment_files(folders: Folders, folder: str, base: Path) -> dict[str, bool]:
    """The files of one ``attachments/`` folder and its subfolders, by name in order: a linked folder is never
    walked into nor listed, a pipe, socket or device never listed, and no tree walked deeper than the archive allows."""
    files: dict[str, bool] = {}
    stack = [(folder, "", 0)]
    while stack:
        current, rel, depth = stack.pop()
        for entry, kind in folders.entries(current):
            name = rel + entry
            if kind == LINK:
                path = f"{folders.base}/{current}/{entry}"
                if not os.path.isdir(path):  # a link to a file (or to nothing): listed, inside only if it resolves inside
                    target = Path(path).resolve()
                    files[name] = target.is_relative_to(base) and target.exists()
            elif kind == FOLDER:
                if depth < MAX_FOLDER_DEPTH:
                    stack.append((f"{current}/{entry}", f"{name}/", depth + 1))
            elif kind == FILE:
                files[name] = True
    return dict(sorted(files.items()))


def _subfolders(folders: Folders, rel: str) -> list[str]:
    try:
        return [f"{rel}/{name}" for name, kind in folders.entries(rel) if kind == FOLDER]
    except FileNotFoundError:
        return []
