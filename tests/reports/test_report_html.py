"""HTML report content: what a reader needs, escaped, under a strict CSP."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from synthrun import (
    XSS_PAYLOADS,
    SynthCheck,
    SynthReq,
    build_run,
    demo_requirements,
    http_exchange,
    png,
)

from homolog.reports import ReportError, render


def _page(tmp_path: Path, reqs: list[SynthReq], lang: str = "fr") -> tuple[Path, str]:
    run = build_run(tmp_path / "run", reqs)
    path = render(run, ["html"], lang=lang)["html"]
    return run, path.read_text(encoding="utf-8")


def test_every_requirement_with_verdict_text_source_and_checks(tmp_path: Path) -> None:
    reqs = demo_requirements()
    _, page = _page(tmp_path, reqs)
    for req in reqs:
        assert f'data-id="{req.id.lower()}"' in page
        assert f'class="req v-{req.verdict}"' in page
    assert "Verrouillage du compte après des échecs de connexion" in page
    assert "le compte n&#x27;est pas verrouillé après 10 échecs" in page
    assert "security.auth.lockout" in page
    assert "Référentiel synthétique — 3.2 — 1.0" in page
    # Summary by source referential and by family.
    assert "Par référentiel d&#x27;origine" in page and "ins-rniv@1.0.0" in page
    assert "Par famille" in page and "authentification" in page
    assert "Statut\u00a0: <strong>Non conforme</strong>" in page


def test_waiver_and_attestation_show_who_why_until_when(tmp_path: Path) -> None:
    _, page = _page(tmp_path, demo_requirements())
    for text in ("Correctif livré en version 1.1", "RSSI (Mme Exemple)", "2027-03-31"):
        assert text in page
    for text in ("Procédure signée du référent identitovigilance", "Auditeur", "2027-11-01"):
        assert text in page
    assert 'href="../evidence/attestations/procedure.pdf"' in page
    # The synthetic attestation declares a hash its file does not have: flagged.
    assert "f" * 64 + " (ATTENTION : le fichier joint a une autre empreinte)" in page


def test_evidence_is_inline_and_linked_to_existing_files(tmp_path: Path) -> None:
    run, page = _page(tmp_path, demo_requirements())
    # HTTP exchange rendered inline with request line and status.
    assert "POST https://127.0.0.1:8443/login → 200" in page
    assert "username=bob&amp;password=[redacted]" in page
    # Screenshot embedded (visible without the run folder) and identical to the file.
    shot = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert shot is not None
    assert base64.b64decode(shot.group(1)) == png(seed=1)
    # Validator output inline; every evidence link resolves to a file of the run.
    assert "effectiveTime manquant dans serviceEvent" in page
    links = re.findall(r'href="\.\./(evidence/[^"]+)"', page)
    assert len(links) >= 6
    for rel in links:
        assert (run / unquote(rel)).is_file(), rel
    # A transport error is shown as such.
    assert "ConnectError: connection refused" in page


def test_missing_and_escaping_evidence_paths_are_flagged(tmp_path: Path) -> None:
    run = build_run(
        tmp_path / "run",
        [
            SynthReq(
                "A.1",
                "failed",
                checks=[SynthCheck("x.y", "failed", "m", evidence=[("a.json", http_exchange())])],
            )
        ],
    )
    original = (run / "run.json").read_text(encoding="utf-8")
    # A path outside evidence/ does not even pass the run format.
    (run / "run.json").write_text(
        original.replace('"evidence/00000-0-x-y/01-a.json"', '"/etc/passwd"'), encoding="utf-8"
    )
    with pytest.raises(ReportError, match=r"requirements\[0\]\.checks\[0\]\.evidence\[0\]: '/etc/passwd'"):
        render(run, ["html"])
    # One that starts inside and climbs out is caught by the report itself.
    data = original.replace(
        '"evidence/00000-0-x-y/01-a.json"',
        '"evidence/gone.json", "evidence/../../etc/passwd"',
    )
    (run / "run.json").write_text(data, encoding="utf-8")
    page = render(run, ["html"])["html"].read_text(encoding="utf-8")
    assert "evidence/gone.json</code> — fichier absent" in page
    assert "evidence/../../etc/passwd</code> — chemin refusé" in page
    assert 'href="../../etc' not in page and 'href="/etc' not in page
    assert "root:" not in page


def test_csp_is_strict_and_scripts_are_allowed_by_hash_only(tmp_path: Path) -> None:
    _, page = _page(tmp_path, demo_requirements())
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None
    policy = csp.group(1).replace("&#x27;", "'")
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["img-src"] == "data:"
    assert re.fullmatch(r"'sha256-[A-Za-z0-9+/=]+'", directives["script-src"])
    assert re.fullmatch(r"'sha256-[A-Za-z0-9+/=]+'", directives["style-src"])
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert page.count("<script>") == 1  # ours, at the end of the body


def test_sut_payloads_are_escaped_everywhere(tmp_path: Path) -> None:
    reqs = [
        SynthReq(
            f"X.{i}",
            "failed",
            title=payload,
            text_fr=payload,
            checks=[
                SynthCheck(
                    "xss.check",
                    "failed",
                    payload,
                    title=payload,
                    params={"p": payload},
                    evidence=[
                        ("http.json", http_exchange(url="https://h/" + payload, body=payload)),
                        ("out.txt", payload),
                    ],
                )
            ],
            waiver=None,
        )
        for i, payload in enumerate(XSS_PAYLOADS)
    ]
    _, page = _page(tmp_path, reqs)
    body = page.split("<body", 1)[1].rsplit("<script>", 1)[0]
    needles = ("<script", "<img", "<svg", "<iframe", "<style", "<base", 'href="javascript')
    for needle in needles:
        assert needle not in body, needle
    assert "&lt;script&gt;window.__pwned = 1;" in body


def test_english_labels(tmp_path: Path) -> None:
    _, page = _page(tmp_path, demo_requirements(), lang="en")
    for text in ("Certification report", "Waiver", "Approver", "Failed", "By family"):
        assert text in page
    # The normative text follows the language when the referential has it.
    assert "The system MUST do what is expected." in page


def test_attestation_file_matching_its_hash_is_confirmed(tmp_path: Path) -> None:
    run = build_run(tmp_path / "run", demo_requirements())
    digest = hashlib.sha256((run / "evidence/attestations/procedure.pdf").read_bytes()).hexdigest()
    data = (run / "run.json").read_text(encoding="utf-8").replace("f" * 64, digest)
    (run / "run.json").write_text(data, encoding="utf-8")
    page = render(run, ["html"])["html"].read_text(encoding="utf-8")
    assert f"{digest} (le fichier joint a bien cette empreinte)" in page
