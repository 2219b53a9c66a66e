"""Report rendering at scale: 10,000 check results and 2,000 evidence files.

Builds a synthetic run (tests/reports/synthrun.py), then renders each format (HTML and
PDF by default) in a process of its own and prints, side by side, its wall time, CPU
time (its child processes included: the PDF's rendering processes), peak RSS (that process's,
its biggest child's, and the peak of their sum) and file size, and the PDF / HTML and the
PDF / PDF-in-one-process ratios.
With --browser it also opens the HTML in headless Chromium and prints the load time,
the DOM size and the time to apply a verdict filter and a search.

    .venv/bin/python bench/report_scale.py [--results 10000] [--evidence 2000]
        [--formats html,pdf,pdf1,junit] [--browser] [--tracemalloc] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "reports"))

from synthrun import SynthCheck, SynthReq, build_run, http_exchange, png  # noqa: E402

VERDICT_CYCLE = ["passed"] * 15 + ["failed", "error", "skipped"]
FAMILIES = ["securite", "identite", "interoperabilite", "documents", "transport", "ui"]


def synthetic_requirements(results: int, evidence: int) -> list[SynthReq]:
    """``results`` checks over results/2 requirements; ``evidence`` files spread evenly."""
    shot = png(640, 360)
    reqs: list[SynthReq] = []
    every = max(1, results // max(1, evidence))
    made = 0
    for i in range(results // 2):
        checks = []
        for j in range(2):
            n = 2 * i + j
            verdict = VERDICT_CYCLE[n % len(VERDICT_CYCLE)]
            ev: list[tuple[str, bytes | dict[str, object] | str]] = []
            if n % every == 0 and made < evidence:
                made += 1
                if made % 4 == 0:
                    ev.append(("screenshot.png", shot))
                elif made % 4 == 1:
                    ev.append(("svrl.xml", "<svrl:schematron-output>" + "x" * 2000 + "</svrl>"))
                else:
                    ev.append(
                        (
                            "http-GET.json",
                            http_exchange(
                                url=f"https://127.0.0.1:8443/fhir/Patient/p{n}",
                                body=f'{{"resourceType": "Patient", "id": "p{n}", "name": [{{"family": "DUPONT"}}]}}',
                            ),
                        )
                    )
            checks.append(
                SynthCheck(
                    f"bench.domain{n % 7}.check{n % 13}",
                    verdict,
                    "" if verdict == "passed" else f"expected 200, got 404 for GET /fhir/x/{n}",
                    evidence=ev,
                )
            )
        worst = next((v for v in ("failed", "error") if v in {c.verdict for c in checks}), None)
        verdict = worst or checks[0].verdict
        reqs.append(
            SynthReq(
                f"BENCH/REQ.{i:05d}",
                verdict,
                checks=checks,
                title=f"Exigence synthétique numéro {i}",
                family=FAMILIES[i % len(FAMILIES)],
                origin=f"prog{i % 3}@1.0.0",
            )
        )
    return reqs


TRACE = False


def measure(label: str, fn):  # type: ignore[no-untyped-def]
    """Run fn, print wall time and memory; tracemalloc only on request (it slows Python)."""
    if TRACE:
        tracemalloc.start()
    t0 = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - t0
    traced = ""
    if TRACE:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        traced = f"   peak traced {peak / 2**20:7.1f} MiB"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label:<28} {seconds:8.2f} s   max RSS so far {rss:7.1f} MiB{traced}")
    return result


def render_alone(run: Path, fmt: str) -> dict[str, float]:
    """Render one format in a fresh process: wall time, CPU time (with its child processes),
    the peak RSS of that process and of its biggest child, and the peak of their sum (the
    process tree sampled every 20 ms; pages shared between processes count in each, so the
    sum is an upper bound).

    `pdf1` is the PDF rendered in that process alone (no worker processes)."""
    one = fmt == "pdf1"
    code = (
        "import json, resource, sys, time\n"
        "import homolog.reports.pdf as pdf\n"
        "from homolog.reports import render\n"
        + ("pdf.default_jobs = lambda: 1\n" if one else "")
        + "t0 = time.perf_counter(); c0 = time.process_time()\n"
        f"path = render({str(run)!r}, [{'pdf' if one else fmt!r}])[{'pdf' if one else fmt!r}]\n"
        "kids = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "out = {'wall': time.perf_counter() - t0, 'cpu': time.process_time() - c0 + kids.ru_utime + kids.ru_stime,\n"
        "       'rss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'kids_rss': kids.ru_maxrss / 1024,\n"
        "       'size': path.stat().st_size}\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.02)
    stdout, stderr = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"rendering {fmt} failed:\n{stderr}")
    out: dict[str, float] = json.loads(stdout.strip().splitlines()[-1])
    out["tree_rss"] = peak / 1024
    return out


def _tree_rss(root: int) -> int:
    """KiB resident in `root` and its descendants now (Linux /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            status = (entry / "status").read_text()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(stat[1])
        rss[pid] = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    total = 0
    for pid, kib in rss.items():
        p = pid
        while p and p != root:
            p = parents.get(p, 0)
        total += kib if p == root else 0
    return total


def browser_figures(html: Path) -> None:
    from playwright.sync_api import sync_playwright

    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        t0 = time.perf_counter()
        page.goto(html.as_uri(), wait_until="load", timeout=300_000)
        load = time.perf_counter() - t0
        nodes = page.evaluate("() => document.getElementsByTagName('*').length")
        t0 = time.perf_counter()
        page.uncheck("#f-passed")
        page.evaluate("() => document.body.offsetHeight")  # force the style/layout pass
        filt = time.perf_counter() - t0
        t0 = time.perf_counter()
        page.fill("#q", "REQ.04")
        page.wait_for_function("() => document.getElementById('shown').textContent.length > 0")
        page.wait_for_timeout(150)
        page.evaluate("() => document.body.offsetHeight")
        search = time.perf_counter() - t0 - 0.15
        print(f"{'chromium load (file://)':<28} {load:8.2f} s   DOM elements {nodes}")
        print(f"{'chromium filter (uncheck)':<28} {filt:8.2f} s")
        print(f"{'chromium search (debounced)':<28} {max(search, 0):8.2f} s")
        browser.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=int, default=10_000)
    ap.add_argument("--evidence", type=int, default=2_000)
    ap.add_argument("--formats", default="html,pdf,pdf1", help="html, pdf, pdf1 (the PDF in one process), junit ...")
    ap.add_argument("--browser", action="store_true", help="also time the HTML in Chromium")
    ap.add_argument("--keep", type=Path, help="keep the run in this folder")
    ap.add_argument("--tracemalloc", action="store_true", help="also report peak Python allocations (slower)")
    args = ap.parse_args()
    global TRACE
    TRACE = args.tracemalloc
    work = args.keep or Path(tempfile.mkdtemp(prefix="homolog-bench-"))
    try:
        reqs = synthetic_requirements(args.results, args.evidence)
        run = measure("build synthetic run", lambda: build_run(work / "run", reqs))
        n_ev = sum(1 for p in (run / "evidence").rglob("*") if p.is_file())
        print(f"run: {len(reqs)} requirements, {2 * len(reqs)} check results, {n_ev} evidence files")
        figures: dict[str, dict[str, float]] = {}
        print(
            f"{'format':<8} {'wall s':>8} {'CPU s':>8} {'peak RSS MiB':>13} {'child MiB':>10} {'sum MiB':>8} "
            f"{'file MiB':>9}   (each in its own process; pdf1: the PDF without worker processes)"
        )
        for fmt in args.formats.split(","):
            f = figures[fmt] = render_alone(run, fmt)
            print(
                f"{fmt:<8} {f['wall']:8.2f} {f['cpu']:8.2f} {f['rss']:13.1f} {f['kids_rss']:10.1f} "
                f"{f['tree_rss']:8.1f} {f['size'] / 2**20:9.1f}"
            )
        if "pdf" in figures and "html" in figures:
            pdf, html = figures["pdf"], figures["html"]
            print(
                f"pdf / html: wall {pdf['wall'] / html['wall']:.1f}x, CPU {pdf['cpu'] / html['cpu']:.1f}x, "
                f"peak RSS (all processes) {pdf['tree_rss'] / html['tree_rss']:.1f}x   "
                "(goal for the PDF: <= 30 s, <= 400 MiB)"
            )
        if "pdf" in figures and "pdf1" in figures:
            pdf, one = figures["pdf"], figures["pdf1"]
            print(
                f"pdf / pdf1: wall {pdf['wall'] / one['wall']:.2f}x, CPU {pdf['cpu'] / one['cpu']:.2f}x, "
                f"peak RSS (all processes) {pdf['tree_rss'] / one['tree_rss']:.2f}x"
            )
        if args.browser and "html" in figures:
            browser_figures(run / "reports" / "report.html")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
