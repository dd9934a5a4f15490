"""What an incremental build may take from the last one: a page itself, its conversion, its HTML file.

A merged pull request changes a handful of pages; rendering, converting and
theming the other ten thousand again gives the same bytes. Three things are
kept, each only while everything it was made from is provably the same:

- **a page, unrendered** (a worker, before rendering a dossier): the digest
  of everything the dossier reads (``render.Planned``, ``dossier_inputs``)
  is the one the last build kept beside the page, from the same templates;
- **a conversion** (a worker, before converting a page): the same path, the
  same Markdown (by digest), the same Markdown settings and libraries
  (``conversion_key``), and every file lookup the conversion made answered
  the same way today (``Lookups``: the links it resolved, by target, URL and
  whether excluded — recorded while MkDocs converted it, not guessed from
  the text);
- **a page's HTML file** (``Outputs``, after every page is converted): the
  same record (Markdown, conversion and HTML, by digest) in the same shell
  (``shell_key``: the theme and its templates, the whole configuration, the
  navigation with its titles), and the earlier site's file is still the
  bytes that build wrote — the same file (inode, size, time) or, say after
  a CI cache restored it, the same SHA-1. Such a page is hard-linked from
  the earlier site instead of being rendered into the theme again;
- **MkDocs' pass over a page** (``orders build``: ``plugin._leave_out``
  before MkDocs is given its files, else ``plugin._skip`` through MkDocs'
  dirty build): a page whose HTML file is kept, whose conversion said
  nothing and links to no anchor, and whose searchable text's digest is
  with its facts, is neither read nor written by MkDocs;
  the search index gets the digest, and the text only if another page of
  its part changed. The navigation's pages are always read: their titles
  are in the shell.

Anything else (another MkDocs plugin or hook, a page MkDocs converted
itself, a cache written by other code) keeps nothing: a stale cache can
cost time, never change a byte (``tests/site/test_reuse.py`` builds after
each kind of change both ways and compares every file).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from generator.core.paths import TEMPLATES
from generator.site import sitecache

KEPT_TEMPLATE = "order-archive-kept.html"
"""The theme template of a page whose HTML file is kept: it renders nothing, the plugin links the file."""

Lookup = tuple[str, str | None, bool]
"""A file a conversion looked up: its path, the URL it had (None: no such file) and whether it was excluded."""


def digest(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def conversion_key(config) -> str:
    """What every page's conversion depends on besides its Markdown and its lookups: the Markdown settings and
    the libraries that apply them (the program's own code is part of every cache's key already)."""
    settings = [config["markdown_extensions"], config["mdx_configs"], config["use_directory_urls"], dict(config["validation"])]
    versions = [package_version(name) for name in ("mkdocs", "markdown", "pymdown-extensions", "pygments")]
    return digest(json.dumps([settings, versions], default=repr, sort_keys=True).encode())


def package_version(package: str) -> str:
    """An installed package's version, or a text saying there is none (part of a cache's key)."""
    try:
        return version(package)
    except PackageNotFoundError:
        return f"{package}: none"


class Lookups:
    """In a worker: the files one conversion looks up, recorded as MkDocs' link resolver asks for them."""

    def __init__(self, files, same_files: bool = False) -> None:
        self.files = files
        self.asked: dict[str, Lookup] = {}
        self.answers: dict[str, Lookup] = {}  # path → its answer now: the files are all known before any page is asked about
        self.same_files = same_files  # the files are the earlier build's (``files_table``): every lookup holds

    @contextlib.contextmanager
    def recording(self) -> Iterator[dict[str, Lookup]]:
        self.asked = {}
        find = self.files.get_file_from_path

        def recorded(path: str):
            found = find(path)
            self.asked[path] = _answer(path, found)
            return found

        self.files.get_file_from_path = recorded  # the instance only; MkDocs' Files class is untouched
        try:
            yield self.asked
        finally:
            del self.files.get_file_from_path

    def still_hold(self, lookups) -> bool:
        """Whether each file an earlier conversion looked up is still found where it was (and as included). Each
        path is looked up once an edition: a year's list links hundreds of dossiers, and the kept pages' lookups
        were 0.38 s of a merge's asking at 10,000 orders. Where the site has the files the earlier build had, each
        with its address and inclusion, every lookup holds, unasked."""
        if self.same_files:
            return True
        answers = self.answers
        for lookup in lookups:
            path = lookup[0]
            answer = answers.get(path)
            if answer is None:
                answer = answers[path] = _answer(path, self.files.get_file_from_path(path))
            if answer != tuple(lookup):
                return False
        return True


def files_table(files) -> str:
    """A digest of every file of the site as a lookup finds it (``_answer``): its path, its address, whether it is
    excluded. Two sites with the same table answer every lookup alike."""
    table = hashlib.sha1()
    for file in files:
        table.update(f"{file.src_uri}\0{file.url}\0{file.inclusion.is_excluded():d}\n".encode("utf-8", "surrogatepass"))
    return table.hexdigest()


def _answer(path: str, found) -> Lookup:
    return (path, None, False) if found is None else (path, found.url, found.inclusion.is_excluded())


NavPage = tuple[str, dict, str | None]
"""A page of the navigation as its titles come from it: its path, its meta and the title its conversion found."""


