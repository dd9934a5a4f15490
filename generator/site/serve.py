"""``orders serve``: the site on a local address, current within seconds of a save, whatever the archive's size.

Three speeds, so that none waits for a slower one:

- **a saved dossier** is made again in this process (``live.LiveArchive``) and the browsers reload: 0.10–0.33 s
  at 10,000 orders (bench/README), where MkDocs' own ``serve`` converted every page again (128 s);
- **everything else** (lists, reports, the home page, search) comes from a build in a process of its own,
  at low priority, started after a save; its site replaces the served one as ``orders build`` replaces
  ``site/``. Dossiers saved while it ran are made again on top of it, and another build follows;
- **a change no dossier can absorb** (the organisation, the policy, a loan or disposal, a template,
  ``mkdocs.yml``, an attachment, a new dossier, a commit, the next day) builds the site in this process and
  loads the archive again.

The pages are served as built, with one script added before ``</body>``: it asks ``/__live__/<epoch>`` and
reloads the page when the served site changed. ``/__live__/status`` says what the server is doing (JSON).
"""

from __future__ import annotations

import contextlib
import http.server
import json
import logging
import os
import posixpath
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import date
from pathlib import Path

from generator.core import cachefile
from generator.core.paths import TEMPLATES
from generator.core.printable import printable
from generator.records.calendar import archive_today
from generator.records.load import ChangedWhileChecked
from generator.site.live import LiveArchive, NeedsBuild
from generator.trail.repo import head_of, open_repository

log = logging.getLogger("order-archive.serve")

QUIET = 0.15
"""Seconds without a new event before a save is acted on: an editor writes a file in several steps."""

SCRIPT = (
    "<script>(function(){{var e={epoch};function ask(){{fetch('/__live__/'+e).then(function(r){{return r.text()}})"
    ".then(function(t){{if(+t>e){{location.reload()}}else{{ask()}}}}).catch(function(){{setTimeout(ask,1000)}})}}ask()}})();</script>"
)
WAITING = "<!doctype html><meta charset=utf-8><title>…</title><p>The site is being built; this page reloads when it is ready.</p>"


