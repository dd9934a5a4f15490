"""Reading git: the main line's commits with their file changes, in one pass, trusting no byte of it.

Per-file logs cost about 1.8 s a file here (2.5 hours for an archive); one
``git log --first-parent -m --raw`` reads every record change at once, and one
``git rev-list --header`` every commit of the graph as its object holds it (a
record is used only when it hashes to its commit's id; any other commit is read
with ``git cat-file``). Only hex ids and NUL-separated paths come from git's
formatting; names, e-mails, dates, messages and trailers are parsed from the
objects themselves, so nothing written into a commit can split it, invent a
parent, a trailer, a date or a signature status. What is not as git writes it
becomes a fault the approvals report; git failing stops the read.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import marshal
import multiprocessing
import os
import re
import subprocess
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from sys import intern

import git
from git.compat import safe_decode

from generator.core.memory import collector_paused
from generator.core.processes import can_fork, die_with_parent, start_helper
from generator.records.layout import RECORDS_DIR
from generator.trail.commits import Commit, FileChange, Identity, NotOnMainLine, UnreadableHistory
from generator.trail.repo import HEX
from generator.trail.rules import ORGANIZATION, POLICY, RULE_FILES, Blobs, read_model
from generator.trail.signatures import SSH_SIGNATURE, verify, verify_platforms


def read_changes(
    repo: git.Repo, revisions: str, first_parent: bool = True, limit: tuple[str, ...] | list[str] = (), shas: list[str] | None = None
) -> list[tuple[str, list[FileChange]]]:
    """Commits in ``revisions`` (the first-parent line, or all of them) that change ``records/``, newest first,
    with their file changes (against the first parent; of a merge among all commits, only its own changes).
    With ``shas``, exactly those commits (``revisions`` is ignored).

    The format holds nothing but the commit id, so no message, name or path can be read as another
    field: after ``-z`` every token is a hex id, a ``:meta`` entry, or the path that follows one.
    """
    # No path limit: git would diff every commit twice (measured 5.7 s against 3.3 s for 45,000 merges);
    # commits that touch nothing under records/ are dropped below instead.
    # All commits: a merge shows what it changed itself beyond merging its parents (git merges them again).
    line = ["--first-parent", "-m"] if first_parent else ["--diff-merges=remerge"]
    args = ["git", "log", *line, *limit, "--raw", "--no-abbrev", "--no-renames", "-z", "--format=%H"]
    out = _git(repo, [*args, revisions] if shas is None else [*args, "--no-walk=unsorted", "--stdin"], "".join(f"{sha}\n" for sha in shas or ()))
    found: list[tuple[str, list[FileChange]]] = []
    changes: list[FileChange] | None = None
    tokens = out.split(b"\0")
    i = 0
    while i < len(tokens):
        token = tokens[i].lstrip(b"\n")
        i += 1
        if token.startswith(b":"):  # a raw entry; the next token is its path, whatever it looks like
            path = intern(tokens[i].decode("utf-8", "replace")) if i < len(tokens) else ""  # one string a path (marshal keeps it so)
            i += 1
            _, _, old, new, status = token[1:].decode("ascii").split(" ")
            if changes is not None:
                changes.append(FileChange(status[0], path, None if _is_zero(old) else old, None if _is_zero(new) else new))
        elif HEX.fullmatch(token):
            changes = []
            found.append((token.decode("ascii"), changes))
        elif token:
            raise UnreadableHistory(f"git log printed {token[:40]!r} where a commit id or a change was expected")
    return [(sha, changes) for sha, changes in found if changes]


def _is_zero(sha: str) -> bool:
    return not sha.strip("0")


def read_commits(cwd: str, revisions: str) -> tuple[dict[str, tuple[str, ...]], dict[str, RawCommit]]:
    """Every commit in ``revisions`` (all parents, not only the main line): its parents and what its object says.

    One ``git rev-list --header`` prints each commit's header lines as they are in the object, but re-indents its
    message (and may trim or re-encode it), and ends a record at a NUL. So each record is rebuilt into the object's
    bytes and hashed: only a record that hashes to its own id is parsed (nothing git formatted can then differ from
    the object); any other (a message with trailing blanks, a NUL, another encoding) is read from the object itself.
    This reads each commit once where ``rev-list --parents`` and ``cat-file --batch`` read it twice.
    """
    objects: dict[str, RawCommit] = {}
    unmatched: list[str] = []
    ids: dict[str, str] = {}  # one string an id, as key and as every child's parent
    errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed below) — never a pipe: git cannot block on it
    process = subprocess.Popen(["git", *LEAN, "rev-list", "--header", revisions], cwd=cwd, stdout=subprocess.PIPE, stderr=errors)
    try:
        left = b""
        while chunk := process.stdout.read(1 << 20):
            records = (left + chunk).split(b"\0")
            left = records.pop()
            for record in records:
                _take(record, objects, unmatched, ids)
        if left.strip():
            _take(left, objects, unmatched, ids)
    finally:
        process.stdout.close()
        code = process.wait()
        errors.seek(0)
        said = errors.read(2000).decode("utf-8", "replace").strip()
        errors.close()
    if code != 0:
        raise UnreadableHistory(f"git rev-list --header {revisions} failed: {said or f'exit status {code}'}")
    objects.update(read_commit_objects(cwd, unmatched, ids))
    return {sha: raw.parents for sha, raw in objects.items()}, objects


_HASHES = {40: hashlib.sha1, 64: hashlib.sha256}


def _take(record: bytes, objects: dict[str, RawCommit], unmatched: list[str], ids: dict[str, str]) -> None:
    """One record of ``rev-list --header``: the commit id, a newline, the object as git printed it."""
    sha, _, printed = record.lstrip(b"\n").partition(b"\n")
    if not HEX.fullmatch(sha):
        raise UnreadableHistory(f"git rev-list printed {record[:40]!r} where a commit id was expected")
    header, blank, body = printed.partition(b"\n\n")
    # the message has each line indented by four spaces; a commit without one ends after its header
    content = header + b"\n\n" + body[4:].replace(b"\n    ", b"\n") if blank else header + b"\n"
    digest = _HASHES[len(sha)](b"commit %d\0" % len(content))
    digest.update(content)
    name = sha.decode("ascii")
    name = ids.setdefault(name, name)  # git prints a child before its parents: the string its children named
    if digest.hexdigest() == name:
        objects[name] = parse_commit(content, ids)
    else:
        unmatched.append(name)


LEAN = ("-c", "core.deltaBaseCacheLimit=4m", "-c", "core.packedGitWindowSize=1m", "-c", "core.packedGitLimit=8m")
"""Git's own memory bounds for the processes that read the whole history: by default git keeps 96 MB of delta
bases and maps every pack it reads whole, each process reading alone. At 10,000 orders (a 237 MB pack) one
``git log --raw`` over the history held 481 MB, a ``cat-file --batch`` of every record's versions 337 MB and
``rev-list --header`` 269 MB; with bounds of 16, 16 and 64 MB, 188, 78 and 92 MB in the same time (15.0, 2.8
and 2.1 s). With these, the two ``cat-file`` processes of the diffs hold 9 and 7 MB of their own instead of 48
and 38, and all the processes reading the history 716 MB at their peak instead of 786, in 22.1 s against 21.6
(12-04). A cold build runs them beside its own processes, at the peak of its memory."""


def _git(repo: git.Repo, args: list[str], given: str = "") -> bytes:
    """``args`` (``git`` and its command) run under ``LEAN``; a failure raises ``UnreadableHistory`` with git's words."""
    result = subprocess.run([args[0], *LEAN, *args[1:]], cwd=repo.working_tree_dir, input=given.encode("ascii"), capture_output=True, check=False)
    if result.returncode != 0:
        raise UnreadableHistory(f"{' '.join(args[:4])} … failed: {result.stderr.decode('utf-8', 'replace').strip()}")
    return result.stdout


