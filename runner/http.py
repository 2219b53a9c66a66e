"""An HTTP client bound to the target, that keeps to its scope and records evidence.

Every exchange (one request and its response) has one wall-clock deadline covering
connect, TLS, headers and body (`timeouts.exchange` of the target, 30 s by default): a
server that drips its answer a byte at a time cannot stretch it. Every call reads at
most `max_bytes` of a response, follows redirects only to the target's declared hosts,
ignores proxy environment variables, and writes the sanitised exchange to the check's
evidence.

Connections are pooled for the whole run (`Connections`, one pool per TLS trust
setting, held by the plugin): checks reuse them, each with its own cookies and evidence.
"""

from __future__ import annotations

import functools
import hashlib
import json
import json as json_module
import re
import ssl
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from ._version import __version__
from .auth import Authenticator, Session
from .cleanup import WRITES, Ledger, record_write, resource_url
from .deadlines import clamp, exchange_deadline, exchange_expired
from .errors import CheckError, CheckFailed, HttpError
from .evidence import Evidence, Sanitizer
from .target import Target

__all__ = ["Connections", "HttpClient", "Response", "expect_status"]

DEFAULT_TIMEOUT = 10.0
#: Seconds one exchange (connect, TLS, request, headers and body) may take in all.
DEFAULT_EXCHANGE_TIMEOUT = 30.0
#: Idle pooled connections are dropped after this, before common servers close them.
KEEPALIVE_EXPIRY = 4.0
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
EVIDENCE_BODY_LIMIT = 256 * 1024
MAX_REDIRECTS = 10
_TEXTUAL = re.compile(r"^(text/|application/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded)|image/svg)", re.I)


