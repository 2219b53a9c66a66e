"""The `ui` object a check receives: one browser context, addressed by page-map names.

Checks never hold vendor selectors: pages and locators come from the target's `pages:`
map. The context is created on first use, so a check that ends up needing no browser
(e.g. its page audit is already cached) starts nothing.

Pages of single-page applications are reached as a user reaches them: a hash route
(`/#/patients`) of the document already open is a same-document navigation (no HTTP
response, and none expected); a page mapped with `navigation: in-app` is reached by a
history change inside the open application (`pushState` and the `popstate` event its
router listens to), which keeps a login held in the application's memory. Every page is
audited once settled (`settle.py`), and one that shows nothing is an error naming it.

`login()` logs in the way the target's auth entry says (`homolog.auth`): a `form` is
filled, an `oidc` login starts from the system's provider button and fills the
provider's form when it shows one, `basic` credentials go to the context as Playwright
HTTP credentials, `bearer` and `header` tokens (and extra headers and cookies) are sent
to the entry's origin only. Basic credentials are a context option: a context opened
before the login (public pages) is closed, its trace kept, and a new one opened.

`in_session()` does a step of the logged-in application (open a form, fill it, submit it)
and does it again, once, after a new login when it ends on the login page: a session that
timed out between two requests of the step (a slow machine, a short timeout) is not what
the check verifies.
"""

from __future__ import annotations

import contextlib
import re
import string
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from homolog import BrowserCredentials, CheckError, Evidence, HttpClient, Target
from homolog.suites.ui.browser import OUT_OF_SCOPE_ERROR, BrowserManager, TlsTrust, target_tls_trust
from homolog.suites.ui.settle import DEFAULT_QUIET_MS, WATCH_JS, SettleRecord, page_content, settle_page
from homolog.suites.ui.tracing import MAX_TRACE_BYTES, sanitize_trace

__all__ = ["NAVIGATION_TIMEOUT_MS", "UiSession", "bounded_screenshot"]

NAVIGATION_TIMEOUT_MS = 20_000
ACTION_TIMEOUT_MS = 10_000
MAX_SCREENSHOT_BYTES = 3 * 1024 * 1024

T = TypeVar("T")


@dataclass(frozen=True)
class _Lapse:
    """A step of `UiSession.in_session` that ended on the login page, and why it said so."""

    reason: str
    error: BaseException | None


def bounded_screenshot(page: Any, *, full_page: bool = True) -> bytes:
    """A PNG of `page`; a full-page image larger than MAX_SCREENSHOT_BYTES (an endless
    page) is replaced by the viewport only, so evidence and reports stay bounded."""
    png: bytes = page.screenshot(full_page=full_page, timeout=ACTION_TIMEOUT_MS)
    if full_page and len(png) > MAX_SCREENSHOT_BYTES:
        png = page.screenshot(full_page=False, timeout=ACTION_TIMEOUT_MS)
    return png


