"""Benchmarks: one command, figures and ratios on stdout. Not tests: nothing here fails a build.

    python3 bench/run.py                 # every benchmark at full size
    python3 bench/run.py --orders 2000   # smaller, for a quick look
    python3 bench/run.py --only load

Archives come from ``orders demo`` (the same seed gives the same files) and
are cached under ``bench/out/``. Every measurement runs in a fresh Python
process pinned to one core, so nothing is warm but the operating system's
file cache; each figure is the median of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"


def repository(orders: int, seed: int = 1) -> Path:
    """A demo repository with its approval history, generated once and kept in bench/out/."""
    target = OUT / f"repo-{orders}-{seed}"
    if not (target / ".git").is_dir():
        sys.path.insert(0, str(ROOT))
        import shutil

        from generator.demo.repository import write_repository

        shutil.rmtree(target, ignore_errors=True)
        print(f"  generating a demo repository of {orders} orders in {target} …", flush=True)
        write_repository(target, orders, seed)
    return target


def archive(orders: int, seed: int = 1) -> Path:
    """A demo archive of ``orders`` orders, generated once and kept in bench/out/."""
    target = OUT / f"archive-{orders}-{seed}"
    if not (target / "records").is_dir():
        sys.path.insert(0, str(ROOT))
        from generator.demo.archive import write_demo

        print(f"  generating a demo archive of {orders} orders in {target} …", flush=True)
        write_demo(target, orders, seed)
    return target


def fresh(code: str, *args: str, cores: int = 1) -> dict:
    """Run ``code`` in a new interpreter pinned to ``cores`` cores; it prints one JSON object."""
    prelude = f"import os, sys, json, time\nos.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:{cores}])\n"
    proc = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code), *args], cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"benchmark process failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


LOAD = """
from pathlib import Path
from generator.records import safeyaml
from generator.records.load import Source, find_files
from generator.records.validate import validate_sources
root = Path(sys.argv[1])
t0 = time.perf_counter()
files, _ = find_files(root)
t1 = time.perf_counter()
raws = []
for path, place in files:
    with open(root / path, "rb") as f:
        raws.append((path, place, f.read()))
t2 = time.perf_counter()
sources = []
for path, place, raw in raws:
    data, problems = safeyaml.parse(raw, path)
    sources.append(Source(path, place, raw, data))
t3 = time.perf_counter()
entries, problems = validate_sources(sources)
t4 = time.perf_counter()
from yaml._yaml import CParser
t5 = time.perf_counter()
for _, _, raw in raws:
    p = CParser(raw); p.raw_parse(); p.dispose()
t6 = time.perf_counter()
print(json.dumps({"records": len(files), "errors": len(problems), "bytes": sum(len(r[2]) for r in raws),
                  "walk": t1 - t0, "read": t2 - t1, "parse": t3 - t2, "validate": t4 - t3, "libyaml": t6 - t5}))
"""


def bench_load(orders: int, repeat: int) -> None:
    """Load + validate per record (issue: ≤ 300 µs per record, one core, cold)."""
    root = archive(orders)
    runs = [fresh(LOAD, str(root)) for _ in range(repeat)]
    n = runs[0]["records"]
    med = {k: statistics.median(r[k] for r in runs) for k in ("walk", "read", "parse", "validate", "libyaml")}
    per = {k: v / n * 1e6 for k, v in med.items()}
    total = per["walk"] + per["read"] + per["parse"] + per["validate"]
    print(f"load + validate: {n:,} records ({runs[0]['bytes'] / n:,.0f} bytes on average), {runs[0]['errors']} problems")
    print(f"  find files       {per['walk']:7.1f} µs/record")
    print(f"  read bytes       {per['read']:7.1f} µs/record")
    bare = f"{per['parse'] / per['libyaml']:.1f}× libyaml's bare parse, {per['libyaml']:.1f} µs"
    print(f"  parse YAML       {per['parse']:7.1f} µs/record   ({bare})")
    print(f"  validate schema  {per['validate']:7.1f} µs/record")
    print(f"  total            {total:7.1f} µs/record   ({total / 300:.2f}× the 300 µs target; {total * n / 1e6:.1f} s in all)")


RULES = """
from datetime import date
from pathlib import Path
from generator.records.catalog import build_catalog
from generator.records.load import load_records, scan_attachments
from generator.rules import run_rules
from generator.records.validate import validate_sources
root = Path(sys.argv[1])
t0 = time.perf_counter()
sources, problems = load_records(root)
entries, found = validate_sources(sources)
t1 = time.perf_counter()
catalog = build_catalog(root, entries, date(2026, 11, 20), scan_attachments(root))
t2 = time.perf_counter()
findings = run_rules(catalog)
t3 = time.perf_counter()
print(json.dumps({"records": len(entries), "orders": len(catalog.dossiers), "findings": len(findings),
                  "schema": t1 - t0, "index": t2 - t1, "rules": t3 - t2}))