class ObjectReader:
    """Objects from one ``git cat-file --batch`` process, in the order they were asked for (``next``).

    Any object git cannot give — missing, damaged, of another kind, cut short, or git gone — raises
    ``UnreadableHistory`` with git's own words: a history is read whole or not at all.
    """

    def __init__(self, cwd: str, shas: list[str], kind: bytes = b"blob"):
        self.shas = shas
        self.kind = kind
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed on exit) — never a pipe: git cannot block on it
        self.process = subprocess.Popen(["git", *LEAN, "cat-file", "--batch"], cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors)
        self.feeder = threading.Thread(target=self._feed, daemon=True)
        self.position = 0

    def _feed(self) -> None:
        try:
            self._write(self.shas)
            self.process.stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            pass

    def _write(self, shas: list[str]) -> None:
        """``shas`` asked of git, a thousand names a write."""
        for start in range(0, len(shas), 1000):
            self.process.stdin.write(("\n".join(shas[start : start + 1000]) + "\n").encode())

    def __enter__(self) -> ObjectReader:
        self.feeder.start()
        return self

    def next(self) -> bytes:
        """The next object's content."""
        sha = self.shas[self.position] if self.position < len(self.shas) else "?"
        self.position += 1
        header = self.process.stdout.readline().split()
        if len(header) != 3 or header[1] != self.kind or not header[2].isdigit():
            raise UnreadableHistory(f"git cannot read {self.kind.decode()} {sha}: {self._why(header)}")
        size = int(header[2])
        content = self.process.stdout.read(size)
        if len(content) != size or self.process.stdout.read(1) != b"\n":
            raise UnreadableHistory(f"git cannot read {self.kind.decode()} {sha}: it was cut short")
        return content

    def _why(self, header: list[bytes]) -> str:
        if len(header) == 2 and header[1] == b"missing":
            return "the object is missing"
        if len(header) == 3 and header[1] != self.kind:
            return f"it is a {header[1].decode('ascii', 'replace')}"
        self.process.stdout.close()
        self.process.wait()
        self.errors.seek(0)
        said = self.errors.read(2000).decode("utf-8", "replace").strip()
        return " ".join(said.split()) or "git ended without an answer"

    def __exit__(self, *exc: object) -> None:
        self.process.stdout.close()
        self.process.kill()
        self.process.wait()
        self.feeder.join(timeout=5)
        self.errors.close()


