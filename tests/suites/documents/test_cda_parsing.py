"""Untrusted CDA bytes are parsed safely: no DTD, no entities, bounded size, right root."""

from __future__ import annotations

from pathlib import Path

import pytest

from homolog.suites.documents.validator import DocumentError, parse_document

ROOT = '<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&x;</title></ClinicalDocument>'


def test_doctype_and_external_entities_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = f'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "{secret.as_uri()}">]>{ROOT}'
    with pytest.raises(DocumentError, match="DOCTYPE"):
        parse_document(xxe.encode())
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE c [<!ENTITY y "yyyyyyyy"><!ENTITY x "&y;&y;&y;&y;&y;&y;&y;&y;&y;&y;">]>' + ROOT
    )
    with pytest.raises(DocumentError, match="DOCTYPE"):
        parse_document(laughs.encode())


def test_size_root_and_syntax() -> None:
    ok = b'<ClinicalDocument xmlns="urn:hl7-org:v3"/>'
    assert parse_document(ok).getroot().tag == "{urn:hl7-org:v3}ClinicalDocument"
    with pytest.raises(DocumentError, match="limit"):
        parse_document(ok, max_bytes=10)
    with pytest.raises(DocumentError, match="expected ClinicalDocument"):
        parse_document(b"<html/>")
    with pytest.raises(DocumentError, match="not well-formed"):
        parse_document(b"<ClinicalDocument")
