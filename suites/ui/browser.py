"""One Chromium per test session, launched lazily, with the target's TLS trust.

TLS decision. Chromium does not take a CA file on its command line (it reads an NSS
database), so for a target that declares `tls: {ca_file: ...}` the harness verifies each
in-scope HTTPS endpoint itself, in Python, against that CA file (chain and host name),
and then launches Chromium with `--ignore-certificate-errors-spki-list` set to the
public-key hashes of exactly the certificates it verified. Chromium therefore accepts
those keys and nothing else: a certificate the CA did not sign, or another key, still
fails navigation. `ignore_https_errors` is used only when the target says
`tls: {verify: false}`. A remote browser (`--browser-ws`) is not given launch flags: it
must trust the CA itself, otherwise navigation errors are reported as `error` - unless
`settings.ui.browser_ws_executable` names the Chromium a `playwright run-server --unsafe`
should start, in which case flags and pins are sent with the connection.

Scope. A local browser is launched with the target's (host, port) pairs as its only
direct destinations: every other request goes to a proxy address the harness holds open
without listening (`DeadEnd`), so it fails at once (`net::ERR_PROXY_CONNECTION_FAILED`)
and nothing leaves for a host outside the scope. Chromium decides for every request,
redirect hops included, which the session's route cannot do (Playwright routes a
request's first URL only), and for WebSockets. Loopback addresses get no exemption
(`<-loopback>`). A remote browser keeps only the session's route and its check of where
a page ended: the address held here means nothing on another machine.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from homolog import CheckError, Target

__all__ = [
    "CHROMIUM_ARGS",
    "CHROMIUM_CANDIDATES",
    "CHROMIUM_PATH",
    "FRAME_SCHEMES",
    "MAX_FRAMES",
    "PLAYWRIGHT_DISABLED_FEATURES",
    "UNSHOWN_UI_FEATURES",
    "BrowserManager",
    "DeadEnd",
    "PageFrames",
    "TlsTrust",
    "installed_chromium",
    "page_frames",
    "target_tls_trust",
]

#: The URL schemes of a frame whose document the page loaded; a frame the browser could not
#: load (one out of the target's scope, refused) holds its own error page
#: (`chrome-error://`), which is not what the frame shows a visitor: not audited, not walked.
FRAME_SCHEMES = ("http:", "https:", "about:", "data:", "blob:")
#: Frames of a page entered at most (axe put in, controls marked): a page of a thousand
#: frames must not hold the check; those beyond are left out, and said so.
MAX_FRAMES = 50


@dataclass(frozen=True)
class PageFrames:
    """A page's frames as the UI checks enter them: the first MAX_FRAMES (Playwright frames,
    nested ones included), and what is left beyond them, said in words (None when nothing)."""

    frames: list[Any]
    beyond: str | None

    @staticmethod
    def loaded(frame: Any) -> bool:
        """Whether `frame` holds a document the page loaded (FRAME_SCHEMES), not the
        browser's error page standing for a frame it could not load."""
        return bool(frame.url.startswith(FRAME_SCHEMES))


def page_frames(page: Any) -> PageFrames:
    """The frames of `page` (a Playwright Page) the UI checks enter, within MAX_FRAMES."""
    children = page.frames[1:]
    extra = len(children) - MAX_FRAMES
    beyond = f"{extra} frame(s) beyond the first {MAX_FRAMES}" if extra > 0 else None
    return PageFrames(children[:MAX_FRAMES], beyond)


#: Debian's Chromium builds, in order of preference: the headless shell (package
#: chromium-headless-shell: the Blink of the same release without the browser's UI, which
#: Playwright also drives by default; half the CPU of `chromium --headless` on the demo's
#: pages, the same verdicts), then the full browser. A target sets another with
#: `settings.ui.chromium` (`homolog run --chromium`).
CHROMIUM_CANDIDATES = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")


def installed_chromium(candidates: Iterable[str] = CHROMIUM_CANDIDATES) -> str:
    """The first of `candidates` installed as an executable, else the last (named in errors)."""
    candidates = tuple(candidates)
    return next((path for path in candidates if os.access(path, os.X_OK)), candidates[-1])


