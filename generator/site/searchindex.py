"""The Pagefind search index, fed each page as MkDocs writes it.

Running the Pagefind command over the finished site costs about 3 ms a page
after MkDocs is done. Pagefind also runs as a service (``pagefind --service``:
requests and answers are base64-encoded JSON separated by commas, the
protocol of its own Python and Node wrappers); this module hands it every
page the moment MkDocs has rendered it, so the indexing runs on the second
core while MkDocs renders the next pages, and only the writing of the bundle
is left at the end. (Pagefind's Python wrapper is not used: it sleeps 0.1 s
before reading each answer, which made 1,000 pages take 106 s here.)

Pages reach the service through a writer thread and a bounded queue, so
MkDocs never waits on the pipe unless Pagefind falls far behind.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import re
import subprocess
import threading
from pathlib import Path, PurePosixPath
from typing import Any

from generator.core.processes import APART


class SearchIndexError(RuntimeError):
    pass


def executable() -> str:
    """The Pagefind binary the ``pagefind[extended]`` package installed (the extended one segments Chinese)."""
    from pagefind.service import get_executable

    found = get_executable()
    if found is None:
        raise SearchIndexError("Pagefind's binary is missing: install the project again (it needs pagefind[extended])")
    return str(found)


def page_url(dest_uri: str) -> str:
    """The URL Pagefind's own crawler would give a page: site-absolute, without a trailing index.html."""
    url = "/" + dest_uri
    return url[: -len("index.html")] if url.endswith("/index.html") else url


_H1 = re.compile(r'<h1(?: id="[^"]*")?')
_SEPARATE = re.compile(r"</(dt|dd|td|th)>")


def searchable(content: str, language: str) -> str:
    """A page's converted content as Pagefind would find it in the built page: the only indexed element.

    Two changes for the index alone (the published page is not touched): the page's title heading weighs
    most, so a query for an order id or a client's name finds that order's dossier first; and a field's
    name, its value and a table's cells are kept apart, so an excerpt reads "客戶：宏遠物流 · 聯絡人：…"
    instead of running them together."""
    content = _H1.sub('<h1 data-pagefind-weight="10"', content, count=1)  # no id: no sub-result repeating the title
    colon = "：" if language.startswith("zh") else ": "
    content = _SEPARATE.sub(lambda m: f"</{m.group(1)}>{colon if m.group(1) == 'dt' else ' · '}", content)
    return f'<!doctype html><html lang="{language}"><head><meta charset="utf-8"></head><body><div data-pagefind-body>{content}</div></body></html>'


def _check_bundle(bundle: Path) -> None:
    """A bundle without Pagefind's entry file, or with an empty file, is never published."""
    try:
        entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SearchIndexError(f"the search index has no readable pagefind-entry.json ({exc.__class__.__name__})") from None
    if not isinstance(entry, dict) or "languages" not in entry:
        raise SearchIndexError("the search index's pagefind-entry.json names no languages")
    empty = sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file() and p.stat().st_size == 0)
    if empty:
        raise SearchIndexError(f"the search index has {len(empty)} empty file(s), e.g. {empty[0]}")


