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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homolog import REDACTED
from homolog.evidence import Evidence, Sanitizer, _Fields, _redact_fields
from homolog.secrets import _FEW_NEEDLES, SecretRegistry, _decode, _decoded_text, _Needles, _View, secret_spans

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


# A run that has learnt many tokens: its texts are searched with the automaton (`_Needles`).
LEARNT = [f"learnt-token-{i:04d}-{'x' * (i % 7)}" for i in range(40)]


@pytest.mark.parametrize("value", [PASSWORD, TOKEN])
@pytest.mark.parametrize("form", list(_forms(PASSWORD)))
def test_every_form_of_a_secret_is_redacted_among_many_learnt_ones(value: str, form: str) -> None:
    assert len(_Needles([value, *LEARNT]).values) > _FEW_NEEDLES
    encoded = _forms(value)[form]
    out = Sanitizer([value, *LEARNT]).text(f"before {encoded} after {LEARNT[7]}.")
    assert out == f"before {REDACTED} after {REDACTED}."


@pytest.mark.parametrize("learnt", [[], LEARNT], ids=["few", "many"])
def test_secrets_that_overlap_in_a_text_are_redacted_whole(learnt: list[str]) -> None:
    # one occurrence starts inside another: both are found (a search that only reports
    # matches that do not overlap would leave "ij" of the second in clear)
    needles = _Needles(["abcdefgh", "cdefghij", *learnt])
    assert secret_spans("xxabcdefghijxx", needles) == [(2, 12)]
    # a value's base64 core overlapping another value
    core = base64.b64encode(b"user:" + b"s3cr3t-value").decode()
    assert secret_spans(f"[{core}]", _Needles(["s3cr3t-value", core[:12], *learnt])) == [(1, 1 + len(core))]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.lists(st.sampled_from([*LEARNT[:10], PASSWORD, TOKEN, "learnt-", "token-00"]) | st.text(max_size=4)).map(
        "".join
    ),
    chosen=st.lists(st.sampled_from([*LEARNT[:10], PASSWORD, TOKEN, "abcd"]), max_size=12),
)
def test_the_automaton_finds_the_spans_the_one_by_one_search_finds(text: str, chosen: list[str]) -> None:
    many = _Needles([*chosen, *LEARNT])
    assert many._automaton is not None
    one_by_one = _Needles([*chosen, *LEARNT])
    one_by_one._automaton = None
    assert secret_spans(text, many) == secret_spans(text, one_by_one)


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


def test_tokens_of_a_scripts_login_answer_are_learnt_in_any_spelling() -> None:
    # a single-page application's login answers its tokens under the names its scripts use
    s = Sanitizer()
    clean = s.text('{"accessToken": "opaque-access-0001", "refreshToken": "opaque-refresh-0001", "user": "alice"}')
    assert clean == f'{{"accessToken": "{REDACTED}", "refreshToken": "{REDACTED}", "user": "alice"}}'
    assert s.text("Authorization: Token opaque-access-0001") == f"Authorization: Token {REDACTED}"
    assert s.text('{"refresh": "opaque-refresh-0002"}') == f'{{"refresh": "{REDACTED}"}}'


def test_tokens_where_the_target_says_they_are_are_learnt_whatever_their_name() -> None:
    # an opaque token under a name no list holds: simplejwt's `access`, a custom header
    s = Sanitizer(fields=["data.access", "header:X-Auth-Token"])
    assert s.text('{"data": {"access": "opaque-access-0009"}}') == f'{{"data": {{"access": "{REDACTED}"}}}}'
    assert s.text("echoed later: opaque-access-0009") == f"echoed later: {REDACTED}"
    assert s.headers([("X-Auth-Token", "opaque-header-0009")]) == {"X-Auth-Token": REDACTED}
    assert s.text("and again opaque-header-0009") == f"and again {REDACTED}"
    # without the declaration the name says nothing
    assert Sanitizer().text('{"access": "opaque-access-0010"}') == '{"access": "opaque-access-0010"}'


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


def test_registries_of_one_run_see_each_others_values_whatever_the_order() -> None:
    # a registry skips reading back its own writes: never the others' written in between
    first = SecretRegistry.shared()
    try:
        second = SecretRegistry.joining(first.handle())
        first.add("first-value-1")
        second.add("second-value-1")
        first.add("first-value-2")
        first.add("first-value-3")
        second.add("second-value-2")
        expected = {"first-value-1", "first-value-2", "first-value-3", "second-value-1", "second-value-2"}
        assert set(first.needles().values) == expected
        assert set(second.needles().values) == expected
    finally:
        first.close()