# --------------------------------------------------------------------------
# Raw commit objects: every field is untrusted bytes


_PLAIN_ADDRESS = re.compile(r"[^\s<>,;:\"()\[\]\\@\x00-\x1f\x7f\ufffd]+@[^\s<>,;:\"()\[\]\\@\x00-\x1f\x7f\ufffd]+")
_TRAILER = re.compile(r"([A-Za-z0-9][A-Za-z0-9-]*): ?(.*)")
_NAMED_ADDRESS = re.compile(r"([^<>]*?)\s*<([^<>]*)>")
EPOCH = "1970-01-01T00:00:00+00:00"


Moment = tuple[int, bytes] | None
"""Seconds since the epoch and git's ``+0800`` zone; None where the commit's date is not one git writes."""


@dataclass(slots=True)
class RawCommit:
    """What a commit object says, decoded defensively; ``faults`` lists what is not as git writes it.

    The walk holds every commit of the graph at once (220,000 at 10,000 orders), so what most commits leave
    empty is the one empty tuple, and no instance has a ``__dict__``."""

    tree: str
    parents: tuple[str, ...]
    author: Identity
    authored_at: Moment
    committer: Identity
    committed_at: Moment
    subject: str
    approvers: tuple[Identity, ...] = ()  # Approved-by trailers
    co_authors: tuple[Identity, ...] = ()  # Co-authored-by trailers
    signature: str = ""  # "ssh", "other" (GPG, X.509: never verified here) or "" (unsigned)
    faults: tuple[str, ...] = ()  # of its author and committer lines
    approver_faults: tuple[str, ...] = ()  # count only on the main line, where Approved-by approves
    co_author_faults: tuple[str, ...] = ()

    @property
    def authored(self) -> str:
        return iso_time(self.authored_at)

    @property
    def committed(self) -> str:
        return iso_time(self.committed_at)


# The shape git writes: tree, parents, one author, one committer. Anything else takes the careful path.
_HEADER = re.compile(rb"tree ([0-9a-f]{40}(?:[0-9a-f]{24})?)\n((?:parent [0-9a-f]{40}(?:[0-9a-f]{24})?\n)*)author ([^\n]*)\ncommitter ([^\n]*)")


def parse_commit(raw: bytes, ids: dict[str, str] | None = None) -> RawCommit:
    """One commit object; ``ids`` (a commit id → its one string) makes the parents' ids the strings already read."""
    ids = {} if ids is None else ids
    header, _, body = raw.partition(b"\n\n")
    match = _HEADER.match(header)
    rest = header[match.end() :] if match else b""
    if match and b"\nauthor " not in rest and b"\ncommitter " not in rest:
        listed = match.group(2)
        parents = tuple(ids.setdefault(sha, sha) for sha in listed.decode("ascii").replace("parent ", "").split()) if listed else ()
        commit = RawCommit(match.group(1).decode("ascii"), parents, ("", ""), None, ("", ""), None, "", signature=_signature_kind(rest))
        lines = ((b"author", [match.group(3)]), (b"committer", [match.group(4)]))
    else:
        tree, listed_parents, found, signature = _careful_header(header)
        commit = RawCommit(tree, tuple(ids.setdefault(sha, sha) for sha in listed_parents), ("", ""), None, ("", ""), None, "", signature=signature)
        lines = tuple(found.items())
    faults: list[str] = []
    for key, values in lines:
        if len(values) != 1:
            faults.append(f"the commit has {len(values)} {key.decode()} lines")
            continue
        identity, when, fault = _signature_line(values[0])
        if fault:
            faults.append(f"its {key.decode()} {fault}")
        if key == b"author":
            commit.author, commit.authored_at = identity, when
        else:
            commit.committer, commit.committed_at = identity, when
    if faults:
        commit.faults = tuple(faults)
    if commit.committed_at == commit.authored_at:  # as git writes most commits: one tuple for both
        commit.committed_at = commit.authored_at
    message = body.decode("utf-8", "replace")
    commit.subject = message.split("\n", 1)[0]
    if b"-by:" in body.lower():  # both trailers end so (their keys are ASCII); most branch commits have neither
        commit.approvers, commit.approver_faults, commit.co_authors, commit.co_author_faults = _trailers(message)
    return commit


