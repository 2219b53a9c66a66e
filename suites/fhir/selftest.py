"""Measure the profile validator on the FR Core examples and a corpus of mutations.

Each mutation breaks one rule of one example and names the issue it must raise
(rule code and location prefix). `measure()` validates every mutant and reports:

- recall: mutations whose expected issue was raised (as an error);
- precision: new errors (not raised on the unmutated example) that match an
  expected issue of their mutation, over all new errors.

A mutation whose rule rests on a code system that is not in the loaded packages is
expected to yield `information`, not an error: those are listed apart
(`undecidable`) and count as misses for recall, so the figure stays honest.

Run: `python -m homolog.suites.fhir.selftest /path/to/hl7.fhir.fr.core-2.2.0.tgz`.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from homolog.suites.fhir.packages import Conformance, load_conformance
from homolog.suites.fhir.validator import Issue, Validator

__all__ = [
    "KNOWN_INVALID",
    "MUTATIONS",
    "Mutation",
    "Score",
    "generated_mutations",
    "measure",
    "validate_examples",
]

FR = "https://hl7.fr/ig/fhir/core/StructureDefinition/"

# Examples shipped in FR Core 2.2.0 that do not validate without error, with the reason.
# (None today: two uac examples carry a discipline-équipement code where the extensible
# binding asks for discipline-prestation, which is a warning, not an error.)
KNOWN_INVALID: dict[str, str] = {}

Mutator = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Mutation:
    """One broken rule: which example, what is changed, which issue must be raised."""

    id: str
    example: str
    change: str
    mutate: Mutator
    expect: tuple[tuple[str, str], ...]  # (issue code, location prefix) — any one suffices


def _set(path: str, value: Any) -> Mutator:
    def run(res: dict[str, Any]) -> None:
        *head, last = _steps(path)
        target = _walk(res, head)
        target[last] = value

    return run


def _del(path: str) -> Mutator:
    def run(res: dict[str, Any]) -> None:
        *head, last = _steps(path)
        target = _walk(res, head)
        del target[last]

    return run


def _append(path: str, value: Any) -> Mutator:
    def run(res: dict[str, Any]) -> None:
        target = _walk(res, _steps(path))
        target.append(copy.deepcopy(value))

    return run


def _steps(path: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in path.split(".")]


def _walk(obj: Any, steps: list[str | int]) -> Any:
    for s in steps:
        obj = obj[s]
    return obj


def _both(*fns: Mutator) -> Mutator:
    def run(res: dict[str, Any]) -> None:
        for f in fns:
            f(res)

    return run


PAT = "Patient-FRCorePatientExample.json"
PRA = "Practitioner-FRCorePractitionerExample.json"
ORG = "Organization-FRCoreOrganizationExample.json"
BMI = "Observation-FRCoreObservationBMIExample.json"
BP = "Observation-FRCoreObservationBPExample.json"
HR = "Observation-FRCoreObservationHeartRateExample.json"
ENC = "Encounter-FRCoreEncounterExample.json"
LOC = "Location-hopitaltest-endocrino-ch04.json"
UF = "Organization-hopitaltest-uf-4420-dialyse.json"

_IDENTITY_EXT = FR + "fr-core-identity-reliability"

MUTATIONS: tuple[Mutation, ...] = (
    # --- base R4 structure (fhirkit) ---
    Mutation(
        "pat-unknown-element",
        PAT,
        "add an element R4 does not define",
        _set("nom", "X"),
        (("structure", "Patient.nom"),),
    ),
    Mutation("pat-active-string", PAT, "active as a string", _set("active", "yes"), (("structure", "Patient.active"),)),
    Mutation(
        "pat-birthdate-format",
        PAT,
        "birthDate in French format",
        _set("birthDate", "25/12/1974"),
        (("structure", "Patient.birthDate"),),
    ),
    Mutation(
        "pat-telecom-rank-negative",
        PAT,
        "rank 0 (positiveInt)",
        _set("telecom.1.rank", 0),
        (("structure", "Patient.telecom[1].rank"),),
    ),
    Mutation(
        "pat-family-number",
        PAT,
        "family name as a number",
        _set("name.0.family", 12),
        (("structure", "Patient.name[0].family"),),
    ),
    Mutation(
        "bmi-value-string",
        BMI,
        "quantity value as a string",
        _set("valueQuantity.value", "28"),
        (("structure", "Observation.valueQuantity"),),
    ),
    # --- cardinality ---
    Mutation(
        "pat-no-identifier",
        PAT,
        "remove every identifier (min 1)",
        _del("identifier"),
        (("cardinality", "Patient.identifier"), ("invariant", "Patient")),
    ),
    Mutation(
        "pat-no-birthplace",
        PAT,
        "remove the birthPlace extension (min 1)",
        _del("extension.0"),
        (("cardinality", "Patient.extension"),),
    ),
    Mutation(
        "pat-ins-no-value",
        PAT,
        "INS identifier without value",
        _del("identifier.0.value"),
        (("cardinality", "Patient.identifier"),),
    ),
    Mutation(
        "pat-two-birthplaces",
        PAT,
        "two birthPlace extensions (max 1)",
        lambda r: r["extension"].append(copy.deepcopy(r["extension"][0])),
        (("cardinality", "Patient.extension"),),
    ),
    Mutation(
        "bmi-no-category", BMI, "remove category (min 1)", _del("category"), (("cardinality", "Observation.category"),)
    ),
    Mutation(
        "bmi-no-unit",
        BMI,
        "quantity without unit (min 1 in the profile)",
        _del("valueQuantity.unit"),
        (("cardinality", "Observation.valueQuantity.unit"),),
    ),
    Mutation(
        "bp-no-systolic",
        BP,
        "remove the systolic component",
        _del("component.0"),
        (("cardinality", "Observation.component"),),
    ),
    Mutation(
        "pra-two-idnatps",
        PRA,
        "two idNatPS identifiers (max 1)",
        lambda r: r["identifier"].append(copy.deepcopy(r["identifier"][0])),
        (("cardinality", "Practitioner.identifier"),),
    ),
    Mutation(
        "obs-no-status",
        HR,
        "remove status (min 1)",
        _del("status"),
        (("cardinality", "Observation.status"), ("structure", "Observation.status")),
    ),
    Mutation(
        "org-no-name-nor-id",
        ORG,
        "remove name and identifier (org-1)",
        _both(_del("name"), _del("identifier")),
        (("invariant", "Organization"),),
    ),
    # --- fixed / pattern ---
    Mutation(
        "bmi-unit-code",
        BMI,
        "UCUM code kg instead of kg/m2",
        _set("valueQuantity.code", "kg"),
        (("fixed", "Observation.valueQuantity.code"),),
    ),
    Mutation(
        "bmi-unit-system",
        BMI,
        "quantity system not UCUM",
        _set("valueQuantity.system", "http://example.org/units"),
        (("fixed", "Observation.valueQuantity.system"),),
    ),
    Mutation(
        "bmi-loinc-code",
        BMI,
        "LOINC code of body weight in a BMI",
        _set("code.coding.0.code", "29463-7"),
        # The code now says body weight: the core bodyweight profile applies (as in the HL7
        # validator) and kg/m2 is not one of its units.
        (
            ("cardinality", "Observation.code.coding"),
            ("fixed", "Observation.code"),
            ("binding", "Observation.valueQuantity"),
        ),
    ),
    Mutation(
        "bp-panel-code",
        BP,
        "BP panel code replaced",
        _set("code.coding.0.code", "8480-6"),
        (("cardinality", "Observation.code"), ("fixed", "Observation.code"), ("pattern", "Observation.code")),
    ),
    Mutation(
        "pra-idnatps-system",
        PRA,
        "idNatPS identifier with the RPPS system",
        _set("identifier.0.system", "https://rpps.esante.gouv.fr"),
        (("pattern", "Practitioner.identifier[0]"), ("cardinality", "Practitioner.identifier")),
    ),
    Mutation(
        "org-identifier-use",
        ORG,
        "identifier use 'principal'",
        _set("identifier.0.use", "principal"),
        (("binding", "Organization.identifier[0].use"),),
    ),
    Mutation(
        "pat-ins-oid",
        PAT,
        "INS-NIR identifier with the obsolete INS-C OID",
        _set("identifier.0.system", "urn:oid:1.2.250.1.213.1.4.2"),
        (("pattern", "Patient.identifier[0].system"), ("cardinality", "Patient.identifier"), ("invariant", "Patient")),
    ),
    Mutation(
        "bmi-category-code",
        BMI,
        "category laboratory instead of vital-signs",
        _set("category.0.coding.0.code", "laboratory"),
        (("cardinality", "Observation.category"), ("fixed", "Observation.category")),
    ),
    # --- slicing ---
    Mutation(
        "bmi-value-type",
        BMI,
        "valueString where only valueQuantity is allowed",
        _both(_del("valueQuantity"), _set("valueString", "28 kg/m2")),
        (
            ("type", "Observation.valueString"),
            ("slice", "Observation.valueString"),
            ("cardinality", "Observation.value[x]"),
        ),
    ),
    Mutation(
        "hr-value-codeable",
        HR,
        "valueCodeableConcept in a closed type slicing",
        _both(_del("valueQuantity"), _set("valueCodeableConcept", {"text": "normal"})),
        (("type", "Observation.valueCodeableConcept"), ("slice", "Observation.valueCodeableConcept")),
    ),
    # --- extensions ---
    Mutation(
        "pat-status-type",
        PAT,
        "identityStatus given as valueString",
        _set("extension.1.extension.0", {"url": "identityStatus", "valueString": "VALI"}),
        (("type", "Patient.extension[1].extension[0]"),),
    ),
    Mutation(
        "pat-birthplace-no-insee",
        PAT,
        "birth place without the INSEE code extension",
        _del("extension.0.valueAddress.extension"),
        (("cardinality", "Patient.extension[0].valueAddress.extension"),),
    ),
    Mutation(
        "pat-ext-value-and-children",
        PAT,
        "extension with both a value and extensions",
        _set("extension.1.valueString", "x"),
        (("invariant", "Patient.extension[1]"), ("cardinality", "Patient.extension[1]")),
    ),
    Mutation(
        "pat-birth-list-type",
        PAT,
        "birth given names list as a Coding",
        _set("name.0.extension.0", {"url": FR + "fr-core-patient-birth-list-given-name", "valueCoding": {"code": "x"}}),
        (("type", "Patient.name[0].extension[0]"),),
    ),
    Mutation(
        "pat-unknown-modifier",
        PAT,
        "unknown modifierExtension",
        _set("modifierExtension", [{"url": "https://example.org/ext/x", "valueBoolean": True}]),
        (("extension", "Patient.modifierExtension[0]"),),
    ),
    Mutation(
        "pat-identity-unknown-sub",
        PAT,
        "identity reliability sub-extension with a value not in its required value set",
        _append(
            "extension.1.extension",
            {
                "url": "validationMode",
                "valueCoding": {"system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0445", "code": "VALI"},
            },
        ),
        (("binding", "Patient.extension[1].extension[1]"),),
    ),
    # --- bindings ---
    Mutation("pat-gender", PAT, "gender 'homme'", _set("gender", "homme"), (("binding", "Patient.gender"),)),
    Mutation(
        "pat-telecom-system",
        PAT,
        "telecom system 'telephone'",
        _set("telecom.0.system", "telephone"),
        (("binding", "Patient.telecom[0].system"),),
    ),
    Mutation(
        "pat-address-use",
        PAT,
        "address use 'maison'",
        _set("address.0.use", "maison"),
        (("binding", "Patient.address[0].use"),),
    ),
    Mutation(
        "pat-identity-status-code",
        PAT,
        "identity status code not in the code system",
        _set("extension.1.extension.0.valueCoding.code", "QUAL"),
        (("binding", "Patient.extension[1].extension[0]"),),
    ),
    Mutation(
        "pat-name-use",
        PAT,
        "name use 'naissance'",
        _set("name.0.use", "naissance"),
        (("binding", "Patient.name[0].use"), ("cardinality", "Patient.name")),
    ),
    Mutation(
        "pat-quantity-no-system",
        BMI,
        "quantity code without system (qty-3)",
        _del("valueQuantity.system"),
        (("invariant", "Observation.valueQuantity"), ("cardinality", "Observation.valueQuantity.system")),
    ),
    Mutation(
        "pra-telecom-no-system",
        PRA,
        "telecom value without system (cpt-2)",
        _del("telecom.0.system"),
        (("invariant", "Practitioner.telecom[0]"), ("cardinality", "Practitioner.telecom[0].system")),
    ),
    Mutation("obs-status", HR, "status 'done'", _set("status", "done"), (("binding", "Observation.status"),)),
    Mutation(
        "pra-idnatps-type-code",
        PRA,
        "identifier type code unknown to FR Core v2-0203",
        _set("identifier.0.type.coding.0.code", "IDNPX"),
        (
            ("binding", "Practitioner.identifier[0].type"),
            ("pattern", "Practitioner.identifier[0].type"),
            ("cardinality", "Practitioner.identifier"),
        ),
    ),
    # --- invariants ---
    Mutation(
        "pat-contact-empty",
        PAT,
        "contact with only a relationship (pat-1)",
        _set("contact", [{"relationship": [{"text": "voisin"}]}]),
        (("invariant", "Patient.contact[0]"),),
    ),
    Mutation(
        "pat-empty-name", PAT, "an empty name object (ele-1)", _append("name", {}), (("invariant", "Patient.name[1]"),)
    ),
    Mutation(
        "pat-period-reversed",
        PAT,
        "address period ending before it starts (per-1)",
        _set("address.0.period", {"start": "2018-06-01", "end": "2010-01-01"}),
        (("invariant", "Patient.address[0].period"),),
    ),
    Mutation(
        "pat-contained-unreferenced",
        PAT,
        "a contained Organization nothing in the Patient refers to (dom-3)",
        _set("contained", [{"resourceType": "Organization", "id": "cabinet", "name": "Cabinet Dupont"}]),
        (("invariant", "Patient"),),
    ),
    Mutation(
        "obs-dataabsent-and-value",
        BMI,
        "value and dataAbsentReason together (obs-6)",
        _set("dataAbsentReason", {"text": "inconnu"}),
        (("invariant", "Observation"),),
    ),
    # --- references ---
    Mutation(
        "obs-subject-type",
        BMI,
        "subject references a Location",
        _set("subject", {"reference": "Location/l1"}),
        (("type", "Observation.subject"),),
    ),
    Mutation(
        "pat-gp-type",
        PAT,
        "generalPractitioner references a Patient",
        _set("generalPractitioner", [{"reference": "Patient/p2"}]),
        (("type", "Patient.generalPractitioner[0]"),),
    ),
    # --- undecidable here: code systems of ans.fr.terminologies are not loaded ---
    Mutation(
        "pat-insee-code",
        PAT,
        "INSEE code not in TRE-R13 (ANS terminology, not loaded)",
        _set("extension.0.valueAddress.extension.0.valueCoding.code", "ZZZZZ"),
        (("binding", "Patient.extension[0].valueAddress.extension[0]"),),
    ),
    Mutation(
        "pra-profession-code",
        PRA,
        "profession code not in G15 (ANS terminology)",
        _set("qualification.1.code.coding.1.code", "ZZ"),
        (("binding", "Practitioner.qualification[1]"), ("slice", "Practitioner.qualification[1]")),
    ),
)


@dataclass
class Outcome:
    """What the validator said about one mutant."""

    mutation: Mutation
    new_errors: list[Issue]
    caught: bool
    information: list[Issue]


@dataclass
class Score:
    """Precision and recall over the corpus, with the detail behind them."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Share of mutations whose expected issue was raised as an error."""
        return sum(o.caught for o in self.outcomes) / max(1, len(self.outcomes))

    @property
    def precision(self) -> float:
        """Share of new errors that match an expected issue of their mutation."""
        total = sum(len(o.new_errors) for o in self.outcomes)
        good = sum(1 for o in self.outcomes for i in o.new_errors if _matches(i, o.mutation.expect))
        return good / total if total else 1.0

    @property
    def missed(self) -> list[Outcome]:
        """Mutations not caught."""
        return [o for o in self.outcomes if not o.caught]

    @property
    def false_positives(self) -> list[tuple[str, Issue]]:
        """New errors that no expectation explains, with their mutation id."""
        return [(o.mutation.id, i) for o in self.outcomes for i in o.new_errors if not _matches(i, o.mutation.expect)]


