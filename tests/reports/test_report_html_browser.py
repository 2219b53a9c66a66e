"""The HTML report in headless Chromium: SUT payloads stay inert, the page works."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from synthrun import (
    XSS_PAYLOADS,
    SynthCheck,
    SynthReq,
    build_run,
    demo_requirements,
    http_exchange,
)

from homolog.reports import load_run, render
from homolog.reports.html import build_html

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _xss_run(tmp_path: Path) -> Path:
    reqs = [
        SynthReq(
            f"XSS.{i}",
            "failed",
            title=payload,
            text_fr=payload,
            family=payload,
            origin=payload,
            checks=[
                SynthCheck(
                    "xss.check",
                    "failed",
                    payload,
                    title=payload,
                    params={"p": payload},
                    evidence=[
                        (
                            "http.json",
                            http_exchange(
                                "POST",
                                "https://127.0.0.1/" + payload,
                                200,
                                payload,
                                request_body=payload,
                            ),
                        ),
                        ("validator.xml", payload),
                    ],
                )
            ],
            waiver={"justification": payload, "approver": payload, "expires": payload},
        )
        for i, payload in enumerate(XSS_PAYLOADS)
    ]
    return build_run(tmp_path / "run", reqs, target_name=XSS_PAYLOADS[0])


def _open(browser: object, path: Path) -> tuple[object, list[str], list[str]]:
    page = browser.new_page()  # type: ignore[attr-defined]
    dialogs: list[str] = []
    console: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: console.append(m.text))
    page.goto(path.as_uri())
    return page, dialogs, console


def _expand_everything(page: object) -> None:
    page.click("#expand")  # type: ignore[attr-defined]
    # Twice: deferred requirement bodies bring nested <details> only once opened.
    for _ in range(2):
        page.wait_for_timeout(150)  # type: ignore[attr-defined]
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")  # type: ignore[attr-defined]
    page.wait_for_timeout(150)  # type: ignore[attr-defined]


def _report(run: Path, lazy: bool) -> Path:
    """The HTML report, either fully built or with deferred details (big-run mode)."""
    if not lazy:
        return render(run, ["html"])["html"]
    out = run / "reports" / "report-lazy.html"
    out.parent.mkdir(exist_ok=True)
    out.write_text(build_html(load_run(run), "fr", out.parent, lazy_threshold=0), "utf-8")
    return out


@pytest.mark.parametrize("lazy", [False, True], ids=["built", "deferred"])
def test_sut_payloads_do_not_run_in_the_report(browser: object, tmp_path: Path, lazy: bool) -> None:
    report = _report(_xss_run(tmp_path), lazy)
    page, dialogs, _ = _open(browser, report)
    title = page.title()  # type: ignore[attr-defined]
    _expand_everything(page)
    assert page.evaluate("() => window.__pwned") is None  # type: ignore[attr-defined]
    assert page.title() == title and "pwned" not in title  # type: ignore[attr-defined]
    assert dialogs == []
    # The payloads are on the page as text a reader can see.
    body_text = page.inner_text("main")  # type: ignore[attr-defined]
    assert "<script>window.__pwned = 1;" in body_text
    assert page.locator("main script, main img, main iframe, main svg").count() == 0  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


def test_csp_blocks_a_script_even_if_escaping_failed(browser: object, tmp_path: Path) -> None:
    """Defence in depth: a raw injected script and handler are refused by the page's CSP."""
    report = render(_xss_run(tmp_path), ["html"])["html"]
    html = report.read_text(encoding="utf-8")
    injected = (
        "<script>window.__pwned = 'inline'</script>"
        '<img src="x" onerror="window.__pwned = \'handler\'">'
        '<a id="jslink" href="javascript:window.__pwned=\'link\'">x</a>'
    )
    report.write_text(html.replace("<main>", "<main>" + injected, 1), encoding="utf-8")
    page, _, console = _open(browser, report)
    page.click("#jslink")  # type: ignore[attr-defined]
    page.wait_for_timeout(200)  # type: ignore[attr-defined]
    assert page.evaluate("() => window.__pwned") is None  # type: ignore[attr-defined]
    assert any("Content Security Policy" in m for m in console)
    # ...while the report's own script (allowed by hash) did run.
    assert "/" in page.inner_text("#shown")  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("lazy", [False, True], ids=["built", "deferred"])
def test_filters_search_and_screenshot(browser: object, tmp_path: Path, lazy: bool) -> None:
    report = _report(build_run(tmp_path / "run", demo_requirements()), lazy)
    page, _, console = _open(browser, report)
    visible = "() => [...document.querySelectorAll('details.req')].filter(d => d.offsetParent).length"
    assert page.evaluate(visible) == 8  # type: ignore[attr-defined]
    assert page.inner_text("#shown").startswith("8 / 8")  # type: ignore[attr-defined]
    page.uncheck("#f-passed")  # type: ignore[attr-defined]
    page.uncheck("#f-not_applicable")  # type: ignore[attr-defined]
    assert page.evaluate(visible) == 6  # type: ignore[attr-defined]
    page.check("#f-passed")  # type: ignore[attr-defined]
    page.check("#f-not_applicable")  # type: ignore[attr-defined]
    page.fill("#q", "iam.92")  # type: ignore[attr-defined]
    page.wait_for_timeout(300)  # type: ignore[attr-defined]
    assert page.evaluate(visible) == 1  # type: ignore[attr-defined]
    page.fill("#q", "")  # type: ignore[attr-defined]
    page.wait_for_timeout(300)  # type: ignore[attr-defined]
    page.click("details.req.v-failed > summary")  # type: ignore[attr-defined]
    img = page.locator("details.req.v-failed img").first  # type: ignore[attr-defined]
    img.scroll_into_view_if_needed()
    assert img.evaluate("i => i.complete && i.naturalWidth") == 240
    assert console == []  # no CSP violation from the report itself
    page.close()  # type: ignore[attr-defined]


def test_coverage_summary_is_on_the_first_screen(browser: object, tmp_path: Path) -> None:
    """On a 1280×720 screen the coverage table is visible, whole, before any scrolling."""
    run = build_run(tmp_path / "run", demo_requirements())
    page = browser.new_page(viewport={"width": 1280, "height": 720})  # type: ignore[attr-defined]
    try:
        page.goto(render(run, ["html"])["html"].as_uri())
        assert page.evaluate("() => window.scrollY") == 0
        table = page.locator("section.coverage table")
        assert table.is_visible()
        box = table.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 720, box
        assert page.locator("section.coverage tbody tr").count() == 5
    finally:
        page.close()
