"""``orders serve`` for real: a server on a free port over a real git archive, real saves, real HTTP, Chromium.

A save shows on its dossier and the browsers reload; the background build brings the rest and its site is the
site ``orders build`` makes; what a dossier cannot absorb (the organisation, a commit) builds the site; the
server publishes nothing outside its folder and no attachment as a page."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from editing import dossier, edit, read
from gitrepo import git
from sitebuild import TODAY

from generator.demo.repository import write_repository
from generator.site.plugin import build_site
from generator.site.serve import LiveServer

ORDER = "ORD-2026-0005"
HERE = dossier(ORDER)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve") / "demo"
    write_repository(root, 12, seed=2)
    live = LiveServer(root, port=0, today=TODAY)
    thread = threading.Thread(target=live.run, daemon=True)
    thread.start()
    _until(lambda: _status(live)["state"] == "ready", "the server is ready")
    yield live
    live.stop()
    thread.join(60)
    assert not thread.is_alive() and live.background is None  # nothing left running


def _get(server: LiveServer, path: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(server.address.rstrip("/") + path, timeout=60) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _status(server: LiveServer) -> dict:
    return json.loads(_get(server, "/__live__/status")[2])


def _until(condition, what: str, seconds: float = 240) -> None:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(0.1)


def _settled(server: LiveServer) -> None:
    _until(lambda: (s := _status(server))["state"] == "ready" and not s["background"] and not server.wanted and not server.changed, "the builds to end")


def _dossier(server: LiveServer, language: str = "") -> str:
    return _get(server, f"{language}/dossiers/{ORDER}.html")[2].decode()


def test_pages_carry_the_reload_script(server):
    code, headers, body = _get(server, f"/dossiers/{ORDER}.html")
    assert code == 200 and headers["Content-Type"].startswith("text/html")
    assert body.count(b"/__live__/") == 1 and body.index(b"/__live__/") < body.rindex(b"</body>")
    assert _get(server, "/")[0] == 200 and _get(server, "/en/")[0] == 200


ESCAPES = ["/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2f..%2fetc/passwd", "/dossiers/../../../../etc/hostname"]


@pytest.mark.parametrize("path", ESCAPES)
def test_nothing_outside_the_served_folder(server, path):
    code, _, body = _get(server, path)
    assert code == 404 and b"root:" not in body


def test_a_link_in_the_served_folder_leads_nowhere_outside(server):
    planted = server.folder / "planted.html"
    planted.symlink_to("/etc/passwd")
    try:
        assert _get(server, "/planted.html")[0] == 404
    finally:
        planted.unlink()


@pytest.mark.parametrize("edition", ["", "/en"])
def test_an_attachment_is_never_served_as_a_page(server, edition):
    """In every edition's folder: whatever is planted under ``/en/attachments/`` is a download too."""
    published = server.folder / "attachments" / ORDER  # the one copy, which every edition links
    name = sorted(p.name for p in published.iterdir())[0]
    folder = server.folder / edition.lstrip("/") / "attachments" / ORDER
    folder.mkdir(parents=True, exist_ok=True)
    planted = folder / "planted.html"  # as a page would look, were it served as one
    shutil.copy(published / name, planted)
    try:
        for path in (f"/attachments/{ORDER}/{name}", f"{edition}/attachments/{ORDER}/planted.html"):
            code, headers, body = _get(server, path)
            assert code == 200 and headers["Content-Type"] == "application/octet-stream" and headers["Content-Disposition"] == "attachment", path
            assert headers["X-Content-Type-Options"] == "nosniff" and b"/__live__/" not in body
    finally:
        planted.unlink()


def test_a_save_shows_on_its_dossier_and_the_browsers_reload(server):
    _settled(server)
    seen = _status(server)["epoch"]
    edit(server.root, f"{HERE}/order.yaml", lambda d: d["intake"].update(project_name="即時預覽 Live preview"))
    assert int(_get(server, f"/__live__/{seen}")[2]) > seen  # the long poll answers once the page is there
    assert "即時預覽 Live preview" in _dossier(server) and "即時預覽 Live preview" in _dossier(server, "/en")


def test_a_record_changed_while_it_is_checked_is_read_again(server, monkeypatch):
    """A problem is never placed in a file saved again since it was read (``ChangedWhileChecked``): the server reads
    the dossier again, keeps serving, and the save shows."""
    from generator.records.load import ChangedWhileChecked

    _settled(server)
    refresh, raised = server.archive.refresh, []

    def changed_once(order_id, files):
        if not raised:
            raised.append(order_id)
            raise ChangedWhileChecked(f"{HERE}/order.yaml")
        return refresh(order_id, files)

    monkeypatch.setattr(server.archive, "refresh", changed_once)
    edit(server.root, f"{HERE}/order.yaml", lambda d: d["intake"].update(project_name="又存一次 Saved again"))
    _until(lambda: "又存一次 Saved again" in _dossier(server), "the dossier read again")
    assert raised == [ORDER] and _status(server)["state"] == "ready"