class LiveServer:
    """The served folder, the browsers' reload signal, the watcher and the builds."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 8000, folder: Path | None = None, today: date | None = None):
        self.root, self.today = root.resolve(), today  # a fixed day (tests, benches); otherwise the archive's own
        self.folder = (folder or cachefile.folder(self.root) / "serve").resolve()
        self.epoch = 0
        self.state = "starting"
        self.changed: set[str] = set()
        self.heard = threading.Condition()
        self.stopped = threading.Event()
        self.archive: LiveArchive | None = None
        self.background: subprocess.Popen | None = None
        self.background_log: Path = self.folder.with_name(self.folder.name + ".log")
        self.since_background: set[str] | None = None  # dossiers saved since the running background build started
        self.wanted = False  # a background build is due
        self.head: str | None = None
        self.http = _HTTPServer((host, port), _Handler)
        self.http.live = self
        self.observer = None

    @property
    def address(self) -> str:
        host, port = self.http.server_address[:2]
        return f"http://{host}:{port}/"

    # ------------------------------------------------------------------ the loop

    def run(self) -> None:
        """Serve until ``stop`` (or Ctrl+C): build, load, then act on every save."""
        threading.Thread(target=self.http.serve_forever, name="order-archive-http", daemon=True).start()
        self._watch()
        try:
            self._build_here("the server started")
            while not self.stopped.is_set():
                paths = self._next_saves()
                self._background_done()
                reason = self._outside_change()
                if reason:
                    self._build_here(reason)
                elif paths:
                    self._apply(paths)
                if self.wanted and self.background is None:
                    self._start_background()
        finally:
            self._stop_background()
            if self.observer is not None:
                self.observer.stop()
            self.http.shutdown()
            self.http.server_close()

    def stop(self) -> None:
        self.stopped.set()
        with self.heard:
            self.heard.notify_all()

    def status(self) -> dict:
        return {"epoch": self.epoch, "state": self.state, "background": self.background is not None, "due": self.wanted or bool(self.changed)}

    def _reload(self) -> None:
        with self.heard:
            self.epoch += 1
            self.heard.notify_all()

    def wait_epoch(self, seen: int, timeout: float) -> int:
        with self.heard:
            self.heard.wait_for(lambda: self.epoch > seen or self.stopped.is_set(), timeout)
            return self.epoch

    # ------------------------------------------------------------------ saves

    def _watch(self) -> None:
        """Every file event under records/, the templates and mkdocs.yml (inotify; polling where it is missing)."""
        from watchdog.events import (
            DirDeletedEvent,
            DirMovedEvent,
            FileClosedEvent,
            FileCreatedEvent,
            FileDeletedEvent,
            FileModifiedEvent,
            FileMovedEvent,
            FileSystemEventHandler,
        )
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        server = self

        class Heard(FileSystemEventHandler):
            def on_any_event(self, event) -> None:
                paths = [event.src_path, getattr(event, "dest_path", "")]
                if event.is_directory and event.event_type in ("created", "modified", "closed"):
                    return  # a folder made or touched: its files' own events follow
                with server.heard:
                    for path in filter(None, paths):
                        server.changed.add(os.fsdecode(path))
                    server.heard.notify_all()

        # Writes only: a build opens and reads every record, and those events (by default in the kernel's queue
        # too) overflowed it at 10,000 orders, losing the saves among them.
        writes = [FileModifiedEvent, FileCreatedEvent, FileDeletedEvent, FileMovedEvent, FileClosedEvent, DirDeletedEvent, DirMovedEvent]
        for make in (Observer, PollingObserver):
            observer = make()
            try:
                observer.schedule(Heard(), str(self.root / "records"), recursive=True, event_filter=writes)
                observer.schedule(Heard(), str(TEMPLATES), recursive=True, event_filter=writes)
                observer.schedule(Heard(), str(self.root), recursive=False, event_filter=writes)
                observer.start()
            except OSError as exc:  # e.g. the inotify watches are used up
                log.warning(f"watching with {make.__name__} failed ({exc}); polling instead")
                continue
            self.observer = observer
            return

    def _next_saves(self) -> set[str]:
        """The paths saved, once the files are quiet, relative to the archive (templates: as ``templates/…``)."""
        with self.heard:
            self.heard.wait_for(lambda: self.changed or self.stopped.is_set(), timeout=0.5)
            if not self.changed:
                return set()
        while True:  # quiet for a moment: an editor's save is several events
            with self.heard:
                count = len(self.changed)
                self.heard.wait(QUIET)
                if len(self.changed) == count:
                    raw, self.changed = self.changed, set()
                    break
        paths = set()
        for path in raw:
            relative = _relative(path, self.root)
            if relative is None:
                relative = "templates/" + (_relative(path, TEMPLATES) or "?")
            if relative == "mkdocs.yml" or relative.startswith(("records/", "templates/")):
                paths.add(relative)
        return paths

    def _outside_change(self) -> str | None:
        """A commit or the next day: every page may read it."""
        if self.archive is None:
            return None
        head = _head(self.root)
        if head != self.head:
            return "the history moved (a commit, a checkout)"
        if self.today is None and archive_today(self.root) != self.archive.today:
            return "a new day began"
        return None

    def _apply(self, paths: set[str]) -> None:
        if self.archive is None:  # the last build failed: a save may have mended it
            self._build_here("a file changed after a failed build")
            return
        saved = self.archive.classify(paths)
        if saved.build:
            self._build_here(saved.build)
            return
        started = time.perf_counter()
        try:
            for order_id, files in saved.dossiers.items():
                self.archive.refresh(order_id, files)
        except NeedsBuild as exc:
            self._build_here(str(exc))
            return
        except ChangedWhileChecked as exc:  # saved again while it was read: read again, never placed in the wrong text
            log.info(f"{printable(exc.path)} changed while it was checked: reading it again")
            with self.heard:
                self.changed |= {os.fspath(self.root / path) for path in paths}
                self.heard.notify_all()
            return
        if saved.dossiers:
            self._reload()
            shown = ", ".join(sorted(saved.dossiers))
            log.info(f"made {shown} again in {time.perf_counter() - started:.2f} s; the rest follows in a background build")
            if self.since_background is not None:
                self.since_background |= set(saved.dossiers)
        self.wanted = self.wanted or bool(saved.dossiers) or saved.others

    # ------------------------------------------------------------------ builds

    def _build_here(self, reason: str) -> None:
        """Build the site in this process and load the archive from it (what one dossier cannot absorb)."""
        from generator.site.plugin import build_site

        self._stop_background()
        self.state = "building"
        log.info(f"building the site: {printable(reason)}")
        started = time.perf_counter()
        self.head = _head(self.root)
        with self.heard:
            self.changed.clear()  # this build reads them all
        try:
            result = build_site(self.root, today=self.today, site_dir=self.folder, keep_editions=True)
            self._reload()
            self.state = "loading"
            self.archive = LiveArchive(self.root, self.today or archive_today(self.root), result.editions)
        except Exception as exc:  # a broken template or mkdocs.yml: say so, keep serving what there is
            log.error(f"the site could not be built: {printable(str(exc))}")
            self.archive = None
            self.state = "failed"
            return
        self.wanted = False
        self.state = "ready"
        log.info(f"ready in {time.perf_counter() - started:.1f} s at {self.address}")

    def _start_background(self) -> None:
        """``build_site`` in a process of its own, at low priority: the lists, reports and search catch up."""
        code = "import sys, datetime; from pathlib import Path; from generator.site.plugin import build_site; "
        code += "build_site(Path(sys.argv[1]), site_dir=Path(sys.argv[2]), today=datetime.date.fromisoformat(sys.argv[3]) if sys.argv[3] else None)"
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        with open(self.background_log, "wb") as said:
            self.background = subprocess.Popen(
                [sys.executable, "-P", "-c", code, str(self.root), str(self.folder), self.today.isoformat() if self.today else ""],  # -P: not from the archive
                stdin=subprocess.DEVNULL,
                stdout=said,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=lambda: os.nice(10),  # the next save's dossier comes first
            )
        self.since_background, self.wanted = set(), False

    def _background_done(self) -> None:
        process = self.background
        if process is None or process.poll() is None:
            return
        self.background = None
        again, self.since_background = self.since_background or set(), None
        if process.returncode != 0:
            tail = self.background_log.read_text(encoding="utf-8", errors="replace")[-2000:]
            log.error(f"the background build failed (exit {process.returncode}):\n{printable(tail)}")
            return
        self._reload()
        if again and self.archive is not None:  # saved while it ran: its site may hold them as they were
            try:
                for order_id in sorted(again):
                    self.archive.refresh(order_id, set())
            except NeedsBuild as exc:
                self._build_here(str(exc))
                return
            self._reload()
            self.wanted = True

    def _stop_background(self) -> None:
        process, self.background, self.since_background = self.background, None, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _head(root: Path) -> str | None:
    repo = open_repository(root)
    try:
        return head_of(repo) if repo is not None else None
    except Exception:  # an unreadable head: the build says so
        return None


def _relative(path: str, folder: Path) -> str | None:
    try:
        return Path(path).resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return None


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    live: LiveServer


class _Handler(http.server.BaseHTTPRequestHandler):
    """The served folder's files, read-only, never outside it; HTML pages with the reload script."""

    server: _HTTPServer

    def do_GET(self) -> None:
        live = self.server.live
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if path.startswith("/__live__/"):
            return self._live(live, path.removeprefix("/__live__/"))
        if not live.folder.is_dir():
            return self._send(503, WAITING + SCRIPT.format(epoch=live.epoch), "text/html; charset=utf-8")
        relative = posixpath.normpath("/" + path).lstrip("/")
        target = live.folder / relative if relative not in ("", ".") else live.folder
        if target.is_dir():
            if not path.endswith("/"):
                return self._redirect(urllib.parse.quote(path) + "/")
            target = target / "index.html"
        try:
            inside = target.resolve().is_relative_to(live.folder.resolve())
            body = target.read_bytes() if inside and target.is_file() else None
        except OSError:
            body = None
        if body is None:
            return self._send(404, b"not found", "text/plain; charset=utf-8")
        kind = _TYPES.get(target.suffix.lower(), "application/octet-stream")
        if "attachments" in relative.split("/")[:2]:  # a record's file in any edition, whatever its name says: never a page
            return self._send(200, body, "application/octet-stream", attachment=True)
        if target.suffix == ".html":
            at = body.rfind(b"</body>")
            script = SCRIPT.format(epoch=live.epoch).encode()
            body = body[:at] + script + body[at:] if at >= 0 else body + script
        self._send(200, body, kind)

    def _live(self, live: LiveServer, rest: str) -> None:
        if rest == "status":
            return self._send(200, json.dumps(live.status()).encode(), "application/json")
        seen = int(rest) if rest.isdigit() else -1
        epoch = live.wait_epoch(seen, 30.0) if seen >= 0 else live.epoch
        self._send(200, str(epoch).encode(), "text/plain")

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, code: int, body: bytes | str, kind: str, attachment: bool = False) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("X-Content-Type-Options", "nosniff")
        if attachment:
            self.send_header("Content-Disposition", "attachment")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:
        log.debug(format % args)


_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".pdf": "application/pdf",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".wasm": "application/wasm",
    ".pf_meta": "application/octet-stream",
}


def serve(root: Path, address: str = "127.0.0.1:8000") -> None:
    """``orders serve``: run until Ctrl+C."""
    host, _, port = address.rpartition(":")
    server = LiveServer(root, host or "127.0.0.1", int(port))
    logging.getLogger("order-archive").setLevel(logging.INFO)
    try:
        server.run()
    except KeyboardInterrupt:
        server.stop()
