"""An HTTP client bound to the target, that keeps to its scope and records evidence.

Every call has timeouts and an overall deadline, reads at most `max_bytes` of a
response, follows redirects only to the target's declared hosts, ignores proxy
environment variables, and writes the sanitised exchange to the check's evidence.
"""

from __future__ import annotations

import functools
import hashlib
import json
import json as json_module
import re
import ssl
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from ._version import __version__
from .auth import Authenticator
from .cleanup import WRITES, Ledger, record_write, resource_url
from .errors import CheckError, CheckFailed, HttpError
from .evidence import Evidence, Sanitizer
from .target import Target

__all__ = ["HttpClient", "Response", "expect_status"]

DEFAULT_TIMEOUT = 10.0
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
    ) -> None:
        self.method = method
        self.url = url
        self.status_code = status_code
        self.headers = headers
        self.content = content
        self.elapsed = elapsed
        self.history = history or []
        self.evidence_path = evidence_path
        self.raw_headers = raw_headers or list(headers.multi_items())

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
        """Parse the body as JSON; a body that is not JSON is a CheckFailed naming the request."""
        try:
            return json.loads(self.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CheckFailed(f"{self.describe()} returned a body that is not JSON ({exc})") from None

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
        authenticator: Authenticator | None = None,
        ledger: Ledger | None = None,
    ) -> None:
        self.target = target
        self.evidence = evidence
        limits = target.timeouts
        self.timeout = float(timeout or limits.get("read") or DEFAULT_TIMEOUT)
        self.connect_timeout = float(limits.get("connect") or min(self.timeout, DEFAULT_TIMEOUT))
        self.max_bytes = int(max_bytes or limits.get("max_response_bytes") or DEFAULT_MAX_BYTES)
        self.sanitizer = evidence.sanitizer if evidence else Sanitizer(target.secret_values())
        self.authenticator = authenticator or Authenticator(target, register=self.sanitizer.add)
        self.sessions: dict[str, dict[str, str]] = {}  # auth name -> cookies of its login
        self.ledger = ledger
        self._client = httpx.Client(
            verify=_ssl_context(target.ssl_verify),
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout),
            headers={"Accept-Encoding": "gzip, deflate", "User-Agent": f"homolog/{__version__}"},
        )

    # -- lifecycle
    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fresh(self) -> HttpClient:
        """A new client with the same target and evidence but an empty cookie jar."""
        return HttpClient(
            self.target,
            self.evidence,
            timeout=self.timeout,
            max_bytes=self.max_bytes,
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
        """Send a request to the target; transport problems raise HttpError (verdict error)."""
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
        deadline = time.monotonic() + 3 * (timeout or self.timeout)
        for _ in range(MAX_REDIRECTS + 1):
            resp = self._send(method, full, params, hdrs, json, data, content, timeout, deadline, record)
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
        deadline: float,
        record: bool,
    ) -> Response:
        start = time.monotonic()
        request = self._client.build_request(
            method,
            url,
            params=params,
            headers=headers,
            json=json_body,
            data=data,
            content=content,
            timeout=httpx.Timeout(timeout or self.timeout, connect=self.connect_timeout),
        )
        error: str | None = None
        body = b""
        resp: httpx.Response | None = None
        truncated = False
        try:
            resp = self._client.send(request, stream=True)
            try:
                chunks = []
                size = 0
                for chunk in resp.iter_raw():
                    size += len(chunk)
                    if size > self.max_bytes:
                        truncated = True
                        chunks.append(chunk[: max(0, self.max_bytes - (size - len(chunk)))])
                        error = f"response body larger than {self.max_bytes} bytes: not read further"
                        break
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        error = "response still streaming past the deadline: not read further"
                        break
                body = b"".join(chunks)
                if not truncated and not error:
                    body = _decode(body, resp.headers.get("content-encoding", ""), self.max_bytes)
            finally:
                resp.close()
        except httpx.TimeoutException:
            error = f"timed out after {timeout or self.timeout:g} s"
        except httpx.TransportError as exc:
            error = f"transport error: {exc or type(exc).__name__}"
        except _TooLarge:
            error = f"decoded response body larger than {self.max_bytes} bytes"
        elapsed = time.monotonic() - start
        path = self._record(request, resp, body, elapsed, error) if record else None
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
        )

    def _record(
        self, request: httpx.Request, resp: httpx.Response | None, body: bytes, elapsed: float, error: str | None
    ) -> str | None:
        if self.evidence is None:
            return None
        s = self.sanitizer
        req_body = request.content if request.content else b""
        exchange = {
            "request": {
                "method": request.method,
                "url": s.url(str(request.url)),
                "headers": s.headers(request.headers.multi_items()),
                **_body_fields(req_body, request.headers.get("content-type", ""), s),
            },
            "response": None
            if resp is None
            else {
                "status": resp.status_code,
                "reason": resp.reason_phrase,
                "http_version": resp.http_version,
                "headers": s.headers(resp.headers.multi_items()),
                **_body_fields(body, resp.headers.get("content-type", ""), s),
            },
            "elapsed": round(elapsed, 4),
            "error": error,
        }
        name = re.sub(r"[^A-Za-z0-9]+", "-", urlsplit(str(request.url)).path).strip("-")[:50] or "root"
        return self.evidence.attach_json(f"http-{request.method}-{name}", exchange)


class _TooLarge(Exception):
    pass


def _decode(body: bytes, encoding: str, limit: int) -> bytes:
    """Undo content-encoding with a bound on the decoded size (no decompression bombs)."""
    import zlib

    encoding = encoding.lower().strip()
    if not body or encoding in ("", "identity"):
        return body
    if encoding in ("gzip", "x-gzip", "deflate"):
        wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
        d = zlib.decompressobj(wbits)
        try:
            out = d.decompress(body, limit + 1)
        except zlib.error:
            if encoding == "deflate":
                d = zlib.decompressobj(-zlib.MAX_WBITS)
                out = d.decompress(body, limit + 1)
            else:
                raise
        if len(out) > limit:
            raise _TooLarge
        return out
    return body  # unknown encodings are kept as sent; checks see raw bytes


def _body_fields(body: bytes, content_type: str, s: Sanitizer) -> dict[str, Any]:
    if not body:
        return {"body": None, "body_truncated": False, "body_bytes": 0}
    textual = bool(_TEXTUAL.match(content_type)) or not content_type
    fields: dict[str, Any] = {"body_bytes": len(body), "body_sha256": hashlib.sha256(body).hexdigest()}
    if textual:
        try:
            text = body[:EVIDENCE_BODY_LIMIT].decode("utf-8")
        except UnicodeDecodeError:
            textual = False
        else:
            fields.update(body=s.text(text), body_truncated=len(body) > EVIDENCE_BODY_LIMIT)
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