_TRAILERS: dict[str, tuple[tuple, tuple, tuple, tuple]] = {}  # a last paragraph → what it says; a few hundred teams of approvers


def _trailers(message: str) -> tuple[tuple, tuple, tuple, tuple]:
    """Approved-by identities, their faults, Co-authored-by identities, their faults: read from the trailer block."""
    paragraphs = _paragraphs(message)
    if len(paragraphs) < 2:
        return (), (), (), ()
    last = paragraphs[-1]
    known = _TRAILERS.get(last)
    if known is not None:
        return known
    found: dict[str, tuple[list, list]] = {"approved-by": ([], []), "co-authored-by": ([], [])}
    for key, value in _trailer_lines(last):
        if key in found:
            identity = parse_identity(value)
            if identity is None:
                found[key][1].append(f"the {key} trailer {value!r} is not one name and one plain e-mail address")
            else:
                found[key][0].append(identity)
    (approvers, approver_faults), (co_authors, co_author_faults) = found.values()
    known = (tuple(approvers), tuple(approver_faults), tuple(co_authors), tuple(co_author_faults))
    if len(_TRAILERS) < 100_000:
        _TRAILERS[last] = known
    return known


def _careful_header(header: bytes) -> tuple[str, list[str], dict[bytes, list[bytes]], str]:
    tree = ""
    parents: list[str] = []
    idents: dict[bytes, list[bytes]] = {b"author": [], b"committer": []}
    for line in header.split(b"\n"):
        key, _, value = line.partition(b" ")
        if key == b"parent":
            parents.append(value.decode("ascii", "replace"))
        elif key in idents:
            idents[key].append(value)
        elif key == b"tree":
            tree = value.decode("ascii", "replace")
    return tree, parents, idents, _signature_kind(b"\n" + header)


def _signature_kind(lines: bytes) -> str:
    for key in (b"\ngpgsig ", b"\ngpgsig-sha256 "):
        at = lines.find(key)
        if at >= 0:
            if lines.startswith(SSH_SIGNATURE, at + len(key)):
                return "ssh"
            return "gpg" if lines.startswith(b"-----BEGIN PGP SIGNATURE-----", at + len(key)) else "other"
    return ""


_IDENT_LINE = re.compile(rb"([^<>]*?) ?<([^<>]*)> ([0-9]{1,11}) ([+-][0-9]{4})")  # 11 digits: up to the year 5138
_WHEN = re.compile(rb" ([0-9]{1,11}) ([+-][0-9]{4})")
_ZONES: dict[bytes, timezone] = {}
_ZONE_NAMES: dict[bytes, bytes] = {}  # b"+0800" → one bytes object for every commit written there
_IDENTITIES: dict[bytes, tuple[Identity, str | None]] = {}  # "Name <email>" as git wrote it → decoded, checked


def _signature_line(value: bytes) -> tuple[Identity, Moment, str | None]:
    """``Name <email> 1770000000 +0800`` → ((name, email), (seconds, zone), fault or None)."""
    gt = value.rfind(b">") + 1
    known = _IDENTITIES.get(value[:gt])
    when = _WHEN.fullmatch(value, gt) if known else None
    if known and when:  # a few hundred people write tens of thousands of commits
        return known[0], (int(when.group(1)), _zone(when.group(2))), known[1]
    match = _IDENT_LINE.fullmatch(value)
    if match is not None:
        name, address, seconds, zone = match.groups()
        identity = (name.strip().decode("utf-8", "replace"), address.decode("utf-8", "replace"))
        fault = None if _PLAIN_ADDRESS.fullmatch(identity[1]) else f"e-mail {identity[1]!r} is not one plain address"
        if len(_IDENTITIES) < 100_000:
            _IDENTITIES[value[:gt]] = (identity, fault)
        return identity, (int(seconds), _zone(zone)), fault
    lt = value.find(b"<")
    gt = value.find(b">", lt + 1)
    if lt < 0 or gt < 0:
        return (value.decode("utf-8", "replace"), ""), None, "is not a name with an <e-mail>"
    identity = (value[:lt].strip().decode("utf-8", "replace"), value[lt + 1 : gt].decode("utf-8", "replace"))
    fault = None if _PLAIN_ADDRESS.fullmatch(identity[1]) else f"e-mail {identity[1]!r} is not one plain address"
    return identity, None, fault or f"date {value[gt + 1 :].strip().decode('utf-8', 'replace')!r} is not a time git writes"


