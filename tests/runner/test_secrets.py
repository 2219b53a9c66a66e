"""Secrets redacted by value in every form, and a registry shared by the processes of a run."""

from __future__ import annotations

import base64
import html
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from homolog import REDACTED
from homolog.evidence import Evidence, Sanitizer
from homolog.secrets import SecretRegistry

PASSWORD = "Pw!hs D#2026&x"
TOKEN = "hstok-0123456789abcdef"
ASTRAL = "pässwörd-𝄞x"


def _forms(value: str) -> dict[str, str]:
    first = value[0]
    return {
        "raw": value,
        "percent": quote(value, safe=""),
        "form": quote_plus(value),
        "percent twice": quote(quote(value, safe=""), safe=""),
        "json unicode escapes": json.dumps(value, ensure_ascii=True)[1:-1].replace(first, f"\\u{ord(first):04x}", 1),
        "json all escaped": "".join(f"\\u{ord(c):04x}" for c in value if ord(c) < 0x10000),
        "html decimal": "".join(f"&#{ord(c)};" for c in value),
        "html hex": "".join(f"&#x{ord(c):X};" for c in value),
        "html named": html.escape(value),
        "base64": base64.b64encode(value.encode()).decode(),
        "base64 inside": base64.b64encode(f"user:{value}".encode()).decode(),
        "base64 url-safe offset 2": base64.urlsafe_b64encode(f"ab{value}yz".encode()).decode(),
    }


@pytest.mark.parametrize("value", [PASSWORD, TOKEN])
@pytest.mark.parametrize("form", list(_forms(PASSWORD)))
def test_every_form_of_a_secret_is_redacted(value: str, form: str) -> None:
    encoded = _forms(value)[form]
    out = Sanitizer([value]).text(f"before {encoded} after")
    assert out == f"before {REDACTED} after"


def test_astral_and_latin_characters_are_found_escaped() -> None:
    s = Sanitizer([ASTRAL])
    for text in (json.dumps(ASTRAL), quote(ASTRAL), "".join(f"&#{ord(c)};" for c in ASTRAL)):
        assert ASTRAL not in s.text(text) and REDACTED in s.text(text)


def test_text_around_a_secret_is_kept() -> None:
    s = Sanitizer([TOKEN])
    text = '{"a": "x%20y", "b": "&amp;", "t": "\\u0068stok-0123456789abcdef", "c": "z+z"}'
    assert s.text(text) == '{"a": "x%20y", "b": "&amp;", "t": "' + REDACTED + '", "c": "z+z"}'


def test_a_password_field_under_any_name_is_redacted_by_value() -> None:
    body = "username=alice&motdepasse=" + quote_plus(PASSWORD) + "&remember=1"
    assert Sanitizer([PASSWORD]).text(body) == f"username=alice&motdepasse={REDACTED}&remember=1"


def test_values_of_credential_fields_are_learnt_and_redacted_elsewhere() -> None:
    s = Sanitizer()
    s.text('{"access_token": "tok-learnt-12345678", "token_type": "Bearer"}')
    assert s.text("GET /fhir/_tok/tok-learnt-12345678/x") == f"GET /fhir/_tok/{REDACTED}/x"
    s.headers([("Set-Cookie", "sid=cookie-value-0001; HttpOnly")])
    assert "cookie-value-0001" not in s.url("https://h/p?sid=cookie-value-0001")


def test_file_names_hold_no_secret_even_slugged() -> None:
    s = Sanitizer([TOKEN, PASSWORD])
    ev = Evidence(Path("/nonexistent"), "case", s)
    assert TOKEN not in s.name(f"http-GET-fhir-_tok-{TOKEN}-metadata")
    assert "Pw-hs-D-2026-x" not in s.name("login-Pw!hs D#2026&x")
    assert ev.sanitizer is s


def test_json_key_patterns_are_linear_on_unterminated_values() -> None:
    # an unterminated value after a key must not make the pattern scan the rest of the text from each key
    s = Sanitizer()
    out = s.text('"password": "\\' * 2000)
    assert out.count(REDACTED) > 0


def test_registry_is_shared_with_another_process_without_the_value_on_disk(tmp_path: Path) -> None:
    registry = SecretRegistry.shared(["env-secret-value"])
    try:
        handle = registry.handle()
        assert handle is not None
        code = (
            "import json, sys\n"
            "from homolog.secrets import SecretRegistry\n"
            "r = SecretRegistry.joining(json.loads(sys.argv[1]))\n"
            "assert 'env-secret-value' in r.values\n"
            "r.add('worker-token-value-42')\n"
        )
        subprocess.run([sys.executable, "-c", code, json.dumps(handle)], check=True, timeout=60)
        assert "worker-token-value-42" in registry.values
        stored = b"".join(p.read_bytes() for p in Path(handle["folder"]).iterdir())
        assert b"worker-token-value-42" not in stored and b"env-secret-value" not in stored
        assert Sanitizer(registry=registry).text("x worker-token-value-42 y") == f"x {REDACTED} y"
    finally:
        registry.close()
    assert not Path(handle["folder"]).exists()


def test_evidence_secret_registers_for_the_rest_of_the_run(tmp_path: Path) -> None:
    ev = Evidence(tmp_path, "case", Sanitizer())
    assert ev.secret("Aa1!generated-password") == "Aa1!generated-password"
    rel = ev.attach_text("form.txt", "new_password=Aa1%21generated-password")
    assert "generated" not in (tmp_path / rel).read_text("utf-8")


def test_text_bytes_attached_are_sanitised(tmp_path: Path) -> None:
    ev = Evidence(tmp_path, "case", Sanitizer([TOKEN]))
    rel = ev.attach_bytes("doc.xml", f"<x>{TOKEN}</x>".encode())
    assert TOKEN.encode() not in (tmp_path / rel).read_bytes()
    rel = ev.attach_bytes("blob.bin", b"\x89\xff" + TOKEN.encode())
    assert TOKEN.encode() not in (tmp_path / rel).read_bytes()