class Response:
    """A bounded response; `content` is at most the client's `max_bytes`."""

    def __init__(
        self,
        method: str,
        url: str,
        status_code: int,
        headers: httpx.Headers,
        content: bytes,
        elapsed: float,
        history: list[Response] | None = None,
        evidence_path: str | None = None,
        raw_headers: list[tuple[str, str]] | None = None,
        body_problem: str | None = None,
    ) -> None:
        self.method = method
        self.url = url
        self.status_code = status_code
        self.headers = headers
        self._content = content
        self.body_problem = body_problem
        self.elapsed = elapsed
        self.history = history or []
        self.evidence_path = evidence_path
        self.raw_headers = raw_headers or list(headers.multi_items())

    @property
    def content(self) -> bytes:
        """The decoded body; `CheckError` when its content-encoding could not be undone."""
        if self.body_problem:
            raise CheckError(f"{self.describe()}: {self.body_problem}: the body cannot be read")
        return self._content

    @content.setter
    def content(self, value: bytes) -> None:
        self._content = value
        self.body_problem = None

    @property
    def text(self) -> str:
        charset = "utf-8"
        match = re.search(r"charset=([\w-]+)", self.headers.get("content-type", ""), re.I)
        if match:
            charset = match.group(1)
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """Parse the body as JSON; a body that is not JSON is a CheckFailed naming the request.

        JSON nested deeper than the parser's stack is valid JSON the harness cannot read:
        a CheckError, the check cannot decide.
        """
        try:
            return json.loads(self.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CheckFailed(f"{self.describe()} returned a body that is not JSON ({exc})") from None
        except RecursionError:
            raise CheckError(f"{self.describe()} returned JSON nested too deep for the harness to read") from None

    @property
    def path(self) -> str:
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def describe(self) -> str:
        """'GET /fhir/Patient/123'."""
        return f"{self.method} {self.path}"

    def header_values(self, name: str) -> list[str]:
        return [v for k, v in self.raw_headers if k.lower() == name.lower()]

    def __repr__(self) -> str:
        return f"<Response {self.status_code} for {self.describe()}>"


def expect_status(resp: Response, *expected: int) -> Response:
    """Fail the check unless the response status is one of `expected`."""
    if resp.status_code not in expected:
        want = " or ".join(map(str, expected))
        raise CheckFailed(f"expected {want}, got {resp.status_code} for {resp.describe()}")
    return resp


class HttpClient:
    """Fixture `http`: a target-bound client. Cookies persist for the client's life.

    `auth="name"` on a request applies the target's auth entry `name` through the run's
    `Authenticator` (tokens cached per run; form and provider logins kept per client in
    `sessions`, never in the cookie jar, so a request without `auth=` stays anonymous).

    With a `ledger` (the run's cleanup ledger), every successful write that creates or
    changes a resource is recorded there; before a resource the run did not create is
    updated or deleted, its current version is read, so that the clean-up can put it back.
    """

    def __init__(
        self,
        target: Target,
        evidence: Evidence | None = None,
        *,
        timeout: float | None = None,
        max_bytes: int | None = None,
        connections: Connections | None = None,
        authenticator: Authenticator | None = None,
        ledger: Ledger | None = None,
    ) -> None:
        self.target = target
        self.evidence = evidence
        limits = target.timeouts
        self.timeout = float(timeout or limits.get("read") or DEFAULT_TIMEOUT)
        self.connect_timeout = float(limits.get("connect") or min(self.timeout, DEFAULT_TIMEOUT))
        self.exchange_timeout = float(limits.get("exchange") or max(DEFAULT_EXCHANGE_TIMEOUT, self.timeout))
        self.max_bytes = int(max_bytes or limits.get("max_response_bytes") or DEFAULT_MAX_BYTES)
        self.sanitizer = (
            evidence.sanitizer if evidence else Sanitizer(target.secret_values(), fields=target.credential_fields())
        )
        # a client made outside a run owns its connections; inside a run they are the run's
        self._owned = connections is None
        self.connections = Connections() if connections is None else connections
        self.authenticator = authenticator or Authenticator(target, register=self.sanitizer.add)
        self.sessions: dict[str, Session] = {}  # auth name -> what its login left (cookies, token)
        self.ledger = ledger
        self._client = self.connections.client(target.ssl_verify, self.timeout, self.connect_timeout)

    # -- lifecycle
    def close(self) -> None:
        """Close the connections this client owns; the run's pooled ones stay open for other checks."""
        if self._owned:
            self.connections.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fresh(self) -> HttpClient:
        """A new client with the same target, evidence, connections and authenticator but an empty cookie jar."""
        return HttpClient(
            self.target,
            self.evidence,
            timeout=self.timeout,
            max_bytes=self.max_bytes,
            connections=self.connections,
            authenticator=self.authenticator,
            ledger=self.ledger,
        )

    @property
    def cookies(self) -> httpx.Cookies:
        return self._client.cookies

    # -- requests
    def get(self, url: str, **kw: Any) -> Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> Response:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> Response:
        return self.request("PUT", url, **kw)

    def delete(self, url: str, **kw: Any) -> Response:
        return self.request("DELETE", url, **kw)

    def request(
        self,
        method: str,
        url: str,
        *,
        base: str | None = None,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | str | None = None,
        auth: str | None = None,
        follow_redirects: bool = True,
        timeout: float | None = None,
        record: bool = True,
    ) -> Response:
        """Send a request to the target; transport problems raise HttpError (verdict error).

        `timeout` (seconds) replaces the target's deadline of each exchange of this call:
        connect, TLS, request, headers and body together, redirects each their own.
        """
        full = self._resolve(url, base)
        hdrs = dict(headers or {})
        if auth:
            hdrs.update(self.authenticator.headers(auth, self))
        method = method.upper()
        if self.ledger is None or method not in WRITES:
            return self._exchange(method, full, params, hdrs, json, data, content, follow_redirects, timeout, record)
        before = self._before_write(method, full, hdrs)
        resp = self._exchange(method, full, params, hdrs, json, data, content, follow_redirects, timeout, record)
        record_write(
            self.ledger,
            self.target.base_urls,
            method=method,
            url=resp.url,
            status=resp.status_code,
            content=resp.content,
            location=resp.headers.get("location"),
            before=before,
            by=self.evidence.slug if self.evidence else None,
        )
        return resp

    def _before_write(self, method: str, url: str, headers: Mapping[str, str]) -> Any:
        """The current version of a resource the run is about to update or delete (None if unknown)."""
        named = resource_url(url, self.target.base_urls)
        if method == "POST" or named is None or self.ledger is None or self.ledger.find(named[0]) is not None:
            return None
        keep = {k: v for k, v in headers.items() if k.lower() in ("authorization", "cookie")}
        try:
            resp = self._exchange(
                "GET", named[0], None, {**keep, "Accept": "application/fhir+json"}, None, None, None, False, None, False
            )
            body = json_module.loads(resp.content) if resp.status_code == 200 else None
        except (HttpError, ValueError, UnicodeDecodeError):
            return None
        return body if isinstance(body, dict) and body.get("resourceType") == named[1] else None

    def _exchange(
        self,
        method: str,
        full: str,
        params: Any,
        hdrs: dict[str, str],
        json: Any,
        data: Any,
        content: Any,
        follow_redirects: bool,
        timeout: float | None,
        record: bool,
    ) -> Response:
        url = full
        history: list[Response] = []
        for _ in range(MAX_REDIRECTS + 1):
            resp = self._send(method, full, params, hdrs, json, data, content, timeout, record)
            params = None
            if not (follow_redirects and resp.status_code in (301, 302, 303, 307, 308) and "location" in resp.headers):
                resp.history = history
                return resp
            history.append(resp)
            nxt = urljoin(resp.url, resp.headers["location"])
            if not self.target.in_scope(nxt):
                raise HttpError(
                    f"{resp.describe()} redirects to {self.sanitizer.url(nxt)}, outside the target's declared hosts;"
                    " not followed"
                )
            if resp.status_code == 303 or (resp.status_code in (301, 302) and method == "POST"):
                method, json, data, content = "GET", None, None, None
            full = nxt
        raise HttpError(f"more than {MAX_REDIRECTS} redirects from {method} {url}")

    # -- internals
    def _resolve(self, url: str, base: str | None) -> str:
        if urlsplit(url).scheme:
            if not self.target.in_scope(url):
                raise CheckError(f"{self.sanitizer.url(url)} is outside the target's declared hosts")
            return url
        if base is None:
            raise CheckError(f"relative URL {url!r} needs base= (one of: {', '.join(self.target.base_urls)})")
        return self.target.url(url, base)

    def _send(
        self,
        method: str,
        url: str,
        params: Any,
        headers: dict[str, str],
        json_body: Any,
        data: Any,
        content: Any,
        timeout: float | None,
        record: bool,
    ) -> Response:
        start = time.monotonic()
        budget = float(timeout or self.exchange_timeout)
        request = self._client.build_request(
            method,
            url,
            params=params,
            headers=headers,
            json=json_body,
            data=data,
            content=content,
            timeout=httpx.Timeout(timeout or self.timeout, connect=min(self.connect_timeout, budget)),
        )
        error: str | None = None
        resp: httpx.Response | None = None
        chunks: list[bytes] = []
        body = b""
        truncated = False
        body_problem: str | None = None
        try:
            with exchange_deadline(budget):
                try:
                    resp = self._client.send(request, stream=True)
                    try:
                        size = 0
                        for chunk in resp.iter_raw():
                            size += len(chunk)
                            if size > self.max_bytes:
                                truncated = True
                                chunks.append(chunk[: max(0, self.max_bytes - (size - len(chunk)))])
                                error = f"response body larger than {self.max_bytes} bytes: not read further"
                                break
                            chunks.append(chunk)
                    finally:
                        resp.close()
                except httpx.TimeoutException:
                    if not exchange_expired():
                        raise
                    what = "the body" if resp is not None else "the response"
                    error = (
                        f"exceeded the {budget:g} s deadline of one exchange (connect, TLS, headers and body):"
                        f" {what} not read further"
                    )
            body = b"".join(chunks)
            if resp is not None and not truncated and not error:
                try:
                    body = _decode(body, resp.headers.get("content-encoding", ""), self.max_bytes)
                except _Undecodable as exc:
                    body_problem = str(exc)
        except httpx.TimeoutException:
            error = f"timed out after {timeout or self.timeout:g} s"
        except httpx.TransportError as exc:
            error = f"transport error: {exc or type(exc).__name__}"
        except _TooLarge:
            error = f"decoded response body larger than {self.max_bytes} bytes"
        if error is not None:
            body = b"".join(chunks)  # what came before the problem, for the evidence
        elapsed = time.monotonic() - start
        path = self._record(request, resp, body, elapsed, error, body_problem) if record else None
        if error:
            raise HttpError(f"{method} {self.sanitizer.url(str(request.url))}: {error}")
        assert resp is not None
        return Response(
            method,
            str(request.url),
            resp.status_code,
            resp.headers,
            body,
            elapsed,
            evidence_path=path,
            raw_headers=[(k, v) for k, v in resp.headers.multi_items()],
            body_problem=body_problem,
        )

    def _record(
        self,
        request: httpx.Request,
        resp: httpx.Response | None,
        body: bytes,
        elapsed: float,
        error: str | None,
        body_problem: str | None = None,
    ) -> str | None:
        if self.evidence is None:
            return None
        s = self.sanitizer
        needles = s.registry.needles
        req_body = request.content if request.content else b""
        # Learn the credentials of the whole exchange first (a token in the response body,
        # a session cookie) so that an echo elsewhere in it is redacted by value too.
        # Learning the headers sanitises them: when nothing new was learnt from there to
        # where the exchange takes them (the same secrets' needles, `SecretRegistry.needles`),
        # what learning gave is what sanitising them again would give, and is kept.
        before = needles()
        req_headers = s.headers(request.headers.multi_items())
        s.learn(req_body[: EVIDENCE_BODY_LIMIT + _SANITIZE_MARGIN].decode("utf-8", errors="replace"))
        resp_headers: dict[str, str] | None = None
        if resp is not None:
            resp_headers = s.headers(resp.headers.multi_items())
            s.learn(body[: EVIDENCE_BODY_LIMIT + _SANITIZE_MARGIN].decode("utf-8", errors="replace"))
        url = s.url(str(request.url))
        url_needles = needles()
        exchange = {
            "request": {
                "method": request.method,
                "url": url,
                "headers": req_headers if needles() is before else s.headers(request.headers.multi_items()),
                **_body_fields(req_body, request.headers.get("content-type", ""), s),
            },
            "response": None
            if resp is None
            else {
                "status": resp.status_code,
                "reason": resp.reason_phrase,
                "http_version": resp.http_version,
                "headers": resp_headers if needles() is before else s.headers(resp.headers.multi_items()),
                **_body_fields(body, resp.headers.get("content-type", ""), s),
            },
            "elapsed": round(elapsed, 4),
            "error": error,
        }
        if body_problem and exchange["response"] is not None:
            exchange["response"]["body_problem"] = body_problem  # type: ignore[index]
        # the name is made from the sanitised path: a token in a path never names a file
        path = urlsplit(url if needles() is url_needles else s.url(str(request.url))).path
        name = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")[:50] or "root"
        return self.evidence.attach_json(f"http-{request.method}-{name}", exchange)


class _TooLarge(Exception):
    pass


class _Undecodable(Exception):
    """The body's content-encoding cannot be undone (unknown, corrupt or too many layers)."""


# Layers of content-encoding undone at most: `gzip, gzip` is legal, a hundred layers is an attack.
MAX_ENCODINGS = 4
# What is sanitised beyond what evidence keeps of a body, so that a secret cut by the
# limit is still recognised whole (its longest encoded form fits in the margin).
_SANITIZE_MARGIN = 16 * 1024


def _decode(body: bytes, encoding: str, limit: int) -> bytes:
    """Undo every content-encoding, last applied first, each bounded by `limit` (no decompression bombs)."""
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip() and c.strip().lower() != "identity"]
    if not body or not codings:
        return body
    if len(codings) > MAX_ENCODINGS:
        raise _Undecodable(f"{len(codings)} layers of Content-Encoding; at most {MAX_ENCODINGS} are undone")
    for coding in reversed(codings):
        if coding not in ("gzip", "x-gzip", "deflate"):
            raise _Undecodable(f"Content-Encoding {coding!r} (in {encoding!r}) is not supported")
        body = _inflate(body, coding, limit)
    return body


