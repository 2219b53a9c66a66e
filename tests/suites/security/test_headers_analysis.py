"""Readers of security headers, on recorded header values (no network)."""

from __future__ import annotations

import pytest

from homolog.suites.security.header_analysis import (
    applied_referrer_policy,
    cors_problem,
    csp_list_problems,
    csp_policies,
    csp_problems,
    frame_protection,
    hsts_max_age,
    leak_findings,
    nosniff,
    parse_set_cookie,
    split_values,
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
        ("max-age=31536000; max-age=31536000", None),  # a directive twice voids the field
        ("max-age=31536000; includeSubDomains; includesubdomains", None),
        ("max-age=31536000, max-age=31536000", None),  # two fields merged into one by a proxy
        ("max-age=31536000;; preload", 31536000),
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
    assert frame_protection([], [STRICT_CSP]) == "CSP frame-ancestors 'none'"
    assert frame_protection(["sameorigin"], []) == "X-Frame-Options SAMEORIGIN"
    assert frame_protection(["ALLOW-FROM https://x.example"], []) is None
    assert frame_protection([], ["frame-ancestors *"]) is None
    assert frame_protection([], []) is None


@pytest.mark.parametrize(
    ("xfo", "policies", "protected"),
    [
        # the application and its proxy each send one: the same value twice is that value
        (["DENY", "DENY"], [], True),
        (["DENY, DENY"], [], True),
        # different values block framing if one of them is DENY, SAMEORIGIN or ALLOWALL (HTML)
        (["DENY", "SAMEORIGIN"], [], True),
        (["ALLOW-FROM https://a.example", "bogus"], [], False),
        (["allowall"], [], False),
        ([""], [], False),
        # a policy with frame-ancestors makes browsers ignore X-Frame-Options
        (["DENY"], ["default-src 'self'; frame-ancestors *"], False),
        (["DENY"], ["frame-ancestors https:"], False),
        (["DENY"], ["frame-ancestors https://*"], False),
        (["DENY"], ["default-src 'self'"], True),  # no frame-ancestors: X-Frame-Options decides
        ([], ["frame-ancestors *", "frame-ancestors 'self'"], True),  # each policy must allow the framing site
        ([], ["frame-ancestors 'self' https://portal.example"], True),
        ([], ["frame-ancestors *.example.org"], True),
        ([], ["frame-ancestors"], True),  # an empty list allows no ancestor
    ],
)
def test_frame_protection_as_browsers_decide(xfo: list[str], policies: list[str], protected: bool) -> None:
    assert (frame_protection(xfo, policies) is not None) is protected


def test_header_values_are_split_as_fetch_does() -> None:
    assert split_values(["nosniff", "nosniff"]) == ["nosniff", "nosniff"]
    assert split_values(["a, b", " c "]) == ["a", "b", "c"]
    assert split_values(['x="1, 2", y']) == ['x="1, 2"', "y"]
    assert split_values([]) == []
    assert nosniff(["nosniff", "nosniff"])
    assert nosniff(["NoSniff, nosniff"])
    assert not nosniff(["sniff, nosniff"])  # the first value decides
    assert not nosniff([])
    assert not nosniff([""])


@pytest.mark.parametrize(
    ("fields", "applied"),
    [
        (["same-origin"], "same-origin"),
        (["no-referrer, strict-origin-when-cross-origin"], "strict-origin-when-cross-origin"),
        (["strict-origin", "unsafe-url"], "unsafe-url"),  # two fields: the later one wins
        (["same-origin, some-future-policy"], "same-origin"),  # an unknown token is skipped
        (["whatever"], None),
        ([""], None),
    ],
)
def test_referrer_policy_is_the_last_known_one(fields: list[str], applied: str | None) -> None:
    assert applied_referrer_policy(fields) == applied


def test_csp_fields_and_lists_are_separate_policies() -> None:
    assert csp_policies(["default-src 'self', frame-ancestors 'none'", "object-src 'none'"]) == [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ]
    # one policy restricts scripts, the other plugins: together they restrict both
    assert csp_list_problems(["script-src 'self'", "object-src 'none'"]) == []
    # a permissive policy beside a strict one changes nothing
    assert csp_list_problems([STRICT_CSP, "default-src * 'unsafe-inline'"]) == []
    # what every policy leaves open stays open
    assert csp_list_problems(["script-src 'self' 'unsafe-eval'", "default-src 'self' 'unsafe-eval'"]) == [
        "script-src allows 'unsafe-eval'"
    ]
    assert csp_list_problems(["frame-ancestors 'self'"]) == [
        "neither script-src nor default-src is set: any script may run",
        "neither object-src nor default-src is set: plugins are unrestricted",
    ]


def test_cookie_attributes() -> None:
    good = parse_set_cookie("sid=abc; Path=/; Secure; HttpOnly; SameSite=Lax")
    assert good.problems() == []
    bare = parse_set_cookie("sid=abc; Path=/")
    assert bare.problems() == ["no Secure", "no HttpOnly", "no SameSite"]
    assert parse_set_cookie("sid=a; Secure; HttpOnly; SameSite=None").problems() == ["SameSite=None"]


@pytest.mark.parametrize(
    ("value", "deleted"),
    [
        ('sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/', True),  # Django
        ("old=x; Expires=Thu, 01-Jan-1970 00:00:01 GMT", True),
        ("old=x; Max-Age=-1", True),
        ("old=x; expires=Thu, 01-Jan-70 00:00:01 GMT", True),
        ("sid=; Path=/", True),
        ("sid=abc; Max-Age=3600; Expires=Thu, 01 Jan 1970 00:00:00 GMT", False),  # Max-Age wins
        ("sid=abc; Expires=Fri, 01 Jan 2100 00:00:00 GMT", False),
        ("sid=abc; Expires=someday", False),
        ("sid=abc", False),
    ],
)
def test_a_cookie_the_server_drops(value: str, deleted: bool) -> None:
    assert parse_set_cookie(value).deleted is deleted


def test_leaks_in_bodies_and_headers() -> None:
    trace = 'Traceback (most recent call last):\n  File "/app/web.py", line 12, in f\n'
    found = leak_findings({}, trace)
    assert any("Python traceback" in f for f in found)
    assert leak_findings({"server": "nginx/1.25.3"}, "")
    assert leak_findings({"x-powered-by": "Express"}, "") == []
    assert leak_findings({"server": "refsut"}, "<h1>Page introuvable</h1>") == []
    # an error page breaking its lines, without a stack: nothing
    assert leak_findings({}, "<pre>Forbidden<br> &nbsp; &nbsp;invalid csrf token</pre>") == []
    assert leak_findings({}, "<p>Rendez-vous at 10:30 (salle 3:4)<br>&nbsp;</p>") == []
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
        "<br> &nbsp; &nbsp;at f (" * 100_000,
        "<br>&nbsp;" * 200_000,
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
        # Express's default error page (NODE_ENV unset), lines as finalhandler writes them
        (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head>'
            "<body><pre>ForbiddenError: invalid csrf token<br> &nbsp; &nbsp;at csrfSync "
            "(/srv/app/node_modules/csrf-sync/lib/index.cjs:55:64)<br> &nbsp; &nbsp;at Object.&lt;anonymous&gt; "
            "(/srv/app/server.js:90:55)</pre></body></html>",
            "Node.js stack",
        ),
        ("<pre>TypeError: x<br/>&#160;&#160;&#160;&#160;at f (/srv/app.js:10:5)</pre>", "Node.js stack"),
    ],
)
def test_traces_of_each_stack_are_still_found(body: str, label: str) -> None:
    assert any(label in f for f in leak_findings({}, body))
