"""An Express 5 application (express-session, Passport's local strategy, helmet, csrf-sync:
libraries nobody on the team wrote) served over TLS by Node, for tests.

Its code is `express/server.js`, its pinned dependencies `express/package-lock.json`
(installed by `./setup.sh`: `npm ci` in that folder). `express_app(...)` starts it on a free
127.0.0.1 port and stops it. A server-rendered application: the login page `/login` posts
a form to Passport (`/login`, a redirect to `/` or back to `/login?error=1`), `/` and
`/patients` need a session, the patient list's export is a form POSTed to
`/patients/export`, the password change `/account/password` (current, new, confirmation;
the same page with `#password-error` and 400 when refused, a redirect to a page with
`#password-done` when made).

Variants:

Both protect their forms with csrf-sync's synchroniser tokens (the application's code).

- `checklist`: Express's production practices: `NODE_ENV=production`, `helmet()` with its
  defaults, `x-powered-by` off, the session cookie Secure, HttpOnly and SameSite=Strict,
  an idle session ended after `SESSION_SECONDS` (`rolling`), passwords of 15 characters at
  least, an account locked after `LOCKOUT_FAILURES` failed logins (in the strategy's verify).
- `defaults`: Express and express-session as they come: `NODE_ENV` unset (Express's
  error pages then show the stack), no security header, a session cookie HttpOnly only (no
  Secure, no SameSite) living as long as the server's memory, passwords of 8 characters,
  no lockout, and the export forgot its `loggedIn` guard.

`quirks` switch on, in either variant, ways of writing the application seen in the field
(`server.js` says what each does): `open-notes` (a note and a flag any visitor may post, a
logout posted from every page), `login-pages` (failed and locked logins sent to pages of
their own), `api-cors` (the API's CORS middleware reflecting any origin with credentials).
Its JSON API `/api/patients` answers 401 without a session.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .helpers import app_target, spa_pages
from .tlsserver import app_process, free_port

HERE = Path(__file__).resolve().parent / "express"
USER = "dr.robert"
PASSWORD_CHANGE_USER = "dr.martin"  # sacrificial: its password is changed
LOCKOUT_USER = "dr.petit"  # sacrificial: wrong passwords are tried on it
SESSION_SECONDS = 4
LOCKOUT_FAILURES = 5


def installed() -> str | None:
    """Why the application cannot run here, None when it can."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (HERE / "node_modules" / "express").is_dir():
        return f"its dependencies are not installed: ./setup.sh runs npm ci in {HERE}"
    return None


@contextmanager
def express_app(
    folder: Path, cert: Path, key: Path, ca: Path, variant: str, password: str, quirks: str = ""
) -> Iterator[int]:
    """Run the application in its own process until the block ends; yields its port."""
    port = free_port()
    argv = ["node", str(HERE / "server.js"), "--port", str(port), "--cert", str(cert), "--key", str(key)]
    argv += ["--variant", variant, "--session-seconds", str(SESSION_SECONDS), "--quirks", quirks]
    argv += ["--lockout-failures", str(LOCKOUT_FAILURES)]
    env = {"HOMOLOG_TEST_EXPRESS_PASSWORD": password, "NODE_ENV": "production" if variant == "checklist" else ""}
    with app_process(argv, folder, f"https://127.0.0.1:{port}/login", ca, env):
        yield port


def express_target(folder: Path, port: int, ca: Path, **security_more: object) -> Path:
    """Target file for the application (password in env HOMOLOG_TEST_PASSWORD); more
    `settings.security` keys in `security_more`."""
    accounts = {"web": USER, "lockout": LOCKOUT_USER, "password_change": PASSWORD_CHANGE_USER}
    security = {"session_timeout_seconds": SESSION_SECONDS, "lockout_max_failures": LOCKOUT_FAILURES}
    security |= security_more
    pages = {
        **spa_pages("/login", "/"),  # the server draws the same fields
        "patient_list": {"path": "/patients"},
        "password_change": {
            "path": "/account/password",
            "locators": {"current": "#current", "new": "#new", "done": "#password-done", "error": "#password-error"},
        },
    }
    base = f"https://127.0.0.1:{port}"
    return app_target(folder / "express-target.yaml", "Express application", base, ca, accounts, security, pages)
