"""URLs a FHIR server advertises on hosts or ports the target does not declare.

Bundle links, entry fullUrls and redirects that send clients to an undeclared address
fail the requirement that covers them, with the URL, and are never fetched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from homolog.fixtures.refsut.fhir_api import INTERNAL_BASE
from homolog.testing import run_check


def test_wrong_base_url_fails_searchset_and_paging_with_the_url(refsut: Any, tmp_path: Path) -> None:
    sut = refsut(defects={"wrong-base-url"})
    searchset = run_check("fhir.search.searchset", sut.target_path, tmp_path=tmp_path)
    assert searchset.verdict == "failed", searchset.message
    assert searchset.message is not None
    assert searchset.message.startswith(
        f"GET /fhir/Patient?_count=5 advertises 7 URL(s) on {INTERNAL_BASE.rstrip('/')}, which none of the "
        "target's base_urls declares (link self, link next, entry fullUrl x5; first: "
        f"{INTERNAL_BASE}fhir/Patient?_count=5&_offset=0)"
    )
    paging = run_check("fhir.search.paging", sut.target_path, tmp_path=tmp_path)
    assert paging.verdict == "failed", paging.message
    assert f"page 1: the next link {INTERNAL_BASE}fhir/Patient?" in (paging.message or "")
    assert "not followed" in (paging.message or "")


def test_the_clean_server_advertises_its_own_address(clean_sut: Any, tmp_path: Path) -> None:
    for check_id in ("fhir.search.searchset", "fhir.search.paging"):
        res = run_check(check_id, clean_sut.target_path, tmp_path=tmp_path)
        assert res.verdict == "passed", (check_id, res.message)


class _Redirecting(BaseHTTPRequestHandler):
    """Every request is sent to the server's 'internal' name: a proxy misconfiguration."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", "http://fhir-interne.example:8080" + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def redirecting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirecting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("HOMOLOG_TEST_REDIRECT_TOKEN", "t0ken-for-tests")
    target = tmp_path / "target.yaml"
    target.write_text(
        yaml.safe_dump(
            {
                "format": "homolog.target/1",
                "system": {"name": "redirecting FHIR server", "version": "0"},
                "base_urls": {"fhir": f"http://127.0.0.1:{server.server_address[1]}/fhir"},
                "auth": {"fhir": {"type": "bearer", "token_env": "HOMOLOG_TEST_REDIRECT_TOKEN"}},
            }
        ),
        encoding="utf-8",
    )
    yield target
    server.shutdown()
    server.server_close()


def test_a_redirect_to_an_undeclared_host_fails_and_is_not_followed(redirecting: Path, tmp_path: Path) -> None:
    res = run_check("fhir.search.searchset", redirecting, tmp_path=tmp_path, params={"resources": ["Patient"]})
    assert res.verdict == "failed", res.message
    assert res.message == (
        "GET /fhir/Patient?_count=5 redirects to http://fhir-interne.example:8080/fhir/Patient?_count=5, "
        "on a host or port none of the target's base_urls declares: not followed"
    )
