"""Readers of security headers, on recorded header values (no network)."""

from __future__ import annotations

import pytest

from homolog.suites.security.header_analysis import (
    cors_problem,
    csp_problems,
    frame_protection,
    hsts_max_age,
    leak_findings,
    parse_set_cookie,
)

STRICT_CSP = "default-src 'self'; img-src 'self'; script-src 'none'; object-src 'none'; frame-ancestors 'none'"


@pytest.mark.parametrize(
    ("value", "age"),
    [
        ("max-age=31536000; includeSubDomains", 31536000),
        ('max-age="600"', 600),
        ("includeSubDomains; MAX-AGE=5", 5),
        ("max-age=-1", None),
        ("includeSubDomains", None),
        ("max-age=３１５３６０００", None),  # full-width digits: no browser reads them
        ("max-age=٣١٥٣٦٠٠٠", None),
        ('max-age="３"', None),
    ],
)
def test_hsts_max_age(value: str, age: int | None) -> None:
    assert hsts_max_age(value) == age


def test_csp_strict_policy_has_no_problem() -> None:
    assert csp_problems(STRICT_CSP) == []
    assert csp_problems("script-src 'self' 'nonce-abc' 'unsafe-inline'; object-src 'none'") == []


@pytest.mark.parametrize(
    ("policy", "problem"),
    [
        ("img-src 'self'", "neither script-src nor default-src"),
        ("default-src 'self' 'unsafe-inline'", "'unsafe-inline'"),
        ("default-src *", "any source"),
        ("default-src 'self'; script-src https:", "any source via https:"),
        ("script-src 'self'", "plugins are unrestricted"),
        ("default-src 'self'; script-src 'self' 'unsafe-eval'", "'unsafe-eval'"),
    ],
)
def test_csp_permissive_policies(policy: str, problem: str) -> None:
    assert any(problem in p for p in csp_problems(policy)), csp_problems(policy)


def test_frame_protection() -> None:
    assert frame_protection(None, STRICT_CSP) == "CSP frame-ancestors 'none'"
    assert frame_protection("sameorigin", None) == "X-Frame-Options SAMEORIGIN"
    assert frame_protection("ALLOW-FROM https://x.example", None) is None
    assert frame_protection(None, "frame-ancestors *") is None
    assert frame_protection(None, None) is None


def test_cookie_attributes() -> None:
    good = parse_set_cookie("sid=abc; Path=/; Secure; HttpOnly; SameSite=Lax")
    assert good.problems() == []
    bare = parse_set_cookie("sid=abc; Path=/")
    assert bare.problems() == ["no Secure", "no HttpOnly", "no SameSite"]
    assert parse_set_cookie("sid=a; Secure; HttpOnly; SameSite=None").problems() == ["SameSite=None"]


def test_leaks_in_bodies_and_headers() -> None:
    trace = 'Traceback (most recent call last):\n  File "/app/web.py", line 12, in f\n'
    found = leak_findings({}, trace)
    assert any("Python traceback" in f for f in found)
    assert leak_findings({"server": "nginx/1.25.3"}, "")
    assert leak_findings({"x-powered-by": "Express"}, "") == []
    assert leak_findings({"server": "refsut"}, "<h1>Page introuvable</h1>") == []
    java = "java.lang.NullPointerException\n\tat com.acme.Foo.bar(Foo.java:42)"
    assert any("Java" in f for f in leak_findings({}, java))


def test_cors() -> None:
    origin = "https://evil.example"
    assert cors_problem(origin, "*", "true")
    assert cors_problem(origin, origin, "true")
    assert cors_problem(origin, "*", None) is None  # public API without credentials
    assert cors_problem(origin, "https://app.example", "true") is None
    assert cors_problem(origin, None, None) is None


@pytest.mark.parametrize(
    "body",
    [
        "xError: " * 200_000,
        "at a.b() in " * 100_000,
        "Warning</b>: " * 100_000,
        'File "' * 200_000,
        "System." * 200_000,
    ],
)
def test_hostile_bodies_hold_no_trace(body: str) -> None:
    # linear patterns: these took minutes with the backtracking ones (bench/hostile.py measures)
    assert leak_findings({}, body) == []


@pytest.mark.parametrize(
    ("body", "label"),
    [
        ("TypeError: x is undefined\n    at f (/srv/app.js:10:5)\n", "Node.js stack"),
        ("   at App.Controllers.Home.Index() in C:\\src\\Home.cs:line 42\n", ".NET stack frame"),
        ("<b>Warning</b>:  division by zero in <b>/srv/x.php</b> on line <b>3</b>", "PHP error"),
        ("sqlite3.OperationalError: no such table", "database error"),
    ],
)
def test_traces_of_each_stack_are_still_found(body: str, label: str) -> None:
    assert any(label in f for f in leak_findings({}, body))
