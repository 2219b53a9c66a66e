"""Validation issues, shaped like OperationOutcome.issue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SEVERITIES", "Issue", "to_operation_outcome"]

# FHIR issue severities, most serious first.
SEVERITIES = ("fatal", "error", "warning", "information")


@dataclass(frozen=True, order=True)
class Issue:
    """One finding: severity, FHIRPath-style location, message and a short code.

    `code` names the rule that raised it (`cardinality`, `fixed`, `pattern`, `slice`,
    `type`, `binding`, `invariant`, `structure`, `extension`, `profile`), so a test or a
    report can tell which rule fired without parsing the message.
    """

    severity: str
    location: str
    message: str
    code: str = "structure"

    def __str__(self) -> str:
        return f"{self.severity} at {self.location}: {self.message}"

    @property
    def is_error(self) -> bool:
        """True for `error` and `fatal`."""
        return self.severity in ("fatal", "error")

    def to_fhir(self) -> dict[str, Any]:
        """This issue as an OperationOutcome.issue entry."""
        fhir_code = {
            "cardinality": "required",
            "binding": "code-invalid",
            "invariant": "invariant",
            "type": "structure",
            "not-validated": "exception",
        }.get(self.code, "value" if self.code in ("fixed", "pattern") else "structure")
        return {
            "severity": self.severity,
            "code": fhir_code,
            "diagnostics": self.message,
            "expression": [self.location],
        }


def to_operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    """An OperationOutcome resource listing `issues` (an `information` one when empty)."""
    entries = [i.to_fhir() for i in issues] or [
        {"severity": "information", "code": "informational", "diagnostics": "no issues"}
    ]
    return {"resourceType": "OperationOutcome", "issue": entries}