def _inflate(body: bytes, coding: str, limit: int) -> bytes:
    import zlib

    # RFC 9110 deflate is zlib-wrapped; some servers send raw deflate
    attempts = [zlib.MAX_WBITS, -zlib.MAX_WBITS] if coding == "deflate" else [16 + zlib.MAX_WBITS]
    problem = f"the body is not valid {coding}"
    for wbits in attempts:
        out: list[bytes] = []
        size = 0
        rest = body
        try:
            while rest:  # a gzip body may hold several members
                d = zlib.decompressobj(wbits)
                chunk = d.decompress(rest, limit + 1 - size)
                size += len(chunk)
                out.append(chunk)
                if size > limit:
                    raise _TooLarge
                if not d.eof:
                    if d.unconsumed_tail:
                        raise _TooLarge
                    raise _Undecodable(f"the {coding} stream is truncated")
                rest = d.unused_data
            return b"".join(out)
        except zlib.error as exc:
            problem = f"the body is not valid {coding} ({exc})"
    raise _Undecodable(problem)


def _body_fields(body: bytes, content_type: str, s: Sanitizer) -> dict[str, Any]:
    if not body:
        return {"body": None, "body_truncated": False, "body_bytes": 0}
    textual = bool(_TEXTUAL.match(content_type)) or not content_type
    fields: dict[str, Any] = {"body_bytes": len(body), "body_sha256": hashlib.sha256(body).hexdigest()}
    if textual:
        window = body[: EVIDENCE_BODY_LIMIT + _SANITIZE_MARGIN]
        text: str | None
        try:
            text = window.decode("utf-8")
        except UnicodeDecodeError as exc:
            # a character cut by the window is no reason to call the body binary
            cut = len(body) > len(window) and exc.start >= len(window) - 3
            text = window[: exc.start].decode("utf-8") if cut else None
        if text is None:
            textual = False
        else:
            # sanitised before the cut: a secret across the limit is recognised whole
            fields.update(body=s.text(text)[:EVIDENCE_BODY_LIMIT], body_truncated=len(body) > EVIDENCE_BODY_LIMIT)
    if not textual:
        fields.update(body=None, body_truncated=True, body_note=f"binary body ({content_type or 'no type'}) not stored")
    return fields