def shell_key(config, nav: list[NavPage], plugin_name: str) -> str | None:
    """Everything a page's HTML file depends on besides its own record: the program's templates and the versions
    of MkDocs and Material, the whole configuration as the plugins left it (its ``nav`` among it), what each page
    of the navigation gives the menus (``NavPage``: MkDocs makes its title of those, Material its badges and
    icons of its meta), and the files of any theme folder of the archive's own. Paths count relative to the
    archive or the program (a CI runner may check out one and install the other anywhere). None — keep no page —
    when another plugin or a hook is configured: what it does to a page is not known here.

    The navigation's pages are given as their conversions have them, not as MkDocs' navigation holds them once
    read, so that the key is known before MkDocs reads a page (``plugin._leave_out``); both say the same."""
    if set(config["plugins"]) != {plugin_name} or config["hooks"]:
        return None
    root = os.path.dirname(os.path.abspath(config["config_file_path"]))

    def where(folder: str) -> str:
        resolved = Path(folder).resolve()
        for base, name in ((Path(root).resolve(), "archive"), (TEMPLATES.resolve(), "program")):
            if resolved.is_relative_to(base):
                return f"{name}:{resolved.relative_to(base).as_posix()}"
        return folder

    skipped = {"plugins", "hooks", "site_dir", "watch", "dev_addr", "config_file_path", "theme", "docs_dir"}
    settings = {k: v for k, v in config.items() if k not in skipped}
    theme = config["theme"]
    dirs = [where(folder) for folder in theme.dirs]
    parts = [sitecache.code_digest(), settings, where(config["docs_dir"]), theme.name, dict(theme.items()), dirs, sorted(nav, key=lambda page: page[0])]
    hashed = hashlib.sha1(json.dumps(parts, default=repr, sort_keys=True, ensure_ascii=False).encode())
    for folder in theme.dirs:
        if not _installed(folder):
            for path in sorted(Path(folder).rglob("*")):
                if path.is_file():
                    hashed.update(f"{path.relative_to(folder)}\0".encode())
                    hashed.update(path.read_bytes())
    return hashed.hexdigest()


def _installed(folder: str) -> bool:
    """A theme folder of an installed package (Material's own, covered by its version) or of this program."""
    resolved = Path(folder).resolve()
    return "site-packages" in resolved.parts or "dist-packages" in resolved.parts or resolved.is_relative_to(TEMPLATES)


Output = tuple[str, str, int, int, int]
"""A page's HTML file as a build wrote it: (output key, SHA-1 of the bytes, size, inode, modification time in ns)."""


class Outputs:
    """The HTML files of the earlier site a build keeps, and what the next build needs to keep this one's."""

    def __init__(self, earlier_site: Path | None, earlier: dict[str, Output] | None, shell: str | None):
        self.earlier_site, self.earlier, self.shell = earlier_site, earlier or {}, shell
        self.keys: dict[str, str] = {}  # this build's output key of every page it can say one for
        self.hashes: dict[str, str] = {}  # SHA-1 of each HTML file this build wrote or kept
        self.linked: dict[str, Output] = {}  # the pages kept as the earlier site's very file, by its record (``made``)

    def key(self, dest: str, record_digest: str) -> str:
        return digest(f"{self.shell}\0{dest}\0{record_digest}".encode())

    def keep(self, dest: str, record_digest: str | None) -> str | None:
        """The earlier site's file for ``dest`` when this build would write the same bytes, or None. (A path as
        text: asked of every page of a merge's build, twice an edition, ``pathlib`` was a fifth of the asking.)"""
        if self.shell is None or record_digest is None:
            return None
        key = self.keys[dest] = self.key(dest, record_digest)
        before = self.earlier.get(dest)
        if before is None or before[0] != key or self.earlier_site is None:
            return None
        file = os.path.join(self.earlier_site, dest)
        try:
            stat = os.stat(file)
        except OSError:
            return None
        same_file = (stat.st_size, stat.st_ino, stat.st_mtime_ns) == tuple(before[2:])
        if not same_file and (stat.st_size != before[2] or _file_digest(file) != before[1]):  # say, restored by CI
            return None
        self.hashes[dest] = before[1]
        if same_file:
            self.linked[dest] = before
        return file

    def wrote(self, dest: str, output: bytes) -> None:
        if dest in self.keys:
            self.hashes[dest] = digest(output)

    def made(self, site: Path) -> dict[str, Output]:
        """Every page of this build's site the next build may keep (read once this site is written). A page kept
        as the earlier site's very file is not looked at again: linked, it is that file, with its size, inode and
        time (10,324 files an edition after a merge at 10,000 orders); copied where it could not be linked, the
        next build finds another inode and compares its bytes (``keep``)."""
        outputs, folder = {}, os.fspath(site)
        for dest, key in self.keys.items():
            sha = self.hashes.get(dest)
            if sha is None:
                continue
            linked = self.linked.get(dest)
            if linked is not None:
                outputs[dest] = (key, sha, *linked[2:])
                continue
            with contextlib.suppress(OSError):
                stat = os.stat(os.path.join(folder, dest))
                outputs[dest] = (key, sha, stat.st_size, stat.st_ino, stat.st_mtime_ns)
        return outputs


def _file_digest(file: str) -> str:
    with open(file, "rb") as handle:
        return hashlib.file_digest(handle, "sha1").hexdigest()