def test_a_header_seen_before_a_secret_is_known_is_redacted_once_it_is() -> None:
    # short texts are remembered with the secrets they were redacted with, never longer
    s = Sanitizer()
    header = 'W/"opaque-etag-4242"'
    assert s.text(header) == header
    s.add("opaque-etag-4242")
    assert s.text(header) == f'W/"{REDACTED}"'
    other = Sanitizer(registry=s.registry)
    s.text("x")
    other.add("Path=/x-registered-elsewhere")
    assert s.text("Path=/x-registered-elsewhere") == REDACTED


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


# The fast paths below must give exactly what the general ones give: the escapes decoded
# without the offset map (`_decoded_text`), and the credential patterns skipped on texts
# that lack their literal (`_Fields`). Texts are drawn from the pieces that matter: every
# escape syntax, the keys in any case, and the four non-ASCII characters that a
# case-insensitive pattern takes for ASCII letters.
_PIECES = [
    "%41",
    "%e9",
    "%C3%A9",
    "%f0%9f",
    "%zz",
    "\\u0041",
    "\\ud834\\udd1e",
    "\\udc00",
    "\\x41",
    '\\"',
    "\\\\",
    "\\n",
    "&#104;",
    "&#x1F600;",
    "&#0;",
    "&amp;",
    "&eacute;",
    "&nosuch;",
    "+",
    " ",
    "=",
    '"',
    ":",
    "&",
    "<input name=",
    "value=",
    "PASSWORD",
    "password",
    "pa\u017f\u017fword",
    "cl\u0130ent_secret",
    "cl\u0131ent_secret",
    "api_\u212aey",
    "Bearer ",
    "basic ",
    "eyJhbGciOi.eyJzdWIiOi.sig",
    "access_token",
    "code=",
    "sid",
    "x",
    "é",
]
_ODD_KEYS = ["pa\u017f\u017fword", "cl\u0130ent_secret", "cl\u0131ent_secret", "api_\u212aey", "Pa\u017fswd"]
_PIECES += [f"{k}=v4lue-123456" for k in _ODD_KEYS] + [f'"{k}": "v4lue-123456"' for k in _ODD_KEYS]
_TEXTS = st.lists(st.sampled_from(_PIECES) | st.text(max_size=3), max_size=25).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXTS, plus_is_space=st.booleans())
def test_escapes_decoded_without_the_map_are_the_decoded_view(text: str, plus_is_space: bool) -> None:
    view = _decode(_View(text), plus_is_space=plus_is_space)
    assert _decoded_text(text, plus_is_space=plus_is_space) == (view.text if view is not None else None)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXTS)
def test_credential_patterns_skipped_only_where_they_cannot_match(text: str) -> None:
    assert _redact_fields(text, _Fields(text)) == _redact_fields(text)
    learnt_everywhere, learnt = Sanitizer(), Sanitizer()
    learnt_everywhere.learn(text, _Fields(None))
    learnt.learn(text)
    assert learnt.registry.values == learnt_everywhere.registry.values


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXTS, secret=st.sampled_from([PASSWORD, TOKEN]), form=st.sampled_from(sorted(_forms(TOKEN))))
def test_a_secret_in_any_form_among_escapes_is_found(text: str, secret: str, form: str) -> None:
    encoded = _forms(secret)[form]
    out = Sanitizer([secret]).text(f"{text} {encoded} {text}")
    assert encoded not in out or encoded in text


def test_a_registry_that_has_read_the_shared_file_sees_what_is_added_later() -> None:
    # the file is read through a descriptor kept open: appends after the first read are seen
    first = SecretRegistry.shared()
    try:
        second = SecretRegistry.joining(first.handle())
        assert set(second.needles().values) == set()  # the file exists, empty: opened and read
        first.add("added-after-the-read-1")
        assert set(second.needles().values) == {"added-after-the-read-1"}
        first.add("added-after-the-read-2")
        assert "added-after-the-read-2" in second.values
    finally:
        first.close()
    # the run's file gone: a registry keeps what it knows, and reads nothing more
    assert set(second.needles().values) == {"added-after-the-read-1", "added-after-the-read-2"}
    second.close()
