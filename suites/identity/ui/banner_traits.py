"""The patient page's identity banner shows the traits the RNIV requires."""

from __future__ import annotations

import datetime as dt
import unicodedata

from homolog import CheckError, Evidence, HttpClient, Needs, Target, check, fail
from homolog.suites.ui.session import UiSession

from ..fr_core_patient import birth_given_names, birth_name
from ..settings import load_identity_settings
from ..sut import read_patient, rniv_status

__all__ = ["banner_shows_traits", "date_matches", "normalise", "sex_matches"]

_SEX_WORDS = {
    "female": {"f", "feminin", "femme", "female", "woman"},
    "male": {"m", "masculin", "homme", "male", "man"},
}
# Locators of the patient page the banner check reads, by trait (page map names).
_TRAITS = ("birth_name", "first_given_name", "birth_date", "sex")
_LOCATOR_TIMEOUT_MS = 3000


def normalise(text: str) -> str:
    """Upper-case, accents removed, whitespace collapsed: how names are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.upper().split())


def date_matches(shown: str, iso: str) -> bool:
    """True when ``shown`` holds the date ``iso`` as YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY."""
    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        return False
    forms = {day.isoformat(), day.strftime("%d/%m/%Y"), day.strftime("%d-%m-%Y"), day.strftime("%d.%m.%Y")}
    return any(f in shown for f in forms)


def sex_matches(shown: str, gender: str) -> bool:
    """True when ``shown`` names the FHIR ``gender`` (F/Féminin/Femme, M/Masculin/Homme)."""
    words = {w.strip(".:()").lower() for w in normalise(shown).split()}
    return bool(words & _SEX_WORDS.get(gender, set()))


@check(
    "identity.ui.banner_traits",
    needs=Needs(bases=("fhir", "web"), auth=("fhir",), pages=("patient",), data=("patient_qualified",)),
)
def banner_shows_traits(ui: UiSession, http: HttpClient, target: Target, evidence: Evidence) -> None:
    """The identity banner shows birth name, first birth given name, birth date, sex and status."""
    settings = load_identity_settings(target)
    patient_id = str(target.datum("patient_qualified"))
    patient = read_patient(http, patient_id)
    expected_name = birth_name(patient)
    given = birth_given_names(patient)
    if not expected_name or not given:
        raise CheckError(
            f"Patient/{patient_id} lacks a birth name or birth given names in "
            "the FHIR API: cannot tell what the banner must show"
        )
    expected = {
        "birth_name": normalise(expected_name),
        "first_given_name": normalise(given.split()[0]),
    }
    ui.login(landing=False)
    ui.goto("patient", patient_qualified=patient_id)
    missing: list[str] = []
    wrong: list[str] = []
    shown: dict[str, str] = {}
    for trait in (*_TRAITS, "status"):
        loc = ui.locator("patient", trait)
        if loc.count() == 0:
            missing.append(trait)
            continue
        text = loc.first.inner_text(timeout=_LOCATOR_TIMEOUT_MS).strip()
        shown[trait] = text
        if not text or not loc.first.is_visible():
            missing.append(trait)
    for trait, want in expected.items():
        if trait in shown and want not in normalise(shown[trait]):
            wrong.append(f"{trait} shows {shown[trait]!r}, expected {want!r}")
    if "birth_date" in shown and not date_matches(shown["birth_date"], str(patient.get("birthDate"))):
        wrong.append(f"birth_date shows {shown['birth_date']!r}, expected {patient.get('birthDate')}")
    if "sex" in shown and not sex_matches(shown["sex"], str(patient.get("gender"))):
        wrong.append(f"sex shows {shown['sex']!r}, expected {patient.get('gender')}")
    if (
        "status" in shown
        and rniv_status(patient, settings) == "QUAL"
        and normalise(settings.qualified_label) not in normalise(shown["status"])
    ):
        wrong.append(
            f"status shows {shown['status']!r} for a qualified identity "
            f"(expected it to contain {settings.qualified_label!r})"
        )
    evidence.attach_json("banner.json", shown)
    if missing or wrong:
        ui.screenshot("identity-banner")
        parts = []
        if missing:
            parts.append(f"not shown: {', '.join(missing)}")
        fail("identity banner of Patient/" + patient_id + ": " + "; ".join(parts + wrong))