def test_the_background_build_brings_the_rest_and_is_the_build(server, tmp_path):
    edit(server.root, f"{HERE}/order.yaml", lambda d: d["intake"]["client"].update(name="新客戶股份有限公司"))
    _until(lambda: "新客戶股份有限公司" in _dossier(server), "the dossier")
    _settled(server)
    assert "新客戶股份有限公司" in _get(server, "/orders/index.html")[2].decode()  # a list: the background build's
    copy = tmp_path / "copy"
    shutil.copytree(server.root, copy, symlinks=True, ignore=shutil.ignore_patterns(".*.old-*", ".*.building-*"))  # a replaced site still being removed
    fresh = tmp_path / "fresh"
    build_site(copy, today=TODAY, site_dir=fresh)
    served = {str(p.relative_to(server.folder)) for p in server.folder.rglob("*") if p.is_file() and "pagefind" not in p.parts}
    built = {str(p.relative_to(fresh)) for p in fresh.rglob("*") if p.is_file() and "pagefind" not in p.parts}
    assert served == built
    assert [p for p in sorted(built) if (fresh / p).read_bytes() != (server.folder / p).read_bytes()] == []


def test_an_organisation_edit_builds_the_site(server):
    _settled(server)
    order = read(server.root, f"{HERE}/order.yaml")
    sales = order["intake"]["sales_rep"]

    def rename(data: dict) -> None:
        for person in data["people"]:
            if person["id"] == sales:
                person["name"] = "改名測試員"

    edit(server.root, "records/organization.yaml", rename)
    _until(lambda: "改名測試員" in _dossier(server), "the new name on the dossier")


def test_a_commit_builds_the_site(server):
    _settled(server)
    assert "尚未提交" in _dossier(server)
    git(server.root, "add", "-A")
    git(server.root, "commit", "-q", "-m", "Edits seen in the live preview", when="2026-11-19T10:00:00+08:00")
    _until(lambda: "尚未提交" not in _dossier(server), "the commit on the dossier")


def test_chromium_reloads_the_page_after_a_save(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        if os.environ.get("ORDER_ARCHIVE_REQUIRE_BROWSER"):
            raise RuntimeError("/usr/bin/chromium is missing")
        pytest.skip("Debian's chromium is not installed")
    _settled(server)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server.address}dossiers/{ORDER}.html")
        page.wait_for_timeout(300)  # the script has asked for the next epoch
        edit(server.root, f"{HERE}/order.yaml", lambda d: d["intake"].update(project_name="瀏覽器自動重新載入 Reloaded"))
        page.wait_for_function("document.body.innerText.includes('瀏覽器自動重新載入 Reloaded')", timeout=60_000)
        browser.close()
    assert errors == []


def test_reading_every_record_loses_no_save(server, caplog):
    """A build reads every record: at 10,000 orders those reads overflowed the kernel's event queue (16,384 events)
    when the watcher asked for them too, and a save among them was lost. Only writes are watched now."""
    _settled(server)
    files = sorted((server.root / "records").rglob("*.yaml"))
    caplog.set_level("DEBUG", logger="watchdog")
    for _ in range(12_000 // len(files) + 1):
        for file in files:
            file.read_bytes()
    edit(server.root, f"{HERE}/order.yaml", lambda d: d["intake"].update(project_name="讀取之後 After the reads"))
    _until(lambda: "讀取之後 After the reads" in _dossier(server), "the save after the reads")
    assert not [r for r in caplog.records if "overflow" in r.getMessage().lower()]


def test_the_background_build_imports_nothing_from_the_archive_it_runs_in(tmp_path, monkeypatch):
    """The background build is ``python -c "import datetime …"``; run in the archive, as ``orders serve`` is,
    Python would look for modules in the working folder first, where anyone can commit a ``datetime.py``."""
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "datetime.py").write_text(f"open({str(tmp_path / 'ran')!r}, 'w').write('planted')\n")
    monkeypatch.chdir(archive)
    live = LiveServer.__new__(LiveServer)
    live.root, live.folder, live.today = archive, tmp_path / "cache" / "site", TODAY
    live.background_log = tmp_path / "background.log"
    live._start_background()
    assert live.background.wait(120) is not None
    assert not (tmp_path / "ran").exists(), (tmp_path / "ran").read_text()
    assert "mkdocs.yml" in live.background_log.read_text()  # it ran, and failed on the empty archive, as it should