def _zone(name: bytes) -> bytes:
    if len(_ZONE_NAMES) < 10_000:
        return _ZONE_NAMES.setdefault(name, name)
    return name


def iso_time(moment: Moment) -> str:
    """ISO 8601 with the commit's own offset; the epoch for a date git would not write."""
    if moment is None:
        return EPOCH
    seconds, zone = moment
    tz = _ZONES.get(zone)
    if tz is None:
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])) * (-1 if zone[:1] == b"-" else 1)
        tz = _ZONES[zone] = timezone(offset)
    return datetime.fromtimestamp(seconds, tz).isoformat()


def _paragraphs(message: str) -> list[str]:
    return [p for p in message.replace("\r\n", "\n").strip("\n").split("\n\n") if p.strip()]


def _trailer_lines(paragraph: str) -> list[tuple[str, str]]:
    """The trailers of a message's last paragraph (not its subject): its lines, when every one is ``Key: value``.

    Stricter than ``git interpret-trailers`` (which tolerates some other lines): a block with any other
    line holds no trailers, so text cannot be half read as approvals.
    """
    matches = [_TRAILER.fullmatch(line) for line in paragraph.strip("\n").split("\n")]
    if not all(matches):
        return []
    return [(m.group(1).lower(), m.group(2).strip()) for m in matches if m]


def parse_identity(text: str) -> Identity | None:
    """``Name <email>`` → (name, email); None unless it is exactly one name and one plain address."""
    match = _NAMED_ADDRESS.fullmatch(text.strip())
    if match is None or not _PLAIN_ADDRESS.fullmatch(match.group(2)):
        return None
    return match.group(1).strip(), match.group(2)


def read_commit_objects(cwd: str, shas: list[str], ids: dict[str, str] | None = None) -> dict[str, RawCommit]:
    """Every commit in ``shas`` parsed from its raw object; a missing object stops the read."""
    out: dict[str, RawCommit] = {}
    with ObjectReader(cwd, shas, b"commit") as objects:
        for sha in shas:
            out[sha] = parse_commit(objects.next(), ids)
    return out


def hands_of(raw: RawCommit) -> list[Identity]:
    """Everyone who put a hand on a commit: its author, its committer and its co-authors."""
    return list(dict.fromkeys((raw.author, raw.committer, *raw.co_authors)))


def is_empty(raw: RawCommit, objects: dict[str, RawCommit]) -> bool:
    """A commit with one parent and its parent's tree: it changes nothing (an approval commit, for one)."""
    return len(raw.parents) == 1 and raw.parents[0] in objects and objects[raw.parents[0]].tree == raw.tree


def _bring_in(merge: Commit, raw: RawCommit, branch: _Branch, graph: dict[str, tuple[str, ...]], objects: dict[str, RawCommit]) -> tuple[list[str], bool]:
    """For a merge: every hand on the commits it brings in (authors, committers, co-authors).

    Commits that change nothing put no hand on the change. Returns the signed ones among them whose tree is
    the branch's final tree (approval commits, whose signatures are checked with the merge's), and whether
    the branch starts at the merge's first parent (else only git can say what merging them gives).
    """
    tip = objects[merge.parents[1]]
    hands: list[Identity] = []
    approvals: list[str] = []
    writing = set(branch.written)
    for sha in branch.brought:
        other = objects[sha]
        if other.faults or other.co_author_faults:
            merge.faults += tuple(f"brought-in commit {sha[:10]}: {fault}" for fault in other.faults + other.co_author_faults)
        if sha not in writing:
            if other.signature == "ssh" and other.tree == tip.tree:
                approvals.append(sha)
            continue
        hands += hands_of(other)
    merge.branch_authors = branch.authors
    merge.hands = tuple(dict.fromkeys(hands + list(merge.co_authors)))
    merge.brought_in = len(branch.brought)
    from_base = any(merge.parents[0] in graph[sha] for sha in branch.brought)
    if from_base and raw.tree != tip.tree:  # merging a branch that starts at the first parent gives the branch's tree
        merge.own_changes = "its tree is not the tree of the branch it merges, which starts where it is merged"
    return approvals, from_base