"""


def bench_rules(orders: int, repeat: int) -> None:
    """The archive-wide rule layer against load + schema validation (issue: adds ≤ 20%)."""
    root = archive(orders)
    runs = [fresh(RULES, str(root)) for _ in range(repeat)]
    med = {k: statistics.median(r[k] for r in runs) for k in ("schema", "index", "rules")}
    added = med["index"] + med["rules"]
    print(f"rules: {runs[0]['orders']:,} orders, {runs[0]['records']:,} records, {runs[0]['findings']} findings (warnings of the demo)")
    print(f"  load + schema    {med['schema']:7.2f} s")
    print(f"  index + attachments {med['index']:5.2f} s")
    print(f"  {len(RULE_IDS())} rules        {med['rules']:7.2f} s")
    print(f"  rule layer adds  {added / med['schema'] * 100:6.1f} %  (target ≤ 20%)")


def RULE_IDS() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from generator.rules import REGISTRY

    return [r for r, rule in REGISTRY.items() if rule.check]


HISTORY = """
import shutil
from datetime import date
from pathlib import Path
from generator.trail.approvals import evaluate
from generator.records.catalog import build_catalog
from generator.trail.cache import CACHE_FILE
from generator.trail.commits import History
from generator.trail.gitlog import walk
from generator.trail.history import read_history
from generator.records.load import load_records
from generator.records.validate import validate_sources
root = Path(sys.argv[1])
mode = sys.argv[2]
entries, _ = validate_sources(load_records(root)[0])
catalog = build_catalog(root, entries, date(2026, 11, 20))
import git
repo = git.Repo(root)
if mode == "cold":
    shutil.rmtree(root / CACHE_FILE.parent, ignore_errors=True)
    t0 = time.perf_counter()
    commits = walk(repo, "HEAD", repo.head.commit.hexsha)
    t1 = time.perf_counter()
    approvals = evaluate(History(head="", commits=commits, versions={}), catalog)
    t2 = time.perf_counter()
    history = read_history(root)  # walk again + blobs + diffs, and writes the cache
    t3 = time.perf_counter()
    versions = sum(len(v) for v in history.versions.values())
    print(json.dumps({"commits": int(repo.git.rev_list("--count", "HEAD")), "mainline": len(commits), "versions": versions,
                      "walk": t1 - t0, "approvals": t2 - t1, "full": t3 - t2}))
else:
    from generator.pipeline import Checked, _add_history
    checked = Checked(catalog, [])
    _add_history(root, checked)  # fills the problem cache if the cold run did not
    checked = Checked(catalog, [])
    t0 = time.perf_counter()
    _add_history(root, checked)  # what orders validate spends on history when nothing changed
    t1 = time.perf_counter()
    history = read_history(root)  # what the site spends loading every version from the cache
    t2 = time.perf_counter()
    print(json.dumps({"warm": t1 - t0, "approvals": checked.approval_count, "load": t2 - t1}))
