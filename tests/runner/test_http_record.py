"""The evidence of an HTTP exchange (issue 18.2): the headers sanitised while the exchange's
credentials are learnt are kept when nothing new was learnt since; the evidence is the
same text, under the same name, as sanitising them again (the way it was written before,
kept below as the reference) on exchanges made to defeat the shortcut."""

from __future__ import annotations

import json
import re
import types
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from homolog import http as http_module
from homolog.evidence import Evidence, Sanitizer
from homolog.http import _SANITIZE_MARGIN, EVIDENCE_BODY_LIMIT, HttpClient
from homolog.secrets import SecretRegistry
from homolog.target import load_target


def _record_before(
    self: HttpClient,
    request: httpx.Request,
    resp: httpx.Response | None,
    body: bytes,
    elapsed: float,
    error: str | None,
    body_problem: str | None = None,
) -> str | None:
    """`HttpClient._record` as it was before the shortcut: every header sanitised twice."""
    if self.evidence is None:
        return None
    s = self.sanitizer
    req_body = request.content if request.content else b""
    for side, data in ((request, req_body), (resp, body)):
        if side is None:
            continue
        for name, value in side.headers.multi_items():
            s.headers([(name, value)])
        s.learn(data[: EVIDENCE_BODY_LIMIT + _SANITIZE_MARGIN].decode("utf-8", errors="replace"))
    exchange: dict[str, Any] = {
        "request": {
            "method": request.method,
            "url": s.url(str(request.url)),
            "headers": s.headers(request.headers.multi_items()),
            **http_module._body_fields(req_body, request.headers.get("content-type", ""), s),
        },
        "response": None
        if resp is None
        else {
            "status": resp.status_code,
            "reason": resp.reason_phrase,
            "http_version": resp.http_version,
            "headers": s.headers(resp.headers.multi_items()),
            **http_module._body_fields(body, resp.headers.get("content-type", ""), s),
        },
        "elapsed": round(elapsed, 4),
        "error": error,
    }
    if body_problem and exchange["response"] is not None:
        exchange["response"]["body_problem"] = body_problem
    path = urlsplit(s.url(str(request.url))).path
    name = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")[:50] or "root"
    return self.evidence.attach_json(f"http-{request.method}-{name}", exchange)


def _exchanges(base: str) -> list[tuple[httpx.Request, httpx.Response | None, bytes]]:
    """Requests and responses, in order, each a way for the kept headers to be stale."""

    def request(method: str, url: str, headers: list[tuple[str, str]] | None = None, **kw: Any) -> httpx.Request:
        return httpx.Request(method, url, headers=headers or [], **kw)

    def response(req: httpx.Request, headers: list[tuple[str, str]], body: bytes, status: int = 200) -> httpx.Response:
        return httpx.Response(status, headers=headers, content=body, request=req)

    out: list[tuple[httpx.Request, httpx.Response | None, bytes]] = []

    def add(req: httpx.Request, headers: list[tuple[str, str]] | None, body: bytes = b"", status: int = 200) -> None:
        out.append((req, None if headers is None else response(req, headers, body, status), body))

    plain = request("GET", f"{base}/ok", [("Accept", "*/*")])
    add(plain, [("Content-Type", "application/json"), ("Server", "test")], b'{"ok": true}')
    add(request("GET", f"{base}/ok", [("Accept", "*/*")]), [("Content-Type", "application/json")], b'{"ok": true}')
    # a session cookie set after a header that echoes it: that header was sanitised before it was known
    add(
        request("GET", f"{base}/login"),
        [("X-Session-Echo", "cookie-secret-0001"), ("Set-Cookie", "sid=cookie-secret-0001; HttpOnly")],
        b"welcome",
    )
    # a token in the response body, echoed by a response header (headers are learnt before the body)
    add(
        request("POST", f"{base}/token", [("Content-Type", "application/json")], content=b'{"grant": "x"}'),
        [("Content-Type", "application/json"), ("X-Token-Echo", "body-token-00000002")],
        b'{"access_token": "body-token-00000002", "token_type": "bearer"}',
    )
    # the password of the URL is only learnt from the URL, after the headers that echo it
    add(
        request("GET", f"{base.replace('://', '://user:url-password-0003@')}/p", [("X-Echo", "url-password-0003")]),
        [("Content-Type", "text/plain")],
        b"url-password-0003",
    )
    # a bearer token of the request echoed back
    add(
        request("GET", f"{base}/me", [("Authorization", "Bearer bearer-token-00000004")]),
        [("Content-Type", "text/plain"), ("X-Who", "bearer-token-00000004")],
        b"you are bearer-token-00000004",
    )
    # a redirect whose Location carries an authorisation code echoed before it
    add(
        request("GET", f"{base}/authorize"),
        [("X-Code", "auth-code-00000005"), ("Location", f"{base}/cb?code=auth-code-00000005&state=s")],
        b"",
        302,
    )
    # a path holding a value known by now, a long URL, a query with a credential
    add(request("GET", f"{base}/users/cookie-secret-0001/x"), [("Content-Type", "text/plain")], b"ok")
    add(request("GET", f"{base}/search?q={'a' * 300}&access_token=query-token-0006"), [], b"")
    # a form body with a password, a binary body, an exchange that failed
    add(
        request(
            "POST",
            f"{base}/form",
            [("Content-Type", "application/x-www-form-urlencoded")],
            content=b"password=form-password-7",
        ),
        [("Content-Type", "application/octet-stream")],
        b"\x00\xffform-password-7",
    )
    add(request("GET", f"{base}/down"), None)
    add(plain, [("Content-Type", "application/json"), ("Server", "test")], b'{"ok": true}')
    return out