class UiSession:
    """Browser access for one check, bound to the target's page map and evidence."""

    def __init__(
        self,
        manager: BrowserManager,
        target: Target,
        evidence: Evidence,
        *,
        trace: bool = True,
        http: HttpClient | None = None,
    ) -> None:
        self.manager = manager
        self.target = target
        self.evidence = evidence
        self.trace = trace
        self.http = http  # the run's credentials (tokens) come through its authenticator
        self.credentials: BrowserCredentials | None = None  # what the context carries once logged in
        self._traces = 0
        self.blocked: list[str] = []
        self._refused_navigation: str | None = None  # where the browser last refused to take a page
        self.settled: dict[str, SettleRecord] = {}
        self._omit: dict[str, str] = {}
        self._context: Any = None
        self._routed: set[str] = set()  # origins whose requests `_guard` sees for their credentials
        self._page: Any = None
        self._closed = False
        # (auth, login page) of a form login whose landing page was not waited for
        # (`login(landing=False)`): the next goto() tells whether it held.
        self._unverified_login: tuple[str, str] | None = None

    # -- lifecycle
    def _trust(self) -> TlsTrust:
        urls = tuple(sorted(self.target.base_urls.values()))
        key = ("tls-trust", str(self.target.path), str(self.target.ssl_verify), urls)
        trust = self.manager.cache.get(key)
        if trust is None:
            trust = target_tls_trust(self.target, urls)
            self.manager.cache[key] = trust
        return trust

    def _guard(self, route: Any) -> None:
        # The harness stays in the target's scope: a page that pulls a third-party
        # resource or redirects elsewhere gets a blocked request, recorded as evidence.
        url = route.request.url
        if self.target.in_scope(url):
            creds = self.credentials
            # a token goes to the origin it was issued for, never to another in-scope host
            if creds is not None and creds.headers and _origin(url) == creds.origin:
                route.continue_(headers={**route.request.headers, **creds.headers})
                return
            route.continue_()
        else:
            self._block(url)
            route.abort("blockedbyclient")

    def _block(self, url: str) -> None:
        if len(self.blocked) < 50:
            self.blocked.append(url[:300])

    def _failed(self, request: Any) -> None:
        # A request the browser itself kept in the scope (`BrowserManager` docs): the next
        # hop of a redirect, which the route does not see.
        if request.failure == OUT_OF_SCOPE_ERROR:
            self._block(request.url)
            if request.is_navigation_request():
                self._refused_navigation = request.url

    @property
    def context(self) -> Any:
        """The Playwright BrowserContext of this check (created on first use)."""
        if self._closed:
            raise CheckError("the ui session of this check is already closed")
        if self._context is None:
            trust = self._trust()
            browser = self.manager.browser(trust, self.target.hosts)
            creds = self.credentials
            self._context = browser.new_context(
                ignore_https_errors=trust.ignore_https_errors,
                locale="fr-FR",
                viewport={"width": 1280, "height": 900},
                service_workers="block",
                # no check needs a download, and an endless one would fill the disk (Playwright
                # keeps accepted downloads in a temporary folder until the context closes)
                accept_downloads=False,
                http_credentials=dict(creds.http_credentials) if creds and creds.http_credentials else None,
            )
            if creds is not None and creds.cookies:
                self._context.add_cookies([dict(c) for c in creds.cookies])
            self._context.set_default_timeout(ACTION_TIMEOUT_MS)
            self._context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
            self._context.route(_outside(self.target.hosts), self._guard)
            self._context.on("requestfailed", self._failed)
            self._route_credentials()
            self._context.add_init_script(script=WATCH_JS)
            if self.trace:
                self._context.tracing.start(snapshots=True, screenshots=False, sources=False)
        return self._context

    def _route_credentials(self) -> None:
        """Send this context's in-scope requests to the origin of header credentials through
        `_guard`, which adds the headers (other in-scope requests go unrouted)."""
        creds = self.credentials
        if self._context is None or creds is None or not creds.headers or creds.origin in self._routed:
            return
        self._routed.add(creds.origin)
        self._context.route(_origin_pattern(creds.origin), self._guard)

    @property
    def page(self) -> Any:
        """The Playwright Page of this check (created on first use)."""
        if self._page is None or self._page.is_closed():
            self._page = self.context.new_page()
        return self._page

    @property
    def started(self) -> bool:
        """Whether this check opened a browser context at all."""
        return self._context is not None

    # -- page map
    def url(self, page_name: str, **fmt: Any) -> str:
        """Absolute URL of a mapped page; `{placeholders}` default to `target.data`."""
        spec = self.target.page(page_name)
        fields = {f for _, f, _, _ in string.Formatter().parse(spec.path) if f}
        values = {}
        for name in fields:
            value = fmt[name] if name in fmt else self.target.datum(name)
            values[name] = quote(str(value), safe="")
        return spec.url(self.target.base_url(spec.base), **values)

    def page_option(self, page_name: str, key: str) -> Any:
        """A key of the page map entry beyond path/locators (`ready`, `navigation`)."""
        self.target.page(page_name)  # CheckError naming the known pages when absent
        entry = (self.target.raw.get("pages") or {}).get(page_name) or {}
        return entry.get(key)

    def quiet_ms(self) -> int:
        """The quiet window of `settings.ui.quiet_ms` (milliseconds without DOM change)."""
        value = self.target.settings("ui").get("quiet_ms", DEFAULT_QUIET_MS)
        if not isinstance(value, int) or isinstance(value, bool) or not 50 <= value <= NAVIGATION_TIMEOUT_MS // 2:
            raise CheckError(
                f"settings.ui.quiet_ms of the target must be a whole number of milliseconds "
                f"between 50 and {NAVIGATION_TIMEOUT_MS // 2}, not {value!r}"
            )
        return value

    def _navigate_in_app(self, url: str) -> bool:
        """Move the open application to `url` without loading a document; False when no
        document of the same origin is open (the caller then loads the URL)."""
        return bool(
            self.page.evaluate(
                """(url) => {
                  const u = new URL(url, location.href);
                  if (location.protocol === 'about:' || u.origin !== location.origin) return false;
                  if (u.pathname === location.pathname && u.search === location.search) {
                    if (u.hash !== location.hash) location.hash = u.hash;
                    return true;
                  }
                  history.pushState(history.state, '', u.href);
                  window.dispatchEvent(new PopStateEvent('popstate', {state: history.state}));
                  return true;
                }""",
                url,
            )
        )

    def _same_document(self, url: str) -> bool:
        # Playwright answers None for a navigation inside the open document (a hash
        # change): the document was fetched before, there is no new response.
        return bool(self.page.url == url or self.page.url.rstrip("/") == url.rstrip("/"))

    def goto(self, page_name: str, *, expect_ok: bool = True, settle: bool = True, **fmt: Any) -> Any:
        """Open a mapped page and wait until it has settled.

        With `expect_ok`, a failed response (>= 400 or none for a new document) and a page
        that shows no text and no control are errors naming the page. Returns the
        Playwright Response, or None for a navigation inside the open application.

        The first page opened after `login(landing=False)` also tells whether that login
        held: when it fails, or shows the login page or form instead, the session logs in
        again the full way (its landing page settled and judged) and opens the page once
        more, so the check sees what it would have seen had the login waited.
        """
        pending, self._unverified_login = self._unverified_login, None
        if pending is None or page_name == pending[1]:
            return self._goto(page_name, expect_ok=expect_ok, settle=settle, **fmt)
        auth, login_page = pending
        try:
            response = self._goto(page_name, expect_ok=expect_ok, settle=settle, **fmt)
        except CheckError:
            # only the login page, or its form, says the login is what failed
            if not self._shows_login(login_page):
                raise
        else:
            if not self._shows_login(login_page):
                return response
        self.login(auth=auth, page_name=login_page)
        return self._goto(page_name, expect_ok=expect_ok, settle=settle, **fmt)

    def _shows_login(self, login_page: str) -> bool:
        return self.at_page(login_page) or self.shows_login_form(login_page)

    def at_login(self, auth: str = "web") -> bool:
        """Whether the browser shows the login page (or form) of `auth.<auth>`: a step of
        `in_session()` that lands there stops early instead of waiting for its result."""
        login_page = self.target.login_page(auth)
        return login_page is not None and self._page is not None and self._shows_login(login_page)

    def in_session(self, step: Callable[[], T], *, what: str, auth: str = "web") -> T:
        """Do `step` in the logged-in application; when it ends on the login page or form, the
        session lapsed between two of its requests: log in again and do it once more.

        A session times out after some idle seconds; on a loaded machine the time a browser
        takes to fill a form (or a check to read a simulator) between opening a page and
        submitting it can exceed a short timeout, and the submission then lands on the login
        page: what the step finds there (no result, nothing sent) says nothing of the
        requirement it verifies. `step` must open the page it works on (so that, done again,
        it starts from the same place) and may raise when it finds no result. Ending on the
        login page twice is a CheckError: the session does not hold through the step. A
        lapse is kept in the evidence (`session-lapsed.txt`). For an auth entry without a
        login page (basic, bearer) the step is done once.
        """
        login_page = self.target.login_page(auth)
        if login_page is None:
            return step()
        first = self._lapsed(step, login_page)
        if not isinstance(first, _Lapse):
            return first
        self.evidence.attach_text(
            "session-lapsed.txt",
            f"{what}: the page showed the login page ({self.page.url}) instead of the result"
            f" ({first.reason}); logged in again and did it once more\n",
        )
        self.login(auth=auth, page_name=login_page)
        again = self._lapsed(step, login_page)
        if isinstance(again, _Lapse):
            raise CheckError(
                f"{what} ended on the login page twice ({self.page.url}): the session did not hold"
                f" from the page's opening to its submission ({again.reason})"
            ) from again.error
        return again

    def _lapsed(self, step: Callable[[], T], login_page: str) -> T | _Lapse:
        try:
            result = step()
        except Exception as exc:
            if self._page is None or not self._shows_login(login_page):
                raise
            return _Lapse(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, exc)
        if self._page is not None and self._shows_login(login_page):
            return _Lapse("the step completed there", None)
        return result

    def _goto(self, page_name: str, *, expect_ok: bool, settle: bool, **fmt: Any) -> Any:
        url = self.url(page_name, **fmt)
        response = None
        in_app = False
        self._refused_navigation = None
        try:
            if self.page_option(page_name, "navigation") == "in-app":
                in_app = self._navigate_in_app(url)
            if not in_app:
                response = self.page.goto(url, wait_until="load")
        except CheckError:
            raise
        except Exception as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if OUT_OF_SCOPE_ERROR in reason and self._refused_navigation:
                # the browser refused to follow the page out of the scope (a redirect's hop)
                raise CheckError(_left_scope(page_name, url, self._refused_navigation)) from exc
            if "ERR_CERT" in reason and self._trust().failures:
                reason += " (" + "; ".join(self._trust().failures) + ")"
            raise CheckError(f"cannot open page {page_name!r} ({url}): {reason}") from exc
        if not in_app and not self.target.in_scope(self.page.url):
            # A remote browser follows a redirect out of the scope (a local one refuses):
            # what it shows then is not the system's.
            raise CheckError(_left_scope(page_name, url, self.page.url))
        if expect_ok:
            if response is None and not in_app and not self._same_document(url):
                raise CheckError(f"page {page_name!r} ({url}) gave no response")
            if response is not None and response.status >= 400:
                raise CheckError(f"page {page_name!r} ({url}) answered HTTP {response.status}")
        if settle:
            self.settled[page_name] = settle_page(
                self.page,
                page_name,
                timeout_ms=NAVIGATION_TIMEOUT_MS,
                quiet_ms=self.quiet_ms(),
                ready=self.page_option(page_name, "ready"),
                response=response,
            )
        if expect_ok:
            content = page_content(self.page, page_name)
            if content.blank:
                raise CheckError(
                    f"page {page_name!r} ({self.page.url}) shows no text and no control once settled: "
                    "nothing a user can perceive to audit (failed render or empty page)"
                )
        return response

    def at_page(self, page_name: str, **fmt: Any) -> bool:
        """Whether the current URL is the mapped page's (no redirect away).

        Paths are compared; a mapped path with a `#fragment` (a hash route) must match
        the fragment too.
        """
        expected = urlsplit(self.url(page_name, **fmt))
        current = urlsplit(self.page.url)
        if (expected.path.rstrip("/") or "/") != (current.path.rstrip("/") or "/"):
            return False
        return not expected.fragment or expected.fragment.rstrip("/") == current.fragment.rstrip("/")

    def shows_login_form(self, page_name: str = "login") -> bool:
        """Whether the mapped login form (its `username` and `password` locators, the latter
        a password field) is visible on the current page: a login wall where other content
        was expected. A page editing a user has a `#id_username` field too, and a
        `#id_password` that is no password field (Django's admin)."""
        try:
            locators = self.target.page(page_name).locators
        except CheckError:
            return False
        selectors = [locators.get("username"), locators.get("password")]
        if not all(selectors):
            return False
        try:
            if not all(self.page.locator(str(sel)).first.is_visible() for sel in selectors):
                return False
            password = self.page.locator(str(selectors[1])).first
            return bool(password.evaluate("e => e instanceof HTMLInputElement && e.type === 'password'"))
        except Exception:  # a selector the page cannot parse shows nothing
            return False

    def locator(self, page_name: str, locator_name: str) -> Any:
        """A Playwright Locator for a named locator of a mapped page."""
        return self.page.locator(self.target.page(page_name).locator(locator_name))

    def login(self, *, auth: str = "web", page_name: str | None = None, landing: bool = True) -> None:
        """Log in with the target's `auth.<auth>` entry, the way its kind says (module doc).

        A form or provider login succeeds by leaving the login page (a new document, or a
        route change of a single-page application) or, for an application that keeps its
        URL, by the login form going away, without an error shown; anything else is a
        CheckError naming what was seen. The page the form login lands on is settled
        first: a single-page application may route back to its login form, or show an
        error, once its scripts have run.

        `landing=False` is for a caller whose next step is `goto()` another page: when the
        form's submission loaded a new document, other than the login page, that loaded
        without error, the landing page is not waited for (it is about to be left); the
        next `goto()` verifies the login held and, if it did not, logs in the full way.
        """
        spec = self.target.auth(auth)
        if spec is None:
            raise CheckError(f"the target declares no auth {auth!r} for the web login")
        if self.http is None:
            raise CheckError("this UI session has no HTTP client to obtain the run's credentials with")
        self._carry(self.http.authenticator.browser(auth, self.http))
        page_name = page_name or self.target.login_page(auth) or "login"
        if spec.type == "form":
            self._form_login(auth, page_name, landing=landing)
        elif spec.type == "oidc" and not spec.get("client_id"):
            self._provider_login(auth, page_name)

    def _carry(self, creds: BrowserCredentials) -> None:
        """From now on the context carries these credentials; Basic ones need a new context."""
        if creds.http_credentials and self._context is not None:
            self._retire_context()
        self.credentials = creds
        self._route_credentials()
        if self._context is not None and creds.cookies:
            self._context.add_cookies([dict(c) for c in creds.cookies])

    def _provider_login(self, auth: str, page_name: str) -> None:
        """The system's provider button, then the provider's login form if it shows one."""
        spec = self.target.auth(auth)
        assert spec is not None
        self.goto(page_name)
        origin = self.credentials.origin if self.credentials else ""
        try:
            self.locator(page_name, str(spec.get("start"))).click()
            self.page.wait_for_load_state("load")
            fields = spec.get("provider_locators") or {}
            if fields.get("password") and _origin(self.page.url) != origin:
                account = self.http.authenticator.account(spec)  # type: ignore[union-attr]
                self.page.locator(fields["username"]).fill(account.username or "")
                self.page.locator(fields["password"]).fill(account.password or "")
                with self.page.expect_navigation(wait_until="load"):
                    self.page.locator(fields.get("submit") or "[type=submit]").click()
            self.page.wait_for_url(lambda url: _origin(url) == origin, wait_until="load")
        except CheckError:
            raise
        except Exception as exc:
            raise CheckError(f"provider login (auth {auth!r}) did not come back to the system: {exc}") from exc
        if self.at_page(page_name):
            raise CheckError(f"provider login (auth {auth!r}) came back to the login page ({self.page.url})")

    def _form_login(self, auth: str, page_name: str, *, landing: bool = True) -> None:
        spec = self.target.auth(auth)
        assert spec is not None
        username = spec.username
        if not username:
            raise CheckError(f"auth {auth!r} names no username")
        password = self.target.secret_value(auth, "password")
        self.goto(page_name)
        if not self._shows_login(page_name) and _origin(self.page.url) == _origin(self.url(page_name)):
            # The login page sent a visitor who has a session on to the application (Django's
            # admin does): the credentials the context carries have logged in already.
            return
        try:
            self.locator(page_name, "username").fill(username)
            self.locator(page_name, "password").fill(password)
        except Exception as exc:
            if "Timeout" not in type(exc).__name__:
                raise
            raise CheckError(
                f"login as {username!r}: the login page ({self.page.url}) has no field to type into "
                f"({str(exc).splitlines()[-1].strip()[:160]})"
            ) from exc
        response = None
        try:
            with self.page.expect_navigation(wait_until="load") as navigation:
                self.locator(page_name, "submit").click()
            response = navigation.value
        except Exception as exc:
            # An application that logs in without changing its URL navigates nowhere:
            # judge by what it shows once settled.
            if "Timeout" not in type(exc).__name__ and "Timeout" not in str(exc):
                raise CheckError(f"login as {username!r}: submitting the form failed: {exc}") from exc
        if (
            not landing
            and response is not None
            and response.status < 400
            and not self.at_page(page_name)
            and _origin(self.page.url) == _origin(self.url(page_name))
        ):
            self._unverified_login = (auth, page_name)
            return
        self.settled[f"{page_name} (after login)"] = settle_page(
            self.page, page_name, timeout_ms=NAVIGATION_TIMEOUT_MS, quiet_ms=self.quiet_ms(), response=response
        )
        if self.at_page(page_name) and self.shows_login_form(page_name):
            message = ""
            error_sel = self.target.page(page_name).locators.get("error")
            if error_sel and self.page.locator(error_sel).count():
                message = self.page.locator(error_sel).first.inner_text()[:300]
            raise CheckError(
                f"login as {username!r} did not succeed (still on the login page)"
                + (f": {message!r}" if message else "")
            )

    # -- evidence
    def omit_from_trace(self, text: str, label: str) -> None:
        """Replace `text` (e.g. an injected library's source) by `label` in the trace."""
        self._omit[text] = label

    def screenshot(self, name: str, *, full_page: bool = True) -> str:
        """Attach a PNG screenshot of the current page; returns its evidence path."""
        png = bounded_screenshot(self.page, full_page=full_page)
        if not name.endswith(".png"):
            name += ".png"
        return self.evidence.attach_bytes(name, png, media_type="image/png")

    def _secrets(self) -> list[str]:
        # the run's sanitizer knows the tokens and session cookies obtained so far
        secrets = [*self.target.secret_values(), *self.evidence.sanitizer.secrets]
        # The context may be gone after a crash: the target's secrets are still redacted.
        with contextlib.suppress(Exception):
            secrets += [c["value"] for c in self._context.cookies() if c.get("value")]
        return secrets

    def _save_trace(self) -> None:
        self._traces += 1
        name = "trace.zip" if self._traces == 1 else f"trace-{self._traces}.zip"
        with tempfile.TemporaryDirectory(prefix="homolog-trace-") as tmp:
            raw = Path(tmp) / "trace.zip"
            self._context.tracing.stop(path=str(raw))
            data = raw.read_bytes()
            if len(data) <= MAX_TRACE_BYTES:
                clean = sanitize_trace(data, self._secrets(), omit=self._omit, fields=self.target.credential_fields())
                self.evidence.attach_bytes(name, clean, media_type="application/zip")
            else:
                self.evidence.attach_json(
                    name.replace(".zip", "-omitted.json"),
                    {"reason": f"trace of {len(data)} bytes exceeds {MAX_TRACE_BYTES}"},
                )

    def _retire_context(self) -> None:
        """Close the current context (its trace kept) so that the next one is opened afresh."""
        try:
            if self.trace:
                self._save_trace()
        finally:
            with contextlib.suppress(Exception):
                self._context.close()
            self._context = None
            self._routed.clear()
            self._page = None
            self._unverified_login = None

    def close(self, *, failed: bool) -> None:
        """End the check: screenshot on failure, sanitised trace, blocked requests."""
        if self._closed:
            return
        self._closed = True
        if self._context is None:
            return
        try:
            if failed and self._page is not None and not self._page.is_closed():
                # A crashed page cannot be photographed; the trace remains.
                with contextlib.suppress(Exception):
                    self.screenshot("failure-screenshot.png")
            if self.blocked:
                self.evidence.attach_json("ui-blocked-requests.json", {"blocked": self.blocked})
            if self.trace:
                self._save_trace()
        finally:
            with contextlib.suppress(Exception):  # already closed with its browser
                self._context.close()