"""


def bench_history(orders: int, repeat: int) -> None:
    """The history layer (issue: walk + approvals ≤ 5 s cold at 10,000 orders; diffs ≤ 300 µs a version; warm ≤ 1 s)."""
    for size in sorted({max(orders // 5, 1), orders}):
        root = repository(size)
        cold = [fresh(HISTORY, str(root), "cold", cores=2) for _ in range(repeat)]  # both cores allowed
        warm = [fresh(HISTORY, str(root), "warm", cores=2) for _ in range(repeat)]
        c = {k: statistics.median(r[k] for r in cold) for k in ("walk", "approvals", "full")}
        first = cold[0]
        diffs = c["full"] - c["walk"]
        print(f"history: {size:,} orders, {first['commits']:,} commits ({first['mainline']:,} on the main line), {first['versions']:,} versions")
        print(f"  walk: git log + changed files + branch authors {c['walk']:6.2f} s")
        print(f"  approvals checked                              {c['approvals']:6.2f} s")
        print(f"  walk + approvals, cold                         {c['walk'] + c['approvals']:6.2f} s   (target ≤ 5 s at 10,000 orders)")
        print(f"  blobs read, parsed and diffed                  {diffs:6.2f} s   = {diffs / first['versions'] * 1e6:.0f} µs a version (target ≤ 300)")
        print(f"  nothing changed: history layer of validate     {statistics.median(r['warm'] for r in warm):6.2f} s   (target ≤ 1 s)")
        print(f"  nothing changed: every version from the cache  {statistics.median(r['load'] for r in warm):6.2f} s   (for the site's timelines)")


BARE = """
import resource, shutil, subprocess
from datetime import date
from pathlib import Path
root, out = Path(sys.argv[1]), Path(sys.argv[2])
from generator.pipeline import check_archive
from generator.site.render import render_pages
from generator.site.plugin import navigation
import yaml
pages = render_pages(check_archive(root, date(2026, 11, 20)), "zh-Hant")
shutil.rmtree(out, ignore_errors=True)
docs = out / "docs"
for path, text in pages.items():
    (docs / path).parent.mkdir(parents=True, exist_ok=True)
    (docs / path).write_text(text, encoding="utf-8")
config = {"site_name": "bare", "use_directory_urls": False, "theme": {"name": "material", "language": "zh-Hant", "font": False},
          "plugins": [], "markdown_extensions": [{"toc": {"permalink": False}}], "nav": navigation("zh-Hant"),
          "not_in_nav": "/dossiers/\\n/orders/*/"}
(out / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
print(json.dumps({"pages": len(pages)}))
"""

MEASURE = """
import resource, subprocess
t0 = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
seconds = time.perf_counter() - t0
if done.returncode:
    raise SystemExit(done.stderr[-2000:])
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak}))
"""


REPORTS = """
import markdown
from datetime import date
from pathlib import Path
from generator.pipeline import check_archive
from generator.site import slots
from generator.site.render import Renderer
checked = check_archive(Path(sys.argv[1]), date(2026, 11, 20), history=False)
made = {"pages": 0, "facts": 0.0, "render": 0.0, "convert": 0.0}
for language in ("zh-Hant", "en"):
    t0 = time.perf_counter()
    renderer = Renderer(checked, language)
    renderer.report_facts
    t1 = time.perf_counter()
    plan = renderer.report_plan()
    pages = [render() for _, render in plan]
    t2 = time.perf_counter()
    for text in pages:  # as the build converts them: whole-element lines aside, Python-Markdown with MkDocs' extensions
        slotted, blocks = slots.take(text)
        slots.restore(markdown.markdown(slotted, extensions=["toc", "tables", "fenced_code"]), blocks)
    t3 = time.perf_counter()
    made["pages"] += len(plan)
    made["facts"] += t1 - t0
    made["render"] += t2 - t1
    made["convert"] += t3 - t2