def _matches(issue: Issue, expect: tuple[tuple[str, str], ...]) -> bool:
    return any(issue.code == code and issue.location.startswith(loc) for code, loc in expect)


def _key(i: Issue) -> tuple[str, str, str]:
    return (i.severity, i.location, i.message)


def validate_examples(validator: Validator, conf: Conformance) -> dict[str, list[Issue]]:
    """Errors of every example shipped in the packages, against its declared profiles."""
    return {name: [i for i in validator.validate(ex) if i.is_error] for name, ex in sorted(conf.examples().items())}


def generated_mutations(validator: Validator, conf: Conformance) -> tuple[Mutation, ...]:
    """Mutations derived mechanically from the profiles, with no hand-picked expectation.

    For every example and every top-level element its profile requires (min >= 1) that
    the example carries: remove it, expecting a cardinality error at that element (base
    R4 reporting it as well, or an invariant of the resource failing, are not counted as
    false positives; any other new error is).
    """
    out: list[Mutation] = []
    for name, ex in sorted(conf.examples().items()):
        for canonical in (ex.get("meta") or {}).get("profile") or []:
            tree = validator.tree(canonical)
            if tree is None:
                continue
            rtype = tree.type
            for child in tree.root.children.values():
                key = child.name
                if child.min < 1 or child.is_choice or key not in ex:
                    continue
                out.append(
                    Mutation(
                        f"gen-{name.removesuffix('.json')}-no-{key}",
                        name,
                        f"remove required {rtype}.{key}",
                        _del(key),
                        # base R4 may say it too; an invariant may follow
                        (("cardinality", f"{rtype}.{key}"), ("structure", f"{rtype}.{key}"), ("invariant", rtype)),
                    )
                )
    return tuple(out)


