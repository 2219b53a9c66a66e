"""Accessibility audit throughput: pages audited per minute, cold and warm browser.

    .venv/bin/python bench/axe.py [--pages N] [--sut]

- cold: every page pays Playwright's driver start, a Chromium launch, a context, the page
  load, axe injection and the RGAA run, then everything is closed;
- warm: one Chromium for all pages; each page gets a fresh context (as each check does),
  a load, axe injection and the RGAA run.

Pages: the known-answer pages (served on 127.0.0.1) by default; with `--sut`, the reference
SUT's mapped pages (HTTPS with its CA pinned, login first: the warm figure then includes
one login per context as a check would pay it).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from homolog import load_target
from homolog.fixtures.a11y_pages import PAGES_DIR, serve_pages
from homolog.suites.ui.axe import run_axe
from homolog.suites.ui.browser import CHROMIUM_ARGS, CHROMIUM_PATH, target_tls_trust


@contextmanager
def known_pages() -> Iterator[tuple[list[str], dict[str, Any], Callable[[Any], None]]]:
    with serve_pages() as base:
        urls = [f"{base}/{p.name}" for p in sorted(PAGES_DIR.glob("*.html"))]
        yield urls, {}, lambda page: None


@contextmanager
def sut_pages() -> Iterator[tuple[list[str], dict[str, Any], Callable[[Any], None]]]:
    from homolog.fixtures.refsut import start_sut

    with tempfile.TemporaryDirectory() as tmp, start_sut(workdir=Path(tmp)) as sut:
        os.environ.update(sut.env)
        target = load_target(sut.target_path)
        trust = target_tls_trust(target, target.base_urls.values())
        args = [f"--ignore-certificate-errors-spki-list={','.join(trust.spki_pins)}"]
        base = target.base_url("web")
        paths = [target.page(n).path.format(**target.data) for n in ("patient_list", "patient")]
        password = target.secret_value("web", "password")
        login = target.page("login")
        auth = target.auth("web")
        if auth is None:
            raise SystemExit(f"{sut.target_path}: no 'auth: web' entry to log in with")
        username = auth.username or ""

        def log_in(page: Any) -> None:
            page.goto(base + login.path)
            page.fill(login.locator("username"), username)
            page.fill(login.locator("password"), password)
            with page.expect_navigation():
                page.click(login.locator("submit"))

        yield [base + p for p in paths], {"extra_args": args}, log_in


def audit(browser: Any, url: str, log_in: Callable[[Any], None]) -> None:
    context = browser.new_context()
    page = context.new_page()
    log_in(page)
    page.goto(url)
    run_axe(page, url)
    context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=12, help="pages per measure")
    parser.add_argument("--sut", action="store_true", help="audit the reference SUT's pages")
    opts = parser.parse_args()
    from playwright.sync_api import sync_playwright

    source = sut_pages() if opts.sut else known_pages()
    with source as (urls, extra, log_in):
        chosen = list(itertools.islice(itertools.cycle(urls), opts.pages))
        args = list(CHROMIUM_ARGS) + extra.get("extra_args", [])

        cold: list[float] = []
        for url in chosen:
            t0 = time.perf_counter()
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=args)
                audit(browser, url, log_in)
                browser.close()
            cold.append(time.perf_counter() - t0)

        warm: list[float] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=args)
            audit(browser, chosen[0], log_in)  # warm-up, not counted
            for url in chosen:
                t0 = time.perf_counter()
                audit(browser, url, log_in)
                warm.append(time.perf_counter() - t0)
            browser.close()

    kind = "reference SUT (login + page)" if opts.sut else "known-answer pages"
    print(f"axe-core audit throughput on {kind}, {len(chosen)} pages each, {os.cpu_count()} CPUs")
    for name, times in (("cold", cold), ("warm", warm)):
        per_min = 60.0 * len(times) / sum(times)
        print(
            f"  {name:5s} {per_min:7.1f} pages/min   median {statistics.median(times):.2f} s/page"
            f"   max {max(times):.2f} s"
        )


if __name__ == "__main__":
    main()