@dataclass(frozen=True)
class _Branch:
    """What a main-line merge brings in: every commit (visit order), those that change something, and their authors."""

    brought: list[str]
    written: list[str]
    authors: tuple[Identity, ...]

    @property
    def has_several_authors(self) -> bool:
        return len({address.lower() for _, address in self.authors}) > 1


def _branches(line: list[str], graph: dict[str, tuple[str, ...]], mainline: set[str], objects: dict[str, RawCommit]) -> dict[str, _Branch]:
    """The branch of every main-line merge whose second parent git has."""
    found: dict[str, _Branch] = {}
    for sha in line:
        parents = graph[sha]
        if len(parents) > 1 and parents[1] in objects:
            brought = _off_mainline(parents[1:], graph, mainline)
            written = [other for other in brought if not is_empty(objects[other], objects)]
            authors = tuple(dict.fromkeys(objects[other].author for other in written))
            found[sha] = _Branch(brought, written, authors)
    return found


def walk(
    repo: git.Repo, revisions: str, head: str, since: str | None = None, rules: Blobs = (None, None), texts: dict[str, bytes] | None = None
) -> list[Commit]:
    """The main-line commits in ``revisions`` that change records, oldest first, each with its changes, what its
    commit object says and, for a merge, every hand on the commits it brings in: the one pass over history.

    ``since`` is the head an earlier read ended at (``revisions`` is then ``since..head``); ``rules`` the blobs of
    organization.yaml and policy.yaml in force there. ``texts`` (blob id → content) gains every version of the
    two files the new commits are judged by or bring. Raises ``NotOnMainLine`` when ``since`` is not on the new first-parent line.
    """
    with collector_paused():  # tens of thousands of small objects that all stay alive, and no cycles
        return _walk(repo, revisions, head, since, rules, {} if texts is None else texts)


def _walk(repo: git.Repo, revisions: str, head: str, since: str | None, rules: Blobs, texts: dict[str, bytes]) -> list[Commit]:
    cwd = repo.working_tree_dir
    changes = _ChangesReader(repo, revisions)  # git diffs the main line meanwhile, in another process
    try:
        graph, objects = read_commits(cwd, revisions)
        line: list[str] = []  # the main line, newest first
        sha: str | None = head
        while sha in graph and (not line or sha != line[-1]):
            line.append(sha)
            sha = graph[sha][0] if graph[sha] else None
        if since is not None and sha != since:
            raise NotOnMainLine(since)
        mainline = set(line)
        branches = _branches(line, graph, mainline, objects)
        edits = _EditsReader(repo, [b for b in branches.values() if b.has_several_authors])  # git reads them meanwhile
    except BaseException:
        changes.abandon()
        raise
    try:
        changed = changes.result()
    finally:
        by_commit = edits.result()
    commits = []
    approval_commits: dict[str, list[str]] = {}
    candidates: list[Commit] = []  # merges whose branch starts before their first parent: git merges them again
    for sha, changes in reversed(changed):
        raw = objects[sha]
        commit = Commit(
            sha=sha,
            parents=raw.parents,
            author=raw.author,
            authored=raw.authored,
            committer=raw.committer,
            committed=raw.committed,
            trailers=raw.approvers,
            subject=raw.subject,
            signature="U" if raw.signature else "N",
            signer="",
            changes=changes,
            co_authors=raw.co_authors,
            faults=raw.faults + raw.approver_faults + raw.co_author_faults,
            rules=rules,
        )
        if commit.is_merge:
            branch = branches.get(sha)
            approval_commits[sha], from_base = _bring_in(commit, raw, branch, graph, objects) if branch else ([], True)
            if branch and branch.has_several_authors:
                commit.edits = _edits(branch, by_commit, objects)
            if len(commit.parents) > 2:
                commit.own_changes = f"it merges {len(commit.parents) - 1} branches at once; each is approved by a merge of its own"
            elif commit.brought_in and not from_base:
                candidates.append(commit)
        for change in changes:
            if change.path in RULE_FILES:
                rules = (change.new_blob, rules[1]) if change.path == ORGANIZATION else (rules[0], change.new_blob)
        commits.append(commit)
    _remerge(cwd, candidates, objects)
    _read_rule_texts(cwd, commits, texts)
    signed = _signed_policies(texts, {c.rules[1] for c in commits})
    if signed:
        _verify(cwd, [c for c in commits if c.rules[1] in signed], objects, approval_commits, texts)
    return commits


