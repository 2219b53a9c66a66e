"""What a UI check's isolation costs Chromium: a fresh context per page vs pages of one context.

    .venv/bin/python bench/chromium_contexts.py [--pages 20] [--rounds 3] [--chromium PATH]

Every UI check of a run gets a browser context of its own (`UiSession`: no cookie, storage
or cache of another check), hence a renderer process of its own. This launches Chromium as
runs do (`CHROMIUM_ARGS`, the installed headless shell by default) and, alternating, opens
`--pages` small pages either each in a new context (as checks do) or all in one context
(each a new page, closed after use), then prints the CPU time of Chromium's processes for
each side (medians over the rounds), per page, and the ratio. Sampled from /proc (user +
system of every process under this one, Chromium's and the Playwright driver's).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Any

from homolog.suites.ui.browser import CHROMIUM_ARGS, CHROMIUM_PATH

PAGE = (
    "data:text/html,<!doctype html><html lang=fr><title>page</title><main><h1>Titre</h1>"
    "<p>Un paragraphe de texte.</p><a href=%23>lien</a><button>Valider</button></main></html>"
)
TICK = os.sysconf("SC_CLK_TCK")


def _tree_cpu(root: int) -> float:
    """User + system seconds of every live process under `root`."""
    children: dict[int, list[tuple[int, int]]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append((int(name), int(fields[11]) + int(fields[12])))
    total, todo = 0, [root]
    while todo:
        for pid, ticks in children.get(todo.pop(), []):
            total += ticks
            todo.append(pid)
    return total / TICK


def _side(browser: Any, pages: int, contexts: bool) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of opening `pages` pages one way."""
    cpu0, wall0 = _tree_cpu(os.getpid()), time.perf_counter()
    if contexts:
        for _ in range(pages):
            context = browser.new_context()
            context.new_page().goto(PAGE)
            context.close()
    else:
        context = browser.new_context()
        for _ in range(pages):
            page = context.new_page()
            page.goto(PAGE)
            page.close()
        context.close()
    return _tree_cpu(os.getpid()) - cpu0, time.perf_counter() - wall0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--chromium", default=CHROMIUM_PATH)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    results: dict[str, list[tuple[float, float]]] = {"a context per page": [], "pages of one context": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=list(CHROMIUM_ARGS))
        _side(browser, 2, True)  # warm-up
        for r in range(args.rounds):
            order = [True, False] if r % 2 == 0 else [False, True]
            for contexts in order:
                name = "a context per page" if contexts else "pages of one context"
                results[name].append(_side(browser, args.pages, contexts))
                cpu, wall = results[name][-1]
                print(f"round {r + 1}  {name:22s} {cpu:6.2f} CPU-s  {wall:6.2f} s wall")
        browser.close()
    print(f"Chromium {args.chromium}, {args.pages} pages per side, medians of {args.rounds} rounds:")
    medians = {name: statistics.median(c for c, _ in rows) for name, rows in results.items()}
    for name, cpu in medians.items():
        print(f"  {name:22s} {cpu:6.2f} CPU-s, {1000 * cpu / args.pages:5.0f} ms per page")
    fresh, shared = medians["a context per page"], medians["pages of one context"]
    print(f"  ratio {fresh / shared:.2f}x; a context costs {1000 * (fresh - shared) / args.pages:.0f} ms more per page")


if __name__ == "__main__":
    main()