def _left_scope(page_name: str, url: str, went: str) -> str:
    return (
        f"page {page_name!r} ({url}) sent the browser out of the target's scope, to {went[:300]}: "
        "what it shows is not the system's (declare that host in base_urls if it is part of the system)"
    )


def _host_in_url(host: str) -> str:
    """A host as a URL spells it, as a pattern (IPv6 addresses in brackets)."""
    return re.escape(f"[{host}]" if ":" in host else host)


def _outside(hosts: frozenset[tuple[str, int]]) -> re.Pattern[str]:
    """Every URL but those certainly of one of `hosts` ((host, port) pairs), for a route.

    Matched by the Playwright driver (JavaScript) and its Python client alike, so written in
    the syntax both read the same way. A URL left out is one of an http(s) origin in scope as
    Chromium writes it (lower-case host, no default port); anything else (another host or
    port, user information, another scheme) is routed, and `_guard` decides on it.
    """
    prefixes = []
    for host, port in sorted(hosts):
        h = _host_in_url(host)
        prefixes.append(f"https?://{h}:{port}")
        if port in (80, 443):
            prefixes.append(f"{'https' if port == 443 else 'http'}://{h}")
    if not prefixes:
        return re.compile("^")
    return re.compile(f"^(?!(?:{'|'.join(prefixes)})(?:[/?#]|$))")


def _origin_pattern(origin: str) -> re.Pattern[str]:
    """The URLs of `origin` (as `_origin` writes it), for a route."""
    parts = urlsplit(origin)
    default = 443 if parts.scheme == "https" else 80
    host, port = parts.hostname or "", parts.port or default
    spelled = f"{parts.scheme}://{_host_in_url(host)}" + ("" if port == default else f":{port}")
    return re.compile(f"^{spelled}(?:[/?#]|$)")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"
