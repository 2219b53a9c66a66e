"""The pure RFC 9110 readers behind the http.* checks: recorded header lines, known answers."""

from __future__ import annotations

import pytest

from homolog.suites.http.rules import (
    banner_findings,
    content_type_problem,
    date_problem,
    duplicated_singletons,
    is_imf_fixdate,
)


def test_duplicated_single_valued_fields_are_found_lists_and_cookies_are_not() -> None:
    headers = [
        ("Date", "Sun, 29 Nov 2026 10:00:00 GMT"),
        ("date", "Sun, 29 Nov 2026 10:00:00 GMT"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("Vary", "Accept"),
        ("Vary", "Origin"),
        ("Content-Type", "text/html"),
    ]
    assert duplicated_singletons(headers) == [
        "date sent 2 times ('Sun, 29 Nov 2026 10:00:00 GMT', 'Sun, 29 Nov 2026 10:00:00 GMT')"
    ]
    assert duplicated_singletons([("Content-Length", "3"), ("Content-Length", "3")]) != []


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("Sun, 29 Nov 2026 10:00:00 GMT", True),
        ("Mon, 29 Nov 2026 10:00:00 GMT", False),  # 29 Nov 2026 is a Sunday
        ("Sunday, 29-Nov-26 10:00:00 GMT", False),  # obsolete RFC 850 form: recipients only
        ("Sun Nov 29 10:00:00 2026", False),  # asctime: recipients only
        ("2026-11-29T10:00:00Z", False),
        ("Sun, 31 Nov 2026 10:00:00 GMT", False),
    ],
)
def test_imf_fixdate(value: str, ok: bool) -> None:
    assert is_imf_fixdate(value) is ok


def test_date_is_required_on_2xx_3xx_4xx_only() -> None:
    assert date_problem(200, []) == "no Date header (RFC 9110 6.6.1)"
    assert date_problem(404, []) is not None
    assert date_problem(503, []) is None
    assert "not an IMF-fixdate" in (date_problem(200, [("Date", "yesterday")]) or "")
    assert date_problem(200, [("Date", "Sun, 29 Nov 2026 10:00:00 GMT")]) is None


@pytest.mark.parametrize(
    ("headers", "length", "problem"),
    [
        ([("Content-Type", "application/fhir+json; charset=utf-8")], 10, None),
        ([("Content-Type", 'multipart/related; type="application/dicom"; boundary=x')], 10, None),
        ([], 0, None),
        ([], 12, "content sent without Content-Type"),
        ([("Content-Type", "json")], 12, "is not a media type"),
        ([("Content-Type", "text/html; charset")], 12, "is not a media type"),
    ],
)
def test_content_type(headers: list[tuple[str, str]], length: int, problem: str | None) -> None:
    found = content_type_problem(headers, length)
    assert (found is None) if problem is None else (problem in (found or ""))


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([("Server", "refsut")], []),
        ([("Server", "nginx")], []),
        ([("Server", "nginx/1.25.3")], ["gives version(s) nginx/1.25.3"]),
        ([("Server", "Werkzeug/3.1.3 Python/3.11.7")], ["gives version(s) Werkzeug/3.1.3, Python/3.11.7"]),
        ([("Server", "Kestrel")], ["names the framework kestrel"]),
        ([("Server", "Apache (Debian)")], ["carries platform details"]),
        ([("X-Powered-By", "Express")], ["announces the software"]),
        ([("X-AspNet-Version", "4.0.30319")], ["announces the software"]),
    ],
)
def test_banner_findings(headers: list[tuple[str, str]], expected: list[str]) -> None:
    found = banner_findings(headers)
    assert len(found) == len(expected)
    for text, want in zip(found, expected, strict=True):
        assert want in text