class _ChangesReader:
    """``read_changes`` of the main line, in two halves (two git processes), parsed in a forked process so that
    parsing git log's output and parsing the commit objects use both cores (one process would hold the GIL in turns)."""

    def __init__(self, repo: git.Repo, revisions: str):
        self.repo, self.revisions = repo, revisions
        self.process = None
        if can_fork():
            context = multiprocessing.get_context("fork")
            self.receiver, sender = context.Pipe(duplex=False)
            self.process = start_helper(context, self._send, (sender, os.getpid()), name="history-changes", daemon=True)
            sender.close()

    def _read(self) -> list[tuple[str, list[FileChange]]]:
        length = int(_git(self.repo, ["git", "rev-list", "--first-parent", "--count", self.revisions]) or 0)
        if length < 2000:
            return read_changes(self.repo, self.revisions)
        halves = [[f"--max-count={length // 2}"], [f"--skip={length // 2}"]]
        with ThreadPoolExecutor(2) as pool:
            jobs = [pool.submit(read_changes, self.repo, self.revisions, limit=half) for half in halves]
            return [found for job in jobs for found in job.result()]

    def _send(self, sender, parent: int) -> None:
        die_with_parent(parent)  # the parent reports an interrupt, and stops this process
        gc.disable()  # a collection would walk (and copy, page by page) every object inherited from the parent
        try:
            answer: tuple = ("ok", [(sha, [tuple(c) for c in changes]) for sha, changes in self._read()])
        except Exception as exc:  # whatever it is, the parent reports the history unread: never a partial answer
            answer = ("unreadable", f"{exc.__class__.__name__}: {exc}")
        with contextlib.suppress(OSError):
            sender.send_bytes(marshal.dumps(answer))

    def abandon(self) -> None:
        """Stop the reader: the walk failed before it needed the answer."""
        if self.process is not None:
            self.process.terminate()
            self.process.join()
            self.receiver.close()

    def result(self) -> list[tuple[str, list[FileChange]]]:
        if self.process is None:
            return self._read()
        try:
            status, payload = marshal.loads(self.receiver.recv_bytes())
        except (EOFError, OSError, ValueError) as exc:
            raise UnreadableHistory(f"the process reading git log ended without an answer ({exc.__class__.__name__})") from exc
        finally:
            self.receiver.close()
            self.process.join()
        if status != "ok":
            raise UnreadableHistory(payload)
        return [(sha, [FileChange(*c) for c in changes]) for sha, changes in payload]


