"""CI-SIS volets: which document-level templateId names which volet, and its schematron.

The table was built by reading the header schematron of each volet in the ANS
TestContenuCDA material (the assertion "the templateId ... must be present"). A document
is matched to the volet whose templateId it declares; when several versions of the
volet's schematron exist, the version named by the templateId ``extension`` wins, then the
version the target pins (``settings.documents.volet_versions``), then the latest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

__all__ = ["CISIS_TEMPLATE_IDS", "VOLET_TEMPLATE_IDS", "Volet", "detect_volet", "schematron_for", "schematron_named"]

NS = "urn:hl7-org:v3"
# Every CI-SIS document declares these two (HL7 France, then CI-SIS conformance).
CISIS_TEMPLATE_IDS = ("2.16.840.1.113883.2.8.2.1", "1.2.250.1.213.1.1.1.1")

VOLET_TEMPLATE_IDS: dict[str, str] = {
    "1.2.250.1.213.1.1.1.13": "VSM",
    "1.2.250.1.213.1.1.1.29": "LDL-SES",
    "1.2.250.1.213.1.1.1.21": "LDL-EES",
    "1.2.250.1.213.1.1.1.55": "BIO-CR-BIO",
    "1.2.250.1.213.1.1.1.59": "BIO-TROD",
    "1.2.250.1.213.1.1.1.45": "IMG-CR-IMG",
    "1.2.250.1.213.1.1.1.47": "IMG-DA-IMG",
    "1.2.250.1.213.1.1.1.40": "ANEST-CR-ANEST",
    "1.2.250.1.213.1.1.1.41": "ANEST-CR-CPA",
    "1.2.250.1.213.1.1.1.15": "AVC-AUNV",
    "1.2.250.1.213.1.1.1.16": "AVC-EUNV",
    "1.2.250.1.213.1.1.1.25": "AVC-PAVC",
    "1.2.250.1.213.1.1.1.17": "AVC-SUNV",
    "1.2.250.1.213.1.1.1.32": "CANCER-CR-GM",
    "1.2.250.1.213.1.1.1.28": "CANCER-D2LM-FIDD",
    "1.2.250.1.213.1.1.1.27": "CANCER-D2LM-FIN",
    "1.2.250.1.213.1.1.1.8": "CANCER-FRCP",
    "1.2.250.1.213.1.1.1.26": "CANCER-PPS",
    "1.2.250.1.213.1.1.1.2.1.1": "CARD-F-PRC-AVK",
    "1.2.250.1.213.1.1.1.2.1.3": "CARD-F-PRC-DCI",
    "1.2.250.1.213.1.1.1.2.1.5": "CARD-F-PRC-PPV",
    "1.2.250.1.213.1.1.1.2.1.4": "CARD-F-PRC-PSC",
    "1.2.250.1.213.1.1.1.2.1.2": "CARD-F-PRC-TAP",
    "1.2.250.1.213.1.1.1.22": "DLU-EHPAD-DLU",
    "1.2.250.1.213.1.1.1.24": "DLU-EHPAD-FLUDR",
    "1.2.250.1.213.1.1.1.23": "DLU-EHPAD-FLUDT",
    "1.2.250.1.213.1.1.1.39": "EP-MED-DM",
    "1.2.250.1.213.1.1.1.54": "eDISP-MED",
    "1.2.250.1.213.1.1.1.51": "IPS-FR",
    "1.2.250.1.213.1.1.1.42": "OPH-BRE",
    "1.2.250.1.213.1.1.1.30": "SDM-MR",
    "1.2.250.1.213.1.1.1.38": "TLM-DA",
    "1.2.250.1.213.1.1.1.37": "VAC",
    "1.2.250.1.213.1.1.1.12.1": "OBP-SAP",
    "1.2.250.1.213.1.1.1.12.2": "OBP-SNM",
    "1.2.250.1.213.1.1.1.12.3": "OBP-SNE",
    "1.2.250.1.213.1.1.1.12.4": "OBP-SCM",
    "1.2.250.1.213.1.1.1.12.5": "OBP-SEM",
    "1.2.250.1.213.1.1.1.36": "CNAM-HR",
    "1.2.250.1.213.1.1.1.18": "OPH-CR-RTN",
    "1.2.250.1.213.1.1.1.46": "VAC-NOTE",
    # Certificats de santé de l'enfant: 1.2.250.1.213.1.1.1.5 is common to all four.
    "1.2.250.1.213.1.1.1.5.1": "CSE-CS8",
    "1.2.250.1.213.1.1.1.5.2": "CSE-CS9",
    "1.2.250.1.213.1.1.1.5.3": "CSE-CS24",
    "1.2.250.1.213.1.1.1.5.4": "CSE-MDE",
}
_SCH_NAME = re.compile(r"^CI-SIS_(?P<volet>.+?)_(?P<version>(?:\d+\.\d+_)?\d{4}\.\d{2})\.sch$")


@dataclass(frozen=True)
class Volet:
    """A detected volet: its name, the templateId that named it and its extension."""

    name: str
    template_id: str
    extension: str | None


def detect_volet(doc: etree._Element) -> Volet | None:
    """The volet a CDA document declares through its templateIds, or None.

    When several known templateIds are present the most specific (longest OID) wins.
    """
    found = [
        Volet(VOLET_TEMPLATE_IDS[root], root, tid.get("extension"))
        for tid in doc.findall(f"{{{NS}}}templateId")
        if (root := tid.get("root", "")) in VOLET_TEMPLATE_IDS
    ]
    return max(found, key=lambda v: len(v.template_id.split("."))) if found else None


def available_versions(schematron_dir: Path, volet: str) -> dict[str, Path]:
    """Version -> schematron file of ``volet`` in the ANS schematron folder."""
    out: dict[str, Path] = {}
    for path in schematron_dir.glob("CI-SIS_*.sch"):
        m = _SCH_NAME.match(path.name)
        if m and m.group("volet").upper() == volet.upper():
            out[m.group("version")] = path
    return out


def _version_key(version: str) -> tuple[str, ...]:
    # "1.4_2022.01" sorts before "2023.01": the year-month part decides.
    return tuple(reversed(version.split("_")))


def schematron_for(schematron_dir: Path, volet: Volet, *, pinned: Mapping[str, str] | None = None) -> Path | None:
    """The schematron file to use for ``volet`` (None when the material has none)."""
    versions = available_versions(schematron_dir, volet.name)
    if not versions:
        return None
    if volet.extension:
        for version, path in versions.items():
            if version == volet.extension or version.endswith("_" + volet.extension):
                return path
    if pinned and volet.name in pinned:
        wanted = str(pinned[volet.name])
        return versions.get(wanted)
    return versions[max(versions, key=_version_key)]


def schematron_named(schematron_dir: Path, name: str, *, pinned: Mapping[str, str] | None = None) -> Path | None:
    """The schematron a user names: a volet (``LDL-SES``, the version chosen as for a
    detected volet without extension), a volet and version (``LDL-SES_2022.01``), or None."""
    exact = schematron_dir / f"CI-SIS_{name}.sch"
    if exact.is_file():
        return exact
    return schematron_for(schematron_dir, Volet(name, "", None), pinned=pinned)


def known_volets(schematron_dir: Path) -> list[str]:
    """Volet names that have a schematron in the folder."""
    return sorted({m.group("volet") for p in schematron_dir.glob("CI-SIS_*.sch") if (m := _SCH_NAME.match(p.name))})