def _written(
    tmp_path: Path, target_file: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], list[tuple[str, str]]]:
    """What `HttpClient._record` makes of the exchanges: each exchange as handed to the evidence
    (JSON, elapsed left out), and the files written (names and texts).

    The exchange is compared before the evidence sanitises its text as a whole: that last
    pass would hide a header left stale (its secret redacted there by value)."""
    handed: list[str] = []
    attach = Evidence.attach_json

    def spied(self: Evidence, file_name: str, obj: Any) -> str:
        handed.append(json.dumps([file_name, {**obj, "elapsed": None}]))
        return attach(self, file_name, obj)

    monkeypatch.setattr(Evidence, "attach_json", spied)
    target = load_target(target_file)
    ev = Evidence(tmp_path / name, "case", Sanitizer(target.secret_values()))
    client = HttpClient(target, ev)
    for request, resp, body in _exchanges(target.base_urls["web"]):
        client._record(request, resp, body, 0.0012, None if resp is not None else "transport error: refused")
    client.close()
    monkeypatch.setattr(Evidence, "attach_json", attach)
    return handed, [(Path(p).name, (tmp_path / name / p).read_text("utf-8")) for p in ev.paths]


def test_kept_headers_are_those_sanitising_again_gives(
    tmp_path: Path, target_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = _written(tmp_path, target_file, "now", monkeypatch)
    monkeypatch.setattr(HttpClient, "_record", _record_before)
    before = _written(tmp_path, target_file, "before", monkeypatch)
    assert now[0] == before[0]
    assert now[1] == before[1]
    texts = "\n".join(text for _, text in now[1])
    for secret in ("cookie-secret-0001", "body-token-00000002", "url-password-0003", "auth-code-00000005"):
        assert secret not in texts
    assert len(now[1]) == len(_exchanges("http://h"))


def test_the_last_exchange_sanitises_its_headers_once(tmp_path: Path, target_file: Path) -> None:
    """The shortcut is taken where nothing new is learnt (else the test above proves nothing)."""
    target = load_target(target_file)
    ev = Evidence(tmp_path / "run", "case", Sanitizer(target.secret_values()))
    client = HttpClient(target, ev)
    exchanges = _exchanges(target.base_urls["web"])
    for request, resp, body in exchanges[:-1]:
        client._record(request, resp, body, 0.001, None if resp is not None else "refused")
    calls: list[int] = []
    headers = client.sanitizer.headers
    client.sanitizer.headers = types.MethodType(  # type: ignore[method-assign]
        lambda self, items: calls.append(1) or headers(items), client.sanitizer
    )
    request, resp, body = exchanges[-1]
    client._record(request, resp, body, 0.001, None)
    assert len(calls) == 2  # the request's and the response's headers, once each


def _named_meanwhile(tmp_path: Path, target_file: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The evidence file names of an exchange during whose recording another process of the
    run registers a value its path holds (after the URL is sanitised, before the file is named)."""
    target = load_target(target_file)
    registry = SecretRegistry.shared()
    other = SecretRegistry.joining(registry.handle())  # another process of the run
    fields = http_module._body_fields

    def meanwhile(body: bytes, content_type: str, s: Sanitizer) -> dict[str, Any]:
        if content_type == "text/late":
            other.add("late-secret-path-0008")
        return fields(body, content_type, s)

    monkeypatch.setattr(http_module, "_body_fields", meanwhile)
    try:
        ev = Evidence(tmp_path / name, "case", Sanitizer(registry=registry))
        client = HttpClient(target, ev)
        req = httpx.Request("GET", f"{target.base_urls['web']}/files/late-secret-path-0008/x")
        resp = httpx.Response(200, headers=[("Content-Type", "text/late")], content=b"ok", request=req)
        client._record(req, resp, b"ok", 0.001, None)
        return [Path(p).name for p in ev.paths]
    finally:
        monkeypatch.setattr(http_module, "_body_fields", fields)
        registry.close()


def test_a_value_another_process_adds_meanwhile_keeps_out_of_the_file_name(
    tmp_path: Path, target_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = _named_meanwhile(tmp_path, target_file, "now", monkeypatch)
    monkeypatch.setattr(HttpClient, "_record", _record_before)
    assert now == _named_meanwhile(tmp_path, target_file, "before", monkeypatch)
    assert "late-secret" not in now[0]
