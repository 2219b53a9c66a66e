"""The header and session checks on a Django application, a framework nobody here wrote.

Django's deployment checklist applied is a well-protected system: every check passes,
also behind a proxy that adds its own copies of the security headers. The project as
Django leaves it fails exactly where Django leaves it open. Before these tests, the
checks said `error` on any Django login (a form posted without Origin or Referer is
refused by Django's CSRF protection on HTTPS) and on its password change (a confirmation
field left empty; the outcome shown after a redirect), failed `csrftoken` for lacking
HttpOnly (a cookie scripts read by design, not the session), failed a proxy's second
`X-Content-Type-Options: nosniff`, and passed an export any visitor may post (the bare
anonymous POST was refused by the CSRF protection, not by authentication). Published under
a path, the application got `error` on every login (its form's action was written twice
under the base URL's path) and a false fail on the endpoint inventory (redirects to the
login page under the prefix were not recognised as refusals).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .djangoapp import django_app, django_target
from .helpers import run_in_order
from .tlsserver import make_pki

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.browser]

PASSWORD = "correct-horse-battery-staple"
CHECKS = [
    "security.headers.hsts",
    "security.headers.csp",
    "security.headers.nosniff",
    "security.headers.frame_protection",
    "security.headers.referrer_policy",
    "security.headers.cookies",
    "security.headers.error_disclosure",
    "security.auth.web_requires_session",
    "security.auth.password_policy",
    "security.auth.lockout",
    "security.auth.session_timeout",
    "security.auth.endpoints_refuse_anonymous",
]


def _run(
    tmp_path: Path, variant: str, monkeypatch: pytest.MonkeyPatch, prefix: str = ""
) -> tuple[dict[str, tuple[str, str]], Path]:
    monkeypatch.setenv("HOMOLOG_TEST_PASSWORD", PASSWORD)
    ca, cert, key = make_pki(tmp_path / "pki")
    with django_app(tmp_path / "app", cert, key, ca, variant, PASSWORD, prefix=prefix) as port:
        target = django_target(tmp_path, port, ca, prefix=prefix)
        results = run_in_order([(c, {}) for c in CHECKS], target, tmp_path, name=variant)
    verdicts = {r["check"]: (r["verdict"], r.get("message") or "") for r in results}
    cookies = next(e for r in results if r["check"] == "security.headers.cookies" for e in r["evidence"])
    evidence = tmp_path / f"run-{variant}" / Path(cookies).parent
    return verdicts, evidence


def _session_cookies(evidence: Path) -> list[str]:
    (found,) = evidence.glob("*security.headers.cookies*cookies.json")
    return list(json.loads(found.read_text())["session_cookies"])


# A system published under a path (https://host/ehr/, a hospital's reverse proxy): the page
# map's paths are written from the base URL, the application's links and redirects carry
# the prefix.
@pytest.mark.parametrize(("variant", "prefix"), [("checklist", ""), ("proxied", ""), ("checklist", "/ehr")])
def test_django_deployment_checklist_passes(
    tmp_path: Path, variant: str, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    verdicts, evidence = _run(tmp_path, variant, monkeypatch, prefix)
    assert verdicts == dict.fromkeys(CHECKS, ("passed", "")), verdicts
    # csrftoken (Secure, SameSite, readable by scripts) is set around the login but holds no session
    assert _session_cookies(evidence) == ["sessionid"]


@pytest.mark.parametrize("prefix", ["", "/dpi"])
def test_django_defaults_fail_where_django_leaves_them_open(
    tmp_path: Path, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    verdicts, evidence = _run(tmp_path, "defaults", monkeypatch, prefix)
    failed = {
        "security.headers.hsts",
        "security.headers.csp",
        "security.headers.nosniff",
        "security.headers.referrer_policy",
        "security.headers.cookies",
        "security.auth.password_policy",
        "security.auth.lockout",
        "security.auth.session_timeout",
        "security.auth.endpoints_refuse_anonymous",
    }
    assert {c: v for c, (v, _) in verdicts.items()} == {c: "failed" if c in failed else "passed" for c in CHECKS}
    cookies = verdicts["security.headers.cookies"][1]
    assert "sessionid: no Secure, no SameSite" in cookies
    assert "csrftoken" not in cookies  # it lacks Secure and HttpOnly too, but holds no session
    assert _session_cookies(evidence) == ["sessionid"]
    # refused by the CSRF protection when posted bare, served to any visitor holding a token
    assert (
        f"POST {prefix}/patients/export/ [form on {prefix}/patients/]: 200 text/csv"
        in verdicts["security.auth.endpoints_refuse_anonymous"][1]
    )
