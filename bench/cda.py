"""CDA validation throughput: documents per second, warm and cold.

Run on demand (not a test):
`.venv/bin/python bench/cda.py [--cda-dir ../shared/data/cda] [--seconds 5]`

- warm: one validator kept alive; the CDA XSD is loaded once and each volet's schematron
  compiled once (then taken from memory), as `homolog run` does;
- cold: every document gets a fresh validator and a schematron compiled from source
  (schematron -> XSLT in Python, XSLT -> Saxon executable) and the XSD parsed again, as
  a batch tool that compiles each time does;
- disk: a fresh validator per document, but the compiled XSLT comes from the on-disk
  cache (what a new process pays on its first document of each volet).

Documents: the reference SUT's generated VSM and LDL-SES, and the ANS LDL-SES and
CR-BIO 2024 examples. Prints the three rates and the warm/cold ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from homolog.fixtures.refsut.cda import build_document
from homolog.suites.documents.material import AnsMaterial
from homolog.suites.documents.validator import DocumentValidator

ROOT = Path(__file__).resolve().parent.parent
PATIENT = {
    "id": "p1",
    "ins": "279035121518989",
    "ins_oid": "1.2.250.1.213.1.4.10",
    "status": "QUAL",
    "birth_name": "DURAND",
    "birth_given_names": ["CLAIRE"],
    "used_name": None,
    "sex": "F",
    "birth_date": "1979-03-28",
    "birth_place_insee": "51215",
}
AUTHOR = {"idnatps": "810000000001", "family": "MEDECIN", "given": "Alice", "profession_code": "10"}
CUSTODIAN = {"idnatst": "1750000002", "name": "Hôpital de démonstration"}


def documents(cda_dir: Path) -> list[tuple[str, bytes]]:
    when = datetime(2026, 11, 2, tzinfo=UTC)
    docs = [
        (f"refsut-{k}", build_document(k, patient=PATIENT, author=AUTHOR, custodian=CUSTODIAN, effective_time=when))
        for k in ("VSM", "LDL-SES")
    ]
    for name in ("LDL-SES_2022.01.xml", "BIO-CR-BIO_2024.01_Electrophorese.xml", "BIO-CR-BIO_2024.01_TSH_1.xml"):
        docs.append((name, (cda_dir / "ExemplesCDA" / name).read_bytes()))
    return docs


def rate(label: str, docs: list[tuple[str, bytes]], seconds: float, make) -> float:  # type: ignore[no-untyped-def]
    count = 0
    start = time.perf_counter()
    while True:
        for _name, data in docs:
            report = make().validate(data)
            if not report.valid:
                raise SystemExit(f"{label}: {_name} unexpectedly invalid: {report.errors[:2]}")
            count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
    per_second = count / elapsed
    print(f"{label:<6} {per_second:9.1f} documents/s  ({count} documents in {elapsed:.2f} s)")
    return per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cda-dir", type=Path, default=ROOT.parent / "shared" / "data" / "cda")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    material = AnsMaterial.from_root(args.cda_dir)
    docs = documents(args.cda_dir)
    with tempfile.TemporaryDirectory(prefix="homolog-bench-") as tmp:
        cache = Path(tmp)
        warm_validator = DocumentValidator(material, cache_dir=cache)
        for _name, data in docs:  # prime: compile each volet once
            warm_validator.validate(data)
        print(f"{len(docs)} documents (VSM, LDL-SES x2, CR-BIO x2), {args.seconds:.0f} s each")
        warm = rate("warm", docs, args.seconds, lambda: warm_validator)
        disk = rate("disk", docs, args.seconds, lambda: DocumentValidator(material, cache_dir=cache))
        cold = rate("cold", docs, args.seconds, lambda: DocumentValidator(material, cache_dir=cache, use_cache=False))
    print(f"warm/cold ratio: {warm / cold:.1f}x   (warm/disk: {warm / disk:.1f}x)")


if __name__ == "__main__":
    main()
