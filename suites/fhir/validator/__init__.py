"""FHIR R4 profile validator (base R4 via fhirkit, profile snapshots, bindings, invariants).

>>> conf = load_conformance(["/path/to/hl7.fhir.fr.core-2.2.0.tgz"])
>>> issues = Validator(conf).validate(patient, FR_CORE_PATIENT_INS)
>>> [str(i) for i in issues if i.is_error]
"""

from homolog.suites.fhir.validator.engine import UnknownProfile, Validator
from homolog.suites.fhir.validator.issues import SEVERITIES, Issue, to_operation_outcome

__all__ = ["SEVERITIES", "Issue", "UnknownProfile", "Validator", "to_operation_outcome"]
