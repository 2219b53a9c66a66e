"""Every parser and detector that reads what the SUT sends, fed bodies made to defeat them.

    python bench/hostile.py [--mb 5] [--only NAME[,NAME...]]

Each hostile body (5 MB by default) is built to make a backtracking pattern, a
quadratic count or a recursive parser blow up; each reader below gets every body and
the time it took is printed, in seconds, one row per body. Linear code shows figures
in proportion to the size (try --mb 1 and --mb 5); a quadratic one would take minutes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx

from homolog.evidence import Sanitizer
from homolog.http import Response, _body_fields, _decode
from homolog.reports.evidence import Budget, load_evidence, reindent_json
from homolog.reports.model import Run
from homolog.suites.documents.svrl import _OTHER_CLARK
from homolog.suites.security.header_analysis import csp_directives, hsts_max_age, leak_findings, parse_set_cookie
from homolog.suites.security.web_login import html_has, parse_login_form

SECRETS = ["Pw!hs D#2026&x", "hstok-0123456789abcdef"]


def bodies(size: int) -> dict[str, str]:
    """Name -> a body of about `size` characters built against one reader."""

    def rep(unit: str) -> str:
        return unit * (size // len(unit))

    return {
        "node-error": rep("xError: "),  # the old Node.js pattern backtracked on each start
        "jwt-prefix": rep("eyJ"),  # the old JWT pattern scanned the run from each 'eyJ'
        "word-run": "a" * size,
        "percent": rep("%41"),
        "percent-mixed": rep("%41x"),
        "entities": rep("&amp;"),
        "json-escapes": rep("\\u0041"),
        "plus": rep("a+"),
        "input-tags": rep("<input "),
        "json-password": rep('"password":"\\'),
        "net-frames": rep("at a.b() in "),
        "php-warnings": rep("Warning</b>: "),
        "py-files": rep('File "'),
        "java-frames": rep("at a.b.c("),
        "clark": rep("Q{"),
        "deep-json": "[" * (size // 2) + "]" * (size // 2),
        "base64": rep("QUFB"),
        "secrets-everywhere": rep("Pw%21hs+D%232026%26x &#x68;stok-0123456789abcdef "),
    }


def _response(body: str) -> Response:
    data = body.encode()
    return Response("GET", "https://sut/x", 500, httpx.Headers({"content-type": "text/html"}), data, 0.0)


def _evidence_file(folder: Path, body: str) -> tuple[Run, str]:
    rel = "evidence/case/01-http-GET-x.json"
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    exchange = {"request": {"method": "GET", "url": "https://sut/x"}, "response": {"status": 500, "body": body}}
    path.write_text(json.dumps(exchange), encoding="utf-8")
    return Run(folder, None, b""), rel  # type: ignore[arg-type]  # load_evidence reads the folder only


def readers(folder: Path) -> dict[str, Callable[[str], object]]:
    sanitizer = Sanitizer(SECRETS)

    def evidence_report(body: str) -> object:
        run, rel = _evidence_file(folder, body)
        return load_evidence(run, rel, Budget())

    return {
        "sanitizer": sanitizer.text,
        "evidence-body": lambda b: _body_fields(b.encode(), "text/html", sanitizer),
        "leak_findings": lambda b: leak_findings({"server": b[:65536]}, b),
        "response.text": lambda b: _response(b).text,
        "response.json": lambda b: _safe(lambda: _response(b).json()),
        "hsts/csp/cookie": lambda b: (hsts_max_age(b), csp_directives(b), parse_set_cookie(b)),
        "login-form": lambda b: _safe(lambda: parse_login_form(b, {}, {})),
        "html_has": lambda b: html_has(b, "#done"),
        "svrl-location": lambda b: _OTHER_CLARK.sub("", b),
        "report-reindent": lambda b: reindent_json(b),
        "report-evidence": evidence_report,
        "gzip,gzip": lambda b: _decode(gzip.compress(gzip.compress(b.encode())), "gzip, gzip", 6 * 1024 * 1024),
    }


def _safe(call: Callable[[], object]) -> object:
    try:
        return call()
    except Exception as exc:  # a refusal is an answer; only the time matters here
        return exc


def paging_count(n: int) -> float:
    """The duplicate-id count of fhir.search.paging over `n` ids (20 pages of n/20)."""
    ids = [f"id-{i % (n // 2)}" for i in range(n)]
    start = time.perf_counter()
    sorted(i for i, c in Counter(ids).items() if c > 1)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=5.0, help="size of each hostile body in MB (default 5)")
    parser.add_argument("--only", default="", help="comma-separated readers to run (default: all)")
    args = parser.parse_args()
    size = int(args.mb * 1024 * 1024)
    with tempfile.TemporaryDirectory() as tmp:
        chosen = readers(Path(tmp))
        if args.only:
            chosen = {k: v for k, v in chosen.items() if k in args.only.split(",")}
        cases = bodies(size)
        print(f"hostile bodies of {size / 1024 / 1024:g} MB; seconds per reader")
        print(f"{'body':<20}" + "".join(f"{name:>17}" for name in chosen))
        worst = 0.0
        for body_name, body in cases.items():
            row = f"{body_name:<20}"
            for call in chosen.values():
                start = time.perf_counter()
                call(body)
                took = time.perf_counter() - start
                worst = max(worst, took)
                row += f"{took:>17.3f}"
            print(row, flush=True)
        print(f"slowest single call: {worst:.2f} s")
        print(f"fhir.search.paging duplicate count, 2,000,000 ids: {paging_count(2_000_000):.2f} s")


if __name__ == "__main__":
    main()
