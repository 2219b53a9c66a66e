"""Judging one message: addresses, MIME, the XDM attachment, the INS in metadata, X-MSS-* headers."""

from __future__ import annotations

from mss_samples import INS, RECIPIENT, SENDER, cda, message, metadata, xdm, zip_of

from homolog.counterparts.mss.judge import JudgeConfig, judge_message, mssante_address

CONFIG = JudgeConfig(operator_domains=("ch-demo.homolog.mssante.fr",))


def _codes(raw: bytes, *, sender: str = SENDER, rcpts: tuple[str, ...] = (RECIPIENT,)) -> set[str]:
    return {f.code for f in judge_message(sender, list(rcpts), raw, CONFIG).findings}


def test_a_letter_written_like_the_reference_dpi_has_no_finding() -> None:
    out = judge_message(SENDER, [RECIPIENT], message().as_bytes(), CONFIG)
    assert out.findings == []
    assert out.headers["X-MSS-INS"] == ["O"] and out.attachments[0]["filename"] == "IHE_XDM.ZIP"


def test_addresses_outside_the_trust_space_or_the_operator() -> None:
    assert mssante_address("a@medecin.mssante.fr", ("mssante.fr",))
    assert not mssante_address("a@mssante.fr.example.org", ("mssante.fr",))
    assert not mssante_address("not an address", ("mssante.fr",))
    raw = message().as_bytes()
    assert _codes(raw, rcpts=("x@gmail.example",)) == {"recipient-not-mssante"}
    assert _codes(raw, sender="dpi@other-operator.mssante.fr") == {"sender-not-operated"}
    assert _codes(raw, sender="dpi@hopital.example") == {"sender-not-mssante"}
    assert _codes(raw, rcpts=("279035121518989@patient.mssante.fr",)) == set()
    assert _codes(raw, rcpts=("lise.zola@patient.mssante.fr",)) == {"patient-address-not-ins"}


def test_x_mss_headers_are_required_and_must_tell_the_truth() -> None:
    assert _codes(message(headers={}).as_bytes()) == {"x-mss-nil-missing", "x-mss-ins-missing", "x-mss-codecda-missing"}
    wrong = {"X-MSS-NIL": "P", "X-MSS-INS": "N", "X-MSS-CODECDA": "34112-3"}
    assert _codes(message(headers=wrong).as_bytes()) == {
        "x-mss-ins-wrong",
        "x-mss-codecda-wrong",
        "x-mss-codecda-incomplete",
    }
    # an unqualified INS in the archive: X-MSS-INS must be N
    archive = xdm(cda(status="PROV"), patient_id="pat-prov^^^&1.2.3&ISO^PI")
    assert (
        _codes(message(archive, headers={"X-MSS-NIL": "P", "X-MSS-INS": "N", "X-MSS-CODECDA": "11490-0"}).as_bytes())
        == set()
    )
    assert "x-mss-ins-wrong" in _codes(message(archive).as_bytes())


def test_without_a_cda_the_document_headers_must_be_absent() -> None:
    archive = zip_of({"INDEX.HTM": b"x", "README.TXT": b"x", "IHE_XDM/S/METADATA.XML": b"<x/>"})
    codes = _codes(message(archive).as_bytes())
    assert {"x-mss-ins-unexpected", "x-mss-codecda-unexpected"} <= codes


def test_the_ins_in_metadata_must_be_the_documents() -> None:
    doc = cda()
    other = "180036532603144"
    archive = zip_of(
        {
            "INDEX.HTM": b"x",
            "README.TXT": b"x",
            "IHE_XDM/S/METADATA.XML": metadata(doc, patient_id=f"{other}^^^&1.2.250.1.213.1.4.10&ISO^NH"),
            "IHE_XDM/S/DOC0001.XML": doc,
        }
    )
    out = judge_message(SENDER, [RECIPIENT], message(archive).as_bytes(), CONFIG)
    messages = [f.message for f in out.findings if f.aspect == "ins"]
    assert any(other in m and INS in m for m in messages)
    assert "no-metadata" in _codes(message(xdm(with_metadata=False)).as_bytes())


def test_malformed_mime_and_missing_attachment_are_findings_not_crashes() -> None:
    assert "no-xdm-attachment" in _codes(b"Subject: hello\r\n\r\nno attachment\r\n")
    broken = (
        b'Content-Type: multipart/mixed; boundary="b"\r\nX-MSS-NIL: x\r\n\r\n--b\r\n'
        b"Content-Type: application/zip\r\nContent-Disposition: attachment; filename=IHE_XDM.ZIP\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n"
    )  # no closing boundary, undecodable payload
    codes = _codes(broken)
    assert "mime-malformed" in codes and "zip-invalid" in codes
    assert "no-xdm-attachment" in _codes(b"\xff\xfe\x00garbage" * 1000)
    deep = b"Content-Type: multipart/mixed; boundary=a\r\n\r\n" + b"".join(
        f"--a\r\nContent-Type: multipart/mixed; boundary=a{i}\r\n\r\n".encode() for i in range(200)
    )
    assert _codes(deep)  # judged (too many parts / no attachment), no exception