@functools.lru_cache(maxsize=16)
def _ssl_context(verify: bool | str) -> ssl.SSLContext | bool:
    """One context per trust setting: loading a CA bundle costs tens of milliseconds."""
    if isinstance(verify, str):
        try:
            return ssl.create_default_context(cafile=verify)
        except (OSError, ssl.SSLError) as exc:
            raise CheckError(f"cannot load the target's CA file {verify}: {exc}") from None
    if verify is False:
        return False
    return ssl.create_default_context()


# --------------------------------------------------------------------------- connections


class Connections:
    """The connection pools of a run, one per TLS trust setting, reused by every check.

    Each pool's sockets keep to the exchange deadline of the thread using them
    (`homolog.deadlines.exchange_deadline`); idle connections are dropped after
    `KEEPALIVE_EXPIRY` seconds, and so is one on which the server sent more than the
    response it was asked for: those bytes would otherwise be read as the answer to the next
    request, maybe another check's.
    """

    def __init__(self) -> None:
        self._transports: dict[bool | str, httpx.HTTPTransport] = {}
        self._clients: dict[tuple[bool | str, float, float], httpx.Client] = {}

    def transport(self, verify: bool | str) -> httpx.HTTPTransport:
        found = self._transports.get(verify)
        if found is None:
            found = self._transports[verify] = _DeadlineTransport(_ssl_context(verify))
        return found

    def client(self, verify: bool | str, timeout: float, connect: float) -> httpx.Client:
        """An httpx client over the pool of `verify`, with a cookie jar, headers and hooks of its own.

        Made as a copy of one client per trust setting and timeouts: making an httpx client
        costs about ten times what copying one does, and every check's `HttpClient` needs one.
        """
        template = self._clients.get((verify, timeout, connect))
        if template is None:
            template = self._clients[(verify, timeout, connect)] = httpx.Client(
                transport=self.transport(verify),
                trust_env=False,
                follow_redirects=False,
                timeout=httpx.Timeout(timeout, connect=connect),
                headers={"Accept-Encoding": "gzip, deflate", "User-Agent": f"homolog/{__version__}"},
            )
        return _own_copy(template)

    def close(self) -> None:
        for transport in self._transports.values():
            transport.close()
        self._transports.clear()
        self._clients.clear()


