"""Each check's httpx client is a copy of one made per run, trust setting and timeouts
(issue 18.2): a copy holds what a made client holds, its own cookie jar, headers and hooks,
and checks that send the same requests record the same evidence as with clients made one
by one (the way they were made before, kept below as the reference)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from homolog import __version__
from homolog.evidence import Evidence, Sanitizer
from homolog.http import _OWN_STATE, Connections, HttpClient
from homolog.target import load_target

#: The attributes of an httpx client (0.28). A new one may be state a client changes as it is
#: used: decide whether copies get their own (`homolog.http._OWN_STATE`), then add it here.
KNOWN = {
    "_auth",
    "_base_url",
    "_cookies",
    "_default_encoding",
    "_event_hooks",
    "_headers",
    "_mounts",
    "_params",
    "_state",
    "_timeout",
    "_transport",
    "_trust_env",
    "follow_redirects",
    "max_redirects",
}


def _made(connections: Connections, verify: bool | str, timeout: float, connect: float) -> httpx.Client:
    """A client made the way each `HttpClient` made its own before."""
    return httpx.Client(
        transport=connections.transport(verify),
        trust_env=False,
        follow_redirects=False,
        timeout=httpx.Timeout(timeout, connect=connect),
        headers={"Accept-Encoding": "gzip, deflate", "User-Agent": f"homolog/{__version__}"},
    )


def test_a_copy_holds_what_a_made_client_holds_and_its_own_state() -> None:
    connections = Connections()
    try:
        made = _made(connections, False, 3.0, 2.0)
        first = connections.client(False, 3.0, 2.0)
        second = connections.client(False, 3.0, 2.0)
        assert set(vars(made)) == KNOWN == set(vars(first))
        for name in KNOWN:
            mine, theirs, other = vars(first)[name], vars(made)[name], vars(second)[name]
            if name in _OWN_STATE:
                assert mine is not other
            if name == "_cookies":
                assert list(mine.jar) == list(theirs.jar) == []
            else:
                assert mine == theirs, name
        assert first._transport is second._transport is connections.transport(False)
        assert connections.client(False, 9.0, 2.0).timeout == httpx.Timeout(9.0, connect=2.0)
        first.cookies.set("sid", "one")
        first.headers["X-Mine"] = "1"
        first.event_hooks["request"].append(print)
        assert not second.cookies and "X-Mine" not in second.headers and not second.event_hooks["request"]
        assert not connections.client(False, 3.0, 2.0).cookies
    finally:
        connections.close()


def _session(tmp_path: Path, target_file: Path, name: str) -> list[tuple[str, str]]:
    """Clients of one run sending requests in turn: the evidence files, names and texts (times left out)."""
    target = load_target(target_file)
    sanitizer = Sanitizer(target.secret_values())
    connections = Connections()
    texts: list[tuple[str, str]] = []
    try:
        a = HttpClient(target, Evidence(tmp_path / name, "a", sanitizer), connections=connections)
        b = HttpClient(target, Evidence(tmp_path / name, "b", sanitizer), connections=connections)
        a.get("/cookie", base="web")  # a's jar keeps what the server sets
        a.cookies.set("extra", "value-of-a")
        a.get("/echo", base="web")  # sends it
        b.get("/echo", base="web", auth="api")  # b has no cookie
        a.fresh().get("/echo", base="web")  # nor has a fresh client
        b.get("/redirect-in", base="web")
        a.get("/redirect-in", base="web")
        for client in (a, b):
            assert client.evidence is not None
            for rel in client.evidence.paths:
                text = (tmp_path / name / rel).read_text("utf-8")
                texts.append((Path(rel).name, re.sub(r'"(date|elapsed)": [^\n]*', "", text)))
    finally:
        connections.close()
    return texts


def test_copied_clients_record_what_clients_made_one_by_one_record(
    tmp_path: Path, target_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copied = _session(tmp_path, target_file, "copied")
    monkeypatch.setattr(Connections, "client", _made)
    made = _session(tmp_path, target_file, "made")
    assert copied == made
    sent = [json.loads(text)["request"]["headers"] for name, text in copied if "echo" in name]
    assert [("cookie" in headers) for headers in sent] == [True, False, False]