class _EditsReader:
    """Which paths each commit of branches with several authors changed (for the editors rule): read by git in
    two processes, in threads, while the walk goes on (the threads mostly wait for git)."""

    def __init__(self, repo: git.Repo, branches: list[_Branch]):
        shas = [sha for branch in branches for sha in branch.written]
        halves = [shas[: len(shas) // 2], shas[len(shas) // 2 :]] if len(shas) >= 2000 else [shas] if shas else []
        self.pool = ThreadPoolExecutor(max(len(halves), 1))
        self.jobs = [self.pool.submit(read_changes, repo, "", first_parent=False, shas=half) for half in halves]

    def result(self) -> dict[str, list[FileChange]]:
        try:
            return {sha: changes for job in self.jobs for sha, changes in job.result()}
        finally:
            self.pool.shutdown(cancel_futures=True)


def _edits(branch: _Branch, changed: dict[str, list[FileChange]], objects: dict[str, RawCommit]) -> tuple[tuple[str, str], ...]:
    """Which author of a branch changed which paths, as ``Commit.edits`` keeps them."""
    by_author: dict[str, set[str]] = {}
    for sha in branch.written:
        by_author.setdefault(objects[sha].author[1], set()).update(change.path for change in changed.get(sha, ()))
    return tuple((address, "\0".join(sorted(paths))) for address, paths in by_author.items())


def _remerge(cwd: str, merges: list[Commit], objects: dict[str, RawCommit]) -> None:
    """Merge each merge's parents again (``git merge-tree``, one process) and compare with the tree it recorded."""
    if not merges:
        return
    args = ["git", *LEAN, "merge-tree", "--write-tree", "--stdin", "--name-only", "--no-messages"]
    lines = "".join(f"{m.parents[0]} {m.parents[1]}\n" for m in merges).encode()
    result = subprocess.run(args, cwd=cwd, input=lines, capture_output=True, check=False)
    tokens = result.stdout.split(b"\0")
    i = 0
    for merge in merges:  # each: status, tree, conflicted paths, an empty token
        if i + 1 >= len(tokens) or tokens[i] not in (b"0", b"1"):
            raise UnreadableHistory(f"git merge-tree could not merge the parents of {merge.short} again: {result.stderr.decode('utf-8', 'replace').strip()}")
        clean, tree = tokens[i] == b"1", tokens[i + 1].decode("ascii", "replace")
        i += 2
        while i < len(tokens) and tokens[i]:
            i += 1
        i += 1
        if not clean:
            merge.own_changes = "its branch conflicts with the main line and the conflict was resolved inside the merge, where no reviewer saw it"
        elif tree != objects[merge.sha].tree:
            merge.own_changes = "its tree is not what merging its parents gives"


def _verify(cwd: str, commits: list[Commit], objects: dict[str, RawCommit], approvals: dict[str, list[str]], texts: dict[str, bytes]) -> None:
    """Verify each signed merge and its approval commits with the keys of the organization.yaml at its base."""
    groups: dict[tuple[str | None, str | None], list[str]] = {}
    for commit in commits:
        signed = [sha for sha in [commit.sha, *approvals.get(commit.sha, ())] if objects[sha].signature == "ssh"]
        if signed:
            groups.setdefault(commit.rules, []).extend(signed)
    signers = verify(cwd, groups, texts.__getitem__)
    by_policy: dict[str | None, list[str]] = {}  # merges signed with GPG: only a platform's own key can verify them
    for commit in commits:
        if objects[commit.sha].signature == "gpg":
            by_policy.setdefault(commit.rules[1], []).append(commit.sha)
    if by_policy:
        committers = {sha: objects[sha].committer[1] for shas in by_policy.values() for sha in shas}
        signers |= verify_platforms(cwd, by_policy, committers, texts.__getitem__)
    for commit in commits:
        if commit.sha in signers:
            commit.signature, commit.signer = "G", signers[commit.sha]
        commit.cosigned = tuple(dict.fromkeys(signers[sha] for sha in approvals.get(commit.sha, ()) if sha in signers))


def _signed_policies(texts: dict[str, bytes], blobs: set[str | None]) -> set[str]:
    """The versions of policy.yaml that require signed approvals: only commits judged under them are verified
    (each signature costs git an ssh-keygen or gpg process)."""
    return {b for b in blobs if b and (policy := read_model(texts[b], POLICY)) is not None and policy.require_signed_approvals}


def _read_rule_texts(cwd: str, commits: list[Commit], texts: dict[str, bytes]) -> None:
    """Read every version of organization.yaml and policy.yaml the commits are judged by or bring, once (one git process)."""
    blobs = {b for c in commits for b in c.rules if b} | {x.new_blob for c in commits for x in c.changes if x.path in RULE_FILES and x.new_blob}
    wanted = sorted(blobs - texts.keys())
    if wanted:
        with ObjectReader(cwd, wanted) as reader:
            for blob in wanted:
                texts[blob] = reader.next()


def _off_mainline(starts: tuple[str, ...], graph: dict[str, tuple[str, ...]], mainline: set[str]) -> list[str]:
    """The commits reachable from ``starts`` without entering the main line (what a merge brings in), in visit order."""
    seen: set[str] = set()
    order: list[str] = []
    stack = list(starts)
    while stack:
        sha = stack.pop()
        if sha in seen or sha in mainline or sha not in graph:
            continue
        seen.add(sha)
        order.append(sha)
        stack.extend(graph[sha])
    return order


def uncommitted_records(repo: git.Repo, under: str = RECORDS_DIR) -> dict[str, str]:
    """Record files not as HEAD has them (``under`` a folder of the archive): path → new, modified or deleted."""
    return _uncommitted(repo.git.status(*_STATUS, "--", under))


def uncommitted_later(repo: git.Repo, under: str = RECORDS_DIR) -> Callable[[], dict[str, str]]:
    """``uncommitted_records``, git started now and its answer read when asked for: the caller works meanwhile
    (git looks at every record file, 1.4 s at 10,000 orders while the build lists them too)."""
    process = repo.git.status(*_STATUS, "--", under, as_process=True)

    def answer() -> dict[str, str]:
        out = process.stdout.read()
        process.wait()  # a failure raises, as ``uncommitted_records`` does
        return _uncommitted(safe_decode(out))

    return answer


_STATUS = ("--porcelain=v1", "-z", "--untracked-files=all")


def _uncommitted(out: str) -> dict[str, str]:
    changes: dict[str, str] = {}
    for entry in out.split("\x00"):
        if len(entry) > 3:
            code, path = entry[:2], entry[3:]
            changes[path] = "new" if code == "??" or "A" in code else "deleted" if "D" in code else "modified"
    return changes