made["seconds"] = made["facts"] + made["render"] + made["convert"]
print(json.dumps(made))
"""


def _folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def _query_bytes(site: Path, query: str) -> tuple[int, int]:
    """Bytes a browser downloads for the search index when one query is typed (Debian's chromium)."""
    import functools
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    sizes: dict[str, int] = {}
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page()
        page.goto(f"{url}/index.html")
        page.wait_for_load_state("networkidle")
        page.on("response", lambda r: sizes.__setitem__(r.url, len(r.body())) if "/pagefind/" in r.url else None)
        page.locator("#oa-search input.pagefind-ui__search-input").type(query)
        page.keyboard.press("End")
        page.wait_for_selector(".pagefind-ui__result", timeout=20_000)
        page.wait_for_load_state("networkidle")
        browser.close()
    server.shutdown()
    return sum(sizes.values()), len(sizes)


def _languages(root: Path, both: bool) -> None:
    """Publish the demo in its first language only (comparable with the bare build) or in both."""
    sys.path.insert(0, str(ROOT))
    from generator.demo.company import COMPANY
    from generator.site.sitecfg import mkdocs_yml, site_names

    names = site_names(*COMPANY)
    (root / "mkdocs.yml").write_text(mkdocs_yml(names if both else dict(list(names.items())[:1])), encoding="utf-8")


def bench_site(orders: int, repeat: int) -> None:
    """The site build against a bare mkdocs build of the same pages (issue: overhead ≤ 30% cold, ≤ 10% warm),
    and what the second language (the English edition at site/en/) adds to it.

    Bare, cold and warm runs take turns, so a slow minute on a shared machine
    touches all of them; each figure is the median of its runs (one run from
    5,000 orders up, where a run takes minutes).
    """
    import shutil

    sizes = SIZES or ([1_000, 2_000, 5_000, 10_000] if orders >= 10_000 else sorted({max(orders // 5, 1), orders}))
    rows = []
    for size in sizes:
        root = repository(size)
        bare = OUT / f"bare-{size}"
        fresh(BARE, str(root), str(bare))
        runs: dict[str, list[dict]] = {k: [] for k in ("bare", "cold", "warm", "cold both", "warm both")}
        build = (sys.executable, "-m", "generator.cli", "build", str(root), "--today", "2026-11-20")
        for _ in range(repeat if size < 5_000 else 1):
            runs["bare"].append(fresh(MEASURE, sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(bare / "mkdocs.yml")))
            for both in (False, True) if not ONE_LANGUAGE else (False,):
                if not ONE_LANGUAGE:
                    _languages(root, both)
                shutil.rmtree(root / ".cache", ignore_errors=True)
                runs["cold both" if both else "cold"].append(fresh(MEASURE, *build, cores=2))
                runs["warm both" if both else "warm"].append(fresh(MEASURE, *build, cores=2))
        bare_s, cold, warm, cold2, warm2 = (statistics.median(r["seconds"] for r in runs[k]) if runs[k] else 0.0 for k in runs)
        peaks = {k: max((r["peak_mb"] for r in v), default=0.0) for k, v in runs.items()}
        bundle = _folder_bytes(root / "site" / "pagefind")
        rows.append((size, warm))
        made = fresh(REPORTS, str(root))
        print(
            f"  reports: {made['pages']} pages in both languages (all time, each year, quarter and month with activity): "
            f"facts {made['facts']:.1f} s, rendered {made['render']:.1f} s, converted {made['convert']:.1f} s — "
            f"{made['seconds']:.1f} s of one core, {made['seconds'] / (cold2 or cold):.1%} of the cold build of "
            f"{'both editions' if cold2 else 'one'} (target ≤ 5 %)",
            flush=True,
        )
        print(
            f"site: {size:,} orders ({len(runs['bare'])} run(s) each): bare mkdocs {bare_s:.1f} s / {peaks['bare']:.0f} MB; "
            f"orders build cold {cold:.1f} s ({cold / bare_s - 1:+.0%}) / {peaks['cold']:.0f} MB, "
            f"warm {warm:.1f} s ({warm / bare_s - 1:+.0%}) / {peaks['warm']:.0f} MB; search bundle {bundle / 1e6:.1f} MB",
            flush=True,
        )
        if not ONE_LANGUAGE:
            print(
                f"  with the English edition too: cold {cold2:.1f} s (second language +{cold2 - cold:.1f} s, {cold2 / cold - 1:+.0%})"
                f" / {peaks['cold both']:.0f} MB, "
                f"warm {warm2:.1f} s (+{warm2 - warm:.1f} s, {warm2 / warm - 1:+.0%}) / {peaks['warm both']:.0f} MB",
                flush=True,
            )
    size = rows[-1][0]
    downloaded, files = _query_bytes(repository(size) / "site", "股份")
    print(f"  one query (股份) at {size:,} orders downloads {downloaded / 1e3:.0f} KB of search index in {files} files (target < 500 KB)")
    (first, first_warm), (last, last_warm) = rows[0], rows[-1]
    print(f"  growth: {last / first:.0f}× the orders took {last_warm / first_warm:.1f}× the warm build time")


WITHOUT_REPORTS = """
import sys
from generator.site.render.reports import ReportPages
ReportPages.report_plan = lambda self: []  # the same build, minus the report pages (their links go nowhere)
from generator.cli import main
sys.argv = ["orders", *sys.argv[1:]]
main()
"""


def bench_reports(orders: int, repeat: int) -> None:
    """What the report pages cost (issue 17: ≤ 5 % of a cold build): the same cold build of both editions
    with and without them, taking turns, and the CPU time of making and converting them in one process."""
    import shutil

    root = repository(orders)
    _languages(root, True)
    build = ("build", str(root), "--today", "2026-11-20")
    runs: dict[str, list[float]] = {"with": [], "without": []}
    for _ in range(repeat if orders < 5_000 else 1):
        for which in ("without", "with"):
            shutil.rmtree(root / ".cache", ignore_errors=True)
            command = (sys.executable, "-m", "generator.cli", *build) if which == "with" else (sys.executable, "-c", WITHOUT_REPORTS, *build)
            runs[which].append(fresh(MEASURE, *command, cores=2)["seconds"])
    with_s, without_s = statistics.median(runs["with"]), statistics.median(runs["without"])
    made = fresh(REPORTS, str(root))
    print(
        f"reports: {orders:,} orders, cold build of both editions with the report pages {with_s:.1f} s, without {without_s:.1f} s "
        f"({with_s / without_s - 1:+.1%}); {made['pages']} report pages made and converted in {made['seconds']:.1f} s of one core "
        f"(facts {made['facts']:.1f} s, rendered {made['render']:.1f} s, converted {made['convert']:.1f} s): "
        f"{made['seconds'] / with_s:.1%} of the cold build (target ≤ 5 %)",
        flush=True,
    )


SIZES: list[int] | None = None
ONE_LANGUAGE = False

BENCHMARKS = {
    # name: (function, default number of orders)
    "load": (bench_load, 12_500),  # about 50,000 records once expired ones are disposed of
    "rules": (bench_rules, 10_000),
    "history": (bench_history, 10_000),
    "site": (bench_site, 10_000),
    "reports": (bench_reports, 10_000),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, help="orders in the generated archives (default: each benchmark's own size)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh-process runs per figure (median)")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append", help="run only these")
    parser.add_argument("--sizes", help="site: the archive sizes to build, e.g. 1000,10000 (default: from --orders)")
    parser.add_argument("--one-language", action="store_true", help="site: the first language only (to compare with code from before translations)")
    args = parser.parse_args()
    global SIZES, ONE_LANGUAGE
    SIZES = [int(x) for x in args.sizes.split(",")] if args.sizes else None
    ONE_LANGUAGE = args.one_language
    OUT.mkdir(exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; medians of {args.repeat} fresh processes")
    for name in args.only or BENCHMARKS:
        function, orders = BENCHMARKS[name]
        function(args.orders or orders, args.repeat)


if __name__ == "__main__":
    main()