def measure(validator: Validator, conf: Conformance, mutations: tuple[Mutation, ...] = MUTATIONS) -> Score:
    """Validate every mutant of the corpus and score the validator."""
    examples = conf.examples()
    baseline: dict[str, set[tuple[str, str, str]]] = {}
    score = Score()
    for m in mutations:
        original = examples[m.example]
        if m.example not in baseline:
            baseline[m.example] = {_key(i) for i in validator.validate(original)}
        mutant = copy.deepcopy(original)
        m.mutate(mutant)
        issues = validator.validate(mutant)
        new = [i for i in issues if i.is_error and _key(i) not in baseline[m.example]]
        info = [i for i in issues if i.severity == "information" and _matches(i, m.expect)]
        caught = any(_matches(i, m.expect) for i in new)
        score.outcomes.append(Outcome(m, new, caught, info))
    return score


def main(argv: list[str]) -> int:
    """Print example results and the corpus score; exit 1 when an example fails."""
    conf = load_conformance(argv or ["hl7.fhir.fr.core#2.2.0"])
    validator = Validator(conf)
    bad = 0
    for name, errors in validate_examples(validator, conf).items():
        if errors and name not in KNOWN_INVALID:
            bad += 1
            print(f"EXAMPLE {name}: {len(errors)} error(s)")
            for e in errors:
                print(f"    {e}")
    score = measure(validator, conf)
    print(f"mutations: {len(score.outcomes)}  recall: {score.recall:.3f}  precision: {score.precision:.3f}")
    for o in score.missed:
        why = "; ".join(i.message for i in o.information)[:150] or "no matching issue"
        print(f"  missed {o.mutation.id}: {why}")
    for mid, issue in score.false_positives:
        print(f"  unexpected ({mid}): {issue}")
    generated = measure(validator, conf, generated_mutations(validator, conf))
    print(
        f"generated (required elements removed): {len(generated.outcomes)}  "
        f"recall: {generated.recall:.3f}  precision: {generated.precision:.3f}"
    )
    for o in generated.missed:
        print(f"  missed {o.mutation.id}")
    for mid, issue in generated.false_positives[:10]:
        print(f"  other error ({mid}): {issue}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