CHROMIUM_PATH = installed_chromium()
#: The features Playwright's driver disables (its `chromiumSwitches`). Chromium keeps the last
#: `--disable-features` it is given, so ours must repeat them (a test compares this list with
#: the installed driver's).
PLAYWRIGHT_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
)
#: Browser UI a headless window never shows: since Chromium 15x every new window (one per
#: browser context) preloads the address bar's suggestion popup as a WebUI page in a
#: renderer of its own, more than half of the CPU a context costs.
UNSHOWN_UI_FEATURES = ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup", "WebUIOmniboxFullPopup")
# Flags that keep a headless Chromium from calling home at start-up (no network here
# besides the target) and make it run as root in containers.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-features=" + ",".join(PLAYWRIGHT_DISABLED_FEATURES + UNSHOWN_UI_FEATURES),
)
CONNECT_TIMEOUT = 10.0
#: What Chromium says of a request it could only have sent to the `DeadEnd` proxy: one
#: to a destination outside the scope.
OUT_OF_SCOPE_ERROR = "net::ERR_PROXY_CONNECTION_FAILED"
# A host name a proxy bypass rule may hold as a literal (no `*` wildcard, no separator).
_LITERAL_HOST = re.compile(r"[a-z0-9_.-]+|[0-9a-f:.]+")


class DeadEnd:
    """A loopback TCP address bound and never listened on: a connection to it is refused.

    Given to Chromium as its proxy, it fails every request not exempted from the proxy,
    and no other program can take the port while it is held.
    """

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]

    def close(self) -> None:
        self._socket.close()


def scope_args(hosts: Iterable[tuple[str, int]], dead_end_port: int) -> list[str]:
    """Chromium flags that send every request outside `hosts` ((host, port) pairs) to the
    dead end: the pairs are the proxy's only exemptions, loopback included."""
    rules = ["<-loopback>"]
    for host, port in sorted(set(hosts)):
        try:
            name = host.lower() if host.isascii() else host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            continue  # a name Chromium could not reach either: left blocked
        if not _LITERAL_HOST.fullmatch(name):
            continue  # a wildcard or separator would widen the rule: left blocked
        rules.append(f"[{name}]:{port}" if ":" in name else f"{name}:{port}")
    return [f"--proxy-server=http://127.0.0.1:{dead_end_port}", "--proxy-bypass-list=" + ";".join(rules)]


@dataclass(frozen=True)
class TlsTrust:
    """How a browser context must treat the target's certificates."""

    ignore_https_errors: bool = False
    spki_pins: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()
    failures: tuple[str, ...] = ()


def _spki_sha256(der_cert: bytes) -> str:
    cert = x509.load_der_x509_certificate(der_cert)
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


