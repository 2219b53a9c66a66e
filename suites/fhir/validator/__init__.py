"""FHIR R4 validator: base R4 (fhirkit, hl7.fhir.r4.core), profiles, bindings, invariants.

>>> conf = load_conformance(["hl7.fhir.fr.core#2.2.0"])   # its dependencies come along
>>> validator = Validator(conf)
>>> issues = validator.validate(patient, FR_CORE_PATIENT_INS)   # or validate_text(json_text)
>>> [str(i) for i in issues if i.is_error]
>>> validator.missing   # dependency packages not found, with what that weakens
"""

from homolog.suites.fhir.validator.engine import UnknownProfile, Validator
from homolog.suites.fhir.validator.issues import SEVERITIES, Issue, to_operation_outcome

__all__ = ["SEVERITIES", "Issue", "UnknownProfile", "Validator", "to_operation_outcome"]
