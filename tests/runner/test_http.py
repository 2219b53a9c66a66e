from __future__ import annotations

import json
from pathlib import Path

import pytest

from homolog import REDACTED, HttpError
from homolog.errors import CheckError, CheckFailed
from homolog.evidence import Evidence, Sanitizer
from homolog.http import HttpClient, expect_status
from homolog.target import load_target


@pytest.fixture
def client(target_file: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    target = load_target(target_file)
    ev = Evidence(tmp_path / "run", "case", Sanitizer(target.secret_values()))
    with HttpClient(target, ev) as c:
        yield c


def _exchange(client: HttpClient, path: str) -> dict:  # type: ignore[type-arg]
    return json.loads((client.evidence.run_dir / path).read_text())  # type: ignore[union-attr]


def test_get_records_sanitised_evidence(client: HttpClient) -> None:
    resp = client.get("/echo", base="web", auth="api")
    assert resp.status_code == 200 and "tok-9f8e7d6c5b4a" in resp.text
    ex = _exchange(client, resp.evidence_path)  # type: ignore[arg-type]
    dumped = json.dumps(ex)
    assert "tok-9f8e7d6c5b4a" not in dumped
    assert ex["request"]["headers"]["authorization"] == f"Bearer {REDACTED}"


def test_set_cookie_value_redacted_attributes_kept(client: HttpClient) -> None:
    resp = client.get("/cookie", base="web")
    ex = _exchange(client, resp.evidence_path)  # type: ignore[arg-type]
    cookie = ex["response"]["headers"]["set-cookie"]
    assert "s3cr3tvalue" not in cookie and "HttpOnly" in cookie and cookie.startswith("sid=")
    assert "s3cr3tvalue" in resp.header_values("set-cookie")[0]  # checks still see the real header


def test_timeout_is_an_error_not_a_hang(client: HttpClient) -> None:
    with pytest.raises(HttpError, match="timed out"):
        client.get("/slow", base="web")


def test_huge_response_is_cut(client: HttpClient) -> None:
    with pytest.raises(HttpError, match="larger than 1048576"):
        client.get("/big", base="web")


def test_redirect_outside_scope_not_followed(client: HttpClient) -> None:
    with pytest.raises(HttpError, match="outside the target's declared hosts"):
        client.get("/redirect-out", base="web")


def test_redirect_inside_scope_followed(client: HttpClient) -> None:
    resp = client.get("/redirect-in", base="web")
    assert resp.status_code == 200 and len(resp.history) == 1


def test_redirect_loop_bounded(client: HttpClient) -> None:
    with pytest.raises(HttpError, match="more than"):
        client.get("/loop", base="web")


def test_absolute_url_out_of_scope_refused(client: HttpClient) -> None:
    with pytest.raises(CheckError, match="outside"):
        client.get("http://198.51.100.1/")


def test_refused_connection_is_an_error(target_file: Path, tmp_path: Path) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    text = target_file.read_text().replace("web:", f"closed: http://127.0.0.1:{port}\n  web:", 1)
    target_file.write_text(text)
    with HttpClient(load_target(target_file)) as c, pytest.raises(HttpError, match="transport error"):
        c.get("/", base="closed")


def test_expect_status_message(client: HttpClient) -> None:
    resp = client.get("/missing", base="web")
    with pytest.raises(CheckFailed, match=r"expected 200, got 404 for GET /missing"):
        expect_status(resp, 200)


@pytest.mark.parametrize(
    "text",
    [
        '{"password": "pw-123456"}',
        "grant_type=authorization_code&code=pw-123456&code_verifier=abc",
        "Authorization: Bearer pw-123456",
        "id_token=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJl",
        '<input type="hidden" name="csrf_token" value="pw-123456">',
    ],
)
def test_sanitizer_removes_credentials(text: str) -> None:
    assert "pw-123456" not in Sanitizer().text(text)
    assert "c2lnbmF0dXJl" not in Sanitizer().text(text)


def test_sanitizer_keeps_fhir_codes() -> None:
    text = '{"coding": [{"system": "x", "code": "VALI"}]}'
    assert Sanitizer().text(text) == text
    assert "abc123" not in Sanitizer().url("https://h/cb?code=abc123&state=s")


def test_sanitizer_removes_configured_secret_anywhere() -> None:
    s = Sanitizer(["my-very-own-secret"])
    assert s.text("prefix my-very-own-secret suffix") == f"prefix {REDACTED} suffix"
    assert "my-very-own-secret" not in s.url("https://h/x?foo=my-very-own-secret")


def _gz(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data)


def test_stacked_content_encodings_are_undone_within_the_bound() -> None:
    from homolog.http import _decode

    assert _decode(_gz(_gz(b"trace")), "gzip, gzip", 1024) == b"trace"
    assert _decode(_gz(b"a") + _gz(b"b"), "gzip", 1024) == b"ab"  # several gzip members


@pytest.mark.parametrize(
    ("body", "encoding", "problem"),
    [
        (b"x", "br", "not supported"),
        (b"not gzip", "gzip", "not valid gzip"),
        (b"x", "gzip, gzip, gzip, gzip, gzip", "layers"),
    ],
)
def test_undecodable_bodies_make_the_response_unreadable(body: bytes, encoding: str, problem: str) -> None:
    from homolog.http import _decode, _Undecodable

    with pytest.raises(_Undecodable, match=problem):
        _decode(body, encoding, 1024)


def test_a_bomb_under_two_layers_is_too_large() -> None:
    from homolog.http import _decode, _TooLarge

    with pytest.raises(_TooLarge):
        _decode(_gz(_gz(b"\0" * 10_000_000)), "gzip, gzip", 1024 * 1024)


def test_reading_an_undecodable_body_is_an_error_not_a_verdict() -> None:
    import httpx

    from homolog.http import Response

    resp = Response("GET", "https://h/x", 500, httpx.Headers(), b"..", 0.0, body_problem="Content-Encoding 'br'")
    with pytest.raises(CheckError, match="cannot be read"):
        _ = resp.text


def test_a_character_cut_by_the_evidence_window_keeps_the_body_text() -> None:
    from homolog.http import _SANITIZE_MARGIN, EVIDENCE_BODY_LIMIT, _body_fields

    window = EVIDENCE_BODY_LIMIT + _SANITIZE_MARGIN
    body = b"a" * (window - 1) + "é".encode() + b"tail"  # the 2-byte "é" straddles the window's end
    fields = _body_fields(body, "text/plain", Sanitizer())
    assert fields["body_truncated"] is True
    assert fields["body"] == "a" * EVIDENCE_BODY_LIMIT


def test_a_short_body_ending_in_invalid_utf8_is_not_stored_as_text() -> None:
    from homolog.http import _body_fields

    fields = _body_fields(b"plain text then \xff\xfe", "text/plain", Sanitizer())
    assert fields["body"] is None
    assert "binary body" in fields["body_note"]


def test_json_nested_deeper_than_the_parser_reads_is_undecided_not_wrong() -> None:
    import httpx

    from homolog.http import Response

    deep = b"[" * 100_000 + b"]" * 100_000
    resp = Response("GET", "https://h/fhir/metadata", 200, httpx.Headers(), deep, 0.0)
    with pytest.raises(CheckError, match="nested too deep"):
        resp.json()
    shallow = Response("GET", "https://h/fhir/metadata", 200, httpx.Headers(), b"[[1]]", 0.0)
    assert shallow.json() == [[1]]
