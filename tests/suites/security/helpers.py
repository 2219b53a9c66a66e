"""Running several checks in one engine run (one pytest session instead of one each)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from homolog.testing import run_referential

#: Every Pro Santé Connect check, each token and state misbehaviour on its own.
PSC_CHECKS: list[tuple[str, dict[str, Any]]] = [
    ("security.psc.acr_eidas1", {}),
    ("security.psc.pkce_s256", {}),
    ("security.psc.state_nonce", {}),
    ("security.psc.code_flow", {}),
    ("security.psc.subject_mapping", {}),
    *[
        ("security.psc.rejects_invalid_token", {"mode": m})
        for m in ("wrong-aud", "expired", "bad-signature", "wrong-nonce", "wrong-state")
    ],
]

#: The header and session checks of a web application behind a login.
WEB_CHECKS = [
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


def app_target(
    path: Path,
    name: str,
    base_url: str,
    ca: Path,
    accounts: dict[str, str],
    security: dict[str, Any],
    pages: dict[str, Any],
    *,
    api: dict[str, str] | None = None,
    **sections: Any,
) -> Path:
    """Write the target file of a test application served over TLS at `base_url`: its
    `accounts` (auth name -> username, form logins, password in HOMOLOG_TEST_PASSWORD, each
    through `api` when given), `settings.security`, the page map, other `sections`."""
    auth = {
        name: {"type": "form", "username": user, "password_env": "HOMOLOG_TEST_PASSWORD"}
        | ({"api": dict(api)} if api else {})
        for name, user in accounts.items()
    }
    doc = {
        "format": "homolog.target/1",
        "system": {"name": name, "version": "0", "vendor": "homolog tests"},
        "base_urls": {"web": base_url},
        "tls": {"ca_file": str(ca)},
        "auth": auth,
        "settings": {"security": security},
        "pages": pages,
        **sections,
    }
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def spa_pages(login: str, home: str) -> dict[str, Any]:
    """The page map of a single-page application's shell: the login form its script draws
    (#username, #password, #login-submit), the home page showing #current-user."""
    return {
        "login": {
            "path": login,
            "locators": {"username": "#username", "password": "#password", "submit": "#login-submit"},
        },
        "home": {"path": home, "locators": {"current_user": "#current-user"}},
    }


def run_checks(
    checks: list[tuple[str, dict[str, Any]]], target: Path, folder: Path, *, name: str = "adhoc"
) -> dict[str, tuple[str, str | None]]:
    """Run each (check, params) as its own requirement; return key -> (verdict, message).

    The key is the check id, with ``[mode]`` appended when the params carry a mode.
    """
    out: dict[str, tuple[str, str | None]] = {}
    for c in run_in_order(checks, target, folder, name=name):
        params = c.get("params") or {}
        key = f"{c['check']}[{params['mode']}]" if "mode" in params else c["check"]
        out[key] = (c["verdict"], c.get("message"))
    return out


def run_in_order(
    checks: list[tuple[str, dict[str, Any]]], target: Path, folder: Path, *, name: str = "adhoc", **kw: Any
) -> list[dict[str, Any]]:
    """Run each (check, params) as its own requirement of one run; the run.json check entries, in order."""
    path = write_checks_referential(checks, folder, name=name)
    run = run_referential(path, target, folder / f"run-{name}", **kw)
    return [req["checks"][0] for req in run["requirements"]]


def write_checks_referential(checks: list[tuple[str, dict[str, Any]]], folder: Path, *, name: str) -> Path:
    """A referential with one requirement per (check, params), ids SEC-00, SEC-01, ..."""
    ref = {
        "format": "homolog.referential/1",
        "id": f"security-{name}",
        "version": "0.0.0",
        "title": f"security checks ({name})",
        "publisher": "homolog tests",
        "date": "2026-11-22",
        "requirements": [
            {
                "id": f"SEC-{i:02d}",
                "title": check,
                "text": check,
                "level": "exigence",
                "source": {"document": "homolog tests"},
                "checks": [{"check": check, "with": params}],
            }
            for i, (check, params) in enumerate(checks)
        ],
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(ref, sort_keys=False), encoding="utf-8")
    return path
