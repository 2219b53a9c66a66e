"""The INSi messages: what the two operations receive and answer, as the published WSDL
shapes them (SOAP 1.2, WS-Addressing, LPS and BAM context headers).

Search by identity traits (operation ``rechercherInsAvecTraitsIdentite``): the body is a
``RECSANSVITALE`` element (namespace ``http://www.cnamts.fr/INSiRecSans``) with
``NomNaissance``, one or more ``Prenom``, ``Sexe`` (M/F), ``DateNaissance``
(YYYY-MM-DD) and, optionally, ``LieuNaissance`` (COG code). The answer is a
``RESULTAT`` (namespace ``http://www.cnamts.fr/INSiResultat``): ``CR/CodeCR`` and
``CR/LibelleCR`` (``00`` one identity found, ``01`` none, ``02`` several) and, for
``00``, ``INDIVIDU`` with the active INS (``INSACTIF/IdIndividu/NumIdentifiant`` 13
characters + ``Cle``, and its ``OID``) and the reference traits ``TIQ``
(``NomNaissance``, ``ListePrenom``, ``Sexe``, ``DateNaissance``, ``LieuNaissance``).

Verification of an INS: the body carries ``IndividuVerifie`` (alone or inside
``RequeteUnitaire``) with ``INSFourni`` (``IdIndividu`` + ``OID``) and
``TraitsIdentiteIndividu``; the answer is a ``RESULTAT`` whose ``CodeCR`` is ``00`` when
the INS exists and the traits are its own, ``01`` otherwise. Public material confirms
these element names but not the operation's action or namespace: both are module
constants here, and the simulator accepts the request in any namespace and records which
one was used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from ..soap.envelope import SOAP12_NS, WSA_NS, SoapError
from .directory import Identity, Traits

__all__ = [
    "RECSANS_NS",
    "RESULTAT_NS",
    "SEARCH_ACTION",
    "VERIFY_ACTION",
    "VERIFY_NS",
    "Verification",
    "parse_search",
    "parse_verification",
    "result_envelope",
]

RECSANS_NS = "http://www.cnamts.fr/INSiRecSans"
RESULTAT_NS = "http://www.cnamts.fr/INSiResultat"
VERIFY_NS = "http://www.cnamts.fr/INSiVerif"  # not confirmed by public material
SEARCH_ACTION = "urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite"
VERIFY_ACTION = "urn:ServiceIdentiteCertifiee:1.0.0:verifierInsAvecTraitsIdentite"  # not confirmed
LABELS = {"00": "OK", "01": "Aucune identite trouvee", "02": "Plusieurs identites trouvees"}
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_MAX_TEXT = 200


def _children(el: etree._Element, name: str) -> list[str]:
    out = []
    for child in el:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            out.append((child.text or "").strip()[:_MAX_TEXT])
    return out


def _one(el: etree._Element, name: str) -> str | None:
    values = _children(el, name)
    return values[0] if values else None


def _traits(el: etree._Element, *, list_element: bool) -> Traits:
    first = _children(el, "Prenom")
    if list_element:
        listed = _one(el, "ListePrenom")
        if listed:
            first = [*first, listed]
    return Traits(
        birth_name=_one(el, "NomNaissance"),
        first_names=tuple(first),
        sex=_one(el, "Sexe"),
        birth_date=_one(el, "DateNaissance"),
        birth_place=_one(el, "LieuNaissance"),
    )


def _problems(traits: Traits) -> list[str]:
    problems = []
    if not traits.birth_name:
        problems.append("NomNaissance (birth name) is missing")
    if not any(traits.first_names):
        problems.append("Prenom (first name) is missing")
    if traits.sex not in ("M", "F"):
        problems.append(f"Sexe must be M or F, got {traits.sex!r}" if traits.sex else "Sexe (sex) is missing")
    if not traits.birth_date:
        problems.append("DateNaissance (birth date) is missing")
    elif not _DATE.match(traits.birth_date):
        problems.append(f"DateNaissance must be YYYY-MM-DD, got {traits.birth_date!r}")
    if traits.birth_place is not None and not re.match(r"^[0-9AB]{5}$", traits.birth_place):
        problems.append(f"LieuNaissance must be a 5-character COG code, got {traits.birth_place!r}")
    return problems


def parse_search(payload: etree._Element) -> tuple[Traits, list[str]]:
    """The traits of a ``RECSANSVITALE`` request and what makes it invalid (empty if valid)."""
    qname = etree.QName(payload)
    problems = []
    if qname.namespace != RECSANS_NS:
        problems.append(f"RECSANSVITALE is in namespace {qname.namespace!r}, expected {RECSANS_NS}")
    traits = _traits(payload, list_element=False)
    return traits, problems + _problems(traits)


@dataclass(frozen=True)
class Verification:
    """What a verification request carries."""

    ins: str | None
    oid: str | None
    traits: Traits
    namespace: str | None

    def to_json(self) -> dict[str, Any]:
        return {"ins": self.ins, "oid": self.oid, "traits": self.traits.to_json(), "namespace": self.namespace}


def _find(el: etree._Element, name: str) -> etree._Element | None:
    for child in el.iter():
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return child
    return None


def parse_verification(payload: etree._Element) -> tuple[Verification, list[str]]:
    """The INS and traits of a verification request and what makes it invalid."""
    individual = payload if etree.QName(payload).localname == "IndividuVerifie" else _find(payload, "IndividuVerifie")
    if individual is None:
        raise SoapError("the verification request has no IndividuVerifie element")
    supplied = _find(individual, "INSFourni")
    ident = _find(supplied, "IdIndividu") if supplied is not None else None
    number = _one(ident, "NumIdentifiant") if ident is not None else None
    key = _one(ident, "Cle") if ident is not None else None
    oid = _one(supplied, "OID") if supplied is not None else None
    traits_el = _find(individual, "TraitsIdentiteIndividu")
    traits = _traits(traits_el, list_element=True) if traits_el is not None else Traits()
    problems = []
    if not number or not key:
        problems.append("INSFourni/IdIndividu must carry NumIdentifiant and Cle")
    if not oid:
        problems.append("INSFourni/OID is missing")
    if traits_el is None:
        problems.append("TraitsIdentiteIndividu is missing")
    else:
        problems += _problems(traits)
    ins = f"{number}{key}" if number and key else None
    return Verification(ins, oid, traits, etree.QName(payload).namespace), problems


def result_envelope(
    code: str, identity: Identity | None, *, action: str, relates_to: str | None, label: str | None = None
) -> bytes:
    """The SOAP 1.2 answer carrying ``RESULTAT`` (identity details only for ``00``)."""
    env = etree.Element(f"{{{SOAP12_NS}}}Envelope", nsmap={"env": SOAP12_NS, "wsa": WSA_NS})
    header = etree.SubElement(env, f"{{{SOAP12_NS}}}Header")
    etree.SubElement(header, f"{{{WSA_NS}}}Action").text = action + "Response"
    if relates_to:
        etree.SubElement(header, f"{{{WSA_NS}}}RelatesTo").text = relates_to
    body = etree.SubElement(env, f"{{{SOAP12_NS}}}Body")
    res = etree.SubElement(body, f"{{{RESULTAT_NS}}}RESULTAT", nsmap={None: RESULTAT_NS})

    def sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        el = etree.SubElement(parent, f"{{{RESULTAT_NS}}}{name}")
        if text is not None:
            el.text = text
        return el

    cr = sub(res, "CR")
    sub(cr, "CodeCR", code)
    sub(cr, "LibelleCR", label or LABELS.get(code, ""))
    if code == "00" and identity is not None:
        individual = sub(res, "INDIVIDU")
        active = sub(individual, "INSACTIF")
        ident = sub(active, "IdIndividu")
        sub(ident, "NumIdentifiant", identity.number)
        sub(ident, "Cle", identity.key)
        sub(active, "OID", identity.oid)
        tiq = sub(individual, "TIQ")
        sub(tiq, "NomNaissance", identity.birth_name)
        sub(tiq, "ListePrenom", " ".join(identity.given_names))
        sub(tiq, "Sexe", identity.sex)
        sub(tiq, "DateNaissance", identity.birth_date)
        sub(tiq, "LieuNaissance", identity.birth_place)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))