#: What an httpx client changes as it is used (cookies it receives, headers or hooks a caller
#: sets): a copy gets its own. The other attributes are settings, or the shared transport;
#: tests/runner/test_http_client_copy.py fails if httpx's clients gain one this does not know.
_OWN_STATE = ("_cookies", "_headers", "_event_hooks")


def _own_copy(template: httpx.Client) -> httpx.Client:
    client: httpx.Client = object.__new__(type(template))
    client.__dict__.update(template.__dict__)
    client.__dict__.update(
        _cookies=httpx.Cookies(),
        _headers=template.headers.copy(),
        _event_hooks={kind: list(hooks) for kind, hooks in template.event_hooks.items()},
    )
    return client


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport over a connection pool whose sockets keep to the exchange deadline."""

    def __init__(self, verify: ssl.SSLContext | bool) -> None:
        # httpx's own __init__ only makes the pool, and takes no network backend: made here with ours
        self._pool = _Pool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            keepalive_expiry=KEEPALIVE_EXPIRY,
            network_backend=_DeadlineBackend(),
        )


class _Pool(httpcore.ConnectionPool):
    def create_connection(self, origin: httpcore.Origin) -> httpcore.ConnectionInterface:
        return _NoLeftovers(super().create_connection(origin))


class _NoLeftovers(httpcore.ConnectionInterface):
    """A pooled connection that is not reused while bytes the server sent after its last response wait unread."""

    def __init__(self, inner: httpcore.ConnectionInterface) -> None:
        self._inner = inner

    def handle_request(self, request: httpcore.Request) -> httpcore.Response:
        return self._inner.handle_request(request)

    def can_handle_request(self, origin: httpcore.Origin) -> bool:
        return self._inner.can_handle_request(origin)

    def close(self) -> None:
        self._inner.close()

    def info(self) -> str:
        return self._inner.info()

    def is_available(self) -> bool:
        return self._inner.is_available()

    def has_expired(self) -> bool:
        return self._inner.has_expired() or self._leftover()

    def is_idle(self) -> bool:
        return self._inner.is_idle()

    def is_closed(self) -> bool:
        return self._inner.is_closed()

    def _leftover(self) -> bool:
        # httpcore keeps what h11 read past a response's end for the next cycle (the socket then
        # looks quiet, so its own readable-socket test misses it); tests/runner/test_http_pool.py
        # fails if httpcore stops exposing it here
        http11 = getattr(self._inner, "_connection", None)
        state = getattr(http11, "_h11_state", None)
        return state is not None and self._inner.is_idle() and bool(state.trailing_data[0])


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read, write and TLS handshake gets at most what the exchange has left."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        # in pieces: a server that reads slowly cannot make one large write outlast the deadline
        for start in range(0, len(buffer), 65536):
            self._inner.write(buffer[start : start + 65536], clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, clamp(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        limit = clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_tcp(host, port, limit, local_address, socket_options))

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