def _verified_leaf(host: str, port: int, ca_file: str) -> bytes:
    """Handshake with host:port, verifying chain and name against `ca_file`; leaf DER."""
    ctx = ssl.create_default_context(cafile=ca_file)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        with (
            socket.create_connection((host, port), timeout=CONNECT_TIMEOUT) as raw,
            ctx.wrap_socket(raw, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError) as exc:
        raise CheckError(f"TLS verification of {host}:{port} against the target CA {ca_file} failed: {exc}") from exc
    if not der:
        raise CheckError(f"{host}:{port} presented no certificate")
    return der


def _https_endpoints(urls: Iterable[str]) -> set[tuple[str, int]]:
    found: set[tuple[str, int]] = set()
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.hostname:
            found.add((parts.hostname, parts.port or 443))
    return found


def target_tls_trust(target: Target, urls: Iterable[str]) -> TlsTrust:
    """Decide how Chromium trusts the HTTPS endpoints among `urls` (see module doc)."""
    verify = target.ssl_verify
    if verify is False:
        return TlsTrust(ignore_https_errors=True, notes=("target declares tls.verify: false",))
    if verify is True:
        return TlsTrust(notes=("system trust store",))
    pins = set()
    notes = []
    failures = []
    for host, port in sorted(_https_endpoints(urls)):
        # An endpoint that fails verification is not pinned: Chromium then refuses it
        # if a page goes there, and the navigation error carries this reason.
        try:
            pin = _spki_sha256(_verified_leaf(host, port, str(verify)))
        except CheckError as exc:
            failures.append(str(exc))
            continue
        pins.add(pin)
        notes.append(f"{host}:{port} verified against {verify}; key sha256/{pin}")
    return TlsTrust(spki_pins=frozenset(pins), notes=tuple(notes), failures=tuple(failures))


@dataclass
class BrowserManager:
    """Session-wide owner of Playwright and of the browser(s); nothing starts until needed.

    A local browser is launched per distinct set of SPKI pins and scope (one per target in
    a normal run). With `ws_endpoint`, a remote Playwright browser server is used instead.
    """

    ws_endpoint: str | None = None
    executable_path: str = CHROMIUM_PATH
    remote_executable: str | None = None  # the Chromium a run-server without browsers must start
    _playwright: Any = None
    _browsers: dict[tuple[frozenset[str], frozenset[tuple[str, int]] | None], Any] = field(default_factory=dict)
    _dead_end: DeadEnd | None = None
    launches: int = 0
    cache: dict[Any, Any] = field(default_factory=dict)

    def _driver(self) -> Any:
        if self._playwright is None:
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
        return self._playwright

    @staticmethod
    def _args(pins: frozenset[str]) -> list[str]:
        args = list(CHROMIUM_ARGS)
        if pins:
            args.append("--ignore-certificate-errors-spki-list=" + ",".join(sorted(pins)))
        return args

    def browser(self, trust: TlsTrust, scope: frozenset[tuple[str, int]] | None = None) -> Any:
        """The browser to open contexts in for this trust, started on first use.

        `scope`: the (host, port) pairs a local browser may reach (see the module's doc);
        None, no limit beyond the session's route.
        """
        remote_exe = self.remote_executable
        pins = frozenset() if self.ws_endpoint and not remote_exe else trust.spki_pins
        key = (pins, None if self.ws_endpoint else scope)
        existing = self._browsers.get(key)
        if existing is not None and existing.is_connected():
            return existing
        pw = self._driver()
        if self.ws_endpoint:
            headers = {}
            if remote_exe:
                # A `playwright run-server --unsafe` without bundled browsers: tell it
                # which Chromium to start, with our flags and TLS pins.
                headers["x-playwright-launch-options"] = json.dumps(
                    {"executablePath": remote_exe, "args": self._args(pins)}
                )
            try:
                browser = pw.chromium.connect(self.ws_endpoint, timeout=15_000, headers=headers)
            except Exception as exc:
                raise CheckError(f"cannot connect to the browser server {self.ws_endpoint}: {exc}") from exc
        else:
            if not os.path.exists(self.executable_path):
                raise CheckError(
                    f"Chromium not found at {self.executable_path}: run scripts/setup-ui.sh "
                    "(apt-get install -y chromium-headless-shell chromium) or set settings.ui.chromium "
                    "(homolog run --chromium, env HOMOLOG_CHROMIUM)"
                )
            args = self._args(pins)
            if scope is not None:  # a local browser only (module doc)
                if self._dead_end is None:
                    self._dead_end = DeadEnd()
                args += scope_args(scope, self._dead_end.port)
            try:
                browser = pw.chromium.launch(executable_path=self.executable_path, args=args, timeout=30_000)
            except Exception as exc:
                raise CheckError(f"cannot launch Chromium: {exc}") from exc
        self.launches += 1
        self._browsers[key] = browser
        return browser

    def close(self) -> None:
        """Close every browser and the Playwright driver (idempotent)."""
        for browser in self._browsers.values():
            with contextlib.suppress(Exception):  # a browser that died is already closed
                browser.close()
        self._browsers.clear()
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None
        if self._dead_end is not None:  # no browser left that could use it
            self._dead_end.close()
            self._dead_end = None
        self.cache.clear()