class SearchIndex:
    def __init__(self) -> None:
        self.process = subprocess.Popen([executable(), "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        with contextlib.suppress(OSError, AttributeError):  # behind MkDocs and the page workers, which the build waits for;
            os.setpriority(os.PRIO_PROCESS, self.process.pid, 5)  # Pagefind catches up on what they leave (5,000 orders: −5 s)
        self.answers: dict[int, dict[str, Any]] = {}
        self.errors: list[str] = []
        self.ended = False  # Pagefind's output has ended: no more answers will come
        self.arrived = threading.Condition()
        self.outbox: queue.Queue[bytes | None] = queue.Queue(maxsize=64)
        self.sent = 0
        self.reader = threading.Thread(target=self._read, daemon=True, name=f"{APART}pagefind-reader")
        self.writer = threading.Thread(target=self._write, daemon=True, name=f"{APART}pagefind-writer")
        self.reader.start()
        self.writer.start()
        self.index_id = self._ask({"type": "NewIndex", "config": None})["index_id"]

    def add(self, url: str, html: str) -> None:
        """Queue one page for indexing; returns at once."""
        self._send({"type": "AddFile", "index_id": self.index_id, "url": url, "file_path": None, "file_contents": html})

    def write(self, bundle: Path) -> int:
        """Wait for every page to be indexed, then write the bundle into ``bundle``; the number of pages indexed.

        Pagefind is asked for the files (``GetFiles``) and this process writes them. Asked to write them itself
        (``WriteFiles``), it answers before its last writes reach the disk, and may exit without them: under
        load, 4 writes in 40 left ``pagefind-entry.json`` empty, even after the process had ended."""
        self._wait(self.sent)  # the service answers requests as they finish: the last page may not be the last answer
        answer = self._ask({"type": "GetFiles", "index_id": self.index_id})
        if self.errors:
            raise SearchIndexError(f"Pagefind refused {len(self.errors)} page(s): {self.errors[0]}")
        files = answer.get("files")
        if answer.get("type") != "GetFiles" or not isinstance(files, list):
            raise SearchIndexError(f"Pagefind could not make the search index: {str(answer)[:500]}")
        for item in files:
            name = PurePosixPath(str(item.get("path", "")))
            if name.is_absolute() or not name.parts or ".." in name.parts:
                raise SearchIndexError(f"Pagefind named a file outside its bundle: {str(name)[:200]!r}")
            target = bundle.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(base64.b64decode(item.get("content", ""), validate=True))
        _check_bundle(bundle)
        return sum(1 for a in self.answers.values() if a.get("type") == "IndexedFile")

    def write_and_end(self, bundle: Path) -> int:
        """``write``, then stop the service at once: Pagefind holds every page's words until it exits (1.5 GB
        at 10,000 orders), and the next edition's pages are being made meanwhile."""
        try:
            return self.write(bundle)
        finally:
            self.close()
            self.answers.clear()  # the bundle's files came as one answer of tens of MB

    def close(self) -> None:
        """Stop the service (again: nothing)."""
        self.outbox.put(None)
        self.writer.join(timeout=5)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.reader.join(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError, ValueError):
                stream.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the pipe ------------------------------------------------------------
    def _send(self, payload: dict[str, Any]) -> int:
        self.sent += 1
        message = json.dumps({"message_id": self.sent, "payload": payload}, ensure_ascii=False)
        self.outbox.put(base64.b64encode(message.encode()) + b",")
        return self.sent

    def _ask(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Send a request and wait for its answer."""
        message_id = self._send(payload)
        self._wait(message_id)
        return self.answers[message_id]

    def _wait(self, count: int) -> None:
        """Until requests 1 … ``count`` are all answered, or Pagefind has stopped."""
        with self.arrived:
            while len(self.answers) < count and not self.ended:
                self.arrived.wait(timeout=1)
                if self.process.poll() is not None and not self.reader.is_alive():
                    break
            if len(self.answers) < count:
                raise SearchIndexError(f"Pagefind stopped (exit status {self.process.poll()})")

    def _write(self) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        try:
            while (message := self.outbox.get()) is not None:
                stdin.write(message)
                stdin.flush()
        except (BrokenPipeError, ValueError):  # Pagefind stopped (_wait says so): keep emptying the queue so add() never blocks
            while self.outbox.get() is not None:
                pass
        finally:
            with contextlib.suppress(BrokenPipeError, ValueError):
                stdin.close()

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        parts: list[bytes] = []  # of an answer not yet ended (the bundle's files come as one answer of tens of MB)
        try:
            while chunk := stdout.read1(1 << 20):
                start = 0
                while (end := chunk.find(b",", start)) >= 0:
                    parts.append(chunk[start:end])
                    self._answer(b"".join(parts))
                    parts, start = [], end + 1
                if start < len(chunk):
                    parts.append(chunk[start:])
        finally:
            with self.arrived:
                self.ended = True
                self.arrived.notify_all()

    def _answer(self, raw: bytes) -> None:
        try:
            answer = json.loads(base64.b64decode(raw))
        except ValueError:
            answer = {"payload": {"type": "Error", "message": f"an answer that is not Pagefind's protocol: {raw[:200]!r}"}}
        payload = answer.get("payload") or {}
        with self.arrived:
            if payload.get("type") == "Error":
                self.errors.append(str(payload.get("message")))
            if answer.get("message_id") is not None:
                self.answers[answer["message_id"]] = payload
            self.arrived.notify_all()
