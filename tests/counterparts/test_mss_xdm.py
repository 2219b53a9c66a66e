"""Reading IHE_XDM.ZIP archives: layout, metadata, CDA facts, and hostile archives."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from mss_samples import INS, INS_OID, cda, metadata, xdm, xxe_archive, zip_of

from homolog.counterparts.mss.xdm import XdmLimits, parse_cx, read_xdm


def _codes(archive: bytes, **kw: object) -> set[str]:
    return {f.code for f in read_xdm(archive, **kw).findings}  # type: ignore[arg-type]


def test_a_well_formed_archive_has_no_finding_and_its_facts_are_read() -> None:
    out = read_xdm(xdm())
    assert out.findings == []
    assert out.subsets == ["IHE_XDM/SUBSET01"] and out.metadata == {"IHE_XDM/SUBSET01": True}
    (doc,) = out.documents
    assert doc.path == "IHE_XDM/SUBSET01/DOC0001.XML"
    assert parse_cx(doc.patient_id or "") == (INS, INS_OID)
    assert doc.cda is not None and doc.cda.code == "11490-0"
    assert (doc.cda.ins, doc.cda.ins_oid, doc.cda.qualified) == (INS, INS_OID, True)


def test_missing_parts_are_each_named() -> None:
    doc = cda()
    archive = zip_of({"IHE_XDM/SUBSET01/DOC0001.XML": doc})
    assert _codes(archive) == {"missing-index", "missing-readme", "missing-metadata"}
    # without metadata the CDA is still found, so its conformity can be judged
    assert read_xdm(archive).documents[0].cda is not None
    assert _codes(zip_of({"INDEX.HTM": b"x", "README.TXT": b"x"})) == {"no-subset"}


def test_metadata_must_reference_present_files_with_matching_hash_and_size() -> None:
    doc = cda()
    meta = metadata(doc).replace(b"DOC0001.XML", b"DOC0002.XML")
    archive = zip_of(
        {"INDEX.HTM": b"x", "README.TXT": b"x", "IHE_XDM/S1/METADATA.XML": meta, "IHE_XDM/S1/DOC0001.XML": doc}
    )
    assert _codes(archive) == {"document-missing"}
    archive = zip_of(
        {
            "INDEX.HTM": b"x",
            "README.TXT": b"x",
            "IHE_XDM/S1/METADATA.XML": metadata(doc),
            "IHE_XDM/S1/DOC0001.XML": doc + b"\n",
        }
    )
    assert _codes(archive) == {"hash-mismatch", "size-mismatch"}


def test_an_unqualified_identity_is_not_a_qualified_ins() -> None:
    out = read_xdm(xdm(cda(ins_oid="1.2.250.1.213.1.4.2")))  # obsolete INS-C: not an INS OID
    facts = out.documents[0].cda
    assert facts is not None and facts.ins is None and not facts.qualified


def test_xxe_in_metadata_is_refused_and_never_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("MARKER-7f3a-not-to-be-read")
    archive = xxe_archive(secret)
    out = read_xdm(archive)
    assert {f.code for f in out.findings} == {"xml-doctype"}
    assert "MARKER" not in json.dumps(out.to_dict()) + "".join(f.message for f in out.findings)


def test_path_traversal_names_are_reported_not_used() -> None:
    archive = zip_of({"../evil.txt": b"x", "/etc/cron.d/x": b"x", "IHE_XDM\\S\\A.XML": b"x", "INDEX.HTM": b"x"})
    findings = read_xdm(archive).findings
    traversal = [f.message for f in findings if f.code == "zip-path-traversal"]
    assert len(traversal) == 3
    assert any("'..'" in m for m in traversal) and any("absolute" in m for m in traversal)


def test_zip_bombs_stop_at_the_limits() -> None:
    big = zip_of({"INDEX.HTM": b"x", "IHE_XDM/S/DOC.XML": b"\0" * (30 * 1024 * 1024)})
    out = read_xdm(big)
    assert [f.code for f in out.findings] == ["zip-bomb"] and out.documents == []
    dense = zip_of({"IHE_XDM/S/DOC.XML": b"\0" * (2 * 1024 * 1024)})  # within sizes, 1000:1 ratio
    assert "zip-bomb" in _codes(dense)
    many = zip_of({f"F{i}.TXT": b"x" for i in range(300)})
    assert _codes(many) == {"zip-too-many-entries"}
    assert "zip-bomb" not in _codes(dense, limits=XdmLimits(max_ratio=10_000))


def test_an_entry_lying_about_its_size_is_not_read_past_it() -> None:
    data = bytearray(zip_of({"IHE_XDM/S/DOC.XML": b"A" * 5000}))
    # Declare 100 bytes in the local header (offset 22) and the central directory (offset 24).
    struct.pack_into("<I", data, 22, 100)
    cd = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, 100)
    out = read_xdm(bytes(data))
    assert "zip-invalid" in {f.code for f in out.findings}
    assert all(len(d.content) <= 100 for d in out.documents)


def test_garbage_is_not_a_zip() -> None:
    assert _codes(b"this is not a zip") == {"zip-invalid"}
    assert _codes(b"") == {"zip-invalid"}
